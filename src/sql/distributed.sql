-- SPDX-License-Identifier: PostgreSQL
-- The distributed fit: nmf_fit_distributed factorizes a table where it lives
-- (a Citus table distributed by its row id, or a plain table on one node),
-- with SQL that Citus pushes down to the shards.

-- The pieces of nmf_fit_distributed. Their states are float8[] (a real type
-- with a combine function), so Citus runs the partial aggregates on the
-- workers and ships one r x n (or r x r) state per shard, never the ratings.
CREATE OR REPLACE FUNCTION nmf_dist_init(id bigint, seed bigint, side int, rank int, scale float8)
	RETURNS float8[] AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_dist_init(bigint, bigint, int, int, float8) IS
	'nmf_fit_distributed: the seeded initial factor vector of a row (side 0) or column (side 1)';
CREATE OR REPLACE FUNCTION nmf_dist_hstats_add(float8[], float8[], bigint, float8, bigint[], float8[], boolean)
	RETURNS float8[] AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_dist_hstats_add(float8[], float8[], bigint, float8, bigint[], float8[], boolean) IS
	'transition function of nmf_dist_hstats: adds one cell''s share of W^T V (masked: of W^T (W H))';
CREATE OR REPLACE FUNCTION nmf_dist_rowstats_add(float8[], float8[], bigint, float8, bigint[], float8[], boolean)
	RETURNS float8[] AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_dist_rowstats_add(float8[], float8[], bigint, float8, bigint[], float8[], boolean) IS
	'transition function of nmf_dist_rowstats: adds one cell''s share of a row''s V H^T (masked: of (W H) H^T)';
CREATE OR REPLACE FUNCTION nmf_dist_gram_add(float8[], float8[])
	RETURNS float8[] AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_dist_gram_add(float8[], float8[]) IS
	'transition function of nmf_dist_gram: adds a factor vector''s outer product';
CREATE OR REPLACE FUNCTION nmf_dist_sum(float8[], float8[])
	RETURNS float8[] AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_dist_sum(float8[], float8[]) IS
	'nmf_fit_distributed: combine function, the elementwise sum of two float8[] states';
CREATE OR REPLACE AGGREGATE nmf_dist_hstats(w float8[], col_id bigint, value float8, cols bigint[],
	h float8[], masked boolean) (
	SFUNC = nmf_dist_hstats_add, STYPE = float8[], COMBINEFUNC = nmf_dist_sum, PARALLEL = SAFE);
COMMENT ON AGGREGATE nmf_dist_hstats(float8[], bigint, float8, bigint[], float8[], boolean) IS
	'nmf_fit_distributed: W^T V (and, masked, W^T (W H) on the stored cells), column by column';
CREATE OR REPLACE AGGREGATE nmf_dist_rowstats(w float8[], col_id bigint, value float8, cols bigint[],
	h float8[], masked boolean) (
	SFUNC = nmf_dist_rowstats_add, STYPE = float8[], COMBINEFUNC = nmf_dist_sum, PARALLEL = SAFE);
COMMENT ON AGGREGATE nmf_dist_rowstats(float8[], bigint, float8, bigint[], float8[], boolean) IS
	'nmf_fit_distributed: a row''s V H^T (and, masked, (W H) H^T on its stored cells)';
CREATE OR REPLACE AGGREGATE nmf_dist_gram(w float8[]) (
	SFUNC = nmf_dist_gram_add, STYPE = float8[], COMBINEFUNC = nmf_dist_sum, PARALLEL = SAFE);
COMMENT ON AGGREGATE nmf_dist_gram(float8[]) IS 'nmf_fit_distributed: W^T W (r x r)';
CREATE OR REPLACE FUNCTION nmf_dist_update_h(h float8[], stats float8[], gram float8[], rank int,
	masked boolean) RETURNS float8[] AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_dist_update_h(float8[], float8[], float8[], int, boolean) IS
	'nmf_fit_distributed: H after one multiplicative update';
CREATE OR REPLACE FUNCTION nmf_dist_update_w(w float8[], stats float8[], hht float8[], masked boolean)
	RETURNS float8[] AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_dist_update_w(float8[], float8[], float8[], boolean) IS
	'nmf_fit_distributed: a row of W after one multiplicative update';
