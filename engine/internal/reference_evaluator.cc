#include "engine/internal/reference_evaluator.h"

#include <re2/re2.h>

#include "engine/evaluator.h"
#include "engine/internal/combine.h"

namespace statemark::internal {
namespace {

// Reads attribute values straight from the fact arrays, by attribute index.
class Facts {
 public:
  Facts(const CompiledPolicy& p, const Request& r, const AccountFacts& a) : p_(p), r_(r), a_(a) {}

  uint32_t Value(int attr) const {
    const Slot& s = p_.slot(attr);
    return s.scope == AttrScope::kAccount ? a_.value[static_cast<size_t>(s.index)]
                                          : r_.facts.value[static_cast<size_t>(s.index)];
  }
  std::string_view Text(int attr) const {
    const Slot& s = p_.slot(attr);
    if (attr == p_.vocabulary().attr_account_id) return a_.id;
    return s.scope == AttrScope::kAccount ? a_.text[static_cast<size_t>(s.index)]
                                          : r_.facts.text[static_cast<size_t>(s.index)];
  }
  const ValueSet& Set(int attr) const {
    return r_.facts.sets[static_cast<size_t>(p_.slot(attr).set_index)];
  }
  int64_t Micros(int attr) const { return r_.facts.micros[static_cast<size_t>(p_.slot(attr).index)]; }
  const AccountFacts& account() const { return a_; }
  int64_t now() const { return r_.time.micros; }

 private:
  const CompiledPolicy& p_;
  const Request& r_;
  const AccountFacts& a_;
};

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "`" : ", `") + s + "`";
  return out;
}

// The value of an attribute as words, for explanations.
std::string Shown(const CompiledPolicy& p, const Facts& f, int attr) {
  const Attribute& a = p.vocabulary().attributes[static_cast<size_t>(attr)];
  const uint32_t v = f.Value(attr);
  switch (a.type) {
    case AttrType::kEnum:
    case AttrType::kCountry:
      if (v == kAbsent) return "absent";
      return "`" + p.vocabulary().domains[static_cast<size_t>(a.domain)].values[v] + "`";
    case AttrType::kBool: return v == 1 ? "`true`" : v == 0 ? "`false`" : "absent";
    case AttrType::kString: return v == kAbsent && f.Text(attr).empty() ? "absent" : "`" + std::string(f.Text(attr)) + "`";
    case AttrType::kInstant: return v == kAbsent ? "absent" : "`" + FormatRfc3339(Instant{f.Micros(attr)}) + "`";
    case AttrType::kEnumSet:
    case AttrType::kCountrySet: {
      std::vector<std::string> names;
      f.Set(attr).ForEach([&](int x) {
        names.push_back(p.vocabulary().domains[static_cast<size_t>(a.domain)].values[static_cast<size_t>(x)]);
      });
      return names.empty() ? "empty" : "[" + Join(names) + "]";
    }
    case AttrType::kListings: return "the account's listings";
  }
  return "?";
}

bool TestHolds(const CompiledPolicy& p, const Condition& c, const Facts& f) {
  const Attribute& a = p.vocabulary().attributes[static_cast<size_t>(c.attr)];
  const uint32_t v = f.Value(c.attr);
  switch (c.op) {
    case Op::kIn:
    case Op::kNotIn: {
      if (v == kAbsent && !(a.type == AttrType::kString && c.attr == p.vocabulary().attr_account_id)) {
        return false;
      }
      bool in = false;
      if (a.type == AttrType::kString) {
        for (const std::string& s : c.written) in = in || f.Text(c.attr) == s;
      } else {
        in = c.values.Contains(static_cast<int>(v));
      }
      return in == (c.op == Op::kIn);
    }
    case Op::kIntersects: return f.Set(c.attr).Intersects(c.values);
    case Op::kContainsAll: return f.Set(c.attr).ContainsAll(c.values);
    case Op::kSameAs:
    case Op::kNotSameAs: {
      const bool same = v != kAbsent && v == f.Value(c.other_attr);
      return same == (c.op == Op::kSameAs);
    }
    case Op::kIs: return v != kAbsent && (v == 1) == c.flag;
    case Op::kMatches: return v != kAbsent && RE2::FullMatch(f.Text(c.attr), p.regex(static_cast<uint32_t>(c.regex)));
    case Op::kBefore: return v != kAbsent && f.Micros(c.attr) < c.instant.micros;
    case Op::kAtOrAfter: return v != kAbsent && f.Micros(c.attr) >= c.instant.micros;
    case Op::kListedIn:
      for (const Listing& l : f.account().listings) {
        if (l.list == c.list && l.from.micros <= f.now() && f.now() < l.until.micros) return true;
      }
      return false;
    case Op::kPresent:
      if (IsSetType(a.type)) return !f.Set(c.attr).Empty() == c.flag;
      return (v != kAbsent) == c.flag;
  }
  return false;
}

