// Class coverage for `statemark test` (cli/class_coverage.cc).
#ifndef STATEMARK_CLI_CLASS_COVERAGE_H_
#define STATEMARK_CLI_CLASS_COVERAGE_H_

#include <vector>

#include "engine/compiled_policy.h"
#include "engine/policy_tests.h"

namespace statemark::cli {

// Prints how many author classes of the policy's decision space some test case's
// request falls in; with `verbose`, every class none does.
void ReportClassCoverage(const CompiledPolicy& policy, const std::vector<PolicyTestResult>& results, bool verbose);

}  // namespace statemark::cli

#endif  // STATEMARK_CLI_CLASS_COVERAGE_H_
