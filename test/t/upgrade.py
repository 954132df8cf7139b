#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""ALTER EXTENSION nmf UPDATE keeps what users stored, and gives the catalog of a fresh install.

Before the update, an earlier version's catalog runs on the current library:
every C name it binds a function to must still mean that function (the same
SQL function binds it now, or it is a documented alias in LEGACY_SYMBOLS), and
its nmf() and nmf_fit() fit with their own argument lists.

For each earlier version (0.1 to 0.9), a database gets it (CREATE EXTENSION
nmf VERSION '0.x'), stores a matrix and a model in a table, and calls that
version's functions through the installed library, which serves every
version (0.2's nmf_fit, whose models_table sits where 0.3 has more options,
included). Then ALTER EXTENSION nmf UPDATE (to nmf.control's default
version): the stored values keep their bytes and read back the same, predict
the same, the newer functions (bias => true, nmf_bias, nmf_cv) work on them,
and the types store uncompressed; a model in format 2 (0.2's, without the
bias fields) reads as the same model. Last, the updated catalog equals a fresh
CREATE EXTENSION's, object by object: every function with its arguments and
defaults, result, kind, language, volatility, strictness, parallel safety,
cost, rows, settings (proconfig) and body (prosrc); every aggregate's
functions; every type, cast and view; every comment and grant.
"""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nmftest import TestDatabase, main, scalar, sqlstate_of  # noqa: E402

# One line per extension member and what defines it; the schema name is left
# out of the names (search_path holds the extension's schema).
CATALOG = """
WITH member AS (
  SELECT classid, objid FROM pg_depend
  WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
    AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'nmf'))
SELECT string_agg(x, E'\\n' ORDER BY x) FROM (
  SELECT concat_ws(' | ', 'function ' || p.oid::regprocedure,
           'args ' || pg_get_function_arguments(p.oid), 'result ' || pg_get_function_result(p.oid),
           'kind ' || p.prokind::text, 'language ' || l.lanname, 'volatile ' || p.provolatile::text,
           'strict ' || p.proisstrict, 'parallel ' || p.proparallel::text, 'secdef ' || p.prosecdef,
           'leakproof ' || p.proleakproof, 'cost ' || p.procost, 'rows ' || p.prorows,
           'config ' || coalesce(p.proconfig::text, '-'), 'bin ' || coalesce(p.probin, '-'),
           'acl ' || coalesce(p.proacl::text, '-'), 'src ' || p.prosrc,
           'aggregate ' || (SELECT concat_ws(' ', a.aggkind::text, a.aggtransfn::regprocedure,
               a.aggfinalfn, a.aggcombinefn, a.aggserialfn, a.aggdeserialfn, a.aggfinalextra,
               a.aggfinalmodify::text, a.aggtranstype::regtype, a.agginitval, a.aggmtransfn)
             FROM pg_aggregate a WHERE a.aggfnoid = p.oid),
           'comment ' || obj_description(p.oid, 'pg_proc')) AS x
  FROM member m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
  JOIN pg_language l ON l.oid = p.prolang
  UNION ALL
  SELECT concat_ws(' | ', 'type ' || t.oid::regtype, 'len ' || t.typlen, 'byval ' || t.typbyval,
           'kind ' || t.typtype::text, 'align ' || t.typalign::text, 'storage ' || t.typstorage::text,
           'io ' || concat_ws(' ', t.typinput, t.typoutput, t.typreceive, t.typsend),
           'array ' || t.typarray::regtype, 'comment ' || obj_description(t.oid, 'pg_type'))
  FROM member m JOIN pg_type t ON m.classid = 'pg_type'::regclass AND t.oid = m.objid
  UNION ALL
  SELECT concat_ws(' | ', 'cast ' || c.castsource::regtype || ' -> ' || c.casttarget::regtype,
           'function ' || c.castfunc::regprocedure, 'context ' || c.castcontext::text,
           'method ' || c.castmethod::text, 'comment ' || obj_description(c.oid, 'pg_cast'))
  FROM member m JOIN pg_cast c ON m.classid = 'pg_cast'::regclass AND c.oid = m.objid
  UNION ALL
  SELECT concat_ws(' | ', 'relation ' || r.oid::regclass, 'kind ' || r.relkind::text,
           'acl ' || coalesce(r.relacl::text, '-'), 'view ' || pg_get_viewdef(r.oid),
           'comment ' || obj_description(r.oid, 'pg_class'))
  FROM member m JOIN pg_class r ON m.classid = 'pg_class'::regclass AND r.oid = m.objid
  UNION ALL
  SELECT 'other member ' || pg_describe_object(m.classid, m.objid, 0) FROM member m
  WHERE m.classid NOT IN ('pg_proc'::regclass, 'pg_type'::regclass, 'pg_cast'::regclass,
                          'pg_class'::regclass)
  UNION ALL
  SELECT 'extension relocatable ' || extrelocatable || ' | schema ' || extnamespace::regnamespace
  FROM pg_extension WHERE extname = 'nmf') s
