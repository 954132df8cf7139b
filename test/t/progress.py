#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""A running fit can be watched from another session through nmf_progress.

Session A runs a long fit; session B polls the nmf_progress view and must see
A's row, with the iteration count advancing, and nothing once the fit ends.
(The test cluster preloads nmf, which the view needs.)
"""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nmftest import TestDatabase, main, scalar  # noqa: E402


def body(tap):
    with TestDatabase("progress") as db:
        a = db.connect()
        b = db.connect()
        a.autocommit = b.autocommit = True
        with a.cursor() as cur:
            cur.execute("CREATE TABLE t AS SELECT nmf_matrix(i, j, ((hashint4(i * 1000 + j) & 7) + 1)::float8) AS x"
                        " FROM generate_series(1, 600) i, generate_series(1, 600) j")
        a_pid = scalar(a, "SELECT pg_backend_pid()")

        with tap.case("the view is empty when nothing is fitting") as c:
            c.ok(scalar(b, "SELECT count(*) FROM nmf_progress") == 0)

        done = {}

        def fit():
            try:
                with a.cursor() as cur:
                    cur.execute("SELECT nmf_info(nmf(x, 10, max_iter => 100000, tol => 0,"
                                " max_seconds => 4))->>'iterations' FROM t")
                    done["iterations"] = int(cur.fetchone()[0])
            except Exception as e:  # reported below
                done["error"] = e

        th = threading.Thread(target=fit)
        th.start()
        seen = []
        deadline = time.time() + 8
        with b.cursor() as cur:
            while th.is_alive() and time.time() < deadline:
                cur.execute("SELECT pid, iteration, max_iter, rank, rows, cols, loss FROM nmf_progress")
                rows = cur.fetchall()
                if rows:
                    seen.append(rows[0])
                time.sleep(0.3)
        th.join()

        with tap.case("another session sees the fit's row (pid, rank, shape, max_iter)") as c:
            ok = bool(seen) and all(r[0] == a_pid and r[3] == 10 and r[4] == 600 and r[5] == 600
                                    and r[2] == 100000 for r in seen)
            c.ok(ok, "seen %d rows, first %s" % (len(seen), seen[:1]))
        with tap.case("the iteration count advances while the fit runs") as c:
            its = [r[1] for r in seen]
            c.ok(len(its) >= 3 and its == sorted(its) and its[-1] > its[0],
                 "iterations seen: %s" % its)
        with tap.case("the loss is reported once an iteration is done") as c:
            c.ok(all(r[6] is not None and r[6] > 0 for r in seen if r[1] > 0) and
                 any(r[1] > 0 for r in seen))
        with tap.case("the fit finished normally and the view is empty again") as c:
            n = scalar(b, "SELECT count(*) FROM nmf_progress")
            c.ok("error" not in done and done.get("iterations", 0) > 0 and n == 0,
                 "result %s, rows after: %s" % (done, n))
        with tap.case("a cancelled fit leaves no row behind") as c:
            done.clear()
            th = threading.Thread(target=fit)
            th.start()
            # Cancel once the fit is running (seen in the view), not after a
            # fixed sleep that a loaded machine can outrun.
            deadline = time.time() + 10
            while time.time() < deadline and scalar(b, "SELECT count(*) FROM nmf_progress") == 0:
                time.sleep(0.1)
            with b.cursor() as cur:
                cur.execute("SELECT pg_cancel_backend(%s)", (a_pid,))
            th.join()
            n = scalar(b, "SELECT count(*) FROM nmf_progress")
            c.ok(n == 0 and "error" in done, "rows after cancel: %s, fit: %s" % (n, done))
        a.close()
        b.close()


if __name__ == "__main__":
    main(body)
