# SPDX-License-Identifier: PostgreSQL
"""The accuracy report (issue 17 item 7): for each rating set, the 5-fold test
RMSE of the calls a user would make, with each fit's seconds.

    /usr/bin/python3 bench/accuracy.py --data DIR [--out FILE] [--no-tune] [--ml100k DIR] ...

Runs against the cluster in PGHOST/PGPORT/PGUSER (bench/accuracy.sh starts one
and makes the data). Sets:

* insteval: DIR/insteval.csv (row_id,col_id,value), folds from nmf_split;
* movielens: DIR/movielens.csv (the same columns) from bench/export_movielens.R,
  folds from nmf_split;
* planted-<noise>: DIR/planted_<noise>.csv from bench/planted.py (row_id,col_id,
  value,truth), folds from nmf_split; these also get the noise floor;
* ml-100k: the standard folds u1..u5 (.base = train, .test = test), only with
  --ml100k.

Every model is scored with nmf_score(model, test)->>'rmse'. nmf_score counts only
the test cells whose row and column the model knows (a user or item with all its
ratings in the test fold is unknown); the mean and the floors are computed on
exactly those cells (from the bytea form of the split matrices), so every row of
a table is over the same cells.

The noise floor: the planted value t = 1 + 4 (W*H*)_ij / q99 of each test cell
(clipped to 1..5, the range of the ratings) as the prediction. Because the
ratings are t plus noise, rounded and clipped, t itself is not the best possible
prediction; the Bayes floor, E[rating | t] for the generator's noise, is, and
no model can beat it on average (it may on one fold, by chance).
"""
import argparse
import datetime
import math
import os
import platform
import statistics
import struct
import sys
import time

import numpy as np
import psycopg2

FOLDS = 5
# The movie sets keep nmf_tune's own budget (issue 17's acceptance: 60 s a fold).
MOVIE_SETS = ("ml-100k", "movielens")


def say(*a):
    print("== accuracy:", *a, file=sys.stderr, flush=True)


# --- the nmf_matrix binary form (src/core/nmf_format.h, NmfMatrixFlat) -------

def decode_matrix(b):
    """(row id, col id, value) arrays of an nmf_matrix's bytea form (the value
    after the length word: magic, version, flags, reserved, rows, cols, nnz)."""
    b = bytes(b)
    magic, version = struct.unpack_from("<IH", b, 0)
    if magic != 0x584D4D4E or version != 1:
        raise SystemExit(f"accuracy.py: not an nmf_matrix of version 1 (magic {magic:#x}, version {version})")
    rows, cols, nnz = struct.unpack_from("<qqq", b, 12)
    off = 36
    row_ids = np.frombuffer(b, "<i8", rows, off); off += 8 * rows
    col_ids = np.frombuffer(b, "<i8", cols, off); off += 8 * cols
    row_ptr = np.frombuffer(b, "<i8", rows + 1, off); off += 8 * (rows + 1)
    col_idx = np.frombuffer(b, "<i4", nnz, off); off += (4 * nnz + 7) // 8 * 8
    values = np.frombuffer(b, "<f8", nnz, off); off += 8 * nnz
    if off != len(b):
        raise SystemExit(f"accuracy.py: nmf_matrix of {len(b)} bytes, expected {off}")
    return np.repeat(row_ids, np.diff(row_ptr)), col_ids[col_idx], values.copy()


def known(test, train):
    """The test cells nmf_score counts for a model fitted on train."""
    tr, tc, _ = test
    return np.isin(tr, np.unique(train[0])) & np.isin(tc, np.unique(train[1]))


def bayes_mean(t, sigma):
    """E[clip(round(t + N(0, sigma)), 1, 5)]: sum over k of P(rating >= k), k = 2..5."""
    e = np.ones_like(t)
    for k in (2, 3, 4, 5):
        z = (k - 0.5 - t) / (sigma * math.sqrt(2.0))
        e += 0.5 * np.vectorize(math.erfc)(z)
    return e


def rmse(pred, actual):
    return float(np.sqrt(np.mean((pred - actual) ** 2)))


# --- the server ------------------------------------------------------------

class Db:
    def __init__(self):
        self.conn = psycopg2.connect(dbname="postgres", application_name="nmf-accuracy")
        self.conn.autocommit = True

    def q(self, sql, args=None):
        with self.conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall() if cur.description else None

    def copy_in(self, sql, path):
        with self.conn.cursor() as cur, open(path) as f:
            cur.copy_expert(sql, f)


