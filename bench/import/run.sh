#!/usr/bin/env bash
# Import benchmark: `cityatlas import` of a generated CSV of N points
# (default 1,000,000) into PostGIS, side by side with GDAL's
# `ogr2ogr -f PostgreSQL` loading the same file into the same database.
# Each round drops and re-creates the schema bench_import, imports with
# cityatlas into a new collection, then loads with ogr2ogr into a new table
# of the same schema; wall time and max RSS come from /usr/bin/time.
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
	echo "| round $r rows | $(psql -X "$DATABASE_URL" -tAc "SELECT (SELECT count(*) FROM bench_import.features) || ' / ' || (SELECT count(*) FROM bench_import.ogr_assets)") | |"
done
# Re-import: every row unchanged.
measure "cityatlas re-import (unchanged)" "$work/cityatlas" import "$work/assets.csv" --collection assets \
	--id-field asset_id --database-url "$url" --log-level warn --progress never
tail -1 "$work/out" | sed 's/^/# /'
reset
measure "cityatlas $((n / 10)) rows" "$work/cityatlas" import "$work/assets-small.csv" --collection assets --create \
	--id-field asset_id --database-url "$url" --log-level warn --progress never
reset
