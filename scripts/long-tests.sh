#!/usr/bin/env bash
# The long runs, outside the default test command:
#   - the differential test (decision tree against the reference evaluator) on
#     10,200,000 generated requests: 3,400,000 for the default policy and 850,000
#     for each of the eight random policies;
#   - a registry of 1,000,000 accounts, loaded and compiled with the default rules.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh

echo "== differential: 10,200,000 requests"
time STATEMARK_DIFFERENTIAL_REQUESTS=3400000 ./build/statemark_tests \
  -tc='the decision tree agrees*'

echo "== registry: 1,000,000 accounts"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp -r rules/. "$dir/"
rm -rf "$dir/tests"
awk 'BEGIN {
  OFS = ","
  split("none,none,none,none,none,none,state_controlled_media,state_affiliated_media,government_official,politician", aff, ",")
  split("RU,CN,US,GB,FR,DE,TR,BY,IR,KE", st, ",")
  print "id,affiliation,affiliated_state,home_country,parent_entity,label_appeal,geopolitical_role"
  for (i = 0; i < 1000000; i++) {
    a = aff[i % 10 + 1]; s = (a == "none") ? "" : st[i % 7 + 1]
    print "acct_" i, a, s, st[i % 10 + 1], (a == "none" ? "" : "Entity " (i % 5000)), "", (i % 3 == 0 ? "true" : "")
  }
}' > "$dir/registry/accounts.generated.csv"
# The generated rows replace the fixtures; keep the fixtures too, so listings resolve.
tail -n +2 "$dir/registry/accounts.generated.csv" > "$dir/rows.csv"
{ head -1 rules/registry/accounts.csv; tail -n +2 rules/registry/accounts.csv; } > "$dir/fixtures.csv"
# Align the generated rows to the fixture header (same column order).
awk -F, -v OFS=, 'NR == FNR { if (FNR == 1) { n = split($0, h, ",") } next }
  FNR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
  { line = ""; for (i = 1; i <= n; i++) { v = (h[i] in col) ? $(col[h[i]]) : ""; line = line (i > 1 ? "," : "") v } print line }' \
  "$dir/fixtures.csv" "$dir/registry/accounts.generated.csv" > "$dir/aligned.csv"
cat "$dir/fixtures.csv" "$dir/aligned.csv" > "$dir/registry/accounts.csv"
rm "$dir/registry/accounts.generated.csv" "$dir/rows.csv" "$dir/aligned.csv" "$dir/fixtures.csv"
wc -l "$dir/registry/accounts.csv"
/usr/bin/time -v ./build/statemark validate "$dir" 2>&1 | grep -E "^ok|Elapsed|Maximum resident"
./build/statemark bench --rules "$dir" --generate 1000 --seconds 2
