#include "server/watcher.h"

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

namespace statemark::server {

namespace fs = std::filesystem;

namespace {
constexpr int kMaxDepth = 4;  // a policy directory is two levels deep
}  // namespace

std::string DirectoryFingerprint(const std::string& dir) {
  std::error_code ec;
  std::vector<std::string> entries;
  fs::recursive_directory_iterator it(dir, fs::directory_options::follow_directory_symlink, ec);
  if (ec) return "";
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return "";
    const fs::path relative = it->path().lexically_relative(dir);
    if (it->is_directory(ec)) {
      // Directory symlinks are followed (a registry/ link, a ConfigMap's ..data), so
      // the depth cap keeps a symlink cycle from walking forever.
      if ((it.depth() == 0 && relative == "tests") || it.depth() >= kMaxDepth) {
        it.disable_recursion_pending();
      }
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    const auto size = it->file_size(ec);
    const auto mtime = it->last_write_time(ec).time_since_epoch().count();
    if (ec) continue;  // vanished between listing and stat: the next poll sees it
    entries.push_back(relative.string() + "\t" + std::to_string(size) + "\t" +
                      std::to_string(mtime));
  }
  std::sort(entries.begin(), entries.end());
  std::string fingerprint;
  for (const std::string& e : entries) fingerprint.append(e).push_back('\n');
  return fingerprint;
}

Watcher::Watcher(std::string dir, std::chrono::milliseconds interval,
                 std::function<void()> on_change)
    : dir_(std::move(dir)), interval_(interval), on_change_(std::move(on_change)) {}

Watcher::~Watcher() { Stop(); }

void Watcher::Prime() { loaded_ = DirectoryFingerprint(dir_); }

void Watcher::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void Watcher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Watcher::Loop() {
  std::string previous = loaded_;  // fingerprint at the previous poll
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) return;
    }
    const std::string now = DirectoryFingerprint(dir_);
    // Act on a change only once it has held still for a whole interval.
    if (now != loaded_ && now == previous) {
      loaded_ = now;
      on_change_();
    }
    previous = now;
  }
}

}  // namespace statemark::server
