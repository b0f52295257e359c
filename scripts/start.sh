#!/usr/bin/env bash
# Installs what is missing, builds, checks the default policy, and decides the worked
# examples in examples/requests/ with `statemark eval`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
./build/statemark validate rules
./build/statemark eval --rules rules < examples/requests/worked_examples.jsonl
