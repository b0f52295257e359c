#include "engine/explain.h"

#include <algorithm>
#include <memory>
#include <set>

#include "engine/decision_json.h"
#include "engine/evaluator.h"
#include "engine/internal/combine.h"
#include "engine/internal/reference_evaluator.h"

namespace statemark {
namespace {

using internal::CompiledEffects;

struct SubjectView {
  Subject kind;
  AccountFacts facts;
  std::string name;
};

std::vector<SubjectView> Subjects(const CompiledPolicy& p, const Request& r) {
  std::vector<SubjectView> out;
  SubjectView author{Subject::kAccount, {}, "account `" + r.account_id + "`"};
  FillAuthorFacts(p, r, &author.facts);
  out.push_back(author);
  for (int index : r.linked_accounts) {
    SubjectView s{Subject::kLinkedAccount, {}, "linked account `" + std::string(p.registry().Id(index)) + "`"};
    FillAccountFacts(p, index, r.time, &s.facts);
    out.push_back(s);
  }
  if (r.reshared_account >= 0) {
    SubjectView s{Subject::kResharedAccount, {},
                  "reshared account `" + std::string(p.registry().Id(r.reshared_account)) + "`"};
    FillAccountFacts(p, r.reshared_account, r.time, &s.facts);
    out.push_back(s);
  }
  return out;
}

std::vector<std::string> Ids(const CompiledPolicy& p, std::set<uint32_t> rules) {
  std::vector<std::string> out;
  for (uint32_t r : rules) out.push_back(p.policy().rules[r].id);
  return out;
}

// Which applied clauses decided each part of the decision.
std::vector<DecisionPart> Parts(const CompiledPolicy& p, const Request& r, const Decision& d) {
  const Vocabulary& v = p.vocabulary();
  std::vector<DecisionPart> parts;
  auto rules_where = [&](auto pred) {
    std::set<uint32_t> rules;
    for (int i = 0; i < d.applied_count; ++i) {
      const AppliedClause& a = d.applied[static_cast<size_t>(i)];
      const CompiledEffects& e = p.effects(p.clauses()[a.clause].effects);
      if (pred(a, e)) rules.insert(p.clauses()[a.clause].rule);
    }
    return Ids(p, rules);
  };
  for (int s = 0; s < p.surface_count(); ++s) {
    const int level = d.levels[static_cast<size_t>(s)];
    parts.push_back({"surfaces." + v.surfaces[static_cast<size_t>(s)], v.levels[static_cast<size_t>(level)],
                     level == 0 ? std::vector<std::string>{}
                                : rules_where([&](const AppliedClause&, const CompiledEffects& e) {
                                    return e.levels[s] == level;
                                  })});
  }
  const int viewer = static_cast<int>(r.facts.value[static_cast<size_t>(p.slot(v.attr_viewer_country).index)]);
  for (int i = 0; i < d.label_count; ++i) {
    const RenderedLabel& l = d.labels[static_cast<size_t>(i)];
    const Label& label = v.labels[l.label];
    parts.push_back({"labels", RenderTemplate(label.text, v, l.state == kNoCountry ? -1 : l.state, viewer, r.account_id),
                     rules_where([&](const AppliedClause& a, const CompiledEffects& e) {
                       for (uint32_t k = 0; k < e.label_count; ++k) {
                         if (p.label_effect(e.label_begin + k).label == l.label &&
                             (!label.text.uses_state || a.state == l.state)) {
                           return true;
                         }
                       }
                       return false;
                     })});
  }
  if (d.notice >= 0) {
    parts.push_back({"notice", RenderTemplate(v.notices[static_cast<size_t>(d.notice)].text, v, -1, viewer, r.account_id),
                     rules_where([&](const AppliedClause&, const CompiledEffects& e) { return e.notice == d.notice; })});
  }
  for (size_t f = 0; f < v.friction.size(); ++f) {
    if (!(d.friction & (1u << f))) continue;
    parts.push_back({"friction", v.friction[f], rules_where([&](const AppliedClause&, const CompiledEffects& e) {
                       return (e.friction & (1u << f)) != 0;
                     })});
  }
  if (d.monetization > 0) {
    parts.push_back({"monetization", v.monetization[static_cast<size_t>(d.monetization)],
                     rules_where([&](const AppliedClause&, const CompiledEffects& e) {
                       return e.monetization == d.monetization;
                     })});
  }
  if (d.is_ad) {
    for (uint16_t c : r.target_order) {
      const std::string code = v.domains[kCountryDomain].values[c];
      if (d.ad_allowed.Contains(c)) {
        parts.push_back({"ad.allowed." + code, "allowed", {}});
        continue;
      }
      parts.push_back({"ad.denied." + code, "denied", rules_where([&](const AppliedClause& a, const CompiledEffects&) {
                         return !internal::AllowedBy(p, a).Contains(c);
                       })});
    }
  }
  return parts;
}

bool InWindow(const Rule& rule, Instant t) { return rule.from <= t && t < rule.until; }

std::string WindowText(const Rule& rule) {
  std::string from = rule.from == kBeginningOfTime ? "always" : FormatRfc3339(rule.from);
  std::string until = rule.until == kEndOfTime ? "no end" : FormatRfc3339(rule.until);
  return "in force from " + from + " until " + until + (rule.window.empty() ? "" : " (window `" + rule.window + "`)");
}

template <typename List>
bool Has(const List& list, int count, uint32_t rule_or_clause, const SubjectView& s, bool by_rule,
         const CompiledPolicy& p) {
  for (int i = 0; i < count; ++i) {
    const auto& a = list[static_cast<size_t>(i)];
    const uint32_t key = by_rule ? p.clauses()[a.clause].rule : a.clause;
    if (key == rule_or_clause && a.subject == s.kind && a.account == s.facts.registry_index) return true;
  }
  return false;
}

RuleTrace TraceRule(const CompiledPolicy& p, const Request& r, const Decision& d, uint32_t index,
                    const SubjectView& s) {
  const Rule& rule = p.policy().rules[index];
  RuleTrace t{rule.id, LayerName(rule.layer), rule.description, s.name, RuleTrace::Outcome::kConditionFailed, {}, {}};
  if (!InWindow(rule, r.time)) {
    t.outcome = RuleTrace::Outcome::kNotInEffect;
    t.why_not = "not in effect at " + FormatRfc3339(r.time) + ": " + WindowText(rule);
    return t;
  }
  if (rule.has_when && !internal::ReferenceCondition(p, rule.when, r, s.facts, &t.why_not)) return t;
  t.because = rule.has_when ? internal::ReferenceReasons(p, rule.when, r, s.facts)
                            : std::vector<std::string>{"it has no condition"};
  if (rule.layer == Layer::kExemption) {
    std::set<uint32_t> lifted;
    for (int i = 0; i < d.lift_count; ++i) {
      const Lift& l = d.lifts[static_cast<size_t>(i)];
      if (l.exemption_rule == index && l.subject == s.kind && l.account == s.facts.registry_index) {
        lifted.insert(p.clauses()[l.clause].rule);
      }
    }
    t.outcome = lifted.empty() ? RuleTrace::Outcome::kExemptionIdle : RuleTrace::Outcome::kExemptionUsed;
    if (lifted.empty()) {
      t.why_not = "none of the rules it lifts would have applied";
    } else {
      std::string ids;
      for (const std::string& id : Ids(p, lifted)) ids += (ids.empty() ? "`" : ", `") + id + "`";
      t.why_not = "lifted " + ids;
    }
    return t;
  }
  if (Has(d.applied, d.applied_count, index, s, true, p)) {
    const bool decided = std::find(d.rules.begin(), d.rules.begin() + d.rule_count, index) != d.rules.begin() + d.rule_count;
    t.outcome = decided ? RuleTrace::Outcome::kDecided : RuleTrace::Outcome::kOverridden;
    if (!decided) t.why_not = "applied, but a more restrictive or higher-precedence rule decided every part it touches";
    return t;
  }
  if (Has(d.shadow, d.shadow_count, index, s, true, p)) {
    t.outcome = RuleTrace::Outcome::kShadow;
    return t;
  }
  for (int i = 0; i < d.lift_count; ++i) {
    const Lift& l = d.lifts[static_cast<size_t>(i)];
    if (p.clauses()[l.clause].rule == index && l.subject == s.kind && l.account == s.facts.registry_index) {
      t.outcome = RuleTrace::Outcome::kLifted;
      t.why_not = "lifted by exemption `" + p.policy().rules[l.exemption_rule].id + "`";
      return t;
    }
  }
  if (rule.then.empty()) {
    t.outcome = RuleTrace::Outcome::kNoCase;
    std::string miss;
    if (!rule.cases.empty()) internal::ReferenceCondition(p, rule.cases[0].when, r, s.facts, &miss);
    t.why_not = "none of its cases applies; the first: " + miss;
    return t;
  }
  t.outcome = RuleTrace::Outcome::kWrongKind;
  t.why_not = r.is_ad ? "its effects do not concern ads" : "its own effects concern ads only, and this is not an ad request";
  if (!rule.cases.empty()) {
    std::string miss;
    internal::ReferenceCondition(p, rule.cases[0].when, r, s.facts, &miss);
    if (!miss.empty()) t.why_not += "; its first case does not apply: " + miss;
  }
  return t;
}

std::string Bullet(const std::string& s) { return "      - " + s + "\n"; }

}  // namespace

const char* OutcomeName(RuleTrace::Outcome o) {
  switch (o) {
    case RuleTrace::Outcome::kDecided: return "decided";
    case RuleTrace::Outcome::kOverridden: return "overridden";
    case RuleTrace::Outcome::kShadow: return "shadow";
    case RuleTrace::Outcome::kLifted: return "lifted";
    case RuleTrace::Outcome::kExemptionUsed: return "exemption_used";
    case RuleTrace::Outcome::kExemptionIdle: return "exemption_idle";
    case RuleTrace::Outcome::kWrongKind: return "wrong_kind";
    case RuleTrace::Outcome::kNoCase: return "no_case";
    case RuleTrace::Outcome::kConditionFailed: return "condition_failed";
    case RuleTrace::Outcome::kNotInEffect: return "not_in_effect";
    case RuleTrace::Outcome::kNoSubject: return "no_subject";
  }
  return "?";
}

Explanation Explain(const CompiledPolicy& p, const Request& r) {
  Explanation e;
  auto decision = std::make_unique<Decision>();
  auto reference = std::make_unique<Decision>();
  Evaluate(p, r, decision.get());
  internal::ReferenceEvaluate(p, r, reference.get());
  AppendDecisionJson(p, r, *decision, &e.decision_json);
  std::string reference_json;
  AppendDecisionJson(p, r, *reference, &reference_json);
  e.agrees = reference_json == e.decision_json;
  e.parts = Parts(p, r, *decision);
  const std::vector<SubjectView> subjects = Subjects(p, r);
  for (uint32_t i = 0; i < p.policy().rules.size(); ++i) {
    const Rule& rule = p.policy().rules[i];
    bool any = false;
    for (const SubjectView& s : subjects) {
      const bool applies = rule.layer == Layer::kExemption
                               ? s.kind == Subject::kAccount || true
                               : std::find(rule.applies_to.begin(), rule.applies_to.end(), s.kind) != rule.applies_to.end();
      if (!applies) continue;
      RuleTrace t = TraceRule(p, r, *decision, i, s);
      // An exemption is worth listing for other subjects only where it lifted something.
      if (rule.layer == Layer::kExemption && s.kind != Subject::kAccount &&
          t.outcome != RuleTrace::Outcome::kExemptionUsed) {
        continue;
      }
      e.rules.push_back(std::move(t));
      any = true;
    }
    if (!any) {
      RuleTrace t{rule.id, LayerName(rule.layer), rule.description, "", RuleTrace::Outcome::kNoSubject, {}, {}};
      t.why_not = std::string("it is about ") +
                  (rule.applies_to[0] == Subject::kLinkedAccount ? "linked accounts, and the content links to none in the registry"
                                                                 : "a reshared account, and the content reshares none in the registry");
      e.rules.push_back(std::move(t));
    }
  }
  return e;
}

std::string RenderExplanationText(const Explanation& e) {
  std::string out = "Decision\n";
  for (const DecisionPart& part : e.parts) {
    std::string rules;
    for (const std::string& r : part.rules) rules += (rules.empty() ? "" : ", ") + r;
    std::string line = "  " + part.field;
    line.resize(std::max<size_t>(line.size() + 1, 24), ' ');
    line += part.value;
    if (!rules.empty()) {
      line.resize(std::max<size_t>(line.size() + 1, 60), ' ');
      line += "by " + rules;
    }
    out += line + "\n";
  }
  out += "\nWhy\n";
  for (const RuleTrace& t : e.rules) {
    if (t.outcome != RuleTrace::Outcome::kDecided && t.outcome != RuleTrace::Outcome::kExemptionUsed &&
        t.outcome != RuleTrace::Outcome::kShadow && t.outcome != RuleTrace::Outcome::kOverridden &&
        t.outcome != RuleTrace::Outcome::kLifted) {
      continue;
    }
    out += "  " + t.rule + " (" + t.layer + ", " + OutcomeName(t.outcome) + ") " + t.description + "\n";
    out += "    judged on the " + t.subject + ", because:\n";
    for (const std::string& b : t.because) out += Bullet(b);
    if (!t.why_not.empty()) out += "    " + t.why_not + "\n";
  }
  out += "\nDid not apply (nearest miss)\n";
  for (const RuleTrace& t : e.rules) {
    if (t.outcome == RuleTrace::Outcome::kDecided || t.outcome == RuleTrace::Outcome::kExemptionUsed ||
        t.outcome == RuleTrace::Outcome::kShadow || t.outcome == RuleTrace::Outcome::kOverridden ||
        t.outcome == RuleTrace::Outcome::kLifted) {
      continue;
    }
    out += "  " + t.rule + (t.subject.empty() ? "" : " on the " + t.subject) + ": " + t.why_not + "\n";
  }
  if (!e.agrees) out += "\nWARNING: the decision tree and the rules as written disagree on this request\n";
  return out;
}

nlohmann::json ExplanationJson(const Explanation& e) {
  nlohmann::json out;
  out["decision"] = nlohmann::json::parse(e.decision_json);
  out["parts"] = nlohmann::json::array();
  for (const DecisionPart& p : e.parts) {
    out["parts"].push_back({{"field", p.field}, {"value", p.value}, {"rules", p.rules}});
  }
  out["rules"] = nlohmann::json::array();
  for (const RuleTrace& t : e.rules) {
    nlohmann::json r = {{"rule", t.rule},       {"layer", t.layer},      {"description", t.description},
                        {"subject", t.subject}, {"outcome", OutcomeName(t.outcome)}, {"because", t.because}};
    r["why_not"] = t.why_not.empty() ? nlohmann::json(nullptr) : nlohmann::json(t.why_not);
    out["rules"].push_back(r);
  }
  out["agrees"] = e.agrees;
  return out;
}

}  // namespace statemark
