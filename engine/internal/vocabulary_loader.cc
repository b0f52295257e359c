#include "engine/internal/vocabulary_loader.h"

#include <map>
#include <regex>

#include "engine/instant.h"
#include "engine/internal/spelling.h"

namespace statemark::internal {
namespace {

const std::vector<std::string> kSections = {
    "domains", "attributes", "groups",   "surfaces",     "levels",  "withheld_from",
    "placements", "labels",  "notices",  "friction",     "monetization", "windows",
    "sanctions_lists"};


// A suggestion for `value`, not a value of domain `d`.
std::string SuggestValue(int d, const Domain& domain, const std::string& value) {
  return d == kCountryDomain ? SuggestCountry(value, domain.values) : DidYouMean(value, domain.values);
}

// Where each vocabulary section was declared.
struct Section {
  const YamlSource* src = nullptr;
  DocNode node;
};

class VocabularyBuilder {
 public:
  VocabularyBuilder(const std::vector<YamlSource>& files, Diagnostics* diags, Vocabulary* v)
      : files_(files), diags_(diags), v_(*v) {}

  void Build() {
    CollectSections();
    BuildCountries();
    BuildDomains();
    AddBuiltins();
    BuildAttributes();
    BuildGroups();
    BuildSurfacesAndLevels();
    BuildPlacements();
    BuildLabels();
    BuildNotices();
    v_.friction = NameList("friction");
    v_.monetization = NameList("monetization");
    if (v_.monetization.empty()) v_.monetization = {"allow", "deny"};
    BuildWindows();
    BuildSanctionsLists();
  }

 private:
  void CollectSections() {
    for (const YamlSource& src : files_) {
      if (!src.root.IsMap()) continue;
      if (const DocNode countries = src.root["countries"]) Claim("countries", src, countries);
      const DocNode vocab = src.root["vocabulary"];
      if (!vocab) continue;
      if (!src.ExpectMap(vocab, "`vocabulary`")) continue;
      if (vocab_src_ == nullptr) vocab_src_ = &src;
      src.CheckKeys(vocab, "`vocabulary`", kSections);
      for (auto it = vocab.begin(); it != vocab.end(); ++it) {
        // An unknown section is reported by CheckKeys and otherwise ignored.
        if (Vocabulary::FindIn(kSections, it->first.Scalar()) < 0) continue;
        Claim(it->first.Scalar(), src, it->second);
      }
    }
  }

  void Claim(const std::string& name, const YamlSource& src, const DocNode& node) {
    auto [it, inserted] = sections_.try_emplace(name, Section{&src, node});
    if (!inserted) {
      const SourceLocation first = it->second.src->At(it->second.node);
      src.Error(node, "duplicate-section",
                "section `" + name + "` is already declared at " + first.file + ":" +
                    std::to_string(first.line));
    }
  }

  const Section* Find(const std::string& name) const {
    auto it = sections_.find(name);
    return it == sections_.end() ? nullptr : &it->second;
  }

  static void AddValue(Domain& d, const std::string& value) {
    d.index.emplace(value, static_cast<int>(d.values.size()));
    d.values.push_back(value);
  }

  int AddDomain(const std::string& name) {
    v_.domains.push_back(Domain{name, {}, {}});
    return static_cast<int>(v_.domains.size()) - 1;
  }

  // Adds the declared values to domain `d`, reporting duplicates and overflow.
  void FillDomain(const YamlSource& src, const DocNode& list, int d, const std::string& what) {
    for (const DocNode& item : Elements(list)) {
      auto value = src.Scalar(item, what);
      if (!value) continue;
      Domain& domain = v_.domains[static_cast<size_t>(d)];
      if (domain.Find(*value) >= 0) {
        src.Error(item, "duplicate-value", "value `" + *value + "` is declared twice in " + what);
        continue;
      }
      if (static_cast<int>(domain.values.size()) >= kMaxDomainValues - 1) {
        src.Error(item, "too-many-values",
                  what + " has more than " + std::to_string(kMaxDomainValues - 1) + " values");
        return;
      }
      AddValue(domain, *value);
    }
  }

