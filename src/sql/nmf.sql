-- SPDX-License-Identifier: PostgreSQL
-- The whole SQL interface of nmf but the distributed fit (distributed.sql):
-- the Makefile builds the install script of the current version from these
-- two files, and the update from each earlier version from them too.

-- ==========================================================================
-- Types
-- ==========================================================================
-- The extension's three types, their input and output functions, and their
-- casts to and from bytea.
--
-- Each type is stored as the binary form its send function writes; the text
-- form is the base64 of it. Every input path (in, recv, the cast from bytea)
-- validates the whole value, so a forged value is an error, never a crash.

-- Shell types first: the input and output functions name them.
CREATE TYPE nmf_matrix;
CREATE TYPE nmf_matrix_state;
CREATE TYPE nmf_model;

CREATE OR REPLACE FUNCTION nmf_matrix_in(cstring) RETURNS nmf_matrix
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_matrix_in(cstring) IS 'text input of nmf_matrix: base64 of the binary form, validated';
CREATE OR REPLACE FUNCTION nmf_matrix_out(nmf_matrix) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_matrix_out(nmf_matrix) IS 'text output of nmf_matrix: base64 of the binary form';
CREATE OR REPLACE FUNCTION nmf_matrix_recv(internal) RETURNS nmf_matrix
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_matrix_recv(internal) IS 'binary input of nmf_matrix, validated';
CREATE OR REPLACE FUNCTION nmf_matrix_send(nmf_matrix) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_matrix_send(nmf_matrix) IS 'binary output of nmf_matrix';
CREATE OR REPLACE FUNCTION nmf_matrix_state_in(cstring) RETURNS nmf_matrix_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_matrix_state_in(cstring) IS 'text input of the aggregate state (how Citus ships it), validated';
CREATE OR REPLACE FUNCTION nmf_matrix_state_out(nmf_matrix_state) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_matrix_state_out(nmf_matrix_state) IS 'text output of the aggregate state';
CREATE OR REPLACE FUNCTION nmf_matrix_state_recv(internal) RETURNS nmf_matrix_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_matrix_state_recv(internal) IS 'binary input of the aggregate state, validated';
CREATE OR REPLACE FUNCTION nmf_matrix_state_send(nmf_matrix_state) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_matrix_state_send(nmf_matrix_state) IS 'binary output of the aggregate state';
CREATE OR REPLACE FUNCTION nmf_model_in(cstring) RETURNS nmf_model
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_model_in(cstring) IS 'text input of nmf_model: base64 of the binary form, validated (format 1 upgraded)';
CREATE OR REPLACE FUNCTION nmf_model_out(nmf_model) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_model_out(nmf_model) IS 'text output of nmf_model: base64 of the binary form';
CREATE OR REPLACE FUNCTION nmf_model_recv(internal) RETURNS nmf_model
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_model_recv(internal) IS 'binary input of nmf_model, validated (format 1 upgraded)';
CREATE OR REPLACE FUNCTION nmf_model_send(nmf_model) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_model_send(nmf_model) IS 'binary output of nmf_model';

-- Matrices and models are stored uncompressed: their payload is mostly
-- doubles, which pglz barely shrinks at a high cost on every write and read.
-- The aggregate's state, mostly ids, compresses.
CREATE TYPE nmf_matrix (INPUT = nmf_matrix_in, OUTPUT = nmf_matrix_out, RECEIVE = nmf_matrix_recv,
	SEND = nmf_matrix_send, INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = external);
CREATE TYPE nmf_matrix_state (INPUT = nmf_matrix_state_in, OUTPUT = nmf_matrix_state_out,
	RECEIVE = nmf_matrix_state_recv, SEND = nmf_matrix_state_send,
	INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended);
CREATE TYPE nmf_model (INPUT = nmf_model_in, OUTPUT = nmf_model_out, RECEIVE = nmf_model_recv,
	SEND = nmf_model_send, INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = external);
COMMENT ON TYPE nmf_matrix IS
	'a sparse non-negative matrix (CSR) with the user''s bigint row and column ids';
COMMENT ON TYPE nmf_matrix_state IS
	'partial state of the nmf_matrix aggregate: the cells seen so far (parallel workers ship theirs sorted, duplicates summed, packed)';
COMMENT ON TYPE nmf_model IS
	'a fitted NMF model: W, H, the row and column ids, the options and a fit summary';

-- Casts to and from bytea: the binary form, validated on the way in.
CREATE OR REPLACE FUNCTION nmf_matrix(bytea) RETURNS nmf_matrix AS 'MODULE_PATHNAME', 'nmf_matrix_from_bytea'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION bytea(nmf_matrix) RETURNS bytea AS 'MODULE_PATHNAME', 'nmf_matrix_to_bytea'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION nmf_model(bytea) RETURNS nmf_model AS 'MODULE_PATHNAME', 'nmf_model_from_bytea'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION bytea(nmf_model) RETURNS bytea AS 'MODULE_PATHNAME', 'nmf_model_to_bytea'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_matrix(bytea) IS 'the cast bytea -> nmf_matrix: the binary form, validated';
COMMENT ON FUNCTION bytea(nmf_matrix) IS 'the cast nmf_matrix -> bytea: the binary form';
COMMENT ON FUNCTION nmf_model(bytea) IS 'the cast bytea -> nmf_model: the binary form, validated';
COMMENT ON FUNCTION bytea(nmf_model) IS 'the cast nmf_model -> bytea: the binary form';
CREATE CAST (bytea AS nmf_matrix) WITH FUNCTION nmf_matrix(bytea);
CREATE CAST (nmf_matrix AS bytea) WITH FUNCTION bytea(nmf_matrix);
CREATE CAST (bytea AS nmf_model) WITH FUNCTION nmf_model(bytea);
CREATE CAST (nmf_model AS bytea) WITH FUNCTION bytea(nmf_model);
COMMENT ON CAST (bytea AS nmf_matrix) IS 'a matrix from its binary form, validated';
COMMENT ON CAST (nmf_matrix AS bytea) IS 'a matrix''s binary form';
COMMENT ON CAST (bytea AS nmf_model) IS 'a model from its binary form, validated';
COMMENT ON CAST (nmf_model AS bytea) IS 'a model''s binary form';

