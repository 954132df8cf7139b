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
-- names its result twice must not run it twice. Not strict: warm_start,
-- w_init, h_init and learning_rate may be NULL (the others may not).
CREATE FUNCTION nmf(matrix nmf_matrix, rank int,
	solver text DEFAULT 'hals', loss text DEFAULT 'frobenius', init text DEFAULT 'random',
	missing text DEFAULT 'zero', max_iter int DEFAULT 200, tol float8 DEFAULT 1e-4,
	seed bigint DEFAULT 0, max_seconds float8 DEFAULT 0,
	l1_w float8 DEFAULT 0, l1_h float8 DEFAULT 0, l2_w float8 DEFAULT 0, l2_h float8 DEFAULT 0,
	learning_rate float8 DEFAULT NULL, warm_start nmf_model DEFAULT NULL,
	w_init float8[] DEFAULT NULL, h_init float8[] DEFAULT NULL)
	RETURNS nmf_model
	AS 'MODULE_PATHNAME', 'nmf_fit' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION nmf(nmf_matrix, int, text, text, text, text, int, float8, bigint, float8,
	float8, float8, float8, float8, float8, nmf_model, float8[], float8[]) IS
	'factorizes a matrix V ~ W H with W, H >= 0; solvers hals (default), mu (frobenius or kl) and gd';

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

CREATE FUNCTION nmf_loss_history(model nmf_model)
	RETURNS TABLE (iteration int, loss float8, seconds float8)
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_loss_history(nmf_model) IS
	'the loss after each iteration of the fit and the solver seconds spent up to it';
