// Not API: use engine/loader.h.
//
// Reading YAML with positions. A YamlSource is one parsed file; its helpers turn node
// marks into 1-based SourceLocations and report problems with house-style messages.
// yaml-cpp throws on malformed input; ParseYaml catches that here, at the edge, and
// turns it into a Diagnostic. The loaders read the file as a YamlDocument
// (yaml_document.h), read by libyaml where it can vouch for the result and copied from
// yaml-cpp's tree otherwise.
#ifndef STATEMARK_ENGINE_INTERNAL_YAML_SOURCE_H_
#define STATEMARK_ENGINE_INTERNAL_YAML_SOURCE_H_

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/internal/yaml_document.h"
#include "engine/status.h"

namespace statemark::internal {

struct YamlSource {
  std::string path;
  std::shared_ptr<const YamlDocument> doc;  // owns the nodes `root` refers to
  DocNode root;
  Diagnostics* diags = nullptr;

  SourceLocation At(const DocNode& node) const;
  void Error(const DocNode& at, const std::string& code, const std::string& message) const;
  void Warning(const DocNode& at, const std::string& code, const std::string& message) const;

  // Reports every key of map `node` not in `allowed`, with a suggestion. `what` names
  // the map in messages: "unknown field `efect` in rule `P4`; did you mean `effect`?".
  void CheckKeys(const DocNode& node, const std::string& what,
                 const std::vector<std::string>& allowed) const;

  // Typed reads that report a mismatch and return nothing.
  std::optional<std::string> Scalar(const DocNode& node, const std::string& what) const;
  std::optional<bool> Bool(const DocNode& node, const std::string& what) const;
  // A list of scalars; a single scalar reads as a one-element list.
  std::optional<std::vector<std::string>> ScalarList(const DocNode& node,
                                                     const std::string& what) const;
  bool ExpectMap(const DocNode& node, const std::string& what) const;
  bool ExpectList(const DocNode& node, const std::string& what) const;
};

// How ParseYaml reads a file. kFastWhereSure reads it with libyaml when
// ReadYamlFast vouches for the result, with yaml-cpp otherwise; kYamlCpp always with
// yaml-cpp. Both give the same document; only yaml-cpp reports problems of syntax.
enum class YamlReader { kFastWhereSure, kYamlCpp };

// Parses `path` (whose bytes are `text`). Syntax errors go to `diags`.
std::optional<YamlSource> ParseYaml(const std::string& path, const std::string& text,
                                    Diagnostics* diags,
                                    YamlReader reader = YamlReader::kYamlCpp);

// The scalar list of a node as element nodes (a lone scalar yields itself).
std::vector<DocNode> Elements(const DocNode& node);

}  // namespace statemark::internal

#endif  // STATEMARK_ENGINE_INTERNAL_YAML_SOURCE_H_
