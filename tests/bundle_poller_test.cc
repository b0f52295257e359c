// `serve --bundle` in-process: a bundle host (httplib, with ETags and 304s) feeding a
// real Server; conditional polls, activation, refusal, and starting from the cache.
#include "server/bundle_poller.h"

#include <doctest/doctest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "bundle/bundle.h"
#include "engine/loader.h"
#include "server/server.h"
#include "tests/test_support.h"

namespace statemark::server {
namespace {

using nlohmann::json;
using statemark::testing::ScratchDir;

// Serves one bundle at /policy.tar.gz with a strong ETag (its sha256) and answers a
// matching If-None-Match with 304; counts what it answered.
class BundleHost {
 public:
  BundleHost() {
    http_.Get("/policy.tar.gz", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      const std::string etag = "\"" + bundle::Sha256Hex(bytes_) + "\"";
      if (req.get_header_value("If-None-Match") == etag) {
        ++not_modified_;
        res.status = 304;
        return;
      }
      ++full_;
      res.set_header("ETag", etag);
      res.set_content(bytes_, "application/gzip");
    });
    port_ = http_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { http_.listen_after_bind(); });
    while (!http_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~BundleHost() { Stop(); }
  void Stop() {
    http_.stop();
    if (thread_.joinable()) thread_.join();
  }
  void Publish(std::string bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    bytes_ = std::move(bytes);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/policy.tar.gz"; }
  int not_modified() {
    std::lock_guard<std::mutex> lock(mu_);
    return not_modified_;
  }

 private:
  httplib::Server http_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::string bytes_;
  int not_modified_ = 0, full_ = 0;
};

std::string MakeBundle(const std::string& dir, const std::string& revision,
                       const bundle::Ed25519Key* key) {
  auto loaded = LoadPolicy(dir);
  REQUIRE(loaded.ok());
  bundle::BuildInput input;
  input.policy_dir = dir;
  input.policy_version = loaded.value()->version;
  for (const SourceFile& f : loaded.value()->files) input.files.push_back(f.path);
  input.revision = revision;
  input.signing_key = key;
  std::string bytes, error;
  bundle::Manifest manifest;
  REQUIRE(bundle::BuildBundle(input, &bytes, &manifest, &error));
  return bytes;
}

ServerOptions BundleOptions(const std::string& url, const std::string& cache,
                            const std::string& pub) {
  ServerOptions o;
  o.port = 0;
  o.threads = 4;
  o.access_log = false;
  o.event_log = false;
  o.admin_token_env = "";
  o.keep_alive_timeout_s = 1;
  o.bundle_url = url;
  o.bundle_cache_dir = cache;
  o.bundle_interval_ms = 50;
  o.bundle_timeout_ms = 1000;
  o.verify_key_files = {pub};
  return o;
}

json Report(Server& server) {
  httplib::Client client("127.0.0.1", server.port());
  auto res = client.Get("/v1/policy");
  REQUIRE(res);
  return json::parse(res->body);
}

template <typename F>
bool Eventually(F done) {
  for (int i = 0; i < 200; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

TEST_CASE("bundle poller: conditional polls, activation, refusal, restart from the cache") {
  ScratchDir keys, v1, v2, cache;
  std::string error;
  REQUIRE(!bundle::GenerateKeyPair(keys.str() + "/k.key", keys.str() + "/k.pub", &error).empty());
  auto key = bundle::Ed25519Key::LoadPrivate(keys.str() + "/k.key", &error);
  REQUIRE(key);
  v1.CopyDefaultPolicy();
  v2.CopyDefaultPolicy();
  v2.Write("zz_note.yaml", "# release 2\n");
  const std::string b1 = MakeBundle(v1.str(), "rev-1", key.get());
  const std::string b2 = MakeBundle(v2.str(), "rev-2", key.get());
  const std::string version1 = LoadPolicy(v1.str()).value()->version;
  const std::string version2 = LoadPolicy(v2.str()).value()->version;

  BundleHost host;
  host.Publish(b1);
  const ServerOptions options = BundleOptions(host.url(), cache.str(), keys.str() + "/k.pub");
  {
    Server server(options);
    REQUIRE(server.Start(&error));
    REQUIRE(server.store().Current());
    CHECK(server.store().Current()->policy->version() == version1);
    // Unchanged bundles are not downloaded again: the host answers 304.
    CHECK(Eventually([&] { return host.not_modified() >= 3; }));
    CHECK(server.metrics().reloads() == 1);
    json r = Report(server);
    CHECK(r["bundle"]["active"]["revision"] == "rev-1");
    CHECK(r["bundle"]["in_sync"] == true);
    CAPTURE(r["bundle"].dump());
    CHECK(r["bundle"]["last_poll"]["result"] == "unchanged");
    CHECK(r["bundle"]["last_poll"]["http_status"] == 304);

    host.Publish(b2);
    CHECK(Eventually([&] { return server.store().Current()->policy->version() == version2; }));
    CHECK(server.store().Current()->bundle->revision == "rev-2");

    // A bundle with a file changed is refused; v2 keeps serving; the reason is reported.
    std::vector<bundle::ArchiveEntry> entries;
    REQUIRE(bundle::ReadTarGz(b1, {}, &entries, &error));
    for (auto& e : entries) {
      if (e.name == "policy/legal.yaml") e.data += "# sneaked in\n";
    }
    std::string tampered;
    REQUIRE(bundle::WriteTarGz(entries, 0, &tampered, &error));
    host.Publish(tampered);
    CHECK(Eventually([&] { return Report(server)["bundle"]["last_poll"]["result"] == "refused"; }));
    r = Report(server);
    CHECK(r["policy_version"] == version2);
    CHECK(r["bundle"]["last_error"]["code"] == "bundle-file-mismatch");
    CHECK(r["bundle"]["in_sync"] == false);
    CHECK(r["last_reload"]["ok"] == false);
    CHECK(r["last_reload"]["diagnostics"][0]["code"] == "bundle-file-mismatch");
    const std::string metrics = server.metrics().Render();
    CHECK(server.metrics().failed_reloads() == 1);  // refused once, not at every poll

    // A reload in bundle mode polls now; nothing new, so nothing changes.
    const ReloadResult now = server.Reload(ReloadTrigger::kApi);
    CHECK(now.version == version2);
    CHECK(server.metrics().failed_reloads() == 1);

    host.Publish(b2);
    CHECK(Eventually([&] { return Report(server)["bundle"]["in_sync"] == true; }));
    server.Stop();
  }

  // A second process may not share the cache.
  {
    Server first(options);
    REQUIRE(first.Start(&error));
    Server second(options);
    CHECK_FALSE(second.Start(&error));
    CHECK(error.find("in use by another process") != std::string::npos);
  }

  // Restart with the bundle host gone: the cached bundle serves.
  host.Stop();
  {
    Server server(options);
    REQUIRE(server.Start(&error));
    REQUIRE(server.store().Current());
    CHECK(server.store().Current()->policy->version() == version2);
    json r = Report(server);
    CHECK(r["bundle"]["active"]["from_cache"] == true);
    CHECK(r["bundle"]["last_poll"]["result"] == "failed");
    CHECK(r["bundle"]["last_error"]["code"] == "bundle-unreachable");
    httplib::Client client("127.0.0.1", server.port());
    auto metrics = client.Get("/metrics");
    REQUIRE(metrics);
    CHECK(metrics->body.find("statemark_bundle_polls_total{result=\"failed\"} 1") !=
          std::string::npos);
    CHECK(metrics->body.find("statemark_bundle_info{revision=\"rev-2\"") != std::string::npos);
  }
}

}  // namespace
}  // namespace statemark::server
