-- nmf_score over a matrix's stored cells, and the seeded split nmf_split
\set VERBOSITY sqlstate

-- 12 users x 9 items, two cells in three rated 1 to 5 (as in apply_recommend)
CREATE TABLE ratings AS
SELECT u::bigint AS user_id, i::bigint AS item_id, (1 + (u * 3 + i * 7) % 5)::float8 AS rating
FROM generate_series(1, 12) u, generate_series(1, 9) i
WHERE (u + 2 * i) % 3 <> 0;
CREATE TABLE model AS
SELECT nmf(x, 2, seed => 7, max_iter => 300) AS m, x
FROM (SELECT nmf_matrix(user_id, item_id, rating) AS x FROM ratings) AS r;

-- every key; the values as computed in SQL from nmf_predict
SELECT k FROM model, jsonb_object_keys(nmf_score(m, x)) k ORDER BY k;
SELECT round((s ->> 'rmse')::numeric, 10) = round(e.rmse::numeric, 10) AS rmse,
       round((s ->> 'mae')::numeric, 10) = round(e.mae::numeric, 10) AS mae,
       round((s ->> 'frobenius')::numeric, 10) = round(e.frob::numeric, 10) AS frobenius,
       round((s ->> 'relative_error')::numeric, 10) = round((e.frob / e.xnorm)::numeric, 10) AS relative_error,
       s -> 'cells' AS cells, s -> 'unknown_cells' AS unknown_cells
FROM model, nmf_score(m, x) s,
     (SELECT sqrt(avg((rating - p) ^ 2)) AS rmse, avg(abs(rating - p)) AS mae,
             sqrt(sum((rating - p) ^ 2)) AS frob, sqrt(sum(rating ^ 2)) AS xnorm
      FROM (SELECT rating, nmf_predict(m, user_id, item_id) AS p FROM ratings, model) t) e;
-- cells with ids the model lacks are counted apart
SELECT s -> 'cells' AS cells, s -> 'unknown_cells' AS unknown_cells
FROM model, nmf_score(m, (SELECT nmf_matrix(u, i, 3) FROM (VALUES (1, 1), (1, 2), (99, 1), (2, 99), (98, 98)) c(u, i))) s;
-- no known cell: rmse, mae and relative_error are null
SELECT nmf_score(m, (SELECT nmf_matrix(99, 99, 3))) FROM model;
-- an exact fit: zero error (a rank-1 matrix at rank 1)
SELECT round((s ->> 'rmse')::numeric, 6) AS rmse, round((s ->> 'relative_error')::numeric, 6) AS rel
FROM (SELECT nmf_score(nmf(x, 1, max_iter => 2000), x) AS s
      FROM (SELECT nmf_matrix('{{1,2,3},{2,4,6}}'::float8[]) AS x) t) q;
-- strict: NULL in, NULL out
SELECT nmf_score(m, NULL) IS NULL AS null_matrix, nmf_score(NULL, x) IS NULL AS null_model FROM model;

-- nmf_split: the cells of fold f (1..folds) are the test matrix, the rest the training matrix
SELECT f, (nmf_matrix_info(train) ->> 'nnz')::int + (nmf_matrix_info(test) ->> 'nnz')::int AS nnz,
       (nmf_matrix_info(train) ->> 'sum')::float8 + (nmf_matrix_info(test) ->> 'sum')::float8 AS sum
FROM model, generate_series(1, 4) f, nmf_split(x, 4, f, seed => 1) ORDER BY f;
SELECT nmf_matrix_info(x) ->> 'nnz' AS nnz, nmf_matrix_info(x) ->> 'sum' AS sum FROM model;
-- the test folds partition the cells: their sizes and sums add up to the matrix's
SELECT sum((nmf_matrix_info(test) ->> 'nnz')::int) AS nnz, sum((nmf_matrix_info(test) ->> 'sum')::float8) AS sum,
       min((nmf_matrix_info(test) ->> 'nnz')::int) > 10 AS each_fold_has_cells
FROM model, generate_series(1, 4) f, nmf_split(x, 4, f, seed => 1);
-- seeded: the same seed gives the same bytes, another seed another split
SELECT a.test::bytea = b.test::bytea AS same_seed_same_split
FROM model, nmf_split(x, 4, 2, 5) a, nmf_split(x, 4, 2, 5) b;
SELECT a.test::bytea = b.test::bytea AS other_seed_same_split
FROM model, nmf_split(x, 4, 2, 5) a, nmf_split(x, 4, 2, 6) b;
-- a side without cells is NULL; a NULL matrix gives NULLs
SELECT f, train IS NULL AS no_train, test IS NULL AS no_test FROM generate_series(1, 2) f, nmf_split((SELECT nmf_matrix(1, 1, 1)), 2, f) ORDER BY f;
SELECT train IS NULL AND test IS NULL AS both_null FROM nmf_split(NULL, 2, 1);
-- errors: folds < 2, fold out of 1..folds (22023), NULL options (22004)
SELECT * FROM model, nmf_split(x, 1, 1);
SELECT * FROM model, nmf_split(x, 5, 0);
SELECT * FROM model, nmf_split(x, 5, 6);
SELECT * FROM model, nmf_split(x, NULL, 1);
SELECT * FROM model, nmf_split(x, 5, NULL);
SELECT * FROM model, nmf_split(x, 5, 1, NULL);

-- held-out evaluation in SQL: fit on train, score on test
SELECT (nmf_score(nmf(train, 2, seed => 7, max_iter => 300), test) ->> 'cells')::int > 0 AS test_scored
FROM model, nmf_split(x, 5, 1, seed => 3);

DROP TABLE ratings, model;
