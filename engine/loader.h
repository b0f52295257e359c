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

}  // namespace statemark

#endif  // STATEMARK_ENGINE_LOADER_H_
