// Decision space: every class of requests one compiled policy tells apart.
//
// A class is a set of requests that the policy decides alike: one subject kind (the
// author, a linked account, a reshared account), one path through that subject's
// decision tree (the values of the key attributes, intersected along the path), one
// range of request times, and one outcome of every residual condition still to check
// at the leaf (topic sets, same-as relations, instants, sanctions listings, strings).
// Every request falls in exactly one class per subject it has; the classes of one
// subject kind partition its requests.
//
// Each class carries a sample request (the contract's JSON) built to satisfy its
// conditions. Enumeration checks every sample with the real evaluator: the clauses the
// evaluator applies to the sample's subject must be those the class predicts, or the
// enumeration fails with an `internal-error` diagnostic. A class for which no sample
// can be built is empty and is left out; the one case where the search for a sample is
// not complete is a string that must match a `matches` pattern without being one of
// the policy's or the registry's own strings (DecisionSpace::limits says when it arose).
//
// Decision of a class, per subject kind. An author class is decided on a request with
// no links and no reshare, and its decision is that request's whole decision. A linked
// or reshared class is the contribution of that one subject (the decision made from
// its clauses alone); a request's decision combines the contributions of its author
// and of each linked and reshared account (docs/reference.md, section 8).
//
// JSON shape of a class (DecisionClassJson; the table, the diff and lint use it):
//   {
//     "id": "A17",                          // A/L/R (subject) + position; stable for a policy
//     "subject": "account" | "linked_accounts" | "reshared_account",   // as in `applies_to`
//     "time": {"from": "2024-05-23T00:00:00Z" | null, "until": "..." | null},
//     "conditions": ["account.affiliation ∈ STATE_MEDIA", "viewer.country ≠ account.affiliated_state",
//                    "content.topics ∩ NEWS_POLITICS ≠ ∅", "request.kind = organic", ...],
//     "decision": <decision summary, below>,
//     "rules": ["P1", "P4"],                 // the decision's `rules`
//     "matched": ["P1", "P4", "X1→P6"],      // every clause that matched: `P2#1` is case 1 of P2
//                                            // (0-based), `X1→P6` an exemption that lifted P6
//     "sample": { ...a contract request... }
//   }
// Decision summary: the contract's decision fields that do not depend on the request's
// own values, so that it is the same for every request of the class:
//   {
//     "surfaces": {"for_you": "ineligible", ...},   // every surface
//     "labels": [{"id": "state_controlled_media", "placements": ["profile", "post"]}],
//     "notice": "legal_demand" | null,              // the notice id (its text names the viewer)
//     "friction": ["click_interstitial"],
//     "monetization": "allow",
//     "ads": [{"rule": "P6", "allow_only": ["account.affiliated_state"]},
//             {"rule": "L1", "deny": ["EU27"]}, {"rule": "I1", "deny_all": true},
//             {"rule": "P6", "allow_only": [...], "lifted_by": ["X1"]}],   // ad classes only
//     "rules": ["P1", "P4"],                        // as the contract computes it, for any ad
//                                                   // targets the restrictions in `ads` allow
//     "shadow": [ ...the contract's `shadow` entries, without the targets-dependent
//                 `would.ad`... ]                   // only when a shadow rule matched
//   }
// Label texts and the notice text are templates over the subject's state and the
// viewer; the ids stand for them. On an ad request the contract's `ad` object and the
// ads part of `rules` follow from `ads` and the request's targets: a target is denied by
// every entry without `lifted_by` that does not allow it.
//
// Thread safety: pure functions of their arguments.
#ifndef STATEMARK_ENGINE_DECISION_SPACE_H_
#define STATEMARK_ENGINE_DECISION_SPACE_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/compiled_policy.h"
#include "engine/decision.h"
#include "engine/instant.h"
#include "engine/request.h"
#include "engine/status.h"
#include "engine/value_set.h"

namespace statemark {

// One condition that defines a class. Conditions are kept as data so that a request
// can be tested against a class (ClassHolds) and rendered in words (ConditionText).
struct ClassCondition {
  enum class Kind {
    kValues,      // attr's value (or the absent index, domain_size) is in `values`
    kSame,        // attr equals other_attr (both present) — or not, when !positive
    kIntersects,  // the set attr shares a value with `values` (or not)
    kContainsAll, // the set attr holds every value of `values` (or not)
    kNonEmpty,    // the set attr is non-empty (or empty)
    kBefore,      // the instant attr is present and < instant (or not: absent or >=)
    kPresent,     // the string or instant attr is present (or absent)
    kStrings,     // the string attr is present and one of `strings` (or not)
    kMatches,     // the string attr is present and fully matches `strings[0]`, compiled
                  // as the policy's regex `regex` (or not)
    kListedIn,    // the subject has a listing on `list` in force (or not)
  };
  Kind kind = Kind::kValues;
  int attr = -1;
  bool positive = true;
  ValueSet values;
  int other_attr = -1;
  int64_t instant = 0;
  std::vector<std::string> strings;
  int regex = -1;
  int list = -1;
};

struct DecisionClass {
  std::string id;  // `A1`, `L3`, `R2`: subject letter and 1-based position
  Subject subject = Subject::kAccount;
  Instant from = kBeginningOfTime;  // request.time in [from, until)
  Instant until = kEndOfTime;
  std::vector<ClassCondition> conditions;
  nlohmann::json decision;           // the summary described above
  std::vector<std::string> rules;    // == decision["rules"]
  std::vector<std::string> matched;  // as in the JSON shape above
  std::vector<uint32_t> clauses;     // clause indexes that matched (applied, shadow or lifted)
  nlohmann::json sample;             // a contract request in the class
};

struct SpaceOptions {
  // Decide every class at this instant; otherwise time is split at every boundary the
  // policy and its registry name (windows, `before` instants, listings, dated values).
  std::optional<Instant> at;
  // Refuse (an error diagnostic) rather than list more classes than this.
  size_t max_classes = 200000;
};

struct DecisionSpace {
  std::vector<DecisionClass> classes;  // author classes, then linked, then reshared
  // Where the enumeration is not known to be complete (see the file comment); empty
  // for the default policy.
  std::vector<std::string> limits;
};

// Every class of `policy`'s decision space, in a deterministic order.
Result<DecisionSpace> EnumerateDecisionSpace(const CompiledPolicy& policy, const SpaceOptions& options);

// The class's JSON (shape above).
nlohmann::json DecisionClassJson(const CompiledPolicy& policy, const DecisionClass& c);

// One condition in words: `viewer.country ∈ EU27 \ {RU}`, `content.topics ∩ NEWS_POLITICS ≠ ∅`,
// `viewer.country ≠ account.affiliated_state`, `account.sanctions listed in eu_833_annex_xv`.
// Value sets are written with the policy's groups where that is shorter.
std::string ConditionText(const CompiledPolicy& policy, const ClassCondition& c);

// Whether the request (as parsed against `policy`) falls in class `c` for the subject
// whose facts are `subject` (AuthorFacts for the author; FillAccountFacts for a linked
// or reshared account).
bool ClassHolds(const CompiledPolicy& policy, const DecisionClass& c, const Request& request,
                const AccountFacts& subject);

// The class of `space` that holds for the request's author, or -1 when none does (only
// when the space was enumerated at another instant, or its enumeration was limited).
int FindAuthorClass(const CompiledPolicy& policy, const DecisionSpace& space, const Request& request);

}  // namespace statemark

#endif  // STATEMARK_ENGINE_DECISION_SPACE_H_
