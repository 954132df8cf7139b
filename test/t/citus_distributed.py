#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""nmf_distributed on Citus returns nmf()'s model of the same cells (one
block per shard, each kept in memory on its worker): hals and mu, KL,
missing 'ignore' under hals (with biases) and mu (also when it diverges),
with penalties and the stopping
rule, to 1e-9 relative on W H, usable by the
apply functions; uuid and text keys; shards without rows and an integer row id work; a cancel
and a killed worker backend stop the whole fit with nothing left behind,
and the session fits again.

Runs on a coordinator and two workers (test/lib/citustest.py: Citus built
with ../shared/citus/citus.sh; NMF_SKIP_CITUS=1 skips it, and says so).
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from citustest import in_background, kill_backends, on_cluster, one, run  # noqa: E402
from nmftest import main  # noqa: E402

import psycopg2  # noqa: E402

# The largest difference of W H between two models over every cell of a table,
# relative to the largest |W H|.
DIFF = """
SELECT max(abs(nmf_predict(a, user_id, item_id) - nmf_predict(b, user_id, item_id)))
       / max(abs(nmf_predict(b, user_id, item_id)))
FROM (SELECT %s AS a) x, (SELECT nmf(nmf_matrix(user_id, item_id, rating), %s) AS b FROM %s) y, %s
"""


def same_fit(co, table, local, options):
    dist = "nmf_distributed('%s', 'user_id', 'item_id', 'rating', %s)" % (table, options)
    return one(co, DIFF % (dist, options, local, local))


def left_behind(co, workers):
    return one(co, "SELECT count(*) FROM pg_class WHERE relname LIKE 'nmf_blocks%'") + sum(
        one(w, "SELECT count(*) FROM pg_class WHERE relname LIKE 'nmf_blocks%'") for w in workers)


