// Policy tests: loading the YAML cases, deciding them, comparing, and rule coverage.
//
// The runner uses the same decision path as `statemark eval` and the server
// (ParseRequest -> Evaluate -> AppendDecisionJson) and compares the JSON it writes, so
// a test checks what callers receive, byte for byte, and nothing the contract hides.
#include "engine/policy_tests.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "engine/decision_json.h"
#include "engine/evaluator.h"
#include "engine/internal/spelling.h"
#include "engine/internal/yaml_source.h"
#include "engine/request_parser.h"

namespace statemark {
namespace {

namespace fs = std::filesystem;
using internal::DocNode;
using internal::YamlSource;
using json = nlohmann::json;

// The decision's fields, in the order the contract writes them. Mismatches are
// reported in this order, whatever order `expect` lists them in.
const std::vector<std::string>& DecisionFields() {
  static const std::vector<std::string> fields = {
      "request_id", "policy_version", "time", "surfaces", "labels", "notice",
      "friction",   "monetization",   "ad",   "rules",    "shadow", "warnings"};
  return fields;
}

// ---------------------------------------------------------------------------------
// YAML to JSON

bool IsPlainInteger(const std::string& s) {
  const size_t digits = (!s.empty() && s[0] == '-') ? 1 : 0;
  return s.size() > digits && std::all_of(s.begin() + static_cast<long>(digits), s.end(),
                                          [](char c) { return c >= '0' && c <= '9'; });
}

// A plain scalar is tagged `?` and a quoted one `!`, as yaml-cpp tags them. Only plain `true`, `false` and
// integers are typed, so a quoted `"true"` or `"42"` stays a string, and so do country
// codes such as NO (false in YAML 1.1). A plain `null`, `~` or empty value arrives as a
// Null node, never here.
json ScalarToJson(const DocNode& node) {
  const std::string& s = node.Scalar();
  if (node.Tag() != "?") return s;
  if (s == "true") return true;
  if (s == "false") return false;
  if (IsPlainInteger(s)) {
    int64_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc() && end == s.data() + s.size()) return n;
  }
  return s;
}

// Converts the YAML subtree at `node` to JSON. ParseYaml has already rejected keys that
// are not plain names and keys given twice, so every map converts as it reads.
json ToJson(const DocNode& node) {
  switch (node.Type()) {
    case DocNode::Kind::kScalar:
      return ScalarToJson(node);
    case DocNode::Kind::kSequence: {
      json out = json::array();
      for (const DocNode& item : node) out.push_back(ToJson(item));
      return out;
    }
    case DocNode::Kind::kMap: {
      json out = json::object();
      for (auto it = node.begin(); it != node.end(); ++it) {
        out[it->first.Scalar()] = ToJson(it->second);
      }
      return out;
    }
    case DocNode::Kind::kNull:
      break;
  }
  return json(nullptr);
}

// ---------------------------------------------------------------------------------
// Loading

// Reads the cases of one parsed file. Errors go to the file's diagnostics.
class CaseReader {
 public:
  explicit CaseReader(const YamlSource& src) : src_(src) {}

  std::optional<PolicyTestCase> Read(const DocNode& node) {
    if (!src_.ExpectMap(node, "a test case")) return std::nullopt;
    PolicyTestCase test;
    test.file = src_.path;
    test.line = src_.At(node).line;
    const bool named = ReadName(node, &test);
    const std::string what = named ? "test `" + test.name + "`" : "a test";
    // An unknown field is most likely a misspelt known one: report it alone rather than
    // also the `expect` or `request` it was meant to be.
    const size_t errors = src_.diags->error_count();
    src_.CheckKeys(node, what,
                   {"name", "note", "tags", "request", "clock", "expect", "expect_error"});
    if (src_.diags->error_count() != errors) return std::nullopt;
    if (!ReadBody(node, what, &test) || !named) return std::nullopt;
    return test;
  }

 private:
  bool ReadName(const DocNode& node, PolicyTestCase* test) {
    if (!node["name"]) {
      src_.Error(node, "missing-field", "a test needs a `name`");
      return false;
    }
    std::optional<std::string> name = src_.Scalar(node["name"], "the test's `name`");
    if (!name) return false;
    if (name->empty()) {
      src_.Error(node["name"], "bad-type", "a test's `name` cannot be empty");
      return false;
    }
    test->name = *name;
    return true;
  }

