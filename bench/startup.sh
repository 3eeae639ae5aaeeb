#!/usr/bin/env bash
# Start-up time: how long `cityatlas serve` takes from launch until /readyz
# answers 200 (every collection indexed and caught up), and its RSS then.
#
#   bench/startup.sh gpkg|postgis [RUNS] [snapshot|full]
#
# gpkg serves $GPKG (default /tmp/startup.gpkg, copied from
# /work/data/big.gpkg when missing); postgis serves $PG_URL (default
# postgres:///cityatlas_startup?host=/var/run/postgresql). snapshot (the
# default) reads the index snapshot kept in $SNAPSHOT_DIR (default
# /tmp/cityatlas-startup-snapshot); full reads the index whole
# (--snapshot-dir off). One untimed start comes first (it writes the
# snapshot when there is none that can be used). RUNS
# (default 5) starts are timed one after the other; each prints its time
# CPU time and RSS, then the medians. $CITYATLAS is the binary (default: built from
# this tree into /tmp/cityatlas-startup). On a machine busy with other
# work, NICE=-15 (as root) runs the server at that priority, which stands
# in for a quiet machine; the CPU time is printed either way.
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:?usage: bench/startup.sh gpkg|postgis [RUNS] [snapshot|full]}
runs=${2:-5}
mode=${3:-snapshot}
addr=127.0.0.1:${PORT:-18480}
snapdir=${SNAPSHOT_DIR:-/tmp/cityatlas-startup-snapshot}
bin=${CITYATLAS:-}
if [ -z "$bin" ]; then
	bin=/tmp/cityatlas-startup
	go build -o "$bin" ./cmd/cityatlas
fi
case $backend in
gpkg)
	gpkg=${GPKG:-/tmp/startup.gpkg}
	[ -e "$gpkg" ] || cp --reflink=auto /work/data/big.gpkg "$gpkg"
	store=(--data "$gpkg")
	;;
postgis) store=(--database-url "${PG_URL:-postgres:///cityatlas_startup?host=/var/run/postgresql}") ;;
*) echo "backend must be gpkg or postgis" >&2; exit 2 ;;
esac
case $mode in
snapshot) snap=(--snapshot-dir "$snapdir") ; mkdir -p "$snapdir" ;;
full) snap=(--snapshot-dir off) ;;
*) echo "mode must be snapshot or full" >&2; exit 2 ;;
esac
log=$(mktemp)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -f "$log"' EXIT

# start runs the server once; it sets secs (launch to /readyz 200) and rss
# (KiB), and leaves the server running as $pid.
start() {
	local t0 t1
	t0=$(date +%s%N)
	${NICE:+nice -n "$NICE"} "$bin" serve "${store[@]}" "${snap[@]}" --addr "$addr" --access-log=false --snapshot-interval 0 >"$log" 2>&1 &
	pid=$!
	until curl -sf -o /dev/null "http://$addr/readyz"; do
		kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
		sleep 0.02
	done
	t1=$(date +%s%N)
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
	rss=$(ps -o rss= -p "$pid" | tr -d ' ')
	# CPU seconds (user + system) the process used until then: less noisy
	# than the wall time on a shared machine.
	cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$pid/stat")
}

# stop shuts the server down (SIGTERM: it writes the snapshot if the index
# changed) and waits for it.
stop() {
	kill -TERM "$pid"
	wait "$pid" || true
	pid=
}

# One untimed start first (the page cache, and in snapshot mode the
# snapshot itself, written after a start that had none or could not use it).
start
if [ "$mode" = snapshot ] && ! grep -q "index read from its snapshot" "$log"; then
	echo "no usable snapshot in $snapdir: waiting for the first start to write it" >&2
	until grep -q "index snapshot written" "$log"; do sleep 0.2; done
fi
stop
times=() rsses=() cpus=()
for i in $(seq "$runs"); do
	start
	how=$(grep -o 'msg="index read from its snapshot[^"]*"\|msg="no index snapshot[^"]*"\|msg="index snapshot ignored[^"]*"' "$log" || true)
	echo "run $i: ready in ${secs}s (CPU ${cpu}s), RSS $((rss / 1024)) MiB ${how:-(full load)}"
	times+=("$secs") rsses+=("$rss") cpus+=("$cpu")
	stop
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "$backend $mode, $runs runs: median ready $(median "${times[@]}")s (CPU $(median "${cpus[@]}")s), median RSS $(median "${rsses[@]}" | awk '{ printf "%d", $1 / 1024 }') MiB"
