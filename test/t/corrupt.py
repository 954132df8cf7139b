#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""Corrupted values never crash the server and never get in unchecked.

1,000 randomly corrupted copies of a valid model's bytes, and 1,000 of a valid
matrix's, are fed to the types through the bytea cast, and some also through
the text input (base64) and binary COPY (recv). Each must either be refused
with an ERROR whose SQLSTATE is not internal (XX...), or - when the damage
happens to leave a well-formed value, e.g. a low bit of a weight - be accepted
as a value that reads back as valid (finite, non-negative, same bytes). The
backend must survive every one: same pid, SELECT 1 works.
"""

import base64
import collections
import io
import os
import random
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nmftest import TestDatabase, main, scalar  # noqa: E402

import psycopg2  # noqa: E402

COPIES = 1000
SEED = 12345

SPECIALS = [
    struct.pack("<d", float("nan")), struct.pack("<d", float("inf")), struct.pack("<d", -1.0),
    struct.pack("<d", 1e308), struct.pack("<q", -1), struct.pack("<q", 2**62), struct.pack("<q", 2**31),
    struct.pack("<q", 0), struct.pack("<q", 1), struct.pack("<q", 2**40 + 1),
]


def corrupt(rng, good):
    """One corrupted copy of `good` and a word for how it was damaged."""
    b = bytearray(good)
    kind = rng.choice(["bit", "byte", "word", "word", "truncate", "extend", "header"])
    if kind == "bit":
        i = rng.randrange(len(b))
        b[i] ^= 1 << rng.randrange(8)
    elif kind == "byte":
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(b))
            b[i] = (b[i] + rng.randint(1, 255)) % 256
    elif kind in ("word", "header"):
        # an aligned 8-byte field anywhere, or one of the first ten (the
        # header: magic, version, dimensions, counts, options, summary)
        words = len(b) // 8
        i = 8 * (rng.randrange(min(words, 12)) if kind == "header" else rng.randrange(words))
        b[i:i + 8] = rng.choice(SPECIALS)
    elif kind == "truncate":
        b = b[: rng.randrange(len(b))]
    else:
        b += bytes(rng.randrange(256) for _ in range(rng.choice([1, 4, 7, 8, 16, 64])))
    return bytes(b), kind


def copy_binary_stream(value):
    """A binary COPY stream of one row with one column holding `value`."""
    out = io.BytesIO()
    out.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0))
    out.write(struct.pack("!hi", 1, len(value)) + value)
    out.write(struct.pack("!h", -1))
    out.seek(0)
    return out


class Prober:
    """Feeds values to one type and keeps score."""

    def __init__(self, db, typ, check_sql):
        self.db, self.typ, self.check_sql = db, typ, check_sql
        self.conn = db.connect()
        self.pid = scalar(self.conn, "SELECT pg_backend_pid()")
        with self.conn.cursor() as cur:
            cur.execute("CREATE TEMP TABLE sink (v %s)" % typ)
        self.codes = collections.Counter()
        self.accepted = collections.Counter()
        self.bad = []  # (how, what went wrong)
        self.crashes = 0

    def _reconnect(self):
        self.crashes += 1
        self.conn = self.db.connect()
        self.pid = scalar(self.conn, "SELECT pg_backend_pid()")
        with self.conn.cursor() as cur:
            cur.execute("CREATE TEMP TABLE IF NOT EXISTS sink (v %s)" % self.typ)

    def probe(self, data, how, path):
        try:
            with self.conn.cursor() as cur:
                if path == "cast":
                    cur.execute("SELECT (%%s::bytea)::%s::bytea" % self.typ, (psycopg2.Binary(data),))
                elif path == "text":
                    cur.execute("SELECT %%s::%s::bytea" % self.typ, (base64.b64encode(data).decode(),))
                else:
                    cur.execute("TRUNCATE sink")
                    cur.copy_expert("COPY sink FROM STDIN (FORMAT binary)", copy_binary_stream(data))
                    cur.execute("SELECT v::bytea FROM sink")
                back = bytes(cur.fetchone()[0])
                # accepted: it must be a well-formed value
                cur.execute(self.check_sql, (psycopg2.Binary(back),))
                sane = cur.fetchone()[0]
            self.accepted[path] += 1
            if not sane:
                self.bad.append((how + "/" + path, "accepted a value with a negative or non-finite number"))
            elif path == "cast" and back != data:
                self.bad.append((how + "/" + path, "accepted, but reads back with other bytes"))
        except psycopg2.OperationalError as e:
            self.bad.append((how + "/" + path, "connection lost: %s" % str(e).strip()))
            self._reconnect()
        except psycopg2.Error as e:
            self.codes[e.pgcode] += 1
            if e.pgcode is None or e.pgcode.startswith("XX"):
                self.bad.append((how + "/" + path, "SQLSTATE %s: %s" % (e.pgcode, (e.pgerror or "").strip())))

    def alive(self):
        try:
            return scalar(self.conn, "SELECT 1") == 1 and scalar(self.conn, "SELECT pg_backend_pid()") == self.pid
        except psycopg2.Error:
            return False


def run_type(tap, db, rng, typ, good, check_sql):
    p = Prober(db, typ, check_sql)
    with tap.case("the valid %s is accepted through every path" % typ) as c:
        for path in ("cast", "text", "copy"):
            n = len(p.bad)
            before = sum(p.codes.values())
            p.probe(good, "intact", path)
            c.ok(len(p.bad) == n and sum(p.codes.values()) == before, "path %s: %s" % (path, p.bad[n:] or p.codes))
    p.codes.clear()
    p.accepted.clear()
    p.bad.clear()
    for k in range(COPIES):
        data, how = corrupt(rng, good)
        p.probe(data, how, "cast")
        if k % 4 == 0:
            p.probe(data, how, "text")
        if k % 10 == 0:
            p.probe(data, how, "copy")
    tap.ok(
        not p.bad and p.crashes == 0,
        "%d corrupted %s values: each refused with a non-internal SQLSTATE or accepted as valid" % (COPIES, typ),
        "refused by SQLSTATE: %s; accepted: %s%s"
        % (dict(p.codes), dict(p.accepted) or 0,
           "".join("\n%s: %s" % b for b in p.bad[:20])),
    )
    tap.ok(p.alive(), "the backend survived (same pid, SELECT 1 works)")


def body(tap):
    rng = random.Random(SEED)
    with TestDatabase("corrupt") as db:
        conn = db.connect()
        good_matrix = bytes(scalar(conn, """
            SELECT nmf_matrix(i * 10, j * 100, ((i * 3 + j * 5) % 7)::float8)::bytea
            FROM generate_series(1, 6) i, generate_series(1, 5) j WHERE (i + j) % 3 <> 0"""))
        good_model = bytes(scalar(conn, """
            SELECT nmf(nmf_matrix(i * 10, j * 100, ((i * 3 + j * 5) % 7 + 1)::float8), 2, seed => 3,
                       max_iter => 50)::bytea
            FROM generate_series(1, 6) i, generate_series(1, 5) j"""))
        tap.diag("a valid matrix has %d bytes, a valid model %d" % (len(good_matrix), len(good_model)))

        run_type(tap, db, rng, "nmf_model", good_model, """
            SELECT (SELECT bool_and(weight >= 0 AND weight < 'Infinity') FROM nmf_w(m))
               AND (SELECT bool_and(weight >= 0 AND weight < 'Infinity') FROM nmf_h(m))
               AND nmf_info(m) IS NOT NULL
            FROM (SELECT (%s::bytea)::nmf_model AS m) s""")
        run_type(tap, db, rng, "nmf_matrix", good_matrix, """
            SELECT (i->>'nnz')::bigint >= 0 AND (i->>'sum')::float8 >= 0
               AND (i->>'sum')::float8 < 'Infinity'
            FROM (SELECT nmf_matrix_info((%s::bytea)::nmf_matrix) AS i) s""")


main(body)
