#!/usr/bin/env bash
# SPDX-License-Identifier: PostgreSQL
#
# The test command: bash test/run.sh (as root, on Debian 12).
#
# 1. test/setup.sh: Debian packages, make, make install.
# 2. unit:       the core's GoogleTest tests (CMake + ctest, no server);
#                before them, format: every source in the house format.
# 3. regression: make installcheck (pg_regress, sql/ + expected/) against a
#                throwaway cluster.
# 4. scripts:    every test/t/*.py against the same cluster; each prints
#                "ok N - name" / "not ok N - name" lines.
# 5. server log: no backend crashed during 3 and 4 (a crash counts as one
#    failure).
# Between 2 and 3, fuzz: test/fuzz/run.sh, libFuzzer targets over the value
# decoders (no server). After 5, only with NMF_FULL=1 or NMF_VALGRIND=1,
# valgrind: test/valgrind.sh, the regression suite on a server under valgrind.
#
# Every suite runs even when an earlier one fails. The last line of the output
# is the sum over all suites, "N passed, N failed"; the exit status is non-zero
# when anything failed or a suite could not run (which counts as a failure).
#
# Environment:
#   NMF_SKIP_SETUP=1    do not run test/setup.sh (use what is installed)
#   NMF_SKIP_UNIT=1     skip the unit tests
#   NMF_SKIP_REGRESS=1  skip pg_regress
#   NMF_SKIP_SCRIPTS=1  skip the script tests
#   NMF_SCRIPTS="cancel parallel_agg"   run only these test/t scripts
#   NMF_UNIT_SANITIZE=OFF  build the unit tests without ASan + UBSan (with
#                       them, clang builds the unit tests and the fuzz
#                       targets on one sanitized core)
#   NMF_SCRIPT_TIMEOUT  seconds per script (default 600)
#   NMF_SKIP_FUZZ=1     skip the fuzz targets
#   NMF_FULL=1          the reliability suites at full size (fuzz 2,000,000
#                       executions per target, 10,000 corrupted values per
#                       type, 10,000 sqlsmith queries, ...) and valgrind
#   NMF_VALGRIND=1      also run test/valgrind.sh (slow)
#   NMF_SKIP_CITUS=1    test/t/citus.py skips (it says so) instead of building
#                       Citus with ../shared/citus/citus.sh and testing on it

set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

PG_BIN=${NMF_PG_BIN:-/usr/lib/postgresql/15/bin}
PG_CONFIG=${PG_CONFIG:-$PG_BIN/pg_config}
PYTHON=/usr/bin/python3 # Debian's, with psycopg2; not a pyenv shim on PATH
UNIT_SRC=${NMF_UNIT_SRC:-test/unit}
UNIT_BUILD=${NMF_UNIT_BUILD:-build/unit}
SCRIPT_DIR=${NMF_SCRIPT_DIR:-test/t}
UNIT_SANITIZE=${NMF_UNIT_SANITIZE:-ON} # the unit tests run under ASan + UBSan
SCRIPT_TIMEOUT=${NMF_SCRIPT_TIMEOUT:-600}
LOG_DIR=$ROOT/build/test-logs

TOTAL_PASSED=0
TOTAL_FAILED=0
SUMMARY=()

banner() { printf '\n==== %s ====\n' "$*"; }

# record SUITE PASSED FAILED NOTE
record()
{
	TOTAL_PASSED=$((TOTAL_PASSED + $2))
	TOTAL_FAILED=$((TOTAL_FAILED + $3))
	SUMMARY+=("$(printf '%-24s %5d passed %5d failed  %s' "$1" "$2" "$3" "$4")")
}

# A check that is not a test (setup, cluster, server log): only its failure counts.
check_ok()
{
	SUMMARY+=("$(printf '%-24s ok  %s' "$1" "$2")")
}

skipped()
{
	echo "SKIPPED ($2=1)"
	SUMMARY+=("$(printf '%-24s skipped (%s=1)' "$1" "$2")")
}

