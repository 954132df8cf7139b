-- nmf(): Lee & Seung's multiplicative updates on the Frobenius loss

-- The seed's example at rank 1. The exact optimum is the leading singular
-- pair: W ~ [0.3887, 0.3863, 0.2250], H ~ [11.223, 10.575, 5.413].
CREATE TABLE seed AS
SELECT nmf(nmf_matrix('{{5,4,1},{4,5,1},{2,1,5}}'::float8[]), 1, solver => 'mu', max_iter => 1000, tol => 1e-10) AS m;
-- each within 1e-3 relative of the optimum, and the values to 4 significant digits
SELECT bool_and(abs(weight - want) / want < 1e-3) AS w_within_1e3
FROM seed, nmf_w(seed.m) JOIN (VALUES (1, 0.38873), (2, 0.38630), (3, 0.22497)) AS o(id, want) USING (id);
SELECT bool_and(abs(weight - want) / want < 1e-3) AS h_within_1e3
FROM seed, nmf_h(seed.m) JOIN (VALUES (1, 11.2232), (2, 10.5753), (3, 5.41347)) AS o(id, want) USING (id);
SELECT id, factor, round(weight::numeric, 4) AS w FROM seed, nmf_w(seed.m) ORDER BY id;
SELECT id, factor, round(weight::numeric, 3) AS h FROM seed, nmf_h(seed.m) ORDER BY id;
-- W's columns sum to 1
SELECT factor, round(sum(weight)::numeric, 12) AS column_sum FROM seed, nmf_w(seed.m) GROUP BY factor;
-- WH ~ [[4.36,4.11,2.10],[4.33,4.08,2.09],[2.52,2.37,1.21]]
SELECT w.id AS i, h.id AS j, round(sum(w.weight * h.weight)::numeric, 2) AS wh
FROM seed, nmf_w(seed.m) w, nmf_h(seed.m) h WHERE w.factor = h.factor
GROUP BY w.id, h.id ORDER BY 1, 2;
SELECT round((nmf_info(m) ->> 'relative_error')::numeric, 4) AS relative_error,
       round((nmf_info(m) ->> 'loss')::numeric, 3) AS loss,
       nmf_info(m) -> 'converged' AS converged
FROM seed;
-- the default stop (tol => 1e-4) lands close to the optimum too
SELECT bool_and(abs(weight - want) / want < 1e-3) AS default_within_1e3
FROM (SELECT nmf(nmf_matrix('{{5,4,1},{4,5,1},{2,1,5}}'::float8[]), 1, solver => 'mu') AS m) s,
     nmf_w(s.m) JOIN (VALUES (1, 0.38873), (2, 0.38630), (3, 0.22497)) AS o(id, want) USING (id);

-- rank 2 on a matrix made of two blocks: each block is one factor
CREATE TABLE blocks AS SELECT nmf_matrix(
	'{{3,3,3,0,0},{3,3,3,0,0},{0,0,0,2,2},{0,0,0,2,2}}'::float8[]) AS x;
CREATE TABLE fit2 AS SELECT nmf(x, 2, solver => 'mu', seed => 7, max_iter => 2000, tol => 0) AS m FROM blocks;
-- factor 1 is the heavier block (weights 18 vs 8)
SELECT id, factor, round(weight::numeric, 4) AS w FROM fit2, nmf_w(fit2.m) ORDER BY factor, id;
SELECT id, factor, round(weight::numeric, 4) AS h FROM fit2, nmf_h(fit2.m) ORDER BY factor, id;
SELECT ARRAY(SELECT round(x::numeric, 4) FROM jsonb_array_elements_text(nmf_info(m) -> 'factor_weights') x) AS factor_weights,
       nmf_info(m) -> 'iterations' AS iterations,
       (nmf_info(m) ->> 'relative_error')::float8 < 1e-6 AS exact
FROM fit2;

-- the same matrix, options and seed: the same W, H and loss, bit for bit
-- (the model's bytes differ only in the seconds it records)
CREATE FUNCTION factors(m nmf_model) RETURNS text LANGUAGE sql AS $$
	SELECT (SELECT string_agg(float8send(weight)::text, ',' ORDER BY id, factor) FROM nmf_w(m))
	    || (SELECT string_agg(float8send(weight)::text, ',' ORDER BY id, factor) FROM nmf_h(m))
	    || (nmf_info(m) ->> 'loss') || (nmf_info(m) ->> 'iterations') $$;
SELECT (SELECT factors(nmf(x, 2, solver => 'mu', seed => 3)) FROM blocks) = (SELECT factors(nmf(x, 2, solver => 'mu', seed => 3)) FROM blocks)
	AS deterministic;
-- another seed: another start
SELECT (SELECT factors(nmf(x, 2, solver => 'mu', seed => 3, max_iter => 1)) FROM blocks)
	<> (SELECT factors(nmf(x, 2, solver => 'mu', seed => 4, max_iter => 1)) FROM blocks) AS seed_matters;

-- the loss never increases (Lee & Seung's theorem 1): more iterations, lower or equal loss
SELECT bool_and(l2 <= l1 * (1 + 1e-12)) AS loss_non_increasing FROM (
	SELECT (nmf_info(nmf(x, 2, solver => 'mu', seed => 1, max_iter => k, tol => 0)) ->> 'loss')::float8 AS l1,
	       (nmf_info(nmf(x, 2, solver => 'mu', seed => 1, max_iter => k + 1, tol => 0)) ->> 'loss')::float8 AS l2
	FROM blocks, generate_series(1, 30) k) s;

-- tol => 0 runs every iteration; max_iter stops it
SELECT nmf_info(nmf(x, 2, solver => 'mu', max_iter => 17, tol => 0)) -> 'iterations' AS iterations,
       nmf_info(nmf(x, 2, solver => 'mu', max_iter => 17, tol => 0)) -> 'converged' AS converged
FROM blocks;

-- a sparse matrix: absent cells count as zeros (missing => 'zero')
CREATE TABLE sp AS SELECT nmf_matrix(r, c, v) AS x
FROM (VALUES (1, 1, 4.0), (1, 2, 2.0), (2, 1, 2.0), (2, 2, 1.0), (3, 3, 5.0)) AS t(r, c, v);
SELECT (nmf_info(m) ->> 'relative_error')::float8 < 1e-6 AS exact_rank2,
       nmf_info(m) -> 'nnz' AS nnz
FROM (SELECT nmf(x, 2, solver => 'mu', max_iter => 3000, tol => 0, seed => 5) AS m FROM sp) s;

-- regularisation shrinks the factors' product
SELECT (nmf_info(nmf(x, 2, solver => 'mu', seed => 1, l2_w => 10, l2_h => 10, max_iter => 500)) ->> 'relative_error')::float8
     > (nmf_info(nmf(x, 2, solver => 'mu', seed => 1, max_iter => 500)) ->> 'relative_error')::float8 AS l2_costs_fit
FROM blocks;
SELECT (nmf_info(nmf(x, 2, solver => 'mu', seed => 1, l1_w => 1, l1_h => 1, max_iter => 500)) -> 'options' ->> 'l1_w') AS l1_w
FROM blocks;

-- options are recorded
SELECT nmf_info(nmf(x, 1, solver => 'mu', seed => 99, max_iter => 5, tol => 0.5, max_seconds => 10)) -> 'options' AS options
FROM blocks;

-- max_seconds: a time limit (here generous: the fit converges first)
SELECT nmf_info(nmf(x, 2, solver => 'mu', max_seconds => 60)) -> 'converged' AS converged FROM blocks;

DROP TABLE seed, blocks, fit2, sp;
DROP FUNCTION factors;
