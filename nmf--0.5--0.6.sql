-- nmf 0.6 as released: the update from 0.5 (history: the current interface is in src/sql).
\echo Use "ALTER EXTENSION nmf UPDATE" to load this file. \quit
-- SPDX-License-Identifier: PostgreSQL
-- Only the declarations whose text differs from 0.5's (re-running the
-- others would change nothing): nmf_recommend gains cold_start, nmf_tune
-- gains ensemble, the serving functions are new.
DROP FUNCTION nmf_recommend(nmf_model, bigint, int, nmf_matrix, text, boolean);
DROP FUNCTION nmf_recommend(nmf_model, bigint[], int, nmf_matrix, text, boolean);
DROP FUNCTION nmf_tune(nmf_matrix, int[], float8[], int, float8, boolean, bigint, text, int, float8, int);

CREATE OR REPLACE FUNCTION nmf(
	matrix nmf_matrix,
	rank int,                             -- 1 .. min(rows, cols)
	solver text DEFAULT 'hals',           -- 'hals', 'mu' or 'gd'
	loss text DEFAULT 'frobenius',        -- or 'kl' (solver 'mu' only)
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
	patience int DEFAULT NULL)            -- iterations without a better held-out error; NULL: 10
	RETURNS nmf_model
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;

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
	on_unknown text DEFAULT 'null')
	RETURNS real[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION nmf_w_vector(nmf_model, bigint, boolean, text) IS
	'one row id''s vector, as nmf_w_vectors gives it; NULL for an unknown id unless on_unknown => ''error''';

CREATE OR REPLACE FUNCTION nmf_h_vector(model nmf_model, col_id bigint, augment boolean DEFAULT true,
	on_unknown text DEFAULT 'null')
	RETURNS real[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION nmf_h_vector(nmf_model, bigint, boolean, text) IS
	'one column id''s vector, as nmf_h_vectors gives it; NULL for an unknown id unless on_unknown => ''error''';

CREATE OR REPLACE FUNCTION nmf_update(model nmf_model, new_cells nmf_matrix, sweeps int DEFAULT 3,
	threads int DEFAULT NULL)
	RETURNS nmf_model
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION nmf_update(nmf_model, nmf_matrix, int, int) IS
	'a new model that takes in new cells: new rows and columns folded in, touched ones re-solved, the others kept';

CREATE OR REPLACE FUNCTION nmf_predict(model nmf_model, row_id bigint, col_id bigint,
	on_unknown text DEFAULT 'null', clip boolean DEFAULT true)
	RETURNS float8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;

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

CREATE OR REPLACE FUNCTION nmf_transform(model nmf_model, matrix nmf_matrix)
	RETURNS TABLE (id bigint, factor int, weight float8)
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;

CREATE OR REPLACE FUNCTION nmf_score(model nmf_model, matrix nmf_matrix, clip boolean DEFAULT true)
	RETURNS jsonb
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION nmf_split(matrix nmf_matrix, folds int, fold int, seed bigint DEFAULT 0,
	OUT train nmf_matrix, OUT test nmf_matrix)
	RETURNS record
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
