-- SPDX-License-Identifier: PostgreSQL
-- nmf 0.2 -> 0.3: biases (bias, l2_bias), a per-call thread count (threads)
-- and nmf_bias. A step of the update to the current version.

\echo Use "ALTER EXTENSION nmf UPDATE TO '0.3'" to load this file. \quit

-- ---------------------------------------------------------------- fitting: new options

-- New trailing options change the argument lists: the old declarations go,
-- the new ones take their place (the library serves both while an update is
-- pending: options an older declaration lacks take their defaults).
DROP FUNCTION nmf(nmf_matrix, int, text, text, text, text, int, float8, bigint, float8,
	float8, float8, float8, float8, float8, nmf_model, float8[], float8[], boolean);

-- Volatile and not strict, as in 0.2: learning_rate, warm_start, w_init,
-- h_init and threads may be NULL (the others may not).
CREATE FUNCTION nmf(matrix nmf_matrix, rank int,
	solver text DEFAULT 'hals', loss text DEFAULT 'frobenius', init text DEFAULT 'random',
	missing text DEFAULT 'zero', max_iter int DEFAULT 200, tol float8 DEFAULT 1e-4,
	seed bigint DEFAULT 0, max_seconds float8 DEFAULT 0,
	l1_w float8 DEFAULT 0, l1_h float8 DEFAULT 0, l2_w float8 DEFAULT 0, l2_h float8 DEFAULT 0,
	learning_rate float8 DEFAULT NULL, warm_start nmf_model DEFAULT NULL,
	w_init float8[] DEFAULT NULL, h_init float8[] DEFAULT NULL,
	verbose boolean DEFAULT false,
	bias boolean DEFAULT false, l2_bias float8 DEFAULT 10, threads int DEFAULT NULL)
	RETURNS nmf_model
	AS 'MODULE_PATHNAME', 'nmf_fit' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION nmf(nmf_matrix, int, text, text, text, text, int, float8, bigint, float8,
	float8, float8, float8, float8, float8, nmf_model, float8[], float8[], boolean, boolean,
	float8, int) IS
	'factorizes a matrix V ~ W H with W, H >= 0 (with bias => true: mu + b_row + b_col + W H); solvers hals (default), mu (frobenius or kl) and gd';

DROP FUNCTION nmf_fit(text, text, text, text, text, text, int, text, text, text, text, int,
	float8, bigint, float8, float8, float8, float8, float8, float8, nmf_model, float8[], float8[],
	boolean, text);

-- The new options follow models_table, so that a 0.2 declaration's
-- models_table keeps its position.
CREATE FUNCTION nmf_fit(source text, row_col text, col_col text, value_col text,
	w_table text, h_table text, rank int,
	solver text DEFAULT 'hals', loss text DEFAULT 'frobenius', init text DEFAULT 'random',
	missing text DEFAULT 'zero', max_iter int DEFAULT 200, tol float8 DEFAULT 1e-4,
	seed bigint DEFAULT 0, max_seconds float8 DEFAULT 0,
	l1_w float8 DEFAULT 0, l1_h float8 DEFAULT 0, l2_w float8 DEFAULT 0, l2_h float8 DEFAULT 0,
	learning_rate float8 DEFAULT NULL, warm_start nmf_model DEFAULT NULL,
	w_init float8[] DEFAULT NULL, h_init float8[] DEFAULT NULL,
	verbose boolean DEFAULT false, models_table text DEFAULT 'nmf_models',
	bias boolean DEFAULT false, l2_bias float8 DEFAULT 10, threads int DEFAULT NULL)
	RETURNS jsonb
	AS 'MODULE_PATHNAME', 'nmf_fit_table' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION nmf_fit(text, text, text, text, text, text, int, text, text, text, text, int,
	float8, bigint, float8, float8, float8, float8, float8, float8, nmf_model, float8[], float8[],
	boolean, text, boolean, float8, int) IS
	'streams a table or query into a matrix, fits it like nmf() and writes W and H (and biases as factor 0) into new tables';

-- ---------------------------------------------------------------- reading a model

CREATE FUNCTION nmf_bias(model nmf_model, side text)
	RETURNS TABLE (id bigint, bias float8)
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_bias(nmf_model, text) IS
	'the row (side ''row'') or column (''col'') biases of a model fitted with bias => true';

-- ---------------------------------------------------------------- using a model

COMMENT ON FUNCTION nmf_transform(nmf_model, nmf_matrix) IS
	'fold-in: W rows for the rows of a new matrix with H held fixed (non-negative least squares); a biased model''s row bias as factor 0';

DROP FUNCTION nmf_cv(nmf_matrix, int[], int, bigint, int, text, text, float8);

CREATE FUNCTION nmf_cv(matrix nmf_matrix, ranks int[], folds int DEFAULT 5, seed bigint DEFAULT 0,
	max_iter int DEFAULT 200, solver text DEFAULT NULL, missing text DEFAULT NULL,
	tol float8 DEFAULT NULL, bias boolean DEFAULT false, l2_bias float8 DEFAULT NULL,
	l2_w float8 DEFAULT NULL, l2_h float8 DEFAULT NULL)
	RETURNS TABLE (rank int, fold int, train_rmse float8, test_rmse float8)
	LANGUAGE plpgsql VOLATILE PARALLEL SAFE
	AS $cv$
BEGIN
	-- Only the declaration lives here: each update to the current version
	-- replaces the body (src/sql; 0.3's own is in git history).
	RAISE EXCEPTION 'nmf_cv: nmf 0.3 is a step on the way to the current version'
		USING ERRCODE = 'feature_not_supported', HINT = 'ALTER EXTENSION nmf UPDATE';
END
$cv$;
COMMENT ON FUNCTION nmf_cv(nmf_matrix, int[], int, bigint, int, text, text, float8, boolean,
	float8, float8, float8) IS
	'k-fold cross-validation over the stored cells: train and test RMSE for each rank and fold (bias, l2_bias, l2_w, l2_h passed to nmf)';

-- Parallel workers now ship their partial states sorted and packed.
COMMENT ON TYPE nmf_matrix_state IS
	'partial state of the nmf_matrix aggregate: the cells seen so far (parallel workers ship theirs sorted, duplicates summed, packed)';
