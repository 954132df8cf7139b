#!/usr/bin/env bash
# SPDX-License-Identifier: PostgreSQL
#
# The demo command: bash demo/run.sh (as root, on Debian 12).
#
# Installs what is needed and builds the extension (test/setup.sh), starts a
# throwaway PostgreSQL 15 cluster as the postgres user on 127.0.0.1, loads the
# ratings in demo/data, factorizes them with nmf and prints W, H, the top films
# of each factor and recommendations for one user (demo/demo.sql). The cluster
# is stopped and removed at the end, also on failure.

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ ${NMF_SKIP_SETUP:-0} != 1 ]]; then
	bash test/setup.sh
fi

# shellcheck source=../test/cluster.sh
source test/cluster.sh
trap nmf_cluster_stop EXIT
trap 'exit 130' INT TERM
nmf_cluster_start

"$NMF_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d postgres -f demo/demo.sql
echo
OUT=${NMF_DEMO_OUT:-$PWD/demo/out}
echo "=== 9. Pictures (demo/plots.py, matplotlib), written to $OUT:"
/usr/bin/python3 demo/plots.py "$OUT"
echo
echo "== demo: done (the cluster is removed; run the queries of demo/demo.sql on your own database)"
