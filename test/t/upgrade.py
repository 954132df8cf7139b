#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""ALTER EXTENSION nmf UPDATE keeps what users stored, and old declarations keep working.

A database gets nmf 0.1 (CREATE EXTENSION nmf VERSION '0.1'), stores a matrix
and a model in a table, and calls 0.1's functions through the installed
library, which serves both versions. Then ALTER EXTENSION nmf UPDATE: the
stored values keep their bytes and read back the same, and 0.2's functions work
on them. A fresh CREATE EXTENSION gets the same objects as the update.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nmftest import TestDatabase, main, scalar  # noqa: E402

OBJECTS = """
SELECT coalesce(string_agg(x, E'\\n' ORDER BY x), '') FROM (
  SELECT pg_describe_object(classid, objid, objsubid)
         || coalesce(' ' || pg_get_function_arguments(objid), '') AS x
  FROM pg_depend d LEFT JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
  WHERE refclassid = 'pg_extension'::regclass
    AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'nmf') AND deptype = 'e'
    AND (d.classid <> 'pg_proc'::regclass OR p.oid IS NOT NULL)) s
"""


def body(tap):
    with TestDatabase("upgrade") as db:
        conn = db.connect()
        with conn.cursor() as cur:
            cur.execute("DROP EXTENSION nmf")
            cur.execute("CREATE EXTENSION nmf VERSION '0.1'")
        with tap.case("nmf 0.1 installs") as c:
            c.ok(scalar(conn, "SELECT extversion FROM pg_extension WHERE extname = 'nmf'") == "0.1")

        with conn.cursor() as cur:
            cur.execute("CREATE TABLE kept AS SELECT nmf_matrix(i % 40, i % 17, (i % 5 + 1)::float8) AS x"
                        " FROM generate_series(1, 2000) i")
            cur.execute("ALTER TABLE kept ADD COLUMN m nmf_model")
            cur.execute("UPDATE kept SET m = nmf(x, 3, seed => 5, max_iter => 30)")
            cur.execute("SELECT md5(x::bytea), md5(m::bytea),"
                        " (SELECT string_agg(weight::text, ',' ORDER BY id, factor) FROM nmf_w(m)),"
                        " nmf_info(m) FROM kept")
            before = cur.fetchone()

        with tap.case("0.1's declarations work with the installed library") as c:
            c.ok(before[2] is not None and before[3]["rank"] == 3, "iterations %s" % before[3]["iterations"])

        with conn.cursor() as cur:
            cur.execute("ALTER EXTENSION nmf UPDATE")
        with tap.case("ALTER EXTENSION nmf UPDATE goes to the default version") as c:
            v = scalar(conn, "SELECT extversion FROM pg_extension WHERE extname = 'nmf'")
            d = scalar(conn, "SELECT default_version FROM pg_available_extensions WHERE name = 'nmf'")
            c.ok(v == d and v != "0.1", "now %s, default %s" % (v, d))

        with conn.cursor() as cur:
            cur.execute("SELECT md5(x::bytea), md5(m::bytea),"
                        " (SELECT string_agg(weight::text, ',' ORDER BY id, factor) FROM nmf_w(m)),"
                        " nmf_info(m) FROM kept")
            after = cur.fetchone()
        with tap.case("stored matrices and models keep their bytes and read back the same") as c:
            c.ok(before == after, None if before == after else "before %s\nafter  %s" % (before, after))
        with tap.case("the new version's functions work on a model stored by 0.1") as c:
            n = scalar(conn, "SELECT count(*) FROM kept, nmf_loss_history(kept.m)")
            # 0.1's default solver was mu; 0.2's is hals, so the refit names it
            refit = scalar(conn, "SELECT (SELECT string_agg(weight::text, ',' ORDER BY id, factor)"
                                 " FROM nmf_w(nmf(x, 3, solver => 'mu', seed => 5, max_iter => 30)))"
                                 " FROM kept")
            c.ok(n == before[3]["iterations"] and refit == before[2],
                 "history %s rows; refit W equal: %s" % (n, refit == before[2]))

        updated = scalar(conn, OBJECTS)
        with TestDatabase("upgrade_fresh") as db2:
            fresh = scalar(db2.connect(), OBJECTS)
        with tap.case("a fresh CREATE EXTENSION has the same objects as 0.1 + update") as c:
            c.ok(updated == fresh and len(updated) > 0,
                 "only in updated: %s\nonly in fresh: %s"
                 % (sorted(set(updated.split("\n")) - set(fresh.split("\n"))),
                    sorted(set(fresh.split("\n")) - set(updated.split("\n")))))


if __name__ == "__main__":
    main(body)
