// One CompiledPolicy shared by many threads without locks: every thread must get the
// same decisions as a single thread does.
#include <doctest/doctest.h>

#include <thread>
#include <vector>

#include "engine/request_generator.h"
#include "tests/test_support.h"

namespace statemark::testing {
namespace {

TEST_CASE("threads evaluating one compiled policy agree with a single thread") {
  auto policy = CompileOrFail(DefaultRulesDir());
  REQUIRE(policy);
  RequestGenerator generator(*policy, GeneratorOptions{});
  std::vector<std::string> requests, expected;
  for (int i = 0; i < 2000; ++i) {
    requests.push_back(generator.Next().dump());
    expected.push_back(DecideJson(*policy, requests.back()));
  }
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        for (size_t i = static_cast<size_t>(t); i < requests.size(); i += 1) {
          if (DecideJson(*policy, requests[i]) != expected[i]) ++mismatches[static_cast<size_t>(t)];
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int m : mismatches) CHECK(m == 0);
}

}  // namespace
}  // namespace statemark::testing
