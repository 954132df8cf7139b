#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""A distributed fit stops as a whole: on a cancel, and when a worker backend
is killed mid-fit, with nothing left running or behind.

Runs on a coordinator and two workers (test/lib/citustest.py: Citus built
with ../shared/citus/citus.sh; NMF_SKIP_CITUS=1 skips it, and says so).
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from citustest import in_background, kill_backends, on_cluster, one, run  # noqa: E402
from nmftest import main  # noqa: E402


def body(tap, co, workers):
    long_fit = ("SELECT nmf_fit_distributed('ratings', 'user_id', 'item_id', 'rating', 4, 'wx', 'hx', "
                "max_iter => 1000000)")

    def start():
        return in_background(co, long_fit)

    def busy_on_workers():
        return sum(one(w, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%nmf_dist%' "
                          "AND state = 'active' AND pid <> pg_backend_pid()") for w in workers)

    def left_behind():
        return one(co, "SELECT count(*) FROM pg_class WHERE relname IN ('wx', 'hx')") + sum(
            one(w, "SELECT count(*) FROM pg_class WHERE relname LIKE 'wx%'") for w in workers)

    with tap.case("pg_cancel_backend stops the whole fit: 57014, nothing left running or behind") as c:
        conn, t, out = start()
        time.sleep(2.0)
        pid = conn.get_backend_pid()
        t0 = time.time()
        one(co, "SELECT pg_cancel_backend(%d)" % pid)
        t.join(30)
        took = time.time() - t0
        time.sleep(0.5)
        c.ok(not t.is_alive() and out.get("code") == "57014", "outcome %s after %.1f s" % (out, took))
        c.ok(busy_on_workers() == 0 and left_behind() == 0,
             "busy worker backends %d, tables left %d" % (busy_on_workers(), left_behind()))
        c.ok(one(conn, "SELECT 1") == 1, "the session still works")
        conn.close()

    with tap.case("a worker backend killed mid-fit stops the whole fit with an error, nothing left behind") as c:
        conn, t, out = start()
        time.sleep(2.0)
        killed = kill_backends(workers[0], "%nmf_dist%")
        t.join(60)
        time.sleep(0.5)
        c.ok(killed > 0 and not t.is_alive() and out.get("code") is not None,
             "killed %d; outcome %s" % (killed, out))
        c.ok(busy_on_workers() == 0 and left_behind() == 0,
             "busy worker backends %d, tables left %d" % (busy_on_workers(), left_behind()))
        c.ok(one(co, "SELECT count(*) FROM ratings") > 0, "the cluster still answers")
        conn.close()


if __name__ == "__main__":
    main(lambda tap: on_cluster(tap, body))
