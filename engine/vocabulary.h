// Vocabulary: every name a policy and its requests may use.
//
// The vocabulary is declared by the policy in YAML (see docs/reference.md), not in
// code: attributes and their types, value domains (the countries, each enum), named
// groups of values (EU27, NEWS_POLITICS), the surfaces and the ordered levels, the
// label, notice, friction and monetization values, named time windows and sanctions
// lists. A few attributes are built in because the engine itself gives them meaning
// (request.time, request.kind, viewer.country, ad.target_countries, account.id,
// account.known, account.sanctions); they are listed by BuiltinAttributes().
//
// Names resolve to dense indexes once, at load time; everything after the loader
// works with indexes. Thread safety: immutable after loading.
#ifndef STATEMARK_ENGINE_VOCABULARY_H_
#define STATEMARK_ENGINE_VOCABULARY_H_

#include <cstdint>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/instant.h"
#include "engine/status.h"
#include "engine/value_set.h"

namespace statemark {

// DO NOT REORDER: the type names are part of the rule-file format.
enum class AttrType {
  kEnum,        // one value of a declared domain
  kEnumSet,     // a set of values of a declared domain
  kCountry,     // an ISO 3166-1 alpha-2 code of the policy's country domain
  kCountrySet,  // a set of countries
  kBool,
  kString,      // free text; compared to literals, or matched with RE2
  kInstant,     // a point in time
  kListings,    // sanctions listings (account.sanctions only)
};

const char* AttrTypeName(AttrType t);
bool IsSetType(AttrType t);

// Which entity an attribute describes. Account attributes come from the registry (or
// inline in the request for accounts it does not hold); a rule that applies to a
// linked or reshared account sees that account's values under `account.*`.
enum class AttrScope : uint8_t { kRequest, kAccount };

inline constexpr int kCountryDomain = 0;  // Vocabulary::domains[0] is always the countries

// A closed list of values. Enum attributes and groups refer to domains by index.
struct Domain {
  std::string name;
  std::vector<std::string> values;
  std::unordered_map<std::string, int> index;  // value -> position in `values`
  int Find(const std::string& v) const {
    auto it = index.find(v);
    return it == index.end() ? -1 : it->second;
  }
};

struct Attribute {
  std::string name;  // dotted: `account.affiliation`
  AttrType type = AttrType::kString;
  AttrScope scope = AttrScope::kRequest;
  int domain = -1;          // for enum, enum set, country, country set
  int default_value = -1;   // value index used when absent; -1: absent
  bool open = false;        // unknown values are accepted and reported as warnings
  bool required = false;    // must be present (for ad.* attributes: on ad requests)
  bool dated = false;       // account attributes: takes effect at `<name>_effective_at`
  bool builtin = false;
  SourceLocation at;
};

// Named subset of a domain: `EU27`, `NEWS_POLITICS`.
struct Group {
  std::string name;
  int domain = -1;
  ValueSet members;
  SourceLocation at;
};

// A text with {placeholders}, split once at load time.
struct Template {
  enum class Var { kStateShort, kStateAdjective, kStateName, kViewerCountry, kViewerCountryName,
                   kAccountId };
  struct Piece {
    bool is_var = false;
    std::string text;  // literal text when !is_var
    Var var = Var::kStateShort;
  };
  std::string source;
  std::vector<Piece> pieces;
  bool uses_state = false;  // some placeholder needs the subject's affiliated state
};

struct Placement {
  std::string name;
  bool on_organic = true;  // rendered on organic requests
  bool on_ad = false;      // rendered on ad requests
};

struct Label {
  std::string id;
  Template text;
  std::vector<int> placements;  // default placements, ascending placement index
  SourceLocation at;
};

struct Notice {
  std::string id;
  Template text;
  SourceLocation at;
};

struct Window {
  std::string name;
  Instant from = kBeginningOfTime;
  Instant until = kEndOfTime;
  SourceLocation at;
};

// How a sanctions list names what it lists: accounts by id, or legal entities by the
// accounts' `account.parent_entity`.
enum class ListingKey { kAccount, kParentEntity };

struct SanctionsList {
  std::string name;
  std::string jurisdiction;
  SourceLocation at;
};

struct CountryInfo {
  std::string name;       // ISO short name
  std::string short_name; // used in labels: "Russia", "UK", "US"
  std::string adjective;  // "Russian", "British"; empty when not declared
};

struct Vocabulary {
  std::vector<Domain> domains;              // [0] = countries
  std::vector<CountryInfo> countries;       // parallel to domains[0].values
  std::vector<Attribute> attributes;
  std::unordered_map<std::string, int> attribute_index;
  std::vector<Group> groups;
  std::unordered_map<std::string, int> group_index;
  std::vector<std::string> surfaces;        // in declared order
  std::vector<std::string> levels;          // least to most restrictive
  int withheld_level = -1;                  // levels at or above it render nothing
  std::vector<Placement> placements;
  std::vector<Label> labels;
  std::vector<Notice> notices;
  std::vector<std::string> friction;
  std::vector<std::string> monetization;    // least to most restrictive; [0] is the default
  std::vector<Window> windows;
  std::vector<SanctionsList> sanctions_lists;

  int unknown_country = -1;  // index of `ZZ`

  int FindAttribute(const std::string& name) const;
  int FindGroup(const std::string& name) const;
  static int FindIn(const std::vector<std::string>& names, const std::string& name);
  int FindSurface(const std::string& n) const { return FindIn(surfaces, n); }
  int FindLevel(const std::string& n) const { return FindIn(levels, n); }
  int FindPlacement(const std::string& n) const;
  int FindLabel(const std::string& n) const;
  int FindNotice(const std::string& n) const;
  int FindWindow(const std::string& n) const;
  int FindSanctionsList(const std::string& n) const;

  // Well-known attribute indexes, set by the loader.
  int attr_time = -1, attr_kind = -1, attr_viewer_country = -1, attr_targets = -1;
  int attr_account_id = -1, attr_known = -1, attr_sanctions = -1, attr_affiliated_state = -1;
  int attr_parent_entity = -1;
  int kind_domain = -1;  // domain of request.kind: {organic, ad}
};

// Renders a template. `state` is a country index (or -1), `viewer` the viewer's
// country index.
std::string RenderTemplate(const Template& t, const Vocabulary& v, int state, int viewer,
                           const std::string& account_id);

// The same text, appended to `out` (no allocation beyond the string's growth).
void AppendRenderedTemplate(const Template& t, const Vocabulary& v, int state, int viewer,
                            std::string_view account_id, std::string* out);

}  // namespace statemark

#endif  // STATEMARK_ENGINE_VOCABULARY_H_
