-- nmf_cv: k-fold cross-validation over held-out stored cells
\set VERBOSITY sqlstate

CREATE TABLE x AS
SELECT nmf_matrix(u, i, 1 + (u % 3) * (i % 4) + (u * i) % 2) AS x
FROM generate_series(1, 30) u, generate_series(1, 20) i
WHERE (u * 7 + i * 3) % 5 <> 0;

CREATE TABLE cv AS SELECT * FROM nmf_cv((SELECT x FROM x), ARRAY[1, 2, 3], folds => 3, seed => 11, max_iter => 100);
-- one row per (rank, fold), in that order
SELECT rank, fold FROM cv;
SELECT bool_and(train_rmse >= 0 AND test_rmse >= 0) AS errors_ok FROM cv;
-- more factors fit the training cells better
SELECT rank, avg(train_rmse) < lag(avg(train_rmse), 1, 'Infinity') OVER (ORDER BY rank) AS better
FROM cv GROUP BY rank ORDER BY rank;
-- deterministic: the same call, the same numbers
SELECT count(*) AS differences FROM (
	SELECT * FROM cv EXCEPT
	SELECT * FROM nmf_cv((SELECT x FROM x), ARRAY[1, 2, 3], folds => 3, seed => 11, max_iter => 100)) d;
-- each row is the score of a fit on the training cells of nmf_split
SELECT round(c.test_rmse::numeric, 10) = round((nmf_score(nmf(matrix => s.train, rank => 2, max_iter => 100, seed => 11), s.test) ->> 'rmse')::numeric, 10) AS same_as_by_hand
FROM cv c, x, nmf_split(x.x, 3, 2, 11) s WHERE c.rank = 2 AND c.fold = 2;

-- nmf's options are passed on only when given
SELECT count(*) FROM nmf_cv((SELECT x FROM x), ARRAY[2], folds => 2, max_iter => 20, solver => 'mu', missing => 'zero', tol => 0);
SELECT * FROM nmf_cv((SELECT x FROM x), ARRAY[2], folds => 2, solver => 'nope');
SELECT * FROM nmf_cv((SELECT x FROM x), ARRAY[0], folds => 2);

-- errors: NULL ranks or folds (22004), no ranks, a NULL rank, folds < 2 (22023); NULL matrix: no rows
SELECT * FROM nmf_cv((SELECT x FROM x), NULL);
SELECT * FROM nmf_cv((SELECT x FROM x), ARRAY[2], folds => NULL);
SELECT * FROM nmf_cv((SELECT x FROM x), '{}'::int[]);
SELECT * FROM nmf_cv((SELECT x FROM x), ARRAY[2, NULL]);
SELECT * FROM nmf_cv((SELECT x FROM x), ARRAY[2], folds => 1);
SELECT count(*) FROM nmf_cv(NULL, ARRAY[2]);

DROP TABLE x, cv;
