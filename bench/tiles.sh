#!/usr/bin/env bash
# Load test of a vector tile server with wrk over a fixed random mix of
# tiles at one zoom inside the benchmark extent (bench/tiles: 1 M uniform
# points around Imperial, CA). The same script measures cityatlas and any
# other server, so the figures are comparable.
#
# Usage: bench/tiles.sh URL_TEMPLATE [ZOOM] [SECONDS] [CONNECTIONS]
#   URL_TEMPLATE has {z}, {x} and {y}, e.g.
#     http://127.0.0.1:18182/collections/points/tiles/WebMercatorQuad/{z}/{y}/{x}
#     http://127.0.0.1:7800/public.points/{z}/{x}/{y}.pbf      (pg_tileserv)
#   ZOOM defaults to 14, SECONDS to 10, CONNECTIONS to 4 (2 threads).
#
# Serve the benchmark data with cityatlas first, e.g.:
#   go test ./bench/tiles -run XXX -bench Tiles/z16 -benchtime 1x   # builds bench/out/points-1m.gpkg
#   go run ./cmd/cityatlas serve --data bench/out/points-1m.gpkg --addr 127.0.0.1:18182
# Only loopback addresses are allowed as targets. cityatlas lets one client
# run 16 tile requests at once: for more CONNECTIONS, serve with
# --client-concurrency N.
set -euo pipefail
url=${1:?usage: bench/tiles.sh URL_TEMPLATE [ZOOM] [SECONDS] [CONNECTIONS]}
zoom=${2:-14}
secs=${3:-10}
conns=${4:-4}
case "$url" in
  http://127.*|http://localhost*|http://\[::1\]*) ;;
  *) echo "tiles.sh: only loopback targets (127.0.0.0/8, localhost, [::1])" >&2; exit 2 ;;
esac
command -v wrk >/dev/null || { echo "tiles.sh: wrk is missing (apt-get install wrk)" >&2; exit 1; }

# The extent of bench/tiles (WGS84): minLon minLat maxLon maxLat.
read -r x0 x1 y0 y1 < <(awk -v z="$zoom" 'function tx(lon) { return int((lon + 180) / 360 * 2^z) }
  function ty(lat,  r) { r = lat * 3.141592653589793 / 180; return int((1 - log((1 + sin(r)) / (1 - sin(r))) / 2 / 3.141592653589793) / 2 * 2^z) }
  BEGIN { print tx(-115.69), tx(-115.45), ty(32.95), ty(32.75) }')
origin=$(printf '%s' "$url" | sed -E 's#^(https?://[^/]+).*#\1#')
path=${url#"$origin"}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/mix.lua" <<LUA
local x0, x1, y0, y1, z = $x0, $x1, $y0, $y1, $zoom
local template = "$path"
local n = 0
setup = function(thread) thread:set("seed", n); n = n + 1 end
init = function() math.randomseed(1000 + (seed or 0)) end
request = function()
  local p = template:gsub("{z}", tostring(z)):gsub("{x}", tostring(math.random(x0, x1))):gsub("{y}", tostring(math.random(y0, y1)))
  return wrk.format("GET", p)
end
LUA
echo "tiles.sh: z$zoom, columns $x0..$x1, rows $y0..$y1, ${secs}s, $conns connections: $url" >&2
wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$tmp/mix.lua" "$origin"
