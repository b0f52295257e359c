// `statemark bench [--rules DIR] [--requests FILE | --generate N] [--seed S] [--seconds T] [--json]`
//
// Evaluation speed: requests are parsed beforehand, so this times Evaluate() alone
// (registry lookups included). After a warm-up pass it times batches of 256
// decisions until T seconds have passed, and reports the median and 99th percentile
// of the per-decision time over batches, decisions per second, and heap allocations
// per decision. The reference evaluator (the rules interpreted one by one) runs on
// the same requests in the same process as a baseline, and so does, for the default
// policy, the policy written by hand in C++ (bench/handwritten_policy.h), the practical
// limit the tree is measured against.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "bench/handwritten_policy.h"
#include "cli/allocation_counter.h"
#include "cli/commands.h"
#include "cli/policy_loading.h"
#include "engine/compiler.h"
#include "engine/evaluator.h"
#include "engine/internal/reference_evaluator.h"
#include "engine/loader.h"
#include "engine/request_generator.h"
#include "engine/request_parser.h"

namespace statemark::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct Timing {
  double median_ns = 0, p99_ns = 0, per_second = 0, allocations = 0;
  long decisions = 0;
};

template <typename Decide>
Timing Measure(const std::vector<Request>& requests, double seconds, Decide decide) {
  constexpr size_t kBatch = 256;
  for (const Request& r : requests) decide(r);  // warm-up
  std::vector<double> batch_ns;
  Timing t;
  long allocations = 0;  // counted around the decisions only, not the bookkeeping
  const auto start = Clock::now();
  size_t next = 0;
  while (Clock::now() - start < std::chrono::duration<double>(seconds)) {
    const long alloc_before = ThreadAllocations();
    const auto b = Clock::now();
    for (size_t i = 0; i < kBatch; ++i) {
      decide(requests[next]);
      next = next + 1 == requests.size() ? 0 : next + 1;
    }
    const auto e = Clock::now();
    allocations += ThreadAllocations() - alloc_before;
    batch_ns.push_back(std::chrono::duration<double, std::nano>(e - b).count() / kBatch);
    t.decisions += kBatch;
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(batch_ns.begin(), batch_ns.end());
  t.median_ns = batch_ns[batch_ns.size() / 2];
  t.p99_ns = batch_ns[std::min(batch_ns.size() - 1, batch_ns.size() * 99 / 100)];
  t.per_second = static_cast<double>(t.decisions) / elapsed;
  t.allocations = static_cast<double>(allocations) / static_cast<double>(t.decisions);
  return t;
}

std::vector<Request> ReadRequests(const CompiledPolicy& policy, const std::optional<std::string>& file,
                                  long generate, uint64_t seed) {
  std::vector<Request> out;
  RequestError error;
  if (file) {
    std::ifstream in(*file);
    std::string line;
    while (std::getline(in, line)) {
      Request r;
      if (ParseRequestText(policy, line, Now(), &r, &error)) out.push_back(std::move(r));
    }
    return out;
  }
  GeneratorOptions options;
  options.seed = seed;
  RequestGenerator generator(policy, options);
  while (static_cast<long>(out.size()) < generate) {
    Request r;
    if (ParseRequest(policy, generator.Next(), Now(), &r, &error)) out.push_back(std::move(r));
  }
  return out;
}

// The process's peak resident set so far, in KB (Linux reports ru_maxrss in KB).
long PeakRssKb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// Allocations per decision: null in JSON, "not counted" in text, where the build counts
// none (cli/allocation_counter.h).
nlohmann::json ToJson(const Timing& t) {
  return {{"median_ns", t.median_ns}, {"p99_ns", t.p99_ns}, {"decisions_per_second", t.per_second},
          {"allocations_per_decision", AllocationsCounted() ? nlohmann::json(t.allocations) : nlohmann::json()},
          {"decisions", t.decisions}};
}

std::string AllocationsText(const Timing& t) {
  if (!AllocationsCounted()) return "not counted";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", t.allocations);
  return buf;
}

}  // namespace

