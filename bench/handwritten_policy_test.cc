// The hand-written default policy must decide exactly as the engine does, or the
// benchmark's baseline would measure a different policy.
#include <doctest/doctest.h>

#include <memory>

#include "bench/handwritten_policy.h"
#include "cli/allocation_counter.h"
#include "engine/evaluator.h"
#include "engine/request_generator.h"
#include "engine/request_parser.h"
#include "tests/test_support.h"

namespace statemark::testing {
namespace {

TEST_CASE("the hand-written default policy agrees with the engine on generated requests") {
  auto policy = CompileOrFail(DefaultRulesDir());
  REQUIRE(policy);
  const bench::HandwrittenPolicy hand(*policy);
  for (uint64_t seed : {1u, 2u, 3u}) {
    GeneratorOptions options;
    options.seed = seed;
    RequestGenerator generator(*policy, options);
    auto decision = std::make_unique<Decision>();
    bench::HandwrittenDecision mine;
    Request request;
    RequestError error;
    long compared = 0, disagreed = 0, restricted = 0, labelled = 0;
    for (int i = 0; i < 20000; ++i) {
      const nlohmann::json json = generator.Next();
      if (!ParseRequest(*policy, json, Now(), &request, &error)) continue;
      Evaluate(*policy, request, decision.get());
      hand.Decide(request, &mine);
      std::string difference;
      ++compared;
      restricted += mine.levels[0] > 0 ? 1 : 0;
      labelled += mine.label_count > 0 ? 1 : 0;
      if (!bench::SameOutcome(*policy, request, *decision, mine, &difference) && ++disagreed <= 3) {
        FAIL_CHECK("hand-written policy disagrees: " << difference << "\nrequest: " << json.dump());
      }
    }
    CHECK(compared > 15000);
    // The mix exercises the rules, not only unaffiliated accounts.
    CHECK(restricted > compared / 50);
    CHECK(labelled > compared / 50);
    CHECK(disagreed == 0);
  }
}

TEST_CASE("the hand-written default policy allocates nothing" *
          doctest::skip(SkipUncountedAllocationTests())) {
  auto policy = CompileOrFail(DefaultRulesDir());
  REQUIRE(policy);
  const bench::HandwrittenPolicy hand(*policy);
  RequestGenerator generator(*policy);
  std::vector<Request> requests(500);
  RequestError error;
  for (Request& r : requests) {
    while (!ParseRequest(*policy, generator.Next(), Now(), &r, &error)) {
    }
  }
  bench::HandwrittenDecision out;
  const long before = cli::ThreadAllocations();
  for (const Request& r : requests) hand.Decide(r, &out);
  CHECK(cli::ThreadAllocations() - before == 0);
}

}  // namespace
}  // namespace statemark::testing
