// Test support (see test_support.h).
#include "tests/test_support.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <random>

#include "engine/compiler.h"
#include "engine/decision_json.h"
#include "engine/evaluator.h"
#include "engine/internal/reference_evaluator.h"
#include "engine/loader.h"
#include "engine/request_parser.h"

namespace statemark::testing {
namespace fs = std::filesystem;

std::shared_ptr<const CompiledPolicy> CompileOrFail(const std::string& dir) {
  auto loaded = LoadPolicy(dir);
  if (!loaded.ok()) {
    FAIL_CHECK("policy failed to load:\n" << RenderDiagnostics(loaded.diagnostics()));
    return nullptr;
  }
  auto compiled = Compile(loaded.value());
  if (!compiled.ok()) {
    FAIL_CHECK("policy failed to compile:\n" << RenderDiagnostics(compiled.diagnostics()));
    return nullptr;
  }
  return compiled.value();
}

long ScaledCount(long full, long minimum) {
  const char* env = std::getenv("STATEMARK_TEST_WORK_SCALE");
  const double scale = env != nullptr ? std::atof(env) : 1.0;
  return std::max(minimum, static_cast<long>(static_cast<double>(full) * (scale > 0 ? scale : 1.0)));
}

namespace {
std::string Decide(const CompiledPolicy& policy, const std::string& json, bool reference) {
  Request request;
  RequestError error;
  std::string out;
  if (!ParseRequestText(policy, json, Instant{0}, &request, &error)) {
    AppendErrorJson(error, &out);
    return out;
  }
  auto decision = std::make_unique<Decision>();
  if (reference) {
    internal::ReferenceEvaluate(policy, request, decision.get());
  } else {
    Evaluate(policy, request, decision.get());
  }
  AppendDecisionJson(policy, request, *decision, &out);
  return out;
}
}  // namespace

std::string DecideJson(const CompiledPolicy& policy, const std::string& json) {
  return Decide(policy, json, false);
}

std::string ReferenceDecideJson(const CompiledPolicy& policy, const std::string& json) {
  return Decide(policy, json, true);
}

ScratchDir::ScratchDir() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  path_ = fs::temp_directory_path() /
          ("statemark-test-" + std::to_string(rd()) + "-" + std::to_string(counter++));
  fs::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void ScratchDir::CopyDefaultPolicy() const {
  for (const auto& entry : fs::directory_iterator(DefaultRulesDir())) {
    if (entry.path().filename() == "tests") continue;
    fs::copy(entry.path(), path_ / entry.path().filename(),
             fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  }
}

void ScratchDir::Write(const std::string& relative, const std::string& text) const {
  fs::create_directories((path_ / relative).parent_path());
  std::ofstream(path_ / relative, std::ios::binary) << text;
}

}  // namespace statemark::testing
