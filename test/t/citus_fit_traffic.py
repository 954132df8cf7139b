#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""The bytes nmf_distributed moves per iteration do not grow with the number
of ratings: the SQL of the statements sent to the workers (logged by
citus.log_remote_commands) and the payloads sent and answers received, which
the fit counts itself and reports with verbose. Zero-filled, one H (r n + r^2
doubles) goes to each worker's backend and one message (1 + r^2 + r n) comes
back from each; with biases over the stored cells the bias rounds add O(n)
each way.

Runs on a coordinator and two workers (test/lib/citustest.py: Citus built
with ../shared/citus/citus.sh; NMF_SKIP_CITUS=1 skips it, and says so).
"""

import collections
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from citustest import RANK, USERS, create_ratings, on_cluster, one, run  # noqa: E402
from nmftest import main  # noqa: E402

COUNTED = re.compile(r"payloads of (\d+) bytes sent, answers of (\d+) bytes received")


def per_iteration(co, notices, table, options):
    """(bytes of SQL sent, payload bytes sent, answer bytes received) in one iteration."""
    got = []
    for iters in (1, 3):
        notices.clear()
        run(co, "SET citus.log_remote_commands = on; SET client_min_messages = notice")
        one(co, "SELECT nmf_distributed('%s', 'user_id', 'item_id', 'rating', %d, %s, max_iter => %d, "
                "tol => 0, verbose => true) IS NULL" % (table, RANK, options, iters))
        run(co, "RESET citus.log_remote_commands; RESET client_min_messages")
        sql = sum(len(n) for n in notices if "issuing" in n)
        counted = [COUNTED.search(n) for n in notices]
        out, back = next((int(m.group(1)), int(m.group(2))) for m in counted if m)
        got.append((sql, out, back))
    return tuple((b - a) // 2 for a, b in zip(got[0], got[1]))


def body(tap, co, workers):
    notices = collections.deque()
    co.notices = notices
    create_ratings(co, "ratings5", 5 * USERS)
    n = one(co, "SELECT count(DISTINCT item_id) FROM ratings")
    backends = len(workers)
    h, message = (RANK * n + RANK * RANK) * 8, (1 + RANK * RANK + RANK * n) * 8
    for name, options in (("zero-filled hals", "solver => 'hals'"),
                          ("biases over the stored cells", "missing => 'ignore', bias => true, l2_w => 1, l2_h => 1")):
        with tap.case("%s: the bytes moved per iteration do not grow with the ratings" % name) as c:
            one1 = per_iteration(co, notices, "ratings", options)
            one5 = per_iteration(co, notices, "ratings5", options)
            nnz1, nnz5 = one(co, "SELECT count(*) FROM ratings"), one(co, "SELECT count(*) FROM ratings5")
            tap.diag("%s, per iteration (SQL, payloads out, answers back): %d ratings %s; %d ratings %s; "
                     "H %d bytes, a message %d (r %d, n %d, %d backends)"
                     % (name, nnz1, one1, nnz5, one5, h, message, RANK, n, backends))
            # the SQL names shards, whose ids have more digits as more are made: a few bytes
            # either way (1.6 % in one run), against 5x the ratings
            same = one1[1:] == one5[1:] and abs(one1[0] - one5[0]) <= 0.1 * one1[0]
            c.ok(same, "the same bytes at 1x and 5x the ratings: %s %s" % (one1, one5))
            if options.startswith("solver"):
                c.ok(one1[1] == backends * h and one1[2] == backends * message,
                     "one H to each worker's backend and one message back from each")
            c.ok(0 < one1[0] < 20000, "the statements' SQL: %d bytes" % one1[0])
    co.notices = []
    run(co, "DROP TABLE ratings5")


if __name__ == "__main__":
    main(lambda tap: on_cluster(tap, body))
