#include "server/server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <nlohmann/json.hpp>
#include <utility>

#include "engine/decision_json.h"
#include "engine/instant.h"
#include "server/access_log.h"
#include "server/admin_auth.h"
#include "server/decide_handler.h"
#include "server/playground.h"
#include "server/playground_assets.h"
#include "server/policy_report.h"
#include "server/wire.h"

namespace statemark::server {
namespace {

using Clock = std::chrono::steady_clock;

// What one worker thread knows about the request it is serving, from the
// pre-routing hook to the logger (httplib runs both on the connection's thread).
struct RequestScratch {
  Clock::time_point start;
  bool started = false;
  size_t bytes_in = 0;  // bodies read through a ContentReader (req.body stays empty)
  std::string body;     // the decision endpoints' body buffer, reused
};

RequestScratch& Scratch() {
  thread_local RequestScratch scratch;
  return scratch;
}

// Bodies larger than this are not kept in a thread's reusable buffer afterwards.
constexpr size_t kKeptBodyCapacity = size_t{1} << 20;

void SetJson(httplib::Response& res, int status, std::string body) {
  res.status = status;
  res.body = std::move(body);
  res.set_header("Content-Type", wire::kJsonContentType);
}

void SetError(httplib::Response& res, std::string_view code, std::string_view message,
              std::string_view path = "") {
  SetJson(res, wire::HttpStatus(code), wire::ErrorBody(code, message, path));
}

size_t HeaderBytes(const httplib::Request& req) {
  size_t n = 0;
  for (const auto& [name, value] : req.headers) n += name.size() + value.size();
  return n;
}

bool IsKnownPath(const std::string& path) {
  return EndpointFor(path) != Endpoint::kOther || path.starts_with("/v1/playground/");
}

// Reads the body through `reader` into `out`, at most `limit` bytes. Returns false
// when reading failed; *too_large tells whether the limit was the reason.
bool ReadBody(const httplib::ContentReader& reader, size_t limit, std::string* out,
              bool* too_large) {
  out->clear();
  *too_large = false;
  const bool ok = reader([&](const char* data, size_t n) {
    if (out->size() + n > limit) {
      *too_large = true;
      return false;
    }
    out->append(data, n);
    return true;
  });
  Scratch().bytes_in = out->size();
  return ok && !*too_large;
}

std::string EventLine(const std::string& event, const nlohmann::ordered_json& fields) {
  nlohmann::ordered_json line = {{"ts", FormatRfc3339(Now())}, {"event", event}};
  line.update(fields);
  return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace

Server::Server(ServerOptions options)
    : options_(std::move(options)),
      store_(options_.rules_dir, &metrics_),
      log_({options_.decision_log_path, options_.decision_log_sample_rate,
            options_.decision_log_buffer},
           &metrics_) {}

Server::~Server() { Stop(); }

void Server::LogEvent(const std::string& line) const {
  if (options_.event_log) WriteStderrLine(line);
}

ReloadResult Server::Reload(ReloadTrigger trigger) {
  if (bundles_) return bundles_->PollNow(trigger);  // it logs what it loads
  ReloadResult result = store_.Reload(trigger);
  LogEvent(ReloadEventLine(result, options_.rules_dir));
  return result;
}

bool Server::Start(std::string* error) {
  std::signal(SIGPIPE, SIG_IGN);
  if (!LoadAdminToken(options_, &admin_token_, error)) return false;
  if (!log_.Start(error)) return false;
  if (!options_.bundle_url.empty()) {
    bundles_ = std::make_unique<BundlePoller>(options_, &store_,
                                              [this](const std::string& line) { LogEvent(line); });
    if (!bundles_->Init(error)) return false;
    bundles_->Startup();
  } else {
    if (options_.watch) {
      watcher_ = std::make_unique<Watcher>(options_.rules_dir,
                                           std::chrono::milliseconds(options_.watch_interval_ms),
                                           [this] { Reload(ReloadTrigger::kWatch); });
      watcher_->Prime();
    }
    Reload(ReloadTrigger::kStartup);
  }

  http_ = std::make_unique<httplib::Server>();
  InstallHandlers();
  const size_t threads =
      options_.threads > 0
          ? static_cast<size_t>(options_.threads)
          : std::max<size_t>(8, 2 * std::max(1u, std::thread::hardware_concurrency()));
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // httplib's default also sets SO_REUSEPORT, which would let a second server bind the
  // same port and silently take half the connections. Address reuse only.
  http_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  // Headers and body go out in separate writes; without TCP_NODELAY, Nagle's
  // algorithm and delayed ACKs add ~40 ms to keep-alive requests.
  http_->set_tcp_nodelay(true);
  http_->set_keep_alive_max_count(options_.keep_alive_max_requests);
  http_->set_keep_alive_timeout(options_.keep_alive_timeout_s);
  http_->set_read_timeout(options_.read_timeout_ms / 1000,
                          (options_.read_timeout_ms % 1000) * 1000);
  http_->set_write_timeout(options_.write_timeout_ms / 1000,
                           (options_.write_timeout_ms % 1000) * 1000);
  http_->set_payload_max_length(options_.max_body_bytes);

  if (options_.port == 0) {
    port_ = http_->bind_to_any_port(options_.host);
  } else {
    port_ = http_->bind_to_port(options_.host, options_.port) ? options_.port : -1;
  }
  if (port_ < 0) {
    *error = "cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
             " (address in use, or not an address of this host)";
    log_.Close();
    return false;
  }
  auto listening_done = std::make_shared<std::atomic<bool>>(false);
  listener_ = std::thread([this, listening_done] {
    http_->listen_after_bind();
    *listening_done = true;
  });
  // Stop() can only interrupt a server that is already listening.
  while (!http_->is_running() && !*listening_done) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!http_->is_running()) {
    listener_.join();
    *error = "the HTTP server failed to start listening";
    log_.Close();
    return false;
  }
  if (watcher_) watcher_->Start();
  if (bundles_) bundles_->Start();
  started_ = true;

  auto snapshot = store_.Current();
  LogEvent(EventLine("server_started",
                     {{"address", "http://" + options_.host + ":" + std::to_string(port_)},
                      {"threads", threads},
                      {"rules_dir", options_.rules_dir},
                      {"bundle", options_.bundle_url},
                      {"policy_version", snapshot ? snapshot->policy->version() : ""},
                      {"watch", options_.watch},
                      {"reload_endpoint", admin_token_.empty() ? "disabled" : "enabled"},
                      {"decision_log", options_.decision_log_path}}));
  return true;
}

void Server::Stop() {
  if (!started_ || stopped_.exchange(true)) return;
  if (watcher_) watcher_->Stop();
  if (bundles_) bundles_->Stop();
  http_->stop();  // closes the listening socket; workers finish what they are serving
  if (listener_.joinable()) listener_.join();  // returns once every worker has exited
  log_.Close();
  LogEvent(EventLine("server_stopped", {{"decision_log_dropped", log_.dropped()}}));
}

void Server::InstallHandlers() {
  using httplib::Request;
  using httplib::Response;
  using HandlerResponse = httplib::Server::HandlerResponse;

  http_->set_pre_routing_handler([this](const Request& req, Response& res) {
    RequestScratch& s = Scratch();
    s.start = Clock::now();
    s.started = true;
    s.bytes_in = 0;
    // HTTP/1.1 says a request with neither Content-Length nor Transfer-Encoding has
    // no body, but httplib 0.11 would read one until the client hangs up (`curl -X
    // POST` without data would wait for the read timeout). Say so explicitly. The
    // Request is httplib's own non-const object, handed to this hook as const.
    if ((req.method == "POST" || req.method == "PUT" || req.method == "PATCH" ||
         req.method == "DELETE") &&
        !req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) {
      const_cast<Request&>(req).set_header("Content-Length", "0");
    }
    if (req.headers.size() > options_.max_header_count ||
        HeaderBytes(req) > options_.max_header_bytes) {
      SetError(res, wire::kHeadersTooLarge,
               "request headers over the limit of " + std::to_string(options_.max_header_count) +
                   " lines or " + std::to_string(options_.max_header_bytes) + " bytes");
      res.set_header("Connection", "close");  // any body is left unread
      return HandlerResponse::Handled;
    }
    return HandlerResponse::Unhandled;
  });

  // Statuses that httplib sets itself (unknown path, body over the limit, a
  // malformed request) get a JSON error body here; handler-made errors already have one.
  http_->set_error_handler(
      httplib::Server::HandlerWithResponse([](const Request& req, Response& res) {
        if (!res.body.empty()) return HandlerResponse::Unhandled;
        if (res.status == 404 && IsKnownPath(req.path)) {
          SetError(res, wire::kMethodNotAllowed, req.method + " is not allowed on " + req.path);
        } else if (res.status == 404) {
          SetError(res, wire::kNotFound, "no endpoint at `" + req.path + "`");
        } else if (res.status == 413) {
          SetError(res, wire::kBodyTooLarge, "request body over the limit");
        } else if (res.status >= 500) {
          SetError(res, wire::kInternalError, "internal error");
        } else {
          const int status = res.status;
          SetError(res, wire::kInvalidRequest, "malformed HTTP request");
          res.status = status;
        }
        return HandlerResponse::Handled;
      }));

  http_->set_exception_handler([](const Request&, Response& res, std::exception_ptr) {
    SetError(res, wire::kInternalError, "internal error");
  });

  http_->set_logger([this](const Request& req, const Response& res) {
    RequestScratch& s = Scratch();
    const double seconds =
        s.started ? std::chrono::duration<double>(Clock::now() - s.start).count() : 0.0;
    s.started = false;
    metrics_.RecordRequest(EndpointFor(req.path), res.status, seconds);
    if (options_.access_log) {
      WriteStderrLine(
          AccessLogLine({req.method, req.path, res.status, seconds, req.body.size() + s.bytes_in,
                         res.body.size(), req.remote_addr}));
    }
  });

  http_->Post("/v1/decide",
              [this](const Request& req, Response& res, const httplib::ContentReader& reader) {
                HandleDecide(req, res, reader, false);
              });
  http_->Post("/v1/decide/batch",
              [this](const Request& req, Response& res, const httplib::ContentReader& reader) {
                HandleDecide(req, res, reader, true);
              });
  http_->Post("/v1/policy/reload",
              [this](const Request& req, Response& res) { HandleReload(req, res); });

  http_->Get("/v1/policy", [this](const Request&, Response& res) {
    auto snapshot = store_.Current();
    Answer answer;
    PolicyReport(snapshot.get(), snapshot ? snapshot->dir : options_.rules_dir,
                 store_.LastAttempt(), &answer);
    if (bundles_) {  // the bundle source's status joins the report
      auto body = nlohmann::ordered_json::parse(answer.body);
      body["bundle"] = nlohmann::ordered_json::parse(bundles_->StatusJson());
      answer.body = body.dump();
    }
    SetJson(res, answer.status, std::move(answer.body));
  });
  http_->Get("/healthz",
             [](const Request&, Response& res) { SetJson(res, 200, "{\"status\":\"ok\"}"); });
  http_->Get("/readyz", [this](const Request&, Response& res) {
    auto snapshot = store_.Current();
    if (!snapshot) return SetError(res, wire::kPolicyNotLoaded, "no policy is loaded");
    std::string body = "{\"status\":\"ready\",\"policy_version\":";
    AppendJsonString(snapshot->policy->version(), &body);
    body += "}";
    SetJson(res, 200, std::move(body));
  });
  http_->Get("/metrics", [this](const Request&, Response& res) {
    res.status = 200;
    res.body = metrics_.Render();
    if (bundles_) res.body += bundles_->RenderMetrics();
    res.set_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
  });
  InstallPlaygroundHandlers();
}

void Server::InstallPlaygroundHandlers() {
  using httplib::Request;
  using httplib::Response;
  for (const PlaygroundAsset& asset : PlaygroundAssets()) {
    http_->Get(std::string(asset.path), [&asset](const Request&, Response& res) {
      res.status = 200;
      res.set_content(asset.bytes.data(), asset.bytes.size(), std::string(asset.content_type));
      // The page loads nothing but its own assets and talks only to this service.
      res.set_header("Content-Security-Policy",
                     "default-src 'none'; script-src 'self'; style-src 'self'; "
                     "connect-src 'self'; img-src 'self' data:; base-uri 'none'; "
                     "form-action 'none'; frame-ancestors 'none'");
      res.set_header("X-Content-Type-Options", "nosniff");
      res.set_header("Cache-Control", "no-cache");
    });
  }
  // Each playground endpoint answers from the one snapshot it loaded.
  auto with_policy = [this](Response& res, auto&& answer_with) {
    auto snapshot = store_.Current();
    if (!snapshot) return SetError(res, wire::kPolicyNotLoaded, "no policy is loaded");
    Answer answer;
    answer_with(*snapshot, &answer);
    SetJson(res, answer.status, std::move(answer.body));
  };
  http_->Get("/v1/playground/policy", [with_policy](const Request&, Response& res) {
    with_policy(res, [](const PolicySnapshot& s, Answer* a) { PlaygroundPolicy(s, a); });
  });
  http_->Get("/v1/playground/source", [with_policy](const Request& req, Response& res) {
    const std::string file = req.get_param_value("file");
    with_policy(res, [&](const PolicySnapshot& s, Answer* a) { PlaygroundSource(s, file, a); });
  });
  http_->Get("/v1/playground/table", [this, with_policy](const Request& req, Response& res) {
    const TableQuery query{req.get_param_value("at"), req.get_param_value("affiliation"),
                           req.get_param_value("country"), req.get_param_value("topic")};
    with_policy(res, [&](const PolicySnapshot& s, Answer* a) {
      playground_table_.Answer(s, query, a);
    });
  });
  http_->Post("/v1/playground/explain", [this, with_policy](const Request& req, Response& res) {
    with_policy(res, [&](const PolicySnapshot& s, Answer* a) {
      PlaygroundExplain(s, req.body, options_.max_json_depth, a);
    });
  });
  http_->Post("/v1/playground/try",
              [this, with_policy](const Request&, Response& res,
                                  const httplib::ContentReader& reader) {
                std::string body;
                bool too_large = false;
                if (!ReadBody(reader, kPlaygroundMaxTryBytes, &body, &too_large)) {
                  res.set_header("Connection", "close");
                  return SetError(res, too_large ? wire::kBodyTooLarge : wire::kInvalidRequest,
                                  too_large ? "pasted files over the limit of " +
                                                  std::to_string(kPlaygroundMaxTryBytes) +
                                                  " bytes in all"
                                            : "the body could not be read");
                }
                std::lock_guard<std::mutex> one_at_a_time(playground_try_mu_);
                with_policy(res, [&](const PolicySnapshot& s, Answer* a) {
                  PlaygroundTry(s, body, options_.max_json_depth, a);
                });
              });
}

void Server::HandleDecide(const httplib::Request& req, httplib::Response& res,
                          const httplib::ContentReader& reader, bool batch) {
  RequestScratch& s = Scratch();
  bool too_large = false;
  // The body is read even when the request is refused for its content type, so
  // the connection stays in step for the client's next request.
  const bool read = ReadBody(reader, options_.max_body_bytes, &s.body, &too_large);
  if (!read) {
    if (too_large || res.status == 413) {
      SetError(
          res, wire::kBodyTooLarge,
          "request body over the limit of " + std::to_string(options_.max_body_bytes) + " bytes");
      // A chunked body stopped part-way cannot be skipped; end the connection.
      if (too_large) res.set_header("Connection", "close");
    } else {
      SetError(res, wire::kInvalidRequest, "could not read the request body");
      res.set_header("Connection", "close");
    }
    return;
  }
  if (!wire::IsJsonContentType(req.get_header_value("Content-Type"))) {
    return SetError(res, wire::kUnsupportedMediaType,
                    "expected `Content-Type: application/json`, got `" +
                        req.get_header_value("Content-Type") + "`");
  }
  std::shared_ptr<const PolicySnapshot> snapshot = store_.Current();  // one load per request
  if (!snapshot) return SetError(res, wire::kPolicyNotLoaded, "no policy is loaded");

  DecideContext context;
  context.snapshot = snapshot.get();
  context.max_batch_items = options_.max_batch_items;
  context.max_json_depth = options_.max_json_depth;
  context.metrics = &metrics_;
  context.log = log_.enabled() ? &log_ : nullptr;
  Answer answer;
  if (batch) {
    DecideBatch(context, s.body, &answer);
  } else {
    DecideOne(context, s.body, &answer);
  }
  SetJson(res, answer.status, std::move(answer.body));
  res.set_header("X-Statemark-Policy-Version", snapshot->policy->version());
  if (s.body.capacity() > kKeptBodyCapacity) std::string().swap(s.body);
}

void Server::HandleReload(const httplib::Request& req, httplib::Response& res) {
  switch (CheckBearer(admin_token_, req.get_header_value("Authorization"))) {
    case AuthResult::kDisabled:
      return SetError(res, wire::kReloadDisabled,
                      "the reload endpoint is disabled: no admin token is configured (set " +
                          (options_.admin_token_env.empty()
                               ? std::string("--admin-token-file")
                               : options_.admin_token_env + " or --admin-token-file") +
                          "); SIGHUP and --watch still reload");
    case AuthResult::kMissing:
      SetError(res, wire::kUnauthorized, "missing `Authorization: Bearer <token>` header");
      res.set_header("WWW-Authenticate", "Bearer realm=\"statemark\"");
      return;
    case AuthResult::kWrong:
      SetError(res, wire::kUnauthorized, "wrong admin token");
      res.set_header("WWW-Authenticate", "Bearer realm=\"statemark\", error=\"invalid_token\"");
      return;
    case AuthResult::kOk:
      break;
  }
  const ReloadResult result = Reload(ReloadTrigger::kApi);
  Answer answer;
  ReloadReport(result, options_.rules_dir, &answer);
  SetJson(res, answer.status, std::move(answer.body));
}

}  // namespace statemark::server
