#include "engine/instant.h"

#include <date/date.h>
#include <date/tz.h>

#include <charconv>
#include <chrono>
#include <exception>

namespace statemark {
namespace {

using std::chrono::microseconds;

// Parses exactly `n` digits at `s[pos]`; returns -1 if they are not all digits.
int Digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

struct LocalParts {
  date::local_time<microseconds> time;
  size_t consumed = 0;  // characters of the input used
};

// Parses "YYYY-MM-DD" optionally followed by "THH:MM[:SS[.fraction]]".
std::variant<LocalParts, std::string> ParseLocal(std::string_view s, bool require_time,
                                                bool require_seconds = false) {
  int y = Digits(s, 0, 4), mo = Digits(s, 5, 2), d = Digits(s, 8, 2);
  if (y < 0 || mo < 0 || d < 0 || s.size() < 10 || s[4] != '-' || s[7] != '-') {
    return std::string("expected a date as YYYY-MM-DD");
  }
  date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(mo)},
                           date::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::string("no such date");
  size_t pos = 10;
  int64_t us = 0;
  if (pos < s.size() && (s[pos] == 'T' || s[pos] == 't')) {
    int h = Digits(s, pos + 1, 2), mi = Digits(s, pos + 4, 2);
    if (h < 0 || mi < 0 || s[pos + 3] != ':') return std::string("expected a time as HH:MM[:SS]");
    pos += 6;
    int sec = 0;
    if (require_seconds && (pos >= s.size() || s[pos] != ':')) {
      return std::string("expected seconds, as THH:MM:SS");
    }
    if (pos < s.size() && s[pos] == ':') {
      sec = Digits(s, pos + 1, 2);
      if (sec < 0) return std::string("expected seconds as two digits");
      pos += 3;
      if (pos < s.size() && s[pos] == '.') {
        size_t start = ++pos;
        int64_t frac = 0, scale = 1000000;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
          if (scale > 1) {
            scale /= 10;
            frac += (s[pos] - '0') * scale;
          }
          ++pos;
        }
        if (pos == start) return std::string("expected digits after `.`");
        us += frac;
      }
    }
    if (h > 23 || mi > 59 || sec > 60) return std::string("time of day out of range");
    us += (int64_t{h} * 3600 + mi * 60 + std::min(sec, 59)) * 1000000;
  } else if (require_time) {
    return std::string("expected a time after the date, as THH:MM:SS");
  }
  LocalParts parts;
  parts.time = date::local_days{ymd} + microseconds{us};
  parts.consumed = pos;
  return parts;
}

Instant FromSys(date::sys_time<microseconds> t) { return Instant{t.time_since_epoch().count()}; }

}  // namespace

InstantOrError ParseRfc3339(std::string_view s) {
  auto local = ParseLocal(s, /*require_time=*/true, /*require_seconds=*/true);
  if (auto* err = std::get_if<std::string>(&local)) return *err;
  const LocalParts& parts = std::get<LocalParts>(local);
  std::string_view rest = s.substr(parts.consumed);
  int64_t offset_minutes = 0;
  if (rest == "Z" || rest == "z") {
    offset_minutes = 0;
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    int h = Digits(rest, 1, 2), m = Digits(rest, 4, 2);
    if (h < 0 || m < 0 || h > 23 || m > 59) return std::string("bad UTC offset");
    offset_minutes = (rest[0] == '-' ? -1 : 1) * (h * 60 + m);
  } else {
    return std::string("expected `Z` or an offset such as `+02:00` after the time");
  }
  auto sys = date::sys_time<microseconds>{parts.time.time_since_epoch()} -
             std::chrono::minutes{offset_minutes};
  return FromSys(sys);
}

