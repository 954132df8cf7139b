-- Option errors: what is accepted, and which combinations work (all 22023 unless noted)
CREATE TABLE x3 AS SELECT nmf_matrix('{{5,4,1},{4,5,1},{2,1,5}}'::float8[]) AS x;

-- unknown names list the accepted ones
SELECT nmf(x, 1, solver => 'als') FROM x3;
SELECT nmf(x, 1, loss => 'itakura-saito') FROM x3;
SELECT nmf(x, 1, init => 'svd') FROM x3;
SELECT nmf(x, 1, missing => 'mean') FROM x3;
-- combinations: kl needs mu (solver NULL is mu for it); learning_rate is gd's
SELECT nmf_info(nmf(x, 1, loss => 'kl')) ->> 'solver' AS solver FROM x3;
SELECT nmf(x, 1, solver => 'hals', loss => 'kl') FROM x3;
SELECT nmf(x, 1, solver => 'gd', loss => 'kl') FROM x3;
SELECT nmf(x, 1, learning_rate => 0.1) FROM x3;
SELECT nmf(x, 1, solver => 'gd', learning_rate => 0) FROM x3;
SELECT nmf(x, 1, solver => 'gd', learning_rate => 'NaN') FROM x3;
SELECT nmf(x, 1, max_iter => -1) FROM x3;
-- initial factors
SELECT nmf(x, 1, init => 'custom') FROM x3;
SELECT nmf(x, 1, w_init => '{{1},{1},{1}}') FROM x3;
SELECT nmf(x, 1, init => 'nndsvd', w_init => '{{1},{1},{1}}', h_init => '{{1,1,1}}') FROM x3;
SELECT nmf(x, 1, w_init => '{{1},{1}}', h_init => '{{1,1,1}}') FROM x3;
SELECT nmf(x, 1, w_init => '{{1},{1},{1}}', h_init => '{{1,1}}') FROM x3;
SELECT nmf(x, 1, w_init => '{1,1,1}', h_init => '{{1,1,1}}') FROM x3;
SELECT nmf(x, 1, w_init => '{{1},{-1},{1}}', h_init => '{{1,1,1}}') FROM x3;
SELECT nmf(x, 1, w_init => '{{1},{NaN},{1}}', h_init => '{{1,1,1}}') FROM x3;
SELECT nmf(x, 1, w_init => '{{1},{NULL},{1}}', h_init => '{{1,1,1}}') FROM x3;
SELECT nmf(x, 1, init => 'warm_start') FROM x3;
SELECT nmf(x, 2, warm_start => nmf(x, 1)) FROM x3;
SELECT nmf(x, 1, init => 'nndsvd', warm_start => nmf(x, 1)) FROM x3;
-- and the session goes on
SELECT nmf_info(nmf(x, 1, w_init => '{{1},{1},{1}}', h_init => '{{1,1,1}}')) -> 'options' ->> 'init' AS init FROM x3;
DROP TABLE x3;
