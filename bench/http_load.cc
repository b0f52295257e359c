// `statemark-bench bare-server` and `statemark-bench load`: the HTTP measurements.
//
// The bare server is the baseline for single decisions: cpp-httplib with the decision
// service's settings (thread pool size, TCP_NODELAY, keep-alive limit) answering every
// POST /v1/decide with a fixed JSON body, so the difference to `statemark serve` is the
// decision work (reading the body, parsing, evaluating, rendering, logging, metrics).
//
// The load generator opens --connections keep-alive connections, one thread each, and
// sends the same body on all of them for --seconds, recording each request's latency.
// It runs on the same machine as the server, so both share its cores.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "bench/bench_commands.h"
#include "cli/policy_loading.h"

namespace statemark::bench {
namespace {

using Clock = std::chrono::steady_clock;

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  *out = s.str();
  while (!out->empty() && (out->back() == '\n' || out->back() == '\r')) out->pop_back();
  return true;
}

double Percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(p * static_cast<double>(sorted.size())));
  return sorted[i];
}

}  // namespace

int BareServer(const Args& args_in) {
  cli::Args args = args_in;
  bool bad = false;
  const int port = std::stoi(cli::TakeFlag(&args, "--port", &bad).value_or("8090"));
  const size_t threads = std::stoul(cli::TakeFlag(&args, "--threads", &bad).value_or("8"));
  const auto body_file = cli::TakeFlag(&args, "--body", &bad);
  std::string body;
  if (bad || !args.empty() || !body_file || !ReadFile(*body_file, &body)) {
    std::cerr << "usage: statemark-bench bare-server --body FILE [--port P] [--threads N]\n";
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  httplib::Server server;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(100000);
  server.set_keep_alive_timeout(5);
  server.Post("/v1/decide", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(body, "application/json");
  });
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"status\":\"ok\"}", "application/json");
  });
  if (!server.listen("127.0.0.1", port)) {
    std::cerr << "statemark-bench bare-server: cannot listen on port " << port << "\n";
    return 1;
  }
  return 0;
}

int Load(const Args& args_in) {
  cli::Args args = args_in;
  bool bad = false;
  const int port = std::stoi(cli::TakeFlag(&args, "--port", &bad).value_or("8080"));
  const std::string path = cli::TakeFlag(&args, "--path", &bad).value_or("/v1/decide");
  const auto body_file = cli::TakeFlag(&args, "--body", &bad);
  const int connections = std::stoi(cli::TakeFlag(&args, "--connections", &bad).value_or("4"));
  const double seconds = std::stod(cli::TakeFlag(&args, "--seconds", &bad).value_or("5"));
  const long items = std::stol(cli::TakeFlag(&args, "--items", &bad).value_or("1"));
  std::string body;
  if (bad || !args.empty() || !body_file || !ReadFile(*body_file, &body) || connections < 1) {
    std::cerr << "usage: statemark-bench load --body FILE [--port P] [--path PATH] [--connections C] "
                 "[--seconds T] [--items N]\n";
    return 2;
  }
  std::atomic<long> failures{0};
  std::vector<std::vector<double>> latencies(static_cast<size_t>(connections));
  std::vector<std::thread> threads;
  const auto warmup = std::chrono::duration<double>(std::min(1.0, seconds / 5));
  const auto start = Clock::now() + std::chrono::duration_cast<Clock::duration>(warmup);
  const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", port);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      client.set_read_timeout(30, 0);
      std::vector<double>& mine = latencies[static_cast<size_t>(c)];
      for (;;) {
        const auto t0 = Clock::now();
        if (t0 >= end) break;
        auto res = client.Post(path, body, "application/json");
        const auto t1 = Clock::now();
        if (!res || res->status != 200) {
          ++failures;
          continue;
        }
        if (t0 >= start) mine.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  const double requests_per_second = static_cast<double>(all.size()) / seconds;
  nlohmann::json out = {{"path", path},
                        {"connections", connections},
                        {"seconds", seconds},
                        {"requests", all.size()},
                        {"failures", failures.load()},
                        {"requests_per_second", requests_per_second},
                        {"decisions_per_second", requests_per_second * static_cast<double>(items)},
                        {"p50_ms", Percentile(all, 0.50)},
                        {"p99_ms", Percentile(all, 0.99)},
                        {"body_bytes", body.size()}};
  std::cout << out.dump(2) << "\n";
  return failures.load() > 0 && all.empty() ? 1 : 0;
}

int WaitReady(const Args& args_in) {
  cli::Args args = args_in;
  bool bad = false;
  const int port = std::stoi(cli::TakeFlag(&args, "--port", &bad).value_or("8080"));
  if (bad || !args.empty()) {
    std::cerr << "usage: statemark-bench wait --port P\n";
    return 2;
  }
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(0, 200000);
  for (int i = 0; i < 200; ++i) {
    auto res = client.Get("/healthz");
    if (res && res->status == 200) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::cerr << "statemark-bench wait: nothing answers on port " << port << "\n";
  return 1;
}

}  // namespace statemark::bench
