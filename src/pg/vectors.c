/* SPDX-License-Identifier: PostgreSQL */
/*
 * Factors as vectors for an embedding index (pgvector casts real[] to vector):
 * W's rows and H's columns as real[], one row per id, or one id's vector.
 *
 * A biased model predicts mu + b_row[i] + b_col[j] + w_i . h_j; with augment
 * (the default) a row's vector is [w_i; 1] and a column's [h_j; b_col[j]], so
 * their inner product is the score less mu + b_row[i], a constant per row:
 * ordering the columns by it ranks them as nmf_recommend does. An unbiased
 * model's vectors are W's and H's as they are.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nmfpg_apply.h"
#include "nmfpg_keys.h"
#include "utils/array.h"
#include "utils/tuplestore.h"

/* One side of a model as vectors: ids[count], factors count x rank, the augmenting entries. */
typedef struct VectorSide
{
	const int64 *ids;
	const double *factors;
	int64 count;
	int64 rank;
	bool augment;       /* a biased model, augment on: one more entry per vector */
	const double *last; /* that entry per id (b_col), or NULL for the constant 1 */
} VectorSide;

static VectorSide
vector_side(const NmfModelFlat *m, bool rows, bool augment)
{
	VectorSide s;

	s.ids = rows ? nmf_model_row_ids(m) : nmf_model_col_ids(m);
	s.factors = rows ? nmf_model_w(m) : nmf_model_h(m);
	s.count = rows ? m->rows : m->cols;
	s.rank = m->rank;
	s.augment = augment && m->bias;
	s.last = s.augment && !rows ? nmf_model_b_col(m) : NULL;
	return s;
}

/* The vector of dense index i as a real[]; elems has room for rank + 1 datums. */
static ArrayType *
vector_of(const VectorSide *s, int64 i, Datum *elems)
{
	const double *f = s->factors + i * s->rank;
	int n = (int)s->rank;

	for (int64 e = 0; e < s->rank; e++)
		elems[e] = Float4GetDatum((float4)f[e]);
	if (s->augment)
		elems[n++] = Float4GetDatum(s->last ? (float4)s->last[i] : 1.0f);
	return construct_array(elems, n, FLOAT4OID, sizeof(float4), true, TYPALIGN_INT);
}

static bool
augment_arg(FunctionCallInfo fcinfo, int argno, const char *fn)
{
	nmfpg_arg_not_null(fcinfo, argno, fn, "augment");
	return PG_GETARG_BOOL(argno);
}

/* The variants of emit_vectors: W's or H's, and keyed (the keys' type before augment) or not. */
#define VECTORS_ROWS 1
#define VECTORS_KEYED 2

/* nmf_w_vectors / nmf_h_vectors(model[, keys], augment) → (id, vec real[]). */
static Datum
emit_vectors(FunctionCallInfo fcinfo, int variant)
{
	bool rows = (variant & VECTORS_ROWS) != 0;
	const char *fn = rows ? "nmf_w_vectors" : "nmf_h_vectors";
	ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	bool augment = augment_arg(fcinfo, (variant & VECTORS_KEYED) ? 2 : 1, fn);
	const NmfModelFlat *m;
	VectorSide s;
	Datum *elems;
	NmfpgKeys keys;
	Oid key_type;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0))
		return (Datum)0;
	m = NMFPG_MODEL_P(0);
	s = vector_side(m, rows, augment);
	keys = nmfpg_image_keys(m, rows ? NMFPG_ROWS : NMFPG_COLS);
	key_type = nmfpg_result_key_type(fcinfo, 0, &keys, fn, rows ? "row" : "column");
	elems = palloc((s.rank + 1) * sizeof(Datum));
	for (int64 i = 0; i < s.count; i++)
	{
		ArrayType *a = vector_of(&s, i, elems);
		Datum values[2] = {nmfpg_key_datum(&keys, s.ids[i], key_type), PointerGetDatum(a)};
		bool nulls[2] = {false, false};

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		pfree(a);
		if (i % 4096 == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return (Datum)0;
}

NMFPG_FUNCTION_WITH_FLAG(nmf_w_vectors, emit_vectors, VECTORS_ROWS)
NMFPG_FUNCTION_WITH_FLAG(nmf_h_vectors, emit_vectors, 0)
NMFPG_FUNCTION_WITH_FLAG(nmf_w_vectors_keyed, emit_vectors, VECTORS_ROWS | VECTORS_KEYED)
NMFPG_FUNCTION_WITH_FLAG(nmf_h_vectors_keyed, emit_vectors, VECTORS_KEYED)

/* nmf_w_vector / nmf_h_vector(model, id, augment, on_unknown) → real[], NULL for an unknown id. */
static Datum
one_vector(FunctionCallInfo fcinfo, bool rows)
{
	const char *fn = rows ? "nmf_w_vector" : "nmf_h_vector";
	bool augment = augment_arg(fcinfo, 2, fn);
	bool strict_ids = nmfpg_on_unknown_error(fcinfo, 3, fn);
	VectorSide s;
	int64 id, i;
	const NmfModelFlat *m;
	NmfpgKeys keys;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	m = nmfpg_model_arg_cached(fcinfo, 0);
	s = vector_side(m, rows, augment);
	keys = nmfpg_image_keys(m, rows ? NMFPG_ROWS : NMFPG_COLS);
	id = nmfpg_key_arg(fcinfo, 1, &keys, fn, rows ? "row" : "column");
	i = nmfc_find_id(s.ids, s.count, id);
	if (i < 0)
	{
		if (strict_ids)
			nmfpg_unknown_arg(fcinfo, 1, fn, rows ? "row" : "column", id);
		PG_RETURN_NULL();
	}
	PG_RETURN_ARRAYTYPE_P(vector_of(&s, i, palloc((s.rank + 1) * sizeof(Datum))));
}

NMFPG_FUNCTION_WITH_FLAG(nmf_w_vector, one_vector, true)
NMFPG_FUNCTION_WITH_FLAG(nmf_h_vector, one_vector, false)
