#!/usr/bin/env bash
# SPDX-License-Identifier: PostgreSQL
#
# Builds the libFuzzer targets (clang, ASan + UBSan + libFuzzer), writes the
# seed corpus with make_seeds, and runs each target for a fixed number of
# executions from a fresh copy of the seeds with a fixed seed, so a run is
# reproducible. Prints one "ok N - ..." / "not ok N - ..." line per target
# (test/run.sh counts them) and exits non-zero when a target failed.
#
#   bash test/fuzz/run.sh                  100,000 executions per target
#   NMF_FULL=1 bash test/fuzz/run.sh       2,000,000 per target
#   NMF_FUZZ_RUNS=N  NMF_FUZZ_SEED=S       another count or seed
#   NMF_FUZZ_TARGETS="matrix model"        only these targets
#   NMF_FUZZ_BUILD=DIR NMF_FUZZ_PREBUILT=1  the targets built already in DIR
#                                          (test/run.sh: by the unit build)
#
# A crash or a sanitizer report leaves the input in build/fuzz/artifacts/;
# replay it with build/fuzz/fuzz_<target> <file>.

set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

BUILD=${NMF_FUZZ_BUILD:-build/fuzz}
if [[ ${NMF_FULL:-0} == 1 ]]; then
	RUNS=${NMF_FUZZ_RUNS:-2000000}
else
	RUNS=${NMF_FUZZ_RUNS:-100000}
fi
SEED=${NMF_FUZZ_SEED:-1}
TARGETS=${NMF_FUZZ_TARGETS:-matrix state model}
MAX_LEN=4096

n=0
failed=0
tap()
{
	n=$((n + 1))
	if (($1)); then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

if ! command -v clang++ >/dev/null; then
	tap 0 "clang++ is installed (test/setup.sh installs clang)"
	echo "1..$n"
	exit 1
fi

mkdir -p "$BUILD"
if [[ ${NMF_FUZZ_PREBUILT:-0} == 1 ]]; then
	for t in $TARGETS; do
		[[ -x $BUILD/fuzz_$t ]] || {
			tap 0 "fuzz_$t was built in $BUILD"
			echo "1..$n"
			exit 1
		}
	done
elif ! CC=clang CXX=clang++ cmake -S test/fuzz -B "$BUILD" >"$BUILD/cmake.log" 2>&1 ||
	! cmake --build "$BUILD" -j2 >"$BUILD/build.log" 2>&1; then
	cat "$BUILD/cmake.log" "$BUILD/build.log" | tail -n 40
	tap 0 "the fuzz targets build"
	echo "1..$n"
	exit 1
fi

rm -rf "$BUILD/seeds" "$BUILD/corpus"
if ! "$BUILD/make_seeds" "$BUILD/seeds"; then
	tap 0 "make_seeds writes the seed corpus"
	echo "1..$n"
	exit 1
fi
mkdir -p "$BUILD/artifacts"

for t in $TARGETS; do
	corpus=$BUILD/corpus/$t
	log=$BUILD/fuzz_$t.log
	mkdir -p "$corpus"
	cp "$BUILD/seeds/$t"/* "$corpus"/
	seeds=$(find "$corpus" -type f | wc -l)
	t0=$SECONDS
	# Leaks are checked too (libFuzzer's -detect_leaks, on by default with ASan).
	"$BUILD/fuzz_$t" -runs="$RUNS" -seed="$SEED" -max_len=$MAX_LEN -print_final_stats=1 \
		-artifact_prefix="$BUILD/artifacts/${t}-" "$corpus" >"$log" 2>&1
	rc=$?
	done_runs=$(sed -nE 's/^Done ([0-9]+) runs.*/\1/p' "$log" | tail -n 1)
	reports=$(grep -cE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|nmf fuzz:' "$log")
	cov=$(sed -nE 's/.*DONE +cov: ([0-9]+) ft: ([0-9]+) corp: ([0-9]+).*/cov \1, corpus \3/p' "$log" | tail -n 1)
	name="fuzz_$t: ${done_runs:-0} executions from $seeds seeds (-seed=$SEED), $reports crashes or sanitizer reports; $cov; $((SECONDS - t0)) s"
	if ((rc == 0)) && [[ $done_runs == "$RUNS" ]] && ((reports == 0)); then
		tap 1 "$name"
	else
		tap 0 "$name"
		echo "# exit status $rc; the end of $log:"
		tail -n 40 "$log" | sed 's/^/# /'
		ls "$BUILD/artifacts" | sed 's/^/# artifact: /'
	fi
done
echo "1..$n"
((failed == 0))
