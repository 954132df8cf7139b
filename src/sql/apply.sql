-- SPDX-License-Identifier: PostgreSQL
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
	fit_sql := 'SELECT @extschema@.nmf(matrix => $1, rank => $2, max_iter => $3, seed => $4'
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