# record_tap SUITE LOG EXIT_STATUS T0: counts the "ok N" / "not ok N" lines of a
# TAP-printing suite; a suite that died, timed out or said nothing fails.
record_tap()
{
	local name=$1 log=$2 rc=$3 t0=$4 ok notok note
	ok=$(grep -cE '^ok [0-9]+' "$log")
	notok=$(grep -cE '^not ok [0-9]+' "$log")
	note="$((SECONDS - t0)) s"
	if ((rc == 124 || rc == 137)); then
		notok=$((notok + 1))
		note+=", timed out"
	elif ((rc != 0 && notok == 0)); then
		# It died without saying which case failed: that is a failure too.
		notok=1
		note+=", exited $rc without a 'not ok' line"
	elif ((rc == 0 && ok + notok == 0)); then
		notok=1
		note+=", reported no case"
	elif ((rc == 0 && notok > 0)); then
		note+=", exited 0 despite 'not ok' lines"
	fi
	record "$name" "$ok" "$notok" "$note"
}

mkdir -p "$LOG_DIR"
START=$SECONDS

# ---------------------------------------------------------------- setup
EXTENSION_OK=1
if [[ ${NMF_SKIP_SETUP:-0} == 1 ]]; then
	banner "setup"
	skipped setup NMF_SKIP_SETUP
else
	banner "setup: packages, build, install"
	if bash test/setup.sh; then
		check_ok setup "packages, build, install"
	else
		EXTENSION_OK=0
		record setup 0 1 "test/setup.sh failed (see above)"
		# The unit tests need only the packages; try to have them at least.
		NMF_SETUP_PACKAGES_ONLY=1 bash test/setup.sh >/dev/null 2>&1
	fi
fi

# ---------------------------------------------------------------- format
# Every C, C++ source and header in the house format (.clang-format); one
# case per file.
banner "format (make format-check, clang-format-14)"
if ! command -v clang-format-14 >/dev/null; then
	record format 0 1 "could not run: no clang-format-14"
else
	make -s format-check >"$LOG_DIR/format.log" 2>&1
	grep 'NOT FORMATTED' "$LOG_DIR/format.log"
	record format "$(grep -c '^formatted: ' "$LOG_DIR/format.log")" \
		"$(grep -c '^NOT FORMATTED: ' "$LOG_DIR/format.log")" ""
fi

# ---------------------------------------------------------------- unit
# Sanitized, the unit tests build with clang and, unless the fuzz targets are
# skipped, build those too on the same core (compiled once for both).
if [[ $UNIT_SANITIZE == ON ]]; then
	UNIT_CC=clang UNIT_CXX=clang++
	UNIT_FUZZ=$([[ ${NMF_SKIP_FUZZ:-0} == 1 ]] && echo OFF || echo ON)
else
	UNIT_CC=gcc UNIT_CXX=g++ UNIT_FUZZ=OFF
fi
# A build directory configured for another compiler cannot be reused.
rm_foreign_build() # DIR CXX
{
	if [[ -f $1/CMakeCache.txt ]] && ! grep -q "^CMAKE_CXX_COMPILER:.*/$2\$" "$1/CMakeCache.txt"; then
		rm -rf "$1"
	fi
	return 0
}
banner "unit tests ($UNIT_SRC, GoogleTest via ctest, NMF_SANITIZE=$UNIT_SANITIZE)"
if [[ ${NMF_SKIP_UNIT:-0} == 1 ]]; then
	skipped unit NMF_SKIP_UNIT
elif [[ ! -f $UNIT_SRC/CMakeLists.txt ]]; then
	echo "no $UNIT_SRC/CMakeLists.txt"
	record unit 0 1 "could not run: no $UNIT_SRC/CMakeLists.txt"
elif ! { rm_foreign_build "$UNIT_BUILD" "$UNIT_CXX" &&
	CC=$UNIT_CC CXX=$UNIT_CXX cmake -S "$UNIT_SRC" -B "$UNIT_BUILD" \
		-DNMF_SANITIZE="$UNIT_SANITIZE" -DNMF_FUZZ="$UNIT_FUZZ"; } >"$LOG_DIR/unit-cmake.log" 2>&1; then
	cat "$LOG_DIR/unit-cmake.log"
	record unit 0 1 "could not run: cmake configure failed"
