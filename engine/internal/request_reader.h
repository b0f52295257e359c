// RequestReader: the request parser's checks, generic over the JSON library.
//
// The same reader runs over nlohmann/json (request_parser.cc, the parser of record,
// whose errors and warnings are the contract) and over simdjson (simd_request_parser.cc,
// the fast path). A JSON library is plugged in as a `Json` class with:
//   using Value;                               // a cheap handle to one JSON value
//   static bool Present(Value);                // false for "no such value"
//   static bool IsObject/IsArray/IsString/IsBool/IsNull(Value);
//   static std::string_view String(Value);     // REQUIRES: IsString
//   static bool Bool(Value);                   // REQUIRES: IsBool
//   static Value Find(Value object, std::string_view key);  // absent -> !Present
//   static void ForEachMember(Value object, F f);   // f(std::string_view key, Value)
//   static bool ForEachElement(Value array, F f);   // f(size_t, Value) -> false stops
//   static constexpr bool kStrict;
// A strict reader (kStrict) gives up at the first error or warning and at keys that
// appear twice in an object: it returns false with `gave_up()` set, and the caller
// parses the same text with the parser of record, which reports it. So the fast path
// never has to word an error, and the two cannot disagree on one.
//
// Errors stop the parse at the first problem, checked in a fixed order (top-level
// shape, `account.id`, attributes in declared order, links), so one request always
// reports the same error. Warnings are collected and rendered into the decision; they
// carry item-relative paths because each item's decision carries its own.
#ifndef STATEMARK_ENGINE_INTERNAL_REQUEST_READER_H_
#define STATEMARK_ENGINE_INTERNAL_REQUEST_READER_H_

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/compiled_policy.h"
#include "engine/internal/spelling.h"
#include "engine/request.h"
#include "engine/request_parser.h"

namespace statemark::internal {

inline constexpr std::string_view kRequestIdField = "request_id";
inline constexpr std::string_view kTimeField = "time";

// Fields of `content` that are not vocabulary attributes: they name accounts.
inline constexpr std::string_view kLinks = "links";
inline constexpr std::string_view kLinksTo = "links_to";
inline constexpr std::string_view kReshareOf = "reshare_of";

std::string JoinPath(std::string_view prefix, std::string_view path);
std::string Indexed(std::string_view path, size_t i);
// What an unknown value of `attr` is called in messages: `unknown affiliation`,
// `unknown topic`, `unknown country code`.
std::string ValueNoun(const Attribute& attr, const Vocabulary& vocab);
// The suggestion for a misspelt value.
std::string SuggestValue(const Attribute& attr, const Domain& domain, const std::string& word);
// `text` in a thread-local string, for lookups keyed by std::string. Valid until the
// next call on the same thread; the buffer keeps its capacity, so this rarely allocates.
const std::string& ScratchString(std::string_view text);

template <typename Json>
class RequestReader {
 public:
  using Value = typename Json::Value;

  RequestReader(const CompiledPolicy& policy, Instant now, Request* out, RequestError* error,
                std::string_view prefix)
      : policy_(policy),
        vocab_(policy.vocabulary()),
        now_(now),
        out_(out),
        error_(error),
        prefix_(prefix),
        schema_(policy.request_schema()) {}

  // Reads the request `j`. `shared`, when present, is a batch's top level: its keys
  // but `items` count as the request's own where `j` does not have them.
  bool Parse(Value j, Value shared = Value()) {
    if (!Json::IsObject(j)) return Fail("", "expected an object");
    InitFacts();
    if (!ParseTopLevel(j, shared) || !ParseAccountId()) return false;
    SetKind();
    for (size_t i = 0; i < vocab_.attributes.size(); ++i) {
      if (!ParseAttribute(static_cast<int>(i))) return false;
    }
    if (!ParseLinkedAccounts()) return false;
    for (size_t o = 0; o < schema_.objects.size(); ++o) {
      if (Json::Present(objects_[o]) && !WarnUnknownFields(static_cast<int>(o), objects_[o])) {
        return false;
      }
    }
    return true;
  }

