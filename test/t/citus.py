#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""nmf on Citus: the matrix build runs on the workers, and a fit runs where
the data lives.

Builds Citus 13.2.2 with ../shared/citus/citus.sh (beside the repository),
starts a coordinator and two workers (nmf preloaded and created on all three),
distributes a ratings table by user_id over four shards, and checks:

- EXPLAIN VERBOSE of SELECT nmf_matrix(...) shows worker_partial_agg and
  coord_combine_agg (the partial step runs on the workers);
- the distributed build equals the single-node build byte for byte, and nmf()
  fits both to the same W and H;
- nmf_fit_distributed on the distributed table equals the same function on a
  plain copy of the table (one node), and numpy's multiplicative updates from
  the same init, to 1e-9 relative, zero-filled and masked;
- the bytes shipped per iteration (commands sent to the workers, logged by
  citus.log_remote_commands, plus the partial states they send back, measured
  per shard) are O(shards r n) and do not grow with the number of ratings;
- a cancel, and a worker backend killed mid-fit, stop the whole fit and leave
  nothing behind.

NMF_SKIP_CITUS=1 skips it (and says so). A Citus build that fails is a failure.
"""

import collections
import os
import re
import subprocess
import sys
import threading
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nmftest import main, sqlstate_of  # noqa: E402

import psycopg2  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CITUS_SH = os.path.join(ROOT, "..", "shared", "citus", "citus.sh")
USERS, ITEMS, RANK, ITERS = 600, 40, 4, 15
BIG = 500000  # cells of the build timing
BUILD = "SELECT nmf_matrix(user_id, item_id, rating) FROM %s"


def default_version():
    """The version CREATE EXTENSION installs: nmf.control's default_version."""
    with open(os.path.join(ROOT, "nmf.control")) as f:
        return re.search(r"default_version\s*=\s*'([^']+)'", f.read()).group(1)


def sh(args, env=None, timeout=900):
    return subprocess.run(["bash", CITUS_SH] + args, capture_output=True, text=True,
                          env=env, timeout=timeout)


def run(conn, sql, args=None):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else None


def one(conn, sql, args=None):
    return run(conn, sql, args)[0][0]


def factors(conn, w_table, h_table):
    """W (rows by id) and H (columns by id) as numpy arrays, with their ids."""
    w = run(conn, "SELECT row_id, w FROM %s ORDER BY row_id" % w_table)
    h = run(conn, "SELECT col_id, h FROM %s ORDER BY col_id" % h_table)
    return ([r[0] for r in w], np.array([r[1] for r in w]),
            [c[0] for c in h], np.array([c[1] for c in h]).T)


