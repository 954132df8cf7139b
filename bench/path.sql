-- SPDX-License-Identifier: PostgreSQL
-- The whole user path of the benchmark, run by psql (bench/ours.py):
-- the ratings table -> a model in a table -> W and H as tables.
-- Variables: solver, init, rank, iters, seed (psql -v).
\timing on
BEGIN;
CREATE TABLE model AS
SELECT nmf(nmf_matrix(user_id, item_id, rating), :rank, solver => :'solver', init => :'init',
           max_iter => :iters, tol => 0, seed => :seed) AS model
FROM ratings;
CREATE TABLE w AS SELECT w.* FROM model m, nmf_w(m.model) w;
CREATE TABLE h AS SELECT h.* FROM model m, nmf_h(m.model) h;
COMMIT;
