// The policy playground's endpoints and the in-memory loading they rest on
// (server/playground.h, engine/loader.h LoadPolicyWithOverrides).
#include <doctest/doctest.h>
#include <httplib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "engine/loader.h"
#include "server/playground.h"
#include "server/server.h"
#include "tests/test_support.h"

namespace statemark::server {
namespace {

using nlohmann::json;
using statemark::testing::DefaultRulesDir;
namespace fs = std::filesystem;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every file of the rules directory with its bytes, to show nothing was written.
std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) files[e.path().string()] = ReadFile(e.path());
  }
  return files;
}

const std::string kP4Then = "surfaces: { for_you: ineligible, explore: ineligible, search: demoted }";

std::string PlatformWithTypo() {
  std::string text = ReadFile(DefaultRulesDir() + "/platform.yaml");
  const size_t at = text.find(kP4Then);
  REQUIRE(at != std::string::npos);
  return text.replace(at + std::string("surfaces: { ").size(), 7, "for_yuo");
}

// The line and column (1-based) of `needle` in `text`.
std::pair<int, int> Place(const std::string& text, const std::string& needle) {
  const size_t at = text.find(needle);
  REQUIRE(at != std::string::npos);
  const size_t line_start = text.rfind('\n', at) + 1;
  const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
  return {line, static_cast<int>(at - line_start) + 1};
}

std::string WithoutP4() {
  std::string text = ReadFile(DefaultRulesDir() + "/platform.yaml");
  const size_t from = text.find("  - id: P4\n");
  const size_t to = text.find("  - id: P5\n");
  REQUIRE(from != std::string::npos);
  REQUIRE(to != std::string::npos);
  return text.erase(from, to - from);
}

std::string ExemptionsWithoutP4() {
  std::string text = ReadFile(DefaultRulesDir() + "/exemptions.yaml");
  const size_t at = text.find("P4, ");
  REQUIRE(at != std::string::npos);
  return text.erase(at, 4);
}

TEST_CASE("loader: overrides replace files in memory and write nothing") {
  const std::string dir = DefaultRulesDir();
  const auto before = Snapshot(dir);
  const std::string typo = PlatformWithTypo();
  auto loaded = LoadPolicyWithOverrides(dir, {{"platform.yaml", typo}});
  REQUIRE_FALSE(loaded.ok());
  REQUIRE(loaded.diagnostics().items().size() == 1);
  const Diagnostic& d = loaded.diagnostics().items()[0];
  CHECK(d.location.file == dir + "/platform.yaml");
  CHECK(std::make_pair(d.location.line, d.location.column) == Place(typo, "for_yuo"));
  CHECK(d.code == "unknown-value");

  auto fixed = LoadPolicyWithOverrides(
      dir, {{"platform.yaml", WithoutP4()}, {"exemptions.yaml", ExemptionsWithoutP4()}});
  REQUIRE(fixed.ok());
  CHECK(fixed.value()->FindRule("P4") < 0);
  CHECK(fixed.value()->FindRule("P5") >= 0);
  auto live = LoadPolicy(dir);
  REQUIRE(live.ok());
  CHECK(fixed.value()->version != live.value()->version);
  // No overrides: exactly the directory.
  auto same = LoadPolicyWithOverrides(dir, {});
  REQUIRE(same.ok());
  CHECK(same.value()->version == live.value()->version);
  CHECK(Snapshot(dir) == before);
}

TEST_CASE("loader: an override must name a top-level yaml file and fit the file limit") {
  const std::string dir = DefaultRulesDir();
  for (const std::string name : {"../platform.yaml", "registry/accounts.csv", "notes.txt", ".yaml"}) {
    auto loaded = LoadPolicyWithOverrides(dir, {{name, "rules: []\n"}});
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.diagnostics().items()[0].code == "bad-file-name");
  }
  LoaderOptions small;
  small.max_file_bytes = 100;
  auto big = LoadPolicyWithOverrides(dir, {{"extra.yaml", std::string(101, '#')}}, small);
  REQUIRE_FALSE(big.ok());
  bool too_large = false;
  for (const Diagnostic& d : big.diagnostics().items()) {
    too_large = too_large || (d.code == "file-too-large" && d.location.file == dir + "/extra.yaml");
  }
  CHECK(too_large);
  // A new file is added beside the others.
  auto added = LoadPolicyWithOverrides(dir, {{"extra.yaml", "# nothing yet\n"}});
  REQUIRE(added.ok());
  bool listed = false;
  for (const SourceFile& f : added.value()->files) listed = listed || f.path == "extra.yaml";
  CHECK(listed);
}

class Playground {
 public:
  Playground() : server_(Options()) {
    std::string error;
    REQUIRE_MESSAGE(server_.Start(&error), error);
  }
  ~Playground() { server_.Stop(); }
  // The read timeout is 30 s, times STATEMARK_TEST_TIME_SCALE where that is set (the
  // sanitizer builds, where trying a policy and diffing it are many times slower).
  httplib::Client Client() const {
    httplib::Client c("127.0.0.1", server_.port());
    const char* scale = std::getenv("STATEMARK_TEST_TIME_SCALE");
    c.set_read_timeout(30 * (scale ? std::max(1, std::atoi(scale)) : 1), 0);
    return c;
  }

