#!/usr/bin/env bash
# `statemark fmt` from the command line: --check lists a file that is not canonical and
# exits 1; fmt rewrites it in place; then --check passes; a broken file exits 1 and is
# left as it was. Usage: fmt_cli_test.sh STATEMARK
set -euo pipefail
statemark=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

printf 'rules:\n    - layer: platform   \n      id: P1   # first\n\n\n      then: {labels: [x]}\n' >"$dir/r.yaml"
set +e
out=$("$statemark" fmt --check "$dir/r.yaml")
status=$?
set -e
[[ $status == 1 ]] || { echo "fmt --check exited $status on a messy file"; exit 1; }
grep -q "r.yaml:2: not in canonical form" <<<"$out" || { echo "unexpected: $out"; exit 1; }

"$statemark" fmt "$dir/r.yaml" | grep -q "formatted $dir/r.yaml"
expected=$'rules:\n  - id: P1  # first\n    layer: platform\n\n    then: { labels: [x] }\n'
[[ "$(cat "$dir/r.yaml")" == "${expected%$'\n'}" ]] || { echo "got:"; cat "$dir/r.yaml"; exit 1; }
"$statemark" fmt --check "$dir/r.yaml"
[[ ! -e "$dir/r.yaml.fmt-tmp" ]]

printf 'a: [1, 2\n' >"$dir/bad.yaml"
set +e
"$statemark" fmt "$dir/bad.yaml" 2>"$dir/err"
status=$?
set -e
[[ $status == 1 ]] && grep -q "error\[yaml-syntax\]" "$dir/err"
[[ "$(cat "$dir/bad.yaml")" == "a: [1, 2" ]]
echo "fmt cli: ok"
