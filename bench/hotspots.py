# SPDX-License-Identifier: PostgreSQL
"""Where the time goes (bench/run.sh perf): perf record on the backend during a fit
on M and during the serial matrix build, the hottest instructions of the hottest
symbol (perf annotate), and EXPLAIN ANALYZE of the serial and parallel builds."""
import os
import signal
import subprocess
import time

import ours


class Perf:
    """perf record -e cpu-clock on every thread of one process, until stop()."""

    def __init__(self, pid, data):
        self.data = data
        self.p = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-F", "999", "-p", str(pid),
                                   "-o", data], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)  # attached before the measured statement starts

    def stop(self):
        self.p.send_signal(signal.SIGINT)
        self.p.wait()

    def report(self, txt, top=12):
        """The flat profile (saved to txt) and the hottest instructions of the top symbol."""
        rep = subprocess.run(["perf", "report", "-i", self.data, "--stdio", "--no-children",
                              "-F", "overhead,dso,sym", "--percent-limit", "0.5"], capture_output=True, text=True)
        flat = [l.rstrip()[:160] for l in rep.stdout.splitlines() if l.strip() and not l.startswith("#")]
        hot = []
        if flat:
            sym = flat[0].split("] ", 1)[-1].strip()
            ann = subprocess.run(["perf", "annotate", "-i", self.data, "--stdio", "-s", sym],
                                 capture_output=True, text=True).stdout
            rows = [l.rstrip() for l in ann.splitlines() if ":" in l and l.split(":")[0].strip()
                    .replace(".", "", 1).isdigit()]
            rows = [l for l in rows if float(l.split(":")[0]) >= 1.0]
            hot = [f"hottest instructions of {sym} (% of its samples):"] + rows[:20]
        with open(txt, "w") as f:
            f.write(rep.stdout + "\n" + "\n".join(hot) + "\n")
        return flat[:top], hot


def fit(mat, rank, iters, solver, init, outdir):
    holder = {}

    def on_pid(pid):
        holder["perf"] = Perf(pid, os.path.join(outdir, f"perf-{mat}-{solver}.data"))
        return holder["perf"].stop

    rec = ours.fit(mat, rank, iters, solver, init, on_pid)
    txt = os.path.join(outdir, f"perf-{mat}-{solver}.txt")
    flat, hot = holder["perf"].report(txt)
    return rec, flat, hot, txt


def build(table, outdir):
    """perf of the serial build; EXPLAIN ANALYZE VERBOSE of both builds."""
    conn = ours.connect()
    pid = ours.run(conn, "SELECT pg_backend_pid()")[0][0]
    ours.run(conn, "SET max_parallel_workers_per_gather = 0")
    perf = Perf(pid, os.path.join(outdir, f"perf-build-{table}.data"))
    t0 = time.perf_counter()
    ours.run(conn, ours.BUILD.format(t=table))
    secs = time.perf_counter() - t0
    perf.stop()
    flat, hot = perf.report(os.path.join(outdir, f"perf-build-{table}.txt"))
    plans = {}
    for mode, workers in (("serial", 0), ("parallel", 2)):
        ours.run(conn, f"SET max_parallel_workers_per_gather = {workers}")
        plans[mode] = [r[0] for r in ours.run(conn, "EXPLAIN (ANALYZE, VERBOSE, COSTS OFF) " +
                                              ours.BUILD.format(t=table))]
    conn.close()
    return {"serial_s_under_perf": secs, "flat": flat, "hot": hot, "plans": plans}
