#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""The data sets of the peer benchmark (bench/peers_bench.py) that are not rating sets.

    /usr/bin/python3 make_sets.py faces OUTDIR     # 400 x 4096 dense, integers 0..242
    /usr/bin/python3 make_sets.py dense OUTDIR     # 5,000 x 2,000 dense, integers 0..242
    /usr/bin/python3 make_sets.py words OUTDIR     # Debian package descriptions as word counts

A dense set is written twice, holding the same numbers: NAME.f64 (float64,
column-major, what numpy and R read without parsing; NAME.json gives the
shape) and NAME.rows.csv (row_id, '{v1,...,vn}': one array per row, for
COPY and the aggregate nmf_matrix(row_id, float8[])). A sparse set is
NAME.csv, triplets row_id,col_id,value (as gen_synthetic.py writes).

Dense sets (there is no network, so no Olivetti faces): a planted
non-negative matrix of rank 40 whose factors' columns decay by 0.85 per
factor (so rank 16 or 20 cannot fit it exactly, as with real images), plus
Gaussian noise of sigma 8 (in units of the final 0..242 scale), rounded and
clipped to 0..242: Y = W* D H*, W*, H* ~ Gamma(2, 1), D = diag(0.85^k),
V = clip(rint(200 * Y / q99(Y) + N(0, 8^2)), 0, 242). Deterministic per seed.

Word counts: the English long descriptions of Debian 12 (bookworm) main,
/var/lib/apt/lists/*bookworm_main_i18n_Translation-en* (apt-get
-o Acquire::Languages=en update fetches it; `apt-cache dumpavail` has only
the one-line descriptions). Packages sorted by name, every k-th kept so that
20,000 remain; a document is a package's description, lower-cased, its
words the runs of 3 or more letters a-z; the vocabulary is every word in at
least 5 of the 20,000 documents, columns in alphabetical order; a cell is a
word's count in a document. The result depends on the Packages snapshot:
its size and md5 are in NAME.json.
"""
import glob
import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter

import numpy as np

DENSE = {"faces": (400, 4096, 1), "dense": (5000, 2000, 2)}  # rows, cols, seed
PLANTED_RANK, DECAY, NOISE, TOP = 40, 0.85, 8.0, 242
DOCS, MIN_DF = 20000, 5
TRANSLATION = "/var/lib/apt/lists/*debian_dists_bookworm_main_i18n_Translation-en*"


def dense(name, out):
    m, n, seed = DENSE[name]
    rng = np.random.default_rng(seed)
    w = rng.gamma(2.0, 1.0, (m, PLANTED_RANK)) * DECAY ** np.arange(PLANTED_RANK)
    h = rng.gamma(2.0, 1.0, (PLANTED_RANK, n))
    y = w @ h
    v = np.clip(np.rint(200.0 * y / np.quantile(y, 0.99) + rng.normal(0.0, NOISE, (m, n))), 0, TOP)
    v.T.astype(np.float64).tofile(os.path.join(out, f"{name}.f64"))  # column-major
    with open(os.path.join(out, f"{name}.rows.csv.tmp"), "w") as f:
        f.write("row_id,values\n")
        for i in range(m):
            f.write(f'{i + 1},"{{{",".join(str(int(x)) for x in v[i])}}}"\n')
    os.replace(os.path.join(out, f"{name}.rows.csv.tmp"), os.path.join(out, f"{name}.rows.csv"))
    meta = {"kind": "dense", "rows": m, "cols": n, "cells": m * n, "zeros": int((v == 0).sum()),
            "min": float(v.min()), "max": float(v.max()), "seed": seed,
            "model": f"planted rank {PLANTED_RANK}, decay {DECAY}, noise sigma {NOISE}, 0..{TOP}"}
    json.dump(meta, open(os.path.join(out, f"{name}.json"), "w"))
    return meta


def words(name, out):
    files = sorted(glob.glob(TRANSLATION))
    if not files:
        sys.exit(f"no {TRANSLATION}: run apt-get -o Acquire::Languages=en update")
    raw = subprocess.run(["/usr/lib/apt/apt-helper", "cat-file", files[0]], capture_output=True,
                         check=True).stdout
    docs = {}
    for rec in raw.decode("utf-8", "replace").split("\n\n"):
        pkg = re.match(r"Package: (\S+)", rec)
        desc = rec.split("Description-en:", 1)
        if pkg and len(desc) == 2 and pkg.group(1) not in docs:
            docs[pkg.group(1)] = desc[1]
    names = sorted(docs)
    names = names[::max(len(names) // DOCS, 1)][:DOCS]
    counts = [Counter(re.findall(r"[a-z]{3,}", docs[p].lower())) for p in names]
    df = Counter(w for c in counts for w in c)
    vocab = {w: j + 1 for j, w in enumerate(sorted(w for w, k in df.items() if k >= MIN_DF))}
    cells, row = [], 0
    for c in counts:
        kept = sorted((vocab[w], k) for w, k in c.items() if w in vocab)
        if kept:  # a document without a vocabulary word would be an absent row
            row += 1
            cells += [(row, j, k) for j, k in kept]
    with open(os.path.join(out, f"{name}.csv.tmp"), "w") as f:
        f.write("row_id,col_id,value\n")
        f.writelines(f"{i},{j},{k}\n" for i, j, k in cells)
    os.replace(os.path.join(out, f"{name}.csv.tmp"), os.path.join(out, f"{name}.csv"))
    meta = {"kind": "sparse", "rows": row, "cols": len(vocab), "cells": len(cells),
            "source": os.path.basename(files[0]), "source_bytes": len(raw),
            "source_md5": hashlib.md5(raw).hexdigest(), "packages": len(docs)}
    json.dump(meta, open(os.path.join(out, f"{name}.json"), "w"))
    return meta


def main():
    name, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    meta = words(name, out) if name == "words" else dense(name, out)
    print(name, json.dumps(meta), file=sys.stderr)


if __name__ == "__main__":
    main()
