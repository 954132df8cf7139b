#!/usr/bin/env bash
# SPDX-License-Identifier: PostgreSQL
#
# The matrix build alone (issue 5 item 3): nmf_matrix(row_id, col_id, value)
# over the 10,000,000 cells of M, serial against parallel. As root:
#
#   bash bench/build_bench.sh [reps]        (default 5)
#
# 1. builds this checkout and installs it into the private copy of the server
#    under bench/data/pg (as bench/run.sh does: nothing touches the system's
#    PostgreSQL, so no lock is needed);
# 2. keeps a cluster under bench/data/build-cluster with two tables of M's
#    cells, made once: m_sorted (COPY of synth_M.csv, so the heap is in
#    (row, col) order, as the CSV is) and m_shuffled (the same rows in a
#    scrambled heap order); BUILD_BENCH_FRESH=1 makes them again;
# 3. starts that cluster, and for each table prints the plan of the parallel
#    build (EXPLAIN ANALYZE: Partial Aggregate, workers launched), checks that
#    both builds give the same bytes (md5 of nmf_matrix::bytea), then times
#    `SELECT nmf_matrix_info(nmf_matrix(...)) ->> 'nnz'` reps times with
#    max_parallel_workers_per_gather = 0 and 2, alternating, and prints the
#    medians.
#
# synth_M.csv is taken from bench/data, else /work/main/bench/data, else made
# by bench/peers/gen_synthetic.py.

set -euo pipefail

BENCH_NAME=build_bench
# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
CLUSTER=$DATA/build-cluster
REPS=${1:-5}
[[ $(id -u) -eq 0 ]] || die "run as root (the server runs as postgres)"

mkdir -p "$DATA"
install_private "$ROOT"
chmod -R a+rX "$PRIV"

CSV=$DATA/synth_M.csv
if [[ ! -s $CSV ]]; then
	if [[ -s /work/main/bench/data/synth_M.csv ]]; then
		CSV=/work/main/bench/data/synth_M.csv
	else
		say "making synth_M.csv"
		(cd bench/peers && /usr/bin/python3 gen_synthetic.py M "$CSV.tmp") && mv "$CSV.tmp" "$CSV"
	fi
fi

as_pg() { (cd "$CLUSTER" && runuser -u postgres -- "$@"); }
port=55432
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || [[ -e /tmp/.s.PGSQL.$port.lock ]]; do
	port=$((port + 1))
done
fresh=0
if [[ ${BUILD_BENCH_FRESH:-0} == 1 || ! -f $CLUSTER/data/PG_VERSION ]]; then
	rm -rf "$CLUSTER"
	mkdir -p "$CLUSTER" && chown postgres: "$CLUSTER" && chmod 700 "$CLUSTER"
	as_pg "$PRIV_BIN/initdb" -D "$CLUSTER/data" -U postgres --auth=trust --no-locale \
		--encoding=UTF8 >/dev/null || die "initdb"
	fresh=1
fi
stop() { as_pg "$PRIV_BIN/pg_ctl" -D "$CLUSTER/data" -m fast -w stop >/dev/null 2>&1 || true; }
trap stop EXIT
trap 'exit 130' INT TERM
as_pg "$PRIV_BIN/pg_ctl" -D "$CLUSTER/data" -l "$CLUSTER/server.log" -w -o \
	"-c listen_addresses=127.0.0.1 -p $port -k $CLUSTER -c fsync=off -c synchronous_commit=off \
	 -c full_page_writes=off -c max_wal_size=8GB -c shared_buffers=1GB \
	 -c max_parallel_workers_per_gather=2 -c shared_preload_libraries=nmf" start >/dev/null \
	|| die "server start (see $CLUSTER/server.log)"
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=postgres

if ((fresh)); then
	say "loading $CSV into m_sorted and m_shuffled"
	"$PRIV_BIN/psql" -qX -v ON_ERROR_STOP=1 <<-EOF >/dev/null || die "load"
		CREATE TABLE m_sorted (row_id bigint, col_id bigint, value float8);
		\copy m_sorted FROM '$CSV' WITH (FORMAT csv, HEADER true)
		CREATE TABLE m_shuffled AS SELECT * FROM m_sorted ORDER BY (row_id * 2654435761 + col_id * 40503) % 1000003, row_id, col_id;
		VACUUM ANALYZE m_sorted; VACUUM ANALYZE m_shuffled;
	EOF
fi
"$PRIV_BIN/psql" -qX -c "CREATE EXTENSION IF NOT EXISTS nmf" >/dev/null
say "nmf.so md5 $(md5sum "$PRIV/usr/lib/postgresql/15/lib/nmf.so" | cut -c1-12), commit $(git rev-parse --short HEAD)$( [[ -n $(git status --porcelain -- src) ]] && echo '+uncommitted')"
say "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

/usr/bin/python3 - "$REPS" <<'EOF'
import re, statistics, sys, time
import psycopg2

reps = int(sys.argv[1])
conn = psycopg2.connect(dbname="postgres")
conn.autocommit = True
cur = conn.cursor()

def q(sql):
    cur.execute(sql)
    return cur.fetchall() if cur.description else None

def mode(workers):
    q(f"SET max_parallel_workers_per_gather = {workers}")

for table in ("m_sorted", "m_shuffled"):
    build = f"SELECT nmf_matrix_info(nmf_matrix(row_id, col_id, value)) ->> 'nnz' FROM {table}"
    q(f"SELECT count(*) FROM {table}")  # warm the cache
    mode(2)
    plan = "\n".join(r[0] for r in q("EXPLAIN (ANALYZE, VERBOSE, COSTS OFF) " + build))
    launched = re.search(r"Workers Launched: (\d+)", plan)
    partial = "Partial Aggregate" in plan
    print(f"-- {table}: parallel plan (EXPLAIN ANALYZE)\n{plan}\n")
    if not partial or not launched or int(launched.group(1)) != 2:
        sys.exit(f"{table}: the parallel plan is not a Partial Aggregate with 2 workers launched")
    digests = {}
    for w in (0, 2):
        mode(w)
        digests[w] = q(f"SELECT md5(nmf_matrix(row_id, col_id, value)::bytea) FROM {table}")[0][0]
    same = digests[0] == digests[2]
    print(f"-- {table}: md5 of the matrix: serial {digests[0]}, parallel {digests[2]}: "
          f"{'identical' if same else 'DIFFERENT'}")
    if not same:
        sys.exit(1)
    secs = {0: [], 2: []}
    for _ in range(reps):
        for w in (0, 2):
            mode(w)
            t0 = time.perf_counter()
            q(build)
            secs[w].append(time.perf_counter() - t0)
    s, p = statistics.median(secs[0]), statistics.median(secs[2])
    fmt = lambda xs: " ".join(f"{x:.3f}" for x in xs)
    print(f"-- {table}: serial   median {s:.3f} s ({fmt(secs[0])})")
    print(f"-- {table}: parallel median {p:.3f} s ({fmt(secs[2])})")
    print(f"-- {table}: serial / parallel = {s / p:.2f}\n")
EOF
say "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
