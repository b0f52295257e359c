#include "engine/internal/yaml_tree.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <optional>
#include <sstream>

namespace statemark::internal {
namespace {

bool IsInteger(const std::string& s) {
  const size_t digits = (!s.empty() && s[0] == '-') ? 1 : 0;
  return s.size() > digits && std::all_of(s.begin() + static_cast<long>(digits), s.end(),
                                          [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::string current;
  for (char c : text) {
    if (c == '\n') {
      if (!current.empty() && current.back() == '\r') current.pop_back();
      lines.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) lines.push_back(current);
  return lines;
}

// The first problem found while building; the builder carries on so that the
// document's syntax is still checked to the end.
struct Problem {
  int line = 0;
  int column = 0;
  std::string message;
};

// Builds a YamlNode tree from yaml-cpp's parser events.
class TreeBuilder : public YAML::EventHandler {
 public:
  explicit TreeBuilder(const std::vector<std::string>& lines) : lines_(lines) {}

  std::optional<YamlNode> root;
  std::optional<Problem> problem;

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    CheckAnchor(mark, anchor);
    YamlNode node;
    node.kind = YamlNode::Kind::kNull;
    // An empty value's mark points at whatever follows it; a written null (`~`, `null`)
    // starts at its mark.
    const std::string word = NullWordAt(mark);
    if (!word.empty()) {
      node.value = word;
      node.line = mark.line;
      node.column = mark.column;
      node.end_line = mark.line;
    } else {
      node.line = -1;
      node.end_line = -1;
    }
    Attach(std::move(node), mark);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    Fail(mark, "YAML aliases (`*name`) are not rewritten by fmt; write the value out");
    YamlNode node;
    Attach(std::move(node), mark);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    CheckAnchor(mark, anchor);
    CheckTag(mark, tag);
    YamlNode node;
    node.kind = YamlNode::Kind::kScalar;
    node.line = mark.line;
    node.column = mark.column;
    node.value = value;
    const char first = CharAt(mark.line, mark.column);
    if (tag == "!" || first == '"' || first == '\'' || first == '|' || first == '>') {
      switch (first) {
        case '"': node.style = ScalarStyle::kDoubleQuoted; break;
        case '\'': node.style = ScalarStyle::kSingleQuoted; break;
        case '|': node.style = ScalarStyle::kLiteral; break;
        case '>': node.style = ScalarStyle::kFolded; break;
        default: node.style = ScalarStyle::kDoubleQuoted; break;
      }
    }
    Attach(std::move(node), mark);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value style) override {
    StartCollection(YamlNode::Kind::kSequence, mark, tag, anchor, style);
  }
  void OnSequenceEnd() override { EndCollection(); }
  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value style) override {
    StartCollection(YamlNode::Kind::kMap, mark, tag, anchor, style);
  }
  void OnMapEnd() override { EndCollection(); }

 private:
  struct Frame {
    YamlNode node;
    std::optional<YamlNode> key;
  };

  char CharAt(int line, int column) const {
    if (line < 0 || line >= static_cast<int>(lines_.size())) return '\0';
    const std::string& l = lines_[static_cast<size_t>(line)];
    if (column < 0 || column >= static_cast<int>(l.size())) return '\0';
    return l[static_cast<size_t>(column)];
  }

  std::string NullWordAt(const YAML::Mark& mark) const {
    if (mark.line < 0 || mark.line >= static_cast<int>(lines_.size())) return "";
    const std::string& l = lines_[static_cast<size_t>(mark.line)];
    if (mark.column < 0 || mark.column >= static_cast<int>(l.size())) return "";
    const std::string rest = l.substr(static_cast<size_t>(mark.column));
    for (const char* word : {"~", "null", "Null", "NULL"}) {
      const std::string w = word;
      if (rest.compare(0, w.size(), w) != 0) continue;
      const char after = rest.size() > w.size() ? rest[w.size()] : ' ';
      if (after == ' ' || after == ',' || after == ']' || after == '}' || after == '\t') {
        return w;
      }
    }
    return "";
  }

  void Fail(const YAML::Mark& mark, const std::string& message) {
    if (!problem) problem = Problem{mark.line, mark.column, message};
  }
  void CheckAnchor(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (anchor != YAML::NullAnchor) {
      Fail(mark, "YAML anchors (`&name`) are not rewritten by fmt; write the value out");
    }
  }
  void CheckTag(const YAML::Mark& mark, const std::string& tag) {
    if (!tag.empty() && tag != "?" && tag != "!") {
      Fail(mark, "YAML tags (`" + tag + "`) are not rewritten by fmt; remove the tag");
    }
  }

  void StartCollection(YamlNode::Kind kind, const YAML::Mark& mark, const std::string& tag,
                       YAML::anchor_t anchor, YAML::EmitterStyle::value style) {
    CheckAnchor(mark, anchor);
    CheckTag(mark, tag);
    Frame frame;
    frame.node.kind = kind;
    frame.node.line = mark.line;
    frame.node.column = mark.column;
    frame.node.flow = style == YAML::EmitterStyle::Flow;
    stack_.push_back(std::move(frame));
  }

  void EndCollection() {
    YamlNode node = std::move(stack_.back().node);
    stack_.pop_back();
    YAML::Mark mark;
    mark.line = node.line;
    mark.column = node.column;
    Attach(std::move(node), mark);
  }

  void Attach(YamlNode node, const YAML::Mark& mark) {
    if (stack_.empty()) {
      root = std::move(node);
      return;
    }
    Frame& parent = stack_.back();
    if (parent.node.kind == YamlNode::Kind::kSequence) {
      parent.node.items.push_back(std::move(node));
    } else if (!parent.key) {
      if (node.kind != YamlNode::Kind::kScalar) {
        Fail(mark, "a map key must be a single value for fmt to rewrite the file");
      }
      parent.key = std::move(node);
    } else {
      parent.node.pairs.push_back(YamlEntry{std::move(*parent.key), std::move(node)});
      parent.key.reset();
    }
  }

  const std::vector<std::string>& lines_;
  std::vector<Frame> stack_;
};

int IndentOf(const std::string& line) {
  size_t i = 0;
  while (i < line.size() && line[i] == ' ') ++i;
  return static_cast<int>(i);
}

bool IsBlank(const std::string& line) {
  return line.find_first_not_of(" \t") == std::string::npos;
}

// Works out the lines each node occupies, the content of block scalars, and the
// stretches of text inside quoted scalars (where `#` starts no comment).
class Layout {
 public:
  explicit Layout(YamlTree* tree) : tree_(tree), quoted_(tree->lines.size()),
                                    in_block_scalar_(tree->lines.size(), false) {}

  std::optional<Problem> problem;

  void Run() {
    Measure(&tree_->root, -1);
    FindComments();
  }

 private:
  const std::string& Line(int i) const { return tree_->lines[static_cast<size_t>(i)]; }
  int LineCount() const { return static_cast<int>(tree_->lines.size()); }

  void Fail(int line, int column, const std::string& message) {
    if (!problem) problem = Problem{line, column, message};
  }

  // `parent_indent`: the column of the block that holds the node (the key's column for
  // a map value, the dash's for a sequence item); block scalar content is deeper.
  void Measure(YamlNode* node, int parent_indent) {
    switch (node->kind) {
      case YamlNode::Kind::kNull:
        return;
      case YamlNode::Kind::kScalar:
        MeasureScalar(node, parent_indent);
        return;
      case YamlNode::Kind::kSequence:
      case YamlNode::Kind::kMap:
        break;
    }
    int end = node->line;
    for (YamlNode& item : node->items) {
      Measure(&item, node->column);
      end = std::max(end, item.end_line);
    }
    for (auto& [key, value] : node->pairs) {
      Measure(&key, node->column);
      Measure(&value, key.column);
      end = std::max({end, key.end_line, value.end_line});
    }
    if (node->flow) end = std::max(end, FlowEnd(node->line, node->column));
    node->end_line = end;
  }

  void MeasureScalar(YamlNode* node, int parent_indent) {
    switch (node->style) {
      case ScalarStyle::kPlain:
        if (Line(node->line).compare(static_cast<size_t>(node->column), node->value.size(),
                                     node->value) != 0) {
          Fail(node->line, node->column,
               "a plain value over several lines is not rewritten by fmt; quote it");
        }
        node->end_line = node->line;
        return;
      case ScalarStyle::kSingleQuoted:
      case ScalarStyle::kDoubleQuoted:
        node->end_line = QuotedEnd(node->line, node->column);
        return;
      case ScalarStyle::kLiteral:
      case ScalarStyle::kFolded:
        MeasureBlockScalar(node, parent_indent);
        return;
    }
  }

  void MeasureBlockScalar(YamlNode* node, int parent_indent) {
    const std::string& header_line = Line(node->line);
    size_t i = static_cast<size_t>(node->column);
    std::string header;
    while (i < header_line.size() && header_line[i] != ' ' && header_line[i] != '\t') {
      header += header_line[i++];
    }
    if (header.find_first_of("0123456789") != std::string::npos ||
        header.find('+') != std::string::npos) {
      Fail(node->line, node->column,
           "block scalars with an indentation indicator or `+` are not rewritten by fmt");
    }
    node->block_header = header;
    int first = node->line + 1;
    while (first < LineCount() && IsBlank(Line(first))) ++first;
    node->end_line = node->line;
    if (first >= LineCount() || IndentOf(Line(first)) <= parent_indent) return;
    const int content_indent = IndentOf(Line(first));
    int last = first;
    for (int l = first; l < LineCount(); ++l) {
      if (IsBlank(Line(l))) continue;
      if (IndentOf(Line(l)) < content_indent) break;
      last = l;
    }
    for (int l = node->line + 1; l <= last; ++l) {
      in_block_scalar_[static_cast<size_t>(l)] = true;
      const std::string& text = Line(l);
      node->block_lines.push_back(
          static_cast<int>(text.size()) > content_indent
              ? text.substr(static_cast<size_t>(content_indent)) : std::string());
    }
    node->end_line = last;
  }

  // The line of the closing quote of the scalar quoted at (line, column); records the
  // quoted stretch.
  int QuotedEnd(int line, int column) {
    const char quote = Line(line)[static_cast<size_t>(column)];
    int l = line;
    size_t c = static_cast<size_t>(column) + 1;
    int start_column = column;
    while (l < LineCount()) {
      const std::string& text = Line(l);
      while (c < text.size()) {
        if (quote == '"' && text[c] == '\\') {
          c += 2;
          continue;
        }
        if (text[c] == quote) {
          if (quote == '\'' && c + 1 < text.size() && text[c + 1] == '\'') {
            c += 2;
            continue;
          }
          quoted_[static_cast<size_t>(l)].push_back({start_column, static_cast<int>(c) + 1});
          return l;
        }
        ++c;
      }
      quoted_[static_cast<size_t>(l)].push_back({start_column, static_cast<int>(text.size())});
      ++l;
      c = 0;
      start_column = 0;
    }
    return LineCount() - 1;
  }

  // The line of the bracket that closes the flow collection opened at (line, column).
  // Quoted scalars inside were measured before this runs, so their stretches are known.
  int FlowEnd(int line, int column) {
    int depth = 0;
    int l = line;
    size_t c = static_cast<size_t>(column);
    while (l < LineCount()) {
      const std::string& text = Line(l);
      while (c < text.size()) {
        if (InQuoted(l, static_cast<int>(c))) {
          ++c;
          continue;
        }
        const char ch = text[c];
        if (ch == '#' && (c == 0 || text[c - 1] == ' ' || text[c - 1] == '\t')) break;
        if (ch == '[' || ch == '{') ++depth;
        if (ch == ']' || ch == '}') {
          if (--depth == 0) return l;
        }
        ++c;
      }
      ++l;
      c = 0;
    }
    return LineCount() - 1;
  }

  bool InQuoted(int line, int column) const {
    for (const auto& [from, to] : quoted_[static_cast<size_t>(line)]) {
      if (column >= from && column < to) return true;
    }
    return false;
  }

  void FindComments() {
    for (int l = 0; l < LineCount(); ++l) {
      if (in_block_scalar_[static_cast<size_t>(l)]) continue;
      const std::string& text = Line(l);
      for (size_t c = 0; c < text.size(); ++c) {
        if (text[c] != '#' || InQuoted(l, static_cast<int>(c))) continue;
        if (c > 0 && text[c - 1] != ' ' && text[c - 1] != '\t') continue;
        std::string body = text.substr(c);
        while (!body.empty() && (body.back() == ' ' || body.back() == '\t')) body.pop_back();
        tree_->comments.push_back(
            YamlComment{l, static_cast<int>(c), IsBlank(text.substr(0, c)), body});
        break;
      }
    }
  }

  YamlTree* tree_;
  std::vector<std::vector<std::pair<int, int>>> quoted_;  // per line: [from, to) columns
  std::vector<bool> in_block_scalar_;
};

}  // namespace

bool YamlNode::is_typed_plain() const {
  return kind == Kind::kScalar && style == ScalarStyle::kPlain &&
         (value == "true" || value == "false" || IsInteger(value));
}

Result<YamlTree> ParseYamlTree(const std::string& path, const std::string& text) {
  YamlTree tree;
  tree.lines = SplitLines(text);
  // yaml-cpp reads a byte-order mark itself; the layout works on the lines without it.
  if (!tree.lines.empty() && tree.lines[0].rfind("\xEF\xBB\xBF", 0) == 0) {
    tree.lines[0].erase(0, 3);
  }
  Diagnostics diags;
  std::string body = text;
  if (body.rfind("\xEF\xBB\xBF", 0) == 0) body.erase(0, 3);
  std::istringstream in(body);
  TreeBuilder builder(tree.lines);
  try {
    YAML::Parser parser(in);
    parser.HandleNextDocument(builder);
    TreeBuilder second(tree.lines);
    if (parser.HandleNextDocument(second)) {
      diags.Error({path, 0, 0}, "fmt-unsupported",
                  "a policy file holds one YAML document; this file holds several");
      return diags;
    }
  } catch (const YAML::Exception& e) {
    diags.Error({path, e.mark.line + 1, e.mark.column + 1}, "yaml-syntax",
                "invalid YAML: " + e.msg);
    return diags;
  }
  if (builder.root) tree.root = std::move(*builder.root);
  std::optional<Problem> problem = builder.problem;
  if (!problem) {
    Layout layout(&tree);
    layout.Run();
    problem = layout.problem;
  }
  if (problem) {
    diags.Error({path, problem->line + 1, problem->column + 1}, "fmt-unsupported",
                problem->message);
    return diags;
  }
  return tree;
}

bool SameData(const YamlNode& a, const YamlNode& b, int* where) {
  *where = std::max(b.line, 0);
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case YamlNode::Kind::kNull:
      return true;
    case YamlNode::Kind::kScalar:
      return a.value == b.value && a.is_typed_plain() == b.is_typed_plain();
    case YamlNode::Kind::kSequence:
      if (a.items.size() != b.items.size()) return false;
      for (size_t i = 0; i < a.items.size(); ++i) {
        if (!SameData(a.items[i], b.items[i], where)) return false;
      }
      return true;
    case YamlNode::Kind::kMap:
      if (a.pairs.size() != b.pairs.size()) return false;
      for (size_t i = 0; i < a.pairs.size(); ++i) {
        if (!SameData(a.pairs[i].first, b.pairs[i].first, where)) return false;
        if (!SameData(a.pairs[i].second, b.pairs[i].second, where)) return false;
      }
      return true;
  }
  return false;
}

}  // namespace statemark::internal
