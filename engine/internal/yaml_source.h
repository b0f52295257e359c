// Not API: use engine/loader.h.
//
// Reading YAML with positions. A YamlSource is one parsed file; its helpers turn node
// marks into 1-based SourceLocations and report problems with house-style messages.
// yaml-cpp throws on malformed input; ReadYamlFile catches that here, at the edge, and
// turns it into a Diagnostic.
#ifndef STATEMARK_ENGINE_INTERNAL_YAML_SOURCE_H_
#define STATEMARK_ENGINE_INTERNAL_YAML_SOURCE_H_

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "engine/status.h"

namespace statemark::internal {

struct YamlSource {
  std::string path;
  YAML::Node root;
  Diagnostics* diags = nullptr;

  SourceLocation At(const YAML::Node& node) const;
  void Error(const YAML::Node& at, const std::string& code, const std::string& message) const;
  void Warning(const YAML::Node& at, const std::string& code, const std::string& message) const;

  // Reports every key of map `node` not in `allowed`, with a suggestion. `what` names
  // the map in messages: "unknown field `efect` in rule `P4`; did you mean `effect`?".
  void CheckKeys(const YAML::Node& node, const std::string& what,
                 const std::vector<std::string>& allowed) const;

  // Typed reads that report a mismatch and return nothing.
  std::optional<std::string> Scalar(const YAML::Node& node, const std::string& what) const;
  std::optional<bool> Bool(const YAML::Node& node, const std::string& what) const;
  // A list of scalars; a single scalar reads as a one-element list.
  std::optional<std::vector<std::string>> ScalarList(const YAML::Node& node,
                                                     const std::string& what) const;
  bool ExpectMap(const YAML::Node& node, const std::string& what) const;
  bool ExpectList(const YAML::Node& node, const std::string& what) const;
};

// Parses `path` (whose bytes are `text`). Syntax errors go to `diags`.
std::optional<YamlSource> ParseYaml(const std::string& path, const std::string& text,
                                    Diagnostics* diags);

// The scalar list of a node as element nodes (a lone scalar yields itself).
std::vector<YAML::Node> Elements(const YAML::Node& node);

}  // namespace statemark::internal

#endif  // STATEMARK_ENGINE_INTERNAL_YAML_SOURCE_H_
