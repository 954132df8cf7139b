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
