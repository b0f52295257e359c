// Integration tests of the HTTP decision service: the real server, started in-process
// on a free loopback port, spoken to over HTTP with httplib's client.
//
// Every test works on a scratch copy of the default policy, so that edits to rules/
// while the tests run cannot make the server and the expectations disagree.
#include "server/server.h"

#include <doctest/doctest.h>
#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "server/admin_auth.h"
#include "server/decide_handler.h"
#include "server/decision_log.h"
#include "server/wire.h"
#include "tests/test_support.h"

namespace statemark::server {
namespace {

using nlohmann::json;
using statemark::testing::CompileOrFail;
using statemark::testing::DecideJson;
using statemark::testing::DefaultRulesDir;
namespace fs = std::filesystem;

// A scratch directory, in memory (/dev/shm) where the system has one. On a busy
// machine a rename on a journaled disk can stall for seconds while other processes
// write; the reload tests rewrite rule files in their timed loops.
class MemDir {
 public:
  MemDir() {
    static std::atomic<int> counter{0};
    std::error_code ec;
    const fs::path shm = "/dev/shm";
    const fs::path base = fs::is_directory(shm, ec) && access(shm.c_str(), W_OK) == 0
                              ? shm
                              : fs::temp_directory_path();
    path_ = base /
            ("statemark-server-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path_, ec);
    fs::create_directories(path_);
  }
  ~MemDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  MemDir(const MemDir&) = delete;
  MemDir& operator=(const MemDir&) = delete;

  const fs::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

  // Copies the default policy (without its tests) here.
  void CopyDefaultPolicy() const {
    for (const auto& entry : fs::directory_iterator(DefaultRulesDir())) {
      if (entry.path().filename() == "tests") continue;
      fs::copy(entry.path(), path_ / entry.path().filename(),
               fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    }
  }
  void Write(const std::string& relative, const std::string& text) const {
    fs::create_directories((path_ / relative).parent_path());
    std::ofstream(path_ / relative, std::ios::binary) << text;
  }

 private:
  fs::path path_;
};

constexpr const char* kToken = "test-admin-token-0123456789";

ServerOptions TestOptions(const std::string& rules_dir) {
  ServerOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.rules_dir = rules_dir;
  o.threads = 8;
  o.access_log = false;
  o.event_log = false;
  o.admin_token_env = "";  // whatever the environment says, no token unless a test sets one
  o.keep_alive_timeout_s = 1;
  o.read_timeout_ms = 3000;
  return o;
}

// A started server, stopped when the object dies. Declare clients after it, so they
// close their connections first.
class RunningServer {
 public:
  explicit RunningServer(ServerOptions options) : server_(std::move(options)) {
    std::string error;
    started_ = server_.Start(&error);
    REQUIRE_MESSAGE(started_, error);
  }
  ~RunningServer() { server_.Stop(); }

  Server& server() { return server_; }

  std::unique_ptr<httplib::Client> Client() const {
    auto client = std::make_unique<httplib::Client>("127.0.0.1", server_.port());
    client->set_keep_alive(true);
    client->set_tcp_nodelay(true);  // else Nagle holds the body back ~40 ms after the headers
    client->set_read_timeout(20, 0);
    return client;
  }

 private:
  Server server_;
  bool started_ = false;
};

httplib::Result PostJson(httplib::Client& client, const std::string& path,
                         const std::string& body) {
  return client.Post(path, body, "application/json");
}

httplib::Result Reload(httplib::Client& client, const std::string& token = kToken) {
  return client.Post("/v1/policy/reload", {{"Authorization", "Bearer " + token}}, "",
                     "application/json");
}

std::vector<std::string> WorkedExamples() {
  std::ifstream in(std::string(STATEMARK_SOURCE_DIR) + "/examples/requests/worked_examples.jsonl");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "," : "") + parts[i];
  return out;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Writes `text` to `path` by renaming a finished file over it, so a concurrent
// reload reads either the old bytes or the new ones.
void ReplaceFile(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.parent_path().parent_path() / (path.filename().string() + ".tmp-" +
                                                           path.parent_path().filename().string());
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
  }
  fs::rename(tmp, path);
}

// The default policy's platform.yaml with its first rule description changed: a
// second valid policy with another version.
std::string ChangedPlatformYaml(const std::string& original) {
  std::string text = original;
  const size_t at = text.find("description:");
  REQUIRE(at != std::string::npos);
  const size_t eol = text.find('\n', at);
  text.insert(eol, " (revised)");
  return text;
}

std::string WriteToken(const MemDir& dir) {
  dir.Write("admin.token", std::string(kToken) + "\n");
  return (dir.path() / "admin.token").string();
}

// The value of one metric sample line (`name{labels} value`), or -1 if absent.
double MetricValue(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

std::string BodyVersion(const std::string& body) {
  const std::string key = "\"policy_version\":\"";
  const size_t at = body.find(key);
  if (at == std::string::npos) return "";
  const size_t start = at + key.size();
  return body.substr(start, body.find('"', start) - start);
}

// ---------------------------------------------------------------------------------

TEST_CASE("server: worked examples through both decision endpoints equal eval's decisions") {
  MemDir rules;
  rules.CopyDefaultPolicy();
  auto policy = CompileOrFail(rules.str());
  REQUIRE(policy);
  RunningServer running(TestOptions(rules.str()));
  auto client = running.Client();

  const std::vector<std::string> lines = WorkedExamples();
  REQUIRE(lines.size() >= 10);
  std::vector<std::string> expected;
  for (const std::string& line : lines) {
    expected.push_back(DecideJson(*policy, line));
    auto res = PostJson(*client, "/v1/decide", line);
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->get_header_value("Content-Type") == "application/json");
    CHECK(res->get_header_value("X-Statemark-Policy-Version") == policy->version());
    CHECK(res->body == expected.back());
  }
  const std::string want =
      "{\"policy_version\":\"" + policy->version() + "\",\"decisions\":[" + Join(expected) + "]}";

  SUBCASE("items as they are") {
    auto res = PostJson(*client, "/v1/decide/batch", "{\"items\":[" + Join(lines) + "]}");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body == want);
  }
  SUBCASE("time shared at the top, a shared viewer that every item overrides") {
    json items = json::array();
    for (const std::string& line : lines) {
      json item = json::parse(line);
      item.erase("time");
      items.push_back(item);
    }
    json batch = {
        {"time", "2024-07-01T12:00:00Z"}, {"viewer", {{"country", "ZZ"}}}, {"items", items}};
    auto res = PostJson(*client, "/v1/decide/batch", batch.dump());
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body == want);
  }
}

TEST_CASE("server: batch items inherit shared fields and fail alone") {
  MemDir rules;
  rules.CopyDefaultPolicy();
  auto policy = CompileOrFail(rules.str());
  REQUIRE(policy);
  RunningServer running(TestOptions(rules.str()));
  auto client = running.Client();

  const std::string batch = R"({"time":"2024-07-01T12:00:00Z","viewer":{"country":"US"},"items":[
      {"request_id":"a","account":{"id":"xinhua"},"content":{"topics":["current_global_affairs"]}},
      {"request_id":"b","account":{"id":"x","affiliation":"state_controled_media"}},
      "not an object",
      {"request_id":"d","viewer":{"country":"GB"},"account":{"id":"creator_gb"}}]})";
  auto res = PostJson(*client, "/v1/decide/batch", batch);
  REQUIRE(res);
  REQUIRE(res->status == 200);
  const json answer = json::parse(res->body);
  CHECK(answer["policy_version"] == policy->version());
  const json& d = answer["decisions"];
  REQUIRE(d.size() == 4);
  // Item 0 decided with the shared viewer and time.
  CHECK(d[0].dump() ==
        json::parse(DecideJson(*policy, R"({"request_id":"a","time":"2024-07-01T12:00:00Z",
            "viewer":{"country":"US"},"account":{"id":"xinhua"},
            "content":{"topics":["current_global_affairs"]}})"))
            .dump());
  CHECK(d[1]["error"]["code"] == "invalid_request");
  CHECK(d[1]["error"]["path"] == "items[1].account.affiliation");
  CHECK(d[1]["error"]["message"].get<std::string>().find(
            "did you mean `state_controlled_media`?") != std::string::npos);
  CHECK(d[2]["error"]["path"] == "items[2]");
  // Item 3 overrides the viewer.
  CHECK(d[3]["request_id"] == "d");
  CHECK(d[3]["surfaces"].is_object());

  SUBCASE("an invalid shared field is named where it was written") {
    auto bad = PostJson(*client, "/v1/decide/batch",
                        R"({"viewer":{"country":"GBB"},"items":[{"account":{"id":"bbc"}},
                            {"viewer":{"country":"GB"},"account":{"id":"bbc"}}]})");
    REQUIRE(bad);
    CHECK(bad->status == 200);
    const json a = json::parse(bad->body);
    CHECK(a["decisions"][0]["error"]["path"] == "viewer.country");
    CHECK(a["decisions"][1]["surfaces"].is_object());
  }
  SUBCASE("an empty batch") {
    auto empty = PostJson(*client, "/v1/decide/batch", R"({"items":[]})");
    REQUIRE(empty);
    CHECK(empty->status == 200);
    CHECK(empty->body == "{\"policy_version\":\"" + policy->version() + "\",\"decisions\":[]}");
  }
}

