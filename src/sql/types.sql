-- SPDX-License-Identifier: PostgreSQL
-- The extension's three types, their input and output functions, and their
-- casts to and from bytea.
--
-- Each type is stored as the binary form its send function writes; the text
-- form is the base64 of it. Every input path (in, recv, the cast from bytea)
-- validates the whole value, so a forged value is an error, never a crash.

-- Shell types first: the input and output functions name them.
CREATE TYPE nmf_matrix;
CREATE TYPE nmf_matrix_state;
CREATE TYPE nmf_model;

CREATE OR REPLACE FUNCTION nmf_matrix_in(cstring) RETURNS nmf_matrix
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_matrix_in(cstring) IS 'text input of nmf_matrix: base64 of the binary form, validated';
CREATE OR REPLACE FUNCTION nmf_matrix_out(nmf_matrix) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_matrix_out(nmf_matrix) IS 'text output of nmf_matrix: base64 of the binary form';
CREATE OR REPLACE FUNCTION nmf_matrix_recv(internal) RETURNS nmf_matrix
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_matrix_recv(internal) IS 'binary input of nmf_matrix, validated';
CREATE OR REPLACE FUNCTION nmf_matrix_send(nmf_matrix) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_matrix_send(nmf_matrix) IS 'binary output of nmf_matrix';
CREATE OR REPLACE FUNCTION nmf_matrix_state_in(cstring) RETURNS nmf_matrix_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_matrix_state_in(cstring) IS 'text input of the aggregate state (how Citus ships it), validated';
CREATE OR REPLACE FUNCTION nmf_matrix_state_out(nmf_matrix_state) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_matrix_state_out(nmf_matrix_state) IS 'text output of the aggregate state';
CREATE OR REPLACE FUNCTION nmf_matrix_state_recv(internal) RETURNS nmf_matrix_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_matrix_state_recv(internal) IS 'binary input of the aggregate state, validated';
CREATE OR REPLACE FUNCTION nmf_matrix_state_send(nmf_matrix_state) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_matrix_state_send(nmf_matrix_state) IS 'binary output of the aggregate state';
CREATE OR REPLACE FUNCTION nmf_model_in(cstring) RETURNS nmf_model
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_model_in(cstring) IS 'text input of nmf_model: base64 of the binary form, validated (format 1 upgraded)';
CREATE OR REPLACE FUNCTION nmf_model_out(nmf_model) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_model_out(nmf_model) IS 'text output of nmf_model: base64 of the binary form';
CREATE OR REPLACE FUNCTION nmf_model_recv(internal) RETURNS nmf_model
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_model_recv(internal) IS 'binary input of nmf_model, validated (format 1 upgraded)';
CREATE OR REPLACE FUNCTION nmf_model_send(nmf_model) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_model_send(nmf_model) IS 'binary output of nmf_model';

-- Matrices and models are stored uncompressed: their payload is mostly
-- doubles, which pglz barely shrinks at a high cost on every write and read.
-- The aggregate's state, mostly ids, compresses.
CREATE TYPE nmf_matrix (INPUT = nmf_matrix_in, OUTPUT = nmf_matrix_out, RECEIVE = nmf_matrix_recv,
	SEND = nmf_matrix_send, INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = external);
CREATE TYPE nmf_matrix_state (INPUT = nmf_matrix_state_in, OUTPUT = nmf_matrix_state_out,
	RECEIVE = nmf_matrix_state_recv, SEND = nmf_matrix_state_send,
	INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = extended);
CREATE TYPE nmf_model (INPUT = nmf_model_in, OUTPUT = nmf_model_out, RECEIVE = nmf_model_recv,
	SEND = nmf_model_send, INTERNALLENGTH = VARIABLE, ALIGNMENT = double, STORAGE = external);
COMMENT ON TYPE nmf_matrix IS
	'a sparse non-negative matrix (CSR) with the user''s bigint row and column ids';
COMMENT ON TYPE nmf_matrix_state IS
	'partial state of the nmf_matrix aggregate: the cells seen so far (parallel workers ship theirs sorted, duplicates summed, packed)';
COMMENT ON TYPE nmf_model IS
	'a fitted NMF model: W, H, the row and column ids, the options and a fit summary';

-- Casts to and from bytea: the binary form, validated on the way in.
CREATE OR REPLACE FUNCTION nmf_matrix(bytea) RETURNS nmf_matrix AS 'MODULE_PATHNAME', 'nmf_matrix_from_bytea'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION bytea(nmf_matrix) RETURNS bytea AS 'MODULE_PATHNAME', 'nmf_matrix_to_bytea'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION nmf_model(bytea) RETURNS nmf_model AS 'MODULE_PATHNAME', 'nmf_model_from_bytea'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION bytea(nmf_model) RETURNS bytea AS 'MODULE_PATHNAME', 'nmf_model_to_bytea'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nmf_matrix(bytea) IS 'the cast bytea -> nmf_matrix: the binary form, validated';
COMMENT ON FUNCTION bytea(nmf_matrix) IS 'the cast nmf_matrix -> bytea: the binary form';
COMMENT ON FUNCTION nmf_model(bytea) IS 'the cast bytea -> nmf_model: the binary form, validated';
COMMENT ON FUNCTION bytea(nmf_model) IS 'the cast nmf_model -> bytea: the binary form';
CREATE CAST (bytea AS nmf_matrix) WITH FUNCTION nmf_matrix(bytea);
CREATE CAST (nmf_matrix AS bytea) WITH FUNCTION bytea(nmf_matrix);
CREATE CAST (bytea AS nmf_model) WITH FUNCTION nmf_model(bytea);
CREATE CAST (nmf_model AS bytea) WITH FUNCTION bytea(nmf_model);
COMMENT ON CAST (bytea AS nmf_matrix) IS 'a matrix from its binary form, validated';
COMMENT ON CAST (nmf_matrix AS bytea) IS 'a matrix''s binary form';
COMMENT ON CAST (bytea AS nmf_model) IS 'a model from its binary form, validated';
COMMENT ON CAST (nmf_model AS bytea) IS 'a model''s binary form';
