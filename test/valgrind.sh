#!/usr/bin/env bash
# SPDX-License-Identifier: PostgreSQL
#
# The regression suite (make installcheck) against a server running under
# valgrind's memcheck: every backend the postmaster forks runs under it, so
# every call into nmf.so (types' I/O, the aggregate, the fits, the relations)
# is checked for invalid reads and writes, uses of uninitialised memory and
# bad frees. As root, on Debian 12, after test/setup.sh (make install):
#
#   bash test/valgrind.sh            # one run; exit 0 when the suite passes
#                                    # and valgrind reports no error
#   NMF_VALGRIND_REGRESS="fit_mu"    # only these regression tests
#   NMF_VALGRIND_KEEP=1              # keep build/valgrind/ logs of every process
#
# Debian's server is built without USE_VALGRIND and ships no valgrind.supp,
# so test/valgrind.supp holds our own minimal suppressions: the server's known
# writes of uninitialised padding to files and sockets (WAL, statistics),
# which are not errors. None of them names nmf. Memory leaks are not checked
# (memory contexts are freed wholesale, not block by block).
#
# Slow (minutes); not part of test/run.sh. It ends with one line:
# "valgrind: N errors in N processes (N log files), regression: ...".

set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

PG_BIN=${NMF_PG_BIN:-/usr/lib/postgresql/15/bin}
PG_CONFIG=${PG_CONFIG:-$PG_BIN/pg_config}
PG_USER=postgres
OUT=$ROOT/build/valgrind
SUPP=$ROOT/test/valgrind.supp

command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)"; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "run as root"; exit 1; }

rm -rf "$OUT" && mkdir -p "$OUT"
DIR=$(mktemp -d /tmp/nmf-valgrind.XXXXXX)
chown "$PG_USER:" "$DIR" && chmod 700 "$DIR"
mkdir "$DIR/vg" && chown "$PG_USER:" "$DIR/vg"
cp "$SUPP" "$DIR/valgrind.supp" && chmod 644 "$DIR/valgrind.supp"

as_pg() { (cd "$DIR" && runuser -u "$PG_USER" -- "$@"); }

cleanup()
{
	if [[ -f $DIR/data/postmaster.pid ]]; then
		as_pg "$PG_BIN/pg_ctl" -D "$DIR/data" -m fast -w -t 300 stop >/dev/null 2>&1 ||
			kill -9 "$(head -n 1 "$DIR/data/postmaster.pid")" 2>/dev/null
	fi
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

as_pg "$PG_BIN/initdb" -D "$DIR/data" -U postgres --auth=trust --no-locale --encoding=UTF8 \
	>"$OUT/initdb.log" 2>&1 || { cat "$OUT/initdb.log"; exit 1; }

port=${NMF_PORT_BASE:-54400}
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || [[ -e /tmp/.s.PGSQL.$port.lock ]]; do
	port=$((port + 1))
done

# The postmaster under valgrind; its forked children stay under it. nmf is
# preloaded, as test/cluster.sh does (nmf_progress needs its shared memory).
# Parallel workers are off to keep the run short; the JIT is off (valgrind
# and LLVM's generated code do not mix well).
echo "== valgrind: starting the server on port $port (slow)"
(cd "$DIR" && runuser -u "$PG_USER" -- valgrind --tool=memcheck --quiet \
	--trace-children=no --track-origins=yes --read-var-info=no --num-callers=30 \
	--error-limit=no --leak-check=no --gen-suppressions=all \
	--suppressions="$DIR/valgrind.supp" --log-file="$DIR/vg/%p.log" \
	"$PG_BIN/postgres" -D "$DIR/data" -p "$port" -k "$DIR" -c listen_addresses=127.0.0.1 \
	-c fsync=off -c jit=off -c max_parallel_workers_per_gather=0 \
	-c autovacuum=off -c log_min_messages=warning -c shared_preload_libraries=nmf \
	>"$DIR/server.log" 2>&1 &)

for ((i = 0; i < 240; i++)); do
	"$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" && break
	sleep 1
done
if ! "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port"; then
	echo "the server under valgrind did not start"
	tail -n 30 "$DIR/server.log"
	exit 1
fi

export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres
t0=$SECONDS
rm -f regression.diffs regression.out
make_args=(installcheck PG_CONFIG="$PG_CONFIG")
[[ -n ${NMF_VALGRIND_REGRESS:-} ]] && make_args+=(REGRESS="$NMF_VALGRIND_REGRESS")
make "${make_args[@]}" 2>&1 | tee "$OUT/installcheck.log"
regress_rc=${PIPESTATUS[0]}
regress=$(grep -E 'All [0-9]+ tests passed|[0-9]+ of [0-9]+ tests failed' "$OUT/installcheck.log" | tail -n 1)
[[ -s regression.diffs ]] && head -n 200 regression.diffs

as_pg "$PG_BIN/pg_ctl" -D "$DIR/data" -m fast -w -t 300 stop >/dev/null 2>&1
cp "$DIR/server.log" "$OUT/server.log"

# One log per process; those with an error are kept, with the server log.
errors=0
procs=0
bad=0
for f in "$DIR"/vg/*.log; do
	[[ -e $f ]] || continue
	procs=$((procs + 1))
	n=$(grep -c -E '^==[0-9]+== (Invalid|Conditional|Use of uninitialised|Syscall param|Mismatched|Source and destination|Argument|.*definitely lost)' "$f")
	if ((n > 0)) || [[ ${NMF_VALGRIND_KEEP:-0} == 1 ]]; then
		cp "$f" "$OUT/"
	fi
	if ((n > 0)); then
		errors=$((errors + n))
		bad=$((bad + 1))
		echo "-- $(basename "$f"): $n error(s)"
		grep -A 25 -E '^==[0-9]+== (Invalid|Conditional|Use of uninitialised|Syscall param|Mismatched|Source and destination|Argument)' "$f" | head -n 80
	fi
done
crashes=$(grep -cE 'terminated by signal|was terminated by exception' "$OUT/server.log")

echo "valgrind: $errors errors in $bad of $procs processes, $crashes crashes; regression: ${regress:-no result} ($((SECONDS - t0)) s; logs in $OUT)"
((regress_rc == 0 && errors == 0 && crashes == 0))
