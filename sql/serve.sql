-- Serving a model: factors as vectors, cold start, recommend for every row, nmf_update
\set VERBOSITY sqlstate

-- apply_recommend.sql's ratings
CREATE TABLE ratings AS
SELECT u::bigint AS user_id, i::bigint AS item_id, (1 + (u * 3 + i * 7) % 5)::float8 AS rating
FROM generate_series(1, 12) u, generate_series(1, 9) i WHERE (u + 2 * i) % 3 <> 0;
CREATE TABLE model AS
SELECT nmf(x, 3, seed => 7, max_iter => 300) AS m,
       nmf(x, 3, seed => 7, max_iter => 300, missing => 'ignore', bias => true, reg => 0.05) AS mb,
       x
FROM (SELECT nmf_matrix(user_id, item_id, rating) AS x FROM ratings) s;

-- ---------------------------------------------------------------- vectors
-- unbiased: W's and H's rows as real[], the same values as nmf_w_wide / nmf_h_wide
SELECT count(*) AS rows, bool_and(cardinality(v.vec) = 3) AS rank_3,
       bool_and(v.vec = w.weights::real[]) AS same_as_w
FROM model, nmf_w_vectors(m) v JOIN nmf_w_wide(m) w USING (id);
SELECT count(*) AS cols, bool_and(v.vec = h.weights::real[]) AS same_as_h
FROM model, nmf_h_vectors(m) v JOIN nmf_h_wide(m) h USING (id);
-- augment changes nothing without biases
SELECT bool_and(a.vec = b.vec) AS unbiased_unchanged
FROM model, nmf_h_vectors(m) a JOIN nmf_h_vectors(m, augment => false) b USING (id);
-- biased: user [w; 1], item [h; b_col]
SELECT bool_and(v.vec = (w.weights || 1.0::float8)::real[]) AS user_augmented
FROM model, nmf_w_vectors(mb) v JOIN nmf_w_wide(mb) w USING (id);
SELECT bool_and(v.vec = (h.weights || b.bias)::real[]) AS item_augmented
FROM model, nmf_h_vectors(mb) v JOIN nmf_h_wide(mb) h USING (id) JOIN nmf_bias(mb, 'col') b USING (id);
SELECT bool_and(cardinality(vec) = 3) AS plain_when_asked FROM model, nmf_w_vectors(mb, augment => false);
-- the inner product is the score less mu + b_row: it ranks as nmf_recommend does
SELECT bool_and(abs(ip + (nmf_info(mb) ->> 'mu')::float8 + b.bias - r.score) < 1e-5) AS ip_plus_constant_is_score
FROM model, nmf_recommend(mb, 5, 9, clip => false) r,
     LATERAL (SELECT sum(a * c) AS ip FROM unnest(nmf_w_vector(mb, 5), nmf_h_vector(mb, r.col_id)) t(a, c)) s,
     nmf_bias(mb, 'row') b WHERE b.id = 5;
SELECT (SELECT array_agg(col_id ORDER BY score DESC, col_id) FROM nmf_recommend(mb, 5, 9)) =
       (SELECT array_agg(id ORDER BY ip DESC, id) FROM (
          SELECT h.id, (SELECT sum(a * c) FROM unnest(nmf_w_vector(mb, 5), h.vec) t(a, c)) AS ip
          FROM nmf_h_vectors(mb) h) s) AS same_ranking
FROM model;
-- one id: as in the set; unknown id NULL, or an error naming it; NULLs
SELECT nmf_w_vector(m, 5) = (SELECT vec FROM nmf_w_vectors(m) WHERE id = 5) AS one_row,
       nmf_h_vector(mb, 4) = (SELECT vec FROM nmf_h_vectors(mb) WHERE id = 4) AS one_col,
       nmf_w_vector(m, 99) IS NULL AS unknown_row, nmf_h_vector(m, 99) IS NULL AS unknown_col,
       nmf_w_vector(m, NULL) IS NULL AS null_id, nmf_w_vector(NULL, 5) IS NULL AS null_model
FROM model;
SELECT count(*) FROM nmf_w_vectors(NULL);
\set VERBOSITY terse
SELECT nmf_h_vector(m, 99, on_unknown => 'error') FROM model;
\set VERBOSITY sqlstate
SELECT nmf_w_vector(m, 5, augment => NULL) FROM model;
SELECT count(*) FROM model, nmf_h_vectors(m, NULL);

