// Tests for the registry: the CSV reader, the loader (against the shipped registry and
// against small files for every diagnostic), and the Registry's lookups.
#include "engine/registry.h"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/instant.h"
#include "engine/internal/csv_reader.h"
#include "engine/internal/registry_loader.h"
#include "engine/status.h"
#include "engine/vocabulary.h"

namespace statemark {
namespace {

using internal::CsvCell;
using internal::CsvReader;

// --- A vocabulary like rules/vocabulary.yaml, built by hand ---

int AddDomain(Vocabulary& v, std::string name, std::vector<std::string> values) {
  Domain d;
  d.name = std::move(name);
  d.values = std::move(values);
  for (size_t i = 0; i < d.values.size(); ++i) d.index[d.values[i]] = static_cast<int>(i);
  v.domains.push_back(std::move(d));
  return static_cast<int>(v.domains.size()) - 1;
}

int AddAttribute(Vocabulary& v, std::string name, AttrType type, AttrScope scope, int domain = -1,
                 bool dated = false, bool builtin = false) {
  Attribute a;
  a.name = std::move(name);
  a.type = type;
  a.scope = scope;
  a.domain = domain;
  a.dated = dated;
  a.builtin = builtin;
  v.attribute_index[a.name] = static_cast<int>(v.attributes.size());
  v.attributes.push_back(std::move(a));
  return static_cast<int>(v.attributes.size()) - 1;
}

int AddEnum(Vocabulary& v, const std::string& name, std::vector<std::string> values,
            bool dated = false) {
  int d = AddDomain(v, name, std::move(values));
  return AddAttribute(v, name, AttrType::kEnum, AttrScope::kAccount, d, dated);
}

Vocabulary TestVocabulary() {
  Vocabulary v;
  std::vector<std::string> codes;
  YAML::Node countries = YAML::LoadFile(STATEMARK_SOURCE_DIR "/rules/countries.yaml");
  for (const auto& kv : countries["countries"]) codes.push_back(kv.first.as<std::string>());
  AddDomain(v, "countries", codes);
  v.unknown_country = v.domains[0].Find("ZZ");

  // Built-in and request attributes are not registry columns.
  v.attr_account_id = AddAttribute(v, "account.id", AttrType::kString, AttrScope::kAccount, -1,
                                   false, /*builtin=*/true);
  v.attr_sanctions = AddAttribute(v, "account.sanctions", AttrType::kListings, AttrScope::kAccount,
                                  -1, false, /*builtin=*/true);
  v.attr_viewer_country = AddAttribute(v, "viewer.country", AttrType::kCountry, AttrScope::kRequest,
                                       0, false, /*builtin=*/true);

  AddEnum(v, "account.affiliation",
          {"none", "state_controlled_media", "state_affiliated_media", "state_media_staff",
           "publicly_funded_independent_media", "government_organization", "government_official",
           "head_of_state", "political_party", "politician"});
  v.attr_affiliated_state =
      AddAttribute(v, "account.affiliated_state", AttrType::kCountry, AttrScope::kAccount, 0);
  AddAttribute(v, "account.home_country", AttrType::kCountry, AttrScope::kAccount, 0);
  v.attr_parent_entity =
      AddAttribute(v, "account.parent_entity", AttrType::kString, AttrScope::kAccount);
  AddEnum(v, "account.editorial_independence", {"independent", "not_independent", "unassessed"});
  AddEnum(v, "account.label_appeal", {"none", "pending", "granted", "denied"});
  AddAttribute(v, "account.geopolitical_role", AttrType::kBool, AttrScope::kAccount);
  AddAttribute(v, "account.government_in_dispute", AttrType::kBool, AttrScope::kAccount);
  AddEnum(v, "account.integrity_status",
          {"ok", "cio_network_removed", "foreign_interference_banned", "under_review"},
          /*dated=*/true);
  AddAttribute(v, "account.network_id", AttrType::kString, AttrScope::kAccount);
  AddAttribute(v, "viewer.locale", AttrType::kString, AttrScope::kRequest);

  v.sanctions_lists.push_back({"eu_833_annex_xv", "EU", {}});
  v.sanctions_lists.push_back({"uk_internet_sanctions_list", "GB", {}});
  return v;
}

const Vocabulary& Vocab() {
  static const Vocabulary* vocab = new Vocabulary(TestVocabulary());
  return *vocab;
}

int Col(const Registry& r, const std::string& attr) {
  return r.Column(Vocab().attribute_index.at(attr));
}

uint32_t ValueOf(const Vocabulary& v, const std::string& attr, const std::string& value) {
  const Attribute& a = v.attributes[static_cast<size_t>(v.attribute_index.at(attr))];
  const int d = a.type == AttrType::kCountry ? kCountryDomain : a.domain;
  return static_cast<uint32_t>(v.domains[static_cast<size_t>(d)].Find(value));
}

Instant At(const char* rfc3339) { return std::get<Instant>(ParseRfc3339(rfc3339)); }

// A policy directory in the system's temp dir, removed at the end of the test.
class TempPolicy {
 public:
  TempPolicy() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "statemark-registry-XXXXXX");
    dir_ = mkdtemp(tmpl.data());
    REQUIRE(!dir_.empty());
  }
  ~TempPolicy() { std::filesystem::remove_all(dir_); }

