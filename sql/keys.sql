-- Keys of any type: a shop's purchases keyed by uuid customers and text SKUs
-- round-trip through the matrix, a fit, W and H, predict, recommend and the
-- rest with the keys intact; wrong types are 42804; a forged key table is refused.
CREATE TABLE k_orders (customer uuid, sku text, qty int);
INSERT INTO k_orders
SELECT ('00000000-0000-0000-0000-' || lpad(to_hex(i), 12, '0'))::uuid, 'SKU-' || j, 1 + (i * j) % 5
FROM generate_series(1, 40) i, generate_series(1, 15) j WHERE (i + 2 * j) % 4 <> 0;
CREATE TABLE k_m AS SELECT nmf_matrix(customer, sku, qty) AS m FROM k_orders;
SELECT nmf_matrix_info(m) ->> 'row_keys' AS row_keys, nmf_matrix_info(m) ->> 'col_keys' AS col_keys,
       nmf_matrix_info(m) -> 'rows' AS rows, nmf_matrix_info(m) -> 'nnz' AS nnz FROM k_m;
-- the text and binary forms keep the keys
SELECT (m::text)::nmf_matrix::bytea = m::bytea AS text_round_trip,
       nmf_matrix(m::bytea)::bytea = m::bytea AS bytea_round_trip FROM k_m;
-- a parallel build (partial states with their keys, combined) equals a serial one
CREATE TABLE k_big AS SELECT md5(i::text) AS u, 'item-' || (i * 7 % 300) AS it, (i % 5 + 1)::float8 AS v
FROM generate_series(1, 60000) i;
ANALYZE k_big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT nmf_matrix(u, it, v) FROM k_big;
CREATE TEMP TABLE k_par AS SELECT nmf_matrix(u, it, v) AS m FROM k_big;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE k_ser AS SELECT nmf_matrix(u, it, v) AS m FROM k_big;
RESET ALL;
SELECT p.m::bytea = s.m::bytea AS parallel_equals_serial, nmf_matrix_info(p.m) ->> 'row_keys' AS row_keys
FROM k_par p, k_ser s;
DROP TABLE k_big;

CREATE TABLE k_model AS SELECT nmf(m, 3, seed => 1, max_iter => 50) AS model FROM k_m;
SELECT nmf_info(model) ->> 'row_keys' AS row_keys, nmf_info(model) ->> 'col_keys' AS col_keys FROM k_model;
-- W and H come back keyed as the table is: every key joins, none is lost
SELECT count(DISTINCT w.id) AS w_keys, count(DISTINCT o.customer) AS customers
FROM k_model, nmf_w(model, NULL::uuid) w LEFT JOIN k_orders o ON o.customer = w.id;
SELECT count(DISTINCT h.id) AS h_keys, bool_and(h.id LIKE 'SKU-%') AS skus
FROM k_model, nmf_h(model, NULL::text) h;
SELECT count(*) AS wide_rows FROM k_model, nmf_h_wide(model, NULL::text) h JOIN (SELECT DISTINCT sku FROM k_orders) s ON s.sku = h.id;
-- a prediction is W H of the keyed relations
WITH w AS (SELECT * FROM k_model, nmf_w(model, NULL::uuid) WHERE id = '00000000-0000-0000-0000-000000000007'),
     h AS (SELECT * FROM k_model, nmf_h(model, NULL::text) WHERE id = 'SKU-3')
SELECT abs((SELECT sum(w.weight * h.weight) FROM w JOIN h USING (factor))
           - nmf_predict(model, '00000000-0000-0000-0000-000000000007'::uuid, 'SKU-3')) < 1e-9 AS predict_is_wh
FROM k_model;
-- an untyped literal is a text key
SELECT nmf_predict(model, '00000000-0000-0000-0000-000000000007'::uuid, 'SKU-3') =
       nmf_predict(model, '00000000-0000-0000-0000-000000000007'::uuid, 'SKU-3'::text) AS literal_is_text
FROM k_model;
SELECT nmf_predict(model, '00000000-0000-0000-0000-000000000007'::uuid, 'SKU-99') IS NULL AS unknown_is_null
FROM k_model;
SELECT nmf_predict(model, '00000000-0000-0000-0000-000000000007'::uuid, 'SKU-99', on_unknown => 'error')
FROM k_model;
SELECT row_id, col_id, score IS NULL AS unknown
FROM k_model, nmf_predict(model, ARRAY['00000000-0000-0000-0000-000000000001'::uuid, NULL],
                          ARRAY['SKU-1', 'SKU-2']) ORDER BY 2;
-- recommend: text SKUs for a uuid customer, the bought ones left out
SELECT count(*) AS listed, bool_and(r.col_id LIKE 'SKU-%') AS skus,
       bool_and(NOT EXISTS (SELECT 1 FROM k_orders o
                            WHERE o.customer = '00000000-0000-0000-0000-000000000002' AND o.sku = r.col_id)) AS unseen
FROM k_model, k_m, nmf_recommend(model, '00000000-0000-0000-0000-000000000002'::uuid, NULL::text, 5,
                                 exclude => m) r;
