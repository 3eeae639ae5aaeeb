#!/usr/bin/env bash
# Side-by-side benchmark of cityatlas and its peers on the same PostGIS
# data, every row of issue 15's table (and issue 9's filter row) in one go:
# each workload runs in alternating rounds (cityatlas, peer, cityatlas,
# peer, ...) with the same requests for both, and the script prints a
# markdown table of requests per second per round, the medians and the ratio.
#
#   bench/compare.sh                  # ROUNDS=3 DURATION=10s by default
#   ROUNDS=3 DURATION=3s bench/compare.sh
#   ONLY="items100 tiles14" bench/compare.sh   # a subset of the rows
#
# Rows (ONLY takes these names): items100 (bbox pages of ~100 features),
# items10 (~10 features), items1 (limit=1, the fixed cost of a request),
# tiles14 and tiles16 (one layer, bench/tiles.sh's mix), countpoly (POST
# /count with a 20-vertex polygon 2 km across vs PostGIS count(*) ...
# ST_Intersects through pgbench), countcircle (/count with a 1 km circle vs
# ST_DWithin on geography), filter (items limit=100 with a CQL2 filter of two
# comparisons and S_INTERSECTS with a 20-vertex polygon 8 km across vs
# pg_featureserv's filter= in its own CQL) and nofilter (the same pages
# with the polygon's bbox and no filter: the filter's own cost).
#
# Data. cityatlas serves the demo city from PostGIS (CITYATLAS_DB, default
# cityatlas_startup: `cityatlas seed --scale 860 --database-url ...` fills
# one). The peers serve the same stop signs from PEER_DB (default
# cityatlas_benchpeer): if its table bench.stop_signs is missing, the script
# creates the database and copies the rows of CITYATLAS_DB's stop-sign layer
# into it, properties as typed columns, with GiST indexes on the geometry
# and on geom::geography (the best case for pg_featureserv, pg_tileserv and
# plain SQL). CITYATLAS_DB is only read.
#
# Peers. Nothing of pg_featureserv or pg_tileserv is in this repository.
# Give prebuilt binaries (PG_FEATURESERV=/path/pg_featureserv,
# PG_TILESERV=/path/pg_tileserv), or checkouts of their source
# (PG_FEATURESERV_SRC=/path, PG_TILESERV_SRC=/path), which the script builds
# with `go build` into PEERS (default /tmp/peers, outside the repository).
# With neither, it clones https://github.com/CrunchyData/pg_featureserv and
# .../pg_tileserv into PEERS (PG_FEATURESERV_GIT / PG_TILESERV_GIT override
# the URLs); if cloning is not possible, clone or unpack them elsewhere and
# point PG_FEATURESERV_SRC / PG_TILESERV_SRC at the directories.
# Both run with their default settings (4 database connections each).
# pg_featureserv (at least at cd3ae95, January 2025) stops answering once
# wrk has ended a run with requests in flight (every later request waits
# for a pooled connection until its 30 s timeout), so the script starts
# pg_featureserv afresh before each of its rounds, and warms it up with
# requests one at a time. (pg_tileserv keeps answering: it is started once.)
# A figure marked "!" had non-2xx answers (wrk counts them as requests).
#
# The last column is each row's ceiling: cityatlas's /healthz (a request
# that does no work) with the row's client settings, run in every round
# after cityatlas's run of the row, and the ratio a server answering every
# request at that rate would reach (CEILING=0 skips it). The items rows
# have a floor as well (FLOOR=0 skips it): the row's first page, saved from
# cityatlas, served for every request by bench/floor, a server that does
# no work at all, through net/http and through one write(2) an answer
# (FLOOR_PORT and the port after it, default 18400): what any server
# sending that page reaches through this client on this machine.
#
# Other settings: PGHOST (default /var/run/postgresql), CONNS (wrk
# connections for items, 8), TILE_CONNS (4), COUNT_CONNS (1: wrk and pgbench
# clients for the count rows), WARMUP (1s per server and row, not counted),
# CITYATLAS_FLAGS (extra `cityatlas serve` flags, e.g. "--tile-cache 0" to
# measure tile encoding rather than the tile cache), CA_PORT, FS_PORT,
# TS_PORT, CITYATLAS_URL (a cityatlas already serving CITYATLAS_DB, instead of
# building and starting one: loading the city takes a minute or two). Needs wrk, pgbench, psql, go. Run it on an otherwise idle
# machine: the load generator shares the cores with the servers.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export PGHOST=${PGHOST:-/var/run/postgresql}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-1s}
CONNS=${CONNS:-8}
TILE_CONNS=${TILE_CONNS:-4}
COUNT_CONNS=${COUNT_CONNS:-1}
CITYATLAS_DB=${CITYATLAS_DB:-cityatlas_startup}
PEER_DB=${PEER_DB:-cityatlas_benchpeer}
PEERS=${PEERS:-/tmp/peers}
CA_PORT=${CA_PORT:-18300}
FS_PORT=${FS_PORT:-19000}
TS_PORT=${TS_PORT:-17800}
ONLY=${ONLY:-items100 items10 items1 tiles14 tiles16 countpoly countcircle filter nofilter}
CA=http://127.0.0.1:$CA_PORT
FS=http://127.0.0.1:$FS_PORT
TS=http://127.0.0.1:$TS_PORT
secs=${DURATION%s}
for tool in wrk pgbench psql go curl; do
  command -v $tool >/dev/null || { echo "compare.sh: $tool is missing" >&2; exit 1; }
