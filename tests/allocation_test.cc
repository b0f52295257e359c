// The evaluator's hot path allocates nothing: the test binary replaces the global
// operator new with one that counts calls per thread (cli/allocation_counter.cc), and
// Evaluate() must not move the count, for any request. Builds that count nothing (the
// sanitizer builds, -DSTATEMARK_COUNT_ALLOCATIONS=OFF) skip these cases and say so.
#include <doctest/doctest.h>

#include <cstdio>

#include "cli/allocation_counter.h"
#include "engine/evaluator.h"
#include "engine/request_generator.h"
#include "engine/request_parser.h"
#include "tests/test_support.h"

namespace statemark::testing {

// Declared in tests/test_support.h; the note on stderr is printed once.
bool SkipUncountedAllocationTests() {
  static const bool skip = [] {
    if (!cli::AllocationsCounted()) {
      std::fprintf(stderr,
                   "allocation tests skipped: this build does not count allocations "
                   "(STATEMARK_COUNT_ALLOCATIONS=OFF, the sanitizer runtimes replace operator new)\n");
    }
    return !cli::AllocationsCounted();
  }();
  return skip;
}

namespace {

TEST_CASE("Evaluate allocates nothing" * doctest::skip(SkipUncountedAllocationTests())) {
  auto policy = CompileOrFail(DefaultRulesDir());
  REQUIRE(policy);
  RequestGenerator generator(*policy, GeneratorOptions{});
  auto decision = std::make_unique<Decision>();
  long evaluated = 0;
  for (int i = 0; i < 5000; ++i) {
    Request request;
    RequestError error;
    if (!ParseRequest(*policy, generator.Next(), Instant{0}, &request, &error)) continue;
    const long before = cli::ThreadAllocations();
    Evaluate(*policy, request, decision.get());
    const long after = cli::ThreadAllocations();
    REQUIRE(after == before);
    ++evaluated;
  }
  CHECK(evaluated > 4000);
}

TEST_CASE("the allocation counter sees allocations" * doctest::skip(SkipUncountedAllocationTests())) {
  const long before = cli::ThreadAllocations();
  auto* p = new int(7);
  CHECK(cli::ThreadAllocations() == before + 1);
  delete p;
}

}  // namespace
}  // namespace statemark::testing
