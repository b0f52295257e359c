#include "engine/evaluator.h"

#include <re2/re2.h>

#include <algorithm>
#include <span>

#include "engine/internal/combine.h"

namespace statemark {

using internal::Clause;
using internal::CondNode;
using internal::LeafEntry;
using internal::TreeNode;

// Runs condition programs against one subject's facts. Recursion depth is bounded
// by the loader's nesting limit.
class ConditionRunner {
 public:
  ConditionRunner(const CompiledPolicy& p, const RequestFacts& request, const AccountFacts& account,
                  Instant time)
      : p_(p), request_(request), account_(account), time_(time.micros) {}

  bool Run(int32_t node) const {
    if (node < 0) return true;
    const CondNode& n = p_.cond_nodes_[static_cast<size_t>(node)];
    switch (n.kind) {
      case CondNode::Kind::kTrue: return true;
      case CondNode::Kind::kAll:
        for (uint32_t i = 0; i < n.count; ++i) {
          if (!Run(static_cast<int32_t>(p_.cond_children_[n.first + i]))) return false;
        }
        return true;
      case CondNode::Kind::kAny:
        for (uint32_t i = 0; i < n.count; ++i) {
          if (Run(static_cast<int32_t>(p_.cond_children_[n.first + i]))) return true;
        }
        return false;
      case CondNode::Kind::kNot: return !Run(static_cast<int32_t>(p_.cond_children_[n.first]));
      case CondNode::Kind::kTest: return Test(n);
    }
    return false;
  }

 private:
  uint32_t Value(const internal::Slot& s) const {
    return s.scope == AttrScope::kAccount ? account_.value[static_cast<size_t>(s.index)]
                                          : request_.value[static_cast<size_t>(s.index)];
  }
  std::string_view Text(const internal::Slot& s) const {
    return s.scope == AttrScope::kAccount ? account_.text[static_cast<size_t>(s.index)]
                                          : request_.text[static_cast<size_t>(s.index)];
  }

  bool InStrings(const CondNode& n, uint32_t v) const {
    auto begin = p_.string_lists_.begin() + n.first;
    return std::binary_search(begin, begin + n.count, v);
  }

  bool Test(const CondNode& n) const {
    const uint32_t v = Value(n.slot);
    switch (n.op) {
      case Op::kIn:
      case Op::kNotIn: {
        if (v == kAbsent) return false;
        const bool in = n.count > 0 ? InStrings(n, v) : p_.value_sets_[n.first].Contains(static_cast<int>(v));
        return in == (n.op == Op::kIn);
      }
      case Op::kIntersects:
        return request_.sets[static_cast<size_t>(n.slot.set_index)].Intersects(p_.value_sets_[n.first]);
      case Op::kContainsAll:
        return request_.sets[static_cast<size_t>(n.slot.set_index)].ContainsAll(p_.value_sets_[n.first]);
      case Op::kSameAs:
      case Op::kNotSameAs: {
        const uint32_t w = Value(n.other);
        const bool same = v != kAbsent && v == w;
        return same == (n.op == Op::kSameAs);
      }
      case Op::kIs: return v != kAbsent && v == (n.flag ? 1u : 0u);
      case Op::kMatches:
        return v != kAbsent && RE2::FullMatch(Text(n.slot), *p_.regexes_[n.first]);
      case Op::kBefore:
        return v != kAbsent && request_.micros[static_cast<size_t>(n.slot.index)] < n.micros;
      case Op::kAtOrAfter:
        return v != kAbsent && request_.micros[static_cast<size_t>(n.slot.index)] >= n.micros;
      case Op::kListedIn:
        for (const Listing& l : account_.listings) {
          if (l.list == n.list && l.from.micros <= time_ && time_ < l.until.micros) return true;
        }
        return false;
      case Op::kPresent:
        if (n.slot.set_index >= 0) {
          return !request_.sets[static_cast<size_t>(n.slot.set_index)].Empty() == n.flag;
        }
        return (v != kAbsent) == n.flag;
    }
    return false;
  }

  const CompiledPolicy& p_;
  const RequestFacts& request_;
  const AccountFacts& account_;
  int64_t time_;
};

// Walks the trees for each subject of one request.
class Evaluator {
 public:
  Evaluator(const CompiledPolicy& p, const Request& r, Decision* d) : p_(p), r_(r), d_(*d) {}

