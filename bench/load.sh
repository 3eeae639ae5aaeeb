#!/usr/bin/env bash
# Load test of the items endpoint: wrk sends bbox queries of about 100
# features each (random boxes, the same for every run with the same seed).
#
#   bench/load.sh [BASE_URL] [COLLECTION] [DURATION] [CONNECTIONS] [ITEMS_PATH]
#
# BASE_URL defaults to http://127.0.0.1:8080, COLLECTION to stop_signs,
# DURATION to 30s, CONNECTIONS to 8. ITEMS_PATH lets the same boxes go to
# another server (e.g. pg_featureserv: /collections/bench.stop_signs/items.json).
# The boxes are sized from cityatlas's own /collections/COLLECTION.
# Needs wrk (Debian package wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-http://127.0.0.1:8080}
coll=${2:-stop_signs}
dur=${3:-30s}
conns=${4:-8}
path=${5:-/collections/$coll/items}
boxes=$(mktemp)
trap 'rm -f "$boxes"' EXIT
go run ./bench/bboxes -url "${CITYATLAS_URL:-$base}" -collection "$coll" -n 20000 > "$boxes"
echo "wrk: $base$path?bbox=...&limit=100, $conns connections, $dur" >&2
BOXES=$boxes ITEMS_PATH=$path wrk -t 2 -c "$conns" -d "$dur" --latency -s bench/load.lua "$base"
