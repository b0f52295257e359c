#include "engine/internal/yaml_document.h"

#include <utility>

namespace statemark::internal {

const YamlDocument::Node& DocNode::node() const {
  if (doc_ == nullptr) throw YAML::InvalidNode(missing_key_);
  return doc_->nodes[index_];
}

const std::string& DocNode::Tag() const {
  static const std::string kPlain = "?";
  static const std::string kNonPlain = "!";
  const YamlDocument::Node& n = node();
  return n.kind == Kind::kScalar && !n.plain ? kNonPlain : kPlain;
}

YAML::Mark DocNode::Mark() const {
  const YamlDocument::Node& n = node();
  if (n.line < 0) return YAML::Mark::null_mark();
  YAML::Mark m;
  m.pos = n.pos;
  m.line = n.line;
  m.column = n.column;
  return m;
}

size_t DocNode::size() const {
  const YamlDocument::Node& n = node();
  return n.kind == Kind::kMap ? n.child_count / 2 : n.child_count;
}

DocNode DocNode::operator[](const std::string& key) const {
  const YamlDocument::Node& n = node();
  if (n.kind == Kind::kScalar) throw YAML::BadSubscript(Mark(), key);
  if (n.kind == Kind::kMap) {
    // Linear, like yaml-cpp: the loaders' maps hold a handful of keys. A key that is not
    // a scalar never matches (yaml-cpp cannot convert it to a string).
    for (uint32_t k = n.first_child; k != YamlDocument::kNone;) {
      const YamlDocument::Node& key_node = doc_->nodes[k];
      const uint32_t value = key_node.next_sibling;
      if (key_node.kind == Kind::kScalar && key_node.value == key) return DocNode(doc_, value);
      k = doc_->nodes[value].next_sibling;
    }
  }
  return DocNode(key);
}

DocNode::const_iterator DocNode::begin() const {
  if (doc_ == nullptr) return end();
  const YamlDocument::Node& n = doc_->nodes[index_];
  return const_iterator(doc_, n.kind == Kind::kMap, n.first_child);
}

DocNode::const_iterator DocNode::end() const {
  return const_iterator(doc_, false, YamlDocument::kNone);
}

DocItem DocNode::const_iterator::operator*() const {
  DocItem item;
  if (map_) {
    item.first = DocNode(doc_, at_);
    item.second = DocNode(doc_, doc_->nodes[at_].next_sibling);
  } else {
    static_cast<DocNode&>(item) = DocNode(doc_, at_);
  }
  return item;
}

namespace {

void Copy(const YAML::Node& from, YamlDocument* doc, uint32_t parent, uint32_t* last_child) {
  YamlDocument::Node n;
  const YAML::Mark m = from.Mark();
  if (!m.is_null()) {
    n.line = m.line;
    n.column = m.column;
    n.pos = m.pos;
  }
  switch (from.Type()) {
    case YAML::NodeType::Scalar:
      n.kind = YamlDocument::Kind::kScalar;
      n.value = from.Scalar();
      n.plain = from.Tag() == "?";
      break;
    case YAML::NodeType::Sequence:
      n.kind = YamlDocument::Kind::kSequence;
      break;
    case YAML::NodeType::Map:
      n.kind = YamlDocument::Kind::kMap;
      break;
    default:
      break;
  }
  const uint32_t at = doc->Add(std::move(n), parent, last_child);
  uint32_t last = YamlDocument::kNone;
  if (from.IsSequence()) {
    for (const YAML::Node& item : from) Copy(item, doc, at, &last);
  } else if (from.IsMap()) {
    for (auto it = from.begin(); it != from.end(); ++it) {
      Copy(it->first, doc, at, &last);
      Copy(it->second, doc, at, &last);
    }
  }
}

}  // namespace

ParsedDocument FromYamlCpp(const YAML::Node& root) {
  auto doc = std::make_shared<YamlDocument>();
  uint32_t none = YamlDocument::kNone;
  Copy(root, doc.get(), YamlDocument::kNone, &none);
  return ParsedDocument{std::move(doc)};
}

}  // namespace statemark::internal
