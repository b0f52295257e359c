// `statemark test [DIR] [--rules DIR] [--filter TEXT] [--junit FILE] [--min-coverage PERCENT]
// [--verbose]`: runs the policy's own test cases (DIR/tests/*.yaml) against DIR.
//
// Prints one block per failing case (file:line, name, each mismatch, the rules that
// decided), then `N passed, M failed` alone on a line, then the rule coverage. Exits 1
// when a case fails, when the cases do not load, or when rule coverage is below the
// minimum (default 0).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/class_coverage.h"
#include "cli/commands.h"
#include "cli/policy_loading.h"
#include "engine/policy_tests.h"

namespace statemark::cli {
namespace {

constexpr const char* kUsage =
    "usage: statemark test [DIR] [--rules DIR] [--filter TEXT] [--junit FILE]\n"
    "                      [--min-coverage PERCENT] [--verbose]\n"
    "  --filter TEXT  only the cases whose name contains TEXT; `tag:NAME` for a tag\n";

struct Options {
  std::string dir = "rules";
  std::string filter;
  std::string junit;
  double min_coverage = 0;
  bool verbose = false;
};

// Fills `options` from `args`; false on a usage error.
bool ParseOptions(Args args, Options* options) {
  bool bad = false;
  if (auto v = TakeFlag(&args, "--rules", &bad)) options->dir = *v;
  options->filter = TakeFlag(&args, "--filter", &bad).value_or("");
  options->junit = TakeFlag(&args, "--junit", &bad).value_or("");
  if (auto v = TakeFlag(&args, "--min-coverage", &bad)) {
    char* end = nullptr;
    options->min_coverage = std::strtod(v->c_str(), &end);
    bad = bad || v->empty() || *end != '\0' || options->min_coverage < 0 ||
          options->min_coverage > 100;
  }
  options->verbose = TakeSwitch(&args, "--verbose");
  if (!args.empty() && args[0].rfind("--", 0) != 0) {
    options->dir = args[0];
    args.erase(args.begin());
  }
  return !bad && args.empty();
}

// `85%`, `33.3%`: one decimal, and none when it is zero.
std::string Percent(double p) {
  char buf[32];
  const double tenths = std::floor(p * 10 + 1e-9) / 10;  // never round up to a passing 100%
  std::snprintf(buf, sizeof buf, tenths == std::floor(tenths) ? "%.0f%%" : "%.1f%%", tenths);
  return buf;
}

std::string Joined(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string Where(const PolicyTestCase& t) { return t.file + ":" + std::to_string(t.line); }

// What the rules of a decision were, for a failure report.
std::string DecidedBy(const PolicyTestResult& r) {
  std::string out = r.deciding_rules.empty() ? "no rule" : Joined(r.deciding_rules, ", ");
  if (!r.shadow_rules.empty()) out += " (shadow: " + Joined(r.shadow_rules, ", ") + ")";
  return out;
}

void PrintResult(const PolicyTestResult& r, bool verbose) {
  if (r.passed) {
    if (verbose) std::cout << "ok   " << Where(*r.test) << ": " << r.test->name << "\n";
    return;
  }
  std::cout << "FAIL " << Where(*r.test) << ": " << r.test->name << "\n";
  for (const std::string& m : r.mismatches) std::cout << "  " << m << "\n";
  std::cout << "  decided by: " << DecidedBy(r) << "\n";
  if (verbose) std::cout << "  decision: " << r.decision_json << "\n";
}

// ---------------------------------------------------------------------------------
// JUnit XML: one testsuite per file, one testcase per case.

// The entity that stands for `c` in XML text and attributes, or nullptr for none.
const char* XmlEntity(char c) {
  switch (c) {
    case '&':
      return "&amp;";
    case '<':
      return "&lt;";
    case '>':
      return "&gt;";
    case '"':
      return "&quot;";
    case '\'':
      return "&apos;";
    case '\n':
      return "&#10;";  // kept in attributes, where a raw newline would read as a space
    case '\t':
      return "&#9;";
    default:
      return nullptr;
  }
}

std::string XmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (const char* entity = XmlEntity(c)) {
      out += entity;
    } else if (static_cast<unsigned char>(c) >= 0x20 || c == '\r') {
      out.push_back(c);  // XML 1.0 cannot hold other control characters, even escaped
    }
  }
  return out;
}

std::string FileStem(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  std::string stem = slash == std::string::npos ? path : path.substr(slash + 1);
  const size_t dot = stem.rfind('.');
  return dot == std::string::npos ? stem : stem.substr(0, dot);
}

void WriteTestCase(const PolicyTestResult& r, std::ostream& out) {
  const PolicyTestCase& t = *r.test;
  out << "    <testcase name=\"" << XmlEscape(t.name) << "\" classname=\""
      << XmlEscape(FileStem(t.file)) << "\" file=\"" << XmlEscape(t.file) << "\" line=\"" << t.line
      << "\"";
  if (r.passed) {
    out << "/>\n";
    return;
  }
  const std::string details = Joined(r.mismatches, "\n") + "\ndecided by: " + DecidedBy(r) +
                              "\ndecision: " + r.decision_json;
  out << ">\n      <failure message=\"" << XmlEscape(Joined(r.mismatches, "; ")) << "\">"
      << XmlEscape(details) << "</failure>\n    </testcase>\n";
}

// Results are in file order, so each file's cases are consecutive.
std::string JUnitXml(const std::vector<PolicyTestResult>& results) {
  std::ostringstream out;
  int failures = 0;
  for (const PolicyTestResult& r : results) failures += r.passed ? 0 : 1;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"statemark\" tests=\""
      << results.size() << "\" failures=\"" << failures << "\">\n";
  for (size_t i = 0; i < results.size();) {
    size_t end = i;
    int suite_failures = 0;
    while (end < results.size() && results[end].test->file == results[i].test->file) {
      suite_failures += results[end++].passed ? 0 : 1;
    }
    out << "  <testsuite name=\"" << XmlEscape(results[i].test->file) << "\" tests=\"" << end - i
        << "\" failures=\"" << suite_failures << "\">\n";
    for (; i < end; ++i) WriteTestCase(results[i], out);
    out << "  </testsuite>\n";
  }
  out << "</testsuites>\n";
  return out.str();
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (out) return true;
  std::cerr << "statemark test: cannot write `" << path << "`\n";
  return false;
}

// Prints the coverage lines; false when coverage is below the minimum.
bool ReportCoverage(const Coverage& c, double min_coverage) {
  std::cout << "rule coverage: " << c.rules_deciding << "/" << c.rules_total << " ("
            << Percent(c.rule_coverage) << ")\n";
  if (!c.rules_never_deciding.empty()) {
    std::cout << "rules that decided no test: " << Joined(c.rules_never_deciding, ", ") << "\n";
  }
  if (c.rule_coverage >= min_coverage) return true;
  std::cerr << "statemark test: rule coverage " << Percent(c.rule_coverage)
            << " is below the minimum " << Percent(min_coverage) << "\n";
  return false;
}

}  // namespace

