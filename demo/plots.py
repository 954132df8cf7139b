#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""The demo's pictures, drawn from what nmf computed in the database.

Run by demo/run.sh after demo/demo.sql (which leaves movie_model, ratings and
movies in the database), with PGHOST/PGPORT/PGUSER set. Writes into the folder
given as the first argument:

  loss.png       the objective after each iteration of the movie fit (nmf_loss_history)
  factors.png    W (users x factors) and H (factors x films) of the movie fit as heatmaps,
                 users and films grouped by their strongest factor
  parts.png      NMF of the 8x8 digits that ship with scikit-learn: the rows of H drawn
                 as images are parts (strokes), beside the PCA components of the same
                 data, which are whole-image patterns of both signs

Everything numeric comes from SQL; Python only draws (and computes PCA for the
contrast).
"""

import gzip
import io
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import psycopg2  # noqa: E402

DIGITS = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"
DIGITS_RANK = 16


def fetch(cur, sql, args=None):
    cur.execute(sql, args)
    return cur.fetchall()


def loss_curve(cur, out):
    rows = fetch(cur, "SELECT h.iteration, h.loss FROM movie_model m, nmf_loss_history(m.model) h"
                      " ORDER BY h.iteration")
    it = [r[0] for r in rows]
    loss = [r[1] for r in rows]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(it, loss, color="tab:blue")
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss  ||V - WH||²  (log scale)")
    ax.set_yscale("log")
    ax.set_title("movie ratings, rank 5: nmf_loss_history(model)")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "loss.png"), dpi=110)
    plt.close(fig)


def dense(rows, key_order):
    """Long-form (id, factor, weight) rows as a matrix ordered by key_order."""
    index = {k: i for i, k in enumerate(key_order)}
    rank = max(r[1] for r in rows)
    a = np.zeros((len(key_order), rank))
    for i, f, w in rows:
        a[index[i], f - 1] = w
    return a


def factor_heatmaps(cur, out):
    w_rows = fetch(cur, "SELECT w.id, w.factor, w.weight FROM movie_model m, nmf_w(m.model) w")
    h_rows = fetch(cur, "SELECT h.id, h.factor, h.weight FROM movie_model m, nmf_h(m.model) h")
    genre = dict(fetch(cur, "SELECT movie_id, genre FROM movies"))
    users = sorted({r[0] for r in w_rows})
    films = sorted({r[0] for r in h_rows})
    w = dense(w_rows, users)
    h = dense(h_rows, films).T
    # group rows and columns by their strongest factor, heaviest first
    u_order = np.lexsort((-w.max(axis=1), w.argmax(axis=1)))
    f_order = np.lexsort((-h.max(axis=0), h.argmax(axis=0)))
    w, h = w[u_order], h[:, f_order]
    films_sorted = [films[i] for i in f_order]

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 5), gridspec_kw={"width_ratios": [1, 3]})
    im1 = a1.imshow(w, aspect="auto", cmap="viridis", interpolation="nearest")
    a1.set_title("W: %d users x %d factors" % w.shape)
    a1.set_xlabel("factor")
    a1.set_ylabel("user (grouped by strongest factor)")
    a1.set_xticks(range(w.shape[1]), [str(k + 1) for k in range(w.shape[1])])
    fig.colorbar(im1, ax=a1, fraction=0.08)
    im2 = a2.imshow(h, aspect="auto", cmap="viridis", interpolation="nearest")
    a2.set_title("H: %d factors x %d films (grouped by strongest factor)" % h.shape)
    a2.set_ylabel("factor")
    a2.set_yticks(range(h.shape[0]), [str(k + 1) for k in range(h.shape[0])])
    # label each factor's block of films with the genre most of them have
    best = h.argmax(axis=0)
    for k in range(h.shape[0]):
        cols = np.where(best == k)[0]
        if len(cols):
            names = [genre[films_sorted[c]] for c in cols]
            top = max(set(names), key=names.count)
            a2.text(cols.mean(), k + 0.3, top, ha="center", va="center", color="black", fontsize=10)
    a2.set_xlabel("film")
    fig.colorbar(im2, ax=a2, fraction=0.03)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "factors.png"), dpi=110)
    plt.close(fig)


def load_digits(conn):
    with gzip.open(DIGITS, "rt") as f:
        data = np.loadtxt(f, delimiter=",")
    pixels = data[:, :64]
    buf = io.StringIO()
    for i, row in enumerate(pixels):
        for p, v in enumerate(row):
            if v != 0:
                buf.write("%d\t%d\t%g\n" % (i + 1, p + 1, v))
    buf.seek(0)
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS digits")
        cur.execute("CREATE TABLE digits (image_id bigint, pixel_id bigint, value float8)")
        cur.copy_expert("COPY digits FROM STDIN", buf)
    return pixels


def parts(conn, out):
    pixels = load_digits(conn)
    with conn.cursor() as cur:
        # every pixel that is ever inked is a column; a pixel that is never inked
        # has no column and stays blank in the pictures
        cur.execute("SELECT h.id, h.factor, h.weight FROM"
                    " (SELECT nmf(nmf_matrix(image_id, pixel_id, value), %s, seed => 1,"
                    "  max_iter => 1000) AS m FROM digits) s, nmf_h(s.m) h", (DIGITS_RANK,))
        rows = cur.fetchall()
    h = np.zeros((DIGITS_RANK, 64))
    for pixel, f, w in rows:
        h[f - 1, pixel - 1] = w
    centered = pixels - pixels.mean(axis=0)
    _, _, vt = np.linalg.svd(centered, full_matrices=False)
    pca = vt[:DIGITS_RANK]

    fig = plt.figure(figsize=(11, 6))
    left, right = fig.subfigures(1, 2, wspace=0.06)
    for sub, title, images, signed in (
            (left, "NMF: rows of H, all >= 0 - parts (strokes)", h, False),
            (right, "PCA: components, +/- (red/blue) - whole-digit patterns", pca, True)):
        axes = sub.subplots(4, 4, gridspec_kw={"wspace": 0.08, "hspace": 0.08})
        for k, ax in enumerate(axes.flat):
            img = images[k].reshape(8, 8)
            if signed:
                lim = np.abs(img).max()
                ax.imshow(img, cmap="RdBu", vmin=-lim, vmax=lim, interpolation="nearest")
            else:
                ax.imshow(img, cmap="gray_r", vmin=0, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
        sub.suptitle(title, fontsize=11)
    fig.suptitle("1,797 handwritten 8x8 digits (scikit-learn's), rank %d" % DIGITS_RANK, y=0.995)
    fig.savefig(os.path.join(out, "parts.png"), dpi=110)
    plt.close(fig)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "demo/out"
    os.makedirs(out, exist_ok=True)
    conn = psycopg2.connect(dbname=os.environ.get("PGDATABASE", "postgres"))
    conn.autocommit = True
    with conn.cursor() as cur:
        loss_curve(cur, out)
        factor_heatmaps(cur, out)
    parts(conn, out)
    conn.close()
    for name in ("loss.png", "factors.png", "parts.png"):
        print("    %s" % os.path.join(out, name))


if __name__ == "__main__":
    main()
