#include "engine/policy_tests.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/compiler.h"
#include "engine/loader.h"

namespace statemark {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const CompiledPolicy& Shipped() {
  static const std::shared_ptr<const CompiledPolicy> policy = [] {
    auto loaded = LoadPolicy(STATEMARK_SOURCE_DIR "/rules");
    REQUIRE(loaded.ok());
    auto compiled = Compile(loaded.value());
    REQUIRE(compiled.ok());
    return compiled.value();
  }();
  return *policy;
}

// A tests directory holding one file, `cases.yaml`, removed when the object dies.
class TestsDir {
 public:
  explicit TestsDir(const std::string& yaml) {
    static std::atomic<int> counter{0};
    path_ = (fs::temp_directory_path() / ("statemark-policy-tests-" + std::to_string(::getpid()) +
                                          "-" + std::to_string(counter++)))
                .string();
    fs::create_directories(path_);
    Write("cases.yaml", yaml);
  }
  ~TestsDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TestsDir(const TestsDir&) = delete;
  TestsDir& operator=(const TestsDir&) = delete;

  void Write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ + "/" + name) << text;
  }
  const std::string& path() const { return path_; }
  std::string file() const { return path_ + "/cases.yaml"; }

 private:
  std::string path_;
};

std::vector<PolicyTestCase> LoadOk(const TestsDir& dir) {
  auto loaded = LoadPolicyTests(dir.path());
  INFO(RenderDiagnostics(loaded.diagnostics()));
  REQUIRE(loaded.ok());
  return loaded.value();
}

// The one error LoadPolicyTests reports for `dir`.
Diagnostic LoadError(const TestsDir& dir) {
  auto loaded = LoadPolicyTests(dir.path());
  REQUIRE_FALSE(loaded.ok());
  REQUIRE(loaded.diagnostics().items().size() == 1);
  return loaded.diagnostics().items()[0];
}

// A decision as the engine writes it, trimmed to what the comparisons below read.
const json kDecision = json::parse(R"({
  "surfaces": {"for_you": "demoted", "explore": "demoted", "search": "demoted",
               "following": "eligible", "profile": "eligible"},
  "labels": [{"id": "state_media_link", "text": "link", "placements": ["post"]}],
  "notice": null, "friction": ["click_interstitial"], "monetization": "allow",
  "rules": ["P11"], "shadow": [], "warnings": []})");

std::vector<std::string> Compare(const std::string& expect_json, const json& decision = kDecision) {
  return CompareDecision(Shipped(), json::parse(expect_json), decision);
}

constexpr const char* kXinhuaCase = R"(
tests:
  - name: Xinhua abroad on news
    tags: [reach, labels]
    request:
      time: "2024-07-01T12:00:00Z"
      viewer: { country: US }
      account: { id: xinhua }
      content: { topics: [current_global_affairs] }
    expect:
      surfaces: { all: eligible, for_you: ineligible, explore: ineligible, search: demoted }
      rules: [P1, P4]
  - name: Xinhua at home on news
    tags: [labels]
    request:
      time: "2024-07-01T12:00:00Z"
      viewer: { country: CN }
      account: { id: xinhua }
      content: { topics: [current_global_affairs] }
    expect:
      surfaces: { for_you: demoted }
)";

// --- Loading ------------------------------------------------------------------------

TEST_CASE("LoadPolicyTests reads cases with their file, line, tags and clock") {
  TestsDir dir(R"(tests:
  - name: first
    tags: [legal, ads]
    clock: "2024-09-23T00:00:00Z"
    note: why
    request: { account: { id: xinhua } }
    expect: { rules: [P1] }
  - name: second
    request: { account: { id: bbc } }
    expect_error: { code: invalid_request }
)");
  const std::vector<PolicyTestCase> tests = LoadOk(dir);
  REQUIRE(tests.size() == 2);
  CHECK(tests[0].name == "first");
  CHECK(tests[0].file == dir.file());
  CHECK(tests[0].line == 2);
  CHECK(tests[0].tags == std::vector<std::string>{"legal", "ads"});
  CHECK(tests[0].note == "why");
  REQUIRE(tests[0].clock.has_value());
  CHECK(FormatRfc3339(*tests[0].clock) == "2024-09-23T00:00:00Z");
  CHECK(tests[0].request == json::parse(R"({"account": {"id": "xinhua"}})"));
  CHECK(tests[0].expect == json::parse(R"({"rules": ["P1"]})"));
  CHECK_FALSE(tests[0].expect_error.has_value());
  CHECK(tests[1].line == 8);
  CHECK(tests[1].expect_error == json::parse(R"({"code": "invalid_request"})"));
}