done
mkdir -p "$PEERS"
work=$(mktemp -d)
pids=()
fs_pid="" ts_pid=""
cleanup() {
  for p in "${pids[@]}" $fs_pid $ts_pid; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
log() { echo "compare.sh: $*" >&2; }

# peer NAME VAR SRCVAR GITVAR: the path of the peer's binary, built if needed.
peer() {
  local name=$1 bin=${!2:-} src=${!3:-} git=${!4:-https://github.com/CrunchyData/$1}
  if [ -n "$bin" ]; then echo "$bin"; return; fi
  if [ -z "$src" ]; then
    src=$PEERS/src-$name
    if [ ! -d "$src" ]; then
      log "cloning $git into $src"
      git clone --quiet --depth 1 "$git" "$src" >&2 || {
        log "cannot clone $git: clone or unpack $name elsewhere and set ${3}=/path/to/it (or ${2}=/path/to/binary)"
        exit 1
      }
    fi
  fi
  log "building $name in $src"
  (cd "$src" && go build -o "$PEERS/$name" .) >&2
  echo "$PEERS/$name"
}

psql_ca() { psql -X -q -v ON_ERROR_STOP=1 -d "$CITYATLAS_DB" "$@"; }
psql_peer() { psql -X -q -v ON_ERROR_STOP=1 -d "$PEER_DB" "$@"; }

# The peers' copy of the stop signs, typed columns, same ids and points.
ensure_peer_db() {
  if psql_peer -Atc 'select 1 from bench.stop_signs limit 1' >/dev/null 2>&1; then return; fi
  log "copying the stop signs of $CITYATLAS_DB into $PEER_DB.bench.stop_signs"
  psql -X -q -d postgres -Atc "select 1 from pg_database where datname = '$PEER_DB'" | grep -q 1 || createdb "$PEER_DB"
  psql_peer -c "create extension if not exists postgis; create schema if not exists bench;
    drop table if exists bench.stop_signs;
    create table bench.stop_signs (id text primary key, name text, plaque text, status text, street text,
      control text, approach text, sheeting text, condition text, installed date, post_type text,
      mutcd_code text, cross_street text, sign_size_in double precision, street_class text,
      last_inspected date, retroreflectivity double precision, geom geometry(Point, 4326))"
  psql_ca -c "copy (select external_id, name, plaque, status, street, control, approach, sheeting, condition,
      installed, post_type, mutcd_code, cross_street, sign_size_in, street_class, last_inspected,
      retroreflectivity, geom
    from features_stop_signs) to stdout" |
    psql_peer -c "copy bench.stop_signs from stdin"
  psql_peer -c "create index on bench.stop_signs using gist (geom)"
  psql_peer -c "create index on bench.stop_signs using gist ((geom::geography))"
  psql_peer -c "vacuum analyze bench.stop_signs"
}

wait_up() { # URL SECONDS
  for _ in $(seq "$2"); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = 200 ] && return 0
    sleep 1
  done
  log "$1 did not answer in $2 s"; exit 1
}