 private:
  static ServerOptions Options() {
    ServerOptions o;
    o.port = 0;
    o.rules_dir = DefaultRulesDir();
    o.threads = 4;
    o.access_log = false;
    o.event_log = false;
    o.admin_token_env = "";
    return o;
  }
  Server server_;
};

json Files(std::initializer_list<std::pair<std::string, std::string>> files) {
  json list = json::array();
  for (const auto& [file, text] : files) list.push_back({{"file", file}, {"text", text}});
  return {{"files", list}};
}

TEST_CASE("playground: the page and its assets come from the binary, locked to this origin") {
  Playground p;
  httplib::Client c = p.Client();
  auto page = c.Get("/");
  REQUIRE(page);
  CHECK(page->status == 200);
  CHECK(page->get_header_value("Content-Type") == "text/html; charset=utf-8");
  CHECK(page->body.find("<script src=\"/playground.js\" defer>") != std::string::npos);
  CHECK(page->get_header_value("Content-Security-Policy").find("default-src 'none'") == 0);
  for (const char* asset : {"/playground.js", "/playground.css"}) {
    auto r = c.Get(asset);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body.size() > 1000);
    // Nothing from elsewhere: no absolute URL in any asset (the SVG namespace name is
    // an identifier, never fetched).
    std::string body = r->body;
    const std::string svg_namespace = "http://www.w3.org/2000/svg";
    for (size_t at; (at = body.find(svg_namespace)) != std::string::npos;) body.erase(at, svg_namespace.size());
    CHECK(body.find("http://") == std::string::npos);
    CHECK(body.find("https://") == std::string::npos);
  }
  auto wrong = c.Post("/v1/playground/policy", "{}", "application/json");
  REQUIRE(wrong);
  CHECK(wrong->status == 405);
}

TEST_CASE("playground: the catalog, the sources, and explain agree with the service") {
  Playground p;
  httplib::Client c = p.Client();
  auto policy = c.Get("/v1/playground/policy");
  REQUIRE(policy);
  REQUIRE(policy->status == 200);
  const json catalog = json::parse(policy->body);
  CHECK(catalog["rules"].size() == 20);
  CHECK(catalog["files"].size() == 6);
  bool p4 = false;
  for (const json& r : catalog["rules"]) {
    if (r["id"] == "P4") {
      p4 = true;
      CHECK(r["layer"] == "platform");
      CHECK(r["from"] == "2024-05-23T00:00:00Z");
      CHECK(r["until"].is_null());
      CHECK(r["file"].get<std::string>().ends_with("platform.yaml"));
    }
  }
  CHECK(p4);
  bool rt_en = false;
  for (const json& a : catalog["registry"]) {
    if (a["id"] == "rt_en") {
      rt_en = true;
      CHECK(a["attributes"]["affiliation"] == "state_controlled_media");
      CHECK(a["attributes"]["affiliated_state"] == "RU");
      CHECK(a["listings"][0]["list"] == "eu_833_annex_xv");
      CHECK(a["listings"][0]["from"] == "2022-03-01T23:00:00Z");
    }
  }
  CHECK(rt_en);

  auto source = c.Get("/v1/playground/source?file=platform.yaml");
  REQUIRE(source);
  CHECK(json::parse(source->body)["text"] == ReadFile(DefaultRulesDir() + "/platform.yaml"));
  CHECK(json::parse(source->body)["same_as_loaded"] == true);
  for (const char* bad : {"registry/accounts.csv", "../CMakeLists.txt", "nope.yaml", ""}) {
    auto r = c.Get(std::string("/v1/playground/source?file=") + bad);
    REQUIRE(r);
    CHECK(r->status == 404);
  }

  const std::string request =
      R"({"time":"2024-07-01T12:00:00Z","viewer":{"country":"DE"},"account":{"id":"rt_en"},)"
      R"("content":{"topics":["current_global_affairs"]}})";
  auto decided = c.Post("/v1/decide", request, "application/json");
  auto explained = c.Post("/v1/playground/explain", request, "application/json");
  REQUIRE(decided);
  REQUIRE(explained);
  REQUIRE(explained->status == 200);
  const std::string body = explained->body;
  CHECK(body.find("{\"decision\":" + decided->body + ",\"explanation\":") == 0);
  const json e = json::parse(body)["explanation"];
  CHECK(e["agrees"] == true);
  for (const json& t : e["rules"]) {
    if (t["rule"] == "L1") CHECK(t["outcome"] == "decided");
    if (t["rule"] == "P4") CHECK(t["outcome"] == "overridden");
  }
  auto refused = c.Post("/v1/playground/explain", R"({"viewer":{"country":"XX"},"account":{"id":"a"}})",
                        "application/json");
  REQUIRE(refused);
  CHECK(refused->status == 400);
  CHECK(json::parse(refused->body)["error"]["path"] == "viewer.country");
}

