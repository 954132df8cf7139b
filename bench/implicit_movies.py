# SPDX-License-Identifier: PostgreSQL
"""Implicit feedback on real movie ratings (issue 19's acceptance): ratings
>= 4 are the interactions; 5 folds; each user's top-10 list leaves out that
user's training interactions; NDCG@10 (and recall, coverage) of

* the implicit fit with its defaults, nmf(train, 20, feedback => 'implicit'),
* the zero-filled fit of the 0/1 matrix, nmf(train, 20) (the PureSVD-kind
  baseline),
* popularity (nmf_popularity_score),
* and, with --grid, implicit fits over a grid of alpha and reg (tol 1e-4).

Seconds per sweep are the solver's seconds over its iterations (nmf_info).
Sets (at least one):

* --movielens CSV: bench/export_movielens.R's file (dslabs::movielens, Debian
  r-cran-dslabs, 100,004 ratings in half stars); folds by a hash of (user, movie);
* --ml100k DIR: MovieLens 100k's standard folds u1..u5 (.base / .test).

Runs against the cluster in PGHOST/PGPORT/PGUSER, e.g.
    PGHOST=/tmp/pgq PGPORT=5544 PGUSER=postgres /usr/bin/python3 bench/implicit_movies.py --movielens F
"""
import argparse
import os
import statistics
import sys

import psycopg2

FOLDS = 5


def say(*a):
    print("== implicit_movies:", *a, file=sys.stderr, flush=True)


def q(conn, sql, args=None):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else None


def copy_in(conn, sql, path):
    with conn.cursor() as cur, open(path) as f:
        cur.copy_expert(sql, f)


def load(conn, a):
    """im_ratings(set, fold, part, user_id, item_id, rating): every rating, each
    fold's train ('base') and test part."""
    q(conn, "DROP TABLE IF EXISTS im_ratings, im_in; CREATE TABLE im_ratings "
            "(set text, fold int, part text, user_id bigint, item_id bigint, rating float8)")
    sets = []
    if a.movielens:
        q(conn, "CREATE TABLE im_in (user_id bigint, item_id bigint, rating float8)")
        copy_in(conn, "COPY im_in FROM STDIN (FORMAT csv, HEADER true)", a.movielens)
        # a cell's fold: a fixed hash of its keys, as the standard folds are a
        # random partition of the ratings
        q(conn, "INSERT INTO im_ratings SELECT 'movielens', f, "
                "CASE WHEN 1 + abs(hashint8(user_id * 1000003 + item_id)) % 5 = f THEN 'test' ELSE 'base' END, "
                "user_id, item_id, rating FROM im_in, generate_series(1, 5) f")
        q(conn, "DROP TABLE im_in")
        sets.append("movielens")
    if a.ml100k:
        q(conn, "CREATE TABLE im_in (user_id bigint, item_id bigint, rating float8, ts bigint)")
        for k in range(1, FOLDS + 1):
            for part in ("base", "test"):
                q(conn, "TRUNCATE im_in")
                copy_in(conn, "COPY im_in FROM STDIN (FORMAT text)", os.path.join(a.ml100k, f"u{k}.{part}"))
                q(conn, "INSERT INTO im_ratings SELECT 'ml-100k', %s, %s, user_id, item_id, rating FROM im_in",
                  (k, part))
        q(conn, "DROP TABLE im_in")
        sets.append("ml-100k")
    q(conn, "DROP TABLE IF EXISTS im_folds; CREATE TABLE im_folds AS "
            "SELECT set, fold, "
            "nmf_matrix(user_id, item_id, 1.0) FILTER (WHERE part = 'base' AND rating >= 4) AS train, "
            "nmf_matrix(user_id, item_id, 1.0) FILTER (WHERE part = 'test' AND rating >= 4) AS test "
            "FROM im_ratings GROUP BY set, fold")
    return sets


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--movielens", help="bench/export_movielens.R's CSV")
    ap.add_argument("--ml100k", help="folder with u1.base … u5.test")
    ap.add_argument("--grid", action="store_true", help="also implicit fits over alpha x reg")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if not a.movielens and not a.ml100k:
        ap.error("give --movielens or --ml100k")
    conn = psycopg2.connect(dbname="postgres", application_name="nmf-implicit-movies")
    conn.autocommit = True
    q(conn, "CREATE EXTENSION IF NOT EXISTS nmf")
    q(conn, "SET client_min_messages = warning")
    sets = load(conn, a)
    calls = [("implicit, defaults", "nmf(train, 20, feedback => 'implicit', seed => %d)" % a.seed),
             ("zero-filled nmf(m01, 20)", "nmf(train, 20, seed => %d)" % a.seed)]
    if a.grid:
        for alpha in (0.5, 2, 10, 40):
            for reg in (1, 10, 30, 100):
                calls.append((f"implicit alpha {alpha:g}, reg {reg:g}",
                              f"nmf(train, 20, feedback => 'implicit', alpha => {alpha}, reg => {reg}, "
                              f"seed => {a.seed})"))
    for s in sets:
        cells = q(conn, "SELECT fold, nmf_matrix_info(train)->>'nnz', nmf_matrix_info(test)->>'nnz' "
                        "FROM im_folds WHERE set = %s ORDER BY fold", (s,))
        print(f"\n### {s}: interactions (ratings >= 4) per fold, train / test: "
              + ", ".join(f"{t} / {u}" for _, t, u in cells) + "\n")
        print("| lists | NDCG@10 per fold | **mean NDCG@10** | recall@10 | coverage | iterations | s / sweep | fit s |")
        print("|---|---|---|---|---|---|---|---|")
        rows = [(label, call) for label, call in calls] + [("popularity", None)]
        for label, call in rows:
            per = []
            for fold in range(1, FOLDS + 1):
                if call is None:
                    r = q(conn, "SELECT nmf_popularity_score(train, test, 10), NULL, NULL, NULL "
                                "FROM im_folds WHERE set = %s AND fold = %s", (s, fold))[0]
                else:
                    r = q(conn, "WITH f AS MATERIALIZED (SELECT clock_timestamp() AS t0, "
                                f"{call} AS model, test, train FROM im_folds WHERE set = %s AND fold = %s), "
                                "g AS MATERIALIZED (SELECT *, clock_timestamp() AS t1 FROM f) "
                                "SELECT nmf_rank_score(model, test, 10, train), "
                                "(nmf_info(model)->>'iterations')::int, "
                                "(nmf_info(model)->>'seconds')::float8, extract(epoch FROM t1 - t0)::float8 "
                                "FROM g", (s, fold))[0]
                per.append(r)
                say(s, label, fold, round(float(r[0]["ndcg"]), 4))
            nd = [float(r[0]["ndcg"]) for r in per]
            rec = statistics.mean(float(r[0]["recall"]) for r in per)
            cov = statistics.mean(float(r[0]["coverage"]) for r in per)
            if call is None:
                extra = "| | | "
            else:
                it = statistics.mean(r[1] for r in per)
                sweep = statistics.mean(r[2] / r[1] for r in per)
                wall = statistics.mean(r[3] for r in per)
                extra = f"| {it:.0f} | {sweep:.4f} | {wall:.2f} "
            print(f"| {label} | {', '.join(f'{x:.4f}' for x in nd)} | **{statistics.mean(nd):.4f}** "
                  f"| {rec:.4f} | {cov:.4f} {extra}|", flush=True)


if __name__ == "__main__":
    main()
