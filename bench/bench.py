#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""The benchmark driver; bench/run.sh starts the cluster and calls it.

    /usr/bin/python3 bench/bench.py --so NMF.SO --data DIR --psql PSQL [insteval|S|M|all|perf ...]
    /usr/bin/python3 bench/bench.py --render STAMP    # the table of bench/results/run-STAMP again

Per data set (ANCHORS.md's settings): load the CSV into a table by COPY, build the
matrix with the aggregate serially and in parallel, store it, then in each rep our
solvers (every one this build accepts among hals and mu) and the peers
(scikit-learn cd and mu with nndsvda, RcppML), and on S the whole user path, ours
(psql) against psycopg2 -> scikit-learn -> COPY. Prints one table of medians and
writes it, with every raw record, to bench/results/.
"""
import argparse
import datetime
import hashlib
import json
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "peers"))
import others  # noqa: E402
import ours  # noqa: E402
import hotspots as prof  # noqa: E402
from report import render  # noqa: E402

DATASETS = {  # name: (csv, rank, iterations) as in ANCHORS.md
    "insteval": ("insteval.csv", 10, 100),
    "S": ("synth_S.csv", 20, 100),
    "M": ("synth_M.csv", 20, 50),
}
SOLVERS = ("hals", "mu")
PEER_INIT = "nndsvda"


def say(*a):
    print("==", *a, flush=True)


def md5(path):
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def machine():
    model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem = next((int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
    git = lambda *a: subprocess.run(["git", *a], cwd=HERE, capture_output=True, text=True).stdout.strip()
    return {"nproc": os.cpu_count(), "cpu": model, "mem_gib": round(mem / 2**20, 1),
            "kernel": platform.release(), "commit": git("rev-parse", "--short", "HEAD"),
            "dirty": bool(git("status", "--porcelain", "--", "src", "nmf--0.1.sql", "Makefile")),
            "loadavg_start": open("/proc/loadavg").read().split()[:3]}


def new_run(prefix, ref, so):
    """A run's results folder, stamp, raw-records path and environment (the
    machine, the commit or ref, nmf.so's md5, the date)."""
    outdir = os.path.join(HERE, "results")
    os.makedirs(outdir, exist_ok=True)
    now = datetime.datetime.utcnow()
    stamp = now.strftime("%Y%m%d-%H%M%S")
    env = machine()
    if ref:
        env.update(commit=ref, dirty=False)
    env.update(so_md5=md5(so), date=now.strftime("%Y-%m-%d %H:%M UTC"))
    return outdir, stamp, os.path.join(outdir, f"{prefix}-{stamp}.jsonl"), env


def bandwidth():
    """One core's streaming bandwidth in GB/s: a 256 MB read (sum) and copy (read + write)."""
    import numpy as np
    a = np.ones(32 * 2**20)
    b = np.empty_like(a)
    best = lambda f: min((lambda t0: (f(), time.perf_counter() - t0)[1])(time.perf_counter()) for _ in range(5))
    read = a.nbytes / best(lambda: a.sum()) / 1e9
    copy = 2 * a.nbytes / best(lambda: np.copyto(b, a)) / 1e9
    return {"read_gbs": round(read, 1), "copy_gbs": round(copy, 1)}


def fmt_spi(r):
    return f"{r['s_per_iter']:.4f}" if r.get("s_per_iter") else r.get("status")


def rerender(stamp):
    """Prints the table of an earlier run again from bench/results/run-STAMP.{jsonl,env.json}."""
    base = os.path.join(HERE, "results", f"run-{stamp}")
    records = [json.loads(l) for l in open(base + ".jsonl")]
    saved = json.load(open(base + ".env.json"))
    print(render(records, saved["env"], saved["perf"]))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--render":
        return rerender(sys.argv[2])
    ap = argparse.ArgumentParser()
    ap.add_argument("targets", nargs="*", default=["all"])
    ap.add_argument("--so", required=True, help="the nmf.so the cluster loads (its md5 is reported)")
    ap.add_argument("--data", required=True)
    ap.add_argument("--psql", default="psql")
    ap.add_argument("--floor", help="bench/floor.cpp built: the kernels' floor, with perf")
    ap.add_argument("--ref", default="", help="the commit the nmf.so was built from")
    ap.add_argument("--reps", type=int, default=int(os.environ.get("BENCH_REPS", 3)))
    ap.add_argument("--reps-m", type=int, default=int(os.environ.get("BENCH_REPS_M", 1)))
    ap.add_argument("--skip-peers", action="store_true", default=os.environ.get("BENCH_SKIP_PEERS") == "1")
    a = ap.parse_args()
    targets = set(a.targets)
    sets = [d for d in DATASETS if d in targets or "all" in targets]
    if "all" in targets:
        targets.add("perf")
    if "perf" in targets and "M" not in sets:
        sets.append("M")
    outdir, stamp, raw_path, env = new_run("run", a.ref, a.so)
    env.update(command=" ".join([f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("BENCH_")]
                                + ["bash bench/run.sh"] + a.targets))
    say(f"machine: {env['nproc']} x {env['cpu']}, commit {env['commit']}{' (dirty)' if env['dirty'] else ''},"
        f" nmf.so md5 {env['so_md5']}")
    records = []

    def add(rec):
        records.append(rec)
        with open(raw_path, "a") as f:
            f.write(json.dumps(rec, default=str) + "\n")
        show = {k: (round(v, 5) if isinstance(v, float) else v) for k, v in rec.items()
                if k in ("status", "s_per_iter", "whole_s", "rel_err", "peak_mb")}
        say(rec["dataset"], rec["method"], f"rep {rec.get('rep', '-')}", show)

    conn = ours.connect()
    ours.run(conn, "CREATE EXTENSION IF NOT EXISTS nmf")
    solvers, skipped = [], []
    for s in SOLVERS:
        ok, why = ours.accepts(conn, "solver", s)
        (solvers.append(s) if ok else skipped.append(f"solver {s} skipped: this build rejects it ({why})"))
    ok, why = ours.accepts(conn, "init", PEER_INIT)
    init = PEER_INIT if ok else "random"
    if not ok:
        skipped.append(f"init {PEER_INIT} not in this build ({why}): our fits use init 'random'")
    pg_version = ours.run(conn, "SHOW server_version")[0][0]
    for s in skipped:
        say(s)
    env.update(solvers=solvers, init=init, skipped=skipped, pg=pg_version, bandwidth=bandwidth())
    say("bandwidth (one core):", env["bandwidth"])

    dsn = f"host={os.environ['PGHOST']} port={os.environ['PGPORT']} user={os.environ['PGUSER']} dbname=postgres"
    perf = []
    for ds in sets:
        csv_name, rank, iters = DATASETS[ds]
        csv = os.path.join(a.data, csv_name)
        reps = a.reps_m if ds == "M" else a.reps
        peer_fits = ds in targets or "all" in targets  # M for perf only: no peers
        base = {"dataset": ds, "rank": rank, "iters": iters}
        table, mat = f"data_{ds.lower()}", f"mat_{ds.lower()}"
        secs, n = ours.load(conn, table, csv)
        add(dict(base, method=f"COPY {n:,} rows into a table", kind="load", status="ok", whole_s=secs))
        b = ours.build_times(table, max(reps, 3))
        for mode in ("serial", "parallel"):
            w = b[mode]["workers"]
            label = "matrix build (aggregate), serial" if mode == "serial" else \
                f"matrix build (aggregate), parallel ({w} workers planned{', Partial Aggregate' if b[mode]['partial'] else ''})"
            for i, t in enumerate(b[mode]["secs"]):
                add(dict(base, method=label, kind=f"build-{mode}", status="ok", whole_s=t, rep=i + 1))
        minfo = ours.store_matrix(conn, table, mat)
        env.setdefault("matrices", {})[ds] = minfo
        if ds != "M":
            X = None
            for s in solvers:
                if X is None:
                    from peers_common import load_triplets
                    X = load_triplets(csv)
                mine, theirs = ours.crosscheck(mat, rank, iters, s, init, X)
                env.setdefault("crosscheck", []).append(
                    {"dataset": ds, "solver": s, "nmf_info": mine, "peers_formula": theirs})
                say(f"{ds} {s}: relative_error {mine:.6f}, peers' formula on W, H read back {theirs:.6f}")
        if ds == "S" and peer_fits:
            ours.load(conn, "ratings", csv, "user_id bigint, item_id bigint, rating real")
        for rep in range(1, reps + 1 if peer_fits else 1):
            for s in solvers:
                r = ours.fit(mat, rank, iters, s, init)
                add(dict(base, method=f"nmf {s} ({init})", kind="ours", solver=s, rep=rep, **r))
            if not a.skip_peers:
                for m in others.FITS:
                    add(dict(base, method=m, kind="peer", rep=rep, **others.fit(m, csv, ds, rank, iters)))
            if ds == "S":
                s = solvers[0]
                r = ours.user_path(a.psql, s, init, rank, iters)
                add(dict(base, dataset="S path", method=f"psql: ratings → model, w, h tables (nmf {s})",
                         kind="path-ours", solver=s, rep=rep, **r))
                if not a.skip_peers:
                    add(dict(base, dataset="S path", method="psycopg2 → sklearn cd → COPY back",
                             kind="path-peer", rep=rep, **others.pipeline(dsn)))
        if ds == "S" and peer_fits:
            for s in solvers:
                tr = ours.threads_runs(mat, rank, iters, s, init)
                if tr is None:
                    break
                env.setdefault("threads", []).append({"dataset": ds, "solver": s, "runs": tr})
                say(f"{ds} {s} with nmf.threads = 1, 2:", tr)
        if ds == "M" and "perf" in targets:
            for s in solvers:
                r, flat, hot, txt = prof.fit(mat, rank, iters, s, init, outdir)
                add(dict(base, method=f"nmf {s} ({init}) under perf", kind="perf", solver=s, **r))
                perf.append({"what": f"a fit on M, solver {s}: {fmt_spi(r)} s/iteration under perf",
                             "flat": flat, "hot": hot, "file": txt})
            bp = prof.build(table, outdir)
            perf.append({"what": f"the serial matrix build of M ({bp['serial_s_under_perf']:.2f} s under perf)",
                         "flat": bp["flat"], "hot": bp["hot"], "file": f"{outdir}/perf-build-{table}.txt"})
            env["explain"] = bp["plans"]
            if a.floor:
                for fds in ("S", "M"):
                    fcsv, frank, _ = DATASETS[fds]
                    out = subprocess.run([a.floor, os.path.join(a.data, fcsv), str(frank)],
                                         capture_output=True, text=True).stdout
                    env.setdefault("floor", {})[fds] = json.loads(out) if out.startswith("{") else None
                    say(f"floor.cpp on {fds}:", out.strip())
            for p in perf:
                say("perf:", p["what"])
                for l in p["flat"] + p["hot"]:
                    print("   ", l)
        ours.run(conn, f"DROP TABLE IF EXISTS {table}, {mat}")
    conn.close()
    env["so_md5_end"] = md5(a.so)
    env["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    with open(os.path.join(outdir, f"run-{stamp}.env.json"), "w") as f:
        json.dump({"env": env, "perf": perf}, f, default=str)
    md = render(records, env, perf)
    md_path = os.path.join(outdir, f"run-{stamp}.md")
    open(md_path, "w").write(md)
    print()
    print(md)
    say(f"written: {md_path} (table) and {raw_path} (every run)")


if __name__ == "__main__":
    main()
