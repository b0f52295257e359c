#include "bench/handwritten_policy.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace statemark::bench {
namespace {

int64_t Micros(const char* rfc3339) {
  InstantOrError t = ParseRfc3339(rfc3339);
  if (const auto* reason = std::get_if<std::string>(&t)) throw std::runtime_error(*reason);
  return std::get<Instant>(t).micros;
}

class Names {
 public:
  explicit Names(const CompiledPolicy& p) : p_(p), v_(p.vocabulary()) {}

  int Attr(const std::string& name) const { return Check(v_.FindAttribute(name), name); }
  int RequestSlot(const std::string& name) const { return p_.slot(Attr(name)).index; }
  int SetSlot(const std::string& name) const { return p_.slot(Attr(name)).set_index; }
  int AccountSlot(const std::string& name) const { return p_.slot(Attr(name)).index; }
  int Column(const std::string& name) const {
    return Check(p_.registry().Column(Attr(name)), name + " (registry column)");
  }
  uint32_t Default(const std::string& name) const {
    const int d = v_.attributes[static_cast<size_t>(Attr(name))].default_value;
    return d < 0 ? kAbsent : static_cast<uint32_t>(d);
  }
  uint32_t Value(const std::string& attr, const std::string& value) const {
    const Attribute& a = v_.attributes[static_cast<size_t>(Attr(attr))];
    return static_cast<uint32_t>(Check(v_.domains[static_cast<size_t>(a.domain)].Find(value), value));
  }
  uint32_t Country(const std::string& code) const {
    return static_cast<uint32_t>(Check(v_.domains[kCountryDomain].Find(code), code));
  }
  ValueSet Group(const std::string& name) const {
    return v_.groups[static_cast<size_t>(Check(v_.FindGroup(name), name))].members;
  }
  ValueSet Topics(std::initializer_list<const char*> names) const {
    ValueSet s;
    const Domain& topics = v_.domains[static_cast<size_t>(Check(DomainIndex("topics"), "topics"))];
    for (const char* n : names) s.Add(Check(topics.Find(n), n));
    return s;
  }
  int Surface(const std::string& n) const { return Check(v_.FindSurface(n), n); }
  uint8_t Level(const std::string& n) const { return static_cast<uint8_t>(Check(v_.FindLevel(n), n)); }
  uint16_t Label(const std::string& n) const { return static_cast<uint16_t>(Check(v_.FindLabel(n), n)); }
  uint32_t Placements(std::initializer_list<const char*> names) const {
    uint32_t bits = 0;
    for (const char* n : names) bits |= 1u << Check(v_.FindPlacement(n), n);
    return bits;
  }
  int Notice(const std::string& n) const { return Check(v_.FindNotice(n), n); }
  uint32_t Friction(const std::string& n) const {
    return 1u << Check(Vocabulary::FindIn(v_.friction, n), n);
  }
  int Monetization(const std::string& n) const { return Check(Vocabulary::FindIn(v_.monetization, n), n); }
  int List(const std::string& n) const { return Check(v_.FindSanctionsList(n), n); }
  const Window& Win(const std::string& n) const {
    return v_.windows[static_cast<size_t>(Check(v_.FindWindow(n), n))];
  }

 private:
  int DomainIndex(const std::string& name) const {
    for (size_t i = 0; i < v_.domains.size(); ++i) {
      if (v_.domains[i].name == name) return static_cast<int>(i);
    }
    return -1;
  }
  static int Check(int index, const std::string& name) {
    if (index < 0) throw std::runtime_error("the default policy's `" + name + "` is not in this policy");
    return index;
  }

  const CompiledPolicy& p_;
  const Vocabulary& v_;
};

}  // namespace

struct HandwrittenPolicy::Account {
  uint32_t aff, state, parent, edit, appeal, georole, dispute, integrity;
  std::span<const Listing> listings;
};

