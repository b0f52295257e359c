// statemark-bench: the measurements that `statemark bench` does not make itself, run by
// scripts/bench.sh. Each subcommand prints one JSON object (or request text) on stdout.
//
//   requests --count N [--seed S] [--rules DIR]       N generated requests, JSON lines
//   batch --items N [--seed S] [--rules DIR]          one batch body {"items": [...]}
//   json --requests FILE [--rules DIR] [--seconds T]  the eval path against parse+dump
//   bare-server --port P [--threads N] --body FILE    cpp-httplib answering a fixed body
//   load --port P --path PATH --body FILE [--connections C] [--seconds T] [--items N]
//                                                     keep-alive HTTP load, one client per
//                                                     connection, latency percentiles
//   wait --port P                                     until GET /healthz answers (10 s)
//   report DIR                                        the figures table of scripts/bench.sh
//   yaml FILE [--repeat N]                            the YAML readers on one policy file
#include <iostream>
#include <string>
#include <vector>

#include "bench/bench_commands.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << "usage: statemark-bench requests|batch|json|bare-server|load|wait|report ...\n";
    return 2;
  }
  const std::string command = args.front();
  args.erase(args.begin());
  using namespace statemark::bench;
  if (command == "requests") return GenerateRequests(args, false);
  if (command == "batch") return GenerateRequests(args, true);
  if (command == "json") return JsonThroughput(args);
  if (command == "bare-server") return BareServer(args);
  if (command == "load") return Load(args);
  if (command == "wait") return WaitReady(args);
  if (command == "report") return Report(args);
  if (command == "yaml") return YamlParsers(args);
  std::cerr << "statemark-bench: unknown command `" << command << "`\n";
  return 2;
}