  // Strict readers only: whether the parse stopped at something the parser of record
  // must read instead.
  bool gave_up() const { return gave_up_; }

  // For a batch's items: the caller has checked that `shared` holds no key twice
  // (HasRepeatedKey), once for the whole batch rather than once per item.
  RequestReader& SharedKeysChecked() {
    shared_keys_checked_ = true;
    return *this;
  }

  // Strict readers give up on objects with a key twice: nlohmann keeps the last value,
  // simdjson finds the first. More keys than can be checked count as repeated.
  static bool HasRepeatedKey(Value object) {
    std::array<std::string_view, 64> seen;
    size_t n = 0;
    bool repeated = false;
    Json::ForEachMember(object, [&](std::string_view key, Value) {
      if (repeated) return;
      if (n == seen.size() || std::find(seen.begin(), seen.begin() + n, key) != seen.begin() + n) {
        repeated = true;  // too many keys to check counts as repeated: the slow path reads it
        return;
      }
      seen[n++] = key;
    });
    return repeated;
  }

 private:
  // --- Results ---

  bool Fail(std::string_view path, std::string message) {
    if constexpr (Json::kStrict) {
      return GiveUp();
    } else {
      error_->code = "invalid_request";
      error_->message = std::move(message);
      error_->path = JoinPath(prefix_, path);
      return false;
    }
  }

  bool GiveUp() {
    gave_up_ = true;
    return false;
  }

  // Returns false when a strict reader gives up rather than warn.
  bool Warn(std::string message) {
    if constexpr (Json::kStrict) return GiveUp();
    out_->warnings.push_back(std::move(message));
    return true;
  }

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
  const Slot* ValueSlot(int attr) const {
    const Slot& s = policy_.slot(attr);
    const int limit =
        s.scope == AttrScope::kAccount ? kMaxAccountAttributes : kMaxRequestAttributes;
    return s.index >= 0 && s.index < limit ? &s : nullptr;
  }

  void StoreValue(int attr, uint32_t value) {
    const Slot* s = ValueSlot(attr);
    if (s == nullptr) return;
    if (s->scope == AttrScope::kAccount) {
      out_->inline_account.value[static_cast<size_t>(s->index)] = value;
    } else {
      out_->facts.value[static_cast<size_t>(s->index)] = value;
    }
  }

  void StoreText(int attr, std::string_view text) {
    const Slot* s = ValueSlot(attr);
    if (s == nullptr) return;
    const std::string_view owned = Own(text);
    if (s->scope == AttrScope::kAccount) {
      out_->inline_account.text[static_cast<size_t>(s->index)] = owned;
    } else {
      out_->facts.text[static_cast<size_t>(s->index)] = owned;
    }
    StoreValue(attr, policy_.registry().strings().Find(owned));
  }

  // Instants live in the request's micros array only; an account has no such cell.
  void StoreInstant(int attr, Instant t) {
    const Slot* s = ValueSlot(attr);
    if (s == nullptr || s->scope != AttrScope::kRequest) return;
    out_->facts.micros[static_cast<size_t>(s->index)] = t.micros;
    out_->facts.value[static_cast<size_t>(s->index)] = 1;
  }

  ValueSet* SetCell(int attr) {
    const Slot& s = policy_.slot(attr);
    if (s.set_index < 0 || s.set_index >= kMaxSetAttributes) return nullptr;
    return &out_->facts.sets[static_cast<size_t>(s.set_index)];
  }

  // --- Top level ---

