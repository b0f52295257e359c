// ValueSet: a fixed-size set of small value indexes (enum values, countries).
//
// Every value domain of a policy (the countries, each enum) holds at most
// kMaxDomainValues values, so a set of them is four machine words: trivially
// copyable, no allocation, and intersection is four ANDs.
#ifndef STATEMARK_ENGINE_VALUE_SET_H_
#define STATEMARK_ENGINE_VALUE_SET_H_

#include <array>
#include <bit>
#include <cstdint>

namespace statemark {

inline constexpr int kMaxDomainValues = 256;

class ValueSet {
 public:
  constexpr ValueSet() = default;

  // Values [0, domain_size).
  static ValueSet All(int domain_size) {
    ValueSet s;
    for (int w = 0; w < 4; ++w) {
      const int bits = domain_size - w * 64;
      s.words_[w] = bits >= 64 ? ~uint64_t{0} : bits <= 0 ? 0 : (uint64_t{1} << bits) - 1;
    }
    return s;
  }

  void Add(int v) { words_[Word(v)] |= Bit(v); }
  void Remove(int v) { words_[Word(v)] &= ~Bit(v); }
  bool Contains(int v) const {
    return v >= 0 && v < kMaxDomainValues && (words_[Word(v)] & Bit(v)) != 0;
  }
  bool Empty() const { return (words_[0] | words_[1] | words_[2] | words_[3]) == 0; }
  int Size() const {
    int n = 0;
    for (uint64_t w : words_) n += std::popcount(w);
    return n;
  }
  bool Intersects(const ValueSet& o) const {
    return ((words_[0] & o.words_[0]) | (words_[1] & o.words_[1]) | (words_[2] & o.words_[2]) |
            (words_[3] & o.words_[3])) != 0;
  }
  bool ContainsAll(const ValueSet& o) const { return (o & ~*this).Empty(); }

  ValueSet operator&(const ValueSet& o) const {
    ValueSet r;
    for (int i = 0; i < 4; ++i) r.words_[i] = words_[i] & o.words_[i];
    return r;
  }
  ValueSet operator|(const ValueSet& o) const {
    ValueSet r;
    for (int i = 0; i < 4; ++i) r.words_[i] = words_[i] | o.words_[i];
    return r;
  }
  ValueSet operator~() const {
    ValueSet r;
    for (int i = 0; i < 4; ++i) r.words_[i] = ~words_[i];
    return r;
  }
  ValueSet& operator&=(const ValueSet& o) { return *this = *this & o; }
  ValueSet& operator|=(const ValueSet& o) { return *this = *this | o; }
  bool operator==(const ValueSet&) const = default;

  // Calls f(v) for each member in increasing order.
  template <typename F>
  void ForEach(F&& f) const {
    for (int w = 0; w < 4; ++w) {
      for (uint64_t bits = words_[w]; bits != 0; bits &= bits - 1) {
        f(w * 64 + std::countr_zero(bits));
      }
    }
  }

  const std::array<uint64_t, 4>& words() const { return words_; }

 private:
  static constexpr int Word(int v) { return v >> 6; }
  static constexpr uint64_t Bit(int v) { return uint64_t{1} << (v & 63); }

  std::array<uint64_t, 4> words_{};
};

}  // namespace statemark

#endif  // STATEMARK_ENGINE_VALUE_SET_H_
