#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""docs/reference.md documents everything the extension installs.

The catalog is the truth: every function, aggregate, type, cast and view that
belongs to the extension (pg_depend, deptype 'e') and every nmf.* setting the
library defines (DefineCustom*Variable in src/pg) must be in the reference,
so nothing can be added without its documentation.

A function or aggregate counts as documented when the reference writes it as
`name(arg type = default, ...)` with every input argument, in order, named as
the catalog names it (its type when it has no name), with the catalog's type
and default. The functions only PostgreSQL calls are left out, as the
reference says: the types' input/output/receive/send functions and the
aggregates' transition, combine, serial and final functions.
"""

import glob
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from nmftest import TestDatabase, main  # noqa: E402

ROOT = os.path.join(HERE, "..", "..")
REFERENCE = os.path.join(ROOT, "docs", "reference.md")

# The type names the catalog prints, and what the reference may write instead.
TYPE_ALIASES = {
    "double precision": "float8",
    "integer": "int",
    "int4": "int",
    "int8": "bigint",
    "boolean": "boolean",
    "bool": "boolean",
    "character varying": "text",
}

EXTENSION_OBJECTS = """
SELECT d.classid::regclass::text, d.objid
FROM pg_depend d JOIN pg_extension e ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid
WHERE e.extname = 'nmf' AND d.deptype = 'e'
"""

# Functions only PostgreSQL calls: a type's I/O, an aggregate's support.
SUPPORT_FUNCTIONS = """
SELECT f FROM pg_type t, LATERAL unnest(ARRAY[t.typinput, t.typoutput, t.typreceive, t.typsend]::oid[]) f
WHERE t.oid = ANY(%(types)s) AND f <> 0
UNION
SELECT f FROM pg_aggregate a,
    LATERAL unnest(ARRAY[a.aggtransfn, a.aggfinalfn, a.aggcombinefn, a.aggserialfn, a.aggdeserialfn]::oid[]) f
