#include "engine/format.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <vector>

#include "engine/internal/yaml_tree.h"

namespace statemark {
namespace {

using internal::ScalarStyle;
using internal::YamlComment;
using internal::YamlEntry;
using internal::YamlNode;
using internal::YamlTree;

constexpr int kIndentStep = 2;
// Flow lists of plain values that are longer than this are wrapped.
constexpr size_t kMaxWidth = 100;

// Where a node sits in a policy or test file; it decides the key order of maps whose
// keys have a canonical order.
enum class Role { kOther, kRoot, kRules, kRule, kCases, kCase, kTests, kTestCase,
                  kVocabulary, kWindows, kWindow };

const std::vector<std::string>* KeyOrder(Role role) {
  static const std::vector<std::string> kRule = {
      "id", "layer", "mode", "description", "basis", "note", "applies_to", "effective",
      "when", "then", "cases", "lifts"};
  static const std::vector<std::string> kCase = {"when", "then"};
  static const std::vector<std::string> kTestCase = {
      "name", "tags", "note", "clock", "request", "expect", "expect_error"};
  static const std::vector<std::string> kWindow = {"from", "until", "description"};
  switch (role) {
    case Role::kRule: return &kRule;
    case Role::kCase: return &kCase;
    case Role::kTestCase: return &kTestCase;
    case Role::kWindow: return &kWindow;
    default: return nullptr;
  }
}

Role ChildRole(Role parent, const std::string& key) {
  switch (parent) {
    case Role::kRoot:
      if (key == "rules") return Role::kRules;
      if (key == "tests") return Role::kTests;
      if (key == "vocabulary") return Role::kVocabulary;
      return Role::kOther;
    case Role::kVocabulary:
      return key == "windows" ? Role::kWindows : Role::kOther;
    case Role::kWindows:
      return Role::kWindow;
    case Role::kRule:
      if (key == "cases") return Role::kCases;
      if (key == "effective") return Role::kWindow;
      return Role::kOther;
    default:
      return Role::kOther;
  }
}

Role ItemRole(Role parent) {
  switch (parent) {
    case Role::kRules: return Role::kRule;
    case Role::kCases: return Role::kCase;
    case Role::kTests: return Role::kTestCase;
    default: return Role::kOther;
  }
}

// The pair indices of `map` in canonical order: keys with a canonical rank first, by
// rank, then the others in source order.
std::vector<size_t> CanonicalOrder(const YamlNode& map, Role role) {
  std::vector<size_t> order(map.pairs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  const std::vector<std::string>* keys = KeyOrder(role);
  if (keys == nullptr) return order;
  auto rank = [&](size_t i) {
    const std::string& key = map.pairs[i].first.value;
    auto it = std::find(keys->begin(), keys->end(), key);
    return static_cast<size_t>(it - keys->begin());
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return rank(a) < rank(b); });
  return order;
}

// Whether a YAML reader (1.2 core, or the older 1.1 that many editors and Python use)
// could read the plain text `s` as something other than a string.
bool LooksTyped(const std::string& s) {
  static const char* const kWords[] = {
      "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE",
      "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
      "y", "Y", "n", "N", "=", "<<", ".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN"};
  for (const char* w : kWords) {
    if (s == w) return true;
  }
  size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (i < s.size() && s[i] == '.') ++i;
  if (i < s.size() && s[i] >= '0' && s[i] <= '9') return true;
  const std::string rest = s.substr(s[0] == '-' || s[0] == '+' ? 1 : 0);
  return rest == ".inf" || rest == ".Inf" || rest == ".INF";
}

// Whether `s` can be written as a plain scalar and read back as the same string.
bool PlainSafe(const std::string& s, bool in_flow) {
  if (s.empty() || LooksTyped(s)) return false;
  if (std::string("-?:,[]{}#&*!|>'\"%@`").find(s[0]) != std::string::npos) return false;
  if (s.front() == ' ' || s.back() == ' ' || s.back() == ':') return false;
  if (s.find(": ") != std::string::npos || s.find(" #") != std::string::npos) return false;
  // In a flow collection, `,`, brackets, `:`, `?` and `#` may end or start a token.
  if (in_flow && s.find_first_of(",[]{}:?#") != std::string::npos) return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return false;
  }
  return true;
}

std::string DoubleQuoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20 || u == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", u);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string ScalarText(const YamlNode& n, bool in_flow) {
  if (n.kind == YamlNode::Kind::kNull) return n.value.empty() ? "null" : n.value;
  if (n.is_typed_plain()) return n.value;
  if (PlainSafe(n.value, in_flow)) return n.value;
  return DoubleQuoted(n.value);
}