elif ! cmake --build "$UNIT_BUILD" -j2 2>&1 | tee "$LOG_DIR/unit-build.log" | tail -n 30; then
	echo "(full build log: $LOG_DIR/unit-build.log)"
	record unit 0 1 "could not run: the unit tests do not build"
else
	# A test that hangs must not hang CI: 600 s per test.
	ctest --test-dir "$UNIT_BUILD" -j2 --output-on-failure --timeout 600 2>&1 |
		tee "$LOG_DIR/unit-ctest.log"
	line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' \
		"$LOG_DIR/unit-ctest.log" | tail -n 1)
	if [[ $line =~ ([0-9]+)\ tests?\ failed\ out\ of\ ([0-9]+) ]]; then
		f=${BASH_REMATCH[1]} t=${BASH_REMATCH[2]}
		if ((t == 0)); then
			record unit 0 1 "could not run: ctest found no tests"
		else
			record unit $((t - f)) "$f" ""
		fi
	else
		record unit 0 1 "could not run: no result line from ctest"
	fi
fi

# ---------------------------------------------------------------- fuzz
banner "fuzz (test/fuzz: libFuzzer, ASan + UBSan, over the value decoders)"
if [[ ${NMF_SKIP_FUZZ:-0} == 1 ]]; then
	skipped fuzz NMF_SKIP_FUZZ
else
	t0=$SECONDS
	if [[ ${NMF_SKIP_UNIT:-0} != 1 && $UNIT_FUZZ == ON ]]; then
		export NMF_FUZZ_BUILD=$UNIT_BUILD/fuzz NMF_FUZZ_PREBUILT=1
	fi
	timeout -k 10 1800 bash test/fuzz/run.sh 2>&1 | tee "$LOG_DIR/fuzz.log"
	record_tap fuzz "$LOG_DIR/fuzz.log" "${PIPESTATUS[0]}" "$t0"
fi

# ---------------------------------------------------------------- cluster
NEED_CLUSTER=0
[[ ${NMF_SKIP_REGRESS:-0} != 1 || ${NMF_SKIP_SCRIPTS:-0} != 1 ]] && ((EXTENSION_OK)) && NEED_CLUSTER=1
CLUSTER_OK=0
if ((NEED_CLUSTER)); then
	banner "cluster"
	# shellcheck source=test/cluster.sh
	source test/cluster.sh
	trap nmf_cluster_stop EXIT
	trap 'exit 130' INT TERM
	if nmf_cluster_start; then
		CLUSTER_OK=1
	else
		record cluster 0 1 "could not start a throwaway cluster"
	fi
fi

# Why the server suites cannot run, or "" when they can.
server_blocker()
{
	if ((!EXTENSION_OK)); then
		echo "the extension did not build or install"
	elif ((!CLUSTER_OK)); then
		echo "no cluster"
	fi
}

# ---------------------------------------------------------------- regression
banner "regression tests (make installcheck)"
if [[ ${NMF_SKIP_REGRESS:-0} == 1 ]]; then
	skipped regression NMF_SKIP_REGRESS
elif [[ -n $(server_blocker) ]]; then
	echo "not run: $(server_blocker)"
	record regression 0 1 "could not run: $(server_blocker)"
else
	rm -f regression.diffs regression.out
	timeout 1800 make installcheck PG_CONFIG="$PG_CONFIG" 2>&1 | tee "$LOG_DIR/installcheck.log"
	rc=${PIPESTATUS[0]}
	passed_line=$(grep -E 'All [0-9]+ tests passed' "$LOG_DIR/installcheck.log" | tail -n 1)
	failed_line=$(grep -E '[0-9]+ of [0-9]+ tests failed' "$LOG_DIR/installcheck.log" | tail -n 1)
	if [[ $passed_line =~ All\ ([0-9]+)\ tests\ passed ]]; then
		record regression "${BASH_REMATCH[1]}" 0 ""
	elif [[ $failed_line =~ ([0-9]+)\ of\ ([0-9]+)\ tests\ failed ]]; then
		f=${BASH_REMATCH[1]} t=${BASH_REMATCH[2]}
		record regression $((t - f)) "$f" "diffs printed above"
	else
		record regression 0 1 "could not run: make installcheck exited $rc without a result line"
	fi
	if [[ -s regression.diffs ]]; then
		banner "regression.diffs"
		head -n 3000 regression.diffs
		(($(wc -l <regression.diffs) > 3000)) && echo "... (truncated; full file: $ROOT/regression.diffs)"
	fi
