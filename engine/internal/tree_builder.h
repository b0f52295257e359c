// Not API: use engine/compiler.h.
//
// Builds the decision trees of a compiled policy.
//
// Each clause constrains some key attributes (finite-valued: enums, countries,
// booleans) through the top-level conjuncts of its condition, e.g. `affiliation in
// {state_controlled_media}`. A node picks the untested key that the most remaining
// clauses constrain, splits its values into classes that every such clause treats
// alike, and recurses with the clauses each class allows. A leaf is reached when no
// remaining clause constrains an untested key; its clauses then need only their
// residual condition (the conjuncts that are not keys).
//
// INVARIANT(keys-guaranteed): a clause reaches a leaf only through classes its key
// constraints allow, so at a leaf reached without hitting the budget, every key
// constraint of every candidate holds.
//
// Identical subtrees are built once (memoised on the clause set and the keys tested)
// and identical nodes are shared. Past `max_nodes`, a node becomes a leaf whose
// candidates carry their full condition instead (a linear scan, still correct).
#ifndef STATEMARK_ENGINE_INTERNAL_TREE_BUILDER_H_
#define STATEMARK_ENGINE_INTERNAL_TREE_BUILDER_H_

#include <cstdint>
#include <map>
#include <vector>

#include "engine/compiled_policy.h"
#include "engine/internal/program.h"
#include "engine/vocabulary.h"

namespace statemark::internal {

struct KeyConstraint {
  int attr = -1;
  ValueSet allowed;  // value indexes; index `domain_size` stands for an absent value
};

class TreeBuilder {
 public:
  TreeBuilder(const Vocabulary& vocab, const std::vector<Slot>& slots,
              const std::vector<Clause>& clauses, const std::vector<uint32_t>& lifts,
              const std::vector<std::vector<KeyConstraint>>& keys, size_t max_nodes);

  // Returns the root node of the tree for clauses that apply to `subject`.
  uint32_t Build(Subject subject);

  void MoveInto(std::vector<TreeNode>* nodes, std::vector<uint16_t>* class_maps,
                std::vector<uint32_t>* children, std::vector<LeafEntry>* leaves, TreeStats* stats);

 private:
  using ClauseSet = std::vector<uint32_t>;  // sorted clause indexes

  uint32_t BuildNode(const ClauseSet& set, uint64_t tested, size_t depth);
  uint32_t MakeLeaf(const ClauseSet& set, bool full_conditions);
  int PickKey(const ClauseSet& set, uint64_t tested) const;
  const KeyConstraint* Constraint(uint32_t clause, int attr) const;
  std::vector<ValueSet> Partition(const ClauseSet& set, int attr) const;
  uint32_t Intern(const TreeNode& node, const std::vector<uint32_t>& payload, bool* inserted);

  const Vocabulary& vocab_;
  const std::vector<Slot>& slots_;
  const std::vector<Clause>& clauses_;
  const std::vector<uint32_t>& lifts_;  // exemptions' lifted rule indexes
  const std::vector<std::vector<KeyConstraint>>& keys_;
  size_t max_nodes_;

  std::vector<int> key_attrs_;  // attributes some clause constrains, ascending
  std::vector<TreeNode> nodes_;
  std::vector<uint16_t> class_maps_;
  std::vector<uint32_t> children_;
  std::vector<LeafEntry> leaves_;
  std::map<std::pair<ClauseSet, uint64_t>, uint32_t> memo_;
  std::map<std::vector<uint32_t>, uint32_t> unique_nodes_;
  std::map<std::vector<uint16_t>, uint32_t> unique_maps_;
  TreeStats stats_;
};

// Gives nodes an edge table (TreeNode::edges): the class map composed with the
// children, so that a value leads straight to its child. Nodes are visited
// breadth-first from `roots`, the busiest first, and each gets a table while the
// tables' total stays within `max_entries`; the others keep edges = kNoEdges.
// Deterministic: the same tree gives the same tables.
std::vector<uint32_t> BuildEdgeTables(std::vector<TreeNode>* nodes, const std::vector<uint16_t>& class_maps,
                                      const std::vector<uint32_t>& children, const uint32_t* roots,
                                      int root_count, size_t max_entries);

}  // namespace statemark::internal

#endif  // STATEMARK_ENGINE_INTERNAL_TREE_BUILDER_H_
