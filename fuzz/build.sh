#!/usr/bin/env bash
# Builds the libFuzzer targets (with ASan and UBSan) and lays out their seed corpora in
# <build>/seeds/<target>/ from rules/, tests/corpus/ and examples/. The build is the
# ASan one of scripts/sanitize.sh (build-asan/, instrumented for libFuzzer too); set
# FUZZ_BUILD_DIR to use another directory configured with -DSTATEMARK_FUZZ=ON.
# Run a target with fuzz/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${FUZZ_BUILD_DIR:-build-asan}
if [[ $build == build-asan ]]; then
  bash scripts/sanitize.sh asan --no-test
else
  ninja -C "$build" -j"${JOBS:-2}" rule_loader_fuzzer registry_loader_fuzzer \
    request_parser_fuzzer decide_fuzzer request_seeds
fi

seeds=$build/seeds
rm -rf "$seeds"
mkdir -p "$seeds"/{rule_loader,registry_loader,request_parser,decide}
# Rule files: the default policy's files, and every YAML file of the bad-rule corpus.
for f in rules/*.yaml tests/corpus/bad_rules/*/*.yaml; do
  cp "$f" "$seeds/rule_loader/$(echo "$f" | tr / _)"
done
# The added lines of the corpus' edits, as fragments.
for f in tests/corpus/bad_rules/*/edit.txt; do
  sed -n 's/^+//p' "$f" > "$seeds/rule_loader/$(echo "$f" | tr / _).yaml"
done
# Registries: accounts, listings and domains joined by form feeds.
join_registry() {  # dir name
  local d=$1
  { cat "$d/accounts.csv" 2>/dev/null || cat rules/registry/accounts.csv; printf '\f'
    cat "$d/listings.csv" 2>/dev/null || cat rules/registry/listings.csv; printf '\f'
    cat "$d/domains.csv" 2>/dev/null || cat rules/registry/domains.csv; } > "$seeds/registry_loader/$2"
}
join_registry rules/registry default
for d in tests/corpus/bad_rules/*/registry; do
  join_registry "$d" "$(basename "$(dirname "$d")")"
done
# Requests: the examples, the bad-request corpus, and generated ones.
n=0
while IFS= read -r line; do
  [[ -n $line ]] && printf '%s' "$line" > "$seeds/decide/example_$((n++)).json"
done < examples/requests/worked_examples.jsonl
cp tests/corpus/bad_requests/*.json "$seeds/decide/"
"$build/fuzz/request_seeds" "$seeds/decide" 200
cp "$seeds"/decide/* "$seeds/request_parser/"
# Inputs that once crashed a target stay in its seeds, so every run replays them.
for d in fuzz/regressions/*/; do
  cp "$d"* "$seeds/$(basename "$d")/"
done
echo "seeds: $(for t in rule_loader registry_loader request_parser decide; do printf '%s=%s ' $t "$(ls "$seeds/$t" | wc -l)"; done)"
