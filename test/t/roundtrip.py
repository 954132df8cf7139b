#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""Models and matrices survive every way a value travels, bit for bit:
text (model::text::nmf_model), the bytea casts, COPY in text and binary
format (out/in and send/recv), and pg_dump / pg_restore into another database.
The table has small values, a large matrix (120,000 cells) and model stored
out of line (TOAST, compressed), and NULLs; every value is compared by the md5
of its bytes.
"""

import io
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nmftest import TestDatabase, connect, main, run, scalar  # noqa: E402

PG_BIN = os.environ.get("NMF_PG_BIN", "/usr/lib/postgresql/15/bin")

SETUP = """
CREATE TABLE src (id int PRIMARY KEY, mat nmf_matrix, model nmf_model);
INSERT INTO src
SELECT 1, m, nmf(m, 3, seed => 7, max_iter => 50)
FROM (SELECT nmf_matrix(i * 1000 + 17, j * 37 + 5, ((i * 7 + j * 13) % 5 + (i % 3) * 0.25)::float8) AS m
      FROM generate_series(1, 40) i, generate_series(1, 30) j WHERE (i * j) % 4 <> 0) s;
INSERT INTO src SELECT 2, m, nmf(m, 1) FROM (
    SELECT nmf_matrix('{{5,4,1},{4,5,1},{2,1,5}}'::float8[]) AS m) s;
-- large values, stored out of line (TOAST), and NULLs
INSERT INTO src
SELECT 3, m, nmf(m, 10, seed => 3, max_iter => 20)
FROM (SELECT nmf_matrix(i, j, ((i * 37 + j * 101) % 97)::float8 / 7) AS m
      FROM generate_series(1, 400) i, generate_series(1, 300) j) s;
INSERT INTO src VALUES (4, NULL, NULL);
"""

# The large row must really be stored out of line, or the dump would not test TOAST.
TOASTED = """SELECT pg_column_size(mat) < octet_length(mat::bytea) OR pg_column_size(mat) > 8000,
                   pg_column_size(model) > 2000
            FROM src WHERE id = 3"""

# md5 of every value's bytes, per row
DIGEST = "SELECT id, md5(mat::bytea), md5(model::bytea) FROM %s ORDER BY id"


def body(tap):
    with TestDatabase("roundtrip") as db:
        conn = db.connect()
        run(conn, SETUP)
        want = run(conn, DIGEST % "src")
        tap.diag("values: %s" % want)
        with tap.case("the values include a large (TOASTed) matrix and model and NULLs") as c:
            c.ok(len(want) == 4 and want[3][1:] == (None, None), str(want))
            c.ok(all(run(conn, TOASTED)[0]), "column sizes: %s" % run(conn, """
                SELECT pg_column_size(mat), octet_length(mat::bytea), pg_column_size(model),
                       octet_length(model::bytea) FROM src WHERE id = 3"""))

        with tap.case("model::text::nmf_model and matrix::text::nmf_matrix give the same bytes") as c:
            r = run(conn, """SELECT id, model::text::nmf_model::bytea = model::bytea,
                                         mat::text::nmf_matrix::bytea = mat::bytea FROM src WHERE mat IS NOT NULL ORDER BY id""")
            c.ok(all(a and b for _, a, b in r), str(r))

        with tap.case("bytea casts: ::bytea::nmf_model and ::bytea::nmf_matrix give the same bytes") as c:
            r = run(conn, """SELECT id, model::bytea::nmf_model::bytea = model::bytea,
                                         mat::bytea::nmf_matrix::bytea = mat::bytea FROM src WHERE mat IS NOT NULL ORDER BY id""")
            c.ok(all(a and b for _, a, b in r), str(r))

        with tap.case("the text form is the base64 of the binary form") as c:
            r = run(conn, """SELECT id, decode(model::text, 'base64') = model::bytea,
                                         decode(mat::text, 'base64') = mat::bytea FROM src WHERE mat IS NOT NULL ORDER BY id""")
            c.ok(all(a and b for _, a, b in r), str(r))

        for fmt in ("text", "binary"):
            with tap.case("COPY (FORMAT %s) out and in gives the same values" % fmt) as c:
                buf = io.BytesIO()
                with conn.cursor() as cur:
                    cur.copy_expert("COPY src TO STDOUT (FORMAT %s)" % fmt, buf)
                    cur.execute("CREATE TABLE copy_%s (LIKE src)" % fmt)
                    buf.seek(0)
                    cur.copy_expert("COPY copy_%s FROM STDIN (FORMAT %s)" % (fmt, fmt), buf)
                got = run(conn, DIGEST % ("copy_" + fmt))
                c.ok(got == want, "%d bytes copied; got %s" % (len(buf.getvalue()), got))

        with tap.case("W, H and nmf_info are unchanged after a binary COPY") as c:
            r = run(conn, """
                SELECT (SELECT array_agg(w ORDER BY w) FROM src, nmf_w(src.model) w WHERE src.id = 1)
                     = (SELECT array_agg(w ORDER BY w) FROM copy_binary, nmf_w(copy_binary.model) w
                        WHERE copy_binary.id = 1),
                       (SELECT array_agg(h ORDER BY h) FROM src, nmf_h(src.model) h WHERE src.id = 1)
                     = (SELECT array_agg(h ORDER BY h) FROM copy_binary, nmf_h(copy_binary.model) h
                        WHERE copy_binary.id = 1),
                       (SELECT nmf_info(model) FROM src WHERE id = 1)
                     = (SELECT nmf_info(model) FROM copy_binary WHERE id = 1)""")
            c.ok(all(r[0]), str(r))

        with tap.case("pg_dump | pg_restore into another database gives the same values") as c:
            target = db.name + "_restored"
            admin = connect()
            with admin.cursor() as cur:
                cur.execute('DROP DATABASE IF EXISTS "%s"' % target)
                cur.execute('CREATE DATABASE "%s"' % target)
            try:
                dump = subprocess.run([PG_BIN + "/pg_dump", "-Fc", "-d", db.name],
                                      capture_output=True, check=False)
                c.ok(dump.returncode == 0, "pg_dump: %s" % dump.stderr.decode().strip())
                rest = subprocess.run([PG_BIN + "/pg_restore", "--exit-on-error", "-d", target],
                                      input=dump.stdout, capture_output=True, check=False)
                c.ok(rest.returncode == 0, "pg_restore: %s" % rest.stderr.decode().strip())
                if rest.returncode == 0:
                    other = connect(target)
                    got = run(other, DIGEST % "src")
                    fit_ok = scalar(other, "SELECT nmf_info(nmf(mat, 2, max_iter => 5)) IS NOT NULL FROM src WHERE id = 1")
                    other.close()
                    c.ok(got == want, "restored: %s" % got)
                    c.ok(fit_ok, "a restored matrix can be fitted")
            finally:
                with admin.cursor() as cur:
                    cur.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % target)
                admin.close()


main(body)
