#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""The peer benchmark (issue 22 item 6); `bash bench/run.sh peers` starts the cluster and calls it.

    /usr/bin/python3 bench/peers_bench.py --so NMF.SO --data DIR [--ref COMMIT] [SET ...]

Per data set and solver pair, one run each, side by side: nmf through SQL on
the private server (a matrix stored in a table, nndsvda, tol 0, seed 1) and
scikit-learn (bench/peers/peer_fit.py: nndsvda, tol 0) or RcppML
(bench/peers/peer_rcppml.R, its own start), each in its own process on
OpenBLAS with the CPU's own kernel. Prints one Markdown table and writes it
with the raw records to bench/results/peers-STAMP.{md,jsonl,env.json};
`bench/peers_bench.py --doc STAMP` puts that table into docs/performance.md.

Time to the peer's final error: the peer's iterations' seconds, against the
solver seconds of nmf's loss history (nmf_loss_history: the seconds of the
iterations so far, the start excluded on both sides) at the first iteration
whose error is at most the peer's final error. nmf's loss is converted to
the peer's measure exactly: for frobenius the loss is ||X - WH||_F^2 over
every cell (absent cells are zeros), so the error is sqrt(loss) / ||X||_F,
the relative error scikit-learn's figures use (peers_common.rel_err); for KL
both are the generalised divergence sum(x log(x/y) - x + y) over every cell.
The final model's W and H are read back and the peer's own formula applied
to them: the "check" column, which must equal nmf's converted final error.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "peers")
sys.path.insert(0, HERE)
sys.path.insert(0, PEERS)
import ours  # noqa: E402
from bench import new_run  # noqa: E402
from nmftest import MemorySampler, proc_status  # noqa: E402
from peers_common import load_triplets, rel_err  # noqa: E402

OPENBLAS = "/usr/lib/x86_64-linux-gnu/openblas-pthread"
SEED = 1
DOC_BEGIN = "<!-- bench/peers_bench.py --doc: begin -->"
DOC_END = "<!-- bench/peers_bench.py --doc: end -->"
# More arguments of every nmf() call, e.g. ", threads => 1" (BENCH_NMF_OPTS).
NMF_OPTS = os.environ.get("BENCH_NMF_OPTS", "")
# nmf runs this many times the peer's iterations (BENCH_NMF_MORE, default 2), so
# that the time to the peer's final error is measured where nmf needs more
# iterations; its final error is read at the peer's iteration count.
NMF_MORE = float(os.environ.get("BENCH_NMF_MORE", "2"))
PAIRS = {  # label: (nmf solver, nmf loss, peer, peer's solver)
    "hals vs cd": ("hals", "frobenius", "sklearn", "cd"),
    "mu vs mu": ("mu", "frobenius", "sklearn", "mu"),
    "KL mu vs mu": ("mu", "kl", "sklearn", "mu"),
    "hals vs RcppML": ("hals", "frobenius", "rcppml", None),
}
# name: (file, rank, iterations, pairs, what it is)
SETS = {
    "faces": ("faces.f64", 16, 200, ["hals vs cd", "mu vs mu", "KL mu vs mu", "hals vs RcppML"],
              "dense 400 × 4,096, planted, 0–242"),
    "dense": ("dense.f64", 20, 100, ["hals vs cd", "mu vs mu", "hals vs RcppML"],
              "dense 5,000 × 2,000, planted, 0–242"),
    "words": ("words.csv", 20, 100, ["KL mu vs mu"], "Debian descriptions, word counts"),
    "insteval": ("insteval.csv", 10, 100, ["hals vs cd", "mu vs mu", "hals vs RcppML"], "lme4::InstEval"),
    "S": ("synth_S.csv", 20, 100, ["hals vs cd", "mu vs mu", "hals vs RcppML"], "planted ratings S"),
}


def say(*a):
    print("==", *a, flush=True)


def peer_env():
    e = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    n = str(os.cpu_count())
    e.update(OMP_NUM_THREADS=n, OPENBLAS_NUM_THREADS=n, LD_LIBRARY_PATH=OPENBLAS)
    return e


def peer_fit(peer, solver, loss, path, rank, iters):
    if peer == "sklearn":
        cmd = ["/usr/bin/python3", f"{PEERS}/peer_fit.py", path, "--solver", solver, "--loss", loss]
    else:
        cmd = ["Rscript", f"{PEERS}/peer_rcppml.R", path]
    cmd += ["--rank", str(rank), "--iters", str(iters), "--seed", str(SEED)]
    p = subprocess.run(cmd, env=peer_env(), capture_output=True, text=True, cwd=PEERS, timeout=1800)
    if p.returncode == 3:
        sys.exit(f"== peers: FAILED: {p.stderr.strip()}")
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    if p.returncode != 0 or not lines:
        return {"status": f"failed rc={p.returncode}: {p.stderr.strip()[-300:]}"}
    return dict(json.loads(lines[-1]), status="ok")