std::string DescribeMiss(const CompiledPolicy& p, const Condition& c, const Facts& f) {
  const Attribute& a = p.vocabulary().attributes[static_cast<size_t>(c.attr)];
  const std::string value = Shown(p, f, c.attr);
  const std::string what = "`" + a.name + "` is " + value;
  switch (c.op) {
    case Op::kIn: return what + ", not one of " + Join(c.written);
    case Op::kNotIn: return what + (value == "absent" ? "" : ", which is one of " + Join(c.written));
    case Op::kIntersects: return what + ", sharing nothing with " + Join(c.written);
    case Op::kContainsAll: return what + ", lacking some of " + Join(c.written);
    case Op::kSameAs: return what + ", not the same as `" + c.written[0] + "` (" + Shown(p, f, c.other_attr) + ")";
    case Op::kNotSameAs: return what + ", the same as `" + c.written[0] + "`";
    case Op::kIs: return what + ", not `" + (c.flag ? "true" : "false") + "`";
    case Op::kMatches: return what + ", which does not match `" + c.pattern + "`";
    case Op::kBefore: return what + ", not before `" + FormatRfc3339(c.instant) + "`";
    case Op::kAtOrAfter: return what + ", before `" + FormatRfc3339(c.instant) + "`";
    case Op::kListedIn: return "the account has no listing on `" + c.written[0] + "` in force";
    case Op::kPresent: return what;
  }
  return what;
}

std::string DescribeHeld(const CompiledPolicy& p, const Condition& c, const Facts& f) {
  const Attribute& a = p.vocabulary().attributes[static_cast<size_t>(c.attr)];
  const std::string what = "`" + a.name + "` is " + Shown(p, f, c.attr);
  switch (c.op) {
    case Op::kIn: return what + ", one of " + Join(c.written);
    case Op::kNotIn: return what + ", none of " + Join(c.written);
    case Op::kIntersects: return what + ", sharing a value with " + Join(c.written);
    case Op::kContainsAll: return what + ", holding all of " + Join(c.written);
    case Op::kSameAs: return what + ", the same as `" + c.written[0] + "`";
    case Op::kNotSameAs: return what + ", not the same as `" + c.written[0] + "` (" + Shown(p, f, c.other_attr) + ")";
    case Op::kIs: return what;
    case Op::kMatches: return what + ", matching `" + c.pattern + "`";
    case Op::kBefore: return what + ", before `" + FormatRfc3339(c.instant) + "`";
    case Op::kAtOrAfter: return what + ", at or after `" + FormatRfc3339(c.instant) + "`";
    case Op::kListedIn: return "the account is listed on `" + c.written[0] + "` at the request's time";
    case Op::kPresent: return what;
  }
  return what;
}

bool Holds(const CompiledPolicy& p, const Condition& c, const Facts& f, std::string* miss);

void Reasons(const CompiledPolicy& p, const Condition& c, const Facts& f, std::vector<std::string>* out) {
  switch (c.kind) {
    case Condition::Kind::kAll:
      for (const Condition& child : c.children) Reasons(p, child, f, out);
      return;
    case Condition::Kind::kAny:
      for (const Condition& child : c.children) {
        if (Holds(p, child, f, nullptr)) return Reasons(p, child, f, out);
      }
      return;
    case Condition::Kind::kNot: {
      std::string miss;
      Holds(p, c.children[0], f, &miss);
      out->push_back("not excluded: " + miss);
      return;
    }
    case Condition::Kind::kTest: out->push_back(DescribeHeld(p, c, f)); return;
  }
}

bool Holds(const CompiledPolicy& p, const Condition& c, const Facts& f, std::string* miss) {
  switch (c.kind) {
    case Condition::Kind::kAll:
      for (const Condition& child : c.children) {
        if (!Holds(p, child, f, miss)) return false;
      }
      return true;
    case Condition::Kind::kAny: {
      std::string first;
      for (const Condition& child : c.children) {
        std::string child_miss;
        if (Holds(p, child, f, &child_miss)) return true;
        if (first.empty()) first = child_miss;
      }
      if (miss) *miss = "none of the alternatives holds: " + first;
      return false;
    }
    case Condition::Kind::kNot: {
      const bool inner = Holds(p, c.children[0], f, nullptr);
      if (inner && miss) *miss = "the excluded condition holds";
      return !inner;
    }
    case Condition::Kind::kTest: {
      const bool holds = TestHolds(p, c, f);
      if (!holds && miss) *miss = DescribeMiss(p, c, f);
      return holds;
    }
  }
  return false;
}

bool InWindow(const Rule& r, Instant t) { return r.from <= t && t < r.until; }

// The rules that apply to a subject, judged one by one.
class ReferenceRun {
 public:
  ReferenceRun(const CompiledPolicy& p, const Request& r, Decision* d) : p_(p), r_(r), d_(*d) {}

