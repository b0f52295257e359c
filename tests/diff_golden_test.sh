#!/usr/bin/env bash
# Golden test of `statemark diff`: the default policy against a copy in which P4 demotes
# search to `ineligible` instead of `demoted`, at one instant. Usage: diff_golden_test.sh STATEMARK SOURCE_DIR
set -euo pipefail
statemark=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$src/rules" "$work/rules"
rm -rf "$work/rules/tests"
python3 - "$work/rules/platform.yaml" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
old = "      surfaces: { for_you: ineligible, explore: ineligible, search: demoted }\n\n  - id: P5"
assert old in s
open(p, "w").write(s.replace(old, old.replace("search: demoted", "search: ineligible")))
PY
status=0
"$statemark" diff "$src/rules" "$work/rules" --at 2024-07-01T12:00:00Z --format markdown > "$work/raw.md" || status=$?
# Versions hash the files' bytes; the golden output is about decisions only.
sed -E 's/sha256:[0-9a-f]{64}/sha256:(version)/g' "$work/raw.md" > "$work/out.md"
[ "$status" -eq 1 ] || { echo "expected exit status 1 (changes), got $status"; exit 1; }
diff -u "$src/tests/golden/diff_p4_search.md" "$work/out.md"
"$statemark" diff "$src/rules" "$src/rules" --at 2024-07-01T12:00:00Z > /dev/null
