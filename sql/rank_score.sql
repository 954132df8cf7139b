-- Ranking metrics of top-k lists: nmf_rank_score and nmf_popularity_score
\set VERBOSITY sqlstate

-- A rank-1 model over rows 1..3 and columns 10..50 whose scores are the
-- same for every row: 10 > 20 > 30 > 40 > 50 (H = 5, 4, 3, 2, 1).
CREATE TABLE rs_model AS
SELECT nmf(nmf_matrix(r, c, 1), 1, init => 'custom', w_init => '{{1},{1},{1}}',
           h_init => '{{5,4,3,2,1}}', max_iter => 0) AS m
FROM generate_series(1, 3) r, generate_series(10, 50, 10) c;
CREATE TABLE rs_train AS
SELECT nmf_matrix(r, c, 1) AS m FROM (VALUES (1, 10), (2, 20), (2, 30), (3, 10)) v(r, c);
-- test: row 4 is unknown to the model, column 99 too
CREATE TABLE rs_test AS
SELECT nmf_matrix(r, c, 1) AS m
FROM (VALUES (1, 30), (1, 50), (1, 99), (2, 10), (3, 40), (4, 10)) v(r, c);

-- k = 2, train cells left out. By hand (relevant = the row's test cells the model knows):
--   row 1: list [20, 30] (10 in train), relevant {30, 50}: hit at 2.
--          P 1/2, R 1/2, NDCG (1/log2 3) / (1 + 1/log2 3) = 0.386853, AP (1/2) / 2 = 0.25
--   row 2: list [10, 40] (20, 30 in train), relevant {10}: hit at 1.  P 1/2, R 1, NDCG 1, AP 1
--   row 3: list [20, 30], relevant {40}: no hit.                       P 0, R 0, NDCG 0, AP 0
--   means over 3 rows: precision 0.333333, recall 0.5, ndcg 0.462284, map 0.416667;
--   coverage: 10, 20, 30, 40 of 5 columns listed = 0.8; unknown: row 4 and (1, 99).
SELECT k, round((s ->> k)::numeric, 6) AS value
FROM rs_model, rs_train, rs_test, nmf_rank_score(rs_model.m, rs_test.m, 2, rs_train.m) s,
     jsonb_object_keys(s) k ORDER BY k;
-- k = 5 without train: every row's list is 10..50, all 5 columns; row 1 hits at 3 and 5,
-- row 2 at 1, row 3 at 4. ndcg: row 1 (1/2 + 1/log2 6) / (1 + 1/log2 3) = 0.543771, row 2 1,
-- row 3 1/log2 5 = 0.430677; map: row 1 (1/3 + 2/5) / 2 = 0.366667, row 2 1, row 3 1/4.
SELECT round((s ->> 'precision')::numeric, 6) AS precision, round((s ->> 'recall')::numeric, 6) AS recall,
       round((s ->> 'ndcg')::numeric, 6) AS ndcg, round((s ->> 'map')::numeric, 6) AS map,
       s -> 'coverage' AS coverage, s -> 'rows' AS rows
FROM rs_model, rs_test, nmf_rank_score(rs_model.m, rs_test.m, k => 5) s;
-- threads change no bit
SELECT nmf_rank_score(rs_model.m, rs_test.m, 2, rs_train.m, threads => 1)
     = nmf_rank_score(rs_model.m, rs_test.m, 2, rs_train.m, threads => 2) AS same
FROM rs_model, rs_train, rs_test;

-- The popularity baseline, k = 2: train's columns by their count of stored cells,
-- 10 (2 rows), 20 (1), 30 (1), ties by lower id; 40, 50 and 99 are not in train.
--   row 1: list [20, 30], relevant {30}: hit at 2. P 1/2, R 1, NDCG 1/log2 3 = 0.630930, AP 1/2
--   row 2: list [10] (20, 30 in train), relevant {10}: hit at 1.  P 1/2, R 1, NDCG 1, AP 1
--   row 3: its only test cell (40) is in no train column: not scored; row 4 is not in train.
--   means over 2 rows: precision 0.5, recall 1, ndcg 0.815465, map 0.75; coverage 3 of 3.
SELECT k, round((s ->> k)::numeric, 6) AS value
FROM rs_train, rs_test, nmf_popularity_score(rs_train.m, rs_test.m, 2) s,
     jsonb_object_keys(s) k ORDER BY k;

-- no row to score: the means are null
SELECT nmf_rank_score(m, (SELECT nmf_matrix(99, 10, 1))) FROM rs_model;
-- a NULL model, test or train gives NULL
SELECT nmf_rank_score(NULL, m) IS NULL AS null_model FROM rs_test;
SELECT nmf_rank_score(m, NULL) IS NULL AS null_test FROM rs_model;
SELECT nmf_popularity_score(NULL, m) IS NULL AS null_train FROM rs_test;
SELECT nmf_popularity_score(m, NULL) IS NULL AS null_test FROM rs_train;

-- errors: k < 1 (22023), a NULL k (22004), threads out of range (22023)
SELECT nmf_rank_score(rs_model.m, rs_test.m, 0) FROM rs_model, rs_test;
SELECT nmf_rank_score(rs_model.m, rs_test.m, -3) FROM rs_model, rs_test;
SELECT nmf_rank_score(rs_model.m, rs_test.m, NULL) FROM rs_model, rs_test;
SELECT nmf_rank_score(rs_model.m, rs_test.m, 2, threads => 0) FROM rs_model, rs_test;
SELECT nmf_popularity_score(rs_train.m, rs_test.m, 0) FROM rs_train, rs_test;
SELECT nmf_popularity_score(rs_train.m, rs_test.m, NULL) FROM rs_train, rs_test;

DROP TABLE rs_model, rs_train, rs_test;
