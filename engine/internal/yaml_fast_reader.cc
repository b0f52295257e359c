#include "engine/internal/yaml_fast_reader.h"

#include <yaml.h>

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

namespace statemark::internal {
namespace {

constexpr size_t kMaxDepth = 64;
constexpr size_t kSmallMap = 16;  // keys compared pairwise up to this many

bool OnlyPlainAscii(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return c == '\n' || (c >= 0x20 && c < 0x7f);
  });
}

// yaml-cpp reads a plain `~`, `null`, `Null`, `NULL` as a null node.
bool IsNullWord(std::string_view s) {
  return s == "~" || s == "null" || s == "Null" || s == "NULL";
}

// Owns one libyaml event.
class Event {
 public:
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  ~Event() { Clear(); }

  bool Next(yaml_parser_t* parser) {
    Clear();
    live_ = yaml_parser_parse(parser, &event_) != 0;
    return live_;
  }
  const yaml_event_t& operator*() const { return event_; }
  const yaml_event_t* operator->() const { return &event_; }

 private:
  void Clear() {
    if (live_) yaml_event_delete(&event_);
    live_ = false;
  }
  yaml_event_t event_{};
  bool live_ = false;
};

class Parser {
 public:
  explicit Parser(const std::string& text) {
    yaml_parser_initialize(&parser_);
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
  }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;
  ~Parser() { yaml_parser_delete(&parser_); }
  yaml_parser_t* get() { return &parser_; }

 private:
  yaml_parser_t parser_;
};

// Builds the document from the events; false on anything the reader declines.
class Builder {
 public:
  explicit Builder(YamlDocument* doc) : doc_(doc) {}

  bool Run(const std::string& text) {
    Parser parser(text);
    Event e;
    int documents = 0;
    for (;;) {
      if (!e.Next(parser.get())) return false;  // invalid YAML: yaml-cpp says where and why
      switch (e->type) {
        case YAML_STREAM_START_EVENT:
        case YAML_NO_EVENT:
          break;
        case YAML_STREAM_END_EVENT:
          if (documents == 0) {  // an empty file: a null root without a mark
            uint32_t none = YamlDocument::kNone;
            doc_->Add({}, YamlDocument::kNone, &none);
          }
          return true;
        case YAML_DOCUMENT_START_EVENT:
          if (++documents > 1) return false;
          if (e->data.document_start.version_directive != nullptr ||
              e->data.document_start.tag_directives.start !=
                  e->data.document_start.tag_directives.end) {
            return false;
          }
          break;
        case YAML_DOCUMENT_END_EVENT:
          break;
        case YAML_ALIAS_EVENT:
          return false;
        case YAML_SCALAR_EVENT:
          if (!Scalar(*e)) return false;
          break;
        case YAML_SEQUENCE_START_EVENT:
          if (e->data.sequence_start.anchor != nullptr || e->data.sequence_start.tag != nullptr) {
            return false;
          }
          if (!Open(YamlDocument::Kind::kSequence, e->start_mark)) return false;
          break;
        case YAML_MAPPING_START_EVENT:
          if (e->data.mapping_start.anchor != nullptr || e->data.mapping_start.tag != nullptr) {
            return false;
          }
          if (!Open(YamlDocument::Kind::kMap, e->start_mark)) return false;
          break;
        case YAML_SEQUENCE_END_EVENT:
          open_.pop_back();
          break;
        case YAML_MAPPING_END_EVENT:
          if (!KeysArePlainAndDistinct(open_.back().index)) return false;
          open_.pop_back();
          break;
      }
    }
  }

 private:
  static void SetMark(YamlDocument::Node* n, const yaml_mark_t& m) {
    n->line = static_cast<int>(m.line);
    n->column = static_cast<int>(m.column);
    n->pos = static_cast<int>(m.index);
  }

  bool Scalar(const yaml_event_t& e) {
    const auto& s = e.data.scalar;
    if (s.anchor != nullptr || s.tag != nullptr) return false;
    std::string_view value(reinterpret_cast<const char*>(s.value), s.length);
    YamlDocument::Node n;
    SetMark(&n, e.start_mark);
    if (s.style == YAML_PLAIN_SCALAR_STYLE) {
      if (value.empty()) return false;  // an empty value: see the header
      if (IsNullWord(value)) {
        Attach(std::move(n));
        return true;
      }
    }
    n.kind = YamlDocument::Kind::kScalar;
    n.plain = s.style == YAML_PLAIN_SCALAR_STYLE;
    n.value.assign(value);
    Attach(std::move(n));
    return true;
  }

  bool Open(YamlDocument::Kind kind, const yaml_mark_t& mark) {
    if (open_.size() >= kMaxDepth) return false;
    YamlDocument::Node n;
    n.kind = kind;
    SetMark(&n, mark);
    const uint32_t at = Attach(std::move(n));
    open_.push_back(OpenCollection{at, YamlDocument::kNone});
    return true;
  }

  uint32_t Attach(YamlDocument::Node n) {
    if (open_.empty()) {
      uint32_t none = YamlDocument::kNone;
      return doc_->Add(std::move(n), YamlDocument::kNone, &none);
    }
    OpenCollection& parent = open_.back();
    return doc_->Add(std::move(n), parent.index, &parent.last_child);
  }

  // yaml-cpp reports keys that are not scalars (or null) and keys given twice.
  bool KeysArePlainAndDistinct(uint32_t map) const {
    const YamlDocument::Node& m = doc_->nodes[map];
    std::vector<std::string_view> keys;
    keys.reserve(m.child_count / 2);
    for (uint32_t at = m.first_child; at != YamlDocument::kNone;) {
      const YamlDocument::Node& k = doc_->nodes[at];
      if (k.kind != YamlDocument::Kind::kScalar) return false;
      keys.push_back(k.value);
      at = doc_->nodes[k.next_sibling].next_sibling;
    }
    if (keys.size() <= kSmallMap) {
      for (size_t i = 0; i < keys.size(); ++i) {
        for (size_t j = i + 1; j < keys.size(); ++j) {
          if (keys[i] == keys[j]) return false;
        }
      }
      return true;
    }
    std::sort(keys.begin(), keys.end());
    return std::adjacent_find(keys.begin(), keys.end()) == keys.end();
  }

  struct OpenCollection {
    uint32_t index;
    uint32_t last_child;  // kNone while empty
  };

  YamlDocument* doc_;
  std::vector<OpenCollection> open_;  // the collections being read, outermost first
};

}  // namespace

std::optional<ParsedDocument> ReadYamlFast(const std::string& text) {
  if (!OnlyPlainAscii(text)) return std::nullopt;
  auto doc = std::make_shared<YamlDocument>();
  // Policy files hold about one node per 9 bytes; saves regrowing the array.
  doc->nodes.reserve(text.size() / 8 + 1);
  if (!Builder(doc.get()).Run(text)) return std::nullopt;
  return ParsedDocument{std::move(doc)};
}

}  // namespace statemark::internal