def rel(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def mu_reference(v, mask, w, h, iters):
    """Lee & Seung's updates, H first; den == 0 -> 2^-23 (solver 'mu')."""
    eps = 2.0 ** -23
    for _ in range(iters):
        if mask is None:
            num, den = w.T @ v, (w.T @ w) @ h
        else:
            num, den = w.T @ v, w.T @ (mask * (w @ h))
        h = h * num / np.where(den == 0, eps, den)
        if mask is None:
            num, den = v @ h.T, w @ (h @ h.T)
        else:
            num, den = v @ h.T, (mask * (w @ h)) @ h.T
        w = w * num / np.where(den == 0, eps, den)
    return w, h


def body(tap):
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
    up = sh(["up"], env=env, timeout=300)
    if not tap.ok(up.returncode == 0, "a coordinator and two workers start",
                  up.stderr[-3000:] if up.returncode else None):
        return
    ports = dict(re.findall(r"(\w+)=(\S+)", up.stdout))
    try:
        with_cluster(tap, ports)
    finally:
        sh(["down", ports["CITUS_DIR"]], timeout=300)


def connect(port):
    c = psycopg2.connect(host="127.0.0.1", port=int(port), user="postgres", dbname="postgres")
    c.autocommit = True
    return c


def with_cluster(tap, ports):
    workers = [connect(ports["CITUS_W1_PORT"]), connect(ports["CITUS_W2_PORT"])]
    co = connect(ports["CITUS_COORD_PORT"])
    run(co, "CREATE EXTENSION nmf")  # Citus creates it on the workers too
    want = default_version()
    with tap.case("nmf %s (nmf.control's default) on the coordinator and both workers" % want) as c:
        vs = [one(x, "SELECT extversion FROM pg_extension WHERE extname = 'nmf'") for x in [co] + workers]
        c.ok(vs == [want] * 3, "versions: %s" % vs)

    # Ratings 1..5 (exact sums) on ~30% of a USERS x ITEMS grid; each (user, item) once.
    run(co, """
        SET citus.shard_count = 4;
        CREATE TABLE ratings (user_id bigint, item_id bigint, rating float8);
        SELECT create_distributed_table('ratings', 'user_id');
        INSERT INTO ratings
        SELECT u, i, ((u * 7 + i * 13) %% 5 + 1)::float8
        FROM generate_series(1, %d) u, generate_series(1, %d) i
        WHERE (u * 31 + i * 17) %% 10 < 3;
        CREATE TABLE ratings_local AS SELECT * FROM ratings;
    """ % (USERS, ITEMS))
    with tap.case("ratings is distributed by user_id over both workers") as c:
        nodes = one(co, """SELECT count(DISTINCT nodeport) FROM citus_shards
                           WHERE table_name = 'ratings'::regclass""")
        local = one(co, "SELECT count(*) FROM pg_dist_partition WHERE logicalrelid = 'ratings_local'::regclass")
        c.ok(nodes == 2 and local == 0, "worker nodes holding shards: %s; ratings_local in Citus: %s" % (nodes, local))

    with tap.case("EXPLAIN VERBOSE: nmf_matrix runs worker_partial_agg and coord_combine_agg") as c:
        plan = "\n".join(r[0] for r in run(co, "EXPLAIN (VERBOSE, COSTS OFF) " + BUILD % "ratings"))
        c.ok("worker_partial_agg" in plan and "coord_combine_agg" in plan, plan)

    run(co, "CREATE TABLE mats (kind text, m nmf_matrix)")
    run(co, "INSERT INTO mats SELECT 'distributed', m FROM (%s) s(m)" % (BUILD % "ratings"))
    run(co, "INSERT INTO mats SELECT 'local', m FROM (%s) s(m)" % (BUILD % "ratings_local"))
    with tap.case("the distributed build equals the single-node build (md5 of the bytes)") as c:
        (d, l_), = run(co, """SELECT (SELECT md5(m::bytea) FROM mats WHERE kind = 'distributed'),
                                     (SELECT md5(m::bytea) FROM mats WHERE kind = 'local')""")
        c.ok(d is not None and d == l_, "distributed %s, local %s" % (d, l_))

    with tap.case("nmf() fits both to the same W and H") as c:
        q = """SELECT (SELECT md5(string_agg(id || ':' || factor || ':' || weight::text, ',' ORDER BY id, factor))
                         FROM nmf_w(model)),
                      (SELECT md5(string_agg(id || ':' || factor || ':' || weight::text, ',' ORDER BY id, factor))
                         FROM nmf_h(model))
               FROM (SELECT nmf(m, %d, seed => 7, max_iter => 20) AS model FROM mats WHERE kind = '%s') s"""
        a, b = run(co, q % (RANK, "distributed"))[0], run(co, q % (RANK, "local"))[0]
        c.ok(a == b, "W, H md5: distributed %s, local %s" % (a, b))

    build_costs(tap, co)

    # V as numpy, for the reference fit.
    cells = run(co, "SELECT user_id, item_id, rating FROM ratings_local")
    rows = sorted({r[0] for r in cells})
    cols = sorted({r[1] for r in cells})
    ri = {u: k for k, u in enumerate(rows)}
    ci = {i: k for k, i in enumerate(cols)}
    v = np.zeros((len(rows), len(cols)))
    mask = np.zeros_like(v)
    for u, i, x in cells:
        v[ri[u], ci[i]] = x
        mask[ri[u], ci[i]] = 1

    fit = "SELECT nmf_fit_distributed('%s', 'user_id', 'item_id', 'rating', %d, '%s', '%s', missing => '%s', max_iter => %d, seed => 3)"
    for missing in ("zero", "ignore"):
        with tap.case("missing '%s': the distributed fit equals the one-node fit and numpy from the same init" % missing) as c:
            info_d = one(co, fit % ("ratings", RANK, "wd", "hd", missing, ITERS))
            info_l = one(co, fit % ("ratings_local", RANK, "wl", "hl", missing, ITERS))
            one(co, fit % ("ratings_local", RANK, "w0", "h0", missing, 0))
            c.ok(info_d["distributed"] is True and info_l["distributed"] is False, "%s\n%s" % (info_d, info_l))
            w_dist = one(co, "SELECT count(*) FROM pg_dist_partition WHERE logicalrelid = 'wd'::regclass")
            c.ok(w_dist == 1, None if w_dist == 1 else "W of the distributed fit is not a Citus table")
            rd, wd, cd, hd = factors(co, "wd", "hd")
            rl, wl, cl, hl = factors(co, "wl", "hl")
            r0, w0, c0, h0 = factors(co, "w0", "h0")
            same_ids = rd == rl == r0 == rows and cd == cl == c0 == cols
            c.ok(same_ids, None if same_ids else "the row or column ids differ")
            wn, hn = mu_reference(v, None if missing == "zero" else mask, w0, h0, ITERS)
            errs = (rel(wd, wl), rel(hd, hl), rel(wd, wn), rel(hd, hn))
            c.ok(max(errs) <= 1e-9, "max relative difference W, H: distributed vs one node %.1e %.1e; vs numpy %.1e %.1e" % errs)
            loss_n = float(np.sum(((v - wn @ hn) * (1 if missing == "zero" else mask)) ** 2))
            c.ok(abs(info_d["loss"] - loss_n) <= 1e-6 * loss_n and abs(info_l["loss"] - loss_n) <= 1e-6 * loss_n,
                 "loss: distributed %r, one node %r, numpy %r" % (info_d["loss"], info_l["loss"], loss_n))
            moved = rel(w0, wd) > 1e-3
            c.ok(moved, None if moved else "the fit did not move W away from its init")
            tap.diag("missing '%s': max rel diff vs one node %.1e / %.1e, vs numpy %.1e / %.1e; relative error %.4f"
                     % ((missing,) + errs + (info_d["relative_error"],)))
            run(co, "DROP TABLE wd, hd, wl, hl, w0, h0")

    with tap.case("refused with their SQLSTATE, nothing created: another distribution column, "
                  "a pair twice, a negative value, an unknown missing mode") as c:
        run(co, "CREATE TABLE dup (user_id bigint, item_id bigint, rating float8)")
        run(co, "INSERT INTO dup VALUES (1, 1, 1), (1, 1, 2), (2, 1, 1)")
        run(co, "CREATE TABLE neg (user_id bigint, item_id bigint, rating float8)")
        run(co, "INSERT INTO neg VALUES (1, 1, 1), (2, 1, -2)")
        q = ("SELECT nmf_fit_distributed('%s', '%s', '%s', 'rating', 2, 'wq', 'hq', missing => '%s')")
        got = [sqlstate_of(co, q % args)[0] for args in (
            ("ratings", "item_id", "user_id", "zero"), ("dup", "user_id", "item_id", "ignore"),
            ("neg", "user_id", "item_id", "zero"), ("ratings", "user_id", "item_id", "x"))]
        c.ok(got == ["0A000", "22023", "22003", "22023"], "SQLSTATEs: %s" % got)
        left = one(co, "SELECT count(*) FROM pg_class WHERE relname IN ('wq', 'hq')")
        c.ok(left == 0, None if left == 0 else "%d tables left" % left)
        run(co, "DROP TABLE dup, neg")

    traffic(tap, co)
    stops(tap, co, workers)


def build_costs(tap, co):
    """The partial state's text size per cell, and the build's time: distributed
    over 2 workers vs PostgreSQL's parallel query (2 workers) on one node."""
    run(co, """
        SET citus.shard_count = 4;
        CREATE TABLE big (user_id bigint, item_id bigint, rating float8);
        SELECT create_distributed_table('big', 'user_id');
        INSERT INTO big SELECT k / 50, k %% 50, (k %% 5 + 1)::float8 FROM generate_series(0, %d) k;
    """ % (BIG - 1))
    run(co, "CREATE TABLE big_local AS SELECT * FROM big")
    run(co, "ANALYZE big; ANALYZE big_local")
    # The state itself, as an aggregate without a final function, on this node only.
    run(co, "SET citus.enable_ddl_propagation = off")
    run(co, "CREATE AGGREGATE pg_temp.state_of(bigint, bigint, float8) "
            "(SFUNC = nmf_matrix_state_add, STYPE = nmf_matrix_state)")
    run(co, "RESET citus.enable_ddl_propagation")
    with tap.case("the partial state ships at most 33 bytes of text per cell") as c:
        bytes_, cells = run(co, "SELECT length(pg_temp.state_of(user_id, item_id, rating)::text), count(*) "
                                "FROM big_local")[0]
        c.ok(bytes_ <= 33 * cells + 64, "%d bytes for %d cells" % (bytes_, cells))
        tap.diag("partial state as text: %d bytes for %d cells = %.2f bytes per cell"
                 % (bytes_, cells, bytes_ / cells))

    def timed(sql, setup):
        run(co, setup)
        best = None
        for _ in range(3):
            t0 = time.time()
            run(co, sql)
            dt = time.time() - t0
            best = dt if best is None else min(best, dt)
        return best

    with tap.case("build time of %d cells: distributed vs parallel query on one node" % BIG) as c:
        md5s = run(co, "SELECT (SELECT md5(nmf_matrix(user_id, item_id, rating)::bytea) FROM big), "
                       "(SELECT md5(nmf_matrix(user_id, item_id, rating)::bytea) FROM big_local)")[0]
        c.ok(md5s[0] == md5s[1], "md5 distributed %s, local %s" % md5s)
        q = "SELECT nmf_matrix_info(nmf_matrix(user_id, item_id, rating)) FROM %s"
        t_dist = timed(q % "big", "SET max_parallel_workers_per_gather = 0")
        t_par = timed(q % "big_local", "SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; "
                                       "SET max_parallel_workers_per_gather = 2")
        t_ser = timed(q % "big_local", "SET max_parallel_workers_per_gather = 0")
        run(co, "RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET max_parallel_workers_per_gather")
        tap.diag("best of 3: distributed (2 workers, 4 shards) %.3f s; one node, parallel (2 workers) %.3f s; "
                 "one node, serial %.3f s; distributed / parallel = %.2f" % (t_dist, t_par, t_ser, t_dist / t_par))
    run(co, "DROP TABLE big, big_local")


def per_iteration(co, notices, table, missing):
    """(bytes sent to the workers, bytes sent back) in one iteration of a fit on table."""
    fit = ("SELECT nmf_fit_distributed('%s', 'user_id', 'item_id', 'rating', %d, 'wt', 'ht', "
           "missing => '%s', max_iter => %d)")
    sent = []
    shards = one(co, "SELECT count(*) FROM citus_shards WHERE table_name = '%s'::regclass" % table)
    for iters in (1, 3):
        notices.clear()
        run(co, "SET citus.log_remote_commands = on; SET client_min_messages = notice")
        one(co, fit % (table, RANK, missing, iters))
        run(co, "RESET citus.log_remote_commands; RESET client_min_messages")
        sent.append(sum(len(n) for n in notices if "issuing" in n))
        # The UPDATE's parameters (column ids, H, H H^T, masked) travel beside its logged
        # text, in text form, to every shard: add them.
        params = one(co, """
            SELECT length(array_agg(col_id ORDER BY col_id)::text)
                 + length(array_agg(x ORDER BY col_id, k)::text)
                 + length(nmf_dist_gram_cols(array_agg(x ORDER BY col_id, k), %d)::text) + 5
            FROM ht, unnest(h) WITH ORDINALITY AS u(x, k)""" % RANK)
        sent[-1] += iters * shards * int(params)
        run(co, "DROP TABLE wt, ht")
    # What the workers send back: per shard, the states of nmf_dist_hstats and nmf_dist_gram
    # (the UPDATE and the other statements return a count).
    back = one(co, """
        SELECT sum(result::bigint) FROM run_command_on_shards('%s',
          $$SELECT coalesce(length(nmf_dist_hstats(nmf_dist_init(user_id, 0, 0, %d, 1), item_id, rating,
                (SELECT array_agg(k ORDER BY k) FROM generate_series(1, %d) k),
                array_fill(1::float8, ARRAY[%d]), %s)::text), 0)
              + coalesce(length(nmf_dist_gram(nmf_dist_init(user_id, 0, 0, %d, 1))::text), 0)
            FROM %%s$$)""" % (table, RANK, ITEMS, ITEMS * RANK, "true" if missing == "ignore" else "false", RANK))
    return (sent[1] - sent[0]) // 2, int(back)


def traffic(tap, co):
    """Bytes per iteration: commands to the workers + partial states back."""
    notices = collections.deque()
    co.notices = notices
    run(co, """
        SET citus.shard_count = 4;
        CREATE TABLE ratings5 (user_id bigint, item_id bigint, rating float8);
        SELECT create_distributed_table('ratings5', 'user_id');
        INSERT INTO ratings5
        SELECT u, i, ((u * 7 + i * 13) %% 5 + 1)::float8
        FROM generate_series(1, %d) u, generate_series(1, %d) i
        WHERE (u * 31 + i * 17) %% 10 < 3;
    """ % (5 * USERS, ITEMS))
    shards = one(co, "SELECT count(*) FROM citus_shards WHERE table_name = 'ratings'::regclass")
    n = one(co, "SELECT count(DISTINCT item_id) FROM ratings")
    # ~25 bytes of text per float8; per shard: H out twice (2 r n, masked 3 r n), the column
    # ids twice, H H^T, the states back (r n, masked 2 r n, and r^2); plus the SQL of each task.
    bound = shards * (5 * RANK * n + 3 * RANK * RANK + 2 * n) * 25 + shards * 4 * 2000
    for missing in ("zero", "ignore"):
        with tap.case("missing '%s': bytes moved per iteration are O(shards r n) and do not grow with the ratings" % missing) as c:
            out1, back1 = per_iteration(co, notices, "ratings", missing)
            out5, back5 = per_iteration(co, notices, "ratings5", missing)
            nnz1, nnz5 = one(co, "SELECT count(*) FROM ratings"), one(co, "SELECT count(*) FROM ratings5")
            tap.diag("missing '%s', per iteration: %d ratings: %d bytes to the workers + %d back = %d; "
                     "%d ratings: %d + %d = %d; bound %d (shards %d, r %d, n %d)"
                     % (missing, nnz1, out1, back1, out1 + back1, nnz5, out5, back5, out5 + back5,
                        bound, shards, RANK, n))
            ok1 = 0 < out1 + back1 <= bound and 0 < out5 + back5 <= bound
            c.ok(ok1, None if ok1 else "above the bound %d" % bound)
            ok2 = out5 + back5 <= 1.1 * (out1 + back1)
            c.ok(ok2, None if ok2 else "5x the ratings moved %d bytes, not about %d" % (out5 + back5, out1 + back1))
    co.notices = []
    run(co, "DROP TABLE ratings5")


def stops(tap, co, workers):
    long_fit = ("SELECT nmf_fit_distributed('ratings', 'user_id', 'item_id', 'rating', 4, 'wx', 'hx', "
                "max_iter => 1000000)")

    def start():
        conn = psycopg2.connect(host=co.info.host, port=co.info.port, user="postgres", dbname="postgres")
        conn.autocommit = True
        out = {}

        def go():
            try:
                run(conn, long_fit)
                out["code"] = None
            except psycopg2.Error as e:
                out["code"] = e.pgcode
                out["msg"] = (e.pgerror or str(e)).strip()
        t = threading.Thread(target=go, daemon=True)
        t.start()
        return conn, t, out

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
        killed = 0
        for _ in range(50):
            killed = one(workers[0], "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                     "WHERE query LIKE '%nmf_dist%' AND pid <> pg_backend_pid()")
            if killed:
                break
            time.sleep(0.1)
        t.join(60)
        time.sleep(0.5)
        c.ok(killed > 0 and not t.is_alive() and out.get("code") is not None,
             "killed %d; outcome %s" % (killed, out))
        c.ok(busy_on_workers() == 0 and left_behind() == 0,
             "busy worker backends %d, tables left %d" % (busy_on_workers(), left_behind()))
        c.ok(one(co, "SELECT count(*) FROM ratings") > 0, "the cluster still answers")
        conn.close()


if __name__ == "__main__":
    main(body)
