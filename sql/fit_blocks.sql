-- nmf_distributed on one node (a plain table: one block): the model is nmf()'s
-- on the same cells, bit for bit; what it refuses, and nothing left behind.
-- (On Citus, one block per shard: test/t/citus_distributed.py.)
CREATE TABLE bratings (user_id int, item_id bigint, rating float8);
INSERT INTO bratings
SELECT u, i, ((u * 7 + i * 13) % 5 + 1)
FROM generate_series(1, 60) u, generate_series(1, 25) i
WHERE (u * 31 + i * 17) % 10 < 4;

-- The same model as nmf() (hals and mu, penalties, the stopping rule).
CREATE TEMP TABLE fits AS
SELECT o.name,
       nmf_distributed('bratings', 'user_id', 'item_id', 'rating', 3, solver => o.solver,
                       l1_w => o.l1, l2_h => o.l2, tol => o.tol, max_iter => 300) AS d,
       (SELECT nmf(nmf_matrix(user_id, item_id, rating), 3, solver => o.solver, l1_w => o.l1,
                   l2_h => o.l2, tol => o.tol, max_iter => 300) FROM bratings) AS m
FROM (VALUES ('hals', 'hals', 0.0, 0.0, 0.0), ('mu', 'mu', 0.0, 0.0, 0.0),
             ('hals, penalties, tol', 'hals', 0.1, 0.5, 1e-3)) o(name, solver, l1, l2, tol);
-- missing 'ignore' (solver mu, a ridge given): the same model, its clip and its stop
INSERT INTO fits
SELECT 'mu, missing ignore', nmf_distributed('bratings', 'user_id', 'item_id', 'rating', 3,
                                             solver => 'mu', missing => 'ignore', reg => 0.05,
                                             tol => 1e-3, max_iter => 300),
       (SELECT nmf(nmf_matrix(user_id, item_id, rating), 3, solver => 'mu', missing => 'ignore',
                   reg => 0.05, tol => 1e-3, max_iter => 300) FROM bratings);
-- solver hals over the stored cells, with biases (as nmf(): a ridge given)
INSERT INTO fits
SELECT 'hals, missing ignore, biases',
       nmf_distributed('bratings', 'user_id', 'item_id', 'rating', 3, missing => 'ignore',
                       bias => true, l2_w => 1, l2_h => 1, tol => 1e-3, max_iter => 300),
       (SELECT nmf(nmf_matrix(user_id, item_id, rating), 3, missing => 'ignore', bias => true,
                   l2_w => 1, l2_h => 1, tol => 1e-3, max_iter => 300) FROM bratings);
-- loss kl (solver mu)
INSERT INTO fits
SELECT 'mu, kl', nmf_distributed('bratings', 'user_id', 'item_id', 'rating', 3, loss => 'kl',
                                 l2_h => 0.1, tol => 1e-3, max_iter => 300),
       (SELECT nmf(nmf_matrix(user_id, item_id, rating), 3, loss => 'kl', l2_h => 0.1, tol => 1e-3,
                   max_iter => 300) FROM bratings);