  void BuildCountries() {
    AddDomain("countries");
    const Section* s = Find("countries");
    if (s == nullptr) {
      diags_->Error(SourceLocation{}, "missing-countries",
                    "the policy declares no `countries` section");
      return;
    }
    if (!s->src->ExpectMap(s->node, "`countries`")) return;
    static const std::regex kCode("[A-Z][A-Z]");
    for (auto it = s->node.begin(); it != s->node.end(); ++it) {
      const std::string code = it->first.Scalar();
      if (!std::regex_match(code, kCode)) {
        s->src->Error(it->first, "bad-country",
                      "country code `" + code + "` is not two capital letters (ISO 3166-1 alpha-2)");
        continue;
      }
      CountryInfo info;
      const std::string what = "country `" + code + "`";
      if (it->second.IsScalar()) {
        info.name = info.short_name = it->second.Scalar();
      } else if (s->src->ExpectMap(it->second, what + ": its name, or `{ name, short, adjective }`")) {
        s->src->CheckKeys(it->second, what, {"name", "short", "adjective"});
        if (auto n = it->second["name"]) {
          info.name = s->src->Scalar(n, "the `name` of " + what).value_or("");
        } else {
          s->src->Error(it->first, "missing-field", what + " needs a `name`");
        }
        info.short_name = info.name;
        if (auto n = it->second["short"]) {
          info.short_name = s->src->Scalar(n, "the `short` name of " + what).value_or(info.name);
        }
        if (auto a = it->second["adjective"]) {
          info.adjective = s->src->Scalar(a, "the `adjective` of " + what).value_or("");
        }
      }
      FillDomain(*s->src, it->first, kCountryDomain, "`countries`");
      if (static_cast<int>(v_.countries.size()) < static_cast<int>(v_.domains[0].values.size())) {
        v_.countries.push_back(info);
      }
    }
    v_.unknown_country = v_.domains[0].Find("ZZ");
    if (v_.unknown_country < 0) {
      s->src->Error(s->node, "missing-country",
                    "`countries` must declare `ZZ`, the code for an unknown location");
      // Declared here all the same, so that rules naming `ZZ` are not reported too.
      AddValue(v_.domains[0], "ZZ");
      v_.countries.push_back(CountryInfo{"Unknown location", "Unknown location", ""});
      v_.unknown_country = v_.domains[0].Find("ZZ");
    }
  }

  void BuildDomains() {
    const Section* s = Find("domains");
    if (s == nullptr || !s->src->ExpectMap(s->node, "`domains`")) return;
    for (auto it = s->node.begin(); it != s->node.end(); ++it) {
      const std::string name = it->first.Scalar();
      if (name == "countries" || FindDomain(name) >= 0) {
        s->src->Error(it->first, "duplicate-domain", "domain `" + name + "` is already declared");
        continue;
      }
      FillDomain(*s->src, it->second, AddDomain(name), "domain `" + name + "`");
    }
  }

  int FindDomain(const std::string& name) const {
    for (size_t i = 0; i < v_.domains.size(); ++i) {
      if (v_.domains[i].name == name) return static_cast<int>(i);
    }
    return -1;
  }

  int AddAttribute(Attribute a) {
    v_.attribute_index.emplace(a.name, static_cast<int>(v_.attributes.size()));
    v_.attributes.push_back(std::move(a));
    return static_cast<int>(v_.attributes.size()) - 1;
  }

