// `statemark explain [--rules DIR] [--json] REQUEST.json`: the decision and the reason
// for every part of it. REQUEST.json holds one request (`-` reads stdin).
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "cli/policy_loading.h"
#include "engine/decision_json.h"
#include "engine/explain.h"
#include "engine/request_parser.h"

namespace statemark::cli {

int Explain(const Args& args_in) {
  Args args = args_in;
  bool bad = false;
  const std::string dir = TakeFlag(&args, "--rules", &bad).value_or("rules");
  const bool json = TakeSwitch(&args, "--json");
  if (bad || args.size() != 1) {
    std::cerr << "usage: statemark explain [--rules DIR] [--json] REQUEST.json\n";
    return kExitUsage;
  }
  std::stringstream text;
  if (args[0] == "-") {
    text << std::cin.rdbuf();
  } else {
    std::ifstream in(args[0]);
    if (!in) {
      std::cerr << "statemark explain: cannot read `" << args[0] << "`\n";
      return kExitUsage;
    }
    text << in.rdbuf();
  }
  auto policy = LoadAndCompile(dir);
  if (!policy) return kExitFailed;
  Request request;
  RequestError error;
  if (!ParseRequestText(*policy, text.str(), Now(), &request, &error)) {
    std::string out;
    AppendErrorJson(error, &out);
    std::cout << out << "\n";
    return kExitFailed;
  }
  const Explanation e = statemark::Explain(*policy, request);
  if (json) {
    std::cout << ExplanationJson(e).dump(2) << "\n";
  } else {
    std::cout << e.decision_json << "\n\n" << RenderExplanationText(e);
  }
  return e.agrees ? kExitOk : kExitFailed;
}

}  // namespace statemark::cli
