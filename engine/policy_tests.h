// Policy tests: a policy's own test cases, written as data, and their runner.
//
// A policy directory may hold `tests/*.yaml`, each file `tests: [...]`. A test case is
// a request (the contract's JSON, written as YAML) and what its decision must hold:
//
//   tests:
//     - name: RT is withheld from a viewer in Germany
//       tags: [legal]
//       request: { time: "2024-07-01T12:00:00Z", viewer: { country: DE },
//                  account: { id: rt_en }, content: { topics: [current_global_affairs] } }
//       expect:
//         surfaces: { all: geo_blocked }
//         notice: withheld in DE in response to a legal demand
//         rules: [L1]
//
// Fields of a case: `name` (unique across files), `request`, exactly one of `expect` and
// `expect_error`, and optionally `tags`, `clock` (the caller's clock, used when the
// request has no `time`) and `note` (why the case expects what it does).
//
// `expect` names decision fields. `surfaces` compares only the surfaces it lists; `all`
// stands for every surface, and a surface listed beside it overrides it. Every other
// field compares exactly (JSON equality): `labels` is the whole rendered list, `rules`
// the whole sorted list, `ad` the whole object. A decision that carries warnings fails
// unless `expect` says `warnings`: a misspelt request field is reported by the request
// parser as a warning, and would otherwise test a different request than written.
// `expect_error: {code, message?, path?}` expects the request to be rejected.
//
// YAML scalars become JSON strings, except plain `true`, `false`, `null` (and `~` or an
// empty value) and plain integers; quoting keeps any of them a string.
//
// Thread safety: pure functions over their arguments.
#ifndef STATEMARK_ENGINE_POLICY_TESTS_H_
#define STATEMARK_ENGINE_POLICY_TESTS_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/compiled_policy.h"
#include "engine/instant.h"
#include "engine/status.h"

namespace statemark {

struct PolicyTestCase {
  std::string name;
  std::string file;  // as LoadPolicyTests found it: `<tests_dir>/<file>.yaml`
  int line = 0;      // 1-based line of the case's first field
  std::string note;
  nlohmann::json request;
  std::optional<Instant> clock;                // the caller's clock; absent means Now()
  nlohmann::json expect;                       // an object; empty when expect_error is set
  std::optional<nlohmann::json> expect_error;  // {code, message?, path?}
  std::vector<std::string> tags;
};

// Reads every `*.yaml` directly in `tests_dir`, in name order, cases in file order.
// Strict: an unknown field, a missing `name` or `request`, a duplicate name or a
// malformed value is an error with file:line:column; every error found is reported.
Result<std::vector<PolicyTestCase>> LoadPolicyTests(const std::string& tests_dir);

struct PolicyTestResult {
  const PolicyTestCase* test = nullptr;  // into the cases passed to RunPolicyTests
  bool passed = false;
  // One line per difference: "surfaces.for_you: expected `ineligible`, got `demoted`".
  std::vector<std::string> mismatches;
  std::string decision_json;                // the decision, or the error JSON of a rejected request
  std::vector<std::string> deciding_rules;  // the decision's `rules`, sorted
  std::vector<std::string> shadow_rules;    // the rules of its `shadow` entries
};

// Decides every case that `filter` selects, exactly as `statemark eval` would, and
// compares. `filter` is empty (every case), `tag:NAME` (cases tagged NAME) or text that
// the case's name contains. Results are in the order of `tests`.
// REQUIRES: `tests` outlives the results.
std::vector<PolicyTestResult> RunPolicyTests(const CompiledPolicy& policy,
                                             const std::vector<PolicyTestCase>& tests,
                                             std::string_view filter);

// Whether `filter` (as for RunPolicyTests) selects `test`.
bool MatchesFilter(const PolicyTestCase& test, std::string_view filter);

// The mismatches between a decision (parsed JSON) and an `expect` object, in the order
// the contract lists decision fields (surfaces in the policy's order), then `expect`'s
// unknown fields. Empty when the decision satisfies it.
std::vector<std::string> CompareDecision(const CompiledPolicy& policy, const nlohmann::json& expect,
                                         const nlohmann::json& decision);

// Rule coverage: a rule decided a case when its id is in the decision's `rules`, or,
// for a shadow rule, in a `shadow[].rule`. Exemptions count: they appear in `rules`
// when they lifted something.
struct Coverage {
  int rules_total = 0;
  int rules_deciding = 0;
  std::vector<std::string> rules_never_deciding;  // in rule id order
  double rule_coverage = 100.0;                   // percent; 100 for a policy without rules
};

Coverage ComputeCoverage(const CompiledPolicy& policy,
                         const std::vector<PolicyTestResult>& results);

}  // namespace statemark

#endif  // STATEMARK_ENGINE_POLICY_TESTS_H_
