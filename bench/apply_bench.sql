-- SPDX-License-Identifier: PostgreSQL
-- Benchmark of the functions that use a model (not a test: it prints times).
-- Targets: nmf_predict over 1,000,000 pairs in one call < 2 s; one
-- nmf_recommend on a 20,000-column rank-20 model < 10 ms.
--
--   source test/cluster.sh && trap nmf_cluster_stop EXIT && nmf_cluster_start
--   psql -X -f bench/apply_bench.sql
\set ON_ERROR_STOP on
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS nmf CASCADE;
CREATE EXTENSION nmf;

-- 2,000 rows x 20,000 columns, 400,000 cells, rank 20 (a few iterations:
-- the model's size, not its quality, matters here)
CREATE TEMP TABLE bench_model AS
SELECT nmf(nmf_matrix(i % 2000 + 1, (i * 7919) % 20000 + 1, 1 + i % 5), 20, max_iter => 3) AS m
FROM generate_series(0::bigint, 399999) i;
SELECT nmf_info(m) -> 'rows' AS rows, nmf_info(m) -> 'cols' AS cols, nmf_info(m) -> 'rank' AS rank,
       pg_size_pretty(pg_column_size(m)::bigint) AS stored FROM bench_model;

-- 1,000,000 pairs as two arrays
CREATE TEMP TABLE pairs AS
SELECT array_agg(p % 2000 + 1) AS r, array_agg((p * 31) % 20000 + 1) AS c
FROM generate_series(0::bigint, 999999) p;

\timing on
\echo '-- nmf_predict, 1,000,000 pairs in one call (3 runs)'
SELECT count(*), round(sum(score)::numeric, 3) FROM bench_model, pairs, nmf_predict(m, r, c);
SELECT count(*), round(sum(score)::numeric, 3) FROM bench_model, pairs, nmf_predict(m, r, c);
SELECT count(*), round(sum(score)::numeric, 3) FROM bench_model, pairs, nmf_predict(m, r, c);

\echo '-- one nmf_recommend, k = 10 (model read from the table each time; 3 runs)'
SELECT count(*) FROM bench_model, nmf_recommend(m, 42, 10);
SELECT count(*) FROM bench_model, nmf_recommend(m, 43, 10);
SELECT count(*) FROM bench_model, nmf_recommend(m, 44, 10);

\echo '-- 1,000 rows, one call each in one query (the model read once): time / 1,000 per row'
SELECT count(*) FROM bench_model, generate_series(1, 1000) u, LATERAL nmf_recommend(m, u, 10);
\echo '-- 1,000 rows in one call (array form)'
SELECT count(*) FROM bench_model, nmf_recommend(m, (SELECT array_agg(u::bigint) FROM generate_series(1, 1000) u), 10);

\echo '-- nmf_similar on the 20,000 columns, k = 10'
SELECT count(*) FROM bench_model, nmf_similar(m, 'col', 42, 10);
\echo '-- nmf_transform of 2,000 rows (400,000 cells), nmf_score over them'
SELECT count(*) FROM bench_model, nmf_transform(m, (SELECT nmf_matrix(i % 2000 + 1, (i * 7919) % 20000 + 1, 1 + i % 5) FROM generate_series(0::bigint, 399999) i));
SELECT nmf_score(m, (SELECT nmf_matrix(i % 2000 + 1, (i * 7919) % 20000 + 1, 1 + i % 5) FROM generate_series(0::bigint, 399999) i)) ->> 'rmse' FROM bench_model;
\timing off
