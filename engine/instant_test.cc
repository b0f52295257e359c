#include "engine/instant.h"

#include <doctest/doctest.h>

namespace statemark {
namespace {

std::string Parsed(std::string_view text) {
  InstantOrError r = ParsePolicyInstant(text);
  if (auto* err = std::get_if<std::string>(&r)) return "error: " + *err;
  return FormatRfc3339(std::get<Instant>(r));
}

TEST_CASE("RFC 3339 instants, with Z or an offset") {
  CHECK(Parsed("2024-05-23T00:00:00Z") == "2024-05-23T00:00:00Z");
  CHECK(Parsed("2024-05-23T02:00:00+02:00") == "2024-05-23T00:00:00Z");
  CHECK(Parsed("2024-10-30T01:00:00-07:00") == "2024-10-30T08:00:00Z");
  CHECK(Parsed("2024-07-01T12:00:00.250Z") == "2024-07-01T12:00:00.250Z");
  CHECK(Parsed("2024-07-01T12:00:00.000001Z") == "2024-07-01T12:00:00.000001Z");
  CHECK(Parsed("2024-07-01T12:00Z") == "error: expected seconds, as THH:MM:SS");
  CHECK(Parsed("2024-13-01T00:00:00Z") == "error: no such date");
  CHECK(Parsed("2024-07-01T12:00:00") ==
        "error: expected `Z` or an offset such as `+02:00` after the time");
}

TEST_CASE("local times with an IANA zone, across daylight-saving changes") {
  // The US 2024 election ad window: PDT at the start, PST at the end.
  CHECK(Parsed("2024-10-29T00:01 America/Los_Angeles") == "2024-10-29T07:01:00Z");
  CHECK(Parsed("2024-11-06T00:00 America/Los_Angeles") == "2024-11-06T08:00:00Z");
  CHECK(Parsed("2024-05-30T00:00 Europe/London") == "2024-05-29T23:00:00Z");
  CHECK(Parsed("2024-07-04 22:00 Europe/London") == "2024-07-04T21:00:00Z");
  CHECK(Parsed("2022-03-02 Europe/Brussels") == "2022-03-01T23:00:00Z");
  // A local time skipped by the spring change does not exist...
  CHECK(Parsed("2024-03-10T02:30 America/New_York") ==
        "error: local time does not exist in `America/New_York` (skipped by a daylight-saving change)");
  // ...and one repeated by the autumn change takes its first occurrence (EDT).
  CHECK(Parsed("2024-11-03T01:30 America/New_York") == "2024-11-03T05:30:00Z");
  CHECK(Parsed("2024-06-25 Europe/Brusels") == "error: unknown time zone `Europe/Brusels`");
}

TEST_CASE("instants order and format") {
  CHECK(kBeginningOfTime < Instant{0});
  CHECK(Instant{0} < kEndOfTime);
  CHECK(FormatRfc3339(Instant{0}) == "1970-01-01T00:00:00Z");
}

}  // namespace
}  // namespace statemark
