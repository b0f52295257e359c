// Lint: small policies built to show each finding, and the default policy, which has none.
#include <doctest/doctest.h>

#include <set>

#include "engine/lint.h"
#include "tests/decision_space_support.h"

namespace statemark::testing {
namespace {

std::vector<LintFinding> Findings(const std::string& rules_yaml) {
  ScratchDir dir;
  WriteRules(dir, rules_yaml);
  auto policy = CompileOrFail(dir.str());
  REQUIRE(policy);
  Result<LintResult> r = Lint(*policy);
  if (!r.ok()) FAIL(RenderDiagnostics(r.diagnostics()));
  return r.value().findings;
}

const LintFinding* Find(const std::vector<LintFinding>& fs, const std::string& code, const std::string& rule) {
  for (const LintFinding& f : fs) {
    if (f.code == code && f.rule == rule) return &f;
  }
  return nullptr;
}

int Count(const std::vector<LintFinding>& fs, const std::string& rule) {
  int n = 0;
  for (const LintFinding& f : fs) n += f.rule == rule ? 1 : 0;
  return n;
}

TEST_CASE("the default policy has no findings") {
  auto policy = CompileOrFail(DefaultRulesDir());
  REQUIRE(policy);
  Result<LintResult> r = Lint(*policy);
  REQUIRE(r.ok());
  CHECK(LintText(r.value()) == "");
}

TEST_CASE("a clause whose conditions contradict each other never matches") {
  const auto fs = Findings(R"(rules:
  - id: Z1
    layer: platform
    when:
      all:
        - content.topics: { contains_all: [food] }
        - not: { content.topics: { intersects: [food, sports] } }
    then: { labels: [state_controlled_media] }
  - id: Z2
    layer: platform
    when: { account.affiliation: state_controlled_media }
    then: { labels: [state_controlled_media] }
    cases:
      - when: { viewer.country: { not_same_as: viewer.country } }
        then: { friction: [click_interstitial] }
)");
  const LintFinding* z1 = Find(fs, "never-matches", "Z1");
  REQUIRE(z1);
  CHECK(z1->at.line == 2);
  CHECK(z1->message.find("the `then` of rule `Z1` matches no request") == 0);
  CHECK(!z1->example);
  const LintFinding* z2 = Find(fs, "never-matches", "Z2");
  REQUIRE(z2);
  CHECK(z2->message.find("case 1 of rule `Z2`") == 0);
  CHECK(Count(fs, "Z2") == 1);  // its `then` matches and labels
}

TEST_CASE("a window in which the conditions cannot hold") {
  const auto fs = Findings(R"(rules:
  - id: Z3
    layer: platform
    effective: { until: "2020-01-01T00:00:00Z" }
    when: { request.time: { at_or_after: "2021-01-01T00:00:00Z" } }
    then: { labels: [state_controlled_media] }
)");
  CHECK(Find(fs, "never-matches", "Z3"));
}

TEST_CASE("a rule that others always outdo changes no decision, with an example") {
  const auto fs = Findings(R"(rules:
  - id: Z4
    layer: platform
    when: { account.affiliation: state_controlled_media }
    then: { surfaces: { for_you: demoted } }
  - id: Z5
    layer: platform
    when: { account.affiliation: { in: [STATE_MEDIA] } }
    then: { surfaces: { for_you: ineligible } }
)");
  const LintFinding* z4 = Find(fs, "no-effect", "Z4");
  REQUIRE(z4);
  REQUIRE(z4->example);
  CHECK(!Find(fs, "no-effect", "Z5"));
}

TEST_CASE("exemptions that lift nothing, or not every rule they name") {
  const auto fs = Findings(R"(rules:
  - id: Z6
    layer: platform
    when: { account.affiliation: state_controlled_media }
    then: { labels: [state_controlled_media] }
  - id: Z7
    layer: platform
    when: { account.affiliation: government_official }
    then: { labels: [government_official] }
  - id: Z8
    layer: exemption
    when: { account.affiliation: none }
    lifts: [Z6]
  - id: Z9
    layer: exemption
    when: { account.label_appeal: granted }
    lifts: [Z6, Z7]
  - id: Z10
    layer: exemption
    when: { account.affiliation: government_official }
    lifts: [Z6, Z7]
)");
  const LintFinding* z8 = Find(fs, "lifts-nothing", "Z8");
  REQUIRE(z8);
  CHECK(z8->message == "exemption `Z8` lifts nothing: no request matches both it and a rule it lifts");
  CHECK(!Find(fs, "lifts-nothing", "Z9"));
  const LintFinding* z10 = Find(fs, "lifts-nothing", "Z10");
  REQUIRE(z10);
  CHECK(z10->message == "exemption `Z10` never lifts `Z6`: no request matches both");
}

TEST_CASE("labels, notices, groups, windows and friction declared and never used") {
  const auto fs = Findings(R"(rules:
  - id: Z11
    layer: platform
    when: { account.affiliation: { in: [STATE_MEDIA] } }
    then: { labels: [state_controlled_media], friction: [click_interstitial] }
)");
  std::set<std::string> messages;
  for (const LintFinding& f : fs) messages.insert(f.code + ": " + f.message);
  CHECK(messages.count("unused-label: label `state_media_link` is declared but no rule shows it"));
  CHECK(messages.count("unused-notice: notice `legal_demand` is declared but no rule gives it"));
  CHECK(messages.count("unused-group: group `EU27` is declared but no rule names it"));
  CHECK(!messages.count("unused-group: group `STATE_MEDIA` is declared but no rule names it"));
  CHECK(messages.count("unused-window: window `GB-2024` is declared but no rule is in effect in it"));
  CHECK(messages.count("unused-friction: friction `share_interstitial` is declared but no rule adds it"));
  CHECK(!messages.count("unused-friction: friction `click_interstitial` is declared but no rule adds it"));
  for (const LintFinding& f : fs) {
    CHECK(!f.at.file.empty());
    CHECK(f.at.line > 0);
  }
}

}  // namespace
}  // namespace statemark::testing
