#include "engine/decision_json.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/compiler.h"
#include "engine/evaluator.h"
#include "engine/loader.h"

namespace statemark {
namespace {

constexpr Instant kNow{1700000000000000};  // 2023-11-14T22:13:20Z

std::shared_ptr<const CompiledPolicy> CompileDir(const std::string& dir) {
  auto loaded = LoadPolicy(dir);
  INFO(RenderDiagnostics(loaded.diagnostics()));
  REQUIRE(loaded.ok());
  auto compiled = Compile(loaded.value());
  INFO(RenderDiagnostics(compiled.diagnostics()));
  REQUIRE(compiled.ok());
  return compiled.value();
}

const CompiledPolicy& Shipped() {
  static const std::shared_ptr<const CompiledPolicy> policy =
      CompileDir(STATEMARK_SOURCE_DIR "/rules");
  return *policy;
}

// Parses, evaluates and writes one request: the decision's JSON text.
std::string Decide(const std::string& text, const CompiledPolicy& policy = Shipped()) {
  Request request;
  RequestError error;
  const bool ok = ParseRequestText(policy, text, kNow, &request, &error);
  INFO(error.message << " at " << error.path);
  REQUIRE(ok);
  auto decision = std::make_unique<Decision>();
  Evaluate(policy, request, decision.get());
  REQUIRE_FALSE(decision->overflow);
  std::string out;
  AppendDecisionJson(policy, request, *decision, &out);
  CHECK(nlohmann::json::accept(out));
  return out;
}

// The raw text of top-level field `key` of the JSON object `json`.
std::string FieldOf(const std::string& json, const std::string& key) {
  int depth = 0;
  bool in_string = false;
  size_t value_start = std::string::npos;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') ++i;
      if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      const std::string head = "\"" + key + "\":";
      if (depth == 1 && value_start == std::string::npos &&
          json.compare(i, head.size(), head) == 0) {
        value_start = i + head.size();
        i = value_start - 1;
        continue;
      }
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']' || c == ',') {
      if (c != ',') --depth;
      if (value_start != std::string::npos && depth == (c == ',' ? 1 : 0)) {
        return json.substr(value_start, i - value_start);
      }
    }
  }
  FAIL("no top-level field `" << key << "` in " << json);
  return "";
}

std::string Quoted(std::string_view s) {
  std::string out;
  AppendJsonString(s, &out);
  return out;
}

TEST_CASE("AppendJsonString escapes quotes, backslashes and control characters") {
  CHECK(Quoted("") == R"("")");
  CHECK(Quoted("plain text") == R"("plain text")");
  CHECK(Quoted("say \"hi\"") == R"("say \"hi\"")");
  CHECK(Quoted("C:\\dir") == R"("C:\\dir")");
  CHECK(Quoted("a\nb\tc\rd\be\ff") == R"("a\nb\tc\rd\be\ff")");
  CHECK(Quoted(std::string_view("\x00\x01\x1f", 3)) == R"("\u0000\u0001\u001f")");
  CHECK(Quoted("T\xC3\xBCrkiye \xE2\x80\x94 \xF0\x9F\x93\xB0") ==
        "\"T\xC3\xBCrkiye \xE2\x80\x94 \xF0\x9F\x93\xB0\"");  // UTF-8 passes through
  CHECK(Quoted("\x7f/</script>") == "\"\x7f/</script>\"");
  std::string out = "[";
  AppendJsonString("x", &out);  // appends, never replaces
  CHECK(out == R"(["x")");
}

TEST_CASE("AppendErrorJson") {
  std::string out;
  AppendErrorJson(RequestError{"invalid_request",
                               "unknown affiliation `state_controled_media`; did you mean "
                               "`state_controlled_media`?",
                               "items[3].account.affiliation"},
                  &out);
  CHECK(out == R"({"error":{"code":"invalid_request","message":"unknown affiliation )"
               R"(`state_controled_media`; did you mean `state_controlled_media`?",)"
               R"("path":"items[3].account.affiliation"}})");
  out.clear();
  AppendErrorJson(RequestError{"invalid_json", "malformed JSON at line 1, column 1: \"x\"", ""},
                  &out);
  CHECK(out == R"({"error":{"code":"invalid_json","message":"malformed JSON at line 1, column 1: )"
               R"(\"x\"","path":""}})");
}

TEST_CASE("the error for malformed input is valid JSON") {
  Request request;
  RequestError error;
  REQUIRE_FALSE(ParseRequestText(Shipped(), "{\"a\": \"\xff\xfe\x01\"}", kNow, &request, &error));
  std::string out;
  AppendErrorJson(error, &out);
  CHECK(nlohmann::json::accept(out));
}

TEST_CASE("S03: the full decision, byte for byte") {
  const std::string got = Decide(R"({"request_id": "r-123", "time": "2024-07-01T12:00:00Z",
      "viewer": {"country": "US"}, "account": {"id": "xinhua"},
      "content": {"topics": ["current_global_affairs"]}})");
  const std::string want =
      R"({"request_id":"r-123","policy_version":")" + Shipped().version() +
      R"(","time":"2024-07-01T12:00:00Z",)"
      R"("surfaces":{"for_you":"ineligible","explore":"ineligible","search":"demoted",)"
      R"("following":"eligible","profile":"eligible"},)"
      R"("labels":[{"id":"state_controlled_media","text":"China state-controlled media",)"
      R"("placements":["profile","post"]}],)"
      R"("notice":null,"friction":[],"monetization":"allow","rules":["P1","P4"],)"
      R"("shadow":[],"warnings":[]})";
  CHECK(got == want);
  CHECK(Decide(R"({"request_id": "r-123", "time": "2024-07-01T12:00:00Z",
      "viewer": {"country": "US"}, "account": {"id": "xinhua"},
      "content": {"topics": ["current_global_affairs"]}})") == got);  // deterministic
}

