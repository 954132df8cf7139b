#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""Factors in pgvector's HNSW index: on a biased model of 100,000 items, the
index (inner product over nmf_h_vectors / nmf_w_vector, the augmented
vectors) returns top-10 lists with recall >= 0.95 against nmf_recommend, with
and without the user's seen items excluded (pgvector 0.8's iterative index
scans). nmf itself does not depend on pgvector: the test builds pgvector
0.8.6 from ../shared/pgvector and installs it into the server under test
(PG_CONFIG / NMF_PG_BIN: the private copy /work/tools/privtest.sh makes, or
the system one in CI). It skips, and says why, only when that build is
impossible.
"""

import glob
import os
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nmftest import TestDatabase, main, run, scalar  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PGVECTOR_DIR = os.path.join(ROOT, "..", "shared", "pgvector")
SYSTEM_BIN = "/usr/lib/postgresql/15/bin"
ITEMS = 100000
USERS = 400
RANK = 16
QUERIES = 40
K = 10


def pg_config(path, arg):
    return subprocess.run([path, arg], check=True, capture_output=True, text=True).stdout.strip()


def install_pgvector():
    """Makes CREATE EXTENSION vector work on the server under test; returns
    None, or why it cannot (then the test skips)."""
    target = os.environ.get("PG_CONFIG") or os.path.join(os.environ.get("NMF_PG_BIN", SYSTEM_BIN),
                                                         "pg_config")
    lib, share = pg_config(target, "--pkglibdir"), pg_config(target, "--sharedir")
    if os.path.isfile(os.path.join(lib, "vector.so")) and \
            os.path.isfile(os.path.join(share, "extension", "vector.control")):
        return None
    tarballs = glob.glob(os.path.join(PGVECTOR_DIR, "pgvector-*.tar.gz"))
    if not tarballs:
        return "no pgvector source in %s" % PGVECTOR_DIR
    system = os.path.join(SYSTEM_BIN, "pg_config")
    sys_lib = pg_config(system, "--pkglibdir")
    if os.path.realpath(lib) == os.path.realpath(sys_lib):
        # The system server (CI): pgvector's own script builds and installs it.
        p = subprocess.run(["bash", os.path.join(PGVECTOR_DIR, "pgvector.sh")],
                           capture_output=True, text=True)
        return None if p.returncode == 0 else "pgvector.sh failed: %s" % p.stderr.strip()[-400:]
    # A private copy of the server (privtest.sh): built against the system's
    # headers, installed under the copy's root, as the extension itself is.
    if not lib.endswith(sys_lib):
        return "cannot tell where %s's server copy is rooted" % target
    root = lib[: -len(sys_lib)]
    build = tempfile.mkdtemp(prefix="pgvector-build.")
    try:
        with tarfile.open(tarballs[0]) as t:
            t.extractall(build)
        src = glob.glob(os.path.join(build, "pgvector-*"))[0]
        for cmd in (["make", "-j2", "PG_CONFIG=" + system],
                    ["make", "install", "PG_CONFIG=" + system, "DESTDIR=" + root]):
            p = subprocess.run(cmd, cwd=src, capture_output=True, text=True)
            if p.returncode != 0:
                return "%s failed: %s" % (" ".join(cmd[:2]), (p.stdout + p.stderr).strip()[-400:])
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return None


def recall(conn, users, exclude):
    """Mean recall@K of the HNSW lists against nmf_recommend, and the index
    queries' latencies (s)."""
    hits, total, lat = 0, 0, []
    for u in users:
        exact = [r[0] for r in run(conn, "SELECT col_id FROM models, nmf_recommend(m, %s, %s%s)"
                                   % (u, K, ", exclude => x" if exclude else ""))]
        q = scalar(conn, "SELECT nmf_w_vector(m, %s)::text FROM models", (u,))
        # The seen items: the user's rows of the ratings table, by its index.
        where = ("WHERE NOT EXISTS (SELECT 1 FROM ratings r WHERE r.user_id = %s AND r.item_id = i.id)"
                 if exclude else "")
        sql = "SELECT id FROM items i %s ORDER BY v <#> %%s::real[]::vector LIMIT %d" % (where, K)
        t0 = time.time()
        got = run(conn, sql, (u, q) if exclude else (q,))
        lat.append(time.time() - t0)
        hits += len(set(exact) & set(r[0] for r in got))
        total += len(exact)
    return hits / total, sorted(lat)