HandwrittenPolicy::HandwrittenPolicy(const CompiledPolicy& policy)
    : policy_(policy), registry_(policy.registry()) {
  const Names n(policy);
  const Vocabulary& v = policy.vocabulary();
  std::vector<std::string> ids;
  for (const Rule& r : policy.policy().rules) ids.push_back(r.id);
  const std::vector<std::string> expected = {"I1", "I2", "L1", "L2", "P1",  "P10", "P11",
                                             "P12", "P1b", "P2", "P3", "P4", "P5",  "P6",
                                             "P7", "P8", "P9", "X1", "X2", "X3"};
  if (ids != expected) throw std::runtime_error("the policy's rules are not the default policy's");
  viewer_slot_ = policy.slot(v.attr_viewer_country).index;
  targets_set_ = policy.slot(v.attr_targets).set_index;
  topics_set_ = n.SetSlot("content.topics");
  subjects_set_ = n.SetSlot("content.subject_countries");
  ad_topics_set_ = n.SetSlot("ad.topics");
  managed_slot_ = n.RequestSlot("ad.managed_by_platform_rep");
  first_impression_slot_ = n.RequestSlot("ad.first_impression_at");

  aff_slot_ = n.AccountSlot("account.affiliation");
  state_slot_ = n.AccountSlot("account.affiliated_state");
  parent_slot_ = n.AccountSlot("account.parent_entity");
  edit_slot_ = n.AccountSlot("account.editorial_independence");
  appeal_slot_ = n.AccountSlot("account.label_appeal");
  georole_slot_ = n.AccountSlot("account.geopolitical_role");
  dispute_slot_ = n.AccountSlot("account.government_in_dispute");
  integrity_slot_ = n.AccountSlot("account.integrity_status");
  aff_col_ = n.Column("account.affiliation");
  state_col_ = n.Column("account.affiliated_state");
  parent_col_ = n.Column("account.parent_entity");
  edit_col_ = n.Column("account.editorial_independence");
  appeal_col_ = n.Column("account.label_appeal");
  georole_col_ = n.Column("account.geopolitical_role");
  dispute_col_ = n.Column("account.government_in_dispute");
  integrity_col_ = n.Column("account.integrity_status");
  aff_default_ = n.Default("account.affiliation");
  edit_default_ = n.Default("account.editorial_independence");
  appeal_default_ = n.Default("account.label_appeal");
  integrity_default_ = n.Default("account.integrity_status");

  const std::string aff = "account.affiliation";
  none_ = n.Value(aff, "none");
  scm_ = n.Value(aff, "state_controlled_media");
  sam_ = n.Value(aff, "state_affiliated_media");
  staff_ = n.Value(aff, "state_media_staff");
  pfim_ = n.Value(aff, "publicly_funded_independent_media");
  gov_org_ = n.Value(aff, "government_organization");
  gov_off_ = n.Value(aff, "government_official");
  head_ = n.Value(aff, "head_of_state");
  party_ = n.Value(aff, "political_party");
  politician_ = n.Value(aff, "politician");
  independent_ = n.Value("account.editorial_independence", "independent");
  granted_ = n.Value("account.label_appeal", "granted");
  cio_removed_ = n.Value("account.integrity_status", "cio_network_removed");
  fi_banned_ = n.Value("account.integrity_status", "foreign_interference_banned");
  ru_ = n.Country("RU");
  gb_ = n.Country("GB");
  us_ = n.Country("US");
  zz_ = n.Country("ZZ");
  tv_novosti_ = registry_.strings().Find("TV-Novosti");
  rossiya_segodnya_ = registry_.strings().Find("Rossiya Segodnya");
  eu_list_ = n.List("eu_833_annex_xv");
  uk_list_ = n.List("uk_internet_sanctions_list");
  eu27_ = n.Group("EU27");
  news_politics_ = n.Group("NEWS_POLITICS");
  p9_topics_ = n.Topics({"elections_civic", "domestic_politics", "social_issues"});
  p10_topics_ = n.Topics({"elections_civic", "domestic_politics"});
  gb_set_.Add(static_cast<int>(gb_));
  us_set_.Add(static_cast<int>(us_));
  countries_ = static_cast<int>(v.domains[kCountryDomain].values.size());

  demoted_ = n.Level("demoted");
  ineligible_ = n.Level("ineligible");
  geo_blocked_ = n.Level("geo_blocked");
  removed_ = n.Level("removed");
  withheld_level_ = static_cast<uint8_t>(v.withheld_level);
  for_you_ = n.Surface("for_you");
  explore_ = n.Surface("explore");
  search_ = n.Surface("search");
  surfaces_ = policy.surface_count();
  label_scm_ = n.Label("state_controlled_media");
  label_sam_ = n.Label("state_affiliated_media");
  label_gov_org_ = n.Label("government_organization");
  label_gov_off_ = n.Label("government_official");
  label_link_ = n.Label("state_media_link");
  placements_scm_ = n.Placements({"profile", "post", "ad"});
  placements_gov_ = n.Placements({"profile", "post"});
  placements_link_ = n.Placements({"post"});
  placements_embedded_ = n.Placements({"embedded_post"});
  organic_visible_ = ad_visible_ = 0;
  for (size_t i = 0; i < v.placements.size(); ++i) {
    if (v.placements[i].on_organic) organic_visible_ |= 1u << i;
    if (v.placements[i].on_ad) ad_visible_ |= 1u << i;
  }
  legal_notice_ = n.Notice("legal_demand");
  click_ = n.Friction("click_interstitial");
  share_ = n.Friction("share_interstitial");
  deny_monetization_ = n.Monetization("deny");

  p3_from_ = Micros("2021-02-17T00:00:00Z");
  p4_from_ = Micros("2024-05-23T00:00:00Z");
  p5_from_ = Micros("2022-04-05T00:00:00Z");
  p7_from_ = Micros("2022-02-26T00:00:00Z");
  i2_from_ = Micros("2024-09-23T00:00:00Z");
  p11_from_ = Micros("2022-02-28T00:00:00Z");
  p12_from_ = Micros("2022-03-08T00:00:00Z");
  us_ads_from_ = n.Win("US-2024-ads").from.micros;
  us_ads_until_ = n.Win("US-2024-ads").until.micros;
  gb_from_ = n.Win("GB-2024").from.micros;
  gb_until_ = n.Win("GB-2024").until.micros;
}

