-- SPDX-License-Identifier: PostgreSQL
-- The update from 0.4: what must happen before the current declarations run
-- again. They are all CREATE OR REPLACE (types and casts are left as they
-- are), so this part only drops what they cannot replace: a function whose
-- argument list, argument names or result changed, and anything removed.
--
-- Its SQL and plpgsql functions become schema-safe by their new bodies and
-- search_path settings alone. nmf() and nmf_fit() gain reg, holdout and
-- patience (and max_iter's default becomes NULL); predict, recommend and
-- score gain clip; nmf_cv gains regs and a reg column.
DROP FUNCTION nmf(nmf_matrix, int, text, text, text, text, int, float8, bigint, float8,
	float8, float8, float8, float8, float8, nmf_model, float8[], float8[], boolean, boolean,
	float8, int);
DROP FUNCTION nmf_fit(text, text, text, text, text, text, int, text, text, text, text, int,
	float8, bigint, float8, float8, float8, float8, float8, float8, nmf_model, float8[], float8[],
	boolean, text, boolean, float8, int);
DROP FUNCTION nmf_predict(nmf_model, bigint, bigint, text);
DROP FUNCTION nmf_predict(nmf_model, bigint[], bigint[], text);
DROP FUNCTION nmf_recommend(nmf_model, bigint, int, nmf_matrix, text);
DROP FUNCTION nmf_recommend(nmf_model, bigint[], int, nmf_matrix, text);
DROP FUNCTION nmf_score(nmf_model, nmf_matrix);
DROP FUNCTION nmf_cv(nmf_matrix, int[], int, bigint, int, text, text, float8, boolean, float8,
	float8, float8);
