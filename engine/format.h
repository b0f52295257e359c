// The canonical layout of policy and test files (`statemark fmt`).
//
// FormatPolicyFile rewrites one YAML file of a policy (a rule, vocabulary or countries
// file, or a test file) in the canonical layout of docs/reference.md section 17: two
// spaces per level, the keys of a rule, a case, a test case and a window in a fixed
// order, flow lists on one line (long lists of plain values wrapped at 100 columns),
// one quoting style, trailing spaces and runs of blank lines removed, comments kept.
// The result holds the same data as the input: the formatter parses its own output and
// compares it with the input before it returns anything (a `fmt-internal` error if they
// differ, so a file is never rewritten with another meaning). Formatting is idempotent.
//
// Thread safety: a pure function.
#ifndef STATEMARK_ENGINE_FORMAT_H_
#define STATEMARK_ENGINE_FORMAT_H_

#include <string>

#include "engine/status.h"

namespace statemark {

// The canonical text of `text`, the bytes of the file at `path` (used in diagnostics).
// Errors: `yaml-syntax`, `fmt-unsupported` (anchors, aliases, tags, several documents,
// complex keys, plain values over several lines, block scalars with indentation
// indicators or `+`), `fmt-comment` (a comment with no place in the output),
// `fmt-internal` (the output would not hold the same data; a bug).
Result<std::string> FormatPolicyFile(const std::string& path, const std::string& text);

// The first line (1-based) where `a` and `b` differ; 0 when they are equal.
int FirstDifferentLine(const std::string& a, const std::string& b);

}  // namespace statemark

#endif  // STATEMARK_ENGINE_FORMAT_H_
