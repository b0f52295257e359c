// Metrics: the service's counters, rendered in the Prometheus text format.
//
// Request counters and latency histograms sit in fixed arrays of atomics indexed by
// endpoint and status, so recording one costs a few relaxed increments and no lock.
// What depends on the policy (decisions per surface and level, matches per rule) is
// counted in a PolicyCounters block that belongs to one loaded policy version: a
// request increments the block of the snapshot it decided with, so the counts of one
// decision never straddle two versions and the hot path needs no name lookup. When
// a version is retired and its last request has finished, its block folds its counts
// into the name-keyed totals; /metrics adds the live blocks to the totals. Counters
// therefore never go down across reloads.
//
// Names (all prefixed `statemark_`; docs/service.md lists them with their labels):
//   http_requests_total, http_request_duration_seconds, decisions_total,
//   rule_matches_total, shadow_rule_matches_total, decide_errors_total,
//   batch_items, policy_reloads_total, policy_reload_failures_total,
//   policy_last_reload_success, policy_info, policy_loaded_timestamp_seconds,
//   decision_log_records_total, decision_log_dropped_total,
//   decision_log_write_errors_total
//
// Thread safety: every method may be called from any thread.
#ifndef STATEMARK_SERVER_METRICS_H_
#define STATEMARK_SERVER_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/compiled_policy.h"
#include "engine/decision.h"

namespace statemark::server {

enum class Endpoint {
  kDecide,
  kDecideBatch,
  kPolicy,
  kReload,
  kHealthz,
  kReadyz,
  kMetrics,
  kOther,  // unknown paths: one series, so a scanner cannot grow the label set
};
inline constexpr int kEndpointCount = 8;

// The endpoint serving `path`.
Endpoint EndpointFor(std::string_view path);
// Its label value: the path (`/v1/decide`), or `other`.
const char* EndpointLabel(Endpoint e);

class Metrics;

// Counts of one loaded policy version. Created by the PolicyStore with each
// snapshot; see the file comment.
class PolicyCounters {
 public:
  PolicyCounters(Metrics* metrics, const CompiledPolicy& policy);
  ~PolicyCounters();
  PolicyCounters(const PolicyCounters&) = delete;
  PolicyCounters& operator=(const PolicyCounters&) = delete;

  // Counts one complete decision: its level on every surface, its enforcing rules
  // and its shadow rules.
  void CountDecision(const Decision& decision);

 private:
  friend class Metrics;
  using Cells = std::unique_ptr<std::atomic<uint64_t>[]>;

  // Adds this block's counts into `metrics`' totals. REQUIRES: metrics->mu_ held.
  void FoldInto(Metrics* metrics) const;

  Metrics* const metrics_;
  const CompiledPolicy& policy_;  // owned by the same snapshot, which outlives this
  const size_t surfaces_;
  const size_t levels_;
  Cells level_counts_;   // surface * levels_ + level
  Cells rule_counts_;    // by rule index
  Cells shadow_counts_;  // by rule index
};

class Metrics {
 public:
  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One HTTP request, counted when its response has been written.
  void RecordRequest(Endpoint endpoint, int status, double seconds);
  // A request or batch item that got an error instead of a decision, by wire code.
  void RecordDecideError(std::string_view code);
  // The number of items in one batch.
  void RecordBatch(size_t items);

  // A reload attempt (the initial load included).
  void RecordReload(bool ok);
  // The version now serving, and when it was loaded (Unix seconds).
  void SetPolicy(const std::string& version, double loaded_at_seconds);

  void RecordDecisionLogWritten(uint64_t n);
  void RecordDecisionLogDropped(uint64_t n = 1);
  void RecordDecisionLogWriteError();
  uint64_t decision_log_dropped() const { return log_dropped_.load(std::memory_order_relaxed); }

  // The Prometheus text exposition (format 0.0.4).
  std::string Render() const;

  // Totals for tests and the policy endpoint.
  uint64_t reloads() const { return reloads_.load(std::memory_order_relaxed); }
  uint64_t failed_reloads() const { return failed_reloads_.load(std::memory_order_relaxed); }

 private:
  friend class PolicyCounters;

  static constexpr int kStatusSlots = 14;     // the statuses we answer, plus `other`
  static constexpr int kLatencyBuckets = 15;  // the last is +Inf
  static constexpr int kBatchBuckets = 9;     // the last is +Inf
  static constexpr int kErrorCodes = 4;  // invalid_json, invalid_request, internal_error, other

  struct Histogram {
    std::array<std::atomic<uint64_t>, kLatencyBuckets> buckets{};
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> sum_nanos{0};
  };

  static int StatusSlot(int status);

  void Register(const PolicyCounters* counters);
  void Retire(const PolicyCounters* counters);

  void RenderRequests(std::string* out) const;
  void RenderPolicyCounts(std::string* out) const;
  void RenderReloads(std::string* out) const;
  void RenderBatchAndErrors(std::string* out) const;
  void RenderDecisionLog(std::string* out) const;

  std::array<std::array<Histogram, kStatusSlots>, kEndpointCount> requests_;
  std::array<std::atomic<uint64_t>, kErrorCodes> decide_errors_{};
  std::array<std::atomic<uint64_t>, kBatchBuckets> batch_buckets_{};
  std::atomic<uint64_t> batch_count_{0};
  std::atomic<uint64_t> batch_items_{0};

  std::atomic<uint64_t> reloads_{0};
  std::atomic<uint64_t> failed_reloads_{0};
  std::atomic<int> last_reload_ok_{0};

  std::atomic<uint64_t> log_written_{0};
  std::atomic<uint64_t> log_dropped_{0};
  std::atomic<uint64_t> log_write_errors_{0};

  mutable std::mutex mu_;  // guards everything below
  std::string policy_version_;
  double policy_loaded_at_ = 0;
  std::set<const PolicyCounters*> live_;
  // Totals folded from retired versions, by name.
  std::map<std::pair<std::string, std::string>, uint64_t> level_totals_;  // (surface, level)
  std::map<std::string, uint64_t> rule_totals_;
  std::map<std::string, uint64_t> shadow_totals_;
};

}  // namespace statemark::server

#endif  // STATEMARK_SERVER_METRICS_H_