# rps: the requests (or transactions) per second in wrk's or pgbench's output.
# A run with non-2xx answers (wrk counts them as requests) is marked "!".
rps() { awk '/Non-2xx or 3xx responses:/ { bad = 1 } /^Requests\/sec:/ { r = sprintf("%.0f", $2) }
  /^tps = / { r = sprintf("%.0f", $3) } END { print (r == "" ? "0" : r) (bad ? "!" : "") }'; }

ca_url=postgres:///$CITYATLAS_DB?host=$PGHOST
peer_url=postgres:///$PEER_DB?host=$PGHOST
want() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }
needs_fs=0; needs_ts=0
for r in items100 items10 items1 filter nofilter; do want $r && needs_fs=1; done
for r in tiles14 tiles16; do want $r && needs_ts=1; done

ensure_peer_db
if [ -n "${CITYATLAS_URL:-}" ]; then
  CA=$CITYATLAS_URL # a cityatlas already serving CITYATLAS_DB
else
  log "building cityatlas"
  go build -o "$PEERS/cityatlas" ./cmd/cityatlas
  # shellcheck disable=SC2086
  "$PEERS/cityatlas" serve --database-url "$ca_url" --addr 127.0.0.1:$CA_PORT --log-level warn ${CITYATLAS_FLAGS:-} \
    >"$work/cityatlas.log" 2>&1 &
  pids+=($!)
fi
[ $needs_fs = 1 ] && fsbin=$(peer pg_featureserv PG_FEATURESERV PG_FEATURESERV_SRC PG_FEATURESERV_GIT)
[ $needs_ts = 1 ] && tsbin=$(peer pg_tileserv PG_TILESERV PG_TILESERV_SRC PG_TILESERV_GIT)
# pg_featureserv is started afresh before each of its runs (see the header).
restart_peer() { # fs|ts
  local pid
  pid=$([ "$1" = fs ] && echo "$fs_pid" || echo "$ts_pid")
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  case $1 in
    fs) DATABASE_URL=$peer_url PGFS_SERVER_HTTPPORT=$FS_PORT PGFS_SERVER_HTTPHOST=127.0.0.1 "$fsbin" >>"$work/fs.log" 2>&1 &
      fs_pid=$!; wait_up "$FS/collections/bench.stop_signs" 60 ;;
    ts) DATABASE_URL=$peer_url TS_HTTPPORT=$TS_PORT TS_HTTPHOST=127.0.0.1 "$tsbin" >>"$work/ts.log" 2>&1 &
      ts_pid=$!; wait_up "$TS/index.json" 60 ;;
  esac
}
[ $needs_ts = 1 ] && restart_peer ts
log "waiting for cityatlas to load $CITYATLAS_DB"
wait_up "$CA/collections/stop_signs" 600

