#include "engine/internal/rule_loader.h"

#include <algorithm>
#include <map>
#include <regex>

#include "engine/internal/condition_loader.h"
#include "engine/internal/spelling.h"

namespace statemark::internal {
namespace {

const std::vector<std::string> kRuleKeys = {"id",      "layer",   "description", "note",
                                            "basis",   "mode",    "applies_to",  "effective",
                                            "when",    "then",    "cases",       "lifts"};
const std::vector<std::string> kEffectKeys = {"surfaces", "labels",       "notice",
                                              "friction", "monetization", "ads"};
const std::vector<std::string> kLayers = {"integrity", "legal", "platform", "exemption"};
const std::vector<std::string> kSubjects = {"account", "linked_accounts", "reshared_account"};

// The `attribute in [values]` tests on single-valued enums and countries that must all
// hold for `c` to hold: `c` itself, or those among the parts of an `all`.
void RequiredTests(const Vocabulary& v, const Condition& c, std::vector<const Condition*>* out) {
  if (c.kind == Condition::Kind::kTest && c.op == Op::kIn && c.attr >= 0 &&
      v.attributes[static_cast<size_t>(c.attr)].domain >= 0) {
    out->push_back(&c);
  }
  if (c.kind == Condition::Kind::kAll) {
    for (const Condition& child : c.children) RequiredTests(v, child, out);
  }
}

std::string Ticked(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "`" : ", `") + n + "`";
  return out;
}

class RuleReader {
 public:
  RuleReader(const YamlSource& src, const Vocabulary& vocab, const LoaderOptions& options,
             StringTable* strings, std::vector<std::string>* regexes)
      : src_(src), v_(vocab), options_(options), strings_(strings), regexes_(regexes) {}

  std::optional<ParsedRule> Read(const DocNode& node) {
    if (!src_.ExpectMap(node, "a rule")) return std::nullopt;
    ParsedRule out;
    out.src = &src_;
    Rule& r = out.rule;
    r.at = src_.At(node);
    const DocNode id = node["id"];
    if (!id) {
      src_.Error(node, "missing-id", "rule has no `id`");
      return std::nullopt;
    }
    out.id_at = src_.At(id);
    auto id_text = src_.Scalar(id, "`id`");
    if (!id_text) return std::nullopt;
    r.id = *id_text;
    static const std::regex kId("[A-Za-z0-9][A-Za-z0-9_.-]*");
    if (!std::regex_match(r.id, kId)) {
      src_.Error(id, "bad-id", "rule id `" + r.id + "` may hold only letters, digits, `_`, `.` and `-`");
      return std::nullopt;
    }
    what_ = "rule `" + r.id + "`";
    src_.CheckKeys(node, what_, kRuleKeys);
    ok_ = true;
    ReadHeader(node, &r);
    ReadWindow(node["effective"], &r);
    ReadBody(node, &out);
    // A rule with errors is kept all the same (the errors make the load fail), so
    // that the checks across rules know its id: an exemption that lifts it, or a
    // second rule with its id, is then judged correctly rather than reported as well.
    return out;
  }

 private:
  void Fail(const DocNode& at, const std::string& code, const std::string& message) {
    src_.Error(at, code, message);
    ok_ = false;
  }

