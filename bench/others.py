# SPDX-License-Identifier: PostgreSQL
"""The peers, run as bench/peers/run_all.py's originals ran them: one process per
fit, all cores for OpenMP and OpenBLAS, peak RSS of the process from wait4()."""
import json
import os
import re
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "peers")
OPENBLAS = "/usr/lib/x86_64-linux-gnu/openblas-pthread"
SEED = 1

# method label -> how bench_sklearn.py / bench_rcppml.R are called
FITS = {
    "sklearn cd (nndsvda)": ["/usr/bin/python3", f"{PEERS}/bench_sklearn.py", "{csv}",
                             "--solver", "cd", "--init", "nndsvda"],
    "sklearn mu (nndsvda)": ["/usr/bin/python3", f"{PEERS}/bench_sklearn.py", "{csv}",
                             "--solver", "mu", "--init", "nndsvda"],
    "RcppML (2 threads)": ["Rscript", f"{PEERS}/bench_rcppml.R", "{csv}", "--peer", "rcppml"],
}


def env():
    e = dict(os.environ)
    e.pop("OPENBLAS_CORETYPE", None)
    n = str(os.cpu_count())
    e.update(OMP_NUM_THREADS=n, OPENBLAS_NUM_THREADS=n, LD_LIBRARY_PATH=OPENBLAS)
    return e


def run_process(cmd, timeout):
    """(returncode, stdout, stderr tail, wall seconds, peak RSS MB) of one child process.

    The peak RSS is /usr/bin/time's, as for ANCHORS.md's figures: the kernel's
    figure for a child of the driver itself would start from the driver's own
    peak (Python spawns with vfork, and exec keeps the old image's high-water mark).
    """
    with tempfile.NamedTemporaryFile("w+") as tv, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(["/usr/bin/time", "-v", "-o", tv.name] + cmd, env=env(), stdout=subprocess.PIPE,
                             stderr=err, text=True, cwd=PEERS)
        try:
            out, _ = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
        wall = time.perf_counter() - t0
        err.seek(0)
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", tv.read())
        return p.returncode, out, err.read()[-1500:], wall, int(m.group(1)) / 1024 if m else None


def last_json(out):
    lines = [l for l in out.splitlines() if l.startswith("{")]
    return json.loads(lines[-1]) if lines else None


def fit(method, csv, dataset, rank, iters, timeout=900):
    cmd = [a.format(csv=csv) for a in FITS[method]]
    cmd += ["--dataset", dataset, "--rank", str(rank), "--iters", str(iters), "--seed", str(SEED)]
    rc, out, err, wall, rss = run_process(cmd, timeout)
    r = last_json(out)
    if rc != 0 or r is None:
        return {"status": f"failed rc={rc}: {err.strip()[-300:]}", "peak_mb": rss}
    return {"status": "ok", "s_per_iter": r["s_per_iter"], "whole_s": r["fit_s"], "rel_err": r["rel_err"],
            "iterations": r["iterations"], "peak_mb": rss, "process_s": wall, "version": r.get("version"),
            "raw": r}


def pipeline(dsn, timeout=900):
    """psycopg2 export -> scikit-learn cd -> COPY back; the process's wall time and peak RSS."""
    rc, out, err, wall, rss = run_process(["/usr/bin/python3", f"{PEERS}/pipeline_sklearn.py", dsn], timeout)
    r = last_json(out)
    if rc != 0 or r is None:
        return {"status": f"failed rc={rc}: {err.strip()[-300:]}", "peak_mb": rss}
    st = r["stages_s"]
    return {"status": "ok", "whole_s": wall, "in_script_s": st["total_in_script"],
            "s_per_iter": st["fit"] / max(r["iterations"], 1), "rel_err": r["rel_err"],
            "iterations": r["iterations"], "peak_mb": rss, "stages": st,
            "w_rows": r["w_rows"], "h_rows": r["h_rows"]}
