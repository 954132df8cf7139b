-- SPDX-License-Identifier: PostgreSQL
-- The distributed fits: nmf_distributed (below) is nmf()'s fit of a table
-- where it lives; nmf_fit_distributed, 0.2's interface, runs it and writes
-- the model's W and H into tables.

-- nmf_fit_distributed's body (target: the schema of w_table and h_table):
-- nmf_distributed with solver 'mu', one update per product, every max_iter
-- iteration and no ridge (0.2's multiplicative updates), its W into w_table (colocated with a Citus
-- source) and H into h_table here.
CREATE OR REPLACE FUNCTION nmf_dist_fit(target text, source regclass, row_col text, col_col text,
	value_col text, rank int, w_table text, h_table text, missing text, max_iter int, seed bigint)
	RETURNS jsonb LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $fit$
DECLARE
	model @extschema@.nmf_model;
	info jsonb;
	row_type text;
	w text := format('%I.%I', target, w_table);
	dist boolean := false;
BEGIN
	IF target IS NULL THEN
		RAISE EXCEPTION 'nmf_fit_distributed: no schema has been selected to create w_table in'
			USING ERRCODE = 'invalid_schema_name';
	END IF;
	-- nmf_distributed makes its table of blocks in the current schema: the
	-- caller's, for that call only
	PERFORM pg_catalog.set_config('search_path', pg_catalog.quote_ident(target) || ', pg_catalog, pg_temp',
		true);
	model := @extschema@.nmf_distributed(source, row_col, col_col, value_col, rank, solver => 'mu',
		missing => missing, max_iter => max_iter, tol => 0, seed => seed, inner_updates => 1,
		reg => CASE WHEN missing = 'ignore' THEN 0 END, on_small => 'error');
	PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
	info := @extschema@.nmf_info(model);
	SELECT format_type(atttypid, atttypmod) INTO row_type FROM pg_attribute
	WHERE attrelid = source AND attname = row_col;
	EXECUTE format('CREATE TABLE %s (row_id %s PRIMARY KEY, w float8[] NOT NULL)', w, row_type);
	IF to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
		dist := EXISTS (SELECT FROM pg_catalog.pg_dist_partition WHERE logicalrelid = source);
	END IF;
	IF dist THEN
		EXECUTE 'SELECT create_distributed_table($1::regclass, ''row_id'', colocate_with => $2)'
			USING w, source::text;
	END IF;
	-- the model's keys: bigint ids, or the source's text or uuid keys
	EXECUTE format('INSERT INTO %s (row_id, w) SELECT id::%s, weights FROM @extschema@.nmf_w_wide($1, NULL::%s)',
		w, row_type, info->>'row_keys') USING model;
	EXECUTE format('CREATE TABLE %I.%I (col_id %s PRIMARY KEY, h float8[] NOT NULL)', target, h_table,
		info->>'col_keys');
	EXECUTE format('INSERT INTO %I.%I (col_id, h) SELECT id, weights FROM @extschema@.nmf_h_wide($1, NULL::%s)',
		target, h_table, info->>'col_keys') USING model;
	RETURN jsonb_build_object('rows', info->'rows', 'cols', info->'cols', 'cells', info->'nnz',
		'rank', rank, 'iterations', info->'iterations', 'missing', missing, 'distributed', dist,
		'loss', info->'loss', 'relative_error', info->'relative_error', 'stop', info->'stop',
		'w_table', w_table, 'h_table', h_table);
END
$fit$;
COMMENT ON FUNCTION nmf_dist_fit(text, regclass, text, text, text, int, text, text, text, int,
	bigint) IS
	'nmf_fit_distributed: the fit itself, W and H into tables of the schema target';

-- The entry point. It reads the caller's current schema, where w_table and
-- h_table go, and hands over to nmf_dist_fit, which runs with its own
-- search_path. A SQL function without a search_path of its own, so it names
-- everything it calls by schema.
CREATE OR REPLACE FUNCTION nmf_fit_distributed(source regclass, row_col text, col_col text,
	value_col text, rank int, w_table text, h_table text, missing text DEFAULT 'zero',
	max_iter int DEFAULT 200, seed bigint DEFAULT 0)
	RETURNS jsonb LANGUAGE sql VOLATILE
	AS $$SELECT @extschema@.nmf_dist_fit(pg_catalog.current_schema(), source, row_col, col_col,
		value_col, rank, w_table, h_table, missing, max_iter, seed)$$;
COMMENT ON FUNCTION nmf_fit_distributed(regclass, text, text, text, int, text, text, text, int,
	bigint) IS
	'factorizes a table (a Citus table distributed by its row id) where it lives: W into a table colocated with it, H into a table here';

-- nmf()'s fit of a table where it lives (src/pg/nmf_distributed.c): a Citus
-- table hash-distributed by row_col, one block of rows per shard, each read
-- once and kept in memory where it lives for the fit; or a plain table, one
-- block. The same options as nmf(), in the same order; solvers hals and mu
-- (loss frobenius; kl under mu), missing 'ignore' with a ridge given,
-- biases under hals, init 'random' (the others are refused).
-- The model is nmf()'s on the same cells to the order of floating-point sums.
CREATE OR REPLACE FUNCTION nmf_distributed(
	source regclass,
	row_col text,
	col_col text,
	value_col text,
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
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION nmf_distributed IS
	'factorizes a table where it lives (a Citus table distributed by its row id: each shard''s cells read once and kept where they are), as nmf() does the matrix of its cells';

-- nmf_distributed's blocks, called by it in its transaction on the servers
-- that hold them (src/pg/fit_blocks.c).
CREATE OR REPLACE FUNCTION nmf_dist_block_open(fit bigint, block regclass, name text, row_col text,
	col_col text, value_col text)
	RETURNS bytea AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION nmf_dist_block_open(bigint, regclass, text, text, text, text) IS
	'nmf_distributed: reads a block''s cells into this session''s memory; its shape, totals, row and column ids';
CREATE OR REPLACE FUNCTION nmf_dist_block_start(fit bigint, name text, w0 bytea, cols bigint[],
	shape bigint[], options bigint[], h bytea)
	RETURNS bytea AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION nmf_dist_block_start(bigint, text, bytea, bigint[], bigint[], bigint[], bytea) IS
	'nmf_distributed: a block''s rows of the initial W, V''s columns and shape, the options and the initial H; its first sums';
CREATE OR REPLACE FUNCTION nmf_dist_block_h(fit bigint, name text, h bytea)
	RETURNS void AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION nmf_dist_block_h(bigint, text, bytea) IS
	'nmf_distributed: H and H H^T of the iteration, for every block of the fit this session holds';
CREATE OR REPLACE FUNCTION nmf_dist_block_step(fit bigint, name text)
	RETURNS bytea AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION nmf_dist_block_step(bigint, text) IS
	'nmf_distributed: a block''s W half from the session''s H and H H^T; its sums';
CREATE OR REPLACE FUNCTION nmf_dist_block_bias(fit bigint, name text, round integer, payload bytea)
	RETURNS bytea AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION nmf_dist_block_bias(bigint, text, integer, bytea) IS
	'nmf_distributed: a bias round of a block (1: mu in, column sums out; 2: b_col in, H''s sums out)';
CREATE OR REPLACE FUNCTION nmf_dist_block_w(fit bigint, name text, before boolean)
	RETURNS bytea AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION nmf_dist_block_w(bigint, text, boolean) IS
	'nmf_distributed: a block''s rows of W, then its b_row with biases (before: as they were before the last step); the block is freed';
