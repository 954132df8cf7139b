-- nmf_model: text, binary and bytea forms, validated on the way in

-- inner_updates 1: what a model of an earlier version records once upgraded
CREATE TABLE mm AS SELECT nmf(nmf_matrix('{{5,4,1},{4,5,1},{2,1,5}}'::float8[]), 2, seed => 1,
	inner_updates => 1) AS m;

SELECT m::text::nmf_model::bytea = m::bytea AS text_round_trip FROM mm;
SELECT m::bytea::nmf_model::bytea = m::bytea AS bytea_round_trip FROM mm;
SELECT decode(m::text, 'base64') = m::bytea AS text_is_base64 FROM mm;
-- magic "NMDL", format version 5
SELECT substring(m::bytea FROM 1 FOR 6) AS header FROM mm;
-- a model read back answers the same
SELECT nmf_info(m::text::nmf_model) = nmf_info(m) AS same_info FROM mm;

-- stored in a table and read back
CREATE TABLE kept (id int, model nmf_model);
INSERT INTO kept SELECT 1, m FROM mm;
SELECT k.model::bytea = mm.m::bytea AS stored FROM kept k, mm;

-- forged values
SELECT ''::nmf_model;
SELECT 'AAAA'::nmf_model;
SELECT 'not base64'::nmf_model;
SELECT '\x'::bytea::nmf_model;
SELECT '\x4e4d444c'::bytea::nmf_model;
SELECT substring(m::bytea FROM 1 FOR octet_length(m::bytea) - 8)::nmf_model FROM mm;
SELECT (m::bytea || '\x0000000000000000'::bytea)::nmf_model FROM mm;
-- wrong magic, version, reserved field
SELECT overlay(m::bytea PLACING '\x58'::bytea FROM 1 FOR 1)::nmf_model FROM mm;
SELECT overlay(m::bytea PLACING '\x0900'::bytea FROM 5 FOR 2)::nmf_model FROM mm;
SELECT overlay(m::bytea PLACING '\x01'::bytea FROM 7 FOR 1)::nmf_model FROM mm;
-- rows (bytes 13..20) set to a huge number
SELECT overlay(m::bytea PLACING '\xffffffffffffff7f'::bytea FROM 13 FOR 8)::nmf_model FROM mm;
-- rank (bytes 29..36) set to 0 and to -1
SELECT overlay(m::bytea PLACING '\x0000000000000000'::bytea FROM 29 FOR 8)::nmf_model FROM mm;
SELECT overlay(m::bytea PLACING '\xffffffffffffffff'::bytea FROM 29 FOR 8)::nmf_model FROM mm;
-- format version 4 (nmf 0.6: no update fields, the 24 bytes after tune_len),
-- version 2 (nmf 0.2: also no bias fields, the 104 bytes after history_len)
-- and version 1 (nmf 0.1: also no learning_rate field, 8 bytes before the
-- iterations) come in upgraded: the same model, in the current version
CREATE TEMP TABLE old AS
SELECT overlay(overlay(m::bytea PLACING '\x0200'::bytea FROM 5 FOR 2) PLACING ''::bytea FROM 181 FOR 120) AS v2,
	overlay(overlay(overlay(m::bytea PLACING '\x0100'::bytea FROM 5 FOR 2) PLACING ''::bytea FROM 181 FOR 120)
		PLACING ''::bytea FROM 125 FOR 8) AS v1,
	overlay(overlay(m::bytea PLACING '\x0400'::bytea FROM 5 FOR 2) PLACING ''::bytea FROM 261 FOR 40) AS v4,
	m
FROM mm;
SELECT octet_length(m::bytea) - octet_length(v2) AS v2_shorter, octet_length(m::bytea) - octet_length(v1) AS v1_shorter,
	octet_length(m::bytea) - octet_length(v4) AS v4_shorter
FROM old;
SELECT v2::nmf_model::bytea = m::bytea AS version_2_upgraded, v1::nmf_model::bytea = m::bytea AS version_1_upgraded,
	v4::nmf_model::bytea = m::bytea AS version_4_upgraded
FROM old;
SELECT encode(v2, 'base64')::nmf_model::bytea = m::bytea AS version_2_text_upgraded,
	encode(v1, 'base64')::nmf_model::bytea = m::bytea AS version_1_text_upgraded FROM old;
-- and are checked as strictly: a truncated or damaged old value is refused
SELECT substring(v1 FROM 1 FOR 200)::nmf_model FROM old;
SELECT overlay(v1 PLACING '\x000000000000f0bf'::bytea FROM 133 FOR 8)::nmf_model FROM old;
SELECT substring(v2 FROM 1 FOR 200)::nmf_model FROM old;
SELECT overlay(v2 PLACING '\x000000000000f0bf'::bytea FROM 141 FOR 8)::nmf_model FROM old;
-- a matrix is not a model, nor a model a matrix
SELECT nmf_matrix('{{1}}'::float8[])::bytea::nmf_model;
SELECT m::bytea::nmf_matrix FROM mm;
SELECT 1 AS still_alive;

DROP TABLE mm, kept;