  bool ParseTopLevel(Value j, Value shared) {
    out_->time = now_;
    if constexpr (Json::kStrict) {
      if (HasRepeatedKey(j) ||
          (Json::Present(shared) && !shared_keys_checked_ && HasRepeatedKey(shared))) {
        return GiveUp();
      }
    }
    bool ok = true;
    Json::ForEachMember(j, [&](std::string_view key, Value value) {
      if (ok) ok = ParseTopLevelMember(key, value);
    });
    if (Json::Present(shared)) {
      Json::ForEachMember(shared, [&](std::string_view key, Value value) {
        if (ok && key != "items" && !Json::Present(Json::Find(j, key))) {
          ok = ParseTopLevelMember(key, value);
        }
      });
    }
    if (!ok) return false;
    StoreInstant(vocab_.attr_time, out_->time);
    out_->is_ad = Json::Present(objects_[static_cast<size_t>(schema_.ad)]);
    return true;
  }

  bool ParseTopLevelMember(std::string_view key, Value value) {
    if (key == kRequestIdField) return ParseRequestId(value);
    if (key == kTimeField) return ParseTime(value);
    if (const int object = schema_.FindObject(key); object >= 0) {
      if (Json::IsNull(value)) return true;
      if (!Json::IsObject(value)) return Fail(key, "expected an object");
      objects_[static_cast<size_t>(object)] = value;
      return true;
    }
    return WarnUnknownField(key, "", schema_.top_level_candidates);
  }

  bool ParseRequestId(Value v) {
    if (Json::IsNull(v)) return true;
    if (!Json::IsString(v)) return Fail(kRequestIdField, "expected a string");
    out_->request_id.assign(Json::String(v));
    out_->has_request_id = true;
    return true;
  }

  bool ParseTime(Value v) {
    if (Json::IsNull(v)) return true;  // the caller's clock
    std::optional<Instant> t = ParseInstantField(v, kTimeField);
    if (!t) return false;
    out_->time = *t;
    return true;
  }

  std::optional<Instant> ParseInstantField(Value v, std::string_view path) {
    if (!Json::IsString(v)) {
      Fail(path, "expected a string");
      return std::nullopt;
    }
    const std::string_view text = Json::String(v);
    InstantOrError t = ParseRfc3339(text);
    if (const auto* reason = std::get_if<std::string>(&t)) {
      Fail(path, "invalid time `" + std::string(text) + "`: " + *reason);
      return std::nullopt;
    }
    return std::get<Instant>(t);
  }

  // The built-in `request.kind`: `ad` when the request has an `ad` object.
  void SetKind() {
    if (vocab_.attr_kind < 0 || vocab_.kind_domain < 0) return;
    const Domain& kinds = vocab_.domains[static_cast<size_t>(vocab_.kind_domain)];
    const int kind = kinds.Find(ScratchString(out_->is_ad ? "ad" : "organic"));
    if (kind >= 0) StoreValue(vocab_.attr_kind, static_cast<uint32_t>(kind));
  }

  // --- Fields ---

  // json[object][field], or absent when absent or null. `object` indexes the schema's
  // objects.
  Value Field(int object, std::string_view field) const {
    if (object < 0) return Value();
    const Value o = objects_[static_cast<size_t>(object)];
    if (!Json::Present(o)) return Value();
    const Value f = Json::Find(o, field);
    if (!Json::Present(f) || Json::IsNull(f)) return Value();
    return f;
  }

