#!/usr/bin/env bash
# Import benchmark: `cityatlas import` of a generated CSV of N points
# (default 1,000,000) into PostGIS, side by side with GDAL's
# `ogr2ogr -f PostgreSQL` loading the same file into the same database.
# Each round drops and re-creates the schema bench_import, imports with
# cityatlas into a new collection, then loads with ogr2ogr into a new table
# of the same schema; wall time and max RSS come from /usr/bin/time.
# Then PostgreSQL's own share of each load is measured without a client
# (see floor below; needs a superuser, for COPY to and from server files),
# and cityatlas re-imports the file unchanged, then a revised version of it
# (a tenth of the rows changed, a tenth more rows).
# A last run imports N/10 rows to show that memory does not grow with the
# file.
#
#   bench/import/run.sh [N] [ROUNDS]
#
# CITYATLAS=path uses that binary instead of building one.
# Needs gdal-bin and PostGIS; DATABASE_URL (a postgres:// URL) or, when it
# is unset, scripts/pgtest-env.sh provides the database.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-1000000}
rounds=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -z "${DATABASE_URL:-}" ]; then
	# shellcheck source=/dev/null
	. scripts/pgtest-env.sh
	DATABASE_URL=$CITYATLAS_TEST_DATABASE_URL
fi
sep='?'
case $DATABASE_URL in *\?*) sep='&' ;; esac
url="${DATABASE_URL}${sep}search_path=bench_import,public"
# ogr2ogr takes a libpq connection string.
pg=$(psql -X "$DATABASE_URL" -tAc "SELECT 'dbname=' || current_database()")
host=$(psql -X "$DATABASE_URL" -tAc "SELECT coalesce(current_setting('unix_socket_directories'), '')" | cut -d, -f1)
port=$(psql -X "$DATABASE_URL" -tAc "SHOW port")
pg="$pg host=$host port=$port active_schema=bench_import"

if [ -n "${CITYATLAS:-}" ]; then
	cp "$CITYATLAS" "$work/cityatlas" # a binary built beforehand
else
	go build -o "$work/cityatlas" ./cmd/cityatlas
fi
go build -o "$work/gencsv" ./bench/import/gencsv
"$work/gencsv" -n "$n" >"$work/assets.csv"
"$work/gencsv" -n "$((n / 10))" >"$work/assets-small.csv"
"$work/gencsv" -n "$((n + n / 10))" -change 10 >"$work/assets-revised.csv" # 10% changed, 10% more
echo "# $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(ogr2ogr --version), $(psql -X "$DATABASE_URL" -tAc 'SELECT version()' | cut -d, -f1)"
echo "# file: $n rows, $(du -h "$work/assets.csv" | cut -f1)"

reset() {
	psql -X -q "$DATABASE_URL" -c "DROP SCHEMA IF EXISTS bench_import CASCADE" -c "CREATE SCHEMA bench_import" 2>/dev/null
}
# settle: a checkpoint, and no autovacuum worker running (each load leaves
# the server writing a checkpoint and analyzing the new table, which would
# otherwise land on the next tool's time).
settle() {
	psql -X -q "$DATABASE_URL" -c CHECKPOINT
	for _ in $(seq 60); do
		[ "$(psql -X -tAq "$DATABASE_URL" -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'")" = 0 ] && break
		sleep 1
	done
}
measure() { # label command...
	local label=$1
	shift
	settle
	/usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out" 2>"$work/err" || {
		cat "$work/out" "$work/err" >&2
		exit 1
	}
	read -r secs kb <"$work/time"
	printf '| %-10s | %8.2f s | %6d MB |\n' "$label" "$secs" "$((kb / 1024))"
}