std::string FlowText(const YamlNode& n, Role role) {
  switch (n.kind) {
    case YamlNode::Kind::kNull:
    case YamlNode::Kind::kScalar:
      return ScalarText(n, true);
    case YamlNode::Kind::kSequence: {
      std::string out = "[";
      for (size_t i = 0; i < n.items.size(); ++i) {
        if (i > 0) out += ", ";
        out += FlowText(n.items[i], ItemRole(role));
      }
      return out + "]";
    }
    case YamlNode::Kind::kMap: {
      if (n.pairs.empty()) return "{}";
      std::string out = "{ ";
      bool first = true;
      for (size_t i : CanonicalOrder(n, role)) {
        if (!first) out += ", ";
        first = false;
        const YamlNode& key = n.pairs[i].first;
        out += ScalarText(key, true) + ": " + FlowText(n.pairs[i].second, ChildRole(role, key.value));
      }
      return out + " }";
    }
  }
  return "";
}

size_t DisplayWidth(const std::string& s) {
  size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

// One line of output: code, and a comment after it (aligned at the end).
struct OutLine {
  std::string code;
  std::string comment;
  bool blank = false;
};

// Puts the maps of the tree at `n` in canonical order, as the emitter writes them.
void ApplyCanonicalOrder(YamlNode* n, Role role) {
  if (n->kind == YamlNode::Kind::kMap) {
    std::vector<YamlEntry> pairs;
    for (size_t i : CanonicalOrder(*n, role)) pairs.push_back(std::move(n->pairs[i]));
    n->pairs = std::move(pairs);
    for (auto& [key, value] : n->pairs) ApplyCanonicalOrder(&value, ChildRole(role, key.value));
  } else if (n->kind == YamlNode::Kind::kSequence) {
    for (YamlNode& item : n->items) ApplyCanonicalOrder(&item, ItemRole(role));
  }
}

class Emitter {
 public:
  explicit Emitter(const YamlTree& tree) : tree_(tree) {
    for (size_t i = 0; i < tree.comments.size(); ++i) {
      comment_at_[tree.comments[i].line] = i;
    }
    used_.assign(tree.comments.size(), false);
  }

  // The formatted text, or the line (0-based) of a comment that found no place.
  std::string Run(int* lost_comment) {
    const YamlNode& root = tree_.root;
    const int lines = static_cast<int>(tree_.lines.size());
    switch (root.kind) {
      case YamlNode::Kind::kMap:
      case YamlNode::Kind::kSequence:
        if (!root.flow) {
          if (root.kind == YamlNode::Kind::kMap) {
            EmitMap(root, 0, "", Role::kRoot, -1, lines);
          } else {
            EmitSequence(root, 0, "", Role::kRoot, -1, lines);
          }
          break;
        }
        [[fallthrough]];
      case YamlNode::Kind::kScalar:
        EmitGap(-1, root.line, 0);
        EmitValueLine(root, Role::kRoot, "", "", 0, root.line);
        break;
      case YamlNode::Kind::kNull:
        break;
    }
    EmitGap(std::max(root.end_line, -1), lines, 0);
    *lost_comment = -1;
    for (size_t i = 0; i < used_.size(); ++i) {
      if (!used_[i]) {
        *lost_comment = tree_.comments[i].line;
        break;
      }
    }
    return Render();
  }

 private:
  const YamlComment* CommentAt(int line) const {
    auto it = comment_at_.find(line);
    return it == comment_at_.end() ? nullptr : &tree_.comments[it->second];
  }
  void Use(int line) { used_[comment_at_.at(line)] = true; }
  bool Used(int line) const { return used_[comment_at_.at(line)]; }
  bool LineBlank(int line) const {
    return tree_.lines[static_cast<size_t>(line)].find_first_not_of(" \t") ==
           std::string::npos;
  }

  void Push(OutLine line) {
    if (pending_blank_ && !after_header_ && !out_.empty()) out_.push_back({"", "", true});
    pending_blank_ = false;
    after_header_ = false;
    out_.push_back(std::move(line));
  }
  void PushHeader(OutLine line) {
    Push(std::move(line));
    after_header_ = true;
  }
  void PushComment(const YamlComment& c, int indent) {
    Push({std::string(static_cast<size_t>(indent), ' ') + c.text, "", false});
  }

  // Comment lines and blank lines strictly between `from` and `to`, at `indent`.
  void EmitGap(int from, int to, int indent) {
    for (int l = from + 1; l < to; ++l) {
      const YamlComment* c = CommentAt(l);
      if (c != nullptr && !Used(l)) {
        Use(l);
        PushComment(*c, indent);
      } else if (c == nullptr && LineBlank(l)) {
        pending_blank_ = true;
      }
    }
  }

  // The comments after the last entry of a collection written at source column
  // `column`, up to the first comment less indented or the line `limit`.
  void EmitTail(int last_end, int limit, int column, int indent) {
    bool blank = false;
    for (int l = last_end + 1; l < limit; ++l) {
      const YamlComment* c = CommentAt(l);
      if (c == nullptr) {
        blank = blank || LineBlank(l);
        continue;
      }
      if (!c->alone || Used(l)) continue;
      if (c->column < column) break;
      Use(l);
      pending_blank_ = pending_blank_ || blank;
      blank = false;
      PushComment(*c, indent);
    }
  }

  // Comments on the lines of an entry written on one output line: the first one that
  // follows code stays after the code; any others go on their own lines before it.
  std::string EntryComments(int from, int to, int indent) {
    std::string trailing;
    for (int l = from; l <= to; ++l) {
      const YamlComment* c = CommentAt(l);
      if (c == nullptr || Used(l)) continue;
      if (trailing.empty() && !c->alone) {
        trailing = c->text;
        Use(l);
      }
    }
    for (int l = from; l <= to; ++l) {
      const YamlComment* c = CommentAt(l);
      if (c == nullptr || Used(l)) continue;
      Use(l);
      PushComment(*c, indent);
    }
    return trailing;
  }

  // A value that is not a block collection, after `prefix` (`key:` or `- `, already
  // indented). `first_line` is where the entry starts in the source.
  void EmitValueLine(const YamlNode& value, Role role, const std::string& prefix,
                     const std::string& sep, int indent, int first_line) {
    const int last_line = std::max(first_line, value.end_line);
    const size_t lead_indent = prefix.find_first_not_of(' ') == std::string::npos
                                   ? prefix.size() : prefix.find_first_not_of(' ');
    if (value.kind == YamlNode::Kind::kScalar &&
        (value.style == ScalarStyle::kLiteral || value.style == ScalarStyle::kFolded)) {
      const std::string trailing =
          EntryComments(first_line, value.line, static_cast<int>(lead_indent));
      Push({prefix + sep + value.block_header, trailing, false});
      const std::string pad(static_cast<size_t>(indent + kIndentStep), ' ');
      for (const std::string& text : value.block_lines) {
        // Spaces at the end of a line of block text are part of the text: kept.
        out_.push_back({text.empty() ? "" : pad + text, "", false});
      }
      return;
    }
    const std::string trailing =
        EntryComments(first_line, last_line, static_cast<int>(lead_indent));
    if (value.kind == YamlNode::Kind::kNull && value.value.empty()) {
      Push({prefix, trailing, false});
      return;
    }
    const std::string text = value.kind == YamlNode::Kind::kScalar ? ScalarText(value, false)
                                                                   : FlowText(value, role);
    const std::string line = prefix + sep + text;
    if (DisplayWidth(line) <= kMaxWidth || !IsListOfScalars(value)) {
      Push({line, trailing, false});
      return;
    }
    // Wrap a long list of scalars, continuing one column past the `[`.
    const std::string open = prefix + sep + "[";
    const std::string pad(DisplayWidth(open), ' ');
    std::string current = open;
    bool first_on_line = true;
    for (size_t i = 0; i < value.items.size(); ++i) {
      const std::string item = ScalarText(value.items[i], true);
      const std::string end = i + 1 < value.items.size() ? "," : "]";
      if (!first_on_line && DisplayWidth(current) + 1 + DisplayWidth(item + end) > kMaxWidth) {
        Push({current, "", false});
        current = pad;
        first_on_line = true;
      }
      current += (first_on_line ? "" : " ") + item + end;
      first_on_line = false;
    }
    Push({current, trailing, false});
  }

  static bool IsListOfScalars(const YamlNode& n) {
    if (n.kind != YamlNode::Kind::kSequence) return false;
    return std::all_of(n.items.begin(), n.items.end(), [](const YamlNode& item) {
      return item.kind == YamlNode::Kind::kScalar || item.kind == YamlNode::Kind::kNull;
    });
  }

  // A block map whose keys go at `indent`; `lead` replaces the indentation of its first
  // line (`- ` of the sequence item that holds it). Comments between `gap_from` and the
  // first entry go before it; `limit` is where the next entry of the parent starts.
  void EmitMap(const YamlNode& map, int indent, const std::string& lead, Role role,
               int gap_from, int limit) {
    const std::vector<size_t> order = CanonicalOrder(map, role);
    const std::string pad(static_cast<size_t>(indent), ' ');
    int last_end = gap_from;
    for (size_t n = 0; n < order.size(); ++n) {
      const size_t i = order[n];
      const auto& [key, value] = map.pairs[i];
      const int entry_gap = i == 0 ? gap_from : PairEnd(map.pairs[i - 1]);
      const int entry_limit = i + 1 < map.pairs.size() ? map.pairs[i + 1].first.line : limit;
      const bool leads = n == 0 && !lead.empty();
      const int comment_indent = leads ? static_cast<int>(lead.size()) - kIndentStep : indent;
      EmitGap(entry_gap, key.line, comment_indent);
      const std::string prefix = (leads ? lead : pad) + ScalarText(key, false) + ":";
      const Role child = ChildRole(role, key.value);
      if (value.is_block_collection()) {
        const std::string trailing = EntryComments(key.line, key.line, comment_indent);
        PushHeader({prefix, trailing, false});
        if (value.kind == YamlNode::Kind::kMap) {
          EmitMap(value, indent + kIndentStep, "", child, key.line, entry_limit);
        } else {
          EmitSequence(value, indent + kIndentStep, "", child, key.line, entry_limit);
        }
      } else {
        EmitValueLine(value, child, prefix, " ", indent, key.line);
      }
      last_end = std::max(last_end, PairEnd(map.pairs[i]));
    }
    EmitTail(last_end, limit, map.column, indent);
  }

  void EmitSequence(const YamlNode& seq, int indent, const std::string& lead, Role role,
                    int gap_from, int limit) {
    const std::string pad(static_cast<size_t>(indent), ' ');
    const Role child = ItemRole(role);
    int last_end = gap_from;
    for (size_t i = 0; i < seq.items.size(); ++i) {
      const YamlNode& item = seq.items[i];
      const int start = item.line >= 0 ? item.line : last_end + 1;
      const int entry_gap = i == 0 ? gap_from : last_end;
      const int entry_limit = i + 1 < seq.items.size() && seq.items[i + 1].line >= 0
                                  ? seq.items[i + 1].line : limit;
      const bool leads = i == 0 && !lead.empty();
      const int comment_indent = leads ? static_cast<int>(lead.size()) - kIndentStep : indent;
      EmitGap(entry_gap, start, comment_indent);
      const std::string prefix = (leads ? lead : pad) + "- ";
      if (item.kind == YamlNode::Kind::kMap && !item.flow) {
        EmitMap(item, indent + kIndentStep, prefix, child, start - 1, entry_limit);
      } else if (item.kind == YamlNode::Kind::kSequence && !item.flow) {
        EmitSequence(item, indent + kIndentStep, prefix, child, start - 1, entry_limit);
      } else {
        std::string p = prefix;
        p.pop_back();  // EmitValueLine adds the separator
        EmitValueLine(item, child, p, " ", indent, start);
      }
      last_end = std::max(last_end, std::max(start, item.end_line));
    }
    EmitTail(last_end, limit, seq.column, indent);
  }

  static int PairEnd(const YamlEntry& pair) {
    return std::max(pair.first.end_line, pair.second.end_line);
  }

  // Lines to text; trailing comments on consecutive lines of the same indentation are
  // aligned two spaces after the longest code among them.
  std::string Render() const {
    std::string text;
    size_t i = 0;
    while (i < out_.size()) {
      if (out_[i].comment.empty()) {
        text += out_[i].code + "\n";
        ++i;
        continue;
      }
      size_t j = i;
      size_t width = 0;
      const size_t indent = out_[i].code.find_first_not_of(' ');
      while (j < out_.size() && !out_[j].comment.empty() &&
             out_[j].code.find_first_not_of(' ') == indent) {
        width = std::max(width, DisplayWidth(out_[j].code));
        ++j;
      }
      for (size_t k = i; k < j; ++k) {
        const std::string& code = out_[k].code;
        text += code + std::string(width + 2 - DisplayWidth(code), ' ') + out_[k].comment + "\n";
      }
      i = j;
    }
    return text;
  }

  const YamlTree& tree_;
  std::map<int, size_t> comment_at_;
  std::vector<bool> used_;
  std::vector<OutLine> out_;
  bool pending_blank_ = false;
  bool after_header_ = true;  // no blank line at the top of the file
};

}  // namespace

