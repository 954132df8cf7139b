#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""50 cancels and 50 errors mid-fit: each stops promptly, memory stays flat.

One session fits again and again; each fit runs until it is stopped
(max_iter => 1000000, tol => 0). Half the fits read a stored N x N matrix
(every cell stored; N = 300, NMF_FULL=1: 1,000), half build it from N * N
rows with the nmf_matrix aggregate first, so a stop lands in the scan, the
aggregate, the fit's set-up or its iterations.

Cancels (ROUNDS = 50, NMF_SOAK_ROUNDS=N): in turn by pg_cancel_backend from a
second session at a random moment 0-400 ms after the fit is seen running,
and by a random statement_timeout of 1-400 ms. Each must end with SQLSTATE
57014 within LIMIT = 1 s of the cancel (of the timeout firing).

Errors (ROUNDS more), in turn: a fit refused by nmf.max_memory (54000); an
error raised by the query after two fits in it (22012); a negative value met
by the aggregate after most of the rows (22003); a 1-20 ms statement_timeout
(57014); and, without an error reaching the client, a PL/pgSQL block that
fits and then fails inside an exception handler (a subtransaction rolled
back) - each with its expected SQLSTATE.

Memory: after a warm-up of WARMUP stops (the allocator's pools reach their
size), the fitting backend's private memory (RssAnon in /proc/<pid>/status;
VmRSS also counts the shared buffers it touched) and the total of its memory
contexts (sum(total_bytes) of pg_backend_memory_contexts), read while the
session is idle after each round, must not grow across the 50 cancels, nor
across the 50 errors, by 1 MB or more: the lowest of the last 10 readings
against the lowest of the first 10 (malloc may hold freed memory for a while,
so a single reading can be high; a leak raises them all). Leaking the fit
(its factors, the transposed matrix) or the aggregate state once per round
would cost far more than that.
"""

import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nmftest import TestDatabase, main, proc_status, scalar  # noqa: E402

import psycopg2  # noqa: E402

FULL = os.environ.get("NMF_FULL") == "1"
N = int(os.environ.get("NMF_SOAK_N") or (1000 if FULL else 300))
ROUNDS = int(os.environ.get("NMF_SOAK_ROUNDS") or 50)
WARMUP = 6
LIMIT = 1.0
GROWTH_KB = 1024
WINDOW = 10  # readings compared at each end of the rounds
RANK = 8
LONG = "max_iter => 1000000, tol => 0"
FIT_STORED = "SELECT nmf(m, %d, %s) FROM soak_matrix" % (RANK, LONG)
FIT_BUILT = "SELECT nmf(nmf_matrix(i, j, v), %d, %s) FROM soak_rows" % (RANK, LONG)


class Soak:
    def __init__(self, db, rng):
        self.rng = rng
        self.conn = db.connect()
        self.ctl = db.connect()
        self.pid = scalar(self.conn, "SELECT pg_backend_pid()")

    def memory(self):
        """(RssAnon kB, memory contexts kB, VmRSS kB) of the fitting backend, measured idle."""
        ctx = scalar(self.conn, "SELECT sum(total_bytes) FROM pg_backend_memory_contexts")
        return proc_status(self.pid, "RssAnon"), int(ctx) // 1024, proc_status(self.pid, "VmRSS")

    def run(self, sql):
        """Runs sql on the fitting session; returns (SQLSTATE or None, message, end time)."""
        try:
            with self.conn.cursor() as cur:
                cur.execute(sql)
                if cur.description:
                    cur.fetchall()
            return None, None, time.monotonic()
        except psycopg2.Error as e:
            return e.pgcode, (e.pgerror or str(e)).strip(), time.monotonic()

    def wait_active(self, timeout=10.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if scalar(self.ctl, "SELECT state = 'active' FROM pg_stat_activity WHERE pid = %s",
                      (self.pid,)):
                return True
            time.sleep(0.005)
        return False

    def cancel_round(self, k):
        """One stop; returns (how, SQLSTATE, latency s or None, message)."""
        sql = FIT_STORED if k % 4 < 2 else FIT_BUILT
        src = "stored" if sql is FIT_STORED else "built"
        if k % 2 == 0:
            out = {}
            t = threading.Thread(target=lambda: out.update(r=self.run(sql)), daemon=True)
            t.start()
            if not self.wait_active():
                t.join(5)
                return "cancel/" + src, None, None, "the fit was never seen running"
            time.sleep(self.rng.uniform(0.0, 0.4))
            t_cancel = time.monotonic()
            scalar(self.ctl, "SELECT pg_cancel_backend(%s)", (self.pid,))
            t.join(30)
            if t.is_alive():
                scalar(self.ctl, "SELECT pg_cancel_backend(%s)", (self.pid,))
                t.join(30)
                return "cancel/" + src, None, None, "still running 30 s after the cancel"
            code, msg, t_end = out["r"]
            return "cancel/" + src, code, t_end - t_cancel, msg
        ms = self.rng.randint(1, 400)
        with self.conn.cursor() as cur:
            cur.execute("SET statement_timeout = %d" % ms)
        t0 = time.monotonic()
        code, msg, t_end = self.run(sql)
        with self.conn.cursor() as cur:
            cur.execute("SET statement_timeout = 0")
        return "timeout %d ms/%s" % (ms, src), code, t_end - t0 - ms / 1000.0, msg

    def error_round(self, k):
        """One error mid-fit; returns (how, SQLSTATE, expected SQLSTATE, message)."""
        kind = k % 5
        if kind == 0:
            with self.conn.cursor() as cur:
                cur.execute("SET nmf.max_memory = '1MB'")
            code, msg, _ = self.run(FIT_STORED)
            with self.conn.cursor() as cur:
                cur.execute("RESET nmf.max_memory")
            return "nmf.max_memory", code, "54000", msg
        if kind == 1:
            code, msg, _ = self.run(
                "SELECT nmf(m, %d, max_iter => 20, tol => 0) IS NOT NULL AND 1 / (k - 3) > 0 "
                "FROM soak_matrix, generate_series(1, 4) k" % RANK)
            return "error after 2 fits", code, "22012", msg
        if kind == 2:
            code, msg, _ = self.run(
                "SELECT nmf(nmf_matrix(i, j, CASE WHEN i = %d AND j = %d THEN -1 ELSE v END), %d, max_iter => 5) "
                "FROM soak_rows" % (N - 1, self.rng.randint(1, N), RANK))
            return "negative value in the aggregate", code, "22003", msg
        if kind == 3:
            ms = self.rng.randint(1, 20)
            with self.conn.cursor() as cur:
                cur.execute("SET statement_timeout = %d" % ms)
            code, msg, _ = self.run(FIT_BUILT if k % 2 else FIT_STORED)
            with self.conn.cursor() as cur:
                cur.execute("SET statement_timeout = 0")
            return "statement_timeout %d ms" % ms, code, "57014", msg
        code, msg, _ = self.run("""
            DO $$
            DECLARE mo nmf_model;
            BEGIN
              FOR k IN 1..2 LOOP
                BEGIN
                  SELECT nmf(m, %d, max_iter => 20, tol => 0) INTO mo FROM soak_matrix;
                  PERFORM 1 / (k - k);
                EXCEPTION WHEN division_by_zero THEN NULL;
                END;
              END LOOP;
            END $$""" % RANK)
        return "error in a PL/pgSQL exception block", code, None, msg


def growth_case(tap, name, before, series):
    """Growth across the rounds: the lowest reading of the last WINDOW against the lowest of
    the first WINDOW (the baseline included). malloc keeps some freed memory for a while (a
    reading right after a big fit may be high) and gives it back later; a leak raises every
    later reading, the lowest included."""
    first = [before] + series[:WINDOW]
    last = series[-WINDOW:]
    with tap.case(name) as c:
        d_anon = min(s[0] for s in last) - min(s[0] for s in first)
        d_ctx = min(s[1] for s in last) - min(s[1] for s in first)
        c.ok(d_anon < GROWTH_KB and d_ctx < GROWTH_KB,
             "RssAnon %d kB before, lowest of the first/last %d readings %d/%d kB (%+d), highest %d kB; "
             "memory contexts %d kB before, lowest first/last %d/%d kB (%+d), highest %d kB; VmRSS %d -> %d kB"
             % (before[0], WINDOW, min(s[0] for s in first), min(s[0] for s in last), d_anon,
                max(s[0] for s in series), before[1], min(s[1] for s in first), min(s[1] for s in last),
                d_ctx, max(s[1] for s in series), before[2], series[-1][2]))


def body(tap):
    rng = random.Random(int(os.environ.get("NMF_SOAK_SEED") or 7))
    with TestDatabase("cancel_soak") as db:
        s = Soak(db, rng)
        t0 = time.monotonic()
        with s.conn.cursor() as cur:
            cur.execute("CREATE TABLE soak_rows AS SELECT i::bigint AS i, j::bigint AS j, "
                        "((i * 7 + j * 13) %% 5 + 1)::float8 AS v "
                        "FROM generate_series(1, %d) i, generate_series(1, %d) j" % (N, N))
            cur.execute("CREATE TABLE soak_matrix AS SELECT nmf_matrix(i, j, v) AS m FROM soak_rows")
            cur.execute("ANALYZE soak_rows")
        tap.diag("%d x %d matrix (%d cells) and its rows ready in %.1f s; rank %d; pid %d"
                 % (N, N, N * N, time.monotonic() - t0, RANK, s.pid))
        if proc_status(s.pid, "RssAnon") is None:
            tap.skip("cancels and errors mid-fit", "/proc/<pid>/status not readable (remote server?)")
            return

        for k in range(WARMUP):
            s.cancel_round(k)
            s.error_round(k)
        before = s.memory()
        series, lats, bad = [], [], []
        for k in range(ROUNDS):
            how, code, lat, msg = s.cancel_round(k)
            if code != "57014" or lat is None or lat > LIMIT:
                bad.append("%d %s: SQLSTATE %s, %s s: %s" % (k, how, code, "%.3f" % lat if lat else "-", msg))
            if lat is not None:
                lats.append((lat, how))
            series.append(s.memory())
        lats.sort()
        tap.ok(not bad and len(lats) == ROUNDS,
               "%d cancels (pg_cancel_backend and statement_timeout, at random moments): each 57014 within %.1f s"
               % (ROUNDS, LIMIT),
               "latency: median %.3f s, max %.3f s (%s)%s"
               % (lats[len(lats) // 2][0], lats[-1][0], lats[-1][1], "".join("\n" + b for b in bad[:10]))
               if lats else "\n".join(bad[:10]))
        growth_case(tap, "the backend's memory does not grow across the %d cancels (< 1 MB)" % ROUNDS,
                    before, series)

        before = s.memory()
        series, bad, kinds = [], [], {}
        for k in range(ROUNDS):
            how, code, want, msg = s.error_round(k)
            kinds[how.split(" ")[0] if how.startswith("statement") else how] = want
            if code != want:
                bad.append("%d %s: SQLSTATE %s, expected %s: %s" % (k, how, code, want, msg))
            series.append(s.memory())
        tap.ok(not bad, "%d errors raised during a fit or its query: each with its SQLSTATE" % ROUNDS,
               "\n".join(["kinds: " + ", ".join("%s (%s)" % (h, w or "caught") for h, w in kinds.items())]
                         + bad[:10]))
        growth_case(tap, "the backend's memory does not grow across the %d errors (< 1 MB)" % ROUNDS,
                    before, series)
        with tap.case("the session works afterwards and can still fit") as c:
            c.ok(scalar(s.conn, "SELECT nmf_info(nmf(m, 2, max_iter => 3))->>'iterations' FROM soak_matrix") == "3")


main(body)
