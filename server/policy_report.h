// The JSON bodies of GET /v1/policy and POST /v1/policy/reload.
//
// GET /v1/policy (200 with a policy; 503 `policy_not_loaded` without one, still
// carrying `last_reload`):
//   {"policy_version": "sha256:...", "loaded_at": "...", "rules_dir": "rules",
//    "files": [{"path": "platform.yaml", "sha256": "..."}, ...],
//    "rules": 20, "registry_accounts": 28,
//    "tree": {"nodes": 901, "leaves": 439, "max_depth": 7, "bytes": 70962,
//             "hash": "...", "fell_back": false},
//    "last_reload": {"ok": false, "trigger": "api", "at": "...", "seconds": 0.08,
//                    "version": "...", "error_count": 1,
//                    "diagnostics": [...], "rendered": "file:line:col: error[...]..."}}
// `last_reload` is present once any load has been attempted; `diagnostics` and
// `rendered` list every error and warning of that attempt.
//
// POST /v1/policy/reload answers 200 with
//   {"reloaded": true, "policy_version": ..., "previous_version": ..., "changed": bool,
//    "seconds": ..., "diagnostics": [...warnings], "rendered": "..."}
// or, when the rules have errors, 422 with
//   {"error": {"code": "policy_invalid", "message": "...", "path": ""},
//    "policy_version": <still serving>, "diagnostics": [...], "rendered": "..."}
//
// Each diagnostic is {"severity", "file", "line", "column", "code", "message"}.
//
// Thread safety: pure functions.
#ifndef STATEMARK_SERVER_POLICY_REPORT_H_
#define STATEMARK_SERVER_POLICY_REPORT_H_

#include <optional>
#include <string>

#include "server/decide_handler.h"
#include "server/policy_store.h"

namespace statemark::server {

// GET /v1/policy.
void PolicyReport(const PolicySnapshot* snapshot, const std::string& rules_dir,
                  const std::optional<ReloadResult>& last_attempt, Answer* answer);

// POST /v1/policy/reload, after the reload ran.
void ReloadReport(const ReloadResult& result, const std::string& rules_dir, Answer* answer);

// One line for the event log about a reload (with the rendered diagnostics of a
// failure), ending in a newline.
std::string ReloadEventLine(const ReloadResult& result, const std::string& rules_dir);

}  // namespace statemark::server

#endif  // STATEMARK_SERVER_POLICY_REPORT_H_
