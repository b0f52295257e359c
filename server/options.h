// ServerOptions: everything `statemark serve` can be told, with documented defaults.
//
// A plain struct with in-class defaults (like LoaderOptions and CompileOptions). The
// CLI (cli/serve_command.cc) fills it from flags; tests fill it directly. Nothing
// configurable hides in a global.
//
// Thread safety: a plain value; the server copies it at construction.
#ifndef STATEMARK_SERVER_OPTIONS_H_
#define STATEMARK_SERVER_OPTIONS_H_

#include <cstddef>
#include <string>
#include <vector>

namespace statemark::server {

struct ServerOptions {
  // --- Network ---

  // Address to bind. Loopback by default: exposing the service is a deliberate act
  // (`--host 0.0.0.0`). Default: "127.0.0.1".
  std::string host = "127.0.0.1";
  // TCP port. 0 binds a free port (the server reports it; tests use this).
  // Default: 8080.
  int port = 8080;

  // --- Policy ---

  // The rules directory, loaded at start and on every reload. Default: "rules".
  std::string rules_dir = "rules";
  // Poll the rules directory's files (paths, sizes, modification times) and reload
  // when they change and have stayed unchanged for one more interval (so a reload
  // does not read a half-written file set). Default: false.
  bool watch = false;
  // How often --watch polls, in milliseconds. Default: 1000.
  int watch_interval_ms = 1000;

  // --- Bundles (server/bundle_poller.h, docs/deployment.md) ---

  // Serve the policy bundle at this http:// or https:// URL instead of `rules_dir`:
  // polled with If-None-Match, verified, unpacked and activated like a reload.
  // Empty: serve `rules_dir`. Default: "".
  std::string bundle_url;
  // How often the URL is polled, in milliseconds, before jitter. Default: 30000.
  int bundle_interval_ms = 30000;
  // Each wait is the interval times a uniform factor in [1 - j, 1 + j], so replicas
  // started together do not poll in step. Default: 0.1.
  double bundle_jitter = 0.1;
  // Where the last good bundle is kept (and unpacked), so a restart serves it when
  // the URL is unreachable. One directory per server process (it is locked).
  // Default: ".statemark-bundles".
  std::string bundle_cache_dir = ".statemark-bundles";
  // Time allowed to connect to the bundle server, and between bytes of its answer,
  // in milliseconds. Default: 5000.
  int bundle_timeout_ms = 5000;
  // Largest bundle downloaded, in bytes. Default: 512 MiB.
  size_t max_bundle_bytes = size_t{512} << 20;
  // Public keys (PEM, Ed25519) whose signatures are accepted. Non-empty: a bundle
  // must be signed by one of them. Empty: signatures are neither required nor
  // checked (the files are still checked against the manifest). Default: none.
  std::vector<std::string> verify_key_files;

  // --- Admin ---

  // A file holding the bearer token for POST /v1/policy/reload (surrounding
  // whitespace is trimmed). Takes precedence over the environment. Default: none.
  std::string admin_token_file;
  // The environment variable read for the token when no file is given; empty
  // disables the lookup. With no token from either, the reload endpoint answers 403
  // (SIGHUP and --watch still reload). Default: "STATEMARK_ADMIN_TOKEN".
  std::string admin_token_env = "STATEMARK_ADMIN_TOKEN";

  // --- Limits ---

  // Largest request body, in bytes; a larger one gets 413 `body_too_large` without
  // being buffered. Default: 8 MiB.
  size_t max_body_bytes = size_t{8} << 20;
  // Most items in one POST /v1/decide/batch. Default: 10,000.
  size_t max_batch_items = 10000;
  // Deepest nesting of JSON arrays and objects in a body. Requests are a few levels
  // deep; the limit keeps recursive JSON handling off a hostile stack. Default: 64.
  int max_json_depth = 64;
  // Most header lines in one request; more gets 431. Default: 100.
  size_t max_header_count = 100;
  // Most header bytes (names and values, summed) in one request; more gets 431.
  // httplib also rejects any single header line or request target over 8,192 bytes
  // (fixed when the library was built). Default: 16 KiB.
  size_t max_header_bytes = size_t{16} << 10;
  // Time allowed to receive a request once it has started, in milliseconds.
  // Default: 5000.
  int read_timeout_ms = 5000;
  // Time allowed to send a response, in milliseconds. Default: 5000.
  int write_timeout_ms = 5000;
  // How long an idle keep-alive connection is kept open, in seconds. Default: 5.
  int keep_alive_timeout_s = 5;
  // Requests served on one keep-alive connection before it is closed. httplib's own
  // default is 5, which costs a TCP handshake every 5 requests. Default: 100,000.
  size_t keep_alive_max_requests = 100000;

  // --- Performance ---

  // Worker threads. httplib gives each connection a worker for as long as it stays
  // open, so this is also the number of connections served at once; more wait in the
  // accept queue. 0 chooses max(8, 2 x hardware threads). Default: 0.
  int threads = 0;

  // --- Logs ---

  // Decision log: one JSON line per sampled decision (request, decision, policy
  // version), appended to this file by a writer thread. "-" writes to stdout.
  // Empty disables the log. Default: "" (off).
  std::string decision_log_path;
  // Share of decisions logged, in [0, 1]. Sampling is deterministic: by a hash of
  // `request_id` when the request has one (so every replica logs the same ids),
  // else by a counter. Default: 1.0.
  double decision_log_sample_rate = 1.0;
  // Records buffered between the request threads and the writer. A full buffer
  // drops the record and counts it (statemark_decision_log_dropped_total); a request
  // never waits for the disk. Default: 65,536.
  size_t decision_log_buffer = 65536;
  // One JSON line per request on stderr: method, path, status, duration, bytes.
  // Default: true.
  bool access_log = true;
  // Lifecycle events (start, reloads with their diagnostics, stop) as JSON lines on
  // stderr. Default: true.
  bool event_log = true;
};

}  // namespace statemark::server

#endif  // STATEMARK_SERVER_OPTIONS_H_