def load_matrix(conn, name, path):
    """The set into a table, then its matrix into table mat_NAME: dense sets by the row-array
    aggregate (one float8[] per row), sparse ones by the cell aggregate."""
    table, mat = f"data_{name}", f"mat_{name}"
    if path.endswith(".f64"):
        ours.load(conn, table, path[:-4] + ".rows.csv", "row_id bigint, \"values\" float8[]")
        ours.run(conn, f"DROP TABLE IF EXISTS {mat}; CREATE TABLE {mat} AS "
                       f"SELECT nmf_matrix(row_id, \"values\") AS m FROM {table}")
        info = ours.run(conn, f"SELECT nmf_matrix_info(m) FROM {mat}")[0][0]
    else:
        ours.load(conn, table, path)
        info = ours.store_matrix(conn, table, mat)
    ours.run(conn, f"DROP TABLE {table}")
    return mat, info


def read_x(path):
    if path.endswith(".f64"):
        meta = json.load(open(path[:-4] + ".json"))
        return np.fromfile(path, dtype=np.float64).reshape((meta["cols"], meta["rows"])).T.copy()
    return load_triplets(path)


def peer_error(X, W, H, loss):
    if loss == "frobenius":
        return rel_err(X, W, H)
    from sklearn.decomposition._nmf import _beta_divergence
    return float(_beta_divergence(X, W, H, 1))


def nmf_fit(mat, rank, iters, solver, loss, X, normx):
    """One fit on a fresh backend: seconds, the error per iteration in the peer's measure,
    the backend's memory during the fit, and the check of the conversion."""
    conn = ours.connect("nmf-peers")
    ours.run(conn, "SELECT nmf_matrix('{{1}}'::float8[]) IS NOT NULL")  # the library is loaded
    pid = ours.run(conn, "SELECT pg_backend_pid()")[0][0]
    base_hwm, base_anon = proc_status(pid, "VmHWM") or 0, proc_status(pid, "RssAnon") or 0
    sampler = MemorySampler(pid, every=0.01)
    sampler.start()
    call = (f"nmf(m, {rank}, solver => '{solver}', loss => '{loss}', init => 'nndsvda', "
            f"max_iter => {max(iters, round(iters * NMF_MORE))}, tol => 0, seed => {SEED}{NMF_OPTS})")
    t0 = time.perf_counter()
    try:
        ours.run(conn, f"CREATE TEMP TABLE fitted AS SELECT {call} AS model FROM {mat}")
    except Exception as e:  # noqa: BLE001 - any failure is a row of the table
        sampler.stop()
        conn.close()
        return {"status": f"failed: {str(e).strip().splitlines()[0]}"}
    whole = time.perf_counter() - t0
    hwm = proc_status(pid, "VmHWM") or 0
    sampler.stop()
    info, its, losses, secs = ours.run(
        conn, "SELECT nmf_info(model), " + ", ".join(
            f"array(SELECT {c} FROM nmf_loss_history(model) ORDER BY iteration)"
            for c in ("iteration", "loss", "seconds")) + " FROM fitted")[0]
    W = np.zeros((X.shape[0], rank))
    H = np.zeros((rank, X.shape[1]))
    for i, ws in ours.run(conn, "SELECT w.id, w.weights FROM fitted, nmf_w_wide(fitted.model) w"):
        W[i - 1] = ws
    for j, hs in ours.run(conn, "SELECT h.id, h.weights FROM fitted, nmf_h_wide(fitted.model) h"):
        H[:, j - 1] = hs
    conn.close()
    if not losses:
        return {"status": "failed: the model has no loss history (set BENCH_NMF_OPTS to ask for one)"}
    errors = [np.sqrt(max(l, 0.0)) / normx if loss == "frobenius" else l for l in losses]
    at_iters = [e for it, e in zip(its, errors) if it <= iters]
    return {"status": "ok", "iterations": info["iterations"], "seconds": info["seconds"],
            "s_per_iter": info["seconds"] / max(info["iterations"], 1), "whole_s": whole,
            "error": at_iters[-1] if at_iters else errors[-1], "error_iteration": its[len(at_iters) - 1]
            if at_iters else its[-1], "last_error": errors[-1],
            "check": peer_error(X, W, H, loss), "relative_error": info["relative_error"],
            "errors": errors, "secs": secs, "its": its, "data_fit_mb": (hwm - base_hwm) / 1024,
            "anon_mb": (sampler.anon_kb - base_anon) / 1024, "backend_peak_mb": hwm / 1024}


