#include "engine/internal/condition_loader.h"

#include <re2/re2.h>

#include <algorithm>

#include "engine/internal/spelling.h"

namespace statemark::internal {
namespace {

const std::vector<std::string> kOperators = {"in",      "not_in",      "intersects", "contains_all",
                                             "same_as", "not_same_as", "is",         "matches",
                                             "before",  "at_or_after", "listed_in",  "present"};

std::vector<std::string> AttributeNames(const Vocabulary& v) {
  std::vector<std::string> names;
  for (const Attribute& a : v.attributes) names.push_back(a.name);
  names.push_back("all");
  names.push_back("any");
  names.push_back("not");
  return names;
}


// The operators that make sense for each attribute type, for messages and checks.
bool OperatorFits(Op op, AttrType t) {
  switch (op) {
    case Op::kIn:
    case Op::kNotIn:
      return t == AttrType::kEnum || t == AttrType::kCountry || t == AttrType::kString;
    case Op::kIntersects:
    case Op::kContainsAll: return IsSetType(t);
    case Op::kSameAs:
    case Op::kNotSameAs: return t == AttrType::kEnum || t == AttrType::kCountry;
    case Op::kIs: return t == AttrType::kBool;
    case Op::kMatches: return t == AttrType::kString;
    case Op::kBefore:
    case Op::kAtOrAfter: return t == AttrType::kInstant;
    case Op::kListedIn: return t == AttrType::kListings;
    case Op::kPresent: return t != AttrType::kListings;
  }
  return false;
}

std::string SuggestOperators(AttrType t) {
  std::string out;
  for (size_t i = 0; i < kOperators.size(); ++i) {
    if (!OperatorFits(static_cast<Op>(i), t)) continue;
    out += out.empty() ? "`" : ", `";
    out += kOperators[i] + "`";
  }
  return out;
}

class ConditionParser {
 public:
  explicit ConditionParser(const ConditionContext& ctx) : ctx_(ctx), src_(*ctx.src) {}