  void ReadHeader(const DocNode& node, Rule* r) {
    const DocNode layer = node["layer"];
    layer_known_ = false;
    if (!layer) {
      Fail(node["id"], "missing-field", what_ + " needs a `layer`: " + "integrity, legal, platform or exemption");
    } else if (auto name = src_.Scalar(layer, "`layer`")) {
      int l = Vocabulary::FindIn(kLayers, *name);
      if (l < 0) {
        Fail(layer, "unknown-value", "unknown layer `" + *name + "`" + DidYouMean(*name, kLayers));
      } else {
        r->layer = static_cast<Layer>(l);
        layer_known_ = true;
      }
    } else {
      ok_ = false;
    }
    if (auto n = node["description"]) r->description = src_.Scalar(n, "`description`").value_or("");
    if (auto n = node["note"]) r->note = src_.Scalar(n, "`note`").value_or("");
    if (auto n = node["basis"]) r->basis = src_.ScalarList(n, "`basis`").value_or(r->basis);
    if (auto n = node["mode"]) {
      auto mode = src_.Scalar(n, "`mode`");
      if (!mode) {
        ok_ = false;
      } else if (*mode == "shadow") {
        r->mode = RuleMode::kShadow;
      } else if (*mode != "enforce") {
        Fail(n, "unknown-value", "unknown mode `" + *mode + "`; expected `enforce` or `shadow`");
      }
    }
    ReadSubjects(node["applies_to"], r);
  }

  void ReadSubjects(const DocNode& node, Rule* r) {
    if (!node) {
      r->applies_to = {Subject::kAccount};
      return;
    }
    if (r->layer == Layer::kExemption) {
      Fail(node, "unexpected-field",
           "exemptions take no `applies_to`: each is judged on the account of the rule it lifts");
      return;
    }
    for (const DocNode& item : Elements(node)) {
      auto name = src_.Scalar(item, "`applies_to`");
      int s = name ? Vocabulary::FindIn(kSubjects, *name) : -1;
      if (s < 0) {
        if (name) {
          Fail(item, "unknown-value",
               "unknown subject `" + *name + "`" + DidYouMean(*name, kSubjects) +
                   " (expected account, linked_accounts or reshared_account)");
        }
        continue;
      }
      r->applies_to.push_back(static_cast<Subject>(s));
    }
    std::sort(r->applies_to.begin(), r->applies_to.end());
    r->applies_to.erase(std::unique(r->applies_to.begin(), r->applies_to.end()), r->applies_to.end());
    if (r->applies_to.empty()) r->applies_to = {Subject::kAccount};
  }

  std::optional<Instant> ReadInstant(const DocNode& node) {
    auto text = src_.Scalar(node, "an instant");
    if (!text) return std::nullopt;
    InstantOrError parsed = ParsePolicyInstant(*text);
    if (auto* err = std::get_if<std::string>(&parsed)) {
      Fail(node, "bad-time", "invalid instant `" + *text + "`: " + *err);
      return std::nullopt;
    }
    return std::get<Instant>(parsed);
  }

  void ReadWindow(const DocNode& node, Rule* r) {
    if (!node) return;
    // Even when `effective` has errors (reported here), the rule means to have a
    // window: `window.from` in its `when` is then no error of its own.
    has_window_ = true;
    if (node.IsScalar()) {
      int w = v_.FindWindow(node.Scalar());
      if (w < 0) {
        std::vector<std::string> names;
        for (const Window& win : v_.windows) names.push_back(win.name);
        Fail(node, "unknown-window",
             "unknown window `" + node.Scalar() + "`" + DidYouMean(node.Scalar(), names));
        return;
      }
      const Window& win = v_.windows[static_cast<size_t>(w)];
      r->window = win.name;
      r->from = win.from;
      r->until = win.until;
      return;
    }
    if (!src_.ExpectMap(node, "`effective`")) return;
    src_.CheckKeys(node, "`effective`", {"from", "until"});
    if (auto n = node["from"]) r->from = ReadInstant(n).value_or(r->from);
    if (auto n = node["until"]) r->until = ReadInstant(n).value_or(r->until);
    if (r->until <= r->from) {
      Fail(node, "empty-window",
           what_ + " is never in effect: `until` (" + FormatRfc3339(r->until) +
               ") is not later than `from` (" + FormatRfc3339(r->from) + ")");
    }
  }

