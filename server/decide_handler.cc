#include "server/decide_handler.h"

#include <cstring>
#include <exception>
#include <memory>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "engine/decision_json.h"
#include "engine/evaluator.h"
#include "engine/request_parser.h"
#include "engine/simd_request_parser.h"
#include "server/wire.h"

namespace statemark::server {
namespace {

using nlohmann::json;

// Per worker thread: the parsed request and the decision, reused by every request
// the thread serves. A Decision is a few tens of kilobytes of fixed arrays, so it is
// allocated once rather than on each request's stack.
struct ThreadState {
  Request request;
  SimdRequestParser fast;  // batch bodies; single requests go through ParseRequestText
  DecisionLogRecords log_records;  // the decision-log records of the request being served
  std::unique_ptr<Decision> decision = std::make_unique<Decision>();
};

ThreadState& State() {
  thread_local ThreadState state;
  return state;
}

void Fail(const DecideContext& c, std::string_view code, std::string_view message,
          std::string_view path, Answer* answer) {
  answer->status = wire::HttpStatus(code);
  answer->body.clear();
  wire::AppendError(code, message, path, &answer->body);
  if (c.metrics != nullptr) c.metrics->RecordDecideError(code);
}

std::string DepthMessage(int max_depth) {
  return "JSON nests deeper than " + std::to_string(max_depth) + " levels";
}

// Evaluates the parsed thread-state request and appends its decision (or an
// internal error) to `out`. Returns whether a decision was written.
bool EvaluateInto(const DecideContext& c, ThreadState& t, std::string* out) {
  const CompiledPolicy& policy = *c.snapshot->policy;
  Evaluate(policy, t.request, t.decision.get());
  if (t.decision->overflow) {
    wire::AppendError(wire::kInternalError, "too many rules matched this request", "", out);
    if (c.metrics != nullptr) c.metrics->RecordDecideError(wire::kInternalError);
    return false;
  }
  AppendDecisionJson(policy, t.request, *t.decision, out);
  if (c.snapshot->counters) c.snapshot->counters->CountDecision(*t.decision);
  return true;
}

// The decision-log records of one request, built as its decisions are made and handed
// to the log together by Submit() once the request has its answer (records not
// submitted are forgotten by the next request on the thread: an answer that turns
// out to be an error is not logged). Every record of one request shares its time of logging, its policy
// version and its endpoint.
class LogRecords {
 public:
  LogRecords(const DecideContext& c, std::string_view endpoint)
      : log_(c.log), records_(State().log_records) {
    if (log_ == nullptr) return;
    records_.Clear();
    prefix_.append("{\"logged_at\":");
    AppendJsonString(FormatRfc3339(Now()), &prefix_);
    prefix_.append(",\"policy_version\":");
    AppendJsonString(c.snapshot->policy->version(), &prefix_);
    prefix_.append(",\"endpoint\":");
    AppendJsonString(endpoint, &prefix_);
  }
  LogRecords(const LogRecords&) = delete;
  LogRecords& operator=(const LogRecords&) = delete;

  // Whether the decision for this request is to be logged.
  bool Sampled(const Request& request) const {
    return log_ != nullptr && log_->Sampled(request.request_id, request.has_request_id);
  }

  // Adds a record. `write_request` appends the request's JSON text, without line
  // breaks, to the string it is given; `decision_json` has none either.
  template <typename WriteRequest>
  void Add(long batch_index, WriteRequest write_request, std::string_view decision_json) {
    std::string& text = records_.text();
    text.append(prefix_);
    if (batch_index >= 0) text.append(",\"batch_index\":").append(std::to_string(batch_index));
    text.append(",\"request\":");
    write_request(&text);
    text.append(",\"decision\":").append(decision_json);
    text.push_back('}');
    records_.EndRecord();
  }

  void Submit() {
    if (log_ != nullptr) log_->Submit(&records_);
  }

