-- Per-group fits that do not abort: a group with nothing to fit (rank above
-- min(rows, cols), every cell 0, no cells) gives NULL and a WARNING naming
-- the condition and its fix; on_small => 'error' makes each an error.
\set VERBOSITY default

-- tenant 1: 20 x 20; tenant 2: 1 x 2 (too small for rank 2); tenant 3: all zeros
CREATE TABLE os_cells (tenant int, u bigint, i bigint, x float8);
INSERT INTO os_cells SELECT 1, u, i, 1 + (u * i) % 5 FROM generate_series(1, 20) u, generate_series(1, 20) i;
INSERT INTO os_cells VALUES (2, 1, 1, 1), (2, 1, 2, 4);
INSERT INTO os_cells VALUES (3, 1, 1, 0), (3, 2, 2, 0), (3, 3, 3, 0);

-- one model per tenant, written to a table; the small and the all-zero tenant get NULL
-- (groups in tenant order, so that the WARNINGs come in a fixed order)
SET enable_hashagg = off;
CREATE TABLE os_models AS
SELECT tenant, nmf(nmf_matrix(u, i, x), 2, max_iter => 20) AS model
FROM os_cells GROUP BY tenant;
RESET enable_hashagg;
SELECT tenant, model IS NOT NULL AS fitted, nmf_info(model) -> 'rows' AS rows
FROM os_models ORDER BY tenant;
-- a group whose cells are all filtered out: nmf_matrix() gives NULL, and so does nmf()
SELECT tenant, nmf(nmf_matrix(u, i, x) FILTER (WHERE x > 0), 1, max_iter => 20) IS NULL AS skipped
FROM os_cells WHERE tenant = 3 GROUP BY tenant;
-- rank above min(rows, cols) outside GROUP BY too
SELECT nmf(nmf_matrix('{{1,2},{3,4}}'::float8[]), 3) IS NULL AS skipped;

\set VERBOSITY sqlstate
-- on_small => 'error': today's errors (22023 rank, 22023 all zero, 22004 NULL)
SELECT tenant, nmf(nmf_matrix(u, i, x), 2, max_iter => 20, on_small => 'error') IS NOT NULL
FROM os_cells WHERE tenant = 2 GROUP BY tenant;
SELECT tenant, nmf(nmf_matrix(u, i, x), 2, max_iter => 20, on_small => 'error') IS NOT NULL
FROM os_cells WHERE tenant = 3 GROUP BY tenant;
SELECT nmf(NULL, 1, on_small => 'error');
-- the other errors stay errors with 'null': a bad option, a bad combination, a NULL rank
SELECT nmf(nmf_matrix(u, i, x), 2, solver => 'als') FROM os_cells WHERE tenant = 1;
SELECT nmf(nmf_matrix(u, i, x), 2, loss => 'kl', solver => 'hals') FROM os_cells WHERE tenant = 1;
SELECT nmf(nmf_matrix(u, i, x), NULL) FROM os_cells WHERE tenant = 2;
-- on_small's names (22023), and NULL (22004)
SELECT nmf(nmf_matrix('{{1}}'::float8[]), 1, on_small => 'skip');
SELECT nmf(nmf_matrix('{{1}}'::float8[]), 1, on_small => NULL);

\set VERBOSITY default
-- nmf_fit: NULL and a WARNING, no tables written; or the error
SELECT nmf_fit('SELECT u, i, x FROM os_cells WHERE tenant = 2', 'u', 'i', 'x', 'os_w', 'os_h', 2);
SELECT nmf_fit('SELECT u, i, x FROM os_cells WHERE false', 'u', 'i', 'x', 'os_w', 'os_h', 1);
SELECT to_regclass('os_w') IS NULL AS no_w_table;
\set VERBOSITY sqlstate
SELECT nmf_fit('SELECT u, i, x FROM os_cells WHERE tenant = 3', 'u', 'i', 'x', 'os_w', 'os_h', 1,
               on_small => 'error');

DROP TABLE os_cells, os_models;