  void ReadBody(const DocNode& node, ParsedRule* out) {
    Rule& r = out->rule;
    ConditionContext ctx{&src_, &v_, &options_, strings_, regexes_, r.id, has_window_, r.from, r.until};
    if (const DocNode when = node["when"]) {
      auto c = ParseCondition(ctx, when);
      if (c) {
        r.when = std::move(*c);
        r.has_when = true;
      } else {
        ok_ = false;
      }
    }
    if (r.layer == Layer::kExemption && r.mode == RuleMode::kShadow && layer_known_) {
      Fail(node["mode"], "shadow-exemption",
           "an exemption cannot be a shadow rule: make the rules it lifts shadow rules instead");
    }
    if (r.layer == Layer::kExemption && layer_known_) return ReadLifts(node, out);
    if (node["lifts"] && layer_known_) {
      Fail(node["lifts"], "unexpected-field", "only exemptions take `lifts`");
    }
    if (const DocNode then = node["then"]) r.then = ReadEffects(then);
    if (const DocNode cases = node["cases"]) ReadCases(ctx, cases, &r);
    if (!node["then"] && !node["cases"] && layer_known_) {
      Fail(node["id"], "missing-field", what_ + " has no effect: give it `then` or `cases`");
    }
  }

  void ReadLifts(const DocNode& node, ParsedRule* out) {
    for (const char* key : {"then", "cases"}) {
      if (node[key]) {
        Fail(node[key], "unexpected-field",
             "exemptions have no effects of their own; they only `lifts` platform rules");
      }
    }
    const DocNode lifts = node["lifts"];
    if (!lifts) {
      Fail(node["id"], "missing-field", what_ + " is an exemption and needs `lifts`: the rules it lifts");
      return;
    }
    const std::vector<DocNode> items = Elements(lifts);
    if (items.empty()) {
      Fail(lifts, "empty-lifts", what_ + " lifts no rule: name the platform rules it lifts");
      return;
    }
    for (const DocNode& item : items) {
      if (auto name = src_.Scalar(item, "`lifts`")) {
        out->lift_names.emplace_back(*name, src_.At(item));
      } else {
        ok_ = false;
      }
    }
  }

  void ReadCases(const ConditionContext& ctx, const DocNode& cases, Rule* r) {
    if (!src_.ExpectList(cases, "`cases`")) {
      ok_ = false;
      return;
    }
    if (cases.size() == 0) {
      Fail(cases, "empty-effect", "`cases` of " + what_ + " lists no case");
      return;
    }
    for (const DocNode& item : cases) {
      if (!src_.ExpectMap(item, "a case")) {
        ok_ = false;
        continue;
      }
      src_.CheckKeys(item, "a case of " + what_, {"when", "then"});
      Case c;
      c.at = src_.At(item);
      if (!item["when"] || !item["then"]) {
        Fail(item, "missing-field",
             "a case of " + what_ + " needs " +
                 (!item["when"] && !item["then"] ? "`when` and `then`"
                  : !item["when"]                ? "`when`"
                                                 : "`then`"));
        continue;
      }
      auto cond = ParseCondition(ctx, item["when"]);
      if (!cond) {
        ok_ = false;
        continue;
      }
      c.when = std::move(*cond);
      CheckReachable(*r, c.when);
      c.then = ReadEffects(item["then"]);
      r->cases.push_back(std::move(c));
    }
  }

  // A case applies when the rule's `when` and its own both hold. If the rule requires an
  // attribute to be one of some values and the case requires it to be one of others,
  // the case can never apply: almost surely a mistake, so a warning (generated
  // policies may hold such cases, and they decide nothing wrongly).
  void CheckReachable(const Rule& r, const Condition& case_when) {
    if (!r.has_when) return;
    std::vector<const Condition*> rule_tests, case_tests;
    RequiredTests(v_, r.when, &rule_tests);
    RequiredTests(v_, case_when, &case_tests);
    for (const Condition* ct : case_tests) {
      for (const Condition* rt : rule_tests) {
        if (rt->attr != ct->attr || rt->values.Intersects(ct->values)) continue;
        src_.diags->Warning(ct->at, "unreachable-case",
                            "this case can never apply: rule `" + r.id + "` requires `" +
                                v_.attributes[static_cast<size_t>(rt->attr)].name +
                                "` to be one of " + Ticked(rt->written));
        return;
      }
    }
  }