int Bench(const Args& args_in) {
  Args args = args_in;
  bool bad = false;
  const std::string dir = TakeFlag(&args, "--rules", &bad).value_or("rules");
  const auto file = TakeFlag(&args, "--requests", &bad);
  const long generate = std::stol(TakeFlag(&args, "--generate", &bad).value_or("10000"));
  const uint64_t seed = std::stoull(TakeFlag(&args, "--seed", &bad).value_or("1"));
  const double seconds = std::stod(TakeFlag(&args, "--seconds", &bad).value_or("2"));
  const bool json = TakeSwitch(&args, "--json");
  if (bad || !args.empty()) {
    std::cerr << "usage: statemark bench [--rules DIR] [--requests FILE | --generate N] [--seed S] "
                 "[--seconds T] [--json]\n";
    return kExitUsage;
  }
  // Loading (YAML, registry) and compiling (the tree) are timed apart.
  const auto load_start = Clock::now();
  auto loaded = LoadPolicy(dir);
  const double load_seconds = std::chrono::duration<double>(Clock::now() - load_start).count();
  std::cerr << RenderDiagnostics(loaded.diagnostics());
  if (!loaded.ok()) return kExitFailed;
  const auto compile_start = Clock::now();
  auto compiled = Compile(loaded.value());
  const double compile_seconds = std::chrono::duration<double>(Clock::now() - compile_start).count();
  std::cerr << RenderDiagnostics(compiled.diagnostics());
  if (!compiled.ok()) return kExitFailed;
  const std::shared_ptr<const CompiledPolicy> policy = compiled.value();
  const long loaded_rss_kb = PeakRssKb();
  const std::vector<Request> requests = ReadRequests(*policy, file, generate, seed);
  if (requests.empty()) {
    std::cerr << "statemark bench: no valid requests\n";
    return kExitFailed;
  }
  auto decision = std::make_unique<Decision>();
  const Timing tree = Measure(requests, seconds, [&](const Request& r) { Evaluate(*policy, r, decision.get()); });
  const Timing reference = Measure(requests, std::min(seconds, 1.0), [&](const Request& r) {
    internal::ReferenceEvaluate(*policy, r, decision.get());
  });
  // The hand-written baseline exists for the default policy's rules only.
  std::unique_ptr<bench::HandwrittenPolicy> hand;
  try {
    hand = std::make_unique<bench::HandwrittenPolicy>(*policy);
  } catch (const std::exception&) {
  }
  std::optional<Timing> handwritten;
  if (hand) {
    bench::HandwrittenDecision out;
    handwritten = Measure(requests, seconds, [&](const Request& r) { hand->Decide(r, &out); });
  }
  const TreeStats& s = policy->stats();
  if (json) {
    nlohmann::json out = {{"requests", requests.size()}, {"tree", ToJson(tree)}, {"reference", ToJson(reference)},
                          {"tree_nodes", s.nodes}, {"tree_bytes", s.bytes}, {"rules", policy->policy().rules.size()},
                          {"cond_nodes", s.cond_nodes}, {"leaves", s.leaves}, {"max_depth", s.max_depth},
                          {"registry_bytes", policy->registry().MemoryBytes()},
                          {"registry_accounts", policy->registry().size()}, {"load_seconds", load_seconds},
                          {"compile_seconds", compile_seconds}, {"peak_rss_kb_after_load", loaded_rss_kb}};
    if (handwritten) out["handwritten"] = ToJson(*handwritten);
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  std::printf("policy: %zu rules, tree of %zu nodes (%zu bytes), %zu requests\n", policy->policy().rules.size(),
              s.nodes, s.bytes, requests.size());
  std::printf("load %.3f s, compile %.3f s, %d registry accounts, peak RSS after compiling %ld KB\n", load_seconds,
              compile_seconds, policy->registry().size(), loaded_rss_kb);
  std::printf("%-20s %12s %12s %16s %14s\n", "evaluator", "median ns", "p99 ns", "decisions/s", "allocs/decision");
  std::printf("%-20s %12.1f %12.1f %16.0f %14s\n", "decision tree", tree.median_ns, tree.p99_ns, tree.per_second,
              AllocationsText(tree).c_str());
  std::printf("%-20s %12.1f %12.1f %16.0f %14s\n", "reference (baseline)", reference.median_ns, reference.p99_ns,
              reference.per_second, AllocationsText(reference).c_str());
  if (handwritten) {
    std::printf("%-20s %12.1f %12.1f %16.0f %14s\n", "hand-written C++", handwritten->median_ns,
                handwritten->p99_ns, handwritten->per_second, AllocationsText(*handwritten).c_str());
  }
  std::printf("speed-up over the reference: %.1fx\n", reference.median_ns / tree.median_ns);
  if (handwritten) std::printf("tree / hand-written: %.2fx\n", tree.median_ns / handwritten->median_ns);
  return kExitOk;
}

}  // namespace statemark::cli
