/* SPDX-License-Identifier: PostgreSQL */
/*
 * The blocks' side of nmf_distributed() (nmf_distributed.c): each block of a
 * table's rows (a Citus shard, or the whole of a plain table) is read once
 * into a matrix kept in the memory of the backend that serves it, with its
 * rows of W (src/core/fit_blocks.hpp), until the transaction ends; each
 * iteration then takes H and returns the block's sums (with biases, the bias
 * rounds between). These functions are
 * the driver's; each checks its arguments, since anyone may call them.
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "common/pg_prng.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nmfpg.h"
#include "nmfpg_keys.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"

PG_FUNCTION_INFO_V1(nmf_dist_block_open);
PG_FUNCTION_INFO_V1(nmf_dist_block_start);
PG_FUNCTION_INFO_V1(nmf_dist_block_h);
PG_FUNCTION_INFO_V1(nmf_dist_block_step);
PG_FUNCTION_INFO_V1(nmf_dist_block_bias);
PG_FUNCTION_INFO_V1(nmf_dist_block_w);

/* A block this backend holds for a fit, until the transaction ends. */
typedef struct Block
{
	int64 fit;
	char *name;
	NmfMatrixFlat *matrix; /* from open until start */
	NmfcRowBlock *rows;    /* from start on */
	int64 rank, cols, row_count;
	double *sums; /* this round's answer, until every block of the fit here has its own */
	int64 sums_cap;
	bool reported;
	struct Block *next;
} Block;

static Block *blocks = NULL; /* in TopTransactionContext */
/* H and H H^T of the current iteration, sent once to this backend for all its blocks */
static int64 h_fit = 0;
static double *h_now = NULL; /* in TopTransactionContext */
static int64 h_length = 0;
static bool callback_set = false;

static void
blocks_end(XactEvent event, void *arg)
{
	for (Block *b = blocks; b != NULL; b = b->next)
		if (b->rows != NULL)
		{
			nmfc_row_block_free(b->rows);
			b->rows = NULL;
		}
	blocks = NULL; /* the list and H go with TopTransactionContext */
	h_now = NULL;
	h_length = 0;
}

static Block *
find_block(int64 fit, const char *name)
{
	for (Block *b = blocks; b != NULL; b = b->next)
		if (b->fit == fit && strcmp(b->name, name) == 0)
			return b;
	ereport(ERROR,
	        (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
	         errmsg("nmf_distributed: block %s of fit " INT64_FORMAT " is not open in this session",
	                name, fit),
	         errhint("The nmf_dist_block_* functions are nmf_distributed()'s own, called "
	                 "by it in one transaction.")));
	return NULL;
}

/*
 * A block's answer to a round (NMFC_ROUND_*): kept until every block of the
 * fit this backend holds has its own; the last to finish answers with their
 * sum in the blocks' name order, the others with no bytes. So one message
 * per worker goes back, the same bits every time.
 */