WHERE a.aggfnoid = ANY(%(procs)s) AND f <> 0
"""


def split_top(s):
    """Splits an argument list on the commas outside quotes, brackets and parentheses."""
    items, depth, quote, cur = [], 0, False, ""
    for ch in s:
        if ch == "'":
            quote = not quote
        elif not quote and ch in "([{":
            depth += 1
        elif not quote and ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0 and not quote:
            items.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        items.append(cur.strip())
    return items


def norm_type(t):
    t = " ".join(t.split()).lower()
    arr = t.endswith("[]")
    base = t[:-2] if arr else t
    return TYPE_ALIASES.get(base, base) + ("[]" if arr else "")


def norm_default(d):
    """'hals'::text -> 'hals'; NULL::nmf_model -> NULL; numbers compared as numbers."""
    d = d.strip()
    d = re.sub(r"::[a-z_ ]+(\[\])?$", "", d)
    d = d.strip("()")
    try:
        return float(d)
    except ValueError:
        return d.upper() if d.upper() in ("NULL", "TRUE", "FALSE") else d


def catalog_args(arguments):
    """pg_get_function_arguments text -> [(name or None, type, default or None)], inputs only."""
    out = []
    for item in split_top(arguments):
        if item.startswith(("OUT ", "TABLE")):
            continue
        item = re.sub(r"^(IN|INOUT|VARIADIC) ", "", item)
        default = None
        m = re.match(r"(.*?) DEFAULT (.*)$", item)
        if m:
            item, default = m.group(1), norm_default(m.group(2))
        words = item.split(" ", 1)
        # An unnamed argument is its type alone ("double precision" is two words).
        if len(words) == 2 and not re.match(r"^(double|character)$", words[0]):
            out.append((words[0].strip('"'), norm_type(words[1]), default))
        else:
            out.append((None, norm_type(item), default))
    return out


def documented_args(doc_item):
    """`name type = default` (or `type` alone) from the reference -> (first word, type, default)."""
    default = None
    m = re.match(r"(.*?)\s*=\s*(.*)$", doc_item, re.S)
    if m:
        doc_item, default = m.group(1), norm_default(m.group(2))
    return " ".join(doc_item.split()), default


def matches(sig_args, cat):
    if len(sig_args) != len(cat):
        return False
    for (text, default), (name, typ, cdefault) in zip(sig_args, cat):
        want = ("%s %s" % (name, typ)) if name else typ
        words = text.split(" ", 1)
        got = ("%s %s" % (words[0], norm_type(words[1]))) if name and len(words) == 2 else norm_type(text)
        if got != want or default != cdefault:
            return False
    return True


def signatures(doc, name):
    """Every argument list the reference writes after `name(`."""
    out = []
    for m in re.finditer(r"(?<![\w.])%s\(([^()]*(?:\([^()]*\)[^()]*)*)\)" % re.escape(name), doc):
        out.append([documented_args(a) for a in split_top(m.group(1))])
    return out


def library_settings():
    names = set()
    for path in glob.glob(os.path.join(ROOT, "src", "pg", "*.c")):
        with open(path) as f:
            names.update(re.findall(r'DefineCustom\w+Variable\(\s*"(nmf\.[a-z_]+)"', f.read()))
    return sorted(names)


def body(tap):
    with open(REFERENCE) as f:
        doc = f.read()
    with TestDatabase("reference") as db:
        conn = db.connect()
        cur = conn.cursor()
        cur.execute(EXTENSION_OBJECTS)
        objs = cur.fetchall()
        procs = [o for c, o in objs if c == "pg_proc"]
        types = [o for c, o in objs if c == "pg_type"]
        rels = [o for c, o in objs if c == "pg_class"]
        casts = [o for c, o in objs if c == "pg_cast"]
        cur.execute(SUPPORT_FUNCTIONS, {"types": types, "procs": procs})
        support = {r[0] for r in cur.fetchall()}

        cur.execute("SELECT oid, proname, pg_get_function_arguments(oid), prokind FROM pg_proc"
                    " WHERE oid = ANY(%s) ORDER BY proname, oid", (procs,))
        functions = cur.fetchall()
        tap.ok(len(functions) > 30, "the catalog lists the extension's functions (%d)" % len(functions))
        for oid, name, args, kind in functions:
            if oid in support:
                continue
            what = "aggregate" if kind == "a" else "function"
            cat = catalog_args(args)
            sigs = signatures(doc, name)
            shown = ", ".join(n or t for n, t, _ in cat)
            tap.ok(any(matches(s, cat) for s in sigs),
                   "%s %s(%s) is in the reference with its arguments' types and defaults" % (what, name, shown),
                   None if sigs else "the reference never writes %s(" % name)

        cur.execute("SELECT typname FROM pg_type WHERE oid = ANY(%s) ORDER BY 1", (types,))
        for (typ,) in cur.fetchall():
            tap.ok(re.search(r"^#+ .*`%s`" % re.escape(typ), doc, re.M) is not None,
                   "type %s has a heading in the reference" % typ)

        cur.execute("SELECT c.relname, array_agg(a.attname ORDER BY a.attnum) FROM pg_class c"
                    " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0"
                    " WHERE c.oid = ANY(%s) GROUP BY c.relname ORDER BY 1", (rels,))
        for rel, cols in cur.fetchall():
            missing = [c for c in cols if "`%s`" % c not in doc]
            tap.ok(re.search(r"^#+ .*`%s`" % re.escape(rel), doc, re.M) is not None and not missing,
                   "view %s has a heading in the reference and its columns are named" % rel,
                   "columns not named: %s" % missing if missing else None)

        cur.execute("SELECT format_type(castsource, NULL), format_type(casttarget, NULL) FROM pg_cast"
                    " WHERE oid = ANY(%s) ORDER BY 1, 2", (casts,))
        for src, tgt in cur.fetchall():
            row = r"^\|\s*`%s`\s*\|\s*`%s`\s*\|" % (re.escape(src), re.escape(tgt))
            tap.ok(re.search(row, doc, re.M) is not None,
                   "cast %s -> %s is a row of the reference's casts table" % (src, tgt))

    settings = library_settings()
    tap.ok(len(settings) >= 2, "src/pg defines nmf.* settings (%s)" % ", ".join(settings))
    for s in settings:
        row = r"^\|\s*`%s`\s*\|" % re.escape(s)
        tap.ok(re.search(row, doc, re.M) is not None, "setting %s is a row of the reference's settings table" % s)


main(body)
