// `statemark table [DIR] [--at TIME] [--format csv|markdown|json]`: every class of
// requests the policy tells apart, with its decision, the rules behind it and a sample
// request (engine/decision_table.h).
#include <iostream>

#include "cli/commands.h"
#include "cli/policy_loading.h"
#include "engine/decision_table.h"

namespace statemark::cli {

int Table(const Args& args_in) {
  Args args = args_in;
  bool bad = false;
  const std::optional<std::string> at = TakeFlag(&args, "--at", &bad);
  const std::string format = TakeFlag(&args, "--format", &bad).value_or("csv");
  if (bad || args.size() > 1 || (format != "csv" && format != "markdown" && format != "json")) {
    std::cerr << "usage: statemark table [DIR] [--at TIME] [--format csv|markdown|json]\n";
    return kExitUsage;
  }
  TableOptions options;
  if (at) {
    InstantOrError t = ParseRfc3339(*at);
    if (const auto* reason = std::get_if<std::string>(&t)) {
      std::cerr << "statemark table: invalid time `" << *at << "` for --at: " << *reason << "\n";
      return kExitUsage;
    }
    options.at = std::get<Instant>(t);
  }
  auto policy = LoadAndCompile(args.empty() ? "rules" : args[0]);
  if (!policy) return kExitFailed;
  Result<nlohmann::json> table = DecisionTableJson(*policy, options);
  if (!table.ok()) {
    std::cerr << RenderDiagnostics(table.diagnostics());
    return kExitFailed;
  }
  if (format == "json") {
    std::cout << table.value().dump(2) << "\n";
  } else if (format == "markdown") {
    std::cout << DecisionTableMarkdown(table.value());
  } else {
    std::cout << DecisionTableCsv(table.value());
  }
  return kExitOk;
}

}  // namespace statemark::cli
