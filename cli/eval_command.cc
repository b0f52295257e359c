// `statemark eval [--rules DIR]`: JSON lines in, decision lines out, in order. A bad
// line gives an `{"error": ...}` line and the rest go on. This is the same decision
// path the server uses: ParseRequest -> Evaluate -> AppendDecisionJson.
#include <iostream>
#include <string>

#include "cli/commands.h"
#include "cli/policy_loading.h"
#include "engine/decision_json.h"
#include "engine/evaluator.h"
#include "engine/request_parser.h"

namespace statemark::cli {

int Eval(const Args& args_in) {
  Args args = args_in;
  bool bad = false;
  const std::string dir = TakeFlag(&args, "--rules", &bad).value_or("rules");
  if (bad || !args.empty()) {
    std::cerr << "usage: statemark eval [--rules DIR] < requests.jsonl\n";
    return kExitUsage;
  }
  auto policy = LoadAndCompile(dir);
  if (!policy) return kExitFailed;
  std::ios::sync_with_stdio(false);
  std::string line, out;
  Request request;
  RequestError error;
  auto decision = std::make_unique<Decision>();
  while (std::getline(std::cin, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    out.clear();
    if (!ParseRequestText(*policy, line, Now(), &request, &error)) {
      AppendErrorJson(error, &out);
    } else {
      Evaluate(*policy, request, decision.get());
      if (decision->overflow) {
        AppendErrorJson({"internal_error", "too many rules matched this request", ""}, &out);
      } else {
        AppendDecisionJson(*policy, request, *decision, &out);
      }
    }
    out += '\n';
    std::cout << out;
  }
  std::cout.flush();
  return kExitOk;
}

}  // namespace statemark::cli