static bytea *
round_answer(Block *b, int32 round, const double *sums)
{
	int64 len = nmfc_row_block_answer_length(b->rows, round);
	int held = 0, reported = 0;
	double *total;

	/* the rounds' answers differ in length: room for the longest so far */
	if (len > b->sums_cap)
	{
		if (b->sums != NULL)
			pfree(b->sums);
		b->sums = MemoryContextAllocExtended(TopTransactionContext, len * sizeof(double),
		                                     MCXT_ALLOC_HUGE);
		b->sums_cap = len;
	}
	memcpy(b->sums, sums, len * sizeof(double));
	b->reported = true;
	for (Block *e = blocks; e != NULL; e = e->next)
		if (e->fit == b->fit)
		{
			held++;
			reported += e->reported ? 1 : 0;
		}
	if (reported < held)
		return nmfpg_doubles_bytea(NULL, 0, "a block's message");
	total = palloc_extended(len * sizeof(double), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (;;)
	{
		Block *next = NULL;

		/* the reported block with the smallest name, then the next, ... */
		for (Block *e = blocks; e != NULL; e = e->next)
			if (e->fit == b->fit && e->reported &&
			    (next == NULL || strcmp(e->name, next->name) < 0))
				next = e;
		if (next == NULL)
			break;
		nmfc_row_block_combine(next->rows, round, total, next->sums);
		next->reported = false;
	}
	return nmfpg_doubles_bytea(total, len, "a block's message");
}

/* A bytea argument of exactly count doubles (aligned: a copy). */
static double *
doubles_arg(bytea *b, int64 count, const char *what)
{
	double *out;

	if ((int64)VARSIZE_ANY_EXHDR(b) != count * (int64)sizeof(double))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("nmf_distributed: %s has %zu bytes, expected " INT64_FORMAT, what,
		                       VARSIZE_ANY_EXHDR(b), count * (int64)sizeof(double))));
	out = palloc_extended(Max(count, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	memcpy(out, VARDATA_ANY(b), count * sizeof(double));
	return out;
}

/* A bigint[] argument without NULLs; *count its length. */
static int64 *
bigints_arg(ArrayType *a, int64 *count, const char *what)
{
	Datum *values;
	bool *nulls;
	int n;
	int64 *out;

	if (ARR_NDIM(a) > 1)
		ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
		                errmsg("nmf_distributed: %s must be a 1-D array", what)));
	deconstruct_array(a, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &values, &nulls, &n);
	out = palloc(Max(n, 1) * sizeof(int64));
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			                errmsg("nmf_distributed: %s must not contain NULLs", what)));
		out[i] = DatumGetInt64(values[i]);
	}
	*count = n;
	return out;
}

/* The cast a key column's values take into nmf_matrix: bigint ids, text or uuid keys. */
static const char *
key_cast(Oid table, const char *column, int *kind)
{
	AttrNumber att = get_attnum(table, column);

	if (att == InvalidAttrNumber)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
		                errmsg("nmf_distributed: column \"%s\" of %s does not exist", column,
		                       get_rel_name(table))));
	*kind = nmfpg_key_kind(get_atttype(table, att), "nmf_distributed");
	return *kind == NMF_KEY_ID     ? "pg_catalog.int8"
	       : *kind == NMF_KEY_TEXT ? "pg_catalog.text"
	                               : "pg_catalog.uuid";
}

/* One side's keys after its ids in open's answer: the kind, then for keys their ends and bytes. */
static Size
keys_length(const NmfpgKeys *k)
{
	return sizeof(int64) + (k->kind == NMF_KEY_ID || k->count == 0
	                            ? 0
	                            : k->count * sizeof(int64) + nmf_pad8(k->ends[k->count - 1]));
}

static char *
write_keys(char *p, const NmfpgKeys *k)
{
	int64 kind = k->kind;

	memcpy(p, &kind, sizeof(int64));
	p += sizeof(int64);
	if (k->kind == NMF_KEY_ID || k->count == 0)
		return p;
	memcpy(p, k->ends, k->count * sizeof(int64));
	p += k->count * sizeof(int64);
	memset(p, 0, nmf_pad8(k->ends[k->count - 1]));
	memcpy(p, k->data, k->ends[k->count - 1]);
	return p + nmf_pad8(k->ends[k->count - 1]);
}

/*
 * The block's cells into a matrix (nmf_matrix over the block's table, so
 * the cells pass nmf()'s checks); returns what the driver needs of it: its
 * shape and totals, then its row ids and column ids, then each side's keys
 * (text or uuid keys: the ids are their hashes).
 */
