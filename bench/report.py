# SPDX-License-Identifier: PostgreSQL
"""The benchmark's one table (medians over reps) and the acceptance checks of issue 5, as Markdown."""
import os
import statistics

TARGET_SPEED, TARGET_PATH, TARGET_ERR = 3.0, 5.0, 0.001
MATCH = {"sklearn cd (nndsvda)": "hals", "sklearn mu (nndsvda)": "mu"}


def med(rs, k):
    v = [r[k] for r in rs if r.get(k) is not None]
    return statistics.median(v) if v else None


def groups(records):
    out = {}
    for r in records:
        out.setdefault((r["dataset"], r["method"]), []).append(r)
    return out


def fmt(v, spec):
    return "—" if v is None else format(v, spec)


def summarise(records):
    """(dataset, method) -> the medians of the ok runs and how many there were."""
    rows = {}
    for key, rs in groups(records).items():
        ok = [r for r in rs if r.get("status") == "ok"]
        rows[key] = {"kind": rs[0]["kind"], "solver": rs[0].get("solver"), "n": len(ok), "runs": len(rs),
                     "iters": med(ok, "iterations"),
                     "status": "ok" if ok else rs[0].get("status", "?"),
                     **{k: med(ok, k) for k in ("s_per_iter", "whole_s", "rel_err", "peak_mb", "anon_peak_mb")}}
    return rows


def ratio(a, b):
    return a / b if a and b else None


