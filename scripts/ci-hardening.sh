#!/usr/bin/env bash
# The hardening jobs meant for CI, after scripts/test.sh: the whole CTest suite under
# ASan+UBSan (build-asan/) and under TSan (build-tsan/), then a short run of every fuzz
# target on the ASan build. See docs/reliability.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/sanitize.sh asan
bash scripts/sanitize.sh tsan
bash fuzz/ci.sh 25
