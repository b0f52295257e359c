// `statemark fmt` never changes what a policy decides: the default policy, messy copies
// of it and random rule sets compile to the same decision tree and decide generated
// requests the same before and after formatting; the test cases read the same;
// formatting is idempotent; and a messy copy that keeps its comments formats back to
// the default policy byte for byte.
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "engine/format.h"
#include "engine/policy_tests.h"
#include "engine/request_generator.h"
#include "tests/random_policy.h"
#include "tests/test_support.h"

namespace statemark::testing {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream b;
  b << in.rdbuf();
  return b.str();
}

void WriteFile(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

// The YAML files of a policy directory and of its tests/.
std::vector<fs::path> YamlFiles(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const fs::path& d : {dir, dir / "tests"}) {
    if (!fs::is_directory(d)) continue;
    for (const auto& e : fs::directory_iterator(d)) {
      if (e.path().extension() == ".yaml") files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

void CopyPolicyWithTests(const fs::path& to) {
  fs::copy(DefaultRulesDir(), to, fs::copy_options::recursive);
}

// Layout noise that YAML ignores: CRLF line ends, trailing spaces, runs of blank lines,
// single quotes for double quotes, wider gaps before comments. Comments are kept, and
// so is the text of block scalars (`>`, `|`), where spaces and blank lines are content.
std::string MessUpText(const std::string& text) {
  std::string out;
  std::istringstream in(text);
  std::string line;
  static const std::regex kQuotedValue("^(\\s*(?:- )?[A-Za-z_.]+: )\"([^\"'\\\\]*)\"$");
  int block_indent = -1;  // the indentation of the key of the block scalar being copied
  while (std::getline(in, line)) {
    const size_t indent = line.find_first_not_of(' ');
    if (block_indent >= 0 &&
        (indent == std::string::npos || static_cast<int>(indent) > block_indent)) {
      out += line + "\r\n";
      continue;
    }
    block_indent = -1;
    if (indent == std::string::npos) {
      out += "\r\n\r\n\r\n";
      continue;
    }
    const size_t hash = line.find(" #", indent);  // a comment after code
    std::string code = hash == std::string::npos ? line : line.substr(0, hash);
    const std::string comment = hash == std::string::npos ? "" : line.substr(hash + 1);
    if (!code.empty() && (code.back() == '>' || code.back() == '|')) {
      const bool item = code.compare(indent, 2, "- ") == 0;
      block_indent = static_cast<int>(indent) + (item ? 2 : 0);
    }
    code = std::regex_replace(code, kQuotedValue, "$1'$2'");
    out += code + (comment.empty() ? "   " : "        " + comment + "  ") + "\r\n";
  }
  return out;
}

// The rules' keys in reverse order, every collection in block style, indented by four:
// yaml-cpp's own emitter, which keeps no comment. Used for policy files only (it does not
// keep quotes, which test files give meaning to).
YAML::Node ReverseRuleKeys(const YAML::Node& root) {
  YAML::Node out(YAML::NodeType::Map);
  for (auto it = root.begin(); it != root.end(); ++it) {
    if (it->first.Scalar() != "rules") {
      out[it->first] = it->second;
      continue;
    }
    YAML::Node rules(YAML::NodeType::Sequence);
    for (auto r = it->second.begin(); r != it->second.end(); ++r) {
      const YAML::Node rule = *r;
      std::vector<std::pair<YAML::Node, YAML::Node>> pairs(rule.begin(), rule.end());
      YAML::Node reversed(YAML::NodeType::Map);
      for (auto p = pairs.rbegin(); p != pairs.rend(); ++p) reversed[p->first] = p->second;
      rules.push_back(reversed);
    }
    out["rules"] = rules;
  }
  return out;
}

std::string ReEmit(const std::string& text) {
  YAML::Emitter e;
  e.SetIndent(4);
  e.SetMapFormat(YAML::Block);
  e.SetSeqFormat(YAML::Block);
  e << ReverseRuleKeys(YAML::Load(text));
  return std::string(e.c_str()) + "\n";
}

// Formats every YAML file of `dir` in place; checks that a second pass changes nothing.
void FormatInPlace(const fs::path& dir) {
  for (const fs::path& file : YamlFiles(dir)) {
    const std::string text = ReadFile(file);
    Result<std::string> once = FormatPolicyFile(file.string(), text);
    REQUIRE_MESSAGE(once.ok(), RenderDiagnostics(once.diagnostics()));
    Result<std::string> twice = FormatPolicyFile(file.string(), once.value());
    REQUIRE(twice.ok());
    CHECK_MESSAGE(twice.value() == once.value(), file.string() << " is not stable under fmt");
    WriteFile(file, once.value());
  }
}

std::string MaskVersion(const std::string& decision) {
  static const std::regex kVersion("\"policy_version\":\"[^\"]*\"");
  return std::regex_replace(decision, kVersion, "\"policy_version\":\"\"");
}

// The same tree, and the same decisions on generated requests, version aside.
void CheckSameMeaning(const CompiledPolicy& a, const CompiledPolicy& b) {
  CHECK(a.tree_hash() == b.tree_hash());
  GeneratorOptions options;
  options.seed = 20240523;
  RequestGenerator generator(a, options);
  int differences = 0;
  for (long i = 0, n = ScaledCount(5000); i < n; ++i) {
    const std::string request = generator.Next().dump();
    const std::string da = MaskVersion(DecideJson(a, request));
    const std::string db = MaskVersion(DecideJson(b, request));
    if (da != db && ++differences <= 3) {
      FAIL_CHECK("decisions differ for " << request << "\n  " << da << "\n  " << db);
    }
  }
  CHECK(differences == 0);
}

// The test cases read the same: names, requests, expectations, clocks, tags.
void CheckSameTests(const fs::path& a, const fs::path& b) {
  auto ta = LoadPolicyTests((a / "tests").string());
  auto tb = LoadPolicyTests((b / "tests").string());
  REQUIRE(ta.ok());
  REQUIRE_MESSAGE(tb.ok(), RenderDiagnostics(tb.diagnostics()));
  REQUIRE(ta.value().size() == tb.value().size());
  for (size_t i = 0; i < ta.value().size(); ++i) {
    const PolicyTestCase& x = ta.value()[i];
    const PolicyTestCase& y = tb.value()[i];
    CHECK(x.name == y.name);
    CHECK(x.note == y.note);
    CHECK(x.request == y.request);
    CHECK(x.expect == y.expect);
    CHECK(x.expect_error == y.expect_error);
    CHECK(x.tags == y.tags);
    CHECK(x.clock.has_value() == y.clock.has_value());
  }
}

TEST_CASE("the default policy is in canonical form") {
  for (const fs::path& file : YamlFiles(DefaultRulesDir())) {
    const std::string text = ReadFile(file);
    Result<std::string> formatted = FormatPolicyFile(file.string(), text);
    REQUIRE_MESSAGE(formatted.ok(), RenderDiagnostics(formatted.diagnostics()));
    CHECK_MESSAGE(formatted.value() == text,
                  file.string() << " differs from line "
                                << FirstDifferentLine(text, formatted.value()));
  }
}

TEST_CASE("formatting the default policy changes no decision") {
  auto original = CompileOrFail(DefaultRulesDir());
  REQUIRE(original);
  ScratchDir dir;
  fs::remove(dir.path());
  CopyPolicyWithTests(dir.path());
  FormatInPlace(dir.path());
  auto formatted = CompileOrFail(dir.str());
  REQUIRE(formatted);
  CheckSameMeaning(*original, *formatted);
  CheckSameTests(DefaultRulesDir(), dir.path());
}

TEST_CASE("a messy copy with comments formats back to the default policy") {
  auto original = CompileOrFail(DefaultRulesDir());
  REQUIRE(original);
  ScratchDir dir;
  fs::remove(dir.path());
  CopyPolicyWithTests(dir.path());
  for (const fs::path& file : YamlFiles(dir.path())) {
    WriteFile(file, MessUpText(ReadFile(file)));
  }
  auto messy = CompileOrFail(dir.str());
  REQUIRE(messy);
  CHECK(messy->tree_hash() == original->tree_hash());  // the mess itself changed nothing
  FormatInPlace(dir.path());
  auto formatted = CompileOrFail(dir.str());
  REQUIRE(formatted);
  CheckSameMeaning(*messy, *formatted);
  CheckSameTests(DefaultRulesDir(), dir.path());
  const fs::path rules = DefaultRulesDir();
  for (const fs::path& file : YamlFiles(dir.path())) {
    const fs::path shipped = rules / fs::relative(file, dir.path());
    CHECK_MESSAGE(ReadFile(file) == ReadFile(shipped), shipped.string());
  }
}

TEST_CASE("a copy re-emitted in another layout, rule keys reversed, decides the same once formatted") {
  auto original = CompileOrFail(DefaultRulesDir());
  REQUIRE(original);
  ScratchDir dir;
  fs::remove(dir.path());
  CopyPolicyWithTests(dir.path());
  for (const fs::path& file : YamlFiles(dir.path())) {
    if (file.parent_path().filename() == "tests") continue;
    WriteFile(file, ReEmit(ReadFile(file)));
  }
  auto messy = CompileOrFail(dir.str());
  REQUIRE(messy);
  CHECK(messy->tree_hash() == original->tree_hash());
  FormatInPlace(dir.path());
  auto formatted = CompileOrFail(dir.str());
  REQUIRE(formatted);
  CheckSameMeaning(*messy, *formatted);
  CheckSameMeaning(*original, *formatted);
}

TEST_CASE("random rule sets, re-emitted in another layout, decide the same once formatted") {
  for (uint64_t seed = 1; seed <= static_cast<uint64_t>(ScaledCount(3)); ++seed) {
    CAPTURE(seed);
    ScratchDir dir;
    dir.CopyDefaultPolicy();
    dir.Write("random.yaml", RandomRulesYaml(seed, 60));
    auto before = CompileOrFail(dir.str());
    REQUIRE(before);
    dir.Write("random.yaml", ReEmit(RandomRulesYaml(seed, 60)));  // another layout
    FormatInPlace(dir.path());
    auto after = CompileOrFail(dir.str());
    REQUIRE(after);
    CheckSameMeaning(*before, *after);
  }
}

}  // namespace
}  // namespace statemark::testing
