// Class coverage for `statemark test`: which classes of the decision space
// (engine/decision_space.h) the test cases' requests fall in, and which none does.
#include "cli/class_coverage.h"

#include <iostream>
#include <set>

#include "engine/decision_space.h"
#include "engine/request_parser.h"

namespace statemark::cli {

void ReportClassCoverage(const CompiledPolicy& policy, const std::vector<PolicyTestResult>& results, bool verbose) {
  Result<DecisionSpace> space = EnumerateDecisionSpace(policy, {});
  if (!space.ok()) {
    std::cerr << "statemark test: class coverage not computed:\n" << RenderDiagnostics(space.diagnostics());
    return;
  }
  std::set<int> touched;
  for (const PolicyTestResult& r : results) {
    Request request;
    RequestError error;
    if (!ParseRequest(policy, r.test->request, r.test->clock.value_or(Now()), &request, &error)) continue;
    const int c = FindAuthorClass(policy, space.value(), request);
    if (c >= 0) touched.insert(c);
  }
  size_t authors = 0;
  for (const DecisionClass& c : space.value().classes) authors += c.subject == Subject::kAccount ? 1 : 0;
  std::cout << "class coverage: " << touched.size() << "/" << authors
            << " author classes of the decision space have a test (`statemark table` lists them)\n";
  if (!verbose) return;
  for (size_t i = 0; i < space.value().classes.size(); ++i) {
    const DecisionClass& c = space.value().classes[i];
    if (c.subject != Subject::kAccount || touched.count(static_cast<int>(i))) continue;
    std::string conditions;
    for (const ClassCondition& cond : c.conditions) conditions += (conditions.empty() ? "" : " ∧ ") + ConditionText(policy, cond);
    std::cout << "no test: " << c.id << ": " << (conditions.empty() ? "(any request)" : conditions) << "\n";
  }
}

}  // namespace statemark::cli
