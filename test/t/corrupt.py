#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""Corrupted values never crash the server and never get in unchecked.

COPIES randomly corrupted copies (default 2,000; NMF_CORRUPT_COPIES=N sets
it, NMF_FULL=1 makes it 10,000) of a valid model's bytes, of a valid
matrix's, and of a valid aggregate state's are fed to the types: models and
matrices through the bytea cast (every copy), the text input (base64, one in
four) and binary COPY (recv, one in ten); states, which have no cast, through
the text input (every copy) and binary COPY (one in four).

The damage (how, named in the diagnostics):
  bit       one bit flipped anywhere
  byte      1 to 4 bytes changed
  word      an 8-byte word anywhere set to a special value
  field     one header field (a dimension, a count, a length, an option, a
            summary number, by its real offset) set to huge, negative, zero,
            off-by-one, NaN or infinite
  version   the format version set to 0, 2, 255 or 65535
  magic     another type's magic number (type confusion)
  truncate  cut anywhere, the empty value included
  extend    1 to 64 bytes appended
  swap      the bytes of another type's valid value
and, on the COPY path only, copylen: the field length of the COPY stream
made shorter than the value, so recv sees a truncated value.

Each must either be refused with an ERROR whose SQLSTATE is not internal
(XX...), or - when the damage leaves a well-formed value, e.g. a low bit of a
weight - be accepted as a value that reads back as valid (finite,
non-negative, the same bytes through the cast; an accepted model also goes
through nmf_recommend, nmf_similar, nmf_predict and nmf_loss_history). The backend must survive
every one: same pid, SELECT 1 works.
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

FULL = os.environ.get("NMF_FULL") == "1"
COPIES = int(os.environ.get("NMF_CORRUPT_COPIES") or (10000 if FULL else 2000))
SEED = int(os.environ.get("NMF_CORRUPT_SEED") or 12345)

MAGIC = {"nmf_matrix": 0x584D4D4E, "nmf_matrix_state": 0x54534D4E, "nmf_model": 0x4C444D4E}
VERSION_OFFSET = 4  # uint16 after the magic (offsets are in the send form: no length word)

# Header fields: (offset in the send form, struct format), from nmf_format.h
# (the offset in the image less the 4-byte length word).
FIELDS = {
    "nmf_matrix": {"flags": (6, "<H"), "reserved": (8, "<I"), "rows": (12, "<q"),
                   "cols": (20, "<q"), "nnz": (28, "<q")},
    "nmf_matrix_state": {"flags": (6, "<H"), "reserved": (8, "<I"), "count": (12, "<q")},
    "nmf_model": {
        "flags": (6, "<H"), "reserved": (8, "<I"), "rows": (12, "<q"), "cols": (20, "<q"),
        "rank": (28, "<q"), "nnz": (36, "<q"), "solver": (44, "<i"), "loss": (48, "<i"),
        "init": (52, "<i"), "missing": (56, "<i"), "max_iter": (60, "<i"), "reserved2": (64, "<i"),
        "tol": (68, "<d"), "seed": (76, "<q"), "max_seconds": (84, "<d"), "l1_w": (92, "<d"),
        "l1_h": (100, "<d"), "l2_w": (108, "<d"), "l2_h": (116, "<d"), "learning_rate": (124, "<d"),
        "iterations": (132, "<i"), "converged": (136, "<i"), "final_loss": (140, "<d"),
        "relative_error": (148, "<d"), "seconds": (156, "<d"), "x_norm_sq": (164, "<d"),
        "history_len": (172, "<q"),
        # format 3: the biases (the good model below is biased)
        "l2_bias": (180, "<d"), "mu": (188, "<d"), "bias": (196, "<i"), "reserved3": (200, "<i"),
    },
}

INT_SPECIALS = [-1, -2, 0, 1, 2, 2**31 - 1, 2**31, 2**32, 2**40, 2**40 + 1, 2**62, 2**63 - 1, -2**63, -2**31]
FLOAT_SPECIALS = [float("nan"), float("inf"), float("-inf"), -1.0, -0.0, 1e308, 5e-324, -5e-324]

