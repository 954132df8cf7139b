-- nmf(): multiplicative updates for the Kullback-Leibler divergence (solver => 'mu', loss => 'kl')

-- At rank 1 the KL optimum is known in closed form: W H = (row sums)(column
-- sums) / total. For the seed's matrix: W = [10, 10, 8] / 28, H = [11, 10, 7].
CREATE TABLE kl AS SELECT nmf(nmf_matrix('{{5,4,1},{4,5,1},{2,1,5}}'::float8[]), 1,
	solver => 'mu', loss => 'kl', tol => 1e-10, max_iter => 500) AS m;
SELECT id, round(weight::numeric, 6) AS w FROM kl, nmf_w(kl.m) ORDER BY id;
SELECT id, round(weight::numeric, 6) AS h FROM kl, nmf_h(kl.m) ORDER BY id;
SELECT nmf_info(m) ->> 'solver' AS solver, nmf_info(m) -> 'options' ->> 'loss' AS loss,
       -- the divergence of that optimum: sum V log(V / W H) - V + W H
       round((nmf_info(m) ->> 'loss')::numeric, 6) AS divergence,
       -- relative_error stays the Frobenius one, ||V - W H|| / ||V||
       round((nmf_info(m) ->> 'relative_error')::numeric, 4) AS relative_error
FROM kl;
SELECT round(sum(v * ln(v / (r * c / 28.0)))::numeric, 6) AS divergence_by_hand
FROM (VALUES (5, 10, 11), (4, 10, 10), (1, 10, 7), (4, 10, 11), (5, 10, 10), (1, 10, 7),
             (2, 8, 11), (1, 8, 10), (5, 8, 7)) AS t(v, r, c);

-- the divergence never increases (Lee & Seung's theorem 2), with absent cells as zeros
-- and with only the stored cells counted
CREATE TABLE sparse AS SELECT nmf_matrix(i, j, ((i * 7 + j * 3) % 5 + 1)::float8) AS x
FROM generate_series(1, 30) i, generate_series(1, 20) j WHERE (i + j) % 3 <> 0;
SELECT missing, count(*) AS iterations, bool_and(loss <= prev * (1 + 1e-12)) AS non_increasing
FROM (SELECT missing, loss, lag(loss) OVER (PARTITION BY missing ORDER BY iteration) AS prev
      FROM sparse, (VALUES ('zero'), ('ignore')) AS o(missing),
           nmf_loss_history(nmf(x, 3, solver => 'mu', loss => 'kl', missing => missing,
                                tol => 0, max_iter => 40, loss_every => 1))) s
GROUP BY missing ORDER BY missing;

-- the loss takes a pass over the cells: by default it is computed and recorded
-- every 10th iteration and after the last; loss_every chooses the cadence,
-- and the factors are the same whatever it is
SELECT e, nmf_info(m) -> 'options' -> 'loss_every' AS loss_every,
       (SELECT array_agg(iteration ORDER BY iteration) FROM nmf_loss_history(m)) AS recorded
FROM sparse, (VALUES (NULL), (7), (1)) AS o(e),
     LATERAL (SELECT nmf(x, 3, loss => 'kl', tol => 0, max_iter => 25, loss_every => e) AS m) f
ORDER BY e NULLS FIRST;
SELECT count(DISTINCT (SELECT string_agg(weight::text, ',' ORDER BY id, factor) FROM nmf_w(m))) AS distinct_w
FROM sparse, (VALUES (NULL), (7), (1)) AS o(e),
     LATERAL (SELECT nmf(x, 3, loss => 'kl', tol => 0, max_iter => 25, loss_every => e) AS m) f;

-- an exact non-negative rank-2 matrix: the divergence goes to 0
SELECT (nmf_info(m) ->> 'loss')::float8 < 1e-6 AS exact
FROM (SELECT nmf(nmf_matrix('{{3,3,3,0,0},{3,3,3,0,0},{0,0,0,2,2},{0,0,0,2,2}}'::float8[]), 2,
                 solver => 'mu', loss => 'kl', init => 'nndsvda', tol => 0, max_iter => 500) AS m) s;

DROP TABLE kl, sparse;
