-- SPDX-License-Identifier: PostgreSQL
-- nmf 0.1 -> 0.2, a step of the update from 0.1 to the current version (src/sql).

\echo Use "ALTER EXTENSION nmf UPDATE TO '0.2'" to load this file. \quit

-- ---------------------------------------------------------------- fitting: new options

-- New options change nmf()'s argument list: the old one goes, the new one
-- takes its place (the library serves both while the update is pending).
DROP FUNCTION nmf(nmf_matrix, int, text, text, text, text, int, float8, bigint, float8,
	float8, float8, float8, float8);

-- Volatile: a fit is costly and may stop on max_seconds, so a query that
-- names its result twice must not run it twice. Not strict: warm_start,
-- w_init, h_init and learning_rate may be NULL (the others may not).
CREATE FUNCTION nmf(matrix nmf_matrix, rank int,
	solver text DEFAULT 'hals', loss text DEFAULT 'frobenius', init text DEFAULT 'random',
	missing text DEFAULT 'zero', max_iter int DEFAULT 200, tol float8 DEFAULT 1e-4,
	seed bigint DEFAULT 0, max_seconds float8 DEFAULT 0,
	l1_w float8 DEFAULT 0, l1_h float8 DEFAULT 0, l2_w float8 DEFAULT 0, l2_h float8 DEFAULT 0,
	learning_rate float8 DEFAULT NULL, warm_start nmf_model DEFAULT NULL,
	w_init float8[] DEFAULT NULL, h_init float8[] DEFAULT NULL,
	verbose boolean DEFAULT false)
	RETURNS nmf_model
	AS 'MODULE_PATHNAME', 'nmf_fit' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION nmf(nmf_matrix, int, text, text, text, text, int, float8, bigint, float8,
	float8, float8, float8, float8, float8, nmf_model, float8[], float8[], boolean) IS
	'factorizes a matrix V ~ W H with W, H >= 0; solvers hals (default), mu (frobenius or kl) and gd';

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
	solver text DEFAULT 'hals', loss text DEFAULT 'frobenius', init text DEFAULT 'random',
	missing text DEFAULT 'zero', max_iter int DEFAULT 200, tol float8 DEFAULT 1e-4,
	seed bigint DEFAULT 0, max_seconds float8 DEFAULT 0,
	l1_w float8 DEFAULT 0, l1_h float8 DEFAULT 0, l2_w float8 DEFAULT 0, l2_h float8 DEFAULT 0,
	learning_rate float8 DEFAULT NULL, warm_start nmf_model DEFAULT NULL,
	w_init float8[] DEFAULT NULL, h_init float8[] DEFAULT NULL,
	verbose boolean DEFAULT false, models_table text DEFAULT 'nmf_models')
	RETURNS jsonb
	AS 'MODULE_PATHNAME', 'nmf_fit_table' LANGUAGE C VOLATILE PARALLEL UNSAFE;
