#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""Cross-check of nmf() against scikit-learn 1.2 (python3-sklearn) on the same matrices.

Factors are compared after the same normalisation on both sides: W's columns
scaled to sum 1 (H compensating) and factors ordered by decreasing weight, as
the model stores them; "relative" is max |a - b| / max |b| over the matrix.

- mu (frobenius and kl), 50 iterations from the same W0, H0: W and H within
  1e-6. scikit-learn updates W then H; nmf() updates H then W. Fitting V^T
  with w_init = H0^T and h_init = W0^T makes nmf()'s H-first iteration on V^T
  exactly scikit-learn's W-first iteration on V, so that is what runs here.
- mu on loss 'beta' with beta 0 (Itakura-Saito), 0.5 and 1.5, 50 iterations
  from the same W0, H0 (V^T as above): the final divergence within 1e-6
  (relative) of scikit-learn's _beta_divergence of its own W, H, and W and H
  within 1e-6. Beta 0 only on the matrices without absent cells: with
  missing 'zero' they count as zeros, which beta <= 0 refuses (so does
  scikit-learn).
- hals against scikit-learn's cd, run to convergence from the same start:
  final objective ||V - W H||^2 within 0.1%.
- nndsvd, nndsvda, nndsvdar: nmf(max_iter => 0) returns the init; it matches
  scikit-learn's _initialize_nmf(random_state = seed) within 1e-6 on the three
  small matrices, and within 1e-10 on two larger sparse ones (300 x 120 and
  its transpose) where the sketch of rank + 10 columns is far from the whole
  space: our truncated SVD takes scikit-learn's randomized_svd steps from the
  same Gaussian start (numpy's stream for the seed), so the two agree to
  rounding (about 1e-14), not just to the SVD's convergence. SVD signs: the
  entry of largest magnitude in each left singular vector is positive
  (svd_flip).

The matrices: two dense planted low-rank ones, and one with 40% of its cells
absent (built by the aggregate from the non-zeros), so the sparse kernels and
the KL sums over absent cells are checked too.
"""

import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nmftest import TestDatabase, main  # noqa: E402

from sklearn.decomposition import NMF  # noqa: E402
from sklearn.decomposition._nmf import _beta_divergence, _initialize_nmf  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

warnings.simplefilter("ignore", ConvergenceWarning)


def planted(m, n, r, seed, noise=0.05):
    rng = np.random.RandomState(seed)
    v = rng.uniform(0, 2, (m, r)) @ rng.uniform(0, 2, (r, n))
    return np.maximum(v + noise * rng.standard_normal((m, n)), 0)


def normalised(w, h):
    """W's columns sum to 1, H compensates; factors by decreasing weight."""
    s = w.sum(axis=0)
    s[s == 0] = 1
    w, h = w / s, h * s[:, None]
    order = np.argsort(-h.sum(axis=1), kind="stable")
    return w[:, order], h[order, :]


def relative(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def arr(x):
    return [[float(v) for v in row] for row in x]


def fit(conn, v, rank, **opts):
    """nmf() on the dense matrix v; returns W (m x r), H (r x n), info."""
    names = sorted(opts)
    args = "".join(", %s => %%s" % k for k in names)
    values = [rank] + [opts[k] for k in names]
    if (v == 0).any():
        # Absent cells, through the aggregate: only the non-zeros are stored
        # (every row and column of the test matrices has one).
        i, j = np.nonzero(v)
        sql = ("SELECT nmf(nmf_matrix(i, j, x), %%s%s) FROM unnest(%%s::bigint[], %%s::bigint[], "
               "%%s::float8[]) AS t(i, j, x)" % args)
        values += [[int(a) + 1 for a in i], [int(b) + 1 for b in j], [float(x) for x in v[i, j]]]
    else:
        sql = "SELECT nmf(nmf_matrix(%%s::float8[]), %%s%s)" % args
        values = [arr(v)] + values
    with conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS fits (m nmf_model); TRUNCATE fits")
        cur.execute("INSERT INTO fits " + sql, values)
        cur.execute("SELECT weights FROM fits, nmf_w_wide(m) ORDER BY id")
        w = np.array([r[0] for r in cur.fetchall()])
        cur.execute("SELECT weights FROM fits, nmf_h_wide(m) ORDER BY id")
        h = np.array([r[0] for r in cur.fetchall()]).T
        cur.execute("SELECT nmf_info(m) FROM fits")
        info = cur.fetchone()[0]
    return w, h, info


def body(tap):
    with TestDatabase("sklearn_check") as db:
        conn = db.connect()
        sparse = planted(40, 14, 3, 3)
        sparse[np.random.RandomState(4).uniform(size=sparse.shape) < 0.4] = 0
        sparse[np.arange(14), np.arange(14)] += 1  # every row and column keeps a cell
        cases = [("30x12 rank 3", planted(30, 12, 3, 1)), ("15x25 rank 4", planted(15, 25, 4, 2)),
                 ("40x14 rank 3, 40% absent", sparse)]

        for name, v in cases:
            m, n = v.shape
            r = 4 if m == 15 else 3
            rng = np.random.RandomState(7)
            w0 = rng.uniform(0.1, 1, (m, r))
            h0 = rng.uniform(0.1, 1, (r, n))
            for loss, beta in (("frobenius", "frobenius"), ("kl", "kullback-leibler")):
                with tap.case("mu/%s %s: W, H after 50 iterations match scikit-learn to 1e-6"
                              % (loss, name)) as c:
                    sk = NMF(n_components=r, init="custom", solver="mu", beta_loss=beta,
                             max_iter=50, tol=0)
                    sw = sk.fit_transform(v, W=w0.copy(), H=h0.copy())
                    sw, sh = normalised(sw, sk.components_)
                    # nmf() on V^T from (H0^T, W0^T): its W is scikit-learn's H^T.
                    # inner_updates 1: one update per product, as scikit-learn's mu
                    ow, oh, info = fit(conn, v.T, r, solver="mu", loss=loss, max_iter=50, tol=0,
                                       inner_updates=1, w_init=arr(h0.T), h_init=arr(w0.T))
                    ow, oh = normalised(oh.T, ow.T)
                    ew, eh = relative(ow, sw), relative(oh, sh)
                    c.ok(info["iterations"] == 50 and ew < 1e-6 and eh < 1e-6,
                         "relative difference W %.3g, H %.3g; %d iterations"
                         % (ew, eh, info["iterations"]))

            for b in (0.0, 0.5, 1.5):
                if b <= 0 and (v == 0).any():
                    continue
                with tap.case("mu/beta %g %s: divergence after 50 iterations within 1e-6 of "
                              "scikit-learn's, W and H too" % (b, name)) as c:
                    sk = NMF(n_components=r, init="custom", solver="mu", beta_loss=b,
                             max_iter=50, tol=0)
                    sw = sk.fit_transform(v, W=w0.copy(), H=h0.copy())
                    sk_div = float(_beta_divergence(v, sw, sk.components_, b))
                    sw, sh = normalised(sw, sk.components_)
                    ow, oh, info = fit(conn, v.T, r, loss="beta", beta=b, max_iter=50, tol=0,
                                       w_init=arr(h0.T), h_init=arr(w0.T))
                    ow, oh = normalised(oh.T, ow.T)
                    ew, eh = relative(ow, sw), relative(oh, sh)
                    gap = abs(info["loss"] - sk_div) / sk_div
                    c.ok(info["iterations"] == 50 and info["solver"] == "mu" and gap < 1e-6
                         and ew < 1e-6 and eh < 1e-6,
                         "divergence nmf %.12g, scikit-learn %.12g, relative gap %.3g; W %.3g, "
                         "H %.3g" % (info["loss"], sk_div, gap, ew, eh))

            with tap.case("hals %s: final objective within 0.1%% of scikit-learn's cd" % name) as c:
                w_init, h_init = _initialize_nmf(v, r, init="nndsvda")
                sk = NMF(n_components=r, init="custom", solver="cd", max_iter=2000, tol=1e-10)
                sw = sk.fit_transform(v, W=w_init.copy(), H=h_init.copy())
                sk_loss = float(np.linalg.norm(v - sw @ sk.components_) ** 2)
                ow, oh, info = fit(conn, v.T, r, solver="hals", max_iter=2000, tol=1e-10,
                                   w_init=arr(h_init.T), h_init=arr(w_init.T))
                our_loss = float(np.linalg.norm(v.T - ow @ oh) ** 2)
                gap = (our_loss - sk_loss) / sk_loss
                c.ok(gap < 1e-3 and abs(info["loss"] - our_loss) <= 1e-9 * our_loss,
                     "objective nmf %.10g, scikit-learn %.10g, relative gap %.3g "
                     "(nmf %d iterations, scikit-learn %d)"
                     % (our_loss, sk_loss, gap, info["iterations"], sk.n_iter_))

            with tap.case("hals %s in its own order (H first) from its own nndsvda: within 0.1%% "
                          "of scikit-learn's cd from nndsvda" % name) as c:
                sk = NMF(n_components=r, init="nndsvda", solver="cd", max_iter=2000, tol=1e-10)
                sw = sk.fit_transform(v)
                sk_loss = float(np.linalg.norm(v - sw @ sk.components_) ** 2)
                ow, oh, info = fit(conn, v, r, init="nndsvda", max_iter=2000, tol=1e-10)
                gap = (info["loss"] - sk_loss) / sk_loss
                c.ok(gap < 1e-3, "objective nmf %.10g, scikit-learn %.10g, relative gap %.3g"
                     % (info["loss"], sk_loss, gap))

            for init in ("nndsvd", "nndsvda", "nndsvdar"):
                with tap.case("init %s %s matches scikit-learn's to 1e-6" % (init, name)) as c:
                    sw, sh = _initialize_nmf(v, r, init=init, random_state=42)
                    sw, sh = normalised(sw, sh)
                    ow, oh, info = fit(conn, v, r, init=init, seed=42, max_iter=0)
                    ew, eh = relative(ow, sw), relative(oh, sh)
                    c.ok(info["iterations"] == 0 and ew < 1e-6 and eh < 1e-6,
                         "relative difference W %.3g, H %.3g" % (ew, eh))
                    if init == "nndsvdar":
                        # The filled zeros are tiny: compare them on their own scale.
                        zw, zh = normalised(*_initialize_nmf(v, r, init="nndsvd"))
                        fw, fh = zw == 0, zh == 0
                        c.ok(fw.any() and fh.any(), "nndsvd has zeros to fill in W and H")
                        if fw.any() and fh.any():
                            e = max(relative(ow[fw], sw[fw]), relative(oh[fh], sh[fh]))
                            c.ok(e < 1e-6, "the %d filled zeros: relative difference %.3g"
                                 % (fw.sum() + fh.sum(), e))

        # Larger sparse matrices, where the sketch (rank + 10 columns) is far
        # from spanning the space and 7 power iterations run: tall, and wide
        # (scikit-learn then works on V^T). Same start (numpy's stream for
        # the seed), same steps: the inits agree to rounding.
        rng = np.random.RandomState(5)
        tall = planted(300, 120, 5, 6, noise=0.5)
        tall[rng.uniform(size=tall.shape) < 0.9] = 0
        tall[np.arange(300), np.arange(300) % 120] += 1
        for name, v in (("300x120 rank 5, 90% absent", tall), ("120x300 rank 5, 90% absent", tall.T)):
            for init in ("nndsvd", "nndsvda", "nndsvdar"):
                with tap.case("init %s %s matches scikit-learn's to 1e-10" % (init, name)) as c:
                    sw, sh = normalised(*_initialize_nmf(v, 5, init=init, random_state=7))
                    ow, oh, info = fit(conn, v, 5, init=init, seed=7, max_iter=0)
                    ew, eh = relative(ow, sw), relative(oh, sh)
                    c.ok(info["iterations"] == 0 and ew < 1e-10 and eh < 1e-10,
                         "relative difference W %.3g, H %.3g" % (ew, eh))


if __name__ == "__main__":
    main(body)
