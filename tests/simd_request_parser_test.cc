// Differential tests: the request parser's fast path (SimdRequestParser, over
// simdjson) against the parser of record (over nlohmann/json).
//
// Whenever the fast path accepts a text, the parser of record must accept it too,
// without warnings, into a field-for-field identical Request and the same decision
// bytes. ParseRequestText (fast path, then the parser of record) must answer exactly
// as the parser of record alone, errors included. And the batch endpoint must answer
// the same bytes with and without the fast path. Inputs: generated requests on the
// default policy and on random policies, the worked examples, the bad-request corpus
// (tests/corpus/bad_requests), and mutations of them
// (bytes, types, values, unknown and repeated keys, escapes).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "engine/decision_json.h"
#include "engine/evaluator.h"
#include "engine/request_generator.h"
#include "engine/request_parser.h"
#include "engine/simd_request_parser.h"
#include "server/decide_handler.h"
#include "server/decision_log.h"
#include "tests/random_policy.h"
#include "tests/test_support.h"

namespace statemark::testing {
namespace {

using nlohmann::json;

constexpr Instant kNow{1700000000000000};

// Every field of a Request that a decision or a caller can see.
std::string Fingerprint(const Request& r) {
  std::ostringstream s;
  s << "id=" << r.request_id << "|" << r.has_request_id << "|t=" << r.time.micros
    << "|ad=" << r.is_ad << "|v=";
  for (uint32_t v : r.facts.value) s << v << ",";
  s << "|m=";
  for (int64_t m : r.facts.micros) s << m << ",";
  s << "|x=";
  for (const TextView& t : r.facts.text) s << std::string_view(t) << ",";
  s << "|sets=";
  for (const ValueSet& set : r.facts.sets) {
    for (int v = 0; v < kMaxDomainValues; ++v) {
      if (set.Contains(v)) s << v << " ";
    }
    s << ",";
  }
  s << "|targets=";
  for (uint16_t t : r.target_order) s << t << ",";
  s << "|account=" << r.account_id << "|" << r.has_inline_account << "|"
    << r.inline_account.id << "|" << r.inline_account.registry_index << "|av=";
  for (uint32_t v : r.inline_account.value) s << v << ",";
  s << "|ax=";
  for (const TextView& t : r.inline_account.text) s << std::string_view(t) << ",";
  s << "|eff=";
  for (int64_t e : r.inline_effective_at) s << e << ",";
  s << "|links=";
  for (int l : r.linked_accounts) s << l << ",";
  s << "|reshare=" << r.reshared_account << "|warnings=";
  for (const std::string& w : r.warnings) s << w << ";";
  return s.str();
}

struct Outcome {
  bool ok = false;
  std::string text;  // the Request's fingerprint and decision, or the error
};

Outcome Decide(const CompiledPolicy& policy, const Request& request) {
  auto decision = std::make_unique<Decision>();
  Evaluate(policy, request, decision.get());
  std::string out = Fingerprint(request) + "\n";
  AppendDecisionJson(policy, request, *decision, &out);
  return {true, out};
}

Outcome Errored(const RequestError& e) { return {false, e.code + "|" + e.message + "|" + e.path}; }

struct Counts {
  long inputs = 0;
  long fast = 0;  // accepted by the fast path
  long disagreements = 0;
};

// Compares the parsers on `text`; see the file comment.
void Compare(const CompiledPolicy& policy, const std::string& text, Counts* counts) {
  ++counts->inputs;
  Request slow_request, combined_request;
  RequestError slow_error, combined_error;
  const bool slow_ok = ParseRequestTextSlow(policy, text, kNow, &slow_request, &slow_error);
  const Outcome slow = slow_ok ? Decide(policy, slow_request) : Errored(slow_error);
  const bool combined_ok =
      ParseRequestText(policy, text, kNow, &combined_request, &combined_error);
  const Outcome combined = combined_ok ? Decide(policy, combined_request) : Errored(combined_error);

  SimdRequestParser fast_parser;
  Request fast_request;
  const bool fast_ok = fast_parser.Parse(policy, text, kNow, &fast_request);
  bool agree = combined.ok == slow.ok && combined.text == slow.text;
  if (fast_ok) {
    ++counts->fast;
    const Outcome fast = Decide(policy, fast_request);
    agree = agree && slow.ok && slow_request.warnings.empty() && fast.text == slow.text;
  }
  if (!agree && ++counts->disagreements <= 3) {
    FAIL_CHECK("parsers disagree\ninput:  " << text << "\nrecord: " << slow.text
                                            << "\nfast path accepted: " << fast_ok
                                            << "\ncombined: " << combined.text);
  }
}

// Values a mutation puts in place of a field.
const std::vector<std::string>& Replacements() {
  static const std::vector<std::string> values = {
      "null", "0", "-1.5e3", "1e400", "true", "false", "\"\"", "\"x\"", "[]", "{}",
      "[\"DE\"]", "[null]", "[\"de\",\"DE\"]", "\"DE\"", "\"de\"", "\"state_controlled_media\"",
      "\"none\"", "\"2024-02-30T00:00:00Z\"", "\"2024-07-01T12:00:00+02:00\"",
      "\"\\u00e9t\\u00e9\"", "\"\\ud83d\\ude00\"", "\"\\udc00\"", "\"\\ud800x\"", "\"a\\/b\"",
      "\"\\u0000\"", "\"\xc3\xa9\"", "\"\xff\"", "{\"id\":\"rt\"}", "[\"https://www.rt.com/x\"]",
      "[\"rt\",\"rt\"]", "123456789012345678901234567890"};
  return values;
}

// A mutation of the request `j` (an object), as text.
std::string Mutate(const json& j, std::mt19937_64& rng) {
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  const std::string text = j.dump();
  switch (pick(9)) {
    case 0: {  // a byte removed
      std::string t = text;
      t.erase(pick(t.size()), 1);
      return t;
    }
    case 1: {  // a byte inserted
      static const std::string bytes = "{}[],:\"\\ 0aZ\x01\x80-.e";
      std::string t = text;
      t.insert(pick(t.size() + 1), 1, bytes[pick(bytes.size())]);
      return t;
    }
    case 2:  // truncated
      return text.substr(0, pick(text.size()));
    case 3: {  // a field replaced by another value, at the top level or one down
      std::vector<std::string> keys;
      for (const auto& [k, v] : j.items()) keys.push_back(k);
      json copy = j;
      const std::string key = keys[pick(keys.size())];
      const std::string& value = Replacements()[pick(Replacements().size())];
      std::string replaced;
      if (copy[key].is_object() && !copy[key].empty() && pick(4) != 0) {
        std::vector<std::string> inner;
        for (const auto& [k, v] : copy[key].items()) inner.push_back(k);
        copy[key][inner[pick(inner.size())]] = "@@";
      } else {
        copy[key] = "@@";
      }
      replaced = copy.dump();
      return replaced.replace(replaced.find("\"@@\""), 4, value);
    }
    case 4: {  // an unknown or misspelt field
      json copy = j;
      static const std::vector<std::string> names = {"viewr", "extra", "known", "sanctions",
                                                      "topcs", "affiliation_effective_at"};
      const std::string name = names[pick(names.size())];
      if (pick(2) == 0 && copy.contains("account")) {
        copy["account"][name] = pick(2) == 0 ? json("2024-01-01T00:00:00Z") : json(true);
      } else {
        copy[name] = 1;
      }
      return copy.dump();
    }
    case 5: {  // a field removed
      std::vector<std::string> keys;
      for (const auto& [k, v] : j.items()) keys.push_back(k);
      json copy = j;
      copy.erase(keys[pick(keys.size())]);
      return copy.dump();
    }
    case 6: {  // a key repeated, at the top level or inside an object
      std::string t = text;
      const size_t account = t.find("\"account\":{");
      if (account != std::string::npos && pick(2) == 0) {
        return t.insert(account + 11, "\"id\":\"rt\",");
      }
      return t.insert(1, pick(2) == 0 ? "\"request_id\":\"first\"," : "\"viewer\":{\"country\":\"RU\"},");
    }
    case 7:  // whitespace, a byte-order mark, or trailing text
      switch (pick(4)) {
        case 0: return " \n\t" + text + " \r\n";
        case 1: return "\xEF\xBB\xBF" + text;
        case 2: return text + " {}";
        default: return text + "x";
      }
    default: {  // a value with escapes
      json copy = j;
      copy["request_id"] = "@@";
      std::string t = copy.dump();
      static const std::vector<std::string> escaped = {"\"\\u0041\\n\\t\\\"\"", "\"\\ud83d\\ude00\"",
                                                       "\"\\uDC00\"", "\"\\\\ud800\""};
      return t.replace(t.find("\"@@\""), 4, escaped[pick(escaped.size())]);
    }
  }
}

std::vector<std::string> ReadLines(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

void CompareGeneratedAndMutated(const CompiledPolicy& policy, uint64_t seed, long n,
                                Counts* counts) {
  GeneratorOptions options;
  options.seed = seed;
  RequestGenerator generator(policy, options);
  std::mt19937_64 rng(seed);
  for (long i = 0; i < n; ++i) {
    const json request = generator.Next();
    Compare(policy, request.dump(), counts);
    Compare(policy, Mutate(request, rng), counts);
    Compare(policy, Mutate(request, rng), counts);
  }
}

TEST_CASE("the fast request parser agrees with the parser of record") {
  auto policy = CompileOrFail(DefaultRulesDir());
  REQUIRE(policy);
  Counts counts;
  CompareGeneratedAndMutated(*policy, 20261128, 3000, &counts);
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(STATEMARK_SOURCE_DIR) + "/examples/requests")) {
    if (entry.path().extension() != ".jsonl") continue;
    for (const std::string& line : ReadLines(entry.path())) {
      // Expected decisions are lines too: as requests they exercise the error paths.
      Compare(*policy, line, &counts);
    }
  }
  // The bad-request corpus: each file is one request body.
  for (const auto& entry : std::filesystem::directory_iterator(std::string(STATEMARK_SOURCE_DIR) +
                                                               "/tests/corpus/bad_requests")) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Compare(*policy, body, &counts);
  }
  for (const char* text :
       {"", "{}", "[]", "null", "{\"account\":{\"id\":\"rt\"}}", "{\"account\":{\"id\":\"\"}}",
        "{\"account\":{\"id\":\"rt\"},\"viewer\":{\"country\":\"RU\"},\"items\":[]}",
        "{\"account\":{\"id\":\"rt\"},\"viewer\":{\"country\":\"RU\"}}   ",
        "{\"account\":{\"id\":\"rt\"},\"viewer\":{\"country\":\"RU\"},\"ad\":{\"targets\":[]}}",
        "{\"account\":{\"id\":\"rt\"},\"viewer\":{\"country\":\"RU\"},\"ad\":null}",
        "{\"account\":{\"id\":\"rt\",\"id\":\"xinhua\"},\"viewer\":{\"country\":\"RU\"}}"}) {
    Compare(*policy, text, &counts);
  }
  MESSAGE(counts.inputs << " inputs, " << counts.fast << " read by the fast path");
  CHECK(counts.disagreements == 0);
  // Most generated requests are valid and plain: the fast path must read them.
  CHECK(counts.fast > counts.inputs / 4);
}

