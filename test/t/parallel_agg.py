#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""The nmf_matrix aggregate runs as a parallel partial aggregate, and the
parallel build gives exactly the serial one.

The workers sort their partial states and ship them packed (or merely
sorted when column ids span 2^32 or more); the leader writes the matrix from
those sorted runs. The table holds 1,000,000 cells of a 10,000 x 100 matrix
plus 20,000 duplicate cells (so the combine function has duplicates to sum
across workers), in a scrambled heap order. Values are small integers, so every sum is exact and the
two builds must agree byte for byte, whatever order the rows arrive in.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nmftest import TestDatabase, main, run, scalar  # noqa: E402

ROWS, COLS, DUPS = 10000, 100, 20000
PARALLEL = (
    "SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; "
    "SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2"
)
SERIAL = "SET max_parallel_workers_per_gather = 0"
BUILD = "SELECT nmf_matrix(row_id, col_id, value) FROM t"


def plan(conn, sql):
    return "\n".join(r[0] for r in run(conn, sql))


# W, H and the summary of a model, minus its timings (a model records how long
# its fit took, so two fits never have the same bytes).
FACTORS = """
SELECT (SELECT md5(string_agg(id || ':' || factor || ':' || weight::text, ',' ORDER BY id, factor))
          FROM nmf_w(model)),
       (SELECT md5(string_agg(id || ':' || factor || ':' || weight::text, ',' ORDER BY id, factor))
          FROM nmf_h(model)),
       nmf_info(model) - 'seconds'
FROM (SELECT nmf(m, 5, seed => 1, max_iter => 20) AS model FROM mats WHERE kind = '%s') s
"""

def body(tap):
    with TestDatabase("parallel_agg") as db:
        conn = db.connect()
        run(conn, """
            CREATE TABLE t (row_id bigint, col_id bigint, value float8);
            INSERT INTO t
            SELECT * FROM (
                SELECT r AS row_id, c AS col_id, ((r * 7 + c * 13) %% 5 + 1)::float8 AS value
                FROM generate_series(1, %d) r, generate_series(1, %d) c
                UNION ALL
                SELECT (k * 7919) %% %d + 1, (k * 31) %% %d + 1, (k %% 3 + 1)::float8
                FROM generate_series(1, %d) k
            ) u
            ORDER BY row_id # 40503, col_id;  -- a scrambled heap order
            ANALYZE t;
        """ % (ROWS, COLS, ROWS, COLS, DUPS))
        count = scalar(conn, "SELECT count(*) FROM t")
        tap.ok(count == ROWS * COLS + DUPS, "table of %d rows" % (ROWS * COLS + DUPS), "count: %s" % count)

        run(conn, PARALLEL)
        with tap.case("EXPLAIN shows a Partial Aggregate under a Gather") as c:
            p = plan(conn, "EXPLAIN (COSTS OFF) " + BUILD)
            c.ok("Partial Aggregate" in p and "Gather" in p and "Finalize Aggregate" in p, p)

        with tap.case("EXPLAIN ANALYZE: the workers were launched") as c:
            p = plan(conn, "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + BUILD)
            launched = [int(l.split(":")[1]) for l in p.splitlines() if "Workers Launched" in l]
            c.ok(launched and launched[0] > 0, p)

        run(conn, "CREATE TABLE mats (kind text, m nmf_matrix)")
        run(conn, "INSERT INTO mats SELECT 'parallel', m FROM (%s) s(m)" % BUILD)
        run(conn, SERIAL)
        with tap.case("EXPLAIN with max_parallel_workers_per_gather = 0 is serial") as c:
            p = plan(conn, "EXPLAIN (COSTS OFF) " + BUILD)
            c.ok("Partial Aggregate" not in p and "Gather" not in p, p)
        run(conn, "INSERT INTO mats SELECT 'serial', m FROM (%s) s(m)" % BUILD)

        with tap.case("parallel and serial matrices are identical (md5 of the bytes)") as c:
            (p, s, same), = run(conn, """
                SELECT p.h, s.h, p.h = s.h
                FROM (SELECT md5(m::bytea) h FROM mats WHERE kind = 'parallel') p,
                     (SELECT md5(m::bytea) h FROM mats WHERE kind = 'serial') s""")
            c.ok(same, "parallel %s, serial %s" % (p, s))

        with tap.case("the matrix has the table's shape, cells and sum (duplicates summed)") as c:
            info = scalar(conn, "SELECT nmf_matrix_info(m) FROM mats WHERE kind = 'parallel'")
            total = float(scalar(conn, "SELECT sum(value) FROM t"))
            c.ok(info.get("rows") == ROWS and info.get("cols") == COLS and info.get("nnz") == ROWS * COLS,
                 "nmf_matrix_info: %s" % info)
            c.ok(abs(float(info.get("sum", -1)) - total) <= 1e-9 * total, "sum of values in t: %s" % total)

        with tap.case("nmf(m, 5, seed => 1, max_iter => 20) gives the same W, H and summary from both") as c:
            (wp, hp, ip), = run(conn, FACTORS % "parallel")
            (ws, hs, is_), = run(conn, FACTORS % "serial")
            c.ok(wp == ws and hp == hs, "W md5 %s / %s, H md5 %s / %s" % (wp, ws, hp, hs))
            c.ok(ip == is_, "nmf_info without seconds:\n  parallel %s\n  serial   %s" % (ip, is_))

        # Column ids 10^10 apart span more than 2^32: the workers ship their
        # sorted states unpacked (NMF_STATE_SORTED alone); still the same bytes.
        wide = "SELECT md5(nmf_matrix(row_id, col_id * 10000000000, value)::bytea) FROM t"
        run(conn, PARALLEL)
        with tap.case("column ids spanning more than 2^32: parallel and serial identical") as c:
            p = plan(conn, "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + wide)
            launched = [int(l.split(":")[1]) for l in p.splitlines() if "Workers Launched" in l]
            par = scalar(conn, wide)
            run(conn, SERIAL)
            ser = scalar(conn, wide)
            c.ok(launched and launched[0] > 0 and "Partial Aggregate" in p, p)
            c.ok(par == ser, "parallel %s, serial %s" % (par, ser))

        run(conn, "DROP TABLE mats; DROP TABLE t")


main(body)