fi

# ---------------------------------------------------------------- scripts
banner "script tests ($SCRIPT_DIR/*.py)"
if [[ ${NMF_SKIP_SCRIPTS:-0} == 1 ]]; then
	skipped scripts NMF_SKIP_SCRIPTS
else
	shopt -s nullglob
	scripts=("$SCRIPT_DIR"/*.py)
	shopt -u nullglob
	if [[ -n ${NMF_SCRIPTS:-} ]]; then
		selected=()
		for s in "${scripts[@]}"; do
			[[ " $NMF_SCRIPTS " == *" $(basename "$s" .py) "* ]] && selected+=("$s")
		done
		scripts=("${selected[@]}")
	fi
	if ((${#scripts[@]} == 0)); then
		echo "no script tests found"
		record scripts 0 1 "could not run: no $SCRIPT_DIR/*.py"
	fi
	for s in "${scripts[@]}"; do
		name=t/$(basename "$s")
		log=$LOG_DIR/$(basename "$s" .py).log
		echo "-- $name"
		if [[ -n $(server_blocker) ]]; then
			echo "not run: $(server_blocker)"
			record "$name" 0 1 "could not run: $(server_blocker)"
			continue
		fi
		t0=$SECONDS
		timeout -k 10 "$SCRIPT_TIMEOUT" "$PYTHON" -u "$s" 2>&1 | tee "$log"
		record_tap "$name" "$log" "${PIPESTATUS[0]}" "$t0"
	done
fi

# ---------------------------------------------------------------- server log
if ((CLUSTER_OK)); then
	banner "server log"
	crashes=$(nmf_cluster_crashes)
	if [[ -n $crashes ]]; then
		echo "$crashes"
		echo "-- last 60 lines of the server log:"
		tail -n 60 "$NMF_CLUSTER_LOG"
		record "server log" 0 1 "a backend crashed (see above)"
	else
		echo "no backend crash"
		check_ok "server log" "no backend crash"
	fi
	cp "$NMF_CLUSTER_LOG" "$LOG_DIR/server.log" 2>/dev/null
	nmf_cluster_stop
fi

# ---------------------------------------------------------------- valgrind
banner "valgrind (test/valgrind.sh: the regression suite on a server under valgrind)"
if [[ ${NMF_FULL:-0} != 1 && ${NMF_VALGRIND:-0} != 1 ]]; then
	echo "not run (slow): NMF_VALGRIND=1 or NMF_FULL=1 runs it"
	SUMMARY+=("$(printf '%-24s not run (NMF_VALGRIND=1 or NMF_FULL=1)' valgrind)")
elif ((!EXTENSION_OK)); then
	record valgrind 0 1 "could not run: the extension did not build or install"
else
	t0=$SECONDS
	timeout -k 10 3600 bash test/valgrind.sh 2>&1 | tee "$LOG_DIR/valgrind.log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^valgrind: ' "$LOG_DIR/valgrind.log" | tail -n 1)
	if ((rc == 0)); then
		record valgrind 1 0 "${line#valgrind: }"
	else
		record valgrind 0 1 "${line:-test/valgrind.sh exited $rc} ($((SECONDS - t0)) s)"
	fi
fi

# ---------------------------------------------------------------- summary
banner "summary ($((SECONDS - START)) s; logs in $LOG_DIR)"
printf '%s\n' "${SUMMARY[@]}"
echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed"
((TOTAL_FAILED == 0))
