-- SPDX-License-Identifier: PostgreSQL
-- nmf 0.1 -> 0.2. A new installation runs nmf--0.1.sql, then this script.

\echo Use "ALTER EXTENSION nmf UPDATE TO '0.2'" to load this file. \quit

-- ---------------------------------------------------------------- fitting: new options

-- New options change nmf()'s argument list: the old one goes, the new one
-- takes its place (the library serves both while the update is pending).
DROP FUNCTION nmf(nmf_matrix, int, text, text, text, text, int, float8, bigint, float8,
	float8, float8, float8, float8);

-- Volatile: a fit is costly and may stop on max_seconds, so a query that
-- names its result twice must not run it twice.
CREATE FUNCTION nmf(matrix nmf_matrix, rank int,
	solver text DEFAULT 'mu', loss text DEFAULT 'frobenius', init text DEFAULT 'random',
	missing text DEFAULT 'zero', max_iter int DEFAULT 200, tol float8 DEFAULT 1e-4,
	seed bigint DEFAULT 0, max_seconds float8 DEFAULT 0,
	l1_w float8 DEFAULT 0, l1_h float8 DEFAULT 0, l2_w float8 DEFAULT 0, l2_h float8 DEFAULT 0,
	verbose boolean DEFAULT false)
	RETURNS nmf_model
	AS 'MODULE_PATHNAME', 'nmf_fit' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION nmf(nmf_matrix, int, text, text, text, text, int, float8, bigint, float8,
	float8, float8, float8, float8, boolean) IS
	'factorizes a matrix V ~ W H with W, H >= 0 (Lee & Seung multiplicative updates)';

-- ---------------------------------------------------------------- reading a model

CREATE FUNCTION nmf_loss_history(model nmf_model)
	RETURNS TABLE (iteration int, loss float8, seconds float8)
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_loss_history(nmf_model) IS
	'the objective after each iteration of the fit, and the solver''s seconds at that point';

-- ---------------------------------------------------------------- progress

CREATE FUNCTION nmf_progress_read()
	RETURNS TABLE (pid int, started timestamptz, solver text, rows bigint, cols bigint, rank int,
		iteration int, max_iter int, loss float8, seconds float8)
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION nmf_progress_read() IS 'what the nmf_progress view shows';
CREATE VIEW nmf_progress AS SELECT * FROM nmf_progress_read();
COMMENT ON VIEW nmf_progress IS
	'fits running now, one row per backend: iteration, loss, seconds (needs shared_preload_libraries = ''nmf'')';
GRANT SELECT ON nmf_progress TO PUBLIC;

-- ---------------------------------------------------------------- big data: tables in, tables out

CREATE FUNCTION nmf_fit(source text, row_col text, col_col text, value_col text,
	w_table text, h_table text, rank int,
	solver text DEFAULT 'mu', loss text DEFAULT 'frobenius', init text DEFAULT 'random',
	missing text DEFAULT 'zero', max_iter int DEFAULT 200, tol float8 DEFAULT 1e-4,
	seed bigint DEFAULT 0, max_seconds float8 DEFAULT 0,
	l1_w float8 DEFAULT 0, l1_h float8 DEFAULT 0, l2_w float8 DEFAULT 0, l2_h float8 DEFAULT 0,
	verbose boolean DEFAULT false, models_table text DEFAULT 'nmf_models')
	RETURNS jsonb
	AS 'MODULE_PATHNAME', 'nmf_fit_table' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION nmf_fit(text, text, text, text, text, text, int, text, text, text, text, int,
	float8, bigint, float8, float8, float8, float8, float8, boolean, text) IS
	'streams a table or query into a matrix, fits it like nmf() and writes W and H into new tables';
