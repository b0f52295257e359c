// Server: the HTTP decision service (docs/service.md), a thin adapter over the engine.
//
// Endpoints (the decision contract; docs/service.md):
//   POST /v1/decide          one decision                      (decide_handler.h)
//   POST /v1/decide/batch    many, sharing viewer and time     (decide_handler.h)
//   GET  /v1/policy          the loaded policy and last reload (policy_report.h)
//   POST /v1/policy/reload   reload from disk; bearer token    (admin_auth.h)
//   GET  /healthz            200 while the process runs
//   GET  /readyz             200 once a policy is loaded, else 503
//   GET  /metrics            Prometheus text                   (metrics.h)
//   GET  /                   the policy playground page and its JSON endpoints under
//                            /v1/playground/ (playground.h)
// Errors are JSON with the stable codes of wire.h.
//
// The server decodes, calls the engine and encodes; it holds no rule logic. Requests
// carry data only: nothing in one makes the service read a file or open a
// connection. The policy lives in a PolicyStore and is replaced by Reload() (from the
// reload endpoint, SIGHUP via run.h, or the --watch Watcher) without dropping a
// request.
//
// Lifecycle: Start() loads the policy, binds, and serves on background threads;
// Stop() stops accepting, lets requests in flight finish, then flushes and closes the
// decision log. A policy that fails to load at start is reported and the server runs
// without one (503 `policy_not_loaded`, /readyz 503) until a reload succeeds.
//
// Thread safety: Reload(), port(), store() and metrics() from any thread; Start() and
// Stop() from the owning thread. Start() sets SIGPIPE to ignored for the process (a
// client hanging up mid-response must not kill the service).
#ifndef STATEMARK_SERVER_SERVER_H_
#define STATEMARK_SERVER_SERVER_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "server/bundle_poller.h"
#include "server/decision_log.h"
#include "server/metrics.h"
#include "server/options.h"
#include "server/playground.h"
#include "server/policy_store.h"
#include "server/watcher.h"

namespace httplib {
class Server;
struct Request;
struct Response;
class ContentReader;
}  // namespace httplib

namespace statemark::server {

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();  // Stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Starts serving (see the file comment). Returns false with *error when the admin
  // token file, the decision log or the address cannot be used; a policy with errors
  // is not a start failure.
  bool Start(std::string* error);

  // Graceful stop; idempotent.
  void Stop();

  // Reloads the rules directory (with --bundle: polls the bundle URL now), records the
  // outcome in the event log, and returns it.
  ReloadResult Reload(ReloadTrigger trigger);

  // The bound port (useful with options.port == 0). REQUIRES: Start() succeeded.
  int port() const { return port_; }
  const ServerOptions& options() const { return options_; }
  PolicyStore& store() { return store_; }
  Metrics& metrics() { return metrics_; }

 private:
  void InstallHandlers();
  void HandleDecide(const httplib::Request& req, httplib::Response& res,
                    const httplib::ContentReader& reader, bool batch);
  void HandleReload(const httplib::Request& req, httplib::Response& res);
  void InstallPlaygroundHandlers();
  void LogEvent(const std::string& line) const;

  const ServerOptions options_;
  Metrics metrics_;  // before store_ and log_: they report into it until destroyed
  PolicyStore store_;
  DecisionLog log_;
  std::string admin_token_;
  std::unique_ptr<httplib::Server> http_;
  std::unique_ptr<Watcher> watcher_;
  std::unique_ptr<BundlePoller> bundles_;  // with --bundle: the policy comes from there
  std::thread listener_;
  int port_ = -1;
  bool started_ = false;
  std::atomic<bool> stopped_{false};
  std::mutex playground_try_mu_;  // one pasted policy compiled at a time
  PlaygroundTable playground_table_;
};

}  // namespace statemark::server

#endif  // STATEMARK_SERVER_SERVER_H_
