// Evaluator: decides one request by walking a CompiledPolicy.
//
// Evaluate() looks up the account in the registry, walks the decision tree once for
// the author, once per linked account and once for a reshared account, checks the
// residual conditions at each leaf, applies exemptions, and combines the effects.
// It allocates nothing: the Decision is caller-owned and may be reused.
//
// Thread safety: any number of threads may call Evaluate on one CompiledPolicy.
#ifndef STATEMARK_ENGINE_EVALUATOR_H_
#define STATEMARK_ENGINE_EVALUATOR_H_

#include "engine/compiled_policy.h"
#include "engine/decision.h"
#include "engine/request.h"

namespace statemark {

// REQUIRES: `request` was parsed against `policy`.
// On return, decision->overflow tells whether the decision is complete.
void Evaluate(const CompiledPolicy& policy, const Request& request, Decision* decision);

// Fills `facts` with the attributes of registry account `index` as of `time`
// (dated attributes before their date read as their default).
void FillAccountFacts(const CompiledPolicy& policy, int index, Instant time, AccountFacts* facts);

// The author's facts: from the registry when it holds the id, else the inline ones.
void FillAuthorFacts(const CompiledPolicy& policy, const Request& request, AccountFacts* facts);

// As FillAuthorFacts, without copying when it need not: returns either *scratch
// (filled) or the request's own inline account facts.
const AccountFacts& AuthorFacts(const CompiledPolicy& policy, const Request& request,
                                AccountFacts* scratch);

}  // namespace statemark

#endif  // STATEMARK_ENGINE_EVALUATOR_H_
