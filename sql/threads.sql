-- nmf.threads: the fit's threads; the factors are the same bits for every value

-- the default is the machine's cores, at most 8; 1..64 are accepted
SELECT current_setting('nmf.threads')::int BETWEEN 1 AND 8 AS default_in_range;
SET nmf.threads = 0;
SET nmf.threads = 65;

-- 1200 x 700 at rank 16: 512 lines per block, so 3 blocks of rows and 2 of columns
CREATE TABLE tx AS SELECT nmf_matrix(i, j, ((i * 7 + j * 3) % 5 + 1)::float8) AS x
FROM generate_series(1, 1200) i, generate_series(1, 700) j WHERE (i * 31 + j * 17) % 23 = 0;
CREATE FUNCTION tfactors(m nmf_model) RETURNS text LANGUAGE sql AS $$
	SELECT md5((SELECT string_agg(float8send(weight)::text, ',' ORDER BY id, factor) FROM nmf_w(m))
	        || (SELECT string_agg(float8send(weight)::text, ',' ORDER BY id, factor) FROM nmf_h(m))) $$;
CREATE TABLE tfits (solver text, loss text, missing text, threads int, f text);
CREATE PROCEDURE tfit(t int) LANGUAGE plpgsql AS $$
BEGIN
	PERFORM set_config('nmf.threads', t::text, false);
	INSERT INTO tfits
	SELECT s, lo, mi, t,
	       tfactors(nmf(x, 16, solver => s, loss => lo, missing => mi, max_iter => 5, tol => 0, seed => 3))
	FROM tx, (VALUES ('hals', 'frobenius'), ('mu', 'frobenius'), ('mu', 'kl')) AS so(s, lo),
	     (VALUES ('zero'), ('ignore')) AS mo(mi);
END $$;
CALL tfit(1);
CALL tfit(2);
CALL tfit(3);
SELECT solver, loss, missing, count(*) AS fits, count(DISTINCT f) AS distinct_factors
FROM tfits GROUP BY solver, loss, missing ORDER BY solver, loss, missing;
-- SET LOCAL: one transaction's value
BEGIN;
SET LOCAL nmf.threads = 1;
SHOW nmf.threads;
COMMIT;
SELECT current_setting('nmf.threads') = '3' AS back_to_session_value;
RESET nmf.threads;
DROP PROCEDURE tfit;
DROP FUNCTION tfactors;
DROP TABLE tx, tfits;
