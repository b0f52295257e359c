// Not API: use engine/compiled_policy.h.
//
// The flat, index-linked structures a CompiledPolicy is made of. Every struct here is
// trivially copyable and refers to others by index, never by pointer, so a compiled
// policy is a handful of contiguous arrays.
#ifndef STATEMARK_ENGINE_INTERNAL_PROGRAM_H_
#define STATEMARK_ENGINE_INTERNAL_PROGRAM_H_

#include <cstdint>
#include <type_traits>

#include "engine/instant.h"
#include "engine/policy.h"
#include "engine/value_set.h"

namespace statemark::internal {

// Where an attribute's value lives in the fact arrays.
struct Slot {
  AttrScope scope = AttrScope::kRequest;
  int16_t index = -1;     // into RequestFacts::value/micros/text or AccountFacts::value/text
  int16_t set_index = -1; // into RequestFacts::sets, for set attributes
  int16_t domain_size = 0;
};

// One node of a condition program. kAll/kAny/kNot list their children in
// CompiledPolicy::cond_children_[first, first + count).
struct CondNode {
  enum class Kind : uint8_t { kTrue, kAll, kAny, kNot, kTest };
  Kind kind = Kind::kTrue;
  Op op = Op::kIn;
  Slot slot;
  Slot other;             // kSameAs, kNotSameAs
  uint32_t first = 0;     // children; or the value-set / string-list / regex index
  uint32_t count = 0;     // children; or the string-list length
  bool flag = false;
  int64_t micros = 0;     // kBefore, kAtOrAfter
  int32_t list = -1;      // kListedIn
};
static_assert(std::is_trivially_copyable_v<CondNode>);

struct CompiledEffects {
  int8_t levels[16];            // per surface; -1 = no change
  uint32_t label_begin = 0;     // into labels_
  uint32_t label_count = 0;
  int16_t notice = -1;
  uint32_t friction = 0;        // bit per friction value
  int16_t monetization = -1;
  AdsEffect::Kind ads = AdsEffect::Kind::kNone;
  uint32_t ads_set = 0;         // into value_sets_: the fixed countries
  uint32_t ads_attr_begin = 0;  // into ads_attrs_: account slots whose value joins the set
  uint32_t ads_attr_count = 0;
  bool has_organic = false;     // any effect other than ads
};
static_assert(std::is_trivially_copyable_v<CompiledEffects>);

struct CompiledLabel {
  uint16_t label = 0;
  bool uses_state = false;      // the label's text names the subject's state
  uint32_t placements = 0;      // bit per placement
  uint32_t shown_organic = 0;   // placements & those rendered on organic requests
  uint32_t shown_ad = 0;        // placements & those rendered on ad requests
};

// A rule's `then`, or one of its cases, with the full condition that guards it.
struct Clause {
  uint32_t rule = 0;
  int32_t case_index = -1;  // -1: the rule's own `then`
  Layer layer = Layer::kPlatform;
  bool shadow = false;
  bool exemption = false;
  uint8_t subjects = 0;     // bit per Subject
  int64_t from = 0;         // window [from, until) in micros
  int64_t until = 0;
  int32_t full_condition = -1;      // root CondNode; -1 = always
  int32_t residual_condition = -1;  // the part the decision tree does not already check
  uint32_t effects = 0;             // into effects_
  uint32_t lift_begin = 0;          // exemptions: sorted rule indexes in lifts_
  uint32_t lift_count = 0;
  bool acts_on_organic = false;  // has an effect that counts on organic requests
  bool acts_on_ad = false;       // has an effect that counts on ad requests
};
static_assert(std::is_trivially_copyable_v<Clause>);

// TreeNode::edges of a node without an edge table.
inline constexpr uint32_t kNoEdges = 0xffffffffu;

// A decision-tree node: tests one key attribute, or is a leaf listing candidates.
// The class map and children describe the tree (dumps, the decision space); the edge
// table, when the node has one, is the same mapping composed into one array for the
// evaluator: value index (domain_size = absent) -> child node.
struct TreeNode {
  int16_t attr = -1;          // key attribute; -1 for a leaf
  Slot slot;
  uint32_t edges = kNoEdges;  // into edges_: domain_size + 1 child nodes; or kNoEdges
  uint32_t class_map = 0;     // into class_maps_: value index (domain_size = absent) -> class
  uint32_t children = 0;      // into child_nodes_: one child per class
  uint32_t leaf_begin = 0;    // into leaf_entries_
  uint32_t leaf_count = 0;
};
static_assert(std::is_trivially_copyable_v<TreeNode>);
static_assert(sizeof(TreeNode) == 32, "two nodes to a cache line");
static_assert(sizeof(TreeNode) == 32, "a node fills half a cache line; keep it so");

// A candidate at a leaf: the clause and the condition still to check.
struct LeafEntry {
  uint32_t clause = 0;
  int32_t condition = -1;  // -1: nothing left to check
};
static_assert(std::is_trivially_copyable_v<LeafEntry>);

}  // namespace statemark::internal

#endif  // STATEMARK_ENGINE_INTERNAL_PROGRAM_H_