TEST_CASE("LoadPolicyTests reads files in name order") {
  TestsDir dir("tests:\n  - { name: b, request: {}, expect: {} }\n");
  dir.Write("a.yaml", "tests:\n  - { name: a, request: {}, expect: {} }\n");
  dir.Write("notes.txt", "not a test file");
  const std::vector<PolicyTestCase> tests = LoadOk(dir);
  REQUIRE(tests.size() == 2);
  CHECK(tests[0].name == "a");
  CHECK(tests[1].name == "b");
}

TEST_CASE("an unknown field of a test is an error with its place and a suggestion") {
  TestsDir dir(R"(tests:
  - name: RT in Germany
    request: { account: { id: rt_en } }
    expct: { rules: [L1] }
)");
  const Diagnostic d = LoadError(dir);
  CHECK(d.code == "unknown-field");
  CHECK(d.location.file == dir.file());
  CHECK(d.location.line == 4);
  CHECK(d.location.column == 5);
  CHECK(d.message == "unknown field `expct` in test `RT in Germany`; did you mean `expect`?");
}

TEST_CASE("an unknown field of expect_error is an error") {
  TestsDir dir(R"(tests:
  - name: bad
    request: {}
    expect_error: { code: invalid_request, mesage: x }
)");
  CHECK(LoadError(dir).message ==
        "unknown field `mesage` in `expect_error` of test `bad`; did you mean `message`?");
}

TEST_CASE("an unknown top-level field of a test file is an error") {
  TestsDir dir("test:\n  - { name: a, request: {}, expect: {} }\n");
  CHECK(LoadError(dir).message == "unknown field `test` in the test file; did you mean `tests`?");
}

TEST_CASE("a duplicate test name is an error naming the first use") {
  TestsDir dir("tests:\n  - { name: same, request: {}, expect: {} }\n");
  dir.Write("z.yaml", "tests:\n  - { name: same, request: {}, expect: {} }\n");
  const Diagnostic d = LoadError(dir);
  CHECK(d.code == "duplicate-name");
  CHECK(d.location.file == dir.path() + "/z.yaml");
  CHECK(d.message == "test name `same` is already used at " + dir.file() + ":2");
}

TEST_CASE("a test needs a name, a request and exactly one expectation") {
  CHECK(LoadError(TestsDir("tests:\n  - { request: {}, expect: {} }\n")).message ==
        "a test needs a `name`");
  CHECK(LoadError(TestsDir("tests:\n  - { name: a, expect: {} }\n")).message ==
        "test `a` needs a `request`");
  CHECK(LoadError(TestsDir("tests:\n  - { name: a, request: {} }\n")).message ==
        "test `a` needs `expect` or `expect_error`");
  CHECK(LoadError(TestsDir("tests:\n  - { name: a, request: {}, expect: {}, "
                           "expect_error: { code: x } }\n"))
            .message == "test `a` gives both `expect` and `expect_error`");
}

TEST_CASE("a bad clock is an error") {
  CHECK(LoadError(TestsDir("tests:\n  - { name: a, clock: soon, request: {}, expect: {} }\n"))
            .message.rfind("invalid instant `soon`: ", 0) == 0);
}

TEST_CASE("a missing tests directory is an error") {
  auto loaded = LoadPolicyTests("/nonexistent/statemark/tests");
  REQUIRE_FALSE(loaded.ok());
  CHECK(loaded.diagnostics().items()[0].message ==
        "`/nonexistent/statemark/tests` is not a directory");
}

TEST_CASE("YAML scalars become JSON strings except plain booleans, nulls and integers") {
  TestsDir dir(R"(tests:
  - name: typing
    request:
      time: 2024-07-01T12:00:00Z
      plain_true: true
      quoted_true: "true"
      plain_false: false
      plain_int: 42
      negative: -3
      quoted_int: "42"
      decimal: 1.5
      norway: NO
      yes_word: yes
      plain_null: null
      tilde: ~
      empty:
      quoted_null: "null"
      list: [US, "CA", 7]
    expect: {}
)");
  const json request = LoadOk(dir).at(0).request;
  CHECK(request["time"] == "2024-07-01T12:00:00Z");
  CHECK(request["plain_true"] == true);
  CHECK(request["quoted_true"] == "true");
  CHECK(request["plain_false"] == false);
  CHECK(request["plain_int"] == 42);
  CHECK(request["plain_int"].is_number_integer());
  CHECK(request["negative"] == -3);
  CHECK(request["quoted_int"] == "42");
  CHECK(request["decimal"] == "1.5");
  CHECK(request["norway"] == "NO");
  CHECK(request["yes_word"] == "yes");
  CHECK(request["plain_null"].is_null());
  CHECK(request["tilde"].is_null());
  CHECK(request["empty"].is_null());
  CHECK(request["quoted_null"] == "null");
  CHECK(request["list"] == json::parse(R"(["US", "CA", 7])"));
}

