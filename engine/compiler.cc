#include "engine/compiler.h"

#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <map>

#include "engine/internal/sha256.h"
#include "engine/internal/tree_builder.h"

namespace statemark {

using internal::Clause;
using internal::CompiledEffects;
using internal::CondNode;
using internal::KeyConstraint;
using internal::Slot;

// Builds a CompiledPolicy; a friend of it. One instance per Compile() call.
class Compiler {
 public:
  Compiler(std::shared_ptr<const Policy> policy, const CompileOptions& options)
      : options_(options), out_(new CompiledPolicy) {
    out_->policy_ = std::move(policy);
  }

  Result<std::shared_ptr<const CompiledPolicy>> Run() {
    AssignSlots();
    out_->request_schema_ = RequestSchema::Build(vocab());
    PrepareAccounts();
    CompileRegexes();
    CompileClauses();
    BuildTrees();
    ChooseEvaluatedColumns();
    HashTree();
    if (diags_.has_errors()) return diags_;
    return Result<std::shared_ptr<const CompiledPolicy>>(
        std::shared_ptr<const CompiledPolicy>(out_.release()), diags_);
  }

 private:
  const Vocabulary& vocab() const { return out_->policy_->vocabulary; }
  const Policy& policy() const { return *out_->policy_; }

  // Pass 1: every attribute gets its place in the fact arrays.
  void AssignSlots() {
    int16_t request = 0, account = 0, sets = 0;
    for (const Attribute& a : vocab().attributes) {
      Slot s;
      s.scope = a.scope;
      s.index = a.scope == AttrScope::kAccount ? account++ : request++;
      if (IsSetType(a.type)) s.set_index = sets++;
      if (a.type == AttrType::kBool) {
        s.domain_size = 2;
      } else if (a.domain >= 0) {
        s.domain_size = static_cast<int16_t>(vocab().domains[static_cast<size_t>(a.domain)].values.size());
      }
      out_->slots_.push_back(s);
    }
    auto slot_of = [&](int attr) -> int16_t {
      return attr < 0 ? -1 : out_->slots_[static_cast<size_t>(attr)].index;
    };
    out_->known_slot_ = slot_of(vocab().attr_known);
    out_->id_slot_ = slot_of(vocab().attr_account_id);
    out_->state_slot_ = slot_of(vocab().FindAttribute("account.affiliated_state"));
    out_->time_slot_ = slot_of(vocab().attr_time);
  }

  // The registry's columns, and the facts of an account it does not hold.
  void PrepareAccounts() {
    const Registry& registry = *policy().registry;
    for (int c = 0; c < registry.column_count(); ++c) {
      const Attribute& a = vocab().attributes[static_cast<size_t>(registry.ColumnAttribute(c))];
      CompiledPolicy::AccountColumn col;
      col.column = static_cast<int16_t>(c);
      col.slot = out_->slots_[static_cast<size_t>(registry.ColumnAttribute(c))].index;
      col.dated = registry.IsDated(c);
      col.is_string = a.type == AttrType::kString;
      col.default_value = a.default_value >= 0 ? static_cast<uint32_t>(a.default_value) : kAbsent;
      out_->account_columns_.push_back(col);
    }
    AccountFacts& d = out_->default_account_;
    d.value.fill(kAbsent);
    for (size_t i = 0; i < vocab().attributes.size(); ++i) {
      const Attribute& a = vocab().attributes[i];
      if (a.scope != AttrScope::kAccount || a.default_value < 0) continue;
      d.value[static_cast<size_t>(out_->slots_[i].index)] = static_cast<uint32_t>(a.default_value);
    }
    d.value[static_cast<size_t>(out_->known_slot_)] = 0;
    for (size_t i = 0; i < vocab().attributes.size(); ++i) {
      const Attribute& a = vocab().attributes[i];
      if (a.scope != AttrScope::kAccount || !a.dated) continue;
      out_->dated_account_slots_.emplace_back(
          out_->slots_[i].index, a.default_value >= 0 ? static_cast<uint32_t>(a.default_value) : kAbsent);
    }
  }

  void CompileRegexes() {
    for (const std::string& pattern : policy().regexes) {
      RE2::Options opts;
      opts.set_log_errors(false);
      out_->regexes_.push_back(std::make_unique<RE2>(pattern, opts));
    }
  }