  Effects ReadEffects(const DocNode& node) {
    const size_t errors_before = src_.diags->error_count();
    Effects e;
    e.at = src_.At(node);
    e.levels.assign(v_.surfaces.size(), -1);
    if (!src_.ExpectMap(node, "`then`")) {
      ok_ = false;
      return e;
    }
    src_.CheckKeys(node, "the effects of " + what_, kEffectKeys);
    if (auto n = node["surfaces"]) ReadSurfaces(n, &e);
    if (auto n = node["labels"]) ReadLabels(n, &e);
    if (auto n = node["notice"]) {
      auto name = src_.Scalar(n, "`notice`");
      e.notice = name ? v_.FindNotice(*name) : -1;
      if (name && e.notice < 0) {
        std::vector<std::string> names;
        for (const Notice& x : v_.notices) names.push_back(x.id);
        Fail(n, "unknown-value", "unknown notice `" + *name + "`" + DidYouMean(*name, names));
      }
    }
    if (auto n = node["friction"]) e.friction = ReadNames(n, v_.friction, "friction");
    if (auto n = node["monetization"]) {
      // One value: a list of several would leave the rule's intent unclear.
      if (src_.Scalar(n, "`monetization`")) {
        auto values = ReadNames(n, v_.monetization, "monetization value");
        if (values.size() == 1) e.monetization = values[0];
      } else {
        ok_ = false;
      }
    }
    if (auto n = node["ads"]) ReadAds(n, &e.ads);
    // Only when nothing in it was wrong: an effect with an error is reported as that.
    if (e.empty() && src_.diags->error_count() == errors_before) {
      Fail(node, "empty-effect", "`then` of " + what_ + " has no effect");
    }
    return e;
  }

  void ReadSurfaces(const DocNode& node, Effects* e) {
    if (!src_.ExpectMap(node, "`surfaces`")) {
      ok_ = false;
      return;
    }
    std::vector<std::string> keys = v_.surfaces;
    keys.push_back("all");
    if (node.size() == 0) {
      Fail(node, "empty-effect", "`surfaces` of " + what_ + " names no surface");
      return;
    }
    // `all` sets every surface not named on its own, wherever it stands in the map:
    // `{ all: removed, search: demoted }` and `{ search: demoted, all: removed }` agree.
    std::vector<bool> named(e->levels.size(), false);
    int all_level = -1;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string surface = it->first.Scalar();
      int s = v_.FindSurface(surface);
      if (s < 0 && surface != "all") {
        Fail(it->first, "unknown-value", "unknown surface `" + surface + "`" + DidYouMean(surface, keys));
        continue;
      }
      auto level = src_.Scalar(it->second, "a level");
      int l = level ? v_.FindLevel(*level) : -1;
      if (l < 0) {
        if (level) {
          Fail(it->second, "unknown-value", "unknown level `" + *level + "`" + DidYouMean(*level, v_.levels));
        } else {
          ok_ = false;
        }
        continue;
      }
      if (s < 0) {
        all_level = l;
      } else {
        e->levels[static_cast<size_t>(s)] = l;
        named[static_cast<size_t>(s)] = true;
      }
    }
    if (all_level >= 0) {
      for (size_t s = 0; s < e->levels.size(); ++s) {
        if (!named[s]) e->levels[s] = all_level;
      }
    }
  }

