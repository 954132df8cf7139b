-- SPDX-License-Identifier: PostgreSQL
-- The update from 0.6: what must happen before the current declarations run
-- again. They are all CREATE OR REPLACE (types and casts are left as they
-- are), so this part only drops what they cannot replace: a function whose
-- argument list, argument names or result changed, and anything removed.

-- nmf() and nmf_fit() gain on_small and beta (last); solver's default is NULL
-- (chosen by the loss).
DROP FUNCTION nmf(nmf_matrix, int, text, text, text, text, int, float8, bigint, float8, float8,
	float8, float8, float8, float8, nmf_model, float8[], float8[], boolean, boolean, float8, int,
	float8, float8, int);
DROP FUNCTION nmf_fit(text, text, text, text, text, text, int, text, text, text, text, int, float8,
	bigint, float8, float8, float8, float8, float8, float8, nmf_model, float8[], float8[], boolean,
	text, boolean, float8, int, float8, float8, int);
