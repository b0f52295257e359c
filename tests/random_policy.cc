#include "tests/random_policy.h"

#include <random>
#include <sstream>
#include <vector>

namespace statemark::testing {
namespace {

using Strings = std::vector<std::string>;

const Strings kAffiliations = {"none", "state_controlled_media", "state_affiliated_media",
                               "state_media_staff", "publicly_funded_independent_media",
                               "government_organization", "government_official", "head_of_state"};
const Strings kCountries = {"RU", "CN", "GB", "US", "DE", "FR", "ZZ", "TR", "XQ", "KE", "EU27",
                            "CONFLICT_INFO_RESTRICTED_STATES"};
const Strings kTopics = {"current_global_affairs", "war_conflict", "travel_tourism", "sports",
                         "elections_civic", "NEWS_POLITICS"};
// Ascending: windows take `from` from the first half and `until` from the second.
const Strings kInstants = {"2022-03-01T23:00:00Z", "2024-05-23T00:00:00Z",
                           "2024-07-01T12:00:00Z", "2024-09-23T00:00:00Z",
                           "2024-10-29T00:01 America/Los_Angeles", "2025-01-01 Europe/Brussels"};
const Strings kSurfaces = {"for_you", "explore", "search", "following", "profile", "all"};
const Strings kLevels = {"eligible", "demoted", "ineligible", "geo_blocked", "removed"};
const Strings kLabels = {"state_controlled_media", "state_affiliated_media", "government_official",
                         "state_media_link"};

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  std::string Rules(int count) {
    std::ostringstream out;
    out << "rules:\n";
    const int exemptions = std::max(1, count / 10);
    for (int i = 0; i < count - exemptions; ++i) Rule(out, i);
    for (int i = 0; i < exemptions; ++i) Exemption(out, count - exemptions + i);
    return out.str();
  }

 private:
  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  const std::string& Any(const Strings& s) { return s[Pick(s.size())]; }

  std::string List(const Strings& pool, size_t max) {
    std::string out = "[";
    for (size_t i = 0, n = 1 + Pick(max); i < n; ++i) out += (i ? ", " : "") + Any(pool);
    return out + "]";
  }

  static std::string Id(int i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "R%04d", i);
    return buf;
  }

  std::string Test() {
    switch (Pick(14)) {
      case 0: return "account.affiliation: { in: " + List(kAffiliations, 3) + " }";
      case 1: return "account.affiliation: { not_in: " + List(kAffiliations, 2) + " }";
      case 2: return "account.affiliated_state: { in: " + List(kCountries, 3) + " }";
      case 3: return "viewer.country: { in: " + List(kCountries, 3) + " }";
      case 4: return "viewer.country: { " + std::string(Chance(0.5) ? "same_as" : "not_same_as") +
                     ": account.affiliated_state }";
      case 5: return "content.topics: { " + std::string(Chance(0.7) ? "intersects" : "contains_all") +
                     ": " + List(kTopics, 2) + " }";
      case 6: return "request.kind: " + std::string(Chance(0.5) ? "ad" : "organic");
      case 7: return "account.geopolitical_role: " + std::string(Chance(0.5) ? "true" : "false");
      case 8: return "account.sanctions: { listed_in: " +
                     std::string(Chance(0.5) ? "eu_833_annex_xv" : "uk_internet_sanctions_list") + " }";
      case 9: return "account.parent_entity: { in: [TV-Novosti, BBC] }";
      case 10: return "account.parent_entity: { matches: \"Ro.*\" }";
      case 11: return "ad.first_impression_at: { " + std::string(Chance(0.5) ? "before" : "at_or_after") +
                      ": \"" + Any(kInstants) + "\" }";
      case 12: return "ad.target_countries: { intersects: " + List(kCountries, 2) + " }";
      default: return "account.label_appeal: { in: [granted, pending] }";
    }
  }

  void Condition(std::ostringstream& out, const std::string& indent, int depth) {
    const size_t kind = depth >= 3 ? 0 : Pick(10);
    if (kind < 6) {
      out << indent << Test() << "\n";
      return;
    }
    if (kind == 9) {
      out << indent << "not:\n";
      Condition(out, indent + "  ", depth + 1);
      return;
    }
    out << indent << (kind < 8 ? "all" : "any") << ":\n";
    for (size_t i = 0, n = 1 + Pick(3); i < n; ++i) {
      out << indent << "  -\n";
      Condition(out, indent + "    ", depth + 1);
    }
  }

  void Effects(std::ostringstream& out, const std::string& indent) {
    bool any = false;
    if (Chance(0.6)) {
      out << indent << "surfaces: { " << Any(kSurfaces) << ": " << Any(kLevels) << " }\n";
      any = true;
    }
    if (Chance(0.4)) {
      out << indent << "labels: [" << Any(kLabels) << "]\n";
      any = true;
    }
    if (Chance(0.15)) out << indent << "notice: legal_demand\n";
    if (Chance(0.2)) out << indent << "friction: [click_interstitial]\n";
    if (Chance(0.15)) out << indent << "monetization: deny\n";
    if (Chance(0.4) || !any) {
      switch (Pick(3)) {
        case 0: out << indent << "ads: deny_all\n"; break;
        case 1: out << indent << "ads: { allow_only: [account.affiliated_state, US] }\n"; break;
        default: out << indent << "ads: { deny: " << List(kCountries, 2) << " }\n"; break;
      }
    }
  }

  void Rule(std::ostringstream& out, int i) {
    static const Strings kLayers = {"integrity", "legal", "platform", "platform", "platform"};
    const std::string& layer = Any(kLayers);
    if (layer == "platform") platform_ids_.push_back(Id(i));
    out << "  - id: " << Id(i) << "\n    layer: " << layer << "\n";
    if (Chance(0.1)) out << "    mode: shadow\n";
    if (Chance(0.3)) {
      static const Strings kSubjects = {"account", "linked_accounts", "reshared_account"};
      out << "    applies_to: " << List(kSubjects, 2) << "\n";
    }
    if (Chance(0.4)) {
      out << "    effective: { from: \"" << kInstants[Pick(3)] << "\"";
      if (Chance(0.5)) out << ", until: \"" << kInstants[3 + Pick(3)] << "\"";
      out << " }\n";
    }
    if (Chance(0.9)) {
      out << "    when:\n";
      Condition(out, "      ", 1);
    }
    const bool has_cases = Chance(0.25);
    if (!has_cases || Chance(0.5)) {
      out << "    then:\n";
      Effects(out, "      ");
    }
    if (has_cases) {
      out << "    cases:\n";
      for (size_t c = 0, n = 1 + Pick(2); c < n; ++c) {
        out << "      - when:\n";
        Condition(out, "          ", 2);
        out << "        then:\n";
        Effects(out, "          ");
      }
    }
  }

  // Exemptions lift only platform rules (anything else is a load error).
  void Exemption(std::ostringstream& out, int i) {
    if (platform_ids_.empty()) return;
    out << "  - id: " << Id(i) << "\n    layer: exemption\n";
    if (Chance(0.9)) {
      out << "    when:\n";
      Condition(out, "      ", 1);
    }
    out << "    lifts: [";
    for (size_t k = 0, n = 1 + Pick(3); k < n; ++k) out << (k ? ", " : "") << Any(platform_ids_);
    out << "]\n";
  }

  std::mt19937_64 rng_;
  Strings platform_ids_;
};

}  // namespace

std::string RandomRulesYaml(uint64_t seed, int count) { return Generator(seed).Rules(count); }

}  // namespace statemark::testing
