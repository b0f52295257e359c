#!/usr/bin/env bash
# The short fuzz run of CI: every target for SECONDS (default 25) from its seeds, on the
# ASan build (build-asan/, built by scripts/sanitize.sh asan). A crash, leak, hang or
# sanitizer report fails the run; the reproducer is left in build-asan/crashes/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-25}
bash fuzz/build.sh
for target in rule_loader registry_loader request_parser decide; do
  echo "== fuzz $target: ${seconds} s"
  bash fuzz/run.sh "$target" "$seconds" 2>&1 | grep -E "^#[0-9]+ +DONE|stat::number_of_executed_units|ERROR|SUMMARY|Test unit written" || true
  # run.sh exits non-zero on a finding; grep above hides its status, so check for artifacts.
  if compgen -G "build-asan/crashes/$target/*" >/dev/null; then
    echo "fuzz $target: finding in build-asan/crashes/$target/" >&2
    exit 1
  fi
done