def load_split_set(db, name, path, seed, with_truth):
    cols = "row_id, col_id, value" + (", truth" if with_truth else "")
    db.q("DROP TABLE IF EXISTS acc_cells; CREATE TABLE acc_cells "
         "(row_id bigint, col_id bigint, value float8, truth float8)")
    db.copy_in(f"COPY acc_cells ({cols}) FROM STDIN (FORMAT csv, HEADER true)", path)
    db.q("INSERT INTO acc_folds SELECT %s, f, s.train, s.test "
         "FROM (SELECT nmf_matrix(row_id, col_id, value) AS m FROM acc_cells) x, "
         "generate_series(1, %s) f, LATERAL nmf_split(x.m, %s, f, %s) s",
         (name, FOLDS, FOLDS, seed))
    truth = None
    if with_truth:
        r = db.q("SELECT array_agg(row_id ORDER BY row_id, col_id), array_agg(col_id ORDER BY row_id, col_id), "
                 "array_agg(truth ORDER BY row_id, col_id) FROM acc_cells")[0]
        truth = tuple(np.asarray(a) for a in r)
    db.q("DROP TABLE acc_cells")
    return truth


def load_ml100k(db, name, folder):
    db.q("DROP TABLE IF EXISTS acc_ml; CREATE TABLE acc_ml "
         "(fold int, part text, row_id bigint, col_id bigint, value float8, ts bigint)")
    for k in range(1, FOLDS + 1):
        for part in ("base", "test"):
            db.q("DROP TABLE IF EXISTS acc_ml_in; CREATE TABLE acc_ml_in "
                 "(row_id bigint, col_id bigint, value float8, ts bigint)")
            db.copy_in("COPY acc_ml_in FROM STDIN (FORMAT text)", os.path.join(folder, f"u{k}.{part}"))
            db.q("INSERT INTO acc_ml SELECT %s, %s, * FROM acc_ml_in", (k, part))
    db.q("DROP TABLE acc_ml_in")
    db.q("INSERT INTO acc_folds SELECT %s, fold, "
         "nmf_matrix(row_id, col_id, value) FILTER (WHERE part = 'base'), "
         "nmf_matrix(row_id, col_id, value) FILTER (WHERE part = 'test') "
         "FROM acc_ml GROUP BY fold", (name,))
    db.q("DROP TABLE acc_ml")


def fit_and_score(db, name, fold, call):
    """Fits `call` (SQL over the training matrix m) on one fold; its wall seconds
    (the fit alone), the score, and what the model says about itself."""
    db.q("TRUNCATE acc_model")
    db.conn.notices.clear()
    t0 = time.perf_counter()
    try:
        db.q(f"INSERT INTO acc_model SELECT {call} FROM (SELECT train AS m FROM acc_folds "
             f"WHERE set = %s AND fold = %s) f", (name, fold))
    except psycopg2.Error as e:
        return dict(error=(e.pgerror or str(e)).strip().splitlines()[0])
    sec = time.perf_counter() - t0
    warnings = [n.strip() for n in db.conn.notices if n.startswith("WARNING")]
    score, conv, wmax = db.q(
        "SELECT nmf_score(x, f.test), nmf_info(x)->'converged', "
        "greatest((SELECT max(weight) FROM nmf_w(x)), (SELECT max(weight) FROM nmf_h(x))) "
        "FROM acc_model, acc_folds f WHERE f.set = %s AND f.fold = %s", (name, fold))[0]
    return dict(rmse=float(score["rmse"]), cells=int(score["cells"]), unknown=int(score["unknown_cells"]),
                seconds=sec, converged=conv, max_weight=wmax, warnings=warnings)


# --- the report ------------------------------------------------------------

def fmt(x, nd=4):
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    if abs(x) >= 1e4:
        return f"{x:.3g}"
    return f"{x:.{nd}f}"


def machine(db, ref):
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) / 1048576
    except OSError:
        mem = float("nan")
    pg = db.q("SHOW server_version")[0][0]
    ext = db.q("SELECT extversion FROM pg_extension WHERE extname = 'nmf'")[0][0]
    threads = db.q("SHOW nmf.threads")[0][0]
    return (f"{cpu}, {os.cpu_count()} cores, {mem:.1f} GiB, Linux {platform.release()}; "
            f"PostgreSQL {pg}, nmf {ext} built from {ref}, nmf.threads = {threads}")


