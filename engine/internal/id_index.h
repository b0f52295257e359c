// Not API: the Registry's account id index.
//
// An open-addressing hash table over ids stored elsewhere (the Registry keeps them
// contiguously in one byte buffer). Each slot is 64 bits: the row index in the low 32
// and the upper 32 bits of the id's hash in the high 32, so a probe compares the id's
// bytes only when the stored hash matches. The table is a power of two at least twice
// the row count (load factor <= 1/2) and probes linearly. It is built in one pass with
// one allocation, and a lookup costs one hash of the id, usually one slot load and one
// comparison; it never allocates.
//
// Why not std::unordered_map: at a million accounts it spends most of the registry's
// load time allocating a node per id, and each lookup chases a bucket pointer then a
// node pointer (two cache misses) before it compares.
//
// Thread safety: immutable once built; Find() is safe from any number of threads.
#ifndef STATEMARK_ENGINE_INTERNAL_ID_INDEX_H_
#define STATEMARK_ENGINE_INTERNAL_ID_INDEX_H_

#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace statemark::internal {

// A fast, well-mixed 64-bit hash of a byte string, 8 bytes at a time. Not
// cryptographic: the ids come from policy staff's own files, not from requests, so
// nobody chooses them to collide (and collisions cost time, never correctness).
inline uint64_t HashId(std::string_view s) {
  constexpr uint64_t kMul = 0xbf58476d1ce4e5b9ull;
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = 0x9e3779b97f4a7c15ull ^ (static_cast<uint64_t>(n) * 0x94d049bb133111ebull);
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 31;
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    // The last 1 to 7 bytes, read with whole loads: a variable-length copy into a word
    // compiles to byte stores, and loading the word back stalls on store forwarding.
    // The loads may overlap bytes already hashed: harmless, since equal ids still hash
    // equally and the index compares the ids themselves on a tag match.
    uint64_t w;
    if (s.size() >= 8) {
      std::memcpy(&w, s.data() + s.size() - 8, 8);
    } else if (n >= 4) {
      uint32_t lo;
      uint32_t hi;
      std::memcpy(&lo, p, 4);
      std::memcpy(&hi, p + n - 4, 4);
      w = (static_cast<uint64_t>(hi) << 32) | lo;
    } else {
      const auto byte = [p](size_t i) {
        return static_cast<uint64_t>(static_cast<unsigned char>(p[i]));
      };
      w = (byte(0) << 16) | (byte(n / 2) << 8) | byte(n - 1);
    }
    h = (h ^ w) * kMul;
    h ^= h >> 31;
  }
  h ^= h >> 29;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 32;
  return h;
}

class IdIndex {
 public:
  // Builds the index over rows [0, count); id_of(row) gives a row's id. When an id
  // repeats, the first row keeps it and on_duplicate(row, first_row) is called for
  // each later one (which is then not indexed).
  template <typename IdOf, typename OnDuplicate>
  void Build(uint32_t count, IdOf id_of, OnDuplicate on_duplicate) {
    size_t capacity = 16;
    while (capacity < static_cast<size_t>(count) * 2) capacity *= 2;
    slots_.assign(capacity, kEmpty);
    mask_ = capacity - 1;
    for (uint32_t row = 0; row < count; ++row) {
      const std::string_view id = id_of(row);
      const uint64_t h = HashId(id);
      const uint64_t tag = h & kTagMask;
      for (size_t i = h & mask_;; i = (i + 1) & mask_) {
        const uint64_t slot = slots_[i];
        if (slot == kEmpty) {
          slots_[i] = tag | row;
          break;
        }
        if ((slot & kTagMask) == tag && id_of(static_cast<uint32_t>(slot)) == id) {
          on_duplicate(row, static_cast<uint32_t>(slot));
          break;
        }
      }
    }
  }

  // The row whose id is `id`, or -1.
  template <typename IdOf>
  int Find(std::string_view id, IdOf id_of) const {
    if (slots_.empty()) return -1;
    const uint64_t h = HashId(id);
    const uint64_t tag = h & kTagMask;
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const uint64_t slot = slots_[i];
      if (slot == kEmpty) return -1;
      if ((slot & kTagMask) == tag && id_of(static_cast<uint32_t>(slot)) == id) {
        return static_cast<int>(static_cast<uint32_t>(slot));
      }
    }
  }

  // The longest run of probes any indexed id needs (1 when no id collides); for tests.
  template <typename IdOf>
  size_t MaxProbes(uint32_t count, IdOf id_of) const {
    size_t longest = 0;
    for (uint32_t row = 0; row < count; ++row) {
      const std::string_view id = id_of(row);
      size_t probes = 1;
      for (size_t i = HashId(id) & mask_; static_cast<uint32_t>(slots_[i]) != row;
           i = (i + 1) & mask_) {
        if (slots_[i] == kEmpty) {  // a duplicate, not indexed
          probes = 0;
          break;
        }
        ++probes;
      }
      if (probes > longest) longest = probes;
    }
    return longest;
  }

  size_t capacity() const { return slots_.size(); }
  size_t MemoryBytes() const { return slots_.capacity() * sizeof(uint64_t); }

 private:
  // Row 0xFFFFFFFF never exists (the registry's ids are limited to 4 GiB, so fewer
  // rows than that), and its tag bits are all ones, so no filled slot equals kEmpty.
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  static constexpr uint64_t kTagMask = 0xFFFFFFFF00000000ull;

  std::vector<uint64_t> slots_;
  size_t mask_ = 0;
};

}  // namespace statemark::internal

#endif  // STATEMARK_ENGINE_INTERNAL_ID_INDEX_H_