TEST_CASE("playground: a trial edit reports errors or compiles, and changes nothing served") {
  Playground p;
  httplib::Client c = p.Client();
  const auto before = Snapshot(DefaultRulesDir());
  const std::string version = json::parse(c.Get("/readyz")->body)["policy_version"];

  const std::string typo = PlatformWithTypo();
  auto broken = c.Post("/v1/playground/try", Files({{"platform.yaml", typo}}).dump(), "application/json");
  REQUIRE(broken);
  REQUIRE(broken->status == 200);
  json answer = json::parse(broken->body);
  CHECK(answer["ok"] == false);
  REQUIRE(answer["diagnostics"].size() == 1);
  const auto [line, column] = Place(typo, "for_yuo");
  CHECK(answer["diagnostics"][0]["file"] == "platform.yaml");
  CHECK(answer["diagnostics"][0]["line"] == line);
  CHECK(answer["diagnostics"][0]["column"] == column);
  CHECK(answer["diagnostics"][0]["message"].get<std::string>().find("did you mean `for_you`") !=
        std::string::npos);

  // P4 alone: X1 still lifts it.
  auto half = c.Post("/v1/playground/try", Files({{"platform.yaml", WithoutP4()}}).dump(), "application/json");
  REQUIRE(half);
  answer = json::parse(half->body);
  CHECK(answer["ok"] == false);
  CHECK(answer["diagnostics"][0]["file"] == "exemptions.yaml");
  CHECK(answer["diagnostics"][0]["code"] == "unknown-rule");

  auto whole = c.Post("/v1/playground/try",
                      Files({{"platform.yaml", WithoutP4()}, {"exemptions.yaml", ExemptionsWithoutP4()}}).dump(),
                      "application/json");
  REQUIRE(whole);
  answer = json::parse(whole->body);
  CHECK(answer["ok"] == true);
  CHECK(answer["live_version"] == version);
  CHECK(answer["candidate_version"] != version);
  CHECK(answer.contains("diff"));

  auto twice = c.Post("/v1/playground/try",
                      Files({{"platform.yaml", "a"}, {"platform.yaml", "b"}}).dump(), "application/json");
  REQUIRE(twice);
  CHECK(twice->status == 400);
  auto none = c.Post("/v1/playground/try", R"({"files":[]})", "application/json");
  REQUIRE(none);
  CHECK(none->status == 400);
  auto huge = c.Post("/v1/playground/try",
                     Files({{"platform.yaml", std::string(kPlaygroundMaxTryBytes, '#')}}).dump(),
                     "application/json");
  REQUIRE(huge);
  CHECK(huge->status == 413);

  // Still the same policy, decisions, and files.
  httplib::Client after = p.Client();
  CHECK(json::parse(after.Get("/readyz")->body)["policy_version"] == version);
  auto xinhua = after.Post("/v1/decide",
                           R"({"time":"2024-07-01T12:00:00Z","viewer":{"country":"US"},"account":{"id":"xinhua"},)"
                           R"("content":{"topics":["current_global_affairs"]}})",
                           "application/json");
  CHECK(json::parse(xinhua->body)["surfaces"]["for_you"] == "ineligible");
  CHECK(Snapshot(DefaultRulesDir()) == before);
}

TEST_CASE("playground: the decision table filters classes; removing P4 changes P4's classes") {
  Playground p;
  httplib::Client c = p.Client();
  const std::string at = "/v1/playground/table?at=2024-07-01T12:00:00Z";
  auto all = c.Get(at);
  REQUIRE(all);
  REQUIRE(all->status == 200);
  const json table = json::parse(all->body);
  CHECK(table["total"] == table["classes_in_policy"]);
  CHECK(table["at"] == "2024-07-01T12:00:00Z");
  auto some = c.Get(at + "&affiliation=state_controlled_media&country=DE&topic=current_global_affairs");
  REQUIRE(some);
  REQUIRE(some->status == 200);
  const json filtered = json::parse(some->body);
  CHECK(filtered["total"].get<size_t>() > 0);
  CHECK(filtered["total"].get<size_t>() < table["total"].get<size_t>());
  bool withheld = false;
  for (const json& k : filtered["classes"]) {
    withheld = withheld || k["decision"]["surfaces"]["for_you"] == "geo_blocked";
  }
  CHECK(withheld);
  auto bad = c.Get(at + "&affiliation=state_controled_media");
  REQUIRE(bad);
  CHECK(bad->status == 400);
  CHECK(json::parse(bad->body)["error"]["message"].get<std::string>().find("state_controlled_media") !=
        std::string::npos);

  auto whole = c.Post("/v1/playground/try",
                      Files({{"platform.yaml", WithoutP4()}, {"exemptions.yaml", ExemptionsWithoutP4()}}).dump(),
                      "application/json");
  REQUIRE(whole);
  const json diff = json::parse(whole->body)["diff"];
  REQUIRE(diff["changes"].is_array());
  CHECK(diff["changes"].size() > 0);
  for (const json& change : diff["changes"]) {
    bool p4 = false;
    for (const json& r : change["rules_before"]) p4 = p4 || r.get<std::string>().find("P4") != std::string::npos;
    CHECK_MESSAGE(p4, change.dump());
  }
}

}  // namespace
}  // namespace statemark::server