-- (Not strict, like nmf(): the optional arguments may be NULL.)
COMMENT ON FUNCTION nmf_fit(text, text, text, text, text, text, int, text, text, text, text, int,
	float8, bigint, float8, float8, float8, float8, float8, float8, nmf_model, float8[], float8[],
	boolean, text) IS
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
BEGIN
	-- Only the declaration lives here: each update to the current version
	-- replaces the body (src/sql; 0.2's own is in git history).
	RAISE EXCEPTION 'nmf_cv: nmf 0.2 is a step on the way to the current version'
		USING ERRCODE = 'feature_not_supported', HINT = 'ALTER EXTENSION nmf UPDATE';
END
$cv$;
COMMENT ON FUNCTION nmf_cv(nmf_matrix, int[], int, bigint, int, text, text, float8) IS
	'k-fold cross-validation over the stored cells: train and test RMSE for each rank and fold';

-- ---------------------------------------------------------------- end of using a model

-- ---------------------------------------------------------------- distributed fit (Citus)

-- The pieces of nmf_fit_distributed. Their states are float8[] (a real type
-- with a combine function), so Citus runs the partial aggregates on the
-- workers and ships one r x n (or r x r) state per shard, never the ratings.
CREATE FUNCTION nmf_dist_init(id bigint, seed bigint, side int, rank int, scale float8)
	RETURNS float8[] AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_dist_init(bigint, bigint, int, int, float8) IS
	'nmf_fit_distributed: the seeded initial factor vector of a row (side 0) or column (side 1)';
CREATE FUNCTION nmf_dist_hstats_add(float8[], float8[], bigint, float8, bigint[], float8[], boolean)
	RETURNS float8[] AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION nmf_dist_rowstats_add(float8[], float8[], bigint, float8, bigint[], float8[], boolean)
	RETURNS float8[] AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION nmf_dist_gram_add(float8[], float8[])
	RETURNS float8[] AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION nmf_dist_sum(float8[], float8[])
	RETURNS float8[] AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE nmf_dist_hstats(w float8[], col_id bigint, value float8, cols bigint[],
	h float8[], masked boolean) (
	SFUNC = nmf_dist_hstats_add, STYPE = float8[], COMBINEFUNC = nmf_dist_sum, PARALLEL = SAFE);
COMMENT ON AGGREGATE nmf_dist_hstats(float8[], bigint, float8, bigint[], float8[], boolean) IS
	'nmf_fit_distributed: W^T V (and, masked, W^T (W H) on the stored cells), column by column';
CREATE AGGREGATE nmf_dist_rowstats(w float8[], col_id bigint, value float8, cols bigint[],
	h float8[], masked boolean) (
	SFUNC = nmf_dist_rowstats_add, STYPE = float8[], COMBINEFUNC = nmf_dist_sum, PARALLEL = SAFE);
COMMENT ON AGGREGATE nmf_dist_rowstats(float8[], bigint, float8, bigint[], float8[], boolean) IS
	'nmf_fit_distributed: a row''s V H^T (and, masked, (W H) H^T on its stored cells)';
CREATE AGGREGATE nmf_dist_gram(w float8[]) (
	SFUNC = nmf_dist_gram_add, STYPE = float8[], COMBINEFUNC = nmf_dist_sum, PARALLEL = SAFE);
COMMENT ON AGGREGATE nmf_dist_gram(float8[]) IS 'nmf_fit_distributed: W^T W (r x r)';
CREATE FUNCTION nmf_dist_update_h(h float8[], stats float8[], gram float8[], rank int,
	masked boolean) RETURNS float8[] AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_dist_update_h(float8[], float8[], float8[], int, boolean) IS
	'nmf_fit_distributed: H after one multiplicative update';
CREATE FUNCTION nmf_dist_update_w(w float8[], stats float8[], hht float8[], masked boolean)
	RETURNS float8[] AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_dist_update_w(float8[], float8[], float8[], boolean) IS
	'nmf_fit_distributed: a row of W after one multiplicative update';
CREATE FUNCTION nmf_dist_gram_cols(h float8[], rank int)
	RETURNS float8[] AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_dist_gram_cols(float8[], int) IS 'nmf_fit_distributed: H H^T (r x r)';
CREATE FUNCTION nmf_dist_predict(w float8[], col_id bigint, cols bigint[], h float8[])
	RETURNS float8 AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_dist_predict(float8[], bigint, bigint[], float8[]) IS
	'nmf_fit_distributed: (W H) at one cell, from a row of W and H';

CREATE FUNCTION nmf_dist_cell_loss(w float8[], col_id bigint, cols bigint[], h float8[],
	value float8, masked boolean)
	RETURNS float8 AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_dist_cell_loss(float8[], bigint, bigint[], float8[], float8, boolean) IS
	'nmf_fit_distributed: a cell''s term of the loss, (v - WH)^2 masked, v WH zero-filled';
CREATE FUNCTION nmf_dist_dot(a float8[], b float8[])
	RETURNS float8 AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_dist_dot(float8[], float8[]) IS
	'nmf_fit_distributed: the dot product of two arrays of the same length';
CREATE FUNCTION nmf_dist_square(x float8)
	RETURNS float8 AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_dist_square(float8) IS
	'nmf_fit_distributed: x * x, 0 where SQL''s float8 product would refuse an underflow';

-- The driver. W lives in w_table, distributed like (colocated with) the
-- source when the source is a Citus table, and is rewritten by the workers
-- each iteration; H (r x n) lives here and goes to every shard as a parameter.
CREATE FUNCTION nmf_fit_distributed(source regclass, row_col text, col_col text, value_col text,
	rank int, w_table text, h_table text, missing text DEFAULT 'zero', max_iter int DEFAULT 200,
	seed bigint DEFAULT 0)
	RETURNS jsonb LANGUAGE plpgsql VOLATILE AS $fit$
BEGIN
	-- Only the declaration lives here: each update to the current version
	-- replaces the body (src/sql; 0.2's own is in git history).
	RAISE EXCEPTION 'nmf_fit_distributed: nmf 0.2 is a step on the way to the current version'
		USING ERRCODE = 'feature_not_supported', HINT = 'ALTER EXTENSION nmf UPDATE';
END
$fit$;
COMMENT ON FUNCTION nmf_fit_distributed(regclass, text, text, text, int, text, text, text, int,
	bigint) IS
	'factorizes a table (a Citus table distributed by its row id) where it lives: W into a table colocated with it, H into a table here';

-- ---------------------------------------------------------------- end of distributed fit (Citus)

-- ================================================================ comments on the support objects
-- Every function, type and cast of the extension says what it is.

COMMENT ON FUNCTION nmf_matrix_in(cstring) IS 'text input of nmf_matrix: base64 of the binary form, validated';
COMMENT ON FUNCTION nmf_matrix_out(nmf_matrix) IS 'text output of nmf_matrix: base64 of the binary form';
COMMENT ON FUNCTION nmf_matrix_recv(internal) IS 'binary input of nmf_matrix, validated';
COMMENT ON FUNCTION nmf_matrix_send(nmf_matrix) IS 'binary output of nmf_matrix';
COMMENT ON FUNCTION nmf_matrix_state_in(cstring) IS 'text input of the aggregate state (how Citus ships it), validated';
COMMENT ON FUNCTION nmf_matrix_state_out(nmf_matrix_state) IS 'text output of the aggregate state';
COMMENT ON FUNCTION nmf_matrix_state_recv(internal) IS 'binary input of the aggregate state, validated';
COMMENT ON FUNCTION nmf_matrix_state_send(nmf_matrix_state) IS 'binary output of the aggregate state';
COMMENT ON FUNCTION nmf_model_in(cstring) IS 'text input of nmf_model: base64 of the binary form, validated (format 1 upgraded)';
COMMENT ON FUNCTION nmf_model_out(nmf_model) IS 'text output of nmf_model: base64 of the binary form';
COMMENT ON FUNCTION nmf_model_recv(internal) IS 'binary input of nmf_model, validated (format 1 upgraded)';
COMMENT ON FUNCTION nmf_model_send(nmf_model) IS 'binary output of nmf_model';
COMMENT ON FUNCTION nmf_matrix(bytea) IS 'the cast bytea -> nmf_matrix: the binary form, validated';
COMMENT ON FUNCTION bytea(nmf_matrix) IS 'the cast nmf_matrix -> bytea: the binary form';
COMMENT ON FUNCTION nmf_model(bytea) IS 'the cast bytea -> nmf_model: the binary form, validated';
COMMENT ON FUNCTION bytea(nmf_model) IS 'the cast nmf_model -> bytea: the binary form';
COMMENT ON CAST (bytea AS nmf_matrix) IS 'a matrix from its binary form, validated';
COMMENT ON CAST (nmf_matrix AS bytea) IS 'a matrix''s binary form';
COMMENT ON CAST (bytea AS nmf_model) IS 'a model from its binary form, validated';
COMMENT ON CAST (nmf_model AS bytea) IS 'a model''s binary form';
COMMENT ON FUNCTION nmf_matrix_state_add(nmf_matrix_state, bigint, bigint, float8) IS
	'transition function of the nmf_matrix aggregate: appends a cell in place';
COMMENT ON FUNCTION nmf_matrix_state_combine(nmf_matrix_state, nmf_matrix_state) IS
	'combine function of the nmf_matrix aggregate: joins two partial states';
COMMENT ON FUNCTION nmf_matrix_final(nmf_matrix_state) IS
	'final function of the nmf_matrix aggregate: sorts, sums duplicates, builds the matrix';
COMMENT ON FUNCTION nmf_dist_gram_add(float8[], float8[]) IS
	'transition function of nmf_dist_gram: adds a factor vector''s outer product';
COMMENT ON FUNCTION nmf_dist_hstats_add(float8[], float8[], bigint, float8, bigint[], float8[], boolean) IS
	'transition function of nmf_dist_hstats: adds one cell''s share of W^T V (masked: of W^T (W H))';
COMMENT ON FUNCTION nmf_dist_rowstats_add(float8[], float8[], bigint, float8, bigint[], float8[], boolean) IS
	'transition function of nmf_dist_rowstats: adds one cell''s share of a row''s V H^T (masked: of (W H) H^T)';
COMMENT ON FUNCTION nmf_dist_sum(float8[], float8[]) IS
	'nmf_fit_distributed: combine function, the elementwise sum of two float8[] states';
