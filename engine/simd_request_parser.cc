// The request parser's fast path: RequestReader over simdjson's DOM, strict (it gives
// up rather than word an error or a warning; see request_reader.h).
#include "engine/simd_request_parser.h"

#include <simdjson.h>

#include <algorithm>
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

bool HasLineBreak(std::string_view text) {
  return std::memchr(text.data(), '\n', text.size()) != nullptr ||
         std::memchr(text.data(), '\r', text.size()) != nullptr;
}

// Where the values of a batch body are, as written. The text must be JSON that
// simdjson accepted, so the scan needs no checks of its own.
class JsonScanner {
 public:
  explicit JsonScanner(std::string_view text) : text_(text) {}

  // The members of the object that starts at `at`, each from its key's opening quote
  // to its value's end; the values alone go to `values`.
  void Members(size_t at, std::vector<std::string_view>* members,
               std::vector<std::string_view>* values) {
    p_ = at + 1;
    SkipSpace();
    while (p_ < text_.size() && text_[p_] != '}') {
      const size_t key = p_;
      SkipString();
      SkipSpace();
      ++p_;  // ':'
      SkipSpace();
      const size_t value = p_;
      SkipValue();
      members->push_back(text_.substr(key, p_ - key));
      values->push_back(text_.substr(value, p_ - value));
      SkipSpace();
      if (p_ < text_.size() && text_[p_] == ',') ++p_;
      SkipSpace();
    }
  }

  // The elements of the array that starts at `at`.
  void Elements(size_t at, std::vector<std::string_view>* elements) {
    p_ = at + 1;
    SkipSpace();
    while (p_ < text_.size() && text_[p_] != ']') {
      const size_t element = p_;
      SkipValue();
      elements->push_back(text_.substr(element, p_ - element));
      SkipSpace();
      if (p_ < text_.size() && text_[p_] == ',') ++p_;
      SkipSpace();
    }
  }

  // The offset of the first non-space character.
  size_t Start() {
    p_ = 0;
    SkipSpace();
    return p_;
  }

 private:
  static bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
  void SkipSpace() {
    while (p_ < text_.size() && IsSpace(text_[p_])) ++p_;
  }
  // From an opening quote to just after its closing one: the next quote not escaped,
  // that is, after an even run of backslashes.
  void SkipString() {
    for (;;) {
      const size_t quote = text_.find('"', p_ + 1);
      if (quote == std::string_view::npos) {
        p_ = text_.size();
        return;
      }
      size_t backslashes = 0;
      while (text_[quote - 1 - backslashes] == '\\') ++backslashes;
      p_ = quote;
      if (backslashes % 2 == 0) break;
    }
    ++p_;
  }
  void SkipValue() {
    const char c = text_[p_];
    if (c == '"') return SkipString();
    if (c != '{' && c != '[') {
      while (p_ < text_.size() && !IsSpace(text_[p_]) && text_[p_] != ',' && text_[p_] != '}' &&
             text_[p_] != ']') {
        ++p_;
      }
      return;
    }
    int depth = 0;
    while (p_ < text_.size()) {
      const char d = text_[p_];
      if (d == '"') {
        SkipString();
        continue;
      }
      ++p_;
      if (d == '{' || d == '[') {
        ++depth;
      } else if ((d == '}' || d == ']') && --depth == 0) {
        return;
      }
    }
  }

  std::string_view text_;
  size_t p_ = 0;
};

}  // namespace

struct SimdRequestParser::State {
  dom::parser parser;
  std::string padded;  // the input, followed by simdjson's padding
  SimdJson::Value shared;
  std::vector<SimdJson::Value> items;
  size_t items_member = 0;  // the position of `items` among the top-level members

  // The batch body's text, found on first need (the decision log's copies).
  bool scanned = false;
  std::vector<std::string_view> member_texts;  // `"key": value`, by position
  std::vector<std::string_view> member_values;
  std::vector<std::string_view> item_texts;
  std::string minified;

  void Scan() {
    if (scanned) return;
    scanned = true;
    member_texts.clear();
    member_values.clear();
    item_texts.clear();
    const std::string_view body(padded);
    JsonScanner scanner(body);
    scanner.Members(scanner.Start(), &member_texts, &member_values);
    const std::string_view items_text = member_values[items_member];
    scanner.Elements(static_cast<size_t>(items_text.data() - body.data()), &item_texts);
  }

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

bool SimdRequestParser::OpenBatch(std::string_view body, size_t max_items, int max_depth) {
  State& s = *state_;
  s.items.clear();
  s.scanned = false;
  // simdjson rejects a document nested deeper than its max_depth, counted as the
  // server's depth check counts (tests/simd_request_parser_test.cc). A parser used
  // for single requests keeps the last batch's depth: a deeper request is declined,
  // which costs only the slow path.
  if (max_depth < 1) return false;
  const auto depth = static_cast<size_t>(max_depth);
  if (s.parser.max_depth() != depth &&
      s.parser.allocate(std::max(s.parser.capacity(), body.size()), depth) != simdjson::SUCCESS) {
    return false;
  }
  s.shared = s.Load(body);
  if (!s.shared.present || !s.shared.element.is_object()) return false;
  // A key twice at the top level: nlohmann keeps the last, simdjson finds the first.
  // Every item would be declined for it, so the batch is, and ParseItem need not
  // check again.
  if (internal::RequestReader<SimdJson>::HasRepeatedKey(s.shared)) return false;
  dom::object top;
  if (s.shared.element.get_object().get(top) != simdjson::SUCCESS) return false;
  size_t items_keys = 0;
  size_t position = 0;
  dom::element items;
  for (dom::key_value_pair member : top) {
    if (member.key == "items") {
      ++items_keys;
      items = member.value;
      s.items_member = position;
    }
    ++position;
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
      .SharedKeysChecked()
      .Parse(item, state_->shared);
}

void SimdRequestParser::AppendItemRequest(size_t index, std::string* out) {
  State& s = *state_;
  s.Scan();
  const size_t start = out->size();
  const std::string_view item = s.item_texts[index];
  dom::object object;
  if (s.items[index].element.get_object().get(object) != simdjson::SUCCESS) return;
  out->append(item.substr(0, item.size() - 1));  // without its closing brace
  bool first = object.size() == 0;
  dom::object top;
  if (s.shared.element.get_object().get(top) != simdjson::SUCCESS) return;
  size_t position = 0;
  for (dom::key_value_pair member : top) {
    const size_t at = position++;
    if (at == s.items_member) continue;
    dom::element unused;
    if (object.at_key(member.key).get(unused) == simdjson::SUCCESS) continue;
    if (!first) out->push_back(',');
    first = false;
    out->append(s.member_texts[at]);
  }
  out->push_back('}');
  const std::string_view text = std::string_view(*out).substr(start);
  if (!HasLineBreak(text)) return;
  s.minified.resize(text.size());
  size_t length = 0;
  if (simdjson::minify(text.data(), text.size(), s.minified.data(), length) != simdjson::SUCCESS) {
    return;  // unreachable: the text is JSON simdjson accepted
  }
  out->resize(start);
  out->append(s.minified, 0, length);
}

}  // namespace statemark
