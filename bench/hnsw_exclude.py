#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""The HNSW recipe's latency with and without the user's seen items excluded,
two ways of excluding them, in one run.

The model and index of test/t/pgvector.py (a biased rank-16 model of 400
users x 100,000 items, 300,000 ratings, HNSW m = 12, ef_construction = 40,
ef_search = 100, iterative scan), then for 40 users the top 10:
  - all items;
  - seen items excluded by `id <> ALL (the user's seen ids as an array)`;
  - seen items excluded by `NOT EXISTS` on the ratings table's
    (user_id, item_id) index (the README's recipe);
and, for comparison, nmf_recommend scoring every item. Prints p50 and p90 of
each. Connects with libpq's environment to a server with nmf and pgvector
(../shared/pgvector/pgvector.sh installs it):
    PGHOST=... PGPORT=... /usr/bin/python3 bench/hnsw_exclude.py
"""

import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "lib"))
from nmftest import connect, run  # noqa: E402

USERS, ITEMS, RANK, QUERIES = 400, 100000, 16, 40

SETUP = """
CREATE EXTENSION IF NOT EXISTS nmf;
CREATE EXTENSION IF NOT EXISTS vector;
DROP TABLE IF EXISTS hx_ratings, hx_models, hx_items;
CREATE TABLE hx_ratings AS SELECT DISTINCT ON (user_id, item_id) user_id, item_id, rating FROM (
  SELECT (hashint8(i * 3 + t) & 1048575) %% %d AS user_id, i AS item_id,
         (1 + (i * 7 + t * 13) %% 5)::float8 AS rating
  FROM generate_series(1, %d) i, generate_series(0, 2) t) s;
CREATE INDEX ON hx_ratings (user_id, item_id);
CREATE TABLE hx_models AS SELECT nmf(x, %d, missing => 'ignore', bias => true, max_iter => 2, seed => 1) AS m
  FROM (SELECT nmf_matrix(user_id, item_id, rating) AS x FROM hx_ratings) s;
CREATE TABLE hx_items (id bigint PRIMARY KEY, v vector(%d));
INSERT INTO hx_items SELECT id, vec::vector FROM hx_models, nmf_h_vectors(m);
SET maintenance_work_mem = '256MB';
CREATE INDEX ON hx_items USING hnsw (v vector_ip_ops) WITH (m = 12, ef_construction = 40);
ANALYZE hx_items;
ANALYZE hx_ratings;
""" % (USERS, ITEMS, RANK, RANK + 1)

TOP = "SELECT id FROM hx_items i %s ORDER BY v <#> %%s::real[]::vector LIMIT 10"
WAYS = [
    ("all items", TOP % "", lambda u, q, seen: (q,)),
    ("<> ALL (seen ids)", TOP % "WHERE id <> ALL (%s::bigint[])", lambda u, q, seen: (seen, q)),
    ("NOT EXISTS (ratings)",
     TOP % "WHERE NOT EXISTS (SELECT 1 FROM hx_ratings r WHERE r.user_id = %s AND r.item_id = i.id)",
     lambda u, q, seen: (u, q)),
    ("nmf_recommend", "SELECT col_id FROM hx_models, nmf_recommend(m, %s, 10)", lambda u, q, seen: (u,)),
]


def main():
    conn = connect()
    t0 = time.time()
    run(conn, SETUP)
    print("setup (ratings, fit, index): %.1f s" % (time.time() - t0))
    run(conn, "SET hnsw.ef_search = 100")
    run(conn, "SET hnsw.iterative_scan = relaxed_order")
    users = random.Random(7).sample(range(USERS), QUERIES)
    inputs = {}
    for u in users:
        q = run(conn, "SELECT nmf_w_vector(m, %s)::text FROM hx_models", (u,))[0][0]
        seen = [r[0] for r in run(conn, "SELECT item_id FROM hx_ratings WHERE user_id = %s", (u,))]
        inputs[u] = (q, seen)
    print("seen items per user: %.0f on average" % (sum(len(s) for _, s in inputs.values()) / QUERIES))
    for name, sql, args in WAYS:
        lat = []
        for u in users:
            t = time.time()
            run(conn, sql, args(u, *inputs[u]))
            lat.append(time.time() - t)
        lat.sort()
        print("%-22s p50 %6.2f ms  p90 %6.2f ms" % (name, 1000 * lat[len(lat) // 2],
                                                   1000 * lat[int(len(lat) * 0.9)]))
    run(conn, "DROP TABLE hx_ratings, hx_models, hx_items")


if __name__ == "__main__":
    main()
