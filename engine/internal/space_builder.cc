#include "engine/internal/space_builder.h"

#include <re2/re2.h>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "engine/decision_json.h"
#include "engine/evaluator.h"
#include "engine/internal/combine.h"
#include "engine/request_parser.h"

namespace statemark {

using internal::Clause;
using internal::CondNode;
using internal::LeafEntry;
using internal::TreeNode;
using Kind = ClassCondition::Kind;

namespace {

constexpr int64_t kDay = int64_t{86400} * 1000000;

bool IsFinite(AttrType t) { return t == AttrType::kEnum || t == AttrType::kCountry || t == AttrType::kBool; }

int DomainSize(const Vocabulary& v, const Attribute& a) {
  if (a.type == AttrType::kBool) return 2;
  return static_cast<int>(v.domains[static_cast<size_t>(a.domain)].values.size());
}

// "viewer.country" -> {"viewer", "country"}.
std::pair<std::string, std::string> SplitAttr(const std::string& name) {
  const size_t dot = name.find('.');
  return {name.substr(0, dot), name.substr(dot + 1)};
}

bool InAdObject(const Attribute& a) { return a.name.rfind("ad.", 0) == 0; }

// What the builder knows about the requests of the class being built.
struct Store {
  std::vector<ValueSet> finite;            // per attribute; index domain_size is absent
  std::vector<ClassCondition> literals;    // everything else, in the order asserted
};

}  // namespace

class DecisionSpaceBuilder {
 public:
  DecisionSpaceBuilder(const std::vector<const CompiledPolicy*>& policies, const BuilderOptions& options,
                       const std::function<void(const FoundClass&)>& visit)
      : ps_(policies), options_(options), visit_(visit), v_(policies[0]->vocabulary()) {}

  Result<std::vector<std::string>> Run() {
    Prepare();
    for (const auto& [from, until] : Intervals()) {
      from_ = from;
      until_ = until;
      time_ = PickTime(from, until);
      PrepareProfiles();
      for (int s = 0; s < kSubjectKinds; ++s) {
        subject_ = static_cast<Subject>(s);
        std::vector<uint32_t> nodes;
        for (const CompiledPolicy* p : ps_) nodes.push_back(p->roots_[s]);
        Store store;
        store.finite = initial_;
        Walk(nodes, store);
        if (!failure_.empty()) break;
      }
      if (!failure_.empty()) break;
    }
    if (!failure_.empty()) {
      Diagnostics d;
      d.Error(SourceLocation{ps_[0]->policy().directory, 0, 0}, failure_code_, failure_);
      return d;
    }
    std::vector<std::string> limits(limits_.begin(), limits_.end());
    return limits;
  }

 private:
  // ---- Preparation ----

  void Prepare() {
    const size_t n = v_.attributes.size();
    initial_.resize(n);
    for (size_t i = 0; i < n; ++i) {
      const Attribute& a = v_.attributes[i];
      if (!IsFinite(a.type)) continue;
      const int ds = DomainSize(v_, a);
      ValueSet s = ValueSet::All(ds);
      if (static_cast<int>(i) != v_.attr_viewer_country && static_cast<int>(i) != v_.attr_kind &&
          static_cast<int>(i) != v_.attr_known && a.default_value < 0 && !a.required) {
        s.Add(ds);  // absent is possible
      }
      if (a.required && InAdObject(a)) s.Add(ds);  // absent on organic requests
      initial_[i] = s;
    }
    for (const CompiledPolicy* p : ps_) {
      std::map<std::pair<int, int>, int> by_slot;
      for (size_t i = 0; i < n; ++i) {
        const internal::Slot& slot = p->slot(static_cast<int>(i));
        if (slot.index >= 0) by_slot[{static_cast<int>(slot.scope), slot.index}] = static_cast<int>(i);
      }
      attr_of_slot_.push_back(std::move(by_slot));
    }
    organic_ = v_.kind_domain >= 0 ? v_.domains[static_cast<size_t>(v_.kind_domain)].Find("organic") : -1;
    ad_ = v_.kind_domain >= 0 ? v_.domains[static_cast<size_t>(v_.kind_domain)].Find("ad") : -1;
    // Candidate texts for string attributes: every literal and pattern bound the rules
    // name, and every string the registries hold.
    for (size_t k = 0; k < ps_.size(); ++k) {
      const CompiledPolicy& p = *ps_[k];
      const StringTable& strings = p.registry().strings();
      for (uint32_t i = 0; i < strings.size(); ++i) string_pool_.insert(std::string(strings.Get(i)));
      for (size_t r = 0; r < p.policy().regexes.size(); ++r) {
        std::string lo, hi;
        if (p.regex(static_cast<uint32_t>(r)).PossibleMatchRange(&lo, &hi, 16)) {
          string_pool_.insert(lo);
          string_pool_.insert(hi);
        }
      }
    }
    string_pool_.insert("sample");
    for (const CompiledPolicy* p : ps_) uses_account_id_literals_ = uses_account_id_literals_ || p->uses_account_id_;
  }

  int AttrOf(size_t policy, const internal::Slot& slot) const {
    auto it = attr_of_slot_[policy].find({static_cast<int>(slot.scope), slot.index});
    return it == attr_of_slot_[policy].end() ? -1 : it->second;
  }

  std::vector<std::pair<Instant, Instant>> Intervals() const {
    if (options_.at) return {{*options_.at, Instant{options_.at->micros + 1}}};
    std::set<int64_t> cuts;
    auto add = [&](int64_t t) {
      if (t != kBeginningOfTime.micros && t != kEndOfTime.micros) cuts.insert(t);
    };
    for (const CompiledPolicy* p : ps_) {
      for (const Clause& c : p->clauses()) {
        add(c.from);
        add(c.until);
      }
      const internal::Slot& time_slot = p->slot(v_.attr_time);
      for (const CondNode& n : p->cond_nodes_) {
        if (n.kind == CondNode::Kind::kTest && (n.op == Op::kBefore || n.op == Op::kAtOrAfter) &&
            n.slot.scope == time_slot.scope && n.slot.index == time_slot.index) {
          add(n.micros);
        }
      }
      const Registry& reg = p->registry();
      for (int a = 0; a < reg.size(); ++a) {
        for (const Listing& l : reg.Listings(a)) {
          add(l.from.micros);
          add(l.until.micros);
        }
        for (int c = 0; c < reg.column_count(); ++c) {
          if (reg.IsDated(c)) add(reg.EffectiveAt(a, c).micros);
        }
      }
    }
    std::vector<std::pair<Instant, Instant>> out;
    Instant from = kBeginningOfTime;
    for (int64_t t : cuts) {
      out.push_back({from, Instant{t}});
      from = Instant{t};
    }
    out.push_back({from, kEndOfTime});
    return out;
  }

  static Instant PickTime(Instant from, Instant until) {
    if (from != kBeginningOfTime) return from;
    // 2000-01-01T00:00:00Z when the interval reaches that far, else a day before its end.
    const int64_t y2k = int64_t{946684800} * 1000000;
    if (until.micros > y2k) return Instant{y2k};
    return Instant{until.micros - kDay};
  }

