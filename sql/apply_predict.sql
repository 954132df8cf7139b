-- nmf_predict: one cell, many pairs in one call; unknown ids, NULLs, errors

-- The seed example at rank 1 (its optimum is the leading singular pair)
CREATE TABLE seed AS
SELECT nmf(nmf_matrix('{{5,4,1},{4,5,1},{2,1,5}}'::float8[]), 1, max_iter => 5000, tol => 0) AS m;
SELECT i, array_agg(round(nmf_predict(m, i, j)::numeric, 2) ORDER BY j) AS wh
FROM seed, generate_series(1, 3) i, generate_series(1, 3) j GROUP BY i ORDER BY i;

CREATE TABLE ratings (user_id bigint, item_id bigint, rating float8);
INSERT INTO ratings VALUES
	(10, 100, 5), (10, 200, 4), (10, 300, 1),
	(20, 100, 4), (20, 200, 5), (20, 300, 1), (20, 400, 2),
	(30, 100, 2), (30, 200, 1), (30, 300, 5),
	(40, 100, 1), (40, 300, 4), (40, 400, 5);
CREATE TABLE model AS
SELECT nmf(nmf_matrix(user_id, item_id, rating), 2, seed => 42, max_iter => 1000) AS m FROM ratings;

-- a predicted cell is the sum over factors of W[u, f] * H[f, i]
SELECT bool_and(abs(nmf_predict(model.m, s.u, s.i) - s.wh) < 1e-12) AS equals_wh, count(*) AS cells
FROM model, LATERAL (SELECT w.id AS u, h.id AS i, sum(w.weight * h.weight) AS wh
                     FROM nmf_w(model.m) w JOIN nmf_h(model.m) h USING (factor) GROUP BY 1, 2) s;

-- unknown ids give NULL (the default, on_unknown => 'null')
SELECT nmf_predict(m, 10, 999) IS NULL AS unknown_col, nmf_predict(m, 99, 100) IS NULL AS unknown_row,
       nmf_predict(m, 99, 999, on_unknown => 'null') IS NULL AS both
FROM model;
-- or an error 22023 naming the id
\set VERBOSITY terse
SELECT nmf_predict(m, 10, 999, on_unknown => 'error') FROM model;
SELECT nmf_predict(m, 99, 999, on_unknown => 'error') FROM model;
\set VERBOSITY sqlstate
SELECT nmf_predict(m, 10, 999, on_unknown => 'error') FROM model;
SELECT round(nmf_predict(m, 10, 100, on_unknown => 'error')::numeric, 6) = round(nmf_predict(m, 10, 100)::numeric, 6) AS known_ok FROM model;
SELECT nmf_predict(m, 10, 100, on_unknown => 'skip') FROM model;
SELECT nmf_predict(m, 10, 100, on_unknown => NULL) FROM model;

-- NULL model or id: NULL
SELECT nmf_predict(NULL::nmf_model, 10, 100) IS NULL AS null_model,
       nmf_predict(m, NULL, 100) IS NULL AS null_row, nmf_predict(m, 10, NULL) IS NULL AS null_col
FROM model;

-- many pairs in one call, in array order; equal to the one-cell form
SELECT p.row_id, p.col_id, p.score IS NULL AS null_score, p.score = nmf_predict(m, p.row_id, p.col_id) AS same
FROM model, nmf_predict(m, ARRAY[10, 20, 99, NULL, 40, 40], ARRAY[100, 200, 100, 300, 999, 400]) p;
SELECT bool_and(p.score = nmf_predict(m, p.row_id, p.col_id)) AS same, count(*) AS pairs
FROM model, nmf_predict(m, (SELECT array_agg(u) FROM generate_series(10, 40, 10) u, generate_series(100, 400, 100) i),
                           (SELECT array_agg(i) FROM generate_series(10, 40, 10) u, generate_series(100, 400, 100) i)) p;
-- empty arrays and NULL arguments: no rows
SELECT count(*) FROM model, nmf_predict(m, '{}'::bigint[], '{}'::bigint[]);
SELECT count(*) FROM model, nmf_predict(m, NULL::bigint[], ARRAY[1]::bigint[]);
SELECT count(*) FROM nmf_predict(NULL::nmf_model, ARRAY[1]::bigint[], ARRAY[1]::bigint[]);
-- errors: arrays of different lengths (22023), on_unknown (22023, 22004)
SELECT * FROM model, nmf_predict(m, ARRAY[10, 20], ARRAY[100]::bigint[]);
SELECT * FROM model, nmf_predict(m, ARRAY[10, 20], ARRAY[100, 999], on_unknown => 'error');
SELECT * FROM model, nmf_predict(m, ARRAY[10, 20], ARRAY[100, 200], on_unknown => 'nulls');
SELECT * FROM model, nmf_predict(m, ARRAY[10, 20], ARRAY[100, 200], on_unknown => NULL);
-- a NULL pair is not an unknown id: no error
SELECT count(*) FROM model, nmf_predict(m, ARRAY[10, NULL], ARRAY[100, 200], on_unknown => 'error');

-- a model stored out of line (TOAST), read once per query: two models
-- interleaved row by row still give each its own predictions
CREATE TABLE big_models (k int, m nmf_model);
-- out of line and uncompressed, whatever the solver's zeros would compress to
ALTER TABLE big_models ALTER COLUMN m SET STORAGE EXTERNAL;
INSERT INTO big_models
SELECT s, nmf(nmf_matrix(i, j, ((i * j + s) % 7)::float8), 5, seed => s, max_iter => 20)
FROM generate_series(1, 2) s, generate_series(1, 150) i, generate_series(1, 60) j GROUP BY s;
SELECT k, pg_column_size(m) > 8000 AS large FROM big_models ORDER BY k;
SELECT bool_and(abs(nmf_predict(b.m, p.i, p.j) - e.wh) < 1e-12) AS each_its_own, count(*) AS calls
FROM (SELECT i, j FROM generate_series(1, 150, 7) i, generate_series(1, 60, 11) j) p
CROSS JOIN big_models b
JOIN LATERAL (SELECT sum(w.weight * h.weight) AS wh FROM nmf_w(b.m) w JOIN nmf_h(b.m) h USING (factor)
              WHERE w.id = p.i AND h.id = p.j) e ON true;

DROP TABLE seed, ratings, model, big_models;
