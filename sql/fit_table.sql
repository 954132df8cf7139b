-- nmf_fit: a table or query in, W and H tables out, a row in a models table

CREATE TABLE ratings AS
SELECT (i % 50)::bigint * 3 AS user_id, (i % 31)::bigint + 1000 AS item_id, (i % 5 + 1)::float8 AS rating
FROM generate_series(1, 3000) i;

-- estimated_bytes counts each thread's scratch: fix the count
SET nmf.threads = 2;
SELECT r - 'info' AS result
FROM nmf_fit('ratings', 'user_id', 'item_id', 'rating', 'user_factors', 'item_factors',
	rank => 3, solver => 'mu', seed => 7, max_iter => 40) r;

-- W and H tables: one row per (id, factor), the ids of the source
SELECT count(*) AS w_rows, count(DISTINCT id) AS users, min(factor), max(factor) FROM user_factors;
SELECT count(*) AS h_rows, count(DISTINCT id) AS items FROM item_factors;
SELECT (SELECT array_agg(DISTINCT id ORDER BY id) FROM user_factors)
     = (SELECT array_agg(DISTINCT user_id ORDER BY user_id) FROM ratings) AS w_ids_match;
SELECT (SELECT array_agg(DISTINCT id ORDER BY id) FROM item_factors)
     = (SELECT array_agg(DISTINCT item_id ORDER BY item_id) FROM ratings) AS h_ids_match;

-- the same fit as nmf() on the aggregate, bit for bit
CREATE TABLE same AS SELECT nmf(nmf_matrix(user_id, item_id, rating), 3, solver => 'mu', seed => 7,
	max_iter => 40) AS m FROM ratings;
SELECT bool_and(t.weight = w.weight) AND count(*) = 150 AS w_equals_nmf
FROM user_factors t JOIN (SELECT w.* FROM same, nmf_w(same.m) w) w USING (id, factor);
SELECT bool_and(t.weight = h.weight) AND count(*) = 93 AS h_equals_nmf
FROM item_factors t JOIN (SELECT h.* FROM same, nmf_h(same.m) h) h USING (id, factor);

-- the models table keeps the summary and the loss history
SELECT model_id, source, w_table, h_table, info -> 'rank' AS rank, info ->> 'solver' AS solver,
       array_length(loss_history, 1) AS history, array_length(seconds_history, 1) AS seconds
FROM nmf_models;
SELECT info = nmf_info(m) - 'seconds' || jsonb_build_object('seconds', info -> 'seconds') AS info_matches
FROM nmf_models, same;

-- a query as the source, a schema-qualified table, another models table
CREATE SCHEMA out;
SELECT r -> 'w_rows' AS w_rows, r -> 'h_rows' AS h_rows, r -> 'source_rows' AS source_rows
FROM nmf_fit('SELECT user_id AS u, item_id AS i, rating FROM ratings WHERE user_id < 30', 'u', 'i', 'rating',
	'out.w', 'out.h', rank => 2, max_iter => 5, models_table => 'out.models') r;
SELECT count(*) FROM out.w;
SELECT count(*) FROM out.models;

-- bad arguments: nothing is created
SELECT nmf_fit('ratings', 'user_id', 'item_id', 'rating', 'user_factors', 'x', 2);
SELECT nmf_fit('no_such_table', 'user_id', 'item_id', 'rating', 'a', 'b', 2);
SELECT nmf_fit('ratings', 'no_such_column', 'item_id', 'rating', 'a', 'b', 2);
SELECT nmf_fit('ratings', 'user_id', 'item_id', 'rating', 'a', 'a', 2);
SELECT nmf_fit('ratings', 'user_id', 'item_id', 'rating', 'a', 'b', 0);
SELECT nmf_fit('ratings', 'user_id', 'item_id', 'rating', 'a', 'b', 2, solver => 'nope');
SELECT nmf_fit('ratings', 'user_id', 'item_id', 'rating', 'a', 'b', 1000, on_small => 'error');
SELECT nmf_fit(NULL, 'user_id', 'item_id', 'rating', 'a', 'b', 2);
SELECT nmf_fit('SELECT 1 AS r, 1 AS c, -1 AS v', 'r', 'c', 'v', 'a', 'b', 1);
SELECT nmf_fit('SELECT 1 AS r, NULL::int AS c, 1 AS v', 'r', 'c', 'v', 'a', 'b', 1);
SELECT nmf_fit('SELECT 1 AS r, 1 AS c, 1 AS v WHERE false', 'r', 'c', 'v', 'a', 'b', 1, on_small => 'error');
SET nmf.max_memory = '1MB';
SELECT nmf_fit('SELECT i AS r, i % 7 AS c, 1 AS v FROM generate_series(1, 100000) i', 'r', 'c', 'v', 'a', 'b', 2);
RESET nmf.max_memory;
-- names are quoted, never spliced into the SQL
SELECT nmf_fit('ratings; DROP TABLE ratings', 'user_id', 'item_id', 'rating', 'a', 'b', 2);
SELECT nmf_fit('ratings', 'user_id) FROM ratings; DROP TABLE ratings; --', 'item_id', 'rating', 'a', 'b', 2);
SELECT count(*) AS ratings_still_there FROM ratings;
SELECT count(*) AS no_stray_tables FROM pg_class WHERE relname IN ('a', 'b', 'x');

DROP TABLE ratings, user_factors, item_factors, same, nmf_models;
DROP SCHEMA out CASCADE;