SPECIAL_WORDS = [
    struct.pack("<d", float("nan")), struct.pack("<d", float("inf")), struct.pack("<d", -1.0),
    struct.pack("<d", 1e308), struct.pack("<q", -1), struct.pack("<q", 2**62), struct.pack("<q", 2**31),
    struct.pack("<q", 0), struct.pack("<q", 1), struct.pack("<q", 2**40 + 1),
]


def set_field(b, typ, rng):
    name = rng.choice(sorted(FIELDS[typ]))
    off, fmt = FIELDS[typ][name]
    if fmt == "<d":
        v = rng.choice(FLOAT_SPECIALS)
    else:
        bits = 8 * struct.calcsize(fmt)
        old = struct.unpack_from(fmt, b, off)[0]
        v = rng.choice(INT_SPECIALS + [old + 1, old - 1, old * 2, -old])
        lo, hi = (0, 2**bits - 1) if fmt in ("<H", "<I") else (-2**(bits - 1), 2**(bits - 1) - 1)
        v = lo + (v - lo) % (hi - lo + 1)  # wrap into the field's range, as a C store would
    struct.pack_into(fmt, b, off, v)
    return "field:" + name


def corrupt(rng, good, typ, others):
    """One corrupted copy of `good` and a word for how it was damaged."""
    b = bytearray(good)
    kind = rng.choice(["bit", "bit", "byte", "word", "field", "field", "field", "version", "magic",
                       "truncate", "truncate", "extend", "swap"])
    if kind == "bit":
        i = rng.randrange(len(b))
        b[i] ^= 1 << rng.randrange(8)
    elif kind == "byte":
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(b))
            b[i] = (b[i] + rng.randint(1, 255)) % 256
    elif kind == "word":
        i = rng.randrange(len(b) - 7)
        b[i:i + 8] = rng.choice(SPECIAL_WORDS)
    elif kind == "field":
        kind = set_field(b, typ, rng)
    elif kind == "version":
        struct.pack_into("<H", b, VERSION_OFFSET, rng.choice([0, 2, 255, 65535]))
    elif kind == "magic":
        struct.pack_into("<I", b, 0, rng.choice([m for t, m in MAGIC.items() if t != typ] + [0, 0xFFFFFFFF]))
    elif kind == "truncate":
        b = b[: rng.choice([0, 1, 4, 8, rng.randrange(len(b)), len(b) - 1, len(b) - 8])]
    elif kind == "extend":
        b += bytes(rng.randrange(256) for _ in range(rng.choice([1, 4, 7, 8, 16, 64])))
    else:
        b = bytearray(rng.choice(others))
    return bytes(b), kind


def copy_binary_stream(value, field_len=None):
    """A binary COPY stream of one row with one column holding `value`."""
    out = io.BytesIO()
    out.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0))
    out.write(struct.pack("!hi", 1, len(value) if field_len is None else field_len) + value)
    out.write(struct.pack("!h", -1))
    out.seek(0)
    return out


