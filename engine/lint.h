// Lint: findings about a policy, computed exactly from its decision space.
//
// Findings (code, and what each means):
//   never-matches      a clause (a rule's `then` or one case) that matches no request at
//                      any time: contradictory conditions, or a window in which its
//                      conditions cannot hold
//   no-effect          a rule that changes no decision: the policy without it decides
//                      every request as the policy with it (shadowed by other rules, or
//                      redundant). Shadow rules are judged by their `shadow` report.
//   lifts-nothing      an exemption that lifts no clause in any request, or one rule of
//                      its `lifts` that it never lifts
//   unused-label, unused-notice, unused-friction, unused-group, unused-window,
//   unused-value       a declared label, notice, friction value, group, window or enum
//                      value (of a domain no request attribute uses) that nothing uses
// Each finding points at the YAML that declares it and, where one exists, carries an
// example request that shows it (for no-effect: a request the rule matches whose
// decision is the same without it).
//
// JSON shape (LintJson):
//   {"policy_version": "sha256:...",
//    "findings": [ {"code": "no-effect", "rule": "P3" | null, "file": "rules/platform.yaml",
//                   "line": 31, "column": 5, "message": "...", "example": {request} | null} ],
//    "limits": [ ... as DecisionSpace::limits ... ]}
//
// Thread safety: pure functions.
#ifndef STATEMARK_ENGINE_LINT_H_
#define STATEMARK_ENGINE_LINT_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/compiled_policy.h"
#include "engine/status.h"

namespace statemark {

struct LintFinding {
  std::string code;
  std::string rule;  // empty when the finding is not about a rule
  SourceLocation at;
  std::string message;                  // house style: lowercase, names in backticks
  std::optional<nlohmann::json> example;  // a request that shows it
};

struct LintResult {
  std::vector<LintFinding> findings;  // sorted by file, line, column, code
  std::vector<std::string> limits;
};

// Loads nothing: works on the compiled policy (and, for no-effect, recompiles the
// policy without each rule in turn).
Result<LintResult> Lint(const CompiledPolicy& policy);

nlohmann::json LintJson(const CompiledPolicy& policy, const LintResult& result);

// `file:line:column: warning[code]: message`, then `  example: {request}` when there is one.
std::string LintText(const LintResult& result);

}  // namespace statemark

#endif  // STATEMARK_ENGINE_LINT_H_
