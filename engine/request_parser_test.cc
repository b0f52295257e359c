#include "engine/request_parser.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/compiler.h"
#include "engine/loader.h"

namespace statemark {
namespace {

// The caller's clock for requests without `time`.
constexpr Instant kNow{1700000000000000};  // 2023-11-14T22:13:20Z

std::shared_ptr<const CompiledPolicy> CompileDir(const std::string& dir) {
  auto loaded = LoadPolicy(dir);
  INFO(RenderDiagnostics(loaded.diagnostics()));
  REQUIRE(loaded.ok());
  auto compiled = Compile(loaded.value());
  INFO(RenderDiagnostics(compiled.diagnostics()));
  REQUIRE(compiled.ok());
  return compiled.value();
}

const CompiledPolicy& Shipped() {
  static const std::shared_ptr<const CompiledPolicy> policy =
      CompileDir(STATEMARK_SOURCE_DIR "/rules");
  return *policy;
}

struct Parsed {
  bool ok = false;
  Request request;
  RequestError error;
};

Parsed ParseText(const std::string& text, const CompiledPolicy& policy = Shipped()) {
  Parsed p;
  p.ok = ParseRequestText(policy, text, kNow, &p.request, &p.error);
  return p;
}

// Parses and requires success.
Request Good(const std::string& text) {
  Parsed p = ParseText(text);
  INFO(p.error.message << " at " << p.error.path);
  REQUIRE(p.ok);
  return std::move(p.request);
}

// Parses and requires failure with code `invalid_request`.
RequestError Bad(const std::string& text) {
  Parsed p = ParseText(text);
  REQUIRE_FALSE(p.ok);
  CHECK(p.error.code == "invalid_request");
  return p.error;
}

int Attr(const std::string& name) {
  const int a = Shipped().vocabulary().FindAttribute(name);
  REQUIRE(a >= 0);
  return a;
}

// The index of `value` in the domain of attribute `attr`.
uint32_t IndexOf(const std::string& attr, const std::string& value) {
  const Vocabulary& v = Shipped().vocabulary();
  const Attribute& a = v.attributes[static_cast<size_t>(Attr(attr))];
  const int i = v.domains[static_cast<size_t>(a.domain)].Find(value);
  REQUIRE(i >= 0);
  return static_cast<uint32_t>(i);
}

uint32_t Country(const std::string& code) { return IndexOf("viewer.country", code); }

// The stored value of a scalar attribute: request facts, or the inline account.
uint32_t ValueOf(const Request& r, const std::string& attr) {
  const internal::Slot& s = Shipped().slot(Attr(attr));
  REQUIRE(s.index >= 0);
  const auto i = static_cast<size_t>(s.index);
  return s.scope == AttrScope::kAccount ? r.inline_account.value[i] : r.facts.value[i];
}

const ValueSet& SetOf(const Request& r, const std::string& attr) {
  const internal::Slot& s = Shipped().slot(Attr(attr));
  REQUIRE(s.set_index >= 0);
  return r.facts.sets[static_cast<size_t>(s.set_index)];
}

int Account(const std::string& id) {
  const int a = Shipped().registry().Find(id);
  REQUIRE(a >= 0);
  return a;
}

Instant At(const char* rfc3339) { return std::get<Instant>(ParseRfc3339(rfc3339)); }

std::string Organic(const std::string& account, const std::string& topic,
                    const std::string& viewer) {
  return R"({"time": "2024-07-01T12:00:00Z", "viewer": {"country": ")" + viewer +
         R"("}, "account": {"id": ")" + account + R"("}, "content": {"topics": [")" + topic +
         R"("]}})";
}

