// Fault tests against the real `statemark serve` binary, each asserting what the service
// must do: keep answering, on a policy version that was live, with the right status.
//
//   reloads under load      120 reloads (endpoint and SIGHUP) while clients decide:
//                           no failed response, no version that was never live, no
//                           batch mixing versions
//   broken files            a rule file truncated, a file replaced while --watch reads,
//                           an unreadable file, a registry row that does not parse: each
//                           rejected with its diagnostic; the last good policy serves
//   slow clients            connections that trickle a request do not starve others
//   oversized bodies        a flood of bodies over --max-body-bytes: 413 each, the
//                           service stays up and small
//   SIGTERM under load      every request the service accepted is answered
//
// STATEMARK_BINARY names the binary (set by tests/service/CMakeLists.txt).
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/service/serve_process.h"

namespace statemark::service_test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

const char kToken[] = "fault-test-token";

const std::string kRequest =
    R"({"time":"2024-07-01T12:00:00Z","viewer":{"country":"US"},"account":{"id":"xinhua"},)"
    R"("content":{"topics":["current_global_affairs"]}})";

std::string Batch(int items) {
  std::string out = R"({"time":"2024-07-01T12:00:00Z","viewer":{"country":"GB"},"items":[)";
  for (int i = 0; i < items; ++i) {
    out += i ? "," : "";
    out += R"({"request_id":"b)" + std::to_string(i) + R"(","account":{"id":")" +
           (i % 2 ? "rt_en" : "xinhua") + R"("},"content":{"topics":["war_conflict"]}})";
  }
  return out + "]}";
}

httplib::Result Post(httplib::Client& client, const std::string& path, const std::string& body) {
  return client.Post(path, body, "application/json");
}

httplib::Result Reload(httplib::Client& client) {
  return client.Post("/v1/policy/reload", httplib::Headers{{"Authorization", std::string("Bearer ") + kToken}},
                     "", "application/json");
}

std::string ServingVersion(const ServeProcess& serve) {
  auto res = serve.Client()->Get("/readyz");
  return res && res->status == 200 ? BodyVersion(res->body) : "";
}

// Asserts one decision answer: 200, a version, the header agreeing, and for a batch
// every decision on the batch's version. Returns the version, or a problem via *problem.
std::string CheckAnswer(const httplib::Result& res, bool batch, std::string* problem) {
  if (!res) {
    *problem = "transport error " + httplib::to_string(res.error());
    return "";
  }
  if (res->status != 200) {
    *problem = "status " + std::to_string(res->status) + ": " + res->body.substr(0, 200);
    return "";
  }
  const std::string version = BodyVersion(res->body);
  if (version.empty()) *problem = "no policy_version in " + res->body.substr(0, 200);
  if (res->get_header_value("X-Statemark-Policy-Version") != version) {
    *problem = "header and body versions differ";
  }
  if (batch) {
    // Named: a range-for over a member of json::parse's temporary would read freed memory
    // (the temporary dies before the loop runs; found by AddressSanitizer).
    const json decisions = json::parse(res->body).value("decisions", json::array());
    if (decisions.empty()) *problem = "no decisions in a batch answer";
    for (const json& d : decisions) {
      if (d.value("policy_version", "") != version) *problem = "mixed versions in one batch";
    }
  }
  return version;
}

// Clients deciding in a loop until stopped; collects every version seen and every problem.
class Load {
 public:
  Load(const ServeProcess& serve, int threads) {
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this, &serve, i] {
        auto client = serve.Client();
        const std::string batch = Batch(20);
        std::set<std::string> seen;
        for (long n = 0; !stop_.load(); ++n) {
          const bool use_batch = (n + i) % 3 == 0;
          std::string problem;
          const std::string v =
              CheckAnswer(Post(*client, use_batch ? "/v1/decide/batch" : "/v1/decide",
                               use_batch ? batch : kRequest),
                          use_batch, &problem);
          std::lock_guard<std::mutex> lock(mu_);
          if (problem.empty()) {
            ++answered_;
            seen.insert(v);
          } else {
            ++failed_;
            if (problems_.size() < 5) problems_.push_back(problem);
          }
        }
        std::lock_guard<std::mutex> lock(mu_);
        versions_.insert(seen.begin(), seen.end());
      });
    }
  }
  ~Load() { Stop(); }
  void Stop() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  long answered() const { return answered_; }
  long failed() const { return failed_; }
  const std::set<std::string>& versions() const { return versions_; }
  std::string problems() const {
    std::string out;
    for (const auto& p : problems_) out += p + "\n";
    return out;
  }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  long answered_ = 0;
  long failed_ = 0;
  std::set<std::string> versions_;
  std::vector<std::string> problems_;
  std::vector<std::thread> threads_;
};

