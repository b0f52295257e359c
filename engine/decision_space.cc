#include "engine/decision_space.h"

#include <re2/re2.h>

#include <algorithm>
#include <map>

#include "engine/evaluator.h"
#include "engine/internal/space_builder.h"

namespace statemark {
namespace {

using Kind = ClassCondition::Kind;

const char* SubjectLetter(Subject s) {
  switch (s) {
    case Subject::kAccount: return "A";
    case Subject::kLinkedAccount: return "L";
    case Subject::kResharedAccount: return "R";
  }
  return "?";
}

std::string Quoted(const std::string& s) { return nlohmann::json(s).dump(); }

std::string Braced(const std::vector<std::string>& names) {
  std::string out = "{";
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out + "}";
}

// Value names of `s` over an attribute's domain; the absent index reads `(absent)`.
std::vector<std::string> Names(const Vocabulary& v, const Attribute& a, const ValueSet& s) {
  std::vector<std::string> out;
  const int ds = a.type == AttrType::kBool ? 2 : static_cast<int>(v.domains[static_cast<size_t>(a.domain)].values.size());
  s.ForEach([&](int x) {
    if (x >= ds) {
      out.push_back("(absent)");
    } else if (a.type == AttrType::kBool) {
      out.push_back(x == 1 ? "true" : "false");
    } else {
      out.push_back(v.domains[static_cast<size_t>(a.domain)].values[static_cast<size_t>(x)]);
    }
  });
  return out;
}

// The shortest way to write `s` (members of a domain of size ds): a list, the
// complement of a list, or a group with what it adds or takes away.
std::string SetText(const Vocabulary& v, const Attribute& a, const ValueSet& s, bool with_absent_index) {
  const int ds = a.type == AttrType::kBool ? 2 : static_cast<int>(v.domains[static_cast<size_t>(a.domain)].values.size());
  const ValueSet all = ValueSet::All(ds + (with_absent_index ? 1 : 0));
  std::string best = "∈ " + Braced(Names(v, a, s));
  size_t best_cost = static_cast<size_t>(s.Size());
  const ValueSet rest = all & ~s;
  if (static_cast<size_t>(rest.Size()) + 1 < best_cost) {
    best = "∉ " + Braced(Names(v, a, rest));
    best_cost = static_cast<size_t>(rest.Size()) + 1;
  }
  if (a.type == AttrType::kBool) return best;
  for (const Group& g : v.groups) {
    if (g.domain != a.domain) continue;
    const ValueSet extra = s & ~g.members;
    const ValueSet missing = g.members & ~s;
    const size_t cost = static_cast<size_t>(extra.Size() + missing.Size()) + 1;
    if (cost >= best_cost) continue;
    std::string text = "∈ " + g.name;
    if (!extra.Empty()) text += " ∪ " + Braced(Names(v, a, extra));
    if (!missing.Empty()) text += " \\ " + Braced(Names(v, a, missing));
    best = text;
    best_cost = cost;
  }
  for (const Group& g : v.groups) {  // the complement of a group: `∉ EU27 ∪ {GB}`
    if (g.domain != a.domain) continue;
    const ValueSet extra = rest & ~g.members;
    const ValueSet missing = g.members & ~rest;
    const size_t cost = static_cast<size_t>(extra.Size() + missing.Size()) + 2;
    if (cost >= best_cost) continue;
    std::string text = "∉ " + g.name;
    if (!extra.Empty()) text += " ∪ " + Braced(Names(v, a, extra));
    if (!missing.Empty()) text += " \\ " + Braced(Names(v, a, missing));
    best = text;
    best_cost = cost;
  }
  return best;
}

std::string SetOfDomainText(const Vocabulary& v, const Attribute& a, const ValueSet& s) {
  std::string text = SetText(v, a, s, false);
  // `∈ NEWS_POLITICS` -> `NEWS_POLITICS`, `∈ {a, b}` -> `{a, b}`.
  if (text.rfind("∈ ", 0) == 0) return text.substr(std::string("∈ ").size());
  return "(all \\ " + text.substr(std::string("∉ ").size()) + ")";
}

}  // namespace

std::string ConditionText(const CompiledPolicy& policy, const ClassCondition& c) {
  const Vocabulary& v = policy.vocabulary();
  const Attribute& a = v.attributes[static_cast<size_t>(c.attr)];
  switch (c.kind) {
    case Kind::kValues: {
      const int ds = a.type == AttrType::kBool ? 2 : static_cast<int>(v.domains[static_cast<size_t>(a.domain)].values.size());
      if (c.values.Size() == 1) {
        std::vector<std::string> names = Names(v, a, c.values);
        return names[0] == "(absent)" ? a.name + " absent" : a.name + " = " + names[0];
      }
      if (c.values == ValueSet::All(ds)) return a.name + " present";
      // A complement is taken among present values unless the set itself holds absent.
      return a.name + " " + SetText(v, a, c.values, c.values.Contains(ds));
    }
    case Kind::kSame:
      return a.name + (c.positive ? " = " : " ≠ ") + v.attributes[static_cast<size_t>(c.other_attr)].name;
    case Kind::kIntersects:
      return a.name + " ∩ " + SetOfDomainText(v, a, c.values) + (c.positive ? " ≠ ∅" : " = ∅");
    case Kind::kContainsAll:
      return a.name + (c.positive ? " ⊇ " : " ⊉ ") + SetOfDomainText(v, a, c.values);
    case Kind::kNonEmpty: return a.name + (c.positive ? " ≠ ∅" : " = ∅");
    case Kind::kBefore:
      return c.positive ? a.name + " < " + FormatRfc3339(Instant{c.instant})
                        : a.name + " absent or ≥ " + FormatRfc3339(Instant{c.instant});
    case Kind::kPresent: return a.name + (c.positive ? " present" : " absent");
    case Kind::kStrings: {
      std::vector<std::string> quoted;
      for (const std::string& s : c.strings) quoted.push_back(Quoted(s));
      return c.positive ? a.name + " ∈ " + Braced(quoted) : a.name + " absent or ∉ " + Braced(quoted);
    }
    case Kind::kMatches:
      return c.positive ? a.name + " matches /" + c.strings[0] + "/"
                        : a.name + " absent or does not match /" + c.strings[0] + "/";
    case Kind::kListedIn:
      return std::string("account.sanctions ") + (c.positive ? "listed in " : "not listed in ") +
             v.sanctions_lists[static_cast<size_t>(c.list)].name;
  }
  return "";
}

bool ClassHolds(const CompiledPolicy& policy, const DecisionClass& cls, const Request& request,
                const AccountFacts& subject) {
  if (request.time < cls.from || !(request.time < cls.until)) return false;
  const Vocabulary& v = policy.vocabulary();
  auto value = [&](int attr) {
    const internal::Slot& s = policy.slot(attr);
    return s.scope == AttrScope::kAccount ? subject.value[static_cast<size_t>(s.index)]
                                          : request.facts.value[static_cast<size_t>(s.index)];
  };
  auto text = [&](int attr) -> std::string_view {
    const internal::Slot& s = policy.slot(attr);
    if (attr == v.attr_account_id) return subject.id;
    return s.scope == AttrScope::kAccount ? subject.text[static_cast<size_t>(s.index)]
                                          : request.facts.text[static_cast<size_t>(s.index)];
  };
  auto present = [&](int attr) { return attr == v.attr_account_id || value(attr) != kAbsent; };
  for (const ClassCondition& c : cls.conditions) {
    const internal::Slot& slot = policy.slot(c.attr);
    bool holds = false;
    switch (c.kind) {
      case Kind::kValues: {
        uint32_t x = value(c.attr);
        if (x == kAbsent || x >= static_cast<uint32_t>(slot.domain_size)) x = static_cast<uint32_t>(slot.domain_size);
        holds = c.values.Contains(static_cast<int>(x));
        if (!holds) return false;
        continue;
      }
      case Kind::kSame: {
        const uint32_t x = value(c.attr), y = value(c.other_attr);
        holds = x != kAbsent && x == y;
        break;
      }
      case Kind::kIntersects: holds = request.facts.sets[static_cast<size_t>(slot.set_index)].Intersects(c.values); break;
      case Kind::kContainsAll: holds = request.facts.sets[static_cast<size_t>(slot.set_index)].ContainsAll(c.values); break;
      case Kind::kNonEmpty: holds = !request.facts.sets[static_cast<size_t>(slot.set_index)].Empty(); break;
      case Kind::kBefore:
        holds = value(c.attr) != kAbsent && request.facts.micros[static_cast<size_t>(slot.index)] < c.instant;
        break;
      case Kind::kPresent: holds = present(c.attr); break;
      case Kind::kStrings:
        holds = present(c.attr) && std::find(c.strings.begin(), c.strings.end(), std::string(text(c.attr))) != c.strings.end();
        break;
      case Kind::kMatches: {
        const auto& all = policy.policy().regexes;
        auto it = std::find(all.begin(), all.end(), c.strings[0]);
        holds = present(c.attr) && it != all.end() &&
                RE2::FullMatch(text(c.attr), policy.regex(static_cast<uint32_t>(it - all.begin())));
        break;
      }
      case Kind::kListedIn:
        for (const Listing& l : subject.listings) {
          holds = holds || (l.list == c.list && l.from <= request.time && request.time < l.until);
        }
        break;
    }
    if (holds != c.positive) return false;
  }
  return true;
}

int FindAuthorClass(const CompiledPolicy& policy, const DecisionSpace& space, const Request& request) {
  AccountFacts scratch;
  const AccountFacts& author = AuthorFacts(policy, request, &scratch);
  for (size_t i = 0; i < space.classes.size(); ++i) {
    const DecisionClass& c = space.classes[i];
    if (c.subject == Subject::kAccount && ClassHolds(policy, c, request, author)) return static_cast<int>(i);
  }
  return -1;
}

Result<DecisionSpace> EnumerateDecisionSpace(const CompiledPolicy& policy, const SpaceOptions& options) {
  DecisionSpace space;
  // Classes found in consecutive intervals with the same conditions and decision merge.
  std::map<std::string, size_t> open;  // key -> index of the class that may extend
  BuilderOptions bo;
  bo.at = options.at;
  bo.max_classes = options.max_classes;
  Result<std::vector<std::string>> limits =
      EnumerateClasses({&policy}, bo, [&](const FoundClass& f) {
        const ClassOutcome& o = f.outcomes[0];
        std::string key = SubjectName(f.subject);
        for (const ClassCondition& c : f.conditions) key += "\n" + ConditionText(policy, c);
        key += "\n" + o.summary.dump();
        for (const std::string& m : o.matched) key += "\n" + m;
        auto it = open.find(key);
        if (it != open.end() && space.classes[it->second].until == f.from) {
          space.classes[it->second].until = f.until;
          return;
        }
        DecisionClass c;
        c.subject = f.subject;
        c.from = f.from;
        c.until = f.until;
        c.conditions = f.conditions;
        c.decision = o.summary;
        c.rules = o.summary["rules"].get<std::vector<std::string>>();
        c.matched = o.matched;
        c.clauses = o.clauses;
        c.sample = *f.sample;
        open[key] = space.classes.size();
        space.classes.push_back(std::move(c));
      });
  if (!limits.ok()) return limits.diagnostics();
  space.limits = limits.value();
  std::stable_sort(space.classes.begin(), space.classes.end(),
                   [](const DecisionClass& a, const DecisionClass& b) { return a.subject < b.subject; });
  std::map<Subject, int> counts;
  for (DecisionClass& c : space.classes) c.id = SubjectLetter(c.subject) + std::to_string(++counts[c.subject]);
  return space;
}

nlohmann::json DecisionClassJson(const CompiledPolicy& policy, const DecisionClass& c) {
  nlohmann::json j;
  j["id"] = c.id;
  j["subject"] = SubjectName(c.subject);
  j["time"] = {{"from", c.from == kBeginningOfTime ? nlohmann::json(nullptr) : nlohmann::json(FormatRfc3339(c.from))},
               {"until", c.until == kEndOfTime ? nlohmann::json(nullptr) : nlohmann::json(FormatRfc3339(c.until))}};
  nlohmann::json conditions = nlohmann::json::array();
  for (const ClassCondition& cond : c.conditions) conditions.push_back(ConditionText(policy, cond));
  j["conditions"] = conditions;
  j["decision"] = c.decision;
  j["rules"] = c.rules;
  j["matched"] = c.matched;
  j["sample"] = c.sample;
  return j;
}

}  // namespace statemark