# The requests: the same boxes, polygons and centres for both sides.
go run ./bench/bboxes -url "$CA" -collection stop_signs -n 20000 -hits 100 >"$work/boxes100"
go run ./bench/bboxes -url "$CA" -collection stop_signs -n 20000 -hits 10 >"$work/boxes10"
mkdir -p "$work/count" "$work/filter"
go run ./bench/shapes -url "$CA" -collection stop_signs -n 1000 -diameter 2000 -seed 1 -out "$work/count"
go run ./bench/shapes -url "$CA" -collection stop_signs -n 1000 -diameter 8000 -seed 2 -out "$work/filter"
urlenc() { awk 'BEGIN { for (i = 0; i < 256; i++) ord[sprintf("%c", i)] = i }
  { s = ""; for (i = 1; i <= length($0); i++) { c = substr($0, i, 1)
      s = s (c ~ /[A-Za-z0-9._~-]/ ? c : sprintf("%%%02X", ord[c])) } print s }'; }
# filter: two comparisons and the polygon; CQL2 for cityatlas, pg_featureserv's CQL (INTERSECTS, geom).
cond="condition = 'poor' AND sign_size_in >= 30"
sed "s/^/$cond AND S_INTERSECTS(geometry, /; s/\$/)/" "$work/filter/polygons.wkt" | urlenc |
  sed 's#^#/collections/stop_signs/items?limit=100\&filter=#' >"$work/ca-filter"
sed "s/^/$cond AND INTERSECTS(geom, /; s/\$/)/" "$work/filter/polygons.wkt" | urlenc |
  sed 's#^#/collections/bench.stop_signs/items.json?limit=100\&filter=#' >"$work/fs-filter"
# nofilter: the polygons' bounding boxes, no filter.
awk '{ gsub(/POLYGON\(\(|\)\)/, ""); n = split($0, p, ", "); x0 = y0 = 1e9; x1 = y1 = -1e9
  for (i = 1; i <= n; i++) { split(p[i], c, " "); if (c[1] < x0) x0 = c[1]; if (c[1] > x1) x1 = c[1]
    if (c[2] < y0) y0 = c[2]; if (c[2] > y1) y1 = c[2] }
  printf "%s,%s,%s,%s\n", x0, y0, x1, y1 }' "$work/filter/polygons.wkt" >"$work/filter/boxes"
sed 's#^#/collections/stop_signs/items?limit=100\&bbox=#' "$work/filter/boxes" >"$work/ca-nofilter"
sed 's#^#/collections/bench.stop_signs/items.json?limit=100\&bbox=#' "$work/filter/boxes" >"$work/fs-nofilter"
# count: circles as GET /count; pgbench reads the polygons and centres from tables in PEER_DB.
awk '{ printf "/count?collections=stop_signs&lon=%s&lat=%s&radius=1000\n", $1, $2 }' "$work/count/centres.txt" >"$work/ca-circle"
psql_peer -c "drop table if exists bench.count_polygons, bench.count_centres;
  create table bench.count_polygons (i int primary key, g geometry(Polygon, 4326));
  create table bench.count_centres (i int primary key, g geography(Point, 4326))"
awk '{ printf "%d\tSRID=4326;%s\n", NR, $0 }' "$work/count/polygons.wkt" | psql_peer -c "copy bench.count_polygons from stdin"
awk '{ printf "%d\tSRID=4326;POINT(%s %s)\n", NR, $1, $2 }' "$work/count/centres.txt" | psql_peer -c "copy bench.count_centres from stdin"
psql_peer -c "analyze bench.count_polygons; analyze bench.count_centres"
cat >"$work/poly.sql" <<SQL
\set i random(1, 1000)
select count(*) from bench.stop_signs s, bench.count_polygons p where p.i = :i and ST_Intersects(s.geom, p.g);
SQL
cat >"$work/circle.sql" <<SQL
\set i random(1, 1000)
select count(*) from bench.stop_signs s, bench.count_centres c where c.i = :i and ST_DWithin(s.geom::geography, c.g, 1000);
SQL

# Sanity: the first request of a row gives the same number of features on both sides.
same() { # LABEL A B
  [ "$2" = "$3" ] && log "$1: both $2" || log "$1: cityatlas $2, peer $3 (DIFFERENT)"
}
returned() { curl -s "$1" | grep -o '"numberReturned":[0-9]*' | head -1 | cut -d: -f2; }
want filter && restart_peer fs && same "filter, first polygon, features on the page" \
  "$(returned "$CA$(head -1 "$work/ca-filter")")" "$(returned "$FS$(head -1 "$work/fs-filter")")"
want countpoly && same "count, first polygon" \
  "$(curl -s -XPOST "$CA/count?collections=stop_signs" -H 'Content-Type: application/geo+json' -d @<(head -1 "$work/count/polygons.geojson") | grep -o '"total":[0-9]*' | cut -d: -f2)" \
  "$(psql_peer -Atc "select count(*) from bench.stop_signs s, bench.count_polygons p where p.i = 1 and ST_Intersects(s.geom, p.g)")"
