#include "engine/registry.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>

#include "engine/internal/registry_loader.h"  // Registry::DomainSet

namespace statemark {

// --- StringTable ---

uint32_t StringTable::Intern(std::string_view s) {
  auto it = index_.find(s);
  if (it != index_.end()) return it->second;
  const auto id = static_cast<uint32_t>(strings_.size());
  // The deque never moves its elements, so the view (of the heap buffer, or of the
  // element itself for short strings) stays valid as the table grows.
  strings_.emplace_back(s);
  index_.emplace(std::string_view(strings_.back()), id);
  return id;
}

uint32_t StringTable::Find(std::string_view s) const {
  auto it = index_.find(s);
  return it == index_.end() ? kNotFound : it->second;
}

// --- Registry ---

Registry::Registry() = default;
Registry::~Registry() = default;
// Moving keeps every view valid: the vectors and the deque hand over their buffers,
// and the string table's hash map its nodes. The id index holds row numbers, not views.
Registry::Registry(Registry&&) noexcept = default;
Registry& Registry::operator=(Registry&&) noexcept = default;

int Registry::Column(int attr) const {
  if (attr < 0 || static_cast<size_t>(attr) >= attr_column_.size()) return -1;
  return attr_column_[static_cast<size_t>(attr)];
}

Instant Registry::EffectiveAt(int account, int column) const {
  const int slot = dated_slot_[static_cast<size_t>(column)];
  if (slot < 0) return kBeginningOfTime;
  return Instant{dated_at_[static_cast<size_t>(account) * static_cast<size_t>(dated_count_) +
                           static_cast<size_t>(slot)]};
}

std::span<const Listing> Registry::Listings(int account) const {
  const auto a = static_cast<size_t>(account);
  if (a + 1 >= listing_begin_.size()) return {};
  return std::span<const Listing>(listings_.data() + listing_begin_[a],
                                  listing_begin_[a + 1] - listing_begin_[a]);
}

namespace {

// The host of a URL: after an optional `scheme://` (or `//`) and `user@`, up to the
// first `/`, `?`, `#` or `:`. Empty when there is none.
std::string_view UrlHost(std::string_view url) {
  size_t start = 0;
  size_t sep = url.find("://");
  if (sep != std::string_view::npos && sep > 0) {
    bool scheme = true;
    for (size_t i = 0; i < sep && scheme; ++i) {
      char c = url[i];
      scheme = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
    }
    if (scheme) start = sep + 3;
  } else if (url.starts_with("//")) {
    start = 2;
  } else {
    // `rt.com/news` and `rt.com:8080` have a host; `mailto:x@rt.com` does not.
    size_t colon = url.find_first_of(":/?#");
    if (colon != std::string_view::npos && url[colon] == ':') {
      size_t port_end = url.find_first_of("/?#", colon);
      std::string_view port =
          url.substr(colon + 1, port_end == std::string_view::npos ? std::string_view::npos
                                                                   : port_end - colon - 1);
      if (port.find_first_not_of("0123456789") != std::string_view::npos) {
        return {};
      }
    }
  }
  size_t end = url.find_first_of("/?#", start);
  std::string_view authority =
      url.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) authority.remove_prefix(at + 1);
  size_t colon = authority.find(':');
  if (colon != std::string_view::npos) authority = authority.substr(0, colon);
  if (authority.ends_with('.')) authority.remove_suffix(1);  // `rt.com.` is `rt.com`
  return authority;
}

}  // namespace

int Registry::ResolveLink(std::string_view url) const {
  if (domain_set_ == nullptr) return -1;
  std::string_view host = UrlHost(url);
  constexpr size_t kMaxHost = 253;  // the longest DNS name
  if (host.empty() || host.size() > kMaxHost) return -1;
  char lower[kMaxHost];
  for (size_t i = 0; i < host.size(); ++i) {
    char c = host[i];
    lower[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  std::vector<int> matches;
  if (!domain_set_->set.Match(re2::StringPiece(lower, host.size()), &matches)) return -1;
  int best = -1;
  int best_specificity = -1;
  for (int m : matches) {
    const DomainPattern& d = domain_patterns_[static_cast<size_t>(m)];
    if (d.specificity > best_specificity ||
        (d.specificity == best_specificity && d.account < best)) {
      best = d.account;
      best_specificity = d.specificity;
    }
  }
  return best;
}

namespace {

template <typename T>
size_t VectorBytes(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

}  // namespace

size_t Registry::MemoryBytes() const {
  size_t bytes = sizeof(*this);
  bytes += VectorBytes(id_bytes_) + VectorBytes(offsets_) + by_id_.MemoryBytes();
  bytes += VectorBytes(column_attr_) + VectorBytes(attr_column_) + VectorBytes(dated_slot_);
  bytes += VectorBytes(values_) + VectorBytes(dated_at_);
  bytes += VectorBytes(listings_) + VectorBytes(listing_begin_);
  // Strings: the deque's 512-byte blocks, the heap buffers of long strings (short ones
  // live inside the std::string), and the index with about one bucket per string.
  const size_t n = strings_.size();
  bytes += (n * sizeof(std::string) / 512 + 1) * 512;
  bytes += n * (sizeof(void*) + 48);
  for (size_t i = 0; i < n; ++i) {
    const size_t len = strings_.Get(static_cast<uint32_t>(i)).size();
    if (len > 15) bytes += (len + 1 + 8 + 15) / 16 * 16;
  }
  bytes += VectorBytes(domain_patterns_);
  if (domain_set_ != nullptr) {
    // An estimate: RE2 compiles about one 16-byte instruction per pattern byte, and keeps
    // each parsed pattern too. The DFA cache grows lazily, up to the set's max_mem.
    bytes += sizeof(DomainSet) + domain_patterns_.size() * 128 + domain_pattern_bytes_ * 48;
  }
  return bytes;
}

}  // namespace statemark
