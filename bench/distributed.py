#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""nmf_distributed on Citus against nmf() on one node, side by side in one run.

Starts a coordinator and two workers on this machine (../shared/citus/citus.sh,
nmf installed and preloaded; NMF_DIST_WORKERS=4 adds two more with the same
script's node setup), and for each size in NMF_DIST_CELLS (default
1,000,000 and 10,000,000 cells; users x 20,000 items, ratings 1..5) makes a
table distributed by user_id over NMF_DIST_SHARDS shards (default 8) and a
plain copy on the coordinator; then, rank 20, tol 0:

  - nmf(nmf_matrix(...)) of the plain copy: seconds per iteration (nmf_info)
  - nmf_distributed(...) of the distributed table: seconds per iteration
    (nmf_info: the iterations' rounds) and the whole call's seconds
  - the two models' largest relative difference of W H over 2,000 cells
  - the bytes sent to the workers per iteration (the statements' SQL, logged
    by citus.log_remote_commands, plus the payloads, H mostly, which the fit
    counts and reports with verbose; fits of 1 and 3 iterations) and the
    bytes of the answers received per iteration (counted likewise)

The three nodes share the machine's cores, so this measures the overhead of
the distribution, not a speed-up. Usage: python3 bench/distributed.py
"""

import collections
import os
import re
import subprocess
import sys
import time

import psycopg2

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
CITUS_SH = os.path.join(ROOT, "..", "shared", "citus", "citus.sh")
SIZES = [int(x) for x in os.environ.get("NMF_DIST_CELLS", "1000000,10000000").split(",")]
SHARDS = int(os.environ.get("NMF_DIST_SHARDS", "8"))
WORKERS = int(os.environ.get("NMF_DIST_WORKERS", "2"))
ITEMS, RANK, ITERS = 20000, 20, 20
COUNTED = re.compile(r"payloads of (\d+) bytes sent, answers of (\d+) bytes received")


def q(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall() if cur.description else None


def main():
    env = dict(os.environ, CITUS_PG_OPTS="-c shared_preload_libraries=citus,nmf")
    subprocess.run(["bash", CITUS_SH, "build"], check=True, capture_output=True)
    up = subprocess.run(["bash", CITUS_SH, "up"], env=env, check=True, capture_output=True, text=True)
    ports = dict(re.findall(r"(\w+)=(\S+)", up.stdout))
    extra = []
    try:
        for k in range(3, WORKERS + 1):
            # another worker, set up as citus.sh sets up its two
            port = 20000 + (os.getpid() * 7 + k * 1009) % 30000
            subprocess.run(["bash", "-c", '. "$1"; CITUS_DIR=$2 _citus_node_up worker$3 $4', "bash",
                            CITUS_SH, ports["CITUS_DIR"], str(k), str(port)], env=env, check=True)
            extra.append("%s/worker%d" % (ports["CITUS_DIR"], k))
            c = psycopg2.connect(host="127.0.0.1", port=int(ports["CITUS_COORD_PORT"]), user="postgres",
                                 dbname="postgres")
            c.autocommit = True
            q(c, "SELECT citus_add_node('127.0.0.1', %d)" % port)
            c.close()
        co = psycopg2.connect(host="127.0.0.1", port=int(ports["CITUS_COORD_PORT"]), user="postgres",
                              dbname="postgres")
        co.autocommit = True
        notices = collections.deque()
        co.notices = notices
        q(co, "CREATE EXTENSION nmf")
        print("%d workers, %d shards" % (WORKERS, SHARDS))
        print("| cells | nmf() s/iteration | nmf_distributed s/iteration | ratio | whole call s "
              "| max rel. diff W H | bytes to workers / iteration | bytes back / iteration |")
        print("|---|---|---|---|---|---|---|---|")
        for cells in SIZES:
            users = cells // 100
            q(co, "SET citus.shard_count = %d" % SHARDS)
            q(co, "CREATE TABLE r (user_id bigint, item_id bigint, rating float8)")
            q(co, "SELECT create_distributed_table('r', 'user_id')")
            # each user rates 100 items spread over the catalogue
            q(co, "INSERT INTO r SELECT u, (u * 7919 + k * 211) %% %d, (u + k) %% 5 + 1 "
                  "FROM generate_series(1, %d) u, generate_series(1, 100) k" % (ITEMS, users))
            q(co, "CREATE TABLE rl AS SELECT * FROM r")
            q(co, "VACUUM ANALYZE rl")
            opts = "%d, max_iter => %d, tol => 0" % (RANK, ITERS)
            local = q(co, "SELECT nmf_info(m), m FROM (SELECT nmf(nmf_matrix(user_id, item_id, rating), %s) m "
                          "FROM rl) s" % opts)[0]
            t0 = time.time()
            dist = q(co, "SELECT nmf_info(m), m FROM (SELECT nmf_distributed('r', 'user_id', 'item_id', "
                         "'rating', %s) m) s" % opts)[0]
            whole = time.time() - t0
            diff = q(co, "SELECT max(abs(nmf_predict('%s'::nmf_model, user_id, item_id) - nmf_predict('%s'::nmf_model, "
                         "user_id, item_id))) / max(abs(nmf_predict('%s'::nmf_model, user_id, item_id))) "
                         "FROM (SELECT * FROM rl LIMIT 2000) c" % (dist[1], local[1], local[1]))[0][0] \
                if cells <= 1000000 else None
            if diff is None:
                q(co, "CREATE TEMP TABLE ms AS SELECT nmf_distributed('r', 'user_id', 'item_id', 'rating', %s) d, "
                      "(SELECT nmf(nmf_matrix(user_id, item_id, rating), %s) FROM rl) l" % (opts, opts))
                diff = q(co, "SELECT max(abs(nmf_predict(d, user_id, item_id) - nmf_predict(l, user_id, item_id)))"
                             " / max(abs(nmf_predict(l, user_id, item_id))) FROM ms, (SELECT * FROM rl LIMIT 2000) c")[0][0]
                q(co, "DROP TABLE ms")
            sent, back = [], []
            for iters in (1, 3):
                notices.clear()
                q(co, "SET citus.log_remote_commands = on; SET client_min_messages = notice")
                q(co, "SELECT nmf_distributed('r', 'user_id', 'item_id', 'rating', %d, max_iter => %d, tol => 0, "
                      "verbose => true) IS NULL" % (RANK, iters))
                q(co, "RESET citus.log_remote_commands; RESET client_min_messages")
                # the statements' SQL, logged, and the payloads and answers the fit counts itself
                counted = next(m for m in (COUNTED.search(n) for n in notices) if m)
                sent.append(sum(len(n) for n in notices if "issuing" in n) + int(counted.group(1)))
                back.append(int(counted.group(2)))
            ls, ds = local[0]["seconds"] / ITERS, dist[0]["seconds"] / ITERS
            print("| %s | %.4f | %.4f | %.2f | %.1f | %.1e | %d | %d |"
                  % (format(cells, ","), ls, ds, ds / ls, whole, diff, (sent[1] - sent[0]) // 2,
                     (back[1] - back[0]) // 2),
                  flush=True)
            q(co, "DROP TABLE r, rl")
    finally:
        for d in extra:
            subprocess.run(["runuser", "-u", "postgres", "--", "/usr/lib/postgresql/15/bin/pg_ctl", "-D", d,
                            "-m", "fast", "-w", "stop"], capture_output=True)
        subprocess.run(["bash", CITUS_SH, "down", ports["CITUS_DIR"]], capture_output=True)


if __name__ == "__main__":
    sys.exit(main())
