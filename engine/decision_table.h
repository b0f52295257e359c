// Decision table: the decision space of a policy (decision_space.h) as a table.
//
// JSON shape (DecisionTableJson):
//   {
//     "policy_version": "sha256:...",
//     "at": "2024-07-01T12:00:00Z" | null,      // the instant every class is decided at, if fixed
//     "surfaces": ["for_you", ...],               // the policy's surfaces, in declared order
//     "classes": [ <class JSON, see decision_space.h> ... ],
//     "limits": [ "..." ]                         // see DecisionSpace::limits
//   }
// CSV (RFC 4180, one header line) and Markdown have one row per class with the columns
//   class, subject, from, until, conditions, surfaces, labels, notice, friction,
//   monetization, ads, rules, matched, sample
// where `conditions` joins the conditions with " ∧ ", `surfaces` lists
// `surface=level` for every surface, and `sample` is the request as compact JSON.
//
// Thread safety: pure functions.
#ifndef STATEMARK_ENGINE_DECISION_TABLE_H_
#define STATEMARK_ENGINE_DECISION_TABLE_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "engine/compiled_policy.h"
#include "engine/decision_space.h"
#include "engine/instant.h"

namespace statemark {

struct TableOptions {
  std::optional<Instant> at;  // as SpaceOptions::at
};

// Enumerates and renders; on failure, the diagnostics (an internal error, or too
// many classes).
Result<nlohmann::json> DecisionTableJson(const CompiledPolicy& policy, const TableOptions& options);

// Renderers over the JSON above.
std::string DecisionTableCsv(const nlohmann::json& table);
std::string DecisionTableMarkdown(const nlohmann::json& table);

}  // namespace statemark

#endif  // STATEMARK_ENGINE_DECISION_TABLE_H_