TEST_CASE("server: reloads under continuous load drop no request") {
  MemDir a, b, live, admin;
  a.CopyDefaultPolicy();
  b.CopyDefaultPolicy();
  live.CopyDefaultPolicy();
  const std::string original = ReadFile(a.path() / "platform.yaml");
  const std::string changed = ChangedPlatformYaml(original);
  b.Write("platform.yaml", changed);
  auto pa = CompileOrFail(a.str());
  auto pb = CompileOrFail(b.str());
  REQUIRE(pa);
  REQUIRE(pb);
  const std::string v1 = pa->version();
  const std::string v2 = pb->version();
  REQUIRE(v1 != v2);

  ServerOptions options = TestOptions(live.str());
  options.admin_token_file = WriteToken(admin);
  RunningServer running(options);

  const std::vector<std::string> lines = WorkedExamples();
  const std::string batch = "{\"items\":[" + Join(lines) + "]}";
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::mutex seen_mu;
  std::set<std::string> seen;
  std::vector<std::string> failures;

  auto client_loop = [&](int id) {
    auto client = running.Client();
    std::set<std::string> mine;
    for (int n = 0; !stop.load(); ++n) {
      const bool use_batch = (n + id) % 4 == 0;
      auto res =
          use_batch ? PostJson(*client, "/v1/decide/batch", batch)
                    : PostJson(*client, "/v1/decide", lines[static_cast<size_t>(n) % lines.size()]);
      std::string problem;
      if (!res) {
        problem = "transport error " + httplib::to_string(res.error());
      } else if (res->status != 200) {
        problem = "status " + std::to_string(res->status) + ": " + res->body;
      } else {
        const std::string version = BodyVersion(res->body);
        if (version != v1 && version != v2) problem = "unknown version " + version;
        if (res->get_header_value("X-Statemark-Policy-Version") != version) {
          problem = "header and body versions differ";
        }
        if (use_batch) {
          const json answer = json::parse(res->body);
          for (const json& d : answer["decisions"]) {
            if (d.value("policy_version", "") != version) problem = "mixed versions in a batch";
          }
        }
        mine.insert(version);
      }
      if (problem.empty()) {
        ++ok;
      } else {
        ++failed;
        std::lock_guard<std::mutex> lock(seen_mu);
        if (failures.size() < 5) failures.push_back(problem);
      }
    }
    std::lock_guard<std::mutex> lock(seen_mu);
    seen.insert(mine.begin(), mine.end());
  };
  std::vector<std::thread> clients;
  for (int i = 0; i < 3; ++i) clients.emplace_back(client_loop, i);

  auto admin_client = running.Client();
  const auto start = std::chrono::steady_clock::now();
  int reloads = 0;
  int bad_reloads = 0;
  while (reloads < 20 || std::chrono::steady_clock::now() - start < std::chrono::seconds(2)) {
    const bool second = reloads % 2 == 0;  // the live copy starts as v1
    ReplaceFile(live.path() / "platform.yaml", second ? changed : original);
    auto res = Reload(*admin_client);
    if (!res || res->status != 200 || BodyVersion(res->body) != (second ? v2 : v1)) ++bad_reloads;
    ++reloads;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop = true;
  for (auto& t : clients) t.join();

  INFO("failures: " << Join(failures));
  CHECK(failed.load() == 0);
  CHECK(bad_reloads == 0);
  CHECK(reloads >= 20);
  CHECK(ok.load() > 100);
  CHECK(seen.count(v1) == 1);
  CHECK(seen.count(v2) == 1);
  MESSAGE(ok.load() << " requests answered during " << reloads << " reloads");
}

TEST_CASE("server: a policy with errors is rejected whole and the old one keeps serving") {
  MemDir live, admin;
  live.CopyDefaultPolicy();
  ServerOptions options = TestOptions(live.str());
  options.admin_token_file = WriteToken(admin);
  RunningServer running(options);
  auto client = running.Client();
  const std::string v1 = running.server().store().Current()->policy->version();

  live.Write("broken.yaml",
             "rules:\n"
             "  - id: BAD1\n"
             "    layer: platform\n"
             "    description: broken\n"
             "    when:\n"
             "      account.affiliation: state_controled_media\n"
             "    then:\n"
             "      labels: [state_controlled_media]\n");
  auto res = Reload(*client);
  REQUIRE(res);
  CHECK(res->status == 422);
  const json reload = json::parse(res->body);
  CHECK(reload["error"]["code"] == "policy_invalid");
  CHECK(reload["error"]["message"].get<std::string>().find("previous policy keeps serving") !=
        std::string::npos);
  CHECK(reload["policy_version"] == v1);
  REQUIRE(reload["diagnostics"].size() >= 1);
  CHECK(reload["diagnostics"][0]["code"] == "unknown-value");
  CHECK(reload["diagnostics"][0]["line"] == 6);
  const std::string rendered = reload["rendered"];
  CHECK(rendered.find("broken.yaml:6:28: error[unknown-value]") != std::string::npos);
  CHECK(rendered.find("did you mean `state_controlled_media`?") != std::string::npos);

  // Still serving v1.
  auto decide = PostJson(*client, "/v1/decide", WorkedExamples()[1]);
  REQUIRE(decide);
  CHECK(decide->status == 200);
  CHECK(BodyVersion(decide->body) == v1);

  auto policy = client->Get("/v1/policy");
  REQUIRE(policy);
  CHECK(policy->status == 200);
  const json p = json::parse(policy->body);
  CHECK(p["policy_version"] == v1);
  CHECK(p["last_reload"]["ok"] == false);
  CHECK(p["last_reload"]["trigger"] == "api");
  CHECK(p["last_reload"]["rendered"].get<std::string>().find("broken.yaml:6:28") !=
        std::string::npos);

  auto metrics = client->Get("/metrics");
  REQUIRE(metrics);
  CHECK(MetricValue(metrics->body, "statemark_policy_reload_failures_total") == 1);
  CHECK(MetricValue(metrics->body, "statemark_policy_reloads_total") == 2);  // start + this
  CHECK(MetricValue(metrics->body, "statemark_policy_last_reload_success") == 0);
  CHECK(MetricValue(metrics->body, "statemark_policy_info{version=\"" + v1 + "\"}") == 1);

  // Fixed, it loads; the report clears.
  fs::remove(live.path() / "broken.yaml");
  auto fixed = Reload(*client);
  REQUIRE(fixed);
  CHECK(fixed->status == 200);
  CHECK(json::parse(fixed->body)["changed"] == false);
  auto after = json::parse(client->Get("/v1/policy")->body);
  CHECK(after["last_reload"]["ok"] == true);
}

TEST_CASE("server: every class of bad input gets a JSON error with code and path") {
  MemDir rules;
  rules.CopyDefaultPolicy();
  ServerOptions options = TestOptions(rules.str());
  options.max_body_bytes = 4096;
  options.max_batch_items = 5;
  RunningServer running(options);
  auto client = running.Client();

  struct Case {
    const char* name;
    const char* endpoint;
    std::string body;
    int status;
    const char* code;
    const char* path;
    const char* message;  // a substring
  };
  const std::vector<Case> cases = {
      {"malformed JSON", "/v1/decide", R"({"account":)", 400, "invalid_json", "",
       "malformed JSON at line 1"},
      {"malformed batch JSON", "/v1/decide/batch", R"({"items":[}")", 400, "invalid_json", "",
       "malformed JSON"},
      {"not an object", "/v1/decide", "[1,2]", 400, "invalid_request", "", "expected an object"},
      {"wrong type: id", "/v1/decide", R"({"account":{"id":5}})", 400, "invalid_request",
       "account.id", "expected a string"},
      {"wrong type: viewer", "/v1/decide", R"({"viewer":"US","account":{"id":"bbc"}})", 400,
       "invalid_request", "viewer", "expected an object"},
      {"wrong type: topics", "/v1/decide",
       R"({"account":{"id":"bbc"},"content":{"topics":"war_conflict"}})", 400, "invalid_request",
       "content.topics", "expected an array"},
      {"unknown vocabulary value", "/v1/decide",
       R"({"account":{"id":"x","affiliation":"state_controled_media"}})", 400, "invalid_request",
       "account.affiliation", "did you mean `state_controlled_media`?"},
      {"unknown topic in a list", "/v1/decide",
       R"({"account":{"id":"bbc"},"content":{"topics":["travel_tourism","war_conflit"]}})", 400,
       "invalid_request", "content.topics[1]", "unknown topic `war_conflit`"},
      {"missing account.id", "/v1/decide", R"({"viewer":{"country":"US"}})", 400, "invalid_request",
       "account.id", "missing required field `account.id`"},
      {"bad time", "/v1/decide", R"({"time":"yesterday","account":{"id":"bbc"}})", 400,
       "invalid_request", "time", "invalid time"},
      {"invalid UTF-8", "/v1/decide", "{\"account\":{\"id\":\"a\xff\"}}", 400, "invalid_json", "",
       "ill-formed UTF-8"},
      {"too deep", "/v1/decide", std::string(100, '[') + std::string(100, ']'), 400, "invalid_json",
       "", "deeper than 64"},
      {"batch without items", "/v1/decide/batch", R"({"viewer":{"country":"US"}})", 400,
       "invalid_request", "items", "missing required field `items`"},
      {"batch items not an array", "/v1/decide/batch", R"({"items":{}})", 400, "invalid_request",
       "items", "expected an array"},
      {"batch over the item limit", "/v1/decide/batch", R"({"items":[{},{},{},{},{},{}]})", 400,
       "invalid_request", "items", "too many items: 6; at most 5"},
      {"body over the limit", "/v1/decide",
       R"({"account":{"id":"bbc"},"text":")" + std::string(5000, 'x') + "\"}", 413,
       "body_too_large", "", "over the limit of 4096 bytes"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    auto res = PostJson(*client, c.endpoint, c.body);
    REQUIRE(res);
    CHECK(res->status == c.status);
    CHECK(res->get_header_value("Content-Type") == "application/json");
    const json body = json::parse(res->body);
    CHECK(body["error"]["code"] == c.code);
    CHECK(body["error"]["path"] == c.path);
    CHECK(body["error"]["message"].get<std::string>().find(c.message) != std::string::npos);
  }

  SUBCASE("wrong content type") {
    auto res = client->Post("/v1/decide", R"({"account":{"id":"bbc"}})", "text/plain");
    REQUIRE(res);
    CHECK(res->status == 415);
    CHECK(json::parse(res->body)["error"]["code"] == "unsupported_media_type");
    auto charset = client->Post("/v1/decide", R"({"account":{"id":"bbc"}})",
                                "Application/JSON; charset=utf-8");
    REQUIRE(charset);
    CHECK(charset->status == 200);
  }
  SUBCASE("a chunked body over the limit") {
    const std::string big(6000, ' ');
    auto res = client->Post(
        "/v1/decide",
        [&](size_t offset, httplib::DataSink& sink) {
          if (offset < big.size()) {
            sink.write(big.data() + offset, std::min<size_t>(1000, big.size() - offset));
          } else {
            sink.done();
          }
          return true;
        },
        "application/json");
    REQUIRE(res);
    CHECK(res->status == 413);
    CHECK(json::parse(res->body)["error"]["code"] == "body_too_large");
  }
  SUBCASE("too many headers") {
    httplib::Headers headers;
    for (int i = 0; i < 120; ++i) headers.emplace("X-Filler-" + std::to_string(i), "1");
    auto res = client->Get("/healthz", headers);
    REQUIRE(res);
    CHECK(res->status == 431);
    CHECK(json::parse(res->body)["error"]["code"] == "headers_too_large");
  }
  SUBCASE("unknown endpoint and wrong method") {
    auto missing = client->Get("/v1/nothing");
    REQUIRE(missing);
    CHECK(missing->status == 404);
    CHECK(json::parse(missing->body)["error"]["code"] == "not_found");
    auto method = client->Get("/v1/decide");
    REQUIRE(method);
    CHECK(method->status == 405);
    CHECK(json::parse(method->body)["error"]["code"] == "method_not_allowed");
  }

  // After all that, the same connection still decides, and the errors were counted.
  auto good = PostJson(*client, "/v1/decide", WorkedExamples()[0]);
  REQUIRE(good);
  CHECK(good->status == 200);
  auto metrics = client->Get("/metrics");
  REQUIRE(metrics);
  CHECK(MetricValue(metrics->body, "statemark_decide_errors_total{code=\"invalid_request\"}") >= 9);
}

