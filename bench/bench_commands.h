// The subcommands of statemark-bench (bench/bench_main.cc). Each takes its arguments
// after the subcommand name and returns the exit status (0 ok, 1 failed, 2 usage).
#ifndef STATEMARK_BENCH_BENCH_COMMANDS_H_
#define STATEMARK_BENCH_BENCH_COMMANDS_H_

#include <string>
#include <vector>

namespace statemark::bench {

using Args = std::vector<std::string>;

// Generated requests (RequestGenerator, fixed seed): JSON lines, or one batch body.
int GenerateRequests(const Args& args, bool as_batch);
// Throughput of the `statemark eval` path against parsing and re-serialising the same
// lines with nlohmann/json, with the parser alternatives measured on the same lines.
int JsonThroughput(const Args& args);
// A bare cpp-httplib server that answers POST /v1/decide with a fixed body.
int BareServer(const Args& args);
// An HTTP load generator: keep-alive connections, each on its own thread.
int Load(const Args& args);
// Waits until a server on the port answers GET /healthz.
int WaitReady(const Args& args);
// The figures table (markdown) from the JSON files scripts/bench.sh wrote to a directory.
int Report(const Args& args);
// yaml-cpp's and libyaml's parsers, and the loader's fast reader, on one YAML file.
int YamlParsers(const Args& args);

}  // namespace statemark::bench

#endif  // STATEMARK_BENCH_BENCH_COMMANDS_H_