InstantOrError ParsePolicyInstant(std::string_view s) {
  // The zone follows the last space (zone names have none); the date and time before
  // it may be separated by `T` or by a space.
  size_t space = s.rfind(' ');
  if (space == std::string_view::npos) return ParseRfc3339(s);
  std::string when_text(s.substr(0, space));
  if (when_text.size() > 10 && when_text[10] == ' ') when_text[10] = 'T';
  std::string_view when = when_text;
  std::string zone_name(s.substr(space + 1));
  auto local = ParseLocal(when, /*require_time=*/false);
  if (auto* err = std::get_if<std::string>(&local)) return *err;
  const LocalParts& parts = std::get<LocalParts>(local);
  if (parts.consumed != when.size()) {
    return std::string("a local time takes no offset; write `YYYY-MM-DDTHH:MM:SS Zone/Name`");
  }
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(zone_name);
  } catch (const std::exception&) {
    return "unknown time zone `" + zone_name + "`";
  }
  date::local_info info = zone->get_info(date::floor<std::chrono::seconds>(parts.time));
  if (info.result == date::local_info::nonexistent) {
    return "local time does not exist in `" + zone_name +
           "` (skipped by a daylight-saving change)";
  }
  // Ambiguous local times take the first occurrence.
  auto sys = date::sys_time<microseconds>{parts.time.time_since_epoch()} -
             std::chrono::duration_cast<microseconds>(info.first.offset);
  return FromSys(sys);
}

namespace {

// Appends `value` as exactly `digits` decimal digits (value >= 0).
void AppendDigits(int64_t value, int digits, std::string* out) {
  char buf[8];
  for (int i = digits - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out->append(buf, static_cast<size_t>(digits));
}

// The date library's format, for years outside 0000-9999 (which AppendRfc3339 does not
// write itself).
std::string FormatWithDateLibrary(Instant t) {
  date::sys_time<microseconds> tp{microseconds{t.micros}};
  auto secs = date::floor<std::chrono::seconds>(tp);
  int64_t frac = (tp - secs).count();
  std::string out = date::format("%Y-%m-%dT%H:%M:%S", secs);
  if (frac != 0) {
    char buf[24];
    if (frac % 1000 == 0) {
      std::snprintf(buf, sizeof buf, ".%03lld", static_cast<long long>(frac / 1000));
    } else {
      std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(frac));
    }
    out += buf;
  }
  out += 'Z';
  return out;
}

}  // namespace

// Civil date from days since 1970-01-01: Howard Hinnant's days_from_civil inverse
// (the algorithm the date library uses), written out so that a decision's time is
// formatted without building a stream.
void AppendRfc3339(Instant t, std::string* out) {
  constexpr int64_t kMicrosPerDay = 86400000000LL;
  int64_t days = t.micros / kMicrosPerDay;
  int64_t rest = t.micros % kMicrosPerDay;
  if (rest < 0) {
    rest += kMicrosPerDay;
    --days;
  }
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 0 || year > 9999) {
    out->append(FormatWithDateLibrary(t));
    return;
  }
  const int64_t seconds = rest / 1000000;
  const int64_t frac = rest % 1000000;
  AppendDigits(year, 4, out);
  out->push_back('-');
  AppendDigits(month, 2, out);
  out->push_back('-');
  AppendDigits(day, 2, out);
  out->push_back('T');
  AppendDigits(seconds / 3600, 2, out);
  out->push_back(':');
  AppendDigits(seconds / 60 % 60, 2, out);
  out->push_back(':');
  AppendDigits(seconds % 60, 2, out);
  if (frac != 0) {
    out->push_back('.');
    if (frac % 1000 == 0) {
      AppendDigits(frac / 1000, 3, out);
    } else {
      AppendDigits(frac, 6, out);
    }
  }
  out->push_back('Z');
}

std::string FormatRfc3339(Instant t) {
  std::string out;
  AppendRfc3339(t, &out);
  return out;
}

Instant Now() {
  return FromSys(date::floor<microseconds>(std::chrono::system_clock::now()));
}

}  // namespace statemark