CREATE OR REPLACE FUNCTION nmf_dist_gram_cols(h float8[], rank int)
	RETURNS float8[] AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_dist_gram_cols(float8[], int) IS 'nmf_fit_distributed: H H^T (r x r)';
CREATE OR REPLACE FUNCTION nmf_dist_predict(w float8[], col_id bigint, cols bigint[], h float8[])
	RETURNS float8 AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_dist_predict(float8[], bigint, bigint[], float8[]) IS
	'nmf_fit_distributed: (W H) at one cell, from a row of W and H';

CREATE OR REPLACE FUNCTION nmf_dist_cell_loss(w float8[], col_id bigint, cols bigint[], h float8[],
	value float8, masked boolean)
	RETURNS float8 AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_dist_cell_loss(float8[], bigint, bigint[], float8[], float8, boolean) IS
	'nmf_fit_distributed: a cell''s term of the loss, (v - WH)^2 masked, v WH zero-filled';
CREATE OR REPLACE FUNCTION nmf_dist_dot(a float8[], b float8[])
	RETURNS float8 AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_dist_dot(float8[], float8[]) IS
	'nmf_fit_distributed: the dot product of two arrays of the same length';
CREATE OR REPLACE FUNCTION nmf_dist_square(x float8)
	RETURNS float8 AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_dist_square(float8) IS
	'nmf_fit_distributed: x * x, 0 where SQL''s float8 product would refuse an underflow';

-- The driver, for nmf_fit_distributed below (target: the schema of w_table
-- and h_table). W lives in w_table, distributed like (colocated with) the
-- source when the source is a Citus table, and is rewritten by the workers
-- each iteration; H (r x n) lives here and goes to every shard as a parameter.
CREATE OR REPLACE FUNCTION nmf_dist_fit(target text, source regclass, row_col text, col_col text,
	value_col text, rank int, w_table text, h_table text, missing text, max_iter int, seed bigint)
	RETURNS jsonb LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $fit$
DECLARE
	masked boolean;
	dist boolean := false;
	src text := source::text;
	row_type text;
	part text;
	dist_col text;
	c text;
	m bigint;
	nnz bigint;
	nulls bigint;
	bad bigint;
	total float8;
	xsq float8;
	cols bigint[];
	n bigint;
	scale float8;
	h float8[];
	gram float8[];
	stats float8[];
	hht float8[];
	cross_term float8;
	sse float8;
	tabs text[];
	cur text;
	nxt text;