  // Pass 2: one clause per rule `then` and per case, in canonical order.
  void CompileClauses() {
    for (size_t r = 0; r < policy().rules.size(); ++r) {
      const Rule& rule = policy().rules[r];
      std::vector<const Condition*> rule_conjuncts;
      if (rule.has_when) Flatten(rule.when, &rule_conjuncts);
      if (rule.layer == Layer::kExemption || !rule.then.empty()) {
        AddClause(rule, static_cast<uint32_t>(r), -1, rule_conjuncts, rule.then);
      }
      for (size_t c = 0; c < rule.cases.size(); ++c) {
        std::vector<const Condition*> conjuncts = rule_conjuncts;
        Flatten(rule.cases[c].when, &conjuncts);
        AddClause(rule, static_cast<uint32_t>(r), static_cast<int32_t>(c), conjuncts,
                  rule.cases[c].then);
      }
    }
  }

  static void Flatten(const Condition& c, std::vector<const Condition*>* out) {
    if (c.kind == Condition::Kind::kAll) {
      for (const Condition& child : c.children) Flatten(child, out);
    } else {
      out->push_back(&c);
    }
  }

  void AddClause(const Rule& rule, uint32_t rule_index, int32_t case_index,
                 const std::vector<const Condition*>& conjuncts, const Effects& effects) {
    Clause clause;
    clause.rule = rule_index;
    clause.case_index = case_index;
    clause.layer = rule.layer;
    clause.shadow = rule.mode == RuleMode::kShadow;
    clause.exemption = rule.layer == Layer::kExemption;
    for (Subject s : rule.applies_to) clause.subjects |= static_cast<uint8_t>(1u << static_cast<int>(s));
    if (clause.exemption) clause.subjects = (1u << kSubjectKinds) - 1;
    clause.from = rule.from.micros;
    clause.until = rule.until.micros;

    std::vector<KeyConstraint> keys;
    std::vector<const Condition*> residual;
    for (const Condition* c : conjuncts) {
      if (auto key = KeyOf(*c)) {
        keys.push_back(*key);
      } else {
        residual.push_back(c);
      }
    }
    clause.full_condition = CompileConjunction(conjuncts);
    clause.residual_condition = CompileConjunction(residual);
    clause.effects = CompileEffects(effects);
    clause.acts_on_organic = effects.HasOrganicEffect();
    clause.acts_on_ad = effects.HasOrganicEffect() || effects.ads.kind != AdsEffect::Kind::kNone;
    clause.lift_begin = static_cast<uint32_t>(out_->lifts_.size());
    for (int lifted : rule.lifts) out_->lifts_.push_back(static_cast<uint32_t>(lifted));
    clause.lift_count = static_cast<uint32_t>(rule.lifts.size());
    out_->clauses_.push_back(clause);
    clause_keys_.push_back(std::move(keys));
  }

  // A conjunct the tree can decide: a test of a finite-valued single attribute.
  std::optional<KeyConstraint> KeyOf(const Condition& c) const {
    if (c.kind != Condition::Kind::kTest) return std::nullopt;
    const Attribute& a = vocab().attributes[static_cast<size_t>(c.attr)];
    const bool finite = a.type == AttrType::kEnum || a.type == AttrType::kCountry ||
                        a.type == AttrType::kBool;
    if (!finite) return std::nullopt;
    const int size = out_->slots_[static_cast<size_t>(c.attr)].domain_size;
    const int absent = size;  // the extra value index that stands for "no value"
    KeyConstraint k;
    k.attr = c.attr;
    switch (c.op) {
      case Op::kIn: k.allowed = c.values; break;
      case Op::kNotIn: k.allowed = ValueSet::All(size) & ~c.values; break;
      case Op::kIs: k.allowed.Add(c.flag ? 1 : 0); break;
      case Op::kPresent:
        k.allowed = c.flag ? ValueSet::All(size) : ValueSet();
        if (!c.flag) k.allowed.Add(absent);
        break;
      default: return std::nullopt;
    }
    return k;
  }

  int32_t CompileConjunction(const std::vector<const Condition*>& conjuncts) {
    if (conjuncts.empty()) return -1;
    if (conjuncts.size() == 1) return CompileCondition(*conjuncts[0]);
    std::vector<uint32_t> children;
    for (const Condition* c : conjuncts) children.push_back(static_cast<uint32_t>(CompileCondition(*c)));
    return EmitParent(CondNode::Kind::kAll, children);
  }

