#include "engine/internal/tree_builder.h"

#include <algorithm>

namespace statemark::internal {

TreeBuilder::TreeBuilder(const Vocabulary& vocab, const std::vector<Slot>& slots,
                         const std::vector<Clause>& clauses, const std::vector<uint32_t>& lifts,
                         const std::vector<std::vector<KeyConstraint>>& keys, size_t max_nodes)
    : vocab_(vocab), slots_(slots), clauses_(clauses), lifts_(lifts), keys_(keys), max_nodes_(max_nodes) {
  for (const auto& clause_keys : keys_) {
    for (const KeyConstraint& k : clause_keys) key_attrs_.push_back(k.attr);
  }
  std::sort(key_attrs_.begin(), key_attrs_.end());
  key_attrs_.erase(std::unique(key_attrs_.begin(), key_attrs_.end()), key_attrs_.end());
  // `tested` is a 64-bit mask over key_attrs_ positions; beyond 64 keys, the rest
  // stay residual conditions (still correct, only slower).
  if (key_attrs_.size() > 64) key_attrs_.resize(64);
}

uint32_t TreeBuilder::Build(Subject subject) {
  ClauseSet set;
  const uint8_t bit = static_cast<uint8_t>(1u << static_cast<int>(subject));
  for (uint32_t i = 0; i < clauses_.size(); ++i) {
    if (clauses_[i].subjects & bit) set.push_back(i);
  }
  return BuildNode(set, 0, 0);
}

const KeyConstraint* TreeBuilder::Constraint(uint32_t clause, int attr) const {
  for (const KeyConstraint& k : keys_[clause]) {
    if (k.attr == attr) return &k;
  }
  return nullptr;
}

int TreeBuilder::PickKey(const ClauseSet& set, uint64_t tested) const {
  int best = -1;
  size_t best_count = 0;
  for (size_t i = 0; i < key_attrs_.size(); ++i) {
    if (tested & (uint64_t{1} << i)) continue;
    size_t count = 0;
    for (uint32_t c : set) count += Constraint(c, key_attrs_[i]) != nullptr;
    if (count > best_count) {
      best_count = count;
      best = static_cast<int>(i);
    }
  }
  return best;
}

// Splits the attribute's values (plus "absent") into classes: two values share a class
// when every clause constraining the attribute allows both or neither.
std::vector<ValueSet> TreeBuilder::Partition(const ClauseSet& set, int attr) const {
  const int size = slots_[static_cast<size_t>(attr)].domain_size;
  std::vector<ValueSet> distinct;
  for (uint32_t c : set) {
    // A clause may constrain the same key twice (`in` and `not_in`); intersect them.
    ValueSet allowed = ValueSet::All(size + 1);
    bool constrained = false;
    for (const KeyConstraint& k : keys_[c]) {
      if (k.attr != attr) continue;
      allowed &= k.allowed;
      constrained = true;
    }
    if (constrained && std::find(distinct.begin(), distinct.end(), allowed) == distinct.end()) {
      distinct.push_back(allowed);
    }
  }
  std::vector<ValueSet> classes = {ValueSet::All(size + 1)};
  for (const ValueSet& a : distinct) {
    std::vector<ValueSet> next;
    for (const ValueSet& c : classes) {
      ValueSet in = c & a, out = c & ~a;
      if (!in.Empty()) next.push_back(in);
      if (!out.Empty()) next.push_back(out);
    }
    classes.swap(next);
  }
  // Canonical order: by smallest member.
  std::sort(classes.begin(), classes.end(), [](const ValueSet& x, const ValueSet& y) {
    int fx = -1, fy = -1;
    x.ForEach([&](int v) { if (fx < 0) fx = v; });
    y.ForEach([&](int v) { if (fy < 0) fy = v; });
    return fx < fy;
  });
  return classes;
}

uint32_t TreeBuilder::BuildNode(const ClauseSet& set, uint64_t tested, size_t depth) {
  auto memo_key = std::make_pair(set, tested);
  if (auto it = memo_.find(memo_key); it != memo_.end()) return it->second;
  stats_.max_depth = std::max(stats_.max_depth, depth);

  const int key = PickKey(set, tested);
  uint32_t result;
  if (key < 0) {
    result = MakeLeaf(set, /*full_conditions=*/false);
  } else if (nodes_.size() >= max_nodes_) {
    stats_.fell_back = true;
    result = MakeLeaf(set, /*full_conditions=*/true);
  } else {
    const int attr = key_attrs_[static_cast<size_t>(key)];
    const int size = slots_[static_cast<size_t>(attr)].domain_size;
    std::vector<ValueSet> classes = Partition(set, attr);
    std::vector<uint16_t> class_map(static_cast<size_t>(size) + 1, 0);
    std::vector<uint32_t> kids;
    for (size_t ci = 0; ci < classes.size(); ++ci) {
      classes[ci].ForEach([&](int v) { class_map[static_cast<size_t>(v)] = static_cast<uint16_t>(ci); });
      ClauseSet child;
      for (uint32_t c : set) {
        bool allowed = true;
        for (const KeyConstraint& k : keys_[c]) {
          if (k.attr == attr && !k.allowed.ContainsAll(classes[ci])) allowed = false;
        }
        if (allowed) child.push_back(c);
      }
      kids.push_back(BuildNode(child, tested | (uint64_t{1} << key), depth + 1));
    }
    // A test whose every class leads to the same subtree decides nothing: skip it.
    if (std::all_of(kids.begin(), kids.end(), [&](uint32_t k) { return k == kids[0]; })) {
      memo_.emplace(std::move(memo_key), kids[0]);
      return kids[0];
    }
    TreeNode node;
    node.attr = static_cast<int16_t>(attr);
    node.slot = slots_[static_cast<size_t>(attr)];
    auto [map_it, inserted] = unique_maps_.emplace(class_map, static_cast<uint32_t>(class_maps_.size()));
    if (inserted) class_maps_.insert(class_maps_.end(), class_map.begin(), class_map.end());
    node.class_map = map_it->second;
    // The payload identifies the node: its key, class map and children.
    std::vector<uint32_t> payload = {1u, static_cast<uint32_t>(attr), node.class_map};
    payload.insert(payload.end(), kids.begin(), kids.end());
    node.children = static_cast<uint32_t>(children_.size());
    bool inserted_node = false;
    result = Intern(node, payload, &inserted_node);
    if (inserted_node) children_.insert(children_.end(), kids.begin(), kids.end());
  }
  memo_.emplace(std::move(memo_key), result);
  return result;
}

uint32_t TreeBuilder::MakeLeaf(const ClauseSet& set, bool full_conditions) {
  // Exemptions first, so the evaluator knows what is lifted before it meets the rules.
  // An exemption that lifts no rule at this leaf can change nothing here: drop it.
  std::vector<uint32_t> rules_here;
  for (uint32_t c : set) {
    if (!clauses_[c].exemption) rules_here.push_back(clauses_[c].rule);
  }
  std::sort(rules_here.begin(), rules_here.end());
  auto lifts_something = [&](uint32_t c) {
    for (uint32_t k = 0; k < clauses_[c].lift_count; ++k) {
      if (std::binary_search(rules_here.begin(), rules_here.end(), lifts_[clauses_[c].lift_begin + k])) {
        return true;
      }
    }
    return false;
  };
  std::vector<LeafEntry> entries;
  for (int pass = 0; pass < 2; ++pass) {
    for (uint32_t c : set) {
      if (clauses_[c].exemption != (pass == 0)) continue;
      if (clauses_[c].exemption && !lifts_something(c)) continue;
      // A key past the 64 the tree can test was never checked: keep the full condition.
      bool untestable = false;
      for (const KeyConstraint& k : keys_[c]) {
        untestable = untestable || !std::binary_search(key_attrs_.begin(), key_attrs_.end(), k.attr);
      }
      LeafEntry e;
      e.clause = c;
      e.condition = full_conditions || untestable ? clauses_[c].full_condition
                                                  : clauses_[c].residual_condition;
      entries.push_back(e);
    }
  }
  std::vector<uint32_t> payload = {0u};
  for (const LeafEntry& e : entries) {
    payload.push_back(e.clause);
    payload.push_back(static_cast<uint32_t>(e.condition));
  }
  TreeNode node;
  node.leaf_begin = static_cast<uint32_t>(leaves_.size());
  node.leaf_count = static_cast<uint32_t>(entries.size());
  bool inserted = false;
  uint32_t id = Intern(node, payload, &inserted);
  if (inserted) {
    leaves_.insert(leaves_.end(), entries.begin(), entries.end());
    ++stats_.leaves;
    stats_.leaf_entries += entries.size();
    stats_.max_leaf = std::max(stats_.max_leaf, entries.size());
  }
  return id;
}

// Returns the existing node with this payload, or appends `node`.
uint32_t TreeBuilder::Intern(const TreeNode& node, const std::vector<uint32_t>& payload,
                             bool* inserted_out) {
  auto [it, inserted] = unique_nodes_.emplace(payload, static_cast<uint32_t>(nodes_.size()));
  if (inserted) nodes_.push_back(node);
  *inserted_out = inserted;
  return it->second;
}

void TreeBuilder::MoveInto(std::vector<TreeNode>* nodes, std::vector<uint16_t>* class_maps,
                           std::vector<uint32_t>* children, std::vector<LeafEntry>* leaves,
                           TreeStats* stats) {
  stats_.nodes = nodes_.size();
  *nodes = std::move(nodes_);
  *class_maps = std::move(class_maps_);
  *children = std::move(children_);
  *leaves = std::move(leaves_);
  *stats = stats_;
  (void)vocab_;
}

std::vector<uint32_t> BuildEdgeTables(std::vector<TreeNode>* nodes, const std::vector<uint16_t>& class_maps,
                                      const std::vector<uint32_t>& children, const uint32_t* roots,
                                      int root_count, size_t max_entries) {
  std::vector<uint32_t> edges;
  std::vector<bool> queued(nodes->size(), false);
  std::vector<uint32_t> queue;
  for (int r = 0; r < root_count; ++r) {
    if (!queued[roots[r]]) queue.push_back(roots[r]);
    queued[roots[r]] = true;
  }
  for (size_t head = 0; head < queue.size(); ++head) {
    TreeNode& node = (*nodes)[queue[head]];
    if (node.attr < 0) continue;
    const size_t row = static_cast<size_t>(node.slot.domain_size) + 1;
    const bool fits = edges.size() + row <= max_entries;
    if (fits) node.edges = static_cast<uint32_t>(edges.size());
    for (size_t v = 0; v < row; ++v) {
      const uint32_t child = children[node.children + class_maps[node.class_map + v]];
      if (fits) edges.push_back(child);
      if (!queued[child]) queue.push_back(child);
      queued[child] = true;
    }
  }
  return edges;
}

}  // namespace statemark::internal
