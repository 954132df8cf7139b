#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""The fit options' declarations agree with src/core/options.def, with each other and with the core.

src/core/options.def is the one table of the fit's options (name, SQL type,
nmf()'s default, range, hint, accepted names); the core's defaults, checks and
name lookups and the glue's reading of the arguments are made from it. This
test checks the SQL side against it: nmf() declares exactly its rows, in its
order, with its types and defaults; nmf_fit() the same with models_table after
verbose, and nmf_distributed() the same after its source and columns; nmf_tune() and nmf_cv() use its types, and its defaults except where
DELIBERATE says why not. The glue reads each argument where the table says: a
value out of range given by name to nmf() and to nmf_fit() is refused naming
that option. And from the catalog, as before: a fit passing no option records
exactly the declared values in nmf_info (for the options declared NULL, the
core's own default: max_iter 200, reg 0 for a zero-filled fit, learning_rate
null), and every name an option's error lists as valid is accepted.
"""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nmftest import TestDatabase, main, scalar  # noqa: E402

# Options whose declared default is NULL on purpose, and what the core records for it.
NULL_DEFAULTS = {"max_iter": "200", "learning_rate": "null", "reg": "0", "threads": None,
                 "solver": "hals", "beta": None, "inner_updates": "null", "loss_every": "1",
                 "patience": None, "warm_start": None, "w_init": None, "h_init": None}
# Options nmf_info records only for some fits (without bias, l2_bias is null; alpha only
# for implicit feedback); on_small
# says what happens when there is no fit, so a model has nothing to record.
NOT_RECORDED = {"verbose", "threads", "patience", "warm_start", "w_init", "h_init", "l2_bias", "beta",
                "models_table", "on_small", "alpha"}


OPTIONS_DEF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "core", "options.def")

# A value outside the range of the numeric options for which -1 is inside it.
OUT_OF_RANGE = {"beta": "11"}
# Defaults of nmf_tune() and nmf_cv() that differ from nmf()'s on purpose.
DELIBERATE = {
    ("nmf_tune", "max_iter"): "a search runs many fits: 100 each",
    ("nmf_tune", "max_seconds"): "the whole search's budget, 60 s",
    ("nmf_tune", "bias"): "tuning is for ratings: biases on",
    ("nmf_tune", "solver"): "its fits are frobenius: 'hals', which NULL would choose too",
    ("nmf_cv", "max_iter"): "explicit 200, so that nmf_cv's fits do not warn",
    ("nmf_cv", "solver"): "NULL: not passed, nmf()'s default applies",
    ("nmf_cv", "missing"): "NULL: not passed, nmf()'s default applies",
    ("nmf_cv", "tol"): "NULL: not passed, nmf()'s default applies",
    ("nmf_cv", "l2_bias"): "NULL: not passed, nmf()'s default applies",
    ("nmf_cv", "l2_w"): "NULL: not passed, nmf()'s default applies",
    ("nmf_cv", "l2_h"): "NULL: not passed, nmf()'s default applies",
}


def table_rows():
    """options.def's rows, in order: (name, kind, sql_type, sql_default)."""
    with open(OPTIONS_DEF) as f:
        text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
    rows = []
    for m in re.finditer(r'^NMF_OPTION(_GLUE)?\((\w+),\s*(?:(NMF_KIND_\w+),\s*)?"([^"]*)",\s*"([^"]*)"',
                         text, re.M):
        rows.append((m.group(2), m.group(3) or "NMF_KIND_GLUE", m.group(4), m.group(5)))
    return rows


def declared(conn, fn):
    """[(name, type, default expression or None)] of fn's arguments, from pg_proc."""
    with conn.cursor() as cur:
        cur.execute("SELECT a.name, format_type(a.type, NULL), pg_get_function_arg_default(p.oid, a.n::int)"
                    " FROM pg_proc p, unnest(p.proargnames, p.proargtypes::oid[]) WITH ORDINALITY a(name, type, n)"
                    " WHERE p.proname = %s AND a.type IS NOT NULL ORDER BY a.n", (fn,))
        return cur.fetchall()


def same_default(conn, sql_type, table_default, catalog_default):
    if table_default == "" or catalog_default is None:
        return table_default == "" and catalog_default is None
    return scalar(conn, "SELECT (%s)::%s::text IS NOT DISTINCT FROM (%s)::text"
                  % (table_default, sql_type, catalog_default)) is True


def check_against_table(tap, conn, rows):
    table = {r[0]: r for r in rows}
    for fn, before, between in (("nmf", 1, None), ("nmf_fit", 6, ("verbose", "models_table")),
                                ("nmf_distributed", 4, None)):
        args = declared(conn, fn)[before:]
        if between:  # nmf_fit's own argument, right after verbose
            names = [a[0] for a in args]
            i = names.index(between[1]) if between[1] in names else -1
            with tap.case("nmf_fit() declares models_table right after verbose") as c:
                c.ok(i > 0 and names[i - 1] == between[0], None if i > 0 else "arguments: %s" % names)
            args = args[:i] + args[i + 1:]
        with tap.case("%s() declares options.def's options, in its order, with its types" % fn) as c:
            got = [(a[0], a[1]) for a in args]
            want = [(r[0], r[2]) for r in rows]
            c.ok(got == want, None if got == want else "declared %s\ntable    %s" % (got, want))
        with tap.case("%s()'s defaults are options.def's" % fn) as c:
            bad = [(a[0], a[2], table[a[0]][3]) for a in args if a[0] in table
                   and not same_default(conn, a[1], table[a[0]][3], a[2])]
            c.ok(not bad, "declared, table: %s" % bad)
    for fn in ("nmf_tune", "nmf_cv"):
        with tap.case("%s() declares the fit options it shares with options.def's types and defaults" % fn) as c:
            bad = []
            for name, typ, default in declared(conn, fn):
                if name not in table or name == "rank":
                    continue
                if typ != table[name][2]:
                    bad.append("%s: type %s, table %s" % (name, typ, table[name][2]))
                elif (fn, name) not in DELIBERATE and not same_default(conn, typ, table[name][3], default):
                    bad.append("%s: default %s, table %s" % (name, default, table[name][3]))
            c.ok(not bad, "; ".join(bad))


