#include "engine/internal/yaml_source.h"

#include "engine/internal/spelling.h"

namespace statemark::internal {

SourceLocation YamlSource::At(const YAML::Node& node) const {
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
  if (!node.IsScalar()) {
    Error(node, "bad-type", "expected a single value for " + what);
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<bool> YamlSource::Bool(const YAML::Node& node, const std::string& what) const {
  if (node.IsScalar()) {
    if (node.Scalar() == "true") return true;
    if (node.Scalar() == "false") return false;
  }
  Error(node, "bad-type", "expected `true` or `false` for " + what);
  return std::nullopt;
}

std::optional<std::vector<std::string>> YamlSource::ScalarList(const YAML::Node& node,
                                                               const std::string& what) const {
  std::vector<std::string> out;
  if (node.IsScalar()) {
    out.push_back(node.Scalar());
    return out;
  }
  if (!node.IsSequence()) {
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
  if (node.IsMap()) return true;
  Error(node, "bad-type", "expected a map of names to values for " + what);
  return false;
}

bool YamlSource::ExpectList(const YAML::Node& node, const std::string& what) const {
  if (node.IsSequence()) return true;
  Error(node, "bad-type", "expected a list for " + what);
  return false;
}

std::optional<YamlSource> ParseYaml(const std::string& path, const std::string& text,
                                    Diagnostics* diags) {
  try {
    YamlSource src{path, YAML::Load(text), diags};
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
  if (node.IsSequence()) {
    for (const YAML::Node& n : node) out.push_back(n);
  } else if (node.IsDefined() && !node.IsNull()) {
    out.push_back(node);
  }
  return out;
}

}  // namespace statemark::internal