TEST_CASE("worked examples parse into facts") {
  struct Example {
    const char* name;
    const char* account;
    const char* topic;
    const char* viewer;
  };
  const Example examples[] = {
      {"S01", "creator_gb", "travel_tourism", "GB"},
      {"S03", "xinhua", "current_global_affairs", "US"},
      {"S05", "xinhua", "travel_tourism", "US"},
      {"S07", "by_state_tv", "current_global_affairs", "BY"},
      {"S17", "rt_en", "current_global_affairs", "DE"},
      {"S30", "bbc", "current_global_affairs", "US"},
      {"S35", "fr_president", "international_relations", "US"},
  };
  for (const Example& e : examples) {
    CAPTURE(e.name);
    const Request r = Good(Organic(e.account, e.topic, e.viewer));
    CHECK(r.account_id == e.account);
    CHECK(r.inline_account.id == e.account);
    CHECK(r.time == At("2024-07-01T12:00:00Z"));
    CHECK_FALSE(r.is_ad);
    CHECK_FALSE(r.has_request_id);
    CHECK_FALSE(r.has_inline_account);
    CHECK(ValueOf(r, "request.kind") == IndexOf("request.kind", "organic"));
    CHECK(ValueOf(r, "viewer.country") == Country(e.viewer));
    ValueSet topics;
    topics.Add(static_cast<int>(IndexOf("content.topics", e.topic)));
    CHECK(SetOf(r, "content.topics") == topics);
    CHECK(SetOf(r, "ad.target_countries").Empty());
    CHECK(r.target_order.empty());
    CHECK(r.linked_accounts.empty());
    CHECK(r.reshared_account == -1);
    CHECK(r.warnings.empty());
  }
}

TEST_CASE("S12: an ad request keeps its targets in request order") {
  const Request r = Good(R"({"time": "2024-07-01T12:00:00Z", "account": {"id": "tr_wire"},
      "ad": {"target_countries": ["TR", "DE", "AZ", "DE"], "topics": ["travel_tourism"],
             "purpose": "commercial", "managed_by_platform_rep": false,
             "first_impression_at": null}})");
  CHECK(r.is_ad);
  CHECK(ValueOf(r, "request.kind") == IndexOf("request.kind", "ad"));
  CHECK(r.target_order == std::vector<uint16_t>{static_cast<uint16_t>(Country("TR")),
                                                static_cast<uint16_t>(Country("DE")),
                                                static_cast<uint16_t>(Country("AZ"))});
  CHECK(SetOf(r, "ad.target_countries").Size() == 3);
  CHECK(SetOf(r, "ad.topics").Contains(static_cast<int>(IndexOf("ad.topics", "travel_tourism"))));
  CHECK(ValueOf(r, "ad.purpose") == IndexOf("ad.purpose", "commercial"));
  CHECK(ValueOf(r, "ad.managed_by_platform_rep") == 0);
  CHECK(ValueOf(r, "ad.first_impression_at") == kAbsent);
  CHECK(ValueOf(r, "viewer.country") == Country("ZZ"));  // absent viewer: unknown location
  CHECK(r.warnings.empty());
}

TEST_CASE("instants are stored as micros with a presence marker") {
  const Request r = Good(R"({"account": {"id": "ngo_us"},
      "ad": {"target_countries": ["US"], "first_impression_at": "2024-10-30T01:00:00-07:00"}})");
  const internal::Slot& s = Shipped().slot(Attr("ad.first_impression_at"));
  CHECK(r.facts.value[static_cast<size_t>(s.index)] == 1);
  CHECK(r.facts.micros[static_cast<size_t>(s.index)] == At("2024-10-30T08:00:00Z").micros);
  // No `time`: the caller's clock, also as the request.time fact.
  CHECK(r.time == kNow);
  const internal::Slot& t = Shipped().slot(Attr("request.time"));
  CHECK(r.facts.micros[static_cast<size_t>(t.index)] == kNow.micros);
}

