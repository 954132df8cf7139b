#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""The extension works from a schema of its own, and nothing on a caller's search_path stands in for it.

nmf is installed with CREATE EXTENSION nmf SCHEMA ml. A caller whose
search_path does not hold ml calls every SQL and plpgsql function of the
extension (nmf_cv, nmf_fit_distributed and the nmf_dist_fit it hands over to)
and a representative set of the C ones by their qualified names, and reads
the nmf_progress view, and nmf_fit (C, whose own SQL reads the source and
creates and fills tables). Before that, a schema "evil", first on the caller's
search_path, gets look-alikes of what those functions call: functions with
the extension's names and argument types (nmf, nmf_split, nmf_score,
nmf_dist_*), overloads of built-in functions and operators that would match
the extension's calls better than pg_catalog's own (array_position,
cardinality, format, float8 / bigint, float8 * bigint), and, for a caller
who puts pg_catalog after them, count(*), unnest, now() and domains named
float8, text and jsonb, each of which
records its call in evil.calls. A control case shows that they do capture
an unqualified call made on that search_path; after the extension's calls,
evil.calls must hold nothing.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nmftest import TestDatabase, main, scalar  # noqa: E402

# Each look-alike notes its name in evil.calls, then returns something of the
# right type, so that a call it captured would go on and show up in the table.
HOSTILE = """
CREATE SCHEMA evil;
CREATE TABLE evil.calls (name text);
CREATE FUNCTION evil.note(name text) RETURNS void LANGUAGE sql
  AS $$INSERT INTO evil.calls VALUES (name)$$;

CREATE FUNCTION evil.nmf(matrix ml.nmf_matrix, rank int, max_iter int, seed bigint)
  RETURNS ml.nmf_model LANGUAGE plpgsql
  AS $$BEGIN PERFORM evil.note('nmf'); RETURN ml.nmf(matrix, rank, max_iter => 1); END$$;
CREATE FUNCTION evil.nmf_split(matrix ml.nmf_matrix, folds int, fold int, seed bigint,
  OUT train ml.nmf_matrix, OUT test ml.nmf_matrix) LANGUAGE plpgsql
  AS $$BEGIN PERFORM evil.note('nmf_split'); train := matrix; test := matrix; END$$;
CREATE FUNCTION evil.nmf_score(model ml.nmf_model, matrix ml.nmf_matrix) RETURNS jsonb
  LANGUAGE plpgsql AS $$BEGIN PERFORM evil.note('nmf_score'); RETURN '{"rmse": -1}'; END$$;
CREATE FUNCTION evil.nmf_dist_square(x float8) RETURNS float8 LANGUAGE plpgsql
  AS $$BEGIN PERFORM evil.note('nmf_dist_square'); RETURN x * x; END$$;
CREATE FUNCTION evil.nmf_dist_init(id bigint, seed bigint, side int, rank int, scale float8)
  RETURNS float8[] LANGUAGE plpgsql
  AS $$BEGIN PERFORM evil.note('nmf_dist_init'); RETURN array_fill(1.0::float8, ARRAY[rank]); END$$;
CREATE FUNCTION evil.nmf_dist_fit(target text, source regclass, row_col text, col_col text,
  value_col text, rank int, w_table text, h_table text, missing text, max_iter int, seed bigint)
  RETURNS jsonb LANGUAGE plpgsql
  AS $$BEGIN PERFORM evil.note('nmf_dist_fit'); RETURN '{}'; END$$;
CREATE FUNCTION evil.nmf_progress_read()
  RETURNS TABLE (pid int, started timestamptz, solver text, rows bigint, cols bigint, rank int,
    iteration int, max_iter int, loss float8, seconds float8)
  LANGUAGE plpgsql AS $$BEGIN PERFORM evil.note('nmf_progress_read'); END$$;

-- Built-ins, overloaded with argument types that fit the extension's calls
-- exactly where pg_catalog's need a coercion or are polymorphic.
CREATE FUNCTION evil.array_position(a int[], x int) RETURNS int LANGUAGE plpgsql
  AS $$BEGIN PERFORM evil.note('array_position'); RETURN NULL; END$$;
CREATE FUNCTION evil.cardinality(a int[]) RETURNS int LANGUAGE plpgsql
  AS $$BEGIN PERFORM evil.note('cardinality'); RETURN 1; END$$;
CREATE FUNCTION evil.format(f text, a text, b text, c text) RETURNS text LANGUAGE plpgsql
  AS $$BEGIN PERFORM evil.note('format'); RETURN pg_catalog.format(f, a, b, c); END$$;
CREATE FUNCTION evil.div(a float8, b bigint) RETURNS float8 LANGUAGE plpgsql
  AS $$BEGIN PERFORM evil.note('float8 / bigint'); RETURN a / b::float8; END$$;
CREATE OPERATOR evil./ (LEFTARG = float8, RIGHTARG = bigint, FUNCTION = evil.div);
CREATE FUNCTION evil.mul(a float8, b bigint) RETURNS float8 LANGUAGE plpgsql
  AS $$BEGIN PERFORM evil.note('float8 * bigint'); RETURN a * b::float8; END$$;
CREATE OPERATOR evil.* (LEFTARG = float8, RIGHTARG = bigint, FUNCTION = evil.mul);

-- What nmf_fit's own SQL (reading the source, creating and filling the
-- tables) could name: count(*), unnest, now(), and type names that are not
-- keywords (a domain whose check notes each value it sees).
CREATE FUNCTION evil.count_step(n bigint) RETURNS bigint LANGUAGE plpgsql
  AS $$BEGIN IF n = 0 THEN PERFORM evil.note('count(*)'); END IF; RETURN n + 1; END$$;
CREATE AGGREGATE evil.count(*) (SFUNC = evil.count_step, STYPE = bigint, INITCOND = '0');
CREATE FUNCTION evil.unnest(a bigint[]) RETURNS SETOF bigint LANGUAGE plpgsql
  AS $$BEGIN PERFORM evil.note('unnest'); RETURN QUERY SELECT pg_catalog.unnest(a); END$$;
CREATE FUNCTION evil.now() RETURNS timestamptz LANGUAGE plpgsql
  AS $$BEGIN PERFORM evil.note('now'); RETURN pg_catalog.now(); END$$;
CREATE FUNCTION evil.seen(what text) RETURNS boolean LANGUAGE plpgsql
  AS $$BEGIN PERFORM evil.note(what); RETURN true; END$$;
CREATE DOMAIN evil.float8 AS pg_catalog.float8 CHECK (evil.seen('float8'));
CREATE DOMAIN evil.text AS pg_catalog.text CHECK (evil.seen('text'));
CREATE DOMAIN evil.jsonb AS pg_catalog.jsonb CHECK (evil.seen('jsonb'));
"""