def body(tap):
    why = install_pgvector()
    if why is not None:
        tap.skip("HNSW recall of the factors against nmf_recommend", "pgvector cannot be built: " + why)
        return
    with TestDatabase("pgvector") as db:
        c = db.connect()
        run(c, "CREATE EXTENSION vector")
        # Every item has 3 ratings from users chosen by a hash: 300,000 cells.
        run(c, """CREATE TABLE ratings AS
                  SELECT DISTINCT ON (user_id, item_id) user_id, item_id, rating FROM (
                    SELECT (hashint8(i * 3 + t) & 1048575) %% %d AS user_id, i AS item_id,
                           (1 + (i * 7 + t * 13) %% 5)::float8 AS rating
                    FROM generate_series(1, %d) i, generate_series(0, 2) t) s""" % (USERS, ITEMS))
        run(c, "CREATE INDEX ON ratings (user_id, item_id)")
        t0 = time.time()
        run(c, """CREATE TABLE models AS SELECT nmf(x, %d, missing => 'ignore', bias => true,
                  max_iter => 2, seed => 1) AS m, x
                  FROM (SELECT nmf_matrix(user_id, item_id, rating) AS x FROM ratings) s""" % RANK)
        tap.diag("fit of %d users x %d items: %.1f s" % (USERS, ITEMS, time.time() - t0))

        with tap.case("nmf_h_vectors: one augmented real[] of rank + 1 per item") as cs:
            n, dims = run(c, """SELECT count(*), array_agg(DISTINCT cardinality(vec))
                                FROM models, nmf_h_vectors(m)""")[0]
            cs.ok(n == ITEMS and dims == [RANK + 1], "%s vectors, dimensions %s" % (n, dims))

        run(c, "CREATE TABLE items (id bigint PRIMARY KEY, v vector(%d))" % (RANK + 1))
        run(c, "INSERT INTO items SELECT id, vec::vector FROM models, nmf_h_vectors(m)")
        with tap.case("nmf_matrix(id, vector) without a cast equals nmf_matrix(id, vector::real[])") as cs:
            # the item vectors' last element (the bias) can be negative: their absolute values
            run(c, """CREATE TABLE pos AS SELECT id, ARRAY(SELECT abs(x) FROM unnest(v::real[]) x)::vector AS v
                      FROM items WHERE id <= 1000""")
            same = scalar(c, """SELECT (SELECT nmf_matrix(id, v) FROM pos)::bytea
                                   = (SELECT nmf_matrix(id, v::real[]) FROM pos)::bytea""")
            cs.ok(same is True, "equal: %s" % same)

        run(c, "SET maintenance_work_mem = '256MB'")
        t0 = time.time()
        run(c, "CREATE INDEX ON items USING hnsw (v vector_ip_ops) WITH (m = 12, ef_construction = 40)")
        tap.diag("HNSW index build over %d vectors: %.1f s" % (ITEMS, time.time() - t0))
        run(c, "ANALYZE items")
        run(c, "SET hnsw.ef_search = 100")
        run(c, "SET hnsw.iterative_scan = relaxed_order")

        with tap.case("the query uses the HNSW index") as cs:
            plan = "\n".join(r[0] for r in run(
                c, "EXPLAIN SELECT id FROM items ORDER BY v <#> (SELECT nmf_w_vector(m, 1)::vector "
                   "FROM models) LIMIT 10"))
            cs.ok("items_v_idx" in plan, plan)

        users = random.Random(7).sample(range(USERS), QUERIES)
        for exclude in (False, True):
            label = "seen items excluded (iterative scan)" if exclude else "all items"
            with tap.case("HNSW recall@%d >= 0.95 against nmf_recommend, %s" % (K, label)) as cs:
                r, lat = recall(c, users, exclude)
                cs.ok(r >= 0.95, "recall@%d %.3f over %d users" % (K, r, len(users)))
                tap.diag("%s: recall@%d %.3f, query p50 %.2f ms, p99 %.2f ms"
                         % (label, K, r, 1000 * lat[len(lat) // 2], 1000 * lat[int(len(lat) * 0.99)]))

        with tap.case("nmf_recommend on the same model: %d items a user, its latency for comparison"
                      % K) as cs:
            lat, sizes = [], set()
            for u in users[:20]:
                t0 = time.time()
                sizes.add(len(run(c, "SELECT col_id FROM models, nmf_recommend(m, %s, %s)", (u, K))))
                lat.append(time.time() - t0)
            lat.sort()
            cs.ok(sizes == {K}, "list lengths %s" % sorted(sizes))
            tap.diag("nmf_recommend (model read from a table, every item scored): p50 %.2f ms"
                     % (1000 * lat[len(lat) // 2]))


if __name__ == "__main__":
    main(body)