def reach(o, target):
    """(seconds, iterations) of nmf's first iteration whose error is at most target, or None."""
    for i, e in enumerate(o["errors"]):
        if e <= target:
            return o["secs"][i], o["its"][i]
    return None


def fmt(v, spec, none="—"):
    return none if v is None else format(v, spec)


def err_fmt(v, loss):
    return fmt(v, ",.0f" if loss == "kl" else ".5f")


def render(rows, env):
    L = [f"Command: `{env['command']}`  ",
         f"Date: {env['date']}; machine: {env['nproc']} cores, {env['cpu']}, {env['mem_gib']} GiB, Linux "
         f"{env['kernel']}, PostgreSQL {env['pg']}  ",
         f"Build measured: commit {env['commit']}{' + uncommitted changes' if env['dirty'] else ''}, "
         f"nmf.so md5 {env['so_md5']}; nmf.threads {env['threads']}  ",
         f"Load average at start {' '.join(env['loadavg_start'])}, at end {' '.join(env['loadavg_end'])}  ",
         f"scikit-learn {env.get('sklearn', '?')} on {env.get('blas', '?')}; RcppML {env.get('rcppml', '?')}; "
         f"one process per fit, {env['nproc']} OpenMP/OpenBLAS threads; dropped from the peers' environment: "
         f"{', '.join(env['dropped']) or 'nothing (neither OPENBLAS_CORETYPE nor OPENBLAS_L2_SIZE was set)'}  "]
    L += [f"Set {k}: {v}  " for k, v in env["sets"].items()]
    L += ["", "| set | rank, iterations | pair | ms / iteration: nmf, peer (peer ÷ nmf) | final error: nmf, peer "
              "| time to the peer's final error: nmf (iterations), peer (peer ÷ nmf) "
              "| memory MB, data + fit: nmf (private), peer |",
          "|---|---|---|---|---|---|---|"]
    for r in rows:
        o, p = r["nmf"], r["peer"]
        head = f"| {r['set']} | {r['rank']}, {r['iters']} | {r['pair']} |"
        if o["status"] != "ok" or p["status"] != "ok":
            L.append(f"{head} nmf: {o['status']}; peer: {p['status']} | | | |")
            continue
        loss = r["loss"]
        t = reach(o, p["error"])
        tt = (f"{1000 * t[0]:.0f} ms ({t[1]}), {1000 * p['iter_s']:.0f} ms ({p['iter_s'] / t[0]:.2f})" if t
              else f"not reached in {o['iterations']} (last error {100 * (o['last_error'] / p['error'] - 1):+.4f} %), "
                   f"{1000 * p['iter_s']:.0f} ms")
        L.append(f"{head} {1000 * o['s_per_iter']:.2f}, {1000 * p['s_per_iter']:.2f} "
                 f"({p['s_per_iter'] / o['s_per_iter']:.2f}) | {err_fmt(o['error'], loss)}, "
                 f"{err_fmt(p['error'], loss)} | {tt} | {o['data_fit_mb']:.0f} ({o['anon_mb']:.0f}), "
                 f"{p['data_fit_mb']:.0f} |")
    L += ["", "Error: ‖X − WH‖_F / ‖X‖_F for frobenius, the generalised KL divergence for KL (every cell, "
              "absent ones as zeros); nmf's final error is its error after the peer's number of iterations "
              "(nmf runs BENCH_NMF_MORE = " f"{NMF_MORE:g}" " times as many, so that the time to the peer's "
              "error can be measured where it needs more). ms / iteration: nmf = `nmf_info`'s seconds / "
              "iterations (all it ran), scikit-learn = `fit_transform(init='custom')` / n_iter, RcppML = its whole call "
              "(its start included) / iterations. Time to the peer's final error: nmf's solver seconds "
              "(`nmf_loss_history`) at its first iteration at or below the peer's final error; the peer's "
              "iterations' seconds; the start excluded on both sides. Memory, data + fit: nmf = the backend's "
              "VmHWM after the fit minus before it on a fresh connection with the library loaded (the matrix "
              "read from its table, shared buffers it touched included), in brackets its private memory "
              "(peak RssAnon sampled every 10 ms, minus before); peers = the process's peak resident set minus "
              "its resident set before reading the data (the kernel's peak reset once the data is in memory), "
              "so interpreter and libraries are left out on both sides. One run of each; ratios > 1: nmf is "
              "faster.", ""]
    L += ["Checks: nmf's final error by the peer's own formula on W and H read back "
          "(`nmf_w_wide`, `nmf_h_wide`) against the error converted from its loss:"]
    seen = set()
    for r in rows:
        o = r["nmf"]
        key = (r["set"], r["solver"], r["loss"])
        if o["status"] == "ok" and key not in seen:
            seen.add(key)
            L.append(f"- {r['set']} nmf {r['solver']} {r['loss']}: {o['check']:.10g} vs {o['last_error']:.10g}"
                     f" (relative gap {abs(o['check'] - o['last_error']) / max(abs(o['last_error']), 1e-300):.1e})")
    return "\n".join(L) + "\n"


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--doc":
        return to_doc(sys.argv[2])
    ap = argparse.ArgumentParser()
    ap.add_argument("sets", nargs="*")
    ap.add_argument("--so", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--ref", default="")
    a = ap.parse_args()
    named = [s for s in a.sets if s != "peers"]
    sets = [s for s in SETS if not named or s in named]
    outdir, stamp, raw, env = new_run("peers", a.ref, a.so)
    env.update(dropped=[k for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ],
               command=" ".join([f"BENCH_NMF_OPTS='{NMF_OPTS}'"] * bool(NMF_OPTS) + ["bash bench/run.sh peers"] + named),
               sets={})
    conn = ours.connect()
    ours.run(conn, "CREATE EXTENSION IF NOT EXISTS nmf")
    env["pg"] = ours.run(conn, "SHOW server_version")[0][0]
    env["threads"] = ours.run(conn, "SELECT current_setting('nmf.threads', true)")[0][0]
    rows = []
    for name in sets:
        fname, rank, iters, pairs, what = SETS[name]
        path = os.path.join(a.data, fname)
        mat, minfo = load_matrix(conn, name, path)
        X = read_x(path)
        normx = float(np.sqrt((X.data ** 2).sum() if hasattr(X, "tocsr") else (X ** 2).sum()))
        env["sets"][name] = (f"{what}: {X.shape[0]:,} × {X.shape[1]:,}, {minfo['nnz']:,} cells stored "
                             f"(nmf_matrix_info density {minfo['density']:.3g})")
        say(name, env["sets"][name])
        done = {}
        for label in pairs:
            solver, loss, peer, psolver = PAIRS[label]
            if (solver, loss) not in done:
                done[(solver, loss)] = nmf_fit(mat, rank, iters, solver, loss, X, normx)
            o = done[(solver, loss)]
            p = peer_fit(peer, psolver, loss, path, rank, iters)
            if p["status"] == "ok":
                if peer == "sklearn":
                    b = p["blas"][0]
                    env["sklearn"] = p["version"]
                    env["blas"] = (f"{b['internal_api']} {b['version']}, kernel {b['architecture']}, "
                                   f"{b['num_threads']} threads ({b['filepath']}; threadpoolctl)")
                else:
                    env["rcppml"] = f"{p['version']} ({p['blas']})"
            row = {"set": name, "rank": rank, "iters": iters, "pair": label, "solver": solver, "loss": loss,
                   "nmf": o, "peer": p}
            rows.append(row)
            with open(raw, "a") as f:
                f.write(json.dumps(row, default=str) + "\n")
            say(name, label, "nmf", {k: o.get(k) for k in ("status", "s_per_iter", "error", "check", "data_fit_mb")},
                "peer", {k: p.get(k) for k in ("status", "s_per_iter", "error", "data_fit_mb")})
        ours.run(conn, f"DROP TABLE {mat}")
    conn.close()
    env["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    json.dump(env, open(os.path.join(outdir, f"peers-{stamp}.env.json"), "w"))
    md = render(rows, env)
    path = os.path.join(outdir, f"peers-{stamp}.md")
    open(path, "w").write(md)
    print()
    print(md)
    say(f"written: {path} (table), {raw} (every run); into docs/performance.md with: "
        f"/usr/bin/python3 bench/peers_bench.py --doc {stamp}")


def to_doc(stamp):
    """Renders run STAMP again from its records and puts the table into docs/performance.md,
    between its two marker lines."""
    base = os.path.join(HERE, "results", f"peers-{stamp}")
    rows = [json.loads(l) for l in open(base + ".jsonl")]
    md = render(rows, json.load(open(base + ".env.json")))
    doc = os.path.join(HERE, "..", "docs", "performance.md")
    text = open(doc).read()
    head, rest = text.split(DOC_BEGIN + "\n", 1)
    _, tail = rest.split(DOC_END, 1)
    open(doc, "w").write(head + DOC_BEGIN + "\n" + md + DOC_END + tail)
    say(f"docs/performance.md: the peer table of run {stamp}")


if __name__ == "__main__":
    main()
