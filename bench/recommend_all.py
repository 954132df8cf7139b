#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""nmf_recommend_all against a numpy brute force, in one run.

A biased rank-20 model of 100,000 users x 20,000 items (a short fit on a
synthetic matrix of 1,000,000 cells), then:
  - nmf: CREATE TABLE ... AS SELECT * FROM nmf_recommend_all(model, 10)
    (the top-10 table written, 1,000,000 rows, nmf.threads threads);
  - numpy (Debian's python3-numpy): W, H and the biases read once, then
    blocks of 2,048 users times H', argpartition for the top 10, sort;
and how many of the lists agree. Connects with libpq's environment (PGHOST,
PGPORT, PGDATABASE) to a server with nmf installed:
    PGHOST=... PGPORT=... /usr/bin/python3 bench/recommend_all.py
Knobs: NMF_RA_USERS, NMF_RA_ITEMS, NMF_RA_RANK.
"""

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "lib"))
from nmftest import connect  # noqa: E402

# (users, items, rank) from the knobs, and the list length.
USERS, ITEMS, RANK = (int(os.environ.get("NMF_RA_" + knob, default))
                      for knob, default in (("USERS", 100000), ("ITEMS", 20000), ("RANK", 20)))
K = 10


def main():
    cur = connect().cursor()
    cur.execute("CREATE EXTENSION IF NOT EXISTS nmf; DROP TABLE IF EXISTS ra_model, ra_top")
    t0 = time.time()
    # Every user rates 10 items chosen by a hash; ratings 1..5.
    cur.execute("""CREATE TABLE ra_model AS SELECT nmf(x, %d, missing => 'ignore', bias => true,
                   reg => 0.1, max_iter => 3, seed => 1) AS m FROM (
                   SELECT nmf_matrix(u, (hashint8(u * 10 + t) & 1073741823) %% %d, 1 + (u + t) %% 5) AS x
                   FROM generate_series(0, %d) u, generate_series(0, 9) t) s"""
                % (RANK, ITEMS, USERS - 1))
    print("model: %d users x %d items, rank %d (fit %.1f s)" % (USERS, ITEMS, RANK, time.time() - t0))
    cur.execute("SHOW nmf.threads")
    threads = cur.fetchone()[0]

    t0 = time.time()
    cur.execute("CREATE TABLE ra_top AS SELECT r.* FROM ra_model, nmf_recommend_all(m, %d) r" % K)
    t_nmf = time.time() - t0
    cur.execute("SELECT count(*) FROM ra_top")
    print("nmf_recommend_all: %d rows written in %.2f s (nmf.threads = %s)" % (cur.fetchone()[0], t_nmf, threads))

    t0 = time.time()
    cur.execute("SELECT array_agg(id ORDER BY id), array_agg(weights ORDER BY id) FROM ra_model, nmf_w_wide(m)")
    uids, w = cur.fetchone()
    cur.execute("SELECT array_agg(id ORDER BY id), array_agg(weights ORDER BY id) FROM ra_model, nmf_h_wide(m)")
    iids, h = cur.fetchone()
    cur.execute("SELECT array_agg(bias ORDER BY id) FROM ra_model, nmf_bias(m, 'col')")
    b_col = np.array(cur.fetchone()[0])
    w, h, iids = np.array(w), np.array(h), np.array(iids)
    t_read = time.time() - t0
    t0 = time.time()
    top = np.empty((len(uids), K), dtype=np.int64)
    for lo in range(0, len(uids), 2048):
        s = w[lo:lo + 2048] @ h.T + b_col
        part = np.argpartition(-s, K, axis=1)[:, :K]
        order = np.argsort(-np.take_along_axis(s, part, axis=1), axis=1, kind="stable")
        top[lo:lo + 2048] = iids[np.take_along_axis(part, order, axis=1)]
    t_np = time.time() - t0
    print("numpy brute force: %.2f s (+ %.2f s reading W, H and the biases from the server), "
          "numpy %s, BLAS threads as numpy sets them" % (t_np, t_read, np.__version__))

    cur.execute("SELECT row_id, array_agg(col_id ORDER BY rank) FROM ra_top GROUP BY row_id ORDER BY row_id")
    ours = {u: c for u, c in cur.fetchall()}
    same = sum(1 for i, u in enumerate(uids) if list(top[i]) == ours.get(u))
    overlap = sum(len(set(top[i]) & set(ours.get(u, []))) for i, u in enumerate(uids)) / (K * len(uids))
    print("lists identical: %d of %d; mean overlap %.4f" % (same, len(uids), overlap))
    cur.execute("DROP TABLE ra_model, ra_top")


if __name__ == "__main__":
    main()