  void Decide(Subject s, const AccountFacts& subject) {
    const Policy& policy = p_.policy();
    const Facts facts(p_, r_, subject);
    for (size_t i = 0; i < policy.rules.size(); ++i) {
      const Rule& rule = policy.rules[i];
      if (rule.layer == Layer::kExemption || !AppliesTo(rule, s)) continue;
      if (!InWindow(rule, r_.time) || (rule.has_when && !Holds(p_, rule.when, facts, nullptr))) continue;
      uint32_t clause = FirstClauseOf(policy, i);
      if (!rule.then.empty()) Consider(clause++, rule, rule.then, static_cast<uint32_t>(i), s, subject);
      for (const Case& c : rule.cases) {
        const uint32_t this_clause = clause++;
        if (Holds(p_, c.when, facts, nullptr)) {
          Consider(this_clause, rule, c.then, static_cast<uint32_t>(i), s, subject);
        }
      }
    }
  }

 private:
  static bool AppliesTo(const Rule& r, Subject s) {
    for (Subject x : r.applies_to) {
      if (x == s) return true;
    }
    return false;
  }

  // The exemptions (by id) in force that lift `rule` for this subject.
  std::vector<uint32_t> LiftedBy(uint32_t rule, const AccountFacts& subject) const {
    const Policy& policy = p_.policy();
    const Facts facts(p_, r_, subject);
    std::vector<uint32_t> out;
    for (size_t e = 0; e < policy.rules.size(); ++e) {
      const Rule& x = policy.rules[e];
      if (x.layer != Layer::kExemption || !InWindow(x, r_.time)) continue;
      bool lifts = false;
      for (int target : x.lifts) lifts = lifts || target == static_cast<int>(rule);
      if (lifts && (!x.has_when || Holds(p_, x.when, facts, nullptr))) out.push_back(static_cast<uint32_t>(e));
    }
    return out;
  }

  void Consider(uint32_t clause, const Rule& rule, const Effects& e, uint32_t rule_index, Subject s,
                const AccountFacts& subject) {
    AppliedClause a;
    a.clause = clause;
    a.subject = s;
    a.account = subject.registry_index;
    const int state_attr = p_.vocabulary().FindAttribute("account.affiliated_state");
    if (state_attr >= 0) {
      const uint32_t v = subject.value[static_cast<size_t>(p_.slot(state_attr).index)];
      a.state = v == kAbsent ? kNoCountry : static_cast<uint16_t>(v);
    }
    for (size_t k = 0; k < e.ads.countries.attrs.size() && k < a.ad_countries.size(); ++k) {
      const uint32_t v = subject.value[static_cast<size_t>(p_.slot(e.ads.countries.attrs[k]).index)];
      a.ad_countries[k] = v == kAbsent ? kNoCountry : static_cast<uint16_t>(v);
    }
    if (!ClauseActsOn(p_, a, r_.is_ad)) return;
    const std::vector<uint32_t> exemptions = LiftedBy(rule_index, subject);
    if (!exemptions.empty()) {
      if (rule.mode == RuleMode::kShadow) return;
      for (uint32_t exemption : exemptions) {
        if (d_.lift_count < kMaxAppliedClauses) {
          d_.lifts[static_cast<size_t>(d_.lift_count++)] =
              Lift{exemption, clause, s, subject.registry_index, a.state, a.ad_countries};
        }
      }
      return;
    }
    int& count = rule.mode == RuleMode::kShadow ? d_.shadow_count : d_.applied_count;
    auto& list = rule.mode == RuleMode::kShadow ? d_.shadow : d_.applied;
    if (count >= kMaxAppliedClauses) {
      d_.overflow = true;
      return;
    }
    list[static_cast<size_t>(count++)] = a;
  }

  const CompiledPolicy& p_;
  const Request& r_;
  Decision& d_;
};

}  // namespace

uint32_t FirstClauseOf(const Policy& policy, size_t rule) {
  uint32_t n = 0;
  for (size_t i = 0; i < rule; ++i) {
    const Rule& r = policy.rules[i];
    n += (r.layer == Layer::kExemption || !r.then.empty() ? 1u : 0u) + static_cast<uint32_t>(r.cases.size());
  }
  return n;
}

bool ReferenceCondition(const CompiledPolicy& policy, const Condition& c, const Request& request,
                        const AccountFacts& subject, std::string* miss) {
  return Holds(policy, c, Facts(policy, request, subject), miss);
}

std::vector<std::string> ReferenceReasons(const CompiledPolicy& policy, const Condition& c,
                                          const Request& request, const AccountFacts& subject) {
  std::vector<std::string> out;
  Reasons(policy, c, Facts(policy, request, subject), &out);
  return out;
}

void ReferenceEvaluate(const CompiledPolicy& policy, const Request& request, Decision* d) {
  d->time = request.time;
  d->is_ad = request.is_ad;
  d->applied_count = d->lift_count = d->shadow_count = 0;
  d->overflow = false;
  ReferenceRun run(policy, request, d);
  AccountFacts subject;
  FillAuthorFacts(policy, request, &subject);
  run.Decide(Subject::kAccount, subject);
  for (int index : request.linked_accounts) {
    FillAccountFacts(policy, index, request.time, &subject);
    run.Decide(Subject::kLinkedAccount, subject);
  }
  if (request.reshared_account >= 0) {
    FillAccountFacts(policy, request.reshared_account, request.time, &subject);
    run.Decide(Subject::kResharedAccount, subject);
  }
  Combine(policy, request, d);
}

}  // namespace statemark::internal