  // Registry accounts that can stand for an account in this interval: one per distinct
  // set of facts (policies differing in the registry keep accounts that differ apart).
  void PrepareProfiles() {
    profiles_.clear();
    const Registry& reg = ps_[0]->registry();
    std::set<std::string> seen;
    AccountFacts facts;
    for (int a = 0; a < reg.size(); ++a) {
      std::string key;
      for (size_t k = 0; k < ps_.size(); ++k) {
        const int index = k == 0 ? a : ps_[k]->registry().Find(reg.Id(a));
        if (index < 0) {
          key += "missing;";
          continue;
        }
        FillAccountFacts(*ps_[k], index, time_, &facts);
        for (size_t i = 0; i < v_.attributes.size(); ++i) {
          const Attribute& at = v_.attributes[i];
          if (at.scope != AttrScope::kAccount || static_cast<int>(i) == v_.attr_account_id) continue;
          const internal::Slot& slot = ps_[k]->slot(static_cast<int>(i));
          if (slot.index < 0) continue;
          const uint32_t value = facts.value[static_cast<size_t>(slot.index)];
          if (at.type == AttrType::kString) {
            key += value == kAbsent ? std::string("\x01") : std::string(facts.text[static_cast<size_t>(slot.index)]);
          } else {
            key += std::to_string(value);
          }
          key += ';';
        }
        for (size_t list = 0; list < v_.sanctions_lists.size(); ++list) {
          key += ListedAt(facts, static_cast<int>(list)) ? '1' : '0';
        }
        key += '|';
      }
      if (uses_account_id_literals_ || seen.insert(key).second) profiles_.push_back(a);
    }
  }

  bool ListedAt(const AccountFacts& facts, int list) const {
    for (const Listing& l : facts.listings) {
      if (l.list == list && l.from <= time_ && time_ < l.until) return true;
    }
    return false;
  }

  // ---- The joint walk ----

  void Walk(std::vector<uint32_t>& nodes, Store& store) {
    if (!failure_.empty()) return;
    for (size_t k = 0; k < ps_.size(); ++k) {
      const CompiledPolicy& p = *ps_[k];
      const TreeNode& node = p.nodes_[nodes[k]];
      if (node.attr < 0) continue;
      const int ds = node.slot.domain_size;
      const ValueSet current = store.finite[static_cast<size_t>(node.attr)];
      uint16_t classes = 0;
      for (int v = 0; v <= ds; ++v) classes = std::max<uint16_t>(classes, p.class_maps_[node.class_map + static_cast<uint32_t>(v)] + 1u);
      const uint32_t saved = nodes[k];
      for (uint16_t c = 0; c < classes; ++c) {
        ValueSet members;
        for (int v = 0; v <= ds; ++v) {
          if (p.class_maps_[node.class_map + static_cast<uint32_t>(v)] == c) members.Add(v);
        }
        const ValueSet narrowed = current & members;
        if (narrowed.Empty()) continue;
        store.finite[static_cast<size_t>(node.attr)] = narrowed;
        nodes[k] = p.child_nodes_[node.children + c];
        Walk(nodes, store);
      }
      nodes[k] = saved;
      store.finite[static_cast<size_t>(node.attr)] = current;
      return;
    }
    AtLeaves(nodes, store);
  }

  struct Candidate {
    size_t policy;
    const LeafEntry* entry;
    const Clause* clause;
  };

  void AtLeaves(const std::vector<uint32_t>& nodes, const Store& store) {
    const ValueSet kinds = store.finite[static_cast<size_t>(v_.attr_kind)];
    std::vector<Candidate> by_kind[2];
    for (int is_ad = 0; is_ad < 2; ++is_ad) by_kind[is_ad] = Candidates(nodes, is_ad == 1);
    // The kind matters only when some clause could act; otherwise one class covers both.
    if (kinds.Size() > 1 && by_kind[0].empty() && by_kind[1].empty()) {
      Store s = store;
      std::vector<bool> holds;
      Branch(by_kind[0], 0, s, holds, false);
      return;
    }
    for (int kind : {organic_, ad_}) {
      if (kind < 0 || !kinds.Contains(kind)) continue;
      const bool is_ad = kind == ad_;
      Store s = store;
      ValueSet only;
      only.Add(kind);
      s.finite[static_cast<size_t>(v_.attr_kind)] = only;
      const std::vector<Candidate>& candidates = by_kind[is_ad ? 1 : 0];
      std::vector<bool> holds(candidates.size(), false);
      Branch(candidates, 0, s, holds, is_ad);
    }
  }

  // The leaf entries that can change a decision of this kind in this interval: clauses
  // in force that act on the kind, and the exemptions that lift one of their rules.
  std::vector<Candidate> Candidates(const std::vector<uint32_t>& nodes, bool is_ad) const {
    std::vector<Candidate> candidates;
    for (size_t k = 0; k < ps_.size(); ++k) {
      const CompiledPolicy& p = *ps_[k];
      const TreeNode& leaf = p.nodes_[nodes[k]];
      std::set<uint32_t> acting_rules;
      for (uint32_t i = 0; i < leaf.leaf_count; ++i) {
        const LeafEntry& e = p.leaf_entries_[leaf.leaf_begin + i];
        const Clause& c = p.clauses_[e.clause];
        if (!Active(c) || c.exemption) continue;
        if (is_ad ? c.acts_on_ad : c.acts_on_organic) acting_rules.insert(c.rule);
      }
      for (uint32_t i = 0; i < leaf.leaf_count; ++i) {
        const LeafEntry& e = p.leaf_entries_[leaf.leaf_begin + i];
        const Clause& c = p.clauses_[e.clause];
        if (!Active(c)) continue;
        if (c.exemption) {
          bool relevant = false;
          for (uint32_t l = 0; l < c.lift_count; ++l) relevant = relevant || acting_rules.count(p.lifts_[c.lift_begin + l]) > 0;
          if (!relevant) continue;
        } else if (!(is_ad ? c.acts_on_ad : c.acts_on_organic)) {
          continue;
        }
        candidates.push_back({k, &e, &c});
      }
    }
    return candidates;
  }

  bool Active(const Clause& c) const { return c.from <= from_.micros && until_.micros <= c.until; }

  // Splits on the outcome of candidate i's condition, then the next.
  void Branch(const std::vector<Candidate>& cands, size_t i, Store& store, std::vector<bool>& holds, bool is_ad) {
    if (!failure_.empty()) return;
    if (i == cands.size()) {
      Emit(cands, store, holds, is_ad);
      return;
    }
    const Candidate& c = cands[i];
    if (c.entry->condition < 0) {
      holds[i] = true;
      Branch(cands, i + 1, store, holds, is_ad);
      return;
    }
    for (bool truth : {true, false}) {
      holds[i] = truth;
      Assert(c.policy, c.entry->condition, truth, store, [&](Store& s) { Branch(cands, i + 1, s, holds, is_ad); });
    }
  }

