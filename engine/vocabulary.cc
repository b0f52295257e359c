#include "engine/vocabulary.h"

namespace statemark {

const char* AttrTypeName(AttrType t) {
  switch (t) {
    case AttrType::kEnum: return "enum";
    case AttrType::kEnumSet: return "enum_set";
    case AttrType::kCountry: return "country";
    case AttrType::kCountrySet: return "country_set";
    case AttrType::kBool: return "bool";
    case AttrType::kString: return "string";
    case AttrType::kInstant: return "instant";
    case AttrType::kListings: return "listings";
  }
  return "?";
}

bool IsSetType(AttrType t) { return t == AttrType::kEnumSet || t == AttrType::kCountrySet; }

int Vocabulary::FindIn(const std::vector<std::string>& names, const std::string& name) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<int>(i);
  }
  return -1;
}

int Vocabulary::FindAttribute(const std::string& name) const {
  auto it = attribute_index.find(name);
  return it == attribute_index.end() ? -1 : it->second;
}

int Vocabulary::FindGroup(const std::string& name) const {
  auto it = group_index.find(name);
  return it == group_index.end() ? -1 : it->second;
}

namespace {
template <typename T, typename Name>
int FindByName(const std::vector<T>& items, const std::string& name, Name get) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (get(items[i]) == name) return static_cast<int>(i);
  }
  return -1;
}
}  // namespace

int Vocabulary::FindPlacement(const std::string& n) const {
  return FindByName(placements, n, [](const Placement& p) { return p.name; });
}
int Vocabulary::FindLabel(const std::string& n) const {
  return FindByName(labels, n, [](const Label& l) { return l.id; });
}
int Vocabulary::FindNotice(const std::string& n) const {
  return FindByName(notices, n, [](const Notice& x) { return x.id; });
}
int Vocabulary::FindWindow(const std::string& n) const {
  return FindByName(windows, n, [](const Window& w) { return w.name; });
}
int Vocabulary::FindSanctionsList(const std::string& n) const {
  return FindByName(sanctions_lists, n, [](const SanctionsList& l) { return l.name; });
}

std::string RenderTemplate(const Template& t, const Vocabulary& v, int state, int viewer,
                           const std::string& account_id) {
  std::string out;
  AppendRenderedTemplate(t, v, state, viewer, account_id, &out);
  return out;
}

void AppendRenderedTemplate(const Template& t, const Vocabulary& v, int state, int viewer,
                            std::string_view account_id, std::string* out) {
  auto country = [&](int c) -> const CountryInfo* {
    return c >= 0 && c < static_cast<int>(v.countries.size()) ? &v.countries[static_cast<size_t>(c)]
                                                              : nullptr;
  };
  for (const Template::Piece& p : t.pieces) {
    if (!p.is_var) {
      out->append(p.text);
      continue;
    }
    const CountryInfo* s = country(state);
    const CountryInfo* w = country(viewer);
    switch (p.var) {
      case Template::Var::kStateShort:
        if (s) out->append(s->short_name);
        break;
      case Template::Var::kStateAdjective:
        if (s) out->append(s->adjective.empty() ? s->short_name : s->adjective);
        break;
      case Template::Var::kStateName:
        if (s) out->append(s->name);
        break;
      case Template::Var::kViewerCountry:
        if (viewer >= 0) out->append(v.domains[kCountryDomain].values[static_cast<size_t>(viewer)]);
        break;
      case Template::Var::kViewerCountryName:
        if (w) out->append(w->name);
        break;
      case Template::Var::kAccountId: out->append(account_id); break;
    }
  }
}

}  // namespace statemark
