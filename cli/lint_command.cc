// `statemark lint [DIR] [--json]`: rules that never match or change nothing, exemptions
// that lift nothing, names declared and never used (engine/lint.h). Exit status 1 when
// there is a finding.
#include <iostream>

#include "cli/commands.h"
#include "cli/policy_loading.h"
#include "engine/lint.h"

namespace statemark::cli {

int Lint(const Args& args_in) {
  Args args = args_in;
  const bool json = TakeSwitch(&args, "--json");
  if (args.size() > 1 || (!args.empty() && args[0].rfind("--", 0) == 0)) {
    std::cerr << "usage: statemark lint [DIR] [--json]\n";
    return kExitUsage;
  }
  auto policy = LoadAndCompile(args.empty() ? "rules" : args[0]);
  if (!policy) return kExitFailed;
  Result<LintResult> result = statemark::Lint(*policy);
  if (!result.ok()) {
    std::cerr << RenderDiagnostics(result.diagnostics());
    return kExitFailed;
  }
  if (json) {
    std::cout << LintJson(*policy, result.value()).dump(2) << "\n";
  } else if (result.value().findings.empty()) {
    std::cout << "ok: no findings\n";
  } else {
    std::cout << LintText(result.value());
  }
  return result.value().findings.empty() ? kExitOk : kExitFailed;
}

}  // namespace statemark::cli
