#!/usr/bin/env bash
# SPDX-License-Identifier: PostgreSQL
#
# The benchmark (not a test; CI does not run it). As root on Debian 12:
#
#   bash bench/run.sh [insteval|S|M|perf|all ...]     (default: all = insteval S M perf)
#   bash bench/run.sh peers [faces dense words insteval S]   (the peer benchmark, below)
#
# 1. installs the Debian packages it needs (test/setup.sh's list, then R,
#    RcppML, lme4, OpenBLAS, pandas, linux-perf, time), only when missing;
# 2. builds the extension from this checkout (make) and installs it with the
#    server into a private copy under bench/data/pg (see below);
# 3. makes the matrices of ANCHORS.md once (bench/peers/gen_synthetic.py,
#    bench/peers/export_insteval.R) into bench/data/*.csv;
# 4. starts a throwaway cluster (test/cluster.sh) on the private copy and runs
#    bench/bench.py: load, matrix build (serial vs parallel), our solvers,
#    scikit-learn and RcppML on the same matrices, the whole user path (S),
#    and with "perf" the profile: perf on fits on M and on its serial matrix
#    build, EXPLAIN ANALYZE of both builds, and bench/floor.cpp (the sparse
#    products outside PostgreSQL). It prints one table and writes it with the
#    raw records to bench/results/ (not committed).
#
# `peers` (issue 22 item 6) runs bench/peers_bench.py instead: nmf through SQL
# against scikit-learn (Debian's, on Debian's libopenblas0-pthread with the
# CPU's own kernel: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are dropped from
# its environment, and it stops with FAILED when threadpoolctl reports another
# BLAS) and RcppML, on a dense 400 x 4,096 set, a dense 5,000 x 2,000 set,
# Debian's package descriptions as word counts (KL), InstEval and S (all five
# unless some are named): ms/iteration, final error, time to the peer's final
# error, memory. The sets are made by bench/peers/make_sets.py. BENCH_NMF_OPTS
# adds arguments to every nmf() call of it (e.g. ", threads => 1").
#
# Why a private copy of the server: other people on the machine install their
# own builds of nmf into the system's PostgreSQL; a backend started during a
# long run would load whatever nmf.so is there at that moment. The server is
# relocatable, so bench/data/pg/usr/lib/postgresql/15 (a copy of the system's,
# ~55 MB) with our `make install DESTDIR=bench/data/pg` loads only the build
# of this checkout, and the benchmark never touches the system install.
#
# Environment: BENCH_REPS (default 3; runs per configuration, the table shows
# medians), BENCH_REPS_M (default 1), BENCH_SKIP_PEERS=1 (ours only),
# BENCH_SKIP_BUILD=1 (reuse the private install as it is), BENCH_REF=<commit,
# branch or tag> (measure that commit's tree, exported to bench/data/src, instead
# of this checkout's; the benchmark itself is always this checkout's).

set -euo pipefail

BENCH_NAME=bench
# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[[ $(id -u) -eq 0 ]] || die "run as root (it installs Debian packages and runs the server as postgres)"

targets=("$@")
((${#targets[@]})) || targets=(all)
PEERS=0
[[ ${targets[0]} == peers ]] && PEERS=1
for t in "${targets[@]}"; do
	if ((PEERS)); then
		case $t in peers | faces | dense | words | insteval | S) ;; *) die "unknown set '$t' (faces, dense, words, insteval, S)" ;; esac
	else
		case $t in insteval | S | M | all | perf) ;; *) die "unknown target '$t' (insteval, S, M, all, perf, or peers first)" ;; esac
	fi
done

# 1. Packages.
NMF_SETUP_PACKAGES_ONLY=1 bash test/setup.sh
PACKAGES=(python3-pandas python3-scipy python3-sklearn libopenblas0-pthread
	r-base-core r-cran-matrix r-cran-rcppml r-cran-lme4 linux-perf time python3-threadpoolctl)
install_missing "${PACKAGES[@]}"

# 2. Build, and install into the private copy of the server.
mkdir -p "$DATA"
SRC=$ROOT
REF=
if [[ -n ${BENCH_REF:-} ]]; then
	REF=$(git rev-parse --short "$BENCH_REF^{commit}") || die "no commit $BENCH_REF"
	SRC=$DATA/src