  // Calls `k` once for each disjoint way in which node `n` of policy `p` has outcome
  // `truth`, with the store narrowed accordingly.
  using Next = std::function<void(Store&)>;

  void Assert(size_t p, int32_t n, bool truth, Store& store, const Next& k) {
    const CompiledPolicy& pol = *ps_[p];
    const CondNode& node = pol.cond_nodes_[static_cast<size_t>(n)];
    switch (node.kind) {
      case CondNode::Kind::kTrue:
        if (truth) k(store);
        return;
      case CondNode::Kind::kNot:
        Assert(p, static_cast<int32_t>(pol.cond_children_[node.first]), !truth, store, k);
        return;
      case CondNode::Kind::kAll:
      case CondNode::Kind::kAny: {
        // all = true: every child true. all = false: the first false child, the ones
        // before it true. any is the dual.
        const bool conj = node.kind == CondNode::Kind::kAll;
        std::vector<int32_t> children;
        for (uint32_t i = 0; i < node.count; ++i) children.push_back(static_cast<int32_t>(pol.cond_children_[node.first + i]));
        if (truth == conj) {
          AssertAll(p, children, 0, truth, store, k);
        } else {
          for (size_t j = 0; j < children.size(); ++j) {
            std::vector<int32_t> prefix(children.begin(), children.begin() + static_cast<long>(j));
            AssertAll(p, prefix, 0, !truth, store, [&](Store& s) { Assert(p, children[j], truth, s, k); });
          }
        }
        return;
      }
      case CondNode::Kind::kTest:
        AssertTest(p, node, truth, store, k);
        return;
    }
  }

  void AssertAll(size_t p, const std::vector<int32_t>& nodes, size_t i, bool truth, Store& store, const Next& k) {
    if (i == nodes.size()) {
      k(store);
      return;
    }
    Assert(p, nodes[i], truth, store, [&](Store& s) { AssertAll(p, nodes, i + 1, truth, s, k); });
  }

  static bool SameAtom(const ClassCondition& a, const ClassCondition& b) {
    return a.kind == b.kind && a.attr == b.attr && a.other_attr == b.other_attr && a.values == b.values &&
           a.instant == b.instant && a.strings == b.strings && a.list == b.list;
  }

  void WithLiteral(Store& store, ClassCondition c, const Next& k) {
    // The same test met again (two candidates, or two versions of one rule): its
    // outcome is already decided on this branch.
    for (const ClassCondition& known : store.literals) {
      if (!SameAtom(known, c)) continue;
      if (known.positive == c.positive) k(store);
      return;
    }
    store.literals.push_back(std::move(c));
    k(store);
    store.literals.pop_back();
  }

  void AssertTest(size_t p, const CondNode& n, bool truth, Store& store, const Next& k) {
    const CompiledPolicy& pol = *ps_[p];
    const int attr = n.op == Op::kListedIn ? v_.attr_sanctions : AttrOf(p, n.slot);
    if (attr < 0) {
      Fail("internal-error", "a condition reads an attribute the vocabulary does not declare");
      return;
    }
    const Attribute& a = v_.attributes[static_cast<size_t>(attr)];
    ClassCondition c;
    c.attr = attr;
    if (IsFinite(a.type)) {
      if (n.op == Op::kSameAs || n.op == Op::kNotSameAs) {
        const int other = AttrOf(p, n.other);
        c.kind = Kind::kSame;
        c.other_attr = other;
        c.positive = (n.op == Op::kSameAs) == truth;
        if (!c.positive) {
          WithLiteral(store, c, k);
          return;
        }
        // Equal and present: both take values of the intersection.
        const int ds = n.slot.domain_size;
        const ValueSet a_set = store.finite[static_cast<size_t>(attr)];
        const ValueSet b_set = store.finite[static_cast<size_t>(other)];
        const ValueSet both = a_set & b_set & ValueSet::All(ds);
        if (both.Empty()) return;
        store.finite[static_cast<size_t>(attr)] = both;
        store.finite[static_cast<size_t>(other)] = both;
        WithLiteral(store, c, k);
        store.finite[static_cast<size_t>(attr)] = a_set;
        store.finite[static_cast<size_t>(other)] = b_set;
        return;
      }
      const int ds = n.slot.domain_size;
      ValueSet t;
      switch (n.op) {
        case Op::kIn: t = pol.value_sets_[n.first]; break;
        case Op::kNotIn: t = ValueSet::All(ds) & ~pol.value_sets_[n.first]; break;
        case Op::kIs: t.Add(n.flag ? 1 : 0); break;
        case Op::kPresent:
          if (n.flag) {
            t = ValueSet::All(ds);
          } else {
            t.Add(ds);
          }
          break;
        default: Fail("internal-error", "unexpected operator on a finite attribute"); return;
      }
      t &= ValueSet::All(ds + 1);
      if (!truth) t = ValueSet::All(ds + 1) & ~t;
      const ValueSet saved = store.finite[static_cast<size_t>(attr)];
      const ValueSet narrowed = saved & t;
      if (narrowed.Empty()) return;
      store.finite[static_cast<size_t>(attr)] = narrowed;
      k(store);
      store.finite[static_cast<size_t>(attr)] = saved;
      return;
    }
    if (attr == v_.attr_time) {
      // Constant over the interval: its bounds include every such instant.
      const bool at_start = n.op == Op::kBefore ? from_.micros < n.micros : from_.micros >= n.micros;
      const bool at_end = n.op == Op::kBefore ? until_.micros - 1 < n.micros : until_.micros - 1 >= n.micros;
      if (at_start != at_end) {
        Fail("internal-error", "a time interval straddles a `before` instant");
        return;
      }
      if (at_start == truth) k(store);
      return;
    }
    switch (n.op) {
      case Op::kListedIn:
        c.kind = Kind::kListedIn;
        c.list = n.list;
        c.positive = truth;
        WithLiteral(store, c, k);
        return;
      case Op::kIntersects:
      case Op::kContainsAll:
        c.kind = n.op == Op::kIntersects ? Kind::kIntersects : Kind::kContainsAll;
        c.values = pol.value_sets_[n.first];
        c.positive = truth;
        WithLiteral(store, c, k);
        return;
      case Op::kPresent:
        c.kind = IsSetType(a.type) ? Kind::kNonEmpty : Kind::kPresent;
        c.positive = n.flag == truth;
        WithLiteral(store, c, k);
        return;
      case Op::kBefore:
        c.kind = Kind::kBefore;
        c.instant = n.micros;
        c.positive = truth;
        WithLiteral(store, c, k);
        return;
      case Op::kAtOrAfter: {
        c.kind = Kind::kBefore;
        c.instant = n.micros;
        ClassCondition present;
        present.kind = Kind::kPresent;
        present.attr = attr;
        if (truth) {  // present and not before
          c.positive = false;
          WithLiteral(store, present, [&](Store& s) { WithLiteral(s, c, k); });
        } else {  // absent, or present and before
          present.positive = false;
          WithLiteral(store, present, k);
          c.positive = true;
          WithLiteral(store, c, k);
        }
        return;
      }
      case Op::kMatches:
        c.kind = Kind::kMatches;
        c.regex = static_cast<int>(n.first);
        c.strings = {pol.policy().regexes[n.first]};
        c.positive = truth;
        WithLiteral(store, c, k);
        return;
      case Op::kIn:
      case Op::kNotIn: {
        c.kind = Kind::kStrings;
        for (uint32_t i = 0; i < n.count; ++i) {
          const uint32_t id = pol.string_lists_[n.first + i];
          if (id != kAbsent && id != kUnknownString) c.strings.emplace_back(pol.registry().strings().Get(id));
        }
        if (n.op == Op::kIn) {
          c.positive = truth;
          WithLiteral(store, c, k);
          return;
        }
        ClassCondition present;
        present.kind = Kind::kPresent;
        present.attr = attr;
        if (truth) {  // present and none of them
          c.positive = false;
          WithLiteral(store, present, [&](Store& s) { WithLiteral(s, c, k); });
        } else {  // absent, or one of them
          present.positive = false;
          WithLiteral(store, present, k);
          c.positive = true;
          WithLiteral(store, c, k);
        }
        return;
      }
      default: Fail("internal-error", "unexpected operator"); return;
    }
  }

