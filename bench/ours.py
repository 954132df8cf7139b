# SPDX-License-Identifier: PostgreSQL
"""Our side of the benchmark, against the cluster in PGHOST/PGPORT/PGUSER.

Every fit runs on a fresh connection, so the backend's VmHWM (peak resident
set, kept by the kernel for the process's whole life) is the peak of that one
call. A thread also samples RssAnon (the backend's private memory, without the
shared buffers it touched) every 20 ms.
"""
import os
import re
import statistics
import subprocess
import sys
import time

import psycopg2

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "lib"))
from nmftest import MemorySampler, proc_status  # noqa: E402

SEED = 1
PATH_STAGES = ("begin", "model (build + fit)", "w table", "h table", "commit")
PATH_SQL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "path.sql")


def connect(appname="nmf-bench"):
    conn = psycopg2.connect(dbname="postgres", application_name=appname)
    conn.autocommit = True
    return conn


def run(conn, sql, args=None):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else None


def accepts(conn, option, value):
    """True when nmf() accepts option => value; the reason when it does not."""
    try:
        run(conn, f"SELECT nmf(nmf_matrix('{{{{1,2}},{{3,4}}}}'::float8[]), 1, {option} => %s, "
                  "max_iter => 1) IS NOT NULL", (value,))
        return True, ""
    except psycopg2.Error as e:
        return False, f"{e.pgcode}: {e.pgerror.strip().splitlines()[0] if e.pgerror else e}"


def load(conn, table, csv, columns="row_id bigint, col_id bigint, value float8"):
    """CREATE TABLE + COPY the CSV (header row_id,col_id,value); seconds of the COPY."""
    run(conn, f"DROP TABLE IF EXISTS {table}; CREATE TABLE {table} ({columns})")
    t0 = time.perf_counter()
    with conn.cursor() as cur, open(csv) as f:
        cur.copy_expert(f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)", f)
    secs = time.perf_counter() - t0
    run(conn, f"VACUUM ANALYZE {table}")  # hint bits and statistics, so every build scans alike
    return secs, run(conn, f"SELECT count(*) FROM {table}")[0][0]


BUILD = "SELECT nmf_matrix(row_id, col_id, value) IS NOT NULL FROM {t}"


def build_times(table, reps):
    """The aggregate over the table, serial and parallel, alternating; seconds per mode."""
    out = {}
    conn = connect()
    for mode, workers in (("serial", 0), ("parallel", 2)):
        run(conn, f"SET max_parallel_workers_per_gather = {workers}")
        plan = "\n".join(r[0] for r in run(conn, "EXPLAIN " + BUILD.format(t=table)))
        m = re.search(r"Workers Planned: (\d+)", plan)
        out[mode] = {"workers": int(m.group(1)) if m else 0, "partial": "Partial Aggregate" in plan,
                     "secs": []}
    for _ in range(reps):
        for mode, workers in (("serial", 0), ("parallel", 2)):
            run(conn, f"SET max_parallel_workers_per_gather = {workers}")
            t0 = time.perf_counter()
            run(conn, BUILD.format(t=table))
            out[mode]["secs"].append(time.perf_counter() - t0)
    conn.close()
    return out


def store_matrix(conn, table, mat):
    run(conn, f"DROP TABLE IF EXISTS {mat}; "
              f"CREATE TABLE {mat} AS SELECT nmf_matrix(row_id, col_id, value) AS m FROM {table}")
    return run(conn, f"SELECT nmf_matrix_info(m) FROM {mat}")[0][0]


def fit_call(rank, iters, solver, init):
    """The nmf() call on column m: fixed iterations (tol => 0), a fixed seed."""
    return (f"nmf(m, {int(rank)}, solver => '{solver}', init => '{init}', max_iter => {int(iters)}, "
            f"tol => 0, seed => {SEED})")


def fit(mat, rank, iters, solver, init, on_pid=None):
    """One fit on a fresh backend: the summary, the whole call's seconds, peak memory."""
    conn = connect()
    pid = run(conn, "SELECT pg_backend_pid()")[0][0]
    base_kb = proc_status(pid, "VmHWM")
    sampler = MemorySampler(pid)
    sampler.start()
    hook = on_pid(pid) if on_pid else None
    t0 = time.perf_counter()
    try:
        info = run(conn, f"SELECT nmf_info({fit_call(rank, iters, solver, init)}) FROM {mat}")[0][0]
        status = "ok"
    except psycopg2.Error as e:
        info, status = None, f"failed {e.pgcode}: {(e.pgerror or str(e)).strip().splitlines()[0]}"
    whole = time.perf_counter() - t0
    if hook:
        hook()
    hwm_kb = proc_status(pid, "VmHWM")
    sampler.stop()
    threads = run(conn, "SELECT current_setting('nmf.threads', true)")[0][0]
    conn.close()
    rec = {"status": status, "whole_s": whole, "peak_mb": (hwm_kb or 0) / 1024,
           "anon_peak_mb": sampler.anon_kb / 1024, "backend_start_mb": (base_kb or 0) / 1024,
           "nmf_threads": threads}
    if info:
        rec.update(info=info, iterations=info["iterations"], seconds=info["seconds"],
                   s_per_iter=info["seconds"] / max(info["iterations"], 1),
                   rel_err=info["relative_error"])
    return rec


