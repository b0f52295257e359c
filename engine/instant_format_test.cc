// AppendRfc3339 writes the date by hand; it must give the date library's text.
#include <date/date.h>
#include <doctest/doctest.h>

#include <random>

#include "engine/instant.h"

namespace statemark {
namespace {

std::string WithDateLibrary(int64_t micros) {
  using std::chrono::microseconds;
  date::sys_time<microseconds> tp{microseconds{micros}};
  auto secs = date::floor<std::chrono::seconds>(tp);
  const int64_t frac = (tp - secs).count();
  std::string out = date::format("%Y-%m-%dT%H:%M:%S", secs);
  char buf[24];
  if (frac != 0 && frac % 1000 == 0) {
    std::snprintf(buf, sizeof buf, ".%03lld", static_cast<long long>(frac / 1000));
    out += buf;
  } else if (frac != 0) {
    std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(frac));
    out += buf;
  }
  return out + "Z";
}

TEST_CASE("AppendRfc3339 matches the date library") {
  std::mt19937_64 rng(7);
  // Year 0000 to 9999, with every kind of fraction; and the edges.
  std::uniform_int_distribution<int64_t> any(-62167219200000000LL, 253402300799999999LL);
  std::vector<int64_t> samples = {0, -1, 1, 999, 1000, 86399999999LL, 86400000000LL, -86400000000LL,
                                  951782400000000LL /* 2000-02-29 */, 1709164800000000LL,
                                  -62167219200000000LL, 253402300799999999LL};
  for (int i = 0; i < 20000; ++i) {
    int64_t m = any(rng);
    if (i % 3 == 0) m -= m % 1000000;
    if (i % 3 == 1) m -= m % 1000;
    samples.push_back(m);
  }
  for (int64_t m : samples) {
    CAPTURE(m);
    CHECK(FormatRfc3339(Instant{m}) == WithDateLibrary(m));
  }
}

}  // namespace
}  // namespace statemark
