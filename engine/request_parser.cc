// Request parsing: JSON in, a Request with every value resolved to an index out.
//
// The parser is generic over the vocabulary: an attribute named `X.Y` is read from
// the request's `X` object, field `Y`, and stored by type in the slot the compiled
// policy gives it. Only the built-in attributes and the few fields that are not
// attributes (`content.links`, `content.links_to`, `content.reshare_of`, the
// `<name>_effective_at` dates of dated account attributes) have code of their own.
//
// Errors stop the parse at the first problem, checked in a fixed order (top-level
// shape, `account.id`, attributes in declared order, links), so one request always
// reports the same error. Warnings are collected and rendered into the decision; they
// carry item-relative paths because each item's decision carries its own.
#include "engine/request_parser.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "engine/internal/spelling.h"

namespace statemark {
namespace {

using nlohmann::json;

constexpr std::string_view kRequestIdField = "request_id";
constexpr std::string_view kTimeField = "time";

// Fields of `content` that are not vocabulary attributes: they name accounts.
constexpr std::string_view kLinks = "links";
constexpr std::string_view kLinksTo = "links_to";
constexpr std::string_view kReshareOf = "reshare_of";

std::string JoinPath(std::string_view prefix, std::string_view path) {
  if (prefix.empty()) return std::string(path);
  if (path.empty()) return std::string(prefix);
  std::string joined(prefix);
  if (path.front() != '[') joined += '.';
  joined += path;
  return joined;
}

std::string Indexed(std::string_view path, size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

std::string_view LastPart(std::string_view dotted) {
  const size_t dot = dotted.rfind('.');
  return dot == std::string_view::npos ? dotted : dotted.substr(dot + 1);
}

// What an unknown value of `attr` is called in messages: `unknown affiliation`,
// `unknown topic` (a set's domain name without its plural `s`), `unknown country code`.
std::string ValueNoun(const Attribute& attr, const Vocabulary& vocab) {
  if (attr.type == AttrType::kCountry || attr.type == AttrType::kCountrySet) {
    return "country code";
  }
  if (attr.type == AttrType::kEnumSet && attr.domain >= 0) {
    std::string noun(LastPart(vocab.domains[static_cast<size_t>(attr.domain)].name));
    if (noun.size() > 1 && noun.back() == 's') noun.pop_back();
    return noun;
  }
  return std::string(LastPart(attr.name));
}

// The suggestion for a misspelt value (see SuggestCountry for country codes).
std::string SuggestValue(const Attribute& attr, const Domain& domain, const std::string& word) {
  if (attr.type != AttrType::kCountry && attr.type != AttrType::kCountrySet) {
    return internal::DidYouMean(word, domain.values);
  }
  return internal::SuggestCountry(word, domain.values);
}

class Parser {
 public:
  Parser(const CompiledPolicy& policy, Instant now, Request* out, RequestError* error,
         std::string_view prefix)
      : policy_(policy),
        vocab_(policy.vocabulary()),
        now_(now),
        out_(out),
        error_(error),
        prefix_(prefix),
        schema_(policy.request_schema()) {}

  bool Parse(const json& j) {
    if (!j.is_object()) return Fail("", "expected an object");
    InitFacts();
    if (!ParseTopLevel(j) || !ParseAccountId()) return false;
    SetKind();
    for (size_t i = 0; i < vocab_.attributes.size(); ++i) {
      if (!ParseAttribute(static_cast<int>(i))) return false;
    }
    if (!ParseLinkedAccounts()) return false;
    for (size_t o = 0; o < schema_.objects.size(); ++o) {
      if (objects_[o] != nullptr) WarnUnknownFields(static_cast<int>(o), *objects_[o]);
    }
    return true;
  }

 private:
  // --- Results ---

  bool Fail(std::string_view path, std::string message) {
    error_->code = "invalid_request";
    error_->message = std::move(message);
    error_->path = JoinPath(prefix_, path);
    return false;
  }

  void Warn(std::string message) { out_->warnings.push_back(std::move(message)); }

  // A copy of `text` owned by the request, so that views of it survive moves. The
  // strings of an earlier parse into the same Request are reused.
  std::string_view Own(std::string_view text) {
    auto& owned = out_->owned_text;
    if (out_->owned_used == owned.size()) owned.push_back(std::make_unique<std::string>());
    std::string& copy = *owned[out_->owned_used++];
    copy.assign(text);
    return copy;
  }

  // --- Facts ---

  void InitFacts() {
    RequestFacts& f = out_->facts;
    f.value.fill(kAbsent);
    f.micros.fill(0);
    f.text.fill(std::string_view());
    f.sets.fill(ValueSet());
    AccountFacts& a = out_->inline_account;
    a.value.fill(kAbsent);
    a.text.fill(std::string_view());
    a.registry_index = -1;
    out_->inline_effective_at.assign(kMaxAccountAttributes, kBeginningOfTime.micros);
  }

  // The slot of `attr`, or nullptr when the compiled policy gives it no value cell.
  const internal::Slot* ValueSlot(int attr) const {
    const internal::Slot& s = policy_.slot(attr);
    const int limit =
        s.scope == AttrScope::kAccount ? kMaxAccountAttributes : kMaxRequestAttributes;
    return s.index >= 0 && s.index < limit ? &s : nullptr;
  }

  void StoreValue(int attr, uint32_t value) {
    const internal::Slot* s = ValueSlot(attr);
    if (s == nullptr) return;
    if (s->scope == AttrScope::kAccount) {
      out_->inline_account.value[static_cast<size_t>(s->index)] = value;
    } else {
      out_->facts.value[static_cast<size_t>(s->index)] = value;
    }
  }

  void StoreText(int attr, std::string_view text) {
    const internal::Slot* s = ValueSlot(attr);
    if (s == nullptr) return;
    const std::string_view owned = Own(text);
    if (s->scope == AttrScope::kAccount) {
      out_->inline_account.text[static_cast<size_t>(s->index)] = owned;
    } else {
      out_->facts.text[static_cast<size_t>(s->index)] = owned;
    }
    StoreValue(attr, policy_.registry().strings().Find(text));
  }

  // Instants live in the request's micros array only; an account has no such cell.
  void StoreInstant(int attr, Instant t) {
    const internal::Slot* s = ValueSlot(attr);
    if (s == nullptr || s->scope != AttrScope::kRequest) return;
    out_->facts.micros[static_cast<size_t>(s->index)] = t.micros;
    out_->facts.value[static_cast<size_t>(s->index)] = 1;
  }

  ValueSet* SetCell(int attr) {
    const internal::Slot& s = policy_.slot(attr);
    if (s.set_index < 0 || s.set_index >= kMaxSetAttributes) return nullptr;
    return &out_->facts.sets[static_cast<size_t>(s.set_index)];
  }

  // --- Top level ---

  bool ParseTopLevel(const json& j) {
    out_->time = now_;
    for (const auto& [key, value] : j.items()) {
      if (key == kRequestIdField) {
        if (!ParseRequestId(value)) return false;
      } else if (key == kTimeField) {
        if (!ParseTime(value)) return false;
      } else if (const int object = schema_.FindObject(key); object >= 0) {
        if (value.is_null()) continue;
        if (!value.is_object()) return Fail(key, "expected an object");
        objects_[static_cast<size_t>(object)] = &value;
      } else {
        WarnUnknownField(key, "", schema_.top_level_candidates);
      }
    }
    StoreInstant(vocab_.attr_time, out_->time);
    out_->is_ad = objects_[static_cast<size_t>(schema_.ad)] != nullptr;
    return true;
  }

  bool ParseRequestId(const json& v) {
    if (v.is_null()) return true;
    if (!v.is_string()) return Fail(kRequestIdField, "expected a string");
    out_->request_id = v.get<std::string>();
    out_->has_request_id = true;
    return true;
  }

  bool ParseTime(const json& v) {
    if (v.is_null()) return true;  // the caller's clock
    std::optional<Instant> t = ParseInstantField(v, kTimeField);
    if (!t) return false;
    out_->time = *t;
    return true;
  }

  std::optional<Instant> ParseInstantField(const json& v, std::string_view path) {
    if (!v.is_string()) {
      Fail(path, "expected a string");
      return std::nullopt;
    }
    const std::string& text = v.get_ref<const std::string&>();
    InstantOrError t = ParseRfc3339(text);
    if (const auto* reason = std::get_if<std::string>(&t)) {
      Fail(path, "invalid time `" + text + "`: " + *reason);
      return std::nullopt;
    }
    return std::get<Instant>(t);
  }

  // The built-in `request.kind`: `ad` when the request has an `ad` object.
  void SetKind() {
    if (vocab_.attr_kind < 0 || vocab_.kind_domain < 0) return;
    const Domain& kinds = vocab_.domains[static_cast<size_t>(vocab_.kind_domain)];
    const int kind = kinds.Find(out_->is_ad ? "ad" : "organic");
    if (kind >= 0) StoreValue(vocab_.attr_kind, static_cast<uint32_t>(kind));
  }

  // --- Fields ---

  // json[object][field], or nullptr when absent or null. `object` indexes the schema's
  // objects.
  const json* Field(int object, std::string_view field) const {
    const json* o = object < 0 ? nullptr : objects_[static_cast<size_t>(object)];
    if (o == nullptr) return nullptr;
    auto f = o->find(field);
    if (f == o->end() || f->is_null()) return nullptr;
    return &*f;
  }

  bool ParseAccountId() {
    const json* id = Field(schema_.account, "id");
    if (id == nullptr) return Fail("account.id", "missing required field `account.id`");
    if (!id->is_string()) return Fail("account.id", "expected a string");
    const std::string& text = id->get_ref<const std::string&>();
    if (text.empty()) return Fail("account.id", "expected a non-empty string");
    out_->account_id = text;
    // A view of an owned copy, not of account_id: a moved std::string may carry its
    // characters inline (SSO), and the view would then dangle.
    out_->inline_account.id = Own(text);
    if (vocab_.attr_account_id >= 0) StoreText(vocab_.attr_account_id, text);
    // The inline account is used only for ids the registry does not hold: unknown.
    if (vocab_.attr_known >= 0) StoreValue(vocab_.attr_known, 0);
    // DECISION: a request that claims sanctions listings is rejected rather than warned
    // about. Ignoring the claim would decide the item as unlisted while the caller
    // believes it listed; the listings only ever come from the registry.
    if (Field(schema_.account, "sanctions") != nullptr) {
      return Fail("account.sanctions",
                  "`account.sanctions` comes from the registry and cannot be given inline");
    }
    return true;
  }

  // Attributes the parser sets itself, or never reads from JSON.
  bool IsSpecial(int attr) const {
    return attr == vocab_.attr_time || attr == vocab_.attr_kind || attr == vocab_.attr_account_id ||
           attr == vocab_.attr_known || attr == vocab_.attr_sanctions;
  }

  bool ParseAttribute(int i) {
    if (IsSpecial(i)) return true;
    const Attribute& a = vocab_.attributes[static_cast<size_t>(i)];
    const RequestSchema::AttributeField& where = schema_.attributes[static_cast<size_t>(i)];
    if (where.object < 0) return true;
    const json* v = Field(where.object, where.field);
    if (v == nullptr) {
      if (!ApplyAbsent(i, where.object)) return false;
    } else {
      if (a.scope == AttrScope::kAccount) {
        out_->has_inline_account = true;
        WarnIfRegistered(a.name);
      }
      if (!ParseValue(i, *v)) return false;
    }
    return !a.dated || ParseEffectiveAt(i, where.effective_at);
  }

  // Inline account attributes count only for ids the registry does not hold.
  void WarnIfRegistered(const std::string& attribute) {
    if (warned_registered_ || policy_.registry().Find(out_->account_id) < 0) return;
    warned_registered_ = true;
    Warn("account `" + out_->account_id + "` is in the registry; inline attributes such as `" +
         attribute + "` are ignored");
  }

  bool ApplyAbsent(int i, int object) {
    const Attribute& a = vocab_.attributes[static_cast<size_t>(i)];
    const bool required = a.required && (object != schema_.ad || out_->is_ad);
    if (required || (i == vocab_.attr_targets && out_->is_ad)) {
      return Fail(a.name, "missing required field `" + a.name + "`");
    }
    if (i == vocab_.attr_viewer_country && vocab_.unknown_country >= 0) {
      StoreValue(i, static_cast<uint32_t>(vocab_.unknown_country));
    } else if (a.default_value >= 0 && !IsSetType(a.type)) {
      StoreValue(i, static_cast<uint32_t>(a.default_value));
    }
    return true;
  }

  bool ParseValue(int i, const json& v) {
    const Attribute& a = vocab_.attributes[static_cast<size_t>(i)];
    switch (a.type) {
      case AttrType::kEnum:
      case AttrType::kCountry:
        return ParseScalar(i, v);
      case AttrType::kEnumSet:
      case AttrType::kCountrySet:
        return ParseSet(i, v);
      case AttrType::kBool:
        if (!v.is_boolean()) return Fail(a.name, "expected true or false");
        StoreValue(i, v.get<bool>() ? 1 : 0);
        return true;
      case AttrType::kString:
        if (!v.is_string()) return Fail(a.name, "expected a string");
        StoreText(i, v.get_ref<const std::string&>());
        return true;
      case AttrType::kInstant: {
        std::optional<Instant> t = ParseInstantField(v, a.name);
        if (t) StoreInstant(i, *t);
        return t.has_value();
      }
      case AttrType::kListings:
        return true;  // account.sanctions only, handled with the account id
    }
    return true;
  }

  // The index of `v` in the attribute's domain. Returns nullopt after failing, or -1
  // for an unknown value of an open attribute (reported as a warning).
  // `element` is the position in a set attribute's array, or -1 for a scalar; the
  // error path is built only on failure.
  std::optional<int> ResolveValue(int i, const json& v, long element) {
    const Attribute& a = vocab_.attributes[static_cast<size_t>(i)];
    auto path = [&] {
      return element < 0 ? a.name : Indexed(a.name, static_cast<size_t>(element));
    };
    if (!v.is_string()) {
      Fail(path(), "expected a string");
      return std::nullopt;
    }
    const std::string& text = v.get_ref<const std::string&>();
    const Domain& domain = vocab_.domains[static_cast<size_t>(a.domain)];
    const int index = domain.Find(text);
    if (index >= 0) return index;
    const std::string noun = ValueNoun(a, vocab_);
    if (a.open) {
      Warn("unknown " + noun + " `" + text + "` accepted (the attribute is open)");
      return -1;
    }
    Fail(path(), "unknown " + noun + " `" + text + "`" + SuggestValue(a, domain, text));
    return std::nullopt;
  }

  bool ParseScalar(int i, const json& v) {
    const Attribute& a = vocab_.attributes[static_cast<size_t>(i)];
    std::optional<int> index = ResolveValue(i, v, -1);
    if (!index) return false;
    if (*index >= 0) {
      StoreValue(i, static_cast<uint32_t>(*index));
    } else if (a.default_value >= 0) {  // an open attribute's unknown value reads as absent
      StoreValue(i, static_cast<uint32_t>(a.default_value));
    }
    return true;
  }

  bool ParseSet(int i, const json& v) {
    const Attribute& a = vocab_.attributes[static_cast<size_t>(i)];
    if (!v.is_array()) return Fail(a.name, "expected an array of strings");
    ValueSet set;
    // Only the ad targets keep their order (the decision lists them as given).
    const bool targets = i == vocab_.attr_targets;
    std::vector<uint16_t>& order = out_->target_order;
    if (targets) order.clear();
    for (size_t k = 0; k < v.size(); ++k) {
      std::optional<int> index = ResolveValue(i, v[k], static_cast<long>(k));
      if (!index) return false;
      if (*index < 0) continue;
      if (targets && !set.Contains(*index)) order.push_back(static_cast<uint16_t>(*index));
      set.Add(*index);
    }
    if (ValueSet* cell = SetCell(i)) *cell = set;
    // An ad with no target decides nothing; saying `allow` would be vacuous.
    if (targets && order.empty()) return Fail(a.name, "an ad needs at least one target country");
    return true;
  }

  // `<field>_effective_at` of a dated account attribute given inline: when the value
  // takes effect (before it, the attribute's default applies, as for registry rows).
  bool ParseEffectiveAt(int i, const std::string& name) {
    const json* v = Field(schema_.account, name);
    if (v == nullptr) return true;
    std::optional<Instant> t = ParseInstantField(*v, "account." + name);
    if (!t) return false;
    if (const internal::Slot* s = ValueSlot(i)) {
      out_->inline_effective_at[static_cast<size_t>(s->index)] = t->micros;
    }
    return true;
  }

  // --- Linked and reshared accounts ---

  bool ParseLinkedAccounts() {
    std::vector<int>& linked = out_->linked_accounts;
    linked.clear();
    const Registry& registry = policy_.registry();
    auto resolve_url = [&](std::string_view url) { return registry.ResolveLink(url); };
    auto find_id = [&](std::string_view id) { return registry.Find(id); };
    if (!ParseAccountList(kLinks, resolve_url, &linked) ||
        !ParseAccountList(kLinksTo, find_id, &linked) || !ParseReshare()) {
      return false;
    }
    std::sort(linked.begin(), linked.end());
    linked.erase(std::unique(linked.begin(), linked.end()), linked.end());
    if (linked.size() > static_cast<size_t>(kMaxLinkedAccounts)) {
      // Blame `links` when given: URLs are what callers send in bulk.
      const bool has_links = Field(schema_.content, kLinks) != nullptr;
      return Fail(has_links ? "content.links" : "content.links_to",
                  "too many linked accounts: at most " + std::to_string(kMaxLinkedAccounts));
    }
    return true;
  }

  // Reads `content.<field>`, an array of strings, and appends the registry index that
  // `resolve` gives each one; strings that resolve to no account are ignored.
  template <typename Resolve>
  bool ParseAccountList(std::string_view field, Resolve resolve, std::vector<int>* linked) {
    const json* v = Field(schema_.content, field);
    if (v == nullptr) return true;
    auto path = [&] { return "content." + std::string(field); };
    if (!v->is_array()) return Fail(path(), "expected an array of strings");
    for (size_t k = 0; k < v->size(); ++k) {
      const json& item = (*v)[k];
      if (!item.is_string()) return Fail(Indexed(path(), k), "expected a string");
      const int account = resolve(item.get_ref<const std::string&>());
      if (account >= 0) linked->push_back(account);
    }
    return true;
  }

  bool ParseReshare() {
    const json* v = Field(schema_.content, kReshareOf);
    if (v == nullptr) return true;
    if (!v->is_string()) return Fail("content.reshare_of", "expected a string");
    out_->reshared_account = policy_.registry().Find(v->get_ref<const std::string&>());
    return true;
  }

  // --- Unknown fields ---

  void WarnUnknownFields(int object_index, const json& object) {
    const std::string& name = schema_.objects[static_cast<size_t>(object_index)];
    const std::vector<std::string>& known = schema_.known[static_cast<size_t>(object_index)];
    for (const auto& [key, value] : object.items()) {
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      if (object_index == schema_.account && key == "sanctions") continue;  // an error, reported above
      if (object_index == schema_.account && key == "known") {
        Warn("`account.known` is derived from the registry; the given value is ignored");
        continue;
      }
      WarnUnknownField(key, name, known);
    }
  }

  // "unknown field `content.topcs` ignored; did you mean `content.topics`?"
  void WarnUnknownField(const std::string& key, const std::string& object,
                        const std::vector<std::string>& candidates) {
    const std::string qualified = object.empty() ? key : object + "." + key;
    std::string message = "unknown field `" + qualified + "` ignored";
    const std::string match = internal::ClosestMatch(key, candidates);
    if (!match.empty() && match != key) {
      message += "; did you mean `" + (object.empty() ? match : object + "." + match) + "`?";
    }
    Warn(std::move(message));
  }

  const CompiledPolicy& policy_;
  const Vocabulary& vocab_;
  const Instant now_;
  Request* const out_;
  RequestError* const error_;
  const std::string_view prefix_;
  const RequestSchema& schema_;
  // Present, non-null objects, by schema object index. The loader's capacity check
  // bounds the attributes, and so the objects they name.
  std::array<const json*, kMaxRequestAttributes + kMaxAccountAttributes + 4> objects_{};
  bool warned_registered_ = false;
};

// Length of the valid UTF-8 sequence at s[i], or 0 if the bytes there are not one.
size_t Utf8Length(std::string_view s, size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  const size_t n = b < 0x80           ? 1
                   : (b >> 5) == 0x6  ? 2
                   : (b >> 4) == 0xE  ? 3
                   : (b >> 3) == 0x1E ? 4
                                      : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  return n;
}

// nlohmann's "[json.exception.parse_error.101] parse error at line 1, column 5: ..."
// as "at line 1, column 5: ...". The text quotes the bytes last read, which may be
// invalid UTF-8; those bytes become U+FFFD so the error itself is valid JSON.
std::string ParseErrorDetail(const std::string& what) {
  constexpr std::string_view kMarker = "parse error ";
  const size_t at = what.find(kMarker);
  const std::string_view detail = at == std::string::npos
                                      ? std::string_view(what)
                                      : std::string_view(what).substr(at + kMarker.size());
  std::string clean;
  for (size_t i = 0; i < detail.size();) {
    const size_t n = Utf8Length(detail, i);
    clean += n == 0 ? std::string_view("\xEF\xBF\xBD") : detail.substr(i, n);
    i += n == 0 ? 1 : n;
  }
  return clean;
}

std::string MalformedJsonMessageImpl(const std::string& parser_what) {
  return "malformed JSON " + ParseErrorDetail(parser_what);
}


// Returns `r` to a default-constructed Request's values, keeping the capacity of its
// strings and vectors so that parsing into a reused Request does not allocate again.
void ResetRequest(Request* r) {
  r->request_id.clear();
  r->has_request_id = false;
  r->time = Instant();
  r->is_ad = false;
  r->facts = RequestFacts();
  r->target_order.clear();
  r->account_id.clear();
  r->has_inline_account = false;
  r->inline_account = AccountFacts();
  r->inline_effective_at.clear();
  r->linked_accounts.clear();
  r->reshared_account = -1;
  r->warnings.clear();
  r->owned_used = 0;
}

}  // namespace

bool ParseRequest(const CompiledPolicy& policy, const nlohmann::json& json, Instant now,
                  Request* out, RequestError* error, std::string_view path_prefix) {
  ResetRequest(out);
  error->code.clear();
  error->message.clear();
  error->path.clear();
  try {
    return Parser(policy, now, out, error, path_prefix).Parse(json);
  } catch (const nlohmann::json::exception& e) {
    // Defensive: every access above checks the type first, so this is a bug.
    error->code = "invalid_request";
    error->message = std::string("unexpected JSON value: ") + e.what();
    error->path = std::string(path_prefix);
    return false;
  }
}

std::string MalformedJsonMessage(const std::string& parser_what) {
  return MalformedJsonMessageImpl(parser_what);
}

bool ParseRequestText(const CompiledPolicy& policy, std::string_view text, Instant now,
                      Request* out, RequestError* error) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    ResetRequest(out);
    error->code = "invalid_json";
    error->message = MalformedJsonMessage(e.what());
    error->path.clear();
    return false;
  }
  return ParseRequest(policy, json, now, out, error);
}

}  // namespace statemark