int Test(const Args& args) {
  Options options;
  if (!ParseOptions(args, &options)) {
    std::cerr << kUsage;
    return kExitUsage;
  }
  auto policy = LoadAndCompile(options.dir);
  if (!policy) return kExitFailed;
  auto tests = LoadPolicyTests(options.dir + "/tests");
  std::cerr << RenderDiagnostics(tests.diagnostics());
  if (!tests.ok()) {
    std::cerr << tests.diagnostics().error_count() << " error(s) in `" << options.dir
              << "/tests`\n";
    return kExitFailed;
  }
  const std::vector<PolicyTestResult> results =
      RunPolicyTests(*policy, tests.value(), options.filter);
  int failed = 0;
  for (const PolicyTestResult& r : results) {
    PrintResult(r, options.verbose);
    failed += r.passed ? 0 : 1;
  }
  std::cout << results.size() - static_cast<size_t>(failed) << " passed, " << failed << " failed\n";
  const bool coverage_ok = ReportCoverage(ComputeCoverage(*policy, results), options.min_coverage);
  ReportClassCoverage(*policy, results, options.verbose);
  const bool junit_ok = options.junit.empty() || WriteFile(options.junit, JUnitXml(results));
  return failed == 0 && coverage_ok && junit_ok ? kExitOk : kExitFailed;
}

}  // namespace statemark::cli