class Prober:
    """Feeds values to one type and keeps score."""

    def __init__(self, db, typ, to_bytea, check_sql):
        self.db, self.typ, self.to_bytea, self.check_sql = db, typ, to_bytea, check_sql
        self.conn = db.connect()
        self.pid = scalar(self.conn, "SELECT pg_backend_pid()")
        self._make_sink()
        self.codes = collections.Counter()
        self.accepted = collections.Counter()
        self.kinds = collections.Counter()
        self.bad = []  # (how, what went wrong)
        self.crashes = 0
        self.probes = 0

    def _make_sink(self):
        with self.conn.cursor() as cur:
            cur.execute("CREATE TEMP TABLE IF NOT EXISTS sink (v %s)" % self.typ)

    def _reconnect(self):
        self.crashes += 1
        self.conn = self.db.connect()
        self.pid = scalar(self.conn, "SELECT pg_backend_pid()")
        self._make_sink()

    def probe(self, data, how, path, field_len=None):
        self.probes += 1
        self.kinds[how.split(":")[0]] += 1
        back_sql = self.to_bytea % "v"
        try:
            with self.conn.cursor() as cur:
                if path == "cast":
                    cur.execute("SELECT %s FROM (SELECT (%%s::bytea)::%s AS v) s" % (back_sql, self.typ),
                                (psycopg2.Binary(data),))
                elif path == "text":
                    cur.execute("SELECT %s FROM (SELECT %%s::%s AS v) s" % (back_sql, self.typ),
                                (base64.b64encode(data).decode(),))
                else:
                    cur.execute("TRUNCATE sink")
                    cur.copy_expert("COPY sink FROM STDIN (FORMAT binary)", copy_binary_stream(data, field_len))
                    cur.execute("SELECT %s FROM sink" % back_sql)
                back = bytes(cur.fetchone()[0])
                # accepted: it must be a well-formed value
                cur.execute(self.check_sql, (psycopg2.Binary(back),))
                sane = cur.fetchone()[0]
            self.accepted[path] += 1
            if not sane:
                self.bad.append((how + "/" + path, "accepted a value with a negative or non-finite number"))
            elif field_len is None and back != data:
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


def run_type(tap, db, rng, typ, good, others, to_bytea, check_sql, paths):
    p = Prober(db, typ, to_bytea, check_sql)
    with tap.case("the valid %s is accepted through every path (%s)" % (typ, ", ".join(paths))) as c:
        for path in paths:
            n = len(p.bad)
            before = sum(p.codes.values())
            p.probe(good, "intact", path)
            c.ok(len(p.bad) == n and sum(p.codes.values()) == before, "path %s: %s" % (path, p.bad[n:] or p.codes))
    p.codes.clear()
    p.accepted.clear()
    p.kinds.clear()
    p.bad.clear()
    p.probes = 0
    # how often each path is taken: the first path every copy, the others less
    every = {"cast": 1, "text": 4, "copy": 10} if "cast" in paths else {"text": 1, "copy": 4}
    for k in range(COPIES):
        data, how = corrupt(rng, good, typ, others)
        for path in paths:
            if k % every[path] == 0:
                p.probe(data, how, path)
        if k % 20 == 0 and len(good) > 9:
            # the COPY stream says the field is shorter than the value
            p.probe(good, "copylen", "copy", field_len=rng.randrange(len(good) - 8))
    tap.ok(
        not p.bad and p.crashes == 0,
        "%d corrupted %s values (%d probes): each refused with a non-internal SQLSTATE or accepted as valid"
        % (COPIES, typ, p.probes),
        "damage: %s\nrefused by SQLSTATE: %s; accepted: %s%s"
        % (dict(sorted(p.kinds.items())), dict(p.codes), dict(p.accepted) or 0,
           "".join("\n%s: %s" % b for b in p.bad[:20])),
    )
    tap.ok(p.alive(), "the backend survived (same pid, SELECT 1 works)")


def state_bytes(triplets):
    """A valid nmf_matrix_state in its send form (nmf_format.h: NmfStateFlat less the length word)."""
    head = struct.pack("<IHHIq", MAGIC["nmf_matrix_state"], 1, 0, 0, len(triplets))
    return head + b"".join(struct.pack("<qqd", r, c, v) for r, c, v in triplets)


def packed_state_bytes(triplets):
    """The same cells packed, as a parallel worker ships them (nmf_format.h: NMF_STATE_PACKED):
    sorted and merged, row runs, 32-bit column offsets from the smallest column id."""
    cells = {}
    for r, c, v in triplets:
        cells[(r, c)] = cells.get((r, c), 0.0) + v
    keys = sorted(cells)
    rows = sorted({r for r, _ in keys})
    ends = [sum(1 for r2, _ in keys if r2 <= r) for r in rows]
    base = min(c for _, c in keys)
    offs = [c - base for _, c in keys] + ([0] if len(keys) % 2 else [])
    head = struct.pack("<IHHIq", MAGIC["nmf_matrix_state"], 1, 3, 0, len(keys))
    return (head + struct.pack("<qq", len(rows), base)
            + b"".join(struct.pack("<q", r) for r in rows) + b"".join(struct.pack("<q", e) for e in ends)
            + b"".join(struct.pack("<I", o) for o in offs)
            + b"".join(struct.pack("<d", cells[k]) for k in keys))


