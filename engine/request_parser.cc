// Request parsing: JSON in, a Request with every value resolved to an index out.
//
// The parser is generic over the vocabulary: an attribute named `X.Y` is read from
// the request's `X` object, field `Y`, and stored by type in the slot the compiled
// policy gives it. Only the built-in attributes and the few fields that are not
// attributes (`content.links`, `content.links_to`, `content.reshare_of`, the
// `<name>_effective_at` dates of dated account attributes) have code of their own.
//
// The checks themselves are RequestReader's (internal/request_reader.h), shared with
// the fast path over simdjson; this file plugs nlohmann/json into it, which makes it
// the parser of record: its errors and warnings are the ones callers see.
#include "engine/request_parser.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "engine/internal/request_reader.h"
#include "engine/internal/spelling.h"
#include "engine/simd_request_parser.h"

namespace statemark {
namespace internal {

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

namespace {
std::string_view LastPart(std::string_view dotted) {
  const size_t dot = dotted.rfind('.');
  return dot == std::string_view::npos ? dotted : dotted.substr(dot + 1);
}
}  // namespace

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

std::string SuggestValue(const Attribute& attr, const Domain& domain, const std::string& word) {
  if (attr.type != AttrType::kCountry && attr.type != AttrType::kCountrySet) {
    return DidYouMean(word, domain.values);
  }
  return SuggestCountry(word, domain.values);
}

const std::string& ScratchString(std::string_view text) {
  thread_local std::string scratch;
  scratch.assign(text);
  return scratch;
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
}  // namespace internal

namespace {

using nlohmann::json;
using internal::ResetRequest;


// nlohmann/json as the reader's JSON library (see request_reader.h). Not strict: this
// is the parser of record, which words every error and warning.
struct NlohmannJson {
  using Value = const json*;
  static constexpr bool kStrict = false;
  static bool Present(Value v) { return v != nullptr; }
  static bool IsObject(Value v) { return v->is_object(); }
  static bool IsArray(Value v) { return v->is_array(); }
  static bool IsString(Value v) { return v->is_string(); }
  static bool IsBool(Value v) { return v->is_boolean(); }
  static bool IsNull(Value v) { return v->is_null(); }
  static std::string_view String(Value v) { return v->get_ref<const std::string&>(); }
  static bool Bool(Value v) { return v->get<bool>(); }
  static Value Find(Value object, std::string_view key) {
    auto f = object->find(key);
    return f == object->end() ? nullptr : &*f;
  }
  template <typename F>
  static void ForEachMember(Value object, F f) {
    for (const auto& [key, value] : object->items()) f(std::string_view(key), &value);
  }
  template <typename F>
  static bool ForEachElement(Value array, F f) {
    for (size_t k = 0; k < array->size(); ++k) {
      if (!f(k, &(*array)[k])) return false;
    }
    return true;
  }
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
}  // namespace

bool ParseRequest(const CompiledPolicy& policy, const nlohmann::json& json, Instant now,
                  Request* out, RequestError* error, std::string_view path_prefix) {
  ResetRequest(out);
  error->code.clear();
  error->message.clear();
  error->path.clear();
  try {
    return internal::RequestReader<NlohmannJson>(policy, now, out, error, path_prefix).Parse(&json);
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
  // The fast path reads what it can; anything else (and every error and warning) is
  // read again below, by the parser of record.
  thread_local SimdRequestParser fast;
  if (fast.Parse(policy, text, now, out)) {
    error->code.clear();
    error->message.clear();
    error->path.clear();
    return true;
  }
  return ParseRequestTextSlow(policy, text, now, out, error);
}

bool ParseRequestTextSlow(const CompiledPolicy& policy, std::string_view text, Instant now,
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
