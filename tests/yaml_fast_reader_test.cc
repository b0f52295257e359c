// The fast YAML reader (libyaml) against yaml-cpp: wherever the fast reader accepts a
// file, it must give the document yaml-cpp gives, node for node: the same kinds, scalar
// text, quoting and marks. And it must accept the policy files we ship and generate,
// or the load path silently falls back to the slow reader.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/internal/yaml_fast_reader.h"
#include "engine/internal/yaml_source.h"
#include "tests/random_policy.h"

namespace statemark::testing {
namespace {

namespace fs = std::filesystem;
using internal::DocNode;
using internal::ParseYaml;
using internal::ReadYamlFast;
using internal::YamlReader;

std::string Describe(const DocNode& n) {
  const YAML::Mark m = n.Mark();
  return std::to_string(static_cast<int>(n.Type())) + "@" + std::to_string(m.line) + ":" +
         std::to_string(m.column) + " " + n.Tag() + " `" + n.Scalar() + "`";
}

// Compares two documents; on a difference, *where says which nodes.
bool Same(const DocNode& a, const DocNode& b, std::string* where) {
  if (Describe(a) != Describe(b) || a.size() != b.size()) {
    *where = "fast " + Describe(a) + " vs yaml-cpp " + Describe(b);
    return false;
  }
  auto ia = a.begin(), ib = b.begin();
  for (; ia != a.end() && ib != b.end(); ++ia, ++ib) {
    if (a.IsMap()) {
      if (!Same(ia->first, ib->first, where) || !Same(ia->second, ib->second, where)) return false;
    } else if (!Same(*ia, *ib, where)) {
      return false;
    }
  }
  return (ia == a.end()) == (ib == b.end());
}

// Whether the fast reader accepted `text`; checks that it agrees with yaml-cpp if so.
bool CheckAgainstYamlCpp(const std::string& name, const std::string& text) {
  CAPTURE(name);
  std::optional<internal::ParsedDocument> fast = ReadYamlFast(text);
  if (!fast) return false;
  Diagnostics diags;
  std::optional<internal::YamlSource> slow = ParseYaml(name, text, &diags, YamlReader::kYamlCpp);
  // The fast reader declines everything yaml-cpp has something to say about.
  CHECK(diags.empty());
  REQUIRE(slow.has_value());
  std::string where;
  CHECK_MESSAGE(Same(fast->root(), slow->root, &where), where);
  return true;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<fs::path> YamlFilesUnder(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".yaml") out.push_back(e.path());
  }
  return out;
}

TEST_CASE("fast YAML reader: accepts the shipped policy and agrees with yaml-cpp on it") {
  const fs::path rules = fs::path(STATEMARK_SOURCE_DIR) / "rules";
  int accepted = 0;
  for (const fs::path& p : YamlFilesUnder(rules)) {
    accepted += CheckAgainstYamlCpp(p.string(), ReadFile(p)) ? 1 : 0;
  }
  // The rule files are plain ASCII YAML: the fast reader must take them.
  for (const char* name : {"platform.yaml", "legal.yaml", "integrity.yaml", "exemptions.yaml"}) {
    CAPTURE(name);
    CHECK(ReadYamlFast(ReadFile(rules / name)).has_value());
  }
  CHECK(accepted >= 4);
}

TEST_CASE("fast YAML reader: agrees with yaml-cpp on the corpus and fuzz regressions") {
  for (const char* sub : {"tests/corpus", "fuzz/regressions", "examples", "bundle"}) {
    const fs::path dir = fs::path(STATEMARK_SOURCE_DIR) / sub;
    if (!fs::is_directory(dir)) continue;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      if (!e.is_regular_file()) continue;
      CheckAgainstYamlCpp(e.path().string(), ReadFile(e.path()));
    }
  }
}

TEST_CASE("fast YAML reader: agrees with yaml-cpp on random policies") {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    CHECK(CheckAgainstYamlCpp("random.yaml", RandomRulesYaml(seed, 40)));
  }
}

TEST_CASE("fast YAML reader: agrees with yaml-cpp or declines, on odd YAML") {
  const std::vector<std::string> accepted = {
      "",
      "# only a comment\n",
      "a: 1",
      "a: 1\nb: [x, 'y', \"z\"]\n",
      "---\na: b\n",
      "a: b\n...\n",
      "rules:\n- id: A\n  when: {account.affiliation: none}\n",
      "rules:\n  - id: A\n    then:\n      surfaces: { for_you: demoted }\n",
      "a: |\n  line one\n  line two\nb: >-\n  folded\n  text\n",
      "a: plain text\n  continued\n",
      "a: 'it''s'\nb: \"tab\\tnew\\nline\"\n",
      "a: ~\nb: null\nc: Null\nd: NULL\ne: 'null'\nf: nulls\n",
      "- - - deep\n    - x\n  - y\n",
      "{a: 1, b: {c: [1, 2, {d: e}]}}\n",
      "[a, b, c]\n",
      "just a scalar\n",
      "a: b # comment\n# another\nc: d\n",
      "a: 'multi\n  line'\n",
      "key with spaces: value\n",
      "a: -1\nb: true\nc: '42'\n",
  };
  for (const std::string& text : accepted) {
    CAPTURE(text);
    CHECK(CheckAgainstYamlCpp("odd.yaml", text));
  }
  // What the reader leaves to yaml-cpp (see yaml_fast_reader.h).
  const std::vector<std::string> declined = {
      "a:\nb: c\n",                    // an empty value
      "- \n- b\n",                     // an empty item
      "a: &x 1\nb: *x\n",              // anchors and aliases
      "a: !!str 1\n",                  // tags
      "%YAML 1.2\n---\na: 1\n",        // directives
      "a: 1\n---\nb: 2\n",             // two documents
      "a: 1\na: 2\n",                  // a key given twice
      "? [a, b]\n: c\n",               // a key that is not a scalar
      "~: x\n",                        // a null key
      "a: [b\n",                       // invalid YAML
      "a: caf\xc3\xa9\n",              // beyond ASCII
      "a:\tb\n",                       // a tab
      "a: b\r\n",                      // a carriage return
      "   ,  ableblels:ls: []\n",      // the fuzz regression that stalls yaml-cpp
      std::string(70, '[') + std::string(70, ']') + "\n",  // deeper than 64 levels
  };
  for (const std::string& text : declined) {
    CAPTURE(text);
    CHECK_FALSE(ReadYamlFast(text).has_value());
  }
}

}  // namespace
}  // namespace statemark::testing
