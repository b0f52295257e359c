// Fuzz target: the whole decide path. The input is a request body: it is parsed,
// evaluated with the decision tree and with the reference evaluator (which must agree
// byte for byte) and rendered (which must be valid JSON); then the same body goes
// through the service's batch handler, whose answer must be valid JSON too.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>

#include "engine/compiler.h"
#include "engine/loader.h"
#include "fuzz/fuzz_support.h"
#include "server/decide_handler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const statemark::CompiledPolicy& policy = statemark::fuzz::DefaultPolicy();
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  statemark::fuzz::DecideAndCheck(policy, body);

  static const statemark::server::PolicySnapshot snapshot = [] {
    statemark::server::PolicySnapshot s;
    s.policy = std::shared_ptr<const statemark::CompiledPolicy>(
        &statemark::fuzz::DefaultPolicy(), [](const statemark::CompiledPolicy*) {});
    return s;
  }();
  statemark::server::DecideContext context;
  context.snapshot = &snapshot;
  context.max_batch_items = 64;
  statemark::server::Answer answer;
  statemark::server::DecideBatch(context, body, &answer);
  if (!nlohmann::json::accept(answer.body)) {
    std::fprintf(stderr, "batch answer is not JSON: %s\n", answer.body.c_str());
    std::abort();
  }
  return 0;
}