  // `depth` counts the all/any/not around `node`.
  std::optional<Condition> Parse(const DocNode& node, int depth) {
    if (!node.IsMap() || node.size() == 0) {
      src_.Error(node, "bad-condition",
                 "expected a condition: `attribute: value`, or `all`, `any` or `not`");
      return std::nullopt;
    }
    std::vector<Condition> parts;
    bool ok = true;
    for (auto it = node.begin(); it != node.end(); ++it) {
      auto part = ParseEntry(it->first, it->second, depth);
      if (part) {
        parts.push_back(std::move(*part));
      } else {
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
    if (parts.size() == 1) return std::move(parts[0]);
    Condition all;
    all.kind = Condition::Kind::kAll;
    all.children = std::move(parts);
    all.at = src_.At(node);
    return all;
  }

 private:
  std::optional<Condition> ParseEntry(const DocNode& key, const DocNode& value, int depth) {
    const std::string name = key.Scalar();
    if ((name == "all" || name == "any" || name == "not") &&
        depth + 1 > ctx_.options->max_condition_depth) {
      // Reported once, at the first all/any/not too many, not at each condition below.
      src_.Error(key, "too-deep",
                 "condition nests deeper than " + std::to_string(ctx_.options->max_condition_depth) +
                     " levels of all/any/not");
      return std::nullopt;
    }
    if (name == "all" || name == "any") return ParseList(key, value, name, depth);
    if (name == "not") {
      auto inner = Parse(value, depth + 1);
      if (!inner) return std::nullopt;
      Condition c;
      c.kind = Condition::Kind::kNot;
      c.at = src_.At(key);
      c.children.push_back(std::move(*inner));
      return c;
    }
    int attr = ctx_.vocab->FindAttribute(name);
    if (attr < 0) {
      src_.Error(key, "unknown-attribute",
                 "unknown attribute `" + name + "`" + DidYouMean(name, AttributeNames(*ctx_.vocab)));
      return std::nullopt;
    }
    return ParseTests(key, attr, value);
  }

  std::optional<Condition> ParseList(const DocNode& key, const DocNode& value,
                                     const std::string& name, int depth) {
    if (!src_.ExpectList(value, "`" + name + "`")) return std::nullopt;
    if (value.size() == 0) {
      src_.Error(key, "empty-condition", "`" + name + "` needs at least one condition");
      return std::nullopt;
    }
    Condition c;
    c.kind = name == "all" ? Condition::Kind::kAll : Condition::Kind::kAny;
    c.at = src_.At(key);
    bool ok = true;
    for (const DocNode& item : value) {
      auto child = Parse(item, depth + 1);
      if (child) {
        c.children.push_back(std::move(*child));
      } else {
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
    return c;
  }

  // `attr: value`, `attr: [values]` or `attr: {op: arg, ...}`.
  std::optional<Condition> ParseTests(const DocNode& key, int attr, const DocNode& value) {
    const Attribute& a = ctx_.vocab->attributes[static_cast<size_t>(attr)];
    if (!value.IsMap()) return ParseShorthand(key, a, attr, value);
    std::vector<Condition> tests;
    bool ok = true;
    for (auto it = value.begin(); it != value.end(); ++it) {
      const std::string op_name = it->first.Scalar();
      int op = Vocabulary::FindIn(kOperators, op_name);
      if (op < 0) {
        src_.Error(it->first, "unknown-operator",
                   "unknown operator `" + op_name + "`" + DidYouMean(op_name, kOperators));
        ok = false;
        continue;
      }
      auto test = ParseTest(it->first, attr, static_cast<Op>(op), it->second);
      if (test) {
        tests.push_back(std::move(*test));
      } else {
        ok = false;
      }
    }
    if (!ok || tests.empty()) {
      if (ok) src_.Error(key, "empty-condition", "`" + a.name + "` has no operator");
      return std::nullopt;
    }
    if (tests.size() == 1) return std::move(tests[0]);
    Condition all;
    all.kind = Condition::Kind::kAll;
    all.children = std::move(tests);
    all.at = src_.At(key);
    return all;
  }

  std::optional<Condition> ParseShorthand(const DocNode& key, const Attribute& a, int attr,
                                          const DocNode& value) {
    Op op;
    switch (a.type) {
      case AttrType::kBool: op = Op::kIs; break;
      case AttrType::kEnumSet:
      case AttrType::kCountrySet: op = Op::kIntersects; break;
      case AttrType::kEnum:
      case AttrType::kCountry:
      case AttrType::kString: op = Op::kIn; break;
      default:
        src_.Error(key, "bad-operator",
                   "`" + a.name + "` needs an operator: " + SuggestOperators(a.type));
        return std::nullopt;
    }
    return ParseTest(key, attr, op, value);
  }

  std::optional<Condition> ParseTest(const DocNode& at, int attr, Op op, const DocNode& arg) {
    const Attribute& a = ctx_.vocab->attributes[static_cast<size_t>(attr)];
    if (!OperatorFits(op, a.type)) {
      src_.Error(at, "bad-operator",
                 "operator `" + std::string(OpName(op)) + "` does not apply to `" + a.name +
                     "`, which is of type `" + AttrTypeName(a.type) +
                     "`; use " + SuggestOperators(a.type));
      return std::nullopt;
    }
    Condition c;
    c.kind = Condition::Kind::kTest;
    c.attr = attr;
    c.op = op;
    c.at = src_.At(at);
    bool ok = true;
    switch (op) {
      case Op::kIn:
      case Op::kNotIn:
      case Op::kIntersects:
      case Op::kContainsAll:
        ok = ReadValues(a, arg, &c);
        // `in: []` (or a bare `attribute:`) would match nothing, silently.
        if (ok && c.written.empty()) {
          src_.Error(arg.IsNull() ? at : arg, "missing-value",
                     "`" + std::string(OpName(op)) + "` of `" + a.name +
                         "` needs at least one value");
          ok = false;
        }
        break;
      case Op::kSameAs:
      case Op::kNotSameAs: ok = ReadOtherAttribute(a, arg, &c); break;
      case Op::kIs:
      case Op::kPresent: {
        auto flag = src_.Bool(arg, "`" + std::string(OpName(op)) + "`");
        ok = flag.has_value();
        c.flag = flag.value_or(false);
        break;
      }
      case Op::kMatches: ok = ReadPattern(arg, &c); break;
      case Op::kBefore:
      case Op::kAtOrAfter: ok = ReadInstant(arg, &c); break;
      case Op::kListedIn: ok = ReadList(arg, &c); break;
    }
    if (!ok) return std::nullopt;
    return c;
  }

  bool ReadValues(const Attribute& a, const DocNode& arg, Condition* c) {
    if (a.type == AttrType::kString) {
      auto values = src_.ScalarList(arg, "`" + a.name + "`");
      if (!values) return false;
      for (const std::string& v : *values) {
        ctx_.strings->Intern(v);
        c->written.push_back(v);
      }
      return true;
    }
    return ResolveValues(src_, *ctx_.vocab, a.domain, arg, NounFor(a), &c->values, &c->written);
  }

  std::string NounFor(const Attribute& a) const {
    if (a.domain == kCountryDomain) return "country code";
    std::string last = a.name.substr(a.name.rfind('.') + 1);
    if (IsSetType(a.type) && !last.empty() && last.back() == 's') last.pop_back();
    return last;
  }

  bool ReadOtherAttribute(const Attribute& a, const DocNode& arg, Condition* c) {
    auto name = src_.Scalar(arg, "an attribute name");
    if (!name) return false;
    c->other_attr = ctx_.vocab->FindAttribute(*name);
    if (c->other_attr < 0) {
      src_.Error(arg, "unknown-attribute",
                 "unknown attribute `" + *name + "`" + DidYouMean(*name, AttributeNames(*ctx_.vocab)));
      return false;
    }
    const Attribute& b = ctx_.vocab->attributes[static_cast<size_t>(c->other_attr)];
    if (b.type != a.type || b.domain != a.domain) {
      src_.Error(arg, "type-mismatch",
                 "`" + a.name + "` and `" + b.name + "` hold different kinds of values");
      return false;
    }
    c->written.push_back(*name);
    return true;
  }

  bool ReadPattern(const DocNode& arg, Condition* c) {
    auto pattern = src_.Scalar(arg, "`matches`");
    if (!pattern) return false;
    if (pattern->size() > ctx_.options->max_regex_bytes) {
      src_.Error(arg, "regex-too-long",
                 "pattern is " + std::to_string(pattern->size()) + " bytes; at most " +
                     std::to_string(ctx_.options->max_regex_bytes) + " are allowed");
      return false;
    }
    RE2::Options opts;
    opts.set_log_errors(false);
    RE2 re(*pattern, opts);
    if (!re.ok()) {
      src_.Error(arg, "bad-regex", "invalid pattern `" + *pattern + "`: " + re.error());
      return false;
    }
    auto& regexes = *ctx_.regexes;
    auto it = std::find(regexes.begin(), regexes.end(), *pattern);
    c->regex = static_cast<int>(it - regexes.begin());
    if (it == regexes.end()) regexes.push_back(*pattern);
    c->pattern = *pattern;
    c->written.push_back(*pattern);
    return true;
  }

  bool ReadInstant(const DocNode& arg, Condition* c) {
    auto text = src_.Scalar(arg, "an instant");
    if (!text) return false;
    c->written.push_back(*text);
    if (*text == "window.from" || *text == "window.until") {
      if (!ctx_.has_window) {
        src_.Error(arg, "no-window", "`" + *text + "` needs the rule to have an `effective` window");
        return false;
      }
      c->instant = *text == "window.from" ? ctx_.window_from : ctx_.window_until;
      return true;
    }
    InstantOrError parsed = ParsePolicyInstant(*text);
    if (auto* err = std::get_if<std::string>(&parsed)) {
      src_.Error(arg, "bad-time", "invalid instant `" + *text + "`: " + *err);
      return false;
    }
    c->instant = std::get<Instant>(parsed);
    return true;
  }

  bool ReadList(const DocNode& arg, Condition* c) {
    auto name = src_.Scalar(arg, "a sanctions list");
    if (!name) return false;
    c->list = ctx_.vocab->FindSanctionsList(*name);
    if (c->list < 0) {
      std::vector<std::string> names;
      for (const SanctionsList& l : ctx_.vocab->sanctions_lists) names.push_back(l.name);
      src_.Error(arg, "unknown-list", "unknown sanctions list `" + *name + "`" + DidYouMean(*name, names));
      return false;
    }
    c->written.push_back(*name);
    return true;
  }

  const ConditionContext& ctx_;
  const YamlSource& src_;
};

}  // namespace

bool ResolveValues(const YamlSource& src, const Vocabulary& vocab, int domain,
                   const DocNode& node, const std::string& noun, ValueSet* out,
                   std::vector<std::string>* written) {
  const Domain& d = vocab.domains[static_cast<size_t>(domain)];
  bool ok = true;
  for (const DocNode& item : Elements(node)) {
    const bool vowel = !noun.empty() && std::string("aeiou").find(noun[0]) != std::string::npos;
    auto name = src.Scalar(item, (vowel ? "an " : "a ") + noun);
    if (!name) {
      ok = false;
      continue;
    }
    written->push_back(*name);
    int v = d.Find(*name);
    if (v >= 0) {
      out->Add(v);
      continue;
    }
    int g = vocab.FindGroup(*name);
    if (g >= 0 && vocab.groups[static_cast<size_t>(g)].domain == domain) {
      *out |= vocab.groups[static_cast<size_t>(g)].members;
      continue;
    }
    if (g >= 0 && vocab.groups[static_cast<size_t>(g)].domain < 0) {
      ok = false;  // a group whose declaration has an error, reported there
      continue;
    }
    if (g >= 0) {
      const int other = vocab.groups[static_cast<size_t>(g)].domain;
      src.Error(item, "unknown-value",
                "group `" + *name + "` holds values of `" +
                    vocab.domains[static_cast<size_t>(other)].name + "`, not " + noun + "s");
      ok = false;
      continue;
    }
    std::vector<std::string> groups;
    for (const Group& group : vocab.groups) {
      if (group.domain == domain) groups.push_back(group.name);
    }
    std::string suggestion;
    if (domain == kCountryDomain) {
      suggestion = SuggestCountry(*name, d.values, groups);
    } else {
      std::vector<std::string> candidates = d.values;
      candidates.insert(candidates.end(), groups.begin(), groups.end());
      suggestion = DidYouMean(*name, candidates);
    }
    src.Error(item, "unknown-value", "unknown " + noun + " `" + *name + "`" + suggestion);
    ok = false;
  }
  return ok;
}

std::optional<Condition> ParseCondition(const ConditionContext& ctx, const DocNode& node) {
  return ConditionParser(ctx).Parse(node, 0);
}

}  // namespace statemark::internal
