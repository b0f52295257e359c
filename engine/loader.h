// Loader: reads a policy directory into a validated Policy.
//
// A policy directory holds YAML files (any `*.yaml` at its top level: the vocabulary,
// the countries, the rules; each file says what it holds by its top-level keys) and a
// `registry/` folder of CSV files. `tests/` holds the policy's own test cases and is
// not part of the policy. The loader reports every problem it finds, not only the
// first, sorted by file, line and column; each names its place and a stable code.
//
// Thread safety: LoadPolicy may run concurrently with itself and with evaluation.
#ifndef STATEMARK_ENGINE_LOADER_H_
#define STATEMARK_ENGINE_LOADER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "engine/policy.h"
#include "engine/status.h"

namespace statemark {

struct LoaderOptions {
  // Largest YAML file accepted, in bytes. Default: 4 MiB.
  size_t max_file_bytes = 4u << 20;
  // Most rules across all files. Default: 100,000.
  size_t max_rules = 100000;
  // Deepest nesting of all/any/not in one condition. Default: 32.
  int max_condition_depth = 32;
  // Longest `matches` pattern, in bytes. Default: 1,000.
  size_t max_regex_bytes = 1000;
  // Largest registry CSV file accepted, in bytes. Default: 1 GiB (about 10 million
  // accounts; the registry streams its files, so this bounds memory, not parsing).
  size_t max_registry_file_bytes = size_t{1} << 30;
  // Errors reported before the loader stops collecting more. Default: 200.
  size_t max_errors = 200;
};

// Loads and validates `dir`. On success the Policy may still carry warnings.
Result<std::shared_ptr<const Policy>> LoadPolicy(const std::string& dir,
                                                 const LoaderOptions& options = {});

// A policy file given in memory: `relative` names a top-level `*.yaml` file of the
// directory (`platform.yaml`), which `bytes` replace, or a new one they add.
struct SourceOverride {
  std::string relative;
  std::string bytes;
};

// Loads `dir` as LoadPolicy does, with `overrides` in place of the files they name;
// nothing is written. Same limits: an override over `max_file_bytes` is an error, and
// so is a name that is not a top-level `*.yaml` file (`bad-file-name`). Diagnostics
// name an override as `dir/relative`, like the file it replaces.
Result<std::shared_ptr<const Policy>> LoadPolicyWithOverrides(
    const std::string& dir, const std::vector<SourceOverride>& overrides,
    const LoaderOptions& options = {});

}  // namespace statemark

#endif  // STATEMARK_ENGINE_LOADER_H_
