// Not API: use engine/format.h.
//
// A YAML document as a tree that remembers where each node was written and how: the
// position of every node, the style of every scalar (plain, quoted, block) and
// collection (block or flow), the last line each node occupies, and the comments of
// the file with their lines. yaml-cpp's Node keeps none of the comments and little of
// the layout, so the tree is built from yaml-cpp's parser events, which carry marks,
// tags and styles. The formatter re-emits a file from this tree.
#ifndef STATEMARK_ENGINE_INTERNAL_YAML_TREE_H_
#define STATEMARK_ENGINE_INTERNAL_YAML_TREE_H_

#include <string>
#include <utility>
#include <vector>

#include "engine/status.h"

namespace statemark::internal {

enum class ScalarStyle { kPlain, kSingleQuoted, kDoubleQuoted, kLiteral, kFolded };

struct YamlEntry;

struct YamlNode {
  enum class Kind { kNull, kScalar, kSequence, kMap };
  Kind kind = Kind::kNull;
  int line = 0;    // 0-based position of the node's first character
  int column = 0;  // 0-based
  int end_line = -1;  // last line the node occupies; -1 for an empty null
  bool flow = false;  // collections written as [..] or {..}
  ScalarStyle style = ScalarStyle::kPlain;
  std::string value;  // scalars: the parsed text; nulls: `~`, `null`... or empty
  std::string block_header;  // block scalars: the indicator as written (`>`, `|-`)
  std::vector<std::string> block_lines;  // block scalars: content, indentation removed
  std::vector<YamlNode> items;  // sequence items
  std::vector<YamlEntry> pairs;  // map entries, in source order

  bool is_collection() const { return kind == Kind::kSequence || kind == Kind::kMap; }
  bool is_block_collection() const { return is_collection() && !flow; }
  // Whether the engine reads this scalar as typed (plain true, false, or an integer),
  // which quoting would turn into a string.
  bool is_typed_plain() const;
};

// A map entry. Not std::pair: a pair of the still incomplete YamlNode inside YamlNode is
// rejected by some standard libraries.
struct YamlEntry {
  YamlNode first;   // the key
  YamlNode second;  // the value
};

// A comment of the file: its text from `#`, its line, the column of `#`, and whether
// it stands alone on its line.
struct YamlComment {
  int line = 0;
  int column = 0;
  bool alone = false;
  std::string text;
};

struct YamlTree {
  std::vector<std::string> lines;  // the file's lines, without line ends
  YamlNode root;                   // kNull with end_line -1 for an empty document
  std::vector<YamlComment> comments;  // in line order; at most one per line
};

// Parses one YAML document. Reports `yaml-syntax` for invalid YAML and `fmt-unsupported`
// for what the formatter does not rewrite (anchors, aliases, tags, several documents,
// keys that are not scalars, plain scalars over several lines, block scalars with an
// explicit indentation indicator).
Result<YamlTree> ParseYamlTree(const std::string& path, const std::string& text);

// Whether two trees hold the same data: the same kinds, map keys in the same order,
// the same scalar text and the same typing (is_typed_plain). Layout, comments and
// quoting are ignored. On a difference, *where is set to the line (0-based) in `b`.
bool SameData(const YamlNode& a, const YamlNode& b, int* where);

}  // namespace statemark::internal

#endif  // STATEMARK_ENGINE_INTERNAL_YAML_TREE_H_