-- ==========================================================================
-- Building a matrix
-- ==========================================================================
-- Building a matrix: the nmf_matrix aggregate over (row_id, col_id, value)
-- rows, a matrix from a dense array, and what a matrix holds.

-- Not strict: a NULL id or value is an error, not a row silently skipped.
CREATE OR REPLACE FUNCTION nmf_matrix_state_add(nmf_matrix_state, bigint, bigint, float8)
	RETURNS nmf_matrix_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_matrix_state_add(nmf_matrix_state, bigint, bigint, float8) IS
	'transition function of the nmf_matrix aggregate: appends a cell in place';
CREATE OR REPLACE FUNCTION nmf_matrix_state_combine(nmf_matrix_state, nmf_matrix_state)
	RETURNS nmf_matrix_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_matrix_state_combine(nmf_matrix_state, nmf_matrix_state) IS
	'combine function of the nmf_matrix aggregate: joins two partial states';
CREATE OR REPLACE FUNCTION nmf_matrix_final(nmf_matrix_state) RETURNS nmf_matrix
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_matrix_final(nmf_matrix_state) IS
	'final function of the nmf_matrix aggregate: sorts, sums duplicates, builds the matrix';

-- The state grows in place (an expanded object), so the final function
-- modifies it; the combine function lets parallel workers and Citus nodes
-- each build a part.
CREATE OR REPLACE AGGREGATE nmf_matrix(row_id bigint, col_id bigint, value float8) (
	SFUNC = nmf_matrix_state_add, STYPE = nmf_matrix_state,
	FINALFUNC = nmf_matrix_final, FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = nmf_matrix_state_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE nmf_matrix(bigint, bigint, float8) IS
	'builds a sparse matrix from (row_id, col_id, value) rows; cells given twice are summed';

-- The same state, a matrix row per row: images, spectra or embeddings kept
-- one array per row (float8[], real[], or pgvector's vector: any non-array
-- type with an implicit cast to real[] or float8[]).
CREATE OR REPLACE FUNCTION nmf_matrix_state_add_row(nmf_matrix_state, bigint, float8[])
	RETURNS nmf_matrix_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_matrix_state_add_row(nmf_matrix_state, bigint, float8[]) IS
	'transition function of the nmf_matrix(row_id, values) aggregate: appends a row''s cells in place';
CREATE OR REPLACE FUNCTION nmf_matrix_rows_final(nmf_matrix_state) RETURNS nmf_matrix
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_matrix_rows_final(nmf_matrix_state) IS
	'final function of the nmf_matrix(row_id, values) aggregate: builds the matrix, checks every row is whole';
CREATE OR REPLACE AGGREGATE nmf_matrix(row_id bigint, "values" float8[]) (
	SFUNC = nmf_matrix_state_add_row, STYPE = nmf_matrix_state,
	FINALFUNC = nmf_matrix_rows_final, FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = nmf_matrix_state_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE nmf_matrix(bigint, float8[]) IS
	'builds a matrix from one array of values per row: column ids 1..n, every cell stored; a row id given twice is summed';

-- anynonarray: every array type still resolves to the float8[] aggregate.
CREATE OR REPLACE FUNCTION nmf_matrix_state_add_vector(nmf_matrix_state, bigint, anynonarray)
	RETURNS nmf_matrix_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_matrix_state_add_vector(nmf_matrix_state, bigint, anynonarray) IS
	'transition function of the nmf_matrix(row_id, values) aggregate over a type that casts to real[] (pgvector''s vector)';
CREATE OR REPLACE AGGREGATE nmf_matrix(row_id bigint, "values" anynonarray) (
	SFUNC = nmf_matrix_state_add_vector, STYPE = nmf_matrix_state,
	FINALFUNC = nmf_matrix_rows_final, FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = nmf_matrix_state_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE nmf_matrix(bigint, anynonarray) IS
	'builds a matrix from one vector of values per row (pgvector''s vector, or any type with an implicit cast to real[]), as nmf_matrix(row_id, float8[])';

CREATE OR REPLACE FUNCTION nmf_matrix(dense float8[]) RETURNS nmf_matrix
	AS 'MODULE_PATHNAME', 'nmf_matrix_from_array' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_matrix(float8[]) IS
	'a matrix from a dense 2-D array: row ids 1..m, column ids 1..n, every cell stored';

CREATE OR REPLACE FUNCTION nmf_matrix_info(nmf_matrix) RETURNS jsonb
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_matrix_info(nmf_matrix) IS
	'rows, cols, nnz, density and sum of a matrix';

-- ==========================================================================
-- Fitting
-- ==========================================================================
-- Fitting: nmf() factorizes a matrix value, nmf_fit() a table or query.
-- The options' names, order, types and defaults are src/core/options.def's
-- (test/t/option_defaults.py checks them); the core checks each given value
-- against it and names the option and the allowed values in its error.

-- Volatile: a fit is costly and may stop on max_seconds, so a query that
-- names its result twice must not run it twice. Not strict: the options
-- whose default is NULL may be given as NULL; any other NULL is an error.
CREATE OR REPLACE FUNCTION nmf(
	matrix nmf_matrix,
	rank int,                             -- 1 .. min(rows, cols)
	solver text DEFAULT NULL,             -- 'hals', 'mu' or 'gd'; NULL: hals for frobenius, else mu
	loss text DEFAULT 'frobenius',        -- or 'kl', 'beta', 'is' (solver 'mu' only)
	init text DEFAULT 'random',           -- or 'nndsvd', 'nndsvda', 'nndsvdar', 'custom'
	missing text DEFAULT 'zero',          -- absent cells are 0; 'ignore': only stored cells count
	max_iter int DEFAULT NULL,            -- NULL: 200, and a WARNING if not converged; 0: the start
	tol float8 DEFAULT 1e-4,              -- 0 runs all max_iter iterations
	seed bigint DEFAULT 0,                -- of the random init, the SVD's start, new warm-start rows
	max_seconds float8 DEFAULT 0,         -- the solver's time limit; 0: none
	l1_w float8 DEFAULT 0,                -- L1 and L2 penalties on W and H
	l1_h float8 DEFAULT 0,
	l2_w float8 DEFAULT 0,
	l2_h float8 DEFAULT 0,
	learning_rate float8 DEFAULT NULL,    -- solver 'gd': a fixed step; NULL: adaptive
	warm_start nmf_model DEFAULT NULL,    -- start from this model (rows and columns by id)
	w_init float8[] DEFAULT NULL,         -- the initial W (rows x rank) and H (rank x cols),
	h_init float8[] DEFAULT NULL,         --   both or neither
	verbose boolean DEFAULT false,        -- a NOTICE every 10th iteration
	bias boolean DEFAULT false,           -- fit mu + b_row + b_col + W H (missing 'ignore')
	l2_bias float8 DEFAULT 10,            -- the ridge on the biases
	threads int DEFAULT NULL,             -- 1 .. 64; NULL: the setting nmf.threads
	reg float8 DEFAULT NULL,              -- ridge per stored cell of each row of W and column
	                                      --   of H; NULL: chosen from the data with missing
	                                      --   'ignore' and no l1/l2, else 0
	holdout float8 DEFAULT 0,             -- 0 .. 0.5: cells left out to stop on; 0: none
	patience int DEFAULT NULL,            -- iterations without a better held-out error; NULL: 10
	beta float8 DEFAULT NULL,             -- loss 'beta': -10 .. 10 (0 itakura-saito, 1 kl, 2 frobenius)
	on_small text DEFAULT 'null',         -- NULL, empty, all-zero or rank > min(rows, cols):
	                                      --   'null': NULL and a WARNING; 'error': an error
	feedback text DEFAULT 'explicit',     -- 'implicit': stored cells are observations, weighted
	                                      --   by confidence 1 + alpha v; every other cell is 0
	alpha float8 DEFAULT NULL,            -- implicit only; NULL: 2 (reg's NULL: 10)
	loss_every int DEFAULT NULL,          -- the loss history's cadence; NULL: 10 for kl and beta
	                                      --   (the loss costs a pass), else 1
	inner_updates int DEFAULT NULL)       -- hals and mu, missing 'zero': updates per product
	                                      --   with V, 1 .. 1000; NULL: Gillis & Glineur's rule
	RETURNS nmf_model
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION nmf IS
	'factorizes a matrix V ~ W H with W, H >= 0 (with bias => true: mu + b_row + b_col + W H); solvers hals (the default for frobenius), mu (frobenius, kl, beta-divergences; the default for them) and gd';

-- The options of nmf(), with models_table before bias, l2_bias and threads
-- (the order callers of positional arguments rely on).
-- Its C function is nmf_fit_table: catalogs of 0.1 to 0.5 bind the C name
-- nmf_fit to nmf(), and it keeps that meaning (src/pg/fit.c).
CREATE OR REPLACE FUNCTION nmf_fit(source text, row_col text, col_col text, value_col text,
	w_table text, h_table text, rank int, solver text DEFAULT NULL, loss text DEFAULT 'frobenius',
	init text DEFAULT 'random', missing text DEFAULT 'zero', max_iter int DEFAULT NULL,
	tol float8 DEFAULT 1e-4, seed bigint DEFAULT 0, max_seconds float8 DEFAULT 0, l1_w float8 DEFAULT 0,
	l1_h float8 DEFAULT 0, l2_w float8 DEFAULT 0, l2_h float8 DEFAULT 0, learning_rate float8 DEFAULT NULL,
	warm_start nmf_model DEFAULT NULL, w_init float8[] DEFAULT NULL, h_init float8[] DEFAULT NULL,
	verbose boolean DEFAULT false, models_table text DEFAULT 'nmf_models',
	bias boolean DEFAULT false, l2_bias float8 DEFAULT 10, threads int DEFAULT NULL,
	reg float8 DEFAULT NULL, holdout float8 DEFAULT 0, patience int DEFAULT NULL,
	beta float8 DEFAULT NULL,
	on_small text DEFAULT 'null', feedback text DEFAULT 'explicit', alpha float8 DEFAULT NULL,
	loss_every int DEFAULT NULL, inner_updates int DEFAULT NULL)
	RETURNS jsonb
	AS 'MODULE_PATHNAME', 'nmf_fit_table' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION nmf_fit IS
	'streams a table or query into a matrix, fits it like nmf() and writes W and H (and biases as factor 0) into new tables';

-- Cross-validated choice of rank and ridge over the stored cells (missing
-- 'ignore'), then the best candidate fitted on every cell with `ensemble`
-- seeds and averaged into one model: its nmf_info holds the search ("tune":
-- one row per rank, reg and fold; fold 0: the final fits).
CREATE OR REPLACE FUNCTION nmf_tune(
	matrix nmf_matrix,
	ranks int[] DEFAULT '{20,40}',        -- the ranks tried
	regs float8[] DEFAULT NULL,           -- the ridges tried; NULL: 0.4, 0.28, 0.2, 0.14, 0.1, 0.07, 0.05
	folds int DEFAULT 3,                  -- >= 2
	max_seconds float8 DEFAULT 40,        -- the search's budget; 0: none
	bias boolean DEFAULT true,            -- fit mu + b_row + b_col + W H
	seed bigint DEFAULT 0,                -- of the folds and of the first fit
	solver text DEFAULT 'hals',
	max_iter int DEFAULT 30,              -- per fit
	tol float8 DEFAULT 1e-4,
	threads int DEFAULT NULL,             -- NULL: the setting nmf.threads
	ensemble int DEFAULT 5)               -- final fits averaged, seeds seed, seed + 1, ...
	RETURNS nmf_model
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_tune IS
	'k-fold cross-validation of rank and reg over the stored cells, warm-started down the reg path, then the best fitted on every cell with several seeds and averaged into one model; the search is in nmf_info(model)->''tune''';

-- ==========================================================================
-- Reading a model
-- ==========================================================================
-- Reading a model: its factors in long or wide form, its biases, what was
-- fitted and how the loss went.

CREATE OR REPLACE FUNCTION nmf_w(model nmf_model)
	RETURNS TABLE (id bigint, factor int, weight float8)
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_w(nmf_model) IS 'W in long form: one row per (row id, factor)';
CREATE OR REPLACE FUNCTION nmf_h(model nmf_model)
	RETURNS TABLE (id bigint, factor int, weight float8)
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_h(nmf_model) IS 'H in long form: one row per (column id, factor)';

CREATE OR REPLACE FUNCTION nmf_w_wide(model nmf_model) RETURNS TABLE (id bigint, weights float8[])
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_w_wide(nmf_model) IS 'W in wide form: one row per row id, its weights in factor order';
CREATE OR REPLACE FUNCTION nmf_h_wide(model nmf_model) RETURNS TABLE (id bigint, weights float8[])
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_h_wide(nmf_model) IS 'H in wide form: one row per column id, its weights in factor order';

-- Not strict: a NULL side is an error (22004), a NULL model no rows.
CREATE OR REPLACE FUNCTION nmf_bias(model nmf_model, side text)
	RETURNS TABLE (id bigint, bias float8)
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_bias(nmf_model, text) IS
	'the row (side ''row'') or column (''col'') biases of a model fitted with bias => true';

CREATE OR REPLACE FUNCTION nmf_info(model nmf_model) RETURNS jsonb
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_info(nmf_model) IS
	'what was fitted: dimensions, rank, solver, options, iterations, converged, loss, relative error, seconds';

CREATE OR REPLACE FUNCTION nmf_loss_history(model nmf_model)
	RETURNS TABLE (iteration int, loss float8, seconds float8)
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_loss_history(nmf_model) IS
	'the objective after every loss_every-th iteration of the fit and after its last, and the solver''s seconds at that point';

-- Factors as vectors for an embedding index (real[] casts to pgvector's vector).
-- augment: a biased model's row vector is [w; 1] and column vector [h; b_col],
-- whose inner product ranks columns as nmf_recommend does.
CREATE OR REPLACE FUNCTION nmf_w_vectors(model nmf_model, augment boolean DEFAULT true)
	RETURNS TABLE (id bigint, vec real[])
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION nmf_w_vectors(nmf_model, boolean) IS
	'one row per row id, W''s row as real[] ([w; 1] for a biased model with augment)';
CREATE OR REPLACE FUNCTION nmf_h_vectors(model nmf_model, augment boolean DEFAULT true)
	RETURNS TABLE (id bigint, vec real[])
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION nmf_h_vectors(nmf_model, boolean) IS
	'one row per column id, H''s column as real[] ([h; b_col] for a biased model with augment)';
CREATE OR REPLACE FUNCTION nmf_w_vector(model nmf_model, row_id bigint, augment boolean DEFAULT true,
	on_unknown text DEFAULT 'null') RETURNS real[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_w_vector(nmf_model, bigint, boolean, text) IS
	'one row id''s vector, as nmf_w_vectors gives it; NULL for an unknown id unless on_unknown => ''error''';
CREATE OR REPLACE FUNCTION nmf_h_vector(model nmf_model, col_id bigint, augment boolean DEFAULT true,
	on_unknown text DEFAULT 'null') RETURNS real[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_h_vector(nmf_model, bigint, boolean, text) IS
	'one column id''s vector, as nmf_h_vectors gives it; NULL for an unknown id unless on_unknown => ''error''';

-- Taking in new cells without a full refit. Not strict: NULL new_cells gives
-- the model back, a NULL model NULL.
CREATE OR REPLACE FUNCTION nmf_update(model nmf_model, new_cells nmf_matrix, sweeps int DEFAULT 3,
	threads int DEFAULT NULL)
	RETURNS nmf_model
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_update(nmf_model, nmf_matrix, int, int) IS
	'a new model that takes in new cells: new rows and columns folded in, touched ones re-solved, the others kept';

-- ==========================================================================
-- Using a model
-- ==========================================================================
-- Using a model: predict, recommend, similar, fold-in, score, split and
-- cross-validation. A NULL model, matrix or id gives NULL (or no rows); a
-- NULL for any other argument is an error (22004). Unknown ids give NULL or
-- no rows, or with on_unknown => 'error' an error 22023 that names the id.

-- clip: a model fitted with missing 'ignore' knows the range of its
-- training values, and predicted values are kept within it unless clip is false.
CREATE OR REPLACE FUNCTION nmf_predict(model nmf_model, row_id bigint, col_id bigint,
	on_unknown text DEFAULT 'null', clip boolean DEFAULT true)
	RETURNS float8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_predict(nmf_model, bigint, bigint, text, boolean) IS
	'the predicted cell (W H) for a row id and a column id; NULL for an unknown id unless on_unknown => ''error''';

CREATE OR REPLACE FUNCTION nmf_predict(model nmf_model, row_ids bigint[], col_ids bigint[],
	on_unknown text DEFAULT 'null', clip boolean DEFAULT true)
	RETURNS TABLE (row_id bigint, col_id bigint, score float8)
	AS 'MODULE_PATHNAME', 'nmf_predict_pairs' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION nmf_predict(nmf_model, bigint[], bigint[], text, boolean) IS
	'predicted cells for many (row id, column id) pairs in one call, in array order';

CREATE OR REPLACE FUNCTION nmf_recommend(model nmf_model, row_id bigint, k int,
	exclude nmf_matrix DEFAULT NULL, on_unknown text DEFAULT 'null', clip boolean DEFAULT true,
	cold_start text DEFAULT 'none')
	RETURNS TABLE (col_id bigint, score float8)
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION nmf_recommend(nmf_model, bigint, int, nmf_matrix, text, boolean, text) IS
	'the k columns with the highest predicted score for a row, best first, leaving out the row''s cells in exclude; cold_start => ''popular'' lists an unknown row''s by the model''s average row';

CREATE OR REPLACE FUNCTION nmf_recommend(model nmf_model, row_ids bigint[], k int,
	exclude nmf_matrix DEFAULT NULL, on_unknown text DEFAULT 'null', clip boolean DEFAULT true,
	cold_start text DEFAULT 'none')
	RETURNS TABLE (row_id bigint, col_id bigint, score float8, rank int)
	AS 'MODULE_PATHNAME', 'nmf_recommend_rows' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 100;
COMMENT ON FUNCTION nmf_recommend(nmf_model, bigint[], int, nmf_matrix, text, boolean, text) IS
	'the top k columns of each of many rows in one call; rank 1 is the best';

CREATE OR REPLACE FUNCTION nmf_recommend_all(model nmf_model, k int DEFAULT 10,
	exclude nmf_matrix DEFAULT NULL, clip boolean DEFAULT true, threads int DEFAULT NULL)
	RETURNS TABLE (row_id bigint, col_id bigint, score float8, rank int)
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 100000;
COMMENT ON FUNCTION nmf_recommend_all(nmf_model, int, nmf_matrix, boolean, int) IS
	'the top k columns of every row of the model, as nmf_recommend gives each, computed in batches on nmf.threads threads';

CREATE OR REPLACE FUNCTION nmf_similar(model nmf_model, side text, target bigint, k int,
	metric text DEFAULT 'cosine', on_unknown text DEFAULT 'null')
	RETURNS TABLE (id bigint, similarity float8)
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION nmf_similar(nmf_model, text, bigint, int, text, text) IS
	'the k rows (side ''row'', by W) or columns (side ''col'', by H) nearest to target in factor space, target left out';

CREATE OR REPLACE FUNCTION nmf_transform(model nmf_model, matrix nmf_matrix)
	RETURNS TABLE (id bigint, factor int, weight float8)
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION nmf_transform(nmf_model, nmf_matrix) IS
	'fold-in: W rows for the rows of a new matrix with H held fixed (non-negative least squares); a biased model''s row bias as factor 0';

CREATE OR REPLACE FUNCTION nmf_score(model nmf_model, matrix nmf_matrix, clip boolean DEFAULT true)
	RETURNS jsonb
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_score(nmf_model, nmf_matrix, boolean) IS
	'rmse, mae, frobenius, relative_error, cells and unknown_cells of a model over the stored cells of a matrix';

-- Ranking metrics of top-k lists: every stored cell of test is relevant (to
-- grade relevance, build test from the cells that count, e.g. WHERE rating >= 4).
CREATE OR REPLACE FUNCTION nmf_rank_score(model nmf_model, test nmf_matrix, k int DEFAULT 10,
	train nmf_matrix DEFAULT NULL, threads int DEFAULT NULL)
	RETURNS jsonb
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_rank_score(nmf_model, nmf_matrix, int, nmf_matrix, int) IS
	'precision, recall, ndcg and map at k of the model''s top-k lists (each row''s train cells left out) against the stored cells of test, averaged over the rows scored, and the catalogue coverage';

CREATE OR REPLACE FUNCTION nmf_popularity_score(train nmf_matrix, test nmf_matrix, k int DEFAULT 10,
	threads int DEFAULT NULL)
	RETURNS jsonb
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_popularity_score(nmf_matrix, nmf_matrix, int, int) IS
	'nmf_rank_score''s metrics for the popularity baseline: train''s columns by their count of stored cells, each row''s train cells left out';

CREATE OR REPLACE FUNCTION nmf_split(matrix nmf_matrix, folds int, fold int, seed bigint DEFAULT 0,
	OUT train nmf_matrix, OUT test nmf_matrix)
	RETURNS record
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_split(nmf_matrix, int, int, bigint) IS
	'seeded split of the stored cells: those in fold (1..folds) are test, the others train';

-- Cross-validation over held-out stored cells: for each rank and fold, fit
-- on the training cells, then score on both sides. nmf() is called with
-- named arguments, and the options left NULL here are not passed, so that
-- nmf()'s own defaults apply. Schema-safe: the function runs with its own
-- search_path (only pg_catalog, where the built-in functions and operators it
-- uses live) and names the extension's objects, in its dynamic SQL too, by
-- schema, so nothing on the caller's search_path can stand in for them.
CREATE OR REPLACE FUNCTION nmf_cv(matrix nmf_matrix, ranks int[], folds int DEFAULT 5,
	seed bigint DEFAULT 0, max_iter int DEFAULT 200, solver text DEFAULT NULL,
	missing text DEFAULT NULL, tol float8 DEFAULT NULL, bias boolean DEFAULT false,
	l2_bias float8 DEFAULT NULL, l2_w float8 DEFAULT NULL, l2_h float8 DEFAULT NULL,
	regs float8[] DEFAULT NULL)
	RETURNS TABLE (rank int, fold int, train_rmse float8, test_rmse float8, reg float8)
	LANGUAGE plpgsql VOLATILE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	AS $cv$
DECLARE
	fit_sql text;
	r int;
	f int;
	g float8;
	split_train @extschema@.nmf_matrix;
	split_test @extschema@.nmf_matrix;
	fitted @extschema@.nmf_model;
BEGIN
	IF ranks IS NULL OR folds IS NULL OR seed IS NULL OR max_iter IS NULL OR bias IS NULL THEN
		RAISE EXCEPTION 'nmf_cv: ranks, folds, seed, max_iter and bias must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF cardinality(ranks) = 0 OR array_position(ranks, NULL) IS NOT NULL THEN
		RAISE EXCEPTION 'nmf_cv: ranks must hold at least one rank and no NULL'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF regs IS NOT NULL AND (cardinality(regs) = 0 OR array_position(regs, NULL) IS NOT NULL) THEN
		RAISE EXCEPTION 'nmf_cv: regs must hold at least one value and no NULL'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF folds < 2 THEN
		RAISE EXCEPTION 'nmf_cv: folds must be at least 2, not %', folds
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF matrix IS NULL THEN
		RETURN;
	END IF;
	-- A fold too small for a rank is an error here, not a NULL model.
	fit_sql := 'SELECT @extschema@.nmf(matrix => $1, rank => $2, max_iter => $3, seed => $4, '
		|| 'on_small => ''error'''
		|| CASE WHEN solver IS NOT NULL THEN ', solver => $5' ELSE '' END
		|| CASE WHEN missing IS NOT NULL THEN ', missing => $6' ELSE '' END
		|| CASE WHEN tol IS NOT NULL THEN ', tol => $7' ELSE '' END
		|| CASE WHEN bias THEN ', bias => true' ELSE '' END
		|| CASE WHEN l2_bias IS NOT NULL THEN ', l2_bias => $8' ELSE '' END
		|| CASE WHEN l2_w IS NOT NULL THEN ', l2_w => $9' ELSE '' END
		|| CASE WHEN l2_h IS NOT NULL THEN ', l2_h => $10' ELSE '' END
		|| CASE WHEN regs IS NOT NULL THEN ', reg => $11' ELSE '' END
		|| ')';
	-- reg is what each fit used (chosen from the data when regs is NULL).
	FOREACH r IN ARRAY ranks LOOP
		FOR f IN 1 .. folds LOOP
			SELECT s.train, s.test INTO split_train, split_test
			FROM @extschema@.nmf_split(matrix, folds, f, seed) AS s;
			FOREACH g IN ARRAY coalesce(regs, ARRAY[NULL::float8]) LOOP
				EXECUTE fit_sql INTO fitted
					USING split_train, r, max_iter, seed, solver, missing, tol, l2_bias, l2_w, l2_h, g;
				rank := r;
				fold := f;
				reg := (@extschema@.nmf_info(fitted) -> 'options' ->> 'reg')::float8;
				train_rmse := (@extschema@.nmf_score(fitted, split_train) ->> 'rmse')::float8;
				test_rmse := (@extschema@.nmf_score(fitted, split_test) ->> 'rmse')::float8;
				RETURN NEXT;
			END LOOP;
		END LOOP;
	END LOOP;
END
$cv$;
COMMENT ON FUNCTION nmf_cv IS
	'k-fold cross-validation over the stored cells: train and test RMSE for each rank, reg (of regs) and fold (bias, l2_bias, l2_w, l2_h passed to nmf)';

-- ==========================================================================
-- Keys of any type
-- ==========================================================================
-- Rows and columns keyed by text or uuid (either side, bigint or integer on
-- the other): nmf_matrix takes the keys, the matrix and every model fitted on
-- it keep them, and the functions below take and return them. A function
-- that returns keys the model's own declaration returns as bigint takes
-- their type as an argument, PostgreSQL's idiom for a result type chosen by
-- the caller (as json_populate_record): nmf_w(model, NULL::uuid). Given
-- bigint (or integer) there, the same functions serve a model with ids.
-- Any other key type is refused with 42804.

CREATE OR REPLACE FUNCTION nmf_w(model nmf_model, keys anyelement)
	RETURNS TABLE (id anyelement, factor int, weight float8)
	AS 'MODULE_PATHNAME', 'nmf_w' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_w(nmf_model, anyelement) IS 'W in long form, the row keys of the type of keys';
CREATE OR REPLACE FUNCTION nmf_h(model nmf_model, keys anyelement)
	RETURNS TABLE (id anyelement, factor int, weight float8)
	AS 'MODULE_PATHNAME', 'nmf_h' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_h(nmf_model, anyelement) IS 'H in long form, the column keys of the type of keys';
CREATE OR REPLACE FUNCTION nmf_w_wide(model nmf_model, keys anyelement)
	RETURNS TABLE (id anyelement, weights float8[])
	AS 'MODULE_PATHNAME', 'nmf_w_wide' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_w_wide(nmf_model, anyelement) IS 'W in wide form, the row keys of the type of keys';
CREATE OR REPLACE FUNCTION nmf_h_wide(model nmf_model, keys anyelement)
	RETURNS TABLE (id anyelement, weights float8[])
	AS 'MODULE_PATHNAME', 'nmf_h_wide' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_h_wide(nmf_model, anyelement) IS 'H in wide form, the column keys of the type of keys';
CREATE OR REPLACE FUNCTION nmf_bias(model nmf_model, side text, keys anyelement)
	RETURNS TABLE (id anyelement, bias float8)
	AS 'MODULE_PATHNAME', 'nmf_bias' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_bias(nmf_model, text, anyelement) IS 'nmf_bias, the keys of the type of keys';
CREATE OR REPLACE FUNCTION nmf_w_vectors(model nmf_model, keys anyelement, augment boolean DEFAULT true)
	RETURNS TABLE (id anyelement, vec real[])
	AS 'MODULE_PATHNAME', 'nmf_w_vectors_keyed' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION nmf_w_vectors(nmf_model, anyelement, boolean) IS
	'nmf_w_vectors, the row keys of the type of keys';
CREATE OR REPLACE FUNCTION nmf_h_vectors(model nmf_model, keys anyelement, augment boolean DEFAULT true)
	RETURNS TABLE (id anyelement, vec real[])
	AS 'MODULE_PATHNAME', 'nmf_h_vectors_keyed' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION nmf_h_vectors(nmf_model, anyelement, boolean) IS
	'nmf_h_vectors, the column keys of the type of keys';
CREATE OR REPLACE FUNCTION nmf_transform(model nmf_model, matrix nmf_matrix, keys anyelement)
	RETURNS TABLE (id anyelement, factor int, weight float8)
	AS 'MODULE_PATHNAME', 'nmf_transform' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION nmf_transform(nmf_model, nmf_matrix, anyelement) IS
	'nmf_transform, the new rows'' keys of the type of keys';
CREATE OR REPLACE FUNCTION nmf_recommend_all(model nmf_model, row_keys anyelement,
	col_keys anycompatible, k int DEFAULT 10, exclude nmf_matrix DEFAULT NULL,
	clip boolean DEFAULT true, threads int DEFAULT NULL)
	RETURNS TABLE (row_id anyelement, col_id anycompatible, score float8, rank int)
	AS 'MODULE_PATHNAME', 'nmf_recommend_all_keyed' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 100000;
COMMENT ON FUNCTION nmf_recommend_all(nmf_model, anyelement, anycompatible, int, nmf_matrix, boolean, int) IS
	'nmf_recommend_all, the row keys of the type of row_keys, the column keys of col_keys''s';

-- The functions that take keys, one declaration per key type (bigint, text,
-- uuid) and side, so that an untyped literal is text and an integer a bigint:
--   nmf_matrix(row_key R, col_key C, value float8)    the aggregate
--   nmf_predict(model, row_key R, col_key C, on_unknown, clip) -> float8
--   nmf_predict(model, row_keys R[], col_keys C[], on_unknown, clip)
--       -> (row_id R, col_id C, score)
--   nmf_recommend(model, row_key R, col_keys anyelement, k, exclude, on_unknown, clip,
--       cold_start) -> (col_id anyelement, score)
--   nmf_recommend(model, row_keys R[], col_keys anyelement, k, ...)
--       -> (row_id R, col_id anyelement, score, rank)
--   nmf_similar(model, side, target K, k, metric, on_unknown) -> (id K, similarity)
--   nmf_w_vector(model, row_key K, augment, on_unknown), nmf_h_vector(model, col_key K, ...)
-- for R, C in bigint, text, uuid (bigint, bigint and K bigint are declared above).
DO $keys$
DECLARE
	r text;
	c text;
BEGIN
	FOREACH r IN ARRAY ARRAY['bigint', 'text', 'uuid'] LOOP
		FOREACH c IN ARRAY ARRAY['bigint', 'text', 'uuid'] LOOP
			CONTINUE WHEN r = 'bigint' AND c = 'bigint';
			EXECUTE format($f$
				CREATE OR REPLACE FUNCTION nmf_matrix_state_add(nmf_matrix_state, %1$s, %2$s, float8)
					RETURNS nmf_matrix_state
					AS 'MODULE_PATHNAME', 'nmf_matrix_state_add_keys' LANGUAGE C IMMUTABLE PARALLEL SAFE;
				COMMENT ON FUNCTION nmf_matrix_state_add(nmf_matrix_state, %1$s, %2$s, float8) IS
					'transition function of the nmf_matrix aggregate over %1$s row keys and %2$s column keys';
				CREATE OR REPLACE AGGREGATE nmf_matrix(row_key %1$s, col_key %2$s, value float8) (
					SFUNC = nmf_matrix_state_add, STYPE = nmf_matrix_state,
					FINALFUNC = nmf_matrix_final, FINALFUNC_MODIFY = READ_WRITE,
					COMBINEFUNC = nmf_matrix_state_combine, PARALLEL = SAFE);
				COMMENT ON AGGREGATE nmf_matrix(%1$s, %2$s, float8) IS
					'builds a sparse matrix from (row_key, col_key, value) rows keyed by %1$s and %2$s; cells given twice are summed';
				CREATE OR REPLACE FUNCTION nmf_predict(model nmf_model, row_key %1$s, col_key %2$s,
					on_unknown text DEFAULT 'null', clip boolean DEFAULT true)
					RETURNS float8
					AS 'MODULE_PATHNAME', 'nmf_predict' LANGUAGE C IMMUTABLE PARALLEL SAFE;
				COMMENT ON FUNCTION nmf_predict(nmf_model, %1$s, %2$s, text, boolean) IS
					'the predicted cell for a %1$s row key and a %2$s column key';
				CREATE OR REPLACE FUNCTION nmf_predict(model nmf_model, row_keys %1$s[], col_keys %2$s[],
					on_unknown text DEFAULT 'null', clip boolean DEFAULT true)
					RETURNS TABLE (row_id %1$s, col_id %2$s, score float8)
					AS 'MODULE_PATHNAME', 'nmf_predict_pairs' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 1000;
				COMMENT ON FUNCTION nmf_predict(nmf_model, %1$s[], %2$s[], text, boolean) IS
					'predicted cells for many (%1$s row key, %2$s column key) pairs in one call';
			$f$, r, c);
		END LOOP;
		EXECUTE format($f$
			CREATE OR REPLACE FUNCTION nmf_recommend(model nmf_model, row_key %1$s, col_keys anyelement,
				k int, exclude nmf_matrix DEFAULT NULL, on_unknown text DEFAULT 'null',
				clip boolean DEFAULT true, cold_start text DEFAULT 'none')
				RETURNS TABLE (col_id anyelement, score float8)
				AS 'MODULE_PATHNAME', 'nmf_recommend_keyed' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 10;
			COMMENT ON FUNCTION nmf_recommend(nmf_model, %1$s, anyelement, int, nmf_matrix, text, boolean, text) IS
				'the top k columns for a %1$s row key, the column keys of the type of col_keys';
			CREATE OR REPLACE FUNCTION nmf_recommend(model nmf_model, row_keys %1$s[], col_keys anyelement,
				k int, exclude nmf_matrix DEFAULT NULL, on_unknown text DEFAULT 'null',
				clip boolean DEFAULT true, cold_start text DEFAULT 'none')
				RETURNS TABLE (row_id %1$s, col_id anyelement, score float8, rank int)
				AS 'MODULE_PATHNAME', 'nmf_recommend_rows_keyed' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 100;
			COMMENT ON FUNCTION nmf_recommend(nmf_model, %1$s[], anyelement, int, nmf_matrix, text, boolean, text) IS
				'the top k columns of many %1$s row keys, the column keys of the type of col_keys';
		$f$, r);
		CONTINUE WHEN r = 'bigint';
		EXECUTE format($f$
			CREATE OR REPLACE FUNCTION nmf_similar(model nmf_model, side text, target %1$s, k int,
				metric text DEFAULT 'cosine', on_unknown text DEFAULT 'null')
				RETURNS TABLE (id %1$s, similarity float8)
				AS 'MODULE_PATHNAME', 'nmf_similar' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 10;
			COMMENT ON FUNCTION nmf_similar(nmf_model, text, %1$s, int, text, text) IS
				'the k rows or columns nearest to a %1$s key in factor space';
			CREATE OR REPLACE FUNCTION nmf_w_vector(model nmf_model, row_key %1$s, augment boolean DEFAULT true,
				on_unknown text DEFAULT 'null') RETURNS real[]
				AS 'MODULE_PATHNAME', 'nmf_w_vector' LANGUAGE C IMMUTABLE PARALLEL SAFE;
			COMMENT ON FUNCTION nmf_w_vector(nmf_model, %1$s, boolean, text) IS 'one %1$s row key''s vector';
			CREATE OR REPLACE FUNCTION nmf_h_vector(model nmf_model, col_key %1$s, augment boolean DEFAULT true,
				on_unknown text DEFAULT 'null') RETURNS real[]
				AS 'MODULE_PATHNAME', 'nmf_h_vector' LANGUAGE C IMMUTABLE PARALLEL SAFE;
			COMMENT ON FUNCTION nmf_h_vector(nmf_model, %1$s, boolean, text) IS 'one %1$s column key''s vector';
		$f$, r);
	END LOOP;
END
$keys$;

-- ==========================================================================
-- Progress
-- ==========================================================================
-- Progress: the fits running now, read from shared memory (the library must
-- be in shared_preload_libraries for the view to have rows).

CREATE OR REPLACE FUNCTION nmf_progress_read()
	RETURNS TABLE (pid int, started timestamptz, solver text, rows bigint, cols bigint, rank int,
		iteration int, max_iter int, loss float8, seconds float8)
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION nmf_progress_read() IS 'what the nmf_progress view shows';

-- Schema-safe as it is: a view is bound to the function it reads when it is
-- made (by its oid), so the caller's search_path cannot change what it calls.
CREATE OR REPLACE VIEW nmf_progress AS SELECT * FROM nmf_progress_read();
COMMENT ON VIEW nmf_progress IS
	'fits running now, one row per backend: iteration, loss, seconds (needs shared_preload_libraries = ''nmf'')';
GRANT SELECT ON nmf_progress TO PUBLIC;
