#include "engine/internal/registry_loader.h"

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "engine/instant.h"
#include "engine/internal/csv_reader.h"
#include "engine/internal/spelling.h"

namespace statemark {
namespace {

using internal::CsvCell;
using internal::CsvReader;

constexpr int kMaxErrorsPerFile = 100;
// Suggesting an account id compares against every id; beyond this many, skip it.
constexpr size_t kMaxIdSuggestionCandidates = 10000;

std::string Tick(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '`';
  out += s;
  out += '`';
  return out;
}

// Adds one file's diagnostics to `diags`, reporting at most kMaxErrorsPerFile errors.
class FileReporter {
 public:
  FileReporter(std::string path, Diagnostics& diags) : path_(std::move(path)), diags_(diags) {}

  const std::string& path() const { return path_; }

  void Error(int line, int column, const char* code, std::string message) {
    if (errors_ > kMaxErrorsPerFile) return;
    if (++errors_ > kMaxErrorsPerFile) {
      diags_.Error({path_, line, column}, "too-many-errors",
                   "more than " + std::to_string(kMaxErrorsPerFile) +
                       " errors in this file; the rest are not reported");
      return;
    }
    diags_.Error({path_, line, column}, code, std::move(message));
  }
  void Error(const CsvCell& at, const char* code, std::string message) {
    Error(at.line, at.column, code, std::move(message));
  }
  void Warning(const CsvCell& at, const char* code, std::string message) {
    diags_.Warning({path_, at.line, at.column}, code, std::move(message));
  }

 private:
  std::string path_;
  Diagnostics& diags_;
  int errors_ = 0;
};

// Opens a registry file. A file that does not exist is not an error: it is simply not
// there. Returns false when there is nothing to read.
bool OpenCsv(CsvReader& reader, FileReporter& report) {
  std::string error;
  bool not_found = false;
  if (reader.Open(report.path(), &error, &not_found)) return true;
  if (!not_found) report.Error(0, 0, "io-error", "cannot read the file: " + error);
  return false;
}

// Reports a syntax or read error that stopped the reader, if any.
void ReportCsvError(const CsvReader& reader, FileReporter& report) {
  if (const auto& e = reader.error()) report.Error(e->line, e->column, "bad-csv", e->message);
}

// Maps each header cell to its index in `names`, or -1 (unknown, duplicate or empty,
// each reported). `found[i]` tells whether names[i] appears.
std::vector<int> MapHeader(const std::vector<CsvCell>& header,
                           const std::vector<std::string>& names, FileReporter& report,
                           std::vector<bool>& found) {
  std::vector<int> map(header.size(), -1);
  found.assign(names.size(), false);
  for (size_t i = 0; i < header.size(); ++i) {
    const CsvCell& cell = header[i];
    if (cell.text.empty()) {
      report.Error(cell, "unknown-column", "empty column name");
      continue;
    }
    auto it = std::find(names.begin(), names.end(), cell.text);
    if (it == names.end()) {
      report.Error(cell, "unknown-column",
                   "unknown column " + Tick(cell.text) + internal::DidYouMean(cell.text, names));
      continue;
    }
    const auto n = static_cast<size_t>(it - names.begin());
    if (found[n]) {
      report.Error(cell, "duplicate-column", "duplicate column " + Tick(cell.text));
      continue;
    }
    found[n] = true;
    map[i] = static_cast<int>(n);
  }
  return map;
}

bool IsBlankRow(const std::vector<CsvCell>& row) {
  return row.size() == 1 && row[0].text.empty() && !row[0].quoted;
}

// Checks that a row has as many cells as the header.
bool CheckWidth(const std::vector<CsvCell>& row, size_t width, FileReporter& report) {
  if (row.size() == width) return true;
  report.Error(row[0].line, 1, "bad-row",
               "row has " + std::to_string(row.size()) + (row.size() == 1 ? " cell" : " cells") +
                   "; the header has " + std::to_string(width));
  return false;
}

// Finds a value of a domain by its text without allocating: a direct table for
// two-letter codes (the countries), a hash map for other large domains, and a linear
// scan for small ones.
class ValueIndex {
 public:
  void Build(const std::vector<std::string>& values) {
    values_.assign(values.begin(), values.end());
    if (values.size() <= 16) return;
    bool all_pairs = std::all_of(values.begin(), values.end(),
                                 [](const std::string& v) { return v.size() == 2; });
    if (all_pairs) {
      pairs_.assign(size_t{1} << 16, -1);
      for (size_t i = 0; i < values.size(); ++i) pairs_[PairKey(values[i])] = static_cast<int>(i);
    } else {
      for (size_t i = 0; i < values.size(); ++i) map_.emplace(values_[i], static_cast<int>(i));
    }
  }

