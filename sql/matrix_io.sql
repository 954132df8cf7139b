-- nmf_matrix: the dense constructor, the text, binary and bytea forms, nmf_matrix_info.

-- the seed's 3x3 example: every cell stored, ids 1..3
SELECT nmf_matrix_info(nmf_matrix('{{5,4,1},{4,5,1},{2,1,5}}'::float8[]));
-- zeros are stored cells too (observed zeros)
SELECT nmf_matrix_info(nmf_matrix('{{0,1},{2,0}}'::float8[]));
-- a 1x1 matrix
SELECT nmf_matrix_info(nmf_matrix('{{7}}'::float8[]));

-- text form: base64 of the binary form, and it reads back to the same bytes
CREATE TABLE mio AS SELECT nmf_matrix('{{5,4,1},{4,5,1},{2,1,5}}'::float8[]) AS m;
SELECT m::text::nmf_matrix::bytea = m::bytea AS text_round_trip FROM mio;
SELECT decode(m::text, 'base64') = m::bytea AS text_is_base64 FROM mio;
SELECT m::bytea::nmf_matrix::bytea = m::bytea AS bytea_round_trip FROM mio;
-- the first bytes are the magic number "NMMX" and format version 1
SELECT substring(m::bytea FROM 1 FOR 6) AS header FROM mio;
SELECT octet_length(m::bytea) AS bytes FROM mio;

-- dense constructor errors
SELECT nmf_matrix('{1,2,3}'::float8[]);
SELECT nmf_matrix('{{{1}}}'::float8[]);
SELECT nmf_matrix('{{1,NULL},{3,4}}'::float8[]);
SELECT nmf_matrix('{{1,-2},{3,4}}'::float8[]);
SELECT nmf_matrix('{{1,NaN},{3,4}}'::float8[]);
SELECT nmf_matrix('{{1,Infinity},{3,4}}'::float8[]);
SELECT nmf_matrix('{}'::float8[]);
SELECT nmf_matrix(NULL::float8[]) IS NULL AS strict_null;

-- text input errors
SELECT 'not base64!'::nmf_matrix;
SELECT '{{1,2},{3,4}}'::nmf_matrix;
SELECT ''::nmf_matrix;
SELECT 'AAAA'::nmf_matrix;
-- a forged bytea: a good header, then a truncated body
SELECT substring(m::bytea FROM 1 FOR 40)::nmf_matrix FROM mio;
-- one byte too many
SELECT (m::bytea || '\x00'::bytea)::nmf_matrix FROM mio;
-- a wrong magic number
SELECT overlay(m::bytea PLACING '\x00'::bytea FROM 1 FOR 1)::nmf_matrix FROM mio;
-- a wrong version
SELECT overlay(m::bytea PLACING '\x0200'::bytea FROM 5 FOR 2)::nmf_matrix FROM mio;
-- flags: a bit that means nothing
SELECT overlay(m::bytea PLACING '\x03'::bytea FROM 7 FOR 1)::nmf_matrix FROM mio;
-- a dense matrix's flag cleared: its bytes are not a sparse matrix's
SELECT overlay(m::bytea PLACING '\x00'::bytea FROM 7 FOR 1)::nmf_matrix FROM mio;
-- the last value (a double at the end) set to -1.0
SELECT overlay(m::bytea PLACING '\x000000000000f0bf'::bytea FROM octet_length(m::bytea) - 7 FOR 8)::nmf_matrix FROM mio;
-- and to NaN
SELECT overlay(m::bytea PLACING '\x000000000000f87f'::bytea FROM octet_length(m::bytea) - 7 FOR 8)::nmf_matrix FROM mio;
SELECT 1 AS still_alive;

-- A matrix that stores every cell is kept dense (8 bytes a cell, no
-- indexes: 156 bytes above, not 228). The sparse form of the same matrix,
-- what earlier versions wrote, still reads and gives the same fit and scores.
CREATE TABLE mold AS SELECT 'Tk1NWAEAAAAAAAAAAwAAAAAAAAADAAAAAAAAAAkAAAAAAAAAAQAAAAAAAAACAAAAAAAAAAMAAAAAAAAAAQAAAAAAAAACAAAAAAAAAAMAAAAAAAAAAAAAAAAAAAADAAAAAAAAAAYAAAAAAAAACQAAAAAAAAAAAAAAAQAAAAIAAAAAAAAAAQAAAAIAAAAAAAAAAQAAAAIAAAAAAAAAAAAAAAAAFEAAAAAAAAAQQAAAAAAAAPA/AAAAAAAAEEAAAAAAAAAUQAAAAAAAAPA/AAAAAAAAAEAAAAAAAADwPwAAAAAAABRA'::nmf_matrix AS m;
SELECT nmf_matrix_info(o.m) - 'storage' = nmf_matrix_info(n.m) - 'storage' AS same_info,
       nmf_matrix_info(o.m)->>'storage' AS old, nmf_matrix_info(n.m)->>'storage' AS new,
       octet_length(o.m::bytea) AS old_bytes
FROM mold o, mio n;
SELECT nmf_info(nmf(o.m, 2, seed => 1)) - 'seconds' = nmf_info(nmf(n.m, 2, seed => 1)) - 'seconds' AS same_fit,
       nmf_score(nmf(n.m, 2, seed => 1), o.m)::text = nmf_score(nmf(n.m, 2, seed => 1), n.m)::text AS same_score,
       nmf_score(nmf(o.m, 2, seed => 1), o.m) IS NOT NULL AS scored
FROM mold o, mio n;
-- a matrix with one cell absent stays sparse
SELECT nmf_matrix_info(nmf_matrix(r, c, 1.0))->>'storage' AS storage
FROM generate_series(1, 3) r, generate_series(1, 3) c WHERE (r, c) <> (2, 2);
-- text keys on a dense matrix: the key table moves with the values
CREATE TEMP TABLE kc AS SELECT 'u' || r AS u, 'item-' || c AS i, ((r * c) % 7 + 1)::float8 AS x
FROM generate_series(1, 6) r, generate_series(1, 5) c;
CREATE TEMP TABLE kf AS SELECT m, nmf(m, 2, seed => 3) AS f FROM (SELECT nmf_matrix(u, i, x) AS m FROM kc) s;
SELECT nmf_matrix_info(m)->>'storage' AS storage, nmf_matrix_info(m)->>'row_keys' AS row_keys,
       (nmf_score(f, m)->>'cells')::int AS cells FROM kf;
SELECT r.col_id, round(r.score::numeric, 6) AS score FROM kf, nmf_recommend(f, 'u3'::text, NULL::text, 2) r;
SELECT (nmf_matrix_info(s.train)->>'nnz')::int + (nmf_matrix_info(s.test)->>'nnz')::int AS split_cells
FROM kf, nmf_split(m, 5, 1, 1) s;
DROP TABLE mio, mold, kc, kf;
