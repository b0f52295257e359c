// Shared by the fuzz targets: a scratch policy directory on a fast file system, the
// default policy compiled once, and the checks every target makes on what it gets back.
//
// The targets go through the engine's public entry points (LoadPolicy, Compile,
// ParseRequestText, Evaluate, AppendDecisionJson); the only internal one they use is
// the reference evaluator, as an oracle for the compiled tree.
#ifndef STATEMARK_FUZZ_FUZZ_SUPPORT_H_
#define STATEMARK_FUZZ_FUZZ_SUPPORT_H_

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/compiled_policy.h"
#include "engine/status.h"

namespace statemark::fuzz {

// The source tree's rules/ (compiled in as STATEMARK_SOURCE_DIR).
std::filesystem::path DefaultRulesDir();

// A directory under /dev/shm (or $TMPDIR when there is none) that lives as long as the
// process; `files` of the default policy are copied into it.
std::filesystem::path MakeScratchPolicy(const std::vector<std::string>& files);

// Writes `bytes` to `path`, replacing it.
void WriteFile(const std::filesystem::path& path, std::string_view bytes);

// The default policy, loaded and compiled once.
const CompiledPolicy& DefaultPolicy();

// Aborts (so libFuzzer records a crash) when a diagnostic says the loader's last-resort
// exception net caught something: every input must be reported by the checks proper.
void CheckNoInternalError(const Diagnostics& diags);

// Decides the requests of examples/requests/ both with the tree and with the reference
// evaluator and aborts on any difference; every decision must also be valid JSON.
void CheckDecisions(const CompiledPolicy& policy);

// Decides one request text: aborts when the tree and the reference evaluator disagree
// or when the output (decision or error) is not one valid JSON object.
void DecideAndCheck(const CompiledPolicy& policy, std::string_view request);

}  // namespace statemark::fuzz

#endif  // STATEMARK_FUZZ_FUZZ_SUPPORT_H_
