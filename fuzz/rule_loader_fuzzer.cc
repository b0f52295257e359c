// Fuzz target: the rule loader and the compiler. The input is one YAML file, loaded
// beside the default policy's vocabulary, countries and registry (so it may declare
// rules, vocabulary or countries). A policy that loads is compiled, and the example
// requests are decided with the tree and with the reference evaluator, which must agree.
#include <cstddef>
#include <cstdint>

#include "engine/compiler.h"
#include "engine/loader.h"
#include "fuzz/fuzz_support.h"

namespace sf = statemark::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::filesystem::path dir =
      sf::MakeScratchPolicy({"vocabulary.yaml", "countries.yaml", "registry/accounts.csv",
                             "registry/listings.csv", "registry/domains.csv"});
  sf::WriteFile(dir / "fuzz.yaml", std::string_view(reinterpret_cast<const char*>(data), size));
  auto loaded = statemark::LoadPolicy(dir.string());
  sf::CheckNoInternalError(loaded.diagnostics());
  (void)statemark::RenderDiagnostics(loaded.diagnostics());
  if (!loaded.ok()) return 0;
  // A smaller node budget than the default keeps each run short; the fallback past the
  // budget is part of what is tested.
  statemark::CompileOptions options;
  options.max_nodes = 20000;
  auto compiled = statemark::Compile(loaded.value(), options);
  if (!compiled.ok()) return 0;
  sf::CheckDecisions(*compiled.value());
  return 0;
}
