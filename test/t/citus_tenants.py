#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""Per-tenant fits on Citus. On a table distributed by tenant, one statement,
SELECT tenant, nmf(nmf_matrix(...), rank) ... GROUP BY tenant, runs each
tenant's fit on the worker that holds the tenant (the whole aggregate is
pushed down, the fits of different workers run at the same time); a tenant
too small for the rank gives NULL with a WARNING and every other tenant its
model; INSERT ... SELECT writes the models into a table distributed by tenant
and colocated with the events, worker to worker (Citus's repartition: nmf()
is VOLATILE), and run_command_on_colocated_placements has each worker write
its own shards' models; the models are those of the same fits on one node.

Runs on a coordinator and two workers (test/lib/citustest.py: Citus built
with ../shared/citus/citus.sh; NMF_SKIP_CITUS=1 skips it, and says so).
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from citustest import on_cluster, one, run  # noqa: E402
from nmftest import main  # noqa: E402

TENANTS = 6  # and tenant 7: two cells, too small for the rank
RANK = 5
FIT = ("SELECT tenant, nmf(nmf_matrix(user_id, item_id, rating), %d, seed => 1, max_iter => 30, "
       "tol => 0) AS model FROM %%s GROUP BY tenant" % RANK)


def body(tap, co, workers):
    run(co, """
        SET citus.shard_count = 4;
        CREATE TABLE events (tenant int, user_id bigint, item_id bigint, rating float8);
        SELECT create_distributed_table('events', 'tenant');
        INSERT INTO events
        SELECT t, u, i, ((u * 7 + i * 13 + t) %% 5 + 1)::float8
        FROM generate_series(1, %d) t, generate_series(1, 80) u, generate_series(1, 30) i
        WHERE (u * 31 + i * 17 + t) %% 10 < 4;
        INSERT INTO events VALUES (7, 1, 1, 3), (7, 2, 2, 4);
        CREATE TABLE events_local AS SELECT * FROM events;
        CREATE TABLE tenant_models (tenant int, model nmf_model);
        SELECT create_distributed_table('tenant_models', 'tenant', colocate_with => 'events');
    """ % TENANTS)

    with tap.case("the tenants' shards are on both workers") as c:
        nodes = one(co, "SELECT count(DISTINCT nodeport) FROM pg_dist_shard_placement p "
                        "JOIN pg_dist_shard s USING (shardid) WHERE logicalrelid = 'events'::regclass")
        c.ok(nodes == 2, "placements on %d nodes" % nodes)

    with tap.case("GROUP BY the distribution column: the aggregate and the fits run on the workers") as c:
        plan = "\n".join(r[0] for r in run(co, "EXPLAIN (VERBOSE, COSTS OFF) " + FIT % "events"))
        pushed = [l for l in plan.splitlines() if "nmf(" in l and "GROUP BY" in l]
        c.ok(len(pushed) > 0 and "Task Count: 4" in plan, plan)
        top = plan.splitlines()[0]
        c.ok(top.lstrip().startswith("Custom Scan (Citus Adaptive)"),
             "the coordinator only collects the workers' rows: " + top)

    with tap.case("a tenant too small for the rank gives NULL with a WARNING, the others their models") as c:
        del co.notices[:]
        rows = dict(run(co, FIT % "events"))
        warned = [n for n in co.notices if "rank %d is larger than min(rows, cols) = 2" % RANK in n]
        c.ok(sorted(rows) == list(range(1, TENANTS + 2)), "tenants %s" % sorted(rows))
        c.ok(rows[TENANTS + 1] is None and all(rows[t] is not None for t in range(1, TENANTS + 1)),
             "NULL models: %s" % [t for t, m in rows.items() if m is None])
        c.ok(len(warned) == 1, "notices: %s" % co.notices)

    with tap.case("each tenant's model is the one the same fit gives on one node") as c:
        worst = one(co, """
            WITH d AS (%s), l AS (%s)
            SELECT max(abs(nmf_predict(d.model, e.user_id, e.item_id)
                           - nmf_predict(l.model, e.user_id, e.item_id)))
            FROM events_local e JOIN d USING (tenant) JOIN l USING (tenant)
            WHERE d.model IS NOT NULL""" % (FIT % "events", FIT % "events_local"))
        c.ok(worst == 0.0, "largest difference of a prediction: %r" % worst)

    def stored():
        return run(co, "SELECT count(*), count(*) FILTER (WHERE model IS NULL), count(DISTINCT tenant) "
                       "FROM tenant_models")[0]

    with tap.case("INSERT ... SELECT writes the models into the colocated table, worker to worker") as c:
        plan = "\n".join(r[0] for r in run(
            co, "EXPLAIN (COSTS OFF) INSERT INTO tenant_models " + FIT % "events"))
        # nmf() is VOLATILE, so Citus repartitions (the workers exchange the rows)
        # instead of pushing the INSERT down; never through the coordinator.
        c.ok("INSERT/SELECT method: repartition" in plan or "pushdown" in plan.lower(), plan)
        run(co, "INSERT INTO tenant_models " + FIT % "events")
        c.ok(stored() == (TENANTS + 1, 1, TENANTS + 1), "models, NULL ones, tenants: %s" % (stored(),))

    with tap.case("run_command_on_colocated_placements: each shard's fits written on its own worker") as c:
        run(co, "TRUNCATE tenant_models")
        done = run(co, """SELECT nodeport, success, result FROM run_command_on_colocated_placements(
                              'events', 'tenant_models',
                              $$INSERT INTO %%2$s %s$$)""" % (FIT % "%1$s"))
        c.ok(len(done) == 4 and all(ok for _, ok, _ in done) and len({p for p, _, _ in done}) == 2,
             "per placement: %s" % done)
        c.ok(stored() == (TENANTS + 1, 1, TENANTS + 1), "models, NULL ones, tenants: %s" % (stored(),))

    with tap.case("a stored tenant's model serves recommendations (one worker answers)") as c:
        recs = run(co, "SELECT r.col_id FROM tenant_models t, nmf_recommend(t.model, 1, 5) r "
                       "WHERE t.tenant = 3")
        c.ok(len(recs) == 5, "rows %s" % recs)


if __name__ == "__main__":
    main(lambda tap: on_cluster(tap, body))
