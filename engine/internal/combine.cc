#include "engine/internal/combine.h"

#include <algorithm>

namespace statemark::internal {
namespace {

const CompiledEffects& EffectsOf(const CompiledPolicy& p, const AppliedClause& a) {
  return p.effects(p.clauses()[a.clause].effects);
}

// The label's placements rendered on this kind of request (precomputed by the compiler).
uint32_t VisiblePlacements(const CompiledLabel& l, bool is_ad) { return is_ad ? l.shown_ad : l.shown_organic; }

// The most restrictive level per surface, and whether the item is withheld everywhere.
void CombineLevels(const CompiledPolicy& p, Decision* d) {
  const int surfaces = p.surface_count();
  std::fill(d->levels.begin(), d->levels.end(), uint8_t{0});
  for (int i = 0; i < d->applied_count; ++i) {
    const CompiledEffects& e = EffectsOf(p, d->applied[static_cast<size_t>(i)]);
    for (int s = 0; s < surfaces; ++s) {
      if (e.levels[s] > static_cast<int>(d->levels[static_cast<size_t>(s)])) {
        d->levels[static_cast<size_t>(s)] = static_cast<uint8_t>(e.levels[s]);
      }
    }
  }
  d->withheld = surfaces > 0;
  const int withheld_level = p.vocabulary().withheld_level;
  for (int s = 0; s < surfaces; ++s) {
    d->withheld = d->withheld && d->levels[static_cast<size_t>(s)] >= withheld_level;
  }
}

// Whether the clause set some surface to the level that surface ended at (above the
// least restrictive level, which no rule needs to decide).
bool DecidedALevel(const CompiledPolicy& p, const Decision& d, const CompiledEffects& e) {
  for (int s = 0; s < p.surface_count(); ++s) {
    const int level = d.levels[static_cast<size_t>(s)];
    if (level > 0 && e.levels[s] == level) return true;
  }
  return false;
}

// The notice of the clause that decided a level, the highest layer first, then the
// lowest rule id (rules are indexed in id order).
void CombineNotice(const CompiledPolicy& p, Decision* d) {
  d->notice = -1;
  int best_layer = 99;
  uint32_t best_rule = 0;
  for (int i = 0; i < d->applied_count; ++i) {
    const AppliedClause& a = d->applied[static_cast<size_t>(i)];
    const CompiledEffects& e = EffectsOf(p, a);
    if (e.notice < 0 || !DecidedALevel(p, *d, e)) continue;
    const Clause& c = p.clauses()[a.clause];
    const int layer = static_cast<int>(c.layer);
    if (layer < best_layer || (layer == best_layer && c.rule < best_rule)) {
      best_layer = layer;
      best_rule = c.rule;
      d->notice = e.notice;
    }
  }
}

void AddLabel(Decision* d, uint16_t label, uint16_t state, uint32_t placements) {
  for (int i = 0; i < d->label_count; ++i) {
    RenderedLabel& l = d->labels[static_cast<size_t>(i)];
    if (l.label == label && l.state == state) {
      l.placements |= placements;
      return;
    }
  }
  if (d->label_count >= kMaxRenderedLabels) {
    d->overflow = true;
    return;
  }
  d->labels[static_cast<size_t>(d->label_count++)] = RenderedLabel{label, state, placements};
}

// Labels collect; nothing renders on a withheld item.
void CombineLabels(const CompiledPolicy& p, Decision* d) {
  d->label_count = 0;
  if (d->withheld) return;
  for (int i = 0; i < d->applied_count; ++i) {
    const AppliedClause& a = d->applied[static_cast<size_t>(i)];
    const CompiledEffects& e = EffectsOf(p, a);
    for (uint32_t k = 0; k < e.label_count; ++k) {
      const CompiledLabel& l = p.label_effect(e.label_begin + k);
      const uint32_t shown = VisiblePlacements(l, d->is_ad);
      if (shown == 0) continue;
      AddLabel(d, l.label, l.uses_state ? a.state : kNoCountry, shown);
    }
  }
  std::sort(d->labels.begin(), d->labels.begin() + d->label_count,
            [](const RenderedLabel& x, const RenderedLabel& y) {
              return x.label != y.label ? x.label < y.label : x.state < y.state;
            });
}

bool HasRenderedLabel(const CompiledPolicy& p, const Decision& d, const CompiledEffects& e) {
  if (d.withheld) return false;
  for (uint32_t k = 0; k < e.label_count; ++k) {
    if (VisiblePlacements(p.label_effect(e.label_begin + k), d.is_ad) != 0) return true;
  }
  return false;
}

ValueSet Targets(const CompiledPolicy& p, const Request& r) {
  return r.facts.sets[static_cast<size_t>(p.slot(p.vocabulary().attr_targets).set_index)];
}

// Whether applying the lifted clause on top of the final decision would change it:
// a more restrictive level, a label or friction that is not already there, a more
// restrictive monetization, or an ad country it would deny. (A clause that would
// withhold the item raises a level, so the first test covers it.)
bool WouldChange(const CompiledPolicy& p, const Request& r, const Decision& d, const Lift& lift) {
  const CompiledEffects& e = p.effects(p.clauses()[lift.clause].effects);
  for (int s = 0; s < p.surface_count(); ++s) {
    if (e.levels[s] > static_cast<int>(d.levels[static_cast<size_t>(s)])) return true;
  }
  if (e.monetization > d.monetization) return true;
  if (!d.withheld) {
    if ((e.friction & ~d.friction) != 0) return true;
    for (uint32_t k = 0; k < e.label_count; ++k) {
      const CompiledLabel& l = p.label_effect(e.label_begin + k);
      const uint32_t shown = VisiblePlacements(l, d.is_ad);
      if (shown == 0) continue;
      const uint16_t state = l.uses_state ? lift.state : kNoCountry;
      bool present = false;
      for (int i = 0; i < d.label_count; ++i) {
        const RenderedLabel& x = d.labels[static_cast<size_t>(i)];
        present = present || (x.label == l.label && x.state == state && (x.placements & shown) == shown);
      }
      if (!present) return true;
    }
  }
  if (d.is_ad && e.ads != AdsEffect::Kind::kNone) {
    AppliedClause as_applied;
    as_applied.clause = lift.clause;
    as_applied.state = lift.state;
    as_applied.ad_countries = lift.ad_countries;
    if (!(d.ad_allowed & ~AllowedBy(p, as_applied)).Empty()) return true;
  }
  (void)r;
  return false;
}

void AddRule(Decision* d, uint32_t rule) {
  for (int i = 0; i < d->rule_count; ++i) {
    if (d->rules[static_cast<size_t>(i)] == rule) return;
  }
  if (d->rule_count < kMaxAppliedClauses) d->rules[static_cast<size_t>(d->rule_count++)] = rule;
}

// The enforcing rules that decided some part of the decision.
// `targets`: the request's ad targets (empty on organic requests).
void CombineRules(const CompiledPolicy& p, const Request& r, const ValueSet& targets, Decision* d) {
  d->rule_count = 0;
  for (int i = 0; i < d->applied_count; ++i) {
    const AppliedClause& a = d->applied[static_cast<size_t>(i)];
    const CompiledEffects& e = EffectsOf(p, a);
    // (A notice counts only with a level the clause decided, which the first test covers.)
    const bool decided =
        DecidedALevel(p, *d, e) || HasRenderedLabel(p, *d, e) ||
        (!d->withheld && e.friction != 0) ||
        (d->monetization > 0 && e.monetization == d->monetization) ||
        (d->is_ad && !(targets & ~AllowedBy(p, a)).Empty());
    if (decided) AddRule(d, p.clauses()[a.clause].rule);
  }
  // An exemption shaped the decision when a clause it lifted would have changed it.
  for (int i = 0; i < d->lift_count; ++i) {
    const Lift& lift = d->lifts[static_cast<size_t>(i)];
    if (WouldChange(p, r, *d, lift)) AddRule(d, lift.exemption_rule);
  }
  std::sort(d->rules.begin(), d->rules.begin() + d->rule_count);
}

}  // namespace

ValueSet AllowedBy(const CompiledPolicy& p, const AppliedClause& a) {
  const CompiledEffects& e = EffectsOf(p, a);
  const int countries = static_cast<int>(p.vocabulary().domains[kCountryDomain].values.size());
  ValueSet named = p.value_set(e.ads_set);
  for (uint16_t c : a.ad_countries) {
    if (c != kNoCountry) named.Add(c);
  }
  switch (e.ads) {
    case AdsEffect::Kind::kNone: return ValueSet::All(countries);
    case AdsEffect::Kind::kDenyAll: return ValueSet();
    case AdsEffect::Kind::kAllowOnly: return named;
    case AdsEffect::Kind::kDeny: return ValueSet::All(countries) & ~named;
  }
  return ValueSet();
}

bool ClauseActsOn(const CompiledPolicy& p, const AppliedClause& a, bool is_ad) {
  const Clause& c = p.clauses()[a.clause];
  return is_ad ? c.acts_on_ad : c.acts_on_organic;
}

void Combine(const CompiledPolicy& p, const Request& r, Decision* d) {
  CombineLevels(p, d);
  CombineNotice(p, d);
  CombineLabels(p, d);
  d->friction = 0;
  d->monetization = 0;
  for (int i = 0; i < d->applied_count; ++i) {
    const CompiledEffects& e = EffectsOf(p, d->applied[static_cast<size_t>(i)]);
    if (!d->withheld) d->friction |= e.friction;
    d->monetization = std::max(d->monetization, static_cast<int>(e.monetization));
  }
  const ValueSet targets = d->is_ad ? Targets(p, r) : ValueSet();
  d->ad_allowed = targets;
  if (d->is_ad) {
    for (int i = 0; i < d->applied_count; ++i) {
      d->ad_allowed &= AllowedBy(p, d->applied[static_cast<size_t>(i)]);
    }
  }
  CombineRules(p, r, targets, d);
}

}  // namespace statemark::internal
