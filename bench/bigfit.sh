#!/usr/bin/env bash
# SPDX-License-Identifier: PostgreSQL
# nmf_fit on 100 million cells (bench/bigfit.py), on a throwaway cluster of a
# private copy of the server with this checkout's build installed into it, so
# that nothing else installed on the machine meanwhile changes what runs.
# About 20 minutes and 12 GB of disk on 2 cores:
#   bash bench/bigfit.sh
#   NMF_BIG_CELLS=10000000 bash bench/bigfit.sh     # a quicker run
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SYS_BIN=/usr/lib/postgresql/15/bin
PRIV=${NMF_BIG_PRIVATE:-/tmp/nmf-bigfit-pg}
[[ ${NMF_SKIP_SETUP:-0} == 1 ]] || NMF_SETUP_PACKAGES_ONLY=1 bash test/setup.sh
rm -rf "$PRIV"
mkdir -p "$PRIV/usr/lib/postgresql" "$PRIV/usr/share/postgresql"
cp -a /usr/lib/postgresql/15 "$PRIV/usr/lib/postgresql/"
cp -a /usr/share/postgresql/15 "$PRIV/usr/share/postgresql/"
make -j2 PG_CONFIG=$SYS_BIN/pg_config >/dev/null
make install PG_CONFIG=$SYS_BIN/pg_config DESTDIR="$PRIV" >/dev/null
# shellcheck source=../test/cluster.sh
export NMF_PG_BIN=$PRIV/usr/lib/postgresql/15/bin
source test/cluster.sh
trap 'nmf_cluster_stop; rm -rf "$PRIV"' EXIT
trap 'exit 130' INT TERM
NMF_PG_OPTS="-c shared_buffers=1GB -c max_wal_size=8GB ${NMF_PG_OPTS:-}" nmf_cluster_start
/usr/bin/python3 bench/bigfit.py
