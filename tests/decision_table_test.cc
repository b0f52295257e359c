// The decision space and table: every class's sample is decided as the class says
// (checked inside the enumeration), and every request falls in exactly one class whose
// decision is the request's own, on the default policy and on random policies.
#include <doctest/doctest.h>

#include "engine/decision_space.h"
#include "engine/decision_table.h"
#include "engine/evaluator.h"
#include "engine/internal/space_builder.h"
#include "engine/request_generator.h"
#include "engine/request_parser.h"
#include "tests/decision_space_support.h"
#include "tests/random_policy.h"

namespace statemark::testing {
namespace {

// Classifies `n` generated author-only requests (at `at`, when given) and compares each
// decision with its class's. Returns the number of failures.
int CheckRequests(const CompiledPolicy& policy, const DecisionSpace& space, uint64_t seed, long n,
                  std::optional<Instant> at) {
  GeneratorOptions options;
  options.seed = seed;
  RequestGenerator generator(policy, options);
  int failures = 0;
  for (long i = 0; i < n; ++i) {
    nlohmann::json j = AuthorOnly(generator.Next());
    if (at) j["time"] = FormatRfc3339(*at);
    Request request;
    RequestError error;
    if (!ParseRequest(policy, j, Now(), &request, &error)) continue;
    AccountFacts scratch;
    const AccountFacts& author = AuthorFacts(policy, request, &scratch);
    int holds = 0;
    int found = -1;
    for (size_t c = 0; c < space.classes.size(); ++c) {
      const DecisionClass& cls = space.classes[c];
      if (cls.subject == Subject::kAccount && ClassHolds(policy, cls, request, author)) {
        ++holds;
        found = static_cast<int>(c);
      }
    }
    if (holds != 1) {
      if (++failures <= 3) FAIL_CHECK("request in " << holds << " classes: " << j.dump());
      continue;
    }
    Decision d;
    Evaluate(policy, request, &d);
    const nlohmann::json summary = DecisionSummary(policy, &request, d);
    const DecisionClass& cls = space.classes[static_cast<size_t>(found)];
    if (summary != cls.decision) {
      if (++failures <= 3) {
        FAIL_CHECK("class " << cls.id << " says " << cls.decision.dump() << "\nrequest " << j.dump()
                            << " gets " << summary.dump());
      }
    }
  }
  return failures;
}

TEST_CASE("every request falls in exactly one class of the default policy, decided as the class says") {
  auto policy = CompileOrFail(DefaultRulesDir());
  REQUIRE(policy);
  Result<DecisionSpace> space = EnumerateDecisionSpace(*policy, {});
  REQUIRE(space.ok());
  CHECK(space.value().limits.empty());
  CHECK(space.value().classes.size() > 100);
  CHECK(CheckRequests(*policy, space.value(), 11, ScaledCount(3000), std::nullopt) == 0);
}

TEST_CASE("at a fixed instant, the classes partition the requests of that instant") {
  auto policy = CompileOrFail(DefaultRulesDir());
  REQUIRE(policy);
  const Instant at = std::get<Instant>(ParseRfc3339("2024-07-01T12:00:00Z"));
  SpaceOptions options;
  options.at = at;
  Result<DecisionSpace> space = EnumerateDecisionSpace(*policy, options);
  REQUIRE(space.ok());
  CHECK(CheckRequests(*policy, space.value(), 12, ScaledCount(3000), at) == 0);
  // RT seen from Germany is withheld by L1 (worked example S17).
  Request request;
  RequestError error;
  REQUIRE(ParseRequestText(*policy,
                           R"({"time":"2024-07-01T12:00:00Z","viewer":{"country":"DE"},"account":{"id":"rt_en"},)"
                           R"("content":{"topics":["current_global_affairs"]}})",
                           Now(), &request, &error));
  const int c = FindAuthorClass(*policy, space.value(), request);
  REQUIRE(c >= 0);
  const DecisionClass& cls = space.value().classes[static_cast<size_t>(c)];
  CHECK(cls.rules == std::vector<std::string>{"L1"});
  CHECK(cls.decision["notice"] == "legal_demand");
  CHECK(cls.decision["surfaces"]["for_you"] == "geo_blocked");
}

TEST_CASE("classes of random policies are exact") {
  for (uint64_t seed = 1; seed <= static_cast<uint64_t>(ScaledCount(4)); ++seed) {
    CAPTURE(seed);
    ScratchDir dir;
    WriteRules(dir, RandomRulesYaml(seed, 15));
    auto policy = CompileOrFail(dir.str());
    REQUIRE(policy);
    const Instant at = std::get<Instant>(ParseRfc3339("2024-10-30T12:00:00Z"));
    SpaceOptions options;
    options.at = at;
    Result<DecisionSpace> space = EnumerateDecisionSpace(*policy, options);
    if (!space.ok()) FAIL_CHECK(RenderDiagnostics(space.diagnostics()));
    REQUIRE(space.ok());
    CHECK(CheckRequests(*policy, space.value(), seed * 31, ScaledCount(400), at) == 0);
  }
}

TEST_CASE("linked and reshared classes are the contribution of that account") {
  auto policy = CompileOrFail(DefaultRulesDir());
  REQUIRE(policy);
  SpaceOptions options;
  options.at = std::get<Instant>(ParseRfc3339("2024-07-01T12:00:00Z"));
  Result<DecisionSpace> space = EnumerateDecisionSpace(*policy, options);
  REQUIRE(space.ok());
  bool p11 = false, p12 = false;
  for (const DecisionClass& c : space.value().classes) {
    if (c.subject == Subject::kLinkedAccount) {
      CHECK(c.sample["content"].contains("links_to"));
      p11 = p11 || c.rules == std::vector<std::string>{"P11"};
    }
    if (c.subject == Subject::kResharedAccount) {
      CHECK(c.sample["content"].contains("reshare_of"));
      p12 = p12 || c.rules == std::vector<std::string>{"P12"};
    }
  }
  CHECK(p11);
  CHECK(p12);
}

TEST_CASE("the table renders as JSON, CSV and Markdown, the same bytes every time") {
  auto policy = CompileOrFail(DefaultRulesDir());
  REQUIRE(policy);
  TableOptions options;
  options.at = std::get<Instant>(ParseRfc3339("2024-07-01T12:00:00Z"));
  Result<nlohmann::json> table = DecisionTableJson(*policy, options);
  REQUIRE(table.ok());
  const nlohmann::json& t = table.value();
  CHECK(t["at"] == "2024-07-01T12:00:00Z");
  const size_t n = t["classes"].size();
  const std::string csv = DecisionTableCsv(t);
  CHECK(csv.rfind("class,subject,from,until,conditions,surfaces,", 0) == 0);
  size_t lines = 0;
  bool quoted = false;
  for (char ch : csv) {
    if (ch == '"') quoted = !quoted;
    if (ch == '\n' && !quoted) ++lines;
  }
  CHECK(lines == n + 1);
  const std::string md = DecisionTableMarkdown(t);
  CHECK(md.find("| class | subject |") != std::string::npos);
  Result<nlohmann::json> again = DecisionTableJson(*policy, options);
  REQUIRE(again.ok());
  CHECK(again.value().dump() == t.dump());
}

TEST_CASE("conditions are written with the policy's groups") {
  auto policy = CompileOrFail(DefaultRulesDir());
  REQUIRE(policy);
  const Vocabulary& v = policy->vocabulary();
  ClassCondition c;
  c.kind = ClassCondition::Kind::kValues;
  c.attr = v.attr_viewer_country;
  c.values = v.groups[static_cast<size_t>(v.FindGroup("EU27"))].members;
  c.values.Remove(v.domains[kCountryDomain].Find("FR"));
  CHECK(ConditionText(*policy, c) == "viewer.country ∈ EU27 \\ {FR}");
  ClassCondition topics;
  topics.kind = ClassCondition::Kind::kIntersects;
  topics.attr = v.FindAttribute("content.topics");
  topics.values = v.groups[static_cast<size_t>(v.FindGroup("NEWS_POLITICS"))].members;
  CHECK(ConditionText(*policy, topics) == "content.topics ∩ NEWS_POLITICS ≠ ∅");
}

}  // namespace
}  // namespace statemark::testing