TEST_CASE("S46 and links: linked accounts are resolved, sorted and deduplicated") {
  const Request s46 = Good(R"({"account": {"id": "user_us"},
      "content": {"topics": ["war_conflict"], "links_to": ["rt_en"]}})");
  CHECK(s46.linked_accounts == std::vector<int>{Account("rt_en")});

  const Request r = Good(R"({"account": {"id": "user_us"}, "content": {
      "links": ["https://www.rt.com/news/601234-some-story/", "https://francais.rt.com/x",
                "https://example.org/", "not a url"],
      "links_to": ["rt_en", "xinhua", "no_such_account", "user_us"],
      "reshare_of": "ria"}})");
  std::vector<int> want = {Account("rt_en"), Account("rt_fr"), Account("xinhua"),
                           Account("user_us")};
  std::sort(want.begin(), want.end());
  CHECK(r.linked_accounts == want);
  CHECK(r.reshared_account == Account("ria"));
  CHECK(r.warnings.empty());

  CHECK(Good(R"({"account": {"id": "a"}, "content": {"reshare_of": "nobody"}})").reshared_account ==
        -1);
}

TEST_CASE("an unknown account takes inline attributes and defaults") {
  const Request bare = Good(R"({"account": {"id": "unknown_acct"}})");
  CHECK_FALSE(bare.has_inline_account);
  CHECK(ValueOf(bare, "account.affiliation") == IndexOf("account.affiliation", "none"));
  CHECK(ValueOf(bare, "account.integrity_status") == IndexOf("account.integrity_status", "ok"));
  CHECK(ValueOf(bare, "account.affiliated_state") == kAbsent);
  CHECK(ValueOf(bare, "account.geopolitical_role") == kAbsent);

  const Request r = Good(R"({"account": {"id": "new_outlet",
      "affiliation": "state_controlled_media", "affiliated_state": "RU",
      "parent_entity": "TV-Novosti", "network_id": "net-1", "geopolitical_role": true,
      "integrity_status": "under_review",
      "integrity_status_effective_at": "2024-02-15T00:00:00Z"}})");
  CHECK(r.has_inline_account);
  CHECK(r.inline_account.registry_index == -1);
  CHECK(ValueOf(r, "account.affiliation") ==
        IndexOf("account.affiliation", "state_controlled_media"));
  CHECK(ValueOf(r, "account.affiliated_state") == Country("RU"));
  CHECK(ValueOf(r, "account.geopolitical_role") == 1);
  const StringTable& strings = Shipped().registry().strings();
  CHECK(ValueOf(r, "account.parent_entity") == strings.Find("TV-Novosti"));
  CHECK(ValueOf(r, "account.parent_entity") != kUnknownString);
  const internal::Slot& entity = Shipped().slot(Attr("account.parent_entity"));
  CHECK(r.inline_account.text[static_cast<size_t>(entity.index)] == "TV-Novosti");
  CHECK(ValueOf(r, "account.network_id") == strings.Find("net-1"));
  const internal::Slot& status = Shipped().slot(Attr("account.integrity_status"));
  CHECK(r.inline_effective_at[static_cast<size_t>(status.index)] ==
        At("2024-02-15T00:00:00Z").micros);
  const internal::Slot& affiliation = Shipped().slot(Attr("account.affiliation"));
  CHECK(r.inline_effective_at[static_cast<size_t>(affiliation.index)] == kBeginningOfTime.micros);
}

TEST_CASE("views into the request survive moving it") {
  std::vector<Request> requests;
  for (int i = 0; i < 20; ++i) {  // growing the vector moves the earlier requests
    requests.push_back(Good(R"({"account": {"id": "acct)" + std::to_string(i) +
                            R"(", "parent_entity": "p"}, "viewer": {"locale": "en-US"}})"));
  }
  const internal::Slot& entity = Shipped().slot(Attr("account.parent_entity"));
  const internal::Slot& locale = Shipped().slot(Attr("viewer.locale"));
  for (int i = 0; i < 20; ++i) {
    const Request& r = requests[static_cast<size_t>(i)];
    CHECK(r.inline_account.id == "acct" + std::to_string(i));
    CHECK(r.inline_account.text[static_cast<size_t>(entity.index)] == "p");
    CHECK(r.facts.text[static_cast<size_t>(locale.index)] == "en-US");
  }
}