TEST_CASE("server: the reload endpoint needs the admin token") {
  MemDir rules, admin;
  rules.CopyDefaultPolicy();

  SUBCASE("token from a file") {
    ServerOptions options = TestOptions(rules.str());
    options.admin_token_file = WriteToken(admin);
    RunningServer running(options);
    auto client = running.Client();
    auto none = client->Post("/v1/policy/reload");
    REQUIRE(none);
    CHECK(none->status == 401);
    CHECK(json::parse(none->body)["error"]["code"] == "unauthorized");
    CHECK(none->has_header("WWW-Authenticate"));
    auto wrong = Reload(*client, "not-the-token");
    REQUIRE(wrong);
    CHECK(wrong->status == 401);
    auto prefix = Reload(*client, std::string(kToken).substr(0, 10));
    REQUIRE(prefix);
    CHECK(prefix->status == 401);
    auto basic =
        client->Post("/v1/policy/reload", {{"Authorization", std::string("Basic ") + kToken}}, "",
                     "application/json");
    REQUIRE(basic);
    CHECK(basic->status == 401);
    auto right = Reload(*client);
    REQUIRE(right);
    CHECK(right->status == 200);
    CHECK(json::parse(right->body)["reloaded"] == true);
  }
  SUBCASE("token from the environment") {
    setenv("STATEMARK_SERVER_TEST_TOKEN", kToken, 1);
    ServerOptions options = TestOptions(rules.str());
    options.admin_token_env = "STATEMARK_SERVER_TEST_TOKEN";
    RunningServer running(options);
    unsetenv("STATEMARK_SERVER_TEST_TOKEN");
    auto client = running.Client();
    CHECK(Reload(*client, "wrong")->status == 401);
    CHECK(Reload(*client)->status == 200);
  }
  SUBCASE("no token configured: disabled") {
    RunningServer running(TestOptions(rules.str()));
    auto client = running.Client();
    auto res = Reload(*client);
    REQUIRE(res);
    CHECK(res->status == 403);
    const json body = json::parse(res->body);
    CHECK(body["error"]["code"] == "reload_disabled");
    CHECK(body["error"]["message"].get<std::string>().find("no admin token is configured") !=
          std::string::npos);
  }
  SUBCASE("an unreadable token file stops the start") {
    ServerOptions options = TestOptions(rules.str());
    options.admin_token_file = (admin.path() / "missing.token").string();
    Server server(options);
    std::string error;
    CHECK_FALSE(server.Start(&error));
    CHECK(error.find("missing.token") != std::string::npos);
  }
}

