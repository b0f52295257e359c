#!/usr/bin/env bash
# generate_registry.sh N DIR: the default policy with a registry of N generated
# accounts (plus the shipped fixtures, so listings and domains resolve), written to
# DIR. A tenth of the accounts are state media or officials. Deterministic in N.
set -euo pipefail
n=$1
dir=$2
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$dir"
cp -r "$root/rules/." "$dir/"
rm -rf "$dir/tests"
fixtures="$root/rules/registry/accounts.csv"
# Generated rows in the fixture header's column order.
awk -F, -v OFS=, -v n="$n" 'NR == 1 {
    for (i = 1; i <= NF; i++) col[$i] = i
    split("none,none,none,none,none,none,state_controlled_media,state_affiliated_media,government_official,politician", aff, ",")
    split("RU,CN,US,GB,FR,DE,TR,BY,IR,KE", st, ",")
    print
    for (k = 0; k < n; k++) {
      for (i = 1; i <= NF; i++) v[i] = ""
      a = aff[k % 10 + 1]
      v[col["id"]] = "acct_" k
      v[col["affiliation"]] = a
      v[col["affiliated_state"]] = (a == "none") ? "" : st[k % 7 + 1]
      v[col["home_country"]] = st[k % 10 + 1]
      v[col["parent_entity"]] = (a == "none") ? "" : "Entity " (k % 5000)
      v[col["geopolitical_role"]] = (k % 3 == 0) ? "true" : ""
      line = v[1]
      for (i = 2; i <= NF; i++) line = line OFS v[i]
      print line
    }
    exit
  }' "$fixtures" > "$dir/registry/accounts.generated.csv"
# Header, generated rows, then the fixtures' rows.
{ head -n 1 "$dir/registry/accounts.generated.csv"; tail -n +2 "$fixtures"; tail -n +2 "$dir/registry/accounts.generated.csv"; } \
  > "$dir/registry/accounts.csv"
rm "$dir/registry/accounts.generated.csv"
