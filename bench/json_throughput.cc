// `statemark-bench json`: the JSON-lines path of `statemark eval`, in process, against
// the baseline the performance target names (parse and re-serialise the same lines
// with the same library), with each stage and the parser alternatives timed apart.
//
// Every measurement runs over all lines repeatedly for --seconds and reports the mean
// nanoseconds per line and lines per second. Output goes to a reused string, as
// `statemark eval` writes it, so no measurement includes I/O.
#include <chrono>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#ifdef STATEMARK_HAVE_SIMDJSON
#include <simdjson.h>
#endif

#include "bench/bench_commands.h"
#include "cli/allocation_counter.h"
#include "cli/policy_loading.h"
#include "engine/decision_json.h"
#include "engine/evaluator.h"
#include "engine/request_parser.h"

namespace statemark::bench {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

struct Rate {
  double ns_per_line = 0;
  double lines_per_second = 0;
  double allocations_per_line = 0;
};

// Runs `per_line` over every line, round after round, for `seconds` (after one warm-up
// round).
Rate Time(const std::vector<std::string>& lines, double seconds,
          const std::function<void(const std::string&)>& per_line) {
  for (const std::string& l : lines) per_line(l);
  long done = 0;
  const long allocations_before = cli::ThreadAllocations();
  const auto start = Clock::now();
  double elapsed = 0;
  do {
    for (const std::string& l : lines) per_line(l);
    done += static_cast<long>(lines.size());
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  Rate r;
  r.ns_per_line = elapsed * 1e9 / static_cast<double>(done);
  r.lines_per_second = static_cast<double>(done) / elapsed;
  r.allocations_per_line =
      static_cast<double>(cli::ThreadAllocations() - allocations_before) / static_cast<double>(done);
  return r;
}

// allocations_per_line is null where the build counts none (cli/allocation_counter.h).
json ToJson(const Rate& r) {
  return {{"ns_per_line", r.ns_per_line},
          {"lines_per_second", r.lines_per_second},
          {"allocations_per_line", cli::AllocationsCounted() ? json(r.allocations_per_line) : json()}};
}

// A SAX handler that accepts everything and keeps nothing: the cost of nlohmann's
// tokenizer alone, the floor for any nlohmann-based request parser.
struct NullSax : nlohmann::json_sax<json> {
  long events = 0;
  bool null() override { return ++events, true; }
  bool boolean(bool) override { return ++events, true; }
  bool number_integer(number_integer_t) override { return ++events, true; }
  bool number_unsigned(number_unsigned_t) override { return ++events, true; }
  bool number_float(number_float_t, const string_t&) override { return ++events, true; }
  bool string(string_t&) override { return ++events, true; }
  bool binary(binary_t&) override { return ++events, true; }
  bool start_object(std::size_t) override { return ++events, true; }
  bool key(string_t&) override { return ++events, true; }
  bool end_object() override { return ++events, true; }
  bool start_array(std::size_t) override { return ++events, true; }
  bool end_array() override { return ++events, true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }
};

#ifdef STATEMARK_HAVE_SIMDJSON
// Visits every value of a simdjson On-Demand document (On-Demand parses lazily, so a
// fair comparison must touch everything a request parser would).
long Visit(simdjson::ondemand::value v) {
  long n = 1;
  switch (v.type().value()) {
    case simdjson::ondemand::json_type::object:
      for (auto field : v.get_object()) {
        n += static_cast<long>(field.unescaped_key().value().size());
        n += Visit(field.value().value());
      }
      break;
    case simdjson::ondemand::json_type::array:
      for (auto item : v.get_array()) n += Visit(item.value());
      break;
    case simdjson::ondemand::json_type::string:
      n += static_cast<long>(v.get_string().value().size());
      break;
    case simdjson::ondemand::json_type::boolean:
      n += v.get_bool().value() ? 1 : 0;
      break;
    default:
      break;
  }
  return n;
}
#endif

}  // namespace

int JsonThroughput(const Args& args_in) {
  cli::Args args = args_in;
  bool bad = false;
  const std::string dir = cli::TakeFlag(&args, "--rules", &bad).value_or("rules");
  const auto file = cli::TakeFlag(&args, "--requests", &bad);
  const double seconds = std::stod(cli::TakeFlag(&args, "--seconds", &bad).value_or("2"));
  if (bad || !args.empty() || !file) {
    std::cerr << "usage: statemark-bench json --requests FILE [--rules DIR] [--seconds T]\n";
    return 2;
  }
  auto policy = cli::LoadAndCompile(dir);
  if (!policy) return 1;
  std::vector<std::string> lines;
  {
    std::ifstream in(*file);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty()) lines.push_back(line);
    }
  }
  if (lines.empty()) {
    std::cerr << "statemark-bench json: no lines in " << *file << "\n";
    return 1;
  }

  std::string out;
  out.reserve(1 << 16);
  auto reset = [&] {
    if (out.size() > (1 << 15)) out.clear();
  };
  Request request;
  RequestError error;
  auto decision = std::make_unique<Decision>();
  const Instant now = Now();
  json result = {{"lines", lines.size()}};

  // The baseline: parse and re-serialise with nlohmann/json, as a line-to-line filter.
  result["parse_and_dump"] = ToJson(Time(lines, seconds, [&](const std::string& l) {
    reset();
    out += json::parse(l).dump();
    out += '\n';
  }));
  // What `statemark eval` does per line (cli/eval_command.cc), without the I/O.
  result["eval_path"] = ToJson(Time(lines, seconds, [&](const std::string& l) {
    reset();
    if (!ParseRequestText(*policy, l, now, &request, &error)) {
      AppendErrorJson(error, &out);
    } else {
      Evaluate(*policy, request, decision.get());
      AppendDecisionJson(*policy, request, *decision, &out);
    }
    out += '\n';
  }));
  // The stages of the eval path, apart.
  result["request_parser"] = ToJson(Time(lines, seconds, [&](const std::string& l) {
    ParseRequestText(*policy, l, now, &request, &error);
  }));
  // The parser of record alone (nlohmann/json), without the simdjson fast path.
  result["request_parser_record"] = ToJson(Time(lines, seconds, [&](const std::string& l) {
    ParseRequestTextSlow(*policy, l, now, &request, &error);
  }));
  std::vector<Request> parsed(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) ParseRequestText(*policy, lines[i], now, &parsed[i], &error);
  size_t next = 0;
  auto next_request = [&]() -> const Request& {
    const Request& r = parsed[next];
    next = next + 1 == parsed.size() ? 0 : next + 1;
    return r;
  };
  result["evaluate"] = ToJson(Time(lines, seconds, [&](const std::string&) {
    Evaluate(*policy, next_request(), decision.get());
  }));
  result["render"] = ToJson(Time(lines, seconds, [&](const std::string&) {
    reset();
    const Request& r = next_request();
    Evaluate(*policy, r, decision.get());
    AppendDecisionJson(*policy, r, *decision, &out);
  }));
  // Parser alternatives on the same lines: what the request parser could be built on.
  result["nlohmann_dom_parse"] = ToJson(Time(lines, seconds, [&](const std::string& l) {
    json j = json::parse(l);
    (void)j;
  }));
  result["nlohmann_sax_parse"] = ToJson(Time(lines, seconds, [&](const std::string& l) {
    NullSax sax;
    json::sax_parse(l, &sax);
  }));
#ifdef STATEMARK_HAVE_SIMDJSON
  simdjson::ondemand::parser simd;
  std::string buffer;  // reused, with simdjson's padding after the text
  long sink = 0;
  result["simdjson_ondemand_parse"] = ToJson(Time(lines, seconds, [&](const std::string& l) {
    buffer.assign(l);
    buffer.reserve(l.size() + simdjson::SIMDJSON_PADDING);
    auto doc = simd.iterate(simdjson::padded_string_view(buffer.data(), l.size(), buffer.capacity()));
    sink += Visit(doc.get_value().value());
  }));
  if (sink == 42) std::cerr << "";
#endif
  std::cout << result.dump(2) << "\n";
  return 0;
}

}  // namespace statemark::bench