  void Fail(std::string code, std::string message) {
    if (failure_.empty()) {
      failure_code_ = std::move(code);
      failure_ = std::move(message);
    }
  }

  // ---- Samples ----

  // A witness: values for every attribute, and the subject account.
  struct Witness {
    int account = -1;                      // registry index in ps_[0], or -1 (inline)
    std::vector<uint32_t> finite;          // per attribute, value or domain_size (absent)
    std::vector<std::optional<ValueSet>> sets;
    std::vector<std::optional<int64_t>> instants;
    std::vector<std::optional<std::string>> strings;
  };

  void Emit(const std::vector<Candidate>& cands, const Store& store, const std::vector<bool>& holds, bool is_ad) {
    Witness w;
    if (!FindWitness(store, is_ad, &w)) return;
    if (++emitted_ > options_.max_classes) {
      Fail("too-many-classes", "the decision space has more than " + std::to_string(options_.max_classes) +
                                   " classes; give `--at` to decide at one instant");
      return;
    }
    const nlohmann::json sample = SampleJson(w, is_ad);
    FoundClass found;
    found.subject = subject_;
    found.from = from_;
    found.until = until_;
    found.conditions = Conditions(store, is_ad);
    found.sample = &sample;
    std::vector<Request> requests(ps_.size());
    std::vector<Decision> decisions(ps_.size());
    for (size_t k = 0; k < ps_.size(); ++k) {
      const CompiledPolicy& p = *ps_[k];
      RequestError error;
      if (!ParseRequest(p, sample, time_, &requests[k], &error)) {
        Fail("internal-error", "the sample request of a class is not a valid request (" + error.message +
                                   " at `" + error.path + "`): " + sample.dump());
        return;
      }
      Decision& d = decisions[k];
      Evaluate(p, requests[k], &d);
      int subject_account = -1;
      if (subject_ != Subject::kAccount) subject_account = p.registry().Find(ps_[0]->registry().Id(w.account));
      if (!Keep(p, requests[k], d, subject_account)) return;
      // The prediction: the candidates of this policy that hold, as the evaluator runs them.
      std::vector<std::pair<uint32_t, uint32_t>> want_lifts;  // (exemption rule, clause)
      std::vector<uint32_t> want_applied, want_shadow;
      std::vector<std::pair<uint32_t, uint32_t>> lifted;  // (rule, by)
      ClassOutcome out;
      for (size_t i = 0; i < cands.size(); ++i) {
        if (cands[i].policy != k || !holds[i]) continue;
        const Clause& c = *cands[i].clause;
        out.clauses.push_back(cands[i].entry->clause);
        if (c.exemption) {
          for (uint32_t l = 0; l < c.lift_count; ++l) lifted.push_back({p.lifts_[c.lift_begin + l], c.rule});
          continue;
        }
        bool was_lifted = false;
        for (const auto& [rule, by] : lifted) {
          if (rule != c.rule) continue;
          was_lifted = true;
          if (!c.shadow) want_lifts.push_back({by, cands[i].entry->clause});
        }
        if (!was_lifted) (c.shadow ? want_shadow : want_applied).push_back(cands[i].entry->clause);
      }
      std::vector<uint32_t> got_applied, got_shadow;
      std::vector<std::pair<uint32_t, uint32_t>> got_lifts;
      for (int i = 0; i < d.applied_count; ++i) got_applied.push_back(d.applied[static_cast<size_t>(i)].clause);
      for (int i = 0; i < d.shadow_count; ++i) got_shadow.push_back(d.shadow[static_cast<size_t>(i)].clause);
      for (int i = 0; i < d.lift_count; ++i) {
        got_lifts.push_back({d.lifts[static_cast<size_t>(i)].exemption_rule, d.lifts[static_cast<size_t>(i)].clause});
      }
      for (auto* v : {&want_applied, &want_shadow, &got_applied, &got_shadow}) std::sort(v->begin(), v->end());
      std::sort(want_lifts.begin(), want_lifts.end());
      std::sort(got_lifts.begin(), got_lifts.end());
      if (want_applied != got_applied || want_shadow != got_shadow || want_lifts != got_lifts) {
        std::string conds;
        for (const ClassCondition& c : found.conditions) conds += (conds.empty() ? "" : " ∧ ") + ConditionText(p, c);
        Fail("internal-error", "the evaluator decides the sample of a class otherwise than the class predicts (" +
                                   std::string(SubjectName(subject_)) + ": " + conds + "): " + sample.dump());
        return;
      }
      Recombine(p, requests[k], &d);
      out.request = &requests[k];
      out.decision = &d;
      out.summary = DecisionSummary(p, &requests[k], d);
      for (uint32_t c : want_applied) out.matched.push_back(ClauseName(p, c));
      for (uint32_t c : want_shadow) out.matched.push_back(ClauseName(p, c) + " (shadow)");
      for (const auto& [by, c] : want_lifts) out.matched.push_back(p.policy().rules[by].id + "→" + ClauseName(p, c));
      std::sort(out.matched.begin(), out.matched.end());
      out.matched.erase(std::unique(out.matched.begin(), out.matched.end()), out.matched.end());
      std::sort(out.clauses.begin(), out.clauses.end());
      found.outcomes.push_back(std::move(out));
    }
    visit_(found);
  }