  void ReadLabels(const DocNode& node, Effects* e) {
    std::vector<std::string> names;
    for (const Label& l : v_.labels) names.push_back(l.id);
    for (const DocNode& item : Elements(node)) {
      LabelEffect le;
      const DocNode name_node = item.IsMap() ? item["label"] : item;
      if (item.IsMap()) {
        src_.CheckKeys(item, "a label effect", {"label", "placements"});
        if (!name_node) {
          Fail(item, "missing-field", "a label effect needs `label`");
          continue;
        }
      }
      auto name = src_.Scalar(name_node, "a label");
      le.label = name ? v_.FindLabel(*name) : -1;
      if (le.label < 0) {
        if (name) {
          Fail(name_node, "unknown-value", "unknown label `" + *name + "`" + DidYouMean(*name, names));
        } else {
          ok_ = false;
        }
        continue;
      }
      le.placements = v_.labels[static_cast<size_t>(le.label)].placements;
      if (item.IsMap() && item["placements"]) {
        le.placements = ReadNames(item["placements"], PlacementNames(), "placement");
      }
      e->labels.push_back(le);
    }
  }

  std::vector<std::string> PlacementNames() const {
    std::vector<std::string> names;
    for (const Placement& p : v_.placements) names.push_back(p.name);
    return names;
  }