echo "| tool | wall | max RSS |"
echo "|---|---|---|"
for r in $(seq "$rounds"); do
	reset
	measure cityatlas "$work/cityatlas" import "$work/assets.csv" --collection assets --create \
		--id-field asset_id --database-url "$url" --log-level warn --progress never
	measure ogr2ogr ogr2ogr -f PostgreSQL PG:"$pg" "$work/assets.csv" -nln ogr_assets \
		-oo X_POSSIBLE_NAMES=lon -oo Y_POSSIBLE_NAMES=lat -oo AUTODETECT_TYPE=YES \
		-a_srs EPSG:4326 -lco GEOMETRY_NAME=geom --config PG_USE_COPY YES
	echo "| round $r rows | $(psql -X "$DATABASE_URL" -tAc "SELECT (SELECT count(*) FROM bench_import.features_assets) || ' / ' || (SELECT count(*) FROM bench_import.ogr_assets)") | |"
done
# PostgreSQL's own share, with no client at all: the rows each tool left
# in the last round are written to files on the server, loaded again into
# an empty copy of the table through two COPY sessions reading those files,
# and indexed the way the tool's table is (the GiST index in one session,
# the b-trees one after the other in a second, as the staged load does).
# Whatever a client does, its import cannot take less than this.
floor() { # label table b-tree-columns... (the first, an integer key, halves the rows)
	local label=$1 table=$2
	shift 2
	local dir=/tmp/cityatlas-floor.$$
	mkdir -p "$dir" && chmod 0777 "$dir" # written by the server's own user
	psql -X -q "$DATABASE_URL" \
		-c "COPY (SELECT * FROM bench_import.$table WHERE $1 % 2 = 0) TO '$dir/0' (FORMAT binary)" \
		-c "COPY (SELECT * FROM bench_import.$table WHERE $1 % 2 = 1) TO '$dir/1' (FORMAT binary)" \
		-c "CREATE TABLE bench_import.floor (LIKE bench_import.$table INCLUDING DEFAULTS)"
	settle
	local t0 t1 t2
	t0=$(date +%s.%N)
	psql -X -q "$DATABASE_URL" -c "COPY bench_import.floor FROM '$dir/0' (FORMAT binary)" &
	psql -X -q "$DATABASE_URL" -c "COPY bench_import.floor FROM '$dir/1' (FORMAT binary)"
	wait
	t1=$(date +%s.%N)
	local set="SET max_parallel_maintenance_workers = 0; SET maintenance_work_mem = '256MB';"
	psql -X -q "$DATABASE_URL" -c "$set CREATE INDEX ON bench_import.floor USING gist (geom)" &
	local c
	for c in "$@"; do
		psql -X -q "$DATABASE_URL" -c "$set CREATE UNIQUE INDEX ON bench_import.floor ($c)"
	done
	wait
	t2=$(date +%s.%N)
	psql -X -q "$DATABASE_URL" -c "DROP TABLE bench_import.floor"
	rm -rf "$dir"
	printf '| floor: %-16s | COPY %5.2f s + indexes %5.2f s = %5.2f s | %s |\n' "$label" \
		"$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)" "$(echo "$t2 - $t0" | bc)" \
		"$(psql -X -tAq "$DATABASE_URL" -c "SELECT pg_size_pretty(pg_relation_size('bench_import.$table'))")"
}
floor "cityatlas rows" features_assets id external_id
floor "ogr2ogr rows" ogr_assets ogc_fid

# Re-import: every row unchanged.
measure "cityatlas re-import (unchanged)" "$work/cityatlas" import "$work/assets.csv" --collection assets \
	--id-field asset_id --database-url "$url" --log-level warn --progress never
tail -1 "$work/out" | sed 's/^/# /'
measure "cityatlas re-import (10% changed, 10% new)" "$work/cityatlas" import "$work/assets-revised.csv" --collection assets \
	--id-field asset_id --database-url "$url" --log-level warn --progress never
tail -1 "$work/out" | sed 's/^/# /'
reset
measure "cityatlas $((n / 10)) rows" "$work/cityatlas" import "$work/assets-small.csv" --collection assets --create \
	--id-field asset_id --database-url "$url" --log-level warn --progress never
reset