-- (kl sums H's numerators by rows, block by block, nmf() by columns: the same to rounding)
SELECT name, nmf_info(d)->'iterations' = nmf_info(m)->'iterations' AS same_iterations,
       (SELECT max(abs(nmf_predict(d, user_id, item_id) - nmf_predict(m, user_id, item_id)))
               / max(abs(nmf_predict(m, user_id, item_id)))
        FROM bratings) < 1e-12 AS same_model,
       nmf_info(d)->>'solver' AS solver, (nmf_info(d)->>'iterations')::int < 300 AS stopped_by_tol,
       abs((nmf_info(d)->>'loss')::float8 / (nmf_info(m)->>'loss')::float8 - 1) < 1e-12 AS same_loss,
       abs((nmf_info(d)->>'relative_error')::float8 / (nmf_info(m)->>'relative_error')::float8 - 1)
       < 1e-12 AS same_error
FROM fits ORDER BY name;
SELECT name, nmf_info(d)->'clip' = nmf_info(m)->'clip' AS same_clip, nmf_info(d)->>'stop' AS stop,
       nmf_info(d)->'bias' = nmf_info(m)->'bias' AS same_bias_info
FROM fits WHERE name LIKE '%missing ignore%' ORDER BY name;
-- usable by every apply function: the same top items
SELECT (SELECT array_agg(col_id ORDER BY score DESC, col_id) FROM nmf_recommend(d, 7, 5))
     = (SELECT array_agg(col_id ORDER BY score DESC, col_id) FROM nmf_recommend(m, 7, 5))
       AS same_recommendations,
       nmf_score(d, (SELECT nmf_matrix(user_id, item_id, rating) FROM bratings))
     = nmf_score(m, (SELECT nmf_matrix(user_id, item_id, rating) FROM bratings)) AS same_score
FROM fits WHERE name = 'hals';
-- uuid row keys and text column keys: the same model, with the keys
CREATE TABLE kratings AS
SELECT md5(user_id::text)::uuid AS usr, 'sku-' || item_id AS sku, rating FROM bratings;
WITH d AS (SELECT nmf_distributed('kratings', 'usr', 'sku', 'rating', 3, max_iter => 50) AS m),
     l AS (SELECT nmf(nmf_matrix(usr, sku, rating), 3, max_iter => 50) AS m FROM kratings)
SELECT nmf_info(d.m)->>'row_keys' AS row_keys, nmf_info(d.m)->>'col_keys' AS col_keys,
       (SELECT max(abs(nmf_predict(d.m, usr, sku) - nmf_predict(l.m, usr, sku))) FROM kratings) = 0
       AS same_model,
       (SELECT array_agg(col_id ORDER BY score DESC, col_id)
        FROM nmf_recommend(d.m, md5('7')::uuid, NULL::text, 3)) AS top_3
FROM d, l;
-- a key type the matrix cannot take
SELECT nmf_distributed('kratings', 'rating', 'sku', 'rating', 2);
DROP TABLE kratings;
-- nothing left behind
SELECT count(*) AS left_behind FROM pg_class WHERE relname LIKE 'nmf_blocks_%';

-- What the blocks cannot run, and bad input, with their SQLSTATEs.
\set VERBOSITY sqlstate
SELECT nmf_distributed('bratings', 'user_id', 'item_id', 'rating', 2, missing => 'ignore');
SELECT nmf_distributed('bratings', 'user_id', 'item_id', 'rating', 2, missing => 'ignore', reg => 0.1,
                       bias => true, solver => 'mu');
SELECT nmf_distributed('bratings', 'user_id', 'item_id', 'rating', 2, bias => true);
SELECT nmf_distributed('bratings', 'user_id', 'item_id', 'rating', 2, loss => 'is');
SELECT nmf_distributed('bratings', 'user_id', 'item_id', 'rating', 2, loss => 'kl', solver => 'hals');
SELECT nmf_distributed('bratings', 'user_id', 'item_id', 'rating', 2, init => 'nndsvd');
SELECT nmf_distributed('bratings', 'user_id', 'item_id', 'rating', 2, solver => 'gd');
SELECT nmf_distributed('bratings', 'user_id', 'item_id', 'rating', 26);
SELECT nmf_distributed('bratings', 'user_id', 'nope', 'rating', 2);
SELECT nmf_distributed('bratings', 'user_id', 'item_id', NULL, 2);
SELECT nmf_distributed('bratings', 'user_id', 'item_id', 'rating', 2, max_iter => -1);
INSERT INTO bratings VALUES (1, 100, -1);
SELECT nmf_distributed('bratings', 'user_id', 'item_id', 'rating', 2);
DELETE FROM bratings WHERE item_id = 100;
-- the loss history of 100,000 iterations alone passes 1MB
SET nmf.max_memory = '1MB';
SELECT nmf_distributed('bratings', 'user_id', 'item_id', 'rating', 2, max_iter => 100000);
RESET nmf.max_memory;
-- the blocks' functions are the driver's own
SELECT nmf_dist_block_step(1, 'bratings');
SELECT nmf_dist_block_h(1, 'bratings', '\x00');
SELECT nmf_dist_block_w(1, 'bratings', false);
SELECT nmf_dist_block_bias(1, 'bratings', 1, '\x');
SELECT nmf_dist_block_start(1, 'bratings', '\x', '{}', '{}', '{}', '\x');
-- an open block refuses arguments that do not fit it
BEGIN;
SELECT length(nmf_dist_block_open(7, 'bratings', 'b', 'user_id', 'item_id', 'rating')) > 0 AS opened;
SELECT nmf_dist_block_open(7, 'bratings', 'b', 'user_id', 'item_id', 'rating');
ROLLBACK;
BEGIN;
SELECT length(nmf_dist_block_open(7, 'bratings', 'b', 'user_id', 'item_id', 'rating')) > 0 AS opened;
SELECT nmf_dist_block_start(7, 'b', '\x00', '{1,2}', '{60,2,10}', '{}', '\x');
ROLLBACK;
BEGIN;
SELECT length(nmf_dist_block_open(7, 'bratings', 'b', 'user_id', 'item_id', 'rating')) > 0 AS opened;
SELECT nmf_dist_block_start(7, 'b', '\x00', '{1,2}', '{60,2}', '{}', '\x');
ROLLBACK;
BEGIN;
SELECT length(nmf_dist_block_open(7, 'bratings', 'b', 'user_id', 'item_id', 'rating')) > 0 AS opened;
SELECT nmf_dist_block_step(7, 'b');
ROLLBACK;
\set VERBOSITY default
SELECT count(*) AS left_behind FROM pg_class WHERE relname LIKE 'nmf_blocks_%';
-- an empty table: NULL and a WARNING, as nmf() of no cells
DELETE FROM bratings;
SELECT nmf_distributed('bratings', 'user_id', 'item_id', 'rating', 2) IS NULL AS is_null;
DROP TABLE bratings;

-- a fully stored table: the blocks read the CSR form of the dense matrix they build
CREATE TEMP TABLE full_t AS SELECT r AS u, c AS i, ((r * 7 + c * 3) % 11 + 1)::float8 AS x
FROM generate_series(1, 40) r, generate_series(1, 15) c;
SELECT nmf_matrix_info(nmf_matrix(u, i, x))->>'storage' AS storage FROM full_t;
WITH a AS (SELECT * FROM nmf_w(nmf_distributed('full_t', 'u', 'i', 'x', 3, seed => 2, max_iter => 30))),
     b AS (SELECT * FROM nmf_w((SELECT nmf(nmf_matrix(u, i, x), 3, seed => 2, max_iter => 30) FROM full_t)))
SELECT count(*) AS weights, max(abs(a.weight - b.weight)) AS largest_difference FROM a JOIN b USING (id, factor);
DROP TABLE full_t;
