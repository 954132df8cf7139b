-- Bad input: each gets an ERROR with its SQLSTATE, and the session goes on.
\set VERBOSITY sqlstate

CREATE TABLE x3 AS SELECT nmf_matrix('{{5,4,1},{4,5,1},{2,1,5}}'::float8[]) AS x;

-- NULL ids or values (22004)
SELECT nmf_matrix(NULL, 1, 1.0);
SELECT nmf_matrix(1, 1, NULL);
-- negative (22003), NaN and infinities (22000)
SELECT nmf_matrix(1, 1, -1.0);
SELECT nmf_matrix(1, 1, 'NaN');
SELECT nmf_matrix(1, 1, 'Infinity');
SELECT nmf_matrix(1, 1, '-Infinity');
-- empty input: the aggregate gives NULL, and with on_small => 'error' nmf(NULL) is an
-- error (22004; by default NULL and a WARNING, sql/on_small.sql)
SELECT nmf(nmf_matrix(r, c, v), 1, on_small => 'error') FROM (SELECT 1::bigint, 1::bigint, 1::float8 WHERE false) AS t(r, c, v);
SELECT nmf(NULL, 1, on_small => 'error');
-- rank out of range (22023)
SELECT nmf(x, 0) FROM x3;
SELECT nmf(x, -1) FROM x3;
SELECT nmf(x, 4, on_small => 'error') FROM x3;
SELECT nmf(x, NULL) FROM x3;
-- unknown names (22023)
SELECT nmf(x, 1, solver => 'als') FROM x3;
SELECT nmf(x, 1, loss => 'l1') FROM x3;
SELECT nmf(x, 1, init => 'svd') FROM x3;
SELECT nmf(x, 1, missing => 'mean') FROM x3;
-- options that do not go together, bad initial factors (22023)
SELECT nmf(x, 1, solver => 'hals', loss => 'kl') FROM x3;
SELECT nmf(x, 1, solver => 'mu', learning_rate => 1) FROM x3;
SELECT nmf(x, 1, w_init => '{{1},{1}}', h_init => '{{1,1,1}}') FROM x3;
-- options out of range (22023)
SELECT nmf(x, 1, max_iter => -1) FROM x3;
SELECT nmf(x, 1, tol => -1) FROM x3;
SELECT nmf(x, 1, tol => 'NaN') FROM x3;
SELECT nmf(x, 1, max_seconds => -1) FROM x3;
SELECT nmf(x, 1, l1_w => -1) FROM x3;
SELECT nmf(x, 1, l2_h => 'Infinity') FROM x3;
-- larger than nmf.max_memory (54000), refused before allocating
SET nmf.max_memory = '1MB';
SELECT nmf_matrix(i, j, 1) FROM generate_series(1, 300) i, generate_series(1, 300) j;
SELECT nmf_matrix(array_fill(1::float8, ARRAY[400, 400]));
RESET nmf.max_memory;
CREATE TABLE big AS SELECT nmf_matrix(i, j, 1) AS x FROM generate_series(1, 200) i, generate_series(1, 200) j;
SET nmf.max_memory = '1MB';
SELECT nmf(x, 150) FROM big;
RESET nmf.max_memory;
SELECT nmf_info(nmf(x, 2, max_iter => 2)) -> 'rank' AS works_again FROM big;
-- the setting's own bounds (22023)
SET nmf.max_memory = '10kB';
SET nmf.max = 1;
-- forged values (22P02, 22P03)
SELECT 'garbage'::nmf_model;
SELECT '\xdeadbeef'::bytea::nmf_model;
SELECT '\xdeadbeef'::bytea::nmf_matrix;
SELECT 'garbage'::nmf_matrix_state;
-- a dense array that is not 2-D (22023), with NULLs (22004)
SELECT nmf_matrix('{1,2}'::float8[]);
SELECT nmf_matrix('{{1,NULL}}'::float8[]);
-- after all of that, the session works
SELECT 1 AS still_alive;
SELECT nmf_info(nmf(x, 1)) -> 'rank' AS rank FROM x3;
DROP TABLE x3, big;