// Waits until the service serves a version other than `old`; returns it ("" on timeout).
std::string WaitForNewVersion(const ServeProcess& serve, const std::string& old, double seconds) {
  const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < deadline) {
    const std::string v = ServingVersion(serve);
    if (!v.empty() && v != old) return v;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return "";
}

TEST_CASE("service faults: 120 reloads under load; every answer on a version that was live") {
  ScratchDir rules;
  rules.CopyDefaultPolicy();
  ServeProcess serve({"--rules", rules.str(), "--threads", "8", "--no-access-log"}, kToken);
  REQUIRE(serve.started());
  std::set<std::string> live = {ServingVersion(serve)};
  REQUIRE(!live.begin()->empty());

  const fs::path platform = rules.path() / "platform.yaml";
  const std::string original = ReadFile(platform);
  Load load(serve, 3);
  auto admin = serve.Client();
  int reloads = 0, bad_reloads = 0;
  std::string current = *live.begin();
  for (int i = 0; i < 120; ++i) {
    // Each reload changes the bytes, so each is a new version.
    ReplaceFile(platform, original + "# revision " + std::to_string(i) + "\n");
    std::string next;
    if (i % 2 == 0) {
      auto res = Reload(*admin);
      if (res && res->status == 200) next = BodyVersion(res->body);
    } else {
      serve.Signal(SIGHUP);
      next = WaitForNewVersion(serve, current, 20);
    }
    if (next.empty() || next == current) {
      ++bad_reloads;
    } else {
      live.insert(next);
      current = next;
    }
    ++reloads;
  }
  load.Stop();
  INFO(load.problems());
  CHECK(bad_reloads == 0);
  CHECK(load.failed() == 0);
  CHECK(load.answered() > 100);
  for (const std::string& v : load.versions()) CHECK_MESSAGE(live.count(v) == 1, "never live: " << v);
  CHECK(load.versions().size() > 2);
  MESSAGE(reloads << " reloads, " << load.answered() << " answers on " << load.versions().size()
                  << " versions, " << load.failed() << " failed");
  serve.Signal(SIGTERM);
  CHECK(serve.Wait(30) == 0);
}

TEST_CASE("service faults: broken files are rejected and the last good policy serves") {
  ScratchDir rules;
  rules.CopyDefaultPolicy();
  ServeProcess serve({"--rules", rules.str(), "--no-access-log"}, kToken);
  REQUIRE(serve.started());
  const std::string good = ServingVersion(serve);
  REQUIRE(!good.empty());
  auto admin = serve.Client();
  auto expect_rejected = [&](const std::string& code, const std::string& file) {
    auto res = Reload(*admin);
    REQUIRE(res);
    CHECK(res->status == 422);
    const json body = json::parse(res->body);
    CHECK(body["error"]["code"] == "policy_invalid");
    CHECK(body["policy_version"] == good);
    bool found = false;
    for (const json& d : body["diagnostics"]) {
      if (d["code"] == code && d["file"].get<std::string>().find(file) != std::string::npos) found = true;
    }
    CHECK_MESSAGE(found, "no " << code << " diagnostic for " << file << " in " << res->body);
    std::string problem;
    CHECK(CheckAnswer(Post(*admin, "/v1/decide", kRequest), false, &problem) == good);
    CHECK(problem.empty());
  };

  SUBCASE("a rule file truncated mid-write") {
    const std::string text = ReadFile(rules.path() / "platform.yaml");
    // Cut inside a rule: the YAML still parses, but a rule lost its `then`.
    const size_t cut = text.find("then:", text.size() / 2);
    REQUIRE(cut != std::string::npos);
    ReplaceFile(rules.path() / "platform.yaml", text.substr(0, cut));
    auto res = Reload(*admin);
    REQUIRE(res);
    CHECK(res->status == 422);
    CHECK(BodyVersion(res->body) == good);
    // Truncated in the middle of a flow sequence: a syntax error.
    ReplaceFile(rules.path() / "platform.yaml", text.substr(0, text.find('[', text.size() / 2) + 3));
    expect_rejected("yaml-syntax", "platform.yaml");
    // Written whole again: the same bytes, the same version.
    ReplaceFile(rules.path() / "platform.yaml", text);
    res = Reload(*admin);
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(BodyVersion(res->body) == good);
  }
  SUBCASE("an unreadable rule file") {
    fs::remove(rules.path() / "legal.yaml");
    fs::create_symlink(rules.path() / "no-such-file.yaml", rules.path() / "legal.yaml");
    expect_rejected("unreadable", "legal.yaml");
  }
  SUBCASE("a registry with a corrupt row") {
    std::string csv = ReadFile(rules.path() / "registry" / "accounts.csv");
    csv += "broken_row,\"unterminated quote,RU\n";
    ReplaceFile(rules.path() / "registry" / "accounts.csv", csv);
    auto res = Reload(*admin);
    REQUIRE(res);
    CHECK(res->status == 422);
    CHECK(BodyVersion(res->body) == good);
    CHECK(res->body.find("accounts.csv") != std::string::npos);
  }
  serve.Signal(SIGTERM);
  CHECK(serve.Wait(30) == 0);
}