def table(name, calls, res, floors, note):
    """One set's Markdown table; with floors (planted sets) a column for the
    distance of each mean to the noise floor."""
    out = [f"### {name}", ""]
    if note:
        out += [note, ""]
    floor = statistics.fmean(floors[0][1]) if floors else None
    head = "| call | " + " | ".join(f"fold {k}" for k in range(1, FOLDS + 1)) + " | **mean RMSE** |" + \
        (" above the floor |" if floors else "") + " s/fold | converged | max weight |"
    out += [head, "|" + "---|" * (head.count("|") - 1)]
    def gap(m):
        if not floors:
            return ""
        return " " + ("–" if m is None else ("+" if m >= floor else "") + fmt(m - floor)) + " |"

    errors = []
    for label, sql in calls:
        rs = res[label]
        errs = [r["error"] for r in rs if "error" in r]
        ok = [r for r in rs if "error" not in r]
        cells = " | ".join(fmt(r.get("rmse")) if "error" not in r else "error" for r in rs)
        m = statistics.fmean(r["rmse"] for r in ok) if len(ok) == FOLDS else None
        secs = fmt(statistics.fmean(r["seconds"] for r in ok), 2) if ok else "–"
        conv = "–" if sql is None or not ok else f"{sum(1 for r in ok if r.get('converged'))}/{len(ok)}"
        wmax = "–" if sql is None or not ok else fmt(max(r["max_weight"] or 0.0 for r in ok), 3)
        out.append(f"| {label} | {cells} | **{fmt(m)}** |{gap(m)} {secs} | {conv} | {wmax} |")
        if errs:
            errors.append(f"{label}: “{errs[0]}”" + (f" ({len(errs)} folds)" if len(errs) > 1 else ""))
    for label, vals in floors:
        m = statistics.fmean(vals)
        out.append(f"| *{label}* | " + " | ".join(fmt(v) for v in vals) + f" | ***{fmt(m)}*** |{gap(m)} | | |")
    out.append("")
    calls_txt = "; ".join(f"{label}: `{sql}`" for label, sql in calls if sql)
    out.append(f"Calls (m = the fold's training matrix): {calls_txt}.")
    warned = {}
    for label, _ in calls:
        folds = [r["warnings"][0] for r in res[label] if r.get("warnings")]
        if folds:
            warned[f"{label} ({len(folds)} of {len(res[label])} folds)"] = folds[0]
    if errors:
        out += ["", "Errors: " + "; ".join(errors)]
    if warned:
        out.append("")
        out.append("Warnings (the first of each call): " + "; ".join(f"{k}: “{v}”" for k, v in warned.items()))
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="folder with insteval.csv and planted_*.csv")
    ap.add_argument("--out", help="also write the report here")
    ap.add_argument("--ref", default="unknown", help="what the extension was built from")
    ap.add_argument("--sets", default="insteval,movielens,planted",
                    help="comma-separated: insteval, movielens, planted (all planted_*.csv), ml-100k")
    ap.add_argument("--noises", default="0.3,0.6,1.0", help="the planted sets' noise (their file names)")
    ap.add_argument("--ml100k", help="folder with u1.base … u5.test (adds the set ml-100k)")
    ap.add_argument("--no-tune", action="store_true", help="skip the nmf_tune call")
    ap.add_argument("--tune-seconds", type=float,
                    help="max_seconds of nmf_tune on the sets other than the movie sets (default: nmf_tune's own)")
    ap.add_argument("--seed", type=int, default=1, help="the fits' seed and nmf_split's (default 1)")
    a = ap.parse_args()
    t_start = time.perf_counter()

    db = Db()
    db.q("CREATE EXTENSION IF NOT EXISTS nmf")
    db.q("DROP TABLE IF EXISTS acc_folds, acc_model")
    db.q("CREATE TABLE acc_folds (set text, fold int, train nmf_matrix, test nmf_matrix, PRIMARY KEY (set, fold))")
    db.q("CREATE TABLE acc_model (x nmf_model)")
    has_tune = db.q("SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                    "JOIN pg_extension e ON e.extnamespace = n.oid AND e.extname = 'nmf' "
                    "WHERE p.proname = 'nmf_tune'")[0][0] > 0

    sets = []  # (name, note, truth, noise)
    wanted = a.sets.split(",")
    if "insteval" in wanted:
        p = os.path.join(a.data, "insteval.csv")
        say("loading insteval")
        load_split_set(db, "insteval", p, a.seed, False)
        sets.append(("insteval", "lme4::InstEval (Debian r-cran-lme4): 2,972 students × 1,128 lecturers, "
                     f"73,421 ratings 1..5; folds: nmf_split(m, 5, k, {a.seed}).", None, None))
    if "planted" in wanted:
        for noise in a.noises.split(","):
            p = os.path.join(a.data, f"planted_{noise}.csv")
            name = f"planted σ={noise}"
            say(f"loading {name}")
            truth = load_split_set(db, name, p, a.seed, True)
            sets.append((name, f"bench/planted.py (gen_synthetic.py's model, rank 10): 2,000 × 1,000, "
                         f"100,000 ratings 1..5, noise σ = {noise}; folds: nmf_split(m, 5, k, {a.seed}).",
                         truth, float(noise)))
    if "movielens" in wanted:
        p = os.path.join(a.data, "movielens.csv")
        say("loading movielens")
        load_split_set(db, "movielens", p, a.seed, False)
        sets.append(("movielens", "dslabs::movielens (Debian r-cran-dslabs, a public MovieLens sample): "
                     "671 users × 9,066 movies, 100,004 ratings 0.5..5 in half stars; "
                     f"folds: nmf_split(m, 5, k, {a.seed}).", None, None))
    if a.ml100k:
        say("loading ml-100k")
        load_ml100k(db, "ml-100k", a.ml100k)
        sets.append(("ml-100k", "MovieLens 100k, 943 users × 1,682 movies, 100,000 ratings 1..5; "
                     "its standard folds u1..u5 (.base / .test).", None, None))

    s = a.seed
    report = ["# nmf accuracy report", "",
              f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; {machine(db, a.ref)}.", "",
              f"Test RMSE per fold (nmf_score(model, test)->>'rmse'), its mean over the {FOLDS} folds, "
              "and the mean wall seconds of one fit. converged: folds whose fit stopped on tol; "
              "max weight: the largest entry of W or H over the folds.", ""]
    if not has_tune:
        report += ["nmf_tune is not in this build: the tuned row is left out.", ""]
    elif a.no_tune:
        report += ["--no-tune: the tuned row is left out.", ""]

    for name, note, truth, noise in sets:
        tune = None
        if has_tune and not a.no_tune:
            extra = f", max_seconds => {a.tune_seconds:g}" if a.tune_seconds and name not in MOVIE_SETS else ""
            tune = f"nmf_tune(m, seed => {s}{extra})"
        calls = [("mean", None),
                 ("baseline", f"nmf(m, 10, missing => 'ignore', bias => true, max_iter => 0, seed => {s})"),
                 ("default", f"nmf(m, 10, missing => 'ignore', seed => {s})"),
                 ("default + bias", f"nmf(m, 10, missing => 'ignore', bias => true, seed => {s})")]
        if tune:
            calls.append(("tuned", tune))
        res = {label: [] for label, _ in calls}
        floors = [("noise floor (planted truth)", []), ("Bayes floor (E[rating \\| truth])", [])] \
            if truth is not None else []
        for fold in range(1, FOLDS + 1):
            tr_b, te_b = db.q("SELECT bytea(train), bytea(test) FROM acc_folds WHERE set = %s AND fold = %s",
                              (name, fold))[0]
            train, test = decode_matrix(tr_b), decode_matrix(te_b)
            keep = known(test, train)
            t0 = time.perf_counter()
            mu = float(np.mean(train[2]))
            res["mean"].append(dict(rmse=rmse(mu, test[2][keep]), seconds=time.perf_counter() - t0,
                                    cells=int(keep.sum())))
            if truth is not None:
                tr_rows, tr_cols, tv = truth
                ncols = int(max(tr_cols.max(), test[1].max())) + 1
                key = tr_rows * ncols + tr_cols
                pos = np.searchsorted(key, test[0][keep] * ncols + test[1][keep])
                if not np.array_equal(key[pos], test[0][keep] * ncols + test[1][keep]):
                    raise SystemExit(f"accuracy.py: {name}: a test cell without its planted value")
                t = np.clip(tv[pos], 1.0, 5.0)
                floors[0][1].append(rmse(t, test[2][keep]))
                floors[1][1].append(rmse(bayes_mean(tv[pos], noise), test[2][keep]))
            for label, sql in calls[1:]:
                r = fit_and_score(db, name, fold, sql)
                if "error" not in r and r["cells"] != int(keep.sum()):
                    raise SystemExit(f"accuracy.py: {name} fold {fold}: nmf_score counted {r['cells']} cells, "
                                     f"the mean {int(keep.sum())}")
                res[label].append(r)
                say(f"{name} fold {fold} {label}: " +
                    (r["error"] if "error" in r else f"rmse {r['rmse']:.4f}, {r['seconds']:.1f} s"))
        unknown = res["baseline"][0].get("unknown", 0) if res["baseline"] else 0
        cells_note = f" Scored cells per fold: {', '.join(str(r['cells']) for r in res['mean'])}" + \
            (f" (test cells of unknown rows or columns left out, e.g. {unknown} in fold 1)." if unknown else ".")
        report.append(table(name, calls, res, floors, note + cells_note))

    report.append(f"Whole run: {time.perf_counter() - t_start:.0f} s.")
    text = "\n".join(report) + "\n"
    print(text)
    if a.out:
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        with open(a.out, "w") as f:
            f.write(text)
        say(f"wrote {a.out}")
    db.q("DROP TABLE acc_folds, acc_model")


if __name__ == "__main__":
    main()