want countcircle && same "count, first circle" \
  "$(curl -s "$CA$(head -1 "$work/ca-circle")" | grep -o '"total":[0-9]*' | cut -d: -f2)" \
  "$(psql_peer -Atc "select count(*) from bench.stop_signs s, bench.count_centres c where c.i = 1 and ST_DWithin(s.geom::geography, c.g, 1000)")"

# One run of a side of a row, for SECONDS: prints wrk's or pgbench's output.
side() { # ROW ca|peer SECONDS
  local t=$3
  case "$1:$2" in
    items100:ca) BOXES=$work/boxes100 ITEMS_PATH=/collections/stop_signs/items LIMIT=100 wrk -t2 -c"$CONNS" -d"${t}s" -s bench/load.lua "$CA" ;;
    items100:peer) BOXES=$work/boxes100 ITEMS_PATH=/collections/bench.stop_signs/items.json LIMIT=100 wrk -t2 -c"$CONNS" -d"${t}s" -s bench/load.lua "$FS" ;;
    items10:ca) BOXES=$work/boxes10 ITEMS_PATH=/collections/stop_signs/items LIMIT=100 wrk -t2 -c"$CONNS" -d"${t}s" -s bench/load.lua "$CA" ;;
    items10:peer) BOXES=$work/boxes10 ITEMS_PATH=/collections/bench.stop_signs/items.json LIMIT=100 wrk -t2 -c"$CONNS" -d"${t}s" -s bench/load.lua "$FS" ;;
    items1:ca) BOXES=$work/boxes10 ITEMS_PATH=/collections/stop_signs/items LIMIT=1 wrk -t2 -c"$CONNS" -d"${t}s" -s bench/load.lua "$CA" ;;
    items1:peer) BOXES=$work/boxes10 ITEMS_PATH=/collections/bench.stop_signs/items.json LIMIT=1 wrk -t2 -c"$CONNS" -d"${t}s" -s bench/load.lua "$FS" ;;
    tiles14:ca | tiles16:ca) bench/tiles.sh "$CA/collections/stop_signs/tiles/WebMercatorQuad/{z}/{y}/{x}" "${1#tiles}" "$t" "$TILE_CONNS" 2>/dev/null ;;
    tiles14:peer | tiles16:peer) bench/tiles.sh "$TS/bench.stop_signs/{z}/{x}/{y}.pbf?properties=id,approach,condition,control,mutcd_code,name,plaque,post_type,sheeting,status,street_class" "${1#tiles}" "$t" "$TILE_CONNS" 2>/dev/null ;;
    countpoly:ca) BODIES=$work/count/polygons.geojson POST_PATH='/count?collections=stop_signs' wrk -t1 -c"$COUNT_CONNS" -d"${t}s" -s bench/post.lua "$CA" ;;
    countpoly:peer) pgbench -n -f "$work/poly.sql" -T "$t" -c "$COUNT_CONNS" -j 1 --random-seed=1 "$PEER_DB" 2>/dev/null ;;
    countcircle:ca) PATHS=$work/ca-circle wrk -t1 -c"$COUNT_CONNS" -d"${t}s" -s bench/paths.lua "$CA" ;;
    countcircle:peer) pgbench -n -f "$work/circle.sql" -T "$t" -c "$COUNT_CONNS" -j 1 --random-seed=1 "$PEER_DB" 2>/dev/null ;;
    filter:ca | nofilter:ca) PATHS=$work/ca-$1 wrk -t2 -c"$CONNS" -d"${t}s" -s bench/paths.lua "$CA" ;;
    filter:peer | nofilter:peer) PATHS=$work/fs-$1 wrk -t2 -c"$CONNS" -d"${t}s" -s bench/paths.lua "$FS" ;;
  esac
}