 private:
  DecisionLog* const log_;
  DecisionLogRecords& records_;  // the thread's, whose memory is reused
  std::string prefix_;
};

// A single-line form of a request body that parsed as JSON: the body itself when
// it has no line breaks (JSON strings cannot hold raw ones), else re-serialized.
std::string OneLine(std::string_view body) {
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r' || body.back() == ' ' ||
                           body.back() == '\t')) {
    body.remove_suffix(1);
  }
  if (std::memchr(body.data(), '\n', body.size()) == nullptr &&
      std::memchr(body.data(), '\r', body.size()) == nullptr) {
    return std::string(body);
  }
  try {
    return json::parse(body).dump();
  } catch (const std::exception&) {
    return "null";  // unreachable: the body parsed once already
  }
}

// The top-level key an item-relative error path starts with (`viewer` for
// `viewer.country`, `content` for `content.topics[2]`).
std::string_view TopKey(std::string_view path) { return path.substr(0, path.find_first_of(".[")); }

// Where a batch item's error points: into the item, or at the shared field it
// inherited.
std::string ItemErrorPath(size_t index, const std::string& relative,
                          const std::vector<std::string_view>& inherited) {
  const std::string item = "items[" + std::to_string(index) + "]";
  if (relative.empty()) return item;
  const std::string_view top = TopKey(relative);
  for (std::string_view key : inherited) {
    if (key == top) return relative;
  }
  return item + (relative.front() == '[' ? "" : ".") + relative;
}

using SharedFields = std::vector<std::pair<const std::string*, const json*>>;

// Gives `item` (an object) the shared fields it does not set; returns their keys.
std::vector<std::string_view> InheritShared(const SharedFields& shared, json& item) {
  std::vector<std::string_view> inherited;
  for (const auto& [key, value] : shared) {
    if (item.contains(*key)) continue;
    item[*key] = *value;
    inherited.emplace_back(*key);
  }
  return inherited;
}

// The item as the decision log records it: with the shared fields it inherited.
std::string LoggedItem(json& item) {
  try {
    return item.dump();
  } catch (const std::exception&) {
    return "null";
  }
}

// Decides one batch item into `out` (a decision or an error object).
void DecideItem(const DecideContext& c, size_t index, json& item, const SharedFields& shared,
                Instant now, LogRecords& log, std::string* out) {
  ThreadState& t = State();
  if (!item.is_object()) {
    wire::AppendError(wire::kInvalidRequest, "expected an object",
                      "items[" + std::to_string(index) + "]", out);
    if (c.metrics != nullptr) c.metrics->RecordDecideError(wire::kInvalidRequest);
    return;
  }
  const std::vector<std::string_view> inherited = InheritShared(shared, item);
  RequestError error;
  if (!ParseRequest(*c.snapshot->policy, item, now, &t.request, &error)) {
    wire::AppendError(error.code, error.message, ItemErrorPath(index, error.path, inherited), out);
    if (c.metrics != nullptr) c.metrics->RecordDecideError(error.code);
    return;
  }
  const size_t start = out->size();
  if (!EvaluateInto(c, t, out)) return;
  if (log.Sampled(t.request)) {
    log.Add(
        static_cast<long>(index), [&](std::string* text) { text->append(LoggedItem(item)); },
        std::string_view(*out).substr(start));
  }
}

// A batch body read by nlohmann/json, the parser of record: for the items the fast
// path declines.
struct RecordParse {
  json doc;
  json* items = nullptr;
  SharedFields shared;

  // Parses `body`; throws json::exception when nlohmann rejects it.
  void Parse(std::string_view body) {
    doc = json::parse(body);
    items = &doc["items"];
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      if (it.key() != "items") shared.emplace_back(&it.key(), &it.value());
    }
  }
};

void AppendBatchHeader(const DecideContext& c, size_t items, std::string* out) {
  out->clear();
  out->reserve(64 + items * 512);
  out->append("{\"policy_version\":");
  AppendJsonString(c.snapshot->policy->version(), out);
  out->append(",\"decisions\":[");
}