fi
if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
	if [[ -n $REF ]]; then
		say "measuring commit $REF ($BENCH_REF): its tree goes to $SRC"
		rm -rf "$SRC" && mkdir -p "$SRC" && git archive "$REF" | tar -x -C "$SRC"
	fi
	install_private "$SRC"
	# What the private install was built from, for the report (also with BENCH_SKIP_BUILD=1 later).
	if [[ -n $REF ]]; then
		echo "$REF" >"$PRIV/nmf-build"
	else
		dirty=$(git status --porcelain -- src nmf--0.1.sql nmf.control Makefile)
		echo "$(git rev-parse --short HEAD)${dirty:++uncommitted changes}" >"$PRIV/nmf-build"
	fi
fi
[[ -x $PRIV_BIN/postgres ]] || die "no private server in $PRIV (run without BENCH_SKIP_BUILD)"
chmod -R a+rX "$PRIV"
[[ $($PRIV_BIN/pg_config --pkglibdir) == "$PRIV/usr/lib/postgresql/15/lib" ]] \
	|| die "the private server does not relocate to $PRIV"

# The stand-alone kernel driver of the profile (bench/floor.cpp, no PostgreSQL).
((PEERS)) || g++ -std=c++17 -O2 -Wall -Wextra -Werror -pthread bench/floor.cpp -o "$DATA/floor" || die "g++ bench/floor.cpp"

# 3. Data (made once; bench/data is not committed).
need() {
	((PEERS)) && ((${#targets[@]} == 1)) && [[ $1 != M && $1 != perf ]] && return 0
	for t in "${targets[@]}"; do [[ $t == "$1" || $t == all ]] && return 0; done
	return 1
}
gen() {
	[[ -s $DATA/$2 ]] && return 0
	say "making $2"
	(cd bench/peers && /usr/bin/python3 gen_synthetic.py "$1" "$DATA/$2.tmp") && mv "$DATA/$2.tmp" "$DATA/$2"
}
need S && gen S synth_S.csv
{ need M || need perf; } && gen M synth_M.csv
if need insteval && [[ ! -s $DATA/insteval.csv ]]; then
	say "exporting lme4::InstEval"
	Rscript bench/peers/export_insteval.R "$DATA/insteval.csv.tmp" && mv "$DATA/insteval.csv.tmp" "$DATA/insteval.csv"
fi

if ((PEERS)); then
	if need words && ! compgen -G '/var/lib/apt/lists/*bookworm_main_i18n_Translation-en*' >/dev/null; then
		say "fetching Debian's English package descriptions (apt-get -o Acquire::Languages=en update)"
		apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Languages=en -q update >/dev/null || die "apt-get update (Translation-en)"
	fi
	for s in faces dense words; do
		f=$s.json
		need $s && [[ ! -s $DATA/$f ]] && { say "making $s"; /usr/bin/python3 bench/peers/make_sets.py $s "$DATA" || die "make_sets.py $s"; }
	done
fi

# 4. A throwaway cluster on the private server, then the benchmark.
export NMF_PG_BIN=$PRIV_BIN
export NMF_PG_OPTS="-c max_wal_size=8GB -c checkpoint_timeout=30min ${NMF_PG_OPTS:-}"
# shellcheck source=../test/cluster.sh
source test/cluster.sh
trap nmf_cluster_stop EXIT
trap 'exit 130' INT TERM
nmf_cluster_start

if ((PEERS)); then
	/usr/bin/python3 bench/peers_bench.py --so "$PRIV/usr/lib/postgresql/15/lib/nmf.so" --data "$DATA" \
		--ref "$(cat "$PRIV/nmf-build" 2>/dev/null || echo unknown)" "${targets[@]}"
	exit
fi
/usr/bin/python3 bench/bench.py --so "$PRIV/usr/lib/postgresql/15/lib/nmf.so" --data "$DATA" \
	--psql "$PRIV_BIN/psql" --ref "$(cat "$PRIV/nmf-build" 2>/dev/null || echo unknown)" --floor "$DATA/floor" "${targets[@]}"
