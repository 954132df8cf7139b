#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""nmf_fit on a source too big for one SQL value (issue: big models).

Makes an UNLOGGED table of NMF_BIG_CELLS cells (default 100,000,000: its
matrix alone, 12 bytes a cell, is past the 1 GB a value can hold), fits it
with nmf_fit(rank => 20, max_iter => 5) straight into W and H tables, and
checks that the tables hold exactly the source's ids. The backend's private
memory (RssAnon) is sampled every 50 ms against the estimate nmf_fit reports.
Run by bench/bigfit.sh, which starts a throwaway cluster.
"""

import os
import sys
import time


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "lib"))
from nmftest import connect, peak_during  # noqa: E402

CELLS = int(os.environ.get("NMF_BIG_CELLS", "100000000"))
USERS = int(os.environ.get("NMF_BIG_USERS", "1000003"))
ITEMS = int(os.environ.get("NMF_BIG_ITEMS", "20011"))
CHUNK = 10_000_000


def main():
    conn = connect()
    cur = conn.cursor()
    cur.execute("CREATE EXTENSION IF NOT EXISTS nmf")
    cur.execute("DROP TABLE IF EXISTS big, big_w, big_h, nmf_models")
    cur.execute("CREATE UNLOGGED TABLE big (u bigint, it bigint, v float8)")
    t0 = time.time()
    for lo in range(0, CELLS, CHUNK):
        hi = min(lo + CHUNK, CELLS) - 1
        # ids spread by multiplication modulo primes; a cell may repeat (summed)
        cur.execute("INSERT INTO big SELECT i %% %d, (i * 2654435761) %% %d, (i %% 5 + 1)::float8"
                    " FROM generate_series(%d::bigint, %d) i" % (USERS, ITEMS, lo, hi))
    cur.execute("SELECT pg_size_pretty(pg_total_relation_size('big'))")
    size = cur.fetchone()[0]
    print("source: %d cells in table big (%s), made in %.0f s" % (CELLS, size, time.time() - t0),
          flush=True)

    pid_conn = connect()
    pc = pid_conn.cursor()
    pc.execute("SELECT pg_backend_pid()")
    pid = pc.fetchone()[0]
    pc.execute("SET nmf.max_memory = '16GB'")
    result, elapsed, base, peak = peak_during(
        pc, pid, "SELECT nmf_fit('big', 'u', 'it', 'v', 'big_w', 'big_h', rank => 20, max_iter => 5,"
        " solver => 'mu', tol => 0)", every=0.05)
    info = result["info"]
    print("nmf_fit: %.0f s in all, %.1f s in the solver, %d x %d matrix, %d cells, rank %d,"
          " %d iterations" % (elapsed, info["seconds"], info["rows"], info["cols"], info["nnz"],
                              info["rank"], info["iterations"]))
    est = result["estimated_bytes"] / 1024.0
    grown = peak - base
    print("memory: estimate %.0f MB; backend RssAnon %d MB -> peak %d MB, grew %.0f MB = %.2f x"
          " the estimate" % (est / 1024, base / 1024, peak / 1024, grown / 1024, grown / est))
    cur.execute("SELECT (SELECT count(*) FROM big_w), (SELECT count(*) FROM big_h)")
    w_rows, h_rows = cur.fetchone()
    cur.execute("SELECT (SELECT array_agg(DISTINCT id ORDER BY id) FROM big_w)"
                " = (SELECT array_agg(DISTINCT u ORDER BY u) FROM big),"
                " (SELECT array_agg(DISTINCT id ORDER BY id) FROM big_h)"
                " = (SELECT array_agg(DISTINCT it ORDER BY it) FROM big)")
    w_ok, h_ok = cur.fetchone()
    print("tables: big_w %d rows, big_h %d rows; ids match the source: W %s, H %s"
          % (w_rows, h_rows, w_ok, h_ok))
    ok = w_ok and h_ok and result["source_rows"] == CELLS and grown <= 1.5 * est
    print("RESULT: %s" % ("ok" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
