-- SPDX-License-Identifier: PostgreSQL
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
	'the objective after each iteration of the fit, and the solver''s seconds at that point';

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

-- Taking in new cells without a full refit. Not strict: NULL new_cells gives
-- the model back, a NULL model NULL.
CREATE OR REPLACE FUNCTION nmf_update(model nmf_model, new_cells nmf_matrix, sweeps int DEFAULT 3,
	threads int DEFAULT NULL)
	RETURNS nmf_model
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION nmf_update(nmf_model, nmf_matrix, int, int) IS
	'a new model that takes in new cells: new rows and columns folded in, touched ones re-solved, the others kept';