  void AddBuiltins() {
    auto builtin = [&](const char* name, AttrType type, AttrScope scope, int domain) {
      Attribute a;
      a.name = name;
      a.type = type;
      a.scope = scope;
      a.domain = domain;
      a.builtin = true;
      return AddAttribute(a);
    };
    v_.kind_domain = AddDomain("request.kind");
    AddValue(v_.domains.back(), "organic");
    AddValue(v_.domains.back(), "ad");
    v_.attr_time = builtin("request.time", AttrType::kInstant, AttrScope::kRequest, -1);
    v_.attr_kind = builtin("request.kind", AttrType::kEnum, AttrScope::kRequest, v_.kind_domain);
    v_.attr_viewer_country =
        builtin("viewer.country", AttrType::kCountry, AttrScope::kRequest, kCountryDomain);
    v_.attributes.back().default_value = v_.unknown_country;
    v_.attr_targets =
        builtin("ad.target_countries", AttrType::kCountrySet, AttrScope::kRequest, kCountryDomain);
    v_.attributes.back().required = true;
    v_.attr_account_id = builtin("account.id", AttrType::kString, AttrScope::kAccount, -1);
    v_.attr_known = builtin("account.known", AttrType::kBool, AttrScope::kAccount, -1);
    v_.attr_sanctions =
        builtin("account.sanctions", AttrType::kListings, AttrScope::kAccount, -1);
  }

  std::optional<AttrType> ParseType(const YamlSource& src, const DocNode& node) {
    static const std::vector<std::string> kTypes = {"enum",   "enum_set", "country", "country_set",
                                                    "bool",   "string",   "instant"};
    auto name = src.Scalar(node, "`type`");
    if (!name) return std::nullopt;
    for (size_t i = 0; i < kTypes.size(); ++i) {
      if (kTypes[i] == *name) return static_cast<AttrType>(i);
    }
    src.Error(node, "unknown-type", "unknown type `" + *name + "`" + DidYouMean(*name, kTypes));
    return std::nullopt;
  }

  void BuildAttributes() {
    const Section* s = Find("attributes");
    if (s == nullptr || !s->src->ExpectMap(s->node, "`attributes`")) return;
    const YamlSource& src = *s->src;
    static const std::regex kName("(account|viewer|content|ad)\\.[a-z][a-z0-9_]*");
    for (auto it = s->node.begin(); it != s->node.end(); ++it) {
      const std::string name = it->first.Scalar();
      const std::string what = "attribute `" + name + "`";
      if (v_.FindAttribute(name) >= 0) {
        src.Error(it->first, "duplicate-attribute",
                  v_.attributes[static_cast<size_t>(v_.FindAttribute(name))].builtin
                      ? what + " is built in and cannot be declared"
                      : what + " is declared twice");
        continue;
      }
      if (!std::regex_match(name, kName)) {
        src.Error(it->first, "bad-attribute-name",
                  "attribute name `" + name +
                      "` must be `account.`, `viewer.`, `content.` or `ad.` followed by a "
                      "lower_snake_case name");
        continue;
      }
      const DocNode decl = it->second;
      if (!src.ExpectMap(decl, what)) continue;
      src.CheckKeys(decl, what,
                    {"type", "values", "default", "open", "required", "dated", "description"});
      Attribute a;
      a.name = name;
      a.at = src.At(it->first);
      a.scope = name.rfind("account.", 0) == 0 ? AttrScope::kAccount : AttrScope::kRequest;
      auto type = decl["type"] ? ParseType(src, decl["type"]) : std::nullopt;
      if (!decl["type"]) src.Error(it->first, "missing-field", what + " needs a `type`");
      if (!type) continue;
      a.type = *type;
      if (!ResolveAttributeDomain(src, decl, what, &a)) continue;
      if (a.scope == AttrScope::kAccount && (IsSetType(a.type) || a.type == AttrType::kInstant)) {
        src.Error(decl["type"], "unsupported-type",
                  "account attributes hold single values; `" + name + "` cannot be of type `" +
                      AttrTypeName(a.type) + "`");
        continue;
      }
      ReadFlags(src, decl, what, &a);
      AddAttribute(a);
    }
  }

