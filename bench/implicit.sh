#!/usr/bin/env bash
# SPDX-License-Identifier: PostgreSQL
# bench/implicit.sql on a throwaway cluster of the installed build
# (NMF_PG_BIN: the server's bin directory, default the system's).
#   NMF_PG_BIN=/work/pg-implicit/usr/lib/postgresql/15/bin bash bench/implicit.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=test/cluster.sh
source test/cluster.sh
trap nmf_cluster_stop EXIT
nmf_cluster_start
"$NMF_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d postgres -c 'CREATE EXTENSION nmf' \
	-c "SET nmf.threads = ${NMF_THREADS:-2}" -f bench/implicit.sql
