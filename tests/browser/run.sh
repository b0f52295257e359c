#!/usr/bin/env bash
# End-to-end tests of the policy playground: starts `statemark serve` on a free
# loopback port with the default policy, and drives Debian's Chromium headless through
# playwright-core (tests/browser/playground.test.mjs).
#   usage: run.sh STATEMARK_BINARY SOURCE_DIR
# STATEMARK_SCREENSHOTS=DIR saves a screenshot of each view in DIR (docs/ keeps them).
set -euo pipefail
statemark=$1
src=$(cd "$2" && pwd)
here="$src/tests/browser"

chromium=${CHROMIUM:-$(command -v chromium || true)}
if [[ -z "$chromium" ]]; then
  echo "run.sh: chromium is not installed; run: bash scripts/install-deps.sh" >&2
  exit 1
fi
if ! command -v npm >/dev/null; then
  echo "run.sh: npm is not installed; run: bash scripts/install-deps.sh" >&2
  exit 1
fi
# playwright-core from the npm registry, exactly as locked. Node.js trusts only its own
# CA list; also trust the system's, where a site adds its own (a TLS-inspecting proxy).
if [[ -z "${NODE_EXTRA_CA_CERTS:-}" && -f /etc/ssl/certs/ca-certificates.crt ]]; then
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi
if [[ ! -f "$here/node_modules/playwright-core/package.json" ||
      "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]]; then
  npm_log=$(mktemp)
  if ! (cd "$here" && npm ci --no-audit --no-fund --loglevel=error) >"$npm_log" 2>&1; then
    cat "$npm_log" >&2
    # A machine that cannot reach the npm registry skips the browser tests (CTest shows
    # them as skipped, exit 77); any other npm failure fails them.
    if grep -Eq 'ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|CERT|certificate' "$npm_log"; then
      echo "run.sh: the npm registry is unreachable from this machine; browser tests skipped" >&2
      exit 77
    fi
    exit 1
  fi
fi

log=$(mktemp)
"$statemark" serve --rules "$src/rules" --port 0 2>"$log" &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$log"' EXIT
url=""
for _ in $(seq 1 200); do
  url=$(grep -o '"address":"http://[^"]*"' "$log" | head -1 | cut -d'"' -f4 || true)
  [[ -n "$url" ]] && break
  kill -0 "$server" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.05
done
[[ -n "$url" ]] || { echo "run.sh: the service did not start" >&2; cat "$log" >&2; exit 1; }

if [[ -n "${STATEMARK_SCREENSHOTS:-}" ]]; then
  mkdir -p "$STATEMARK_SCREENSHOTS"
  export STATEMARK_SCREENSHOTS=$(cd "$STATEMARK_SCREENSHOTS" && pwd)
fi
cd "$here"
STATEMARK_URL="$url" CHROMIUM="$chromium" STATEMARK_SOURCE_DIR="$src" \
  node --test playground.test.mjs