"""


# C names that catalogs of earlier versions bind and the current one does not,
# and the C name that SQL function has now (src/pg/fit.c keeps the alias).
LEGACY_SYMBOLS = {"nmf_fit": "nmf"}

# C names of functions an earlier version declares and the current one has
# removed (nmf_fit_distributed's own multiplicative updates, gone in 0.10):
# the library keeps each, raising 0A000 with "Run ALTER EXTENSION nmf UPDATE"
# (src/pg/retired.c).
RETIRED_SYMBOLS = {"nmf_dist_init", "nmf_dist_hstats_add", "nmf_dist_rowstats_add", "nmf_dist_gram_add",
                   "nmf_dist_sum", "nmf_dist_update_h", "nmf_dist_update_w", "nmf_dist_gram_cols",
                   "nmf_dist_predict", "nmf_dist_cell_loss", "nmf_dist_dot", "nmf_dist_square"}
FIT_DISTRIBUTED = ("SELECT nmf_fit_distributed('dist_src', 'u', 'v', 'y', 2, 'dist_w', 'dist_h', max_iter => 5)")

# Each C-language function's SQL name and the C name it is bound to.
SYMBOLS = """
SELECT p.proname, p.prosrc FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
WHERE l.lanname = 'c' AND p.oid IN (SELECT objid FROM pg_depend WHERE deptype = 'e'
  AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'nmf'))
"""


def symbols(conn):
    """C name -> the set of SQL names bound to it."""
    out = {}
    with conn.cursor() as cur:
        cur.execute(SYMBOLS)
        for name, symbol in cur.fetchall():
            out.setdefault(symbol, set()).add(name)
    return out


def default_version():
    """The version CREATE EXTENSION installs: nmf.control's default_version."""
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "nmf.control")) as f:
        return re.search(r"default_version\s*=\s*'([^']+)'", f.read()).group(1)


# Byte offsets in a model's send form (no length word): the version, and the
# fields formats 3 (24 bytes of biases), 4 (56 bytes) and 5 (24 bytes) added after history_len.
VERSION_AT, BIAS_FIELDS_AT, BIAS_FIELDS_LEN, LATER_FIELDS_LEN = 4, 180, 24, 120
INNER_UPDATES_AT = 288  # an upgraded model records 1: older versions updated once per product


def as_format_2(model):
    """A current unbiased model's bytes as format 2 (nmf 0.2) wrote them."""
    b = bytearray(model)
    assert b[VERSION_AT:VERSION_AT + 2] == b"\x05\x00" and not any(b[BIAS_FIELDS_AT:BIAS_FIELDS_AT + BIAS_FIELDS_LEN])
    del b[BIAS_FIELDS_AT:BIAS_FIELDS_AT + LATER_FIELDS_LEN]
    b[VERSION_AT:VERSION_AT + 2] = b"\x02\x00"
    return bytes(b)


def body(tap):
    with TestDatabase("upgrade_fresh") as db:
        conn = db.connect()
        fresh, fresh_symbols = scalar(conn, CATALOG), symbols(conn)
    with tap.case("no current function is bound to a legacy C name") as c:
        reused = {s: fresh_symbols[s] for s in set(LEGACY_SYMBOLS) | RETIRED_SYMBOLS if s in fresh_symbols}
        c.ok(not reused and all(t in fresh_symbols for t in LEGACY_SYMBOLS.values()), "reused: %s" % reused)
    for version in ("0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9"):
        run(tap, version, fresh, fresh_symbols)