TEST_CASE("the fast request parser agrees with the parser of record on random policies") {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    CAPTURE(seed);
    ScratchDir dir;
    dir.CopyDefaultPolicy();
    for (const char* f : {"integrity.yaml", "legal.yaml", "platform.yaml", "exemptions.yaml"}) {
      std::filesystem::remove(dir.path() / f);
    }
    dir.Write("random.yaml", RandomRulesYaml(seed, 60));
    auto policy = CompileOrFail(dir.str());
    REQUIRE(policy);
    Counts counts;
    CompareGeneratedAndMutated(*policy, seed * 104729, 500, &counts);
    CHECK(counts.disagreements == 0);
    CHECK(counts.fast > 0);
  }
}

// A batch body from generated items: some top-level fields shared, some items
// mutated, sometimes the batch itself broken.
std::string RandomBatch(RequestGenerator& generator, std::mt19937_64& rng) {
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  json shared = json::object();
  std::vector<std::string> items;
  const size_t n = 1 + pick(12);
  const bool share_viewer = pick(2) == 0, share_time = pick(2) == 0;
  for (size_t i = 0; i < n; ++i) {
    json item = generator.Next();
    if (share_viewer && item.contains("viewer")) {
      shared["viewer"] = item["viewer"];
      if (pick(2) == 0) item.erase("viewer");
    }
    if (share_time && item.contains("time")) {
      shared["time"] = item["time"];
      item.erase("time");
    }
    items.push_back(pick(5) == 0 ? Mutate(item, rng) : item.dump());
  }
  if (pick(6) == 0) shared["extra"] = 1;
  if (pick(6) == 0) shared["viewer"] = json{{"country", pick(2) == 0 ? "XX" : "FR"}};
  std::string body = shared.dump();
  body.pop_back();
  body += std::string(shared.empty() ? "" : ",") + "\"items\":[";
  for (size_t i = 0; i < items.size(); ++i) body += (i > 0 ? "," : "") + items[i];
  body += "]}";
  switch (pick(12)) {
    case 0: return body.insert(1, "\"items\":[],");        // `items` twice
    case 1: return body.substr(0, pick(body.size()));       // truncated
    case 2: return "{\"items\":{}}";
    case 3: return "[" + body + "]";
    default: return body;
  }
}

