#include "server/playground.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <variant>
#include <vector>

#include "engine/compiler.h"
#include "engine/decision_json.h"
#include "engine/explain.h"
#include "engine/loader.h"
#include "engine/policy_catalog.h"
#include "engine/request_parser.h"
#include "server/wire.h"

#include "engine/class_filter.h"
#include "engine/decision_space.h"
#include "engine/policy_diff.h"

namespace statemark::server {
namespace {

using Json = nlohmann::ordered_json;

void SetError(Answer* answer, std::string_view code, std::string_view message,
              std::string_view path = "") {
  answer->status = wire::HttpStatus(code);
  answer->body = wire::ErrorBody(code, message, path);
}

// Parses a JSON object body, or sets the error answer.
bool ParseObject(std::string_view body, int max_json_depth, Json* out, Answer* answer) {
  if (!JsonDepthWithin(body, max_json_depth)) {
    SetError(answer, wire::kInvalidJson,
             "JSON nests deeper than " + std::to_string(max_json_depth) + " levels");
    return false;
  }
  try {
    *out = Json::parse(body);
  } catch (const Json::parse_error& e) {
    SetError(answer, wire::kInvalidJson, MalformedJsonMessage(e.what()));
    return false;
  }
  if (!out->is_object()) {
    SetError(answer, wire::kInvalidRequest, "the body must be a JSON object");
    return false;
  }
  return true;
}

std::string Dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// A diagnostic, with its file relative to the policy directory (`platform.yaml`) so
// the page can put it beside the text it pasted.
Json DiagnosticJson(const Diagnostic& d, const std::string& dir) {
  std::string file = d.location.file;
  const std::string prefix = dir + "/";
  if (file.rfind(prefix, 0) == 0) file = file.substr(prefix.size());
  return {{"severity", d.is_error() ? "error" : "warning"},
          {"file", file},
          {"line", d.location.line},
          {"column", d.location.column},
          {"code", d.code},
          {"message", d.message},
          {"rendered", RenderDiagnostic(d)}};
}

Json DiagnosticsJson(const Diagnostics& ds, const std::string& dir) {
  Json list = Json::array();
  for (const Diagnostic& d : ds.items()) list.push_back(DiagnosticJson(d, dir));
  return list;
}

// What would change: every class of requests whose decision differs between the live
// policy and the candidate, at every instant.
Json PlaygroundDiffJson(const CompiledPolicy& live, const CompiledPolicy& candidate,
                        const std::string& dir) {
  auto diff = PolicyDiffJson(live, candidate, DiffOptions{});
  if (!diff.ok()) return {{"error", DiagnosticsJson(diff.diagnostics(), dir)}};
  return Json::parse(diff.value().dump());
}

}  // namespace

void PlaygroundPolicy(const PolicySnapshot& snapshot, Answer* answer) {
  const Policy& policy = snapshot.policy->policy();
  Json files = Json::array();
  for (const SourceFile& f : policy.files) {
    if (f.path.rfind("registry/", 0) != 0) files.push_back(f.path);
  }
  Json rules = RulesCatalogJson(policy);
  Json body = {{"policy_version", policy.version},
               {"loaded_at", FormatRfc3339(snapshot.loaded_at)},
               {"files", files},
               {"vocabulary", VocabularyCatalogJson(policy.vocabulary)},
               {"rules", rules["rules"]},
               {"windows", rules["windows"]},
               {"registry", RegistryCatalogJson(policy)["accounts"]}};
  answer->status = 200;
  answer->body = Dump(body);
}

void PlaygroundSource(const PolicySnapshot& snapshot, const std::string& file, Answer* answer) {
  std::string text;
  bool same = false;
  if (!ReadPolicySource(snapshot.policy->policy(), file, &text, &same)) {
    SetError(answer, wire::kNotFound,
             "the live policy has no rule file `" + file + "`; see `files` in /v1/playground/policy",
             "file");
    return;
  }
  answer->status = 200;
  answer->body = Dump({{"file", file},
                       {"policy_version", snapshot.policy->version()},
                       {"same_as_loaded", same},
                       {"text", text}});
}

void PlaygroundExplain(const PolicySnapshot& snapshot, std::string_view body, int max_json_depth,
                       Answer* answer) {
  if (!JsonDepthWithin(body, max_json_depth)) {
    SetError(answer, wire::kInvalidJson,
             "JSON nests deeper than " + std::to_string(max_json_depth) + " levels");
    return;
  }
  Request request;
  RequestError error;
  if (!ParseRequestText(*snapshot.policy, body, Now(), &request, &error)) {
    answer->status = wire::HttpStatus(error.code);
    answer->body.clear();
    AppendErrorJson(error, &answer->body);
    return;
  }
  const Explanation e = Explain(*snapshot.policy, request);
  Json explanation = ExplanationJson(e);
  explanation.erase("decision");  // sent below byte for byte as /v1/decide renders it
  answer->status = 200;
  answer->body = "{\"decision\":" + e.decision_json + ",\"explanation\":" + Dump(explanation) + "}";
}

void PlaygroundTry(const PolicySnapshot& snapshot, std::string_view body, int max_json_depth,
                   Answer* answer) {
  Json request;
  if (!ParseObject(body, max_json_depth, &request, answer)) return;
  const auto files = request.find("files");
  if (files == request.end() || !files->is_array() || files->empty()) {
    SetError(answer, wire::kInvalidRequest,
             "give `files`: a non-empty array of {\"file\": \"platform.yaml\", \"text\": \"...\"}",
             "files");
    return;
  }
  std::vector<SourceOverride> overrides;
  for (size_t i = 0; i < files->size(); ++i) {
    const Json& f = (*files)[i];
    const std::string path = "files[" + std::to_string(i) + "]";
    if (!f.is_object() || !f.contains("file") || !f["file"].is_string() || !f.contains("text") ||
        !f["text"].is_string()) {
      SetError(answer, wire::kInvalidRequest,
               "each file is {\"file\": \"platform.yaml\", \"text\": \"...\"}", path);
      return;
    }
    for (const SourceOverride& o : overrides) {
      if (o.relative == f["file"].get<std::string>()) {
        SetError(answer, wire::kInvalidRequest,
                 "`" + o.relative + "` is given twice; give each file once", path + ".file");
        return;
      }
    }
    overrides.push_back({f["file"].get<std::string>(), f["text"].get<std::string>()});
  }

  const CompiledPolicy& live = *snapshot.policy;
  const std::string& dir = live.policy().directory;
  auto loaded = LoadPolicyWithOverrides(dir, overrides);
  Json out = {{"live_version", live.version()}};
  if (!loaded.ok()) {
    out["ok"] = false;
    out["diagnostics"] = DiagnosticsJson(loaded.diagnostics(), dir);
    answer->status = 200;
    answer->body = Dump(out);
    return;
  }
  auto compiled = Compile(loaded.value());
  Diagnostics all = loaded.diagnostics();
  for (const Diagnostic& d : compiled.diagnostics().items()) all.Add(d);
  out["ok"] = compiled.ok();
  out["diagnostics"] = DiagnosticsJson(all, dir);
  if (compiled.ok()) {
    out["candidate_version"] = compiled.value()->version();
    out["diff"] = PlaygroundDiffJson(live, *compiled.value(), dir);
  }
  answer->status = 200;
  answer->body = Dump(out);
}

struct PlaygroundTable::Cached {
  std::string version;
  std::string at;
  DecisionSpace space;
};

PlaygroundTable::PlaygroundTable() = default;
PlaygroundTable::~PlaygroundTable() = default;

void PlaygroundTable::Answer(const PolicySnapshot& snapshot, const TableQuery& query,
                             server::Answer* answer) {
  const CompiledPolicy& policy = *snapshot.policy;
  std::optional<Instant> at;
  if (!query.at.empty()) {
    InstantOrError parsed = ParseRfc3339(query.at);
    if (const auto* why = std::get_if<std::string>(&parsed)) {
      return SetError(answer, wire::kInvalidRequest, "bad `at`: " + *why, "at");
    }
    at = std::get<Instant>(parsed);
  }
  ClassFilter filter;
  std::string error;
  if (!ResolveClassFilter(policy.vocabulary(), query.affiliation, query.country, query.topic,
                          &filter, &error)) {
    return SetError(answer, wire::kInvalidRequest, error);
  }
  std::shared_ptr<const Cached> cached;
  {
    // One enumeration at a time; a second caller for the same table waits and reuses it.
    std::lock_guard<std::mutex> lock(mu_);
    if (!cached_ || cached_->version != policy.version() || cached_->at != query.at) {
      auto space = EnumerateDecisionSpace(policy, SpaceOptions{at, 200000});
      if (!space.ok()) {
        answer->status = 500;
        answer->body = Dump({{"error", {{"code", wire::kInternalError},
                                        {"message", RenderDiagnostics(space.diagnostics())},
                                        {"path", ""}}}});
        return;
      }
      auto fresh = std::make_shared<Cached>();
      fresh->version = policy.version();
      fresh->at = query.at;
      fresh->space = std::move(space.value());
      cached_ = std::move(fresh);
    }
    cached = cached_;
  }
  Json classes = Json::array();
  size_t total = 0;
  for (const DecisionClass& c : cached->space.classes) {
    if (!ClassAdmits(policy.vocabulary(), c, filter)) continue;
    if (++total <= kPlaygroundMaxTableRows) {
      classes.push_back(Json::parse(DecisionClassJson(policy, c).dump()));
    }
  }
  answer->status = 200;
  answer->body = Dump({{"policy_version", policy.version()},
                       {"at", at ? Json(FormatRfc3339(*at)) : Json(nullptr)},
                       {"classes_in_policy", cached->space.classes.size()},
                       {"total", total},
                       {"classes", classes},
                       {"limits", cached->space.limits}});
}

}  // namespace statemark::server
