-- nmf_transform: fold-in of new rows with H fixed (non-negative least squares per row)

-- At a fitted model's stationary point, W's rows are their own fold-in.
CREATE TABLE seed AS
SELECT nmf(x, 1, max_iter => 5000, tol => 0) AS m, x
FROM (SELECT nmf_matrix('{{5,4,1},{4,5,1},{2,1,5}}'::float8[]) AS x) s;
SELECT t.id, t.factor, round(t.weight::numeric, 4) AS folded_in, round(w.weight::numeric, 4) AS w
FROM seed, nmf_transform(m, x) t JOIN nmf_w(m) w USING (id, factor) ORDER BY t.id;

-- a new row: its weights, and its predicted cells through H
CREATE TABLE model AS
SELECT nmf(nmf_matrix(u, i, 1 + (u * 3 + i * 7) % 5), 2, seed => 3, max_iter => 3000, tol => 0) AS m
FROM generate_series(1, 10) u, generate_series(1, 6) i;
CREATE TABLE newcomer AS SELECT nmf_matrix(100, i, v) AS x FROM (VALUES (1, 5.0), (2, 1.0), (4, 4.0)) c(i, v);
SELECT count(*) AS weights, count(DISTINCT factor) AS factors, bool_and(weight >= 0) AS non_negative,
       bool_and(id = 100) AS its_id
FROM model, newcomer, nmf_transform(m, x);
-- the least-squares optimality (KKT) conditions over all 6 columns (absent cells as zeros):
-- for each factor, the gradient is 0 where the weight is positive and >= 0 where it is 0
WITH t AS (SELECT factor, weight FROM model, newcomer, nmf_transform(m, x)),
     h AS (SELECT id, factor, weight FROM model, nmf_h(m)),
     obs AS (SELECT * FROM (VALUES (1, 5.0), (2, 1.0), (4, 4.0)) c(i, v)),
     pred AS (SELECT h.id, sum(t.weight * h.weight) AS p FROM t JOIN h USING (factor) GROUP BY h.id),
     grad AS (SELECT h.factor, sum(h.weight * (pred.p - coalesce(obs.v, 0))) AS g
              FROM h JOIN pred USING (id) LEFT JOIN obs ON obs.i = h.id GROUP BY h.factor)
SELECT bool_and(CASE WHEN t.weight > 0 THEN abs(g) < 1e-9 ELSE g > -1e-9 END) AS kkt
FROM grad JOIN t USING (factor);
-- a new row that is exactly 0.3 H[1] + 0.7 H[2] on every column gets the weights (0.3, 0.7)
SELECT factor, round(weight::numeric, 9) AS weight
FROM model, nmf_transform(m, (SELECT nmf_matrix(777, id, v)
                              FROM (SELECT h.id, sum(CASE h.factor WHEN 1 THEN 0.3 ELSE 0.7 END * h.weight) AS v
                                    FROM model, nmf_h(model.m) h GROUP BY h.id) c)) t
ORDER BY factor;

-- cells in columns the model lacks are ignored, with a NOTICE counting them
SELECT (SELECT array_agg(weight ORDER BY factor)
        FROM model, nmf_transform(m, (SELECT nmf_matrix(100, i, v)
                                      FROM (VALUES (1, 5.0), (2, 1.0), (4, 4.0), (70, 3.0), (71, 1.0)) c(i, v))))
     = (SELECT array_agg(weight ORDER BY factor) FROM model, newcomer, nmf_transform(m, x)) AS same_as_without_them;
-- a row with only unknown columns: zero weights
SELECT id, factor, weight FROM model, nmf_transform(m, (SELECT nmf_matrix(5, 99, 2.0))) ORDER BY factor;
-- many rows at once, in id order
SELECT id, count(*) FROM model, nmf_transform(m, (SELECT nmf_matrix(u, i, 1) FROM generate_series(201, 203) u, generate_series(1, 3) i)) GROUP BY id ORDER BY id;

-- NULL model or matrix: no rows (strict)
SELECT count(*) FROM model, nmf_transform(m, NULL);
SELECT count(*) FROM nmf_transform(NULL, (SELECT nmf_matrix(1, 1, 1)));

DROP TABLE seed, model, newcomer;
