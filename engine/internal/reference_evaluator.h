// Not API. FOR TESTING AND EXPLANATION ONLY: the gold standard the decision tree is
// checked against.
//
// Decides a request by interpreting the Policy's rules one by one, exactly as written:
// no tree, no compiled conditions, string comparisons by text. It shares with the
// evaluator only what defines the answer rather than computes it: how account facts
// are read from the registry, the canonical clause numbering, and the combining rules
// (combine.h). It is slow on purpose; do not call it on a request path.
#ifndef STATEMARK_ENGINE_INTERNAL_REFERENCE_EVALUATOR_H_
#define STATEMARK_ENGINE_INTERNAL_REFERENCE_EVALUATOR_H_

#include <string>
#include <vector>

#include "engine/compiled_policy.h"
#include "engine/decision.h"
#include "engine/request.h"

namespace statemark::internal {

void ReferenceEvaluate(const CompiledPolicy& policy, const Request& request, Decision* decision);

// Whether `c` holds for a subject; when it does not and `miss` is given, *miss names
// the first test that failed ("account.affiliation is `none`, not one of ...").
bool ReferenceCondition(const CompiledPolicy& policy, const Condition& c, const Request& request,
                        const AccountFacts& subject, std::string* miss);

// The tests that make `c` hold, in words ("`account.affiliation` is `rt`, one of ...").
// REQUIRES: `c` holds for this subject.
std::vector<std::string> ReferenceReasons(const CompiledPolicy& policy, const Condition& c,
                                          const Request& request, const AccountFacts& subject);

// The index of the first clause of rule `rule` in the canonical clause numbering.
uint32_t FirstClauseOf(const Policy& policy, size_t rule);

}  // namespace statemark::internal

#endif  // STATEMARK_ENGINE_INTERNAL_REFERENCE_EVALUATOR_H_
