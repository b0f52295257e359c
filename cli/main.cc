// statemark: decisions on state-affiliated accounts, from YAML policy.
// main() only dispatches; each subcommand lives in its own file.
#include <iostream>
#include <map>
#include <string>

#include "cli/commands.h"

namespace {

constexpr const char* kUsage =
    "usage: statemark COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  serve [--rules DIR] [--host H] [--port P] [--watch] ...\n"
    "                                  the HTTP decision service (docs/service.md)\n"
    "  eval [--rules DIR]              requests as JSON lines on stdin, decisions on stdout\n"
    "  validate [DIR] [--dump]         load and compile a policy; report every problem\n"
    "  test [DIR] [--filter TEXT] [--junit FILE] [--min-coverage N]\n"
    "                                  run the policy's own test cases\n"
    "  explain [--rules DIR] REQUEST.json\n"
    "                                  the decision, with the reason for every part\n"
    "  bench [--rules DIR] [--requests FILE | --generate N] [--seconds T] [--json]\n"
    "                                  evaluation speed per decision\n"
    "  fmt [--check] [PATH...]         rewrite rule and test files in canonical form\n"
    "\n"
    "exit status: 0 success, 1 a check failed, 2 usage error\n";

}  // namespace

int main(int argc, char** argv) {
  using statemark::cli::Args;
  if (argc < 2) {
    std::cerr << kUsage;
    return statemark::cli::kExitUsage;
  }
  const std::string command = argv[1];
  const Args args(argv + 2, argv + argc);
  const std::map<std::string, int (*)(const Args&)> commands = {
      {"eval", statemark::cli::Eval},
      {"validate", statemark::cli::Validate},
      {"test", statemark::cli::Test},
      {"explain", statemark::cli::Explain},
      {"bench", statemark::cli::Bench},
      {"serve", statemark::cli::Serve},
      {"fmt", statemark::cli::Fmt},
  };
  if (command == "help" || command == "--help" || command == "-h") {
    std::cout << kUsage;
    return statemark::cli::kExitOk;
  }
  auto it = commands.find(command);
  if (it == commands.end()) {
    std::cerr << "statemark: unknown command `" << command << "`\n\n" << kUsage;
    return statemark::cli::kExitUsage;
  }
  return it->second(args);
}
