-- SPDX-License-Identifier: PostgreSQL
-- Where the plain masked fit loses to the baseline on dslabs::movielens: test
-- RMSE by how many training ratings the movie has. One 80/20 split by a hash
-- of (user, movie); rank 10, seed 1, predictions clipped as nmf_score clips.
--   Rscript bench/export_movielens.R /tmp/movielens.csv
--   psql -X -v csv=/tmp/movielens.csv -f bench/movielens_buckets.sql
\set ON_ERROR_STOP on
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS nmf;
CREATE TEMP TABLE ml (u bigint, i bigint, r float8);
\set copy_cmd '\\copy ml FROM ' :'csv' ' (FORMAT csv, HEADER true)'
:copy_cmd
CREATE TEMP TABLE part AS SELECT *, abs(hashint8(u * 1000003 + i)) % 5 = 0 AS test FROM ml;
CREATE TEMP TABLE counts AS SELECT i, count(*) AS n FROM part WHERE NOT test GROUP BY i;
CREATE TEMP TABLE models AS
SELECT nmf(m, 10, missing => 'ignore', seed => 1) AS plain,
       nmf(m, 10, missing => 'ignore', bias => true, max_iter => 0, seed => 1) AS baseline,
       nmf(m, 10, missing => 'ignore', bias => true, seed => 1) AS biased
FROM (SELECT nmf_matrix(u, i, r) AS m FROM part WHERE NOT test) x;
SELECT CASE WHEN n <= 2 THEN '1-2' WHEN n <= 5 THEN '3-5' WHEN n <= 20 THEN '6-20' ELSE '>20' END
           AS movie_train_ratings,
       count(*) AS test_cells,
       round(sqrt(avg((nmf_predict(plain, u, i) - r) ^ 2))::numeric, 4) AS plain,
       round(sqrt(avg((nmf_predict(baseline, u, i) - r) ^ 2))::numeric, 4) AS baseline,
       round(sqrt(avg((nmf_predict(biased, u, i) - r) ^ 2))::numeric, 4) AS biased
FROM part JOIN counts USING (i), models
WHERE test
GROUP BY 1
ORDER BY min(n);
