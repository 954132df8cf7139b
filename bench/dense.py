#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""Milliseconds per iteration on fully stored matrices (issue 22, the dense
path), ours against scikit-learn on OpenBLAS in one run:

    /usr/bin/python3 bench/dense.py [--iters 30] [--threads 2] [--loss kl] NAME=TIME_FIT ...

Each NAME=TIME_FIT is a build of bench/time_fit.cpp (e.g. one from before the
dense path, one after). Two planted non-negative rank-10 matrices plus noise,
rounded and clipped to 0..242 as the faces images are, every cell stored:
400 x 4096 (faces) and 5,000 x 2,000; rank 16, solvers hals and mu, init
nndsvda. time_fit prints the median of 3 fits; scikit-learn (solver cd and
mu, dense numpy input, init='custom' from the same nndsvda init, tol 0) also
the median of 3, OPENBLAS_NUM_THREADS = --threads, as threadpoolctl reports.
--loss kl: solver mu on the KL divergence, ours (NMF_LOSS=kl) and
scikit-learn's (beta_loss='kullback-leibler').
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

OPENBLAS = "/usr/lib/x86_64-linux-gnu/openblas-pthread"
SHAPES = {"faces 400x4096": (400, 4096), "dense 5000x2000": (5000, 2000)}

SKLEARN = r"""
import sys, time, warnings, numpy as np
from sklearn.decomposition import NMF
from sklearn.decomposition._nmf import _initialize_nmf
from threadpoolctl import threadpool_info
X = np.load(sys.argv[1]); iters = int(sys.argv[2]); kl = sys.argv[3] == "kl"
print("blas", [(p["internal_api"], p["num_threads"]) for p in threadpool_info()])
for solver in ("mu",) if kl else ("cd", "mu"):
    ts = []
    for rep in range(3):
        W0, H0 = _initialize_nmf(X, 16, init="nndsvda")
        m = NMF(16, init="custom", solver=solver, tol=0, max_iter=iters,
                beta_loss="kullback-leibler" if kl else "frobenius")
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m.fit_transform(X, W=W0, H=H0)
        ts.append((time.perf_counter() - t) / m.n_iter_)
    print(f"sklearn-{solver}{'-kl' if kl else ''} {1e3 * sorted(ts)[1]:.2f}")
"""


def planted(rows, cols, seed=7):
    rng = np.random.default_rng(seed)
    v = rng.gamma(2.0, 1.0, (rows, 10)) @ rng.gamma(2.0, 1.0, (10, cols))
    v = v / np.quantile(v, 0.99) * 200 + rng.normal(0, 15, v.shape)
    return np.clip(np.round(v), 0, 242)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iters", type=int, default=30)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--loss", choices=["frobenius", "kl"], default="frobenius")
    ap.add_argument("ours", nargs="+", help="NAME=path of a time_fit build")
    a = ap.parse_args()
    ours = [o.split("=", 1) for o in a.ours]
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(a.threads), OMP_NUM_THREADS=str(a.threads),
               LD_LIBRARY_PATH=OPENBLAS)
    with tempfile.TemporaryDirectory() as tmp:
        for label, (rows, cols) in SHAPES.items():
            v = planted(rows, cols)
            csv, npy = os.path.join(tmp, "v.csv"), os.path.join(tmp, "v.npy")
            i, j = np.indices(v.shape)
            np.savetxt(csv, np.column_stack([i.ravel() + 1, j.ravel() + 1, v.ravel()]), fmt="%d",
                       delimiter=",", header="row_id,col_id,value", comments="")
            np.save(npy, v)
            print(f"== {label}: {rows * cols} cells stored, rank 16, loss {a.loss}, "
                  f"{a.iters} iterations, "
                  f"{a.threads} threads; load {os.getloadavg()[0]:.1f}", flush=True)
            for name, exe in ours:
                out = subprocess.run([exe, "0", "0", "0", "16", str(a.iters), str(a.threads)],
                                     env=dict(env, NMF_MATRIX_CSV=csv,
                                              **({"NMF_LOSS": "kl"} if a.loss == "kl" else {})),
                                     capture_output=True,
                                     text=True, check=True).stdout
                for m in re.finditer(r"^(\w+)\s+threads \d+: ([\d.]+) s/iteration.*loss (\S+)", out,
                                     re.M):
                    print(f"{name}-{m.group(1)}{'-kl' if a.loss == 'kl' else ''} {1e3 * float(m.group(2)):.2f} ms/iteration "
                          f"(loss {m.group(3)})", flush=True)
            out = subprocess.run([sys.executable, "-c", SKLEARN, npy, str(a.iters), a.loss], env=env,
                                 capture_output=True, text=True, check=True).stdout
            for line in out.splitlines():
                print(line if line.startswith("blas") else line + " ms/iteration", flush=True)


if __name__ == "__main__":
    main()
