// CompiledPolicy: a policy compiled into an immutable decision tree.
//
// Compile() (compiler.h) builds it once; Evaluate() (evaluator.h) walks it for every
// request. The tree tests the finite-valued attributes that rules key on (affiliation,
// state, viewer country, request kind, ...) and leads to a leaf listing the few
// clauses that can still match, each with the residual condition to check. Identical
// subtrees are shared. There is one tree per subject kind (the author, a linked
// account, a reshared account).
//
// Thread safety: immutable; any number of threads may evaluate against one instance
// without locks. Share it as std::shared_ptr<const CompiledPolicy>; a reload builds a
// new one and swaps the pointer.
#ifndef STATEMARK_ENGINE_COMPILED_POLICY_H_
#define STATEMARK_ENGINE_COMPILED_POLICY_H_

#include <memory>
#include <string>
#include <vector>

#include "engine/internal/program.h"
#include "engine/policy.h"
#include "engine/request.h"
#include "engine/request_schema.h"

namespace re2 {
class RE2;
}

namespace statemark {

struct TreeStats {
  size_t nodes = 0;         // tree nodes, leaves included, after sharing
  size_t leaves = 0;
  size_t leaf_entries = 0;  // candidate clauses summed over leaves
  size_t max_depth = 0;
  size_t max_leaf = 0;      // most candidates at one leaf
  size_t cond_nodes = 0;
  size_t bytes = 0;         // memory of the compiled arrays (registry excluded)
  bool fell_back = false;   // the node budget was hit somewhere; those leaves scan
};

class CompiledPolicy {
 public:
  ~CompiledPolicy();

  const Policy& policy() const { return *policy_; }
  const Vocabulary& vocabulary() const { return policy_->vocabulary; }
  const Registry& registry() const { return *policy_->registry; }
  const std::string& version() const { return policy_->version; }
  // sha256 of the compiled tree's canonical dump: equal for equal inputs.
  const std::string& tree_hash() const { return tree_hash_; }
  const TreeStats& stats() const { return stats_; }

  const internal::Slot& slot(int attr) const { return slots_[static_cast<size_t>(attr)]; }
  // Where the request parser finds each attribute in a request's JSON.
  const RequestSchema& request_schema() const { return request_schema_; }

  // The tree, one node per line, for debugging and golden tests.
  std::string DebugString() const;

  // Clause table, in canonical order: rule by rule (rules sorted by id), each rule's
  // own `then` first, then its cases in order.
  const std::vector<internal::Clause>& clauses() const { return clauses_; }
  const internal::CompiledEffects& effects(uint32_t i) const { return effects_[i]; }
  const internal::CompiledLabel& label_effect(uint32_t i) const { return labels_[i]; }
  const ValueSet& value_set(uint32_t i) const { return value_sets_[i]; }
  const internal::Slot& ads_attr(uint32_t i) const { return ads_attrs_[i]; }
  uint32_t lift(uint32_t i) const { return lifts_[i]; }
  int16_t state_slot() const { return state_slot_; }
  const re2::RE2& regex(uint32_t i) const { return *regexes_[i]; }
  int surface_count() const { return static_cast<int>(vocabulary().surfaces.size()); }

 private:
  friend class Compiler;
  friend class Evaluator;
  friend class ConditionRunner;
  friend class DecisionSpaceBuilder;  // reads the trees and condition programs
  friend void FillAccountFacts(const CompiledPolicy&, int, Instant, AccountFacts*);
  friend void FillAuthorFacts(const CompiledPolicy&, const Request&, AccountFacts*);
  friend const AccountFacts& AuthorFacts(const CompiledPolicy&, const Request&, AccountFacts*);

  // How to copy a registry row into AccountFacts.
  struct AccountColumn {
    int16_t column = -1;  // registry column
    int16_t slot = -1;
    bool dated = false;
    bool is_string = false;
    uint32_t default_value = kAbsent;
  };

  std::shared_ptr<const Policy> policy_;
  std::vector<AccountColumn> account_columns_;  // by registry column
  // The columns Evaluate() reads: those whose slot a tree node, a condition, an ads
  // effect or the label state reads. Others are never copied on the decision path.
  std::vector<AccountColumn> evaluated_columns_;
  AccountFacts default_account_;  // an account the registry does not hold, at its defaults
  int16_t known_slot_ = -1;
  int16_t id_slot_ = -1;
  int16_t state_slot_ = -1;       // account.affiliated_state, if declared
  int16_t time_slot_ = -1;
  bool uses_account_id_ = false;  // some rule tests account.id
  std::vector<std::pair<int16_t, uint32_t>> dated_account_slots_;  // slot, default value
  std::vector<internal::Slot> slots_;  // by attribute index
  RequestSchema request_schema_;
  std::vector<internal::Clause> clauses_;
  std::vector<internal::CompiledEffects> effects_;
  std::vector<internal::CompiledLabel> labels_;
  std::vector<internal::Slot> ads_attrs_;
  std::vector<uint32_t> lifts_;
  std::vector<internal::CondNode> cond_nodes_;
  std::vector<uint32_t> cond_children_;
  std::vector<ValueSet> value_sets_;
  std::vector<uint32_t> string_lists_;  // sorted StringTable ids
  std::vector<std::unique_ptr<re2::RE2>> regexes_;
  std::vector<internal::TreeNode> nodes_;
  std::vector<uint16_t> class_maps_;
  std::vector<uint32_t> child_nodes_;
  std::vector<uint32_t> edges_;  // per-node edge tables (TreeNode::edges)
  std::vector<internal::LeafEntry> leaf_entries_;
  uint32_t roots_[kSubjectKinds] = {0, 0, 0};
  TreeStats stats_;
  std::string tree_hash_;
};

}  // namespace statemark

#endif  // STATEMARK_ENGINE_COMPILED_POLICY_H_