def body(tap, co, workers):
    cases = [("hals", "4, max_iter => 40, tol => 0"),
             ("mu", "4, solver => 'mu', max_iter => 40, tol => 0"),
             ("hals with l1, l2, reg and tol", "3, l1_w => 0.1, l2_h => 0.5, reg => 0.01, tol => 1e-3"),
             ("mu, loss kl, with l2 and tol", "4, loss => 'kl', l2_h => 0.1, tol => 1e-3"),
             ("mu, missing 'ignore', reg", "4, solver => 'mu', missing => 'ignore', reg => 0.05, tol => 1e-3"),
             ("hals, missing 'ignore', reg", "4, missing => 'ignore', reg => 0.05, max_iter => 40, tol => 0"),
             ("hals, missing 'ignore', biases, l2 and tol",
              "4, missing => 'ignore', bias => true, l2_w => 2, l2_h => 2, tol => 1e-3"),
             ("mu with one inner update and loss_every 3",
              "3, solver => 'mu', inner_updates => 1, loss_every => 3, max_iter => 60")]
    for name, options in cases:
        with tap.case("%s: the distributed model is nmf()'s to 1e-9" % name) as c:
            d = same_fit(co, "ratings", "ratings_local", options)
            c.ok(d is not None and d <= 1e-9, "max relative difference of W H: %r" % d)

    with tap.case("mu, missing 'ignore', no ridge: the fit diverges and keeps the last iterate within "
                  "the bound, as nmf() does") as c:
        # few cells a row: without a ridge the weights grow past the bound (iteration 61 here)
        run(co, "CREATE TABLE sparse (user_id bigint, item_id bigint, rating float8)")
        run(co, "SELECT create_distributed_table('sparse', 'user_id')")
        run(co, "INSERT INTO sparse SELECT u, i, (hashint4(u * 1000 + i) & 3) + 1 FROM generate_series(1, 400) u, "
                "generate_series(1, 120) i WHERE (hashint4(u * 7 + i * 100003) & 31) < 2 OR i = u % 120")
        run(co, "CREATE TABLE sparse_local AS SELECT * FROM sparse")
        options = "6, solver => 'mu', missing => 'ignore', reg => 0, max_iter => 3000, tol => 0"
        d = same_fit(co, "sparse", "sparse_local", options)
        c.ok(d is not None and d <= 1e-9, "max relative difference of W H: %r" % d)
        info = one(co, "SELECT nmf_info(nmf_distributed('sparse', 'user_id', 'item_id', 'rating', %s))" % options)
        c.ok(info["stop"] == "diverged" and info["best_iteration"] < info["iterations"],
             "stop %r, best iteration %r of %r" % (info["stop"], info["best_iteration"], info["iterations"]))
        run(co, "DROP TABLE sparse, sparse_local")

    with tap.case("the model carries nmf()'s summary and serves nmf_recommend and nmf_score") as c:
        run(co, "CREATE TABLE dm AS SELECT nmf_distributed('ratings', 'user_id', 'item_id', 'rating', 4,"
                " tol => 1e-3) AS m")
        run(co, "CREATE TABLE lm AS SELECT nmf(nmf_matrix(user_id, item_id, rating), 4, tol => 1e-3) AS m"
                " FROM ratings_local")
        keys = ("rows", "cols", "nnz", "rank", "iterations", "converged", "solver")
        infos = one(co, "SELECT jsonb_build_array(nmf_info(dm.m), nmf_info(lm.m)) FROM dm, lm")
        same = all(infos[0][k] == infos[1][k] for k in keys)
        c.ok(same, "nmf_info, distributed and one node: %s" % [(k, infos[0][k], infos[1][k]) for k in keys])
        rec = one(co, "SELECT (SELECT array_agg(col_id ORDER BY score DESC) FROM dm, nmf_recommend(dm.m, 7, 5))"
                      " = (SELECT array_agg(col_id ORDER BY score DESC) FROM lm, nmf_recommend(lm.m, 7, 5))")
        c.ok(rec is True, "the same top 5 items of row 7: %s" % rec)
        scores = one(co, "SELECT jsonb_build_array(nmf_score(dm.m, t.x), nmf_score(lm.m, t.x)) FROM dm, lm,"
                         " (SELECT nmf_matrix(user_id, item_id, rating) AS x FROM ratings_local) t")
        close = abs(scores[0]["rmse"] - scores[1]["rmse"]) <= 1e-9 * scores[1]["rmse"]
        c.ok(close, "nmf_score: %s" % scores)
        run(co, "DROP TABLE dm, lm")

    with tap.case("a table with empty shards and an integer row id") as c:
        run(co, "SET citus.shard_count = 8")
        run(co, "CREATE TABLE few (user_id int, item_id bigint, rating float8)")
        run(co, "SELECT create_distributed_table('few', 'user_id')")
        run(co, "INSERT INTO few SELECT u, i, (u + i) % 4 + 1 FROM generate_series(1, 3) u, "
                "generate_series(1, 6) i")
        run(co, "CREATE TABLE few_local AS SELECT * FROM few")
        empty = one(co, "SELECT count(*) FROM (SELECT DISTINCT get_shard_id_for_distribution_column('few', u) "
                        "FROM generate_series(1, 3) u) s")
        c.ok(empty < 8, "%d of 8 shards hold rows" % empty)
        d = same_fit(co, "few", "few_local", "2, max_iter => 30, tol => 0")
        c.ok(d is not None and d <= 1e-9, "max relative difference of W H: %r" % d)
        run(co, "DROP TABLE few, few_local")

    with tap.case("uuid row keys and text column keys: nmf()'s model, with its keys") as c:
        run(co, "CREATE TABLE keyed (usr uuid, sku text, rating float8)")
        run(co, "SELECT create_distributed_table('keyed', 'usr')")
        run(co, "INSERT INTO keyed SELECT md5(u::text)::uuid, 'sku-' || i, (u * 7 + i * 13) % 5 + 1 "
                "FROM generate_series(1, 300) u, generate_series(1, 30) i WHERE (u * 31 + i * 17) % 10 < 4")
        run(co, "CREATE TABLE keyed_local AS SELECT * FROM keyed")
        run(co, "CREATE TABLE km AS SELECT nmf_distributed('keyed', 'usr', 'sku', 'rating', 4, missing => 'ignore', "
                "bias => true, l2_w => 1, l2_h => 1, max_iter => 40) AS d, (SELECT nmf(nmf_matrix(usr, sku, rating), 4, "
                "missing => 'ignore', bias => true, l2_w => 1, l2_h => 1, max_iter => 40) FROM keyed_local) AS l")
        d = one(co, "SELECT max(abs(nmf_predict(d, usr, sku) - nmf_predict(l, usr, sku))) / max(abs(nmf_predict(l, usr, sku)))"
                    " FROM km, keyed_local")
        c.ok(d is not None and d <= 1e-9, "max relative difference of the predictions: %r" % d)
        keys = one(co, "SELECT array[nmf_info(d)->>'row_keys', nmf_info(d)->>'col_keys'] FROM km")
        c.ok(keys == ["uuid", "text"], "keys %s" % keys)
        same = one(co, "SELECT (SELECT array_agg(col_id ORDER BY score DESC, col_id) FROM nmf_recommend(d, md5('7')::uuid, "
                       "NULL::text, 5)) = (SELECT array_agg(col_id ORDER BY score DESC, col_id) FROM nmf_recommend(l, "
                       "md5('7')::uuid, NULL::text, 5)) FROM km")
        c.ok(same is True, "the same top 5 text keys for a uuid row: %s" % same)
        run(co, "DROP TABLE keyed, keyed_local, km")

    with tap.case("refused with their SQLSTATE and nothing left behind: another distribution column, "
                  "missing 'ignore' without a ridge (nmf() chooses it by pilot fits)") as c:
        codes = []
        for q in ("SELECT nmf_distributed('ratings', 'item_id', 'user_id', 'rating', 2)",
                  "SELECT nmf_distributed('ratings', 'user_id', 'item_id', 'rating', 2, missing => 'ignore')"):
            try:
                run(co, q)
                codes.append(None)
            except psycopg2.Error as e:
                codes.append(e.pgcode)
        c.ok(codes == ["0A000", "22023"], "SQLSTATEs: %s" % codes)
        c.ok(left_behind(co, workers) == 0, "tables left: %d" % left_behind(co, workers))

    long_fit = "SELECT nmf_distributed('ratings', 'user_id', 'item_id', 'rating', 4, max_iter => 1000000, tol => 0)"

    def start():
        return in_background(co, long_fit)

    def busy_on_workers():
        return sum(one(w, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%nmf_dist_block%' "
                          "AND state = 'active' AND pid <> pg_backend_pid()") for w in workers)

    with tap.case("pg_cancel_backend stops the whole fit: 57014, nothing left; the session fits again") as c:
        conn, t, out = start()
        time.sleep(2.0)
        t0 = time.time()
        one(co, "SELECT pg_cancel_backend(%d)" % conn.get_backend_pid())
        t.join(30)
        took = time.time() - t0
        time.sleep(0.5)
        c.ok(not t.is_alive() and out.get("code") == "57014", "outcome %s after %.1f s" % (out, took))
        c.ok(took < 5, "stopped %.1f s after the cancel" % took)
        c.ok(busy_on_workers() == 0 and left_behind(co, workers) == 0,
             "busy worker backends %d, tables left %d" % (busy_on_workers(), left_behind(co, workers)))
        again = one(conn, "SELECT nmf_info(nmf_distributed('ratings', 'user_id', 'item_id', 'rating', 2, "
                          "max_iter => 5))->>'iterations'")
        c.ok(again == "5", "a new fit in the same session: %r" % again)
        conn.close()

    with tap.case("a worker backend killed mid-fit stops the whole fit with an error, nothing left behind") as c:
        conn, t, out = start()
        time.sleep(2.0)
        killed = kill_backends(workers[0], "%nmf_dist_block%")
        t.join(60)
        time.sleep(0.5)
        c.ok(killed > 0 and not t.is_alive() and out.get("code") is not None,
             "killed %d; outcome %s" % (killed, out))
        c.ok(busy_on_workers() == 0 and left_behind(co, workers) == 0,
             "busy worker backends %d, tables left %d" % (busy_on_workers(), left_behind(co, workers)))
        c.ok(one(co, "SELECT count(*) FROM ratings") > 0, "the cluster still answers")
        conn.close()


if __name__ == "__main__":
    main(lambda tap: on_cluster(tap, body))