def check_glue_positions(tap, conn, rows):
    """An out-of-range value given by name is refused naming that option: the glue read it there."""
    calls = {"nmf": "SELECT nmf(nmf_matrix('{{1,2},{3,4}}'::float8[]), 1, %s => %s)",
             "nmf_fit": "SELECT nmf_fit('SELECT 1 AS r, 1 AS c, 1.0 AS v', 'r', 'c', 'v', 'ow', 'oh', 1,"
                        " %s => %s)"}
    for fn, sql in calls.items():
        with tap.case("%s() reads each numeric and text option at options.def's place" % fn) as c:
            wrong = []
            for name, kind, _, _ in rows:
                if kind not in ("NMF_KIND_INT", "NMF_KIND_REAL", "NMF_KIND_TEXT") or name in ("rank",):
                    continue
                bad = OUT_OF_RANGE.get(name, "-1")
                value, want = ("'nonsense'", 'unknown %s "nonsense"' % name) if kind == "NMF_KIND_TEXT" \
                    else (bad, "%s %s " % (name, bad))
                try:
                    scalar(conn, sql % (name, value))
                    wrong.append("%s: accepted" % name)
                except Exception as e:  # the refusal this case expects
                    msg = getattr(getattr(e, "diag", None), "message_primary", None) or str(e)
                    if not msg.startswith(want):
                        wrong.append("%s: %s" % (name, msg))
            c.ok(not wrong and len(rows) > 20, "; ".join(wrong))


def declared_defaults(conn, fn):
    """name -> default text, from pg_proc (the declaration the catalog holds)."""
    args = scalar(conn, "SELECT pg_get_function_arguments(p.oid) FROM pg_proc p "
                        "WHERE p.proname = %s", (fn,))
    out = {}
    for part in args.split(", "):
        if " DEFAULT " in part:
            head, default = part.split(" DEFAULT ", 1)
            out[head.split()[0].strip('"')] = default.split("::")[0].strip("'")
    return out


def body(tap):
    with TestDatabase("option_defaults") as db:
        conn = db.connect()
        nmf = declared_defaults(conn, "nmf")
        fit = declared_defaults(conn, "nmf_fit")
        # a zero-filled fit with every option left to its default
        info = scalar(conn, "SELECT nmf_info(nmf(nmf_matrix('{{5,4,1},{4,5,1},{2,1,5}}'::float8[]), 1))")
        recorded = dict(info["options"], solver=info["solver"])
        rows = table_rows()
        check_against_table(tap, conn, rows)
        check_glue_positions(tap, conn, rows)
        for name, default in sorted(nmf.items()):
            if name in NOT_RECORDED:
                continue
            with tap.case("nmf()'s declared %s = %s is the core's" % (name, default)) as c:
                got = recorded.get(name, "absent")
                got = "null" if got is None else got
                want = NULL_DEFAULTS.get(name, default) if default == "NULL" else default
                same = str(got).lower() == str(want).lower() or \
                    (isinstance(got, (int, float)) and float(got) == float(want))
                c.ok(same, "core records %r" % (got,))
        with tap.case("nmf_fit() declares the same defaults as nmf()") as c:
            diff = {k: (v, fit.get(k)) for k, v in nmf.items() if fit.get(k) != v}
            c.ok(not diff, "differences: %s" % diff)
        for option, fn in (("solver", "solver"), ("loss", "loss"), ("init", "init"),
                           ("missing", "missing"), ("feedback", "feedback")):
            with tap.case("the %s names nmf() accepts are those its error lists" % option) as c:
                cur = conn.cursor()
                try:
                    cur.execute("SELECT nmf(nmf_matrix('{{1}}'::float8[]), 1, %s => 'nonsense')" % fn)
                    c.ok(False, "no error")
                    continue
                except Exception as e:  # the hint lists the accepted names
                    hint = getattr(getattr(e, "diag", None), "message_hint", "") or ""
                names = [n.strip(" .") for n in hint.replace("Valid values:", "").split(",") if n.strip(" .")]
                ok = bool(names)
                for n in names:
                    try:
                        cur.execute("SELECT nmf(nmf_matrix('{{1,2},{3,4}}'::float8[]), 1, %s => %%s, "
                                    "max_iter => 0)" % fn, (n,))
                    except Exception as e:
                        # a name can be refused only by a combination (kl needs mu; custom needs factors)
                        msg = str(e)
                        ok = ok and "unknown" not in msg
                c.ok(ok, "hint names: %s" % names)


if __name__ == "__main__":
    main(body)