  bool ParseAccountId() {
    const Value id = Field(schema_.account, "id");
    if (!Json::Present(id)) return Fail("account.id", "missing required field `account.id`");
    if (!Json::IsString(id)) return Fail("account.id", "expected a string");
    const std::string_view text = Json::String(id);
    if (text.empty()) return Fail("account.id", "expected a non-empty string");
    out_->account_id.assign(text);
    // A view of an owned copy, not of account_id: a moved std::string may carry its
    // characters inline (SSO), and the view would then dangle.
    out_->inline_account.id = Own(text);
    if (vocab_.attr_account_id >= 0) StoreText(vocab_.attr_account_id, text);
    // The inline account is used only for ids the registry does not hold: unknown.
    if (vocab_.attr_known >= 0) StoreValue(vocab_.attr_known, 0);
    // DECISION: a request that claims sanctions listings is rejected rather than warned
    // about. Ignoring the claim would decide the item as unlisted while the caller
    // believes it listed; the listings only ever come from the registry.
    if (Json::Present(Field(schema_.account, "sanctions"))) {
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
    const Value v = Field(where.object, where.field);
    if (!Json::Present(v)) {
      if (!ApplyAbsent(i, where.object)) return false;
    } else {
      if (a.scope == AttrScope::kAccount) {
        out_->has_inline_account = true;
        if (!WarnIfRegistered(a.name)) return false;
      }
      if (!ParseValue(i, v)) return false;
    }
    return !a.dated || ParseEffectiveAt(i, where.effective_at);
  }

  // Inline account attributes count only for ids the registry does not hold.
  bool WarnIfRegistered(const std::string& attribute) {
    if (warned_registered_ || policy_.registry().Find(out_->account_id) < 0) return true;
    warned_registered_ = true;
    return Warn("account `" + out_->account_id +
                "` is in the registry; inline attributes such as `" + attribute +
                "` are ignored");
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

  bool ParseValue(int i, Value v) {
    const Attribute& a = vocab_.attributes[static_cast<size_t>(i)];
    switch (a.type) {
      case AttrType::kEnum:
      case AttrType::kCountry:
        return ParseScalar(i, v);
      case AttrType::kEnumSet:
      case AttrType::kCountrySet:
        return ParseSet(i, v);
      case AttrType::kBool:
        if (!Json::IsBool(v)) return Fail(a.name, "expected true or false");
        StoreValue(i, Json::Bool(v) ? 1 : 0);
        return true;
      case AttrType::kString:
        if (!Json::IsString(v)) return Fail(a.name, "expected a string");
        StoreText(i, Json::String(v));
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
  std::optional<int> ResolveValue(int i, Value v, long element) {
    const Attribute& a = vocab_.attributes[static_cast<size_t>(i)];
    auto path = [&] {
      return element < 0 ? a.name : Indexed(a.name, static_cast<size_t>(element));
    };
    if (!Json::IsString(v)) {
      Fail(path(), "expected a string");
      return std::nullopt;
    }
    const std::string& text = ScratchString(Json::String(v));
    const Domain& domain = vocab_.domains[static_cast<size_t>(a.domain)];
    const int index = domain.Find(text);
    if (index >= 0) return index;
    const std::string word = text;  // ValueNoun and the suggestion may reuse the scratch
    const std::string noun = ValueNoun(a, vocab_);
    if (a.open) {
      if (!Warn("unknown " + noun + " `" + word + "` accepted (the attribute is open)")) {
        return std::nullopt;
      }
      return -1;
    }
    Fail(path(), "unknown " + noun + " `" + word + "`" + SuggestValue(a, domain, word));
    return std::nullopt;
  }

  bool ParseScalar(int i, Value v) {
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

  bool ParseSet(int i, Value v) {
    const Attribute& a = vocab_.attributes[static_cast<size_t>(i)];
    if (!Json::IsArray(v)) return Fail(a.name, "expected an array of strings");
    ValueSet set;
    // Only the ad targets keep their order (the decision lists them as given).
    const bool targets = i == vocab_.attr_targets;
    std::vector<uint16_t>& order = out_->target_order;
    if (targets) order.clear();
    const bool ok = Json::ForEachElement(v, [&](size_t k, Value element) {
      std::optional<int> index = ResolveValue(i, element, static_cast<long>(k));
      if (!index) return false;
      if (*index < 0) return true;
      if (targets && !set.Contains(*index)) order.push_back(static_cast<uint16_t>(*index));
      set.Add(*index);
      return true;
    });
    if (!ok) return false;
    if (ValueSet* cell = SetCell(i)) *cell = set;
    // An ad with no target decides nothing; saying `allow` would be vacuous.
    if (targets && order.empty()) return Fail(a.name, "an ad needs at least one target country");
    return true;
  }

  // `<field>_effective_at` of a dated account attribute given inline: when the value
  // takes effect (before it, the attribute's default applies, as for registry rows).
  bool ParseEffectiveAt(int i, const std::string& name) {
    const Value v = Field(schema_.account, name);
    if (!Json::Present(v)) return true;
    std::optional<Instant> t = ParseInstantField(v, "account." + name);
    if (!t) return false;
    if (const Slot* s = ValueSlot(i)) {
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
      const bool has_links = Json::Present(Field(schema_.content, kLinks));
      return Fail(has_links ? "content.links" : "content.links_to",
                  "too many linked accounts: at most " + std::to_string(kMaxLinkedAccounts));
    }
    return true;
  }

  // Reads `content.<field>`, an array of strings, and appends the registry index that
  // `resolve` gives each one; strings that resolve to no account are ignored.
  template <typename Resolve>
  bool ParseAccountList(std::string_view field, Resolve resolve, std::vector<int>* linked) {
    const Value v = Field(schema_.content, field);
    if (!Json::Present(v)) return true;
    auto path = [&] { return "content." + std::string(field); };
    if (!Json::IsArray(v)) return Fail(path(), "expected an array of strings");
    return Json::ForEachElement(v, [&](size_t k, Value item) {
      if (!Json::IsString(item)) return Fail(Indexed(path(), k), "expected a string");
      const int account = resolve(Json::String(item));
      if (account >= 0) linked->push_back(account);
      return true;
    });
  }

  bool ParseReshare() {
    const Value v = Field(schema_.content, kReshareOf);
    if (!Json::Present(v)) return true;
    if (!Json::IsString(v)) return Fail("content.reshare_of", "expected a string");
    out_->reshared_account = policy_.registry().Find(Json::String(v));
    return true;
  }

  // --- Unknown fields ---

  bool WarnUnknownFields(int object_index, Value object) {
    if constexpr (Json::kStrict) {
      if (HasRepeatedKey(object)) return GiveUp();
    }
    const std::string& name = schema_.objects[static_cast<size_t>(object_index)];
    const std::vector<std::string>& known = schema_.known[static_cast<size_t>(object_index)];
    bool ok = true;
    Json::ForEachMember(object, [&](std::string_view key, Value) {
      if (!ok) return;
      if (std::find(known.begin(), known.end(), key) != known.end()) return;
      if (object_index == schema_.account && key == "sanctions") return;  // an error, reported above
      if (object_index == schema_.account && key == "known") {
        ok = Warn("`account.known` is derived from the registry; the given value is ignored");
        return;
      }
      ok = WarnUnknownField(key, name, known);
    });
    return ok;
  }

  // "unknown field `content.topcs` ignored; did you mean `content.topics`?"
  bool WarnUnknownField(std::string_view key, const std::string& object,
                        const std::vector<std::string>& candidates) {
    if constexpr (Json::kStrict) return GiveUp();
    const std::string k(key);
    const std::string qualified = object.empty() ? k : object + "." + k;
    std::string message = "unknown field `" + qualified + "` ignored";
    const std::string match = ClosestMatch(key, candidates);
    if (!match.empty() && match != key) {
      message += "; did you mean `" + (object.empty() ? match : object + "." + match) + "`?";
    }
    return Warn(std::move(message));
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
  std::array<Value, kMaxRequestAttributes + kMaxAccountAttributes + 4> objects_{};
  bool warned_registered_ = false;
  bool gave_up_ = false;
  bool shared_keys_checked_ = false;
};

// Returns `r` to a default-constructed Request's values, keeping the capacity of its
// strings and vectors so that parsing into a reused Request does not allocate again.
void ResetRequest(Request* r);

}  // namespace statemark::internal

#endif  // STATEMARK_ENGINE_INTERNAL_REQUEST_READER_H_
