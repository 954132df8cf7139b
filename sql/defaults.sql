-- What a masked fit gives without tuning (docs/reference.md, "Defaults for
-- ratings"): a ridge chosen from the data, the weight bound and its WARNING,
-- the baseline start of a biased fit, clipping, and nmf_tune.

-- A seeded rating set: 200 users x 80 items, ratings 1..5 from two planted
-- tastes plus noise, about 12 % of the cells stored.
CREATE TABLE ratings AS
SELECT u AS user_id, i AS item_id,
       least(5, greatest(1, round(1 + 2 * (u % 2) * (i % 2) + 2 * ((u + 1) % 2) * ((i + 1) % 2)
                                  + (hashint8(u * 1000 + i) % 100) / 100.0)))::float8 AS rating
FROM generate_series(1, 200) u, generate_series(1, 80) i
WHERE abs(hashint8(u * 7919 + i)) % 100 < 12 OR u % 80 = i - 1;
CREATE TABLE split AS
SELECT s.train, s.test FROM (SELECT nmf_matrix(user_id, item_id, rating) AS x FROM ratings) m,
     nmf_split(m.x, 5, 1, 7) s;

-- The baseline (bias => true, no iteration: mu + b_row + b_col), the default
-- plain and biased fits: none is worse than the baseline by more than 2 %,
-- none stopped on the bound, and each chose a ridge.
CREATE TABLE fits AS
SELECT 'baseline' AS call, nmf(train, 2, missing => 'ignore', bias => true, max_iter => 0, seed => 1) AS m FROM split
UNION ALL SELECT 'default', nmf(train, 2, missing => 'ignore', seed => 1) FROM split
UNION ALL SELECT 'bias', nmf(train, 2, missing => 'ignore', bias => true, seed => 1) FROM split;
SELECT f.call,
       (nmf_score(f.m, s.test) ->> 'rmse')::float8
           <= 1.02 * (SELECT (nmf_score(b.m, s.test) ->> 'rmse')::float8 FROM fits b WHERE b.call = 'baseline')
           AS within_2pct_of_baseline,
       nmf_info(f.m) ->> 'stop' <> 'diverged' AS within_bound,
       (nmf_info(f.m) -> 'options' ->> 'reg')::float8 > 0 OR f.call = 'baseline' AS ridge_chosen
FROM fits f, split s ORDER BY f.call;

-- A plain fit that predicts the pilots' held-out cells worse than the baseline
-- says so (Defaults.PlainFitIsComparedWithTheBaseline measures both). Here
-- most items have a rating or two, near their own level: the ridge pulls them
-- toward the average item, and the plain fit is no worse than the baseline, so
-- no WARNING; those items all follow the average item, so it settles slowly.
CREATE TABLE sparse_items AS
SELECT u AS user_id, i AS item_id,
       least(5, greatest(1, round(2 + 2 * (i % 3) / 2.0 + (hashint8(u * 31 + i) % 100) / 100.0)))::float8 AS rating
FROM generate_series(1, 300) u, generate_series(1, 600) i
WHERE abs(hashint8(u * 7919 + i)) % 1000 < CASE WHEN i <= 60 THEN 300 ELSE 5 END;
SELECT nmf_info(nmf(nmf_matrix(user_id, item_id, rating), 2, missing => 'ignore', seed => 1, max_iter => 1000)) ->> 'stop' AS stop
FROM sparse_items;
SELECT nmf_info(nmf(nmf_matrix(user_id, item_id, rating), 2, missing => 'ignore', bias => true, seed => 1)) ->> 'stop' AS stop
FROM sparse_items;

-- Here the ratings are an item's level plus noise, with no taste to find:
-- the plain fit predicts the pilots' held-out cells a little worse than the
-- baseline, and says so (with biases it does not).
CREATE TABLE item_levels AS
SELECT u AS user_id, i AS item_id,
       least(5, greatest(1, round(3 + ((abs(hashint8(u)) % 100) / 100.0 - 0.5) * 0.5
                                    + ((abs(hashint8(i + 100000)) % 100) / 100.0 - 0.5) * 2
                                    + ((abs(hashint8(u * 100003 + i)) % 100) / 100.0 - 0.5) * 4)))::float8 AS rating
FROM generate_series(1, 400) u, generate_series(1, 200) i
WHERE abs(hashint8(u * 7919 + i)) % 100 < 8;
SELECT nmf_info(nmf(nmf_matrix(user_id, item_id, rating), 2, missing => 'ignore', seed => 1)) ->> 'stop' AS stop
FROM item_levels;
SELECT nmf_info(nmf(nmf_matrix(user_id, item_id, rating), 2, missing => 'ignore', bias => true, seed => 1)) ->> 'stop' AS stop
FROM item_levels;

-- Without a ridge the masked fit grows its weights: it stops at the bound with a WARNING.
SELECT nmf_info(nmf(train, 6, missing => 'ignore', reg => 0, seed => 1, max_iter => 300)) ->> 'stop' AS stop
FROM split;

-- max_iter left to its default and not converged: a WARNING; given explicitly: none.
SELECT nmf_info(nmf(train, 2, solver => 'mu', missing => 'ignore', reg => 0.05, tol => 1e-9, seed => 1)) ->> 'converged' AS converged
FROM split;
SELECT nmf_info(nmf(train, 2, solver => 'mu', missing => 'ignore', reg => 0.05, tol => 1e-9, seed => 1, max_iter => 200)) ->> 'converged' AS converged
FROM split;

-- Clipping: predictions stay within the training range unless clip => false.
SELECT nmf_info(m) -> 'clip' AS clip,
       bool_and(p.score BETWEEN 1 AND 5) AS clipped_in_range,
       bool_and(p.score = least(5, greatest(1, q.score))) AS clip_is_least_greatest
FROM fits f,
     LATERAL nmf_predict(f.m, ARRAY(SELECT g FROM generate_series(1, 200) g),
                         ARRAY(SELECT 1 + g % 80 FROM generate_series(1, 200) g)) p,
     LATERAL nmf_predict(f.m, p.row_id, p.col_id, clip => false) q(score)
WHERE f.call = 'default'
GROUP BY 1;
SELECT (nmf_score(m, s.test) ->> 'rmse')::float8 <= (nmf_score(m, s.test, clip => false) ->> 'rmse')::float8
       AS clipping_never_hurts_here
FROM fits f, split s WHERE f.call = 'bias';

-- nmf_tune: the best rank and reg (times (folds - 1) / folds) fitted on every
-- cell with 5 seeds, averaged into one model of 5 x the rank; its search, a
-- row per final fit (fold 0) included, in nmf_info.
CREATE TABLE tuned AS SELECT nmf_tune(train, ranks => '{1,2}', regs => '{0.1,0.03}', folds => 2, seed => 1) AS m FROM split;
SELECT (nmf_info(m) ->> 'rank')::int IN (5, 10) AS rank_from_ranks,
       (nmf_info(m) -> 'options' ->> 'reg')::float8 IN (0.05, 0.015) AS reg_from_regs,
       (nmf_info(m) ->> 'ensemble')::int AS ensemble,
       (SELECT count(*) FROM jsonb_array_elements(nmf_info(m) -> 'tune') t WHERE (t ->> 'fold')::int = 0) AS final_fits,
       jsonb_array_length(nmf_info(m) -> 'tune') BETWEEN 9 AND 13 AS search_kept,
       nmf_info(m) -> 'options' ->> 'missing' AS missing
FROM tuned;
-- One fit: the model of the chosen rank.
SELECT (nmf_info(nmf_tune(train, ranks => '{2}', regs => '{0.1}', folds => 2, ensemble => 1)) ->> 'rank')::int AS rank
FROM split;
SELECT nmf_tune(train, ranks => '{1}', ensemble => 0) FROM split;
SELECT nmf_tune(train, ranks => '{}') FROM split;
SELECT nmf_tune(train, ranks => '{1000}') FROM split;

-- nmf_cv walks a penalty grid too.
SELECT rank, reg, count(*) AS folds
FROM nmf_cv((SELECT train FROM split), ranks => ARRAY[2], folds => 2, missing => 'ignore', regs => ARRAY[0.1, 0.02])
GROUP BY rank, reg ORDER BY reg;

-- Bad options.
SELECT nmf(train, 2, missing => 'ignore', reg => -1) FROM split;
SELECT nmf(train, 2, missing => 'ignore', holdout => 0.5) FROM split;
SELECT nmf(train, 2, missing => 'ignore', holdout => 0.1, patience => 0) FROM split;

DROP TABLE ratings, split, fits, tuned;