void HandwrittenPolicy::ReadRegistered(int index, int64_t time, Account* a) const {
  auto value = [&](int column, uint32_t fallback) {
    const uint32_t v = registry_.Value(index, column);
    return v == kAbsent ? fallback : v;
  };
  a->aff = value(aff_col_, aff_default_);
  a->state = registry_.Value(index, state_col_);
  a->parent = registry_.Value(index, parent_col_);
  a->edit = value(edit_col_, edit_default_);
  a->appeal = value(appeal_col_, appeal_default_);
  a->georole = registry_.Value(index, georole_col_);
  a->dispute = registry_.Value(index, dispute_col_);
  a->integrity = registry_.Value(index, integrity_col_);
  if (a->integrity == kAbsent || time < registry_.EffectiveAt(index, integrity_col_).micros) {
    a->integrity = integrity_default_;
  }
  a->listings = registry_.Listings(index);
}

void HandwrittenPolicy::ReadInline(const Request& r, Account* a) const {
  const auto& v = r.inline_account.value;
  a->aff = v[static_cast<size_t>(aff_slot_)];
  a->state = v[static_cast<size_t>(state_slot_)];
  a->parent = v[static_cast<size_t>(parent_slot_)];
  a->edit = v[static_cast<size_t>(edit_slot_)];
  a->appeal = v[static_cast<size_t>(appeal_slot_)];
  a->georole = v[static_cast<size_t>(georole_slot_)];
  a->dispute = v[static_cast<size_t>(dispute_slot_)];
  a->integrity = v[static_cast<size_t>(integrity_slot_)];
  if (r.has_inline_account &&
      r.time.micros < r.inline_effective_at[static_cast<size_t>(integrity_slot_)]) {
    a->integrity = integrity_default_;
  }
  a->listings = {};
}

