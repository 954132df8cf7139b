#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""The matrix build on Citus: the partial step runs on the workers, and the
distributed build equals the single-node one byte for byte (nmf() fits both
to the same W and H), with bigint ids and with text and uuid keys (the
partial states ship their key tables); its partial state's size and its
time beside PostgreSQL's parallel query.

Runs on a coordinator and two workers (test/lib/citustest.py: Citus built
with ../shared/citus/citus.sh; NMF_SKIP_CITUS=1 skips it, and says so).
"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from citustest import ROOT, RANK, on_cluster, one, run  # noqa: E402
from nmftest import main  # noqa: E402

BIG = 500000  # cells of the build timing
BUILD = "SELECT nmf_matrix(user_id, item_id, rating) FROM %s"


def default_version():
    """The version CREATE EXTENSION installs: nmf.control's default_version."""
    with open(os.path.join(ROOT, "nmf.control")) as f:
        return re.search(r"default_version\s*=\s*'([^']+)'", f.read()).group(1)


def body(tap, co, workers):
    want = default_version()
    with tap.case("nmf %s (nmf.control's default) on the coordinator and both workers" % want) as c:
        vs = [one(x, "SELECT extversion FROM pg_extension WHERE extname = 'nmf'") for x in [co] + workers]
        c.ok(vs == [want] * 3, "versions: %s" % vs)

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

    keyed_build(tap, co)
    build_costs(tap, co)


def keyed_build(tap, co):
    """uuid customers and text SKUs on a table distributed by customer."""
    run(co, """
        CREATE TABLE orders (customer uuid, sku text, qty float8);
        SELECT create_distributed_table('orders', 'customer');
        INSERT INTO orders
        SELECT md5('c' || (k / 20))::uuid, 'SKU-' || (k * 7 % 97), (k % 5 + 1)::float8
        FROM generate_series(0, 19999) k;
        CREATE TABLE orders_local AS SELECT * FROM orders;
    """)
    keyed = "SELECT nmf_matrix(customer, sku, qty) FROM %s"
    with tap.case("keyed: the partial step with text and uuid keys runs on the workers") as c:
        plan = "\n".join(r[0] for r in run(co, "EXPLAIN (VERBOSE, COSTS OFF) " + keyed % "orders"))
        c.ok("worker_partial_agg" in plan and "coord_combine_agg" in plan, plan)
    with tap.case("keyed: the distributed build equals the single-node build, keys and all") as c:
        d, l_, info = run(co, """SELECT md5((%s)::bytea), md5((%s)::bytea),
                                        nmf_matrix_info((%s))::text"""
                          % (keyed % "orders", keyed % "orders_local", keyed % "orders"))[0]
        c.ok(d is not None and d == l_ and '"row_keys": "uuid"' in info and '"col_keys": "text"' in info,
             "distributed %s, local %s, %s" % (d, l_, info))
    with tap.case("keyed: a model fitted on the distributed build recommends SKUs by customer") as c:
        n, skus = run(co, """SELECT count(*), bool_and(r.col_id LIKE 'SKU-%%')
                             FROM (SELECT nmf((%s), 5, seed => 1, max_iter => 20) AS model) f,
                                  nmf_recommend(f.model, md5('c7')::uuid, NULL::text, 3) r"""
                      % (keyed % "orders"))[0]
        c.ok(n == 3 and skus, "%s rows, all SKUs: %s" % (n, skus))
    run(co, "DROP TABLE orders, orders_local")


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


if __name__ == "__main__":
    main(lambda tap: on_cluster(tap, body))