TEST_CASE("server: health, readiness and metrics") {
  MemDir rules;
  rules.CopyDefaultPolicy();
  RunningServer running(TestOptions(rules.str()));
  auto client = running.Client();
  const std::string version = running.server().store().Current()->policy->version();

  auto health = client->Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  auto ready = client->Get("/readyz");
  REQUIRE(ready);
  CHECK(ready->status == 200);
  CHECK(json::parse(ready->body)["policy_version"] == version);

  const std::string decide_ok =
      "statemark_http_requests_total{endpoint=\"/v1/decide\",status=\"200\"}";
  const std::string p1 = "statemark_rule_matches_total{rule=\"P1\"}";
  const std::string for_you = "statemark_decisions_total{surface=\"for_you\",level=\"ineligible\"}";
  auto before = client->Get("/metrics");
  REQUIRE(before);
  CHECK(before->status == 200);
  CHECK(before->get_header_value("Content-Type").find("text/plain") == 0);
  const double decided_before = std::max(0.0, MetricValue(before->body, decide_ok));
  const double p1_before = std::max(0.0, MetricValue(before->body, p1));
  const double for_you_before = std::max(0.0, MetricValue(before->body, for_you));

  // S03: xinhua on current affairs to a US viewer: P1 and P4, for_you ineligible.
  auto res = PostJson(*client, "/v1/decide", WorkedExamples()[1]);
  REQUIRE(res);
  REQUIRE(res->status == 200);
  auto after = client->Get("/metrics");
  REQUIRE(after);
  CHECK(MetricValue(after->body, decide_ok) == decided_before + 1);
  CHECK(MetricValue(after->body, p1) == p1_before + 1);
  CHECK(MetricValue(after->body, for_you) == for_you_before + 1);
  CHECK(MetricValue(after->body,
                    "statemark_http_request_duration_seconds_count{endpoint=\"/v1/"
                    "decide\",status=\"200\"}") == decided_before + 1);
  CHECK(MetricValue(after->body, "statemark_policy_info{version=\"" + version + "\"}") == 1);
  CHECK(after->body.find("# TYPE statemark_http_request_duration_seconds histogram") !=
        std::string::npos);
  CHECK(MetricValue(after->body, "statemark_decision_log_dropped_total") == 0);

  SUBCASE("counts survive a reload") {
    running.server().Reload(ReloadTrigger::kApi);
    auto again = client->Get("/metrics");
    REQUIRE(again);
    CHECK(MetricValue(again->body, p1) == p1_before + 1);
  }
}