TEST_CASE("service faults: --watch never serves a file caught mid-write") {
  ScratchDir rules;
  rules.CopyDefaultPolicy();
  ServeProcess serve({"--rules", rules.str(), "--no-access-log", "--watch", "--watch-interval-ms", "50"});
  REQUIRE(serve.started());
  const std::string good = ServingVersion(serve);
  Load load(serve, 2);
  // Written in place, in two halves with a pause long enough for the watcher to load
  // the first half: it is rejected, then the whole file becomes the new version.
  const fs::path legal = rules.path() / "legal.yaml";
  const std::string text = ReadFile(legal) + "# edited\n";
  {
    std::ofstream out(legal, std::ios::binary | std::ios::trunc);
    out << text.substr(0, text.size() / 2) << std::flush;
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    out << text.substr(text.size() / 2);
  }
  const std::string next = WaitForNewVersion(serve, good, 20);
  load.Stop();
  INFO(load.problems());
  CHECK(!next.empty());
  CHECK(load.failed() == 0);
  for (const std::string& v : load.versions()) CHECK((v == good || v == next));
  // The half-written file was seen and rejected, not served.
  CHECK(serve.Log().find("\"ok\":false") != std::string::npos);
}

TEST_CASE("service faults: a batch with a number too large for a double is a 400, not a crash") {
  // Found by fuzz/decide_fuzzer: the batch handler caught only parse errors, and the
  // JSON library reports `1e999` as out of range, which ended the process.
  ScratchDir rules;
  rules.CopyDefaultPolicy();
  ServeProcess serve({"--rules", rules.str(), "--no-access-log"});
  REQUIRE(serve.started());
  auto client = serve.Client();
  for (const char* body : {R"({"time":1e999,"items":[]})", R"({"items":[{"account":{"id":"x"},"n":-1e400}]})"}) {
    CAPTURE(body);
    auto res = Post(*client, "/v1/decide/batch", body);
    REQUIRE(res);
    CHECK(res->status == 400);
    CHECK(json::parse(res->body)["error"]["code"] == "invalid_json");
  }
  auto health = client->Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  serve.Signal(SIGTERM);
  CHECK(serve.Wait(30) == 0);
}

// A raw TCP connection to the service.
int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

