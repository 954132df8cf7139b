#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""nmf_fit's memory estimate holds: the backend's peak is within 1.5x of it.

A source of NMF_BIG_CELLS cells (default 3,000,000) is fitted with nmf_fit
straight into W and H tables, on a fresh connection whose anonymous memory
(RssAnon in /proc/<pid>/status: private memory, not the shared buffers a scan
touches) is sampled every 20 ms during the call. The growth over the idle
backend must stay under 1.5 x the estimate the function reports, and the
tables must hold every id of the source. bench/bigfit.sh runs the same on
100 million cells.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nmftest import TestDatabase, main, peak_during, scalar  # noqa: E402

CELLS = int(os.environ.get("NMF_BIG_CELLS", "3000000"))


def body(tap):
    with TestDatabase("fit_table_memory") as db:
        setup = db.connect()
        users = CELLS // 200
        with setup.cursor() as cur:
            cur.execute("CREATE TABLE big AS SELECT (i %% %d)::bigint AS u, (i / %d)::bigint AS it,"
                        " (i %% 5 + 1)::float8 AS v FROM generate_series(0, %d) i"
                        % (users, users, CELLS - 1))
        conn = db.connect()
        pid = scalar(conn, "SELECT pg_backend_pid()")
        with conn.cursor() as cur:
            result, elapsed, base, peak = peak_during(
                cur, pid, "SELECT nmf_fit('big', 'u', 'it', 'v', 'w', 'h', rank => 20,"
                " max_iter => 5, solver => 'mu', tol => 0)")
        est_kb = result["estimated_bytes"] / 1024.0
        grown = peak - base

        with tap.case("nmf_fit of %d cells wrote W and H" % CELLS) as c:
            c.ok(result["source_rows"] == CELLS and result["w_rows"] == users * 20,
                 "%.1f s; %s" % (elapsed, {k: v for k, v in result.items() if k != "info"}))
        with tap.case("the W and H tables hold exactly the ids of the source") as c:
            w_ok = scalar(conn, "SELECT (SELECT array_agg(DISTINCT id ORDER BY id) FROM w)"
                                " = (SELECT array_agg(DISTINCT u ORDER BY u) FROM big)")
            h_ok = scalar(conn, "SELECT (SELECT array_agg(DISTINCT id ORDER BY id) FROM h)"
                                " = (SELECT array_agg(DISTINCT it ORDER BY it) FROM big)")
            c.ok(w_ok and h_ok)
        with tap.case("peak backend memory growth is within 1.5x of the estimate") as c:
            c.ok(0 < grown <= 1.5 * est_kb,
                 "estimate %.0f kB, RssAnon %d -> peak %d kB (grew %d kB, %.2f x the estimate)"
                 % (est_kb, base, peak, grown, grown / est_kb))


if __name__ == "__main__":
    main(body)