TEST_CASE("server: without a policy it is alive, not ready, and answers 503") {
  MemDir rules, admin;
  ServerOptions options = TestOptions(rules.str());  // an empty directory: no policy
  options.admin_token_file = WriteToken(admin);
  RunningServer running(options);
  auto client = running.Client();

  CHECK(client->Get("/healthz")->status == 200);
  auto ready = client->Get("/readyz");
  REQUIRE(ready);
  CHECK(ready->status == 503);
  CHECK(json::parse(ready->body)["error"]["code"] == "policy_not_loaded");
  auto decide = PostJson(*client, "/v1/decide", WorkedExamples()[0]);
  REQUIRE(decide);
  CHECK(decide->status == 503);
  CHECK(json::parse(decide->body)["error"]["code"] == "policy_not_loaded");
  auto policy = client->Get("/v1/policy");
  REQUIRE(policy);
  CHECK(policy->status == 503);
  CHECK(json::parse(policy->body)["last_reload"]["ok"] == false);

  rules.CopyDefaultPolicy();
  auto reload = Reload(*client);
  REQUIRE(reload);
  CHECK(reload->status == 200);
  CHECK(json::parse(reload->body)["previous_version"].is_null());
  CHECK(client->Get("/readyz")->status == 200);
  CHECK(PostJson(*client, "/v1/decide", WorkedExamples()[0])->status == 200);
}

