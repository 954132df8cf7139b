-- nmf(): the default solver, hals (coordinate descent with Gram matrices)

-- The seed's example at rank 1, with every default: the exact optimum is the
-- leading singular pair, W ~ [0.3887, 0.3863, 0.2250], H ~ [11.223, 10.575, 5.413].
CREATE TABLE seed AS SELECT nmf(nmf_matrix('{{5,4,1},{4,5,1},{2,1,5}}'::float8[]), 1) AS m;
SELECT nmf_info(m) ->> 'solver' AS solver, nmf_info(m) -> 'converged' AS converged FROM seed;
SELECT id, factor, round(weight::numeric, 4) AS w FROM seed, nmf_w(seed.m) ORDER BY id;
SELECT id, factor, round(weight::numeric, 3) AS h FROM seed, nmf_h(seed.m) ORDER BY id;
SELECT bool_and(abs(weight - want) / want < 1e-3) AS w_within_1e3
FROM seed, nmf_w(seed.m) JOIN (VALUES (1, 0.38873), (2, 0.38630), (3, 0.22497)) AS o(id, want) USING (id);
SELECT bool_and(abs(weight - want) / want < 1e-3) AS h_within_1e3
FROM seed, nmf_h(seed.m) JOIN (VALUES (1, 11.2232), (2, 10.5753), (3, 5.41347)) AS o(id, want) USING (id);

-- rank 2 on two blocks: an exact fit, heavier block first
CREATE TABLE blocks AS SELECT nmf_matrix(
	'{{3,3,3,0,0},{3,3,3,0,0},{0,0,0,2,2},{0,0,0,2,2}}'::float8[]) AS x;
CREATE TABLE fit2 AS SELECT nmf(x, 2, seed => 7, tol => 1e-10, max_iter => 1000) AS m FROM blocks;
SELECT id, factor, round(weight::numeric, 4) AS w FROM fit2, nmf_w(fit2.m) ORDER BY factor, id;
SELECT ARRAY(SELECT round(x::numeric, 4) FROM jsonb_array_elements_text(nmf_info(m) -> 'factor_weights') x) AS factor_weights,
       (nmf_info(m) ->> 'relative_error')::float8 < 1e-6 AS exact
FROM fit2;

-- the loss never increases (each coordinate step is an exact minimisation)
CREATE TABLE noisy AS SELECT nmf_matrix(i, j, ((i * 7 + j * 3) % 5 + 1)::float8) AS x
FROM generate_series(1, 30) i, generate_series(1, 20) j WHERE (i + j) % 3 <> 0;
CREATE TABLE hist AS SELECT nmf(x, 4, seed => 2, tol => 0, max_iter => 60) AS m FROM noisy;
SELECT count(*) AS iterations,
       bool_and(loss <= prev * (1 + 1e-12)) AS non_increasing,
       bool_and(seconds >= prev_seconds) AS seconds_non_decreasing
FROM (SELECT loss, lag(loss) OVER w AS prev, seconds, lag(seconds) OVER w AS prev_seconds
      FROM hist, nmf_loss_history(hist.m) WINDOW w AS (ORDER BY iteration)) s;
-- the history ends at the model's final loss
SELECT (SELECT loss FROM nmf_loss_history(m) ORDER BY iteration DESC LIMIT 1)
	= (nmf_info(m) ->> 'loss')::float8 AS last_is_final FROM hist;
SELECT min(iteration), max(iteration) FROM hist, nmf_loss_history(hist.m);

-- the same options and seed: the same factors, bit for bit
CREATE FUNCTION factors(m nmf_model) RETURNS text LANGUAGE sql AS $$
	SELECT (SELECT string_agg(float8send(weight)::text, ',' ORDER BY id, factor) FROM nmf_w(m))
	    || (SELECT string_agg(float8send(weight)::text, ',' ORDER BY id, factor) FROM nmf_h(m)) $$;
SELECT (SELECT factors(nmf(x, 3, seed => 5)) FROM noisy) = (SELECT factors(nmf(x, 3, seed => 5)) FROM noisy)
	AS deterministic;

-- l1 makes the factors sparser, l2 costs fit; both are recorded
SELECT (SELECT count(*) FROM nmf_h(m) WHERE weight < 1e-12) AS zeros_plain,
       (SELECT count(*) FROM nmf_h(m1) WHERE weight < 1e-12) > (SELECT count(*) FROM nmf_h(m) WHERE weight < 1e-12) AS l1_sparser,
       (nmf_info(m2) ->> 'relative_error')::float8 > (nmf_info(m) ->> 'relative_error')::float8 AS l2_costs_fit,
       nmf_info(m1) -> 'options' -> 'l1_h' AS l1_h
FROM (SELECT nmf(x, 4, seed => 1) AS m, nmf(x, 4, seed => 1, l1_w => 3, l1_h => 3) AS m1,
             nmf(x, 4, seed => 1, l2_w => 20, l2_h => 20) AS m2 FROM noisy) s;

DROP TABLE seed, blocks, fit2, noisy, hist;
DROP FUNCTION factors;
