-- SPDX-License-Identifier: PostgreSQL
-- The update from 0.5: what must happen before the current declarations run
-- again. They are all CREATE OR REPLACE (types and casts are left as they
-- are), so this part only drops what they cannot replace: a function whose
-- argument list, argument names or result changed, and anything removed.
--
-- nmf_recommend gains cold_start; nmf_tune gains ensemble.
DROP FUNCTION nmf_recommend(nmf_model, bigint, int, nmf_matrix, text, boolean);
DROP FUNCTION nmf_recommend(nmf_model, bigint[], int, nmf_matrix, text, boolean);
DROP FUNCTION nmf_tune(nmf_matrix, int[], float8[], int, float8, boolean, bigint, text, int, float8, int);
