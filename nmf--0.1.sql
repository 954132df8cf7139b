-- SPDX-License-Identifier: PostgreSQL
-- nmf 0.1: non-negative matrix factorization of tables (Lee & Seung), in C++ on Eigen.

\echo Use "CREATE EXTENSION nmf" to load this file. \quit

-- ---------------------------------------------------------------- types

CREATE TYPE nmf_matrix;
CREATE TYPE nmf_matrix_state;
CREATE TYPE nmf_model;

CREATE FUNCTION nmf_matrix_in(cstring) RETURNS nmf_matrix
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION nmf_matrix_out(nmf_matrix) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION nmf_matrix_recv(internal) RETURNS nmf_matrix
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION nmf_matrix_send(nmf_matrix) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE nmf_matrix (
	INPUT = nmf_matrix_in, OUTPUT = nmf_matrix_out,
	RECEIVE = nmf_matrix_recv, SEND = nmf_matrix_send,
	INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE nmf_matrix IS
	'a sparse non-negative matrix (CSR) with the user''s bigint row and column ids';

CREATE FUNCTION nmf_matrix_state_in(cstring) RETURNS nmf_matrix_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION nmf_matrix_state_out(nmf_matrix_state) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION nmf_matrix_state_recv(internal) RETURNS nmf_matrix_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION nmf_matrix_state_send(nmf_matrix_state) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE nmf_matrix_state (
	INPUT = nmf_matrix_state_in, OUTPUT = nmf_matrix_state_out,
	RECEIVE = nmf_matrix_state_recv, SEND = nmf_matrix_state_send,
	INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE nmf_matrix_state IS
	'partial state of the nmf_matrix aggregate: the cells seen so far, unsorted';

CREATE FUNCTION nmf_model_in(cstring) RETURNS nmf_model
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION nmf_model_out(nmf_model) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION nmf_model_recv(internal) RETURNS nmf_model
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION nmf_model_send(nmf_model) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE nmf_model (
	INPUT = nmf_model_in, OUTPUT = nmf_model_out,
	RECEIVE = nmf_model_recv, SEND = nmf_model_send,
	INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended
);
COMMENT ON TYPE nmf_model IS
	'a fitted NMF model: W, H, the row and column ids, the options and a fit summary';

-- ---------------------------------------------------------------- casts

CREATE FUNCTION nmf_matrix(bytea) RETURNS nmf_matrix
	AS 'MODULE_PATHNAME', 'nmf_matrix_from_bytea' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION bytea(nmf_matrix) RETURNS bytea
	AS 'MODULE_PATHNAME', 'nmf_matrix_to_bytea' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION nmf_model(bytea) RETURNS nmf_model
	AS 'MODULE_PATHNAME', 'nmf_model_from_bytea' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION bytea(nmf_model) RETURNS bytea
	AS 'MODULE_PATHNAME', 'nmf_model_to_bytea' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE CAST (bytea AS nmf_matrix) WITH FUNCTION nmf_matrix(bytea);
CREATE CAST (nmf_matrix AS bytea) WITH FUNCTION bytea(nmf_matrix);
CREATE CAST (bytea AS nmf_model) WITH FUNCTION nmf_model(bytea);
CREATE CAST (nmf_model AS bytea) WITH FUNCTION bytea(nmf_model);

-- ---------------------------------------------------------------- building a matrix

-- Not strict: a NULL id or value is an error, not a row silently skipped.
CREATE FUNCTION nmf_matrix_state_add(nmf_matrix_state, bigint, bigint, float8)
	RETURNS nmf_matrix_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION nmf_matrix_state_combine(nmf_matrix_state, nmf_matrix_state)
	RETURNS nmf_matrix_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION nmf_matrix_final(nmf_matrix_state) RETURNS nmf_matrix
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE nmf_matrix(row_id bigint, col_id bigint, value float8) (
	SFUNC = nmf_matrix_state_add,
	STYPE = nmf_matrix_state,
	FINALFUNC = nmf_matrix_final,
	FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = nmf_matrix_state_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE nmf_matrix(bigint, bigint, float8) IS
	'builds a sparse matrix from (row_id, col_id, value) rows; cells given twice are summed';

CREATE FUNCTION nmf_matrix(dense float8[]) RETURNS nmf_matrix
	AS 'MODULE_PATHNAME', 'nmf_matrix_from_array' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_matrix(float8[]) IS
	'a matrix from a dense 2-D array: row ids 1..m, column ids 1..n, every cell stored';

CREATE FUNCTION nmf_matrix_info(nmf_matrix) RETURNS jsonb
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_matrix_info(nmf_matrix) IS
	'rows, cols, nnz, density and sum of a matrix';

-- ---------------------------------------------------------------- fitting

-- Volatile: a fit is costly and may stop on max_seconds, so a query that
-- names its result twice must not run it twice.
CREATE FUNCTION nmf(matrix nmf_matrix, rank int,
	solver text DEFAULT 'mu', loss text DEFAULT 'frobenius', init text DEFAULT 'random',
	missing text DEFAULT 'zero', max_iter int DEFAULT 200, tol float8 DEFAULT 1e-4,
	seed bigint DEFAULT 0, max_seconds float8 DEFAULT 0,
	l1_w float8 DEFAULT 0, l1_h float8 DEFAULT 0, l2_w float8 DEFAULT 0, l2_h float8 DEFAULT 0)
	RETURNS nmf_model
	AS 'MODULE_PATHNAME', 'nmf_fit' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION nmf(nmf_matrix, int, text, text, text, text, int, float8, bigint, float8,
	float8, float8, float8, float8) IS
	'factorizes a matrix V ~ W H with W, H >= 0 (Lee & Seung multiplicative updates)';

-- ---------------------------------------------------------------- reading a model

CREATE FUNCTION nmf_w(model nmf_model)
	RETURNS TABLE (id bigint, factor int, weight float8)
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_w(nmf_model) IS 'W in long form: one row per (row id, factor)';

CREATE FUNCTION nmf_h(model nmf_model)
	RETURNS TABLE (id bigint, factor int, weight float8)
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_h(nmf_model) IS 'H in long form: one row per (column id, factor)';

CREATE FUNCTION nmf_w_wide(model nmf_model)
	RETURNS TABLE (id bigint, weights float8[])
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_w_wide(nmf_model) IS 'W in wide form: one row per row id, its weights in factor order';

CREATE FUNCTION nmf_h_wide(model nmf_model)
	RETURNS TABLE (id bigint, weights float8[])
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_h_wide(nmf_model) IS 'H in wide form: one row per column id, its weights in factor order';

CREATE FUNCTION nmf_info(model nmf_model) RETURNS jsonb
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_info(nmf_model) IS
	'what was fitted: dimensions, rank, solver, options, iterations, converged, loss, relative error, seconds';

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