// --- Comparing ------------------------------------------------------------------------

TEST_CASE("a surface that differs gives one exact mismatch line") {
  CHECK(Compare(R"({"surfaces": {"for_you": "ineligible"}})") ==
        std::vector<std::string>{"surfaces.for_you: expected `ineligible`, got `demoted`"});
  CHECK(Compare(R"({"surfaces": {"for_you": "demoted", "profile": "eligible"}})").empty());
}

TEST_CASE("`all` stands for every surface and a named surface overrides it") {
  CHECK(Compare(R"({"surfaces": {"all": "eligible", "for_you": "demoted", "explore": "demoted",
                                 "search": "demoted"}})")
            .empty());
  CHECK(Compare(R"({"surfaces": {"all": "eligible"}})") ==
        std::vector<std::string>{"surfaces.for_you: expected `eligible`, got `demoted`",
                                 "surfaces.explore: expected `eligible`, got `demoted`",
                                 "surfaces.search: expected `eligible`, got `demoted`"});
}

TEST_CASE("an unknown surface names the surfaces") {
  CHECK(Compare(R"({"surfaces": {"for_yu": "demoted"}})") ==
        std::vector<std::string>{
            "surfaces.for_yu: no such surface; did you mean `for_you`? (surfaces: for_you, "
            "explore, search, following, profile, or `all`)"});
}

TEST_CASE("other fields compare exactly") {
  CHECK(Compare(R"({"rules": ["P11", "P4"]})") ==
        std::vector<std::string>{"rules: expected `[\"P11\",\"P4\"]`, got `[\"P11\"]`"});
  CHECK(Compare(R"({"labels": []})") ==
        std::vector<std::string>{
            "labels: expected `[]`, got "
            "`[{\"id\":\"state_media_link\",\"placements\":[\"post\"],\"text\":\"link\"}]`"});
  CHECK(Compare(R"({"notice": null, "monetization": "allow", "friction": ["click_interstitial"]})")
            .empty());
  CHECK(Compare(R"({"ad": {"decision": "allow"}})") ==
        std::vector<std::string>{"ad: expected `{\"decision\":\"allow\"}`, got nothing"});
}

TEST_CASE("a list in another order says so") {
  json decision = kDecision;
  decision["rules"] = {"P1", "P4"};
  CHECK(Compare(R"({"rules": ["P4", "P1"]})", decision) ==
        std::vector<std::string>{
            "rules: expected `[\"P4\",\"P1\"]`, got `[\"P1\",\"P4\"]` (the same items in another "
            "order)"});
}

TEST_CASE("an unknown expect field fails and names the decision fields") {
  CHECK(Compare(R"({"lables": []})") ==
        std::vector<std::string>{
            "expect.lables: not a decision field; did you mean `labels`? (fields: request_id, "
            "policy_version, time, surfaces, labels, notice, friction, monetization, ad, rules, "
            "shadow, warnings)"});
}

TEST_CASE("a decision with warnings fails unless the test expects them") {
  json decision = kDecision;
  decision["warnings"] = {"unknown field `content.topcs` ignored"};
  CHECK(Compare("{}", decision) ==
        std::vector<std::string>{
            "warnings: expected none, got `[\"unknown field `content.topcs` ignored\"]` (list "
            "them under `expect.warnings` if they are intended)"});
  CHECK(Compare(R"({"warnings": ["unknown field `content.topcs` ignored"]})", decision).empty());
}

// --- Running --------------------------------------------------------------------------

TEST_CASE("RunPolicyTests decides each case and reports what differs") {
  TestsDir dir(kXinhuaCase);
  const std::vector<PolicyTestCase> tests = LoadOk(dir);
  const std::vector<PolicyTestResult> results = RunPolicyTests(Shipped(), tests, "");
  REQUIRE(results.size() == 2);
  CHECK(results[0].test == &tests[0]);
  CHECK(results[0].passed);
  CHECK(results[0].deciding_rules == std::vector<std::string>{"P1", "P4"});
  CHECK(json::parse(results[0].decision_json)["rules"] == json::parse(R"(["P1", "P4"])"));
  CHECK_FALSE(results[1].passed);
  CHECK(results[1].mismatches ==
        std::vector<std::string>{"surfaces.for_you: expected `demoted`, got `eligible`"});
  CHECK(results[1].deciding_rules == std::vector<std::string>{"P1"});
}

