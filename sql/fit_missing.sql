-- missing => 'ignore': only the stored cells count (ratings); 'zero' (the default)
-- takes absent cells as zeros (counts, pixels)

-- V = a b^T with a = (1, 2, 3), b = (1, 2, 3, 4), the cell (3, 4) = 12 left out.
CREATE TABLE ratings AS SELECT i::bigint AS user_id, j::bigint AS item_id, (i * j)::float8 AS rating
FROM generate_series(1, 3) i, generate_series(1, 4) j WHERE NOT (i = 3 AND j = 4);
CREATE TABLE v AS SELECT nmf_matrix(user_id, item_id, rating) AS x FROM ratings;

-- ignoring the absent cell, every solver recovers it without a ridge: W H at (3, 4) = 12
SELECT solver, round(sum(w.weight * h.weight)::numeric, 4) AS predicted_3_4
FROM v, (VALUES ('hals'), ('mu'), ('gd')) AS s(solver),
     LATERAL (SELECT nmf(x, 1, solver => s.solver, missing => 'ignore', reg => 0, tol => 1e-12, max_iter => 5000) AS m) f,
     nmf_w(f.m) w, nmf_h(f.m) h
WHERE w.id = 3 AND h.id = 4 AND w.factor = h.factor
GROUP BY solver ORDER BY solver;
-- the observed cells are fitted exactly
SELECT (nmf_info(m) ->> 'relative_error')::float8 < 1e-6 AS exact_on_observed,
       nmf_info(m) -> 'options' ->> 'missing' AS missing
FROM (SELECT nmf(x, 1, missing => 'ignore', reg => 0, tol => 1e-12, max_iter => 5000) AS m FROM v) s;

-- taking the absent cell as 0 pulls the prediction down, and the fit is no longer exact
WITH f AS (SELECT nmf(x, 1, tol => 1e-12, max_iter => 5000) AS m FROM v)
SELECT (SELECT sum(w.weight * h.weight) FROM nmf_w(f.m) w JOIN nmf_h(f.m) h USING (factor)
        WHERE w.id = 3 AND h.id = 4) < 11 AS zero_pulls_down,
       (nmf_info(f.m) ->> 'relative_error')::float8 > 1e-3 AS not_exact
FROM f;

-- the masked loss never increases, for every solver
CREATE TABLE sparse AS SELECT nmf_matrix(i, j, ((i * 7 + j * 3) % 5 + 1)::float8) AS x
FROM generate_series(1, 30) i, generate_series(1, 20) j WHERE (i + j) % 3 <> 0;
SELECT solver, count(*) AS iterations, bool_and(loss <= prev * (1 + 1e-12)) AS non_increasing
FROM (SELECT solver, loss, lag(loss) OVER (PARTITION BY solver ORDER BY iteration) AS prev
      FROM sparse, (VALUES ('hals'), ('mu'), ('gd')) AS s(solver),
           nmf_loss_history(nmf(x, 3, solver => s.solver, missing => 'ignore', reg => 0, tol => 0, max_iter => 40))) s
GROUP BY solver ORDER BY solver;

DROP TABLE ratings, v, sparse;
