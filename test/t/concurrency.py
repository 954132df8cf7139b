#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""8 sessions fitting and scoring at once give what serial runs give.

JOBS fits (three matrices of different shapes, ranks 1-5, several seeds) are
run first one after another on one session: for each, the W and H of the
model (from nmf_w / nmf_h, every weight as an exact float8) and a score
table (the predicted V = W H for a few rows, as the README's query computes
it), the predictions of nmf_predict for 7 x 9 pairs and nmf_score over the
training matrix. Then SESSIONS = 8 sessions, one connection and one thread each, run all
of them at the same time, each in its own order, ROUNDS times, also writing
each model to a shared table and reading W back from there. Every result
must be bit for bit the serial one (the model bytes themselves differ: they
record the seconds), no session may fail or wait forever (a deadlock or a
hang fails after DEADLINE s), and no backend may run more threads than
nmf's thread setting allows (1 when there is none: the fit is serial).
"""

import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nmftest import TestDatabase, main, proc_status, run, scalar  # noqa: E402

FULL = os.environ.get("NMF_FULL") == "1"
SESSIONS = 8
ROUNDS = int(os.environ.get("NMF_CONCURRENCY_ROUNDS") or (10 if FULL else 2))
DEADLINE = 600

SETUP = """
CREATE TABLE mats (name text PRIMARY KEY, m nmf_matrix);
INSERT INTO mats
SELECT 'sparse', nmf_matrix(i * 3, j * 5 + 1, ((i * 7 + j * 11) % 9)::float8)
FROM generate_series(1, 200) i, generate_series(1, 150) j WHERE (i * j) % 5 < 2;
INSERT INTO mats
SELECT 'dense', nmf_matrix(i, j, 1 + ((i * j) % 13)::float8 / 4)
FROM generate_series(1, 90) i, generate_series(1, 110) j;
INSERT INTO mats
SELECT 'tall', nmf_matrix(i, j, ((i + j * j) % 7)::float8)
FROM generate_series(1, 400) i, generate_series(1, 30) j;
CREATE TABLE shared_models (session int, job int, model nmf_model);
"""

JOBS = [(name, rank, seed, iters)
        for name in ("sparse", "dense", "tall")
        for rank, seed, iters in ((1, 0, 50), (3, 1, 80), (5, 42, 60), (3, 7, 30))]

FIT = ("SELECT nmf(m, %(rank)s, seed => %(seed)s, max_iter => %(iters)s, tol => 0) AS model "
       "FROM mats WHERE name = %(name)s")
RESULT = """
WITH f AS MATERIALIZED (%s)
SELECT (SELECT array_agg(w.weight ORDER BY w.id, w.factor) FROM f, nmf_w(f.model) w),
       (SELECT array_agg(h.weight ORDER BY h.id, h.factor) FROM f, nmf_h(f.model) h),
       (SELECT array_agg(score ORDER BY row_id, col_id) FROM (
            SELECT w.id AS row_id, h.id AS col_id, sum(w.weight * h.weight) AS score
            FROM f, nmf_w(f.model) w, nmf_h(f.model) h
            WHERE w.factor = h.factor AND w.id IN (SELECT id FROM f, nmf_w(f.model) ORDER BY id LIMIT 10)
            GROUP BY 1, 2) s),
       (SELECT array_agg(p.score ORDER BY p.row_id, p.col_id)
        FROM f, (SELECT array_agg(r.id) AS rs, array_agg(c.id) AS cs
                 FROM (SELECT DISTINCT id FROM f, nmf_w(f.model) ORDER BY id LIMIT 7) r,
                      (SELECT DISTINCT id FROM f, nmf_h(f.model) ORDER BY id LIMIT 9) c) pairs,
             nmf_predict(f.model, pairs.rs, pairs.cs) p),
       (SELECT nmf_score(f.model, mats.m)::text FROM f, mats WHERE mats.name = %%(name)s)
