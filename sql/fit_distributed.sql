-- nmf_fit_distributed on one node (no Citus): nmf_distributed's fit
-- (solver mu, one update per product, every iteration, no ridge), W and H into tables;
-- test/t/citus_fit.py runs it on Citus

CREATE TABLE dratings AS
SELECT u AS user_id, i AS item_id, ((u * 7 + i * 13) % 5 + 1)::float8 AS rating
FROM generate_series(1, 30) u, generate_series(1, 8) i
WHERE (u * 31 + i * 17) % 10 < 4;

SELECT r - 'loss' - 'relative_error' AS result,
       round((r ->> 'relative_error')::numeric, 2) AS relative_error
FROM nmf_fit_distributed('dratings', 'user_id', 'item_id', 'rating', 3, 'dw0', 'dh0',
	max_iter => 0, seed => 5) r;
SELECT r ->> 'iterations' AS iterations, round((r ->> 'relative_error')::numeric, 2) AS relative_error
FROM nmf_fit_distributed('dratings', 'user_id', 'item_id', 'rating', 3, 'dw', 'dh',
	max_iter => 100, seed => 5) r;

-- W: one r-vector per row id of the source; H: one per column id; all >= 0
SELECT count(*) AS w_rows, bool_and(array_length(w, 1) = 3) AS rank_3,
       bool_and(0 <= ALL (w)) AS nonnegative FROM dw;
SELECT count(*) AS h_rows, min(col_id), max(col_id), bool_and(0 <= ALL (h)) AS nonnegative FROM dh;
SELECT (SELECT array_agg(row_id ORDER BY row_id) FROM dw)
     = (SELECT array_agg(DISTINCT user_id ORDER BY user_id) FROM dratings) AS w_ids_match;

-- the reported loss is ||V - W H||^2 over all cells (zero-filled), from the
-- tables (numeric: float8's product refuses an underflow, and mu's factors hold tiny values)
WITH wh AS (
	SELECT w.row_id, h.col_id, (SELECT sum(a::numeric * b::numeric) FROM unnest(w.w, h.h) t(a, b))::float8 AS p
	FROM dw w CROSS JOIN dh h),
loss AS (
	SELECT sum((coalesce(d.rating, 0) - wh.p)::numeric ^ 2)::float8 AS l
	FROM wh LEFT JOIN dratings d ON d.user_id = wh.row_id AND d.item_id = wh.col_id)
SELECT abs(l - (SELECT (r ->> 'loss')::float8 FROM nmf_fit_distributed('dratings', 'user_id',
	'item_id', 'rating', 3, 'dw2', 'dh2', max_iter => 100, seed => 5) r)) < 1e-9 * l AS loss_matches
FROM loss;

-- the model of nmf() with the same options (the same fit, written into tables)
WITH m AS (SELECT nmf(nmf_matrix(user_id, item_id, rating), 3, solver => 'mu', max_iter => 100,
                      tol => 0, seed => 5, inner_updates => 1) AS m FROM dratings)
SELECT max(abs((SELECT sum(a::numeric * b::numeric) FROM unnest(w.w, h.h) t(a, b))::float8
               - nmf_predict(m.m, w.row_id, h.col_id))) < 1e-12 AS same_as_nmf
FROM m, dw w CROSS JOIN dh h;
-- the same seed gives the same W and H
SELECT bool_and(a.w = b.w) AND count(*) = 30 AS same_w FROM dw a JOIN dw2 b USING (row_id);
SELECT bool_and(a.h = b.h) AND count(*) = 8 AS same_h FROM dh a JOIN dh2 b USING (col_id);

-- masked: the loss is over the stored cells only, and lower than zero-filled
SELECT round((r ->> 'relative_error')::numeric, 2) AS relative_error, r ->> 'missing' AS missing
FROM nmf_fit_distributed('dratings', 'user_id', 'item_id', 'rating', 3, 'dwm', 'dhm',
	missing => 'ignore', max_iter => 100, seed => 5) r;

-- a (row, column) pair given twice counts once, summed, as in nmf_matrix
INSERT INTO dratings VALUES (1, 3, 4);
SELECT r ->> 'cells' AS cells FROM nmf_fit_distributed('dratings', 'user_id', 'item_id', 'rating', 2,
	'dd', 'de', max_iter => 5) r;
DELETE FROM dratings WHERE user_id = 1 AND item_id = 3 AND rating = 4;

-- text keys: W's rows keyed by the source's own type, H's columns by theirs
CREATE TABLE kdr AS SELECT 'u' || user_id AS usr, md5(item_id::text)::uuid AS item, rating FROM dratings;
SELECT r ->> 'rows' AS rows FROM nmf_fit_distributed('kdr', 'usr', 'item', 'rating', 2, 'kw', 'kh',
	max_iter => 5) r;
SELECT pg_typeof(row_id) AS w_key, count(*) FROM kw GROUP BY 1;
SELECT pg_typeof(col_id) AS h_key, count(*) FROM kh GROUP BY 1;
DROP TABLE kdr, kw, kh;

-- bad input: each its own SQLSTATE, and no table is left behind
\set VERBOSITY sqlstate
SELECT nmf_fit_distributed('dratings', 'user_id', 'item_id', 'rating', 0, 'dx', 'dy');
SELECT nmf_fit_distributed('dratings', 'user_id', 'item_id', 'rating', 2, 'dx', 'dy', missing => 'drop');
SELECT nmf_fit_distributed('dratings', 'user_id', 'item_id', 'rating', 2, 'dx', 'dy', max_iter => -1);
SELECT nmf_fit_distributed('dratings', 'user_id', 'nope', 'rating', 2, 'dx', 'dy');
SELECT nmf_fit_distributed('dratings', 'user_id', 'item_id', 'rating', 2, 'dw', 'dy');
SELECT nmf_fit_distributed('no_such_table', 'user_id', 'item_id', 'rating', 2, 'dx', 'dy');
UPDATE dratings SET rating = 'NaN' WHERE user_id = 1 AND item_id = 3;
SELECT nmf_fit_distributed('dratings', 'user_id', 'item_id', 'rating', 2, 'dx', 'dy');
UPDATE dratings SET rating = NULL WHERE user_id = 1 AND item_id = 3;
SELECT nmf_fit_distributed('dratings', 'user_id', 'item_id', 'rating', 2, 'dx', 'dy');
DELETE FROM dratings;
SELECT nmf_fit_distributed('dratings', 'user_id', 'item_id', 'rating', 2, 'dx', 'dy');
\set VERBOSITY default
SELECT count(*) AS left_behind FROM pg_class WHERE relname IN ('dx', 'dy');

DROP TABLE dratings, dw0, dh0, dw, dh, dw2, dh2, dwm, dhm, dd, de;