  int Find(std::string_view v) const {
    if (!pairs_.empty()) return v.size() == 2 ? pairs_[PairKey(v)] : -1;
    if (!map_.empty()) {
      auto it = map_.find(v);
      return it == map_.end() ? -1 : it->second;
    }
    for (size_t i = 0; i < values_.size(); ++i) {
      if (values_[i] == v) return static_cast<int>(i);
    }
    return -1;
  }

 private:
  static size_t PairKey(std::string_view v) {
    return size_t{static_cast<unsigned char>(v[0])} << 8 | static_cast<unsigned char>(v[1]);
  }

  std::vector<std::string_view> values_;  // views of the vocabulary's strings
  std::vector<int> pairs_;
  std::unordered_map<std::string_view, int> map_;
};

// How the loader reads one registry column.
struct ColumnSpec {
  std::string name;  // the CSV header: the attribute name without `account.`
  const Attribute* attr = nullptr;
  const Domain* domain = nullptr;  // enums and countries
  ValueIndex index;
  bool supported = false;  // a type the registry can hold
};

// What an accounts.csv cell is.
enum class Role : uint8_t { kIgnore, kId, kValue, kEffectiveAt };

struct HeaderRole {
  Role role = Role::kIgnore;
  int column = -1;  // registry column, for kValue and kEffectiveAt
};

}  // namespace

// Builds a Registry from the CSV files; a friend of Registry.
class RegistryBuilder {
 public:
  RegistryBuilder(const std::string& policy_dir, const Vocabulary& vocab, Diagnostics& diags)
      : dir_(policy_dir + "/registry/"), vocab_(vocab), diags_(diags) {}

  std::shared_ptr<Registry> Build() {
    SetUpColumns();
    LoadAccounts();
    LoadListings();
    LoadDomains();
    // Every account has a listing range, even when listings.csv is missing.
    if (r_.listing_begin_.size() != static_cast<size_t>(r_.size()) + 1) {
      r_.listing_begin_.assign(static_cast<size_t>(r_.size()) + 1, 0);
    }
    return std::make_shared<Registry>(std::move(r_));
  }

 private:
  void SetUpColumns();
  void LoadAccounts();
  void ReserveForRows(size_t rows, size_t id_bytes);
  void ParseValue(const ColumnSpec& spec, const CsvCell& cell, uint32_t& out, FileReporter& report);
  void IndexIds(FileReporter& report);
  void LoadListings();
  void ExpandListings(std::vector<std::pair<uint32_t, Listing>>& listings);
  void LoadDomains();
  int FindAccount(const CsvCell& cell, FileReporter& report);
  template <typename T>
  static void ShrinkIfLoose(std::vector<T>& v);