-- ---------------------------------------------------------------- cold start
-- an unknown row: no rows by default, the average row's list with cold_start => 'popular'
SELECT count(*) AS none FROM model, nmf_recommend(mb, 99, 3);
SELECT count(*) AS popular FROM model, nmf_recommend(mb, 99, 3, cold_start => 'popular');
-- the popular list: mu + mean(b_row) + b_col + mean(w) . h, best first
WITH mw AS (SELECT factor, avg(weight) AS w FROM model, nmf_w(mb) GROUP BY factor),
     pop AS (SELECT h.id, sum(mw.w * h.weight) AS s FROM model, nmf_h(mb) h JOIN mw USING (factor) GROUP BY h.id)
SELECT (SELECT array_agg(col_id ORDER BY ord) FROM model, nmf_recommend(mb, 99, 4, cold_start => 'popular')
          WITH ORDINALITY AS r(col_id, score, ord)) =
       (SELECT array_agg(id ORDER BY o) FROM (
          SELECT id, row_number() OVER (ORDER BY s + b.bias DESC, id) AS o
          FROM pop JOIN (SELECT b.* FROM model, nmf_bias(mb, 'col') b) b USING (id)) t
        WHERE o <= 4) AS popular_order;
-- the unknown row's cells in exclude are left out; an unbiased model by mean(w) . h
SELECT count(*) AS left_out FROM model, nmf_recommend(mb, 99, 9, exclude => (SELECT nmf_matrix(99, i, 1) FROM generate_series(1, 3) i), cold_start => 'popular');
SELECT count(*) AS unbiased FROM model, nmf_recommend(m, 99, 2, cold_start => 'popular');
-- a known row is unchanged; the array form takes it too
SELECT (SELECT array_agg(col_id) FROM model, nmf_recommend(mb, 5, 3)) =
       (SELECT array_agg(col_id) FROM model, nmf_recommend(mb, 5, 3, cold_start => 'popular')) AS known_unchanged;
SELECT row_id, count(*) FROM model, nmf_recommend(mb, ARRAY[5, 99], 2, cold_start => 'popular') GROUP BY row_id ORDER BY row_id;
SELECT col_id FROM model, nmf_recommend(mb, 99, 3, cold_start => 'trending');
SELECT col_id FROM model, nmf_recommend(mb, 99, 3, cold_start => NULL);

-- ---------------------------------------------------------------- recommend for every row
-- every row's list equals nmf_recommend's, with and without exclude
SELECT count(*) AS rows_out, count(DISTINCT row_id) AS users FROM model, nmf_recommend_all(mb, 3);
SELECT count(*) AS differences FROM (
  (SELECT a.row_id, a.col_id, a.score, a.rank FROM model, nmf_recommend_all(mb, 3, exclude => x) a
   EXCEPT
   SELECT r.* FROM model, nmf_recommend(mb, ARRAY(SELECT generate_series(1, 12)::bigint), 3, exclude => x) r)
  UNION ALL
  (SELECT r.* FROM model, nmf_recommend(m, ARRAY(SELECT generate_series(1, 12)::bigint), 4) r
   EXCEPT
   SELECT a.row_id, a.col_id, a.score, a.rank FROM model, nmf_recommend_all(m, 4, threads => 1) a)) d;
-- k past the columns: every column; defaults k 10
SELECT count(*) FROM model, nmf_recommend_all(m, 100);
SELECT count(*) FROM model, nmf_recommend_all(m);
SELECT count(*) FROM nmf_recommend_all(NULL);
SELECT count(*) FROM model, nmf_recommend_all(m, 0);
SELECT count(*) FROM model, nmf_recommend_all(m, NULL);
SELECT count(*) FROM model, nmf_recommend_all(m, 3, threads => 0);

-- ---------------------------------------------------------------- nmf_update
-- a new user (100), a new item (50), new cells for known ones (user 1, item 2)
CREATE TABLE fresh AS SELECT * FROM (VALUES (100::bigint, 1::bigint, 5::float8), (100, 2, 4), (100, 50, 5),
	(3, 50, 4), (4, 50, 5), (1, 3, 1)) v(user_id, item_id, rating);
CREATE TABLE updated AS
SELECT nmf_update(mb, (SELECT nmf_matrix(user_id, item_id, rating) FROM fresh)) AS u,
       nmf_update(m, (SELECT nmf_matrix(user_id, item_id, rating) FROM fresh), sweeps => 1) AS uz