  void Write(const std::string& name, const std::string& text) const {
    std::filesystem::create_directories(dir_ + "/registry");
    std::ofstream(dir_ + "/registry/" + name, std::ios::binary) << text;
  }
  const std::string& dir() const { return dir_; }
  std::string path(const std::string& name) const { return dir_ + "/registry/" + name; }

  std::shared_ptr<Registry> Load(Diagnostics& diags, const Vocabulary& v = Vocab()) const {
    return internal::LoadRegistry(dir_, v, diags);
  }
  // Loads and renders every diagnostic, sorted, with the directory shown as `<dir>`.
  std::string Errors(const Vocabulary& v = Vocab()) const {
    Diagnostics diags;
    auto r = Load(diags, v);
    REQUIRE(r != nullptr);
    diags.Sort();
    std::string text = RenderDiagnostics(diags);
    for (size_t at; (at = text.find(dir_)) != std::string::npos;)
      text.replace(at, dir_.size(), "<dir>");
    return text;
  }

 private:
  std::string dir_;
};

const char kHeader[] =
    "id,affiliation,affiliated_state,home_country,parent_entity,editorial_independence,"
    "label_appeal,geopolitical_role,government_in_dispute,integrity_status,"
    "integrity_status_effective_at,network_id\n";

// --- The CSV reader ---

std::vector<std::vector<std::string>> ReadAll(CsvReader& reader) {
  std::vector<std::vector<std::string>> rows;
  std::vector<CsvCell> row;
  while (reader.NextRow(row)) {
    rows.emplace_back();
    for (const CsvCell& c : row) rows.back().emplace_back(c.text);
  }
  return rows;
}

std::vector<std::vector<std::string>> ReadString(std::string_view text) {
  CsvReader reader;
  reader.OpenString(text);
  auto rows = ReadAll(reader);
  CHECK(!reader.error());
  return rows;
}

using Rows = std::vector<std::vector<std::string>>;

TEST_CASE("csv: plain, quoted and escaped cells") {
  CHECK(ReadString("a,b,c\n1,2,3\n") == Rows{{"a", "b", "c"}, {"1", "2", "3"}});
  CHECK(ReadString("a,b\r\n1,2\r\n") == Rows{{"a", "b"}, {"1", "2"}});
  CHECK(ReadString("a,b\n1,2") == Rows{{"a", "b"}, {"1", "2"}});  // no final line break
  CHECK(ReadString("a,,\n,,") == Rows{{"a", "", ""}, {"", "", ""}});
  CHECK(ReadString("\"x, y\",\"say \"\"hi\"\"\",\"\"\n") == Rows{{"x, y", "say \"hi\"", ""}});
  CHECK(ReadString("\"two\nlines\",b\n") == Rows{{"two\nlines", "b"}});
  CHECK(ReadString("\"crlf\r\ninside\",b\r\n") == Rows{{"crlf\r\ninside", "b"}});
  CHECK(ReadString("\xEF\xBB\xBFid,x\n") == Rows{{"id", "x"}});  // byte order mark
  CHECK(ReadString("caf\xC3\xA9,\xE2\x80\x93\n") == Rows{{"caf\xC3\xA9", "\xE2\x80\x93"}});
  CHECK(ReadString("a\"b,c\rd\n") == Rows{{"a\"b", "c\rd"}});  // taken literally
  CHECK(ReadString("a\n\nb\n") == Rows{{"a"}, {""}, {"b"}});
  CHECK(ReadString("").empty());
  CHECK(ReadString("\"\"\"\"") == Rows{{"\""}});
}

TEST_CASE("csv: cells know their line and column") {
  CsvReader reader;
  reader.OpenString("id,name\nrt,\"multi\nline\",x\n\"q\",y\n");
  std::vector<CsvCell> row;
  REQUIRE(reader.NextRow(row));
  CHECK(row[1].line == 1);
  CHECK(row[1].column == 4);
  REQUIRE(reader.NextRow(row));
  REQUIRE(row.size() == 3);
  CHECK((row[0].line == 2 && row[0].column == 1));
  CHECK((row[1].line == 2 && row[1].column == 4 && row[1].quoted));
  CHECK((row[2].line == 3 && row[2].column == 7));
  REQUIRE(reader.NextRow(row));
  CHECK((row[0].line == 4 && row[0].column == 1));
  CHECK((row[1].line == 4 && row[1].column == 5));
  CHECK(!reader.NextRow(row));
  CHECK(!reader.error());
}

TEST_CASE("csv: syntax errors point at the problem") {
  CsvReader reader;
  reader.OpenString("a,b\nc,\"open\nstill open");
  std::vector<CsvCell> row;
  CHECK(reader.NextRow(row));
  CHECK(!reader.NextRow(row));
  REQUIRE(reader.error());
  CHECK(reader.error()->line == 2);
  CHECK(reader.error()->column == 3);
  CHECK(reader.error()->message == "unterminated quoted cell");

  CsvReader after;
  after.OpenString("\"ab\"c,d\n");
  CHECK(!after.NextRow(row));
  REQUIRE(after.error());
  CHECK(after.error()->column == 5);
  CHECK(after.error()->message == "unexpected `c` after the closing quote of a cell");
}

