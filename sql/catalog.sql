-- Every object of the extension (function, aggregate, type, cast, view) has a comment.
SELECT pg_describe_object(d.classid, d.objid, 0) AS undocumented
FROM pg_depend d
WHERE d.refclassid = 'pg_extension'::regclass
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'nmf')
  AND d.deptype = 'e'
  AND obj_description(d.objid, (SELECT relname FROM pg_class WHERE oid = d.classid)) IS NULL
ORDER BY 1;
-- and the extension is at its default version
SELECT extversion = (SELECT default_version FROM pg_available_extensions WHERE name = 'nmf') AS current
FROM pg_extension WHERE extname = 'nmf';
-- Schema safety: every SQL and plpgsql function runs with a search_path of its
-- own, except nmf_fit_distributed, which must see the caller's current schema
-- and so names everything it calls by schema; and the extension cannot be
-- moved to another schema (its scripts name their schema).
SELECT p.proname, l.lanname, p.proconfig
FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid JOIN pg_language l ON l.oid = p.prolang
WHERE d.classid = 'pg_proc'::regclass AND d.refclassid = 'pg_extension'::regclass
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'nmf') AND d.deptype = 'e'
  AND l.lanname IN ('sql', 'plpgsql')
ORDER BY 1;
SELECT extrelocatable FROM pg_extension WHERE extname = 'nmf';
