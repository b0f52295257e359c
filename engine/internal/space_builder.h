// Not API: use engine/decision_space.h, engine/policy_diff.h or engine/lint.h.
//
// The enumerator behind the decision space, the diff and lint. It walks the decision
// trees of one or more compiled policies together (the same subject kind in each),
// intersecting the key attributes' value sets along the way, so that the classes it
// finds are the common refinement of all of them. At each tuple of leaves it splits
// on the request kind and on the outcome of every candidate's residual condition
// (disjointly: `any: [a, b]` holds as `a`, or as `not a and b`), builds a sample
// request for each combination that some request can reach, and checks with the real
// evaluator that each policy applies exactly the clauses the combination predicts.
//
// Time is split into intervals at every instant any policy or registry names, so that
// within an interval every window, `before` on the request time, listing and dated
// registry value is constant.
#ifndef STATEMARK_ENGINE_INTERNAL_SPACE_BUILDER_H_
#define STATEMARK_ENGINE_INTERNAL_SPACE_BUILDER_H_

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/compiled_policy.h"
#include "engine/decision.h"
#include "engine/decision_space.h"
#include "engine/request.h"
#include "engine/status.h"

namespace statemark {

// What one policy decides for one class, as seen from the class's subject.
struct ClassOutcome {
  Request* request = nullptr;  // the sample, parsed against this policy (DecisionSummary may read it)
  const Decision* decision = nullptr;  // the subject's clauses only, combined
  nlohmann::json summary;            // DecisionSummary()
  std::vector<std::string> matched;
  std::vector<uint32_t> clauses;
};

struct FoundClass {
  Subject subject = Subject::kAccount;
  Instant from = kBeginningOfTime;
  Instant until = kEndOfTime;
  std::vector<ClassCondition> conditions;
  const nlohmann::json* sample = nullptr;
  std::vector<ClassOutcome> outcomes;  // one per policy, in the order given
};

struct BuilderOptions {
  std::optional<Instant> at;
  size_t max_classes = 200000;
};

// Enumerates the classes of the common refinement of `policies` (1 or more, with the
// same vocabulary) and calls `visit` for each, per time interval. Returns the limits
// met (DecisionSpace::limits) or the diagnostics of a failure: too many classes, or a
// sample that the evaluator decides otherwise than predicted (a bug).
Result<std::vector<std::string>> EnumerateClasses(const std::vector<const CompiledPolicy*>& policies,
                                                  const BuilderOptions& options,
                                                  const std::function<void(const FoundClass&)>& visit);

// The decision summary of decision_space.h, for a decision holding one subject's
// clauses. `request` is the request it was made for; its targets are read, not kept.
nlohmann::json DecisionSummary(const CompiledPolicy& policy, Request* request, const Decision& decision);

// Recombines `decision` (its applied clauses and lifts) for `request`.
void Recombine(const CompiledPolicy& policy, const Request& request, Decision* decision);

// `P1`, `P2#1` (case 1), for a clause index.
std::string ClauseName(const CompiledPolicy& policy, uint32_t clause);

// Whether two policies declare the same vocabulary; otherwise the first difference.
std::optional<std::string> VocabularyDifference(const Vocabulary& a, const Vocabulary& b);

}  // namespace statemark

#endif  // STATEMARK_ENGINE_INTERNAL_SPACE_BUILDER_H_
