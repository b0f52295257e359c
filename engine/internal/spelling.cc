#include "engine/internal/spelling.h"

#include <algorithm>
#include <cctype>

namespace statemark::internal {

int EditDistance(std::string_view a, std::string_view b) {
  const size_t n = a.size(), m = b.size();
  auto lower = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
  std::vector<int> prev2(m + 1), prev(m + 1), cur(m + 1);
  for (size_t j = 0; j <= m; ++j) prev[j] = static_cast<int>(j);
  for (size_t i = 1; i <= n; ++i) {
    cur[0] = static_cast<int>(i);
    for (size_t j = 1; j <= m; ++j) {
      int cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1])) {
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      }
    }
    prev2.swap(prev);
    prev.swap(cur);
  }
  return prev[m];
}

std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates) {
  const int limit = std::max(2, static_cast<int>(word.size()) / 3);
  int best = limit + 1;
  std::string match;
  for (const std::string& c : candidates) {
    int d = EditDistance(word, c);
    if (d < best) {
      best = d;
      match = c;
    }
  }
  return match;
}

std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string match = ClosestMatch(word, candidates);
  if (match.empty() || match == word) return "";
  return "; did you mean `" + match + "`?";
}

std::string SuggestCountry(const std::string& name, const std::vector<std::string>& codes,
                           const std::vector<std::string>& others) {
  std::string upper = name;
  for (char& ch : upper) {
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
  }
  if (upper == "UK") upper = "GB";
  if (upper == "EL") upper = "GR";
  if (upper != name && std::find(codes.begin(), codes.end(), upper) != codes.end()) {
    return "; did you mean `" + upper + "`?";
  }
  return DidYouMean(name, others);
}

}  // namespace statemark::internal