BEGIN
	IF target IS NULL THEN
		RAISE EXCEPTION 'nmf_fit_distributed: no schema has been selected to create w_table in'
			USING ERRCODE = 'invalid_schema_name';
	END IF;
	IF rank IS NULL OR rank < 1 THEN
		RAISE EXCEPTION 'nmf_fit_distributed: rank must be at least 1, not %', rank
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF max_iter IS NULL OR max_iter < 0 THEN
		RAISE EXCEPTION 'nmf_fit_distributed: max_iter must be 0 or more, not %', max_iter
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF missing IS NULL OR missing NOT IN ('zero', 'ignore') THEN
		RAISE EXCEPTION 'nmf_fit_distributed: missing must be ''zero'' or ''ignore'', not %',
			coalesce(quote_literal(missing), 'NULL') USING ERRCODE = 'invalid_parameter_value';
	END IF;
	masked := missing = 'ignore';
	FOREACH c IN ARRAY ARRAY[row_col, col_col, value_col] LOOP
		PERFORM 1 FROM pg_attribute
		WHERE attrelid = source AND attname = c AND attnum > 0 AND NOT attisdropped;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'nmf_fit_distributed: column "%" of % does not exist', c, src
				USING ERRCODE = 'undefined_column';
		END IF;
	END LOOP;
	SELECT format_type(atttypid, atttypmod) INTO row_type FROM pg_attribute
	WHERE attrelid = source AND attname = row_col;

	-- A Citus table must be hash-distributed by the row id: each worker then
	-- holds whole rows, and W's rows sit beside them.
	IF to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
		EXECUTE 'SELECT partmethod::text, column_to_column_name(logicalrelid, partkey)
			FROM pg_catalog.pg_dist_partition WHERE logicalrelid = $1'
			INTO part, dist_col USING source;
		IF part IS NOT NULL THEN
			IF part <> 'h' OR dist_col IS DISTINCT FROM row_col THEN
				RAISE EXCEPTION 'nmf_fit_distributed: % is a Citus table not hash-distributed by %',
					src, row_col USING ERRCODE = 'feature_not_supported',
					HINT = format('Distribute it with create_distributed_table(%L, %L).', src, row_col);
			END IF;
			dist := true;
		END IF;
	END IF;

	EXECUTE format('SELECT count(DISTINCT %1$I), count(*), sum(%3$I::float8),
			sum(@extschema@.nmf_dist_square(%3$I::float8)),
			count(*) FILTER (WHERE %1$I IS NULL OR %2$I IS NULL OR %3$I IS NULL),
			count(*) FILTER (WHERE NOT (%3$I::float8 >= 0 AND %3$I::float8 < ''Infinity'')
				OR %3$I::float8 = ''NaN'')
		FROM %4$s', row_col, col_col, value_col, src)
		INTO m, nnz, total, xsq, nulls, bad;
	IF nulls > 0 THEN
		RAISE EXCEPTION 'nmf_fit_distributed: % has % rows with a NULL id or value', src, nulls
			USING ERRCODE = 'null_value_not_allowed', HINT = 'Filter NULLs out, or COALESCE them.';
	END IF;
	IF bad > 0 THEN
		RAISE EXCEPTION 'nmf_fit_distributed: % has % negative, NaN or infinite values', src, bad
			USING ERRCODE = 'numeric_value_out_of_range', HINT = 'NMF needs finite, non-negative values.';
	END IF;
	IF nnz = 0 THEN
		RAISE EXCEPTION 'nmf_fit_distributed: % has no rows', src USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- A cell given twice would count twice in the masked sums and in the loss:
	-- refuse it (grouped by the row id, this runs on the workers).
	EXECUTE format('SELECT count(*) FROM (SELECT 1 FROM %3$s GROUP BY %1$I, %2$I HAVING count(*) > 1) d',
		row_col, col_col, src) INTO bad;
	IF bad > 0 THEN
		RAISE EXCEPTION 'nmf_fit_distributed: % has % (row, column) pairs more than once', src, bad
			USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Sum them first, e.g. into a table grouped by the row and column ids.';
	END IF;

	-- H's columns, ascending: sent once per query as a parameter (n bigints).
	EXECUTE format('SELECT array_agg(c ORDER BY c) FROM (SELECT DISTINCT %I::bigint AS c FROM %s) s',
		col_col, src) INTO cols;
	n := cardinality(cols);
	-- scikit-learn's scale of a random init: sqrt(mean of V / rank).
	scale := sqrt(CASE WHEN masked THEN total / nnz ELSE total / (m::float8 * n) END / rank);
	SELECT array_agg(e.x ORDER BY c.j, e.k) INTO h
	FROM unnest(cols) WITH ORDINALITY AS c(id, j)
	CROSS JOIN LATERAL unnest(@extschema@.nmf_dist_init(c.id, seed, 1, rank, scale)) WITH ORDINALITY AS e(x, k);

	-- W lives in two tables, colocated with the source: each iteration reads
	-- one and writes the other (emptied by TRUNCATE, in place since it was
	-- created in this transaction), so no dead row versions pile up as an
	-- UPDATE of every row per iteration would. The last iteration writes w_table.
	tabs := ARRAY[format('%I.%I', target, w_table), format('%I.%I', target, left(w_table, 50) || '_nmf_next')];
	FOREACH c IN ARRAY tabs LOOP
		EXECUTE format('CREATE TABLE %s (row_id %s PRIMARY KEY, w float8[] NOT NULL)', c, row_type);
		IF dist THEN
			EXECUTE 'SELECT create_distributed_table($1::regclass, ''row_id'', colocate_with => $2)'
				USING c, src;
		END IF;
	END LOOP;
	cur := tabs[1 + max_iter % 2];
	nxt := tabs[2 - max_iter % 2];
	EXECUTE format('INSERT INTO %1$s (row_id, w)
		SELECT %2$I, @extschema@.nmf_dist_init(%2$I::bigint, $1, 0, $2, $3) FROM %3$s GROUP BY %2$I',
		cur, row_col, src) USING seed, rank, scale;

	-- One iteration, H first (as solver 'mu'):
	--   H <- H o (W^T V) / (W^T W H)   stats from the workers, update here
	--   W <- W o (V H^T) / (W H H^T)   on the workers, with the new H as a parameter
	-- masked: the denominators sum W H over the stored cells only.
	FOR it IN 1 .. max_iter LOOP
		IF NOT masked THEN
			EXECUTE format('SELECT @extschema@.nmf_dist_gram(w) FROM %s', cur) INTO gram;
		END IF;
		EXECUTE format('SELECT @extschema@.nmf_dist_hstats(w.w, x.%1$I::bigint, x.%2$I::float8, $1, $2, $3)
			FROM %3$s x JOIN %4$s w ON w.row_id = x.%5$I', col_col, value_col, src, cur, row_col)
			INTO stats USING cols, CASE WHEN masked THEN h END, masked;
		h := @extschema@.nmf_dist_update_h(h, stats, gram, rank, masked);
		hht := CASE WHEN masked THEN NULL ELSE @extschema@.nmf_dist_gram_cols(h, rank) END;
		EXECUTE format('TRUNCATE %s', nxt);
		EXECUTE format('INSERT INTO %1$s (row_id, w)
			SELECT t.row_id, @extschema@.nmf_dist_update_w(t.w, s.st, $3, $4)
			FROM %6$s t JOIN (SELECT x.%2$I AS rid,
					@extschema@.nmf_dist_rowstats(w.w, x.%3$I::bigint, x.%4$I::float8, $1, $2, $4) AS st
				FROM %5$s x JOIN %6$s w ON w.row_id = x.%2$I GROUP BY x.%2$I) s
			ON t.row_id = s.rid', nxt, row_col, col_col, value_col, src, cur)
			USING cols, h, hht, masked;
		c := cur;
		cur := nxt;
		nxt := c;
	END LOOP;
	EXECUTE format('DROP TABLE %s', nxt);

	-- The loss: masked, over the stored cells; zero-filled, over all m x n
	-- cells as sum v^2 - 2 <W, V H^T> + <W^T W, H H^T>.
	-- (The products are in C: SQL's float8 product refuses an underflow.)
	EXECUTE format('SELECT sum(@extschema@.nmf_dist_cell_loss(w.w, x.%1$I::bigint, $1, $2, x.%2$I::float8, $3))
		FROM %3$s x JOIN %4$s w ON w.row_id = x.%5$I', col_col, value_col, src, tabs[1], row_col)
		INTO cross_term USING cols, h, masked;
	IF masked THEN
		sse := cross_term;
	ELSE
		EXECUTE format('SELECT @extschema@.nmf_dist_gram(w) FROM %s', tabs[1]) INTO gram;
		sse := xsq - 2 * cross_term + @extschema@.nmf_dist_dot(gram, @extschema@.nmf_dist_gram_cols(h, rank));
	END IF;

	EXECUTE format('CREATE TABLE %I.%I (col_id bigint PRIMARY KEY, h float8[] NOT NULL)', target, h_table);
	EXECUTE format('INSERT INTO %I.%I (col_id, h)
		SELECT c.id, ($1)[(c.j - 1) * $2 + 1 : c.j * $2] FROM unnest($3) WITH ORDINALITY AS c(id, j)',
		target, h_table) USING h, rank, cols;

	RETURN jsonb_build_object('rows', m, 'cols', n, 'cells', nnz, 'rank', rank,
		'iterations', max_iter, 'missing', missing, 'distributed', dist,
		'loss', greatest(sse, 0),
		'relative_error', CASE WHEN xsq > 0 THEN sqrt(greatest(sse, 0) / xsq) END,
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
-- block. The same options as nmf(), in the same order; solvers hals and mu,
-- loss frobenius, missing 'zero', init 'random' (the others are refused).
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
