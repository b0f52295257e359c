// `statemark-bench report DIR`: the figures table of docs/benchmarks.md, from the JSON
// files scripts/bench.sh writes. Every figure is shown with the baseline measured in the
// same run, their ratio, and the target for it.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "bench/bench_commands.h"

namespace statemark::bench {
namespace {

using nlohmann::json;

json Load(const std::filesystem::path& dir, const std::string& name) {
  std::ifstream in(dir / (name + ".json"));
  if (!in) return json();
  try {
    return json::parse(in);
  } catch (const json::exception&) {
    return json();
  }
}

double Num(const json& j, std::initializer_list<const char*> path) {
  const json* at = &j;
  for (const char* key : path) {
    if (!at->is_object() || !at->contains(key)) return 0;
    at = &(*at)[key];
  }
  return at->is_number() ? at->get<double>() : 0;
}

// True where the value at `path` is present and null: a figure the build did not measure
// (allocations, in builds that count none).
bool NotMeasured(const json& j, std::initializer_list<const char*> path) {
  const json* at = &j;
  for (const char* key : path) {
    if (!at->is_object() || !at->contains(key)) return false;
    at = &(*at)[key];
  }
  return at->is_null();
}

std::string Fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// One line of the figures table. A figure without a target has no verdict: `met` is
// ignored and the last column stays empty.
void Row(const std::string& figure, const std::string& value, const std::string& baseline,
         const std::string& ratio, const std::string& target, bool met) {
  const char* verdict = target.empty() ? "" : met ? "met" : "**not met**";
  std::cout << "| " << figure << " | " << value << " | " << baseline << " | " << ratio << " | " << target
            << " | " << verdict << " |\n";
}

}  // namespace

int Report(const Args& args) {
  if (args.size() != 1) {
    std::cerr << "usage: statemark-bench report DIR\n";
    return 2;
  }
  const std::filesystem::path dir = args[0];
  // Every measurement must have produced its file: a step that fails is an error, not
  // a missing row.
  int missing = 0;
  for (const char* name : {"hardware", "default_1000", "default_10000", "scaling_10", "scaling_100", "registry",
                           "json", "eval_cli", "http_bare_c1", "http_bare_c4", "http_single_c1", "http_single_c4",
                           "http_batch_c1", "http_batch_c2", "http_single_logged_c4", "http_batch_logged_c2",
                           "decision_log"}) {
    if (Load(dir, name).is_null()) {
      std::cerr << "statemark-bench report: no figures in " << (dir / name).string() << ".json\n";
      ++missing;
    }
  }
  const json hw = Load(dir, "hardware");
  std::cout << "Hardware: " << hw.value("cpu", "?") << ", " << hw.value("cores", 0) << " cores, "
            << static_cast<long>(Num(hw, {"memory_kb"}) / 1024) << " MB; load average at start "
            << hw.value("load_average", "?") << "; " << hw.value("compiler", "?") << ", "
            << hw.value("build_type", "?") << ".\n\n";
  std::cout << "| figure | value | baseline (same run) | ratio | target | |\n|---|---|---|---|---|---|\n";

  // Default policy.
  for (const char* name : {"default_1000", "default_10000"}) {
    const json d = Load(dir, name);
    if (d.is_null()) continue;
    const std::string n = std::to_string(d.value("requests", 0));
    const double tree = Num(d, {"tree", "median_ns"});
    const double hand = Num(d, {"handwritten", "median_ns"});
    const double reference = Num(d, {"reference", "median_ns"});
    Row("default policy, median ns/decision (" + n + " requests)", Fmt("%.0f ns", tree),
        "hand-written " + Fmt("%.0f ns", hand), Fmt("%.2fx", tree / hand), "≤ 200 ns and ≤ 3x",
        tree <= 200 && tree <= 3 * hand);
    Row("default policy, p99 ns/decision (" + n + ")", Fmt("%.0f ns", Num(d, {"tree", "p99_ns"})),
        "hand-written " + Fmt("%.0f ns", Num(d, {"handwritten", "p99_ns"})), "", "", true);
    Row("reference evaluator (" + n + ")", Fmt("%.0f ns", reference), "tree " + Fmt("%.0f ns", tree),
        Fmt("%.1fx slower", reference / tree), "", true);
    if (NotMeasured(d, {"tree", "allocations_per_decision"})) {
      std::cout << "| heap allocations per decision (" << n << ") | not counted in this build | | | 0 | not measured |\n";
    } else {
      const double allocations = Num(d, {"tree", "allocations_per_decision"});
      Row("heap allocations per decision (" + n + ")", Fmt("%.2f", allocations), "", "", "0", allocations == 0);
    }
  }

  // Scaling.
  const json s10 = Load(dir, "scaling_10");
  for (const char* n : {"10", "100", "1000", "10000"}) {
    const json s = Load(dir, std::string("scaling_") + n);
    if (s.is_null()) continue;
    const double median = Num(s, {"tree", "median_ns"});
    const double base = Num(s10, {"tree", "median_ns"});
    const bool last = std::string(n) == "10000";
    Row(std::string("scaling ") + n + " rules, median ns/decision", Fmt("%.0f ns", median),
        "10 rules " + Fmt("%.0f ns", base), Fmt("%.2fx", median / base), last ? "≤ 2x at 10,000" : "",
        !last || median <= 2 * base);
    const double load = Num(s, {"load_seconds"}), compile = Num(s, {"compile_seconds"});
    Row(std::string("scaling ") + n + " rules, load + compile", Fmt("%.3f s", load + compile),
        "load " + Fmt("%.3f s", load) + ", compile " + Fmt("%.3f s", compile), "",
        last ? "≤ 1 s at 10,000" : "", !last || load + compile <= 1.0);
    Row(std::string("scaling ") + n + " rules, tree", Fmt("%.0f nodes", Num(s, {"tree_nodes"})),
        Fmt("%.0f KB compiled arrays", Num(s, {"tree_bytes"}) / 1024),
        Fmt("peak RSS %.0f MB", Num(s, {"peak_rss_kb_after_load"}) / 1024), "reported", true);
  }

  // Registry.
  const json reg = Load(dir, "registry");
  if (!reg.is_null()) {
    const double load = Num(reg, {"load_seconds"});
    const double rss = Num(reg, {"peak_rss_kb_after_load"}) / 1024;
    const double base_rss = Num(Load(dir, "default_1000"), {"peak_rss_kb_after_load"}) / 1024;
    const std::string accounts = std::to_string(static_cast<long>(Num(reg, {"registry_accounts"})));
    Row("registry " + accounts + " accounts, load", Fmt("%.2f s", load), "", "", "≤ 2 s", load <= 2.0);
    Row("registry " + accounts + " accounts, peak RSS", Fmt("%.0f MB", rss),
        "default policy " + Fmt("%.0f MB", base_rss), Fmt("registry %.0f MB", Num(reg, {"registry_bytes"}) / 1048576),
        "≤ 250 MB", rss <= 250);
    Row("registry " + accounts + " accounts, median ns/decision", Fmt("%.0f ns", Num(reg, {"tree", "median_ns"})),
        "28 accounts " + Fmt("%.0f ns", Num(Load(dir, "default_1000"), {"tree", "median_ns"})), "", "", true);
  }

  // The eval path.
  const json j = Load(dir, "json");
  if (!j.is_null()) {
    const double eval = Num(j, {"eval_path", "lines_per_second"});
    const double dump = Num(j, {"parse_and_dump", "lines_per_second"});
    Row("`statemark eval` path, lines/s", Fmt("%.0f", eval), "nlohmann parse + dump " + Fmt("%.0f", dump),
        Fmt("%.0f%%", 100 * eval / dump), "≥ 60%", eval >= 0.6 * dump);
    for (const char* stage : {"request_parser", "request_parser_record", "evaluate", "render", "nlohmann_dom_parse", "nlohmann_sax_parse",
                              "simdjson_ondemand_parse"}) {
      if (!j.contains(stage)) continue;
      const bool counted = !NotMeasured(j, {stage, "allocations_per_line"});
      Row(std::string("  stage: ") + stage, Fmt("%.0f ns/line", Num(j, {stage, "ns_per_line"})),
          counted ? Fmt("%.1f allocations/line", Num(j, {stage, "allocations_per_line"})) : "allocations not counted",
          "", "", true);
    }
    const json cli = Load(dir, "eval_cli");
    if (!cli.is_null()) {
      Row("`statemark eval` end to end (stdin to stdout)",
          Fmt("%.0f lines/s", Num(cli, {"lines"}) / Num(cli, {"seconds"})), "", "", "", true);
    }
  }

  // HTTP.
  for (const char* c : {"1", "4"}) {
    const json single = Load(dir, std::string("http_single_c") + c);
    const json bare = Load(dir, std::string("http_bare_c") + c);
    if (single.is_null() || bare.is_null()) continue;
    const double mine = Num(single, {"requests_per_second"}), base = Num(bare, {"requests_per_second"});
    Row(std::string("HTTP single decisions, ") + c + " connection(s), req/s", Fmt("%.0f", mine),
        "bare cpp-httplib " + Fmt("%.0f", base), Fmt("%.0f%%", 100 * mine / base), "≥ 70%", mine >= 0.7 * base);
  }
  for (const char* c : {"1", "2"}) {
    const json b = Load(dir, std::string("http_batch_c") + c);
    if (b.is_null()) continue;
    const double rate = Num(b, {"decisions_per_second"}), p99 = Num(b, {"p99_ms"});
    Row(std::string("HTTP batches of 1,000, ") + c + " connection(s), decisions/s", Fmt("%.0f", rate), "", "",
        "≥ 500,000", rate >= 500000);
    Row(std::string("HTTP batches of 1,000, ") + c + " connection(s), p99 per batch", Fmt("%.1f ms", p99),
        Fmt("p50 %.1f ms", Num(b, {"p50_ms"})), "", "≤ 10 ms", p99 <= 10);
  }
  const json logged = Load(dir, "http_single_logged_c4"), unlogged = Load(dir, "http_single_c4");
  if (!logged.is_null() && !unlogged.is_null()) {
    const double on = Num(logged, {"requests_per_second"}), off = Num(unlogged, {"requests_per_second"});
    Row("decision log 100%, single decisions (4 connections), req/s", Fmt("%.0f", on), "log off " + Fmt("%.0f", off),
        Fmt("%.0f%%", 100 * on / off), "≥ 90%", on >= 0.9 * off);
  }
  const json logged_batch = Load(dir, "http_batch_logged_c2"), unlogged_batch = Load(dir, "http_batch_c2");
  if (!logged_batch.is_null() && !unlogged_batch.is_null()) {
    const double on = Num(logged_batch, {"decisions_per_second"});
    const double off = Num(unlogged_batch, {"decisions_per_second"});
    Row("decision log 100%, batches (2 connections), decisions/s", Fmt("%.0f", on), "log off " + Fmt("%.0f", off),
        Fmt("%.0f%%", 100 * on / off), "≥ 90%", on >= 0.9 * off);
  }
  return missing == 0 ? 0 : 1;
}

}  // namespace statemark::bench
