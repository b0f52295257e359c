#include "server/access_log.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "engine/decision_json.h"
#include "engine/instant.h"

namespace statemark::server {

std::string AccessLogLine(const AccessRecord& r) {
  std::string line;
  line.reserve(192);
  line.append("{\"ts\":");
  AppendJsonString(FormatRfc3339(Now()), &line);
  line.append(",\"method\":");
  AppendJsonString(r.method, &line);
  line.append(",\"path\":");
  AppendJsonString(r.path, &line);
  line.append(",\"status\":").append(std::to_string(r.status));
  char duration[32];
  std::snprintf(duration, sizeof duration, "%.3f", r.seconds * 1e3);
  line.append(",\"duration_ms\":").append(duration);
  line.append(",\"bytes_in\":").append(std::to_string(r.bytes_in));
  line.append(",\"bytes_out\":").append(std::to_string(r.bytes_out));
  line.append(",\"remote\":");
  AppendJsonString(r.remote, &line);
  line.append("}\n");
  return line;
}

void WriteStderrLine(std::string_view line) {
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to report a failing stderr
    done += static_cast<size_t>(n);
  }
}

}  // namespace statemark::server
