-- SPDX-License-Identifier: PostgreSQL
-- feedback => 'implicit' against the zero-filled fit and popularity, on a
-- planted implicit-feedback set made here from a seed: 4,000 users and 1,000
-- items in 20 groups; each user has a main group (click probability 0.15 per
-- item) and a second one (0.05), any other item 0.005, items 1..100 twice as
-- likely. A click is seen x times: 1 + floor(Exp(mean 4)) in the main group,
-- 1 + floor(Exp(mean 2)) in the second, once elsewhere (so that how often a
-- cell was seen says something, as plays and views do). 20 % of each user's
-- clicks (at least one) are held out, by a seeded order. NDCG@10 by
-- nmf_rank_score with the user's training clicks excluded; seconds per sweep
-- = the fit's solver seconds / iterations (nmf_info).
--   bash bench/implicit.sh      (a throwaway cluster on the private build)
\timing off
SET client_min_messages = warning;
SELECT setseed(0.23);
CREATE TEMP TABLE clicks AS
SELECT user_id, item_id,
       CASE grp WHEN 1 THEN 1 + floor(-4 * ln(1 - random())) WHEN 2 THEN 1 + floor(-2 * ln(1 - random()))
                ELSE 1 END::float8 AS x
FROM (SELECT u::bigint AS user_id, i::bigint AS item_id,
             CASE WHEN i % 20 = u % 20 THEN 1 WHEN i % 20 = (u * 7 + 3) % 20 THEN 2 ELSE 3 END AS grp
      FROM generate_series(1, 4000) u, generate_series(1, 1000) i) c
WHERE random() < CASE grp WHEN 1 THEN 0.15 WHEN 2 THEN 0.05 ELSE 0.005 END
                 * CASE WHEN item_id <= 100 THEN 2 ELSE 1 END;
CREATE TEMP TABLE ranked AS
SELECT user_id, item_id, x,
       row_number() OVER (PARTITION BY user_id ORDER BY md5(user_id || ':' || item_id)) AS q,
       count(*) OVER (PARTITION BY user_id) AS n
FROM clicks;
CREATE TEMP TABLE split AS
SELECT (SELECT nmf_matrix(user_id, item_id, x) FROM ranked WHERE q > greatest(1, round(0.2 * n))) AS train,
       (SELECT nmf_matrix(user_id, item_id, 1.0) FROM ranked WHERE q <= greatest(1, round(0.2 * n))) AS test,
       (SELECT nmf_matrix(user_id, item_id, 1.0) FROM ranked WHERE q > greatest(1, round(0.2 * n))) AS train01;
SELECT nmf_matrix_info(train) ->> 'rows' AS users, nmf_matrix_info(train) ->> 'cols' AS items,
       nmf_matrix_info(train) ->> 'nnz' AS train_cells, nmf_matrix_info(test) ->> 'nnz' AS test_cells
FROM split;

CREATE TEMP TABLE runs (lists text, model nmf_model, wall float8);
CREATE FUNCTION pg_temp.timed_fit(label text, m nmf_matrix, rank int, feedback text, alpha float8,
                                  reg float8, max_iter int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp(); fitted nmf_model;
BEGIN
	fitted := nmf(m, rank, max_iter => max_iter, seed => 1, feedback => feedback, alpha => alpha,
	              reg => reg, tol => 0);
	INSERT INTO runs VALUES (label, fitted, extract(epoch FROM clock_timestamp() - t0));
END $$;
SELECT pg_temp.timed_fit('implicit a=' || a || ' reg=' || r, train, 20, 'implicit', a, r, 15)
FROM split, (VALUES (0.5), (1.0), (2.0), (4.0), (10.0), (40.0)) alphas(a), (VALUES (1.0), (10.0)) regs(r);
-- the defaults: alpha and reg NULL, tol 1e-4, max_iter NULL
CREATE FUNCTION pg_temp.default_fit(m nmf_matrix) RETURNS void LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp(); fitted nmf_model;
BEGIN
	fitted := nmf(m, 20, feedback => 'implicit', seed => 1);
	INSERT INTO runs VALUES ('implicit, defaults', fitted, extract(epoch FROM clock_timestamp() - t0));
END $$;
SELECT pg_temp.default_fit(train) FROM split;
SELECT pg_temp.timed_fit('zero-filled nmf(m01, 20)', train01, 20, 'explicit', NULL, NULL, 100) FROM split;

SELECT lists, round((s ->> 'ndcg')::numeric, 4) AS ndcg_at_10,
       round((s ->> 'recall')::numeric, 4) AS recall, round((s ->> 'coverage')::numeric, 4) AS coverage,
       (nmf_info(model) ->> 'iterations')::int AS iters,
       round(((nmf_info(model) ->> 'seconds')::float8 / (nmf_info(model) ->> 'iterations')::int)::numeric, 4)
           AS s_per_sweep,
       round(wall::numeric, 2) AS fit_s
FROM runs, split, nmf_rank_score(model, test, 10, train) s
UNION ALL
SELECT 'popularity', round((s ->> 'ndcg')::numeric, 4), round((s ->> 'recall')::numeric, 4),
       round((s ->> 'coverage')::numeric, 4), NULL, NULL, NULL
FROM split, nmf_popularity_score(train, test, 10) s;