Datum
nmf_dist_block_open(PG_FUNCTION_ARGS)
{
	int64 fit = PG_GETARG_INT64(0);
	Oid table = PG_GETARG_OID(1);
	char *name = text_to_cstring(PG_GETARG_TEXT_PP(2));
	const char *cols[3], *casts[2];
	int kinds[2];
	NmfpgKeys keys[2];
	const char *schema = get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid));
	MemoryContext caller = CurrentMemoryContext;
	NmfMatrixFlat *m = NULL;
	NmfcMatrixView x;
	Block *b;
	int64 info[6];
	double totals[4];
	int64 *counts;
	bytea *out;
	Size len;
	char *p;
	bool isnull;

	for (int i = 0; i < 3; i++)
		cols[i] = quote_identifier(text_to_cstring(PG_GETARG_TEXT_PP(3 + i)));
	for (b = blocks; b != NULL; b = b->next)
		if (b->fit == fit && strcmp(b->name, name) == 0)
			ereport(ERROR,
			        (errcode(ERRCODE_DUPLICATE_OBJECT),
			         errmsg("nmf_distributed: block %s of fit " INT64_FORMAT " is open already",
			                name, fit)));

	if (get_rel_name(table) == NULL)
		ereport(ERROR,
		        (errcode(ERRCODE_UNDEFINED_TABLE),
		         errmsg("nmf_distributed: block %s: relation %u does not exist", name, table)));
	for (int i = 0; i < 2; i++)
		casts[i] = key_cast(table, text_to_cstring(PG_GETARG_TEXT_PP(3 + i)), &kinds[i]);
	SPI_connect();
	if (SPI_execute(
	        psprintf("SELECT %s.nmf_matrix(%s::%s, %s::%s, %s::pg_catalog.float8) FROM %s",
	                 quote_identifier(schema), cols[0], casts[0], cols[1], casts[1], cols[2],
	                 quote_qualified_identifier(get_namespace_name(get_rel_namespace(table)),
	                                            get_rel_name(table))),
	        true, 0) != SPI_OK_SELECT ||
	    SPI_processed != 1)
		elog(ERROR, "nmf_distributed: reading block %s failed", name);
	{
		Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
		{
			struct varlena *v = nmfpg_detoast_aligned(d);
			MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

			/* The blocks walk cells: a dense matrix's CSR form, else a copy. */
			m = (NmfMatrixFlat *)nmfpg_matrix_sparse((const NmfMatrixFlat *)v);
			if ((struct varlena *)m == v)
			{
				m = palloc_extended(VARSIZE(v), MCXT_ALLOC_HUGE);
				memcpy(m, v, VARSIZE(v));
			}
			MemoryContextSwitchTo(old);
		}
	}
	SPI_finish();
	MemoryContextSwitchTo(caller);

	if (!callback_set)
	{
		RegisterXactCallback(blocks_end, NULL);
		callback_set = true;
	}
	b = MemoryContextAllocZero(TopTransactionContext, sizeof(Block));
	b->fit = fit;
	b->name = MemoryContextStrdup(TopTransactionContext, name);
	b->matrix = m;
	b->next = blocks;
	blocks = b;

	x = nmfpg_matrix_view(m);
	info[0] = x.rows;
	info[1] = x.cols;
	info[2] = x.nnz;
	counts = palloc(Max(x.cols, 1) * sizeof(int64));
	nmfc_block_totals(&x, &info[3], totals, counts);
	/* the backend that holds the block: H goes once to each */
	info[4] = (int64)GetSystemIdentifier();
	info[5] = MyProcPid;
	for (int i = 0; i < 2; i++)
	{
		keys[i] = m != NULL ? nmfpg_image_keys(m, i == 0 ? NMFPG_ROWS : NMFPG_COLS)
		                    : (NmfpgKeys){NMF_KEY_ID, 0, NULL, NULL, NULL, NULL};
		if (keys[i].kind == NMF_KEY_ID)
			keys[i].kind = kinds[i]; /* an empty block's keys are of its column's kind */
		else if (keys[i].count != (i == 0 ? x.rows : x.cols))
			elog(ERROR, "nmf_distributed: block %s's keys do not match its ids", name);
	}
	len = sizeof(info) + sizeof(totals) + (x.rows + 2 * x.cols) * sizeof(int64) +
	      keys_length(&keys[0]) + keys_length(&keys[1]);
	out = palloc(len + VARHDRSZ);
	SET_VARSIZE(out, len + VARHDRSZ);
	p = VARDATA(out);
	memcpy(p, info, sizeof(info));
	memcpy(p + sizeof(info), totals, sizeof(totals));
	p += sizeof(info) + sizeof(totals);
	if (x.rows > 0)
		memcpy(p, x.row_ids, x.rows * sizeof(int64));
	if (x.cols > 0)
	{
		memcpy(p + x.rows * sizeof(int64), x.col_ids, x.cols * sizeof(int64));
		memcpy(p + (x.rows + x.cols) * sizeof(int64), counts, x.cols * sizeof(int64));
	}
	p += (x.rows + 2 * x.cols) * sizeof(int64);
	p = write_keys(p, &keys[0]);
	write_keys(p, &keys[1]);
	PG_RETURN_BYTEA_P(out);
}