  std::vector<int> ReadNames(const DocNode& node, const std::vector<std::string>& names,
                             const std::string& noun) {
    std::vector<int> out;
    for (const DocNode& item : Elements(node)) {
      auto name = src_.Scalar(item, "a " + noun);
      int idx = name ? Vocabulary::FindIn(names, *name) : -1;
      if (idx < 0) {
        if (name) {
          Fail(item, "unknown-value", "unknown " + noun + " `" + *name + "`" + DidYouMean(*name, names));
        } else {
          ok_ = false;
        }
        continue;
      }
      out.push_back(idx);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  void ReadAds(const DocNode& node, AdsEffect* ads) {
    if (node.IsScalar()) {
      if (node.Scalar() == "deny_all") {
        ads->kind = AdsEffect::Kind::kDenyAll;
      } else {
        Fail(node, "unknown-value",
             "unknown ads effect `" + node.Scalar() + "`; expected `deny_all`, `{allow_only: [...]}` or `{deny: [...]}`");
      }
      return;
    }
    if (!src_.ExpectMap(node, "`ads`") || node.size() != 1) {
      if (node.IsMap()) Fail(node, "bad-ads", "`ads` takes exactly one of `allow_only` and `deny`");
      ok_ = false;
      return;
    }
    src_.CheckKeys(node, "`ads`", {"allow_only", "deny"});
    const bool allow = static_cast<bool>(node["allow_only"]);
    ads->kind = allow ? AdsEffect::Kind::kAllowOnly : AdsEffect::Kind::kDeny;
    const DocNode list = allow ? node["allow_only"] : node["deny"];
    if (list && Elements(list).empty()) {
      Fail(list, "empty-effect",
           allow ? "`allow_only` lists no country; to deny ads everywhere, write `ads: deny_all`"
                 : "`deny` lists no country");
      return;
    }
    ReadCountryList(list, &ads->countries);
  }

  // Countries, groups of countries, and country attributes of the subject account.
  void ReadCountryList(const DocNode& node, CountryList* out) {
    if (!node) {
      ok_ = false;
      return;
    }
    for (const DocNode& item : Elements(node)) {
      auto name = src_.Scalar(item, "a country");
      if (!name) {
        ok_ = false;
        continue;
      }
      int attr = v_.FindAttribute(*name);
      if (attr >= 0) {
        const Attribute& a = v_.attributes[static_cast<size_t>(attr)];
        if (a.type != AttrType::kCountry || a.scope != AttrScope::kAccount) {
          Fail(item, "bad-ads", "`" + *name + "` is not a country attribute of the account");
          continue;
        }
        out->attrs.push_back(attr);
        out->written.push_back(*name);
        continue;
      }
      if (!ResolveValues(src_, v_, kCountryDomain, item, "country code", &out->fixed, &out->written)) {
        ok_ = false;
      }
    }
  }

  const YamlSource& src_;
  const Vocabulary& v_;
  const LoaderOptions& options_;
  StringTable* strings_;
  std::vector<std::string>* regexes_;
  std::string what_;
  bool ok_ = true;
  bool layer_known_ = false;  // `layer` names a layer: the checks that depend on it apply
  bool has_window_ = false;
};

}  // namespace

std::vector<ParsedRule> ReadRules(const std::vector<YamlSource>& files, const Vocabulary& vocab,
                                  const LoaderOptions& options, StringTable* strings,
                                  std::vector<std::string>* regexes) {
  std::vector<ParsedRule> out;
  for (const YamlSource& src : files) {
    if (!src.root.IsMap()) continue;
    const DocNode rules = src.root["rules"];
    if (!rules) continue;
    if (!src.ExpectList(rules, "`rules`")) continue;
    for (const DocNode& node : rules) {
      if (out.size() >= options.max_rules) {
        src.Error(node, "too-many-rules",
                  "the policy has more than " + std::to_string(options.max_rules) + " rules");
        return out;
      }
      if (auto rule = RuleReader(src, vocab, options, strings, regexes).Read(node)) {
        out.push_back(std::move(*rule));
      }
    }
  }
  return out;
}

std::vector<Rule> CheckRuleSet(std::vector<ParsedRule> parsed, Diagnostics* diags) {
  // Sorted through pointers: a ParsedRule is large to move.
  std::vector<ParsedRule*> order;
  order.reserve(parsed.size());
  for (ParsedRule& p : parsed) order.push_back(&p);
  std::sort(order.begin(), order.end(), [](const ParsedRule* a, const ParsedRule* b) {
    return std::tie(a->rule.id, a->rule.at.file, a->rule.at.line, a->rule.at.column) <
           std::tie(b->rule.id, b->rule.at.file, b->rule.at.line, b->rule.at.column);
  });
  // Past the rule limit some rules were not read: a name they hold is not unknown.
  bool all_read = true;
  for (const Diagnostic& d : diags->items()) all_read = all_read && d.code != "too-many-rules";
  std::vector<Rule> rules;
  rules.reserve(order.size());
  // The rules kept, whose `rule` has moved into `rules`; their lift names remain.
  std::vector<const ParsedRule*> kept;
  kept.reserve(order.size());
  for (ParsedRule* pp : order) {
    ParsedRule& p = *pp;
    if (!rules.empty() && rules.back().id == p.rule.id) {
      const SourceLocation& first = rules.back().at;
      diags->Error(p.id_at, "duplicate-id",
                   "rule id `" + p.rule.id + "` is already used at " + first.file + ":" +
                       std::to_string(first.line));
      continue;
    }
    rules.push_back(std::move(p.rule));
    kept.push_back(&p);
  }
  std::vector<std::string> ids;
  for (const Rule& r : rules) ids.push_back(r.id);
  for (size_t i = 0; i < rules.size(); ++i) {
    for (const auto& [name, node] : kept[i]->lift_names) {
      auto it = std::lower_bound(ids.begin(), ids.end(), name);
      if (it == ids.end() || *it != name) {
        if (!all_read) continue;
        diags->Error(node, "unknown-rule",
                            "exemption `" + rules[i].id + "` lifts rule `" + name +
                                "`, which does not exist" + DidYouMean(name, ids));
        continue;
      }
      const Rule& target = rules[static_cast<size_t>(it - ids.begin())];
      if (target.layer != Layer::kPlatform) {
        diags->Error(node, "not-exemptable",
                            "exemption `" + rules[i].id + "` cannot lift `" + name + "`: only " +
                                "platform rules can be lifted, and `" + name + "` is " +
                                (target.layer == Layer::kLegal ? "a " : "an ") +
                                LayerName(target.layer) + " rule");
        continue;
      }
      rules[i].lifts.push_back(static_cast<int>(it - ids.begin()));
    }
    std::sort(rules[i].lifts.begin(), rules[i].lifts.end());
    rules[i].lifts.erase(std::unique(rules[i].lifts.begin(), rules[i].lifts.end()),
                         rules[i].lifts.end());
  }
  return rules;
}

}  // namespace statemark::internal