def render(records, env, perf):
    rows = summarise(records)
    ours = {(ds, r["solver"]): r for (ds, m), r in rows.items() if r["kind"] == "ours" and r["status"] == "ok"}
    L = [f"Command: `{env['command']}`  ",
         f"Date: {env['date']}; machine: {env['nproc']} cores, {env['cpu']}, {env['mem_gib']} GiB, "
         f"Linux {env['kernel']}, PostgreSQL {env['pg']}  ",
         f"Build measured: commit {env['commit']}{' + uncommitted changes' if env['dirty'] else ''}, "
         f"nmf.so md5 {env['so_md5']}"
         f"{'' if env['so_md5'] == env['so_md5_end'] else ' (CHANGED during the run: ' + env['so_md5_end'] + ')'}  ",
         f"Load average at start {' '.join(env['loadavg_start'])}, at end {' '.join(env['loadavg_end'])}  ",
         f"Our solvers: {', '.join(env['solvers'])}; our init: {env['init']}; nmf.threads: "
         f"{next((r.get('nmf_threads') for r in records if r['kind'] == 'ours'), None) or 'no such setting in this build'}  ",
         "Peers: " + (", ".join(sorted({f"{r['method'].split(' (')[0].split(' ')[0]} {r['version']}"
                                        for r in records if r["kind"] == "peer" and r.get("version")})) or "none") +
         f"; one process per fit, {env['nproc']} OpenMP/OpenBLAS threads  "]
    L += [f"Note: {s}  " for s in env["skipped"]]
    solvers = env["solvers"]
    which = " / ".join(solvers)
    L += ["", "| data | method | s / iteration | whole call s | rel. error | peak MB | "
              f"time: peer ÷ ours ({which}) | memory: peer ÷ ours ({which}) | runs |",
          "|---|---|---|---|---|---|---|---|---|"]
    for (ds, method), r in rows.items():
        tr = mr = ""
        if r["kind"] == "peer":
            tr = " / ".join(fmt(ratio(r["s_per_iter"], ours.get((ds, s), {}).get("s_per_iter")), ".2f") for s in solvers)
            mr = " / ".join(fmt(ratio(r["peak_mb"], ours.get((ds, s), {}).get("peak_mb")), ".2f") for s in solvers)
        elif r["kind"] == "path-peer":
            mine = next((x for (d, m), x in rows.items() if d == ds and x["kind"] == "path-ours"), {})
            tr = f"{fmt(ratio(r['whole_s'], mine.get('whole_s')), '.2f')} (whole path)"
            mr = f"{fmt(ratio(r['peak_mb'], mine.get('peak_mb')), '.2f')} (whole path)"
        elif r["kind"] == "build-parallel":
            ser = rows.get((ds, next(m for (d, m), x in rows.items() if d == ds and x["kind"] == "build-serial")))
            tr = f"serial ÷ parallel = {fmt(ratio(ser['whole_s'], r['whole_s']), '.2f')}"
        if r["status"] != "ok":
            L.append(f"| {ds} | {method} | {r['status']} | | | | | | {r['runs']} |")
            continue
        L.append(f"| {ds} | {method} | {fmt(r['s_per_iter'], '.5f')} | {fmt(r['whole_s'], '.3f')} | "
                 f"{fmt(r['rel_err'], '.5f')} | {fmt(r['peak_mb'], '.0f')} | {tr} | {mr} | {r['n']} |")
    L += ["", "s / iteration: ours = `nmf_info(model)->'seconds'` / iterations (the iterations only); "
          "scikit-learn = its iterations' time / n_iter (init excluded); RcppML = its whole fit / iterations; "
          "whole path rows: the fit stage / iterations. Whole call: ours = `SELECT nmf_info(nmf(m, ...)) FROM "
          "<table of the matrix>` seen by the client; peers = init + fit inside the process (load excluded); "
          "whole path rows = the wall time of the `psql -f bench/path.sql` process against that of the "
          "`pipeline_sklearn.py` process (Python start and imports included). Peak MB: ours = the backend's "
          "VmHWM (a fresh connection per fit, so it is that fit's peak, shared buffers it touched included); "
          "peers = the process's peak RSS. Relative error = ‖X − WH‖_F / ‖X‖_F, absent cells as zeros. "
          "Ratios > 1: we are faster / smaller. Medians over the runs column."]
    outside = [f"{ds} {s}: {r['whole_s'] - r['s_per_iter'] * r['iters']:.2f} s"
               for (ds, s), r in ours.items() if r.get("whole_s") and r.get("s_per_iter") and r.get("iters")]
    if outside:
        L += ["", "Our whole call minus the iterations (reading the matrix, transpose, init, writing the model): "
                  + "; ".join(outside) + "."]
    anon = [f"{ds} {s}: {fmt(r.get('anon_peak_mb'), '.0f')} MB" for (ds, s), r in ours.items()]
    if anon:
        L += ["", "Our backend's private memory (peak RssAnon, sampled every 20 ms): " + "; ".join(anon) + "."]
    for c in env.get("crosscheck", []):
        L.append(f"- {c['dataset']} {c['solver']}: `relative_error` {c['nmf_info']:.6f}; the peers' formula on "
                 f"W and H read back with `nmf_w_wide`/`nmf_h_wide`: {c['peers_formula']:.6f}")
    L += stages(records)
    L += ["", "Acceptance checks of issue 5 (from this run):", ""]
    L += checks(rows, ours, env["solvers"])
    L += threads_lines(env)
    if perf:
        L += ["", "perf record -e cpu-clock on every thread of the backend (flat profile, then the hottest "
                  "instructions of the top symbol from perf annotate):"]
        for p in perf:
            L += ["", f"{p['what']}; full report in `{os.path.relpath(p['file'])}`", "", "```"]
            L += p["flat"] + [""] + p["hot"] + ["```"]
    fl = {k: v for k, v in env.get("floor", {}).items() if v}
    if fl:
        L += ["", "bench/floor.cpp (no PostgreSQL): the two sparse products of one iteration, seconds "
                  "(best of 5), X Hᵀ over the CSR + Wᵀ X over the CSC:", "",
              "| data | stream (read once) | GB/s | scalar, r at run time | r fixed (SSE2) | r fixed, AVX2+FMA | "
              "r fixed, 2 threads | X Hᵀ alone | Wᵀ X alone | Wᵀ X by CSR scatter | Gflop |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
        for ds, f in fl.items():
            L.append(f"| {ds} | {f['stream_s']:.4f} | {f['stream_gbs']:.1f} | {f['scalar_s']:.4f} | "
                     f"{f['fixed_s']:.4f} | {f['avx2_s']:.4f} | {f['fixed_2threads_s']:.4f} | "
                     f"{f['fixed_xht_csr_s']:.4f} | {f['fixed_wtx_csc_s']:.4f} | "
                     f"{f['wtx_by_csr_scatter_s']:.4f} | {f['gflop_both_passes']:.2f} |")
    for mode, plan in env.get("explain", {}).items():
        L += ["", f"EXPLAIN (ANALYZE, VERBOSE) of the {mode} build of M:", "", "```"] + plan + ["```"]
    bw = env.get("bandwidth")
    if bw:
        L += ["", f"One core's streaming bandwidth (numpy, 256 MB): read {bw['read_gbs']} GB/s, "
                  f"copy {bw['copy_gbs']} GB/s (read + write)."]
    return "\n".join(L) + "\n"


def stages(records):
    """The median seconds of each stage of both whole paths."""
    out = []
    for kind, label in (("path-ours", "ours (psql \\timing)"), ("path-peer", "psycopg2 → sklearn (its own laps)")):
        rs = [r for r in records if r["kind"] == kind and r.get("status") == "ok" and r.get("stages")]
        if rs:
            names = list(rs[0]["stages"])
            out.append(f"- whole path, {label}: " + ", ".join(
                f"{n} {statistics.median(r['stages'][n] for r in rs):.2f} s" for n in names))
    return [""] + out if out else []


def checks(rows, ours, solvers):
    out = []

    def line(ok, text):
        out.append(f"- {'PASS' if ok else 'FAIL' if ok is not None else 'n/a '}: {text}")

    for ds in ("S", "M"):
        for peer, s in MATCH.items():
            p, o = rows.get((ds, peer)), ours.get((ds, s))
            if not p or not o or p["status"] != "ok":
                line(None, f"{ds}: nmf {s} vs {peer}: not measured"
                     f"{' (this build has no ' + s + ')' if s not in solvers else ' in this run'}")
                continue
            sp = ratio(p["s_per_iter"], o["s_per_iter"])
            de = abs(o["rel_err"] - p["rel_err"]) / p["rel_err"]
            line(sp >= TARGET_SPEED and de <= TARGET_ERR,
                 f"{ds}: per iteration, {peer} ÷ nmf {s} = {sp:.2f} (target ≥ {TARGET_SPEED:g}); "
                 f"relative error {o['rel_err']:.5f} vs {p['rel_err']:.5f}, {100 * de:.3f} % apart "
                 f"(target ≤ {100 * TARGET_ERR:g} %)")
    po = next((x for (d, m), x in rows.items() if x["kind"] == "path-ours"), None)
    pp = next((x for (d, m), x in rows.items() if x["kind"] == "path-peer"), None)
    if po and pp and po["status"] == pp["status"] == "ok":
        sp = ratio(pp["whole_s"], po["whole_s"])
        line(sp >= TARGET_PATH, f"S: whole path table → W/H tables, psycopg2 → sklearn → COPY ÷ ours = {sp:.2f} "
                                f"({pp['whole_s']:.2f} s vs {po['whole_s']:.2f} s; target ≥ {TARGET_PATH:g})")
    else:
        line(None, "S: whole path: not measured")
    sk = [rows[("M", p)]["peak_mb"] for p in MATCH if rows.get(("M", p), {}).get("status") == "ok"]
    mine = [o["peak_mb"] for (ds, s), o in ours.items() if ds == "M"]
    if sk and mine:
        line(max(mine) < min(sk), f"M: our backend's peak {max(mine):.0f} MB vs scikit-learn's peak RSS "
                                   f"{min(sk):.0f} MB (target: below)")
    else:
        line(None, "M: peak memory: not measured")
    bp = [(ds, x) for (ds, m), x in rows.items() if x["kind"] == "build-parallel"]
    for ds, x in bp:
        ser = next(y for (d, m), y in rows.items() if d == ds and y["kind"] == "build-serial")
        if ds == "M":
            line(x["whole_s"] < ser["whole_s"], f"M (10,000,000 rows): parallel build {x['whole_s']:.2f} s vs "
                                                 f"serial {ser['whole_s']:.2f} s (target: faster)")
    return out


def threads_lines(env):
    """Identical results and the speed-up with nmf.threads = 1 and 2 (when the build has the setting)."""
    if not env.get("threads"):
        return ["- n/a : results identical for nmf.threads = 1 and 2: this build has no nmf.threads"]
    out = []
    for t in env["threads"]:
        a, b = t["runs"][0], t["runs"][-1]
        same = (a["w_md5"], a["h_md5"]) == (b["w_md5"], b["h_md5"])
        out.append(f"- {'PASS' if same else 'FAIL'}: {t['dataset']} {t['solver']}: W and H "
                   f"{'bit-identical' if same else 'DIFFERENT'} with nmf.threads = {a['threads']} and "
                   f"{b['threads']} (md5 of their text); {a['s_per_iter']:.5f} vs {b['s_per_iter']:.5f} "
                   f"s/iteration, speed-up {a['s_per_iter'] / b['s_per_iter']:.2f}")
    return out
