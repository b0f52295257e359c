// The bad-request corpus: tests/corpus/bad_requests/NNN_name.json holds one request
// body (one line) and NNN_name.expected the exact error it must produce. Each case goes
// through `statemark eval` (one input line, one output line) and through the service's
// POST /v1/decide (status 400, the same bytes).
//
// Adding a case: write the .json, run
//   STATEMARK_UPDATE_CORPUS=1 build/tests/service/statemark_service_tests -tc='bad request corpus*'
// and review the .expected it wrote: it is the specification.
#include <doctest/doctest.h>
#include <stdio.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tests/service/serve_process.h"

namespace statemark::service_test {
namespace {

namespace fs = std::filesystem;

const fs::path kCorpus = fs::path(STATEMARK_SOURCE_DIR) / "tests" / "corpus" / "bad_requests";

// name -> body, in name order.
std::map<std::string, std::string> Cases() {
  std::map<std::string, std::string> out;
  for (const auto& entry : fs::directory_iterator(kCorpus)) {
    if (entry.path().extension() == ".json") out[entry.path().stem().string()] = ReadFile(entry.path());
  }
  return out;
}

// Runs `statemark eval` over `input`; its stdout lines.
std::vector<std::string> Eval(const std::string& input) {
  ScratchDir dir;
  const fs::path in = dir.path() / "requests.jsonl";
  std::ofstream(in, std::ios::binary) << input;
  const std::string command = std::string(STATEMARK_BINARY) + " eval --rules " + STATEMARK_SOURCE_DIR +
                              "/rules < " + in.string();
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  char buf[4096];
  for (size_t n; pipe != nullptr && (n = fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
  if (pipe != nullptr) pclose(pipe);
  std::vector<std::string> lines;
  std::istringstream s(out);
  for (std::string line; std::getline(s, line);) lines.push_back(line);
  return lines;
}

TEST_CASE("bad request corpus: each case gives its exact error through eval and the service") {
  const auto cases = Cases();
  REQUIRE(cases.size() >= 50);
  std::string input;
  // Not structured bindings: clang 14 (the sanitizer builds) cannot capture them in the
  // lambdas doctest's macros expand to.
  for (const auto& entry : cases) {
    const std::string& name = entry.first;
    const std::string& body = entry.second;
    REQUIRE_MESSAGE(body.find('\n') == std::string::npos, name << ": a case is one line");
    input += body + "\n";
  }
  const std::vector<std::string> eval = Eval(input);
  REQUIRE(eval.size() == cases.size());

  const bool update = std::getenv("STATEMARK_UPDATE_CORPUS") != nullptr;
  ServeProcess serve({"--rules", std::string(STATEMARK_SOURCE_DIR) + "/rules", "--no-access-log"});
  REQUIRE(serve.started());
  auto client = serve.Client();
  size_t i = 0, checked = 0;
  for (const auto& entry : cases) {
    const std::string& name = entry.first;
    const std::string& body = entry.second;
    CAPTURE(name);
    const std::string& from_eval = eval[i++];
    const fs::path expected_path = kCorpus / (name + ".expected");
    if (update) std::ofstream(expected_path, std::ios::binary) << from_eval << "\n";
    std::string expected = ReadFile(expected_path);
    if (!expected.empty() && expected.back() == '\n') expected.pop_back();
    CHECK(from_eval == expected);
    // Every case is an error, never a decision.
    CHECK(from_eval.rfind("{\"error\":", 0) == 0);
    auto res = client->Post("/v1/decide", body, "application/json");
    REQUIRE(res);
    CHECK(res->status == 400);
    std::string http = res->body;
    if (!http.empty() && http.back() == '\n') http.pop_back();
    CHECK(http == expected);
    ++checked;
  }
  MESSAGE(checked << " bad requests checked through eval and the service");
}

}  // namespace
}  // namespace statemark::service_test
