#!/usr/bin/env bash
# Whole-layer downloads of the 946,796 stop signs (the demo city at scale
# 860): the time and rate of each format, the server's memory while it
# streams, ogr2ogr through OGC API - Features with its default options, and
# (with a PostGIS URL) ogr2ogr from PostGIS to GeoPackage and FlatGeobuf for
# comparison.
#
#   bench/downloads.sh [WORKDIR] [POSTGIS_URL]
#
# WORKDIR (default bench/out) keeps the seeded store big.gpkg between runs.
# POSTGIS_URL, when given, must hold the same city (cityatlas seed --scale
# 860 --database-url URL); its stop signs are then read by ogr2ogr from the
# layer's table features_stop_signs.
# FORMATS (default: every one) lists the formats to download.
# Needs curl and gdal-bin. Run it on an idle machine: the figures are times.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-bench/out}
pg=${2:-}
port=18790
mkdir -p "$work"
go build -o "$work/cityatlas" ./cmd/cityatlas
if [ ! -f "$work/big.gpkg" ]; then
	echo "seeding the scale-860 city into $work/big.gpkg (a few minutes)" >&2
	"$work/cityatlas" seed --scale 860 --data "$work/big.gpkg" --log-level warn
fi
"$work/cityatlas" serve --addr 127.0.0.1:$port --data "$work/big.gpkg" --log-level warn &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 900); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 1; done
base=http://127.0.0.1:$port/collections/stop_signs
curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || { echo "the server did not start" >&2; exit 1; }
n=$(curl -s "$base" | sed -n 's/.*"numberOfFeatures":\([0-9]*\).*/\1/p')
rss() { awk '/VmRSS/ {print $2}' /proc/$pid/status; }
hwm() { awk '/VmHWM/ {print $2}' /proc/$pid/status; }
echo "stop signs: $n features; server RSS $(( $(rss) / 1024 )) MB before the downloads"
printf '%-11s %9s %10s %12s %14s\n' format seconds MB features/s "RSS peak +MB"
for f in ${FORMATS:-geojson geojsonseq ndjson csv kml fgb gpkg shp parquet}; do
	before=$(rss)
	# Reset the peak so VmHWM is this download's (Linux 4.0+).
	echo 5 > /proc/$pid/clear_refs 2>/dev/null || true
	out=$(curl -s -o /dev/null -w '%{time_total} %{size_download}' "$base/download?f=$f")
	t=${out% *}; size=${out#* }
	peak=$(hwm)
	printf '%-11s %9.2f %10.1f %12.0f %14d\n' "$f" "$t" "$(echo "$size/1048576" | bc -l)" "$(echo "$n/$t" | bc -l)" $(( (peak - before) / 1024 ))
done
echo
echo "ogr2ogr -f GPKG from OAPIF, default options:"
rm -f "$work/oapif.gpkg"
/usr/bin/time -f '%e s' ogr2ogr -f GPKG "$work/oapif.gpkg" "OAPIF:$base" 2>&1 | tail -1
ogrinfo -so -al "$work/oapif.gpkg" | grep 'Feature Count'
if [ -n "$pg" ]; then
	for f in GPKG FlatGeobuf; do
		ext=gpkg; [ $f = FlatGeobuf ] && ext=fgb
		rm -f "$work/pg.$ext"
		echo "ogr2ogr -f $f from PostGIS:"
		/usr/bin/time -f '%e s' ogr2ogr -f $f "$work/pg.$ext" "PG:$pg" features_stop_signs 2>&1 | tail -1
	done
fi
