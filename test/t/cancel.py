#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""A long fit stops promptly on pg_cancel_backend and on statement_timeout.

A 2,000 x 2,000 matrix with every cell stored (4,000,000 non-zeros) is fitted
at rank 10 with max_iter => 100000, tol => 0 so that it would run for a very
long time. The fit must end with SQLSTATE 57014 (query_canceled) within
LIMIT seconds of the cancel (or of the timeout firing), the session must still
work afterwards, and repeated cancels must not grow the backend's memory.
"""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nmftest import TestDatabase, main, proc_status, scalar  # noqa: E402

import psycopg2  # noqa: E402

LIMIT = 1.0  # seconds from the cancel to the error reaching the client
N = 2000
FIT = "SELECT nmf(m, 10, max_iter => 100000, tol => 0) FROM cancel_matrix"


def start_fit(conn):
    """Runs FIT on conn in a thread; returns (thread, outcome dict)."""
    out = {}

    def run():
        try:
            with conn.cursor() as cur:
                cur.execute(FIT)
                cur.fetchall()
            out["error"] = None
        except psycopg2.Error as e:
            out["error"] = e
        out["end"] = time.monotonic()

    t = threading.Thread(target=run, daemon=True)
    out["start"] = time.monotonic()
    t.start()
    return t, out


def describe(out):
    e = out.get("error")
    if e is None:
        return "the fit returned normally (it should have been stopped)"
    return "SQLSTATE %s: %s" % (e.pgcode, (e.pgerror or str(e)).strip())


def rss_kb(pid):
    """Private resident memory of a backend (same host), or None when unreadable.

    RssAnon, not VmRSS: VmRSS also counts every shared buffer the backend has
    touched, and reading the uncompressed 50 MB matrix out of TOAST again and
    again touches new ones until shared_buffers is all mapped (+47 MB in three
    reads), which is no leak."""
    return proc_status(pid, "RssAnon")


def cancel_once(fit_conn, ctl_conn, pid, wait):
    """Starts a fit, cancels it after `wait` s; returns (outcome, cancel time, cancel result)."""
    t, out = start_fit(fit_conn)
    time.sleep(wait)
    t_cancel = time.monotonic()
    cancelled = scalar(ctl_conn, "SELECT pg_cancel_backend(%s)", (pid,))
    t.join(30)
    return out, t_cancel, cancelled, t.is_alive()


def body(tap):
    with TestDatabase("cancel") as db:
        fit_conn = db.connect()
        ctl_conn = db.connect()

        t0 = time.monotonic()
        with fit_conn.cursor() as cur:
            cur.execute(
                "CREATE TABLE cancel_matrix AS SELECT nmf_matrix(i, j, ((i * 7 + j * 13) %% 5 + 1)::float8) AS m "
                "FROM generate_series(1, %d) i, generate_series(1, %d) j" % (N, N)
            )
        build = time.monotonic() - t0
        info = scalar(fit_conn, "SELECT nmf_matrix_info(m) FROM cancel_matrix")
        tap.ok(
            info.get("rows") == N and info.get("cols") == N and info.get("nnz") == N * N,
            "built a %dx%d matrix with %d cells" % (N, N, N * N),
            "%.1f s; nmf_matrix_info: %s" % (build, info),
        )

        # How long a fit takes to start (read the value, set up the solver), so the
        # cancel below lands in the iterations, not in the set-up.
        t0 = time.monotonic()
        scalar(fit_conn, "SELECT nmf_info(nmf(m, 10, max_iter => 1)) FROM cancel_matrix")
        setup = time.monotonic() - t0
        wait = max(2.0, setup + 1.0)
        tap.diag("a 1-iteration fit takes %.2f s; cancelling %.1f s after the start" % (setup, wait))

        pid = scalar(fit_conn, "SELECT pg_backend_pid()")

        # --- pg_cancel_backend
        with tap.case("pg_cancel_backend stops the fit with 57014 within %.1f s" % LIMIT) as c:
            out, t_cancel, cancelled, hung = cancel_once(fit_conn, ctl_conn, pid, wait)
            c.ok(cancelled, "pg_cancel_backend returned %s" % cancelled)
            if hung:
                c.ok(False, "the fit had not stopped 30 s after the cancel")
            else:
                lat = out["end"] - t_cancel
                c.ok(out["error"] is not None and out["error"].pgcode == "57014", describe(out))
                c.ok(lat <= LIMIT, "stopped %.3f s after the cancel (fit ran %.2f s)" % (lat, out["end"] - out["start"]))

        with tap.case("the session works after the cancel") as c:
            c.ok(scalar(fit_conn, "SELECT 1") == 1)

        # --- statement_timeout
        with tap.case("statement_timeout = 2s stops the fit with 57014 within %.1f s" % LIMIT) as c:
            with fit_conn.cursor() as cur:
                cur.execute("SET statement_timeout = '2s'")
            t, out = start_fit(fit_conn)
            t.join(60)
            if t.is_alive():
                c.ok(False, "the fit had not stopped 60 s after it started")
            else:
                lat = out["end"] - out["start"] - 2.0
                e = out["error"]
                c.ok(e is not None and e.pgcode == "57014", describe(out))
                c.ok(e is not None and "statement timeout" in str(e), "the message names the timeout")
                c.ok(lat <= LIMIT, "stopped %.3f s after the timeout fired" % lat)

        with tap.case("the session works after the timeout") as c:
            c.ok(scalar(fit_conn, "SELECT 1") == 1)
            with fit_conn.cursor() as cur:
                cur.execute("RESET statement_timeout")

        # --- no leak: after three cancels more (which bring malloc to its
        # steady size: it keeps some freed 50 MB blocks in the heap only after
        # it has raised its mmap threshold, which may take a few rounds), more
        # cancels must not grow the backend. The matrix alone is ~50 MB, so a
        # leaked copy per fit would show at once.
        # Each side is the lowest of three readings (one after each cancel): a
        # freed block malloc still holds raises one reading, a leak all later ones.
        before = []
        for _ in range(3):
            cancel_once(fit_conn, ctl_conn, pid, wait)
            before.append(rss_kb(pid))
        rss0 = None if None in before else min(before)
        if rss0 is None:
            tap.skip("repeated cancels do not grow the backend's memory", "/proc not readable (remote server?)")
        else:
            with tap.case("3 more cancels do not grow the backend's memory (by more than 16 MB)") as c:
                lats, after = [], []
                for _ in range(3):
                    out, t_cancel, cancelled, hung = cancel_once(fit_conn, ctl_conn, pid, wait)
                    if hung:
                        break
                    lats.append(out["end"] - t_cancel)
                    after.append(rss_kb(pid))
                c.ok(not hung and len(lats) == 3, "cancel latencies: %s" % ", ".join("%.3f s" % x for x in lats))
                c.ok(all(x <= LIMIT for x in lats))
                rss1 = None if not after or None in after else min(after)
                c.ok(rss1 is not None and rss1 - rss0 <= 16 * 1024,
                     "backend RssAnon, lowest of 3 readings: %d kB before (%s), %s kB after (%s)"
                     % (rss0, before, rss1, after))
                c.ok(scalar(fit_conn, "SELECT 1") == 1, None)

        with fit_conn.cursor() as cur:
            cur.execute("DROP TABLE cancel_matrix")


main(body)
