// The policy diff: empty between equal versions; between the default policy and a copy
// with one rule changed, exactly the classes that rule touches, and every request whose
// decision changes falls in one of them.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "engine/decision_json.h"
#include "engine/decision_space.h"
#include "engine/evaluator.h"
#include "engine/internal/space_builder.h"
#include "engine/policy_diff.h"
#include "engine/request_generator.h"
#include "engine/request_parser.h"
#include "tests/decision_space_support.h"
#include "tests/random_policy.h"

namespace statemark::testing {
namespace {

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A copy of the default policy with `from` replaced by `to` in `file`.
void CopyWithEdit(const ScratchDir& dir, const std::string& file, const std::string& from, const std::string& to) {
  dir.CopyDefaultPolicy();
  std::string text = ReadFile(dir.path() / file);
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  dir.Write(file, text);
}

struct ChangedClasses {
  std::vector<DecisionClass> classes;  // conditions and time of each changed class
  std::vector<std::vector<std::string>> matched_before, matched_after;
};

ChangedClasses Changed(const CompiledPolicy& a, const CompiledPolicy& b, std::optional<Instant> at) {
  ChangedClasses out;
  BuilderOptions options;
  options.at = at;
  Result<std::vector<std::string>> r = EnumerateClasses({&a, &b}, options, [&](const FoundClass& f) {
    if (f.outcomes[0].summary == f.outcomes[1].summary) return;
    DecisionClass c;
    c.subject = f.subject;
    c.from = f.from;
    c.until = f.until;
    c.conditions = f.conditions;
    out.classes.push_back(c);
    out.matched_before.push_back(f.outcomes[0].matched);
    out.matched_after.push_back(f.outcomes[1].matched);
  });
  REQUIRE(r.ok());
  return out;
}

// Every generated author-only request whose decision differs falls in a changed class,
// and every request in a changed class... is checked by the enumeration itself.
int UncoveredChanges(const CompiledPolicy& a, const CompiledPolicy& b, const ChangedClasses& changed, uint64_t seed,
                     long n, std::optional<Instant> at, int* differing) {
  GeneratorOptions options;
  options.seed = seed;
  RequestGenerator generator(a, options);
  int uncovered = 0;
  for (long i = 0; i < n; ++i) {
    nlohmann::json j = AuthorOnly(generator.Next());
    if (at) j["time"] = FormatRfc3339(*at);
    const std::string text = j.dump();
    nlohmann::json x = nlohmann::json::parse(DecideJson(a, text)), y = nlohmann::json::parse(DecideJson(b, text));
    x.erase("policy_version");
    y.erase("policy_version");
    if (x == y) continue;
    ++*differing;
    Request request;
    RequestError error;
    REQUIRE(ParseRequest(a, j, Now(), &request, &error));
    AccountFacts scratch;
    const AccountFacts& author = AuthorFacts(a, request, &scratch);
    bool covered = false;
    for (const DecisionClass& c : changed.classes) {
      covered = covered || (c.subject == Subject::kAccount && ClassHolds(a, c, request, author));
    }
    if (!covered && ++uncovered <= 3) FAIL_CHECK("decision changes outside every changed class: " << text);
  }
  return uncovered;
}

TEST_CASE("the diff of a policy with itself is empty") {
  auto a = CompileOrFail(DefaultRulesDir());
  ScratchDir dir;
  dir.CopyDefaultPolicy();
  auto b = CompileOrFail(dir.str());
  REQUIRE(a);
  REQUIRE(b);
  Result<nlohmann::json> diff = PolicyDiffJson(*a, *b, {});
  REQUIRE(diff.ok());
  CHECK(diff.value()["changes"].empty());
  CHECK(diff.value()["registry"].empty());
}

TEST_CASE("changing one rule lists exactly the classes that rule touches") {
  auto a = CompileOrFail(DefaultRulesDir());
  REQUIRE(a);
  ScratchDir dir;
  CopyWithEdit(dir, "platform.yaml", "      surfaces: { for_you: ineligible, explore: ineligible, search: demoted }\n\n  - id: P5",
               "      surfaces: { for_you: ineligible, explore: ineligible, search: ineligible }\n\n  - id: P5");
  auto b = CompileOrFail(dir.str());
  REQUIRE(b);
  Result<nlohmann::json> diff = PolicyDiffJson(*a, *b, {});
  REQUIRE(diff.ok());
  const nlohmann::json& changes = diff.value()["changes"];
  REQUIRE(!changes.empty());
  for (const auto& c : changes) {
    CAPTURE(c.dump());
    CHECK(c["changed"] == nlohmann::json::array({"surfaces.search"}));
    CHECK(c["before"]["surfaces"]["search"] == "demoted");
    CHECK(c["after"]["surfaces"]["search"] == "ineligible");
    const auto matched = c["rules_before"].get<std::vector<std::string>>();
    CHECK(std::find(matched.begin(), matched.end(), "P4") != matched.end());
    // The sample shows the change.
    const std::string sample = c["sample"].dump();
    CHECK(DecideJson(*a, sample).find("\"search\":\"demoted\"") != std::string::npos);
    CHECK(DecideJson(*b, sample).find("\"search\":\"ineligible\"") != std::string::npos);
  }
  ChangedClasses changed = Changed(*a, *b, std::nullopt);
  int differing = 0;
  CHECK(UncoveredChanges(*a, *b, changed, 5, ScaledCount(1500), std::nullopt, &differing) == 0);
  CHECK(differing > 0);
}

TEST_CASE("removing a rule: every change names it, and no change is missed") {
  auto a = CompileOrFail(DefaultRulesDir());
  REQUIRE(a);
  ScratchDir dir;
  dir.CopyDefaultPolicy();
  std::string text = ReadFile(dir.path() / "platform.yaml");
  const size_t begin = text.find("  - id: P4\n");
  const size_t end = text.find("  - id: P5\n");
  REQUIRE(begin != std::string::npos);
  text.erase(begin, end - begin);
  dir.Write("platform.yaml", text);
  // X1 lifts P4: drop it from `lifts` too.
  std::string ex = ReadFile(dir.path() / "exemptions.yaml");
  const size_t l = ex.find("P4, ");
  REQUIRE(l != std::string::npos);
  ex.erase(l, 4);
  dir.Write("exemptions.yaml", ex);
  auto b = CompileOrFail(dir.str());
  REQUIRE(b);
  const Instant at = std::get<Instant>(ParseRfc3339("2024-07-01T12:00:00Z"));
  ChangedClasses changed = Changed(*a, *b, at);
  REQUIRE(!changed.classes.empty());
  for (size_t i = 0; i < changed.classes.size(); ++i) {
    const auto& m = changed.matched_before[i];
    const bool p4 = std::any_of(m.begin(), m.end(), [](const std::string& s) { return s == "P4" || s == "X1→P4"; });
    CHECK(p4);
  }
  int differing = 0;
  CHECK(UncoveredChanges(*a, *b, changed, 6, ScaledCount(1500), at, &differing) == 0);
  CHECK(differing > 0);
}

TEST_CASE("diffs of random policies cover every changed request") {
  for (uint64_t seed = 1; seed <= static_cast<uint64_t>(ScaledCount(3)); ++seed) {
    CAPTURE(seed);
    ScratchDir da, db;
    WriteRules(da, RandomRulesYaml(seed, 12));
    WriteRules(db, RandomRulesYaml(seed + 100, 12));
    auto a = CompileOrFail(da.str());
    auto b = CompileOrFail(db.str());
    REQUIRE(a);
    REQUIRE(b);
    const Instant at = std::get<Instant>(ParseRfc3339("2024-10-30T12:00:00Z"));
    ChangedClasses changed = Changed(*a, *b, at);
    int differing = 0;
    CHECK(UncoveredChanges(*a, *b, changed, seed, ScaledCount(400), at, &differing) == 0);
  }
}

TEST_CASE("versions with different vocabularies are refused with a reason") {
  auto a = CompileOrFail(DefaultRulesDir());
  ScratchDir dir;
  CopyWithEdit(dir, "vocabulary.yaml", "public_health_safety]\n", "public_health_safety, gardening]\n");
  auto b = CompileOrFail(dir.str());
  REQUIRE(a);
  REQUIRE(b);
  Result<nlohmann::json> diff = PolicyDiffJson(*a, *b, {});
  REQUIRE(!diff.ok());
  CHECK(diff.diagnostics().items()[0].code == "vocabulary-changed");
}

TEST_CASE("traffic: requests and decision-log records whose decision changes are counted") {
  auto a = CompileOrFail(DefaultRulesDir());
  ScratchDir dir;
  CopyWithEdit(dir, "platform.yaml", "      surfaces: { for_you: ineligible, explore: ineligible, search: demoted }\n\n  - id: P5",
               "      surfaces: { for_you: ineligible, explore: ineligible, search: ineligible }\n\n  - id: P5");
  auto b = CompileOrFail(dir.str());
  REQUIRE(a);
  REQUIRE(b);
  const std::string xinhua =
      R"({"request_id":"x","time":"2024-07-01T12:00:00Z","viewer":{"country":"US"},"account":{"id":"xinhua"},"content":{"topics":["current_global_affairs"]}})";
  const std::string bbc =
      R"({"time":"2024-07-01T12:00:00Z","viewer":{"country":"US"},"account":{"id":"bbc"},"content":{"topics":["current_global_affairs"]}})";
  const std::vector<std::string> lines = {xinhua, bbc, "{\"request\":" + xinhua + "}", "not json", ""};
  const nlohmann::json t = CountTraffic(*a, *b, lines, Now());
  CHECK(t["requests"] == 4);
  CHECK(t["changed"] == 2);
  CHECK(t["errors"] == 1);
  REQUIRE(t["examples"].size() == 2);
  CHECK(t["examples"][0]["line"] == 1);
  CHECK(t["examples"][0]["after"]["surfaces"]["search"] == "ineligible");
}

}  // namespace
}  // namespace statemark::testing