# The caller's search_path: the look-alikes first, the extension's schema absent.
CALLER_PATH = "SET search_path = evil, public"


def calls(conn):
    return scalar(conn, "SELECT coalesce(pg_catalog.string_agg(DISTINCT name, ', ' ORDER BY name), '')"
                        " FROM evil.calls")


def body(tap):
    with TestDatabase("schema") as db:
        conn = db.connect()
        with conn.cursor() as cur:
            cur.execute("DROP EXTENSION nmf")
            cur.execute("CREATE SCHEMA ml")
            cur.execute("CREATE EXTENSION nmf SCHEMA ml")
        with tap.case("CREATE EXTENSION nmf SCHEMA ml puts every object in ml") as c:
            n = scalar(conn, "SELECT count(*) FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid"
                             " WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e'"
                             " AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'nmf')"
                             " AND p.pronamespace <> 'ml'::regnamespace")
            c.ok(n == 0 and scalar(conn, "SELECT extnamespace::regnamespace::text FROM pg_extension"
                                         " WHERE extname = 'nmf'") == "ml", "%s functions elsewhere" % n)

        with conn.cursor() as cur:
            cur.execute(HOSTILE)
            cur.execute(CALLER_PATH)
            cur.execute("CREATE TABLE ratings AS SELECT i % 30 AS user_id, i % 11 AS item_id,"
                        " (i % 4 + 1)::float8 AS rating FROM generate_series(1, 600) i")
            cur.execute("CREATE TABLE ratings_once AS SELECT user_id, item_id, sum(rating) AS rating"
                        " FROM ratings GROUP BY 1, 2")

        with tap.case("control: with pg_catalog after them, they capture what nmf_fit's SQL would name") as c:
            with conn.cursor() as cur:
                cur.execute("SET search_path = evil, pg_catalog, public")
                cur.execute("SELECT count(*), now() FROM unnest(ARRAY[1::bigint])")
                cur.execute("SELECT 1::float8, 'a'::text, '{}'::jsonb")
            got = calls(conn)
            c.ok(got == "count(*), float8, jsonb, now, text, unnest", "captured: %s" % got)
            with conn.cursor() as cur:
                cur.execute("TRUNCATE evil.calls")
                cur.execute(CALLER_PATH)

        with tap.case("control: the look-alikes capture unqualified calls made on that search_path") as c:
            scalar(conn, "SELECT array_position(ARRAY[1, 2], NULL)::text || (2.0::float8 / 3::bigint)::text")
            got = calls(conn)
            c.ok(got == "array_position, float8 / bigint", "captured: %s" % got)
            with conn.cursor() as cur:
                cur.execute("TRUNCATE evil.calls")

        with tap.case("the extension's objects are not visible to the caller") as c:
            vis = scalar(conn, "SELECT to_regtype('nmf_matrix') IS NULL AND to_regproc('nmf_info') IS NULL")
            c.ok(vis is True)

        with tap.case("the nmf_matrix aggregate, nmf, nmf_w, nmf_h, nmf_info by qualified names") as c:
            with conn.cursor() as cur:
                cur.execute("CREATE TABLE mx AS SELECT ml.nmf_matrix(user_id, item_id, rating) AS x"
                            " FROM ratings")
                cur.execute("CREATE TABLE md AS SELECT ml.nmf(x, 2, seed => 1, max_iter => 20) AS m FROM mx")
            got = scalar(conn, "SELECT row(ml.nmf_matrix_info(x) ->> 'rows', ml.nmf_info(m) ->> 'rank',"
                               " (SELECT count(*) FROM ml.nmf_w(m)), (SELECT count(*) FROM ml.nmf_h(m)))::text"
                               " FROM mx, md")
            c.ok(got == "(30,2,60,22)", got)

        with tap.case("nmf_predict, nmf_recommend, nmf_similar, nmf_transform, nmf_score, nmf_split") as c:
            got = scalar(conn, "SELECT row(ml.nmf_predict(m, 1, 1) > 0,"
                               " (SELECT count(*) FROM ml.nmf_recommend(m, 1, 3)),"
                               " (SELECT count(*) FROM ml.nmf_similar(m, 'row', 1, 4)),"
                               " (SELECT count(*) FROM ml.nmf_transform(m, x)),"
                               " (ml.nmf_score(m, x) ->> 'cells')::int,"
                               " (SELECT ml.nmf_matrix_info(s.test) ->> 'nnz' FROM ml.nmf_split(x, 3, 1) s)"
                               " IS NOT NULL, ml.nmf_matrix_info(x::bytea::ml.nmf_matrix) = ml.nmf_matrix_info(x)"
                               ")::text FROM mx, md")
            c.ok(got == "(t,3,4,60,330,t,t)", got)

        with tap.case("nmf_cv (plpgsql) with ml off the search_path") as c:
            rows = scalar(conn, "SELECT count(*) FILTER (WHERE test_rmse > 0 AND train_rmse > 0)"
                                " FROM mx, ml.nmf_cv(x, ARRAY[1, 2], folds => 2, max_iter => 5, tol => 0)")
            c.ok(rows == 4, "%s good rows of 4" % rows)

        with tap.case("nmf_fit_distributed (SQL, then plpgsql) with ml off the search_path") as c:
            r = scalar(conn, "SELECT ml.nmf_fit_distributed('ratings_once', 'user_id', 'item_id', 'rating',"
                             " 2, 'dw', 'dh', max_iter => 3)")
            # w_table and h_table go where the caller creates tables: evil, first on its path
            where = scalar(conn, "SELECT string_agg(relnamespace::regnamespace || '.' || relname, ','"
                                 " ORDER BY relname) FROM pg_class WHERE relname IN ('dw', 'dh')")
            c.ok(r["rows"] == 30 and r["iterations"] == 3 and r["relative_error"] > 0
                 and where == "evil.dh,evil.dw", "%s; tables %s" % (r, where))

        with tap.case("the nmf_progress view and nmf_loss_history") as c:
            got = scalar(conn, "SELECT row((SELECT count(*) FROM ml.nmf_progress),"
                               " (SELECT count(*) FROM md, ml.nmf_loss_history(m)))::text")
            c.ok(got == "(0,20)", got)

        with tap.case("no look-alike on the caller's search_path was called") as c:
            got = calls(conn)
            c.ok(got == "", None if got == "" else "called: %s" % got)

        with tap.case("... nor with pg_catalog named after them (search_path = evil, pg_catalog)") as c:
            with conn.cursor() as cur:
                cur.execute("SET search_path = evil, pg_catalog, public")
            scalar(conn, "SELECT pg_catalog.count(*) FROM mx, ml.nmf_cv(x, ARRAY[2], folds => 2, max_iter => 3)")
            scalar(conn, "SELECT ml.nmf_fit_distributed('ratings_once', 'user_id', 'item_id', 'rating',"
                         " 2, 'dw2', 'dh2', max_iter => 2)")
            got = calls(conn)
            c.ok(got == "", None if got == "" else "called: %s" % got)

        with tap.case("nmf_fit reads, creates and fills its tables without calling a look-alike") as c:
            # search_path = evil, pg_catalog: a table name and a query from the caller
            for source, w in (("ratings", "tw"), ("SELECT user_id, item_id, rating FROM ratings", "qw")):
                r = scalar(conn, "SELECT ml.nmf_fit(%s, 'user_id', 'item_id', 'rating', %s, %s, 2,"
                                 " max_iter => 3, bias => true, missing => 'ignore', models_table => 'fm')",
                           (source, w, w + "_h"))
                c.ok(r["w_rows"] == 90 and r["h_rows"] == 33, "%s" % r)
            types = scalar(conn, "SELECT string_agg(DISTINCT format_type(atttypid, NULL), ',')"
                                 " FROM pg_attribute WHERE attnum > 0 AND attrelid IN"
                                 " ('evil.tw'::regclass, 'evil.fm'::regclass)")
            c.ok("evil" not in types, "column types: %s" % types)
            got = calls(conn)
            c.ok(got == "", None if got == "" else "called: %s" % got)

        with tap.case("a function the extension declares is refused in ml by a later CREATE EXTENSION") as c:
            # The objects an update creates or replaces must be the extension's own:
            # a look-alike placed in ml beforehand makes the update fail, not join it.
            with conn.cursor() as cur:
                cur.execute(CALLER_PATH)
                cur.execute("DROP EXTENSION nmf CASCADE")
                cur.execute("CREATE FUNCTION ml.nmf_dist_fit(target text, source regclass, row_col text,"
                            " col_col text, value_col text, rank int, w_table text, h_table text,"
                            " missing text, max_iter int, seed bigint) RETURNS jsonb LANGUAGE sql"
                            " AS $$SELECT '{}'::jsonb$$")
            err = None
            try:
                with conn.cursor() as cur:
                    cur.execute("CREATE EXTENSION nmf SCHEMA ml")
            except Exception as e:  # the expected refusal
                err = str(e).strip().splitlines()[0]
            c.ok(err is not None and "nmf_dist_fit" in err, "error: %s" % err)


if __name__ == "__main__":
    main(body)
