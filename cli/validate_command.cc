// `statemark validate [DIR]`: load and compile; report every problem.
#include <iostream>

#include "cli/commands.h"
#include "cli/policy_loading.h"

namespace statemark::cli {

int Validate(const Args& args_in) {
  Args args = args_in;
  bool bad = false;
  std::string dir = TakeFlag(&args, "--rules", &bad).value_or("rules");
  const bool dump = TakeSwitch(&args, "--dump");
  if (!args.empty() && args[0].rfind("--", 0) != 0) {
    dir = args[0];
    args.erase(args.begin());
  }
  if (bad || !args.empty()) {
    std::cerr << "usage: statemark validate [DIR] [--dump]\n";
    return kExitUsage;
  }
  auto policy = LoadAndCompile(dir);
  if (!policy) return kExitFailed;
  if (dump) std::cout << policy->DebugString();
  const TreeStats& s = policy->stats();
  std::cout << "ok: " << dir << ": " << policy->policy().rules.size() << " rules, "
            << policy->registry().size() << " accounts, decision tree of " << s.nodes
            << " nodes (" << s.leaves << " leaves, depth " << s.max_depth << ", at most "
            << s.max_leaf << " candidates per leaf, " << s.bytes << " bytes); "
            << policy->version() << "\n";
  return kExitOk;
}

}  // namespace statemark::cli
