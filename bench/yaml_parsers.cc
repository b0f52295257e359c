// statemark-bench yaml FILE [--repeat N]: the YAML readers on one policy file, each
// timed alone, best of N runs (default 3), as one JSON object of seconds:
//   yaml_cpp_events  yaml-cpp's parser (YAML::Parser) into a handler that does nothing
//   yaml_cpp_load    YAML::Load: yaml-cpp's node tree, as the loader used to build it
//   libyaml_events   libyaml's event parser, events discarded
//   fast_reader      ReadYamlFast: libyaml's events into the loader's YamlDocument
// The measurement behind reading policy files with libyaml (docs/decisions.md).
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>
#include <yaml.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "bench/bench_commands.h"
#include "engine/internal/yaml_fast_reader.h"

namespace statemark::bench {
namespace {

class IgnoreEvents : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// Whether libyaml read the whole text.
bool LibyamlEvents(const std::string& text) {
  yaml_parser_t parser;
  yaml_parser_initialize(&parser);
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  bool ok = true;
  for (;;) {
    yaml_event_t event;
    if (yaml_parser_parse(&parser, &event) == 0) {
      ok = false;
      break;
    }
    const bool end = event.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&event);
    if (end) break;
  }
  yaml_parser_delete(&parser);
  return ok;
}

double BestOf(int repeat, const std::function<void()>& run) {
  double best = 1e9;
  for (int i = 0; i < repeat; ++i) {
    const auto start = std::chrono::steady_clock::now();
    run();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

}  // namespace

int YamlParsers(const Args& args) {
  if (args.empty()) {
    std::cerr << "usage: statemark-bench yaml FILE [--repeat N]\n";
    return 2;
  }
  int repeat = 3;
  if (args.size() >= 3 && args[1] == "--repeat") repeat = std::max(1, std::stoi(args[2]));
  std::ifstream in(args[0], std::ios::binary);
  if (!in) {
    std::cerr << "statemark-bench: cannot read " << args[0] << "\n";
    return 1;
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  const std::string text = bytes.str();
  bool ok = true;
  nlohmann::json out;
  out["bytes"] = text.size();
  out["yaml_cpp_events"] = BestOf(repeat, [&] {
    std::istringstream s(text);
    YAML::Parser parser(s);
    IgnoreEvents ignore;
    while (parser.HandleNextDocument(ignore)) {
    }
  });
  out["yaml_cpp_load"] = BestOf(repeat, [&] { ok = YAML::Load(text).IsDefined() && ok; });
  out["libyaml_events"] = BestOf(repeat, [&] { ok = LibyamlEvents(text) && ok; });
  out["fast_reader"] = BestOf(repeat, [&] { ok = internal::ReadYamlFast(text).has_value() && ok; });
  out["fast_reader_accepts"] = ok;
  std::cout << out.dump() << "\n";
  return 0;
}

}  // namespace statemark::bench