# warm_fs ROW: pg_featureserv's warm-up, 50 requests of the row one after
# the other (a wrk warm-up would end with requests in flight, see the header).
warm_fs() {
  case $1 in
    items100) head -50 "$work/boxes100" | sed 's#^#/collections/bench.stop_signs/items.json?limit=100\&bbox=#' ;;
    items10) head -50 "$work/boxes10" | sed 's#^#/collections/bench.stop_signs/items.json?limit=100\&bbox=#' ;;
    items1) head -50 "$work/boxes10" | sed 's#^#/collections/bench.stop_signs/items.json?limit=1\&bbox=#' ;;
    *) head -50 "$work/fs-$1" ;;
  esac | while read -r p; do curl -s -o /dev/null "$FS$p"; done
}

label() {
  case $1 in
    items100) echo "items, ~100 features a page|pg_featureserv" ;;
    items10) echo "items, ~10 features a page|pg_featureserv" ;;
    items1) echo "items, limit=1 (fixed cost)|pg_featureserv" ;;
    tiles14) echo "tiles z14, one layer|pg_tileserv" ;;
    tiles16) echo "tiles z16, one layer|pg_tileserv" ;;
    countpoly) echo "\`POST /count\`, 20-vertex polygon 2 km across (c=$COUNT_CONNS)|PostGIS \`count(*) ... ST_Intersects\`, pgbench" ;;
    countcircle) echo "\`/count\` circle 1 km (c=$COUNT_CONNS)|PostGIS \`ST_DWithin\` on geography, pgbench" ;;
    filter) echo "items limit=100, CQL2 filter (2 comparisons, S_INTERSECTS 20-gon 8 km)|pg_featureserv \`filter=\`" ;;
    nofilter) echo "items limit=100, the filter's polygon bbox, no filter|pg_featureserv" ;;
  esac
}

median() { tr ' ' '\n' | tr -d '!' | grep . | sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
commas() { printf "%'d" "$1" 2>/dev/null || echo "$1"; }

# The ceiling of each row: cityatlas's /healthz, which does no work, with
# the row's own client settings (wrk's threads and connections), run in
# each round right after cityatlas's run of the row. No request can be
# answered much faster through this load generator on this machine, so a
# row's ratio cannot pass far beyond ceiling / peer (CEILING=0 skips it).
echo /healthz >"$work/healthz"
client() { case $1 in tiles*) echo "2 $TILE_CONNS" ;; count*) echo "1 $COUNT_CONNS" ;; *) echo "2 $CONNS" ;; esac; }
ceiling() { # ROW SECONDS: /healthz req/s with ROW's client
  local th cn
  read -r th cn <<<"$(client "$1")"
  PATHS=$work/healthz wrk -t"$th" -c"$cn" -d"${2}s" -s bench/paths.lua "$CA" | rps
}

# The floor of an items row: its first page served by bench/floor, which
# answers every request with it, doing nothing else (net/http, and one
# write(2) an answer); the row's own client and requests.
FLOOR_PORT=${FLOOR_PORT:-18400}
floor_on() { case $1 in items100 | items10 | items1) [ "${FLOOR:-1}" != 0 ] ;; *) return 1 ;; esac; }
floor_start() { # ROW: starts both floors with ROW's first page
  local box lim=100
  case $1 in items100) box=$(head -1 "$work/boxes100") ;; *) box=$(head -1 "$work/boxes10") ;; esac
  [ "$1" = items1 ] && lim=1
  curl -s -o "$work/page-$1" "$CA/collections/stop_signs/items?bbox=$box&limit=$lim"
  "$PEERS/floor" -addr 127.0.0.1:$FLOOR_PORT -body "$work/page-$1" >>"$work/floor.log" 2>&1 &
  floor_pids=($!)
  "$PEERS/floor" -addr 127.0.0.1:$((FLOOR_PORT + 1)) -body "$work/page-$1" -raw >>"$work/floor.log" 2>&1 &
  floor_pids+=($!) pids+=("${floor_pids[@]}")
  wait_up "http://127.0.0.1:$FLOOR_PORT/" 30
  wait_up "http://127.0.0.1:$((FLOOR_PORT + 1))/" 30
}
floor_stop() { kill "${floor_pids[@]}" 2>/dev/null || true; wait "${floor_pids[@]}" 2>/dev/null || true; }
floor_rps() { # ROW raw|nethttp SECONDS
  local port=$FLOOR_PORT
  [ "$2" = raw ] && port=$((FLOOR_PORT + 1))
  CA=http://127.0.0.1:$port side "$1" ca "$3" | rps
}
for row in $ONLY; do floor_on "$row" && { go build -o "$PEERS/floor" ./bench/floor; break; }; done

