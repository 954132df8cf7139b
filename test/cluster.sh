# SPDX-License-Identifier: PostgreSQL
#
# A throwaway PostgreSQL 15 cluster for tests and the demo. Source this file,
# then:
#
#   trap nmf_cluster_stop EXIT
#   trap 'exit 130' INT TERM     # so that the EXIT trap also runs on ^C
#   nmf_cluster_start            # exports PGHOST, PGPORT, PGUSER
#   ...
#
# The cluster lives in a fresh temporary directory owned by the postgres user
# (the server refuses to run as root), listens on 127.0.0.1 only, on the first
# free port from NMF_PORT_BASE (default 54321) upward, with its unix socket in
# the same directory; authentication is trust. nmf_cluster_stop stops it
# (fast shutdown) and removes the directory; it is safe to call twice.
#
# Extra server settings can be passed in NMF_PG_OPTS (e.g. "-c work_mem=64MB").

NMF_PG_BIN=${NMF_PG_BIN:-/usr/lib/postgresql/15/bin}
NMF_PG_USER=${NMF_PG_USER:-postgres}

NMF_CLUSTER_DIR=
NMF_CLUSTER_LOG=

# Runs a PostgreSQL program as the postgres user, from a directory it can read
# (runuser keeps the caller's cwd, which may be /root).
_nmf_as_postgres()
{
	(cd "$NMF_CLUSTER_DIR" && runuser -u "$NMF_PG_USER" -- "$@")
}

# True when nothing listens on 127.0.0.1:$1 (bash's /dev/tcp, no extra tools).
_nmf_port_free()
{
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

nmf_cluster_start()
{
	if [[ -n $NMF_CLUSTER_DIR ]]; then
		echo "nmf_cluster_start: a cluster is already running in $NMF_CLUSTER_DIR" >&2
		return 1
	fi
	if ! id "$NMF_PG_USER" >/dev/null 2>&1; then
		echo "nmf_cluster_start: no user $NMF_PG_USER (is postgresql-15 installed?)" >&2
		return 1
	fi

	NMF_CLUSTER_DIR=$(mktemp -d /tmp/nmf-cluster.XXXXXX) || return 1
	chown "$NMF_PG_USER:" "$NMF_CLUSTER_DIR" && chmod 700 "$NMF_CLUSTER_DIR" || return 1
	# Exported: script tests read it (test/t/sqlsmith.py looks for errors in it).
	export NMF_CLUSTER_LOG=$NMF_CLUSTER_DIR/server.log

	# C locale: stable sort order and messages for pg_regress's expected files.
	if ! _nmf_as_postgres "$NMF_PG_BIN/initdb" -D "$NMF_CLUSTER_DIR/data" -U postgres \
		--auth=trust --no-locale --encoding=UTF8 >"$NMF_CLUSTER_DIR/initdb.log" 2>&1; then
		echo "nmf_cluster_start: initdb failed:" >&2
		cat "$NMF_CLUSTER_DIR/initdb.log" >&2
		return 1
	fi

	local port=${NMF_PORT_BASE:-54321} tries=0 opts
	while ((tries < 50)); do
		if _nmf_port_free "$port" && [[ ! -e /tmp/.s.PGSQL.$port.lock ]]; then
			opts="-c listen_addresses=127.0.0.1 -p $port -k $NMF_CLUSTER_DIR"
			opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
			opts+=" -c max_parallel_workers_per_gather=2"
			# preloaded so that the nmf_progress view works (shared memory)
			opts+=" -c shared_preload_libraries=nmf ${NMF_PG_OPTS:-}"
			# -w waits until the server accepts connections; a port taken in the
			# meantime makes the start fail, and we move on to the next one.
			if _nmf_as_postgres "$NMF_PG_BIN/pg_ctl" -D "$NMF_CLUSTER_DIR/data" \
				-l "$NMF_CLUSTER_LOG" -w -t 120 -o "$opts" start >/dev/null; then
				break
			fi
			echo "nmf_cluster_start: could not start on port $port, trying the next one" >&2
			tail -n 5 "$NMF_CLUSTER_LOG" >&2 2>/dev/null || true
		fi
		port=$((port + 1))
		tries=$((tries + 1))
	done
	if ((tries >= 50)); then
		echo "nmf_cluster_start: no port to start on" >&2
		return 1
	fi

	export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=postgres
	# pg_ctl -w already waited; this confirms the TCP listener answers.
	local i
	for ((i = 0; i < 60; i++)); do
		"$NMF_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" && break
		sleep 0.5
	done
	if ! "$NMF_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port"; then
		echo "nmf_cluster_start: server on port $port is not ready" >&2
		tail -n 20 "$NMF_CLUSTER_LOG" >&2
		return 1
	fi
	echo "== cluster: PostgreSQL $("$NMF_PG_BIN/postgres" -V | awk '{print $3}') on 127.0.0.1:$port (data in $NMF_CLUSTER_DIR)"
}

# Backend crashes in the server log since the start, one per line (none: empty).
nmf_cluster_crashes()
{
	[[ -n $NMF_CLUSTER_LOG && -r $NMF_CLUSTER_LOG ]] || return 0
	grep -E 'terminated by signal|was terminated by exception|PANIC:|terminating any other active server processes' \
		"$NMF_CLUSTER_LOG" || true
}

nmf_cluster_stop()
{
	[[ -n $NMF_CLUSTER_DIR ]] || return 0
	if [[ -f $NMF_CLUSTER_DIR/data/postmaster.pid ]]; then
		if ! _nmf_as_postgres "$NMF_PG_BIN/pg_ctl" -D "$NMF_CLUSTER_DIR/data" -m fast -w -t 60 \
			stop >/dev/null 2>&1; then
			# Our own postmaster did not stop in time: kill it by its pid.
			local pid
			pid=$(head -n 1 "$NMF_CLUSTER_DIR/data/postmaster.pid" 2>/dev/null)
			[[ $pid =~ ^[0-9]+$ ]] && kill -9 "$pid" 2>/dev/null || true
			sleep 1
		fi
	fi
	if [[ ${NMF_KEEP_CLUSTER_LOG:-} != "" && -r $NMF_CLUSTER_LOG ]]; then
		cp "$NMF_CLUSTER_LOG" "$NMF_KEEP_CLUSTER_LOG" 2>/dev/null
	fi
	rm -rf "$NMF_CLUSTER_DIR"
	NMF_CLUSTER_DIR=
	NMF_CLUSTER_LOG=
}