Result<std::string> FormatPolicyFile(const std::string& path, const std::string& text) {
  Result<YamlTree> parsed = internal::ParseYamlTree(path, text);
  if (!parsed.ok()) return parsed.diagnostics();
  int lost = -1;
  std::string out = Emitter(parsed.value()).Run(&lost);
  Diagnostics diags;
  if (lost >= 0) {
    diags.Error({path, lost + 1, 0}, "fmt-comment",
                "this comment has no place in the canonical layout; put it on a line of "
                "its own before the entry it describes");
    return diags;
  }
  // Never return a text that reads differently: parse the output and compare.
  Result<YamlTree> again = internal::ParseYamlTree(path, out);
  int where = 0;
  if (!again.ok()) {
    diags.Error({path, 0, 0}, "fmt-internal",
                "the formatted text does not parse (" +
                    again.diagnostics().items().front().message + "); please report it");
    return diags;
  }
  // The output has its maps in canonical order; compare with the input in that order.
  YamlTree expected = std::move(parsed).value();
  ApplyCanonicalOrder(&expected.root, Role::kRoot);
  if (!internal::SameData(expected.root, again.value().root, &where)) {
    diags.Error({path, where + 1, 0}, "fmt-internal",
                "formatting would change what this file says near this line of the output; "
                "the file is left as it is (please report it)");
    return diags;
  }
  return out;
}

int FirstDifferentLine(const std::string& a, const std::string& b) {
  int line = 1;
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) {
    if (a[i] == '\n') ++line;
    ++i;
  }
  if (i == a.size() && i == b.size()) return 0;
  return line;
}

}  // namespace statemark
