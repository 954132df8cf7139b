-- bias => true: the model mu + b_row + b_col + W H (W, H >= 0), fitted over
-- the stored cells; every apply function adds the biases; the threads option

-- 40 users x 25 items, about half the cells rated: a user effect, an item
-- effect and a small interaction, rounded to 1..5 (fixed, no randomness)
CREATE TABLE br AS
SELECT u AS user_id, i AS item_id,
       least(5, greatest(1, round(3 + (u % 5 - 2) * 0.6 + (i % 4 - 1.5) * 0.5
                                  + ((u * i) % 3) * 0.3)))::float8 AS rating
FROM generate_series(1, 40) u, generate_series(1, 25) i
WHERE (u * 7 + i * 11) % 9 < 5;
CREATE TABLE bx AS SELECT nmf_matrix(user_id, item_id, rating) AS x FROM br;
-- With W and H unpenalised, rank 2 could carry the user and item effects
-- itself (as a W H of [u, 1] x [1; i]) and the ridge would empty the biases;
-- a ridge on W and H (stronger than l2_bias) leaves the effects to the biases.
CREATE TABLE bm AS
SELECT nmf(x, 2, missing => 'ignore', bias => true, seed => 1, max_iter => 300, tol => 0,
           l2_w => 5, l2_h => 5, l2_bias => 1) AS m,
       nmf(x, 2, missing => 'ignore', seed => 1, max_iter => 300, tol => 0, l2_w => 5, l2_h => 5) AS plain
FROM bx;