TEST_CASE("csv: rows across buffer refills") {
  // More than the reader's first 1 MiB buffer, with quoted cells, escapes and line
  // breaks falling on every offset of a block boundary, and one row longer than a block.
  TempPolicy tmp;
  std::string text;
  Rows expected;
  for (int i = 0; i < 40000; ++i) {
    std::string a = "row" + std::to_string(i);
    std::string b = "say \"" + std::to_string(i * 7) + "\"\r\nagain";
    text += a + ",\"say \"\"" + std::to_string(i * 7) + "\"\"\r\nagain\"" + (i % 2 ? "\r\n" : "\n");
    expected.push_back({a, b});
  }
  std::string huge(3 << 20, 'x');
  text += "long," + huge + "\n";
  expected.push_back({"long", huge});
  tmp.Write("big.csv", text);
  CsvReader reader;
  std::string error;
  REQUIRE(reader.Open(tmp.path("big.csv"), &error));
  CHECK(reader.input_size() == static_cast<int64_t>(text.size()));
  CHECK(ReadAll(reader) == expected);
  CHECK(!reader.error());

  bool not_found = false;
  CsvReader missing;
  CHECK(!missing.Open(tmp.path("nope.csv"), &error, &not_found));
  CHECK(not_found);
}

// Every cell with its position, and the error, as one string.
std::string Trace(CsvReader& reader) {
  std::string out;
  std::vector<CsvCell> row;
  while (reader.NextRow(row)) {
    for (const CsvCell& c : row) {
      out += std::to_string(c.line) + ":" + std::to_string(c.column) + (c.quoted ? "q" : "") + "[" +
             std::string(c.text) + "] ";
    }
    out += "\n";
  }
  if (reader.error()) {
    out += "error " + std::to_string(reader.error()->line) + ":" +
           std::to_string(reader.error()->column) + " " + reader.error()->message;
  }
  return out;
}

TEST_CASE("csv: any buffer size reads the same") {
  const std::vector<std::string> inputs = {
      "\xEF\xBB\xBFid,\"a \"\"b\"\"\",c\r\nx,\"multi\nline\r\n\",\"\"\n\n,,\nlast,\"q\"",
      "a\rb,c\r\n\"d\"\"\"\"\",e\r",
      "id\n\"one\",\"two\nthree\"x\n",
      "id\n\"unterminated, \"\" \n",
  };
  TempPolicy tmp;
  for (const std::string& input : inputs) {
    CsvReader whole;
    whole.OpenString(input);
    const std::string expected = Trace(whole);
    tmp.Write("in.csv", input);
    for (size_t size = 1; size <= input.size() + 1; ++size) {
      CsvReader reader(size);
      std::string error;
      REQUIRE(reader.Open(tmp.path("in.csv"), &error));
      CHECK_MESSAGE(Trace(reader) == expected, "buffer size " << size);
    }
  }
  CsvReader first;
  first.OpenString(inputs[0]);
  CHECK(Trace(first) ==
        "1:4[id] 1:7q[a \"b\"] 1:17[c] \n"
        "2:1[x] 2:3q[multi\nline\r\n] 4:3q[] \n"
        "5:1[] \n"
        "6:1[] 6:2[] 6:3[] \n"
        "7:1[last] 7:6q[q] \n");
  CsvReader third;
  third.OpenString(inputs[2]);
  CHECK(Trace(third) == "1:1[id] \nerror 3:7 unexpected `x` after the closing quote of a cell");
  CsvReader fourth;
  fourth.OpenString(inputs[3]);
  CHECK(Trace(fourth) == "1:1[id] \nerror 2:1 unterminated quoted cell");
}

// --- The shipped registry ---

