// The request parser's fast path: RequestReader over simdjson's DOM, strict (it gives
// up rather than word an error or a warning; see request_reader.h).
#include "engine/simd_request_parser.h"

#include <simdjson.h>

#include <cstring>
#include <string>
#include <vector>

#include "engine/internal/request_reader.h"

namespace statemark {
namespace {

namespace dom = simdjson::dom;

// simdjson's DOM as the reader's JSON library. A Value is an element handle, or
// absent.
struct SimdJson {
  struct Value {
    dom::element element;
    bool present = false;
  };
  static constexpr bool kStrict = true;
  static bool Present(const Value& v) { return v.present; }
  static bool IsObject(const Value& v) { return v.element.is_object(); }
  static bool IsArray(const Value& v) { return v.element.is_array(); }
  static bool IsString(const Value& v) { return v.element.is_string(); }
  static bool IsBool(const Value& v) { return v.element.is_bool(); }
  static bool IsNull(const Value& v) { return v.element.is_null(); }
  static std::string_view String(const Value& v) {
    std::string_view s;
    return v.element.get_string().get(s) == simdjson::SUCCESS ? s : std::string_view();
  }
  static bool Bool(const Value& v) {
    bool b = false;
    return v.element.get_bool().get(b) == simdjson::SUCCESS && b;
  }
  static Value Find(const Value& object, std::string_view key) {
    dom::object o;
    if (object.element.get_object().get(o) != simdjson::SUCCESS) return Value();
    dom::element found;
    if (o.at_key(key).get(found) != simdjson::SUCCESS) return Value();
    return Value{found, true};
  }
  template <typename F>
  static void ForEachMember(const Value& object, F f) {
    dom::object o;
    if (object.element.get_object().get(o) != simdjson::SUCCESS) return;
    for (dom::key_value_pair member : o) f(member.key, Value{member.value, true});
  }
  template <typename F>
  static bool ForEachElement(const Value& array, F f) {
    dom::array a;
    if (array.element.get_array().get(a) != simdjson::SUCCESS) return false;
    size_t k = 0;
    for (dom::element e : a) {
      if (!f(k++, Value{e, true})) return false;
    }
    return true;
  }
};

// Whether `text` escapes a UTF-16 surrogate (`\ud83d`): JSON libraries differ on
// unpaired ones, so the fast path leaves all of them to the parser of record. A
// false alarm (an escaped backslash before `ud8..`) only costs the slow path.
bool EscapesSurrogate(std::string_view text) {
  for (size_t at = text.find("\\u"); at != std::string_view::npos; at = text.find("\\u", at + 2)) {
    if (at + 3 >= text.size()) return false;
    const char c = text[at + 2], d = text[at + 3];
    if ((c == 'd' || c == 'D') && ((d >= '8' && d <= '9') || (d >= 'a' && d <= 'f') ||
                                   (d >= 'A' && d <= 'F'))) {
      return true;
    }
  }
  return false;
}

}  // namespace

struct SimdRequestParser::State {
  dom::parser parser;
  std::string padded;  // the input, followed by simdjson's padding
  SimdJson::Value shared;
  std::vector<SimdJson::Value> items;

  // Parses `text` into the parser's document; the root, or absent when it does not
  // parse (or escapes a surrogate).
  SimdJson::Value Load(std::string_view text) {
    if (text.find('\\') != std::string_view::npos && EscapesSurrogate(text)) return {};
    padded.reserve(text.size() + simdjson::SIMDJSON_PADDING);
    padded.assign(text);
    dom::element root;
    if (parser.parse(padded.data(), padded.size(), false).get(root) != simdjson::SUCCESS) {
      return {};
    }
    return {root, true};
  }
};

SimdRequestParser::SimdRequestParser() : state_(std::make_unique<State>()) {}
SimdRequestParser::~SimdRequestParser() = default;

bool SimdRequestParser::Parse(const CompiledPolicy& policy, std::string_view text, Instant now,
                              Request* out) {
  const SimdJson::Value root = state_->Load(text);
  if (!root.present) return false;
  internal::ResetRequest(out);
  RequestError unused;
  return internal::RequestReader<SimdJson>(policy, now, out, &unused, "").Parse(root);
}

bool SimdRequestParser::OpenBatch(std::string_view body, size_t max_items) {
  State& s = *state_;
  s.items.clear();
  s.shared = s.Load(body);
  if (!s.shared.present || !s.shared.element.is_object()) return false;
  // A key twice at the top level: nlohmann keeps the last, simdjson finds the first.
  dom::object top;
  if (s.shared.element.get_object().get(top) != simdjson::SUCCESS) return false;
  size_t items_keys = 0;
  dom::element items;
  for (dom::key_value_pair member : top) {
    if (member.key == "items") {
      ++items_keys;
      items = member.value;
    }
  }
  if (items_keys != 1) return false;
  dom::array array;
  if (items.get_array().get(array) != simdjson::SUCCESS) return false;
  for (dom::element e : array) {
    if (s.items.size() == max_items) return false;
    s.items.push_back({e, true});
  }
  return true;
}

size_t SimdRequestParser::batch_size() const { return state_->items.size(); }

bool SimdRequestParser::ParseItem(const CompiledPolicy& policy, size_t index, Instant now,
                                  Request* out) {
  const SimdJson::Value& item = state_->items[index];
  internal::ResetRequest(out);
  RequestError unused;
  return internal::RequestReader<SimdJson>(policy, now, out, &unused, "")
      .Parse(item, state_->shared);
}

}  // namespace statemark
