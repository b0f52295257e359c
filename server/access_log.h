// Structured logs on stderr: one JSON line per HTTP request (the access log) and one
// per lifecycle event (start, reload, stop).
//
// Access-log line:
//   {"ts":"2024-07-01T12:00:00.123Z","method":"POST","path":"/v1/decide","status":200,
//    "duration_ms":0.183,"bytes_in":212,"bytes_out":431,"remote":"127.0.0.1"}
// Each line is written with a single write(2), so lines from concurrent requests never
// interleave (lines are far below PIPE_BUF).
//
// Thread safety: pure functions and single writes; safe from any thread.
#ifndef STATEMARK_SERVER_ACCESS_LOG_H_
#define STATEMARK_SERVER_ACCESS_LOG_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace statemark::server {

struct AccessRecord {
  std::string_view method;
  std::string_view path;  // without the query string
  int status = 0;
  double seconds = 0;
  size_t bytes_in = 0;
  size_t bytes_out = 0;
  std::string_view remote;
};

// The access-log line for `r`, with its trailing newline.
std::string AccessLogLine(const AccessRecord& r);

// Writes `line` (which must end in a newline) to stderr in one write.
void WriteStderrLine(std::string_view line);

}  // namespace statemark::server

#endif  // STATEMARK_SERVER_ACCESS_LOG_H_
