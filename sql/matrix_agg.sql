-- the nmf_matrix(row_id, col_id, value) aggregate

CREATE TABLE ratings (user_id bigint, item_id bigint, rating float8);
INSERT INTO ratings VALUES
	(10, 100, 5), (10, 200, 3), (20, 100, 4), (20, 300, 1), (30, 200, 2), (30, 300, 5);

SELECT nmf_matrix_info(nmf_matrix(user_id, item_id, rating)) FROM ratings;

-- ids are the distinct ids that occur, kept as the user's bigints: a fit
-- returns them in W and H
SELECT array_agg(DISTINCT w.id ORDER BY w.id) AS row_ids, array_agg(DISTINCT h.id ORDER BY h.id) AS col_ids
FROM (SELECT nmf(nmf_matrix(user_id, item_id, rating), 1) AS m FROM ratings) s, nmf_w(s.m) w, nmf_h(s.m) h;

-- the same cell twice: the values are summed
SELECT nmf_matrix_info(nmf_matrix(r, c, v))
FROM (VALUES (1, 1, 1.5), (1, 1, 2.5), (2, 2, 1.0)) AS t(r, c, v);

-- order of the rows does not matter: the same bytes
SELECT (SELECT nmf_matrix(user_id, item_id, rating)::bytea FROM (SELECT * FROM ratings ORDER BY rating) a)
     = (SELECT nmf_matrix(user_id, item_id, rating)::bytea FROM (SELECT * FROM ratings ORDER BY rating DESC) b)
	AS order_independent;

-- negative and huge ids are ids like any other
SELECT nmf_matrix_info(nmf_matrix(r, c, 1)) FROM (VALUES (-9223372036854775808, 9223372036854775807), (0, -1)) AS t(r, c);

-- zero rows: the aggregate returns NULL
SELECT nmf_matrix(user_id, item_id, rating) IS NULL AS empty_is_null FROM ratings WHERE false;

-- grouped: one matrix per group
SELECT user_id / 10 % 2 AS grp, nmf_matrix_info(nmf_matrix(user_id, item_id, rating)) ->> 'nnz' AS nnz
FROM ratings GROUP BY 1 ORDER BY 1;

-- bad cells
SELECT nmf_matrix(NULL, 1, 1.0);
SELECT nmf_matrix(1, NULL, 1.0);
SELECT nmf_matrix(1, 1, NULL);
SELECT nmf_matrix(1, 1, -0.5);
SELECT nmf_matrix(1, 1, 'NaN');
SELECT nmf_matrix(1, 1, 'Infinity');
SELECT nmf_matrix(1, 1, '-Infinity');
-- a sum that overflows to infinity
SELECT nmf_matrix(1, 1, v) FROM (VALUES (1e308::float8), (1e308::float8)) AS t(v);
SELECT 1 AS still_alive;

-- the state's functions are for the aggregate only
SELECT nmf_matrix_state_add(NULL, 1, 1, 1);

-- a parallel plan: partial aggregates in workers, combined in the leader
CREATE TABLE big AS SELECT (i % 1000)::bigint AS r, (i % 97)::bigint AS c, (i % 7)::float8 AS v
FROM generate_series(1, 100000) i;
ANALYZE big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT nmf_matrix(r, c, v) FROM big;
CREATE TEMP TABLE par AS SELECT nmf_matrix(r, c, v) AS m FROM big;
RESET max_parallel_workers_per_gather;
SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF) SELECT nmf_matrix(r, c, v) FROM big;
CREATE TEMP TABLE ser AS SELECT nmf_matrix(r, c, v) AS m FROM big;
RESET ALL;
SELECT par.m::bytea = ser.m::bytea AS parallel_equals_serial, nmf_matrix_info(par.m) FROM par, ser;
DROP TABLE big, ratings;

-- combining shipped states as the leader does: packed states (what a worker
-- ships when its column ids span less than 2^32) are kept packed and merged
-- as they are by the final function, or unpacked when the combined state is
-- itself flattened; an unpacked flat state (column ids 2^33 apart) mixes in.
-- Cells several states share are summed. Each way gives the serial matrix.
CREATE AGGREGATE pg_temp.state_of(bigint, bigint, float8)
	(SFUNC = nmf_matrix_state_add, STYPE = nmf_matrix_state);
CREATE AGGREGATE pg_temp.combined(nmf_matrix_state)
	(SFUNC = nmf_matrix_state_combine, STYPE = nmf_matrix_state);
CREATE AGGREGATE pg_temp.combined_matrix(nmf_matrix_state)
	(SFUNC = nmf_matrix_state_combine, STYPE = nmf_matrix_state,
	 FINALFUNC = nmf_matrix_final, FINALFUNC_MODIFY = READ_WRITE);
CREATE TEMP TABLE cells AS
SELECT g, (i % 50)::bigint AS r, CASE WHEN g = 3 AND i % 5 = 0 THEN 8589934592 ELSE i % 13 END AS c,
       (i % 4 + 1)::float8 AS v
FROM generate_series(1, 3) g, generate_series(1, 400) i;
CREATE TEMP TABLE shipped AS SELECT g, pg_temp.state_of(r, c, v) AS s FROM cells GROUP BY g;
-- the flags word (bytes 6-7 of the send form): 3 = sorted and packed, 1 = sorted
SELECT g, get_byte(nmf_matrix_state_send(s), 6) AS flags FROM shipped ORDER BY g;
CREATE TEMP TABLE serial AS SELECT nmf_matrix(r, c, v) AS m FROM cells;
SELECT (SELECT pg_temp.combined_matrix(s ORDER BY g) FROM shipped WHERE g < 3)::bytea
       = (SELECT nmf_matrix(r, c, v) FROM cells WHERE g < 3)::bytea AS packed_runs_merged,
       (SELECT pg_temp.combined_matrix(s ORDER BY g) FROM shipped)::bytea = m::bytea AS mixed_runs_merged,
       (SELECT pg_temp.combined_matrix(x) FROM (SELECT pg_temp.combined(s ORDER BY g)::text::nmf_matrix_state AS x
                                              FROM shipped) q)::bytea = m::bytea AS unpacked_and_flattened,
       nmf_matrix_info(m) ->> 'nnz' AS nnz
FROM serial;
