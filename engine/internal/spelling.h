// Not API: used by the loaders and the request parser.
//
// Suggestions for misspelt names: the candidate closest to a word by edit distance
// (Damerau–Levenshtein, with a transposition as one edit), if it is close enough to be
// a plausible typo.
#ifndef STATEMARK_ENGINE_INTERNAL_SPELLING_H_
#define STATEMARK_ENGINE_INTERNAL_SPELLING_H_

#include <string>
#include <string_view>
#include <vector>

namespace statemark::internal {

// Optimal string alignment distance between a and b, compared case-insensitively.
int EditDistance(std::string_view a, std::string_view b);

// The closest candidate within max(2, |word| / 3) edits, ties broken by candidate
// order; empty if none is that close.
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates);

// "; did you mean `x`?" for the closest match, or "" when there is none.
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

// The suggestion for a misspelt country code. Codes are two letters, so edit
// distance would suggest a wrong neighbour (`UK` is one edit from `UA`): suggest only a
// case fix, the ISO code behind a reserved code people write (`UK` -> `GB`,
// `EL` -> `GR`), or a close name among `others` (group names, for rule files).
// `codes` are the valid codes. Returns "; did you mean `x`?" or "".
std::string SuggestCountry(const std::string& name, const std::vector<std::string>& codes,
                           const std::vector<std::string>& others = {});

}  // namespace statemark::internal

#endif  // STATEMARK_ENGINE_INTERNAL_SPELLING_H_