def run(tap, version, fresh, fresh_symbols):
    with TestDatabase("upgrade") as db:
        conn = db.connect()
        with conn.cursor() as cur:
            cur.execute("DROP EXTENSION nmf")
            cur.execute("CREATE EXTENSION nmf VERSION '%s'" % version)
        with tap.case("nmf %s installs" % version) as c:
            c.ok(scalar(conn, "SELECT extversion FROM pg_extension WHERE extname = 'nmf'") == version)
        with tap.case("every C name %s binds means the same SQL function now" % version) as c:
            wrong = {}
            for symbol, names in symbols(conn).items():
                if symbol in RETIRED_SYMBOLS:
                    continue
                now = fresh_symbols.get(LEGACY_SYMBOLS.get(symbol, symbol), set())
                if not names <= now:
                    wrong[symbol] = "%s then, %s now" % (sorted(names), sorted(now))
            c.ok(not wrong, "%s" % wrong)
        if version != "0.1":
            with tap.case("%s's nmf_fit (models_table after verbose) works with the installed library"
                          % version) as c:
                r = scalar(conn, "SELECT nmf_fit('SELECT i % 30 AS u, i % 11 AS v, (i % 4 + 1)::float8 AS y"
                                 " FROM generate_series(1, 600) i', 'u', 'v', 'y',"
                                 " 'fw', 'fh', 2, max_iter => 5, models_table => 'old_models')")
                n = scalar(conn, "SELECT count(*) FROM old_models")
                c.ok(r["models_table"] == "old_models" and r["info"]["rank"] == 2 and n == 1,
                     "rank %s, %s models" % (r["info"]["rank"], n))

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

        has_fit_distributed = scalar(conn, "SELECT count(*) FROM pg_proc WHERE proname = 'nmf_fit_distributed'")
        if has_fit_distributed:
            with conn.cursor() as cur:
                cur.execute("CREATE TABLE dist_src AS SELECT i % 30 AS u, i % 11 AS v, (i % 4 + 1)::float8 AS y"
                            " FROM generate_series(1, 600) i")
            conn.commit()
            with tap.case("%s's nmf_fit_distributed, whose pieces are retired, says to update" % version) as c:
                code, message = sqlstate_of(conn, FIT_DISTRIBUTED)
                c.ok(code == "0A000", "%s %s" % (code, message))

        with conn.cursor() as cur:
            cur.execute("ALTER EXTENSION nmf UPDATE")
        with tap.case("ALTER EXTENSION nmf UPDATE goes to the default version") as c:
            v = scalar(conn, "SELECT extversion FROM pg_extension WHERE extname = 'nmf'")
            d = scalar(conn, "SELECT default_version FROM pg_available_extensions WHERE name = 'nmf'")
            c.ok(v == d and v == default_version(), "now %s, default %s" % (v, d))
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
            expected = bytearray(model)
            expected[INNER_UPDATES_AT:INNER_UPDATES_AT + 4] = (1).to_bytes(4, "little")
            same = scalar(conn, "SELECT %s::nmf_model::bytea = %s"
                                " AND nmf_predict(%s::nmf_model, 3, 4) = nmf_predict(m, 3, 4) FROM kept",
                          (as_format_2(model), bytes(expected), as_format_2(model)))
            c.ok(same is True, "equal: %s" % same)

        if has_fit_distributed:
            with tap.case("after the update from %s: nmf_fit_distributed fits (nmf_distributed's fit)" % version) as c:
                r = scalar(conn, FIT_DISTRIBUTED)
                n = scalar(conn, "SELECT count(*) FROM dist_w")
                c.ok(r["rows"] == 30 and r["iterations"] == 5 and n == 30, "%s, %s rows of W" % (r, n))

        with tap.case("after the update from %s: nmf_cv runs (its body is the current one)" % version) as c:
            n = scalar(conn, "SELECT count(*) FROM kept, nmf_cv(x, ARRAY[2], folds => 2, max_iter => 5)")
            c.ok(n == 2, "%s rows" % n)

        updated = scalar(conn, CATALOG)
        with tap.case("the catalog after the update from %s equals a fresh install's" % version) as c:
            u, f = set(updated.split("\n")), set(fresh.split("\n"))
            c.ok(updated == fresh and len(f) > 80, None if updated == fresh else
                 "only in updated:\n  %s\nonly in fresh:\n  %s"
                 % ("\n  ".join(sorted(u - f)), "\n  ".join(sorted(f - u))))

if __name__ == "__main__":
    main(body)
