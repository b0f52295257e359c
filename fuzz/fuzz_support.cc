#include "fuzz/fuzz_support.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "engine/compiler.h"
#include "engine/decision_json.h"
#include "engine/evaluator.h"
#include "engine/internal/reference_evaluator.h"
#include "engine/loader.h"
#include "engine/request_parser.h"

namespace statemark::fuzz {
namespace fs = std::filesystem;

namespace {

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "fuzz check failed: %s\n", what.c_str());
  std::abort();
}

// Removes the scratch directories at exit (libFuzzer exits through exit()).
struct ScratchDirs {
  std::vector<fs::path> dirs;
  ~ScratchDirs() {
    std::error_code ec;
    for (const fs::path& d : dirs) fs::remove_all(d, ec);
  }
};
ScratchDirs& Scratch() {
  static ScratchDirs s;
  return s;
}

std::vector<std::string> ExampleRequests() {
  std::vector<std::string> out;
  std::ifstream in(fs::path(STATEMARK_SOURCE_DIR) / "examples" / "requests" / "worked_examples.jsonl");
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

std::string Decide(const CompiledPolicy& policy, std::string_view text, bool reference) {
  Request request;
  RequestError error;
  std::string out;
  // A fixed clock: requests without a time decide the same both ways.
  if (!ParseRequestText(policy, text, Instant{1719835200}, &request, &error)) {
    if (error.code.empty() || error.message.empty()) Fail("request error without code or message");
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

fs::path DefaultRulesDir() { return fs::path(STATEMARK_SOURCE_DIR) / "rules"; }

fs::path MakeScratchPolicy(const std::vector<std::string>& files) {
  std::error_code ec;
  fs::path base = fs::is_directory("/dev/shm", ec) ? fs::path("/dev/shm") : fs::temp_directory_path();
  fs::path dir = base / ("statemark-fuzz-" + std::to_string(getpid()) + "-" +
                         std::to_string(Scratch().dirs.size()));
  fs::remove_all(dir, ec);
  fs::create_directories(dir / "registry");
  for (const std::string& f : files) {
    fs::copy(DefaultRulesDir() / f, dir / f, fs::copy_options::overwrite_existing);
  }
  Scratch().dirs.push_back(dir);
  return dir;
}

void WriteFile(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) Fail("cannot write " + path.string());
}

const CompiledPolicy& DefaultPolicy() {
  static const std::shared_ptr<const CompiledPolicy> policy = [] {
    auto loaded = LoadPolicy(DefaultRulesDir().string());
    if (!loaded.ok()) Fail("default policy: " + RenderDiagnostics(loaded.diagnostics()));
    auto compiled = Compile(loaded.value());
    if (!compiled.ok()) Fail("default policy: " + RenderDiagnostics(compiled.diagnostics()));
    return compiled.value();
  }();
  return *policy;
}

void CheckNoInternalError(const Diagnostics& diags) {
  for (const Diagnostic& d : diags.items()) {
    if (d.code == "internal-error") Fail(d.message);
  }
}

void DecideAndCheck(const CompiledPolicy& policy, std::string_view request) {
  const std::string tree = Decide(policy, request, false);
  const std::string reference = Decide(policy, request, true);
  if (tree != reference) Fail("tree and reference disagree\ntree:      " + tree + "\nreference: " + reference);
  if (!nlohmann::json::accept(tree)) Fail("output is not JSON: " + tree);
}

void CheckDecisions(const CompiledPolicy& policy) {
  static const std::vector<std::string> requests = ExampleRequests();
  for (const std::string& r : requests) DecideAndCheck(policy, r);
}

}  // namespace statemark::fuzz