TEST_CASE("registry: the shipped registry") {
  Diagnostics diags;
  auto reg = internal::LoadRegistry(STATEMARK_SOURCE_DIR "/rules", Vocab(), diags);
  REQUIRE(reg != nullptr);
  CHECK(RenderDiagnostics(diags) == "");
  const Registry& r = *reg;
  const Vocabulary& v = Vocab();
  CHECK(r.size() == 28);
  CHECK(r.column_count() == 10);
  CHECK(r.Column(v.attr_account_id) == -1);
  CHECK(r.Column(v.attr_viewer_country) == -1);
  CHECK(r.Column(v.attribute_index.at("viewer.locale")) == -1);
  CHECK(r.Column(-1) == -1);
  CHECK(r.Column(1000) == -1);
  CHECK(r.ColumnAttribute(Col(r, "account.affiliation")) ==
        v.attribute_index.at("account.affiliation"));

  const int rt_en = r.Find("rt_en");
  REQUIRE(rt_en >= 0);
  CHECK(r.Id(rt_en) == "rt_en");
  CHECK(r.Find("unknown_acct") == -1);
  CHECK(r.Find("") == -1);
  for (int a = 0; a < r.size(); ++a) CHECK(r.Find(r.Id(a)) == a);

  CHECK(r.Value(rt_en, Col(r, "account.affiliation")) ==
        ValueOf(v, "account.affiliation", "state_controlled_media"));
  CHECK(r.Value(rt_en, Col(r, "account.affiliated_state")) ==
        ValueOf(v, "account.affiliated_state", "RU"));
  CHECK(r.strings().Get(r.Value(rt_en, Col(r, "account.parent_entity"))) == "TV-Novosti");
  CHECK(r.Value(rt_en, Col(r, "account.label_appeal")) == Registry::kAbsent);
  CHECK(r.Value(rt_en, Col(r, "account.geopolitical_role")) == Registry::kAbsent);
  CHECK(r.Value(r.Find("fr_president"), Col(r, "account.geopolitical_role")) == 1);
  CHECK(r.Value(r.Find("jp_tourism"), Col(r, "account.geopolitical_role")) == 0);
  CHECK(r.Value(r.Find("mm_gov"), Col(r, "account.government_in_dispute")) == 1);
  CHECK(r.Value(r.Find("rur_tv_pending"), Col(r, "account.label_appeal")) ==
        ValueOf(v, "account.label_appeal", "pending"));
  CHECK(r.Value(r.Find("creator_gb"), Col(r, "account.affiliated_state")) == Registry::kAbsent);

  // A dated column.
  const int integrity = Col(r, "account.integrity_status");
  CHECK(r.IsDated(integrity));
  CHECK(!r.IsDated(Col(r, "account.affiliation")));
  const int persona = r.Find("persona_gb");
  CHECK(r.Value(persona, integrity) ==
        ValueOf(v, "account.integrity_status", "cio_network_removed"));
  CHECK(r.EffectiveAt(persona, integrity) == At("2024-02-15T00:00:00Z"));
  CHECK(r.EffectiveAt(rt_en, integrity) == kBeginningOfTime);
  CHECK(r.EffectiveAt(rt_en, Col(r, "account.affiliation")) == kBeginningOfTime);
  CHECK(r.strings().Get(r.Value(persona, Col(r, "account.network_id"))) == "IR-UK-2024-02");

  // Listings: by account id, and through the parent entity; sorted by list.
  auto rt = r.Listings(rt_en);
  REQUIRE(rt.size() == 2);
  CHECK(rt[0].list == 0);
  CHECK(rt[0].from == At("2022-03-01T23:00:00Z"));
  CHECK(rt[0].until == kEndOfTime);
  CHECK(r.strings().Get(rt[0].entity_name) == "RT – Russia Today English");
  CHECK(rt[1].list == 1);
  CHECK(rt[1].from == At("2022-04-28T23:00:00Z"));
  CHECK(r.strings().Get(rt[1].entity_name) == "TV-Novosti");
  auto ria = r.Listings(r.Find("ria"));
  REQUIRE(ria.size() == 2);
  CHECK(ria[0].from == At("2024-06-24T22:00:00Z"));
  CHECK(ria[1].list == 1);
  CHECK(r.Listings(r.Find("rt_editor")).empty());
  CHECK(r.Listings(r.Find("xinhua")).empty());
  CHECK(r.Listings(r.Find("hypo_listed")).size() == 1);

  // Outlet domains.
  CHECK(r.ResolveLink("https://www.rt.com/news/1") == rt_en);
  CHECK(r.ResolveLink("https://rt.com") == rt_en);
  CHECK(r.ResolveLink("https://francais.rt.com/x") == r.Find("rt_fr"));
  CHECK(r.ResolveLink("http://news.cn/a") == r.Find("xinhua"));
  CHECK(r.ResolveLink("https://english.news.cn/a") == r.Find("xinhua"));
  CHECK(r.ResolveLink("https://africa.cgtn.com/") == r.Find("cgtn_africa"));
  CHECK(r.ResolveLink("https://www.bbc.co.uk/news") == r.Find("bbc"));
  CHECK(r.ResolveLink("https://example.com") == -1);
  CHECK(r.ResolveLink("https://notrt.com") == -1);
  CHECK(r.ResolveLink("https://rt.com.evil.example/") == -1);
  CHECK(r.ResolveLink("https://cgtn.com/") == -1);
  CHECK(r.ResolveLink("") == -1);

  CHECK(r.MemoryBytes() > 0);
}

TEST_CASE("registry: link hosts") {
  Diagnostics diags;
  auto reg = internal::LoadRegistry(STATEMARK_SOURCE_DIR "/rules", Vocab(), diags);
  const Registry& r = *reg;
  const int rt_en = r.Find("rt_en");
  const int rt_fr = r.Find("rt_fr");
  CHECK(r.ResolveLink("rt.com/news") == rt_en);  // no scheme
  CHECK(r.ResolveLink("francais.rt.com:8080/x") == rt_fr);
  CHECK(r.ResolveLink("//francais.rt.com/x") == rt_fr);
  CHECK(r.ResolveLink("HTTPS://WWW.RT.COM/News") == rt_en);
  CHECK(r.ResolveLink("https://user:pw@francais.rt.com:8443/x?y=1#z") == rt_fr);
  CHECK(r.ResolveLink("https://francais.rt.com?q=https://www.npr.org/") == rt_fr);
  CHECK(r.ResolveLink("https://www.rt.com#frag") == rt_en);
  CHECK(r.ResolveLink("https://www.rt.com./") == rt_en);
  CHECK(r.ResolveLink("https://example.com/?u=https://rt.com/") == -1);
  CHECK(r.ResolveLink("https://example.com/rt.com") == -1);
  CHECK(r.ResolveLink("mailto:someone@rt.com") == -1);
  const std::string long_host = std::string(250, 'a') + ".rt.com";  // 257 characters
  CHECK(r.ResolveLink("https://" + long_host + "/") == -1);
  const std::string max_host = std::string(246, 'a') + ".rt.com";  // 253 characters
  CHECK(r.ResolveLink("https://" + max_host + "/") == rt_en);
}

