// Not API: use engine/loader.h.
//
// A parsed YAML document as the policy loaders read it: a flat array of nodes with
// their marks, and DocNode, a cheap handle to one of them. DocNode reads like the subset
// of YAML::Node the loaders use (IsMap, Scalar, `node["key"]`, iteration, Mark), with
// the same results, the same marks and the same exceptions in the same places, so that
// a document built from yaml-cpp's node tree and one built from libyaml's events
// (yaml_fast_reader.h) load identically.
//
// Why not YAML::Node: yaml-cpp's scanner and its tree of reference-counted nodes were
// most of the time of loading a 10,000-rule policy; see docs/decisions.md, "Reading
// policy files".
#ifndef STATEMARK_ENGINE_INTERNAL_YAML_DOCUMENT_H_
#define STATEMARK_ENGINE_INTERNAL_YAML_DOCUMENT_H_

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace statemark::internal {

// The nodes of one document, in source order. A collection links its children (a
// map's alternate key, value) through first_child and next_sibling: no allocation per
// collection, which mattered at 10,000 rules.
struct YamlDocument {
  static constexpr uint32_t kNone = UINT32_MAX;
  enum class Kind : uint8_t { kNull, kScalar, kSequence, kMap };
  struct Node {
    Kind kind = Kind::kNull;
    bool plain = true;    // a scalar written without quotes or block indicator (tag `?`)
    int line = -1;        // 0-based, as yaml-cpp's Mark; -1 for a node without a mark
    int column = -1;
    int pos = -1;
    uint32_t first_child = kNone;
    uint32_t next_sibling = kNone;
    uint32_t child_count = 0;  // nodes linked from first_child: twice the entries of a map
    std::string value;         // scalars: the parsed text
  };
  std::vector<Node> nodes;  // nodes[0] is the root

  // Appends a node, as the next child of `parent` unless that is kNone (the root);
  // `*last_child` is the parent's last child so far, updated. Returns its index.
  uint32_t Add(Node node, uint32_t parent, uint32_t* last_child) {
    nodes.push_back(std::move(node));
    const auto at = static_cast<uint32_t>(nodes.size() - 1);
    if (parent != kNone) {
      Node& p = nodes[parent];
      if (*last_child == kNone) {
        p.first_child = at;
      } else {
        nodes[*last_child].next_sibling = at;
      }
      *last_child = at;
      ++p.child_count;
    }
    return at;
  }
};

class DocNode;

// What iterating a DocNode yields: for a sequence, the item itself; for a map, the
// entry as `first` (the key) and `second` (the value). Like yaml-cpp's iterator_value.
struct DocItem;

class DocNode {
 public:
  using Kind = YamlDocument::Kind;

  DocNode() = default;
  DocNode(const YamlDocument* doc, uint32_t index) : doc_(doc), index_(index) {}

  // A missing key's node is undefined: IsDefined() is false, and asking it anything
  // else throws yaml-cpp's InvalidNode, as YAML::Node does.
  bool IsDefined() const { return doc_ != nullptr; }
  explicit operator bool() const { return IsDefined(); }
  bool operator!() const { return !IsDefined(); }

  Kind Type() const { return node().kind; }
  bool IsNull() const { return Type() == Kind::kNull; }
  bool IsScalar() const { return Type() == Kind::kScalar; }
  bool IsSequence() const { return Type() == Kind::kSequence; }
  bool IsMap() const { return Type() == Kind::kMap; }
  // The scalar's text; empty for other nodes.
  const std::string& Scalar() const { return node().value; }
  // yaml-cpp's tag of a scalar: `?` when plain, `!` when quoted or a block scalar.
  const std::string& Tag() const;
  YAML::Mark Mark() const;
  // Items of a sequence, entries of a map, 0 otherwise.
  size_t size() const;

  // The value of `key` in a map; an undefined node when absent or when this node is not
  // a map. Throws yaml-cpp's BadSubscript on a scalar, as YAML::Node does.
  DocNode operator[](const std::string& key) const;

  class const_iterator;
  const_iterator begin() const;
  const_iterator end() const;

 private:
  DocNode(std::string missing_key) : missing_key_(std::move(missing_key)) {}
  const YamlDocument::Node& node() const;

  const YamlDocument* doc_ = nullptr;
  uint32_t index_ = 0;
  std::string missing_key_;  // for an undefined node, the key that was not found
};

struct DocItem : DocNode {
  DocNode first;
  DocNode second;
};

class DocNode::const_iterator {
 public:
  const_iterator(const YamlDocument* doc, bool map, uint32_t at) : doc_(doc), map_(map), at_(at) {}

  DocItem operator*() const;
  const DocItem* operator->() const {
    current_ = **this;
    return &current_;
  }
  const_iterator& operator++() {
    at_ = doc_->nodes[at_].next_sibling;
    if (map_) at_ = doc_->nodes[at_].next_sibling;
    return *this;
  }
  bool operator==(const const_iterator& o) const { return at_ == o.at_; }
  bool operator!=(const const_iterator& o) const { return at_ != o.at_; }

 private:
  const YamlDocument* doc_;
  bool map_;
  uint32_t at_;  // the current item or key; kNone past the end
  mutable DocItem current_;
};

// A document with its root: the handle a YamlSource keeps.
struct ParsedDocument {
  std::shared_ptr<const YamlDocument> doc;
  DocNode root() const { return DocNode(doc.get(), 0); }
};

// Copies a yaml-cpp node tree (aliases written out) into a document.
ParsedDocument FromYamlCpp(const YAML::Node& root);

}  // namespace statemark::internal

#endif  // STATEMARK_ENGINE_INTERNAL_YAML_DOCUMENT_H_
