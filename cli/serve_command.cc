// `statemark serve`: the HTTP decision service (docs/service.md). Parses flags into
// ServerOptions and hands over to server/run.h; everything else lives in server/.
#include <charconv>
#include <iostream>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "cli/policy_loading.h"
#include "server/options.h"
#include "server/run.h"

namespace statemark::cli {
namespace {

constexpr const char* kServeUsage =
    "usage: statemark serve [--rules DIR] [--host H] [--port P] [--threads N] [--watch]\n"
    "                       [--watch-interval-ms N] [--decision-log FILE]\n"
    "                       [--decision-log-sample R] [--admin-token-file F]\n"
    "                       [--max-body-bytes N] [--max-batch-items N] [--no-access-log]\n"
    "       statemark serve --bundle URL [--bundle-interval S] [--bundle-cache DIR]\n"
    "                       [--verify-key PUB]... [other options but --rules and --watch]\n"
    "\n"
    "defaults: --rules rules --host 127.0.0.1 --port 8080; the reload endpoint needs a\n"
    "token from --admin-token-file or STATEMARK_ADMIN_TOKEN. See docs/service.md.\n";

template <typename T>
bool ParseNumber(const std::string& text, T min, T max, T* out) {
  T value{};
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || value < min || value > max) return false;
  *out = value;
  return true;
}

// Reads a numeric flag into *out if present; false on a malformed or out-of-range
// value (reported on stderr).
template <typename T>
bool NumberFlag(Args* args, const std::string& name, T min, T max, T* out, bool* bad) {
  std::optional<std::string> text = TakeFlag(args, name, bad);
  if (!text) return true;
  if (ParseNumber(*text, min, max, out)) return true;
  std::cerr << "statemark serve: " << name << " expects a number from " << min << " to " << max
            << ", got `" << *text << "`\n";
  return false;
}

}  // namespace

int Serve(const Args& args_in) {
  Args args = args_in;
  bool bad = false;
  server::ServerOptions options;
  if (auto v = TakeFlag(&args, "--rules", &bad)) options.rules_dir = *v;
  if (auto v = TakeFlag(&args, "--host", &bad)) options.host = *v;
  if (auto v = TakeFlag(&args, "--decision-log", &bad)) options.decision_log_path = *v;
  if (auto v = TakeFlag(&args, "--admin-token-file", &bad)) options.admin_token_file = *v;
  options.watch = TakeSwitch(&args, "--watch");
  if (TakeSwitch(&args, "--no-access-log")) options.access_log = false;
  // Bundles (docs/deployment.md): --verify-key may be given once per trusted key.
  const bool rules_given = options.rules_dir != server::ServerOptions{}.rules_dir || options.watch;
  if (auto v = TakeFlag(&args, "--bundle", &bad)) options.bundle_url = *v;
  if (auto v = TakeFlag(&args, "--bundle-cache", &bad)) options.bundle_cache_dir = *v;
  while (auto v = TakeFlag(&args, "--verify-key", &bad)) options.verify_key_files.push_back(*v);
  double interval_s = options.bundle_interval_ms / 1000.0;
  const bool interval_ok = NumberFlag(&args, "--bundle-interval", 0.05, 86400.0, &interval_s, &bad);
  options.bundle_interval_ms = static_cast<int>(interval_s * 1000.0);
  if (options.bundle_url.empty() && !options.verify_key_files.empty()) {
    std::cerr << "statemark serve: --verify-key applies to --bundle only\n";
    return kExitUsage;
  }
  if (!options.bundle_url.empty() && rules_given) {
    std::cerr << "statemark serve: --bundle replaces --rules and --watch; give one or the other\n";
    return kExitUsage;
  }
  const bool numbers_ok =
      NumberFlag(&args, "--port", 0, 65535, &options.port, &bad) &&
      NumberFlag(&args, "--threads", 0, 4096, &options.threads, &bad) &&
      NumberFlag(&args, "--watch-interval-ms", 10, 3600000, &options.watch_interval_ms, &bad) &&
      NumberFlag(&args, "--decision-log-sample", 0.0, 1.0, &options.decision_log_sample_rate,
                 &bad) &&
      NumberFlag(&args, "--max-body-bytes", size_t{1}, size_t{1} << 32, &options.max_body_bytes,
                 &bad) &&
      NumberFlag(&args, "--max-batch-items", size_t{1}, size_t{10000000}, &options.max_batch_items,
                 &bad);
  if (!numbers_ok || !interval_ok || bad || !args.empty()) {
    if (!args.empty()) std::cerr << "statemark serve: unexpected argument `" << args[0] << "`\n";
    std::cerr << kServeUsage;
    return kExitUsage;
  }
  return server::RunServer(options);
}

}  // namespace statemark::cli