/* The block's rows of the initial W, V's shape and columns, the options and the initial H: its
 * first sums. */
Datum
nmf_dist_block_start(PG_FUNCTION_ARGS)
{
	Block *b = find_block(PG_GETARG_INT64(0), text_to_cstring(PG_GETARG_TEXT_PP(1)));
	int64 ncols, nwhole, nwords;
	int64 *all_cols = bigints_arg(PG_GETARG_ARRAYTYPE_P(3), &ncols, "the columns");
	int64 *whole_arg = bigints_arg(PG_GETARG_ARRAYTYPE_P(4), &nwhole, "the shape");
	int64 *words = bigints_arg(PG_GETARG_ARRAYTYPE_P(5), &nwords, "the options");
	NmfcInterrupts intr = nmfpg_interrupts();
	NmfcOptions opt;
	NmfcWhole whole;
	NmfcMatrixView x;
	NmfcError err;
	double *w0, *h, *out;
	int64 len;

	if (b->rows != NULL)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		                errmsg("nmf_distributed: block %s has started already", b->name)));
	if (nwhole != 3)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("nmf_distributed: the shape has " INT64_FORMAT
		                       " numbers, expected 3 (rows, columns, nonzero cells)",
		                       nwhole)));
	whole.rows = whole_arg[0];
	whole.cols = whole_arg[1];
	whole.nonzeros = whole_arg[2];
	if (whole.cols != ncols)
		ereport(ERROR,
		        (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		         errmsg("nmf_distributed: " INT64_FORMAT " column ids for " INT64_FORMAT " columns",
		                ncols, whole.cols)));
	nmfc_options_default(&opt, 1);
	nmfpg_raise(nmfc_options_unpack(words, nwords, &opt, &err), &err,
	            ERRCODE_INVALID_PARAMETER_VALUE);
	x = nmfpg_matrix_view(b->matrix);
	if (b->matrix == NULL)
	{
		static const int64 no_rows[1] = {0};

		x.row_ptr = no_rows;
	}
	w0 = doubles_arg(PG_GETARG_BYTEA_PP(2), opt.rank * x.rows, "the initial W");

	nmfpg_check_memory(nmfc_row_block_memory(&x, &whole, &opt), "nmf_distributed (a block)");
	nmfpg_raise(nmfc_row_block_create(&x, all_cols, &whole, &opt, &intr, w0, &b->rows, &err), &err,
	            ERRCODE_INVALID_PARAMETER_VALUE);
	b->rank = opt.rank;
	b->cols = whole.cols;
	b->row_count = x.rows;
	if (b->matrix != NULL)
	{
		pfree(b->matrix); /* the block keeps its own copy */
		b->matrix = NULL;
	}
	h = doubles_arg(PG_GETARG_BYTEA_PP(6), b->rank * b->cols + b->rank * b->rank, "H");
	len = nmfc_row_block_answer_length(b->rows, NMFC_ROUND_STEP);
	out = palloc_extended(len * sizeof(double), MCXT_ALLOC_HUGE);
	nmfpg_raise(nmfc_row_block_start(b->rows, h, out, &err), &err, ERRCODE_DATA_EXCEPTION);
	PG_RETURN_BYTEA_P(round_answer(b, NMFC_ROUND_STEP, out));
}

static Block *
started_block(FunctionCallInfo fcinfo)
{
	Block *b = find_block(PG_GETARG_INT64(0), text_to_cstring(PG_GETARG_TEXT_PP(1)));

	if (b->rows == NULL)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		                errmsg("nmf_distributed: block %s has not started", b->name)));
	return b;
}

