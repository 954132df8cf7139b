# SPDX-License-Identifier: PostgreSQL
"""A planted rating set of bench/peers/gen_synthetic.py, with its planted truth.

    /usr/bin/python3 bench/planted.py out.csv --rows R --cols C --nnz N --noise S --seed s

writes row_id,col_id,value,truth: the first three columns are exactly what
`gen_synthetic.py custom out.csv --rows R --cols C --nnz N --noise S --seed s`
writes (its own sample_positions and planted_values make them), and truth is the
planted value before noise and rounding, 1 + 4 (W*H*)_ij / q99, for the noise
floor of bench/accuracy.py.

How the truth is had without changing the generator: planted_values draws W*, H*
and then the noise from one numpy Generator. A copy of that Generator, taken just
before the call, draws the same W* and H* again, so truth is computed from the very
factors that made the values, and then the same noise: the values it makes that
way must equal the generator's, cell for cell, or the script stops. The generator
is imported, not copied, so a change to its model cannot go unnoticed.
"""
import argparse
import copy
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers"))
import gen_synthetic as gen  # noqa: E402


def planted_truth(rng, rows, cols, n, m, r, noise, shape, chunk=1_000_000):
    """gen.planted_values' draws again, from a copy of its Generator: the
    noiseless planted value 1 + 4 (W*H*)_ij / q99, and the observed value."""
    W = rng.gamma(shape, 1.0, size=(n, r))
    Ht = rng.gamma(shape, 1.0, size=(m, r))
    v = np.empty(rows.size)
    for s in range(0, rows.size, chunk):
        e = min(s + chunk, rows.size)
        v[s:e] = np.einsum("ij,ij->i", W[rows[s:e]], Ht[cols[s:e]])
    truth = 1.0 + 4.0 * v / np.quantile(v, 0.99)
    observed = np.clip(np.rint(truth + rng.normal(0.0, noise, v.size)), 1, 5)
    return truth, observed


def make(n, m, nnz, noise, seed, rank=10, shape=2.0):
    rng = np.random.default_rng(seed)
    rows, cols = gen.sample_positions(rng, n, m, nnz)
    twin = copy.deepcopy(rng)
    vals = gen.planted_values(rng, rows, cols, n, m, rank, noise, shape)
    truth, observed = planted_truth(twin, rows, cols, n, m, rank, noise, shape)
    if not np.array_equal(observed, vals):
        raise SystemExit("planted.py: the planted truth does not reproduce gen_synthetic.py's values")
    return rows, cols, vals, truth


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--cols", type=int, required=True)
    ap.add_argument("--nnz", type=int, required=True)
    ap.add_argument("--noise", type=float, required=True)
    ap.add_argument("--seed", type=int, required=True)
    a = ap.parse_args()
    rows, cols, vals, truth = make(a.rows, a.cols, a.nnz, a.noise, a.seed)
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        f.write("row_id,col_id,value,truth\n")
        for i, j, v, t in zip(rows + 1, cols + 1, vals, truth):
            f.write(f"{i},{j},{v},{t!r}\n")
    os.replace(tmp, a.out)


if __name__ == "__main__":
    main()