TEST_CASE("the batch endpoint answers the same bytes with and without the fast parser") {
  auto policy = CompileOrFail(DefaultRulesDir());
  REQUIRE(policy);
  server::PolicySnapshot snapshot;
  snapshot.policy = policy;
  server::DecideContext fast, slow;
  fast.snapshot = slow.snapshot = &snapshot;
  fast.max_batch_items = slow.max_batch_items = 10;
  slow.fast_parser = false;
  GeneratorOptions options;
  options.seed = 77;
  RequestGenerator generator(*policy, options);
  std::mt19937_64 rng(77);
  long disagreements = 0;
  for (int b = 0; b < 400; ++b) {
    const std::string body = RandomBatch(generator, rng);
    server::Answer a, s;
    server::DecideBatch(fast, body, &a);
    server::DecideBatch(slow, body, &s);
    // Items with a null time take the clock, read once per batch: compare all else.
    static const std::regex clock(R"("time":"[^"]*")");
    const bool same = a.status == s.status &&
                      (a.body == s.body || std::regex_replace(a.body, clock, "") ==
                                               std::regex_replace(s.body, clock, ""));
    if (!same && ++disagreements <= 3) {
      FAIL_CHECK("batch answers differ\nbody: " << body << "\nfast: " << a.body
                                                << "\nslow: " << s.body);
    }
  }
  CHECK(disagreements == 0);
}

TEST_CASE("a batch with a number nlohmann cannot hold is invalid JSON, both ways") {
  auto policy = CompileOrFail(DefaultRulesDir());
  REQUIRE(policy);
  server::PolicySnapshot snapshot;
  snapshot.policy = policy;
  for (bool fast_parser : {true, false}) {
    server::DecideContext c;
    c.snapshot = &snapshot;
    c.fast_parser = fast_parser;
    server::Answer answer;
    server::DecideBatch(c, R"({"x":1e400,"items":[{"account":{"id":"rt"}}]})", &answer);
    CHECK(answer.status == 400);
    CHECK(answer.body.find("\"invalid_json\"") != std::string::npos);
  }
}

// The same batch with line breaks and spaces between its tokens.
std::string Pretty(const std::string& body) {
  try {
    return json::parse(body).dump(2);
  } catch (const json::exception&) {
    return body;
  }
}

TEST_CASE("a batch nested too deep is refused the same way with and without the fast parser") {
  auto policy = CompileOrFail(DefaultRulesDir());
  REQUIRE(policy);
  server::PolicySnapshot snapshot;
  snapshot.policy = policy;
  const std::string plain = R"({"time":"2024-07-01T12:00:00Z","items":[{"account":{"id":"rt"}}]})";
  for (int max_depth : {1, 3, 4, 5, 62, 63, 64}) {
    for (int extra : {0, 1, 61, 62, 63}) {
      CAPTURE(max_depth);
      CAPTURE(extra);
      // A shared field nested `extra` deep inside the top-level object.
      std::string body = plain;
      if (extra > 0) {
        body.insert(1, "\"x\":" + std::string(static_cast<size_t>(extra), '[') +
                           std::string(static_cast<size_t>(extra), ']') + ",");
      }
      server::Answer answers[2];
      for (bool fast_parser : {true, false}) {
        server::DecideContext c;
        c.snapshot = &snapshot;
        c.max_json_depth = max_depth;
        c.fast_parser = fast_parser;
        server::DecideBatch(c, body, &answers[fast_parser ? 0 : 1]);
      }
      CHECK(answers[0].status == answers[1].status);
      CHECK(answers[0].body == answers[1].body);
      // The body nests 4 deep (top, items, item, account), or 1 + extra.
      const bool too_deep = std::max(1 + extra, 4) > max_depth;
      CHECK((answers[0].body.find("JSON nests deeper than") != std::string::npos) == too_deep);
    }
  }
}

std::vector<json> ReadRecords(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<json> records;
  for (std::string line; std::getline(in, line);) records.push_back(json::parse(line));
  return records;
}

TEST_CASE("the decision log records each batch item as decided, with and without the fast parser") {
  auto policy = CompileOrFail(DefaultRulesDir());
  REQUIRE(policy);
  server::PolicySnapshot snapshot;
  snapshot.policy = policy;
  ScratchDir dir;
  const auto fast_path = dir.path() / "fast.jsonl", slow_path = dir.path() / "slow.jsonl";
  server::DecisionLog fast_log({fast_path.string(), 1.0, 1 << 20}, nullptr);
  server::DecisionLog slow_log({slow_path.string(), 1.0, 1 << 20}, nullptr);
  std::string error;
  REQUIRE(fast_log.Start(&error));
  REQUIRE(slow_log.Start(&error));
  server::DecideContext fast, slow;
  fast.snapshot = slow.snapshot = &snapshot;
  fast.log = &fast_log;
  slow.log = &slow_log;
  slow.fast_parser = false;
  GeneratorOptions options;
  options.seed = 78;
  RequestGenerator generator(*policy, options);
  std::mt19937_64 rng(78);
  std::vector<std::string> bodies;
  for (int b = 0; b < 300; ++b) {
    const std::string body = RandomBatch(generator, rng);
    bodies.push_back(b % 3 == 0 ? Pretty(body) : body);
    server::Answer a, s;
    server::DecideBatch(fast, bodies.back(), &a);
    server::DecideBatch(slow, bodies.back(), &s);
  }
  fast_log.Close();
  slow_log.Close();
  const std::vector<json> fast_records = ReadRecords(fast_path);
  const std::vector<json> slow_records = ReadRecords(slow_path);
  REQUIRE(fast_records.size() == slow_records.size());
  CHECK(fast_records.size() > 500);
  static const std::regex clock(R"("time":"[^"]*")");
  long disagreements = 0;
  for (size_t i = 0; i < fast_records.size(); ++i) {
    const json& f = fast_records[i];
    const json& s = slow_records[i];
    // The same request (as a JSON value: key order and spacing may differ), and the
    // same decision, which the logged request decides again.
    const bool same =
        f["batch_index"] == s["batch_index"] && f["request"] == s["request"] &&
        std::regex_replace(f["decision"].dump(), clock, "") ==
            std::regex_replace(s["decision"].dump(), clock, "") &&
        (!f["request"].value("time", json()).is_string() ||
         json::parse(DecideJson(*policy, f["request"].dump())) == f["decision"]);
    if (!same && ++disagreements <= 3) {
      FAIL_CHECK("log records differ\nfast: " << f.dump() << "\nslow: " << s.dump());
    }
  }
  CHECK(disagreements == 0);
}

TEST_CASE("a logged batch item keeps its own text and gains the shared fields it lacks") {
  auto policy = CompileOrFail(DefaultRulesDir());
  REQUIRE(policy);
  SimdRequestParser parser;
  const std::string body =
      "{\"time\": \"2024-07-01T12:00:00Z\",\n \"viewer\": {\"country\": \"GB\"},\n"
      " \"items\": [{\"account\":{\"id\":\"rt\"}},\n"
      "  {\"viewer\": {\"country\": \"US\"},\n \"account\": {\"id\": \"xin\\\"hua\"}},\n"
      "  {\"account\":{\"id\":\"bbc\"},\"time\":\"2024-01-01T00:00:00Z\",\"viewer\":null}]}";
  REQUIRE(parser.OpenBatch(body, 10, 64));
  Request request;
  std::vector<std::string> texts;
  for (size_t i = 0; i < parser.batch_size(); ++i) {
    REQUIRE(parser.ParseItem(*policy, i, Instant{0}, &request));
    std::string text = "x";
    parser.AppendItemRequest(i, &text);
    texts.push_back(text.substr(1));
  }
  CHECK(texts[0] ==
        R"({"account":{"id":"rt"},"time": "2024-07-01T12:00:00Z","viewer": {"country": "GB"}})");
  CHECK(texts[1] ==
        R"({"viewer":{"country":"US"},"account":{"id":"xin\"hua"},"time":"2024-07-01T12:00:00Z"})");
  CHECK(texts[2] == R"({"account":{"id":"bbc"},"time":"2024-01-01T00:00:00Z","viewer":null})");
}

}  // namespace
}  // namespace statemark::testing
