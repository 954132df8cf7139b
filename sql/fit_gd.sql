-- nmf(): projected gradient descent (solver => 'gd'), adaptive or fixed step

CREATE TABLE seed AS SELECT nmf_matrix('{{5,4,1},{4,5,1},{2,1,5}}'::float8[]) AS x;

-- the adaptive step (learning_rate NULL) reaches the seed's optimum
SELECT bool_and(abs(weight - want) / want < 1e-3) AS adaptive_w_within_1e3
FROM (SELECT nmf(x, 1, solver => 'gd', tol => 1e-9, max_iter => 2000) AS m FROM seed) s,
     nmf_w(s.m) JOIN (VALUES (1, 0.38873), (2, 0.38630), (3, 0.22497)) AS o(id, want) USING (id);
-- so does a small fixed step, which is recorded
CREATE TABLE fixed AS SELECT nmf(x, 1, solver => 'gd', learning_rate => 0.005, tol => 1e-10, max_iter => 3000) AS m FROM seed;
SELECT bool_and(abs(weight - want) / want < 1e-3) AS fixed_h_within_1e3
FROM fixed, nmf_h(fixed.m) JOIN (VALUES (1, 11.2232), (2, 10.5753), (3, 5.41347)) AS o(id, want) USING (id);
SELECT nmf_info(m) -> 'options' -> 'learning_rate' AS learning_rate, nmf_info(m) ->> 'solver' AS solver FROM fixed;

-- mu and gd from the same init converge to the same W and H
SELECT max(abs(a.weight - b.weight)) < 1e-6 AS same_w
FROM seed, nmf_w(nmf(x, 1, solver => 'mu', init => 'nndsvda', tol => 0, max_iter => 2000)) a
     JOIN nmf_w(nmf(x, 1, solver => 'gd', init => 'nndsvda', tol => 0, max_iter => 2000)) b USING (id, factor);

-- with the adaptive step the loss never increases
CREATE TABLE sparse AS SELECT nmf_matrix(i, j, ((i * 7 + j * 3) % 5 + 1)::float8) AS x
FROM generate_series(1, 30) i, generate_series(1, 20) j WHERE (i + j) % 3 <> 0;
SELECT count(*) AS iterations, bool_and(loss <= prev * (1 + 1e-12)) AS non_increasing
FROM (SELECT loss, lag(loss) OVER (ORDER BY iteration) AS prev
      FROM sparse, nmf_loss_history(nmf(x, 3, solver => 'gd', tol => 0, max_iter => 50))) s;

DROP TABLE seed, fixed, sparse;
