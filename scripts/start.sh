#!/usr/bin/env bash
# Installs what is missing, builds, checks the default policy, and starts the decision
# service on it at 127.0.0.1:8080 (Ctrl-C or SIGTERM stops it; SIGHUP reloads the rules).
# Extra arguments go to `statemark serve`, e.g. `--port 9090` or `--watch`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
./build/statemark validate rules
exec ./build/statemark serve --rules rules "$@"