  // Keeps in `d` only what the class's subject contributed.
  bool Keep(const CompiledPolicy& p, const Request& r, Decision& d, int account) const {
    (void)p;
    (void)r;
    if (d.overflow) return false;
    auto mine = [&](Subject s, int32_t a) { return s == subject_ && (subject_ == Subject::kAccount || a == account); };
    int n = 0;
    for (int i = 0; i < d.applied_count; ++i) {
      if (mine(d.applied[static_cast<size_t>(i)].subject, d.applied[static_cast<size_t>(i)].account)) d.applied[static_cast<size_t>(n++)] = d.applied[static_cast<size_t>(i)];
    }
    d.applied_count = n;
    n = 0;
    for (int i = 0; i < d.shadow_count; ++i) {
      if (mine(d.shadow[static_cast<size_t>(i)].subject, d.shadow[static_cast<size_t>(i)].account)) d.shadow[static_cast<size_t>(n++)] = d.shadow[static_cast<size_t>(i)];
    }
    d.shadow_count = n;
    n = 0;
    for (int i = 0; i < d.lift_count; ++i) {
      if (mine(d.lifts[static_cast<size_t>(i)].subject, d.lifts[static_cast<size_t>(i)].account)) d.lifts[static_cast<size_t>(n++)] = d.lifts[static_cast<size_t>(i)];
    }
    d.lift_count = n;
    return true;
  }

  // The conditions that define the class, in words-ready form.
  std::vector<ClassCondition> Conditions(const Store& store, bool is_ad) const {
    std::vector<ClassCondition> out;
    for (size_t i = 0; i < v_.attributes.size(); ++i) {
      const Attribute& a = v_.attributes[i];
      if (!IsFinite(a.type)) continue;
      ValueSet s = store.finite[i];
      ValueSet natural = initial_[i];
      if (static_cast<int>(i) == v_.attr_known && subject_ != Subject::kAccount) continue;
      if (InAdObject(a) && !is_ad) continue;  // no ad: its attributes are at their defaults
      if (InAdObject(a) && a.required) natural.Remove(DomainSize(v_, a));
      s &= natural;
      if (s == natural) continue;
      ClassCondition c;
      c.kind = Kind::kValues;
      c.attr = static_cast<int>(i);
      c.values = s;
      out.push_back(c);
    }
    std::set<std::string> seen;
    for (const ClassCondition& c : store.literals) {
      std::string key = ConditionText(*ps_[0], c);
      if (seen.insert(key).second) out.push_back(c);
    }
    return out;
  }

  // Finds values that satisfy the store: first with an account the request describes
  // inline (authors only), then with each distinct registry account.
  bool FindWitness(const Store& store, bool is_ad, Witness* w) {
    const size_t n = v_.attributes.size();
    w->finite.assign(n, 0);
    w->sets.assign(n, std::nullopt);
    w->instants.assign(n, std::nullopt);
    w->strings.assign(n, std::nullopt);
    if (!SolveRequestSide(store, is_ad, w)) return false;
    const ValueSet known = store.finite[static_cast<size_t>(v_.attr_known)];
    if (subject_ == Subject::kAccount && known.Contains(0) && SolveInlineAccount(store, w)) {
      w->account = -1;
      if (SolveRelations(store, is_ad, false, w)) return true;
    }
    if (!known.Contains(1)) return false;
    for (int a : profiles_) {
      if (SolveRegistryAccount(store, a, w) && SolveRelations(store, is_ad, true, w)) {
        w->account = a;
        return true;
      }
    }
    return false;
  }

  ValueSet Realizable(int attr, bool is_ad) const {
    const Attribute& a = v_.attributes[static_cast<size_t>(attr)];
    const int ds = DomainSize(v_, a);
    ValueSet s = initial_[static_cast<size_t>(attr)];
    if (attr == v_.attr_kind) {
      ValueSet k;
      k.Add(is_ad ? ad_ : organic_);
      return k;
    }
    if (InAdObject(a) && !is_ad) {
      ValueSet only;
      only.Add(a.default_value >= 0 ? a.default_value : ds);
      return only;
    }
    if (InAdObject(a) && a.required) s.Remove(ds);
    return s;
  }

  static uint32_t First(const ValueSet& s, int ds) {
    // A present value first: samples read better with values than with absences.
    int best = -1;
    s.ForEach([&](int v) {
      if (best < 0 && v < ds) best = v;
    });
    if (best < 0 && s.Contains(ds)) best = ds;
    return static_cast<uint32_t>(best);
  }

  bool SolveRequestSide(const Store& store, bool is_ad, Witness* w) {
    for (size_t i = 0; i < v_.attributes.size(); ++i) {
      const Attribute& a = v_.attributes[i];
      const int attr = static_cast<int>(i);
      if (a.scope == AttrScope::kAccount || attr == v_.attr_time) continue;
      if (IsFinite(a.type)) {
        const ValueSet s = store.finite[i] & Realizable(attr, is_ad);
        if (s.Empty()) return false;
        w->finite[i] = First(s, DomainSize(v_, a));
      } else if (IsSetType(a.type)) {
        std::optional<ValueSet> x = SolveSet(store, attr, is_ad);
        if (!x) return false;
        w->sets[i] = *x;
      } else if (a.type == AttrType::kInstant) {
        if (!SolveInstant(store, attr, is_ad, &w->instants[i])) return false;
      } else if (a.type == AttrType::kString) {
        if (!SolveString(store, attr, !InAdObject(a) || is_ad, false, &w->strings[i])) return false;
      }
    }
    return true;
  }

  bool SolveInlineAccount(const Store& store, Witness* w) {
    for (const ClassCondition& c : store.literals) {
      if (c.kind == Kind::kListedIn && c.positive) return false;  // listings come from the registry
    }
    for (size_t i = 0; i < v_.attributes.size(); ++i) {
      const Attribute& a = v_.attributes[i];
      const int attr = static_cast<int>(i);
      if (a.scope != AttrScope::kAccount || attr == v_.attr_sanctions) continue;
      if (attr == v_.attr_known) {
        w->finite[i] = 0;
      } else if (IsFinite(a.type)) {
        const ValueSet s = store.finite[i] & initial_[i];
        if (s.Empty()) return false;
        w->finite[i] = First(s, DomainSize(v_, a));
      } else if (a.type == AttrType::kString) {
        const bool is_id = attr == v_.attr_account_id;
        if (!SolveString(store, attr, true, is_id, &w->strings[i])) return false;
        if (is_id && !w->strings[i]) return false;
      }
    }
    if (!w->strings[static_cast<size_t>(v_.attr_account_id)]) return false;
    return true;
  }