namespace {

bool ListedIn(const std::span<const Listing>& listings, int list, int64_t t) {
  for (const Listing& l : listings) {
    if (l.list == list && l.from.micros <= t && t < l.until.micros) return true;
  }
  return false;
}

void Raise(HandwrittenDecision* d, int surface, uint8_t level) {
  uint8_t& current = d->levels[static_cast<size_t>(surface)];
  current = std::max(current, level);
}

void RaiseAll(HandwrittenDecision* d, int surfaces, uint8_t level) {
  for (int s = 0; s < surfaces; ++s) Raise(d, s, level);
}

// Labels are kept sorted by (label, state); equal pairs merge their placements.
void AddLabel(HandwrittenDecision* d, uint16_t label, uint16_t state, uint32_t placements) {
  if (placements == 0) return;
  int i = 0;
  while (i < d->label_count) {
    RenderedLabel& l = d->labels[static_cast<size_t>(i)];
    if (l.label == label && l.state == state) {
      l.placements |= placements;
      return;
    }
    if (l.label > label || (l.label == label && l.state > state)) break;
    ++i;
  }
  if (d->label_count == kMaxRenderedLabels) return;
  for (int k = d->label_count; k > i; --k) {
    d->labels[static_cast<size_t>(k)] = d->labels[static_cast<size_t>(k - 1)];
  }
  d->labels[static_cast<size_t>(i)] = RenderedLabel{label, state, placements};
  ++d->label_count;
}

uint16_t State(uint32_t state) { return state == kAbsent ? kNoCountry : static_cast<uint16_t>(state); }

}  // namespace

void HandwrittenPolicy::Decide(const Request& r, HandwrittenDecision* d) const {
  d->levels.fill(0);
  d->notice = -1;
  d->friction = 0;
  d->monetization = 0;
  d->label_count = 0;
  d->ad_allowed = r.is_ad ? r.facts.sets[static_cast<size_t>(targets_set_)] : ValueSet();
  Account a;
  const int index = registry_.Find(r.account_id);
  if (index >= 0) {
    ReadRegistered(index, r.time.micros, &a);
  } else {
    ReadInline(r, &a);
  }
  DecideAuthor(r, a, d);
  for (int linked : r.linked_accounts) {
    ReadRegistered(linked, r.time.micros, &a);
    DecideLinked(r, a, d);
  }
  if (r.reshared_account >= 0) {
    ReadRegistered(r.reshared_account, r.time.micros, &a);
    DecideReshared(r, a, d);
  }
  Finish(r, d);
}