  const std::string dir_;
  const Vocabulary& vocab_;
  Diagnostics& diags_;
  Registry r_;
  std::vector<ColumnSpec> columns_;
  int parent_column_ = -1;  // the column of account.parent_entity, if a string column
  // Where each account's id cell is, for duplicate-account; freed once ids are indexed.
  std::vector<int> id_line_, id_column_;
  std::vector<std::string> id_candidates_;  // for suggestions, built on first use
  bool id_candidates_built_ = false;
};

void RegistryBuilder::SetUpColumns() {
  Registry& r = r_;
  r.attr_column_.assign(vocab_.attributes.size(), -1);
  for (size_t i = 0; i < vocab_.attributes.size(); ++i) {
    const Attribute& a = vocab_.attributes[i];
    if (a.scope != AttrScope::kAccount || a.builtin) continue;
    const int c = static_cast<int>(r.column_attr_.size());
    r.column_attr_.push_back(static_cast<int>(i));
    r.attr_column_[i] = c;
    r.dated_slot_.push_back(a.dated ? r.dated_count_++ : -1);

    ColumnSpec spec;
    constexpr std::string_view kPrefix = "account.";
    spec.name = a.name.starts_with(kPrefix) ? a.name.substr(kPrefix.size()) : a.name;
    spec.attr = &a;
    switch (a.type) {
      case AttrType::kEnum:
      case AttrType::kCountry: {
        const int d = a.type == AttrType::kCountry ? kCountryDomain : a.domain;
        if (d >= 0 && static_cast<size_t>(d) < vocab_.domains.size()) {
          spec.domain = &vocab_.domains[static_cast<size_t>(d)];
          spec.index.Build(spec.domain->values);
          spec.supported = true;
        }
        break;
      }
      case AttrType::kBool:
      case AttrType::kString:
        spec.supported = true;
        break;
      default:
        break;
    }
    if (a.name == "account.parent_entity" && a.type == AttrType::kString) parent_column_ = c;
    columns_.push_back(std::move(spec));
  }
}

template <typename T>
void RegistryBuilder::ShrinkIfLoose(std::vector<T>& v) {
  if (v.capacity() > v.size() + v.size() / 8 + 16) v.shrink_to_fit();
}

void RegistryBuilder::ReserveForRows(size_t rows, size_t id_bytes) {
  Registry& r = r_;
  r.offsets_.reserve(rows);
  r.id_bytes_.reserve(id_bytes);
  r.values_.reserve(rows * r.column_attr_.size());
  r.dated_at_.reserve(rows * static_cast<size_t>(r.dated_count_));
  id_line_.reserve(rows);
  id_column_.reserve(rows);
}

void RegistryBuilder::LoadAccounts() {
  Registry& r = r_;
  FileReporter report(dir_ + "accounts.csv", diags_);
  CsvReader reader;
  if (!OpenCsv(reader, report)) return;
  std::vector<CsvCell> row;
  if (!reader.NextRow(row)) {  // an empty file holds no accounts
    ReportCsvError(reader, report);
    return;
  }

  // The header. Names: id, description, note, then the columns, then the dates.
  std::vector<std::string> names = {"id", "description", "note"};
  constexpr size_t kFirstColumnName = 3;
  for (const ColumnSpec& spec : columns_) names.push_back(spec.name);
  std::vector<int> dated_columns;
  for (size_t c = 0; c < columns_.size(); ++c) {
    if (r.dated_slot_[c] < 0) continue;
    names.push_back(columns_[c].name + "_effective_at");
    dated_columns.push_back(static_cast<int>(c));
  }
  std::vector<bool> found;
  const std::vector<int> header_map = MapHeader(row, names, report, found);
  std::vector<HeaderRole> roles(row.size());
  size_t id_pos = 0;
  for (size_t i = 0; i < row.size(); ++i) {
    const int n = header_map[i];
    if (n < 0) continue;
    const auto un = static_cast<size_t>(n);
    if (un == 0) {
      roles[i].role = Role::kId;
      id_pos = i;
    } else if (un < kFirstColumnName) {
      roles[i].role = Role::kIgnore;
    } else if (un < kFirstColumnName + columns_.size()) {
      const size_t c = un - kFirstColumnName;
      if (!columns_[c].supported) {
        report.Error(row[i], "unsupported-column",
                     "column " + Tick(columns_[c].name) + " has type `" +
                         AttrTypeName(columns_[c].attr->type) +
                         "`, which the registry cannot hold");
        continue;
      }
      roles[i] = {Role::kValue, static_cast<int>(c)};
    } else {
      roles[i] = {Role::kEffectiveAt, dated_columns[un - kFirstColumnName - columns_.size()]};
    }
  }
  if (!found[0]) {
    report.Error(row[0].line, 1, "missing-column", "missing column `id`");
    return;
  }
  // Only the cells that hold values, so the row loop skips the rest.
  std::vector<std::pair<size_t, HeaderRole>> active;
  for (size_t i = 0; i < roles.size(); ++i) {
    if (roles[i].role == Role::kValue || roles[i].role == Role::kEffectiveAt) {
      active.emplace_back(i, roles[i]);
    }
  }

  const size_t width = row.size();
  const size_t ncols = r.column_attr_.size();
  const auto ndated = static_cast<size_t>(r.dated_count_);
  const int64_t header_end = reader.offset();
  constexpr size_t kSampleRows = 1024;
  size_t rows = 0;
  size_t sample_id_bytes = 0;
  while (reader.NextRow(row)) {
    if (IsBlankRow(row)) continue;
    if (++rows == kSampleRows && reader.input_size() > 0) {
      // Reserve once for the whole file, from the size of the rows so far.
      const double row_bytes = static_cast<double>(reader.offset() - header_end) / kSampleRows;
      const double expected =
          static_cast<double>(reader.input_size() - header_end) / row_bytes * 1.02 + 64;
      const double id_len = static_cast<double>(sample_id_bytes) / kSampleRows;
      ReserveForRows(static_cast<size_t>(expected), static_cast<size_t>(expected * id_len * 1.02));
    }
    if (!CheckWidth(row, width, report)) continue;
    const CsvCell& id = row[id_pos];
    if (id.text.empty()) {
      report.Error(id, "missing-id", "missing account id");
      continue;
    }
    sample_id_bytes += id.text.size();
    const size_t a = r.offsets_.size();
    r.offsets_.push_back(static_cast<uint32_t>(r.id_bytes_.size()));
    r.id_bytes_.insert(r.id_bytes_.end(), id.text.begin(), id.text.end());
    id_line_.push_back(id.line);
    id_column_.push_back(id.column);
    r.values_.resize(r.values_.size() + ncols, Registry::kAbsent);
    r.dated_at_.resize(r.dated_at_.size() + ndated, kBeginningOfTime.micros);
    uint32_t* values = r.values_.data() + a * ncols;
    for (const auto& [pos, role] : active) {
      const CsvCell& cell = row[pos];
      if (cell.text.empty()) continue;
      const auto c = static_cast<size_t>(role.column);
      if (role.role == Role::kValue) {
        ParseValue(columns_[c], cell, values[c], report);
        continue;
      }
      InstantOrError t = ParsePolicyInstant(cell.text);
      if (const auto* err = std::get_if<std::string>(&t)) {
        report.Error(cell, "bad-time",
                     "bad time " + Tick(cell.text) + " in column " +
                         Tick(columns_[c].name + "_effective_at") + ": " + *err);
        continue;
      }
      r.dated_at_[a * ndated + static_cast<size_t>(r.dated_slot_[c])] = std::get<Instant>(t).micros;
    }
  }
  ReportCsvError(reader, report);
  if (r.id_bytes_.size() > UINT32_MAX) {
    report.Error(0, 0, "io-error", "account ids take more than 4 GiB");
  }
  ShrinkIfLoose(r.offsets_);
  ShrinkIfLoose(r.id_bytes_);
  ShrinkIfLoose(r.values_);
  ShrinkIfLoose(r.dated_at_);
  IndexIds(report);
}

void RegistryBuilder::ParseValue(const ColumnSpec& spec, const CsvCell& cell, uint32_t& out,
                                 FileReporter& report) {
  switch (spec.attr->type) {
    case AttrType::kEnum: {
      const int v = spec.index.Find(cell.text);
      if (v >= 0) {
        out = static_cast<uint32_t>(v);
      } else {
        report.Error(cell, "unknown-value",
                     "unknown " + spec.name + " " + Tick(cell.text) +
                         internal::DidYouMean(cell.text, spec.domain->values));
      }
      return;
    }
    case AttrType::kCountry: {
      const int v = spec.index.Find(cell.text);
      if (v >= 0) {
        out = static_cast<uint32_t>(v);
        return;
      }
      // Codes are too short for edit distances to mean much; suggest only a case fix.
      std::string upper(cell.text);
      for (char& ch : upper) {
        if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
      }
      const bool case_fix = upper != cell.text && spec.index.Find(upper) >= 0;
      report.Error(cell, "bad-country",
                   "unknown country code " + Tick(cell.text) + " in column " + Tick(spec.name) +
                       (case_fix ? "; did you mean " + Tick(upper) + "?" : ""));
      return;
    }
    case AttrType::kBool:
      if (cell.text == "true") {
        out = 1;
      } else if (cell.text == "false") {
        out = 0;
      } else {
        report.Error(cell, "bad-bool",
                     "bad boolean " + Tick(cell.text) + " in column " + Tick(spec.name) +
                         "; write `true` or `false`");
      }
      return;
    case AttrType::kString:
      out = r_.strings_.Intern(cell.text);
      return;
    default:
      return;  // unsupported columns are not read
  }
}

// Builds the id index. It is built only now, when all ids are read; a duplicate id is
// reported at its row, and the first row keeps the id.
void RegistryBuilder::IndexIds(FileReporter& report) {
  Registry& r = r_;
  r.by_id_.Build(
      static_cast<uint32_t>(r.size()), [&r](uint32_t a) { return r.Id(static_cast<int>(a)); },
      [&](uint32_t a, uint32_t first) {
        report.Error(id_line_[a], id_column_[a], "duplicate-account",
                     "duplicate account " + Tick(r.Id(static_cast<int>(a))) +
                         "; first defined on line " + std::to_string(id_line_[first]));
      });
  id_line_ = {};
  id_column_ = {};
}

int RegistryBuilder::FindAccount(const CsvCell& cell, FileReporter& report) {
  const int a = r_.Find(cell.text);
  if (a >= 0) return a;
  if (!id_candidates_built_) {
    id_candidates_built_ = true;
    if (static_cast<size_t>(r_.size()) <= kMaxIdSuggestionCandidates) {
      for (int i = 0; i < r_.size(); ++i) id_candidates_.emplace_back(r_.Id(i));
    }
  }
  report.Error(
      cell, "unknown-account",
      "unknown account " + Tick(cell.text) + internal::DidYouMean(cell.text, id_candidates_));
  return -1;
}

void RegistryBuilder::LoadListings() {
  FileReporter report(dir_ + "listings.csv", diags_);
  CsvReader reader;
  if (!OpenCsv(reader, report)) return;
  std::vector<CsvCell> row;
  if (!reader.NextRow(row)) {
    ReportCsvError(reader, report);
    return;
  }
  enum Name { kList, kAccount, kParent, kEntityName, kFrom, kUntil, kNameCount };
  const std::vector<std::string> names = {"list",        "account", "parent_entity",
                                          "entity_name", "from",    "until"};
  std::vector<bool> found;
  const std::vector<int> header_map = MapHeader(row, names, report, found);
  bool complete = true;
  for (int required : {kList, kFrom}) {
    if (!found[static_cast<size_t>(required)]) {
      report.Error(row[0].line, 1, "missing-column", "missing column " + Tick(names[required]));
      complete = false;
    }
  }
  if (!found[kAccount] && !found[kParent]) {
    report.Error(row[0].line, 1, "missing-column", "missing column `account` or `parent_entity`");
    complete = false;
  }
  if (!complete) return;
  int pos[kNameCount];
  std::fill(pos, pos + kNameCount, -1);
  for (size_t i = 0; i < header_map.size(); ++i) {
    if (header_map[i] >= 0) pos[header_map[i]] = static_cast<int>(i);
  }
  std::vector<std::string> list_names;
  for (const SanctionsList& l : vocab_.sanctions_lists) list_names.push_back(l.name);

  std::vector<std::pair<uint32_t, Listing>> listings;  // (account, listing)
  struct ParentListing {
    std::string parent;
    Listing listing;
    CsvCell at;  // the parent_entity cell; its text is not kept
    bool used = false;
  };
  std::vector<ParentListing> parents;
  const CsvCell empty_cell;
  const size_t width = row.size();
  while (reader.NextRow(row)) {
    if (IsBlankRow(row)) continue;
    if (!CheckWidth(row, width, report)) continue;
    auto cell = [&](Name n) -> const CsvCell& {
      return pos[n] >= 0 ? row[static_cast<size_t>(pos[n])] : empty_cell;
    };
    Listing listing;
    bool ok = true;
    const CsvCell& list = cell(kList);
    auto it = std::find(list_names.begin(), list_names.end(), list.text);
    if (it == list_names.end()) {
      report.Error(list, "unknown-list",
                   "unknown sanctions list " + Tick(list.text) +
                       internal::DidYouMean(list.text, list_names));
      ok = false;
    } else {
      listing.list = static_cast<int>(it - list_names.begin());
    }
    const CsvCell& account = cell(kAccount);
    const CsvCell& parent = cell(kParent);
    int account_index = -1;
    if (account.text.empty() == parent.text.empty()) {
      const CsvCell& at = pos[kAccount] >= 0 ? account : parent;
      report.Error(at, "bad-listing",
                   account.text.empty()
                       ? "a listing names an `account` or a `parent_entity`; this one names neither"
                       : "a listing names an `account` or a `parent_entity`, not both");
      ok = false;
    } else if (!account.text.empty()) {
      account_index = FindAccount(account, report);
      if (account_index < 0) ok = false;
    }
    const CsvCell& from = cell(kFrom);
    if (from.text.empty()) {
      report.Error(from, "bad-time", "a listing needs a `from` time");
      ok = false;
    } else {
      InstantOrError t = ParsePolicyInstant(from.text);
      if (const auto* err = std::get_if<std::string>(&t)) {
        report.Error(from, "bad-time",
                     "bad time " + Tick(from.text) + " in column `from`: " + *err);
        ok = false;
      } else {
        listing.from = std::get<Instant>(t);
      }
    }
    const CsvCell& until = cell(kUntil);
    if (!until.text.empty()) {
      InstantOrError t = ParsePolicyInstant(until.text);
      if (const auto* err = std::get_if<std::string>(&t)) {
        report.Error(until, "bad-time",
                     "bad time " + Tick(until.text) + " in column `until`: " + *err);
        ok = false;
      } else {
        listing.until = std::get<Instant>(t);
        if (ok && listing.until <= listing.from) {
          report.Error(until, "empty-window",
                       "empty listing window: `until` " + FormatRfc3339(listing.until) +
                           " is not after `from` " + FormatRfc3339(listing.from));
          ok = false;
        }
      }
    }
    if (!ok) continue;
    const CsvCell& entity = cell(kEntityName);
    if (!entity.text.empty()) listing.entity_name = r_.strings_.Intern(entity.text);
    if (account_index >= 0) {
      listings.emplace_back(static_cast<uint32_t>(account_index), listing);
    } else {
      CsvCell at = parent;
      at.text = {};
      parents.push_back({std::string(parent.text), listing, at});
    }
  }
  ReportCsvError(reader, report);

  // Parent-entity listings apply to every account with that parent entity.
  if (!parents.empty()) {
    std::unordered_map<uint32_t, std::vector<size_t>> by_parent;  // string id -> parents[i]
    for (size_t i = 0; i < parents.size(); ++i) {
      const uint32_t id = r_.strings_.Find(parents[i].parent);
      if (id != StringTable::kNotFound) by_parent[id].push_back(i);
    }
    if (parent_column_ >= 0 && !by_parent.empty()) {
      for (int a = 0; a < r_.size(); ++a) {
        const uint32_t v = r_.Value(a, parent_column_);
        if (v == Registry::kAbsent) continue;
        auto it = by_parent.find(v);
        if (it == by_parent.end()) continue;
        for (size_t i : it->second) {
          listings.emplace_back(static_cast<uint32_t>(a), parents[i].listing);
          parents[i].used = true;
        }
      }
    }
    std::vector<std::string> known_parents;  // for suggestions
    bool known_parents_built = false;
    for (const ParentListing& p : parents) {
      if (p.used) continue;
      if (!known_parents_built && parent_column_ >= 0) {
        known_parents_built = true;
        std::vector<bool> seen(r_.strings_.size(), false);
        for (int a = 0; a < r_.size(); ++a) {
          const uint32_t v = r_.Value(a, parent_column_);
          if (v == Registry::kAbsent || seen[v]) continue;
          seen[v] = true;
          known_parents.emplace_back(r_.strings_.Get(v));
          if (known_parents.size() > kMaxIdSuggestionCandidates) {
            known_parents.clear();
            break;
          }
        }
      }
      report.Warning(p.at, "unused-listing",
                     "no account has parent entity " + Tick(p.parent) +
                         internal::DidYouMean(p.parent, known_parents));
    }
  }
  ExpandListings(listings);
}

// Stores the listings grouped by account (a counting sort), each account's sorted by
// list, then start.
void RegistryBuilder::ExpandListings(std::vector<std::pair<uint32_t, Listing>>& listings) {
  Registry& r = r_;
  const auto n = static_cast<size_t>(r.size());
  r.listing_begin_.assign(n + 1, 0);
  for (const auto& [a, l] : listings) ++r.listing_begin_[a + 1];
  for (size_t a = 0; a < n; ++a) r.listing_begin_[a + 1] += r.listing_begin_[a];
  r.listings_.resize(listings.size());
  std::vector<uint32_t> next(r.listing_begin_.begin(), r.listing_begin_.end() - 1);
  for (const auto& [a, l] : listings) r.listings_[next[a]++] = l;
  for (size_t a = 0; a < n; ++a) {
    auto begin = r.listings_.begin() + r.listing_begin_[a];
    auto end = r.listings_.begin() + r.listing_begin_[a + 1];
    if (end - begin > 1) {
      std::stable_sort(begin, end, [](const Listing& x, const Listing& y) {
        return std::tie(x.list, x.from) < std::tie(y.list, y.from);
      });
    }
  }
}

namespace {

// The number of literal characters in a pattern: every character but `.()[]{}*+?|^$\`,
// with an escaped character `\x` counting as one.
int Specificity(std::string_view pattern) {
  constexpr std::string_view kMeta = ".()[]{}*+?|^$\\";
  int n = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\') {
      if (i + 1 < pattern.size()) ++n;
      ++i;
    } else if (kMeta.find(pattern[i]) == std::string_view::npos) {
      ++n;
    }
  }
  return n;
}

}  // namespace

