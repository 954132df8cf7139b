-- SPDX-License-Identifier: PostgreSQL
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

CREATE OR REPLACE FUNCTION nmf_matrix(dense float8[]) RETURNS nmf_matrix
	AS 'MODULE_PATHNAME', 'nmf_matrix_from_array' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_matrix(float8[]) IS
	'a matrix from a dense 2-D array: row ids 1..m, column ids 1..n, every cell stored';

CREATE OR REPLACE FUNCTION nmf_matrix_info(nmf_matrix) RETURNS jsonb
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_matrix_info(nmf_matrix) IS
	'rows, cols, nnz, density and sum of a matrix';