def body(tap):
    rng = random.Random(SEED)
    tap.diag("%d corrupted copies per type (NMF_CORRUPT_COPIES), seed %d" % (COPIES, SEED))
    with TestDatabase("corrupt") as db:
        conn = db.connect()
        good_matrix = bytes(scalar(conn, """
            SELECT nmf_matrix(i * 10, j * 100, ((i * 3 + j * 5) % 7)::float8)::bytea
            FROM generate_series(1, 6) i, generate_series(1, 5) j WHERE (i + j) % 3 <> 0"""))
        good_model = bytes(scalar(conn, """
            SELECT nmf(nmf_matrix(i * 10, j * 100, ((i * 3 + j * 5) % 7 + 1)::float8), 2, seed => 3,
                       max_iter => 50, missing => 'ignore', bias => true)::bytea
            FROM generate_series(1, 6) i, generate_series(1, 5) j"""))
        state_cells = [(i * 10, j * 100, float((i * 3 + j * 5) % 7))
                       for i in range(1, 5) for j in range(1, 4)] + [(10, 100, 2.5)]
        good_state = state_bytes(state_cells)
        good_packed = packed_state_bytes(state_cells)
        tap.diag("a valid matrix has %d bytes, a valid model %d, a valid state %d"
                 % (len(good_matrix), len(good_model), len(good_state)))

        run_type(tap, db, rng, "nmf_model", good_model, [good_matrix, good_state], "%s::bytea", """
            SELECT (SELECT bool_and(weight >= 0 AND weight < 'Infinity') FROM nmf_w(m))
               AND (SELECT bool_and(weight >= 0 AND weight < 'Infinity') FROM nmf_h(m))
               AND nmf_info(m) IS NOT NULL
               -- a valid model, however odd its numbers, goes through the apply functions
               AND (SELECT count(*) FROM nmf_recommend(m, (SELECT min(id) FROM nmf_w(m)), 3)) >= 0
               AND (SELECT count(*) FROM nmf_similar(m, 'col', (SELECT max(id) FROM nmf_h(m)), 3)) >= 0
               AND (SELECT count(*) FROM nmf_loss_history(m)) >= 0
               AND (SELECT count(*) FROM nmf_bias(m, 'row')) >= 0
               AND nmf_predict(m, (SELECT min(id) FROM nmf_w(m)), (SELECT min(id) FROM nmf_h(m))) IS NOT NULL
            FROM (SELECT (%s::bytea)::nmf_model AS m) s""", ("cast", "text", "copy"))
        run_type(tap, db, rng, "nmf_matrix", good_matrix, [good_model, good_state], "%s::bytea", """
            SELECT (i->>'nnz')::bigint >= 0 AND (i->>'sum')::float8 >= 0
               AND (i->>'sum')::float8 < 'Infinity'
            FROM (SELECT nmf_matrix_info((%s::bytea)::nmf_matrix) AS i) s""", ("cast", "text", "copy"))
        # An accepted state is finished into a matrix, as the aggregate does;
        # that may refuse it (e.g. a sum that overflows) but never crash. Both
        # forms: plain triplets, and the packed form a parallel worker ships
        # (sorted cells, row runs, 32-bit column offsets) through its decoder.
        for good, others in ((good_state, [good_model, good_matrix]), (good_packed, [good_state, good_matrix])):
            run_type(tap, db, rng, "nmf_matrix_state", good, others, "nmf_matrix_state_send(%s)", """
                SELECT (i->>'nnz')::bigint >= 1 AND (i->>'sum')::float8 >= 0
                   AND (i->>'sum')::float8 < 'Infinity'
                FROM (SELECT nmf_matrix_info(nmf_matrix_final(
                        translate(encode(%s::bytea, 'base64'), E'\\n', '')::nmf_matrix_state)) AS i) s""", ("text", "copy"))


main(body)
