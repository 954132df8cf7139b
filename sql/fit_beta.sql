-- nmf(): the beta-divergence family (loss => 'beta', beta => b; loss => 'is' is beta 0),
-- by multiplicative updates; solver NULL is chosen by the loss

-- errors: each with its SQLSTATE and hint
CREATE FUNCTION try(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	hint text;
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS hint = PG_EXCEPTION_HINT;
	RETURN SQLSTATE || ': ' || SQLERRM || CASE WHEN hint <> '' THEN E'\nHINT: ' || hint ELSE '' END;
END $$;

CREATE TABLE x3 AS SELECT nmf_matrix('{{5,4,1},{4,5,1},{2,1,5}}'::float8[]) AS x;
-- a 4 x 3 matrix with two absent cells; and the same with a stored 0
CREATE TABLE holed AS SELECT nmf_matrix(i, j, (i + 2 * j)::float8) AS x
FROM generate_series(1, 4) i, generate_series(1, 3) j WHERE (i, j) NOT IN ((1, 2), (3, 3));
CREATE TABLE zeroed AS SELECT nmf_matrix(i, j, CASE WHEN (i, j) = (2, 2) THEN 0 ELSE i + 2 * j END::float8) AS x
FROM generate_series(1, 4) i, generate_series(1, 3) j;

SELECT try($$SELECT nmf(x, 1, loss => 'beta') FROM x3$$);
SELECT try($$SELECT nmf(x, 1, loss => 'beta', beta => NULL) FROM x3$$);
SELECT try($$SELECT nmf(x, 1, beta => 0.5) FROM x3$$);
SELECT try($$SELECT nmf(x, 1, loss => 'kl', beta => 1) FROM x3$$);
SELECT try($$SELECT nmf(x, 1, loss => 'is', beta => 0) FROM x3$$);
SELECT try($$SELECT nmf(x, 1, loss => 'beta', beta => 11) FROM x3$$);
SELECT try($$SELECT nmf(x, 1, loss => 'beta', beta => 'NaN') FROM x3$$);
SELECT try($$SELECT nmf(x, 1, loss => 'beta', beta => 0.5, solver => 'hals') FROM x3$$);
SELECT try($$SELECT nmf(x, 1, loss => 'is', solver => 'gd') FROM x3$$);
SELECT try($$SELECT nmf(x, 1, loss => 'kl', solver => 'hals') FROM x3$$);
SELECT try($$SELECT nmf(x, 1, loss => 'beta', beta => 0.5, missing => 'ignore', bias => true) FROM x3$$);
-- the zero rule: beta <= 0 needs every counted cell > 0
SELECT try($$SELECT nmf(x, 1, loss => 'is') FROM holed$$);
SELECT try($$SELECT nmf(x, 1, loss => 'beta', beta => -0.5) FROM holed$$);
SELECT try($$SELECT nmf(x, 1, loss => 'is', missing => 'ignore') FROM zeroed$$);
SELECT try($$SELECT nmf(x, 1, loss => 'is', missing => 'ignore') FROM holed$$);
SELECT try($$SELECT nmf(x, 1, loss => 'beta', beta => 0.5) FROM zeroed$$);

-- solver left NULL: hals for frobenius, mu for the others
-- and the model records loss 'beta' with its beta ('is': beta 0); no beta key for the others
SELECT loss, beta, nmf_info(m) ->> 'solver' AS solver, nmf_info(m) -> 'options' ->> 'loss' AS model_loss,
       nmf_info(m) -> 'options' -> 'beta' AS model_beta
FROM x3, (VALUES ('frobenius', NULL), ('kl', NULL), ('is', NULL), ('beta', 1.5)) AS o(loss, beta),
     LATERAL (SELECT nmf(x, 1, loss => loss, beta => beta, max_iter => 5) AS m) f
ORDER BY loss;

-- the loss is the divergence of the model's W H, here counted by hand:
-- every cell with missing 'zero', the stored ones with missing 'ignore'
CREATE FUNCTION d(x float8, y float8, b float8) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN b = 0 THEN x / y - ln(x / y) - 1
	            WHEN x = 0 THEN y ^ b / b
	            ELSE (x ^ b + (b - 1) * y ^ b - b * x * y ^ (b - 1)) / (b * (b - 1)) END $$;
CREATE TABLE dense AS SELECT i, j, (i + 2 * j + (i * j) % 3)::float8 AS v
FROM generate_series(1, 5) i, generate_series(1, 4) j;
CREATE TABLE fits AS
SELECT b, missing, nmf(nmf_matrix(i, j, v), 2, loss => 'beta', beta => b, missing => missing,
                       max_iter => 30, tol => 0, reg => 0, loss_every => 1) AS m
FROM (SELECT * FROM dense WHERE (i + j) % 4 <> 0) s,
     (VALUES (0.0), (0.5), (1.5), (3.0)) AS o(b), (VALUES ('zero'), ('ignore')) AS mm(missing)
WHERE b > 0 OR missing = 'ignore'
GROUP BY b, missing;
SELECT b, missing, abs((nmf_info(m) ->> 'loss')::float8 - by_hand) < 1e-9 * by_hand AS loss_is_divergence,
       round(by_hand::numeric, 4) AS divergence
FROM fits, LATERAL (
	SELECT sum(d(coalesce(s.v, 0), nmf_predict(m, d.i, d.j, clip => false), b)) AS by_hand
	FROM dense d LEFT JOIN (SELECT * FROM dense WHERE (i + j) % 4 <> 0) s USING (i, j)
	WHERE missing = 'zero' OR s.v IS NOT NULL) h
ORDER BY b, missing;

-- the divergence never increases (Fevotte & Idier's majorisation)
SELECT b, missing, count(*) AS iterations, bool_and(loss <= prev * (1 + 1e-12)) AS non_increasing
FROM (SELECT b, missing, loss, lag(loss) OVER (PARTITION BY b, missing ORDER BY iteration) AS prev
      FROM fits, nmf_loss_history(m)) s
GROUP BY b, missing ORDER BY b, missing;

-- beta 1 is loss 'kl'; beta 2 is half of the frobenius loss of solver 'mu'
SELECT (nmf_info(nmf(x, 2, loss => 'beta', beta => 1, max_iter => 20, tol => 0)) ->> 'loss')::float8 =
       (nmf_info(nmf(x, 2, loss => 'kl', max_iter => 20, tol => 0)) ->> 'loss')::float8 AS beta_1_is_kl,
       (nmf_info(nmf(x, 2, loss => 'beta', beta => 2, max_iter => 20, tol => 0)) ->> 'loss')::float8 * 2 =
       (nmf_info(nmf(x, 2, solver => 'mu', max_iter => 20, tol => 0)) ->> 'loss')::float8 AS beta_2_is_half_frobenius
FROM holed;

-- Itakura-Saito on the stored cells of a matrix with absent cells: scale-invariant,
-- so a matrix times 1000 gives the same divergence
SELECT round((nmf_info(nmf(x, 1, loss => 'is', missing => 'ignore', max_iter => 50, tol => 0, reg => 0)) ->> 'loss')::numeric, 8) AS is_divergence
FROM holed
UNION ALL
SELECT round((nmf_info(nmf(nmf_matrix(i, j, 1000 * (i + 2 * j)::float8), 1, loss => 'is', missing => 'ignore',
                           max_iter => 50, tol => 0, reg => 0)) ->> 'loss')::numeric, 8)
FROM generate_series(1, 4) i, generate_series(1, 3) j WHERE (i, j) NOT IN ((1, 2), (3, 3));

-- nmf_fit() passes beta too
SELECT (r -> 'info' ->> 'loss')::float8 > 0 AS fitted, r -> 'info' -> 'options' ->> 'loss' AS loss,
       r -> 'info' ->> 'solver' AS solver
FROM nmf_fit('SELECT i, j, v FROM dense', 'i', 'j', 'v', 'beta_w', 'beta_h', 2,
             loss => 'beta', beta => 0.5, max_iter => 10) AS r;

DROP TABLE x3, holed, zeroed, dense, fits, beta_w, beta_h, nmf_models;
DROP FUNCTION try(text), d(float8, float8, float8);