""" % FIT


def job_args(job):
    name, rank, seed, iters = job
    return {"name": name, "rank": rank, "seed": seed, "iters": iters}


def run_job(conn, job):
    with conn.cursor() as cur:
        cur.execute(RESULT, job_args(job))
        return cur.fetchone()


def body(tap):
    with TestDatabase("concurrency") as db:
        conn = db.connect()
        run(conn, SETUP)
        thread_setting = scalar(conn, "SELECT string_agg(name || ' = ' || setting, ', ') FROM pg_settings "
                                      "WHERE name LIKE 'nmf.%thread%'")
        bound = 1
        for item in (thread_setting or "").split(", "):
            value = item.partition(" = ")[2]
            if value.isdigit():
                # 0 conventionally means "as many as cores"
                bound = max(bound, int(value) or os.cpu_count() or 1)

        t0 = time.monotonic()
        serial = [run_job(conn, job) for job in JOBS]
        serial_s = time.monotonic() - t0
        with tap.case("serial: %d fits give W, H and scores" % len(JOBS)) as c:
            c.ok(all(r[0] and r[1] and r[2] and r[3] and r[4] for r in serial), "%.1f s" % serial_s)
            c.ok(all(w >= 0 for r in serial for w in r[0]), "W >= 0")

        results = [[] for _ in range(SESSIONS)]  # (job, result, W from the shared table)
        errors = [[] for _ in range(SESSIONS)]
        pids = []
        conns = [db.connect() for _ in range(SESSIONS)]
        for c_ in conns:
            pids.append(scalar(c_, "SELECT pg_backend_pid()"))
        start = threading.Barrier(SESSIONS)

        def session(i):
            rng = random.Random(i)
            order = [j for _ in range(ROUNDS) for j in rng.sample(range(len(JOBS)), len(JOBS))]
            try:
                start.wait(60)
                for j in order:
                    r = run_job(conns[i], JOBS[j])
                    with conns[i].cursor() as cur:
                        cur.execute("INSERT INTO shared_models SELECT %%(session)s, %%(job)s, model FROM (%s) f" % FIT,
                                    dict(job_args(JOBS[j]), session=i, job=j))
                        cur.execute("SELECT array_agg(w.weight ORDER BY w.id, w.factor) FROM "
                                    "(SELECT model FROM shared_models WHERE session = %s AND job = %s LIMIT 1) s, "
                                    "nmf_w(s.model) w", (i, j))
                        stored_w = cur.fetchone()[0]
                        cur.execute("DELETE FROM shared_models WHERE session = %s AND job = %s", (i, j))
                    results[i].append((j, r, stored_w))
            except Exception as e:  # noqa: BLE001 - every failure is reported
                errors[i].append("%s: %s" % (type(e).__name__, str(e).strip()))

        threads = [threading.Thread(target=session, args=(i,), daemon=True) for i in range(SESSIONS)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        max_threads = 0
        while any(t.is_alive() for t in threads) and time.monotonic() - t0 < DEADLINE:
            for p in pids:
                n = proc_status(p, "Threads")
                if n is not None:
                    max_threads = max(max_threads, n)
            time.sleep(0.05)
        for t in threads:
            t.join(1)
        conc_s = time.monotonic() - t0
        hung = [i for i, t in enumerate(threads) if t.is_alive()]

        tap.ok(not hung, "%d sessions x %d fits finished, no deadlock or hang (%.1f s; serial %.1f s)"
               % (SESSIONS, len(JOBS) * ROUNDS, conc_s, serial_s),
               "sessions still running after %d s: %s" % (DEADLINE, hung) if hung else None)
        errs = [(i, e) for i in range(SESSIONS) for e in errors[i]]
        tap.ok(not errs, "no session got an error", "\n".join("session %d: %s" % x for x in errs[:10]) or None)
        mismatch = []
        done = 0
        for i in range(SESSIONS):
            for j, r, stored_w in results[i]:
                done += 1
                want = serial[j]
                for what, a, b in (("W", r[0], want[0]), ("H", r[1], want[1]), ("scores", r[2], want[2]),
                                   ("nmf_predict", r[3], want[3]), ("nmf_score", r[4], want[4]),
                                   ("W from the shared table", stored_w, want[0])):
                    if a != b:
                        mismatch.append("session %d, job %s: %s differs" % (i, JOBS[j], what))
        tap.ok(done == SESSIONS * len(JOBS) * ROUNDS and not mismatch,
               "every concurrent W, H, score, prediction and nmf_score is bit for bit the serial one "
               "(%d fits compared)" % done,
               "\n".join(mismatch[:10]) or None)
        if max_threads:
            tap.ok(max_threads <= bound,
                   "no backend ran more than %d thread(s) (%s)" % (bound, thread_setting or "no nmf thread setting"),
                   "most threads seen in one backend: %d" % max_threads)
        else:
            tap.skip("thread count per backend", "/proc/<pid>/status not readable (remote server?)")


main(body)
