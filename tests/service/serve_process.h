// A `statemark serve` child process for the fault tests: started on a free port with
// its stderr (events and access log) in a file, stopped with a signal.
#ifndef STATEMARK_TESTS_SERVICE_SERVE_PROCESS_H_
#define STATEMARK_TESTS_SERVICE_SERVE_PROCESS_H_

#include <httplib.h>
#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace statemark::service_test {

// A directory in memory (/dev/shm) where the system has one, removed at the end.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }
  // Copies the default policy (without its tests) here.
  void CopyDefaultPolicy() const;

 private:
  std::filesystem::path path_;
};

std::string ReadFile(const std::filesystem::path& p);
// Writes `text` to a temporary file beside `p` and renames it over `p`.
void ReplaceFile(const std::filesystem::path& p, const std::string& text);

class ServeProcess {
 public:
  // Starts `statemark serve --port 0 <args>` with STATEMARK_ADMIN_TOKEN=`token`, and
  // waits (up to 60 s) for its server_started event. started() tells whether it came up.
  ServeProcess(const std::vector<std::string>& args, const std::string& token = "");
  ~ServeProcess();  // SIGKILL if still running
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  bool started() const { return port_ > 0; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::unique_ptr<httplib::Client> Client(int timeout_seconds = 30) const;
  void Signal(int signal) const;
  // Waits up to `seconds` for the process to exit; its exit status, or -1 on timeout.
  int Wait(double seconds);
  std::string Log() const;  // stderr so far
  long RssKilobytes() const;  // VmRSS from /proc, or -1

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  ScratchDir log_dir_;
};

// The policy version in a decision's or a reload answer's JSON body, or "".
std::string BodyVersion(const std::string& body);

}  // namespace statemark::service_test

#endif  // STATEMARK_TESTS_SERVICE_SERVE_PROCESS_H_