TEST_CASE("a filter selects by name substring or by tag") {
  TestsDir dir(kXinhuaCase);
  const std::vector<PolicyTestCase> tests = LoadOk(dir);
  CHECK(RunPolicyTests(Shipped(), tests, "at home").size() == 1);
  CHECK(RunPolicyTests(Shipped(), tests, "tag:labels").size() == 2);
  CHECK(RunPolicyTests(Shipped(), tests, "tag:reach").size() == 1);
  CHECK(RunPolicyTests(Shipped(), tests, "tag:reac").empty());
  CHECK(RunPolicyTests(Shipped(), tests, "nothing like this").empty());
}

TEST_CASE("expect_error compares the rejection; a rejection without it fails") {
  TestsDir dir(R"(tests:
  - name: wrong message
    request: { account: { id: x, affiliation: state_controled_media } }
    expect_error: { code: invalid_request, message: nope, path: account.affiliation }
  - name: not rejected
    request: { time: "2024-07-01T12:00:00Z", account: { id: xinhua } }
    expect_error: { code: invalid_request }
  - name: rejected unexpectedly
    request: { account: { id: x, affiliation: state_controled_media } }
    expect: {}
)");
  const std::vector<PolicyTestCase> tests = LoadOk(dir);
  const std::vector<PolicyTestResult> results = RunPolicyTests(Shipped(), tests, "");
  REQUIRE(results.size() == 3);
  CHECK(results[0].mismatches ==
        std::vector<std::string>{"error.message: expected `nope`, got `unknown affiliation "
                                 "`state_controled_media`; did you mean "
                                 "`state_controlled_media`?`"});
  CHECK(results[1].mismatches ==
        std::vector<std::string>{
            "error: expected the request to be rejected with `invalid_request`, got a decision"});
  CHECK(results[2].mismatches ==
        std::vector<std::string>{
            "request: rejected with `invalid_request` at `account.affiliation`: unknown "
            "affiliation `state_controled_media`; did you mean `state_controlled_media`?"});
}

TEST_CASE("a case without a time is decided at its clock") {
  TestsDir dir(R"(tests:
  - name: removed at the clock
    clock: "2024-09-23T00:00:00Z"
    request: { viewer: { country: US }, account: { id: rt_en } }
    expect: { time: "2024-09-23T00:00:00Z", surfaces: { all: removed }, rules: [I2] }
)");
  const std::vector<PolicyTestCase> tests = LoadOk(dir);
  const std::vector<PolicyTestResult> results = RunPolicyTests(Shipped(), tests, "");
  REQUIRE(results.size() == 1);
  INFO(results[0].decision_json);
  CHECK(results[0].passed);
}

// --- Coverage ---------------------------------------------------------------------------

TEST_CASE("coverage counts the rules that decided some case") {
  TestsDir dir(kXinhuaCase);
  const std::vector<PolicyTestCase> tests = LoadOk(dir);
  const Coverage c = ComputeCoverage(Shipped(), RunPolicyTests(Shipped(), tests, ""));
  CHECK(c.rules_total == static_cast<int>(Shipped().policy().rules.size()));
  CHECK(c.rules_deciding == 2);
  CHECK(c.rule_coverage == doctest::Approx(200.0 / c.rules_total));
  CHECK(c.rules_never_deciding.size() == static_cast<size_t>(c.rules_total - 2));
  CHECK(std::find(c.rules_never_deciding.begin(), c.rules_never_deciding.end(), "P4") ==
        c.rules_never_deciding.end());
}

TEST_CASE("the shipped tests load and every shipped rule decides at least one of them") {
  auto loaded = LoadPolicyTests(STATEMARK_SOURCE_DIR "/rules/tests");
  INFO(RenderDiagnostics(loaded.diagnostics()));
  REQUIRE(loaded.ok());
  CHECK(loaded.diagnostics().empty());
  const std::vector<PolicyTestResult> results = RunPolicyTests(Shipped(), loaded.value(), "");
  const Coverage c = ComputeCoverage(Shipped(), results);
  std::string never;
  for (const std::string& id : c.rules_never_deciding) never += id + " ";
  INFO("rules that decided no test: " << never);
  CHECK(c.rules_never_deciding.empty());
  CHECK(c.rule_coverage == 100.0);
}

}  // namespace
}  // namespace statemark
