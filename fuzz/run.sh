#!/usr/bin/env bash
# Runs one fuzz target built by fuzz/build.sh for SECONDS (default 600), in
# $FUZZ_BUILD_DIR (default build-asan):
#   bash fuzz/run.sh rule_loader 600
# The working corpus grows in <build>/corpus/<target>/ (seeded from
# <build>/seeds/<target>/); crashes land in <build>/crashes/<target>/ and fail the
# run. The last lines of the log give the executions (#N) and the coverage.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: fuzz/run.sh TARGET [SECONDS]}
seconds=${2:-600}
build=${FUZZ_BUILD_DIR:-build-asan}
corpus=$build/corpus/$target
crashes=$build/crashes/$target
mkdir -p "$corpus" "$crashes"
dict=()
[[ -f fuzz/$target.dict ]] && dict=(-dict="fuzz/$target.dict")
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
exec "$build/fuzz/${target}_fuzzer" "$corpus" "$build/seeds/$target" "${dict[@]}" \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="$crashes/"