FROM model;
SELECT (nmf_info(u) ->> 'rows')::int AS rows, (nmf_info(u) ->> 'cols')::int AS cols,
       (nmf_info(u) ->> 'nnz')::int - (nmf_info(mb) ->> 'nnz')::int AS added_cells
FROM updated, model;
-- the new user and item have factors, the new user gets recommendations
SELECT count(*) AS new_user_vec FROM updated, nmf_w_vectors(u) WHERE id = 100;
SELECT count(*) AS new_item_vec FROM updated, nmf_h_vectors(u) WHERE id = 50;
SELECT count(*) AS recs FROM updated, nmf_recommend(u, 100, 3);
-- the new user's factors fit their cells (item 2 rated 4, the others 5: clipped there)
SELECT abs(nmf_predict(u, 100, 2) - 4) < 0.25 AS fits_new_user, nmf_predict(u, 100, 1) AS rated_5 FROM updated;
-- a plain masked model's ridge pulls a new user toward the average user, as
-- the fit's does: one rating of 1 puts them between it and the users' mean
-- prediction (pulled toward 0, they would fall below 1)
CREATE TABLE plain_update AS
SELECT m0, nmf_update(m0, (SELECT nmf_matrix(200::bigint, 1::bigint, 1::float8))) AS u0
FROM (SELECT nmf(x, 3, seed => 7, max_iter => 300, missing => 'ignore', reg => 5) AS m0 FROM model) s;
SELECT bool_and(nmf_predict(u0, 200, i) > 1.5 AND nmf_predict(u0, 200, i) < a.mean_prediction)
       AS new_user_between_rating_and_average
FROM plain_update, generate_series(2, 9) i,
     LATERAL (SELECT avg(nmf_predict(m0, u, i)) AS mean_prediction FROM generate_series(1, 12) u) a;
-- a masked model of solver mu pulled its lines toward 0, and so does its
-- update: the same new user stays near their one rating of 1
SELECT bool_and(nmf_predict(u1, 200, i) < 1.5) AS mu_new_user_near_rating
FROM (SELECT nmf_update(m1, (SELECT nmf_matrix(200::bigint, 1::bigint, 1::float8))) AS u1
      FROM (SELECT nmf(x, 3, solver => 'mu', seed => 7, max_iter => 300, missing => 'ignore', reg => 0.5) AS m1
            FROM model) s) q, generate_series(2, 9) i;
-- untouched rows and columns keep their factors and biases; touched ones move
SELECT bool_and(a.weights = b.weights) AS untouched_rows_kept
FROM model, updated, nmf_w_wide(mb) a JOIN nmf_w_wide(u) b USING (id) WHERE id NOT IN (1, 3, 4);
SELECT bool_and(a.weights = b.weights) AS untouched_cols_kept
FROM model, updated, nmf_h_wide(mb) a JOIN nmf_h_wide(u) b USING (id) WHERE id NOT IN (1, 2, 3, 50);
SELECT bool_and(a.bias = b.bias) AS untouched_biases_kept
FROM model, updated, nmf_bias(mb, 'row') a JOIN nmf_bias(u, 'row') b USING (id) WHERE id NOT IN (1, 3, 4);
SELECT (SELECT weights FROM model, nmf_w_wide(mb) WHERE id = 1) <> (SELECT weights FROM updated, nmf_w_wide(u) WHERE id = 1) AS touched_moved;
-- the model's options are kept; missing 'zero' models update too
SELECT nmf_info(u) -> 'options' = nmf_info(mb) -> 'options' AS options_kept, (nmf_info(uz) ->> 'cols')::int AS zero_cols
FROM updated, model;
SELECT count(*) AS zero_new_user FROM updated, nmf_recommend(uz, 100, 3);
-- nmf_info counts the updates since the last full fit and their cells
SELECT nmf_info(mb) -> 'updates' AS fitted_updates, nmf_info(u) -> 'updates' AS updates,
       nmf_info(u) -> 'update_cells' AS update_cells,
       nmf_info(nmf_update(u, (SELECT nmf_matrix(user_id, item_id, rating) FROM fresh))) -> 'updates' AS twice
