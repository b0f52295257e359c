#!/usr/bin/env bash
# The README's example requests still give the decisions recorded beside them
# (policy_version masked, since it changes with every edit of rules/).
set -euo pipefail
statemark=$1
root=$2
actual=$("$statemark" eval --rules "$root/rules" < "$root/examples/requests/worked_examples.jsonl" |
  sed -E 's/"policy_version":"[^"]*"/"policy_version":"<version>"/')
if ! diff -u "$root/examples/requests/worked_examples.expected.jsonl" <(printf '%s\n' "$actual"); then
  echo "the example decisions changed; if intended, regenerate worked_examples.expected.jsonl" >&2
  exit 1
fi
echo "examples: $(wc -l < "$root/examples/requests/worked_examples.jsonl") decisions as expected"