def crosscheck(mat, rank, iters, solver, init, X):
    """Our relative_error against peers_common.rel_err on W and H read back (ids are 1..n)."""
    import numpy as np
    from peers_common import rel_err
    conn = connect()
    run(conn, f"CREATE TEMP TABLE chk AS SELECT {fit_call(rank, iters, solver, init)} AS model FROM {mat}")
    info = run(conn, "SELECT nmf_info(model) FROM chk")[0][0]
    W = np.zeros((X.shape[0], rank))
    H = np.zeros((rank, X.shape[1]))
    for i, ws in run(conn, "SELECT w.id, w.weights FROM chk, nmf_w_wide(chk.model) w"):
        W[i - 1] = ws
    for j, hs in run(conn, "SELECT h.id, h.weights FROM chk, nmf_h_wide(chk.model) h"):
        H[:, j - 1] = hs
    conn.close()
    return info["relative_error"], rel_err(X, W, H)


FACTORS_MD5 = ("SELECT (SELECT md5(string_agg(w.id || ':' || w.weights::text, ';' ORDER BY w.id)) "
               "FROM fitted, nmf_w_wide(fitted.model) w), "
               "(SELECT md5(string_agg(h.id || ':' || h.weights::text, ';' ORDER BY h.id)) "
               "FROM fitted, nmf_h_wide(fitted.model) h), (SELECT nmf_info(model) FROM fitted)")


def threads_runs(mat, rank, iters, solver, init, counts=(1, 2), setting="nmf.threads"):
    """The same fit with nmf.threads = 1 and 2: seconds per iteration and the md5 of W and H
    (text output of float8 is exact, so equal md5s mean bit-identical factors).
    None when this build has no nmf.threads."""
    out = []
    for n in counts:
        conn = connect()
        run(conn, "SELECT nmf_matrix('{{1}}'::float8[]) IS NOT NULL")  # loads the library and its settings
        if run(conn, "SELECT current_setting(%s, true)", (setting,))[0][0] is None:
            conn.close()
            return None
        run(conn, f"SET {setting} = '{n}'")
        run(conn, f"CREATE TEMP TABLE fitted AS SELECT {fit_call(rank, iters, solver, init)} AS model FROM {mat}")
        w_md5, h_md5, info = run(conn, FACTORS_MD5)[0]
        conn.close()
        out.append({"threads": n, "w_md5": w_md5, "h_md5": h_md5, "iterations": info["iterations"],
                    "s_per_iter": info["seconds"] / max(info["iterations"], 1), "rel_err": info["relative_error"]})
    return out


def user_path(psql, solver, init, rank, iters):
    """ratings -> model, w, h tables by psql -f path.sql: process wall, backend peak, summary."""
    conn = connect("nmf-bench-ctl")
    run(conn, "DROP TABLE IF EXISTS model, w, h")
    env = dict(os.environ, PGAPPNAME="nmf-bench-path", PGDATABASE="postgres")
    cmd = [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", f"solver={solver}", "-v", f"init={init}",
           "-v", f"rank={rank}", "-v", f"iters={iters}", "-v", f"seed={SEED}", "-f", PATH_SQL]
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = None
    while p.poll() is None and sampler is None:
        rows = run(conn, "SELECT pid FROM pg_stat_activity WHERE application_name = 'nmf-bench-path'")
        if rows:
            sampler = MemorySampler(rows[0][0], every=0.01)
            sampler.start()
        else:
            time.sleep(0.002)
    out, err = p.communicate()
    wall = time.perf_counter() - t0
    if sampler:
        sampler.stop()
    rec = {"status": "ok" if p.returncode == 0 else f"failed rc={p.returncode}: {err.strip()[-300:]}",
           "whole_s": wall, "peak_mb": sampler.hwm_kb / 1024 if sampler else None}
    if p.returncode == 0:
        info = run(conn, "SELECT nmf_info(model) FROM model")[0][0]
        nw, nh = run(conn, "SELECT (SELECT count(*) FROM w), (SELECT count(*) FROM h)")[0]
        rec.update(iterations=info["iterations"], seconds=info["seconds"],
                   s_per_iter=info["seconds"] / max(info["iterations"], 1),
                   rel_err=info["relative_error"], w_rows=nw, h_rows=nh,
                   stages=dict(zip(PATH_STAGES, [float(t) / 1000 for t in re.findall(r"^Time: ([\d.]+) ms", out, re.M)])))
    conn.close()
    return rec


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None