// The batch as the fast path reads it (SimdRequestParser::OpenBatch succeeded): each
// item it declines is decided by DecideItem from the record parser's copy, parsed on
// first need. The answer is the same, byte for byte, as DecideBatch's slow path.
void DecideBatchFast(const DecideContext& c, std::string_view body, Answer* answer) {
  ThreadState& t = State();
  const size_t n = t.fast.batch_size();
  if (c.metrics != nullptr) c.metrics->RecordBatch(n);
  RecordParse record;
  auto need_record = [&] {
    if (record.items == nullptr) record.Parse(body);
  };
  const Instant now = Now();
  std::string& out = answer->body;
  AppendBatchHeader(c, n, &out);
  LogRecords log(c, "/v1/decide/batch");
  try {
    for (size_t i = 0; i < n; ++i) {
      if (i > 0) out.push_back(',');
      if (!t.fast.ParseItem(*c.snapshot->policy, i, now, &t.request)) {
        need_record();
        DecideItem(c, i, (*record.items)[i], record.shared, now, log, &out);
        continue;
      }
      const size_t start = out.size();
      if (!EvaluateInto(c, t, &out)) continue;
      if (log.Sampled(t.request)) {
        log.Add(
            static_cast<long>(i), [&](std::string* text) { t.fast.AppendItemRequest(i, text); },
            std::string_view(out).substr(start));
      }
    }
  } catch (const json::exception& e) {
    // simdjson read what nlohmann rejects: nlohmann's verdict is the answer.
    return Fail(c, wire::kInvalidJson, MalformedJsonMessage(e.what()), "", answer);
  }
  out.append("]}");
  answer->status = 200;
  log.Submit();
}

}  // namespace

bool JsonDepthWithin(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

void DecideOne(const DecideContext& c, std::string_view body, Answer* answer) {
  if (!JsonDepthWithin(body, c.max_json_depth)) {
    return Fail(c, wire::kInvalidJson, DepthMessage(c.max_json_depth), "", answer);
  }
  ThreadState& t = State();
  RequestError error;
  if (!ParseRequestText(*c.snapshot->policy, body, Now(), &t.request, &error)) {
    return Fail(c, error.code, error.message, error.path, answer);
  }
  answer->body.clear();
  if (!EvaluateInto(c, t, &answer->body)) {
    answer->status = wire::HttpStatus(wire::kInternalError);
    return;
  }
  answer->status = 200;
  if (c.log != nullptr && c.log->Sampled(t.request.request_id, t.request.has_request_id)) {
    LogRecords log(c, "/v1/decide");
    log.Add(-1, [&](std::string* text) { text->append(OneLine(body)); }, answer->body);
    log.Submit();
  }
}

void DecideBatch(const DecideContext& c, std::string_view body, Answer* answer) {
  // A body the fast path opens is JSON nested at most max_json_depth deep, so the
  // depth check (a scan of the whole body) is needed only when it declines.
  if (c.fast_parser && State().fast.OpenBatch(body, c.max_batch_items, c.max_json_depth)) {
    return DecideBatchFast(c, body, answer);
  }
  if (!JsonDepthWithin(body, c.max_json_depth)) {
    return Fail(c, wire::kInvalidJson, DepthMessage(c.max_json_depth), "", answer);
  }
  json doc;
  try {
    doc = json::parse(body);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for `1e999`
    return Fail(c, wire::kInvalidJson, MalformedJsonMessage(e.what()), "", answer);
  }
  if (!doc.is_object()) {
    return Fail(c, wire::kInvalidRequest, "expected an object with `items`", "", answer);
  }
  auto items = doc.find("items");
  if (items == doc.end() || items->is_null()) {
    return Fail(c, wire::kInvalidRequest, "missing required field `items`", "items", answer);
  }
  if (!items->is_array()) {
    return Fail(c, wire::kInvalidRequest, "expected an array of requests", "items", answer);
  }
  if (items->size() > c.max_batch_items) {
    return Fail(c, wire::kInvalidRequest,
                "too many items: " + std::to_string(items->size()) + "; at most " +
                    std::to_string(c.max_batch_items) + " per batch",
                "items", answer);
  }
  SharedFields shared;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (it.key() != "items") shared.emplace_back(&it.key(), &it.value());
  }
  if (c.metrics != nullptr) c.metrics->RecordBatch(items->size());

  const Instant now = Now();
  std::string& out = answer->body;
  AppendBatchHeader(c, items->size(), &out);
  LogRecords log(c, "/v1/decide/batch");
  for (size_t i = 0; i < items->size(); ++i) {
    if (i > 0) out.push_back(',');
    DecideItem(c, i, (*items)[i], shared, now, log, &out);
  }
  out.append("]}");
  answer->status = 200;
  log.Submit();
}

}  // namespace statemark::server