SELECT row_id, count(*) FROM k_model,
    nmf_recommend(model, ARRAY['00000000-0000-0000-0000-000000000002'::uuid, '00000000-0000-0000-0000-000000000003'],
                  NULL::text, 2) GROUP BY row_id ORDER BY row_id;
SELECT count(*) AS all_rows, count(DISTINCT row_id) AS customers, bool_and(col_id LIKE 'SKU-%') AS skus
FROM k_model, nmf_recommend_all(model, NULL::uuid, NULL::text, 2);
SELECT * FROM k_model, nmf_recommend(model, '00000000-0000-0000-0000-0000000000ff'::uuid, NULL::text, 2,
                                     on_unknown => 'error');
SELECT count(*) AS similar, bool_and(id <> 'SKU-3') AS target_left_out
FROM k_model, nmf_similar(model, 'col', 'SKU-3', 4);
SELECT array_length(nmf_w_vector(model, '00000000-0000-0000-0000-000000000001'::uuid), 1) AS dims,
       nmf_h_vector(model, 'no such sku') IS NULL AS unknown FROM k_model;
SELECT count(*) AS vectors FROM k_model, nmf_h_vectors(model, NULL::text);
-- scoring, splitting and fold-in meet the model by key
SELECT (nmf_score(model, m) ->> 'cells')::int AS cells, (nmf_score(model, m) ->> 'unknown_cells')::int AS unknown
FROM k_model, k_m;
SELECT nmf_matrix_info(s.train) ->> 'row_keys' AS train_keys, nmf_matrix_info(s.test) ->> 'col_keys' AS test_keys,
       (nmf_rank_score(model, s.test, 3, train => s.train) ->> 'rows')::int > 0 AS ranked
FROM k_model, k_m, nmf_split(m, 4, 1) s;
SELECT count(DISTINCT t.id) AS folded_in, bool_and(t.id::text LIKE '00000000-%') AS uuids
FROM k_model, k_m, nmf_split(m, 4, 1) s, nmf_transform(model, s.test, NULL::uuid) t;
-- an update takes new keys in
SELECT count(*) AS new_row_found
FROM k_model, nmf_w(nmf_update(model, (SELECT nmf_matrix('00000000-0000-0000-0000-0000000000aa'::uuid, 'SKU-new'::text, 2.0))),
                    NULL::uuid) w
WHERE w.id = '00000000-0000-0000-0000-0000000000aa' AND w.factor = 1;
SELECT count(*) AS new_col_found
FROM k_model, nmf_h(nmf_update(model, (SELECT nmf_matrix('00000000-0000-0000-0000-0000000000aa'::uuid, 'SKU-new'::text, 2.0))),
                    NULL::text) h
WHERE h.id = 'SKU-new' AND h.factor = 1;

-- wrong types: 42804 with a hint
\set VERBOSITY sqlstate
SELECT count(*) FROM k_model, nmf_w(model);
SELECT count(*) FROM k_model, nmf_h(model, NULL::uuid);
SELECT nmf_predict(model, 1, 2) FROM k_model;
SELECT nmf_score(model, (SELECT nmf_matrix(1, 2, 3.0))) FROM k_model;
SELECT nmf_matrix(now(), 'a'::text, 1);
\set VERBOSITY default
SELECT count(*) FROM k_model, nmf_w(model);
-- a bad value names its keys
SELECT nmf_matrix('row a'::text, '00000000-0000-0000-0000-000000000001'::uuid, -1);
-- integer keys asked for as bigint and as integer
SELECT pg_typeof(id) AS int_keys FROM (SELECT nmf(nmf_matrix(x, y, 1.0 + x * y), 1, seed => 1) AS mm
    FROM generate_series(1, 3) x, generate_series(1, 3) y) f, nmf_w(mm, NULL::int) LIMIT 1;

-- per-tenant fits with keys: the tiny tenant is NULL with a WARNING, the others fitted
CREATE TABLE k_tenants AS
SELECT 'acme'::text AS tenant, customer, sku, qty FROM k_orders
UNION ALL SELECT 'tiny', '00000000-0000-0000-0000-000000000001'::uuid, 'SKU-1', 1;
SELECT tenant, model IS NOT NULL AS fitted, nmf_info(model) ->> 'row_keys' AS row_keys
FROM (SELECT tenant, nmf(nmf_matrix(customer, sku, qty), 3, max_iter => 20) AS model
      FROM k_tenants GROUP BY tenant ORDER BY tenant) t ORDER BY tenant;

-- a key table whose keys do not hash to its ids, or are not text in the
-- database's encoding, is refused (the column keys are the image's last bytes)
CREATE TABLE k_small AS SELECT nmf_matrix(r, c, 1.0)::bytea AS b
FROM (VALUES (1::bigint, 'a'::text), (2, 'b')) v(r, c);
SELECT nmf_matrix(b) IS NOT NULL AS valid FROM k_small;
SELECT nmf_matrix(set_byte(b, length(b) - 8, ascii('c'))) FROM k_small;
SELECT nmf_matrix(set_byte(b, length(b) - 8, 255)) FROM k_small;
SELECT nmf_matrix(set_byte(b, length(b) - 1, 1)) FROM k_small;
DROP TABLE k_orders, k_m, k_model, k_tenants, k_small;
