// Instants: points on the UTC time line, and the text forms policy staff write.
//
// An Instant counts microseconds since 1970-01-01T00:00:00Z. Rule windows are
// half-open [from, until) ranges of Instants. Policy files may write an instant
//   - as RFC 3339 with an offset:      "2024-05-23T00:00:00Z", "2024-05-23T02:00:00+02:00"
//   - as local time with an IANA zone: "2024-10-29T00:01 America/Los_Angeles"
//   - as a local date with a zone:     "2024-06-25 Europe/Brussels" (midnight local)
// Local times are converted with the system's tz database (through the date library);
// a local time that does not exist (skipped by a daylight-saving change) is an error,
// and one that occurs twice resolves to the earlier instant.
//
// Thread safety: pure functions.
#ifndef STATEMARK_ENGINE_INSTANT_H_
#define STATEMARK_ENGINE_INSTANT_H_

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <variant>

namespace statemark {

struct Instant {
  int64_t micros = 0;
  friend auto operator<=>(const Instant&, const Instant&) = default;
};

inline constexpr Instant kBeginningOfTime{std::numeric_limits<int64_t>::min()};
inline constexpr Instant kEndOfTime{std::numeric_limits<int64_t>::max()};

// Either an Instant or a one-line reason why the text is not one.
using InstantOrError = std::variant<Instant, std::string>;

// Strict RFC 3339 (`T` or `t`, `Z` or a numeric offset, optional fraction).
InstantOrError ParseRfc3339(std::string_view text);

// Any of the forms in the file comment.
InstantOrError ParsePolicyInstant(std::string_view text);

// RFC 3339 in UTC with `Z`; the fraction appears only when non-zero, with 3 or 6 digits.
std::string FormatRfc3339(Instant t);

// The same text, appended to `out`. Allocates nothing beyond the string's growth.
void AppendRfc3339(Instant t, std::string* out);

// The current time from the system clock.
Instant Now();

}  // namespace statemark

#endif  // STATEMARK_ENGINE_INSTANT_H_
