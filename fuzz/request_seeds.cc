// Writes seed requests for the request fuzzers: `request_seeds DIR N` writes N requests
// made by the engine's request generator over the default policy, one file each.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "engine/request_generator.h"
#include "fuzz/fuzz_support.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: request_seeds DIR N\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  statemark::GeneratorOptions options;
  options.seed = 6;
  statemark::RequestGenerator generator(statemark::fuzz::DefaultPolicy(), options);
  const int n = std::atoi(argv[2]);
  for (int i = 0; i < n; ++i) {
    statemark::fuzz::WriteFile(dir / ("generated_" + std::to_string(i) + ".json"), generator.Next().dump());
  }
  return 0;
}
