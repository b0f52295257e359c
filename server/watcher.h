// Watcher: polls a rules directory and calls back when its files change (--watch).
//
// Every interval it takes a fingerprint of the directory: the path, size and
// modification time of every regular file under it, except the policy's own tests
// (`tests/`), which are not part of the policy. A change triggers the callback only
// once the fingerprint has stayed the same for one more interval, so an editor or a
// deploy that writes several files is picked up whole rather than half-written. A
// reload that fails is not retried until the files change again.
//
// Polling rather than inotify: it works the same on every filesystem (bind mounts,
// Kubernetes ConfigMap symlink swaps, network filesystems) and costs one directory
// walk per interval.
//
// Thread safety: Start/Stop from one thread; the callback runs on the watcher's own.
#ifndef STATEMARK_SERVER_WATCHER_H_
#define STATEMARK_SERVER_WATCHER_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace statemark::server {

// The fingerprint described above; "" when the directory cannot be read.
std::string DirectoryFingerprint(const std::string& dir);

class Watcher {
 public:
  Watcher(std::string dir, std::chrono::milliseconds interval, std::function<void()> on_change);
  ~Watcher();  // Stop()
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  // Records the current fingerprint as the loaded one. Call before the initial load,
  // so a change made during that load is still seen.
  void Prime();
  void Start();
  void Stop();  // idempotent; returns once the thread has exited

 private:
  void Loop();

  const std::string dir_;
  const std::chrono::milliseconds interval_;
  const std::function<void()> on_change_;
  std::string loaded_;  // fingerprint of the last load attempt; watcher thread only after Start

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace statemark::server

#endif  // STATEMARK_SERVER_WATCHER_H_
