#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""One scikit-learn fit for bench/peers_bench.py: one JSON line on stdout.

    /usr/bin/python3 peer_fit.py DATA --solver cd|mu --loss frobenius|kl --rank R --iters N [--seed S]

DATA is NAME.f64 (dense, column-major, shape in NAME.json: scikit-learn gets the
dense float64 array a Python user would hold) or NAME.csv (triplets: a CSR).
The start is scikit-learn's own nndsvda (_initialize_nmf, what NMF(init=...)
calls), then NMF(init='custom', tol=0, max_iter=N).fit_transform: iter_s is
that call (the iterations, the input checks and the final error), init_s the
start's.

Memory: the resident set before the data is read (after the imports and a
first BLAS call), then the kernel's peak is reset (writing 5 to
/proc/self/clear_refs) once the data is in memory; data_fit_mb is the peak
of the fit minus that first figure, so it counts the data and everything the
fit allocates, and not the interpreter, numpy and scikit-learn themselves.

The BLAS: threadpoolctl's report is in the record ("blas"); a process whose
numpy runs on anything but OpenBLAS (the reference BLAS, say) exits with 3
before fitting, and so does one with OPENBLAS_CORETYPE or OPENBLAS_L2_SIZE set.
"""
import argparse
import json
import os
import sys
import time
import warnings

import numpy as np
import scipy.sparse as sp
import sklearn
import threadpoolctl
from sklearn.decomposition import NMF
from sklearn.decomposition._nmf import _beta_divergence, _initialize_nmf

from peers_common import load_triplets, rel_err


def status_kb(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


def blas():
    np.ones((64, 64)) @ np.ones((64, 64))
    pools = [p for p in threadpoolctl.threadpool_info() if p.get("user_api") == "blas"]
    return [{k: p.get(k) for k in ("internal_api", "version", "architecture", "num_threads", "filepath")}
            for p in pools]


def load(path):
    if path.endswith(".f64"):
        meta = json.load(open(path[:-4] + ".json"))
        return np.fromfile(path, dtype=np.float64).reshape((meta["cols"], meta["rows"])).T.copy()
    return load_triplets(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--solver", choices=["cd", "mu"], required=True)
    ap.add_argument("--loss", choices=["frobenius", "kl"], default="frobenius")
    ap.add_argument("--rank", type=int, required=True)
    ap.add_argument("--iters", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    pools = blas()
    pinned = [k for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ]
    if pinned or not pools or any(p["internal_api"] != "openblas" for p in pools):
        print(f"FAILED: scikit-learn must run on OpenBLAS with the CPU's own kernel; threadpoolctl "
              f"reports {pools or 'no BLAS it knows (the reference BLAS)'}; pinned: {pinned}", file=sys.stderr)
        sys.exit(3)

    base_kb = status_kb("VmRSS")
    X = load(a.data)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # the peak resident set starts again from here
    loaded_kb = status_kb("VmHWM")

    beta = "kullback-leibler" if a.loss == "kl" else "frobenius"
    t0 = time.perf_counter()
    W0, H0 = _initialize_nmf(X, a.rank, init="nndsvda", random_state=a.seed)
    t1 = time.perf_counter()
    model = NMF(n_components=a.rank, init="custom", solver=a.solver, beta_loss=beta, tol=0.0,
                max_iter=a.iters, random_state=a.seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        W = model.fit_transform(X, W=W0, H=H0)
    t2 = time.perf_counter()
    peak_kb = status_kb("VmHWM")
    H = model.components_
    err = rel_err(X, W, H) if a.loss == "frobenius" else float(_beta_divergence(X, W, H, 1))
    print(json.dumps({
        "version": sklearn.__version__, "shape": list(X.shape),
        "input": "CSR" if sp.issparse(X) else "dense ndarray",
        "iterations": int(model.n_iter_), "init_s": t1 - t0, "iter_s": t2 - t1,
        "s_per_iter": (t2 - t1) / max(model.n_iter_, 1), "error": err,
        "data_fit_mb": (peak_kb - base_kb) / 1024, "data_mb": (loaded_kb - base_kb) / 1024,
        "process_peak_mb": peak_kb / 1024, "blas": pools,
    }), flush=True)


if __name__ == "__main__":
    main()