/* H and H H^T (r cols + r^2 doubles) for every block of the fit this backend holds. */
Datum
nmf_dist_block_h(PG_FUNCTION_ARGS)
{
	Block *b = started_block(fcinfo);
	bytea *h = PG_GETARG_BYTEA_PP(2);
	int64 length = b->rank * b->cols + b->rank * b->rank;

	if ((int64)VARSIZE_ANY_EXHDR(h) != length * (int64)sizeof(double))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("nmf_distributed: H has %zu bytes, expected " INT64_FORMAT,
		                       VARSIZE_ANY_EXHDR(h), length * (int64)sizeof(double))));
	if (h_now == NULL || h_length != length)
		h_now = MemoryContextAllocExtended(TopTransactionContext, length * sizeof(double),
		                                   MCXT_ALLOC_HUGE);
	memcpy(h_now, VARDATA_ANY(h), length * sizeof(double));
	h_length = length;
	h_fit = b->fit;
	PG_RETURN_VOID();
}

/* One iteration's W half from the backend's H and H H^T, and the block's sums. */
Datum
nmf_dist_block_step(PG_FUNCTION_ARGS)
{
	Block *b = started_block(fcinfo);
	int64 len = nmfc_row_block_answer_length(b->rows, NMFC_ROUND_STEP);
	double *out;
	NmfcError err;

	if (h_now == NULL || h_fit != b->fit || h_length != b->rank * b->cols + b->rank * b->rank)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		                errmsg("nmf_distributed: block %s has no H for this iteration", b->name)));
	out = palloc_extended(len * sizeof(double), MCXT_ALLOC_HUGE);
	nmfpg_raise(nmfc_row_block_step(b->rows, h_now, out, &err), &err, ERRCODE_DATA_EXCEPTION);
	PG_RETURN_BYTEA_P(round_answer(b, NMFC_ROUND_STEP, out));
}

/*
 * A bias round of a fit with biases: mu in (1 double), the block's column
 * sums out (round 1); b_col in (one per column), H's sums out (round 2).
 */
Datum
nmf_dist_block_bias(PG_FUNCTION_ARGS)
{
	Block *b = started_block(fcinfo);
	int32 round = PG_GETARG_INT32(2);
	double *in, *out;
	NmfcError err;

	if (round != NMFC_ROUND_BIAS_ROWS && round != NMFC_ROUND_BIAS_COLS)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("nmf_distributed: bias round %d is neither %d nor %d", round,
		                       NMFC_ROUND_BIAS_ROWS, NMFC_ROUND_BIAS_COLS)));
	in = doubles_arg(PG_GETARG_BYTEA_PP(3), round == NMFC_ROUND_BIAS_ROWS ? 1 : b->cols,
	                 round == NMFC_ROUND_BIAS_ROWS ? "mu" : "b_col");
	out = palloc_extended(nmfc_row_block_answer_length(b->rows, round) * sizeof(double),
	                      MCXT_ALLOC_HUGE);
	nmfpg_raise(nmfc_row_block_bias(b->rows, round, in, out, &err), &err,
	            ERRCODE_INVALID_PARAMETER_VALUE);
	PG_RETURN_BYTEA_P(round_answer(b, round, out));
}

/*
 * The block's rows of W (r x its rows) then, with biases, its b_row (before:
 * as they were before the last step, a diverged fit's); its last call: the
 * block is freed.
 */
Datum
nmf_dist_block_w(PG_FUNCTION_ARGS)
{
	Block *b = started_block(fcinfo);
	bool before = PG_GETARG_BOOL(2);
	const double *b_row = nmfc_row_block_b_row(b->rows, before);
	int64 length = b->rank * b->row_count + (b_row != NULL ? b->row_count : 0);
	double *both = palloc_extended(Max(length, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	bytea *out;

	if (b->row_count > 0)
		memcpy(both, before ? nmfc_row_block_w_before(b->rows) : nmfc_row_block_w(b->rows),
		       b->rank * b->row_count * sizeof(double));
	if (b_row != NULL && b->row_count > 0)
		memcpy(both + b->rank * b->row_count, b_row, b->row_count * sizeof(double));
	out = nmfpg_doubles_bytea(both, length, "a block's W");

	nmfc_row_block_free(b->rows);
	b->rows = NULL;
	PG_RETURN_BYTEA_P(out);
}
