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
# playwright-core from the npm registry, exactly as locked.
if [[ ! -f "$here/node_modules/playwright-core/package.json" ||
      "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
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