void RegistryBuilder::LoadDomains() {
  Registry& r = r_;
  FileReporter report(dir_ + "domains.csv", diags_);
  CsvReader reader;
  if (!OpenCsv(reader, report)) return;
  std::vector<CsvCell> row;
  if (!reader.NextRow(row)) {
    ReportCsvError(reader, report);
    return;
  }
  const std::vector<std::string> names = {"account", "pattern"};
  std::vector<bool> found;
  const std::vector<int> header_map = MapHeader(row, names, report, found);
  bool complete = true;
  for (size_t n = 0; n < names.size(); ++n) {
    if (!found[n]) {
      report.Error(row[0].line, 1, "missing-column", "missing column " + Tick(names[n]));
      complete = false;
    }
  }
  if (!complete) return;
  size_t account_pos = 0, pattern_pos = 0;
  for (size_t i = 0; i < header_map.size(); ++i) {
    if (header_map[i] == 0) account_pos = i;
    if (header_map[i] == 1) pattern_pos = i;
  }
  const CsvCell header_start = row[0];

  re2::RE2::Options options;
  options.set_log_errors(false);
  options.set_case_sensitive(false);  // hosts are lowercased; patterns need not be
  options.set_max_mem(int64_t{64} << 20);
  auto set = std::make_unique<Registry::DomainSet>(options);
  const size_t width = row.size();
  while (reader.NextRow(row)) {
    if (IsBlankRow(row)) continue;
    if (!CheckWidth(row, width, report)) continue;
    const CsvCell& account = row[account_pos];
    const CsvCell& pattern = row[pattern_pos];
    int a = -1;
    if (account.text.empty()) {
      report.Error(account, "missing-id", "missing account id");
    } else {
      a = FindAccount(account, report);
    }
    if (pattern.text.empty()) {
      report.Error(pattern, "bad-regex", "empty domain pattern");
      continue;
    }
    if (a < 0) continue;
    std::string error;
    const int index =
        set->set.Add(re2::StringPiece(pattern.text.data(), pattern.text.size()), &error);
    if (index < 0) {
      report.Error(pattern, "bad-regex",
                   "invalid domain pattern " + Tick(pattern.text) + ": " + error);
      continue;
    }
    r.domain_patterns_.push_back({a, Specificity(pattern.text)});
    r.domain_pattern_bytes_ += pattern.text.size();
  }
  ReportCsvError(reader, report);
  if (r.domain_patterns_.empty()) return;
  if (!set->set.Compile()) {
    report.Error(header_start, "bad-regex", "the domain patterns need more memory than RE2 allows");
    r.domain_patterns_.clear();
    return;
  }
  r.domain_set_ = std::move(set);
}

namespace internal {

std::shared_ptr<Registry> LoadRegistry(const std::string& policy_dir, const Vocabulary& vocab,
                                       Diagnostics& diags) {
  return RegistryBuilder(policy_dir, vocab, diags).Build();
}

}  // namespace internal
}  // namespace statemark
