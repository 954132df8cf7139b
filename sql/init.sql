-- init: random (default), nndsvd, nndsvda, nndsvdar, w_init/h_init, warm_start

CREATE TABLE seed AS SELECT nmf_matrix('{{5,4,1},{4,5,1},{2,1,5}}'::float8[]) AS x;

-- max_iter => 0 returns the initial factors. At rank 1 the nndsvd inits are the
-- leading singular pair, already the optimum W ~ [0.3887, 0.3863, 0.2250].
SELECT init, nmf_info(m) -> 'iterations' AS iterations, nmf_info(m) -> 'options' ->> 'init' AS recorded,
       ARRAY(SELECT round(weight::numeric, 4) FROM nmf_w(m) ORDER BY id) AS w
FROM seed, (VALUES ('nndsvd'), ('nndsvda'), ('nndsvdar')) AS i(init),
     LATERAL (SELECT nmf(x, 1, init => i.init, max_iter => 0) AS m) f ORDER BY init;

-- every init reaches the optimum with every solver
SELECT solver, init, bool_and(abs(weight - want) / want < 1e-3) AS w_within_1e3
FROM seed, (VALUES ('hals'), ('mu'), ('gd')) AS s(solver),
     (VALUES ('random'), ('nndsvd'), ('nndsvda'), ('nndsvdar')) AS i(init),
     LATERAL nmf_w(nmf(x, 1, solver => s.solver, init => i.init, tol => 1e-9, max_iter => 2000)) w
     JOIN (VALUES (1, 0.38873), (2, 0.38630), (3, 0.22497)) AS o(id, want) USING (id)
GROUP BY solver, init ORDER BY solver, init;

-- nndsvd leaves zeros (here at rank 2); nndsvda fills them with the mean, nndsvdar
-- with small seeded random values
CREATE TABLE blocks AS SELECT nmf_matrix('{{3,3,3,1,0},{3,3,3,0,1},{0,1,0,2,2},{1,0,0,2,2}}'::float8[]) AS x;
SELECT init, (SELECT count(*) FROM nmf_w(m) WHERE weight = 0) + (SELECT count(*) FROM nmf_h(m) WHERE weight = 0) AS zeros
FROM blocks, (VALUES ('nndsvd'), ('nndsvda'), ('nndsvdar')) AS i(init),
     LATERAL (SELECT nmf(x, 2, init => i.init, max_iter => 0) AS m) f ORDER BY init;
-- the seed picks those values: W and H (not the model's text, which records the
-- seed) differ between two seeds and are the same for one seed twice
CREATE TABLE seeded AS
SELECT run, seed, ARRAY(SELECT weight FROM nmf_w(m) ORDER BY id, factor) AS w,
       ARRAY(SELECT weight FROM nmf_h(m) ORDER BY id, factor) AS h
FROM blocks, (VALUES (1, 1), (2, 1), (3, 2)) AS t(run, seed),
     LATERAL (SELECT nmf(x, 2, init => 'nndsvdar', seed => t.seed, max_iter => 0) AS m) f;
SELECT a.seed AS seed_a, b.seed AS seed_b, a.w = b.w AS same_w, a.h = b.h AS same_h
FROM seeded a JOIN seeded b ON a.run < b.run ORDER BY a.run, b.run;

-- w_init (rows x rank) and h_init (rank x cols), rows and columns in id order
CREATE TABLE custom AS SELECT nmf(x, 1, w_init => '{{1},{1},{2}}', h_init => '{{1,2,3}}', max_iter => 0) AS m FROM seed;
SELECT nmf_info(m) -> 'options' ->> 'init' AS init FROM custom;
-- the model holds them normalised: W = [1, 1, 2] / 4, H = [1, 2, 3] * 4
SELECT ARRAY(SELECT weight FROM nmf_w(m) ORDER BY id) AS w, ARRAY(SELECT weight FROM nmf_h(m) ORDER BY id) AS h FROM custom;
SELECT bool_and(abs(weight - want) / want < 1e-3) AS custom_reaches_optimum
FROM seed, nmf_w(nmf(x, 1, w_init => '{{1},{1},{2}}', h_init => '{{1,2,3}}', tol => 1e-9, max_iter => 2000))
     JOIN (VALUES (1, 0.38873), (2, 0.38630), (3, 0.22497)) AS o(id, want) USING (id);

-- warm_start: a converged model continues converged; ids are matched by value,
-- rows the model has not seen start random
CREATE TABLE warm AS SELECT nmf(x, 1, tol => 1e-9, max_iter => 2000) AS m FROM seed;
SELECT nmf_info(f.m) -> 'iterations' AS iterations, nmf_info(f.m) -> 'options' ->> 'init' AS init
FROM seed, warm, LATERAL (SELECT nmf(x, 1, warm_start => warm.m, tol => 1e-9) AS m) f;
CREATE TABLE grown AS SELECT nmf_matrix(r, c, v) AS x FROM (
	SELECT i AS r, j AS c, ('{{5,4,1},{4,5,1},{2,1,5}}'::float8[])[i][j] AS v
	FROM generate_series(1, 3) i, generate_series(1, 3) j
	UNION ALL SELECT 4, j, ('{5,4,1}'::float8[])[j] FROM generate_series(1, 3) j) t;
SELECT (nmf_info(nmf(x, 1, warm_start => warm.m, max_iter => 1)) ->> 'loss')::float8
	< (nmf_info(nmf(x, 1, max_iter => 1)) ->> 'loss')::float8 AS warm_is_ahead
FROM grown, warm;

DROP TABLE seed, blocks, seeded, custom, warm, grown;
