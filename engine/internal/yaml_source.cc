#include "engine/internal/yaml_source.h"

#include <map>

#include "engine/internal/spelling.h"

namespace statemark::internal {

SourceLocation YamlSource::At(const YAML::Node& node) const {
  // A missing key's node (`node["absent"]`) has no position, and yaml-cpp throws when
  // asked for one; report the file alone rather than throw.
  if (!node.IsDefined()) return SourceLocation{path, 0, 0};
  YAML::Mark m = node.Mark();
  if (m.is_null()) return SourceLocation{path, 0, 0};
  return SourceLocation{path, m.line + 1, m.column + 1};
}

void YamlSource::Error(const YAML::Node& at, const std::string& code,
                       const std::string& message) const {
  diags->Error(At(at), code, message);
}

void YamlSource::Warning(const YAML::Node& at, const std::string& code,
                         const std::string& message) const {
  diags->Warning(At(at), code, message);
}

void YamlSource::CheckKeys(const YAML::Node& node, const std::string& what,
                           const std::vector<std::string>& allowed) const {
  if (!node.IsMap()) return;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar()) {
      Error(it->first, "bad-key", "expected a plain name as a key in " + what);
      continue;
    }
    const std::string key = it->first.Scalar();
    bool known = false;
    for (const std::string& a : allowed) known = known || a == key;
    if (!known) {
      Error(it->first, "unknown-field",
            "unknown field `" + key + "` in " + what + DidYouMean(key, allowed));
    }
  }
}

std::optional<std::string> YamlSource::Scalar(const YAML::Node& node,
                                              const std::string& what) const {
  if (!node.IsDefined() || !node.IsScalar()) {
    Error(node, "bad-type", "expected a single value for " + what);
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<bool> YamlSource::Bool(const YAML::Node& node, const std::string& what) const {
  if (node.IsDefined() && node.IsScalar()) {
    if (node.Scalar() == "true") return true;
    if (node.Scalar() == "false") return false;
  }
  Error(node, "bad-type", "expected `true` or `false` for " + what);
  return std::nullopt;
}

std::optional<std::vector<std::string>> YamlSource::ScalarList(const YAML::Node& node,
                                                               const std::string& what) const {
  std::vector<std::string> out;
  if (node.IsDefined() && node.IsScalar()) {
    out.push_back(node.Scalar());
    return out;
  }
  if (!node.IsDefined() || !node.IsSequence()) {
    Error(node, "bad-type", "expected a list of values for " + what);
    return std::nullopt;
  }
  bool ok = true;
  for (const YAML::Node& item : node) {
    if (!item.IsScalar()) {
      Error(item, "bad-type", "expected a single value in the list for " + what);
      ok = false;
      continue;
    }
    out.push_back(item.Scalar());
  }
  if (!ok) return std::nullopt;
  return out;
}

bool YamlSource::ExpectMap(const YAML::Node& node, const std::string& what) const {
  if (node.IsDefined() && node.IsMap()) return true;
  Error(node, "bad-type", "expected a map of names to values for " + what);
  return false;
}

bool YamlSource::ExpectList(const YAML::Node& node, const std::string& what) const {
  if (node.IsDefined() && node.IsSequence()) return true;
  Error(node, "bad-type", "expected a list for " + what);
  return false;
}

namespace {

std::string KeyText(const YAML::Node& key) {
  return key.IsScalar() ? "`" + key.Scalar() + "`" : "this key";
}

// Checks what YAML allows but a policy file cannot mean: keys that are not plain names
// (`[a, b]: x`, `~: x`), and a key given twice in one map (yaml-cpp keeps both and
// lookups see only the first, so the second would be silently ignored). Returns false
// if it found either.
bool CheckStructure(const YamlSource& src, const YAML::Node& node, int depth) {
  // yaml-cpp bounds the nesting of what it parses; this bound only keeps the walk safe
  // should that change.
  if (depth > 10000) return true;
  bool ok = true;
  if (node.IsSequence()) {
    for (const YAML::Node& item : node) ok = CheckStructure(src, item, depth + 1) && ok;
  } else if (node.IsMap()) {
    std::map<std::string, int> seen;  // key -> 1-based line of its first occurrence
    for (auto it = node.begin(); it != node.end(); ++it) {
      const YAML::Node key = it->first;
      if (!key.IsScalar()) {
        src.Error(key, "bad-key",
                  "expected a plain name as a key, not " +
                      std::string(key.IsMap() ? "a map" : key.IsSequence() ? "a list" : "an empty value"));
        ok = false;
      } else {
        const int line = src.At(key).line;
        auto [first, inserted] = seen.emplace(key.Scalar(), line);
        if (!inserted) {
          src.Error(key, "duplicate-key",
                    "duplicate key " + KeyText(key) + "; it is already given on line " +
                        std::to_string(first->second));
          ok = false;
        }
      }
      ok = CheckStructure(src, it->second, depth + 1) && ok;
    }
  }
  return ok;
}

}  // namespace

std::optional<YamlSource> ParseYaml(const std::string& path, const std::string& text,
                                    Diagnostics* diags) {
  try {
    std::vector<YAML::Node> docs = YAML::LoadAll(text);
    YamlSource src{path, docs.empty() ? YAML::Node() : docs[0], diags};
    bool ok = true;
    for (size_t i = 1; i < docs.size(); ++i) {
      // A second `---` document would be silently ignored: a policy file is one document.
      src.Error(docs[i], "multiple-documents",
                "a policy file holds one YAML document; this is document " + std::to_string(i + 1));
      ok = false;
    }
    ok = CheckStructure(src, src.root, 0) && ok;
    if (!ok) return std::nullopt;
    return src;
  } catch (const YAML::Exception& e) {
    // e.msg is yaml-cpp's message without the position prefix that what() adds.
    diags->Error(SourceLocation{path, e.mark.is_null() ? 0 : e.mark.line + 1,
                                e.mark.is_null() ? 0 : e.mark.column + 1},
                 "yaml-syntax", "invalid YAML: " + e.msg);
    return std::nullopt;
  }
}

std::vector<YAML::Node> Elements(const YAML::Node& node) {
  std::vector<YAML::Node> out;
  if (!node.IsDefined()) return out;  // a missing key: no elements
  if (node.IsSequence()) {
    for (const YAML::Node& n : node) out.push_back(n);
  } else if (node.IsDefined() && !node.IsNull()) {
    out.push_back(node);
  }
  return out;
}

}  // namespace statemark::internal