TEST_CASE("JSON null reads as absent") {
  const Request r = Good(R"({"request_id": null, "time": null, "account": {"id": "x",
      "affiliation": null}, "viewer": {"country": null}, "content": null, "ad": null})");
  CHECK_FALSE(r.has_request_id);
  CHECK(r.time == kNow);
  CHECK_FALSE(r.is_ad);
  CHECK_FALSE(r.has_inline_account);
  CHECK(ValueOf(r, "viewer.country") == Country("ZZ"));
  CHECK(ValueOf(r, "account.affiliation") == IndexOf("account.affiliation", "none"));
}

TEST_CASE("request_id is echoed") {
  const Request r = Good(R"({"request_id": "r-123", "account": {"id": "x"}})");
  CHECK(r.has_request_id);
  CHECK(r.request_id == "r-123");
}

TEST_CASE("unknown values are errors with a suggestion") {
  RequestError e = Bad(R"({"account": {"id": "x", "affiliation": "state_controled_media"}})");
  CHECK(e.message ==
        "unknown affiliation `state_controled_media`; did you mean `state_controlled_media`?");
  CHECK(e.path == "account.affiliation");

  e = Bad(R"({"account": {"id": "x"}, "viewer": {"country": "us"}})");
  CHECK(e.message == "unknown country code `us`; did you mean `US`?");
  CHECK(e.path == "viewer.country");

  e = Bad(R"({"account": {"id": "x"}, "ad": {"target_countries": ["US", "UK"]}})");
  CHECK(e.message == "unknown country code `UK`; did you mean `GB`?");
  CHECK(e.path == "ad.target_countries[1]");

  e = Bad(R"({"account": {"id": "x"}, "content": {"subject_countries": ["XX"]}})");
  CHECK(e.message == "unknown country code `XX`");
  CHECK(e.path == "content.subject_countries[0]");

  e = Bad(R"({"account": {"id": "x"}, "content": {"topics": ["food", "war_conflcit"]}})");
  CHECK(e.message == "unknown topic `war_conflcit`; did you mean `war_conflict`?");
  CHECK(e.path == "content.topics[1]");

  e = Bad(R"({"account": {"id": "x", "label_appeal": "grnted"}})");
  CHECK(e.message == "unknown label_appeal `grnted`; did you mean `granted`?");
}

TEST_CASE("error paths carry the caller's prefix") {
  const auto json =
      nlohmann::json::parse(R"({"account": {"id": "x", "affiliation": "state_controled_media"}})");
  Request r;
  RequestError e;
  REQUIRE_FALSE(ParseRequest(Shipped(), json, kNow, &r, &e, "items[3]"));
  CHECK(e.path == "items[3].account.affiliation");
  REQUIRE_FALSE(ParseRequest(Shipped(), nlohmann::json::array(), kNow, &r, &e, "items[4]"));
  CHECK(e.message == "expected an object");
  CHECK(e.path == "items[4]");
}

TEST_CASE("wrong JSON types are errors") {
  struct Case {
    const char* json;
    const char* message;
    const char* path;
  };
  const Case cases[] = {
      {R"([1])", "expected an object", ""},
      {R"({"account": "x"})", "expected an object", "account"},
      {R"({"account": {"id": "x"}, "viewer": "US"})", "expected an object", "viewer"},
      {R"({"account": {"id": 7}})", "expected a string", "account.id"},
      {R"({"account": {"id": ""}})", "expected a non-empty string", "account.id"},
      {R"({"request_id": 5, "account": {"id": "x"}})", "expected a string", "request_id"},
      {R"({"time": 5, "account": {"id": "x"}})", "expected a string", "time"},
      {R"({"account": {"id": "x", "affiliation": 3}})", "expected a string", "account.affiliation"},
      {R"({"account": {"id": "x", "geopolitical_role": "yes"}})", "expected true or false",
       "account.geopolitical_role"},
      {R"({"account": {"id": "x"}, "content": {"topics": "war_conflict"}})",
       "expected an array of strings", "content.topics"},
      {R"({"account": {"id": "x"}, "content": {"topics": [1]}})", "expected a string",
       "content.topics[0]"},
      {R"({"account": {"id": "x"}, "content": {"links": "https://rt.com"}})",
       "expected an array of strings", "content.links"},
      {R"({"account": {"id": "x"}, "content": {"links_to": ["a", null]}})", "expected a string",
       "content.links_to[1]"},
      {R"({"account": {"id": "x"}, "content": {"reshare_of": ["a"]}})", "expected a string",
       "content.reshare_of"},
      {R"({"account": {"id": "x"}, "content": {"text": 1}})", "expected a string", "content.text"},
      {R"({"account": {"id": "x"}, "ad": {"target_countries": ["US"],
           "managed_by_platform_rep": 1}})",
       "expected true or false", "ad.managed_by_platform_rep"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.json);
    const RequestError e = Bad(c.json);
    CHECK(e.message == c.message);
    CHECK(e.path == c.path);
  }
}

