#!/usr/bin/env bash
# Builds Statemark with clang and a sanitizer, in its own build directory, and runs the
# whole CTest suite there:
#   bash scripts/sanitize.sh asan   # AddressSanitizer + UndefinedBehaviorSanitizer, in build-asan/
#   bash scripts/sanitize.sh tsan   # ThreadSanitizer, in build-tsan/
#   ... --no-test                   # build only
# Any report fails the run (-fno-sanitize-recover, halt_on_error). The ASan build is
# also instrumented for libFuzzer (fuzzer-no-link) and builds the fuzz targets, so CI
# compiles the code once for both; see fuzz/build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:?usage: scripts/sanitize.sh asan|tsan [--no-test]}
bash scripts/install-deps.sh --hardening
extra=()
case $kind in
  asan)
    flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
    extra=(-DSTATEMARK_FUZZ=ON -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link")
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    ;;
  tsan)
    flags="-fsanitize=thread"
    export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$(pwd)/scripts/tsan.supp}
    ;;
  *) echo "unknown sanitizer: $kind" >&2; exit 2 ;;
esac
dir=build-$kind
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# -O1 with line tables only: far less compile time than RelWithDebInfo, and stack
# traces that still name file and line.
# The allocation counter replaces operator new, as the sanitizer runtimes do: left out.
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Sanitize "${launcher[@]}" "${extra[@]}" \
  -DSTATEMARK_COUNT_ALLOCATIONS=OFF \
  -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_CXX_FLAGS_SANITIZE="-O1 -gline-tables-only $flags" \
  -DCMAKE_EXE_LINKER_FLAGS="$flags" >/dev/null
ninja -C "$dir" -j"${JOBS:-2}"
[[ ${2:-} == --no-test ]] && exit 0
# Under a sanitizer the differential tests decide 5,000 requests per policy instead of
# 20,000: the same code paths, a quarter of the time.
export STATEMARK_DIFFERENTIAL_REQUESTS=${STATEMARK_DIFFERENTIAL_REQUESTS:-5000}
# The other randomised tests try a tenth of their generated inputs (fewer random
# policies, fewer requests each): the plain build, in scripts/test.sh, runs them in full.
export STATEMARK_TEST_WORK_SCALE=${STATEMARK_TEST_WORK_SCALE:-0.1}
# Tests with time limits (client read timeouts) multiply them by this: the code runs
# several times slower under a sanitizer.
export STATEMARK_TEST_TIME_SCALE=${STATEMARK_TEST_TIME_SCALE:-10}
# Two at a time: the unit suite is the long pole, the service tests run beside it.
ctest --test-dir "$dir" --output-on-failure --parallel "${JOBS:-2}"
