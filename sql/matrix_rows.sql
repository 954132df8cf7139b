-- nmf_matrix(row_id, values float8[]): one array per row
\set VERBOSITY sqlstate

CREATE TABLE images (id bigint, px float8[]);
INSERT INTO images VALUES (10, '{1,0,2}'), (20, '{0,3,1}'), (30, '{4,1,0}'), (40, '{2,2,2}');

-- every element is a stored cell, zeros too; column ids 1..n
SELECT nmf_matrix_info(nmf_matrix(id, px)) FROM images;
-- the same matrix as the cell aggregate over the unnested arrays
SELECT (SELECT nmf_matrix(id, px) FROM images)::bytea =
       (SELECT nmf_matrix(id, j, v) FROM images, unnest(px) WITH ORDINALITY AS u(v, j))::bytea AS same_as_cells;
-- real[] (what pgvector's vector casts to) works as well
SELECT nmf_matrix_info(nmf_matrix(id, px::real[])) -> 'nnz' AS nnz_from_real FROM images;
-- a row id given twice is summed, as cells are
SELECT nmf_matrix_info(nmf_matrix(id, px)) -> 'sum' AS sum_twice
FROM (SELECT * FROM images UNION ALL SELECT * FROM images WHERE id = 10) t;
-- a fit on it
SELECT (nmf_info(nmf(nmf_matrix(id, px), 2, seed => 1)) ->> 'rows')::int AS rows FROM images;
-- over zero rows: NULL
SELECT nmf_matrix(id, px) IS NULL AS empty FROM images WHERE false;

-- errors
SELECT nmf_matrix(id, px) FROM (VALUES (1::bigint, '{1,2}'::float8[]), (2, '{1,2,3}')) v(id, px);
SELECT nmf_matrix(id, px) FROM (VALUES (1::bigint, '{1,NULL}'::float8[])) v(id, px);
SELECT nmf_matrix(id, px) FROM (VALUES (1::bigint, NULL::float8[])) v(id, px);
SELECT nmf_matrix(id, px) FROM (VALUES (NULL::bigint, '{1}'::float8[])) v(id, px);
SELECT nmf_matrix(id, px) FROM (VALUES (1::bigint, '{{1,2},{3,4}}'::float8[])) v(id, px);
SELECT nmf_matrix(id, px) FROM (VALUES (1::bigint, '{}'::float8[])) v(id, px);
SELECT nmf_matrix(id, px) FROM (VALUES (1::bigint, '{1,-2}'::float8[])) v(id, px);
SELECT nmf_matrix(id, px) FROM (VALUES (1::bigint, '{1,NaN}'::float8[])) v(id, px);
-- the support functions are the aggregate's only
SELECT nmf_matrix_state_add_row(NULL, 1, '{1}');

-- built in parallel parts, joined by the combine function
CREATE TABLE many AS SELECT i::bigint AS id, ARRAY[i % 7, 1, i % 3]::float8[] AS px FROM generate_series(1, 20000) i;
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SELECT (nmf_matrix_info(nmf_matrix(id, px)) ->> 'nnz')::int AS parallel_nnz,
       (nmf_matrix_info(nmf_matrix(id, px)) ->> 'sum')::int AS parallel_sum FROM many;
RESET ALL;

DROP TABLE images, many;

-- a non-array type with an implicit cast to real[] (as pgvector's vector has) needs no cast
CREATE TYPE pixel_pair AS (a real, b real);
CREATE FUNCTION pixel_pair_to_real(pixel_pair) RETURNS real[] LANGUAGE sql IMMUTABLE
	AS $$ SELECT ARRAY[$1.a, $1.b] $$;
CREATE CAST (pixel_pair AS real[]) WITH FUNCTION pixel_pair_to_real(pixel_pair) AS IMPLICIT;
SELECT (SELECT nmf_matrix(id, p) FROM (VALUES (1::bigint, (1, 2)::pixel_pair), (2, (3, 0)::pixel_pair)) v(id, p))::bytea =
       (SELECT nmf_matrix(id, px) FROM (VALUES (1::bigint, '{1,2}'::float8[]), (2, '{3,0}')) v(id, px))::bytea
       AS same_as_arrays;
-- its values are checked as an array's
SELECT nmf_matrix(id, p) FROM (VALUES (1::bigint, (1, -2)::pixel_pair)) v(id, p);
-- integer and numeric arrays still go to the float8[] form
SELECT nmf_matrix_info(nmf_matrix(id, px)) -> 'nnz' AS nnz_from_int FROM (VALUES (1::bigint, ARRAY[1, 2])) v(id, px);
SELECT nmf_matrix_info(nmf_matrix(id, px)) -> 'nnz' AS nnz_from_numeric FROM (VALUES (1::bigint, ARRAY[1.5, 2])) v(id, px);
-- a type with no such cast: 42804
SELECT nmf_matrix(id, t) FROM (VALUES (1::bigint, 'abc'::text)) v(id, t);
DROP CAST (pixel_pair AS real[]);
DROP FUNCTION pixel_pair_to_real(pixel_pair);
DROP TYPE pixel_pair;
