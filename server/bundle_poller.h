// BundlePoller: serves the policy from a bundle URL (`statemark serve --bundle URL`).
//
// Every interval (with jitter, ServerOptions::bundle_jitter) it asks the URL for the
// bundle with `If-None-Match: <the ETag it last got>`. A 304, or a 200 with the bytes
// already serving, changes nothing. A new bundle is verified (bundle/bundle.h:
// signature by a trusted key, every file against the manifest), unpacked into a fresh
// directory, loaded and compiled on the poller's thread, and activated through the
// PolicyStore exactly as a reload: one atomic swap, requests in flight finish on the
// version they started with, a bundle that fails any check is refused whole and the
// previous policy keeps serving.
//
// The last good bundle is kept in the cache directory (`bundle.tar.gz` with its ETag in
// `bundle.json`, each replaced by rename). At start the poller asks the URL first (with
// the cached ETag) and falls back to the cached bundle when the URL is unreachable or
// its bundle is refused, so a restart while the bundle server is down still serves.
//
// Status (the active bundle, the last poll, the last error) is reported in
// GET /v1/policy under `bundle` and in /metrics as `statemark_bundle_*`.
//
// Thread safety: Init and Startup before Start, from the owning thread; PollNow,
// StatusJson and RenderMetrics from any thread; Stop from the owning thread.
#ifndef STATEMARK_SERVER_BUNDLE_POLLER_H_
#define STATEMARK_SERVER_BUNDLE_POLLER_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bundle/signing.h"
#include "engine/instant.h"
#include "server/options.h"
#include "server/policy_store.h"

namespace statemark::server {

class BundlePoller {
 public:
  // `log` receives event-log lines (each ending in a newline); it may be empty.
  BundlePoller(const ServerOptions& options, PolicyStore* store,
               std::function<void(const std::string&)> log);
  ~BundlePoller();  // Stop()
  BundlePoller(const BundlePoller&) = delete;
  BundlePoller& operator=(const BundlePoller&) = delete;

  // Reads the trusted keys, parses the URL, creates and locks the cache directory.
  // False with *error when any of that fails (a start failure).
  bool Init(std::string* error);
  // The first poll, falling back to the cached bundle (see the file comment).
  void Startup();
  void Start();
  void Stop();  // idempotent; returns once the thread has exited

  // Polls now (SIGHUP, POST /v1/policy/reload). The result is the load attempt if a
  // new bundle arrived; otherwise an ok result naming the serving version, or a failed
  // one whose diagnostic says why the URL could not be polled.
  ReloadResult PollNow(ReloadTrigger trigger);

  // The `bundle` object of GET /v1/policy, as JSON text.
  std::string StatusJson() const;
  // The statemark_bundle_* series, Prometheus text.
  std::string RenderMetrics() const;

 private:
  enum class PollResult { kUpdated, kUnchanged, kRefused, kFailed };
  struct Fetched;

  ReloadResult Poll(ReloadTrigger trigger);
  Fetched Fetch(const std::string& etag) const;
  // Verifies, unpacks and activates `bytes`. Returns the load attempt.
  ReloadResult Activate(const std::string& bytes, const std::string& etag,
                        ReloadTrigger trigger, bool from_cache);
  bool ReadCache(std::string* bytes, std::string* etag) const;
  void WriteCache(const std::string& bytes, const std::string& etag);
  void RecordPoll(PollResult result, int http_status, const std::string& code,
                  const std::string& message);
  void Loop();

  const ServerOptions& options_;
  PolicyStore* const store_;
  const std::function<void(const std::string&)> log_;
  std::vector<std::unique_ptr<bundle::Ed25519Key>> keys_;
  std::string origin_;  // scheme://host:port
  std::string path_;    // /path?query
  int lock_fd_ = -1;

  std::mutex poll_mu_;  // one poll at a time; guards the fields below it
  std::string etag_;         // sent as If-None-Match
  std::string etag_sha_;     // the bundle that ETag stands for
  std::string active_dir_;   // the unpacked directory serving, removed when replaced
  std::string refused_sha_;  // the last refused bundle, not tried again until it changes

  mutable std::mutex status_mu_;  // guards the status below
  struct PollRecord {
    Instant at;
    PollResult result = PollResult::kUnchanged;
    int http_status = 0;
    std::string message;
  };
  struct ErrorRecord {
    Instant at;
    std::string code;
    std::string message;
  };
  std::optional<PollRecord> last_poll_;
  std::optional<ErrorRecord> last_error_;
  std::string url_sha_;  // the bundle the URL last answered with (200 or 304)
  uint64_t poll_counts_[4] = {0, 0, 0, 0};
  std::string last_failure_logged_;  // a repeated failure is logged once

  std::mutex wake_mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace statemark::server

#endif  // STATEMARK_SERVER_BUNDLE_POLLER_H_