  bool ResolveAttributeDomain(const YamlSource& src, const DocNode& decl,
                              const std::string& what, Attribute* a) {
    const DocNode values = decl["values"];
    if (a->type == AttrType::kCountry || a->type == AttrType::kCountrySet) {
      a->domain = kCountryDomain;
      if (values) src.Error(values, "unexpected-field", what + " takes its values from `countries`");
      return true;
    }
    if (a->type != AttrType::kEnum && a->type != AttrType::kEnumSet) {
      if (values) src.Error(values, "unexpected-field", "only enums take `values`");
      return true;
    }
    if (!values) {
      src.Error(decl, "missing-field", what + " is an enum and needs `values`");
      return false;
    }
    if (values.IsScalar()) {
      a->domain = FindDomain(values.Scalar());
      if (a->domain < 0) {
        std::vector<std::string> names;
        for (const Domain& d : v_.domains) names.push_back(d.name);
        src.Error(values, "unknown-domain",
                  "unknown domain `" + values.Scalar() + "`" + DidYouMean(values.Scalar(), names));
        return false;
      }
      return true;
    }
    a->domain = AddDomain(a->name);
    FillDomain(src, values, a->domain, what);
    return true;
  }

  void ReadFlags(const YamlSource& src, const DocNode& decl, const std::string& what,
                 Attribute* a) {
    if (auto n = decl["open"]) a->open = src.Bool(n, "`open`").value_or(false);
    if (auto n = decl["required"]) a->required = src.Bool(n, "`required`").value_or(false);
    if (auto n = decl["dated"]) {
      a->dated = src.Bool(n, "`dated`").value_or(false);
      if (a->dated && a->scope != AttrScope::kAccount) {
        src.Error(n, "bad-dated", "only account attributes can be dated");
      }
    }
    const DocNode def = decl["default"];
    if (!def) return;
    auto value = src.Scalar(def, "`default`");
    if (!value) return;
    if (a->type == AttrType::kBool) {
      a->default_value = *value == "true" ? 1 : 0;
      if (*value != "true" && *value != "false") src.Bool(def, "`default`");
    } else if (a->domain >= 0 && !IsSetType(a->type)) {
      const Domain& d = v_.domains[static_cast<size_t>(a->domain)];
      a->default_value = d.Find(*value);
      if (a->default_value < 0) {
        src.Error(def, "unknown-value",
                  "default `" + *value + "` is not a value of " + what +
                      SuggestValue(a->domain, d, *value));
      }
    } else {
      src.Error(def, "bad-default", what + " cannot have a default");
    }
  }

  void BuildGroups() {
    const Section* s = Find("groups");
    if (s == nullptr || !s->src->ExpectMap(s->node, "`groups`")) return;
    const YamlSource& src = *s->src;
    for (auto it = s->node.begin(); it != s->node.end(); ++it) {
      const std::string name = it->first.Scalar();
      const std::string what = "group `" + name + "`";
      if (v_.FindGroup(name) >= 0) {
        src.Error(it->first, "duplicate-group", what + " is declared twice");
        continue;
      }
      const DocNode decl = it->second;
      if (!src.ExpectMap(decl, what)) continue;
      src.CheckKeys(decl, what, {"of", "members", "description"});
      Group g;
      g.name = name;
      g.at = src.At(it->first);
      g.domain = GroupDomain(src, decl["of"], it->first, what);
      if (g.domain < 0) {
        // Kept, with no domain, so that the rules naming it are not reported as well:
        // the error is the declaration's, reported above.
        v_.group_index.emplace(name, static_cast<int>(v_.groups.size()));
        v_.groups.push_back(g);
        continue;
      }
      const Domain& d = v_.domains[static_cast<size_t>(g.domain)];
      if (d.Find(name) >= 0) {
        src.Error(it->first, "ambiguous-name",
                  what + " has the name of a value of `" + d.name + "`");
        continue;
      }
      const DocNode members = decl["members"];
      if (!members) {
        src.Error(it->first, "missing-field", what + " needs `members`");
      } else if (members.IsScalar() && members.Scalar() == "all") {
        g.members = ValueSet::All(static_cast<int>(d.values.size()));
      } else if (d.values.empty()) {
        // A domain with no values (the countries, when their section is missing) is
        // reported once, where it is missing, not here for each member.
      } else {
        for (const DocNode& m : Elements(members)) {
          auto value = src.Scalar(m, "a member of " + what);
          if (!value) continue;
          int idx = d.Find(*value);
          if (idx < 0) {
            src.Error(m, "unknown-value",
                      "`" + *value + "` is not a value of `" + d.name + "`" +
                          SuggestValue(g.domain, d, *value));
            continue;
          }
          g.members.Add(idx);
        }
      }
      v_.group_index.emplace(name, static_cast<int>(v_.groups.size()));
      v_.groups.push_back(g);
    }
  }