  void Run() {
    d_.time = r_.time;
    d_.is_ad = r_.is_ad;
    d_.applied_count = d_.lift_count = d_.shadow_count = 0;
    d_.overflow = false;
    // Only the columns the policy reads are copied (evaluated_columns_): the facts'
    // other slots stay unset, and nothing on this path reads them.
    AccountFacts subject;
    const auto read = [this](int index, AccountFacts* facts) {
      ReadAccount(p_, p_.evaluated_columns_, index, r_.time, facts);
    };
    Decide(Subject::kAccount, Author(p_, r_, &subject, read));
    for (int index : r_.linked_accounts) {
      read(index, &subject);
      Decide(Subject::kLinkedAccount, subject);
    }
    if (r_.reshared_account >= 0) {
      read(r_.reshared_account, &subject);
      Decide(Subject::kResharedAccount, subject);
    }
    internal::Combine(p_, r_, &d_);
  }

  // Sets `facts` to registry account `index` as of `time`, copying the given columns
  // (dated values before their date, and absent ones, read as the default), the
  // listings, the id and `known`.
  static void ReadAccount(const CompiledPolicy& policy, std::span<const CompiledPolicy::AccountColumn> columns,
                          int index, Instant time, AccountFacts* facts) {
    const Registry& registry = policy.registry();
    for (const CompiledPolicy::AccountColumn& col : columns) {
      uint32_t v = registry.Value(index, col.column);
      if (col.dated && v != kAbsent && time < registry.EffectiveAt(index, col.column)) {
        v = kAbsent;  // not yet in force
      }
      if (v == kAbsent) v = col.default_value;
      facts->value[static_cast<size_t>(col.slot)] = v;
      if (col.is_string) {
        facts->text[static_cast<size_t>(col.slot)] = v == kAbsent ? std::string_view() : registry.strings().Get(v);
      }
    }
    facts->listings = registry.Listings(index);
    facts->id = registry.Id(index);
    facts->registry_index = index;
    facts->value[static_cast<size_t>(policy.known_slot_)] = 1;
    if (policy.uses_account_id_) {
      facts->value[static_cast<size_t>(policy.id_slot_)] = registry.strings().Find(facts->id);
      facts->text[static_cast<size_t>(policy.id_slot_)] = facts->id;
    }
  }

  // The author's facts: read by `read_registered` when the registry holds the id, else
  // the request's inline ones (copied into *scratch only when a dated attribute is not
  // yet in force). Returns *scratch or the request's own inline facts.
  template <typename ReadRegistered>
  static const AccountFacts& Author(const CompiledPolicy& policy, const Request& request, AccountFacts* scratch,
                                    const ReadRegistered& read_registered) {
    const int index = policy.registry().Find(request.account_id);
    if (index >= 0) {
      read_registered(index, scratch);
      return *scratch;
    }
    // The parser gives every request a complete inline account (defaults applied, known
    // false), used as is unless a dated attribute is not yet in force.
    const AccountFacts* facts = &request.inline_account;
    if (!request.has_inline_account) return *facts;
    for (const auto& [slot, default_value] : policy.dated_account_slots_) {
      const size_t i = static_cast<size_t>(slot);
      if (i >= request.inline_effective_at.size() || request.time.micros >= request.inline_effective_at[i]) {
        continue;
      }
      if (facts != scratch) {
        *scratch = request.inline_account;
        facts = scratch;
      }
      scratch->value[i] = default_value;
    }
    return *facts;
  }

 private:
  const TreeNode& Leaf(Subject s, const AccountFacts& account) const {
    // Indexed by AttrScope, so that reading a key is a load, not a branch.
    static_assert(static_cast<int>(AttrScope::kRequest) == 0 && static_cast<int>(AttrScope::kAccount) == 1);
    const uint32_t* const values[2] = {r_.facts.value.data(), account.value.data()};
    const TreeNode* node = &p_.nodes_[p_.roots_[static_cast<int>(s)]];
    while (node->attr >= 0) {
      const internal::Slot& slot = node->slot;
      // kAbsent and values outside the domain read as the absent index, domain_size.
      const uint32_t v = std::min(values[static_cast<int>(slot.scope)][slot.index],
                                  static_cast<uint32_t>(slot.domain_size));
      // The edge table saves the class map's load; nodes past its budget have none.
      const uint32_t next = node->edges != internal::kNoEdges
                                ? p_.edges_[node->edges + v]
                                : p_.child_nodes_[node->children + p_.class_maps_[node->class_map + v]];
      node = &p_.nodes_[next];
    }
    return *node;
  }

