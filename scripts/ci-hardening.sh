#!/usr/bin/env bash
# The hardening jobs of CI, after scripts/test.sh: the whole CTest suite under ASan+UBSan
# (build-asan/) and under TSan (build-tsan/), then a short run of every fuzz target on
# the ASan build. Each job prints its wall time. See docs/reliability.md.
set -euo pipefail
cd "$(dirname "$0")/.."
job() {
  local name=$1 start=$SECONDS
  shift
  echo "== $name"
  "$@"
  echo "== $name: $((SECONDS - start)) s"
}
job "asan+ubsan" bash scripts/sanitize.sh asan
job "tsan" bash scripts/sanitize.sh tsan
job "fuzz" bash fuzz/ci.sh 25