// The author: I1, I2, L1, L2, P1-P10, with exemptions X1-X3.
void HandwrittenPolicy::DecideAuthor(const Request& r, const Account& a, HandwrittenDecision* d) const {
  const int64_t t = r.time.micros;
  const uint32_t viewer = r.facts.value[static_cast<size_t>(viewer_slot_)];
  const ValueSet& topics = r.facts.sets[static_cast<size_t>(topics_set_)];
  const bool ad = r.is_ad;
  const uint32_t visible = ad ? ad_visible_ : organic_visible_;
  const bool state_media = a.aff == scm_ || a.aff == sam_;
  const bool x1 = a.aff == pfim_ || a.edit == independent_ || a.appeal == granted_;
  const bool x2 = (a.aff == gov_org_ || a.aff == gov_off_) && a.georole == 0;
  const bool x3 = a.dispute == 1;

  // I1, I2: removed everywhere, no ads.
  if (a.integrity == cio_removed_ || a.integrity == fi_banned_ ||
      (t >= i2_from_ && state_media && a.parent != kAbsent &&
       (a.parent == tv_novosti_ || a.parent == rossiya_segodnya_))) {
    RaiseAll(d, surfaces_, removed_);
    if (ad) d->ad_allowed = ValueSet();
  }
  // L1, L2: ads denied in the jurisdiction; withheld from its viewers (and unknown ones).
  if (ListedIn(a.listings, eu_list_, t)) {
    if (ad) d->ad_allowed &= ~eu27_;
    if (viewer != kAbsent && (eu27_.Contains(static_cast<int>(viewer)) || viewer == zz_)) {
      RaiseAll(d, surfaces_, geo_blocked_);
      d->notice = legal_notice_;
    }
  }
  if (ListedIn(a.listings, uk_list_, t)) {
    if (ad) d->ad_allowed &= ~gb_set_;
    if (viewer == gb_ || viewer == zz_) {
      RaiseAll(d, surfaces_, geo_blocked_);
      d->notice = legal_notice_;
    }
  }
  // P1, P1b, P2, P3: labels.
  const uint16_t state = State(a.state);
  if (!x1 && a.aff == scm_) AddLabel(d, label_scm_, state, placements_scm_ & visible);
  if (!x1 && (a.aff == sam_ || a.aff == staff_)) AddLabel(d, label_sam_, state, placements_scm_ & visible);
  if (!x2 && !x3 && a.aff == gov_org_) AddLabel(d, label_gov_org_, state, placements_gov_ & visible);
  if (!x2 && !x3 && a.aff == gov_off_) AddLabel(d, label_gov_off_, state, placements_gov_ & visible);
  if (!x3 && t >= p3_from_ && a.aff == head_) AddLabel(d, label_gov_off_, state, placements_gov_ & visible);
  // P4: state media on news and politics, foreign viewers.
  if (!x1 && t >= p4_from_ && state_media && topics.Intersects(news_politics_) && viewer != kAbsent &&
      (a.state == kAbsent || viewer != a.state)) {
    Raise(d, for_you_, ineligible_);
    Raise(d, explore_, ineligible_);
    Raise(d, search_, demoted_);
  }
  // P5: governments of states that restrict information in a conflict.
  if (t >= p5_from_ && (a.aff == gov_org_ || a.aff == gov_off_ || a.aff == head_) && a.state == ru_) {
    Raise(d, for_you_, ineligible_);
    Raise(d, explore_, ineligible_);
    Raise(d, search_, demoted_);
  }
  if (ad) {
    // P6: state media advertise only in their own state.
    if (!x1 && t >= p4_from_ && state_media) {
      ValueSet own;
      if (a.state != kAbsent) own.Add(static_cast<int>(a.state));
      d->ad_allowed &= own;
    }
    // P7: Russian state media and staff: no ads, no monetization.
    if (t >= p7_from_ && (state_media || a.aff == staff_) && a.state == ru_) {
      d->ad_allowed = ValueSet();
      d->monetization = deny_monetization_;
    }
    // P8: governments, politicians and parties, unless a platform rep manages it.
    if (a.aff == gov_off_ || a.aff == head_ || a.aff == party_ || a.aff == politician_ ||
        (a.aff == gov_org_ && r.facts.value[static_cast<size_t>(managed_slot_)] == 0)) {
      d->ad_allowed = ValueSet();
    }
    // P9: new political ads targeting the US before the 2024 election.
    const uint32_t first = r.facts.value[static_cast<size_t>(first_impression_slot_)];
    if (t >= us_ads_from_ && t < us_ads_until_ &&
        r.facts.sets[static_cast<size_t>(ad_topics_set_)].Intersects(p9_topics_) &&
        r.facts.sets[static_cast<size_t>(targets_set_)].Intersects(us_set_) &&
        !(first != kAbsent &&
          r.facts.micros[static_cast<size_t>(first_impression_slot_)] < us_ads_from_)) {
      d->ad_allowed &= ~us_set_;
    }
  }
  // P10: foreign state media on UK elections, GB viewers, during the campaign.
  if (!x1 && t >= gb_from_ && t < gb_until_ && (state_media || a.aff == staff_) && a.state != kAbsent &&
      a.state != gb_ && r.facts.sets[static_cast<size_t>(subjects_set_)].Intersects(gb_set_) &&
      topics.Intersects(p10_topics_) && viewer == gb_) {
    Raise(d, for_you_, ineligible_);
    Raise(d, explore_, ineligible_);
    Raise(d, search_, ineligible_);
  }
}