  void Decide(Subject s, const AccountFacts& account) {
    const TreeNode& leaf = Leaf(s, account);
    const ConditionRunner runner(p_, r_.facts, account, r_.time);
    const int64_t t = r_.time.micros;
    // Exemptions come first in a leaf; what they lift is collected here.
    std::array<uint32_t, 64> lifted_rules;
    std::array<uint32_t, 64> lifted_by;
    size_t lifted = 0;
    for (uint32_t i = 0; i < leaf.leaf_count; ++i) {
      const LeafEntry& e = p_.leaf_entries_[leaf.leaf_begin + i];
      const Clause& c = p_.clauses_[e.clause];
      if (t < c.from || t >= c.until || !runner.Run(e.condition)) continue;
      if (c.exemption) {
        for (uint32_t k = 0; k < c.lift_count; ++k) {
          if (lifted == lifted_rules.size()) {
            d_.overflow = true;  // more lifts than tracked: refuse rather than guess
            break;
          }
          lifted_rules[lifted] = p_.lifts_[c.lift_begin + k];
          lifted_by[lifted++] = c.rule;
        }
        continue;
      }
      if (!(r_.is_ad ? c.acts_on_ad : c.acts_on_organic)) continue;
      const AppliedClause applied = MakeApplied(e.clause, s, account);
      bool was_lifted = false;
      for (size_t k = 0; k < lifted; ++k) {
        if (lifted_rules[k] != c.rule) continue;
        was_lifted = true;
        // A lifted shadow clause changes nothing that is enforced: nothing to record.
        if (!c.shadow) {
          Record(Lift{lifted_by[k], e.clause, s, account.registry_index, applied.state, applied.ad_countries});
        }
      }
      if (!was_lifted) Apply(applied, c.shadow);
    }
  }

  AppliedClause MakeApplied(uint32_t clause, Subject s, const AccountFacts& account) const {
    AppliedClause a;
    a.clause = clause;
    a.subject = s;
    a.account = account.registry_index;
    if (p_.state_slot_ >= 0) {
      const uint32_t state = account.value[static_cast<size_t>(p_.state_slot_)];
      a.state = state == kAbsent ? kNoCountry : static_cast<uint16_t>(state);
    }
    const internal::CompiledEffects& eff = p_.effects_[p_.clauses_[clause].effects];
    for (uint32_t k = 0; k < eff.ads_attr_count && k < a.ad_countries.size(); ++k) {
      const internal::Slot& slot = p_.ads_attrs_[eff.ads_attr_begin + k];
      const uint32_t v = account.value[static_cast<size_t>(slot.index)];
      a.ad_countries[k] = v == kAbsent ? kNoCountry : static_cast<uint16_t>(v);
    }
    return a;
  }

  void Apply(const AppliedClause& a, bool shadow) {
    int& count = shadow ? d_.shadow_count : d_.applied_count;
    auto& list = shadow ? d_.shadow : d_.applied;
    if (count >= kMaxAppliedClauses) {
      d_.overflow = true;
      return;
    }
    list[static_cast<size_t>(count++)] = a;
  }

  void Record(const Lift& lift) {
    if (d_.lift_count >= kMaxAppliedClauses) {
      d_.overflow = true;
      return;
    }
    d_.lifts[static_cast<size_t>(d_.lift_count++)] = lift;
  }

  const CompiledPolicy& p_;
  const Request& r_;
  Decision& d_;
};

// Every account attribute other than the built-in ones is a registry column, so
// copying every column sets every value a condition can read.
void FillAccountFacts(const CompiledPolicy& policy, int index, Instant time, AccountFacts* facts) {
  Evaluator::ReadAccount(policy, policy.account_columns_, index, time, facts);
}

const AccountFacts& AuthorFacts(const CompiledPolicy& policy, const Request& request,
                                AccountFacts* scratch) {
  return Evaluator::Author(policy, request, scratch, [&](int index, AccountFacts* facts) {
    FillAccountFacts(policy, index, request.time, facts);
  });
}

void FillAuthorFacts(const CompiledPolicy& policy, const Request& request, AccountFacts* facts) {
  const AccountFacts& author = AuthorFacts(policy, request, facts);
  if (&author != facts) *facts = author;
}

void Evaluate(const CompiledPolicy& policy, const Request& request, Decision* decision) {
  Evaluator(policy, request, decision).Run();
}

}  // namespace statemark