TEST_CASE("bad times are errors") {
  RequestError e = Bad(R"({"time": "2024-07-01", "account": {"id": "x"}})");
  CHECK(e.message == "invalid time `2024-07-01`: expected a time after the date, as THH:MM:SS");
  CHECK(e.path == "time");
  e = Bad(R"({"account": {"id": "x"}, "ad": {"target_countries": ["US"],
      "first_impression_at": "2024-13-01T00:00:00Z"}})");
  CHECK(e.message == "invalid time `2024-13-01T00:00:00Z`: no such date");
  CHECK(e.path == "ad.first_impression_at");
  e = Bad(R"({"account": {"id": "x", "integrity_status": "under_review",
      "integrity_status_effective_at": "soon"}})");
  CHECK(e.path == "account.integrity_status_effective_at");
}

TEST_CASE("required fields") {
  RequestError e = Bad(R"({"viewer": {"country": "US"}})");
  CHECK(e.message == "missing required field `account.id`");
  CHECK(e.path == "account.id");
  e = Bad(R"({"account": {"affiliation": "none"}})");
  CHECK(e.message == "missing required field `account.id`");

  e = Bad(R"({"account": {"id": "tr_wire"}, "ad": {"topics": ["travel_tourism"]}})");
  CHECK(e.message == "missing required field `ad.target_countries`");
  CHECK(e.path == "ad.target_countries");

  // An ad with no target would be vacuously allowed: it is an error instead.
  e = Bad(R"({"account": {"id": "tr_wire"}, "ad": {"target_countries": []}})");
  CHECK(e.message == "an ad needs at least one target country");
  CHECK(e.path == "ad.target_countries");
}

TEST_CASE("registry-only account fields") {
  RequestError e = Bad(R"({"account": {"id": "x", "sanctions": ["eu_833_annex_xv"]}})");
  CHECK(e.message == "`account.sanctions` comes from the registry and cannot be given inline");
  CHECK(e.path == "account.sanctions");

  const Request r = Good(R"({"account": {"id": "x", "known": true}})");
  CHECK(r.warnings ==
        std::vector<std::string>{"`account.known` is derived from the registry; the given value is "
                                 "ignored"});
}

TEST_CASE("unknown fields are warnings with a suggestion") {
  const Request r = Good(R"({"reqest_id": "r", "request": {"kind": "ad"},
      "account": {"id": "x", "afiliation": "none"},
      "content": {"topcs": ["food"], "link": []}, "viewer": {"zone": "x"}})");
  CHECK(r.warnings == std::vector<std::string>{
                          "unknown field `reqest_id` ignored; did you mean `request_id`?",
                          "unknown field `request` ignored",
                          "unknown field `account.afiliation` ignored; did you mean "
                          "`account.affiliation`?",
                          "unknown field `content.link` ignored; did you mean `content.links`?",
                          "unknown field `content.topcs` ignored; did you mean "
                          "`content.topics`?",
                          "unknown field `viewer.zone` ignored",
                      });
  CHECK_FALSE(r.is_ad);  // `request.kind` is derived, never read
  CHECK(ValueOf(r, "request.kind") == IndexOf("request.kind", "organic"));
}