TEST_CASE("server: --watch reloads when the rule files change") {
  MemDir live;
  live.CopyDefaultPolicy();
  const std::string changed = ChangedPlatformYaml(ReadFile(live.path() / "platform.yaml"));
  ServerOptions options = TestOptions(live.str());
  options.watch = true;
  options.watch_interval_ms = 50;
  RunningServer running(options);
  const std::string v1 = running.server().store().Current()->policy->version();

  // The policy's own tests are not part of it.
  live.Write("tests/extra.yaml", "tests: []\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(running.server().store().Current()->policy->version() == v1);
  CHECK(running.server().metrics().reloads() == 1);

  ReplaceFile(live.path() / "platform.yaml", changed);
  std::string now = v1;
  for (int i = 0; i < 100 && now == v1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    now = running.server().store().Current()->policy->version();
  }
  CHECK(now != v1);
  auto last = running.server().store().LastAttempt();
  REQUIRE(last);
  CHECK(last->trigger == ReloadTrigger::kWatch);
}

TEST_CASE("server: decision log") {
  MemDir rules, logs;
  rules.CopyDefaultPolicy();
  const std::string log_path = (logs.path() / "decisions.jsonl").string();
  std::vector<std::string> answers;
  {
    ServerOptions options = TestOptions(rules.str());
    options.decision_log_path = log_path;
    RunningServer running(options);
    auto client = running.Client();
    const std::vector<std::string> lines = WorkedExamples();
    for (size_t i = 0; i < 3; ++i)
      answers.push_back(PostJson(*client, "/v1/decide", lines[i])->body);
    auto batch =
        PostJson(*client, "/v1/decide/batch",
                 "{\"time\":\"2024-07-01T12:00:00Z\",\"items\":[{\"account\":{\"id\":\"bbc\"}},"
                 "{\"account\":{\"id\":\"xinhua\"},\"viewer\":{\"country\":\"US\"}},"
                 "{\"account\":{}}]}");
    REQUIRE(batch);
    const json decided = json::parse(batch->body);
    for (const json& d : decided["decisions"]) answers.push_back(d.dump());
    client.reset();
    running.server().Stop();  // flushes the log
  }
  std::ifstream in(log_path);
  std::vector<json> records;
  for (std::string line; std::getline(in, line);) records.push_back(json::parse(line));
  REQUIRE(records.size() == 5);  // the invalid batch item is not a decision
  for (size_t i = 0; i < 3; ++i) {
    CHECK(records[i]["endpoint"] == "/v1/decide");
    CHECK(records[i]["decision"].dump() == json::parse(answers[i]).dump());
    CHECK(records[i]["request"] == json::parse(WorkedExamples()[i]));
    CHECK(records[i]["policy_version"] == records[i]["decision"]["policy_version"]);
  }
  CHECK(records[3]["endpoint"] == "/v1/decide/batch");
  CHECK(records[3]["batch_index"] == 0);
  CHECK(records[3]["request"]["time"] == "2024-07-01T12:00:00Z");  // shared fields applied
  CHECK(records[4]["batch_index"] == 1);
  CHECK(records[4]["decision"].dump() == answers[4]);
}

TEST_CASE("decision log: deterministic sampling and counted drops") {
  SUBCASE("by request id, the same on every instance") {
    DecisionLog one({"/dev/null", 0.25, 16}, nullptr);
    DecisionLog two({"/dev/null", 0.25, 16}, nullptr);
    int sampled = 0;
    for (int i = 0; i < 20000; ++i) {
      const std::string id = "req-" + std::to_string(i);
      const bool s = one.Sampled(id, true);
      CHECK(s == two.Sampled(id, true));
      sampled += s ? 1 : 0;
    }
    CHECK(sampled > 4500);
    CHECK(sampled < 5500);
  }
  SUBCASE("without ids, exactly the rate") {
    DecisionLog log({"/dev/null", 0.1, 16}, nullptr);
    int sampled = 0;
    for (int i = 0; i < 1000; ++i) sampled += log.Sampled("", false) ? 1 : 0;
    CHECK(sampled == 100);
  }
  SUBCASE("rates 0 and 1, and a disabled log") {
    DecisionLog none({"/dev/null", 0.0, 16}, nullptr);
    DecisionLog all({"/dev/null", 1.0, 16}, nullptr);
    DecisionLog off({"", 1.0, 16}, nullptr);
    CHECK_FALSE(none.Sampled("x", true));
    CHECK(all.Sampled("x", true));
    CHECK_FALSE(off.Sampled("x", true));
  }
  SUBCASE("a full buffer drops and counts, never blocks") {
    MemDir dir;
    const std::string path = (dir.path() / "log.jsonl").string();
    Metrics metrics;
    DecisionLog log({path, 1.0, 2}, &metrics);
    for (int i = 0; i < 5; ++i) log.Submit("{\"n\":" + std::to_string(i) + "}");
    CHECK(log.dropped() == 3);
    CHECK(metrics.decision_log_dropped() == 3);
    std::string error;
    REQUIRE(log.Start(&error));
    log.Close();
    CHECK(ReadFile(path) == "{\"n\":0}\n{\"n\":1}\n");
    CHECK(MetricValue(metrics.Render(), "statemark_decision_log_dropped_total") == 3);
    CHECK(MetricValue(metrics.Render(), "statemark_decision_log_records_total") == 2);
  }
}

TEST_CASE("server: a graceful stop finishes the request in flight") {
  MemDir rules;
  rules.CopyDefaultPolicy();
  RunningServer running(TestOptions(rules.str()));
  // A batch big enough to be in flight when Stop() is called.
  std::string items;
  for (int i = 0; i < 10000; ++i) {
    items += (i ? "," : "");
    items += R"({"account":{"id":"xinhua"},"content":{"topics":["current_global_affairs"]}})";
  }
  const std::string batch =
      R"({"time":"2024-07-01T12:00:00Z","viewer":{"country":"US"},"items":[)" + items + "]}";
  std::atomic<bool> sent{false};
  httplib::Result result(nullptr, httplib::Error::Unknown);
  std::thread request([&] {
    auto client = running.Client();
    sent = true;
    result = PostJson(*client, "/v1/decide/batch", batch);
  });
  while (!sent) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const auto start = std::chrono::steady_clock::now();
  running.server().Stop();
  const double stop_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  request.join();
  CHECK(stop_seconds < 5);
  // Either the server had accepted the request and answered it whole, or it had not
  // yet accepted the connection; never a cut-off answer.
  if (result) {
    CHECK(result->status == 200);
    CHECK(json::parse(result->body)["decisions"].size() == 10000);
  }
}

// Runs `command` and returns its exit status, with its stdout in *out.
int RunCommand(const std::string& command, std::string* out) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) out->append(buf, n);
  return pclose(pipe);
}

