#include "engine/policy_catalog.h"

#include <fstream>
#include <sstream>
#include <string>

#include "engine/internal/sha256.h"

namespace statemark {
namespace {

using Json = nlohmann::ordered_json;

Json InstantOrNull(Instant t) {
  if (t == kBeginningOfTime || t == kEndOfTime) return nullptr;
  return FormatRfc3339(t);
}

std::string ShortName(const std::string& attribute) {
  const auto dot = attribute.find('.');
  return dot == std::string::npos ? attribute : attribute.substr(dot + 1);
}

// A registry cell as text, by the attribute's type.
Json CellJson(const Vocabulary& v, const Registry& r, const Attribute& a, uint32_t value) {
  switch (a.type) {
    case AttrType::kBool:
      return value != 0;
    case AttrType::kString:
      return std::string(r.strings().Get(value));
    case AttrType::kEnum:
    case AttrType::kCountry:
      if (a.domain >= 0) return v.domains[static_cast<size_t>(a.domain)].values[value];
      return nullptr;
    default:
      return nullptr;
  }
}

}  // namespace

Json RulesCatalogJson(const Policy& policy) {
  Json rules = Json::array();
  for (const Rule& rule : policy.rules) {
    Json subjects = Json::array();
    for (Subject s : rule.applies_to) subjects.push_back(SubjectName(s));
    Json lifts = Json::array();
    for (int i : rule.lifts) lifts.push_back(policy.rules[static_cast<size_t>(i)].id);
    rules.push_back({{"id", rule.id},
                     {"layer", LayerName(rule.layer)},
                     {"mode", rule.mode == RuleMode::kShadow ? "shadow" : "enforce"},
                     {"description", rule.description},
                     {"note", rule.note},
                     {"basis", rule.basis},
                     {"applies_to", subjects},
                     {"from", InstantOrNull(rule.from)},
                     {"until", InstantOrNull(rule.until)},
                     {"window", rule.window.empty() ? Json(nullptr) : Json(rule.window)},
                     {"lifts", lifts},
                     {"file", rule.at.file},
                     {"line", rule.at.line}});
  }
  Json windows = Json::array();
  for (const Window& w : policy.vocabulary.windows) {
    windows.push_back(
        {{"name", w.name}, {"from", InstantOrNull(w.from)}, {"until", InstantOrNull(w.until)}});
  }
  return {{"rules", rules}, {"windows", windows}};
}

Json RegistryCatalogJson(const Policy& policy) {
  const Vocabulary& v = policy.vocabulary;
  const Registry& r = *policy.registry;
  Json accounts = Json::array();
  for (int account = 0; account < r.size(); ++account) {
    Json attributes = Json::object();
    Json effective_at = Json::object();
    for (int column = 0; column < r.column_count(); ++column) {
      const uint32_t value = r.Value(account, column);
      if (value == Registry::kAbsent) continue;
      const Attribute& a = v.attributes[static_cast<size_t>(r.ColumnAttribute(column))];
      attributes[ShortName(a.name)] = CellJson(v, r, a, value);
      if (r.IsDated(column)) {
        const Instant at = r.EffectiveAt(account, column);
        if (at != kBeginningOfTime) effective_at[ShortName(a.name)] = FormatRfc3339(at);
      }
    }
    Json listings = Json::array();
    for (const Listing& l : r.Listings(account)) {
      listings.push_back(
          {{"list", v.sanctions_lists[static_cast<size_t>(l.list)].name},
           {"entity_name", l.entity_name == StringTable::kNotFound
                               ? Json(nullptr)
                               : Json(std::string(r.strings().Get(l.entity_name)))},
           {"from", InstantOrNull(l.from)},
           {"until", InstantOrNull(l.until)}});
    }
    accounts.push_back({{"id", std::string(r.Id(account))},
                        {"attributes", attributes},
                        {"effective_at", effective_at},
                        {"listings", listings}});
  }
  return {{"accounts", accounts}};
}

Json VocabularyCatalogJson(const Vocabulary& v) {
  Json countries = Json::array();
  const Domain& codes = v.domains[kCountryDomain];
  for (size_t i = 0; i < codes.values.size(); ++i) {
    countries.push_back({{"code", codes.values[i]},
                         {"name", i < v.countries.size() ? v.countries[i].name : ""}});
  }
  Json attributes = Json::array();
  for (const Attribute& a : v.attributes) {
    Json values = Json::array();
    if (a.domain >= 0 && a.domain != kCountryDomain) {
      for (const std::string& value : v.domains[static_cast<size_t>(a.domain)].values) {
        values.push_back(value);
      }
    }
    Json default_value = nullptr;
    if (a.default_value >= 0) {
      if (a.type == AttrType::kBool) {
        default_value = a.default_value != 0;
      } else if (a.domain >= 0) {
        default_value = v.domains[static_cast<size_t>(a.domain)].values[static_cast<size_t>(a.default_value)];
      }
    }
    attributes.push_back({{"name", a.name},
                          {"type", AttrTypeName(a.type)},
                          {"builtin", a.builtin},
                          {"values", values},
                          {"default", default_value},
                          {"open", a.open}});
  }
  Json placements = Json::array();
  for (const Placement& p : v.placements) {
    placements.push_back({{"name", p.name}, {"on_organic", p.on_organic}, {"on_ad", p.on_ad}});
  }
  Json labels = Json::array();
  for (const Label& l : v.labels) labels.push_back({{"id", l.id}, {"text", l.text.source}});
  Json lists = Json::array();
  for (const SanctionsList& l : v.sanctions_lists) {
    lists.push_back({{"name", l.name}, {"jurisdiction", l.jurisdiction}});
  }
  Json groups = Json::array();
  for (const Group& g : v.groups) {
    Json members = Json::array();
    if (g.domain >= 0) {
      const Domain& d = v.domains[static_cast<size_t>(g.domain)];
      for (size_t i = 0; i < d.values.size(); ++i) {
        if (g.members.Contains(static_cast<int>(i))) members.push_back(d.values[i]);
      }
    }
    groups.push_back({{"name", g.name},
                      {"of", g.domain >= 0 ? v.domains[static_cast<size_t>(g.domain)].name : ""},
                      {"members", members}});
  }
  return {{"countries", countries},   {"attributes", attributes}, {"surfaces", v.surfaces},
          {"levels", v.levels},       {"placements", placements}, {"labels", labels},
          {"sanctions_lists", lists}, {"groups", groups}};
}

bool ReadPolicySource(const Policy& policy, const std::string& relative, std::string* text,
                      bool* same_as_loaded) {
  if (relative.rfind("registry/", 0) == 0) return false;
  for (const SourceFile& f : policy.files) {
    if (f.path != relative) continue;
    std::ifstream in(policy.directory + "/" + f.path, std::ios::binary);
    if (!in) return false;
    std::ostringstream bytes;
    bytes << in.rdbuf();
    *text = bytes.str();
    *same_as_loaded = internal::Sha256Hex(*text) == f.sha256;
    return true;
  }
  return false;
}

}  // namespace statemark