// A linked outlet: L1 and P11 (lifted by the outlet's X1).
void HandwrittenPolicy::DecideLinked(const Request& r, const Account& a, HandwrittenDecision* d) const {
  const int64_t t = r.time.micros;
  const uint32_t viewer = r.facts.value[static_cast<size_t>(viewer_slot_)];
  if (ListedIn(a.listings, eu_list_, t)) {
    if (r.is_ad) d->ad_allowed &= ~eu27_;
    if (viewer != kAbsent && (eu27_.Contains(static_cast<int>(viewer)) || viewer == zz_)) {
      RaiseAll(d, surfaces_, geo_blocked_);
      d->notice = legal_notice_;
    }
  }
  const bool x1 = a.aff == pfim_ || a.edit == independent_ || a.appeal == granted_;
  if (!x1 && t >= p11_from_ && (a.aff == scm_ || a.aff == sam_)) {
    AddLabel(d, label_link_, State(a.state), placements_link_ & (r.is_ad ? ad_visible_ : organic_visible_));
    Raise(d, for_you_, demoted_);
    Raise(d, explore_, demoted_);
    Raise(d, search_, demoted_);
    d->friction |= click_;
  }
}

// A reshared account: P12 (lifted by its X1).
void HandwrittenPolicy::DecideReshared(const Request& r, const Account& a, HandwrittenDecision* d) const {
  const bool x1 = a.aff == pfim_ || a.edit == independent_ || a.appeal == granted_;
  if (x1 || r.time.micros < p12_from_ || (a.aff != scm_ && a.aff != sam_)) return;
  Raise(d, for_you_, demoted_);
  d->friction |= share_;
  const uint32_t shown = placements_embedded_ & (r.is_ad ? ad_visible_ : organic_visible_);
  AddLabel(d, a.aff == scm_ ? label_scm_ : label_sam_, State(a.state), shown);
}

// Withheld items render no labels and no friction; the legal notice stays only while
// geo-blocking is what decided the surfaces (a removal overrides it).
void HandwrittenPolicy::Finish(const Request& r, HandwrittenDecision* d) const {
  (void)r;
  bool withheld = surfaces_ > 0;
  bool geo_blocked_somewhere = false;
  for (int s = 0; s < surfaces_; ++s) {
    withheld = withheld && d->levels[static_cast<size_t>(s)] >= withheld_level_;
    geo_blocked_somewhere = geo_blocked_somewhere || d->levels[static_cast<size_t>(s)] == geo_blocked_;
  }
  if (!geo_blocked_somewhere) d->notice = -1;
  if (withheld) {
    d->label_count = 0;
    d->friction = 0;
  }
}

bool SameOutcome(const CompiledPolicy& policy, const Request& request, const Decision& engine,
                 const HandwrittenDecision& hand, std::string* difference) {
  const Vocabulary& v = policy.vocabulary();
  for (int s = 0; s < policy.surface_count(); ++s) {
    const size_t i = static_cast<size_t>(s);
    if (engine.levels[i] != hand.levels[i]) {
      *difference = "surface " + v.surfaces[i] + ": engine " + v.levels[engine.levels[i]] + ", hand-written " +
                    v.levels[hand.levels[i]];
      return false;
    }
  }
  if (engine.notice != hand.notice) {
    *difference = "notice: engine " + std::to_string(engine.notice) + ", hand-written " + std::to_string(hand.notice);
    return false;
  }
  if (engine.friction != hand.friction) {
    *difference = "friction";
    return false;
  }
  if (engine.monetization != hand.monetization) {
    *difference = "monetization";
    return false;
  }
  if (request.is_ad && !(engine.ad_allowed == hand.ad_allowed)) {
    *difference = "ads: allowed countries differ";
    return false;
  }
  if (engine.label_count != hand.label_count) {
    *difference = "labels: engine " + std::to_string(engine.label_count) + ", hand-written " +
                  std::to_string(hand.label_count);
    return false;
  }
  for (int i = 0; i < engine.label_count; ++i) {
    const RenderedLabel& e = engine.labels[static_cast<size_t>(i)];
    const RenderedLabel& h = hand.labels[static_cast<size_t>(i)];
    if (e.label != h.label || e.state != h.state || e.placements != h.placements) {
      *difference = "label " + std::to_string(i) + ": engine " + v.labels[e.label].id + " placements " +
                    std::to_string(e.placements) + ", hand-written " + v.labels[h.label].id + " placements " +
                    std::to_string(h.placements);
      return false;
    }
  }
  return true;
}

}  // namespace statemark::bench