FROM updated, model;
-- NULL cells: the model as it is; NULL model: NULL
SELECT nmf_update(m, NULL)::bytea = m::bytea AS same FROM model;
SELECT nmf_update(NULL, x) IS NULL AS null_model FROM model;
-- bad input
SELECT nmf_update(m, x, sweeps => 0) FROM model;
SELECT nmf_update(m, x, sweeps => NULL) FROM model;
SELECT nmf_update(m, x, threads => 0) FROM model;
SELECT nmf_update((SELECT nmf(x, 2, solver => 'mu', loss => 'kl', max_iter => 5) FROM model), x) FROM model;
SELECT nmf_update(m, (SELECT nmf_matrix(1, 1, 'NaN'))) FROM model;
SELECT nmf_update(m, (SELECT nmf_matrix(1, 1, -1))) FROM model;

-- ---------------------------------------------------------------- the backend's model cache
-- Models read from a table stay decoded in the backend; a changed row is never served stale.
CREATE TABLE big_ratings AS
SELECT u AS user_id, i AS item_id, (1 + abs(hashint4(u * 1000 + i)) % 5)::float8 AS rating
FROM generate_series(1, 60) u, generate_series(1, 80) i WHERE (u * 7 + i) % 4 = 0;
CREATE TABLE served (name text, m nmf_model);
ALTER TABLE served ALTER m SET STORAGE EXTERNAL;
CREATE TABLE candidates AS
SELECT s AS seed, nmf(x, 4, seed => s, max_iter => 5 * s) AS m
FROM (SELECT nmf_matrix(user_id, item_id, rating) AS x FROM big_ratings) b, generate_series(1, 3) s;
INSERT INTO served SELECT 'current', m FROM candidates WHERE seed = 1;
-- stored out of line (a TOAST pointer: what the cache keys on)
SELECT pg_relation_size(reltoastrelid) > 0 AS toasted FROM pg_class WHERE relname = 'served';
-- row 7's top 3 scores: any two of the models differ in them
CREATE FUNCTION top3(model nmf_model) RETURNS float8[] LANGUAGE sql
	AS $$ SELECT array_agg(score ORDER BY score DESC, col_id) FROM nmf_recommend(model, 7, 3, clip => false) $$;
-- what each model gives, from an in-memory copy (a bytea round trip: never cached);
-- the three differ, so a stale answer would show
CREATE TABLE fresh_top AS SELECT seed, top3(m::bytea::nmf_model) AS want FROM candidates;
SELECT count(DISTINCT want) AS distinct_lists FROM fresh_top;
-- the models read from their own table are served as themselves
SELECT bool_and(top3(m) = want) AS candidates_served FROM candidates JOIN fresh_top USING (seed);
SELECT (SELECT top3(m) FROM served) = (SELECT want FROM fresh_top WHERE seed = 1) AS first_model;
SELECT (SELECT top3(m) FROM served) = (SELECT want FROM fresh_top WHERE seed = 1) AS cached_hit;
UPDATE served SET m = (SELECT m FROM candidates WHERE seed = 2);
SELECT (SELECT top3(m) FROM served) = (SELECT want FROM fresh_top WHERE seed = 2) AS after_update;
BEGIN;
UPDATE served SET m = (SELECT m FROM candidates WHERE seed = 3);
SELECT (SELECT top3(m) FROM served) = (SELECT want FROM fresh_top WHERE seed = 3) AS in_transaction;
ROLLBACK;
SELECT (SELECT top3(m) FROM served) = (SELECT want FROM fresh_top WHERE seed = 2) AS after_rollback;
-- the row deleted and the table refilled: a new value, the new model
DELETE FROM served;
VACUUM served;
INSERT INTO served SELECT 'current', m FROM candidates WHERE seed = 3;
SELECT (SELECT top3(m) FROM served) = (SELECT want FROM fresh_top WHERE seed = 3) AS after_refill;
-- two models in turn from one table: each its own
INSERT INTO served SELECT 'other', m FROM candidates WHERE seed = 1;
SELECT name, top3(m) = (SELECT want FROM fresh_top f WHERE f.seed = CASE name WHEN 'current' THEN 3 ELSE 1 END) AS own_model
FROM served, generate_series(1, 2) ORDER BY name;
-- nmf.model_cache off: every query decodes its model again, the same answers
SET nmf.model_cache = off;
SELECT name, top3(m) = (SELECT want FROM fresh_top f WHERE f.seed = CASE name WHEN 'current' THEN 3 ELSE 1 END) AS own_model_uncached
FROM served, generate_series(1, 2) ORDER BY name;
RESET nmf.model_cache;
