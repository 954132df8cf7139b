-- feedback => 'implicit': stored cells are observations (clicks, plays),
-- fitted as Hu, Koren & Volinsky's preferences (1 observed, 0 elsewhere)
-- weighted by confidence 1 + alpha x; the model remembers it.
\set VERBOSITY sqlstate

-- two groups of users, each clicking mostly its own half of the items
CREATE TABLE imp_clicks AS
SELECT u, i, 1 + (u * 7 + i * 3) % 3 AS x
FROM generate_series(1, 24) u, generate_series(1, 16) i
WHERE (u <= 12) = (i <= 8) AND (u + i) % 3 <> 0;
SELECT nmf(nmf_matrix(u, i, x), 2, feedback => 'implicit', max_iter => 50, seed => 1) AS m
FROM imp_clicks \gset imp_

-- the options recorded: feedback, alpha (default 2) and the ridge reg (default 10)
SELECT nmf_info(:'imp_m'::nmf_model) -> 'options' ->> 'feedback' AS feedback,
       nmf_info(:'imp_m'::nmf_model) -> 'options' -> 'alpha' AS alpha,
       nmf_info(:'imp_m'::nmf_model) -> 'options' -> 'reg' AS reg;
-- an explicit model records feedback but no alpha
SELECT nmf_info(nmf(nmf_matrix('{{1,2},{3,4}}'::float8[]), 1, max_iter => 5)) -> 'options'
       ?| ARRAY['alpha'] AS has_alpha,
       nmf_info(nmf(nmf_matrix('{{1,2},{3,4}}'::float8[]), 1, max_iter => 5)) -> 'options'
       ->> 'feedback' AS feedback;
-- the loss history falls at every iteration (the weighted objective)
SELECT bool_and(loss <= prev * (1 + 1e-12)) AS monotone, count(*) > 1 AS iterated
FROM (SELECT loss, lag(loss) OVER (ORDER BY iteration) AS prev
      FROM nmf_loss_history(:'imp_m'::nmf_model)) h WHERE prev IS NOT NULL;
-- alpha given, and alpha 0 (every confidence 1)
SELECT (nmf_info(nmf(nmf_matrix(u, i, x), 2, feedback => 'implicit', alpha => 5,
        max_iter => 10)) -> 'options' -> 'alpha')::float8 AS alpha5,
       (nmf_info(nmf(nmf_matrix(u, i, x), 2, feedback => 'implicit', alpha => 0,
        max_iter => 10)) -> 'options' -> 'alpha')::float8 AS alpha0
FROM imp_clicks;

-- recommend: user 1 (group 1) gets its group's unseen items first
SELECT col_id <= 8 AS own_group, count(*)
FROM nmf_recommend(:'imp_m'::nmf_model, 1, 3,
                   exclude => (SELECT nmf_matrix(u, i, x) FROM imp_clicks)) GROUP BY 1;
-- similar items stay within the group
SELECT bool_and(id <= 8) AS same_group FROM nmf_similar(:'imp_m'::nmf_model, 'col', 2, 3);
-- transform: a new user who clicked items 9 and 10 (group 2) folds into group 2's factor,
-- by the confidence-weighted fold-in; the same clicks seen often weigh more
SELECT factor, weight > 0 AS positive
FROM nmf_transform(:'imp_m'::nmf_model, (SELECT nmf_matrix(100, i, 1) FROM generate_series(9, 10) i)) ORDER BY factor;
SELECT (SELECT sum(weight) FROM nmf_transform(:'imp_m'::nmf_model,
          (SELECT nmf_matrix(100, i, 5) FROM generate_series(9, 10) i)))
     > (SELECT sum(weight) FROM nmf_transform(:'imp_m'::nmf_model,
          (SELECT nmf_matrix(100, i, 1) FROM generate_series(9, 10) i)))
       AS more_confident;
-- ranking held-out clicks: the implicit model beats popularity on this planted set
SELECT (nmf_rank_score(nmf(s.train, 2, feedback => 'implicit', max_iter => 50, seed => 1),
                       s.test, 3, s.train) ->> 'ndcg')::float8
     > (nmf_popularity_score(s.train, s.test, 3) ->> 'ndcg')::float8 AS beats_popularity
FROM (SELECT nmf_matrix(u, i, x) AS m FROM imp_clicks) c, nmf_split(c.m, 5, 1) s;
-- nmf_fit() takes the same options
SELECT nmf_fit('SELECT u, i, x FROM imp_clicks', 'u', 'i', 'x', 'imp_w', 'imp_h', 2,
               max_iter => 10, feedback => 'implicit', alpha => 10,
               models_table => 'imp_models') ->> 'w_rows' AS w_rows;
SELECT info -> 'options' ->> 'feedback' AS feedback, info -> 'options' -> 'alpha' AS alpha
FROM imp_models;

-- errors: 22023 each
SELECT nmf(nmf_matrix('{{1,2},{3,4}}'::float8[]), 1, feedback => 'sometimes');
SELECT nmf(nmf_matrix('{{1,2},{3,4}}'::float8[]), 1, alpha => 10);
SELECT nmf(nmf_matrix('{{1,2},{3,4}}'::float8[]), 1, feedback => 'implicit', alpha => -1);
SELECT nmf(nmf_matrix('{{1,2},{3,4}}'::float8[]), 1, feedback => 'implicit', missing => 'ignore');
SELECT nmf(nmf_matrix('{{1,2},{3,4}}'::float8[]), 1, feedback => 'implicit', solver => 'mu');
SELECT nmf(nmf_matrix('{{1,2},{3,4}}'::float8[]), 1, feedback => 'implicit', holdout => 0.2);
SELECT nmf(nmf_matrix('{{1,2},{3,4}}'::float8[]), 1, feedback => NULL);
-- bias: the message and its hint
\set VERBOSITY default
SELECT nmf(nmf_matrix('{{1,2},{3,4}}'::float8[]), 1, feedback => 'implicit', bias => true,
           missing => 'ignore');
\set VERBOSITY sqlstate
-- nmf_update does not take an implicit model
SELECT nmf_update(:'imp_m'::nmf_model, (SELECT nmf_matrix(1, 9, 1)));

DROP TABLE imp_clicks, imp_w, imp_h, imp_models;
