#include "server/run.h"

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <ctime>
#include <iostream>

#include "server/server.h"

namespace statemark::server {

int RunServer(const ServerOptions& options) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  // Blocked before the server starts its threads, which inherit the mask: only
  // sigtimedwait below ever sees these signals.
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Server server(options);
  std::string error;
  if (!server.Start(&error)) {
    std::cerr << "statemark serve: " << error << "\n";
    return 1;
  }
  if (!server.store().Current()) {
    std::cerr << "statemark serve: no policy loaded from `"
              << (options.bundle_url.empty() ? options.rules_dir : options.bundle_url)
              << "`; answering 503 until a reload succeeds\n";
  }
  for (;;) {
    const timespec tick = {1, 0};
    const int signal = sigtimedwait(&signals, nullptr, &tick);
    if (signal == SIGHUP) {
      server.Reload(ReloadTrigger::kSignal);
    } else if (signal == SIGTERM || signal == SIGINT) {
      break;
    } else if (signal < 0 && errno != EAGAIN && errno != EINTR) {
      std::cerr << "statemark serve: waiting for signals failed\n";
      break;
    }
  }
  server.Stop();
  return 0;
}

}  // namespace statemark::server
