// The evaluator's hot path allocates nothing: this binary replaces the global
// operator new with one that counts calls per thread, and Evaluate() must not move
// the count, for any request.
#include <doctest/doctest.h>

#include <cstdlib>
#include <new>

#include "engine/evaluator.h"
#include "engine/request_generator.h"
#include "engine/request_parser.h"
#include "tests/test_support.h"

namespace {
thread_local long allocations = 0;
}  // namespace

void* operator new(std::size_t n) {
  ++allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace statemark::testing {
namespace {

TEST_CASE("Evaluate allocates nothing") {
  auto policy = CompileOrFail(DefaultRulesDir());
  REQUIRE(policy);
  RequestGenerator generator(*policy, GeneratorOptions{});
  auto decision = std::make_unique<Decision>();
  long evaluated = 0;
  for (int i = 0; i < 5000; ++i) {
    Request request;
    RequestError error;
    if (!ParseRequest(*policy, generator.Next(), Instant{0}, &request, &error)) continue;
    const long before = allocations;
    Evaluate(*policy, request, decision.get());
    const long after = allocations;
    REQUIRE(after == before);
    ++evaluated;
  }
  CHECK(evaluated > 4000);
}

TEST_CASE("the allocation counter sees allocations") {
  const long before = allocations;
  auto* p = new int(7);
  CHECK(allocations == before + 1);
  delete p;
}

}  // namespace
}  // namespace statemark::testing