  // `of:` names a domain, or an enum attribute whose values the group draws from.
  int GroupDomain(const YamlSource& src, const DocNode& of, const DocNode& at,
                  const std::string& what) {
    if (!of) {
      src.Error(at, "missing-field", what + " needs `of`: the domain its members come from");
      return -1;
    }
    auto name = src.Scalar(of, "`of`");
    if (!name) return -1;
    int d = FindDomain(*name);
    if (d >= 0) return d;
    int attr = v_.FindAttribute(*name);
    if (attr >= 0 && v_.attributes[static_cast<size_t>(attr)].domain >= 0) {
      return v_.attributes[static_cast<size_t>(attr)].domain;
    }
    std::vector<std::string> names;
    for (const Domain& dom : v_.domains) names.push_back(dom.name);
    src.Error(of, "unknown-domain", "unknown domain `" + *name + "`" + DidYouMean(*name, names));
    return -1;
  }

  std::vector<std::string> NameList(const std::string& section) {
    std::vector<std::string> out;
    const Section* s = Find(section);
    if (s == nullptr) return out;
    for (const DocNode& item : Elements(s->node)) {
      auto name = s->src->Scalar(item, "`" + section + "`");
      if (!name) continue;
      if (Vocabulary::FindIn(out, *name) >= 0) {
        s->src->Error(item, "duplicate-value", "`" + *name + "` is listed twice in `" + section + "`");
        continue;
      }
      out.push_back(*name);
    }
    return out;
  }

  void BuildSurfacesAndLevels() {
    v_.surfaces = NameList("surfaces");
    v_.levels = NameList("levels");
    if (v_.surfaces.empty()) Missing("surfaces");
    if (v_.levels.empty()) Missing("levels");
    if (v_.surfaces.size() > 16) {
      Fail("surfaces", "too-many-values", "at most 16 surfaces can be declared");
    }
    if (v_.levels.size() > 16) Fail("levels", "too-many-values", "at most 16 levels can be declared");
    v_.withheld_level = static_cast<int>(v_.levels.size());  // none unless declared
    if (const Section* s = Find("withheld_from")) {
      auto name = s->src->Scalar(s->node, "`withheld_from`");
      if (name && !v_.levels.empty()) {
        v_.withheld_level = v_.FindLevel(*name);
        if (v_.withheld_level < 0) {
          s->src->Error(s->node, "unknown-value",
                        "unknown level `" + *name + "`" + DidYouMean(*name, v_.levels));
          v_.withheld_level = static_cast<int>(v_.levels.size());
        }
      }
    }
  }

  void Missing(const std::string& section) {
    // At the `vocabulary:` that lacks it, when there is one.
    if (vocab_src_ != nullptr) {
      vocab_src_->Error(vocab_src_->root["vocabulary"], "missing-section",
                        "the vocabulary declares no `" + section + "`");
      return;
    }
    diags_->Error(SourceLocation{}, "missing-section",
                  "the vocabulary declares no `" + section + "`");
  }

