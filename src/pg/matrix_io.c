/* SPDX-License-Identifier: PostgreSQL */
/*
 * The nmf_matrix type: text (base64), binary and bytea forms, all validated by
 * the core's nmfc_matrix_validate; the dense-array constructor; a summary.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "nmfpg.h"
#include "nmfpg_keys.h"
#include "utils/array.h"

PG_FUNCTION_INFO_V1(nmf_matrix_from_bytea);
PG_FUNCTION_INFO_V1(nmf_matrix_to_bytea);
PG_FUNCTION_INFO_V1(nmf_matrix_from_array);
PG_FUNCTION_INFO_V1(nmf_matrix_info);

NMFPG_IMAGE_IO(nmf_matrix_in, nmf_matrix_out, nmf_matrix_recv, nmf_matrix_send,
               nmfc_matrix_validate, "nmf_matrix")

Datum
nmf_matrix_from_bytea(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(nmfpg_image_from_bytea(PG_GETARG_DATUM(0), nmfc_matrix_validate));
}

/* The bytea is the image after the length word: the same bytes as the send form. */
Datum
nmf_matrix_to_bytea(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(PG_DETOAST_DATUM(PG_GETARG_DATUM(0)));
}

/* nmf_matrix(float8[][]): rows and columns get ids 1..m and 1..n; every cell is stored. */
struct varlena *
nmfpg_matrix_from_triplets(NmfTriplet *t, int64 count)
{
	NmfcInterrupts intr = nmfpg_interrupts();
	NmfcError err;
	int64 nnz, rows, cols;
	struct varlena *image;

	if (count == 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("matrix has no cells")));
	nmfpg_raise(nmfc_triplets_sort_merge(t, count, &nnz, &rows, &cols, &intr, &err), &err,
	            ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE);
	image = nmfpg_alloc_image(nmfc_matrix_size(rows, cols, nnz), "the nmf_matrix");
	nmfpg_raise(nmfc_matrix_write(t, nnz, rows, cols, image, VARSIZE(image), &err), &err,
	            ERRCODE_PROGRAM_LIMIT_EXCEEDED);
	return nmfpg_matrix_compact(image);
}

Datum
nmf_matrix_from_array(PG_FUNCTION_ARGS)
{
	ArrayType *a = PG_GETARG_ARRAYTYPE_P(0);
	int64 rows, cols, count;
	const double *cells;
	NmfTriplet *t;

	if (ARR_NDIM(a) != 2)
		ereport(ERROR,
		        (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		         errmsg("dense matrix must be a 2-dimensional float8 array, not %d-dimensional",
		                ARR_NDIM(a)),
		         errhint("Write it as '{{1,2},{3,4}}'::float8[].")));
	if (array_contains_nulls(a))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
		                errmsg("dense matrix must not contain NULL cells")));
	rows = ARR_DIMS(a)[0];
	cols = ARR_DIMS(a)[1];
	count = rows * cols;
	nmfpg_check_memory(count * (int64)(sizeof(NmfTriplet) + 20), "the dense matrix");
	cells = (const double *)ARR_DATA_PTR(a);
	t = (NmfTriplet *)MemoryContextAllocHuge(CurrentMemoryContext, count * sizeof(NmfTriplet));
	for (int64 i = 0; i < rows; i++)
		for (int64 j = 0; j < cols; j++)
		{
			NmfTriplet *c = &t[i * cols + j];

			c->row = i + 1;
			c->col = j + 1;
			c->value = cells[i * cols + j];
			nmfpg_check_cell(c->row, c->col, c->value);
		}
	PG_RETURN_POINTER(nmfpg_matrix_from_triplets(t, count));
}

Datum
nmf_matrix_info(PG_FUNCTION_ARGS)
{
	const NmfMatrixFlat *m = nmfpg_matrix_arg_stored(PG_GETARG_DATUM(0));
	const double *values = nmf_matrix_values(m);
	StringInfoData s;
	double sum = 0.0;

	for (int64 k = 0; k < m->nnz; k++)
		sum += values[k];
	initStringInfo(&s);
	appendStringInfo(
	    &s,
	    "{\"rows\": " INT64_FORMAT ", \"cols\": " INT64_FORMAT ", \"nnz\": " INT64_FORMAT
	    ", \"density\": %s, \"sum\": %s, \"format_version\": %d"
	    ", \"storage\": \"%s\", \"row_keys\": \"%s\", \"col_keys\": \"%s\"}",
	    m->rows, m->cols, m->nnz,
	    nmfpg_json_number((double)m->nnz / ((double)m->rows * (double)m->cols)),
	    nmfpg_json_number(sum), (int)m->version, (m->flags & NMF_MATRIX_DENSE) ? "dense" : "sparse",
	    nmfpg_key_kind_name(nmfpg_image_keys(m, NMFPG_ROWS).kind),
	    nmfpg_key_kind_name(nmfpg_image_keys(m, NMFPG_COLS).kind));
	PG_RETURN_DATUM(nmfpg_jsonb_from_cstring(s.data));
}