TEST_CASE("service faults: slow clients holding connections do not starve others") {
  ScratchDir rules;
  rules.CopyDefaultPolicy();
  ServeProcess serve({"--rules", rules.str(), "--threads", "8", "--no-access-log"});
  REQUIRE(serve.started());
  // Six connections that trickle a request's headers one byte every 100 ms.
  std::atomic<bool> stop{false};
  std::vector<std::thread> slow;
  for (int i = 0; i < 6; ++i) {
    slow.emplace_back([&] {
      const int fd = Connect(serve.port());
      if (fd < 0) return;
      const std::string head = "POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Slow: ";
      for (size_t k = 0; !stop.load(); ++k) {
        const char c = k < head.size() ? head[k] : 'a';
        if (send(fd, &c, 1, MSG_NOSIGNAL) != 1) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      close(fd);
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto client = serve.Client(5);
  double worst = 0;
  for (int i = 0; i < 50; ++i) {
    const auto start = Clock::now();
    std::string problem;
    CheckAnswer(Post(*client, "/v1/decide", kRequest), false, &problem);
    CHECK_MESSAGE(problem.empty(), problem);
    worst = std::max(worst, std::chrono::duration<double>(Clock::now() - start).count());
  }
  stop = true;
  for (auto& t : slow) t.join();
  MESSAGE("slowest answer beside 6 slow clients: " << worst * 1000 << " ms");
  CHECK(worst < 2.0);
  serve.Signal(SIGTERM);
  CHECK(serve.Wait(30) == 0);
}

TEST_CASE("service faults: a flood of oversized bodies gets 413s and the service stays up") {
  ScratchDir rules;
  rules.CopyDefaultPolicy();
  ServeProcess serve({"--rules", rules.str(), "--max-body-bytes", "65536", "--no-access-log"});
  REQUIRE(serve.started());
  const long rss_before = serve.RssKilobytes();
  const std::string big(1 << 20, ' ');  // 1 MiB of JSON whitespace
  std::atomic<int> refused{0}, other{0};
  std::vector<std::thread> flood;
  for (int t = 0; t < 4; ++t) {
    flood.emplace_back([&] {
      auto client = serve.Client();
      for (int i = 0; i < 50; ++i) {
        auto res = Post(*client, "/v1/decide", big + kRequest);
        (res && res->status == 413 ? refused : other)++;
      }
    });
  }
  for (auto& t : flood) t.join();
  CHECK(refused.load() == 200);
  CHECK(other.load() == 0);
  auto client = serve.Client();
  auto health = client->Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  std::string problem;
  CHECK(!CheckAnswer(Post(*client, "/v1/decide", kRequest), false, &problem).empty());
  CHECK(problem.empty());
  const long rss_after = serve.RssKilobytes();
  MESSAGE("200 MiB refused; RSS " << rss_before << " kB before, " << rss_after << " kB after");
  CHECK(rss_after < rss_before + 64 * 1024);  // nothing buffered: well under one body each
  serve.Signal(SIGTERM);
  CHECK(serve.Wait(30) == 0);
}

TEST_CASE("service faults: SIGTERM under load loses no accepted request") {
  // Every request carries a unique id and the decision log records every request the
  // service decided. A request is lost if the service decided it (it is in the log)
  // but its client got no answer. A request the service never read (its connection was
  // closed, or never accepted, as the stop began) is not lost: the client sees a
  // transport error and may retry it.
  ScratchDir rules;
  rules.CopyDefaultPolicy();
  const std::string decision_log = (rules.path() / "decisions.jsonl").string();
  ServeProcess serve({"--rules", rules.str(), "--threads", "8", "--no-access-log",
                      "--decision-log", decision_log});
  REQUIRE(serve.started());
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::set<std::string> answered, unanswered;
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      std::unique_ptr<httplib::Client> client;
      for (long n = 0; !stop.load(); ++n) {
        if (!client) client = serve.Client(10);
        const std::string id = "c" + std::to_string(t) + "-" + std::to_string(n);
        const std::string body = R"({"request_id":")" + id + R"(",)" + kRequest.substr(1);
        auto res = Post(*client, "/v1/decide", body);
        std::lock_guard<std::mutex> lock(mu);
        if (res && res->status == 200 && res->body.find("\"" + id + "\"") != std::string::npos) {
          answered.insert(id);
        } else {
          unanswered.insert(id);
          client.reset();
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  serve.Signal(SIGTERM);
  const int status = serve.Wait(30);
  stop = true;
  for (auto& t : clients) t.join();
  CHECK(status == 0);
  std::set<std::string> decided;
  std::istringstream log(ReadFile(decision_log));
  for (std::string line; std::getline(log, line);) {
    const json record = json::parse(line, nullptr, false);
    if (record.is_object()) decided.insert(record["request"].value("request_id", ""));
  }
  long lost = 0, unlogged = 0;
  for (const std::string& id : unanswered) lost += decided.count(id);
  for (const std::string& id : answered) unlogged += 1 - static_cast<long>(decided.count(id));
  CHECK(answered.size() > 50);
  CHECK(lost == 0);
  CHECK(unlogged == 0);
  MESSAGE(answered.size() << " answered, " << unanswered.size()
                          << " not read by the stopping service, " << lost << " lost");
}

}  // namespace
}  // namespace statemark::service_test