-- nmf_info: bias and mu; the options record bias and l2_bias
-- (that mu is the model's, the one nmf_predict adds, is checked with the predictions below)
SELECT nmf_info(m) -> 'bias' AS bias, jsonb_typeof(nmf_info(m) -> 'mu') AS mu_in_info,
       nmf_info(m) -> 'options' -> 'bias' AS option_bias, nmf_info(m) -> 'options' -> 'l2_bias' AS l2_bias,
       nmf_info(m) -> 'format_version' AS format_version,
       nmf_info(plain) -> 'bias' AS plain_bias, nmf_info(plain) -> 'mu' AS plain_mu,
       nmf_info(plain) -> 'options' -> 'l2_bias' AS plain_l2_bias
FROM bm;

-- nmf_bias: one row per row id and per column id
SELECT (SELECT count(*) FROM nmf_bias(m, 'row')) AS row_biases,
       (SELECT count(*) FROM nmf_bias(m, 'col')) AS col_biases,
       (SELECT count(*) FROM nmf_bias(plain, 'row')) AS plain_row_biases
FROM bm;
-- the row biases follow the planted user effect (u % 5), shrunk by the ridge
SELECT u5, round(avg(b.bias)::numeric, 1) AS mean_bias
FROM bm, nmf_bias(bm.m, 'row') b, LATERAL (SELECT b.id % 5 AS u5) s
GROUP BY u5 ORDER BY u5;
SELECT corr(b.bias, (b.id % 5)::float8) > 0.9 AS row_biases_follow_users FROM bm, nmf_bias(bm.m, 'row') b;
SELECT corr(b.bias, (b.id % 4)::float8) > 0.9 AS col_biases_follow_items FROM bm, nmf_bias(bm.m, 'col') b;

-- a predicted cell is mu + b_row + b_col + sum over factors of W[u, f] * H[f, i]
-- (unclipped; clipped, within the training range)
SELECT bool_and(abs(nmf_predict(bm.m, s.u, s.i, clip => false) - (mu + br.bias + bc.bias + s.wh)) < 1e-9) AS equals_biased_wh,
       count(*) AS cells
FROM bm, LATERAL (SELECT (nmf_info(bm.m) ->> 'mu')::float8 AS mu) info,
     LATERAL (SELECT w.id AS u, h.id AS i, sum(w.weight * h.weight) AS wh
              FROM nmf_w(bm.m) w JOIN nmf_h(bm.m) h USING (factor) GROUP BY 1, 2) s
     JOIN nmf_bias(bm.m, 'row') br ON br.id = s.u JOIN nmf_bias(bm.m, 'col') bc ON bc.id = s.i;
-- the set form gives the same bits
SELECT bool_and(p.score = nmf_predict(bm.m, p.row_id, p.col_id)) AS same_as_one_cell, count(*) AS pairs
FROM bm, nmf_predict(bm.m, ARRAY[1, 2, 3, 40, 99], ARRAY[1, 25, 7, 3, 1]) p WHERE p.score IS NOT NULL;

-- recommend: scores are the biased predictions, best first
SELECT bool_and(r.score = nmf_predict(bm.m, 7, r.col_id)) AS scores_are_predictions,
       count(*) AS k
FROM bm, nmf_recommend(bm.m, 7, 5) r;
SELECT bool_and(r.score = nmf_predict(bm.m, r.row_id, r.col_id)) AS many_rows_same, count(*) AS rows
FROM bm, nmf_recommend(bm.m, ARRAY[1, 2, 3], 4) r;

-- score: the biased fit's squared error over its training cells is its loss
SELECT round(((nmf_score(m, x, clip => false) ->> 'frobenius')::float8 ^ 2 / (nmf_info(m) ->> 'loss')::float8)::numeric, 9)
           AS score_matches_loss
FROM bm, bx;

-- fold-in: a new user's bias comes back as factor 0, before the weights
CREATE TABLE newx AS
SELECT nmf_matrix(1000 + user_id, item_id, rating) AS x FROM br WHERE user_id IN (2, 5);
SELECT t.id, t.factor, t.weight >= 0 OR t.factor = 0 AS ok FROM bm, newx, nmf_transform(bm.m, newx.x) t
ORDER BY t.id, t.factor;
-- user 5 (u % 5 = 0) rates low, user 2 (u % 5 = 2) near the middle
SELECT t.id, round(t.weight::numeric, 1) AS folded_bias, round(b.bias::numeric, 1) AS fitted_bias
FROM bm, newx, nmf_transform(bm.m, newx.x) t JOIN nmf_bias(bm.m, 'row') b ON b.id = t.id - 1000
WHERE t.factor = 0 ORDER BY t.id;

-- the loss never increases (no ridge: the history is the whole objective)
SELECT bool_and(d <= 1e-12) AS non_increasing, count(*) AS iterations
FROM (SELECT loss - lag(loss) OVER (ORDER BY iteration) AS d
      FROM bx, nmf_loss_history(nmf(x, 3, missing => 'ignore', bias => true, l2_bias => 0,
                                     reg => 0, max_iter => 40, tol => 0)) h) s;
-- solver gd works with biases too
SELECT nmf_info(nmf(x, 2, missing => 'ignore', bias => true, solver => 'gd', max_iter => 20)) -> 'bias' AS gd_bias
FROM bx;

-- unknown ids: NULL, no rows, or an error with on_unknown => 'error'
SELECT nmf_predict(m, 1, 999) IS NULL AS unknown_col, nmf_predict(m, 999, 1) IS NULL AS unknown_row FROM bm;
SELECT count(*) AS unknown_row_recommends FROM bm, nmf_recommend(bm.m, 999, 3) r;
\set VERBOSITY terse
SELECT nmf_predict(m, 999, 1, on_unknown => 'error') FROM bm;

-- errors: bias needs missing 'ignore', and solver hals or gd
SELECT nmf(x, 2, bias => true) FROM bx;
SELECT nmf(x, 2, missing => 'ignore', bias => true, solver => 'mu') FROM bx;
SELECT nmf(x, 2, missing => 'ignore', bias => true, solver => 'mu', loss => 'kl') FROM bx;
-- l2_bias: a finite number >= 0
SELECT nmf(x, 2, missing => 'ignore', bias => true, l2_bias => -1) FROM bx;
SELECT nmf(x, 2, missing => 'ignore', bias => true, l2_bias => 'Infinity') FROM bx;
SELECT nmf(x, 2, missing => 'ignore', bias => true, l2_bias => 'NaN') FROM bx;
-- NULLs
SELECT nmf(x, 2, missing => 'ignore', bias => NULL) FROM bx;
SELECT nmf(x, 2, missing => 'ignore', bias => true, l2_bias => NULL) FROM bx;
SELECT count(*) AS null_model_biases FROM nmf_bias(NULL, 'row');
SELECT * FROM bm, nmf_bias(bm.m, NULL);
SELECT * FROM bm, nmf_bias(bm.m, 'user');
-- their SQLSTATEs: 22023 (invalid_parameter_value), 22004 for a NULL
\set VERBOSITY sqlstate
SELECT nmf(x, 2, bias => true) FROM bx;
SELECT nmf(x, 2, missing => 'ignore', bias => true, solver => 'mu') FROM bx;
SELECT nmf(x, 2, missing => 'ignore', bias => true, l2_bias => -1) FROM bx;
SELECT nmf(x, 2, missing => 'ignore', bias => NULL) FROM bx;
SELECT nmf(x, 2, threads => 0) FROM bx;
\set VERBOSITY default

-- threads: one call's thread count, 1..64; NULL (the default) is nmf.threads
\set VERBOSITY terse
SELECT nmf(x, 2, threads => 0) FROM bx;
SELECT nmf(x, 2, threads => 65) FROM bx;
\set VERBOSITY default
CREATE FUNCTION bfactors(m nmf_model) RETURNS text LANGUAGE sql AS $$
	SELECT md5((SELECT string_agg(float8send(weight)::text, ',' ORDER BY id, factor) FROM nmf_w(m))
	        || (SELECT string_agg(float8send(weight)::text, ',' ORDER BY id, factor) FROM nmf_h(m))
	        || (SELECT string_agg(float8send(bias)::text, ',' ORDER BY id) FROM nmf_bias(m, 'row'))) $$;
SELECT count(DISTINCT bfactors(nmf(x, 3, missing => 'ignore', bias => true, max_iter => 10, threads => t)))
           AS distinct_results
FROM bx, (VALUES (1), (2), (3), (NULL)) v(t);

-- nmf_fit with bias: the biases land in the factor tables as factor 0
SELECT r -> 'info' -> 'bias' AS bias, (r ->> 'w_rows')::int AS w_rows, (r ->> 'h_rows')::int AS h_rows
FROM nmf_fit('br', 'user_id', 'item_id', 'rating', 'bw', 'bh', 2, missing => 'ignore', bias => true,
             seed => 1, max_iter => 300, tol => 0, l2_w => 5, l2_h => 5, l2_bias => 1, models_table => 'bias_models',
             threads => 1) r;
SELECT (SELECT bool_and(w.weight = b.bias) FROM bw w JOIN nmf_bias(bm.m, 'row') b ON b.id = w.id
        WHERE w.factor = 0) AS same_row_biases_as_nmf,
       (SELECT bool_and(h.weight = b.bias) FROM bh h JOIN nmf_bias(bm.m, 'col') b ON b.id = h.id
        WHERE h.factor = 0) AS same_col_biases_as_nmf
FROM bm;

-- nmf_cv passes bias and l2_bias to nmf
SELECT rank, count(*) AS folds, bool_and(test_rmse > 0 AND test_rmse < 2) AS sane
FROM bx, nmf_cv(x, ARRAY[1, 2], folds => 3, missing => 'ignore', bias => true, l2_bias => 5, max_iter => 50)
GROUP BY rank ORDER BY rank;
