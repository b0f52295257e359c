// Fuzz target: the registry loader. The input holds up to three CSV files separated by
// form feeds (\f): accounts.csv, listings.csv, domains.csv. They replace the default
// policy's registry; a policy that loads is compiled, and the example requests (which
// name registry accounts and link to outlet domains) are decided both ways.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/compiler.h"
#include "engine/loader.h"
#include "fuzz/fuzz_support.h"

namespace sf = statemark::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::filesystem::path dir =
      sf::MakeScratchPolicy({"vocabulary.yaml", "countries.yaml", "platform.yaml", "legal.yaml",
                             "integrity.yaml", "exemptions.yaml"});
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const char* names[] = {"accounts.csv", "listings.csv", "domains.csv"};
  for (const char* name : names) {
    const size_t end = input.find('\f');
    sf::WriteFile(dir / "registry" / name, input.substr(0, end));
    input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
  }
  auto loaded = statemark::LoadPolicy(dir.string());
  sf::CheckNoInternalError(loaded.diagnostics());
  (void)statemark::RenderDiagnostics(loaded.diagnostics());
  if (!loaded.ok()) return 0;
  auto compiled = statemark::Compile(loaded.value());
  if (!compiled.ok()) return 0;
  sf::CheckDecisions(*compiled.value());
  return 0;
}