  bool SolveRegistryAccount(const Store& store, int a, Witness* w) {
    for (size_t k = 0; k < ps_.size(); ++k) {
      const CompiledPolicy& p = *ps_[k];
      const int index = k == 0 ? a : p.registry().Find(ps_[0]->registry().Id(a));
      if (index < 0) return false;
      AccountFacts facts;
      FillAccountFacts(p, index, time_, &facts);
      for (size_t i = 0; i < v_.attributes.size(); ++i) {
        const Attribute& at = v_.attributes[i];
        if (at.scope != AttrScope::kAccount || static_cast<int>(i) == v_.attr_sanctions) continue;
        const internal::Slot& slot = p.slot(static_cast<int>(i));
        if (slot.index < 0) continue;
        const uint32_t value = facts.value[static_cast<size_t>(slot.index)];
        if (IsFinite(at.type)) {
          const int ds = DomainSize(v_, at);
          const uint32_t v = value == kAbsent || value >= static_cast<uint32_t>(ds) ? static_cast<uint32_t>(ds) : value;
          if (!store.finite[i].Contains(static_cast<int>(v))) return false;
          if (k == 0) w->finite[i] = v;
        } else if (at.type == AttrType::kString) {
          std::optional<std::string> text;
          if (static_cast<int>(i) == v_.attr_account_id) {
            text = std::string(facts.id);
          } else if (value != kAbsent) {
            text = std::string(facts.text[static_cast<size_t>(slot.index)]);
          }
          if (!StringHolds(p, store, static_cast<int>(i), text)) return false;
          if (k == 0) w->strings[i] = text;
        }
      }
      for (const ClassCondition& c : store.literals) {
        if (c.kind == Kind::kListedIn && ListedAt(facts, c.list) != c.positive) return false;
      }
    }
    return true;
  }

  // Same-as relations: backtracking over the finite attributes they join.
  bool SolveRelations(const Store& store, bool is_ad, bool registry_account, Witness* w) {
    std::vector<const ClassCondition*> rels;
    std::vector<int> attrs;
    for (const ClassCondition& c : store.literals) {
      if (c.kind != Kind::kSame) continue;
      rels.push_back(&c);
      for (int x : {c.attr, c.other_attr}) {
        if (std::find(attrs.begin(), attrs.end(), x) == attrs.end()) attrs.push_back(x);
      }
    }
    if (rels.empty()) return true;
    std::vector<std::vector<uint32_t>> options;
    for (int x : attrs) {
      const Attribute& a = v_.attributes[static_cast<size_t>(x)];
      std::vector<uint32_t> vals;
      if (a.scope == AttrScope::kAccount && registry_account) {
        vals.push_back(w->finite[static_cast<size_t>(x)]);
      } else {
        ValueSet s = store.finite[static_cast<size_t>(x)] & (a.scope == AttrScope::kAccount ? initial_[static_cast<size_t>(x)] : Realizable(x, is_ad));
        s.ForEach([&](int v) { vals.push_back(static_cast<uint32_t>(v)); });
      }
      options.push_back(std::move(vals));
    }
    std::vector<uint32_t> chosen(attrs.size());
    auto index_of = [&](int x) { return static_cast<size_t>(std::find(attrs.begin(), attrs.end(), x) - attrs.begin()); };
    std::function<bool(size_t)> go = [&](size_t i) -> bool {
      if (i == attrs.size()) return true;
      for (uint32_t v : options[i]) {
        chosen[i] = v;
        bool ok = true;
        for (const ClassCondition* r : rels) {
          const size_t ia = index_of(r->attr), ib = index_of(r->other_attr);
          if (ia > i || ib > i) continue;
          const int ds = DomainSize(v_, v_.attributes[static_cast<size_t>(r->attr)]);
          const bool same = chosen[ia] == chosen[ib] && chosen[ia] < static_cast<uint32_t>(ds);
          if (same != r->positive) {
            ok = false;
            break;
          }
        }
        if (ok && go(i + 1)) return true;
      }
      return false;
    };
    if (!go(0)) return false;
    for (size_t i = 0; i < attrs.size(); ++i) w->finite[static_cast<size_t>(attrs[i])] = chosen[i];
    return true;
  }

  std::optional<ValueSet> SolveSet(const Store& store, int attr, bool is_ad) const {
    const Attribute& a = v_.attributes[static_cast<size_t>(attr)];
    const int ds = DomainSize(v_, a);
    const bool must_be_empty = InAdObject(a) && !is_ad;
    const bool must_be_nonempty = attr == v_.attr_targets && is_ad;
    ValueSet required, forbidden;
    std::vector<ValueSet> hit, miss;  // intersects; contains_all negated
    for (const ClassCondition& c : store.literals) {
      if (c.attr != attr) continue;
      switch (c.kind) {
        case Kind::kIntersects:
          if (c.positive) {
            hit.push_back(c.values);
          } else {
            forbidden |= c.values;
          }
          break;
        case Kind::kContainsAll:
          if (c.positive) {
            required |= c.values;
          } else {
            miss.push_back(c.values);
          }
          break;
        case Kind::kNonEmpty:
          if (c.positive) {
            hit.push_back(ValueSet::All(ds));
          } else {
            forbidden |= ValueSet::All(ds);
          }
          break;
        default: break;
      }
    }
    if (must_be_nonempty) hit.push_back(ValueSet::All(ds));
    if (must_be_empty) forbidden |= ValueSet::All(ds);
    if (!(required & forbidden).Empty()) return std::nullopt;
    ValueSet chosen = required;
    std::function<bool(size_t)> go = [&](size_t i) -> bool {
      for (const ValueSet& m : miss) {
        if (chosen.ContainsAll(m)) return false;
      }
      if (i == hit.size()) return true;
      if (chosen.Intersects(hit[i])) return go(i + 1);
      bool found = false;
      (hit[i] & ~forbidden & ValueSet::All(ds)).ForEach([&](int v) {
        if (found) return;
        chosen.Add(v);
        if (go(i + 1)) {
          found = true;
          return;
        }
        chosen.Remove(v);
      });
      return found;
    };
    if (!go(0)) return std::nullopt;
    return chosen;
  }

  bool SolveInstant(const Store& store, int attr, bool is_ad, std::optional<int64_t>* out) const {
    const Attribute& a = v_.attributes[static_cast<size_t>(attr)];
    bool need_present = a.required && (!InAdObject(a) || is_ad);
    bool need_absent = InAdObject(a) && !is_ad;
    int64_t lo = kBeginningOfTime.micros, hi = kEndOfTime.micros;
    bool lo_set = false, hi_set = false;
    std::vector<int64_t> not_before;  // absent or >= t
    for (const ClassCondition& c : store.literals) {
      if (c.attr != attr) continue;
      if (c.kind == Kind::kPresent) (c.positive ? need_present : need_absent) = true;
      if (c.kind == Kind::kBefore) {
        if (c.positive) {
          need_present = true;
          hi = std::min(hi, c.instant);
          hi_set = true;
        } else {
          not_before.push_back(c.instant);
        }
      }
    }
    // Instants a request can write (RFC 3339 years 0001 to 9999).
    constexpr int64_t kFirst = int64_t{-62135596800} * 1000000, kLast = int64_t{253402300799} * 1000000;
    lo = std::max(lo, kFirst);
    hi = std::min(hi, kLast);
    if (need_present && need_absent) return false;
    if (!need_present) {
      *out = std::nullopt;  // absent satisfies every `not before`
      return true;
    }
    for (int64_t t : not_before) {
      lo = std::max(lo, t);
      lo_set = true;
    }
    if (lo >= hi) return false;
    if (lo_set) {
      *out = lo;
    } else if (hi_set) {
      *out = std::max(lo, hi - kDay);
    } else {
      *out = time_.micros;
    }
    return true;
  }

