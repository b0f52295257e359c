#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit, integration, and the
# default policy's own test cases). This is what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure
