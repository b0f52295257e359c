#!/usr/bin/env bash
# Every benchmark of docs/benchmarks.md in one run, outside the default test command:
#   bash scripts/bench.sh [OUT_DIR]     (default: build/bench)
# Writes one JSON file per measurement to OUT_DIR and prints the figures table
# (`statemark-bench report`). STATEMARK_BENCH_SECONDS sets the time per measurement
# (default 3); STATEMARK_BENCH_QUICK=1 runs every step briefly, as the smoke test does.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=${1:-build/bench}
secs=${STATEMARK_BENCH_SECONDS:-3}
quick=${STATEMARK_BENCH_QUICK:-0}
if [[ $quick == 1 ]]; then
  secs=0.2
  sizes="10 100"
  accounts=2000
else
  sizes="10 100 1000 10000"
  accounts=1000000
  bash scripts/install-deps.sh
  bash scripts/build.sh >/dev/null
fi
build=${STATEMARK_BUILD_DIR:-build}
sm="$build/statemark"
sb="$build/statemark-bench"
mkdir -p "$out"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

echo "== hardware" >&2
{
  echo "{\"cpu\": \"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)\","
  echo " \"cores\": $(nproc), \"memory_kb\": $(grep MemTotal /proc/meminfo | awk '{print $2}'),"
  echo " \"load_average\": \"$(cut -d' ' -f1-3 /proc/loadavg)\", \"kernel\": \"$(uname -r)\","
  echo " \"compiler\": \"$(c++ --version | head -1)\", \"build_type\": \"$(grep -m1 CMAKE_BUILD_TYPE:STRING "$build/CMakeCache.txt" | cut -d= -f2)\"}"
} > "$out/hardware.json"

echo "== default policy: tree, reference, hand-written (1,000 and 10,000 requests)" >&2
"$sm" bench --generate 1000 --seconds "$secs" --json > "$out/default_1000.json"
"$sm" bench --generate 10000 --seconds "$secs" --json > "$out/default_10000.json"

echo "== scaling: $sizes rules" >&2
for n in $sizes; do
  bash bench/generate_policy.sh "$n" "$work/rules_$n"
  "$sm" bench --rules "$work/rules_$n" --generate 1000 --seconds "$secs" --json > "$out/scaling_$n.json"
done

echo "== registry: $accounts accounts" >&2
bash bench/generate_registry.sh "$accounts" "$work/registry_rules"
"$sm" bench --rules "$work/registry_rules" --generate 1000 --seconds "$secs" --json > "$out/registry.json"
# The baseline for its memory: the same process on the default policy (default_1000.json).

echo "== eval path against parse and re-serialise" >&2
"$sb" requests --count 1000 --seed 1 > "$work/requests.jsonl"
"$sb" json --requests "$work/requests.jsonl" --seconds "$secs" > "$out/json.json"
# End to end through the CLI, stdin to stdout.
lines=$([[ $quick == 1 ]] && echo 1 || echo 20)
for _ in $(seq "$lines"); do cat "$work/requests.jsonl"; done > "$work/many.jsonl"
TIMEFORMAT=%R
cli_seconds=$({ time "$sm" eval < "$work/many.jsonl" > /dev/null; } 2>&1)
echo "{\"lines\": $(wc -l < "$work/many.jsonl"), \"seconds\": $cli_seconds}" > "$out/eval_cli.json"

echo "== HTTP on loopback, keep-alive" >&2
# A request body, and the body the bare server answers with: a real decision for it.
head -1 "$work/requests.jsonl" > "$work/one.json"
"$sm" eval < "$work/one.json" > "$work/decision.json"
"$sb" batch --items 1000 --seed 2 > "$work/batch.json"
port_base=$((20000 + RANDOM % 20000))

wait_ready() {  # port
  "$sb" wait --port "$1"
}
start_server() {  # name port [flags...]
  local name=$1 port=$2
  shift 2
  "$sm" serve --port "$port" --no-access-log "$@" 2> "$work/$name.log" &
  pids+=($!)
  wait_ready "$port"
}
stop_last() {
  local last=${pids[-1]}
  kill "$last" 2>/dev/null || true
  wait "$last" 2>/dev/null || true
  unset 'pids[-1]'
}

"$sb" bare-server --port "$port_base" --body "$work/decision.json" &
pids+=($!)
wait_ready "$port_base"
for c in 1 4; do
  "$sb" load --port "$port_base" --body "$work/one.json" --connections "$c" --seconds "$secs" \
    > "$out/http_bare_c$c.json"
done
stop_last

port=$((port_base + 1))
start_server statemark "$port"
for c in 1 4; do
  "$sb" load --port "$port" --body "$work/one.json" --connections "$c" --seconds "$secs" \
    > "$out/http_single_c$c.json"
done
for c in 1 2; do
  "$sb" load --port "$port" --path /v1/decide/batch --body "$work/batch.json" --items 1000 \
    --connections "$c" --seconds "$secs" > "$out/http_batch_c$c.json"
done
stop_last

port=$((port_base + 2))
start_server logged "$port" --decision-log "$work/decisions.jsonl" --decision-log-sample 1
"$sb" load --port "$port" --body "$work/one.json" --connections 4 --seconds "$secs" \
  > "$out/http_single_logged_c4.json"
"$sb" load --port "$port" --path /v1/decide/batch --body "$work/batch.json" --items 1000 \
  --connections 2 --seconds "$secs" > "$out/http_batch_logged_c2.json"
stop_last
echo "{\"decision_log_lines\": $(wc -l < "$work/decisions.jsonl")}" > "$out/decision_log.json"

"$sb" report "$out" | tee "$out/report.md"
