// Differential tests: the compiled decision tree against the reference evaluator,
// which interprets the rules one by one. Any disagreement, field for field, fails.
//
// STATEMARK_DIFFERENTIAL_REQUESTS sets the number of requests per policy (default
// 20,000 for the default policy; the long run in scripts/long-tests.sh uses 1,000,000).
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "engine/compiler.h"
#include "engine/loader.h"
#include "engine/request_generator.h"
#include "tests/random_policy.h"
#include "tests/test_support.h"

namespace statemark::testing {
namespace {

long RequestCount(long fallback) {
  const char* env = std::getenv("STATEMARK_DIFFERENTIAL_REQUESTS");
  return env != nullptr ? std::atol(env) : fallback;
}

// Decides `n` generated requests both ways; returns how many disagreed (reporting the
// first few in full).
long CompareOn(const CompiledPolicy& policy, uint64_t seed, long n) {
  GeneratorOptions options;
  options.seed = seed;
  RequestGenerator generator(policy, options);
  long disagreements = 0;
  for (long i = 0; i < n; ++i) {
    const std::string request = generator.Next().dump();
    const std::string tree = DecideJson(policy, request);
    const std::string reference = ReferenceDecideJson(policy, request);
    if (tree != reference) {
      if (++disagreements <= 3) {
        FAIL_CHECK("tree and reference disagree\nrequest:   " << request << "\ntree:      " << tree
                                                            << "\nreference: " << reference);
      }
    }
  }
  return disagreements;
}

TEST_CASE("the decision tree agrees with the reference evaluator on the default policy") {
  auto policy = CompileOrFail(DefaultRulesDir());
  REQUIRE(policy);
  const long n = RequestCount(20000);
  CHECK(CompareOn(*policy, 20241105, n) == 0);
}

TEST_CASE("the decision tree agrees with the reference evaluator on random policies") {
  const long n = std::max(1L, RequestCount(20000) / 4);
  for (uint64_t seed = 1; seed <= static_cast<uint64_t>(ScaledCount(8)); ++seed) {
    CAPTURE(seed);
    ScratchDir dir;
    dir.CopyDefaultPolicy();
    for (const char* f : {"integrity.yaml", "legal.yaml", "platform.yaml", "exemptions.yaml"}) {
      std::filesystem::remove(dir.path() / f);
    }
    dir.Write("random.yaml", RandomRulesYaml(seed, 40 + static_cast<int>(seed) * 15));
    auto policy = CompileOrFail(dir.str());
    REQUIRE(policy);
    CHECK(CompareOn(*policy, seed * 7919, n) == 0);
  }
}

TEST_CASE("edge tables on no node, some nodes or every node: the same tree, the same decisions") {
  auto loaded = LoadPolicy(DefaultRulesDir());
  REQUIRE(loaded.ok());
  const long n = std::max(1L, RequestCount(20000) / 4);
  std::string tree_hash;
  size_t bytes_without = 0;  // the compiled arrays without edge tables
  size_t previous_bytes = 0;
  // 0: class maps only; 4 KB: the top levels only (a country row is about 1 KB); default: all.
  for (size_t budget : {size_t{0}, size_t{4096}, CompileOptions().max_edge_bytes}) {
    CAPTURE(budget);
    CompileOptions options;
    options.max_edge_bytes = budget;
    auto compiled = Compile(loaded.value(), options);
    REQUIRE(compiled.ok());
    const CompiledPolicy& policy = *compiled.value();
    if (budget == 0) {
      tree_hash = policy.tree_hash();
      bytes_without = policy.stats().bytes;
    } else {
      CHECK(policy.stats().bytes > previous_bytes);  // more nodes got a table
      CHECK(policy.stats().bytes <= bytes_without + budget);
    }
    CHECK(policy.tree_hash() == tree_hash);  // edge tables are derived, not part of the tree
    previous_bytes = policy.stats().bytes;
    CHECK(CompareOn(policy, 4242 + budget, n) == 0);
  }
}

TEST_CASE("compiling the same files gives the same tree hash and version") {
  auto first = CompileOrFail(DefaultRulesDir());
  REQUIRE(first);
  for (int i = 0; i < 5; ++i) {
    auto again = CompileOrFail(DefaultRulesDir());
    REQUIRE(again);
    CHECK(again->tree_hash() == first->tree_hash());
    CHECK(again->version() == first->version());
  }
}

TEST_CASE("the order of rules and files never changes a decision") {
  auto original = CompileOrFail(DefaultRulesDir());
  REQUIRE(original);
  // Move every rule into one file, in reverse order of id.
  ScratchDir dir;
  dir.CopyDefaultPolicy();
  std::string reversed = "rules:\n";
  std::vector<std::string> blocks;
  for (const char* f : {"integrity.yaml", "legal.yaml", "platform.yaml", "exemptions.yaml"}) {
    std::ifstream in(dir.path() / f);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::filesystem::remove(dir.path() / f);
    size_t pos = text.find("\n  - id:");
    while (pos != std::string::npos) {
      size_t next = text.find("\n  - id:", pos + 1);
      blocks.push_back(text.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos));
      pos = next;
    }
  }
  CHECK(blocks.size() == original->policy().rules.size());
  for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) reversed += *it + (it->back() == '\n' ? "" : "\n");
  dir.Write("all_rules.yaml", reversed);
  auto shuffled = CompileOrFail(dir.str());
  REQUIRE(shuffled);
  CHECK(shuffled->tree_hash() == original->tree_hash());
  RequestGenerator generator(*original, GeneratorOptions{});
  for (int i = 0; i < 2000; ++i) {
    const std::string request = generator.Next().dump();
    std::string a = DecideJson(*original, request), b = DecideJson(*shuffled, request);
    // The policy versions differ (the files differ); everything else must not.
    const std::string va = original->version(), vb = shuffled->version();
    if (auto p = a.find(va); p != std::string::npos) a.replace(p, va.size(), "V");
    if (auto p = b.find(vb); p != std::string::npos) b.replace(p, vb.size(), "V");
    REQUIRE(a == b);
  }
}

}  // namespace
}  // namespace statemark::testing