  int32_t EmitParent(CondNode::Kind kind, const std::vector<uint32_t>& children) {
    CondNode n;
    n.kind = kind;
    n.first = static_cast<uint32_t>(out_->cond_children_.size());
    n.count = static_cast<uint32_t>(children.size());
    out_->cond_children_.insert(out_->cond_children_.end(), children.begin(), children.end());
    out_->cond_nodes_.push_back(n);
    return static_cast<int32_t>(out_->cond_nodes_.size()) - 1;
  }

  int32_t CompileCondition(const Condition& c) {
    if (c.kind != Condition::Kind::kTest) {
      std::vector<uint32_t> children;
      for (const Condition& child : c.children) {
        children.push_back(static_cast<uint32_t>(CompileCondition(child)));
      }
      CondNode::Kind kind = c.kind == Condition::Kind::kAll   ? CondNode::Kind::kAll
                            : c.kind == Condition::Kind::kAny ? CondNode::Kind::kAny
                                                              : CondNode::Kind::kNot;
      return EmitParent(kind, children);
    }
    CondNode n;
    n.kind = CondNode::Kind::kTest;
    n.op = c.op;
    n.slot = out_->slots_[static_cast<size_t>(c.attr)];
    if (c.other_attr >= 0) n.other = out_->slots_[static_cast<size_t>(c.other_attr)];
    n.flag = c.flag;
    n.micros = c.instant.micros;
    n.list = c.list;
    const Attribute& a = vocab().attributes[static_cast<size_t>(c.attr)];
    if (c.op == Op::kMatches) {
      n.first = static_cast<uint32_t>(c.regex);
    } else if (a.type == AttrType::kString && (c.op == Op::kIn || c.op == Op::kNotIn)) {
      n.first = InternStringList(c.written);
      n.count = static_cast<uint32_t>(c.written.size());
    } else {
      n.first = InternValueSet(c.values);
    }
    if (c.attr == vocab().attr_account_id) out_->uses_account_id_ = true;
    out_->cond_nodes_.push_back(n);
    return static_cast<int32_t>(out_->cond_nodes_.size()) - 1;
  }

  uint32_t InternStringList(const std::vector<std::string>& strings) {
    std::vector<uint32_t> ids;
    for (const std::string& s : strings) ids.push_back(policy().registry->strings().Find(s));
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    uint32_t first = static_cast<uint32_t>(out_->string_lists_.size());
    out_->string_lists_.insert(out_->string_lists_.end(), ids.begin(), ids.end());
    // Pad to the written count so `count` stays an upper bound of the sorted run.
    out_->string_lists_.resize(first + strings.size(), kAbsent);
    return first;
  }

  uint32_t InternValueSet(const ValueSet& set) {
    auto it = value_set_index_.find(set.words());
    if (it != value_set_index_.end()) return it->second;
    uint32_t index = static_cast<uint32_t>(out_->value_sets_.size());
    out_->value_sets_.push_back(set);
    value_set_index_.emplace(set.words(), index);
    return index;
  }

  uint32_t CompileEffects(const Effects& e) {
    CompiledEffects ce;
    std::fill(std::begin(ce.levels), std::end(ce.levels), int8_t{-1});
    for (size_t s = 0; s < e.levels.size() && s < 16; ++s) ce.levels[s] = static_cast<int8_t>(e.levels[s]);
    ce.label_begin = static_cast<uint32_t>(out_->labels_.size());
    for (const LabelEffect& l : e.labels) {
      internal::CompiledLabel cl;
      cl.label = static_cast<uint16_t>(l.label);
      cl.uses_state = vocab().labels[static_cast<size_t>(l.label)].text.uses_state;
      for (int p : l.placements) {
        const uint32_t bit = 1u << p;
        cl.placements |= bit;
        if (vocab().placements[static_cast<size_t>(p)].on_organic) cl.shown_organic |= bit;
        if (vocab().placements[static_cast<size_t>(p)].on_ad) cl.shown_ad |= bit;
      }
      out_->labels_.push_back(cl);
    }
    ce.label_count = static_cast<uint32_t>(e.labels.size());
    ce.notice = static_cast<int16_t>(e.notice);
    for (int f : e.friction) ce.friction |= 1u << f;
    ce.monetization = static_cast<int16_t>(e.monetization);
    ce.ads = e.ads.kind;
    ce.ads_set = InternValueSet(e.ads.countries.fixed);
    ce.ads_attr_begin = static_cast<uint32_t>(out_->ads_attrs_.size());
    for (int attr : e.ads.countries.attrs) out_->ads_attrs_.push_back(out_->slots_[static_cast<size_t>(attr)]);
    ce.ads_attr_count = static_cast<uint32_t>(e.ads.countries.attrs.size());
    ce.has_organic = e.HasOrganicEffect();
    out_->effects_.push_back(ce);
    return static_cast<uint32_t>(out_->effects_.size()) - 1;
  }

