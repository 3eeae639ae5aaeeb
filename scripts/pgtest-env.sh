# shellcheck shell=bash
# Source this file to get a scratch PostGIS database for the store/postgis
# tests:
#
#     . scripts/pgtest-env.sh && go test ./store/postgis/
#
# As root it installs what is missing (PostgreSQL 15 and PostGIS 3 from
# Debian), starts the cluster 15/main, creates your database role and the
# database (CITYATLAS_TEST_DB, default cityatlas_test) with the postgis
# extension, and exports CITYATLAS_TEST_DATABASE_URL. As another user it
# prints what is missing and the command that fixes it, and returns
# non-zero. It prints nothing when everything is there, and may be sourced
# again and again.

_cityatlas_pgtest_env() {
	local ver=15 cluster=main db=${CITYATLAS_TEST_DB:-cityatlas_test}
	local me root=0 log p port status
	me=$(id -un)
	[ "$(id -u)" -eq 0 ] && root=1
	log=$(mktemp) || return 1

	# 1. Debian packages.
	local -a missing=()
	for p in "postgresql-$ver" "postgresql-$ver-postgis-3"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
			missing+=("$p")
		fi
	done
	if [ ${#missing[@]} -gt 0 ]; then
		if [ $root -eq 0 ]; then
			echo "pgtest-env: missing Debian packages: ${missing[*]}" >&2
			echo "pgtest-env: install them with: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
			rm -f "$log"
			return 1
		fi
		if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
			cat "$log" >&2
			echo "pgtest-env: could not install ${missing[*]}" >&2
			rm -f "$log"
			return 1
		fi
	fi

	# 2. The cluster, created if the package did not, and started.
	if ! pg_lsclusters -h 2>/dev/null | awk -v v="$ver" -v c="$cluster" '$1 == v && $2 == c { found = 1 } END { exit !found }'; then
		if [ $root -eq 0 ]; then
			echo "pgtest-env: PostgreSQL cluster $ver/$cluster does not exist; create it with: sudo pg_createcluster $ver $cluster --start" >&2
			rm -f "$log"
			return 1
		fi
		if ! pg_createcluster "$ver" "$cluster" >"$log" 2>&1; then
			cat "$log" >&2
			rm -f "$log"
			return 1
		fi
	fi
	status=$(pg_lsclusters -h | awk -v v="$ver" -v c="$cluster" '$1 == v && $2 == c { print $4 }')
	if [ "$status" != online ]; then
		if [ $root -eq 0 ]; then
			echo "pgtest-env: PostgreSQL cluster $ver/$cluster is $status; start it with: sudo pg_ctlcluster $ver $cluster start" >&2
			rm -f "$log"
			return 1
		fi
		if ! pg_ctlcluster "$ver" "$cluster" start >"$log" 2>&1; then
			cat "$log" >&2
			echo "pgtest-env: could not start cluster $ver/$cluster" >&2
			rm -f "$log"
			return 1
		fi
	fi
	port=$(pg_lsclusters -h | awk -v v="$ver" -v c="$cluster" '$1 == v && $2 == c { print $3 }')
	local -x PGHOST=/var/run/postgresql PGPORT=$port

	# 3. A superuser role named after you (the tests create schemas and,
	# in a fresh database, the extension).
	if [ "$(psql -X -d postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$me'" 2>/dev/null)" != 1 ]; then
		if [ $root -eq 0 ]; then
			echo "pgtest-env: PostgreSQL has no role $me; create it with: sudo -u postgres createuser -s $me" >&2
			rm -f "$log"
			return 1
		fi
		if ! su postgres -c "createuser -p $port -s $me" >"$log" 2>&1; then
			cat "$log" >&2
			rm -f "$log"
			return 1
		fi
	fi

	# 4. The database and the extension.
	if [ "$(psql -X -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]; then
		if ! createdb "$db" >"$log" 2>&1; then
			cat "$log" >&2
			rm -f "$log"
			return 1
		fi
	fi
	if ! psql -X -q -d "$db" -c 'CREATE EXTENSION IF NOT EXISTS postgis' >"$log" 2>&1; then
		cat "$log" >&2
		echo "pgtest-env: could not create the postgis extension in $db" >&2
		rm -f "$log"
		return 1
	fi
	rm -f "$log"

	export CITYATLAS_TEST_DATABASE_URL="postgres:///$db?host=/var/run/postgresql&port=$port"
}

_cityatlas_pgtest_env
