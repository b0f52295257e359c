// Not API: use engine/loader.h.
//
// Reads a policy file with libyaml's event parser, about ten times faster than yaml-cpp
// on a 10,000-rule file (docs/benchmarks.md), into the same YamlDocument that yaml-cpp's
// tree is copied into.
//
// It reads only what it can vouch for: plain documents whose every node, value and mark
// is what yaml-cpp gives. On anything else it returns nothing and the caller parses the
// file with yaml-cpp, which remains the reference and the source of every message about
// the file's syntax or structure. It declines: invalid YAML (libyaml's messages and
// positions differ from yaml-cpp's); more than one document; directives, anchors,
// aliases and tags; empty values (yaml-cpp marks them at the next token, which libyaml's
// events do not always give); map keys that are not scalars or given twice (yaml-cpp
// keeps both, and ParseYaml reports them); nesting deeper than 64 levels; and any byte
// other than printable ASCII and line feeds (columns: yaml-cpp counts bytes, libyaml
// characters; tabs, carriage returns and byte-order marks are handled differently).
#ifndef STATEMARK_ENGINE_INTERNAL_YAML_FAST_READER_H_
#define STATEMARK_ENGINE_INTERNAL_YAML_FAST_READER_H_

#include <optional>
#include <string>

#include "engine/internal/yaml_document.h"

namespace statemark::internal {

std::optional<ParsedDocument> ReadYamlFast(const std::string& text);

}  // namespace statemark::internal

#endif  // STATEMARK_ENGINE_INTERNAL_YAML_FAST_READER_H_
