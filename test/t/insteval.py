#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""InstEval (lme4: 73,421 ratings 1..5, 2,972 students x 1,128 lecturers):
held-out RMSE of four predictors over a seeded 5-fold split of the ratings.

  (a) the global mean          nmf(rank 1, bias, every ridge 1e12): mu alone
  (b) the baseline             mu + b_row + b_col: nmf(rank 1, bias, l2_w = l2_h = 1e12,
                               which crushes W H to ~1e-20), ridge l2_bias = 10
  (c) masked NMF               nmf(missing => 'ignore')
  (d) masked NMF with biases   nmf(missing => 'ignore', bias => true), ridge l2_bias = 10

All four are fitted by the extension on each fold's training cells
(nmf_split(x, 5, fold, seed 42)) and scored by nmf_score on its test cells.
(c) and (d) take their ridge on W and H (l2_w = l2_h) from {1, 5, 14}, each
variant its own, chosen once by nmf_cv (3 folds, rank 2) on fold 1's
training cells; then, on every fold, nmf_cv (3 folds) on that fold's
training cells picks the rank from {1, 2, 4} for each variant (nmf_cv's
own split seeded 7, not 42). Solver hals,
max_iter 100, the default tol. l2_bias is the default (10), not tuned.

Passes when (d) has the lowest mean test RMSE of the four and the numbers are
sane (the mean's RMSE is the ratings' spread, about 1.3; the baseline beats
it). NMF_INSTEVAL_CSV names the export (made by
bench/peers/export_insteval.R from Debian's r-cran-lme4 when absent).
"""

import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nmftest import TestDatabase, main, scalar  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
EXPORT = os.path.join(HERE, "..", "..", "bench", "peers", "export_insteval.R")
FOLDS, SEED = 5, 42
CV_SEED = 7  # nmf_cv's inner splits: another hash than the outer folds
RANKS = [1, 2, 4]
L2_GRID = [1, 5, 14]
FIT = "missing => 'ignore', max_iter => 100, seed => 1"
CRUSH = "1e12"


def insteval_csv(tap):
    path = os.environ.get("NMF_INSTEVAL_CSV")
    if path and os.path.exists(path):
        return path
    path = os.path.join(tempfile.gettempdir(), "nmf_insteval_%d.csv" % os.getuid())
    if not os.path.exists(path):
        subprocess.run(["Rscript", EXPORT, path], check=True, stdout=subprocess.DEVNULL)
    return path


def cv_mean(conn, matrix_sql, rank_list, bias, l2):
    """{rank: mean test RMSE} of nmf_cv (3 folds) on a training matrix."""
    with conn.cursor() as cur:
        cur.execute("""
            SELECT rank, avg(test_rmse) FROM nmf_cv((%s), ranks => %%s, folds => 3, seed => %d,
                max_iter => 100, missing => 'ignore', bias => %%s, l2_w => %%s, l2_h => %%s)
            GROUP BY rank""" % (matrix_sql, CV_SEED), (rank_list, bias, l2, l2))
        return {r: v for r, v in cur.fetchall()}


def body(tap):
    csv = insteval_csv(tap)
    start = time.time()
    with TestDatabase("insteval") as db:
        conn = db.connect()
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE r (s bigint, d bigint, y float8)")
            with open(csv) as f:
                next(f)
                cur.copy_expert("COPY r FROM STDIN WITH (FORMAT csv)", f)
            cur.execute("CREATE TABLE x AS SELECT nmf_matrix(s, d, y) AS x FROM r")
            cur.execute("""CREATE TABLE folds AS SELECT f, sp.train, sp.test
                           FROM x, generate_series(1, %d) f, nmf_split(x.x, %d, f, %d) sp"""
                        % (FOLDS, FOLDS, SEED))
        info = scalar(conn, "SELECT nmf_matrix_info(x) FROM x")
        tap.ok(info["nnz"] == 73421 and info["rows"] == 2972 and info["cols"] == 1128,
               "InstEval: 73,421 ratings, 2,972 x 1,128",
               "got %s" % info)

        # The ridge on W and H for each NMF variant, from fold 1's training cells.
        train1 = "SELECT train FROM folds WHERE f = 1"
        l2 = {}
        for bias in (False, True):
            scores = {v: cv_mean(conn, train1, [2], bias, v)[2] for v in L2_GRID}
            l2[bias] = min(scores, key=scores.get)
            tap.diag("l2_w = l2_h for %s: %s (nmf_cv, rank 2, fold 1's training cells: %s)"
                     % ("(d)" if bias else "(c)", l2[bias],
                        ", ".join("%s: %.4f" % (v, s) for v, s in sorted(scores.items()))))

        rmse = {k: [] for k in "abcd"}
        ranks = {"c": [], "d": []}
        for f in range(1, FOLDS + 1):
            train = "SELECT train FROM folds WHERE f = %d" % f
            fits = {
                "a": "nmf(train, 1, %s, bias => true, l2_bias => %s, l2_w => %s, l2_h => %s)"
                     % (FIT, CRUSH, CRUSH, CRUSH),
                "b": "nmf(train, 1, %s, bias => true, l2_w => %s, l2_h => %s)" % (FIT, CRUSH, CRUSH),
            }
            for key, bias in (("c", False), ("d", True)):
                scores = cv_mean(conn, train, RANKS, bias, l2[bias])
                rank = min(scores, key=scores.get)
                ranks[key].append(rank)
                fits[key] = "nmf(train, %d, %s, bias => %s, l2_w => %s, l2_h => %s)" % (
                    rank, FIT, "true" if bias else "false", l2[bias], l2[bias])
            for key, fit in fits.items():
                with conn.cursor() as cur:
                    cur.execute("""SELECT (nmf_score(m, test) ->> 'rmse')::float8,
                                          (nmf_score(m, test) ->> 'unknown_cells')::int,
                                          (nmf_info(m) ->> 'mu')::float8,
                                          (nmf_matrix_info(train) ->> 'sum')::float8
                                              / (nmf_matrix_info(train) ->> 'nnz')::float8
                                   FROM (SELECT %s AS m, train, test FROM folds WHERE f = %d) s"""
                                % (fit, f))
                    value, unknown, mu, mean = cur.fetchone()
                rmse[key].append(value)
                if key == "a":
                    tap.ok(abs(mu - mean) < 1e-9, "fold %d: (a) is the training mean" % f,
                           "mu %r, mean %r" % (mu, mean))
            tap.diag("fold %d: a %.4f  b %.4f  c %.4f (rank %d)  d %.4f (rank %d)"
                     % (f, rmse["a"][-1], rmse["b"][-1], rmse["c"][-1], ranks["c"][-1],
                        rmse["d"][-1], ranks["d"][-1]))

        mean = {k: sum(v) / len(v) for k, v in rmse.items()}
        names = {"a": "global mean", "b": "baseline mu + b_row + b_col",
                 "c": "masked NMF (l2 %s, ranks %s)" % (l2[False], ranks["c"]),
                 "d": "masked NMF with biases (l2 %s, ranks %s)" % (l2[True], ranks["d"])}
        tap.diag("mean test RMSE over %d folds (%.0f s):" % (FOLDS, time.time() - start))
        tap.diag("| predictor | test RMSE |")
        tap.diag("|---|---|")
        for k in "abcd":
            tap.diag("| (%s) %s | %.4f |" % (k, names[k], mean[k]))

        tap.ok(1.2 < mean["a"] < 1.45, "the global mean's RMSE is the ratings' spread",
               "%.4f" % mean["a"])
        tap.ok(1.0 < mean["b"] < mean["a"], "the baseline beats the global mean",
               "%.4f vs %.4f" % (mean["b"], mean["a"]))
        tap.ok(1.0 < mean["c"] < 1.6, "masked NMF is sane", "%.4f" % mean["c"])
        tap.ok(mean["d"] < min(mean["a"], mean["b"], mean["c"]),
               "masked NMF with biases has the lowest test RMSE of the four",
               "d %.4f, a %.4f, b %.4f, c %.4f" % (mean["d"], mean["a"], mean["b"], mean["c"]))


if __name__ == "__main__":
    main(body)
