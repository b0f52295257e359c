// Registry: the accounts a policy knows, with their attributes, sanctions listings
// and outlet domains.
//
// Policy staff edit it as CSV files in `<rules>/registry/` (see docs/reference.md):
//   accounts.csv  one row per account; a column per account attribute of the vocabulary
//   listings.csv  sanctions listings, keyed on an account id or on a parent entity
//   domains.csv   outlet domains: RE2 patterns matched against a link's host
// The registry stores accounts column-wise with interned strings, so a million
// accounts load in about a second and take about 100 bytes each.
//
// Thread safety: immutable once loaded; Find(), Value() and ResolveLink() are safe
// from any number of threads and do not allocate (ResolveLink excepted: it runs
// RE2::Set, which may).
#ifndef STATEMARK_ENGINE_REGISTRY_H_
#define STATEMARK_ENGINE_REGISTRY_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/instant.h"
#include "engine/internal/id_index.h"

namespace statemark {

// Interned strings: the values of string attributes, registry-wide. Rule literals
// are interned here too, so a string comparison at evaluation is an integer compare.
class StringTable {
 public:
  static constexpr uint32_t kNotFound = 0xFFFFFFFEu;
  uint32_t Intern(std::string_view s);
  uint32_t Find(std::string_view s) const;  // kNotFound when never interned
  std::string_view Get(uint32_t id) const { return strings_[id]; }
  size_t size() const { return strings_.size(); }

 private:
  std::deque<std::string> strings_;  // a deque keeps addresses stable for the views below
  std::unordered_map<std::string_view, uint32_t> index_;
};

struct Listing {
  int list = -1;       // index into Vocabulary::sanctions_lists
  Instant from = kBeginningOfTime;
  Instant until = kEndOfTime;
  uint32_t entity_name = StringTable::kNotFound;  // as the list names it
};

class Registry {
 public:
  static constexpr uint32_t kAbsent = 0xFFFFFFFFu;

  Registry();
  ~Registry();
  Registry(Registry&&) noexcept;
  Registry& operator=(Registry&&) noexcept;

  int size() const { return static_cast<int>(offsets_.size()); }
  // Index of the account with this id, or -1.
  int Find(std::string_view id) const {
    return by_id_.Find(id, [this](uint32_t a) { return Id(static_cast<int>(a)); });
  }
  std::string_view Id(int account) const {
    const auto a = static_cast<size_t>(account);
    const size_t begin = offsets_[a];
    const size_t end = a + 1 < offsets_.size() ? offsets_[a + 1] : id_bytes_.size();
    return std::string_view(id_bytes_.data() + begin, end - begin);
  }

  // The registry holds a column for each account attribute of the vocabulary (other
  // than the built-in ones). Column() maps an attribute index to its column, or -1.
  int Column(int attr) const;
  int column_count() const { return static_cast<int>(column_attr_.size()); }
  int ColumnAttribute(int column) const { return column_attr_[static_cast<size_t>(column)]; }

  // The stored value: a domain value index, 0/1 for booleans, a StringTable id for
  // strings, or kAbsent.
  uint32_t Value(int account, int column) const {
    return values_[static_cast<size_t>(account) * column_attr_.size() + static_cast<size_t>(column)];
  }
  // For dated columns: when the stored value takes effect (before, the attribute's
  // default applies). kBeginningOfTime when the row gives no date.
  Instant EffectiveAt(int account, int column) const;
  bool IsDated(int column) const { return dated_slot_[static_cast<size_t>(column)] >= 0; }

  // The account's listings, including those of its parent entity.
  std::span<const Listing> Listings(int account) const;

  // Resolves a URL to the outlet whose domain pattern matches its host; the most
  // specific pattern (the one with most literal characters) wins. -1 if none.
  int ResolveLink(std::string_view url) const;

  const StringTable& strings() const { return strings_; }
  StringTable& mutable_strings() { return strings_; }

  size_t MemoryBytes() const;

 private:
  friend class RegistryBuilder;

  std::vector<char> id_bytes_;
  std::vector<uint32_t> offsets_;  // start of each id in id_bytes_; ends at next start
  internal::IdIndex by_id_;        // over Id(0..size())
  std::vector<int> column_attr_;
  std::vector<int> attr_column_;
  std::vector<int> dated_slot_;    // per column: index among dated columns, or -1
  std::vector<uint32_t> values_;   // account-major
  std::vector<int64_t> dated_at_;  // account-major over dated columns
  std::vector<Listing> listings_;
  std::vector<uint32_t> listing_begin_;  // per account, plus one sentinel
  StringTable strings_;

  int dated_count_ = 0;             // columns with dated_slot_ >= 0

  struct DomainPattern {
    int account = -1;
    int specificity = 0;
  };
  std::vector<DomainPattern> domain_patterns_;  // by index in the set
  // Wraps re2::RE2::Set, which, being a nested class, cannot be forward-declared.
  struct DomainSet;
  std::unique_ptr<DomainSet> domain_set_;  // null when there are no patterns
  size_t domain_pattern_bytes_ = 0;        // total pattern length, for MemoryBytes()
};

}  // namespace statemark

#endif  // STATEMARK_ENGINE_REGISTRY_H_