TEST_CASE("registry: the most specific pattern wins; ties go to the first account") {
  TempPolicy tmp;
  tmp.Write("accounts.csv", "id\na\nb\nc\n");
  tmp.Write("domains.csv",
            "account,pattern\n"
            "c,.*\\.example\\.com\n"      // 12 literals
            "b,(www\\.)?example\\.com\n"  // 15
            "a,[^.]+\\.example\\.com\n"   // 12
            "c,shop\\.example\\.com\n");  // 16
  Diagnostics diags;
  auto reg = tmp.Load(diags);
  CHECK(RenderDiagnostics(diags) == "");
  const Registry& r = *reg;
  CHECK(r.ResolveLink("https://www.example.com") == r.Find("b"));
  CHECK(r.ResolveLink("https://example.com") == r.Find("b"));
  CHECK(r.ResolveLink("https://shop.example.com") == r.Find("c"));
  CHECK(r.ResolveLink("https://cdn.example.com") == r.Find("a"));  // tie: a before c
  CHECK(r.ResolveLink("https://a.b.example.com") == r.Find("c"));
}

TEST_CASE("registry: a missing directory or files give an empty registry") {
  TempPolicy tmp;
  Diagnostics diags;
  auto reg = tmp.Load(diags);
  CHECK(diags.empty());
  REQUIRE(reg != nullptr);
  CHECK(reg->size() == 0);
  CHECK(reg->column_count() == 10);
  CHECK(reg->Find("rt_en") == -1);
  CHECK(reg->ResolveLink("https://rt.com") == -1);

  tmp.Write("accounts.csv", kHeader + std::string("rt_en,state_controlled_media,RU,,,,,,,,,\n"));
  auto one = tmp.Load(diags);
  CHECK(diags.empty());
  CHECK(one->size() == 1);
  CHECK(one->Listings(0).empty());
}

TEST_CASE("registry: columns in any order, some missing; informational columns ignored") {
  TempPolicy tmp;
  tmp.Write("accounts.csv",
            "note,home_country,id,description,integrity_status_effective_at\n"
            "x,FR,b,\"B, the second\",2024-06-25 Europe/Brussels\n"
            ",,a,,\n");
  Diagnostics diags;
  auto reg = tmp.Load(diags);
  CHECK(RenderDiagnostics(diags) == "");
  const Registry& r = *reg;
  REQUIRE(r.size() == 2);
  CHECK(r.Id(0) == "b");
  CHECK(r.Value(0, Col(r, "account.home_country")) ==
        ValueOf(Vocab(), "account.home_country", "FR"));
  CHECK(r.Value(0, Col(r, "account.affiliation")) == Registry::kAbsent);
  CHECK(r.EffectiveAt(0, Col(r, "account.integrity_status")) == At("2024-06-24T22:00:00Z"));
  CHECK(r.Value(1, Col(r, "account.home_country")) == Registry::kAbsent);
  CHECK(r.EffectiveAt(1, Col(r, "account.integrity_status")) == kBeginningOfTime);
}

TEST_CASE("registry: moving keeps lookups valid") {
  Diagnostics diags;
  auto reg = internal::LoadRegistry(STATEMARK_SOURCE_DIR "/rules", Vocab(), diags);
  Registry moved(std::move(*reg));
  CHECK(moved.Find("xinhua") >= 0);
  CHECK(moved.Id(moved.Find("xinhua")) == "xinhua");
  CHECK(moved.ResolveLink("https://npr.org") == moved.Find("npr"));
  CHECK(moved.strings().Find("TV-Novosti") != StringTable::kNotFound);
  Registry assigned;
  assigned = std::move(moved);
  CHECK(assigned.Find("bbc") >= 0);
  CHECK(assigned.Listings(assigned.Find("rt_fr")).size() == 2);
}

TEST_CASE("string table") {
  StringTable t;
  const uint32_t a = t.Intern("short");
  const uint32_t b = t.Intern("a string longer than the small-string buffer");
  for (int i = 0; i < 10000; ++i) t.Intern("s" + std::to_string(i));
  CHECK(t.Intern("short") == a);
  CHECK(t.Find("short") == a);
  CHECK(t.Find("a string longer than the small-string buffer") == b);
  CHECK(t.Get(a) == "short");
  CHECK(t.Get(t.Find("s9999")) == "s9999");
  CHECK(t.Find("nope") == StringTable::kNotFound);
  CHECK(t.size() == 10002);
}

// --- Diagnostics, with their exact text ---

