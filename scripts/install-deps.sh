#!/usr/bin/env bash
# Installs what Statemark needs to build and test, from Debian 12's packages.
# Safe to re-run: packages already installed are skipped. Needs root (or sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates tzdata
  libyaml-cpp-dev libre2-dev nlohmann-json3-dev doctest-dev libcpp-httplib-dev
  libhowardhinnant-date-dev libssl-dev
  libarchive-dev nginx python3
  python3-yaml python3-jsonschema
  libyaml-dev  # the policy loader's fast YAML reader (engine/internal/yaml_fast_reader.*)
  libsimdjson-dev  # the request parser's fast path (engine/simd_request_parser.*)
  chromium  # the playground's browser tests (tests/browser)
)
# The browser tests drive Chromium from Node.js; keep a Node.js that is already installed.
command -v npm >/dev/null || packages+=(nodejs npm)
# The sanitizer builds and the fuzz targets (scripts/sanitize.sh, fuzz/) build with clang.
[[ ${1:-} == --hardening ]] && packages+=(clang libclang-rt-14-dev llvm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
echo "installing: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
