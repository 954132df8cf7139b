-- SPDX-License-Identifier: PostgreSQL
-- nmf 0.3 -> 0.4: matrices and models are stored uncompressed.
-- A step of the update from 0.1, 0.2 or 0.3 to the current version (src/sql).

\echo Use "ALTER EXTENSION nmf UPDATE TO '0.4'" to load this file. \quit

-- Their payload is mostly doubles, which pglz shrinks by a third at best
-- (S's 2.5 MB model to 1.7 MB) at a high price: compressing it cost 175 ms
-- of a 65 ms fit of one iteration, and every read decompresses it again.
-- EXTERNAL keeps large values out of line but as they are. Columns created
-- from now on take it; a column made earlier keeps its own setting (ALTER
-- TABLE ... ALTER COLUMN ... SET STORAGE EXTERNAL changes it).
ALTER TYPE nmf_matrix SET (STORAGE = external);
ALTER TYPE nmf_model SET (STORAGE = external);
