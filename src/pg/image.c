/* SPDX-License-Identifier: PostgreSQL */
/*
 * The varlena images of the three types, shared by their I/O functions: one
 * validator per type (in the core) guards every way a value comes in (text,
 * binary, bytea cast), so all three paths accept exactly the same bytes.
 */
#include "postgres.h"

#include "common/base64.h"
#include "libpq/pqformat.h"
#include "nmfpg.h"
#include "nmfpg_keys.h"

/* Copies bytes that follow the length word into a fresh, aligned value and validates it. */
struct varlena *
nmfpg_image_from_bytes(const char *data, int64 len, nmfpg_validate_fn validate, int sqlstate)
{
	struct varlena *image;
	NmfcError err;
	int64 size = len + VARHDRSZ;

	if (len < 0 || (Size)size > MaxAllocSize)
		ereport(ERROR,
		        (errcode(sqlstate), errmsg("value of " INT64_FORMAT " bytes is too large", len)));
	image = (struct varlena *)palloc(size);
	SET_VARSIZE(image, size);
	memcpy(VARDATA(image), data, len);
	nmfpg_raise(validate(image, (size_t)size, &err), &err, sqlstate);
	nmfpg_verify_keys(image, sqlstate);
	return image;
}

/* The binary receive form: the bytes after the length word, validated. */
struct varlena *
nmfpg_image_recv(StringInfo buf, nmfpg_validate_fn validate)
{
	struct varlena *image = nmfpg_image_from_bytes(buf->data + buf->cursor, buf->len - buf->cursor,
	                                               validate, ERRCODE_INVALID_BINARY_REPRESENTATION);

	buf->cursor = buf->len;
	return image;
}

/* The binary send form (and the bytea cast's bytes): the image after its length word. */
bytea *
nmfpg_image_send(Datum d)
{
	struct varlena *image = nmfpg_detoast_aligned(d);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbytes(&buf, VARDATA(image), VARSIZE(image) - VARHDRSZ);
	return pq_endtypsend(&buf);
}

/* The cast from bytea: the same validation as the receive form. */
struct varlena *
nmfpg_image_from_bytea(Datum d, nmfpg_validate_fn validate)
{
	bytea *b = DatumGetByteaPP(d);

	return nmfpg_image_from_bytes(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), validate,
	                              ERRCODE_INVALID_BINARY_REPRESENTATION);
}

char *
nmfpg_image_to_base64(const struct varlena *image)
{
	int len = (int)VARSIZE(image) - VARHDRSZ;
	int64 out_len = pg_b64_enc_len(len);
	char *out;
	int written;

	/* base64 grows a value by a third: a model near 1 GB has no text form. */
	if (len > (int)(MaxAllocSize / 4 * 3) - 4)
		ereport(ERROR,
		        (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
		         errmsg("value of %d bytes is too large for its text form", len),
		         errhint("Use the binary form (COPY ... (FORMAT binary) or a bytea cast).")));
	out = palloc(out_len + 1);
	written = pg_b64_encode(VARDATA_ANY(image), len, out, (int)out_len);
	if (written < 0)
		elog(ERROR, "base64 encoding failed");
	out[written] = '\0';
	return out;
}

struct varlena *
nmfpg_image_from_base64(const char *text, nmfpg_validate_fn validate, const char *typname)
{
	size_t text_len;
	int dec_len;
	char *bytes;
	char *compact;
	int n;

	/* Line breaks and spaces, as encode(..., 'base64') and mail clients insert, are skipped. */
	compact = palloc(strlen(text) + 1);
	text_len = 0;
	for (const char *p = text; *p; p++)
		if (!(*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
			compact[text_len++] = *p;
	compact[text_len] = '\0';
	text = compact;

	if (text_len > MaxAllocSize)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
		                errmsg("input for type %s is too long", typname)));
	dec_len = pg_b64_dec_len((int)text_len);
	bytes = palloc(dec_len + 1);
	n = pg_b64_decode(text, (int)text_len, bytes, dec_len);
	if (n < 0)
		ereport(ERROR,
		        (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
		         errmsg("invalid input syntax for type %s: not base64", typname),
		         text[0] == '{'
		             ? errhint("A dense matrix is built with nmf_matrix('{{...}}'::float8[]).")
		             : 0));
	return nmfpg_image_from_bytes(bytes, n, validate, ERRCODE_INVALID_TEXT_REPRESENTATION);
}

/* Detoasts and makes sure the image's 8-byte fields are aligned, copying if not. */
struct varlena *
nmfpg_detoast_aligned(Datum d)
{
	struct varlena *v = PG_DETOAST_DATUM(d);

	if (((uintptr_t)v) % 8 != 0)
	{
		struct varlena *copy = (struct varlena *)palloc(VARSIZE(v));

		memcpy(copy, v, VARSIZE(v));
		v = copy;
	}
	return v;
}

