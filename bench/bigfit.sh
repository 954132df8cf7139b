#!/usr/bin/env bash
# SPDX-License-Identifier: PostgreSQL
# nmf_fit on 100 million cells, on a throwaway cluster (about 15 minutes and
# 12 GB of disk on 2 cores): bash bench/bigfit.sh
# NMF_BIG_CELLS=10000000 bash bench/bigfit.sh for a quicker run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ ${NMF_SKIP_SETUP:-0} == 1 ]] || bash test/setup.sh
# shellcheck source=../test/cluster.sh
source test/cluster.sh
trap nmf_cluster_stop EXIT
trap 'exit 130' INT TERM
NMF_PG_OPTS="-c shared_buffers=1GB -c max_wal_size=8GB ${NMF_PG_OPTS:-}" nmf_cluster_start
/usr/bin/python3 bench/bigfit.py
