-- SPDX-License-Identifier: PostgreSQL
-- NDCG@10 (and precision, recall, MAP, coverage) of nmf's top-10 lists
-- against the popularity list, on a planted implicit-feedback set made here
-- from a seed: 2,000 users and 600 items in 8 planted groups; a user clicks an
-- item of its own group with probability 0.12 and any other with 0.006, and
-- items with a low id are more popular (x 2 for the first 60). One fold in 5
-- of the clicks is held out (nmf_split); the model is fitted on the others.
--   psql -X -v ON_ERROR_STOP=1 -f bench/rank_score.sql
\timing off
SET client_min_messages = warning;
SELECT setseed(0.19);
CREATE TEMP TABLE clicks AS
SELECT u::bigint AS user_id, i::bigint AS item_id, 1::float8 AS clicked
FROM generate_series(1, 2000) u, generate_series(1, 600) i
WHERE random() < CASE WHEN u % 8 = i % 8 THEN 0.12 ELSE 0.006 END * CASE WHEN i <= 60 THEN 2 ELSE 1 END;
CREATE TEMP TABLE split AS
SELECT s.train, s.test
FROM (SELECT nmf_matrix(user_id, item_id, clicked) AS m FROM clicks) c, nmf_split(c.m, 5, 1, seed => 7) s;
SELECT (nmf_matrix_info(train) ->> 'nnz') AS train_cells, (nmf_matrix_info(test) ->> 'nnz') AS test_cells
FROM split;
\timing on
CREATE TEMP TABLE fitted AS SELECT nmf(train, 8, max_iter => 100, seed => 1) AS model FROM split;
\timing off
SELECT 'nmf rank 8' AS lists, round((s ->> 'ndcg')::numeric, 4) AS ndcg_at_10,
       round((s ->> 'precision')::numeric, 4) AS precision, round((s ->> 'recall')::numeric, 4) AS recall,
       round((s ->> 'map')::numeric, 4) AS map, round((s ->> 'coverage')::numeric, 4) AS coverage,
       s -> 'rows' AS rows
FROM split, fitted, nmf_rank_score(model, test, 10, train) s
UNION ALL
SELECT 'popularity', round((s ->> 'ndcg')::numeric, 4), round((s ->> 'precision')::numeric, 4),
       round((s ->> 'recall')::numeric, 4), round((s ->> 'map')::numeric, 4),
       round((s ->> 'coverage')::numeric, 4), s -> 'rows'
FROM split, nmf_popularity_score(train, test, 10) s;
\timing on
SELECT nmf_rank_score(model, test, 10, train) IS NOT NULL AS scored FROM split, fitted;
