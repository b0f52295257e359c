#include "server/metrics.h"

#include <cmath>
#include <cstdio>

namespace statemark::server {
namespace {

constexpr std::memory_order kRelaxed = std::memory_order_relaxed;

constexpr std::pair<std::string_view, Endpoint> kEndpoints[] = {
    {"/v1/decide", Endpoint::kDecide}, {"/v1/decide/batch", Endpoint::kDecideBatch},
    {"/v1/policy", Endpoint::kPolicy}, {"/v1/policy/reload", Endpoint::kReload},
    {"/healthz", Endpoint::kHealthz},  {"/readyz", Endpoint::kReadyz},
    {"/metrics", Endpoint::kMetrics},
};

constexpr int kStatuses[] = {200, 400, 401, 403, 404, 405, 408, 413, 415, 422, 431, 500, 503};

// Upper bounds of the latency buckets, in seconds; the last bucket is +Inf.
constexpr double kLatencyBounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                     0.025,  0.05,    0.1,    0.25,  0.5,    1.0,   2.5};
// Upper bounds of the batch-size buckets, in items; the last bucket is +Inf.
constexpr double kBatchBounds[] = {1, 10, 50, 100, 500, 1000, 5000, 10000};

constexpr std::string_view kErrorCodeNames[] = {"invalid_json", "invalid_request", "internal_error",
                                                "other"};

std::unique_ptr<std::atomic<uint64_t>[]> ZeroCells(size_t n) {
  auto cells = std::make_unique<std::atomic<uint64_t>[]>(n);
  for (size_t i = 0; i < n; ++i) cells[i].store(0, kRelaxed);
  return cells;
}

// A label value with `\`, `"` and newlines escaped, as the text format requires.
std::string LabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string Number(double v) {
  if (std::isinf(v)) return "+Inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

void Header(std::string_view name, std::string_view type, std::string_view help, std::string* out) {
  out->append("# HELP statemark_").append(name).append(" ").append(help).append("\n");
  out->append("# TYPE statemark_").append(name).append(" ").append(type).append("\n");
}

void Sample(std::string_view name, std::string_view labels, std::string_view value,
            std::string* out) {
  out->append("statemark_").append(name);
  if (!labels.empty()) out->append("{").append(labels).append("}");
  out->append(" ").append(value).append("\n");
}

void Sample(std::string_view name, std::string_view labels, uint64_t value, std::string* out) {
  Sample(name, labels, std::to_string(value), out);
}

}  // namespace

Endpoint EndpointFor(std::string_view path) {
  for (const auto& [p, e] : kEndpoints) {
    if (p == path) return e;
  }
  return Endpoint::kOther;
}

const char* EndpointLabel(Endpoint e) {
  for (const auto& [p, endpoint] : kEndpoints) {
    if (endpoint == e) return p.data();  // the literals are NUL-terminated
  }
  return "other";
}

// --- PolicyCounters ---

PolicyCounters::PolicyCounters(Metrics* metrics, const CompiledPolicy& policy)
    : metrics_(metrics),
      policy_(policy),
      surfaces_(policy.vocabulary().surfaces.size()),
      levels_(policy.vocabulary().levels.size()),
      level_counts_(ZeroCells(surfaces_ * levels_)),
      rule_counts_(ZeroCells(policy.policy().rules.size())),
      shadow_counts_(ZeroCells(policy.policy().rules.size())) {
  if (metrics_ != nullptr) metrics_->Register(this);
}

PolicyCounters::~PolicyCounters() {
  if (metrics_ != nullptr) metrics_->Retire(this);
}

void PolicyCounters::CountDecision(const Decision& d) {
  const size_t surfaces = std::min(surfaces_, static_cast<size_t>(kMaxSurfaces));
  for (size_t s = 0; s < surfaces; ++s) {
    const size_t level = d.levels[s];
    if (level < levels_) level_counts_[s * levels_ + level].fetch_add(1, kRelaxed);
  }
  const size_t rules = policy_.policy().rules.size();
  for (int i = 0; i < d.rule_count; ++i) {
    const size_t rule = d.rules[static_cast<size_t>(i)];
    if (rule < rules) rule_counts_[rule].fetch_add(1, kRelaxed);
  }
  const auto& clauses = policy_.clauses();
  for (int i = 0; i < d.shadow_count; ++i) {
    const size_t clause = d.shadow[static_cast<size_t>(i)].clause;
    if (clause >= clauses.size()) continue;
    const size_t rule = clauses[clause].rule;
    if (rule < rules) shadow_counts_[rule].fetch_add(1, kRelaxed);
  }
}

void PolicyCounters::FoldInto(Metrics* m) const {
  const Vocabulary& vocab = policy_.vocabulary();
  for (size_t s = 0; s < surfaces_; ++s) {
    for (size_t l = 0; l < levels_; ++l) {
      const uint64_t n = level_counts_[s * levels_ + l].load(kRelaxed);
      if (n != 0) m->level_totals_[{vocab.surfaces[s], vocab.levels[l]}] += n;
    }
  }
  const auto& rules = policy_.policy().rules;
  for (size_t r = 0; r < rules.size(); ++r) {
    if (uint64_t n = rule_counts_[r].load(kRelaxed)) m->rule_totals_[rules[r].id] += n;
    if (uint64_t n = shadow_counts_[r].load(kRelaxed)) m->shadow_totals_[rules[r].id] += n;
  }
}

// --- Metrics ---

Metrics::Metrics() = default;

int Metrics::StatusSlot(int status) {
  for (int i = 0; i < static_cast<int>(std::size(kStatuses)); ++i) {
    if (kStatuses[i] == status) return i;
  }
  return kStatusSlots - 1;
}

void Metrics::RecordRequest(Endpoint endpoint, int status, double seconds) {
  Histogram& h = requests_[static_cast<size_t>(endpoint)][static_cast<size_t>(StatusSlot(status))];
  size_t bucket = 0;
  while (bucket < std::size(kLatencyBounds) && seconds > kLatencyBounds[bucket]) ++bucket;
  h.buckets[bucket].fetch_add(1, kRelaxed);
  h.count.fetch_add(1, kRelaxed);
  h.sum_nanos.fetch_add(static_cast<uint64_t>(std::max(0.0, seconds) * 1e9), kRelaxed);
}

void Metrics::RecordDecideError(std::string_view code) {
  size_t slot = std::size(kErrorCodeNames) - 1;
  for (size_t i = 0; i + 1 < std::size(kErrorCodeNames); ++i) {
    if (kErrorCodeNames[i] == code) slot = i;
  }
  decide_errors_[slot].fetch_add(1, kRelaxed);
}

void Metrics::RecordBatch(size_t items) {
  size_t bucket = 0;
  while (bucket < std::size(kBatchBounds) && static_cast<double>(items) > kBatchBounds[bucket]) {
    ++bucket;
  }
  batch_buckets_[bucket].fetch_add(1, kRelaxed);
  batch_count_.fetch_add(1, kRelaxed);
  batch_items_.fetch_add(items, kRelaxed);
}

void Metrics::RecordReload(bool ok) {
  reloads_.fetch_add(1, kRelaxed);
  if (!ok) failed_reloads_.fetch_add(1, kRelaxed);
  last_reload_ok_.store(ok ? 1 : 0, kRelaxed);
}

void Metrics::SetPolicy(const std::string& version, double loaded_at_seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  policy_version_ = version;
  policy_loaded_at_ = loaded_at_seconds;
}

void Metrics::RecordDecisionLogWritten(uint64_t n) { log_written_.fetch_add(n, kRelaxed); }
void Metrics::RecordDecisionLogDropped(uint64_t n) { log_dropped_.fetch_add(n, kRelaxed); }
void Metrics::RecordDecisionLogWriteError() { log_write_errors_.fetch_add(1, kRelaxed); }

void Metrics::Register(const PolicyCounters* counters) {
  std::lock_guard<std::mutex> lock(mu_);
  live_.insert(counters);
}

void Metrics::Retire(const PolicyCounters* counters) {
  std::lock_guard<std::mutex> lock(mu_);
  counters->FoldInto(this);
  live_.erase(counters);
}

std::string Metrics::Render() const {
  std::string out;
  out.reserve(16384);
  RenderRequests(&out);
  RenderPolicyCounts(&out);
  RenderBatchAndErrors(&out);
  RenderReloads(&out);
  RenderDecisionLog(&out);
  return out;
}

void Metrics::RenderRequests(std::string* out) const {
  Header("http_requests_total", "counter", "HTTP requests answered, by endpoint and status.", out);
  for (int e = 0; e < kEndpointCount; ++e) {
    for (int s = 0; s < kStatusSlots; ++s) {
      const uint64_t n =
          requests_[static_cast<size_t>(e)][static_cast<size_t>(s)].count.load(kRelaxed);
      if (n == 0) continue;
      const std::string status = s + 1 < kStatusSlots ? std::to_string(kStatuses[s]) : "other";
      Sample("http_requests_total",
             std::string("endpoint=\"") + EndpointLabel(static_cast<Endpoint>(e)) + "\",status=\"" +
                 status + "\"",
             n, out);
    }
  }
  Header("http_request_duration_seconds", "histogram",
         "Time from reading a request's headers to writing its response, by endpoint and "
         "status.",
         out);
  for (int e = 0; e < kEndpointCount; ++e) {
    for (int s = 0; s < kStatusSlots; ++s) {
      const Histogram& h = requests_[static_cast<size_t>(e)][static_cast<size_t>(s)];
      const uint64_t count = h.count.load(kRelaxed);
      if (count == 0) continue;
      const std::string labels =
          std::string("endpoint=\"") + EndpointLabel(static_cast<Endpoint>(e)) + "\",status=\"" +
          (s + 1 < kStatusSlots ? std::to_string(kStatuses[s]) : "other") + "\"";
      uint64_t cumulative = 0;
      for (int b = 0; b < kLatencyBuckets; ++b) {
        cumulative += h.buckets[static_cast<size_t>(b)].load(kRelaxed);
        const double bound = b + 1 < kLatencyBuckets ? kLatencyBounds[b] : INFINITY;
        Sample("http_request_duration_seconds_bucket", labels + ",le=\"" + Number(bound) + "\"",
               cumulative, out);
      }
      Sample("http_request_duration_seconds_sum", labels,
             Number(static_cast<double>(h.sum_nanos.load(kRelaxed)) / 1e9), out);
      Sample("http_request_duration_seconds_count", labels, count, out);
    }
  }
}

void Metrics::RenderPolicyCounts(std::string* out) const {
  std::map<std::pair<std::string, std::string>, uint64_t> levels;
  std::map<std::string, uint64_t> rules;
  std::map<std::string, uint64_t> shadow;
  {
    std::lock_guard<std::mutex> lock(mu_);
    levels = level_totals_;
    rules = rule_totals_;
    shadow = shadow_totals_;
    for (const PolicyCounters* c : live_) {
      const Vocabulary& vocab = c->policy_.vocabulary();
      for (size_t s = 0; s < c->surfaces_; ++s) {
        for (size_t l = 0; l < c->levels_; ++l) {
          levels[{vocab.surfaces[s], vocab.levels[l]}] +=
              c->level_counts_[s * c->levels_ + l].load(kRelaxed);
        }
      }
      const auto& policy_rules = c->policy_.policy().rules;
      for (size_t r = 0; r < policy_rules.size(); ++r) {
        rules[policy_rules[r].id] += c->rule_counts_[r].load(kRelaxed);
        const uint64_t n = c->shadow_counts_[r].load(kRelaxed);
        // Shadow-mode rules show from the start, at 0, like enforcing ones.
        if (n != 0 || policy_rules[r].mode == RuleMode::kShadow) shadow[policy_rules[r].id] += n;
      }
    }
  }
  Header("decisions_total", "counter",
         "Decisions made, by surface and the level decided on it (each decision counts once "
         "per surface).",
         out);
  for (const auto& [key, n] : levels) {
    Sample("decisions_total",
           "surface=\"" + LabelValue(key.first) + "\",level=\"" + LabelValue(key.second) + "\"", n,
           out);
  }
  Header("rule_matches_total", "counter",
         "Decisions that an enforcing rule helped shape, by rule id.", out);
  for (const auto& [id, n] : rules)
    Sample("rule_matches_total", "rule=\"" + LabelValue(id) + "\"", n, out);
  Header("shadow_rule_matches_total", "counter",
         "Decisions on which a shadow-mode rule matched, by rule id.", out);
  for (const auto& [id, n] : shadow) {
    Sample("shadow_rule_matches_total", "rule=\"" + LabelValue(id) + "\"", n, out);
  }
}

void Metrics::RenderBatchAndErrors(std::string* out) const {
  Header("decide_errors_total", "counter",
         "Requests and batch items answered with an error instead of a decision, by code.", out);
  for (size_t i = 0; i < std::size(kErrorCodeNames); ++i) {
    Sample("decide_errors_total", "code=\"" + std::string(kErrorCodeNames[i]) + "\"",
           decide_errors_[i].load(kRelaxed), out);
  }
  Header("batch_items", "histogram", "Items per batch request.", out);
  uint64_t cumulative = 0;
  for (int b = 0; b < kBatchBuckets; ++b) {
    cumulative += batch_buckets_[static_cast<size_t>(b)].load(kRelaxed);
    const double bound = b + 1 < kBatchBuckets ? kBatchBounds[b] : INFINITY;
    Sample("batch_items_bucket", "le=\"" + Number(bound) + "\"", cumulative, out);
  }
  Sample("batch_items_sum", "", batch_items_.load(kRelaxed), out);
  Sample("batch_items_count", "", batch_count_.load(kRelaxed), out);
}

void Metrics::RenderReloads(std::string* out) const {
  Header("policy_reloads_total", "counter",
         "Policy load attempts (start, SIGHUP, API, --watch), failed ones included.", out);
  Sample("policy_reloads_total", "", reloads_.load(kRelaxed), out);
  Header("policy_reload_failures_total", "counter",
         "Policy loads rejected for errors; the previous policy kept serving.", out);
  Sample("policy_reload_failures_total", "", failed_reloads_.load(kRelaxed), out);
  Header("policy_last_reload_success", "gauge", "1 if the last load attempt succeeded.", out);
  Sample("policy_last_reload_success", "", static_cast<uint64_t>(last_reload_ok_.load(kRelaxed)),
         out);
  std::string version;
  double loaded_at = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    version = policy_version_;
    loaded_at = policy_loaded_at_;
  }
  Header("policy_info", "gauge",
         "The policy version serving (value 1); absent before the first load.", out);
  if (!version.empty()) Sample("policy_info", "version=\"" + LabelValue(version) + "\"", 1, out);
  Header("policy_loaded_timestamp_seconds", "gauge",
         "When the serving policy was loaded, in Unix seconds.", out);
  if (!version.empty()) Sample("policy_loaded_timestamp_seconds", "", Number(loaded_at), out);
}

void Metrics::RenderDecisionLog(std::string* out) const {
  Header("decision_log_records_total", "counter", "Decision-log records written.", out);
  Sample("decision_log_records_total", "", log_written_.load(kRelaxed), out);
  Header("decision_log_dropped_total", "counter",
         "Decision-log records dropped because the buffer was full.", out);
  Sample("decision_log_dropped_total", "", log_dropped_.load(kRelaxed), out);
  Header("decision_log_write_errors_total", "counter", "Failed writes to the decision-log file.",
         out);
  Sample("decision_log_write_errors_total", "", log_write_errors_.load(kRelaxed), out);
}

}  // namespace statemark::server