TEST_CASE("S12: a multi-country ad keeps only the home country") {
  const std::string got = Decide(R"({"time": "2024-07-01T12:00:00Z",
      "account": {"id": "tr_wire"},
      "ad": {"target_countries": ["TR", "DE", "AZ"], "topics": ["travel_tourism"]}})");
  CHECK(FieldOf(got, "request_id") == "null");
  CHECK(FieldOf(got, "ad") ==
        R"({"decision":"restrict","allowed":["TR"],)"
        R"("denied":[{"country":"DE","rules":["P6"]},{"country":"AZ","rules":["P6"]}]})");
  CHECK(FieldOf(got, "labels") ==
        "[{\"id\":\"state_affiliated_media\",\"text\":\"T\xC3\xBCrkiye state-affiliated "
        "media\",\"placements\":[\"ad\"]}]");
  CHECK(FieldOf(got, "rules") == R"(["P1b","P6"])");
}

TEST_CASE("ad verdicts: allow, deny, and every denying rule per country") {
  // S30: an independent broadcaster advertises anywhere.
  std::string got = Decide(R"({"time": "2024-07-01T12:00:00Z", "account": {"id": "bbc"},
      "ad": {"target_countries": ["US", "GB"], "topics": ["current_global_affairs"]}})");
  CHECK(FieldOf(got, "ad") == R"({"decision":"allow","allowed":["US","GB"],"denied":[]})");

  // RT in 2024-07: P6 (home only), P7 (Russian state media), L1 (EU targets), L2 (GB).
  got = Decide(R"({"time": "2024-07-01T12:00:00Z", "account": {"id": "rt_en"},
      "ad": {"target_countries": ["DE", "GB", "RU"]}})");
  CHECK(FieldOf(got, "ad") ==
        R"({"decision":"deny","allowed":[],"denied":[{"country":"DE","rules":["L1","P6","P7"]},)"
        R"({"country":"GB","rules":["L2","P6","P7"]},{"country":"RU","rules":["P7"]}]})");
  CHECK(FieldOf(got, "monetization") == R"("deny")");
}

TEST_CASE("S17: RT viewed from inside the EU is withheld with a notice") {
  const std::string got = Decide(R"({"time": "2024-07-01T12:00:00Z",
      "viewer": {"country": "DE"}, "account": {"id": "rt_en"},
      "content": {"topics": ["current_global_affairs"]}})");
  CHECK(FieldOf(got, "surfaces") ==
        R"({"for_you":"geo_blocked","explore":"geo_blocked","search":"geo_blocked",)"
        R"("following":"geo_blocked","profile":"geo_blocked"})");
  CHECK(FieldOf(got, "labels") == "[]");
  CHECK(FieldOf(got, "notice") == R"("withheld in DE in response to a legal demand")");
  CHECK(FieldOf(got, "rules") == R"(["L1"])");
  CHECK(got.find("\"ad\":") == std::string::npos);  // organic: no `ad` field
}

TEST_CASE("S46: a link label, friction, and the request's warnings") {
  const std::string got = Decide(R"({"time": "2024-07-01T12:00:00Z", "viewer": {"country": "US"},
      "account": {"id": "user_us"},
      "content": {"topics": ["war_conflict"], "links_to": ["rt_en"], "topcs": []}})");
  CHECK(FieldOf(got, "labels") ==
        R"([{"id":"state_media_link","text":"Stay informed: This post links to a Russia )"
        R"(state-affiliated media website.","placements":["post"]}])");
  CHECK(FieldOf(got, "friction") == R"(["click_interstitial"])");
  CHECK(FieldOf(got, "warnings") ==
        R"(["unknown field `content.topcs` ignored; did you mean `content.topics`?"])");
}

// A copy of the shipped rules with P4 also written as a shadow rule `Z4` that
// withholds the item instead, and `Z5`, a shadow rule that changes nothing.
std::string PolicyWithShadowRules() {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "statemark_decision_json_test";
  fs::remove_all(dir);
  fs::copy(STATEMARK_SOURCE_DIR "/rules", dir, fs::copy_options::recursive);
  fs::remove_all(dir / "tests");
  std::ofstream(dir / "shadow.yaml") << R"(rules:
  - id: Z4
    layer: platform
    mode: shadow
    description: Trial a stricter P4
    when:
      all:
        - account.affiliation: { in: [STATE_MEDIA] }
        - content.topics: { intersects: [NEWS_POLITICS] }
    then:
      surfaces: { for_you: removed, search: ineligible }
      friction: [share_interstitial]
  - id: Z5
    layer: platform
    mode: shadow
    description: Trial a rule that P1 already covers
    when:
      account.affiliation: state_controlled_media
    then:
      surfaces: { for_you: demoted }
)";
  return dir.string();
}

TEST_CASE("shadow rules report only what would change") {
  const auto policy = CompileDir(PolicyWithShadowRules());
  const std::string got = Decide(R"({"time": "2024-07-01T12:00:00Z",
      "viewer": {"country": "US"}, "account": {"id": "xinhua"},
      "content": {"topics": ["current_global_affairs"]}})",
                                 *policy);
  CHECK(FieldOf(got, "rules") == R"(["P1","P4"])");  // shadow rules enforce nothing
  CHECK(FieldOf(got, "shadow") ==
        R"([{"rule":"Z4","would":{"surfaces":{"for_you":"removed","search":"ineligible"},)"
        R"("friction":["share_interstitial"]}},{"rule":"Z5","would":{}}])");
}

}  // namespace
}  // namespace statemark