TEST_CASE("accounts.csv diagnostics") {
  TempPolicy tmp;

  SUBCASE("unknown and duplicate columns") {
    tmp.Write("accounts.csv", "id,afiliation,home_country,home_country,colour\nrt_en,,,,\n");
    CHECK(tmp.Errors() ==
          "<dir>/registry/accounts.csv:1:4: error[unknown-column]: unknown column `afiliation`; "
          "did you mean `affiliation`?\n"
          "  id,afiliation,home_country,home_country,colour\n"
          "     ^\n"
          "<dir>/registry/accounts.csv:1:28: error[duplicate-column]: duplicate column "
          "`home_country`\n"
          "  id,afiliation,home_country,home_country,colour\n"
          "                             ^\n"
          "<dir>/registry/accounts.csv:1:41: error[unknown-column]: unknown column `colour`\n"
          "  id,afiliation,home_country,home_country,colour\n"
          "                                          ^\n");
  }
  SUBCASE("a dated column's date") {
    tmp.Write("accounts.csv", "id,integrity_status_efective_at\n");
    CHECK(tmp.Errors() ==
          "<dir>/registry/accounts.csv:1:4: error[unknown-column]: unknown column "
          "`integrity_status_efective_at`; did you mean `integrity_status_effective_at`?\n"
          "  id,integrity_status_efective_at\n"
          "     ^\n");
  }
  SUBCASE("missing id column") {
    tmp.Write("accounts.csv", "affiliation\nnone\n");
    CHECK(tmp.Errors() ==
          "<dir>/registry/accounts.csv:1:1: error[missing-column]: missing column `id`\n"
          "  affiliation\n"
          "  ^\n");
  }
  SUBCASE("unknown enum value") {
    tmp.Write("accounts.csv", "id,affiliation\nrt_en,state_controled_media\n");
    CHECK(tmp.Errors() ==
          "<dir>/registry/accounts.csv:2:7: error[unknown-value]: unknown affiliation "
          "`state_controled_media`; did you mean `state_controlled_media`?\n"
          "  rt_en,state_controled_media\n"
          "        ^\n");
  }
  SUBCASE("unknown country") {
    tmp.Write("accounts.csv", "id,affiliated_state,home_country\nrt_en,XX,ru\n");
    CHECK(tmp.Errors() ==
          "<dir>/registry/accounts.csv:2:7: error[bad-country]: unknown country code `XX` in "
          "column `affiliated_state`\n"
          "  rt_en,XX,ru\n"
          "        ^\n"
          "<dir>/registry/accounts.csv:2:10: error[bad-country]: unknown country code `ru` in "
          "column `home_country`; did you mean `RU`?\n"
          "  rt_en,XX,ru\n"
          "           ^\n");
  }
  SUBCASE("bad boolean") {
    tmp.Write("accounts.csv", "id,geopolitical_role\nfr_president,yes\n");
    CHECK(tmp.Errors() ==
          "<dir>/registry/accounts.csv:2:14: error[bad-bool]: bad boolean `yes` in column "
          "`geopolitical_role`; write `true` or `false`\n"
          "  fr_president,yes\n"
          "               ^\n");
  }
  SUBCASE("bad effective date") {
    tmp.Write("accounts.csv",
              "id,integrity_status,integrity_status_effective_at\np,under_review,2024-02-30\n");
    CHECK(tmp.Errors() ==
          "<dir>/registry/accounts.csv:2:16: error[bad-time]: bad time `2024-02-30` in column "
          "`integrity_status_effective_at`: no such date\n"
          "  p,under_review,2024-02-30\n"
          "                 ^\n");
  }
  SUBCASE("rows of the wrong width, missing and duplicate ids") {
    tmp.Write("accounts.csv",
              "id,affiliation,home_country\n"
              "a,none,FR\n"
              "b,none,FR,extra,cells\n"
              "c\n"
              "\n"
              ",none,FR\n"
              "\"a\",none,GB\n");
    CHECK(tmp.Errors() ==
          "<dir>/registry/accounts.csv:3:1: error[bad-row]: row has 5 cells; the header has 3\n"
          "  b,none,FR,extra,cells\n"
          "  ^\n"
          "<dir>/registry/accounts.csv:4:1: error[bad-row]: row has 1 cell; the header has 3\n"
          "  c\n"
          "  ^\n"
          "<dir>/registry/accounts.csv:6:1: error[missing-id]: missing account id\n"
          "  ,none,FR\n"
          "  ^\n"
          "<dir>/registry/accounts.csv:7:1: error[duplicate-account]: duplicate account `a`; first "
          "defined on line 2\n"
          "  \"a\",none,GB\n"
          "  ^\n");
    Diagnostics diags;
    auto reg = tmp.Load(diags);
    CHECK(reg->Find("a") == 0);  // the first definition
    CHECK(reg->Find("b") == -1);
  }
  SUBCASE("a column of a type the registry cannot hold") {
    Vocabulary v = TestVocabulary();
    int topics = AddDomain(v, "topics", {"food", "sports"});
    AddAttribute(v, "account.topics", AttrType::kEnumSet, AttrScope::kAccount, topics);
    tmp.Write("accounts.csv", "id,topics\na,food\n");
    CHECK(tmp.Errors(v) ==
          "<dir>/registry/accounts.csv:1:4: error[unsupported-column]: column `topics` has type "
          "`enum_set`, which the registry cannot hold\n"
          "  id,topics\n"
          "     ^\n");
    Diagnostics diags;
    auto reg = tmp.Load(diags, v);
    CHECK(reg->column_count() == 11);
    CHECK(reg->Value(0, reg->Column(v.attribute_index.at("account.topics"))) == Registry::kAbsent);
  }
  SUBCASE("unterminated quote") {
    tmp.Write("accounts.csv", "id,parent_entity\na,\"TV-Novosti\nb,x\n");
    CHECK(tmp.Errors() ==
          "<dir>/registry/accounts.csv:2:3: error[bad-csv]: unterminated quoted cell\n"
          "  a,\"TV-Novosti\n"
          "    ^\n");
  }
  SUBCASE("an unreadable file") {
    // A directory where the file should be.
    std::filesystem::create_directories(tmp.path("accounts.csv"));
    CHECK(tmp.Errors() ==
          "<dir>/registry/accounts.csv: error[io-error]: cannot read the file: is a directory\n");
  }
  SUBCASE("errors stop after 100 per file") {
    std::string text = "id,geopolitical_role\n";
    for (int i = 0; i < 150; ++i) text += "a" + std::to_string(i) + ",maybe\n";
    tmp.Write("accounts.csv", text);
    Diagnostics diags;
    auto reg = tmp.Load(diags);
    CHECK(reg->size() == 150);
    REQUIRE(diags.items().size() == 101);
    CHECK(diags.items().back().code == "too-many-errors");
    CHECK(diags.items().back().location.line == 102);
    CHECK(diags.items().back().message ==
          "more than 100 errors in this file; the rest are not reported");
  }
}

