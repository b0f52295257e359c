// Resource bounds of the loader and the compiler: every limit gives a clear error (file,
// line, column, code) instead of exhausting time, memory or the stack, and the tree
// builder stays fast on adversarial policies. Limits that the bad-rule corpus already
// covers (file size 107, rule count 075, condition depth 044/045, pattern length 039,
// alias expansion 132) are not repeated here. Also: a policy file that cannot be read
// is an error, never silently skipped; and compiling is deterministic over 100 runs.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <string>

#include "engine/compiler.h"
#include "engine/loader.h"
#include "engine/request_generator.h"
#include "tests/random_policy.h"
#include "tests/test_support.h"

namespace statemark::testing {
namespace {

namespace fs = std::filesystem;

// The one error of `diags` with `code`, rendered; fails the test if there is none.
std::string ErrorWith(const Diagnostics& diags, const std::string& code) {
  for (const Diagnostic& d : diags.items()) {
    if (d.is_error() && d.code == code) {
      Diagnostics one;
      one.Add(d);
      return RenderDiagnostics(one);
    }
  }
  FAIL_CHECK("no error[" << code << "] in:\n" << RenderDiagnostics(diags));
  return "";
}

ScratchDir& PolicyWithoutRules(ScratchDir& dir) {
  dir.CopyDefaultPolicy();
  for (const char* f : {"integrity.yaml", "legal.yaml", "platform.yaml", "exemptions.yaml"}) {
    fs::remove(dir.path() / f);
  }
  return dir;
}

TEST_CASE("limits: a rule file that is a dangling link is reported, not skipped") {
  ScratchDir dir;
  dir.CopyDefaultPolicy();
  fs::remove(dir.path() / "legal.yaml");
  fs::create_symlink(dir.path() / "gone.yaml", dir.path() / "legal.yaml");
  auto loaded = LoadPolicy(dir.str());
  REQUIRE(!loaded.ok());
  CHECK(ErrorWith(loaded.diagnostics(), "unreadable") ==
        dir.str() + "/legal.yaml: error[unreadable]: cannot read file: No such file or directory\n");
}

TEST_CASE("limits: a directory named like a policy file is reported") {
  ScratchDir dir;
  dir.CopyDefaultPolicy();
  fs::create_directories(dir.path() / "extra.yaml");
  fs::remove(dir.path() / "registry" / "domains.csv");
  fs::create_directories(dir.path() / "registry" / "domains.csv");
  auto loaded = LoadPolicy(dir.str());
  REQUIRE(!loaded.ok());
  const std::string text = RenderDiagnostics(loaded.diagnostics());
  CHECK(text.find(dir.str() + "/extra.yaml: error[unreadable]: not a regular file") != std::string::npos);
  CHECK(text.find(dir.str() + "/registry/domains.csv: error[unreadable]: not a regular file") !=
        std::string::npos);
}

TEST_CASE("limits: a registry file over the size limit is refused before it is read") {
  ScratchDir dir;
  dir.CopyDefaultPolicy();
  LoaderOptions options;
  options.max_registry_file_bytes = 1000;
  auto loaded = LoadPolicy(dir.str(), options);
  REQUIRE(!loaded.ok());
  const std::string size = std::to_string(fs::file_size(dir.path() / "registry" / "accounts.csv"));
  CHECK(ErrorWith(loaded.diagnostics(), "file-too-large") ==
        dir.str() + "/registry/accounts.csv: error[file-too-large]: file is " + size +
            " bytes; at most 1000 are allowed\n");
}

TEST_CASE("limits: YAML nested past the parser's bound is a clear error, not a crash") {
  ScratchDir dir;
  PolicyWithoutRules(dir);
  // 100,000 levels in flow style and 1,000 in block style: both past yaml-cpp's bound.
  dir.Write("flow.yaml", "rules: " + std::string(100000, '[') + std::string(100000, ']') + "\n");
  std::string block = "vocabulary:\n";
  for (int i = 0; i < 1000; ++i) block += std::string(static_cast<size_t>(i + 1), ' ') + "k" + std::to_string(i) + ":\n";
  dir.Write("block.yaml", block);
  const auto start = std::chrono::steady_clock::now();
  auto loaded = LoadPolicy(dir.str());
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
  REQUIRE(!loaded.ok());
  int too_deep = 0;
  for (const Diagnostic& d : loaded.diagnostics().items()) {
    if (d.code != "too-deep") continue;
    ++too_deep;
    CHECK(d.message == "the file nests lists and maps deeper than 500 levels; a policy needs a handful");
    CHECK(d.location.line > 0);
  }
  CHECK(too_deep == 2);
  // The excerpt of a 200,000-character line is a window around the column.
  std::istringstream lines(RenderDiagnostics(loaded.diagnostics()));
  for (std::string line; std::getline(lines, line);) CHECK(line.size() < 1000);
}

TEST_CASE("limits: YAML on which the parser stalls is an error, not a hang") {
  // Found by fuzz/rule_loader_fuzzer: on this input yaml-cpp's LoadAll yields empty
  // documents forever.
  ScratchDir dir;
  PolicyWithoutRules(dir);
  dir.Write("zz.yaml", "   ,  ableblels:ls: []\n");
  auto loaded = LoadPolicy(dir.str());
  REQUIRE(!loaded.ok());
  CHECK(ErrorWith(loaded.diagnostics(), "yaml-syntax") ==
        dir.str() + "/zz.yaml:1:4: error[yaml-syntax]: invalid YAML: the parser cannot read past this document\n"
                    "     ,  ableblels:ls: []\n"
                    "     ^\n");
}

TEST_CASE("limits: a short pattern that RE2 cannot compile within its memory is refused") {
  ScratchDir dir;
  PolicyWithoutRules(dir);
  dir.Write("zz.yaml", R"yaml(rules:
  - id: R1
    layer: platform
    when: { content.text: { matches: '(\pL|\pN){500}\pL{500}' } }
    then: { surfaces: { for_you: demoted } }
)yaml");
  auto loaded = LoadPolicy(dir.str());
  REQUIRE(!loaded.ok());
  const std::string text = ErrorWith(loaded.diagnostics(), "bad-regex");
  CHECK(text.find(dir.str() + "/zz.yaml:4:") == 0);
  CHECK(text.find("pattern too large") != std::string::npos);
}

// 600 rules, each on its own country, topic and affiliation: the worst case for a tree
// that splits on every attribute, since no two rules share a subtree.
std::string AdversarialRules() {
  const char* countries[] = {"US", "GB", "DE", "FR", "RU", "CN", "TR", "IR", "BY", "KE", "JP", "BR"};
  const char* topics[] = {"war_conflict", "sports", "food", "nature", "elections_civic", "lifestyle",
                          "science_tech", "travel_tourism", "entertainment", "social_issues"};
  const char* affiliations[] = {"state_controlled_media", "state_affiliated_media", "government_official",
                                "politician", "head_of_state"};
  std::string out = "rules:\n";
  for (int i = 0; i < 600; ++i) {
    out += "  - id: A" + std::to_string(i) + "\n    layer: platform\n    when:\n";
    out += std::string("      all:\n        - viewer.country: [") + countries[i % 12] + ", " +
           countries[(i / 12) % 12] + "]\n";
    out += std::string("        - content.topics: { intersects: [") + topics[i % 10] + "] }\n";
    out += std::string("        - account.affiliation: ") + affiliations[(i / 10) % 5] + "\n";
    out += std::string("        - not: { account.home_country: ") + countries[(i / 7) % 12] + " }\n";
    out += "    then: { surfaces: { for_you: demoted } }\n";
  }
  return out;
}

TEST_CASE("limits: an adversarial policy compiles fast; past the node budget it falls back") {
  ScratchDir dir;
  PolicyWithoutRules(dir);
  dir.Write("adversarial.yaml", AdversarialRules());
  auto loaded = LoadPolicy(dir.str());
  REQUIRE_MESSAGE(loaded.ok(), RenderDiagnostics(loaded.diagnostics()));
  for (size_t budget : {size_t{2000000}, size_t{40}}) {
    CAPTURE(budget);
    CompileOptions options;
    options.max_nodes = budget;
    const auto start = std::chrono::steady_clock::now();
    auto compiled = Compile(loaded.value(), options);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    REQUIRE(compiled.ok());
    const CompiledPolicy& policy = *compiled.value();
    MESSAGE("600 adversarial rules, budget " << budget << ": " << policy.stats().nodes << " nodes in "
                                             << seconds << " s");
    CHECK(seconds < 30);
    CHECK(policy.stats().nodes <= budget + 100);
    if (policy.stats().fell_back) {
      bool warned = false;
      for (const Diagnostic& d : compiled.diagnostics().items()) warned |= d.code == "tree-budget";
      CHECK(warned);
    }
    if (budget == 40) CHECK(policy.stats().fell_back);
    // Whether it fell back or not, the tree decides as the reference evaluator does.
    GeneratorOptions g;
    g.seed = budget;
    RequestGenerator generator(policy, g);
    for (int i = 0; i < 2000; ++i) {
      const std::string request = generator.Next().dump();
      REQUIRE(DecideJson(policy, request) == ReferenceDecideJson(policy, request));
    }
  }
}

TEST_CASE("determinism: the same files compiled 100 times give the same tree hash and version") {
  ScratchDir random;
  PolicyWithoutRules(random);
  random.Write("random.yaml", RandomRulesYaml(42, 120));
  for (const std::string& dir : {DefaultRulesDir(), random.str()}) {
    CAPTURE(dir);
    auto first = CompileOrFail(dir);
    REQUIRE(first);
    // 99 more compiles; fewer in the sanitizer builds (ScaledCount), which run the same code.
    const long more = ScaledCount(99);
    long same = 0;
    for (long i = 0; i < more; ++i) {
      auto again = CompileOrFail(dir);
      REQUIRE(again);
      same += again->tree_hash() == first->tree_hash() && again->version() == first->version();
    }
    CHECK(same == more);
  }
}

}  // namespace
}  // namespace statemark::testing
