// Tests for the loader's diagnostics: every error a policy author can make, with the
// exact text `statemark validate` shows for it.
//
// Most cases are data, in tests/corpus/bad_rules/<NN_name>/. Each case starts from a
// fresh copy of the shipped rules/ directory and changes it with:
//   edit.txt     optional: small edits of the copied files, in a minimal diff format:
//                  # a comment                  (ignored, as are blank lines)
//                  @@ platform.yaml             (the file the following hunks edit)
//                  -old line                    (exact text after the `-`)
//                  +new line                    (exact text after the `+`)
//                  !delete countries.yaml       (removes a file of the copy)
//                A hunk is a run of `-` lines then a run of `+` lines; the `-` lines must
//                occur, consecutive, exactly once in the file, and are replaced by the `+`
//                lines. A hunk with no `-` lines appends its `+` lines to the file (which
//                is created if missing).
//   options.txt  optional: LoaderOptions, one `name = number` a line (max_file_bytes,
//                max_rules, max_condition_depth, max_regex_bytes, max_errors)
//   any other file (except expected.txt and README.md) is copied over the policy at
//                the same relative path, e.g. `zz_case.yaml` or `registry/accounts.csv`
// then loads the copy with LoadPolicy and compares RenderDiagnostics(...), with the
// copy's path replaced by `<dir>`, to the case's expected.txt.
//
// Adding a case needs no C++: make the folder, then run
//   STATEMARK_UPDATE_CORPUS=1 build/statemark_tests -tc='bad rule corpus*'
// to write expected.txt, and review what it wrote: expected.txt is the specification.
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "engine/loader.h"
#include "engine/policy.h"
#include "engine/status.h"

