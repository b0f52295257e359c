// `statemark-bench requests` and `statemark-bench batch`: generated request text.
#include <iostream>

#include "bench/bench_commands.h"
#include "cli/policy_loading.h"
#include "engine/request_generator.h"

namespace statemark::bench {

int GenerateRequests(const Args& args_in, bool as_batch) {
  cli::Args args = args_in;
  bool bad = false;
  const std::string dir = cli::TakeFlag(&args, "--rules", &bad).value_or("rules");
  const long count = std::stol(cli::TakeFlag(&args, as_batch ? "--items" : "--count", &bad).value_or("1000"));
  const uint64_t seed = std::stoull(cli::TakeFlag(&args, "--seed", &bad).value_or("1"));
  if (bad || !args.empty()) {
    std::cerr << "usage: statemark-bench requests --count N | batch --items N [--seed S] [--rules DIR]\n";
    return 2;
  }
  auto policy = cli::LoadAndCompile(dir);
  if (!policy) return 1;
  GeneratorOptions options;
  options.seed = seed;
  RequestGenerator generator(*policy, options);
  std::ios::sync_with_stdio(false);
  if (as_batch) std::cout << "{\"items\":[";
  for (long i = 0; i < count; ++i) {
    if (as_batch && i > 0) std::cout << ',';
    std::cout << generator.Next().dump();
    if (!as_batch) std::cout << '\n';
  }
  if (as_batch) std::cout << "]}\n";
  return 0;
}

}  // namespace statemark::bench
