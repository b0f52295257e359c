// Loading and compiling a rules directory for a command, with errors on stderr.
#ifndef STATEMARK_CLI_POLICY_LOADING_H_
#define STATEMARK_CLI_POLICY_LOADING_H_

#include <memory>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "engine/compiled_policy.h"

namespace statemark::cli {

// Loads and compiles `dir`. Prints every diagnostic (warnings too) to stderr; returns
// nothing when the policy has errors.
std::shared_ptr<const CompiledPolicy> LoadAndCompile(const std::string& dir);

// Reads `--name VALUE` or `--name=VALUE` from args (removing it); nothing if absent.
// Sets *bad when the flag is given without a value.
std::optional<std::string> TakeFlag(Args* args, const std::string& name, bool* bad);
// Removes `--name` from args; returns whether it was there.
bool TakeSwitch(Args* args, const std::string& name);

}  // namespace statemark::cli

#endif  // STATEMARK_CLI_POLICY_LOADING_H_
