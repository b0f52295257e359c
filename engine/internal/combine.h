// Not API: use engine/evaluator.h.
//
// The combining rules, written once and shared by the evaluator, the reference
// evaluator and the shadow report. See engine/decision.h for the rules in words.
#ifndef STATEMARK_ENGINE_INTERNAL_COMBINE_H_
#define STATEMARK_ENGINE_INTERNAL_COMBINE_H_

#include "engine/compiled_policy.h"
#include "engine/decision.h"
#include "engine/request.h"

namespace statemark::internal {

// Recomputes every outcome field of `d` (levels, withheld, notice, friction,
// monetization, ad_allowed, labels, rules) from d->applied and d->lifts.
// Does not allocate.
void Combine(const CompiledPolicy& policy, const Request& request, Decision* d);

// The set of countries an applied clause allows an ad to target (all countries when
// the clause has no ads effect).
ValueSet AllowedBy(const CompiledPolicy& policy, const AppliedClause& a);

// Whether the clause's effects count on this kind of request: ads effects only on ad
// requests, everything else on any request.
bool ClauseActsOn(const CompiledPolicy& policy, const AppliedClause& a, bool is_ad);

}  // namespace statemark::internal

#endif  // STATEMARK_ENGINE_INTERNAL_COMBINE_H_