bool HaveProgram(const std::string& name) {
  std::string ignored;
  return RunCommand("command -v " + name + " >/dev/null 2>&1", &ignored) == 0;
}

TEST_CASE("server: the examples run against a live server") {
  MemDir rules;
  rules.CopyDefaultPolicy();
  RunningServer running(TestOptions(rules.str()));
  const std::string url = "http://127.0.0.1:" + std::to_string(running.server().port());
  const std::string examples = std::string(STATEMARK_SOURCE_DIR) + "/examples";

  if (HaveProgram("python3")) {
    std::string out;
    CHECK(RunCommand("python3 " + examples + "/recommend_client.py --url " + url +
                         " --time 2024-07-01T12:00:00Z 2>&1",
                     &out) == 0);
    CHECK(out.find("post-1   xinhua        eligible on: following, profile") != std::string::npos);
    CHECK(out.find("did you mean `elections_civic`?") != std::string::npos);
  } else {
    MESSAGE("python3 not found: examples/recommend_client.py not run");
  }
  if (HaveProgram("curl")) {
    std::string out;
    CHECK(RunCommand("STATEMARK_URL=" + url + " bash " + examples + "/curl.sh 2>&1", &out) == 0);
    CHECK(out.find("== POST /v1/decide/batch") != std::string::npos);
    CHECK(out.find("\"code\":\"reload_disabled\"") != std::string::npos);
    CHECK(out.find("statemark_http_requests_total") != std::string::npos);
  } else {
    MESSAGE("curl not found: examples/curl.sh not run");
  }
}