namespace statemark {
namespace {

namespace fs = std::filesystem;

const fs::path kRules = fs::path(STATEMARK_SOURCE_DIR) / "rules";
const fs::path kCorpus = fs::path(STATEMARK_SOURCE_DIR) / "tests" / "corpus" / "bad_rules";

std::string ReadText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteText(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::string line;
  std::istringstream in(text);
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

void ReplaceAll(std::string* s, const std::string& from, const std::string& to) {
  for (size_t pos = s->find(from); pos != std::string::npos; pos = s->find(from, pos + to.size())) {
    s->replace(pos, from.size(), to);
  }
}

// A copy of the shipped rules/ in a fresh temporary directory, removed when done.
class PolicyCopy {
 public:
  // A copy of rules/, or (copy_rules false) an empty directory.
  explicit PolicyCopy(bool copy_rules = true) {
    static std::atomic<int> counter{0};
    std::random_device rd;
    const std::string name = "statemark_diag_" + std::to_string(rd()) + "_" +
                             std::to_string(counter++);
    dir_ = fs::temp_directory_path() / name;
    fs::create_directories(dir_);
    if (!copy_rules) return;
    for (const auto& entry : fs::recursive_directory_iterator(kRules)) {
      const fs::path rel = fs::relative(entry.path(), kRules);
      if (*rel.begin() == "tests") continue;  // the policy's own tests are not the policy
      if (entry.is_directory()) {
        fs::create_directories(dir_ / rel);
      } else if (entry.is_regular_file()) {
        fs::copy_file(entry.path(), dir_ / rel);
      }
    }
  }
  virtual ~PolicyCopy() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  PolicyCopy(const PolicyCopy&) = delete;
  PolicyCopy& operator=(const PolicyCopy&) = delete;

  const fs::path& dir() const { return dir_; }
  fs::path operator/(const std::string& rel) const { return dir_ / rel; }

  // Replaces the one line `from` of `file` with `to` (which may hold several lines).
  void ReplaceLine(const std::string& file, const std::string& from, const std::string& to) {
    std::vector<std::string> lines = SplitLines(ReadText(dir_ / file));
    auto hits = std::count(lines.begin(), lines.end(), from);
    REQUIRE_MESSAGE(hits == 1, "line `" << from << "` occurs " << hits << " times in " << file);
    *std::find(lines.begin(), lines.end(), from) = to;
    WriteText(dir_ / file, JoinLines(lines));
  }
  void Write(const std::string& file, const std::string& text) { WriteText(dir_ / file, text); }

  // Loads the copy and renders its diagnostics with the copy's path shown as `<dir>`.
  // Fails the test if LoadPolicy throws: it must never.
  std::string Diagnose(const LoaderOptions& options = {}) const {
    std::string out;
    try {
      auto result = LoadPolicy(dir_.string(), options);
      out = RenderDiagnostics(result.diagnostics());
      if (result.ok() && out.empty()) out = "ok\n";
    } catch (const std::exception& e) {
      FAIL_CHECK("LoadPolicy threw: " << std::string(e.what()));
      return std::string("threw: ") + e.what() + "\n";
    } catch (...) {
      FAIL_CHECK("LoadPolicy threw something that is not a std::exception");
      return "threw\n";
    }
    ReplaceAll(&out, dir_.string(), "<dir>");
    return out;
  }

 private:
  fs::path dir_;
};

// Applies a case's edit.txt (format above) to `copy`. Returns the problems found in
// the edit itself; empty if it applied.
std::string ApplyEdits(const std::string& edits, PolicyCopy& copy) {
  std::string file;
  std::vector<std::string> minus, plus;
  std::string problems;
  auto flush = [&]() {
    if (minus.empty() && plus.empty()) return;
    if (file.empty()) {
      problems += "a hunk comes before any `@@ file` line\n";
    } else if (minus.empty()) {
      const fs::path p = copy / file;
      std::string text = fs::exists(p) ? ReadText(p) : "";
      if (!text.empty() && text.back() != '\n') text += '\n';
      WriteText(p, text + JoinLines(plus));
    } else {
      std::vector<std::string> lines = SplitLines(ReadText(copy / file));
      std::vector<size_t> at;
      for (size_t i = 0; i + minus.size() <= lines.size(); ++i) {
        if (std::equal(minus.begin(), minus.end(), lines.begin() + static_cast<long>(i))) {
          at.push_back(i);
        }
      }
      if (at.size() != 1) {
        problems += "the lines starting `" + minus[0] + "` occur " + std::to_string(at.size()) +
                    " times in " + file + "; they must occur exactly once\n";
      } else {
        auto first = lines.begin() + static_cast<long>(at[0]);
        lines.erase(first, first + static_cast<long>(minus.size()));
        lines.insert(lines.begin() + static_cast<long>(at[0]), plus.begin(), plus.end());
        WriteText(copy / file, JoinLines(lines));
      }
    }
    minus.clear();
    plus.clear();
  };
  for (const std::string& line : SplitLines(edits)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("@@ ", 0) == 0) {
      flush();
      file = line.substr(3);
    } else if (line.rfind("!delete ", 0) == 0) {
      flush();
      std::error_code ec;
      if (!fs::remove(copy / line.substr(8), ec)) problems += "cannot delete " + line.substr(8) + "\n";
    } else if (line[0] == '-') {
      if (!plus.empty()) flush();
      minus.push_back(line.substr(1));
    } else if (line[0] == '+') {
      plus.push_back(line.substr(1));
    } else {
      problems += "edit line `" + line + "` starts with none of #, @@, !delete, -, +\n";
    }
  }
  flush();
  return problems;
}

// Reads options.txt: `name = number` lines.
std::string ApplyOptions(const std::string& text, LoaderOptions* options) {
  std::string problems;
  for (const std::string& line : SplitLines(text)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t eq = line.find('=');
    std::string name = line.substr(0, eq);
    name.erase(name.find_last_not_of(' ') + 1);
    const long long value = eq == std::string::npos ? -1 : std::atoll(line.c_str() + eq + 1);
    if (value < 0) {
      problems += "bad option line `" + line + "`\n";
    } else if (name == "max_file_bytes") {
      options->max_file_bytes = static_cast<size_t>(value);
    } else if (name == "max_rules") {
      options->max_rules = static_cast<size_t>(value);
    } else if (name == "max_condition_depth") {
      options->max_condition_depth = static_cast<int>(value);
    } else if (name == "max_regex_bytes") {
      options->max_regex_bytes = static_cast<size_t>(value);
    } else if (name == "max_errors") {
      options->max_errors = static_cast<size_t>(value);
    } else {
      problems += "unknown option `" + name + "`\n";
    }
  }
  return problems;
}

std::vector<fs::path> CorpusCases() {
  std::vector<fs::path> cases;
  for (const auto& entry : fs::directory_iterator(kCorpus)) {
    if (entry.is_directory()) cases.push_back(entry.path());
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

// Runs one corpus case; returns its rendered diagnostics (or the problems of the case).
std::string RunCase(const fs::path& dir) {
  PolicyCopy copy;
  LoaderOptions options;
  std::string problems;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string rel = fs::relative(entry.path(), dir).generic_string();
    if (rel == "expected.txt" || rel == "README.md" || rel == "edit.txt" || rel == "options.txt") {
      continue;
    }
    WriteText(copy / rel, ReadText(entry.path()));
  }
  if (fs::exists(dir / "edit.txt")) problems += ApplyEdits(ReadText(dir / "edit.txt"), copy);
  if (fs::exists(dir / "options.txt")) {
    problems += ApplyOptions(ReadText(dir / "options.txt"), &options);
  }
  if (!problems.empty()) return "the case itself is broken:\n" + problems;
  return copy.Diagnose(options);
}

// The codes of the diagnostics in `rendered`: `error[code]` and `warning[code]` at the
// start of a line or after its `file:line:column: `.
std::set<std::string> CodesIn(const std::string& rendered) {
  static const std::regex kHead(R"(^(?:\S[^ ]*: )?(?:error|warning)\[([a-z-]+)\]: .*)");
  std::set<std::string> codes;
  for (const std::string& line : SplitLines(rendered)) {
    std::smatch m;
    if (std::regex_match(line, m, kHead)) codes.insert(m[1]);
  }
  return codes;
}

TEST_CASE("the shipped policy loads without diagnostics") {
  PolicyCopy copy;
  CHECK(copy.Diagnose() == "ok\n");
}

TEST_CASE("bad rule corpus: every case reports exactly its expected diagnostics") {
  const bool update = std::getenv("STATEMARK_UPDATE_CORPUS") != nullptr;
  const std::vector<fs::path> cases = CorpusCases();
  CHECK(cases.size() >= 50);
  for (const fs::path& dir : cases) {
    CAPTURE(dir.filename().string());
    const std::string actual = RunCase(dir);
    const fs::path expected_file = dir / "expected.txt";
    if (update) {
      if (!fs::exists(expected_file) || ReadText(expected_file) != actual) {
        WriteText(expected_file, actual);
        MESSAGE("wrote " << expected_file.string());
      }
      continue;
    }
    REQUIRE_MESSAGE(fs::exists(expected_file), "missing " << expected_file.string());
    const std::string expected = ReadText(expected_file);
    CHECK(actual == expected);
    // A bad rule file is reported, never silently accepted.
    CHECK(actual != "ok\n");
  }
}

TEST_CASE("bad rule corpus: covers every error code a policy author can meet") {
  std::set<std::string> seen;
  for (const fs::path& dir : CorpusCases()) {
    if (!fs::exists(dir / "expected.txt")) continue;
    for (const std::string& code : CodesIn(ReadText(dir / "expected.txt"))) seen.insert(code);
  }
  // Every code LoadPolicy can report for a policy's content. Not here: no-policy (a
  // test below), io-error and unreadable (file system failures), vocabulary-too-large
  // (needs more attributes than a policy sensibly declares), unsupported-column (the
  // vocabulary rejects the types it is for), duplicate-group (a group declared twice is
  // a duplicate-key), and internal-error (a bug).
  for (const char* code :
       {// the files and their YAML
        "yaml-syntax", "bad-key", "duplicate-key", "multiple-documents", "alias-loop",
        "too-many-nodes", "file-too-large", "too-many-errors", "unknown-field", "bad-type",
        // rules
        "missing-id", "bad-id", "duplicate-id", "missing-field", "unexpected-field",
        "unknown-value", "unknown-window", "bad-time", "empty-window", "no-window",
        "unknown-rule", "not-exemptable", "empty-lifts", "empty-effect", "bad-ads",
        "too-many-rules", "unreachable-case" /* a warning */,
        // conditions
        "unknown-attribute", "unknown-operator", "bad-operator", "type-mismatch",
        "missing-value", "bad-regex", "regex-too-long", "unknown-list", "empty-condition",
        "bad-condition", "too-deep",
        // vocabulary and countries
        "bad-country", "missing-country", "missing-countries", "missing-section",
        "duplicate-section", "duplicate-value", "duplicate-domain", "unknown-domain",
        "unknown-type", "bad-attribute-name", "duplicate-attribute", "ambiguous-name",
        "unsupported-type", "bad-dated", "bad-default", "unknown-placeholder", "bad-template",
        "too-many-values",
        // registry
        "bad-csv", "unknown-column", "duplicate-column", "missing-column", "bad-row",
        "bad-bool", "duplicate-account", "unknown-account", "bad-listing"}) {
    CAPTURE(code);
    CHECK(seen.count(code) == 1);
  }
}

// --- The acceptance criteria, spelt out ---

TEST_CASE("a misspelt affiliation in a rule file gets a clear error, never a silent no-match") {
  PolicyCopy copy;
  copy.ReplaceLine("platform.yaml", "      account.affiliation: state_controlled_media",
                   "      account.affiliation: state_controled_media");
  auto result = LoadPolicy(copy.dir().string());
  CHECK_FALSE(result.ok());
  CHECK(copy.Diagnose() ==
        "<dir>/platform.yaml:8:28: error[unknown-value]: unknown affiliation "
        "`state_controled_media`; did you mean `state_controlled_media`?\n"
        "        account.affiliation: state_controled_media\n"
        "                             ^\n");
}

TEST_CASE("a misspelt affiliation inside an `in` list and a case is reported too") {
  PolicyCopy copy;
  copy.ReplaceLine("platform.yaml",
                   "      account.affiliation: { in: [state_affiliated_media, state_media_staff] }",
                   "      account.affiliation: { in: [state_afiliated_media, state_media_staff] }");
  copy.ReplaceLine("platform.yaml",
                   "      - when: { account.affiliation: government_official }",
                   "      - when: { account.affiliation: goverment_official }");
  CHECK(copy.Diagnose() ==
        "<dir>/platform.yaml:17:35: error[unknown-value]: unknown affiliation "
        "`state_afiliated_media`; did you mean `state_affiliated_media`?\n"
        "        account.affiliation: { in: [state_afiliated_media, state_media_staff] }\n"
        "                                    ^\n"
        "<dir>/platform.yaml:30:38: error[unknown-value]: unknown affiliation "
        "`goverment_official`; did you mean `government_official`?\n"
        "        - when: { account.affiliation: goverment_official }\n"
        "                                       ^\n");
}

TEST_CASE("a policy directory that does not exist is one error, not an exception") {
  auto result = LoadPolicy("/nonexistent/statemark/policy");
  CHECK_FALSE(result.ok());
  CHECK(RenderDiagnostics(result.diagnostics()) ==
        "/nonexistent/statemark/policy: error[no-policy]: `/nonexistent/statemark/policy` is "
        "not a directory\n");
}

// --- What the loader builds, where a fix changed it ---

TEST_CASE("a label effect's own placements are kept (P12 labels the embedded post only)") {
  // Reading `{ label: x, placements: [...] }` once assigned to a YAML::Node handle,
  // which rewrote the effect itself: its placements were silently dropped.
  PolicyCopy copy;
  auto result = LoadPolicy(copy.dir().string());
  REQUIRE(result.ok());
  const Policy& policy = *result.value();
  const int p12 = policy.FindRule("P12");
  REQUIRE(p12 >= 0);
  const Rule& rule = policy.rules[static_cast<size_t>(p12)];
  REQUIRE(rule.cases.size() == 2);
  for (const Case& c : rule.cases) {
    REQUIRE(c.then.labels.size() == 1);
    CHECK(c.then.labels[0].placements ==
          std::vector<int>{policy.vocabulary.FindPlacement("embedded_post")});
  }
}

TEST_CASE("`all` in `surfaces` sets the surfaces not named, wherever it stands") {
  PolicyCopy copy;
  copy.Write("zz_case.yaml",
             "rules:\n"
             "  - id: Z1\n"
             "    layer: platform\n"
             "    when: { account.affiliation: politician }\n"
             "    then: { surfaces: { search: removed, all: demoted } }\n"
             "  - id: Z2\n"
             "    layer: platform\n"
             "    when: { account.affiliation: politician }\n"
             "    then: { surfaces: { all: demoted, search: removed } }\n");
  auto result = LoadPolicy(copy.dir().string());
  REQUIRE(result.ok());
  const Policy& policy = *result.value();
  const Vocabulary& v = policy.vocabulary;
  for (const char* id : {"Z1", "Z2"}) {
    CAPTURE(id);
    const Effects& e = policy.rules[static_cast<size_t>(policy.FindRule(id))].then;
    for (size_t s = 0; s < v.surfaces.size(); ++s) {
      CAPTURE(v.surfaces[s]);
      CHECK(e.levels[s] == v.FindLevel(v.surfaces[s] == "search" ? "removed" : "demoted"));
    }
  }
}

// --- LoadPolicy never throws ---

// Every node of `node`, keys included, in document order.
void CollectNodes(const YAML::Node& node, std::vector<YAML::Node>* out) {
  out->push_back(node);
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      out->push_back(it->first);
      CollectNodes(it->second, out);
    }
  } else if (node.IsSequence()) {
    for (const YAML::Node& child : node) CollectNodes(child, out);
  }
}

// Replacements for a node: each kind of node the loader might not expect.
const std::vector<std::string> kReplacements = {"~", "{}", "[]", "{ a: b }", "[ x, [y] ]", "0"};

// Re-emits `text` with node number `index` (in CollectNodes order) replaced by
// `replacement`. Keys are replaced in place too (a map key may be any node in YAML).
std::string MutateYaml(const std::string& text, size_t index, const std::string& replacement) {
  YAML::Node root = YAML::Load(text);
  std::vector<YAML::Node> nodes;
  CollectNodes(root, &nodes);
  if (index >= nodes.size()) return text;
  if (index == 0) return replacement + "\n";
  YAML::Node target = nodes[index];
  target = YAML::Load(replacement);  // assignment through a handle rewrites the node in place
  YAML::Emitter out;
  out << root;
  return std::string(out.c_str()) + "\n";
}

// A small policy that uses every construct of the language once: quick to load, so
// every node of it can be replaced by every other shape.
const char* const kMiniCountries =
    "countries:\n"
    "  FR: { name: France, short: France, adjective: French }\n"
    "  GB: Britain\n"
    "  RU: Russia\n"
    "  ZZ: Unknown location\n";
const char* const kMiniVocabulary =
    "vocabulary:\n"
    "  domains:\n"
    "    topics: [news, sports]\n"
    "  attributes:\n"
    "    account.affiliation: { type: enum, values: [none, state_media, government], default: none }\n"
    "    account.affiliated_state: { type: country }\n"
    "    account.appeal: { type: enum, values: [none, granted], default: none, dated: true }\n"
    "    account.flagged: { type: bool }\n"
    "    content.topics: { type: enum_set, values: topics }\n"
    "    content.text: { type: string, description: the text }\n"
    "    ad.first_impression_at: { type: instant, required: true }\n"
    "    ad.purpose: { type: enum, values: [commercial, political], open: true }\n"
    "  groups:\n"
    "    EU: { of: countries, members: [FR] }\n"
    "    STATE: { of: account.affiliation, members: [state_media] }\n"
    "    ALL_TOPICS: { of: topics, members: all }\n"
    "  surfaces: [for_you, search]\n"
    "  levels: [eligible, demoted, removed]\n"
    "  withheld_from: removed\n"
    "  placements:\n"
    "    post: { shown_on: [organic] }\n"
    "    ad: { shown_on: ad }\n"
    "  labels:\n"
    "    state_media: { text: \"{state_short} state media\", placements: [post, ad] }\n"
    "  notices:\n"
    "    legal: \"withheld in {viewer_country}\"\n"
    "  friction: [interstitial]\n"
    "  monetization: [allow, deny]\n"
    "  windows:\n"
    "    W1: { from: \"2024-01-01T00:00 Europe/Paris\", until: \"2024-02-01T00:00:00Z\" }\n"
    "  sanctions_lists:\n"
    "    eu_list: { jurisdiction: EU }\n";
const char* const kMiniRules =
    "rules:\n"
    "  - id: T1\n"
    "    layer: platform\n"
    "    mode: shadow\n"
    "    effective: { from: \"2024-01-01T00:00:00Z\", until: \"2025-01-01T00:00:00Z\" }\n"
    "    applies_to: [account, reshared_account]\n"
    "    when:\n"
    "      all:\n"
    "        - account.affiliation: { in: [STATE] }\n"
    "        - not: { content.topics: { intersects: [ALL_TOPICS] } }\n"
    "        - any:\n"
    "            - viewer.country: { same_as: account.affiliated_state }\n"
    "            - content.text: { matches: \"a+b\" }\n"
    "            - ad.first_impression_at: { before: window.from }\n"
    "            - account.sanctions: { listed_in: eu_list }\n"
    "    then:\n"
    "      surfaces: { for_you: demoted, all: eligible }\n"
    "      labels: [state_media, { label: state_media, placements: [post] }]\n"
    "      notice: legal\n"
    "      friction: [interstitial]\n"
    "      monetization: deny\n"
    "      ads: { allow_only: [account.affiliated_state, EU] }\n"
    "    cases:\n"
    "      - when: { viewer.country: GB }\n"
    "        then: { ads: deny_all }\n"
    "  - id: T2\n"
    "    layer: exemption\n"
    "    effective: W1\n"
    "    when: { account.appeal: granted }\n"
    "    lifts: [T1]\n";

// A fresh directory holding the small policy above.
class MiniPolicy : public PolicyCopy {
 public:
  MiniPolicy() : PolicyCopy(/*copy_rules=*/false) {
    Write("countries.yaml", kMiniCountries);
    Write("vocabulary.yaml", kMiniVocabulary);
    Write("rules.yaml", kMiniRules);
  }
};

TEST_CASE("the small policy for the robustness tests is itself valid") {
  MiniPolicy mini;
  CHECK(mini.Diagnose() == "ok\n");
}

TEST_CASE("LoadPolicy never throws, whatever shape any node of any policy file takes") {
  MiniPolicy mini;
  int runs = 0;
  for (const auto& [file, text] : {std::pair<std::string, std::string>{"rules.yaml", kMiniRules},
                                   {"vocabulary.yaml", kMiniVocabulary},
                                   {"countries.yaml", kMiniCountries}}) {
    std::vector<YAML::Node> nodes;
    CollectNodes(YAML::Load(text), &nodes);
    for (size_t i = 0; i < nodes.size(); ++i) {
      for (const std::string& replacement : kReplacements) {
        const std::string mutated = MutateYaml(text, i, replacement);
        mini.Write(file, mutated);
        CAPTURE(mutated);
        // Not an internal error either: every shape is a diagnostic of its own.
        CHECK(mini.Diagnose().find("internal-error") == std::string::npos);
        ++runs;
      }
    }
    mini.Write(file, text);
  }
  CHECK(runs > 1000);
}

TEST_CASE("LoadPolicy never throws on truncated or byte-mangled files") {
  MiniPolicy mini;
  const std::string rules = kMiniRules;
  for (size_t cut = 0; cut < rules.size(); cut += 7) {
    mini.Write("rules.yaml", rules.substr(0, cut));
    CAPTURE(cut);
    CHECK(mini.Diagnose().find("internal-error") == std::string::npos);
  }
  for (const std::string& junk : {std::string("\t"), std::string("\0", 1), std::string("\xff\xfe"),
                                  std::string(": :"), std::string("- -"), std::string("&a *a"),
                                  std::string("*nope"), std::string("!!binary x"),
                                  std::string("{"), std::string("["), std::string("'"),
                                  std::string("\n---\n"), std::string("? [k]\n: v\n")}) {
    for (size_t at = 0; at < rules.size(); at += 41) {
      mini.Write("rules.yaml", rules.substr(0, at) + junk + rules.substr(at));
      CAPTURE(at);
      CAPTURE(junk);
      CHECK(mini.Diagnose().find("internal-error") == std::string::npos);
    }
  }
}

}  // namespace
}  // namespace statemark