  void Fail(const std::string& section, const std::string& code, const std::string& message) {
    const Section* s = Find(section);
    s->src->Error(s->node, code, message);
  }

  void BuildPlacements() {
    const Section* s = Find("placements");
    if (s == nullptr) return Missing("placements");
    if (!s->src->ExpectMap(s->node, "`placements`")) return;
    for (auto it = s->node.begin(); it != s->node.end(); ++it) {
      Placement p;
      p.name = it->first.Scalar();
      const std::string what = "placement `" + p.name + "`";
      if (!s->src->ExpectMap(it->second, what)) continue;
      s->src->CheckKeys(it->second, what, {"shown_on"});
      p.on_organic = p.on_ad = false;
      if (!it->second["shown_on"]) {
        s->src->Error(it->first, "missing-field",
                      what + " needs `shown_on`: the request kinds it renders on, `organic` or `ad`");
        v_.placements.push_back(p);
        continue;
      }
      auto kinds = s->src->ScalarList(it->second["shown_on"], "`shown_on`");
      for (const std::string& k : kinds.value_or(std::vector<std::string>{})) {
        if (k == "organic") {
          p.on_organic = true;
        } else if (k == "ad") {
          p.on_ad = true;
        } else {
          s->src->Error(it->second["shown_on"], "unknown-value",
                        "unknown request kind `" + k + "`; expected `organic` or `ad`");
        }
      }
      v_.placements.push_back(p);
    }
    if (v_.placements.size() > 32) {
      s->src->Error(s->node, "too-many-values", "at most 32 placements can be declared");
    }
  }

