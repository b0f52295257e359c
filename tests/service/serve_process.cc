#include "tests/service/serve_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

namespace statemark::service_test {
namespace fs = std::filesystem;

ScratchDir::ScratchDir() {
  static std::atomic<int> counter{0};
  std::error_code ec;
  const fs::path shm = "/dev/shm";
  const fs::path base =
      fs::is_directory(shm, ec) && access(shm.c_str(), W_OK) == 0 ? shm : fs::temp_directory_path();
  path_ = base / ("statemark-service-test-" + std::to_string(getpid()) + "-" +
                  std::to_string(counter++));
  fs::remove_all(path_, ec);
  fs::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void ScratchDir::CopyDefaultPolicy() const {
  for (const auto& entry : fs::directory_iterator(fs::path(STATEMARK_SOURCE_DIR) / "rules")) {
    if (entry.path().filename() == "tests") continue;
    fs::copy(entry.path(), path_ / entry.path().filename(),
             fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  }
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void ReplaceFile(const fs::path& p, const std::string& text) {
  const fs::path tmp = p.string() + ".tmp";
  std::ofstream(tmp, std::ios::binary | std::ios::trunc) << text;
  fs::rename(tmp, p);
}

ServeProcess::ServeProcess(const std::vector<std::string>& args, const std::string& token) {
  const std::string log = (log_dir_.path() / "stderr.log").string();
  std::vector<std::string> argv_strings = {STATEMARK_BINARY, "serve", "--port", "0"};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::fflush(nullptr);  // else the child would write our buffered output again
  pid_ = fork();
  if (pid_ == 0) {
    std::vector<char*> argv;
    for (std::string& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    if (!freopen(log.c_str(), "w", stderr) || !freopen("/dev/null", "w", stdout)) _exit(127);
    if (token.empty()) {
      unsetenv("STATEMARK_ADMIN_TOKEN");
    } else {
      setenv("STATEMARK_ADMIN_TOKEN", token.c_str(), 1);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  const std::regex started(R"re("event":"server_started","address":"http://[^:]+:(\d+)")re");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch m;
    const std::string text = ReadFile(log);
    if (std::regex_search(text, m, started)) {
      port_ = std::stoi(m[1]);
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

ServeProcess::~ServeProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

std::unique_ptr<httplib::Client> ServeProcess::Client(int timeout_seconds) const {
  auto client = std::make_unique<httplib::Client>("127.0.0.1", port_);
  client->set_keep_alive(true);
  client->set_tcp_nodelay(true);
  client->set_connection_timeout(timeout_seconds, 0);
  client->set_read_timeout(timeout_seconds, 0);
  client->set_write_timeout(timeout_seconds, 0);
  return client;
}

void ServeProcess::Signal(int signal) const {
  if (pid_ > 0) kill(pid_, signal);
}

int ServeProcess::Wait(double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (pid_ > 0) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

std::string ServeProcess::Log() const { return ReadFile(log_dir_.path() / "stderr.log"); }

long ServeProcess::RssKilobytes() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

std::string BodyVersion(const std::string& body) {
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("policy_version") || !j["policy_version"].is_string()) return "";
  return j["policy_version"].get<std::string>();
}

}  // namespace statemark::service_test
