#include "engine/internal/yaml_source.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>

#include <sstream>

#include <map>
#include <set>
#include <utility>

#include "engine/internal/spelling.h"
#include "engine/internal/yaml_fast_reader.h"

namespace statemark::internal {

SourceLocation YamlSource::At(const DocNode& node) const {
  // A missing key's node (`node["absent"]`) has no position, and yaml-cpp throws when
  // asked for one; report the file alone rather than throw.
  if (!node.IsDefined()) return SourceLocation{path, 0, 0};
  const YAML::Mark m = node.Mark();
  if (m.is_null()) return SourceLocation{path, 0, 0};
  return SourceLocation{path, m.line + 1, m.column + 1};
}

void YamlSource::Error(const DocNode& at, const std::string& code,
                       const std::string& message) const {
  diags->Error(At(at), code, message);
}

void YamlSource::Warning(const DocNode& at, const std::string& code,
                         const std::string& message) const {
  diags->Warning(At(at), code, message);
}

void YamlSource::CheckKeys(const DocNode& node, const std::string& what,
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

std::optional<std::string> YamlSource::Scalar(const DocNode& node,
                                              const std::string& what) const {
  if (!node.IsDefined() || !node.IsScalar()) {
    Error(node, "bad-type", "expected a single value for " + what);
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<bool> YamlSource::Bool(const DocNode& node, const std::string& what) const {
  if (node.IsDefined() && node.IsScalar()) {
    if (node.Scalar() == "true") return true;
    if (node.Scalar() == "false") return false;
  }
  Error(node, "bad-type", "expected `true` or `false` for " + what);
  return std::nullopt;
}

std::optional<std::vector<std::string>> YamlSource::ScalarList(const DocNode& node,
                                                               const std::string& what) const {
  std::vector<std::string> out;
  if (node.IsDefined() && node.IsScalar()) {
    out.push_back(node.Scalar());
    return out;
  }
  if (!node.IsDefined() || !node.IsSequence()) {
    Error(node, "bad-type", "expected a list of values for " + what);
    return std::nullopt;
  }
  bool ok = true;
  for (const DocNode& item : node) {
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

bool YamlSource::ExpectMap(const DocNode& node, const std::string& what) const {
  if (node.IsDefined() && node.IsMap()) return true;
  Error(node, "bad-type", "expected a map of names to values for " + what);
  return false;
}

bool YamlSource::ExpectList(const DocNode& node, const std::string& what) const {
  if (node.IsDefined() && node.IsSequence()) return true;
  Error(node, "bad-type", "expected a list for " + what);
  return false;
}

namespace {

// Checks what YAML allows but a policy file cannot mean: keys that are not plain names
// (`[a, b]: x`, `~: x`); a key given twice in one map (yaml-cpp keeps both and lookups
// see only the first, so the second would be silently ignored); an alias to a node
// that holds it (`&a [*a]`), which no reader could finish; and aliases that expand the
// file far beyond its size (a node reached twice is walked twice, by every reader).
class StructureCheck {
 public:
  StructureCheck(const std::string& path, const YAML::Node& root, Diagnostics* diags,
                 size_t budget)
      : path_(path), root_(root), diags_(diags), budget_(budget) {}

  // Returns false if it found any of the above.
  bool Check(const YAML::Node& node) {
    if (budget_ == 0) return false;
    if (--budget_ == 0) {
      Error(root_, "too-many-nodes",
                 "aliases expand this file to too many nodes; write the repeated parts out, "
                 "or alias fewer of them");
      return false;
    }
    if (!node.IsSequence() && !node.IsMap()) return true;
    // A collection's position identifies it: an alias yields the node it names.
    const YAML::Mark m = node.Mark();
    const std::pair<int, int> at{m.line, m.column};
    if (open_.size() >= kMaxDepth) {
      // Only aliases nest this deep (yaml-cpp bounds what is written out); the bound
      // keeps this walk, and every reader after it, off the end of the stack.
      Error(node, "too-deep", "aliases nest this file deeper than " +
                                       std::to_string(kMaxDepth) + " levels");
      budget_ = 0;
      return false;
    }
    if (!open_.insert(at).second) {
      Error(node, "alias-loop", "this node holds an alias to itself");
      return false;
    }
    bool ok = true;
    if (node.IsSequence()) {
      for (const YAML::Node& item : node) ok = Check(item) && ok;
    } else {
      std::map<std::string, int> seen;  // key -> 1-based line of its first occurrence
      for (auto it = node.begin(); it != node.end(); ++it) {
        const YAML::Node key = it->first;
        if (!key.IsScalar()) {
          Error(key, "bad-key",
                     std::string("expected a plain name as a key, not ") +
                         (key.IsMap() ? "a map" : key.IsSequence() ? "a list" : "an empty value"));
          ok = false;
        } else {
          auto [first, inserted] = seen.emplace(key.Scalar(), At(key).line);
          if (!inserted) {
            Error(key, "duplicate-key",
                       "duplicate key `" + key.Scalar() + "`; it is already given on line " +
                           std::to_string(first->second));
            ok = false;
          }
        }
        ok = Check(it->second) && ok;
      }
    }
    open_.erase(at);
    return ok;
  }

 private:
  static constexpr size_t kMaxDepth = 2000;

  SourceLocation At(const YAML::Node& node) const {
    const YAML::Mark m = node.Mark();
    if (m.is_null()) return SourceLocation{path_, 0, 0};
    return SourceLocation{path_, m.line + 1, m.column + 1};
  }
  void Error(const YAML::Node& at, const std::string& code, const std::string& message) {
    diags_->Error(At(at), code, message);
  }

  const std::string& path_;
  const YAML::Node& root_;
  Diagnostics* diags_;
  size_t budget_;                          // nodes left to walk
  std::set<std::pair<int, int>> open_;     // collections being walked: the path to here
};

}  // namespace

namespace {

// Where each document of a YAML text starts (the mark of its first node), found with
// yaml-cpp's event parser. YAML::LoadAll cannot be used: on some malformed input
// (found by fuzzing: "   ,  a:b: []") yaml-cpp's parser stops advancing and yields
// empty documents forever. A document that starts where the previous one did is that
// stall; *stalled tells it, and the walk stops there (and after kMaxDocuments).
class DocumentStarts : public YAML::EventHandler {
 public:
  static constexpr size_t kMaxDocuments = 100;

  std::vector<YAML::Mark> Find(const std::string& text, bool* stalled) {
    std::istringstream in(text);
    YAML::Parser parser(in);
    *stalled = false;
    while (starts_.size() < kMaxDocuments) {
      first_ = true;
      if (!parser.HandleNextDocument(*this)) break;
      if (starts_.size() >= 2 && starts_.back().pos <= starts_[starts_.size() - 2].pos) {
        *stalled = true;
        starts_.pop_back();
        break;
      }
    }
    return starts_;
  }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override { Start(YAML::Mark::null_mark()); }
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { Start(m); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { Start(m); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t, const std::string&) override {
    Start(m);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Start(m);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Start(m);
  }
  void OnMapEnd() override {}

 private:
  void Start(const YAML::Mark& m) {
    if (!first_) return;
    first_ = false;
    starts_.push_back(m);
  }
  bool first_ = true;
  std::vector<YAML::Mark> starts_;
};

}  // namespace

std::optional<YamlSource> ParseYaml(const std::string& path, const std::string& text,
                                    Diagnostics* diags, YamlReader reader) {
  if (reader == YamlReader::kFastWhereSure) {
    if (std::optional<ParsedDocument> fast = ReadYamlFast(text)) {
      DocNode root = fast->root();
      return YamlSource{path, std::move(fast->doc), root, diags};
    }
  }
  try {
    bool stalled = false;
    const std::vector<YAML::Mark> starts = DocumentStarts().Find(text, &stalled);
    const YAML::Node root = YAML::Load(text);
    auto at = [&](const YAML::Mark& m) {
      return SourceLocation{path, m.is_null() ? 0 : m.line + 1, m.is_null() ? 0 : m.column + 1};
    };
    if (stalled) {
      diags->Error(at(starts.back()), "yaml-syntax",
                   "invalid YAML: the parser cannot read past this document");
      return std::nullopt;
    }
    bool ok = true;
    for (size_t i = 1; i < starts.size(); ++i) {
      // A second `---` document would be silently ignored: a policy file is one document.
      diags->Error(at(starts[i]), "multiple-documents",
                   "a policy file holds one YAML document; this is document " + std::to_string(i + 1));
      ok = false;
    }
    // Without aliases a file has fewer nodes than bytes; allow a generous margin.
    ok = StructureCheck(path, root, diags, 4 * text.size() + 10000).Check(root) && ok;
    if (!ok) return std::nullopt;
    ParsedDocument copy = FromYamlCpp(root);
    DocNode doc_root = copy.root();
    return YamlSource{path, std::move(copy.doc), doc_root, diags};
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp's parser recurses once per level and stops at its own bound (500 levels
    // in Debian 12's 0.7); say so, rather than its "bad file".
    diags->Error(SourceLocation{path, e.mark.is_null() ? 0 : e.mark.line + 1,
                                e.mark.is_null() ? 0 : e.mark.column + 1},
                 "too-deep",
                 "the file nests lists and maps deeper than " + std::to_string(e.depth()) +
                     " levels; a policy needs a handful");
    return std::nullopt;
  } catch (const YAML::Exception& e) {
    // e.msg is yaml-cpp's message without the position prefix that what() adds.
    diags->Error(SourceLocation{path, e.mark.is_null() ? 0 : e.mark.line + 1,
                                e.mark.is_null() ? 0 : e.mark.column + 1},
                 "yaml-syntax", "invalid YAML: " + e.msg);
    return std::nullopt;
  }
}

std::vector<DocNode> Elements(const DocNode& node) {
  std::vector<DocNode> out;
  if (!node.IsDefined()) return out;  // a missing key: no elements
  if (node.IsSequence()) {
    for (const DocNode& n : node) out.push_back(n);
  } else if (node.IsDefined() && !node.IsNull()) {
    out.push_back(node);
  }
  return out;
}

}  // namespace statemark::internal
