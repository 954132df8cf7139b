-- W and H as relations: long and wide forms, nmf_info

CREATE TABLE ratings (user_id bigint, item_id bigint, rating float8);
INSERT INTO ratings VALUES
	(10, 100, 5), (10, 200, 4), (10, 300, 1),
	(20, 100, 4), (20, 200, 5), (20, 300, 1),
	(30, 100, 2), (30, 200, 1), (30, 300, 5),
	(40, 100, 1), (40, 300, 4);
CREATE TABLE items (item_id bigint, title text);
INSERT INTO items VALUES (100, 'Alien'), (200, 'Aliens'), (300, 'Amelie');

CREATE TABLE model AS
SELECT nmf(nmf_matrix(user_id, item_id, rating), 2, seed => 42, max_iter => 2000, tol => 1e-9) AS m
FROM ratings;

-- long form: one row per (id, factor), ids are the user's
SELECT count(*) AS w_rows, count(DISTINCT id) AS ids, min(factor), max(factor) FROM model, nmf_w(model.m);
SELECT count(*) AS h_rows, count(DISTINCT id) AS ids, min(factor), max(factor) FROM model, nmf_h(model.m);
SELECT bool_and(weight >= 0) AS non_negative FROM model, nmf_w(model.m);
SELECT bool_and(weight >= 0) AS non_negative FROM model, nmf_h(model.m);
-- W's columns sum to 1
SELECT factor, round(sum(weight)::numeric, 10) FROM model, nmf_w(model.m) GROUP BY factor ORDER BY factor;
-- factors in decreasing weight: factor 1's H row sums to more than factor 2's
SELECT factor, sum(weight) <= lag(sum(weight), 1, 'Infinity') OVER (ORDER BY factor) AS in_order
FROM model, nmf_h(model.m) GROUP BY factor ORDER BY factor;
SELECT jsonb_array_length(nmf_info(m) -> 'factor_weights') AS factors FROM model;

-- joined with the user's table: the top film of each factor
SELECT DISTINCT ON (h.factor) h.factor, i.title
FROM model, nmf_h(model.m) h JOIN items i ON i.item_id = h.id
ORDER BY h.factor, h.weight DESC;

-- a predicted score: sum over factors of W[u, f] * H[f, i], close to the rating
SELECT r.user_id, r.item_id, r.rating, round(sum(w.weight * h.weight)::numeric, 1) AS predicted
FROM ratings r, model, nmf_w(model.m) w, nmf_h(model.m) h
WHERE w.id = r.user_id AND h.id = r.item_id AND w.factor = h.factor AND r.user_id = 10
GROUP BY 1, 2, 3 ORDER BY 2;

-- wide form: one row per id, its weights in factor order, equal to the long form
SELECT count(*) AS rows, min(array_length(weights, 1)) AS len FROM model, nmf_w_wide(model.m);
SELECT count(*) AS cols, min(array_length(weights, 1)) AS len FROM model, nmf_h_wide(model.m);
SELECT bool_and(wide.weights[long.factor] = long.weight) AS wide_equals_long
FROM model, nmf_w_wide(model.m) wide JOIN nmf_w(model.m) long USING (id);
SELECT bool_and(wide.weights[long.factor] = long.weight) AS wide_equals_long
FROM model, nmf_h_wide(model.m) wide JOIN nmf_h(model.m) long USING (id);

-- nmf_info: every documented key
SELECT k FROM model, jsonb_object_keys(nmf_info(m)) k ORDER BY k;
SELECT nmf_info(m) -> 'rows' AS rows, nmf_info(m) -> 'cols' AS cols, nmf_info(m) -> 'nnz' AS nnz,
       nmf_info(m) -> 'rank' AS rank, nmf_info(m) ->> 'solver' AS solver,
       (nmf_info(m) ->> 'seconds')::float8 >= 0 AS seconds_ok,
       (nmf_info(m) ->> 'iterations')::int BETWEEN 1 AND 2000 AS iterations_ok
FROM model;
SELECT nmf_info(m) -> 'options' AS options FROM model;

-- NULL in, NULL out (the functions are strict)
SELECT count(*) FROM nmf_w(NULL);
SELECT nmf_info(NULL) IS NULL AS null_info;

DROP TABLE ratings, items, model;
