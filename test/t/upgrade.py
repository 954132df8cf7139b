#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""ALTER EXTENSION nmf UPDATE keeps what users stored, and old declarations keep working.

For each released version (0.1, 0.2, 0.3), a database gets it (CREATE EXTENSION
nmf VERSION '0.x'), stores a matrix and a model in a table, and calls that
version's functions through the installed library, which serves every
version (0.2's nmf_fit, whose models_table sits where 0.3 has more options,
included). Then ALTER EXTENSION nmf UPDATE (to 0.4): the stored values keep
their bytes and read back the same, predict the same, the new functions
(bias => true, nmf_bias) work on them, and the types now store uncompressed; a model in format 2 (0.2's, without
the bias fields) reads as the same model. A fresh CREATE EXTENSION gets the
same objects as each update.
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


# Byte offsets in a model's send form (no length word): the version, and the
# 24 bytes of bias fields format 3 added after history_len.
VERSION_AT, BIAS_FIELDS_AT, BIAS_FIELDS_LEN = 4, 180, 24


def as_format_2(model):
    """A current unbiased model's bytes as format 2 (nmf 0.2) wrote them."""
    b = bytearray(model)
    assert b[VERSION_AT:VERSION_AT + 2] == b"\x03\x00" and not any(b[BIAS_FIELDS_AT:BIAS_FIELDS_AT + 24])
    del b[BIAS_FIELDS_AT:BIAS_FIELDS_AT + BIAS_FIELDS_LEN]
    b[VERSION_AT:VERSION_AT + 2] = b"\x02\x00"
    return bytes(b)


def body(tap):
    for version in ("0.1", "0.2", "0.3"):
        run(tap, version)


def run(tap, version):
    with TestDatabase("upgrade") as db:
        conn = db.connect()
        with conn.cursor() as cur:
            cur.execute("DROP EXTENSION nmf")
            cur.execute("CREATE EXTENSION nmf VERSION '%s'" % version)
        with tap.case("nmf %s installs" % version) as c:
            c.ok(scalar(conn, "SELECT extversion FROM pg_extension WHERE extname = 'nmf'") == version)
        if version == "0.2":
            with tap.case("0.2's nmf_fit (models_table last) works with the installed library") as c:
                r = scalar(conn, "SELECT nmf_fit('SELECT i % 30 AS u, i % 11 AS v, (i % 4 + 1)::float8 AS y"
                                 " FROM generate_series(1, 600) i', 'u', 'v', 'y',"
                                 " 'fw', 'fh', 2, max_iter => 5, models_table => 'old_models')")
                n = scalar(conn, "SELECT count(*) FROM old_models")
                c.ok(r["models_table"] == "old_models" and n == 1, "%s, %s rows" % (r, n))

        with conn.cursor() as cur:
            cur.execute("CREATE TABLE kept AS SELECT nmf_matrix(i % 40, i % 17, (i % 5 + 1)::float8) AS x"
                        " FROM generate_series(1, 2000) i")
            cur.execute("ALTER TABLE kept ADD COLUMN m nmf_model")
            cur.execute("UPDATE kept SET m = nmf(x, 3, seed => 5, max_iter => 30)")
            cur.execute("SELECT md5(x::bytea), md5(m::bytea),"
                        " (SELECT string_agg(weight::text, ',' ORDER BY id, factor) FROM nmf_w(m)),"
                        " nmf_info(m) FROM kept")
            before = cur.fetchone()

        with tap.case("%s's declarations work with the installed library" % version) as c:
            c.ok(before[2] is not None and before[3]["rank"] == 3, "iterations %s" % before[3]["iterations"])

        with conn.cursor() as cur:
            cur.execute("ALTER EXTENSION nmf UPDATE")
        with tap.case("ALTER EXTENSION nmf UPDATE goes to the default version") as c:
            v = scalar(conn, "SELECT extversion FROM pg_extension WHERE extname = 'nmf'")
            d = scalar(conn, "SELECT default_version FROM pg_available_extensions WHERE name = 'nmf'")
            c.ok(v == d and v == "0.4", "now %s, default %s" % (v, d))
        with tap.case("after the update from %s: matrices and models store uncompressed" % version) as c:
            got = scalar(conn, "SELECT string_agg(typname || ':' || typstorage::text, ',' ORDER BY typname)"
                               " FROM pg_type WHERE typname IN ('nmf_matrix', 'nmf_model')")
            c.ok(got == "nmf_matrix:e,nmf_model:e", got)

        with conn.cursor() as cur:
            cur.execute("SELECT md5(x::bytea), md5(m::bytea),"
                        " (SELECT string_agg(weight::text, ',' ORDER BY id, factor) FROM nmf_w(m)),"
                        " nmf_info(m) FROM kept")
            after = cur.fetchone()
        with tap.case("stored matrices and models keep their bytes and read back the same") as c:
            c.ok(before == after, None if before == after else "before %s\nafter  %s" % (before, after))
        with tap.case("the new version's functions work on a model stored by %s" % version) as c:
            n = scalar(conn, "SELECT count(*) FROM kept, nmf_loss_history(kept.m)")
            # 0.1's default solver was mu; 0.2's is hals, so the refit names it
            refit = scalar(conn, "SELECT (SELECT string_agg(weight::text, ',' ORDER BY id, factor)"
                                 " FROM nmf_w(nmf(x, 3, solver => %s, seed => 5, max_iter => 30)))"
                                 " FROM kept", ("mu" if version == "0.1" else "hals",))
            c.ok(n == before[3]["iterations"] and refit == before[2],
                 "history %s rows; refit W equal: %s" % (n, refit == before[2]))
        with tap.case("after the update from %s: a biased fit, nmf_bias and predictions" % version) as c:
            got = scalar(conn, "SELECT row(nmf_info(b) -> 'bias', (SELECT count(*) FROM nmf_bias(b, 'row')),"
                               " nmf_predict(b, 1, 1) IS NOT NULL, nmf_predict(m, 1, 1) IS NOT NULL)::text"
                               " FROM kept, nmf(x, 2, missing => 'ignore', bias => true, max_iter => 10) b")
            c.ok(got == "(true,40,t,t)", got)
        with tap.case("a format 2 model (nmf 0.2's bytes) reads as the same model") as c:
            model = bytes(scalar(conn, "SELECT m::bytea FROM kept"))
            same = scalar(conn, "SELECT %s::nmf_model::bytea = m::bytea"
                                " AND nmf_predict(%s::nmf_model, 3, 4) = nmf_predict(m, 3, 4) FROM kept",
                          (as_format_2(model), as_format_2(model)))
            c.ok(same is True, "equal: %s" % same)

        updated = scalar(conn, OBJECTS)
        with TestDatabase("upgrade_fresh") as db2:
            fresh = scalar(db2.connect(), OBJECTS)
        with tap.case("a fresh CREATE EXTENSION has the same objects as %s + update" % version) as c:
            c.ok(updated == fresh and len(updated) > 0,
                 "only in updated: %s\nonly in fresh: %s"
                 % (sorted(set(updated.split("\n")) - set(fresh.split("\n"))),
                    sorted(set(fresh.split("\n")) - set(updated.split("\n")))))


if __name__ == "__main__":
    main(body)
