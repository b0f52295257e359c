// Fuzz target: the request parser. The input is a request body, parsed against the
// default policy; an error must carry a code and a message and render as JSON.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/decision_json.h"
#include "engine/request_parser.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const statemark::CompiledPolicy& policy = statemark::fuzz::DefaultPolicy();
  statemark::Request request;
  statemark::RequestError error;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (statemark::ParseRequestText(policy, text, statemark::Instant{0}, &request, &error)) return 0;
  std::string out;
  statemark::AppendErrorJson(error, &out);
  if (error.code.empty() || error.message.empty() || !nlohmann::json::accept(out)) {
    std::fprintf(stderr, "bad error: %s\n", out.c_str());
    std::abort();
  }
  return 0;
}