  // Pass 3: one tree per subject kind.
  void BuildTrees() {
    internal::TreeBuilder builder(vocab(), out_->slots_, out_->clauses_, out_->lifts_, clause_keys_,
                                  options_.max_nodes);
    for (int s = 0; s < kSubjectKinds; ++s) {
      out_->roots_[s] = builder.Build(static_cast<Subject>(s));
    }
    builder.MoveInto(&out_->nodes_, &out_->class_maps_, &out_->child_nodes_, &out_->leaf_entries_,
                     &out_->stats_);
    out_->edges_ = internal::BuildEdgeTables(&out_->nodes_, out_->class_maps_, out_->child_nodes_, out_->roots_,
                                             kSubjectKinds, options_.max_edge_bytes / sizeof(uint32_t));
    if (out_->stats_.fell_back) {
      diags_.Warning(SourceLocation{policy().directory, 0, 0}, "tree-budget",
                     "the decision tree reached its budget of " + std::to_string(options_.max_nodes) +
                         " nodes; some leaves check their rules one by one");
    }
    out_->stats_.cond_nodes = out_->cond_nodes_.size();
    out_->stats_.bytes = out_->nodes_.size() * sizeof(internal::TreeNode) +
                         out_->class_maps_.size() * sizeof(uint16_t) +
                         out_->child_nodes_.size() * sizeof(uint32_t) +
                         out_->edges_.size() * sizeof(uint32_t) +
                         out_->leaf_entries_.size() * sizeof(internal::LeafEntry) +
                         out_->cond_nodes_.size() * sizeof(CondNode) +
                         out_->cond_children_.size() * sizeof(uint32_t) +
                         out_->clauses_.size() * sizeof(Clause) +
                         out_->effects_.size() * sizeof(CompiledEffects) +
                         out_->value_sets_.size() * sizeof(ValueSet);
  }

  // The registry columns Evaluate() must copy: every account slot that a tree node
  // tests, a condition reads (either side of same_as), an ads effect names, or the
  // labels' state comes from. Account ids, `known` and listings are set apart.
  void ChooseEvaluatedColumns() {
    std::array<bool, kMaxAccountAttributes> read{};
    auto mark = [&](const Slot& s) {
      if (s.scope == AttrScope::kAccount && s.index >= 0) read[static_cast<size_t>(s.index)] = true;
    };
    for (const internal::TreeNode& n : out_->nodes_) {
      if (n.attr >= 0) mark(n.slot);
    }
    for (const CondNode& n : out_->cond_nodes_) {
      if (n.kind != CondNode::Kind::kTest) continue;
      mark(n.slot);
      if (n.op == Op::kSameAs || n.op == Op::kNotSameAs) mark(n.other);
    }
    for (const Slot& s : out_->ads_attrs_) mark(s);
    if (out_->state_slot_ >= 0) read[static_cast<size_t>(out_->state_slot_)] = true;
    for (const CompiledPolicy::AccountColumn& col : out_->account_columns_) {
      if (read[static_cast<size_t>(col.slot)]) out_->evaluated_columns_.push_back(col);
    }
  }

  // Pass 4: the canonical dump, hashed.
  void HashTree() { out_->tree_hash_ = "sha256:" + internal::Sha256Hex(out_->DebugString()); }

  CompileOptions options_;
  std::unique_ptr<CompiledPolicy> out_;
  Diagnostics diags_;
  std::vector<std::vector<KeyConstraint>> clause_keys_;  // by clause
  std::map<std::array<uint64_t, 4>, uint32_t> value_set_index_;
};

Result<std::shared_ptr<const CompiledPolicy>> Compile(std::shared_ptr<const Policy> policy,
                                                      const CompileOptions& options) {
  return Compiler(std::move(policy), options).Run();
}

}  // namespace statemark
