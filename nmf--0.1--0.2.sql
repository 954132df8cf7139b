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

-- ================================================================ using a model
-- predict, recommend, similar, fold-in, score, split and cross-validation.
-- A NULL model, matrix or id gives NULL (or no rows); a NULL for any other
-- argument is an error (22004). Unknown ids give NULL or no rows, or with
-- on_unknown => 'error' an error 22023 that names the id.

CREATE FUNCTION nmf_predict(model nmf_model, row_id bigint, col_id bigint,
	on_unknown text DEFAULT 'null')
	RETURNS float8
	AS 'MODULE_PATHNAME', 'nmf_predict' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_predict(nmf_model, bigint, bigint, text) IS
	'the predicted cell (W H) for a row id and a column id; NULL for an unknown id unless on_unknown => ''error''';

CREATE FUNCTION nmf_predict(model nmf_model, row_ids bigint[], col_ids bigint[],
	on_unknown text DEFAULT 'null')
	RETURNS TABLE (row_id bigint, col_id bigint, score float8)
	AS 'MODULE_PATHNAME', 'nmf_predict_pairs' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION nmf_predict(nmf_model, bigint[], bigint[], text) IS
	'predicted cells for many (row id, column id) pairs in one call, in array order';

CREATE FUNCTION nmf_recommend(model nmf_model, row_id bigint, k int,
	exclude nmf_matrix DEFAULT NULL, on_unknown text DEFAULT 'null')
	RETURNS TABLE (col_id bigint, score float8)
	AS 'MODULE_PATHNAME', 'nmf_recommend' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION nmf_recommend(nmf_model, bigint, int, nmf_matrix, text) IS
	'the k columns with the highest predicted score for a row, best first, leaving out the row''s cells in exclude';

CREATE FUNCTION nmf_recommend(model nmf_model, row_ids bigint[], k int,
	exclude nmf_matrix DEFAULT NULL, on_unknown text DEFAULT 'null')
	RETURNS TABLE (row_id bigint, col_id bigint, score float8, rank int)
	AS 'MODULE_PATHNAME', 'nmf_recommend_rows' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 100;
COMMENT ON FUNCTION nmf_recommend(nmf_model, bigint[], int, nmf_matrix, text) IS
	'the top k columns of each of many rows in one call; rank 1 is the best';

CREATE FUNCTION nmf_similar(model nmf_model, side text, target bigint, k int,
	metric text DEFAULT 'cosine', on_unknown text DEFAULT 'null')
	RETURNS TABLE (id bigint, similarity float8)
	AS 'MODULE_PATHNAME', 'nmf_similar' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION nmf_similar(nmf_model, text, bigint, int, text, text) IS
	'the k rows (side ''row'', by W) or columns (side ''col'', by H) nearest to target in factor space, target left out';

CREATE FUNCTION nmf_transform(model nmf_model, matrix nmf_matrix)
	RETURNS TABLE (id bigint, factor int, weight float8)
	AS 'MODULE_PATHNAME', 'nmf_transform' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION nmf_transform(nmf_model, nmf_matrix) IS
	'fold-in: W rows for the rows of a new matrix with H held fixed (non-negative least squares per row)';

CREATE FUNCTION nmf_score(model nmf_model, matrix nmf_matrix) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'nmf_score' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_score(nmf_model, nmf_matrix) IS
	'rmse, mae, frobenius, relative_error, cells and unknown_cells of a model over the stored cells of a matrix';

CREATE FUNCTION nmf_split(matrix nmf_matrix, folds int, fold int, seed bigint DEFAULT 0,
	OUT train nmf_matrix, OUT test nmf_matrix)
	RETURNS record
	AS 'MODULE_PATHNAME', 'nmf_split' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_split(nmf_matrix, int, int, bigint) IS
	'seeded split of the stored cells: those in fold (1..folds) are test, the others train';

-- Cross-validation over held-out stored cells, in SQL: for each rank and
-- fold, fit on the training cells, then score on both sides. nmf() is called
-- with named arguments only, and solver, missing and tol are passed only when
-- given, so nmf()'s own defaults apply otherwise.
CREATE FUNCTION nmf_cv(matrix nmf_matrix, ranks int[], folds int DEFAULT 5, seed bigint DEFAULT 0,
	max_iter int DEFAULT 200, solver text DEFAULT NULL, missing text DEFAULT NULL,
	tol float8 DEFAULT NULL)
	RETURNS TABLE (rank int, fold int, train_rmse float8, test_rmse float8)
	LANGUAGE plpgsql VOLATILE PARALLEL SAFE
	AS $cv$
DECLARE
	fit_sql text;
	r int;
	f int;
	split_train nmf_matrix;
	split_test nmf_matrix;
	fitted nmf_model;
BEGIN
	IF ranks IS NULL OR folds IS NULL OR seed IS NULL OR max_iter IS NULL THEN
		RAISE EXCEPTION 'nmf_cv: ranks, folds, seed and max_iter must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF cardinality(ranks) = 0 OR array_position(ranks, NULL) IS NOT NULL THEN
		RAISE EXCEPTION 'nmf_cv: ranks must hold at least one rank and no NULL'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF folds < 2 THEN
		RAISE EXCEPTION 'nmf_cv: folds must be at least 2, not %', folds
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF matrix IS NULL THEN
		RETURN;
	END IF;
	fit_sql := 'SELECT nmf(matrix => $1, rank => $2, max_iter => $3, seed => $4'
		|| CASE WHEN solver IS NOT NULL THEN ', solver => $5' ELSE '' END
		|| CASE WHEN missing IS NOT NULL THEN ', missing => $6' ELSE '' END
		|| CASE WHEN tol IS NOT NULL THEN ', tol => $7' ELSE '' END
		|| ')';
	FOREACH r IN ARRAY ranks LOOP
		FOR f IN 1 .. folds LOOP
			SELECT s.train, s.test INTO split_train, split_test
			FROM nmf_split(matrix, folds, f, seed) AS s;
			EXECUTE fit_sql INTO fitted USING split_train, r, max_iter, seed, solver, missing, tol;
			rank := r;
			fold := f;
			train_rmse := (nmf_score(fitted, split_train) ->> 'rmse')::float8;
			test_rmse := (nmf_score(fitted, split_test) ->> 'rmse')::float8;
			RETURN NEXT;
		END LOOP;
	END LOOP;
END
$cv$;
COMMENT ON FUNCTION nmf_cv(nmf_matrix, int[], int, bigint, int, text, text, float8) IS
	'k-fold cross-validation over the stored cells: train and test RMSE for each rank and fold';

-- ---------------------------------------------------------------- end of using a model