  std::vector<int> Placements(const YamlSource& src, const DocNode& node) {
    std::vector<int> out;
    std::vector<std::string> names;
    for (const Placement& p : v_.placements) names.push_back(p.name);
    for (const DocNode& item : Elements(node)) {
      auto name = src.Scalar(item, "a placement");
      if (!name || names.empty()) continue;  // no placements: reported once, as missing
      int idx = v_.FindPlacement(*name);
      if (idx < 0) {
        src.Error(item, "unknown-value", "unknown placement `" + *name + "`" + DidYouMean(*name, names));
        continue;
      }
      out.push_back(idx);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  void BuildLabels() {
    const Section* s = Find("labels");
    if (s == nullptr || !s->src->ExpectMap(s->node, "`labels`")) return;
    for (auto it = s->node.begin(); it != s->node.end(); ++it) {
      Label l;
      l.id = it->first.Scalar();
      l.at = s->src->At(it->first);
      const std::string what = "label `" + l.id + "`";
      if (!s->src->ExpectMap(it->second, what)) continue;
      s->src->CheckKeys(it->second, what, {"text", "placements", "description"});
      auto text = it->second["text"] ? s->src->Scalar(it->second["text"], "`text`") : std::nullopt;
      if (!it->second["text"]) s->src->Error(it->first, "missing-field", what + " needs `text`");
      if (text) l.text = ParseTemplate(*s->src, it->second["text"], *text);
      // A label without placements would render nowhere.
      if (!it->second["placements"]) {
        s->src->Error(it->first, "missing-field", what + " needs `placements`: where it is shown");
      }
      l.placements = Placements(*s->src, it->second["placements"]);
      v_.labels.push_back(l);
    }
  }

  void BuildNotices() {
    const Section* s = Find("notices");
    if (s == nullptr || !s->src->ExpectMap(s->node, "`notices`")) return;
    for (auto it = s->node.begin(); it != s->node.end(); ++it) {
      Notice n;
      n.id = it->first.Scalar();
      n.at = s->src->At(it->first);
      auto text = s->src->Scalar(it->second, "notice `" + n.id + "`");
      if (text) n.text = ParseTemplate(*s->src, it->second, *text);
      v_.notices.push_back(n);
    }
  }

  std::optional<Instant> ReadInstant(const YamlSource& src, const DocNode& node) {
    auto text = src.Scalar(node, "an instant");
    if (!text) return std::nullopt;
    InstantOrError parsed = ParsePolicyInstant(*text);
    if (auto* err = std::get_if<std::string>(&parsed)) {
      src.Error(node, "bad-time", "invalid instant `" + *text + "`: " + *err);
      return std::nullopt;
    }
    return std::get<Instant>(parsed);
  }

  void BuildWindows() {
    const Section* s = Find("windows");
    if (s == nullptr || !s->src->ExpectMap(s->node, "`windows`")) return;
    for (auto it = s->node.begin(); it != s->node.end(); ++it) {
      Window w;
      w.name = it->first.Scalar();
      w.at = s->src->At(it->first);
      const std::string what = "window `" + w.name + "`";
      if (!s->src->ExpectMap(it->second, what)) continue;
      s->src->CheckKeys(it->second, what, {"from", "until", "description"});
      if (auto n = it->second["from"]) w.from = ReadInstant(*s->src, n).value_or(w.from);
      if (auto n = it->second["until"]) w.until = ReadInstant(*s->src, n).value_or(w.until);
      if (w.until <= w.from) {
        s->src->Error(it->first, "empty-window",
                      what + " ends at or before it starts: `until` must be later than `from`");
      }
      v_.windows.push_back(w);
    }
  }

  void BuildSanctionsLists() {
    const Section* s = Find("sanctions_lists");
    if (s == nullptr || !s->src->ExpectMap(s->node, "`sanctions_lists`")) return;
    for (auto it = s->node.begin(); it != s->node.end(); ++it) {
      SanctionsList l;
      l.name = it->first.Scalar();
      l.at = s->src->At(it->first);
      const std::string what = "sanctions list `" + l.name + "`";
      if (s->src->ExpectMap(it->second, what)) {
        s->src->CheckKeys(it->second, what, {"jurisdiction", "description"});
        if (auto j = it->second["jurisdiction"]) {
          l.jurisdiction = s->src->Scalar(j, "`jurisdiction`").value_or("");
        }
      }
      v_.sanctions_lists.push_back(l);
    }
  }

  const std::vector<YamlSource>& files_;
  Diagnostics* diags_;
  Vocabulary& v_;
  std::map<std::string, Section> sections_;
  const YamlSource* vocab_src_ = nullptr;  // the first `vocabulary:`, for missing sections
};

}  // namespace

Template ParseTemplate(const YamlSource& src, const DocNode& at, const std::string& text) {
  static const std::vector<std::string> kVars = {"state_short",   "state_adjective", "state_name",
                                                 "viewer_country", "viewer_country_name",
                                                 "account_id"};
  Template t;
  t.source = text;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find('{', pos);
    if (open == std::string::npos) {
      t.pieces.push_back({false, text.substr(pos), {}});
      break;
    }
    if (open > pos) t.pieces.push_back({false, text.substr(pos, open - pos), {}});
    size_t close = text.find('}', open);
    if (close == std::string::npos) {
      src.Error(at, "bad-template", "unclosed `{` in `" + text + "`");
      break;
    }
    const std::string var = text.substr(open + 1, close - open - 1);
    int idx = Vocabulary::FindIn(kVars, var);
    if (idx < 0) {
      src.Error(at, "unknown-placeholder",
                "unknown placeholder `{" + var + "}`" + DidYouMean(var, kVars));
    } else {
      Template::Piece p;
      p.is_var = true;
      p.var = static_cast<Template::Var>(idx);
      t.uses_state = t.uses_state || idx <= 2;
      t.pieces.push_back(p);
    }
    pos = close + 1;
  }
  return t;
}

void BuildVocabulary(const std::vector<YamlSource>& files, Diagnostics* diags, Vocabulary* vocab) {
  VocabularyBuilder(files, diags, vocab).Build();
}

}  // namespace statemark::internal
