#include "server/decide_handler.h"

#include <exception>
#include <memory>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "engine/decision_json.h"
#include "engine/evaluator.h"
#include "engine/request_parser.h"
#include "server/wire.h"

namespace statemark::server {
namespace {

using nlohmann::json;

// Per worker thread: the parsed request and the decision, reused by every request
// the thread serves. A Decision is a few tens of kilobytes of fixed arrays, so it is
// allocated once rather than on each request's stack.
struct ThreadState {
  Request request;
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

// Queues one decision-log record. `request_json` and `decision_json` are JSON texts
// without line breaks.
void SubmitLogRecord(const DecideContext& c, std::string_view endpoint, long batch_index,
                     std::string_view request_json, std::string_view decision_json) {
  std::string record;
  record.reserve(96 + request_json.size() + decision_json.size());
  record.append("{\"logged_at\":");
  AppendJsonString(FormatRfc3339(Now()), &record);
  record.append(",\"policy_version\":");
  AppendJsonString(c.snapshot->policy->version(), &record);
  record.append(",\"endpoint\":");
  AppendJsonString(endpoint, &record);
  if (batch_index >= 0) record.append(",\"batch_index\":").append(std::to_string(batch_index));
  record.append(",\"request\":").append(request_json);
  record.append(",\"decision\":").append(decision_json);
  record.append("}");
  c.log->Submit(std::move(record));
}

// A single-line form of a request body that parsed as JSON: the body itself when
// it has no line breaks (JSON strings cannot hold raw ones), else re-serialized.
std::string OneLine(std::string_view body) {
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r' || body.back() == ' ' ||
                           body.back() == '\t')) {
    body.remove_suffix(1);
  }
  if (body.find_first_of("\r\n") == std::string_view::npos) return std::string(body);
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

// Decides one batch item into `out` (a decision or an error object).
void DecideItem(const DecideContext& c, size_t index, json& item,
                const std::vector<std::pair<const std::string*, const json*>>& shared, Instant now,
                std::string* out) {
  ThreadState& t = State();
  if (!item.is_object()) {
    wire::AppendError(wire::kInvalidRequest, "expected an object",
                      "items[" + std::to_string(index) + "]", out);
    if (c.metrics != nullptr) c.metrics->RecordDecideError(wire::kInvalidRequest);
    return;
  }
  std::vector<std::string_view> inherited;
  for (const auto& [key, value] : shared) {
    if (item.contains(*key)) continue;
    item[*key] = *value;
    inherited.emplace_back(*key);
  }
  RequestError error;
  if (!ParseRequest(*c.snapshot->policy, item, now, &t.request, &error)) {
    wire::AppendError(error.code, error.message, ItemErrorPath(index, error.path, inherited), out);
    if (c.metrics != nullptr) c.metrics->RecordDecideError(error.code);
    return;
  }
  const size_t start = out->size();
  if (!EvaluateInto(c, t, out)) return;
  if (c.log != nullptr && c.log->Sampled(t.request.request_id, t.request.has_request_id)) {
    std::string request_json;
    try {
      request_json = item.dump();
    } catch (const std::exception&) {
      request_json = "null";
    }
    SubmitLogRecord(c, "/v1/decide/batch", static_cast<long>(index), request_json,
                    std::string_view(*out).substr(start));
  }
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
    SubmitLogRecord(c, "/v1/decide", -1, OneLine(body), answer->body);
  }
}

void DecideBatch(const DecideContext& c, std::string_view body, Answer* answer) {
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
  std::vector<std::pair<const std::string*, const json*>> shared;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (it.key() != "items") shared.emplace_back(&it.key(), &it.value());
  }
  if (c.metrics != nullptr) c.metrics->RecordBatch(items->size());

  const Instant now = Now();
  std::string& out = answer->body;
  out.clear();
  out.reserve(64 + items->size() * 512);
  out.append("{\"policy_version\":");
  AppendJsonString(c.snapshot->policy->version(), &out);
  out.append(",\"decisions\":[");
  for (size_t i = 0; i < items->size(); ++i) {
    if (i > 0) out.push_back(',');
    DecideItem(c, i, (*items)[i], shared, now, &out);
  }
  out.append("]}");
  answer->status = 200;
}

}  // namespace statemark::server
