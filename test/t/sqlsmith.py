#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""sqlsmith's random queries never crash the server or make nmf fail internally.

A database holds the extension and sample data of every nmf type: a ratings
table, matrices and models (rank 1 to 3, a 1 x 1, a dense one, one fitted on a
matrix with stored zeros) and views that call nmf's functions on them (fits,
nmf_w / nmf_h, nmf_info, nmf_matrix_info, the loss history, predict,
recommend, similar, transform, score, split), so that sqlsmith's queries reach
our code far more often than its uniform choice among ~3,000 built-in
functions would. sqlsmith (Debian's) then sends QUERIES random queries
(default 2,000; NMF_SQLSMITH_QUERIES=N, NMF_FULL=1 makes it 10,000) as an
ordinary role (it may call any function; a superuser could signal or write
files), with a fixed seed.

Its queries fail all the time (wrong types, missing operators): that is
expected. What fails the test, read from the server log of the run (errors
logged with log_error_verbosity = verbose, so each has its SQLSTATE and
source location):
  - a backend that crashed (terminated by a signal, PANIC, a restart);
  - an XX000 (internal error) raised by our code (its LOCATION is a function
    of src/pg) or whose message names nmf.
"""

import os
import re
import subprocess
import sys
import tempfile
import time

import psycopg2  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nmftest import TestDatabase, connect, main, scalar  # noqa: E402

FULL = os.environ.get("NMF_FULL") == "1"
QUERIES = int(os.environ.get("NMF_SQLSMITH_QUERIES") or (10000 if FULL else 2000))
SEED = int(os.environ.get("NMF_SQLSMITH_SEED") or 42)
ROLE = "nmf_smith"

SETUP = """
CREATE TABLE ratings (user_id bigint, item_id bigint, rating float8);
INSERT INTO ratings
SELECT i, j * 7, ((i * 3 + j * 5) % 6)::float8 FROM generate_series(1, 30) i, generate_series(1, 12) j
WHERE (i + j) % 4 <> 0;
INSERT INTO ratings VALUES (NULL, 1, 1), (1, NULL, 2), (2, 2, NULL);

CREATE TABLE matrices (id int PRIMARY KEY, note text, m nmf_matrix);
INSERT INTO matrices VALUES
  (1, 'ratings', (SELECT nmf_matrix(user_id, item_id, rating) FROM ratings
                  WHERE user_id IS NOT NULL AND item_id IS NOT NULL AND rating IS NOT NULL)),
  (2, 'paper', nmf_matrix('{{5,4,1},{4,5,1},{2,1,5}}'::float8[])),
  (3, 'one cell', nmf_matrix('{{2.5}}'::float8[])),
  (4, 'zeros', nmf_matrix('{{0,0,1},{0,0,0},{3,0,0},{0,0,0}}'::float8[])),
  (5, 'wide ids', (SELECT nmf_matrix(r, c, v) FROM (VALUES (-9223372036854775808, 9223372036854775807, 1e300::float8),
                                                            (0, 0, 1e-300::float8), (9223372036854775807, -1, 3)) t(r, c, v))),
  (6, 'null', NULL);

CREATE TABLE models (id int PRIMARY KEY, rank int, model nmf_model);
INSERT INTO models
SELECT id * 10 + r, r, nmf(m, r, seed => id, max_iter => 30)
FROM matrices, generate_series(1, 3) r
WHERE m IS NOT NULL AND id <> 5 AND r <= least((nmf_matrix_info(m)->>'rows')::int, (nmf_matrix_info(m)->>'cols')::int);
-- biased models (format 3 with b_row, b_col), ids 1000 + matrix id * 10 + rank
INSERT INTO models
SELECT 1000 + id * 10 + r, r, nmf(m, r, seed => id, max_iter => 30, missing => 'ignore', bias => true)
FROM matrices, generate_series(1, 2) r
WHERE m IS NOT NULL AND id <> 5 AND r <= least((nmf_matrix_info(m)->>'rows')::int, (nmf_matrix_info(m)->>'cols')::int);
INSERT INTO models VALUES (0, NULL, NULL);

CREATE VIEW model_w AS SELECT m.id AS model_id, w.* FROM models m, nmf_w(m.model) w;
CREATE VIEW model_h AS SELECT m.id AS model_id, h.* FROM models m, nmf_h(m.model) h;
CREATE VIEW model_w_wide AS SELECT m.id AS model_id, w.* FROM models m, nmf_w_wide(m.model) w;
CREATE VIEW model_h_wide AS SELECT m.id AS model_id, h.* FROM models m, nmf_h_wide(m.model) h;
CREATE VIEW model_info AS SELECT id, nmf_info(model) AS info, model::bytea AS bytes, model::text AS txt FROM models;
CREATE VIEW matrix_info AS SELECT id, nmf_matrix_info(m) AS info, m::bytea AS bytes FROM matrices;
CREATE VIEW fits AS SELECT id, nmf(m, 1, max_iter => 5) AS model FROM matrices;
CREATE VIEW built AS SELECT user_id % 3 AS part, nmf_matrix(user_id, item_id, rating) AS m
  FROM ratings WHERE user_id IS NOT NULL AND item_id IS NOT NULL AND rating IS NOT NULL GROUP BY 1;
CREATE VIEW scores AS
  SELECT m.id AS model_id, w.id AS row_id, h.id AS col_id, sum(w.weight * h.weight) AS score
  FROM models m, nmf_w(m.model) w, nmf_h(m.model) h WHERE w.factor = h.factor GROUP BY 1, 2, 3;
CREATE VIEW history AS SELECT m.id AS model_id, h.* FROM models m, nmf_loss_history(m.model) h;
CREATE VIEW predicted AS
  SELECT m.id AS model_id, p.* FROM models m,
         nmf_predict(m.model, ARRAY[1, 2, 3, 7, 30, 99]::bigint[], ARRAY[7, 14, 21, 1, 84]::bigint[]) p;
CREATE VIEW recommended AS
  SELECT m.id AS model_id, r.* FROM models m JOIN matrices x ON x.id = m.id % 1000 / 10,
         nmf_recommend(m.model, ARRAY[1, 2, 3, 42]::bigint[], 3, x.m) r;
CREATE VIEW similar_rows AS
  SELECT m.id AS model_id, s.* FROM models m, nmf_similar(m.model, 'row', 1, 3) s;
CREATE VIEW transformed AS
  SELECT m.id AS model_id, t.* FROM models m JOIN matrices x ON x.id = m.id % 1000 / 10, nmf_transform(m.model, x.m) t;
CREATE VIEW scored AS
  SELECT m.id AS model_id, nmf_score(m.model, x.m) AS score FROM models m JOIN matrices x ON x.id = m.id % 1000 / 10;
CREATE VIEW splits AS SELECT id, (nmf_split(m, 3, 1, seed => id)).* FROM matrices;
CREATE VIEW biases AS
  SELECT m.id AS model_id, s.side, b.* FROM models m, (VALUES ('row'), ('col')) s(side), nmf_bias(m.model, s.side) b;

DROP ROLE IF EXISTS {role};
CREATE ROLE {role} LOGIN;
GRANT ALL ON ALL TABLES IN SCHEMA public TO {role};
""".replace("{role}", ROLE)

CRASH = re.compile(r"terminated by signal|was terminated by exception|PANIC:|"
                   r"terminating any other active server processes|server process .* exited with exit code [^01]")
ERROR_LINE = re.compile(r"\b(ERROR|FATAL):  ([0-9A-Z]{5}): (.*)")
CALLS = re.compile(r"\bnmf\w*\s*\(")
LOCATION_LINE = re.compile(r"\bLOCATION:  (.*)")


def server_log(conn):
    """The path of the server's log: NMF_CLUSTER_LOG (test/cluster.sh), else next to the data directory."""
    path = os.environ.get("NMF_CLUSTER_LOG")
    if path and os.path.exists(path):
        return path
    data = scalar(conn, "SHOW data_directory")
    path = os.path.join(os.path.dirname(data), "server.log")
    return path if os.path.exists(path) else None


def glue_functions():
    """{file name: names of the functions it defines} for src/pg/*.c (return type on its own line)."""
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "pg")
    out = {}
    for name in os.listdir(src):
        if name.endswith(".c"):
            with open(os.path.join(src, name)) as f:
                out[name] = set(re.findall(r"^(\w+)\(", f.read(), re.M))
    return out


