#!/usr/bin/env bash
# SPDX-License-Identifier: PostgreSQL
#
# Installs what nmf needs on Debian 12 (as root), then builds and installs the
# extension from this checkout. Idempotent: apt is only asked when a package is
# missing, and make only rebuilds what changed. Fails loudly (non-zero exit,
# the failing step named on stderr) on the first error.
#
#   bash test/setup.sh                 packages + build + install
#   NMF_SETUP_PACKAGES_ONLY=1 ...      packages only (no build)
#
# Used by test/run.sh and demo/run.sh; safe to run by hand.

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PG_BIN=${NMF_PG_BIN:-/usr/lib/postgresql/15/bin}
PG_CONFIG=${PG_CONFIG:-$PG_BIN/pg_config}

# liblz4-dev, libzstd-dev and libkrb5-dev are what ../shared/citus/citus.sh needs to
# build Citus for test/t/citus.py.
# test/t/pgvector.py builds pgvector with ../shared/pgvector/pgvector.sh, which
# needs only build-essential and postgresql-server-dev-15 (listed).
# python3-sklearn is not needed by the tests today; it is kept for the
# cross-checks against scikit-learn's NMF. clang and libclang-rt-14-dev
# (libFuzzer, the sanitizers' runtimes) build test/fuzz; sqlsmith runs in
# test/t/sqlsmith.py; valgrind in test/valgrind.sh.
PACKAGES=(
	build-essential g++ make cmake
	postgresql-15 postgresql-server-dev-15
	libeigen3-dev libgtest-dev
	python3 python3-psycopg2 python3-numpy python3-sklearn python3-matplotlib r-cran-lme4
	clang libclang-rt-14-dev clang-format-14 sqlsmith valgrind
	liblz4-dev libzstd-dev libkrb5-dev
)

say() { printf '== setup: %s\n' "$*"; }
die() { printf '== setup: FAILED: %s\n' "$*" >&2; exit 1; }

if [[ $(id -u) -ne 0 ]]; then
	die "run as root (it installs Debian packages and the extension)"
fi

missing=()
for p in "${PACKAGES[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if ((${#missing[@]})); then
	say "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt_opts=(-o DPkg::Lock::Timeout=600 -q)
	apt-get "${apt_opts[@]}" update || die "apt-get update"
	apt-get "${apt_opts[@]}" install -y --no-install-recommends "${PACKAGES[@]}" \
		|| die "apt-get install ${PACKAGES[*]}"
else
	say "Debian packages already installed"
fi

[[ -x $PG_CONFIG ]] || die "$PG_CONFIG not found (is postgresql-server-dev-15 installed?)"

if [[ ${NMF_SETUP_PACKAGES_ONLY:-0} == 1 ]]; then
	say "NMF_SETUP_PACKAGES_ONLY=1: not building the extension"
	exit 0
fi

say "building the extension (make -j2)"
make -j2 PG_CONFIG="$PG_CONFIG" || die "make (the extension does not build)"
say "installing the extension (make install)"
make install PG_CONFIG="$PG_CONFIG" >/dev/null || die "make install"
say "installed into $("$PG_CONFIG" --pkglibdir) and $("$PG_CONFIG" --sharedir)/extension"
