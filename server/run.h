// RunServer: the service as a process, with its signals.
//
//   SIGHUP           reload the rules directory (like POST /v1/policy/reload)
//   SIGTERM, SIGINT  graceful stop: stop accepting, finish requests in flight,
//                    flush the decision log, return 0 (an idle keep-alive connection
//                    holds the stop up to ServerOptions::keep_alive_timeout_s)
//
// The signals are blocked in every thread and taken synchronously by the calling
// thread (sigtimedwait), so the work they trigger runs in ordinary code rather than
// in a signal handler.
//
// Thread safety: call once, from the main thread, before any other thread starts.
#ifndef STATEMARK_SERVER_RUN_H_
#define STATEMARK_SERVER_RUN_H_

#include "server/options.h"

namespace statemark::server {

// Serves until SIGTERM or SIGINT. Returns the process exit status: 0 after a
// graceful stop, 1 when the server could not start (the reason is on stderr).
int RunServer(const ServerOptions& options);

}  // namespace statemark::server

#endif  // STATEMARK_SERVER_RUN_H_
