-- SPDX-License-Identifier: PostgreSQL
-- Progress: the fits running now, read from shared memory (the library must
-- be in shared_preload_libraries for the view to have rows).

CREATE OR REPLACE FUNCTION nmf_progress_read()
	RETURNS TABLE (pid int, started timestamptz, solver text, rows bigint, cols bigint, rank int,
		iteration int, max_iter int, loss float8, seconds float8)
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION nmf_progress_read() IS 'what the nmf_progress view shows';

-- Schema-safe as it is: a view is bound to the function it reads when it is
-- made (by its oid), so the caller's search_path cannot change what it calls.
CREATE OR REPLACE VIEW nmf_progress AS SELECT * FROM nmf_progress_read();
COMMENT ON VIEW nmf_progress IS
	'fits running now, one row per backend: iteration, loss, seconds (needs shared_preload_libraries = ''nmf'')';
GRANT SELECT ON nmf_progress TO PUBLIC;
