-- SPDX-License-Identifier: PostgreSQL
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
	beta float8 DEFAULT NULL)             -- loss 'beta': -10 .. 10 (0 itakura-saito, 1 kl, 2 frobenius)
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
	beta float8 DEFAULT NULL)
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
