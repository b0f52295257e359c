// Explain: the decision for one request, with the reason for every part of it.
//
// For each part of the decision (each surface, each label, the notice, friction,
// monetization, each denied ad country) it names the rules that decided it; for each
// rule it says, in words a policy analyst can follow, why it applied (the tests that
// held) or why not (the window, the first test that failed, the exemption that lifted
// it, or the higher-precedence rule that overrode it). The decision comes from the
// compiled tree; the reasons come from interpreting the rules as written, and the two
// are checked against each other (`agrees`).
#ifndef STATEMARK_ENGINE_EXPLAIN_H_
#define STATEMARK_ENGINE_EXPLAIN_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/compiled_policy.h"
#include "engine/request.h"

namespace statemark {

struct DecisionPart {
  std::string field;               // `surfaces.for_you`, `labels`, `ad.denied.DE`, ...
  std::string value;               // `ineligible`, the label text, ...
  std::vector<std::string> rules;  // ids of the rules that decided it
};

struct RuleTrace {
  enum class Outcome {
    kDecided,         // applied and decided part of the decision
    kOverridden,      // applied, but every effect was outranked or not rendered
    kShadow,          // a shadow rule that matched (reported, not enforced)
    kLifted,          // matched, but an exemption lifted it
    kExemptionUsed,   // an exemption that lifted a rule
    kExemptionIdle,   // an exemption that lifted nothing here
    kWrongKind,       // its effects concern ads, and this is not an ad request (or vice versa)
    kNoCase,          // its condition held but none of its cases did
    kConditionFailed, // a test failed: see why_not
    kNotInEffect,     // the request's time is outside the rule's window
    kNoSubject,       // the rule is about linked or reshared accounts, and there are none
  };
  std::string rule;
  std::string layer;
  std::string description;
  std::string subject;  // "account `xinhua`", "linked account `rt_en`"
  Outcome outcome = Outcome::kConditionFailed;
  std::vector<std::string> because;  // the tests that held
  std::string why_not;               // the nearest miss
};

struct Explanation {
  std::string decision_json;
  std::vector<DecisionPart> parts;
  std::vector<RuleTrace> rules;  // by rule id, then subject
  bool agrees = true;            // the tree and the reference interpreter decided alike
};

Explanation Explain(const CompiledPolicy& policy, const Request& request);

const char* OutcomeName(RuleTrace::Outcome o);
std::string RenderExplanationText(const Explanation& e);
nlohmann::json ExplanationJson(const Explanation& e);

}  // namespace statemark

#endif  // STATEMARK_ENGINE_EXPLAIN_H_
