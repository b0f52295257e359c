// Helpers shared by the integration tests: loading policies, deciding requests, and
// scratch policy directories.
#ifndef STATEMARK_TESTS_TEST_SUPPORT_H_
#define STATEMARK_TESTS_TEST_SUPPORT_H_

#include <filesystem>
#include <memory>
#include <string>

#include "engine/compiled_policy.h"

namespace statemark::testing {

// The shipped default policy.
inline std::string DefaultRulesDir() { return std::string(STATEMARK_SOURCE_DIR) + "/rules"; }

// Loads and compiles `dir`; fails the current test (and returns null) on errors.
std::shared_ptr<const CompiledPolicy> CompileOrFail(const std::string& dir);

// Parses, evaluates and renders one request with the compiled tree; or the error JSON.
std::string DecideJson(const CompiledPolicy& policy, const std::string& request_json);

// The same with the reference evaluator.
std::string ReferenceDecideJson(const CompiledPolicy& policy, const std::string& request_json);

// How many generated inputs a randomised test tries: `full`, times
// STATEMARK_TEST_WORK_SCALE where that is set (a fraction; the sanitizer builds set 0.1,
// the same code paths on fewer inputs, since the plain build already runs the full count).
// Never less than `minimum`.
long ScaledCount(long full, long minimum = 1);

// A fresh directory under the system temp dir, removed when the object dies.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }
  // Copies the default policy (without its tests) into this directory.
  void CopyDefaultPolicy() const;
  void Write(const std::string& relative, const std::string& text) const;

 private:
  std::filesystem::path path_;
};

// True where the binary counts no allocations (tests/allocation_test.cc): the tests that
// assert none are made skip with `* doctest::skip(SkipUncountedAllocationTests())`.
bool SkipUncountedAllocationTests();

}  // namespace statemark::testing

#endif  // STATEMARK_TESTS_TEST_SUPPORT_H_