GLUE = glue_functions()


def is_ours(location):
    """A LOCATION "function, file.c:line" (the server keeps only the file's base name, and has
    files of the same name, e.g. guc.c, json.c) is ours when our file of that name defines it."""
    m = re.match(r"(\w+), ([\w.]+):\d+", location)
    return bool(m) and m.group(1) in GLUE.get(m.group(2), ())


def scan_log(text):
    """(crash lines, our errors by SQLSTATE, failing XX000 entries, all XX000 count)."""
    crashes, ours, bad = [], {}, []
    xx = 0
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if CRASH.search(line):
            crashes.append(line)
        m = ERROR_LINE.search(line)
        if not m:
            continue
        code, msg = m.group(2), m.group(3)
        loc = ""
        for nxt in lines[i + 1:i + 4]:
            lm = LOCATION_LINE.search(nxt)
            if lm:
                loc = lm.group(1)
                break
        from_us = is_ours(loc)
        if from_us:
            ours[code] = ours.get(code, 0) + 1
        if code.startswith("XX"):
            xx += 1
            if from_us or "nmf" in msg.lower():
                bad.append("%s: %s (%s)" % (code, msg, loc))
    return crashes, ours, bad, xx


def body(tap):
    with TestDatabase("sqlsmith") as db:
        conn = db.connect()
        with conn.cursor() as cur:
            cur.execute(SETUP)
            # Every error of the run in the log with its SQLSTATE and source location;
            # a statement that runs away is stopped (sqlsmith also sets its own timeout).
            cur.execute('ALTER DATABASE "%s" SET log_error_verbosity = verbose' % db.name)
            cur.execute('ALTER DATABASE "%s" SET statement_timeout = \'2s\'' % db.name)
            cur.execute('ALTER DATABASE "%s" SET nmf.max_memory = \'256MB\'' % db.name)
        n_models = scalar(conn, "SELECT count(model) FROM models")
        tap.ok(n_models >= 8, "sample data: %d models, %d matrices" % (
            n_models, scalar(conn, "SELECT count(m) FROM matrices")))

        log_path = server_log(conn)
        if log_path is None:
            tap.ok(False, "the server log is readable", "set NMF_CLUSTER_LOG (test/cluster.sh exports it)")
            return
        # The scanner must see an error of ours as ours, and flag an internal one.
        start = os.path.getsize(log_path)
        probe = connect(db.name, user=ROLE)
        code = None
        try:
            with probe.cursor() as cur:
                cur.execute("SELECT nmf(m, 0) FROM matrices WHERE id = 2")
        except psycopg2.Error as e:
            code = e.pgcode
        probe.close()
        time.sleep(0.2)
        with open(log_path, "rb") as f:
            f.seek(start)
            _, ours, _, _ = scan_log(f.read().decode("utf-8", "replace"))
        fake = ("x [1] ERROR:  XX000: internal error in the nmf core: boom\n"
                "x [1] LOCATION:  nmfpg_raise, errors.c:40\n")
        tap.ok(code == "22023" and ours.get("22023") == 1 and len(scan_log(fake)[2]) == 1,
               "the log scanner tells nmf's errors by their location and flags an internal one",
               "probe SQLSTATE %s; errors of ours found in the log: %s" % (code, ours))
        start = os.path.getsize(log_path)

        target = "host=%s port=%s dbname=%s user=%s" % (
            os.environ.get("PGHOST", "127.0.0.1"), os.environ.get("PGPORT", "5432"), db.name, ROLE)
        t0 = time.monotonic()
        # --dump-all-queries writes each query to stdout; we only count those that name nmf.
        # Its progress and reports (stderr) go to a file: a pipe read only at the
        # end would fill up and block it.
        err_file = tempfile.TemporaryFile(mode="w+", errors="replace")
        proc = subprocess.Popen(["sqlsmith", "--target=" + target, "--max-queries=%d" % QUERIES,
                                 "--seed=%d" % SEED, "--exclude-catalog", "--verbose", "--dump-all-queries"],
                                stdout=subprocess.PIPE, stderr=err_file, text=True, errors="replace")
        sent, calls, query = 0, 0, []
        for line in proc.stdout:
            query.append(line)
            if line.rstrip().endswith(";"):
                sent += 1
                if CALLS.search("".join(query)):
                    calls += 1
                query = []
        rc = proc.wait()
        err_file.seek(0)
        err = err_file.read()
        err_file.close()
        secs = time.monotonic() - t0
        rate = re.findall(r"error rate: ([0-9.]+)", err)
        tap.ok(rc == 0 and sent >= QUERIES,
               "sqlsmith sent %d queries (seed %d) in %.0f s" % (sent, SEED, secs),
               "exit status %d; error rate %s; every query reads nmf's tables and views, %d call an nmf "
               "function directly" % (rc, rate[-1] if rate else "?", calls)
               + ("" if rc == 0 else "\n" + err[-1500:]))

        with open(log_path, "rb") as f:
            f.seek(start)
            text = f.read().decode("utf-8", "replace")
        crashes, ours, bad, xx = scan_log(text)
        tap.ok(not crashes, "no backend crashed during the run", "\n".join(crashes[:10]) or None)
        tap.ok(not bad, "no XX000 from nmf (%d XX000 in all, from PostgreSQL itself)" % xx,
               "errors raised by nmf, by SQLSTATE: %s%s" % (ours, "".join("\n" + b for b in bad[:20])))
        tap.ok(scalar(conn, "SELECT count(*) FROM model_w WHERE weight < 0") == 0,
               "the server still answers, the sample models read back")
    admin = connect()
    with admin.cursor() as cur:
        cur.execute("DROP ROLE IF EXISTS %s" % ROLE)
    admin.close()


main(body)