TEST_CASE("listings.csv diagnostics") {
  TempPolicy tmp;
  tmp.Write("accounts.csv",
            "id,parent_entity\nrt_en,TV-Novosti\nrt_fr,TV-Novosti\nria,Rossiya Segodnya\n");
  const std::string header = "list,account,parent_entity,entity_name,from,until\n";

  SUBCASE("a good file") {
    tmp.Write("listings.csv",
              header +
                  "uk_internet_sanctions_list,,TV-Novosti,TV-Novosti,2022-04-29 Europe/London,\n"
                  "eu_833_annex_xv,rt_en,,RT,2023-01-01T00:00:00Z,2024-01-01T00:00:00Z\n"
                  "eu_833_annex_xv,rt_en,,,2022-03-02 Europe/Brussels,2022-06-01T00:00:00Z\n");
    Diagnostics diags;
    auto reg = tmp.Load(diags);
    CHECK(RenderDiagnostics(diags) == "");
    auto l = reg->Listings(reg->Find("rt_en"));
    REQUIRE(l.size() == 3);
    CHECK((l[0].list == 0 && l[0].from == At("2022-03-01T23:00:00Z")));
    CHECK(l[0].until == At("2022-06-01T00:00:00Z"));
    CHECK(l[0].entity_name == StringTable::kNotFound);
    CHECK((l[1].list == 0 && l[1].from == At("2023-01-01T00:00:00Z")));
    CHECK(l[2].list == 1);
    CHECK(reg->Listings(reg->Find("rt_fr")).size() == 1);
    CHECK(reg->Listings(reg->Find("ria")).empty());
  }
  SUBCASE("unknown list and account") {
    tmp.Write("listings.csv", header +
                                  "eu_833_anex_xv,rt_eng,,RT,2022-03-02 Europe/Brussels,\n"
                                  "eu_833,rt_en,,RT,2022-03-02 Europe/Brussels,\n");
    CHECK(tmp.Errors() ==
          "<dir>/registry/listings.csv:2:1: error[unknown-list]: unknown sanctions list "
          "`eu_833_anex_xv`; did you mean `eu_833_annex_xv`?\n"
          "  eu_833_anex_xv,rt_eng,,RT,2022-03-02 Europe/Brussels,\n"
          "  ^\n"
          "<dir>/registry/listings.csv:2:16: error[unknown-account]: unknown account `rt_eng`; did "
          "you mean `rt_en`?\n"
          "  eu_833_anex_xv,rt_eng,,RT,2022-03-02 Europe/Brussels,\n"
          "                 ^\n"
          "<dir>/registry/listings.csv:3:1: error[unknown-list]: unknown sanctions list `eu_833`\n"
          "  eu_833,rt_en,,RT,2022-03-02 Europe/Brussels,\n"
          "  ^\n");
  }
  SUBCASE("account xor parent entity") {
    tmp.Write("listings.csv",
              header +
                  "eu_833_annex_xv,rt_en,TV-Novosti,RT,2022-03-02 Europe/Brussels,\n"
                  "eu_833_annex_xv,,,RT,2022-03-02 Europe/Brussels,\n");
    CHECK(tmp.Errors() ==
          "<dir>/registry/listings.csv:2:17: error[bad-listing]: a listing names an `account` or a "
          "`parent_entity`, not both\n"
          "  eu_833_annex_xv,rt_en,TV-Novosti,RT,2022-03-02 Europe/Brussels,\n"
          "                  ^\n"
          "<dir>/registry/listings.csv:3:17: error[bad-listing]: a listing names an `account` or a "
          "`parent_entity`; this one names neither\n"
          "  eu_833_annex_xv,,,RT,2022-03-02 Europe/Brussels,\n"
          "                  ^\n");
  }
  SUBCASE("bad times and empty windows") {
    tmp.Write("listings.csv", header +
                                  "eu_833_annex_xv,rt_en,,RT,2022-03-02 Europe/Brusels,\n"
                                  "eu_833_annex_xv,rt_en,,RT,,\n"
                                  "eu_833_annex_xv,rt_en,,RT,2022-03-02T00:00:00Z,2022-03-02\n"
                                  "eu_833_annex_xv,rt_en,,RT,2022-03-02T00:00:00Z,"
                                  "2022-03-02T01:00:00+01:00\n");
    CHECK(tmp.Errors() ==
          "<dir>/registry/listings.csv:2:27: error[bad-time]: bad time `2022-03-02 Europe/Brusels` "
          "in column `from`: unknown time zone `Europe/Brusels`\n"
          "  eu_833_annex_xv,rt_en,,RT,2022-03-02 Europe/Brusels,\n"
          "                            ^\n"
          "<dir>/registry/listings.csv:3:27: error[bad-time]: a listing needs a `from` time\n"
          "  eu_833_annex_xv,rt_en,,RT,,\n"
          "                            ^\n"
          "<dir>/registry/listings.csv:4:48: error[bad-time]: bad time `2022-03-02` in column "
          "`until`: expected a time after the date, as THH:MM:SS\n"
          "  eu_833_annex_xv,rt_en,,RT,2022-03-02T00:00:00Z,2022-03-02\n"
          "                                                 ^\n"
          "<dir>/registry/listings.csv:5:48: error[empty-window]: empty listing window: `until` "
          "2022-03-02T00:00:00Z is not after `from` 2022-03-02T00:00:00Z\n"
          "  eu_833_annex_xv,rt_en,,RT,2022-03-02T00:00:00Z,2022-03-02T01:00:00+01:00\n"
          "                                                 ^\n");
  }
  SUBCASE("a parent entity no account has") {
    tmp.Write("listings.csv",
              header + "uk_internet_sanctions_list,,TV-Novost,TV-Novosti,2022-04-29T00:00:00Z,\n");
    CHECK(tmp.Errors() ==
          "<dir>/registry/listings.csv:2:29: warning[unused-listing]: no account has parent entity "
          "`TV-Novost`; did you mean `TV-Novosti`?\n"
          "  uk_internet_sanctions_list,,TV-Novost,TV-Novosti,2022-04-29T00:00:00Z,\n"
          "                              ^\n");
  }
  SUBCASE("missing columns") {
    tmp.Write("listings.csv", "list,entity_name\n");
    CHECK(tmp.Errors() ==
          "<dir>/registry/listings.csv:1:1: error[missing-column]: missing column `account` or "
          "`parent_entity`\n"
          "  list,entity_name\n"
          "  ^\n"
          "<dir>/registry/listings.csv:1:1: error[missing-column]: missing column `from`\n"
          "  list,entity_name\n"
          "  ^\n");
  }
}

