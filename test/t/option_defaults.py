#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""The fit options' declarations agree with each other and with the core.

The defaults of nmf() and nmf_fit() are declared in src/sql/fit.sql. This
test reads them from the catalog and checks that nmf_fit() declares the same
defaults as nmf(); that a fit passing no option records exactly the declared
values in nmf_info (for the options declared NULL, the core's own default:
max_iter 200, reg 0 for a zero-filled fit, learning_rate null), so neither the
glue's passing nor the model's recording can drift from the declarations; and
that every name an option's error lists as valid is accepted.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nmftest import TestDatabase, main, scalar  # noqa: E402

# Options whose declared default is NULL on purpose, and what the core records for it.
NULL_DEFAULTS = {"max_iter": "200", "learning_rate": "null", "reg": "0", "threads": None,
                 "patience": None, "warm_start": None, "w_init": None, "h_init": None}
# Options nmf_info records only for some fits (without bias, l2_bias is null).
NOT_RECORDED = {"verbose", "threads", "patience", "warm_start", "w_init", "h_init", "l2_bias",
                "models_table"}


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
        with tap.case("nmf() declares a default for every option after the rank") as c:
            c.ok(len(nmf) == 23, "defaults: %s" % sorted(nmf))
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
                           ("missing", "missing")):
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
