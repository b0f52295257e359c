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
    "  bundle DIR -o FILE [--revision REV] [--sign KEY] | inspect FILE | keygen PRIV PUB\n"
    "                                  pack a policy into a signed bundle (docs/deployment.md)\n"
    "  eval [--rules DIR]              requests as JSON lines on stdin, decisions on stdout\n"
    "  validate [DIR] [--dump]         load and compile a policy; report every problem\n"
    "  test [DIR] [--filter TEXT] [--junit FILE] [--min-coverage N]\n"
    "                                  run the policy's own test cases\n"
    "  explain [--rules DIR] REQUEST.json\n"
    "                                  the decision, with the reason for every part\n"
    "  bench [--rules DIR] [--requests FILE | --generate N] [--seconds T] [--json]\n"
    "                                  evaluation speed per decision\n"
    "  fmt [--check] [PATH...]         rewrite rule and test files in canonical form\n"
    "  table [DIR] [--at TIME] [--format csv|markdown|json]\n"
    "                                  every class of requests, its decision and rules\n"
    "  diff OLD_DIR NEW_DIR [--at TIME] [--traffic FILE] [--format text|json|markdown]\n"
    "                                  every class whose decision changes\n"
    "  lint [DIR] [--json]             rules that never match or change nothing, unused names\n"
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
      {"bundle", statemark::cli::Bundle},
      {"fmt", statemark::cli::Fmt},
      {"table", statemark::cli::Table},
      {"diff", statemark::cli::Diff},
      {"lint", statemark::cli::Lint},
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