  bool StringHolds(const CompiledPolicy& p, const Store& store, int attr, const std::optional<std::string>& text) const {
    for (const ClassCondition& c : store.literals) {
      if (c.attr != attr) continue;
      bool holds = true;
      switch (c.kind) {
        case Kind::kPresent: holds = text.has_value(); break;
        case Kind::kStrings:
          holds = text && std::find(c.strings.begin(), c.strings.end(), *text) != c.strings.end();
          break;
        case Kind::kMatches: {
          const int r = RegexIndex(p, c.strings[0]);
          holds = text && r >= 0 && RE2::FullMatch(*text, p.regex(static_cast<uint32_t>(r)));
          break;
        }
        default: continue;
      }
      if (holds != c.positive) return false;
    }
    return true;
  }

  static int RegexIndex(const CompiledPolicy& p, const std::string& pattern) {
    const auto& all = p.policy().regexes;
    auto it = std::find(all.begin(), all.end(), pattern);
    return it == all.end() ? -1 : static_cast<int>(it - all.begin());
  }

  bool SolveString(const Store& store, int attr, bool may_be_present, bool is_id, std::optional<std::string>* out) {
    bool constrained = false;
    bool has_match = false;
    std::vector<std::string> literals;
    for (const ClassCondition& c : store.literals) {
      if (c.attr != attr) continue;
      constrained = true;
      if (c.kind == Kind::kMatches && c.positive) has_match = true;
      if (c.kind == Kind::kStrings) literals.insert(literals.end(), c.strings.begin(), c.strings.end());
    }
    auto ok = [&](const std::optional<std::string>& text) {
      if (text && !may_be_present) return false;
      if (text && is_id && ps_[0]->registry().Find(*text) >= 0) return false;
      for (const CompiledPolicy* p : ps_) {
        if (!StringHolds(*p, store, attr, text)) return false;
      }
      return true;
    };
    if (is_id) {
      for (int n = 0;; ++n) {
        std::string id = n == 0 ? "sample-account" : "sample-account-" + std::to_string(n);
        if (ps_[0]->registry().Find(id) < 0) {
          fresh_id_ = id;
          break;
        }
      }
    }
    if (!constrained) {
      *out = is_id ? std::optional<std::string>(fresh_id_) : std::nullopt;
      return true;
    }
    std::vector<std::optional<std::string>> tries;
    if (!is_id) tries.push_back(std::nullopt);
    for (const std::string& s : literals) tries.emplace_back(s);
    tries.emplace_back(is_id ? fresh_id_ : std::string("sample"));
    for (const std::string& s : string_pool_) tries.emplace_back(s);
    for (const auto& t : tries) {
      if (ok(t)) {
        *out = t;
        return true;
      }
    }
    if (has_match) limits_.insert("a class that needs a text matching a `matches` pattern is left out when none of the policy's own strings matches it");
    return false;
  }

  nlohmann::json SampleJson(const Witness& w, bool is_ad) const {
    nlohmann::json j = nlohmann::json::object();
    j["time"] = FormatRfc3339(time_);
    nlohmann::json objects = nlohmann::json::object();
    const bool inline_account = subject_ == Subject::kAccount && w.account < 0;
    std::string account_id;
    if (subject_ == Subject::kAccount) {
      account_id = inline_account ? *w.strings[static_cast<size_t>(v_.attr_account_id)]
                                  : std::string(ps_[0]->registry().Id(w.account));
    } else {
      for (int n = 0;; ++n) {
        account_id = n == 0 ? "sample-author" : "sample-author-" + std::to_string(n);
        bool clash = false;
        for (const CompiledPolicy* p : ps_) clash = clash || p->registry().Find(account_id) >= 0;
        if (!clash) break;
      }
    }
    objects["account"]["id"] = account_id;
    for (size_t i = 0; i < v_.attributes.size(); ++i) {
      const Attribute& a = v_.attributes[i];
      const int attr = static_cast<int>(i);
      if (a.builtin && attr != v_.attr_viewer_country && attr != v_.attr_targets) continue;
      if (a.scope == AttrScope::kAccount && (!inline_account || attr == v_.attr_account_id)) continue;
      const auto [object, field] = SplitAttr(a.name);
      if (object == "ad" && !is_ad) continue;
      nlohmann::json value;
      if (IsFinite(a.type)) {
        const uint32_t v = w.finite[i];
        const int ds = DomainSize(v_, a);
        if (v >= static_cast<uint32_t>(ds)) continue;
        if (a.type == AttrType::kBool) {
          value = v == 1;
        } else {
          value = v_.domains[static_cast<size_t>(a.domain)].values[v];
        }
      } else if (IsSetType(a.type)) {
        if (!w.sets[i] || w.sets[i]->Empty()) continue;
        value = nlohmann::json::array();
        w.sets[i]->ForEach([&](int v) { value.push_back(v_.domains[static_cast<size_t>(a.domain)].values[static_cast<size_t>(v)]); });
      } else if (a.type == AttrType::kInstant) {
        if (!w.instants[i]) continue;
        value = FormatRfc3339(Instant{*w.instants[i]});
      } else if (a.type == AttrType::kString) {
        if (!w.strings[i]) continue;
        value = *w.strings[i];
      } else {
        continue;
      }
      objects[object][field] = value;
    }
    if (is_ad && !objects.contains("ad")) objects["ad"] = nlohmann::json::object();
    if (subject_ == Subject::kLinkedAccount) {
      objects["content"]["links_to"] = nlohmann::json::array({std::string(ps_[0]->registry().Id(w.account))});
    } else if (subject_ == Subject::kResharedAccount) {
      objects["content"]["reshare_of"] = std::string(ps_[0]->registry().Id(w.account));
    }
    for (const char* name : {"viewer", "account", "content", "ad"}) {
      if (objects.contains(name)) j[name] = objects[name];
    }
    return j;
  }