TEST_CASE("an open attribute accepts unknown values with a warning") {
  const Request r = Good(R"({"account": {"id": "x"},
      "ad": {"target_countries": ["US"], "purpose": "foo"}})");
  CHECK(r.warnings ==
        std::vector<std::string>{"unknown purpose `foo` accepted (the attribute is open)"});
  CHECK(ValueOf(r, "ad.purpose") == kAbsent);
}

TEST_CASE("malformed JSON") {
  Parsed p = ParseText(R"({"account": {"id": "x"})");
  REQUIRE_FALSE(p.ok);
  CHECK(p.error.code == "invalid_json");
  CHECK(p.error.message ==
        "malformed JSON at line 1, column 24: syntax error while parsing object - unexpected "
        "end of input; expected '}'");
  CHECK(p.error.path == "");

  p = ParseText("{\n  \"account\": {\"id\": x}}");
  REQUIRE_FALSE(p.ok);
  CHECK(p.error.code == "invalid_json");
  CHECK(p.error.message.find("at line 2, column 21") != std::string::npos);

  // Invalid UTF-8 in the quoted input is replaced, so the error is valid JSON text.
  p = ParseText("{\"a\": \"\xff\"}");
  REQUIRE_FALSE(p.ok);
  CHECK(p.error.message ==
        "malformed JSON at line 1, column 8: syntax error while parsing value - invalid string: "
        "ill-formed UTF-8 byte; last read: '\"\xEF\xBF\xBD'");
}

// A copy of the shipped rules whose registry holds `extra` more accounts,
// `outlet_0` ... with a domain each: `outlet-<i>.example`.
std::string PolicyWithOutlets(int extra) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "statemark_request_parser_test";
  fs::remove_all(dir);
  fs::copy(STATEMARK_SOURCE_DIR "/rules", dir, fs::copy_options::recursive);
  fs::remove_all(dir / "tests");
  std::ofstream accounts(dir / "registry" / "accounts.csv", std::ios::app);
  std::ofstream domains(dir / "registry" / "domains.csv", std::ios::app);
  for (int i = 0; i < extra; ++i) {
    accounts << "outlet_" << i << ",test outlet,none,,,,,,,,,,\n";
    domains << "outlet_" << i << ",outlet-" << i << "\\.example\n";
  }
  return dir.string();
}

TEST_CASE("too many linked accounts") {
  const auto policy = CompileDir(PolicyWithOutlets(40));
  std::string links, ids;
  for (int i = 0; i < 33; ++i) {
    links += std::string(i ? "," : "") + "\"https://outlet-" + std::to_string(i) + ".example/\"";
    ids += std::string(i ? "," : "") + "\"outlet_" + std::to_string(i) + "\"";
  }
  Parsed p =
      ParseText(R"({"account": {"id": "x"}, "content": {"links": [)" + links + "]}}", *policy);
  REQUIRE_FALSE(p.ok);
  CHECK(p.error.message == "too many linked accounts: at most 32");
  CHECK(p.error.path == "content.links");

  p = ParseText(R"({"account": {"id": "x"}, "content": {"links_to": [)" + ids + "]}}", *policy);
  REQUIRE_FALSE(p.ok);
  CHECK(p.error.path == "content.links_to");

  // The same 32 accounts named twice, by link and by id, are 32 accounts.
  std::string links32, ids32;
  for (int i = 0; i < 32; ++i) {
    links32 += std::string(i ? "," : "") + "\"http://outlet-" + std::to_string(i) + ".example\"";
    ids32 += std::string(i ? "," : "") + "\"outlet_" + std::to_string(i) + "\"";
  }
  p = ParseText(R"({"account": {"id": "x"}, "content": {"links": [)" + links32 +
                    R"(], "links_to": [)" + ids32 + "]}}",
                *policy);
  INFO(p.error.message);
  REQUIRE(p.ok);
  CHECK(p.request.linked_accounts.size() == 32);
}

}  // namespace
}  // namespace statemark
