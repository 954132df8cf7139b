#!/usr/bin/python3
# SPDX-License-Identifier: PostgreSQL
"""The bytes a distributed fit ships per iteration (commands sent to the
workers, logged by citus.log_remote_commands, plus the partial states they
send back, measured per shard) are O(shards r n) and do not grow with the
number of ratings.

Runs on a coordinator and two workers (test/lib/citustest.py: Citus built
with ../shared/citus/citus.sh; NMF_SKIP_CITUS=1 skips it, and says so).
"""

import collections
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from citustest import ITEMS, RANK, USERS, create_ratings, on_cluster, one, run  # noqa: E402
from nmftest import main  # noqa: E402


def per_iteration(co, notices, table, missing):
    """(bytes sent to the workers, bytes sent back) in one iteration of a fit on table."""
    fit = ("SELECT nmf_fit_distributed('%s', 'user_id', 'item_id', 'rating', %d, 'wt', 'ht', "
           "missing => '%s', max_iter => %d)")
    sent = []
    shards = one(co, "SELECT count(*) FROM citus_shards WHERE table_name = '%s'::regclass" % table)
    for iters in (1, 3):
        notices.clear()
        run(co, "SET citus.log_remote_commands = on; SET client_min_messages = notice")
        one(co, fit % (table, RANK, missing, iters))
        run(co, "RESET citus.log_remote_commands; RESET client_min_messages")
        sent.append(sum(len(n) for n in notices if "issuing" in n))
        # The UPDATE's parameters (column ids, H, H H^T, masked) travel beside its logged
        # text, in text form, to every shard: add them.
        params = one(co, """
            SELECT length(array_agg(col_id ORDER BY col_id)::text)
                 + length(array_agg(x ORDER BY col_id, k)::text)
                 + length(nmf_dist_gram_cols(array_agg(x ORDER BY col_id, k), %d)::text) + 5
            FROM ht, unnest(h) WITH ORDINALITY AS u(x, k)""" % RANK)
        sent[-1] += iters * shards * int(params)
        run(co, "DROP TABLE wt, ht")
    # What the workers send back: per shard, the states of nmf_dist_hstats and nmf_dist_gram
    # (the UPDATE and the other statements return a count).
    back = one(co, """
        SELECT sum(result::bigint) FROM run_command_on_shards('%s',
          $$SELECT coalesce(length(nmf_dist_hstats(nmf_dist_init(user_id, 0, 0, %d, 1), item_id, rating,
                (SELECT array_agg(k ORDER BY k) FROM generate_series(1, %d) k),
                array_fill(1::float8, ARRAY[%d]), %s)::text), 0)
              + coalesce(length(nmf_dist_gram(nmf_dist_init(user_id, 0, 0, %d, 1))::text), 0)
            FROM %%s$$)""" % (table, RANK, ITEMS, ITEMS * RANK, "true" if missing == "ignore" else "false", RANK))
    return (sent[1] - sent[0]) // 2, int(back)


def body(tap, co, workers):
    """Bytes per iteration: commands to the workers + partial states back."""
    notices = collections.deque()
    co.notices = notices
    create_ratings(co, "ratings5", 5 * USERS)
    shards = one(co, "SELECT count(*) FROM citus_shards WHERE table_name = 'ratings'::regclass")
    n = one(co, "SELECT count(DISTINCT item_id) FROM ratings")
    # ~25 bytes of text per float8; per shard: H out twice (2 r n, masked 3 r n), the column
    # ids twice, H H^T, the states back (r n, masked 2 r n, and r^2); plus the SQL of each task.
    bound = shards * (5 * RANK * n + 3 * RANK * RANK + 2 * n) * 25 + shards * 4 * 2000
    for missing in ("zero", "ignore"):
        with tap.case("missing '%s': bytes moved per iteration are O(shards r n) and do not grow with the ratings" % missing) as c:
            out1, back1 = per_iteration(co, notices, "ratings", missing)
            out5, back5 = per_iteration(co, notices, "ratings5", missing)
            nnz1, nnz5 = one(co, "SELECT count(*) FROM ratings"), one(co, "SELECT count(*) FROM ratings5")
            tap.diag("missing '%s', per iteration: %d ratings: %d bytes to the workers + %d back = %d; "
                     "%d ratings: %d + %d = %d; bound %d (shards %d, r %d, n %d)"
                     % (missing, nnz1, out1, back1, out1 + back1, nnz5, out5, back5, out5 + back5,
                        bound, shards, RANK, n))
            ok1 = 0 < out1 + back1 <= bound and 0 < out5 + back5 <= bound
            c.ok(ok1, None if ok1 else "above the bound %d" % bound)
            ok2 = out5 + back5 <= 1.1 * (out1 + back1)
            c.ok(ok2, None if ok2 else "5x the ratings moved %d bytes, not about %d" % (out5 + back5, out1 + back1))
    co.notices = []
    run(co, "DROP TABLE ratings5")


if __name__ == "__main__":
    main(lambda tap: on_cluster(tap, body))
