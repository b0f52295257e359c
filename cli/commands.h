// The `statemark` subcommands. Each takes its arguments (after the subcommand name)
// and returns the process exit status: 0 success, 1 a check failed, 2 usage error.
#ifndef STATEMARK_CLI_COMMANDS_H_
#define STATEMARK_CLI_COMMANDS_H_

#include <string>
#include <vector>

namespace statemark::cli {

using Args = std::vector<std::string>;

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

int Validate(const Args& args);
int Eval(const Args& args);
int Test(const Args& args);
int Explain(const Args& args);
int Bench(const Args& args);
int Serve(const Args& args);
int Bundle(const Args& args);
int Fmt(const Args& args);
int Table(const Args& args);
int Diff(const Args& args);
int Lint(const Args& args);

}  // namespace statemark::cli

#endif  // STATEMARK_CLI_COMMANDS_H_
