#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""nmf_fit_distributed (nmf_distributed's fit, solver mu, one update per
product, W and H into tables) on Citus equals the same function on a plain
copy of the table (one node), and numpy's multiplicative updates from the
same init, to 1e-9 relative, zero-filled and masked; bad input is refused
with its SQLSTATE and leaves nothing behind.

Runs on a coordinator and two workers (test/lib/citustest.py: Citus built
with ../shared/citus/citus.sh; NMF_SKIP_CITUS=1 skips it, and says so).
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from citustest import ITERS, RANK, on_cluster, one, run  # noqa: E402
from nmftest import main, sqlstate_of  # noqa: E402


def factors(conn, w_table, h_table):
    """W (rows by id) and H (columns by id) as numpy arrays, with their ids."""
    w = run(conn, "SELECT row_id, w FROM %s ORDER BY row_id" % w_table)
    h = run(conn, "SELECT col_id, h FROM %s ORDER BY col_id" % h_table)
    return ([r[0] for r in w], np.array([r[1] for r in w]),
            [c[0] for c in h], np.array([c[1] for c in h]).T)


def rel(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def mu_reference(v, mask, w, h, iters):
    """Lee & Seung's updates, H first; den == 0 -> 2^-23 (solver 'mu')."""
    eps = 2.0 ** -23
    for _ in range(iters):
        if mask is None:
            num, den = w.T @ v, (w.T @ w) @ h
        else:
            num, den = w.T @ v, w.T @ (mask * (w @ h))
        h = h * num / np.where(den == 0, eps, den)
        if mask is None:
            num, den = v @ h.T, w @ (h @ h.T)
        else:
            num, den = v @ h.T, (mask * (w @ h)) @ h.T
        w = w * num / np.where(den == 0, eps, den)
    return w, h


def body(tap, co, workers):
    # V as numpy, for the reference fit.
    cells = run(co, "SELECT user_id, item_id, rating FROM ratings_local")
    rows = sorted({r[0] for r in cells})
    cols = sorted({r[1] for r in cells})
    ri = {u: k for k, u in enumerate(rows)}
    ci = {i: k for k, i in enumerate(cols)}
    v = np.zeros((len(rows), len(cols)))
    mask = np.zeros_like(v)
    for u, i, x in cells:
        v[ri[u], ci[i]] = x
        mask[ri[u], ci[i]] = 1

    fit = "SELECT nmf_fit_distributed('%s', 'user_id', 'item_id', 'rating', %d, '%s', '%s', missing => '%s', max_iter => %d, seed => 3)"
    for missing in ("zero", "ignore"):
        with tap.case("missing '%s': the distributed fit equals the one-node fit and numpy from the same init" % missing) as c:
            info_d = one(co, fit % ("ratings", RANK, "wd", "hd", missing, ITERS))
            info_l = one(co, fit % ("ratings_local", RANK, "wl", "hl", missing, ITERS))
            one(co, fit % ("ratings_local", RANK, "w0", "h0", missing, 0))
            c.ok(info_d["distributed"] is True and info_l["distributed"] is False, "%s\n%s" % (info_d, info_l))
            w_dist = one(co, "SELECT count(*) FROM pg_dist_partition WHERE logicalrelid = 'wd'::regclass")
            c.ok(w_dist == 1, None if w_dist == 1 else "W of the distributed fit is not a Citus table")
            rd, wd, cd, hd = factors(co, "wd", "hd")
            rl, wl, cl, hl = factors(co, "wl", "hl")
            r0, w0, c0, h0 = factors(co, "w0", "h0")
            same_ids = rd == rl == r0 == rows and cd == cl == c0 == cols
            c.ok(same_ids, None if same_ids else "the row or column ids differ")
            wn, hn = mu_reference(v, None if missing == "zero" else mask, w0, h0, ITERS)
            # the model's W is normalised and its factors ordered by weight: numpy's W H is compared
            errs = (rel(wd, wl), rel(hd, hl), rel(wd @ hd, wn @ hn))
            c.ok(max(errs) <= 1e-9, "max relative difference W, H: distributed vs one node %.1e %.1e; "
                                    "W H vs numpy %.1e" % errs)
            loss_n = float(np.sum(((v - wn @ hn) * (1 if missing == "zero" else mask)) ** 2))
            c.ok(abs(info_d["loss"] - loss_n) <= 1e-6 * loss_n and abs(info_l["loss"] - loss_n) <= 1e-6 * loss_n,
                 "loss: distributed %r, one node %r, numpy %r" % (info_d["loss"], info_l["loss"], loss_n))
            moved = rel(w0, wd) > 1e-3
            c.ok(moved, None if moved else "the fit did not move W away from its init")
            tap.diag("missing '%s': max rel diff vs one node %.1e / %.1e, vs numpy %.1e; relative error %.4f"
                     % ((missing,) + errs + (info_d["relative_error"],)))
            run(co, "DROP TABLE wd, hd, wl, hl, w0, h0")

    with tap.case("refused with their SQLSTATE, nothing created: another distribution column, "
                  "a negative value, an unknown missing mode") as c:
        run(co, "CREATE TABLE neg (user_id bigint, item_id bigint, rating float8)")
        run(co, "INSERT INTO neg VALUES (1, 1, 1), (2, 1, -2)")
        q = ("SELECT nmf_fit_distributed('%s', '%s', '%s', 'rating', 2, 'wq', 'hq', missing => '%s')")
        got = [sqlstate_of(co, q % args)[0] for args in (
            ("ratings", "item_id", "user_id", "zero"), ("neg", "user_id", "item_id", "zero"),
            ("ratings", "user_id", "item_id", "x"))]
        c.ok(got == ["0A000", "22003", "22023"], "SQLSTATEs: %s" % got)
        left = one(co, "SELECT count(*) FROM pg_class WHERE relname IN ('wq', 'hq')")
        c.ok(left == 0, None if left == 0 else "%d tables left" % left)
        run(co, "DROP TABLE neg")


if __name__ == "__main__":
    main(lambda tap: on_cluster(tap, body))
