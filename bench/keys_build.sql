-- SPDX-License-Identifier: PostgreSQL
-- The nmf_matrix aggregate over text keys against bigint ids, the same cells,
-- one process (no parallel workers), three rounds each, interleaved:
--   psql -X -d <database with nmf> -f bench/keys_build.sql
-- 200,000 cells, 200,000 distinct row keys (md5 text) and 500 column keys.
\pset pager off
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE kb AS
SELECT md5(i::text) AS u, 'item-' || (i * 7 % 500) AS it, hashtext(md5(i::text))::bigint AS u_id,
       (i * 7 % 500)::bigint AS it_id, (i % 5 + 1)::float8 AS v
FROM generate_series(1, 200000) i;
VACUUM ANALYZE kb;
\timing on
SELECT nmf_matrix_info(nmf_matrix(u, it, v)) ->> 'nnz' AS text_keys FROM kb;
SELECT nmf_matrix_info(nmf_matrix(u_id, it_id, v)) ->> 'nnz' AS bigint_ids FROM kb;
SELECT nmf_matrix_info(nmf_matrix(u, it, v)) ->> 'nnz' AS text_keys FROM kb;
SELECT nmf_matrix_info(nmf_matrix(u_id, it_id, v)) ->> 'nnz' AS bigint_ids FROM kb;
SELECT nmf_matrix_info(nmf_matrix(u, it, v)) ->> 'nnz' AS text_keys FROM kb;
SELECT nmf_matrix_info(nmf_matrix(u_id, it_id, v)) ->> 'nnz' AS bigint_ids FROM kb;
\timing off
