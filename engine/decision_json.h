// The decision's JSON form, exactly as the contract (docs/contract.md) specifies.
//
// Field order and number formatting are fixed, so the same request against the same
// policy version gives the same bytes. Output is appended to a caller-owned string
// so a server can reuse one buffer per connection.
//
// Thread safety: pure.
#ifndef STATEMARK_ENGINE_DECISION_JSON_H_
#define STATEMARK_ENGINE_DECISION_JSON_H_

#include <string>

#include "engine/compiled_policy.h"
#include "engine/decision.h"
#include "engine/request.h"
#include "engine/request_parser.h"

namespace statemark {

// Appends the decision as one JSON object (no trailing newline).
void AppendDecisionJson(const CompiledPolicy& policy, const Request& request,
                        const Decision& decision, std::string* out);

// Appends `{"error": {"code": ..., "message": ..., "path": ...}}`.
void AppendErrorJson(const RequestError& error, std::string* out);

// Appends `s` as a JSON string literal (quoted, escaped, UTF-8 passed through).
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace statemark

#endif  // STATEMARK_ENGINE_DECISION_JSON_H_