/*
 * A matrix argument is validated in full: it costs one pass over the cells,
 * little beside a fit, and the solvers index arrays with its contents. As
 * stored: dense or CSR (only the fit reads the dense form).
 */
const NmfMatrixFlat *
nmfpg_matrix_arg_stored(Datum d)
{
	struct varlena *v = nmfpg_detoast_aligned(d);
	NmfcError err;

	nmfpg_raise(nmfc_matrix_validate(v, VARSIZE(v), &err), &err, ERRCODE_DATA_CORRUPTED);
	return (const NmfMatrixFlat *)v;
}

/* A matrix argument in CSR form, what every reader but the fit walks. */
const NmfMatrixFlat *
nmfpg_matrix_arg(Datum d)
{
	const NmfMatrixFlat *m = nmfpg_matrix_arg_stored(d);
	const NmfMatrixFlat *csr = nmfpg_matrix_sparse(m);

	/* A detoasted copy of a dense image is not needed past its CSR form. */
	if (csr != m && (Pointer)m != DatumGetPointer(d))
		pfree((void *)m);
	return csr;
}

/* The CSR form of a validated image: itself, or a new value of it when dense. */
const NmfMatrixFlat *
nmfpg_matrix_sparse(const NmfMatrixFlat *m)
{
	struct varlena *out;

	if ((m->flags & NMF_MATRIX_DENSE) == 0)
		return m;
	out = nmfpg_alloc_image(nmfc_matrix_sparse_size(m), "the nmf_matrix's sparse form");
	nmfc_matrix_write_sparse(m, out);
	return (const NmfMatrixFlat *)out;
}

/*
 * A new matrix image that stores every cell, in the dense form (8 bytes a
 * cell instead of 12); any other as it is.
 */
struct varlena *
nmfpg_matrix_compact(struct varlena *image)
{
	Size size = nmfc_matrix_densify(image, VARSIZE(image));

	if (size == VARSIZE(image))
		return image;
	SET_VARSIZE(image, size);
	return (struct varlena *)repalloc_huge(image, size);
}

/*
 * A model of an older format version as a current one, in a new value; a
 * current one (or not a model: the validator says why) as it is. The upgrade validates the result
 * in full.
 */
struct varlena *
nmfpg_model_current(struct varlena *v, int sqlstate)
{
	NmfcError err;
	struct varlena *up;
	int version = nmfc_model_version(v, VARSIZE(v));
	int64 growth;
	Size size;

	if (version < 1 || version >= NMF_MODEL_VERSION)
		return v;
	growth = nmfc_model_upgrade_growth(version);
	size = VARSIZE(v) + (Size)growth;
	if (size > MaxAllocSize)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
		                errmsg("an nmf_model of format version %d this large cannot be upgraded",
		                       version)));
	up = (struct varlena *)palloc(size);
	nmfpg_raise(nmfc_model_upgrade(v, VARSIZE(v), up, size, &err), &err, sqlstate);
	SET_VARSIZE(up, size);
	return up;
}

/*
 * A model was validated when it came in; here the header and total size are
 * checked again (O(1)), so every array read below stays inside the value.
 */
const NmfModelFlat *
nmfpg_model_arg(Datum d)
{
	struct varlena *v = nmfpg_model_current(nmfpg_detoast_aligned(d), ERRCODE_DATA_CORRUPTED);
	const NmfModelFlat *m = (const NmfModelFlat *)v;

	if (VARSIZE(v) < sizeof(NmfModelFlat) || m->magic != NMF_MODEL_MAGIC ||
	    m->version != NMF_MODEL_VERSION || nmfc_model_image_size(m) != (int64)VARSIZE(v))
		ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED), errmsg("corrupted nmf_model value")));
	return m;
}

/*
 * A new value of `size` bytes (length word set, the rest for the core to
 * write), checked against the varlena and nmf.max_memory limits first.
 */
struct varlena *
nmfpg_alloc_image(int64 size, const char *what)
{
	struct varlena *image;

	nmfpg_check_image_size(size, what);
	nmfpg_check_memory(size, what);
	image = (struct varlena *)palloc(size);
	nmfc_advise_huge_pages(image, (size_t)size);
	SET_VARSIZE(image, size);
	return image;
}

bytea *
nmfpg_doubles_bytea(const double *d, int64 count, const char *what)
{
	Size len = (Size)count * sizeof(double);
	bytea *out;

	nmfpg_check_image_size((int64)len + VARHDRSZ, what);
	out = palloc(len + VARHDRSZ);
	SET_VARSIZE(out, len + VARHDRSZ);
	if (len > 0)
		memcpy(VARDATA(out), d, len);
	return out;
}

/* The glue's one way to a matrix view: the core's own builder of it. */
NmfcMatrixView
nmfpg_matrix_view(const NmfMatrixFlat *m)
{
	return nmfc_matrix_view(m);
}
