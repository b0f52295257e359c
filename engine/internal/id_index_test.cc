// Tests for the Registry's id index: lookups of present and missing ids, collisions,
// duplicates, the empty index, and a million ids.
#include "engine/internal/id_index.h"

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace statemark::internal {
namespace {

struct Ids {
  std::vector<std::string> ids;
  std::vector<std::pair<uint32_t, uint32_t>> duplicates;  // (row, first row)
  IdIndex index;

  auto IdOf() const {
    return [this](uint32_t row) { return std::string_view(ids[row]); };
  }
  explicit Ids(std::vector<std::string> v) : ids(std::move(v)) {
    index.Build(static_cast<uint32_t>(ids.size()), IdOf(),
                [this](uint32_t row, uint32_t first) { duplicates.emplace_back(row, first); });
  }
  int Find(std::string_view id) const { return index.Find(id, IdOf()); }
};

TEST_CASE("id index: an empty index finds nothing") {
  IdIndex empty;
  CHECK(empty.Find("a", [](uint32_t) { return std::string_view(); }) == -1);
  Ids none({});
  CHECK(none.Find("") == -1);
  CHECK(none.Find("rt_en") == -1);
}

TEST_CASE("id index: every id is found at its row; missing ids are not") {
  Ids ids({"rt_en", "rt_fr", "xinhua", "bbc", "a", "ab", "abcdefgh", "abcdefghi",
           "abcdefgh\xff", std::string("nul\0inside", 10), "npr"});
  for (size_t row = 0; row < ids.ids.size(); ++row) {
    CHECK(ids.Find(ids.ids[row]) == static_cast<int>(row));
  }
  CHECK(ids.duplicates.empty());
  CHECK(ids.Find("") == -1);
  CHECK(ids.Find("rt_e") == -1);
  CHECK(ids.Find("rt_en ") == -1);
  CHECK(ids.Find("RT_EN") == -1);
  CHECK(ids.Find("abcdefg") == -1);
  CHECK(ids.Find(std::string("nul\0insidf", 10)) == -1);
  CHECK(ids.Find("nul") == -1);
}

TEST_CASE("id index: the hash reads every byte and the length") {
  std::set<uint64_t> hashes;
  const std::vector<std::string> ids = {"", "a", "b", "aa", "ab", "ba", "abcdefgh", "abcdefgi",
                                        "bbcdefgh", std::string("abcdefgh\0", 9), "abcdefghabcdefgh",
                                        "abcdefghabcdefgi", std::string(1, '\0'),
                                        std::string(2, '\0'), std::string(8, '\0'),
                                        std::string(9, '\0')};
  for (const std::string& id : ids) hashes.insert(HashId(id));
  CHECK(hashes.size() == ids.size());
}

TEST_CASE("id index: colliding ids probe on, and a missing id stops at a gap") {
  // 1,000 ids in 2,048 slots: many share a home slot, so probe runs are longer than 1.
  std::vector<std::string> v;
  for (int i = 0; i < 1000; ++i) v.push_back("acct_" + std::to_string(i));
  Ids ids(v);
  CHECK(ids.index.capacity() == 2048);
  CHECK(ids.index.MaxProbes(1000, ids.IdOf()) > 1);
  for (int i = 0; i < 1000; ++i) CHECK(ids.Find(v[static_cast<size_t>(i)]) == i);
  for (int i = 1000; i < 3000; ++i) CHECK(ids.Find("acct_" + std::to_string(i)) == -1);
}

TEST_CASE("id index: a repeated id keeps its first row and reports each later one") {
  Ids ids({"a", "b", "a", "c", "b", "a"});
  CHECK(ids.duplicates == std::vector<std::pair<uint32_t, uint32_t>>{{2, 0}, {4, 1}, {5, 0}});
  CHECK(ids.Find("a") == 0);
  CHECK(ids.Find("b") == 1);
  CHECK(ids.Find("c") == 3);
  CHECK(ids.Find("d") == -1);
}

TEST_CASE("id index: a million ids") {
  std::vector<std::string> v;
  v.reserve(1000000);
  for (int i = 0; i < 1000000; ++i) v.push_back("account_" + std::to_string(i));
  Ids ids(std::move(v));
  CHECK(ids.duplicates.empty());
  CHECK(ids.index.capacity() == 2097152);
  int misplaced = 0;
  for (int i = 0; i < 1000000; ++i) {
    if (ids.Find(ids.ids[static_cast<size_t>(i)]) != i) ++misplaced;
  }
  CHECK(misplaced == 0);
  int found = 0;
  for (int i = 1000000; i < 1100000; ++i) found += ids.Find("account_" + std::to_string(i)) >= 0;
  CHECK(found == 0);
  // Linear probing at load 0.48 with a well-mixed hash keeps runs short.
  CHECK(ids.index.MaxProbes(1000000, ids.IdOf()) < 64);
}

}  // namespace
}  // namespace statemark::internal