TEST_CASE("domains.csv diagnostics") {
  TempPolicy tmp;
  tmp.Write("accounts.csv", "id\nrt_en\nrt_fr\n");
  tmp.Write("domains.csv",
            "account,pattern\n"
            "rt_en,(rt\\.com\n"
            "rt_fn,francais\\.rt\\.com\n"
            "rt_fr,\n"
            "rt_en,(.+\\.)?rt\\.com\n");
  CHECK(tmp.Errors() ==
        "<dir>/registry/domains.csv:2:7: error[bad-regex]: invalid domain pattern `(rt\\.com`: "
        "missing ): (rt\\.com\n"
        "  rt_en,(rt\\.com\n"
        "        ^\n"
        "<dir>/registry/domains.csv:3:1: error[unknown-account]: unknown account `rt_fn`; did you "
        "mean `rt_en`?\n"
        "  rt_fn,francais\\.rt\\.com\n"
        "  ^\n"
        "<dir>/registry/domains.csv:4:7: error[bad-regex]: empty domain pattern\n"
        "  rt_fr,\n"
        "        ^\n");
  Diagnostics diags;
  auto reg = tmp.Load(diags);
  CHECK(reg->ResolveLink("https://francais.rt.com") == reg->Find("rt_en"));
}

TEST_CASE("domains.csv and listings.csv headers") {
  TempPolicy tmp;
  tmp.Write("accounts.csv", "id\nrt_en\n");
  tmp.Write("domains.csv", "acount,patern\nrt_en,rt\\.com\n");
  tmp.Write("listings.csv",
            "list,account,from,untill\neu_833_annex_xv,rt_en,2022-03-02T00:00:00Z\n");
  CHECK(tmp.Errors() ==
        "<dir>/registry/domains.csv:1:1: error[missing-column]: missing column `account`\n"
        "  acount,patern\n"
        "  ^\n"
        "<dir>/registry/domains.csv:1:1: error[missing-column]: missing column `pattern`\n"
        "  acount,patern\n"
        "  ^\n"
        "<dir>/registry/domains.csv:1:1: error[unknown-column]: unknown column `acount`; did you "
        "mean `account`?\n"
        "  acount,patern\n"
        "  ^\n"
        "<dir>/registry/domains.csv:1:8: error[unknown-column]: unknown column `patern`; did you "
        "mean `pattern`?\n"
        "  acount,patern\n"
        "         ^\n"
        "<dir>/registry/listings.csv:1:19: error[unknown-column]: unknown column `untill`; did you "
        "mean `until`?\n"
        "  list,account,from,untill\n"
        "                    ^\n"
        "<dir>/registry/listings.csv:2:1: error[bad-row]: row has 3 cells; the header has 4\n"
        "  eu_833_annex_xv,rt_en,2022-03-02T00:00:00Z\n"
        "  ^\n");
}

TEST_CASE("no id suggestions beyond 10,000 accounts") {
  TempPolicy tmp;
  std::string accounts = "id\n";
  for (int i = 0; i <= 10000; ++i) accounts += "acct_" + std::to_string(i) + "\n";
  tmp.Write("accounts.csv", accounts);
  tmp.Write("domains.csv", "account,pattern\nacct_1x,x\\.com\n");
  CHECK(tmp.Errors() ==
        "<dir>/registry/domains.csv:2:1: error[unknown-account]: unknown account `acct_1x`\n"
        "  acct_1x,x\\.com\n"
        "  ^\n");
}

}  // namespace
}  // namespace statemark
