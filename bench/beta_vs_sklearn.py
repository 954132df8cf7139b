#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""nmf(loss => 'beta') against scikit-learn's NMF(solver='mu', beta_loss=b), side by side.

    PGHOST=... PGPORT=... PGUSER=postgres /usr/bin/python3 bench/beta_vs_sklearn.py \
        [--rows 2000 --cols 1000 --rank 10 --iters 50 --betas 0,1,0.5 --threads 2 --absent 0]

One run, the same data and the same start on both sides: a planted positive
rows x cols matrix (every cell > 0, so that beta 0 applies with absent cells
as zeros), W0 and H0 uniform in [0.1, 1). scikit-learn updates W then H;
nmf() updates H then W, so nmf() fits V^T from (H0^T, W0^T): the same
iterations, so the divergences agree to rounding. With --absent p a share p
of the cells is left out (nmf(): absent, missing 'zero'; scikit-learn: a
scipy CSR with those zeros) and the betas <= 0 are skipped.

Per beta and side: seconds per iteration and the final divergence.
  nmf       solver s/it: nmf_info's seconds (the iterations and their loss,
            inside the server) / iterations; call s/it: the whole SQL call
            (the matrix is read from a table, the start's arrays are parsed)
  sklearn   fit_transform's wall time / iterations (its iterations, the
            input checks, the divergence every 10 iterations and at the end)
The divergence is nmf_info's loss and scikit-learn's _beta_divergence of its
W, H. The BLAS numpy uses and its threads are printed (threadpoolctl).
"""
import argparse
import io
import time
import warnings

import numpy as np
import psycopg2
import scipy.sparse as sp
from sklearn.decomposition import NMF
from sklearn.decomposition._nmf import _beta_divergence
from sklearn.exceptions import ConvergenceWarning

warnings.simplefilter("ignore", ConvergenceWarning)


def blas_info():
    try:
        import threadpoolctl
        np.ones((2, 2)) @ np.ones((2, 2))
        infos = threadpoolctl.threadpool_info()
        return "; ".join("%s %s (%s, %d threads)" % (i.get("internal_api"), i.get("version"),
                                                     i.get("filepath"), i.get("num_threads"))
                         for i in infos) or "unknown"
    except ImportError:
        return "threadpoolctl missing"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--cols", type=int, default=1000)
    ap.add_argument("--rank", type=int, default=10)
    ap.add_argument("--iters", type=int, default=50)
    ap.add_argument("--betas", default="0,1")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--absent", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    m, n, r = a.rows, a.cols, a.rank

    rng = np.random.RandomState(a.seed)
    v = rng.uniform(0, 1, (m, r)) @ rng.uniform(0, 1, (r, n))
    v = v * rng.uniform(0.5, 1.5, (m, n)) + 0.01  # multiplicative noise: every cell > 0
    if a.absent > 0:
        v[rng.uniform(size=(m, n)) < a.absent] = 0.0
    w0 = rng.uniform(0.1, 1, (m, r))
    h0 = rng.uniform(0.1, 1, (r, n))
    x = sp.csr_matrix(v) if a.absent > 0 else v

    conn = psycopg2.connect(application_name="nmf-beta-bench")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("CREATE EXTENSION IF NOT EXISTS nmf")
    cur.execute("CREATE TEMP TABLE cells (i bigint, j bigint, v float8)")
    # V^T's cells: row = V's column.
    vt = v.T
    ii, jj = np.nonzero(vt)
    buf = io.StringIO()
    for i, j, val in zip(ii, jj, vt[ii, jj]):
        buf.write("%d\t%d\t%r\n" % (i + 1, j + 1, float(val)))
    buf.seek(0)
    cur.copy_expert("COPY cells FROM STDIN", buf)
    cur.execute("CREATE TEMP TABLE mat AS SELECT nmf_matrix(i, j, v) AS x FROM cells")
    cur.execute("SHOW server_version")
    server = cur.fetchone()[0]

    print("data: %d x %d, rank %d, %d iterations, %.0f%% absent, seed %d; nmf threads %d; "
          "PostgreSQL %s" % (m, n, r, a.iters, 100 * a.absent, a.seed, a.threads, server))
    print("numpy BLAS: %s" % blas_info())
    print("%-5s  %-28s  %14s  %14s  %22s" % ("beta", "side", "solver s/it", "call s/it",
                                          "final divergence"))
    for b in [float(s) for s in a.betas.split(",")]:
        if b <= 0 and a.absent > 0:
            print("%-5g  skipped: beta <= 0 refuses absent cells (zeros)" % b)
            continue
        sk = NMF(n_components=r, init="custom", solver="mu", beta_loss=b, max_iter=a.iters, tol=0)
        t = time.perf_counter()
        sw = sk.fit_transform(x, W=w0.copy(), H=h0.copy())
        sk_s = time.perf_counter() - t
        sk_div = float(_beta_divergence(x, sw, sk.components_, b))

        t = time.perf_counter()
        cur.execute("SELECT nmf_info(nmf(x, %s, loss => 'beta', beta => %s, max_iter => %s, "
                    "tol => 0, threads => %s, w_init => %s, h_init => %s)) FROM mat",
                    (r, b, a.iters, a.threads, h0.T.tolist(), w0.T.tolist()))
        info = cur.fetchone()[0]
        call_s = time.perf_counter() - t
        it = info["iterations"]
        print("%-5g  %-28s  %14.5f  %14.5f  %22.12g" % (b, "nmf (mu, loss beta)",
                                                        info["seconds"] / it, call_s / it,
                                                        info["loss"]))
        print("%-5g  %-28s  %14s  %14.5f  %22.12g" % (b, "sklearn %s" % __import__("sklearn").__version__,
                                                      "", sk_s / sk.n_iter_, sk_div))
        print("%-5s  relative gap of the divergences %.3g" % ("", abs(info["loss"] - sk_div) / sk_div))


if __name__ == "__main__":
    main()
