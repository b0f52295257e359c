#include "engine/compiled_policy.h"

#include <re2/re2.h>

#include <sstream>

namespace statemark {

CompiledPolicy::~CompiledPolicy() = default;

namespace {

std::string ValueName(const Vocabulary& v, int attr, int value) {
  const Attribute& a = v.attributes[static_cast<size_t>(attr)];
  if (a.type == AttrType::kBool) return value == 0 ? "false" : value == 1 ? "true" : "(absent)";
  const Domain& d = v.domains[static_cast<size_t>(a.domain)];
  return value < static_cast<int>(d.values.size()) ? d.values[static_cast<size_t>(value)] : "(absent)";
}

}  // namespace

// One node per line, in index order:
//   12. account.affiliation: {none,politician} -> 13 | {state_controlled_media} -> 20
//   13. leaf: P1#0 [cond 4], X1#0
std::string CompiledPolicy::DebugString() const {
  const Vocabulary& v = vocabulary();
  std::ostringstream out;
  for (int s = 0; s < kSubjectKinds; ++s) {
    out << "root " << SubjectName(static_cast<Subject>(s)) << " -> " << roots_[s] << "\n";
  }
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const internal::TreeNode& n = nodes_[i];
    out << i << ". ";
    if (n.attr < 0) {
      out << "leaf:";
      for (uint32_t k = 0; k < n.leaf_count; ++k) {
        const internal::LeafEntry& e = leaf_entries_[n.leaf_begin + k];
        const internal::Clause& c = clauses_[e.clause];
        out << (k ? ", " : " ") << policy().rules[c.rule].id;
        if (c.case_index >= 0) out << "#" << c.case_index;
        if (e.condition >= 0) out << " [cond " << e.condition << "]";
      }
      out << "\n";
      continue;
    }
    out << v.attributes[static_cast<size_t>(n.attr)].name << ":";
    // Group values by class so each child is listed once with its values.
    uint16_t classes = 0;
    for (int value = 0; value <= n.slot.domain_size; ++value) {
      classes = std::max<uint16_t>(classes, class_maps_[n.class_map + static_cast<uint32_t>(value)] + 1u);
    }
    for (uint16_t c = 0; c < classes; ++c) {
      out << (c ? " |" : "") << " {";
      int shown = 0;
      for (int value = 0; value <= n.slot.domain_size; ++value) {
        if (class_maps_[n.class_map + static_cast<uint32_t>(value)] != c) continue;
        out << (shown++ > 0 ? "," : "") << ValueName(v, n.attr, value);
      }
      out << "} -> " << child_nodes_[n.children + c];
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace statemark
