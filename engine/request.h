// Request: one decision's input, parsed and resolved against a compiled policy.
//
// ParseRequest (request_parser.h) turns JSON into a Request: every vocabulary value
// is checked and replaced by its index, links are resolved to registry accounts. All
// allocation happens there; Evaluate() then reads a Request without allocating.
// Attribute values live in fixed-size fact arrays indexed by the slot the compiled
// policy gives each attribute (CompiledPolicy::slot()).
//
// Thread safety: a plain value; share read-only.
#ifndef STATEMARK_ENGINE_REQUEST_H_
#define STATEMARK_ENGINE_REQUEST_H_

#include <array>
#include <memory>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/instant.h"
#include "engine/registry.h"
#include "engine/value_set.h"

namespace statemark {

// Capacity of the fact arrays; the loader rejects vocabularies that exceed them.
inline constexpr int kMaxRequestAttributes = 48;
inline constexpr int kMaxAccountAttributes = 32;
inline constexpr int kMaxSetAttributes = 16;
inline constexpr int kMaxLinkedAccounts = 32;
inline constexpr uint32_t kAbsent = Registry::kAbsent;
inline constexpr uint32_t kUnknownString = StringTable::kNotFound;

// A string_view without a default initializer: arrays of it are not zeroed on
// construction, which keeps fact structs cheap to create on the evaluation path.
// Read a TextView only where the matching value says the attribute is present.
struct TextView {
  TextView() = default;
  TextView(std::string_view s) : data(s.data()), size(s.size()) {}  // NOLINT(google-explicit-constructor)
  operator std::string_view() const { return {data, size}; }       // NOLINT(google-explicit-constructor)
  friend bool operator==(const TextView& a, std::string_view b) { return std::string_view(a) == b; }
  const char* data;
  size_t size;
};

// The attributes of one account: the author, a linked account or a reshared one.
struct AccountFacts {
  std::array<uint32_t, kMaxAccountAttributes> value;  // by account slot; kAbsent if none
  std::array<TextView, kMaxAccountAttributes> text;  // string attributes' text
  std::span<const Listing> listings;
  std::string_view id;
  int registry_index = -1;  // -1: not in the registry
};

// The attributes of the request itself (viewer, content, ad, time, kind).
struct RequestFacts {
  std::array<uint32_t, kMaxRequestAttributes> value;  // by request slot; kAbsent if none
  std::array<int64_t, kMaxRequestAttributes> micros;  // instant attributes
  std::array<TextView, kMaxRequestAttributes> text;
  std::array<ValueSet, kMaxSetAttributes> sets;       // by set slot
};

struct Request {
  std::string request_id;   // echoed; empty when not given
  bool has_request_id = false;
  Instant time;             // the request's clock (from `time`, or the caller's now)
  bool is_ad = false;
  RequestFacts facts;
  std::vector<uint16_t> target_order;  // ad targets in request order, deduplicated

  std::string account_id;
  // Inline attributes for an account the registry does not hold; applied only when
  // the id is unknown (for a registered id, the registry's values win).
  bool has_inline_account = false;
  AccountFacts inline_account;
  std::vector<int64_t> inline_effective_at;  // by account slot, for dated attributes

  std::vector<int> linked_accounts;  // registry indexes, ascending, deduplicated
  int reshared_account = -1;         // registry index, or -1

  std::vector<std::string> warnings;  // rendered into the decision's `warnings`
  // Owns the text that fact string_views point at: the first `owned_used` strings.
  // The rest are kept from an earlier parse, to be reused without allocating.
  std::vector<std::unique_ptr<std::string>> owned_text;
  size_t owned_used = 0;
};

}  // namespace statemark

#endif  // STATEMARK_ENGINE_REQUEST_H_