  bool ReadBody(const DocNode& node, const std::string& what, PolicyTestCase* test) {
    bool ok = true;
    if (const DocNode note = node["note"]) {
      std::optional<std::string> text = src_.Scalar(note, "`note` of " + what);
      ok = text.has_value();
      test->note = text.value_or("");
    }
    if (const DocNode tags = node["tags"]) {
      std::optional<std::vector<std::string>> list = src_.ScalarList(tags, "`tags` of " + what);
      ok = list.has_value() && ok;
      test->tags = list.value_or(std::vector<std::string>{});
    }
    ok = ReadClock(node["clock"], what, test) && ok;
    ok = ReadRequest(node, what, test) && ok;
    return ReadExpectation(node, what, test) && ok;
  }

  bool ReadClock(const DocNode& node, const std::string& what, PolicyTestCase* test) {
    if (!node) return true;
    std::optional<std::string> text = src_.Scalar(node, "`clock` of " + what);
    if (!text) return false;
    InstantOrError t = ParseRfc3339(*text);
    if (const std::string* reason = std::get_if<std::string>(&t)) {
      src_.Error(node, "bad-time", "invalid instant `" + *text + "`: " + *reason);
      return false;
    }
    test->clock = std::get<Instant>(t);
    return true;
  }

  bool ReadRequest(const DocNode& node, const std::string& what, PolicyTestCase* test) {
    const DocNode request = node["request"];
    if (!request) {
      src_.Error(node, "missing-field", what + " needs a `request`");
      return false;
    }
    if (!src_.ExpectMap(request, "`request` of " + what)) return false;
    test->request = ToJson(request);
    return true;
  }

  bool ReadExpectation(const DocNode& node, const std::string& what, PolicyTestCase* test) {
    const DocNode expect = node["expect"];
    const DocNode error = node["expect_error"];
    if (expect && error) {
      src_.Error(error, "unexpected-field", what + " gives both `expect` and `expect_error`");
      return false;
    }
    if (!expect && !error) {
      src_.Error(node, "missing-field", what + " needs `expect` or `expect_error`");
      return false;
    }
    const DocNode given = expect ? expect : error;
    const std::string field = expect ? "expect" : "expect_error";
    if (!src_.ExpectMap(given, "`" + field + "` of " + what)) return false;
    if (error) {
      src_.CheckKeys(error, "`expect_error` of " + what, {"code", "message", "path"});
      if (!error["code"]) src_.Error(error, "missing-field", "`expect_error` needs a `code`");
    }
    (expect ? test->expect : test->expect_error.emplace()) = ToJson(given);
    return true;
  }

