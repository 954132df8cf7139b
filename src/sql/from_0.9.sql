-- SPDX-License-Identifier: PostgreSQL
-- The update from 0.9: what must happen before the current declarations run
-- again. They are all CREATE OR REPLACE (types and casts are left as they
-- are), so this part only drops what they cannot replace: a function whose
-- argument list, argument names or result changed, and anything removed.
-- 0.10 removes the pieces of nmf_fit_distributed's own multiplicative
-- updates (it now runs nmf_distributed).
DROP AGGREGATE nmf_dist_hstats(float8[], bigint, float8, bigint[], float8[], boolean);
DROP AGGREGATE nmf_dist_rowstats(float8[], bigint, float8, bigint[], float8[], boolean);
DROP AGGREGATE nmf_dist_gram(float8[]);
DROP FUNCTION nmf_dist_init(bigint, bigint, int, int, float8);
DROP FUNCTION nmf_dist_hstats_add(float8[], float8[], bigint, float8, bigint[], float8[], boolean);
DROP FUNCTION nmf_dist_rowstats_add(float8[], float8[], bigint, float8, bigint[], float8[], boolean);
DROP FUNCTION nmf_dist_gram_add(float8[], float8[]);
DROP FUNCTION nmf_dist_sum(float8[], float8[]);
DROP FUNCTION nmf_dist_update_h(float8[], float8[], float8[], int, boolean);
DROP FUNCTION nmf_dist_update_w(float8[], float8[], float8[], boolean);
DROP FUNCTION nmf_dist_gram_cols(float8[], int);
DROP FUNCTION nmf_dist_predict(float8[], bigint, bigint[], float8[]);
DROP FUNCTION nmf_dist_cell_loss(float8[], bigint, bigint[], float8[], float8, boolean);
DROP FUNCTION nmf_dist_dot(float8[], float8[]);
DROP FUNCTION nmf_dist_square(float8);
