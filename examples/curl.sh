#!/usr/bin/env bash
# curl for every endpoint of `statemark serve` (docs/service.md).
#
#   ./build/statemark serve --rules rules &          # 127.0.0.1:8080 by default
#   bash examples/curl.sh
#
# STATEMARK_URL changes the address; STATEMARK_ADMIN_TOKEN is sent to the reload
# endpoint (start the server with the same variable set, or with --admin-token-file).
set -uo pipefail
URL="${STATEMARK_URL:-http://127.0.0.1:8080}"
JSON=(-H 'Content-Type: application/json')

show() {  # show TITLE COMMAND...: prints the title, runs the command
  printf '\n== %s\n' "$1"
  shift
  "$@"
  echo
}

# Liveness: 200 while the process runs.
show "GET /healthz" curl -sS "$URL/healthz"

# Readiness: 200 with the policy version once a policy is loaded, else 503.
show "GET /readyz" curl -sS "$URL/readyz"

# One decision.
show "POST /v1/decide" curl -sS "${JSON[@]}" "$URL/v1/decide" -d '{
  "request_id": "r-1", "time": "2024-07-01T12:00:00Z",
  "viewer": {"country": "US"},
  "account": {"id": "xinhua"},
  "content": {"topics": ["current_global_affairs"]}}'

# An ad request: `ad` present; every denied country names the rules that denied it.
show "POST /v1/decide (an ad request)" curl -sS "${JSON[@]}" "$URL/v1/decide" -d '{
  "request_id": "r-2", "time": "2024-07-01T12:00:00Z",
  "viewer": {"country": "TR"},
  "account": {"id": "tr_wire"},
  "content": {"topics": ["travel_tourism"]},
  "ad": {"target_countries": ["TR", "DE", "AZ"], "topics": ["travel_tourism"]}}'

# A batch: viewer and time once, then the items; an item may override a shared field,
# and an invalid item gets {"error": ...} in its slot while the others are decided.
show "POST /v1/decide/batch" curl -sS "${JSON[@]}" "$URL/v1/decide/batch" -d '{
  "time": "2024-07-01T12:00:00Z", "viewer": {"country": "GB"},
  "items": [
    {"request_id": "c-1", "account": {"id": "xinhua"}, "content": {"topics": ["war_conflict"]}},
    {"request_id": "c-2", "account": {"id": "creator_gb"}, "content": {"topics": ["travel_tourism"]}},
    {"request_id": "c-3", "viewer": {"country": "US"}, "account": {"id": "rt_en"}},
    {"request_id": "c-4", "account": {"id": "x", "affiliation": "state_controled_media"}}]}'

# Errors are JSON with a stable code, a message and the path of the offending value.
show "POST /v1/decide with an unknown country code (400)" curl -sS "${JSON[@]}" "$URL/v1/decide" -d '{"viewer": {"country": "UK"}, "account": {"id": "bbc"}}'
show "POST /v1/decide with the wrong content type (415)" curl -sS -w ' (HTTP %{http_code})' -H 'Content-Type: text/plain' "$URL/v1/decide" -d '{}'

# The loaded policy: version, load time, source files with sha256, rule and registry
# counts, decision-tree size, and the last reload (with its diagnostics if it failed).
show "GET /v1/policy" curl -sS "$URL/v1/policy"

# Reload from disk. Needs the admin token; without one configured the endpoint is
# disabled (403). A policy with errors answers 422 and the old one keeps serving.
# (`kill -HUP <pid>` reloads too, without a token.)
show "POST /v1/policy/reload" curl -sS -X POST -H "Authorization: Bearer ${STATEMARK_ADMIN_TOKEN:-}" "$URL/v1/policy/reload"

# Prometheus metrics (first lines).
printf '\n== GET /metrics (first samples)\n'
curl -sS "$URL/metrics" | grep -v '^#' | sed -n 1,20p  # sed reads to the end: no SIGPIPE
