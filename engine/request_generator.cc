#include "engine/request_generator.h"

#include <algorithm>

namespace statemark {
namespace {

void CollectConditionCountries(const Condition& c, const Vocabulary& v, ValueSet* countries,
                               std::vector<int64_t>* edges) {
  if (c.kind == Condition::Kind::kTest) {
    const Attribute& a = v.attributes[static_cast<size_t>(c.attr)];
    if (a.domain == kCountryDomain) *countries |= c.values;
    if (c.op == Op::kBefore || c.op == Op::kAtOrAfter) edges->push_back(c.instant.micros);
  }
  for (const Condition& child : c.children) CollectConditionCountries(child, v, countries, edges);
}

}  // namespace

RequestGenerator::RequestGenerator(const CompiledPolicy& policy, GeneratorOptions options)
    : policy_(policy), options_(std::move(options)), rng_(options_.seed) {
  const Vocabulary& v = policy.vocabulary();
  const Policy& p = policy.policy();
  ValueSet mentioned;
  for (const Rule& r : p.rules) {
    if (r.from != kBeginningOfTime) edges_.push_back(r.from.micros);
    if (r.until != kEndOfTime) edges_.push_back(r.until.micros);
    if (r.has_when) CollectConditionCountries(r.when, v, &mentioned, &edges_);
    for (const Case& c : r.cases) CollectConditionCountries(c.when, v, &mentioned, &edges_);
    mentioned |= r.then.ads.countries.fixed;
  }
  const Registry& reg = policy.registry();
  for (int i = 0; i < reg.size(); ++i) {
    registered_.emplace_back(reg.Id(i));
    for (const Listing& l : reg.Listings(i)) {
      if (l.from != kBeginningOfTime) edges_.push_back(l.from.micros);
      if (l.until != kEndOfTime) edges_.push_back(l.until.micros);
    }
    for (int c = 0; c < reg.column_count(); ++c) {
      const Attribute& a = v.attributes[static_cast<size_t>(reg.ColumnAttribute(c))];
      const uint32_t value = reg.Value(i, c);
      if (a.domain == kCountryDomain && value != Registry::kAbsent) mentioned.Add(static_cast<int>(value));
      if (reg.IsDated(c) && reg.EffectiveAt(i, c) != kBeginningOfTime) {
        edges_.push_back(reg.EffectiveAt(i, c).micros);
      }
    }
  }
  // Large groups (LABEL_MARKETS = all) would swamp the pool; keep what rules single out.
  if (mentioned.Size() > 64) mentioned = ValueSet();
  mentioned.ForEach([&](int c) { countries_.push_back(v.domains[kCountryDomain].values[static_cast<size_t>(c)]); });
  for (const char* c : {"US", "GB", "DE", "FR", "RU", "CN", "ZZ", "KE", "BY", "TR", "XQ"}) {
    if (v.domains[kCountryDomain].Find(c) >= 0) countries_.emplace_back(c);
  }
  std::sort(countries_.begin(), countries_.end());
  countries_.erase(std::unique(countries_.begin(), countries_.end()), countries_.end());
  std::sort(edges_.begin(), edges_.end());
  edges_.erase(std::unique(edges_.begin(), edges_.end()), edges_.end());
  for (uint32_t s = 0; s < reg.strings().size(); ++s) strings_.emplace_back(reg.strings().Get(s));
}

std::string RequestGenerator::RandomCountry() {
  const auto& all = policy_.vocabulary().domains[kCountryDomain].values;
  if (!countries_.empty() && Chance(0.8)) return countries_[Pick(countries_.size())];
  return all[Pick(all.size())];
}

std::string RequestGenerator::RandomTime() {
  int64_t micros;
  if (!edges_.empty() && Chance(0.5)) {
    static const int64_t kNudges[] = {-1000000, -1, 0, 0, 1, 1000000, 3600000000LL};
    micros = edges_[Pick(edges_.size())] + kNudges[Pick(std::size(kNudges))];
  } else {
    // 2019-01-01 .. 2027-01-01
    micros = std::uniform_int_distribution<int64_t>(1546300800000000LL, 1798761600000000LL)(rng_);
    micros -= micros % 1000000;
  }
  return FormatRfc3339(Instant{micros});
}

nlohmann::json RequestGenerator::RandomValue(const Attribute& a) {
  const Vocabulary& v = policy_.vocabulary();
  switch (a.type) {
    case AttrType::kEnum: {
      const auto& values = v.domains[static_cast<size_t>(a.domain)].values;
      return values[Pick(values.size())];
    }
    case AttrType::kCountry: return RandomCountry();
    case AttrType::kEnumSet:
    case AttrType::kCountrySet: {
      nlohmann::json list = nlohmann::json::array();
      const size_t n = Pick(4);
      for (size_t i = 0; i < n; ++i) {
        if (a.type == AttrType::kCountrySet) {
          list.push_back(RandomCountry());
        } else {
          const auto& values = v.domains[static_cast<size_t>(a.domain)].values;
          list.push_back(values[Pick(values.size())]);
        }
      }
      return list;
    }
    case AttrType::kBool: return Chance(0.5);
    case AttrType::kString:
      if (!strings_.empty() && Chance(0.7)) return strings_[Pick(strings_.size())];
      return "text-" + std::to_string(Pick(100));
    case AttrType::kInstant: return RandomTime();
    case AttrType::kListings: return nullptr;
  }
  return nullptr;
}

void RequestGenerator::AddRequestAttributes(nlohmann::json* request, bool is_ad) {
  const Vocabulary& v = policy_.vocabulary();
  for (const Attribute& a : v.attributes) {
    if (a.scope != AttrScope::kRequest || a.builtin) continue;
    const size_t dot = a.name.find('.');
    const std::string group = a.name.substr(0, dot), field = a.name.substr(dot + 1);
    if (group == "ad" && !is_ad) continue;
    if (!Chance(group == "content" ? 0.8 : 0.5)) continue;
    (*request)[group][field] = RandomValue(a);
  }
  (*request)["viewer"]["country"] = RandomCountry();
  if (is_ad) {
    nlohmann::json targets = nlohmann::json::array();
    const size_t n = 1 + Pick(4);
    for (size_t i = 0; i < n; ++i) targets.push_back(RandomCountry());
    (*request)["ad"]["target_countries"] = targets;
  }
}

void RequestGenerator::AddAccount(nlohmann::json* request) {
  if (registered_.empty() || Chance(options_.unregistered_share)) {
    (*request)["account"]["id"] = "user_" + std::to_string(Pick(1000000));
    if (!Chance(options_.inline_share)) return;
    for (const Attribute& a : policy_.vocabulary().attributes) {
      if (a.scope != AttrScope::kAccount || a.builtin || !Chance(0.6)) continue;
      (*request)["account"][a.name.substr(a.name.find('.') + 1)] = RandomValue(a);
    }
    return;
  }
  (*request)["account"]["id"] = registered_[Pick(registered_.size())];
}

void RequestGenerator::AddLinks(nlohmann::json* request) {
  if (!registered_.empty() && Chance(0.2)) {
    nlohmann::json ids = nlohmann::json::array();
    for (size_t i = 0, n = 1 + Pick(2); i < n; ++i) ids.push_back(registered_[Pick(registered_.size())]);
    (*request)["content"]["links_to"] = ids;
  }
  if (!options_.urls.empty() && Chance(0.15)) {
    (*request)["content"]["links"] = nlohmann::json::array({options_.urls[Pick(options_.urls.size())]});
  }
  if (!registered_.empty() && Chance(0.1)) {
    (*request)["content"]["reshare_of"] = registered_[Pick(registered_.size())];
  }
}

nlohmann::json RequestGenerator::Next() {
  nlohmann::json request = nlohmann::json::object();
  const bool is_ad = Chance(options_.ad_share);
  request["time"] = RandomTime();
  AddAccount(&request);
  AddRequestAttributes(&request, is_ad);
  AddLinks(&request);
  return request;
}

}  // namespace statemark
