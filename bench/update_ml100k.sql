-- nmf_update on MovieLens 100k (docs/performance.md#nmf_update):
-- fit on a seeded 90 % of u1.base (every cell of the users with id % 25 = 0,
-- who are new to the first fit, and a hashed 1/12 of the others held back),
-- then nmf_update with the held-back 10 %; against a full refit on all of
-- u1.base. Test RMSE on u1.test and wall seconds of each step.
--   psql -X -v data=/work/data/ml-100k -f bench/update_ml100k.sql
\set ON_ERROR_STOP on
CREATE EXTENSION IF NOT EXISTS nmf;
DROP TABLE IF EXISTS ub_base, ub_test, ub_mats, ub_models;
CREATE TABLE ub_base (user_id bigint, item_id bigint, rating float8, ts bigint);
CREATE TABLE ub_test (LIKE ub_base);
\set base_file :data '/u1.base'
\set test_file :data '/u1.test'
COPY ub_base FROM :'base_file';
COPY ub_test FROM :'test_file';
ALTER TABLE ub_base ADD held boolean;
UPDATE ub_base SET held = user_id % 25 = 0 OR abs(hashint8(user_id * 100000 + item_id + 7)) % 12 = 0;
CREATE TABLE ub_mats AS
SELECT (SELECT nmf_matrix(user_id, item_id, rating) FROM ub_base) AS full_x,
       (SELECT nmf_matrix(user_id, item_id, rating) FROM ub_test) AS test_x,
       (SELECT nmf_matrix(user_id, item_id, rating) FROM ub_base WHERE NOT held) AS first_x,
       (SELECT nmf_matrix(user_id, item_id, rating) FROM ub_base WHERE held) AS new_x;
-- the held-back cells and what is new in them
SELECT (nmf_matrix_info(first_x) ->> 'nnz')::int AS first_cells, (nmf_matrix_info(new_x) ->> 'nnz')::int AS new_cells,
       (nmf_matrix_info(full_x) ->> 'rows')::int - (nmf_matrix_info(first_x) ->> 'rows')::int AS new_users,
       (nmf_matrix_info(full_x) ->> 'cols')::int - (nmf_matrix_info(first_x) ->> 'cols')::int AS new_items
FROM ub_mats;
\timing on
CREATE TABLE ub_models AS SELECT 'first fit (90 %)' AS model, nmf(first_x, 20, missing => 'ignore', bias => true, seed => 1) AS m FROM ub_mats;
INSERT INTO ub_models SELECT 'nmf_update (+10 %)', nmf_update(m, new_x) FROM ub_models, ub_mats;
INSERT INTO ub_models SELECT 'full refit (100 %)', nmf(full_x, 20, missing => 'ignore', bias => true, seed => 1) FROM ub_mats;
\timing off
SELECT model, round((nmf_score(m, test_x) ->> 'rmse')::numeric, 4) AS test_rmse,
       (nmf_score(m, test_x) ->> 'unknown_cells')::int AS unknown_test_cells
FROM ub_models, ub_mats ORDER BY model;
DROP TABLE ub_base, ub_test, ub_mats, ub_models;
