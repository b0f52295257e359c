// `statemark diff OLD_DIR NEW_DIR [--at TIME] [--traffic FILE] [--format text|json|markdown]`:
// every class of requests whose decision changes between two versions of a policy
// (engine/policy_diff.h). Exit status 0 when nothing changes, 1 when something does.
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "cli/policy_loading.h"
#include "engine/policy_diff.h"

namespace statemark::cli {

int Diff(const Args& args_in) {
  Args args = args_in;
  bool bad = false;
  const std::optional<std::string> at = TakeFlag(&args, "--at", &bad);
  const std::optional<std::string> traffic = TakeFlag(&args, "--traffic", &bad);
  const std::string format = TakeFlag(&args, "--format", &bad).value_or("text");
  if (bad || args.size() != 2 || (format != "text" && format != "markdown" && format != "json")) {
    std::cerr << "usage: statemark diff OLD_DIR NEW_DIR [--at TIME] [--traffic FILE] [--format text|json|markdown]\n";
    return kExitUsage;
  }
  DiffOptions options;
  if (at) {
    InstantOrError t = ParseRfc3339(*at);
    if (const auto* reason = std::get_if<std::string>(&t)) {
      std::cerr << "statemark diff: invalid time `" << *at << "` for --at: " << *reason << "\n";
      return kExitUsage;
    }
    options.at = std::get<Instant>(t);
  }
  std::vector<std::string> lines;
  if (traffic) {
    std::ifstream in(*traffic);
    if (!in) {
      std::cerr << "statemark diff: cannot read `" << *traffic << "`\n";
      return kExitUsage;
    }
    for (std::string line; std::getline(in, line);) lines.push_back(line);
  }
  auto before = LoadAndCompile(args[0]);
  auto after = LoadAndCompile(args[1]);
  if (!before || !after) return kExitFailed;
  Result<nlohmann::json> diff = PolicyDiffJson(*before, *after, options);
  if (!diff.ok()) {
    std::cerr << RenderDiagnostics(diff.diagnostics());
    return kExitFailed;
  }
  nlohmann::json j = diff.value();
  if (traffic) j["traffic"] = CountTraffic(*before, *after, lines, Now());
  if (format == "json") {
    std::cout << j.dump(2) << "\n";
  } else if (format == "markdown") {
    std::cout << PolicyDiffMarkdown(j);
  } else {
    std::cout << PolicyDiffText(j);
  }
  const bool changed = !j["changes"].empty() || !j["registry"].empty() ||
                       (j.contains("traffic") && j["traffic"]["changed"].get<size_t>() > 0);
  return changed ? kExitFailed : kExitOk;
}

}  // namespace statemark::cli