log "load before: $(uptime)"
rows=()
declare -A camed
for row in $ONLY; do
  ca_all=""; peer_all=""; ceil_all=""; fnet_all=""; fraw_all=""
  case $row in items* | filter | nofilter) kind=fs ;; *) kind="" ;; esac
  side "$row" ca "${WARMUP%s}" >/dev/null
  floor_on "$row" && floor_start "$row"
  for r in $(seq "$ROUNDS"); do
    a=$(side "$row" ca "$secs" | rps)
    [ "${CEILING:-1}" != 0 ] && ceil_all="$ceil_all $(ceiling "$row" "$secs")"
    if floor_on "$row"; then
      fnet_all="$fnet_all $(floor_rps "$row" nethttp "$secs")"
      fraw_all="$fraw_all $(floor_rps "$row" raw "$secs")"
    fi
    if [ "$kind" = fs ]; then restart_peer fs; warm_fs "$row"
    elif [ "$r" = 1 ]; then side "$row" peer "${WARMUP%s}" >/dev/null; fi
    p=$(side "$row" peer "$secs" | rps)
    log "$row round $r: cityatlas $a, peer $p${ceil_all:+, ceiling ${ceil_all##* }}${fnet_all:+, floor ${fnet_all##* } / ${fraw_all##* }}"
    ca_all="$ca_all $a"; peer_all="$peer_all $p"
  done
  floor_on "$row" && floor_stop
  ma=$(echo "$ca_all" | median); mp=$(echo "$peer_all" | median)
  camed[$row]=$ma
  ratio=$(awk -v a="$ma" -v p="$mp" 'BEGIN { if (p > 0) printf "%.1f×", a / p; else print "-" }')
  IFS='|' read -r what peername <<<"$(label "$row")"
  c=$(echo "$ceil_all" | median)
  most=$(awk -v c="$c" -v p="$mp" 'BEGIN { if (c > 0 && p > 0) printf "%s (%.1f×)", c, c / p; else print "-" }')
  fl=-
  if [ -n "$fnet_all" ]; then
    fl=$(awk -v n="$(echo "$fnet_all" | median)" -v w="$(echo "$fraw_all" | median)" -v p="$mp" -v b="$(wc -c <"$work/page-$row")" \
      'BEGIN { printf "%d B: %s (%.1f×) / %s (%.1f×)", b, n, n / p, w, w / p }')
  fi
  rows+=("| $what | $(echo $ca_all | tr ' ' '/' | sed 's#/# / #g') | **$(commas "$ma")** | $peername | $(echo $peer_all | tr ' ' '/' | sed 's#/# / #g') | **$(commas "$mp")** | **$ratio** | $most | $fl |")
done
load=$(uptime | sed 's/.*load average: //')

echo
echo "$ROUNDS alternating rounds of $DURATION each, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average after: $load"
echo "cityatlas ${CITYATLAS_URL:+at $CITYATLAS_URL, repository at }$(git -C "$repo" rev-parse --short HEAD), from PostGIS $CITYATLAS_DB; peers from $PEER_DB.bench.stop_signs"
echo
echo "| workload | cityatlas req/s (rounds) | median | peer | peer req/s (rounds) | median | ratio | ceiling: /healthz, same client, median (ratio) | floor: the row's page served with no work, net/http / one write(2), medians (ratios) |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
if [ -n "${camed[filter]:-}" ] && [ -n "${camed[nofilter]:-}" ]; then
  echo
  awk -v f="${camed[filter]}" -v n="${camed[nofilter]}" 'BEGIN { printf "cityatlas: the filtered page costs %.2f× the unfiltered one (goal ≤ 2×)\n", n / f }'
fi
