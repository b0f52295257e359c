#include "server/policy_report.h"

#include <nlohmann/json.hpp>

#include "engine/decision_json.h"
#include "engine/instant.h"
#include "server/wire.h"

namespace statemark::server {
namespace {

using json = nlohmann::ordered_json;

json DiagnosticsJson(const Diagnostics& ds) {
  json list = json::array();
  for (const Diagnostic& d : ds.items()) {
    list.push_back({{"severity", d.is_error() ? "error" : "warning"},
                    {"file", d.location.file},
                    {"line", d.location.line},
                    {"column", d.location.column},
                    {"code", d.code},
                    {"message", d.message}});
  }
  return list;
}

json ReloadJson(const ReloadResult& r) {
  return {{"ok", r.ok},
          {"trigger", ReloadTriggerName(r.trigger)},
          {"at", FormatRfc3339(r.at)},
          {"seconds", r.seconds},
          {"version", r.version},
          {"error_count", r.diagnostics.error_count()},
          {"diagnostics", DiagnosticsJson(r.diagnostics)},
          {"rendered", RenderDiagnostics(r.diagnostics)}};
}

std::string FailureMessage(const ReloadResult& r, const std::string& rules_dir) {
  std::string message =
      std::to_string(r.diagnostics.error_count()) + " error(s) in `" + rules_dir + "`; ";
  message +=
      r.previous_version.empty() ? "no policy is loaded" : "the previous policy keeps serving";
  return message;
}

// Serializes with invalid UTF-8 (from file names or diagnostics) replaced, so the
// body is always valid JSON.
std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

void PolicyReport(const PolicySnapshot* snapshot, const std::string& rules_dir,
                  const std::optional<ReloadResult>& last_attempt, Answer* answer) {
  json body;
  if (snapshot == nullptr) {
    body = json::parse(wire::ErrorBody(wire::kPolicyNotLoaded, "no policy is loaded"));
    answer->status = wire::HttpStatus(wire::kPolicyNotLoaded);
  } else {
    const CompiledPolicy& p = *snapshot->policy;
    json files = json::array();
    for (const SourceFile& f : p.policy().files) {
      files.push_back({{"path", f.path}, {"sha256", f.sha256}});
    }
    const TreeStats& s = p.stats();
    body = {{"policy_version", p.version()},
            {"loaded_at", FormatRfc3339(snapshot->loaded_at)},
            {"rules_dir", rules_dir},
            {"files", files},
            {"rules", p.policy().rules.size()},
            {"registry_accounts", p.registry().size()},
            {"tree",
             {{"nodes", s.nodes},
              {"leaves", s.leaves},
              {"max_depth", s.max_depth},
              {"bytes", s.bytes},
              {"hash", p.tree_hash()},
              {"fell_back", s.fell_back}}}};
    answer->status = 200;
  }
  if (last_attempt) body["last_reload"] = ReloadJson(*last_attempt);
  answer->body = Dump(body);
}

void ReloadReport(const ReloadResult& r, const std::string& rules_dir, Answer* answer) {
  json body;
  if (r.ok) {
    body = {
        {"reloaded", true},
        {"policy_version", r.version},
        {"previous_version", r.previous_version.empty() ? json(nullptr) : json(r.previous_version)},
        {"changed", r.version != r.previous_version},
        {"seconds", r.seconds}};
    answer->status = 200;
  } else {
    body = json::parse(wire::ErrorBody(wire::kPolicyInvalid, FailureMessage(r, rules_dir)));
    body["policy_version"] = r.version.empty() ? json(nullptr) : json(r.version);
    answer->status = wire::HttpStatus(wire::kPolicyInvalid);
  }
  body["diagnostics"] = DiagnosticsJson(r.diagnostics);
  body["rendered"] = RenderDiagnostics(r.diagnostics);
  answer->body = Dump(body);
}

std::string ReloadEventLine(const ReloadResult& r, const std::string& rules_dir) {
  json line = {{"ts", FormatRfc3339(r.at)},
               {"event", "policy_reload"},
               {"trigger", ReloadTriggerName(r.trigger)},
               {"ok", r.ok},
               {"rules_dir", rules_dir},
               {"policy_version", r.version},
               {"previous_version", r.previous_version},
               {"seconds", r.seconds},
               {"errors", r.diagnostics.error_count()}};
  if (!r.diagnostics.empty()) line["rendered"] = RenderDiagnostics(r.diagnostics);
  return Dump(line) + "\n";
}

}  // namespace statemark::server