TEST_CASE("server helpers: bearer check, content type, JSON depth") {
  CHECK(ConstantTimeEquals("abc", "abc"));
  CHECK_FALSE(ConstantTimeEquals("abc", "abd"));
  CHECK_FALSE(ConstantTimeEquals("abc", "abcd"));
  CHECK_FALSE(ConstantTimeEquals("", "a"));
  CHECK(CheckBearer("", "Bearer x") == AuthResult::kDisabled);
  CHECK(CheckBearer("tok", "") == AuthResult::kMissing);
  CHECK(CheckBearer("tok", "Basic tok") == AuthResult::kMissing);
  CHECK(CheckBearer("tok", "Bearer tok") == AuthResult::kOk);
  CHECK(CheckBearer("tok", "bearer  tok ") == AuthResult::kOk);
  CHECK(CheckBearer("tok", "Bearer tok2") == AuthResult::kWrong);

  CHECK(wire::IsJsonContentType("application/json"));
  CHECK(wire::IsJsonContentType("application/json; charset=utf-8"));
  CHECK(wire::IsJsonContentType(" Application/JSON "));
  CHECK_FALSE(wire::IsJsonContentType(""));
  CHECK_FALSE(wire::IsJsonContentType("text/json"));
  CHECK_FALSE(wire::IsJsonContentType("application/jsonx"));

  CHECK(JsonDepthWithin(R"({"a":[{"b":1}]})", 3));
  CHECK_FALSE(JsonDepthWithin(R"({"a":[{"b":1}]})", 2));
  CHECK(JsonDepthWithin(R"({"a":"[[[[[[[["})", 1));  // brackets in strings do not count
  CHECK(JsonDepthWithin(R"({"a":"\"[[[["})", 1));

  CHECK(wire::HttpStatus(wire::kBodyTooLarge) == 413);
  CHECK(wire::HttpStatus(wire::kPolicyNotLoaded) == 503);
  CHECK(wire::ErrorBody(wire::kNotFound, "no `x`", "a.b") ==
        R"({"error":{"code":"not_found","message":"no `x`","path":"a.b"}})");
}

}  // namespace
}  // namespace statemark::server