  const YamlSource& src_;
};

std::optional<std::string> ReadText(const std::string& path, Diagnostics* diags) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags->Error(SourceLocation{path, 0, 0}, "unreadable", "cannot read file");
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void LoadFile(const std::string& path, std::vector<PolicyTestCase>* out, Diagnostics* diags) {
  std::optional<std::string> text = ReadText(path, diags);
  if (!text) return;
  std::optional<YamlSource> src = internal::ParseYaml(path, *text, diags);
  if (!src || src->root.IsNull()) return;  // an empty file holds no tests
  if (!src->ExpectMap(src->root, "the test file")) return;
  const size_t errors = diags->error_count();
  src->CheckKeys(src->root, "the test file", {"tests"});
  const DocNode tests = src->root["tests"];
  if (!tests && diags->error_count() == errors) {
    src->Error(src->root, "missing-field", "a test file needs `tests`: a list of test cases");
  }
  if (!tests || !src->ExpectList(tests, "`tests`")) return;
  CaseReader reader(*src);
  for (const DocNode& node : tests) {
    if (std::optional<PolicyTestCase> test = reader.Read(node)) out->push_back(std::move(*test));
  }
}

void CheckUniqueNames(const std::vector<PolicyTestCase>& tests, Diagnostics* diags) {
  std::map<std::string, const PolicyTestCase*> seen;
  for (const PolicyTestCase& t : tests) {
    auto [it, inserted] = seen.emplace(t.name, &t);
    if (inserted) continue;
    diags->Error(SourceLocation{t.file, t.line, 0}, "duplicate-name",
                 "test name `" + t.name + "` is already used at " + it->second->file + ":" +
                     std::to_string(it->second->line));
  }
}

// ---------------------------------------------------------------------------------
// Comparing

// A JSON value as a mismatch line shows it: strings bare, everything else as JSON.
std::string Show(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

std::string Differs(const std::string& path, const json& expected, const json* got) {
  std::string line = path + ": expected `" + Show(expected) + "`, got ";
  if (got == nullptr) return line + "nothing";
  line += "`" + Show(*got) + "`";
  if (expected.is_array() && got->is_array() && expected.size() == got->size()) {
    std::vector<json> a(expected.begin(), expected.end()), b(got->begin(), got->end());
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    if (a == b) line += " (the same items in another order)";
  }
  return line;
}

std::string Joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// `surfaces` compares only the surfaces named; `all` names every one.
void CompareSurfaces(const CompiledPolicy& policy, const json& expect, const json& decision,
                     std::vector<std::string>* out) {
  if (!expect.is_object()) {
    out->push_back("surfaces: expected a map of surface to level, as `{for_you: demoted}`");
    return;
  }
  const std::vector<std::string>& surfaces = policy.vocabulary().surfaces;
  for (const auto& [key, level] : expect.items()) {
    if (key == "all" || std::count(surfaces.begin(), surfaces.end(), key) > 0) continue;
    out->push_back("surfaces." + key + ": no such surface" + internal::DidYouMean(key, surfaces) +
                   " (surfaces: " + Joined(surfaces) + ", or `all`)");
  }
  const json* got_all = decision.contains("surfaces") ? &decision["surfaces"] : nullptr;
  for (const std::string& s : surfaces) {
    const json* want = expect.contains(s)       ? &expect[s]
                       : expect.contains("all") ? &expect["all"]
                                                : nullptr;
    if (want == nullptr) continue;
    const json* got = got_all != nullptr && got_all->contains(s) ? &(*got_all)[s] : nullptr;
    if (got == nullptr || *got != *want) out->push_back(Differs("surfaces." + s, *want, got));
  }
}

void CompareError(const json& expect_error, const RequestError* error,
                  std::vector<std::string>* out) {
  if (error == nullptr) {
    out->push_back("error: expected the request to be rejected with `" +
                   Show(expect_error.value("code", json())) + "`, got a decision");
    return;
  }
  const std::pair<const char*, const std::string*> fields[] = {
      {"code", &error->code}, {"message", &error->message}, {"path", &error->path}};
  for (const auto& [name, value] : fields) {
    if (!expect_error.contains(name)) continue;
    const json got = *value;
    if (expect_error[name] != got)
      out->push_back(Differs(std::string("error.") + name, expect_error[name], &got));
  }
}

std::vector<std::string> RuleIds(const json& decision) {
  std::vector<std::string> ids;
  for (const json& id : decision.value("rules", json::array())) ids.push_back(Show(id));
  return ids;
}

std::vector<std::string> ShadowIds(const json& decision) {
  std::vector<std::string> ids;
  for (const json& entry : decision.value("shadow", json::array())) {
    if (entry.is_object() && entry.contains("rule")) ids.push_back(Show(entry["rule"]));
  }
  return ids;
}

// Decides one case and fills everything of `result` but `test`.
void RunOne(const CompiledPolicy& policy, const PolicyTestCase& test, Decision* decision,
            PolicyTestResult* result) {
  Request request;
  RequestError error;
  if (!ParseRequest(policy, test.request, test.clock.value_or(Now()), &request, &error)) {
    AppendErrorJson(error, &result->decision_json);
    if (test.expect_error) {
      CompareError(*test.expect_error, &error, &result->mismatches);
    } else {
      result->mismatches.push_back("request: rejected with `" + error.code + "` at `" + error.path +
                                   "`: " + error.message);
    }
    return;
  }
  Evaluate(policy, request, decision);
  if (decision->overflow) {
    result->mismatches.push_back("decision: incomplete: more clauses matched than it can hold");
    return;
  }
  AppendDecisionJson(policy, request, *decision, &result->decision_json);
  const json parsed = json::parse(result->decision_json, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    result->mismatches.push_back("decision: the engine wrote invalid JSON");
    return;
  }
  result->deciding_rules = RuleIds(parsed);
  result->shadow_rules = ShadowIds(parsed);
  if (test.expect_error) {
    CompareError(*test.expect_error, nullptr, &result->mismatches);
  } else {
    result->mismatches = CompareDecision(policy, test.expect, parsed);
  }
}

}  // namespace

Result<std::vector<PolicyTestCase>> LoadPolicyTests(const std::string& tests_dir) {
  Diagnostics diags;
  std::error_code ec;
  if (!fs::is_directory(tests_dir, ec)) {
    diags.Error(SourceLocation{tests_dir, 0, 0}, "no-tests",
                "`" + tests_dir + "` is not a directory");
    return diags;
  }
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(tests_dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".yaml") {
      files.push_back(entry.path().filename().string());
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<PolicyTestCase> tests;
  for (const std::string& f : files) LoadFile(tests_dir + "/" + f, &tests, &diags);
  CheckUniqueNames(tests, &diags);
  diags.Sort();
  if (diags.has_errors()) return diags;
  return Result<std::vector<PolicyTestCase>>(std::move(tests), std::move(diags));
}

bool MatchesFilter(const PolicyTestCase& test, std::string_view filter) {
  constexpr std::string_view kTag = "tag:";
  if (filter.substr(0, kTag.size()) == kTag) {
    const std::string_view tag = filter.substr(kTag.size());
    return std::find(test.tags.begin(), test.tags.end(), tag) != test.tags.end();
  }
  return test.name.find(filter) != std::string::npos;
}

std::vector<std::string> CompareDecision(const CompiledPolicy& policy, const json& expect,
                                         const json& decision) {
  std::vector<std::string> out;
  const std::vector<std::string>& fields = DecisionFields();
  for (const std::string& field : fields) {
    if (!expect.contains(field)) continue;
    if (field == "surfaces") {
      CompareSurfaces(policy, expect[field], decision, &out);
      continue;
    }
    const json* got = decision.contains(field) ? &decision[field] : nullptr;
    if (got == nullptr || *got != expect[field]) out.push_back(Differs(field, expect[field], got));
  }
  if (!expect.contains("warnings") && !decision.value("warnings", json::array()).empty()) {
    out.push_back("warnings: expected none, got `" + decision["warnings"].dump() +
                  "` (list them under `expect.warnings` if they are intended)");
  }
  for (const auto& [key, value] : expect.items()) {
    if (std::count(fields.begin(), fields.end(), key) > 0) continue;
    out.push_back("expect." + key + ": not a decision field" + internal::DidYouMean(key, fields) +
                  " (fields: " + Joined(fields) + ")");
  }
  return out;
}

std::vector<PolicyTestResult> RunPolicyTests(const CompiledPolicy& policy,
                                             const std::vector<PolicyTestCase>& tests,
                                             std::string_view filter) {
  std::vector<PolicyTestResult> results;
  auto decision = std::make_unique<Decision>();  // large: keep it off the stack
  for (const PolicyTestCase& test : tests) {
    if (!MatchesFilter(test, filter)) continue;
    PolicyTestResult& result = results.emplace_back();
    result.test = &test;
    RunOne(policy, test, decision.get(), &result);
    result.passed = result.mismatches.empty();
  }
  return results;
}

Coverage ComputeCoverage(const CompiledPolicy& policy,
                         const std::vector<PolicyTestResult>& results) {
  std::set<std::string> decided;
  for (const PolicyTestResult& r : results) {
    decided.insert(r.deciding_rules.begin(), r.deciding_rules.end());
    decided.insert(r.shadow_rules.begin(), r.shadow_rules.end());
  }
  Coverage c;
  for (const Rule& rule : policy.policy().rules) {
    ++c.rules_total;
    if (decided.count(rule.id) > 0) {
      ++c.rules_deciding;
    } else {
      c.rules_never_deciding.push_back(rule.id);
    }
  }
  if (c.rules_total > 0) c.rule_coverage = 100.0 * c.rules_deciding / c.rules_total;
  return c;
}

}  // namespace statemark
