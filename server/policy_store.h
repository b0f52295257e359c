// PolicyStore: the live policy, and how it is replaced.
//
// The serving policy is an immutable PolicySnapshot behind a
// std::atomic<std::shared_ptr<const PolicySnapshot>>. A request loads the pointer
// once and decides everything it answers (a whole batch) with that snapshot, so it
// finishes on the version it started with even if a reload lands meanwhile; the old
// snapshot is freed when its last request lets go.
//
// Reload() loads and compiles the rules directory on the calling thread (a reload
// request's worker, the signal thread or the watcher; never a decision's path),
// then swaps the pointer in one atomic store. A policy with errors is rejected whole:
// the previous snapshot keeps serving and the diagnostics are kept for
// GET /v1/policy. Reloads are serialized with each other.
//
// Thread safety: every method may be called from any thread.
#ifndef STATEMARK_SERVER_POLICY_STORE_H_
#define STATEMARK_SERVER_POLICY_STORE_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "engine/compiled_policy.h"
#include "engine/instant.h"
#include "engine/status.h"
#include "server/metrics.h"

namespace statemark::server {

// Where a policy loaded from a bundle came from (server/bundle_poller.h).
struct BundleOrigin {
  std::string url;
  std::string sha256;    // of the bundle file
  std::string etag;      // as the bundle server sent it; "" if none
  std::string revision;  // the manifest's; "" if none
  std::string created;   // the manifest's
  std::string key_id;    // the signing key's id; "" if unsigned
  bool signature_verified = false;
  bool from_cache = false;  // loaded from the local copy at start, the URL not answering with it
};

// One loaded policy version and what belongs to it.
struct PolicySnapshot {
  std::shared_ptr<const CompiledPolicy> policy;
  Instant loaded_at;
  std::string dir;                             // the directory it was loaded from
  std::shared_ptr<const BundleOrigin> bundle;  // null unless it came from a bundle
  // Per-version metric cells. Declared after `policy`, so destroyed before it: the
  // counters read the policy's names when they fold into the totals.
  std::unique_ptr<PolicyCounters> counters;
};

// What caused a reload; reported in logs and in GET /v1/policy.
enum class ReloadTrigger { kStartup, kApi, kSignal, kWatch, kBundle };
const char* ReloadTriggerName(ReloadTrigger t);

struct ReloadResult {
  bool ok = false;
  ReloadTrigger trigger = ReloadTrigger::kStartup;
  Instant at;                    // when the attempt finished
  double seconds = 0;            // load + compile time
  std::string version;           // the version serving after the attempt; "" if none
  std::string previous_version;  // the version serving before; "" if none
  // Errors and warnings on failure; warnings on success.
  Diagnostics diagnostics;
};

class PolicyStore {
 public:
  // `metrics` may be null (no counting). It must outlive the store.
  PolicyStore(std::string rules_dir, Metrics* metrics);
  ~PolicyStore();
  PolicyStore(const PolicyStore&) = delete;
  PolicyStore& operator=(const PolicyStore&) = delete;

  // The serving snapshot, or null before the first successful load. One atomic load.
  std::shared_ptr<const PolicySnapshot> Current() const {
    return current_.load(std::memory_order_acquire);
  }

  // Loads and compiles the rules directory; on success swaps it in.
  ReloadResult Reload(ReloadTrigger trigger);

  // Like Reload, from `dir` (an unpacked bundle) instead of the rules directory. The
  // policy is swapped in only if its version is `expected_version` (the bundle
  // manifest's); `bundle` is kept with the snapshot.
  ReloadResult LoadFrom(const std::string& dir, ReloadTrigger trigger,
                        const std::string& expected_version,
                        std::shared_ptr<const BundleOrigin> bundle);

  // Records an attempt refused before anything was loaded (a bundle that failed
  // verification), with the reason as an error diagnostic. The serving policy stays.
  ReloadResult Refuse(ReloadTrigger trigger, const Diagnostic& reason);

  // The most recent attempt, if any.
  std::optional<ReloadResult> LastAttempt() const;
  // The most recent attempt if it failed (a later success clears it).
  std::optional<ReloadResult> LastFailure() const;

  const std::string& rules_dir() const { return rules_dir_; }

 private:
  const std::string rules_dir_;
  Metrics* const metrics_;
  std::atomic<std::shared_ptr<const PolicySnapshot>> current_;
  std::mutex reload_mu_;          // one reload at a time
  mutable std::mutex status_mu_;  // guards last_
  std::optional<ReloadResult> last_;
};

}  // namespace statemark::server

#endif  // STATEMARK_SERVER_POLICY_STORE_H_
