# SPDX-License-Identifier: PostgreSQL
"""Helpers for the Citus script tests (test/t/citus_*.py).

on_cluster(tap, body) builds Citus 13.2.2 with ../shared/citus/citus.sh
(beside the repository; a build that fails is a failure), starts a
coordinator and two workers with nmf preloaded, creates nmf (Citus creates it
on the workers too), distributes a ratings table by user_id over four shards
(plus ratings_local, the same rows on one node), runs body(tap, co, workers)
and stops the cluster. NMF_SKIP_CITUS=1 skips it, and says so.
"""

import os
import re
import subprocess
import threading
import time

import psycopg2

from nmftest import run

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CITUS_SH = os.path.join(ROOT, "..", "shared", "citus", "citus.sh")
USERS, ITEMS, RANK, ITERS = 600, 40, 4, 15


def sh(args, env=None, timeout=900):
    return subprocess.run(["bash", CITUS_SH] + args, capture_output=True, text=True,
                          env=env, timeout=timeout)


def one(conn, sql, args=None):
    return run(conn, sql, args)[0][0]


def connect(port):
    c = psycopg2.connect(host="127.0.0.1", port=int(port), user="postgres", dbname="postgres")
    c.autocommit = True
    return c


def create_ratings(co, table, users):
    """Ratings 1..5 (exact sums) on ~30% of a users x ITEMS grid, each (user, item)
    once, distributed by user_id over four shards."""
    run(co, """
        SET citus.shard_count = 4;
        CREATE TABLE %s (user_id bigint, item_id bigint, rating float8);
        SELECT create_distributed_table('%s', 'user_id');
        INSERT INTO %s
        SELECT u, i, ((u * 7 + i * 13) %%%% 5 + 1)::float8
        FROM generate_series(1, %%d) u, generate_series(1, %%d) i
        WHERE (u * 31 + i * 17) %%%% 10 < 3;
    """ % (table, table, table) % (users, ITEMS))


def on_cluster(tap, body):
    if os.environ.get("NMF_SKIP_CITUS") == "1":
        print("# SKIPPED: NMF_SKIP_CITUS=1, Citus is neither built nor tested", flush=True)
        tap.skip("nmf on Citus", "NMF_SKIP_CITUS=1")
        return

    # Build (or find) Citus. A failure here fails the test: it never passes silently.
    if not tap.ok(os.path.isfile(CITUS_SH), "the Citus script is at ../shared/citus/citus.sh",
                  None if os.path.isfile(CITUS_SH) else "not found: %s" % CITUS_SH):
        return
    t0 = time.time()
    b = sh(["build"], timeout=1800)
    if not tap.ok(b.returncode == 0, "Citus builds and installs (%.0f s)" % (time.time() - t0),
                  None if b.returncode == 0 else (b.stdout + b.stderr)[-3000:]):
        return
    tap.diag(b.stdout.strip())

    env = dict(os.environ, CITUS_PG_OPTS="-c shared_preload_libraries=citus,nmf")
    # citus.sh picks random ports that nothing listens on; one may still be bound (an
    # outgoing connection's local port), and then that node cannot start: try new ports.
    for attempt in range(3):
        up = sh(["up"], env=env, timeout=300)
        if up.returncode == 0 or "Address already in use" not in up.stderr:
            break
        tap.diag("a port was taken, starting again on new ports")
    if not tap.ok(up.returncode == 0, "a coordinator and two workers start",
                  up.stderr[-3000:] if up.returncode else None):
        return
    ports = dict(re.findall(r"(\w+)=(\S+)", up.stdout))
    try:
        workers = [connect(ports["CITUS_W1_PORT"]), connect(ports["CITUS_W2_PORT"])]
        co = connect(ports["CITUS_COORD_PORT"])
        run(co, "CREATE EXTENSION nmf")  # Citus creates it on the workers too
        create_ratings(co, "ratings", USERS)
        run(co, "CREATE TABLE ratings_local AS SELECT * FROM ratings")
        body(tap, co, workers)
    finally:
        sh(["down", ports["CITUS_DIR"]], timeout=300)


def in_background(co, sql):
    """Runs sql on a new connection to the coordinator in a thread: (conn, thread,
    out), out["code"] the SQLSTATE it ended with (None: it succeeded)."""
    conn = psycopg2.connect(host=co.info.host, port=co.info.port, user="postgres", dbname="postgres")
    conn.autocommit = True
    out = {}

    def go():
        try:
            run(conn, sql)
            out["code"] = None
        except psycopg2.Error as e:
            out["code"] = e.pgcode
            out["msg"] = (e.pgerror or str(e)).strip()
    t = threading.Thread(target=go, daemon=True)
    t.start()
    return conn, t, out


def kill_backends(worker, pattern, tries=50):
    """Terminates the worker's backends running a query LIKE pattern, trying for
    up to tries / 10 s; how many it killed."""
    for _ in range(tries):
        killed = one(worker, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                             "WHERE query LIKE '%s' AND pid <> pg_backend_pid()" % pattern)
        if killed:
            return killed
        time.sleep(0.1)
    return 0
