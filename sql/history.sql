-- nmf_loss_history: the objective after every iteration; nmf_progress without a running fit

CREATE TABLE hm AS SELECT nmf(nmf_matrix('{{5,4,1},{4,5,1},{2,1,5}}'::float8[]), 1, solver => 'mu',
	max_iter => 25, tol => 0) AS m;
-- one row per iteration, numbered from 1
SELECT count(*) AS rows, min(iteration), max(iteration) FROM hm, nmf_loss_history(hm.m);
SELECT (SELECT count(*) FROM nmf_loss_history(m)) = (nmf_info(m) ->> 'iterations')::int AS one_per_iteration
FROM hm;
-- the last entry is the model's final loss
SELECT loss = (nmf_info(m) ->> 'loss')::float8 AS last_is_final
FROM hm, nmf_loss_history(hm.m) WHERE iteration = 25;
-- multiplicative updates never increase the loss; seconds never go back
SELECT bool_and(loss <= prev_loss * (1 + 1e-12)) AS non_increasing, bool_and(seconds >= prev_s) AS clock_forward
FROM (SELECT loss, seconds, lag(loss) OVER w AS prev_loss, lag(seconds) OVER w AS prev_s
	  FROM hm, nmf_loss_history(hm.m) WINDOW w AS (ORDER BY iteration)) s
WHERE prev_loss IS NOT NULL;
SELECT iteration, round(loss::numeric, 3) AS loss FROM hm, nmf_loss_history(hm.m) WHERE iteration IN (1, 25)
ORDER BY iteration;
SELECT count(*) FROM nmf_loss_history(NULL);
-- no fit is running in another session of this test
SELECT count(*) AS running FROM nmf_progress WHERE pid <> pg_backend_pid();
DROP TABLE hm;