  const std::vector<const CompiledPolicy*>& ps_;
  const BuilderOptions& options_;
  const std::function<void(const FoundClass&)>& visit_;
  const Vocabulary& v_;
  std::vector<ValueSet> initial_;
  std::vector<std::map<std::pair<int, int>, int>> attr_of_slot_;
  int organic_ = -1, ad_ = -1;
  std::set<std::string> string_pool_;
  std::set<std::string> limits_;
  std::vector<int> profiles_;
  bool uses_account_id_literals_ = false;
  std::string fresh_id_;
  Instant from_, until_, time_;
  Subject subject_ = Subject::kAccount;
  size_t emitted_ = 0;
  std::string failure_, failure_code_;
};

Result<std::vector<std::string>> EnumerateClasses(const std::vector<const CompiledPolicy*>& policies,
                                                  const BuilderOptions& options,
                                                  const std::function<void(const FoundClass&)>& visit) {
  return DecisionSpaceBuilder(policies, options, visit).Run();
}

void Recombine(const CompiledPolicy& policy, const Request& request, Decision* decision) {
  internal::Combine(policy, request, decision);
}

std::string ClauseName(const CompiledPolicy& policy, uint32_t clause) {
  const Clause& c = policy.clauses()[clause];
  std::string name = policy.policy().rules[c.rule].id;
  if (c.case_index >= 0) name += "#" + std::to_string(c.case_index);
  return name;
}

namespace {

const Effects& EffectsOfClause(const CompiledPolicy& p, uint32_t clause) {
  const Clause& c = p.clauses()[clause];
  const Rule& r = p.policy().rules[c.rule];
  return c.case_index < 0 ? r.then : r.cases[static_cast<size_t>(c.case_index)].then;
}

nlohmann::json AdsEntry(const CompiledPolicy& p, uint32_t clause) {
  const Effects& e = EffectsOfClause(p, clause);
  nlohmann::json entry;
  entry["rule"] = ClauseName(p, clause);
  switch (e.ads.kind) {
    case AdsEffect::Kind::kDenyAll: entry["deny_all"] = true; break;
    case AdsEffect::Kind::kAllowOnly: entry["allow_only"] = e.ads.countries.written; break;
    case AdsEffect::Kind::kDeny: entry["deny"] = e.ads.countries.written; break;
    case AdsEffect::Kind::kNone: break;
  }
  return entry;
}

}  // namespace

nlohmann::json DecisionSummary(const CompiledPolicy& policy, Request* request, const Decision& d) {
  const Vocabulary& v = policy.vocabulary();
  nlohmann::json j = nlohmann::json::object();
  nlohmann::json surfaces = nlohmann::json::object();
  for (size_t s = 0; s < v.surfaces.size(); ++s) surfaces[v.surfaces[s]] = v.levels[d.levels[s]];
  j["surfaces"] = surfaces;
  nlohmann::json labels = nlohmann::json::array();
  for (int i = 0; i < d.label_count; ++i) {
    const RenderedLabel& l = d.labels[static_cast<size_t>(i)];
    nlohmann::json placements = nlohmann::json::array();
    for (size_t k = 0; k < v.placements.size(); ++k) {
      if (l.placements & (1u << k)) placements.push_back(v.placements[k].name);
    }
    nlohmann::json label = {{"id", v.labels[l.label].id}, {"placements", placements}};
    if (std::find(labels.begin(), labels.end(), label) == labels.end()) labels.push_back(label);
  }
  j["labels"] = labels;
  j["notice"] = d.notice >= 0 ? nlohmann::json(v.notices[static_cast<size_t>(d.notice)].id) : nlohmann::json(nullptr);
  nlohmann::json friction = nlohmann::json::array();
  for (size_t f = 0; f < v.friction.size(); ++f) {
    if (d.friction & (1u << f)) friction.push_back(v.friction[f]);
  }
  j["friction"] = friction;
  j["monetization"] = v.monetization[static_cast<size_t>(d.monetization)];
  if (d.is_ad) {
    std::vector<nlohmann::json> ads;
    for (int i = 0; i < d.applied_count; ++i) {
      const uint32_t c = d.applied[static_cast<size_t>(i)].clause;
      if (policy.effects(policy.clauses()[c].effects).ads != AdsEffect::Kind::kNone) ads.push_back(AdsEntry(policy, c));
    }
    std::map<uint32_t, std::set<std::string>> lifted;
    for (int i = 0; i < d.lift_count; ++i) {
      const Lift& l = d.lifts[static_cast<size_t>(i)];
      if (policy.effects(policy.clauses()[l.clause].effects).ads != AdsEffect::Kind::kNone) {
        lifted[l.clause].insert(policy.policy().rules[l.exemption_rule].id);
      }
    }
    for (const auto& [c, by] : lifted) {
      nlohmann::json entry = AdsEntry(policy, c);
      entry["lifted_by"] = std::vector<std::string>(by.begin(), by.end());
      ads.push_back(entry);
    }
    std::sort(ads.begin(), ads.end(), [](const nlohmann::json& a, const nlohmann::json& b) { return a.dump() < b.dump(); });
    ads.erase(std::unique(ads.begin(), ads.end()), ads.end());
    j["ads"] = ads;
  }
  // `rules` for targets that every restriction allows: the ads part follows from `ads`.
  const int targets_set = policy.slot(v.attr_targets).set_index;
  Decision organic = d;
  ValueSet saved;
  if (targets_set >= 0) {
    saved = request->facts.sets[static_cast<size_t>(targets_set)];
    request->facts.sets[static_cast<size_t>(targets_set)] = ValueSet();
  }
  internal::Combine(policy, *request, &organic);
  if (targets_set >= 0) request->facts.sets[static_cast<size_t>(targets_set)] = saved;
  std::vector<std::string> rules;
  for (int i = 0; i < organic.rule_count; ++i) rules.push_back(policy.policy().rules[organic.rules[static_cast<size_t>(i)]].id);
  std::sort(rules.begin(), rules.end());
  j["rules"] = rules;
  if (d.shadow_count > 0) {
    // The contract's own `shadow` report, for this subject's shadow clauses.
    std::string text;
    AppendDecisionJson(policy, *request, d, &text);
    // The ads part of `would` depends on the request's targets; the rule's ads effect
    // is the same for every request of the class, so it is left out.
    nlohmann::json shadow = nlohmann::json::parse(text)["shadow"];
    for (auto& entry : shadow) {
      entry["would"].erase("ad");
      if (entry["would"].contains("labels")) {
        for (auto& label : entry["would"]["labels"]) label.erase("text");  // names the subject's state
      }
    }
    j["shadow"] = shadow;
  }
  return j;
}

std::optional<std::string> VocabularyDifference(const Vocabulary& a, const Vocabulary& b) {
  if (a.attributes.size() != b.attributes.size()) return std::string("the two versions declare different attributes");
  for (size_t i = 0; i < a.attributes.size(); ++i) {
    const Attribute& x = a.attributes[i];
    const Attribute& y = b.attributes[i];
    if (x.name != y.name || x.type != y.type || x.default_value != y.default_value || x.required != y.required ||
        x.open != y.open || x.dated != y.dated) {
      return "attribute `" + x.name + "` differs (or `" + y.name + "` stands in its place)";
    }
    if (x.domain >= 0 && a.domains[static_cast<size_t>(x.domain)].values != b.domains[static_cast<size_t>(y.domain)].values) {
      return "the values of `" + x.name + "` differ";
    }
  }
  if (a.surfaces != b.surfaces) return std::string("the surfaces differ");
  if (a.levels != b.levels) return std::string("the levels differ");
  if (a.monetization != b.monetization) return std::string("the monetization values differ");
  if (a.sanctions_lists.size() != b.sanctions_lists.size()) return std::string("the sanctions lists differ");
  for (size_t i = 0; i < a.sanctions_lists.size(); ++i) {
    if (a.sanctions_lists[i].name != b.sanctions_lists[i].name) return std::string("the sanctions lists differ");
  }
  return std::nullopt;
}

}  // namespace statemark
