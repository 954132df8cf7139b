/* SPDX-License-Identifier: PostgreSQL */
/*
 * The nmf_matrix(row_id, col_id, value) aggregate.
 *
 * Its state, nmf_matrix_state, is a real type (not internal) so that
 * PostgreSQL's parallel query and Citus can split the scan: partial states
 * travel as values (Citus ships the text form). Inside one process the state
 * is an expanded object holding a growing triplet array, appended to in place
 * (as array_append does with expanded arrays), so a row costs O(1) amortised
 * and nothing is copied per row. The final function sorts and merges once.
 */
#include "postgres.h"

#include <math.h>
#include <sys/mman.h>

#include "nmfpg.h"
#include "utils/expandeddatum.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(nmf_matrix_state_in);
PG_FUNCTION_INFO_V1(nmf_matrix_state_out);
PG_FUNCTION_INFO_V1(nmf_matrix_state_recv);
PG_FUNCTION_INFO_V1(nmf_matrix_state_send);
PG_FUNCTION_INFO_V1(nmf_matrix_state_add);
PG_FUNCTION_INFO_V1(nmf_matrix_state_combine);
PG_FUNCTION_INFO_V1(nmf_matrix_final);

#define STATE_INITIAL_CAPACITY 1024

/*
 * nruns says what order the triplets are in: 0, as they arrived (the
 * transition function's state); n >= 1, the concatenation of n runs, each
 * sorted by (row, col) with duplicates summed, run i from runs[i] (a
 * combined state; 1: the whole state is sorted, as a flat state says with
 * NMF_STATE_SORTED). A parallel worker sorts its state when it is flattened
 * to be shipped, so the leader's combine only appends runs and its final
 * function merges them in one linear pass instead of sorting everything.
 */
typedef struct StateExpanded
{
	ExpandedObjectHeader hdr;
	int64 count;
	int64 capacity;
	NmfTriplet *triplets; /* in hdr.eoh_context */
	int64 nruns;
	int64 runs_capacity;
	int64 *runs; /* in hdr.eoh_context; NULL until a second run */
	/*
	 * More sorted runs: copies of packed worker states (validated images in
	 * hdr.eoh_context), kept packed so that the final function merges them
	 * as they are instead of unpacking each to 24-byte triplets first; any
	 * other use of the state unpacks them (state_unpack).
	 */
	int64 npacked;
	int64 packed_capacity;
	const NmfStateFlat **packed; /* each holds >= 1 cell (validated) */
	/* set by state_get_flat_size: the packed form's fields, or pack_rows = 0 */
	int64 pack_rows;
	int64 pack_col_base;
} StateExpanded;

static void state_sort(StateExpanded *st);
static void state_unpack(StateExpanded *st);

/*
 * Asks Linux to back a large array with transparent huge pages (Debian's
 * default is "madvise": only where asked). A build touches several arrays of
 * hundreds of MB once each, and faulting them in 4 kB pages is a large part
 * of its time. Only advice: nothing changes if the kernel declines.
 */
static void
advise_huge_pages(void *p, Size size)
{
#ifdef MADV_HUGEPAGE
	const uintptr_t huge = (uintptr_t)2 << 20;
	uintptr_t start = ((uintptr_t)p + huge - 1) & ~(huge - 1);
	uintptr_t end = ((uintptr_t)p + size) & ~(huge - 1);

	if (size >= 4 * huge && end > start)
		(void)madvise((void *)start, end - start, MADV_HUGEPAGE);
#endif
}

/*
 * Flattening is how a worker's state leaves it (and how Citus ships one):
 * sort it first, in the process that built it, so the flat image is sorted,
 * and pack it (NMF_STATE_PACKED: about half the bytes) when its column ids
 * allow.
 */
static Size
state_get_flat_size(ExpandedObjectHeader *eohptr)
{
	StateExpanded *st = (StateExpanded *)eohptr;
	int64 size;

	state_sort(st);
	size = nmfc_state_pack_size(st->triplets, st->count, &st->pack_rows, &st->pack_col_base);
	if (size < 0)
	{
		st->pack_rows = 0;
		size = (int64)sizeof(NmfStateFlat) + st->count * (int64)sizeof(NmfTriplet);
	}
	nmfpg_check_image_size(size, "the partial nmf_matrix_state");
	return (Size)size;
}

static void
state_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	StateExpanded *st = (StateExpanded *)eohptr;
	NmfStateFlat *flat = (NmfStateFlat *)result;

	if (st->pack_rows > 0)
	{
		NmfcError err;

		nmfpg_raise(nmfc_state_pack(st->triplets, st->count, st->pack_rows, st->pack_col_base,
		                            result, allocated_size, &err),
		            &err, ERRCODE_DATA_CORRUPTED);
		SET_VARSIZE(flat, allocated_size);
		return;
	}
	memset(flat, 0, sizeof(NmfStateFlat));
	SET_VARSIZE(flat, allocated_size);
	flat->magic = NMF_STATE_MAGIC;
	flat->version = NMF_FORMAT_VERSION;
	flat->flags = st->nruns == 1 ? NMF_STATE_SORTED : 0;
	flat->count = st->count;
	memcpy(flat + 1, st->triplets, st->count * sizeof(NmfTriplet));
}

static const ExpandedObjectMethods state_methods = {state_get_flat_size, state_flatten_into};

static StateExpanded *
state_new(MemoryContext parent, int64 capacity)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "nmf_matrix_state", ALLOCSET_DEFAULT_SIZES);
	StateExpanded *st = MemoryContextAllocZero(cxt, sizeof(StateExpanded));

	EOH_init_header(&st->hdr, &state_methods, cxt);
	capacity = Max(capacity, STATE_INITIAL_CAPACITY);
	nmfpg_check_memory(capacity * (int64)sizeof(NmfTriplet), "the nmf_matrix aggregate state");
	st->triplets = MemoryContextAllocHuge(cxt, capacity * sizeof(NmfTriplet));
	st->capacity = capacity;
	advise_huge_pages(st->triplets, capacity * sizeof(NmfTriplet));
	return st;
}

/* Doubles the array when full: amortised O(1) per appended cell. */
static void
state_reserve(StateExpanded *st, int64 extra)
{
	int64 need = st->count + extra;
	int64 capacity = st->capacity;

	if (need <= capacity)
		return;
	while (capacity < need)
		capacity *= 2;
	nmfpg_check_memory(capacity * (int64)sizeof(NmfTriplet), "the nmf_matrix aggregate state");
	st->triplets = repalloc_huge(st->triplets, capacity * sizeof(NmfTriplet));
	st->capacity = capacity;
	advise_huge_pages(st->triplets, capacity * sizeof(NmfTriplet));
}

static void
state_append(StateExpanded *st, const NmfTriplet *t, int64 n)
{
	state_reserve(st, n);
	memcpy(st->triplets + st->count, t, n * sizeof(NmfTriplet));
	st->count += n;
}

/*
 * Sorts the triplets and sums duplicates in place (once: a sorted state
 * stays so until a cell is added), or merges a combined state's runs.
 */
static void
state_sort(StateExpanded *st)
{
	NmfcInterrupts intr = nmfpg_interrupts();
	NmfcError err;
	int64 nnz;

	state_unpack(st);
	if (st->nruns == 1)
		return;
	if (st->nruns == 0)
		nmfpg_raise(nmfc_triplets_sort_dedupe(st->triplets, st->count, &nnz, &intr, &err), &err,
		            ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE);
	else
	{
		NmfTriplet *out;

		nmfpg_check_memory(Max(st->count, 1) * (int64)sizeof(NmfTriplet),
		                   "merging the nmf_matrix aggregate's partial states");
		out = MemoryContextAllocHuge(st->hdr.eoh_context, Max(st->count, 1) * sizeof(NmfTriplet));
		advise_huge_pages(out, Max(st->count, 1) * sizeof(NmfTriplet));
		nmfpg_raise(nmfc_triplets_merge_runs(st->triplets, st->count, st->runs, st->nruns, out,
		                                     &nnz, &intr, &err),
		            &err, ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE);
		pfree(st->triplets);
		st->triplets = out;
		st->capacity = Max(st->count, 1);
	}
	st->count = nnz;
	st->nruns = 1;
}

/*
 * A state datum, expanded or flat (flat ones are validated on input): its
 * cell count, whether they are sorted with duplicates summed, and where they
 * are (the expanded object, or a flat image, maybe packed).
 */
typedef struct StateSource
{
	int64 count;
	bool sorted;
	const NmfTriplet *triplets; /* NULL: read them from flat */
	const NmfStateFlat *flat;
} StateSource;

static StateSource
state_source(Datum d)
{
	StateSource src;

	if (VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)))
	{
		StateExpanded *st = (StateExpanded *)DatumGetEOHP(d);

		state_unpack(st); /* the same value, its cells in one array */
		src.count = st->count;
		src.sorted = st->nruns == 1;
		src.triplets = st->triplets;
		src.flat = NULL;
	}
	else
	{
		src.flat = (const NmfStateFlat *)nmfpg_detoast_aligned(d);
		src.count = src.flat->count;
		src.sorted = (src.flat->flags & NMF_STATE_SORTED) != 0;
		src.triplets = NULL;
	}
	return src;
}

/* Copies a source's cells to the end of a state. */
static void
state_append_source(StateExpanded *st, const StateSource *src)
{
	if (src->triplets != NULL)
	{
		state_append(st, src->triplets, src->count);
		return;
	}
	state_reserve(st, src->count);
	nmfc_state_cells(src->flat, st->triplets + st->count);
	st->count += src->count;
}

/* The state to append to: ours in place if read-write, else a new one in the aggregate's context.
 */
static StateExpanded *
state_for_update(FunctionCallInfo fcinfo, int argno, MemoryContext aggcxt)
{
	Datum d;
	StateSource src;
	StateExpanded *st;

	if (PG_ARGISNULL(argno))
		return state_new(aggcxt, STATE_INITIAL_CAPACITY);
	d = PG_GETARG_DATUM(argno);
	if (VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)))
		return (StateExpanded *)DatumGetEOHP(d);
	src = state_source(d);
	st = state_new(aggcxt, src.count);
	state_append_source(st, &src);
	st->nruns = src.sorted ? 1 : 0;
	return st;
}

/*
 * Appends a source's triplets to a combined state as one more sorted run:
 * sorted here if they are not yet (the leader's own partial state).
 */
static void
state_add_run(StateExpanded *st, const StateSource *srcp)
{
	StateSource src = *srcp;
	int64 count = src.count, start;

	if (count == 0)
		return;
	if (st->nruns == 0 && st->count > 0)
		state_sort(st);
	if (st->nruns >= st->runs_capacity)
	{
		int64 cap = Max(8, 2 * st->runs_capacity);

		st->runs = st->runs == NULL ? MemoryContextAlloc(st->hdr.eoh_context, cap * sizeof(int64))
		                            : repalloc(st->runs, cap * sizeof(int64));
		st->runs_capacity = cap;
	}
	start = st->count;
	state_append_source(st, &src);
	if (!src.sorted)
	{
		NmfcInterrupts intr = nmfpg_interrupts();
		NmfcError err;
		int64 nnz;

		nmfpg_raise(nmfc_triplets_sort_dedupe(st->triplets + start, count, &nnz, &intr, &err), &err,
		            ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE);
		st->count = start + nnz;
	}
	st->runs[st->nruns++] = start;
}

/*
 * Adds another state to a combined state: a packed one (a parallel worker's)
 * is kept as a copy of its image, one more run; any other is appended to the
 * triplets as a run.
 */
static void
state_append_run(StateExpanded *st, Datum d)
{
	StateSource src = state_source(d);
	Size size;
	NmfStateFlat *copy;

	if (src.flat == NULL || (src.flat->flags & NMF_STATE_PACKED) == 0)
	{
		state_add_run(st, &src);
		return;
	}
	size = VARSIZE(src.flat);
	nmfpg_check_memory((int64)size, "the nmf_matrix aggregate state");
	if (st->npacked >= st->packed_capacity)
	{
		int64 cap = Max(8, 2 * st->packed_capacity);

		st->packed = st->packed == NULL
		                 ? MemoryContextAlloc(st->hdr.eoh_context, cap * sizeof(NmfStateFlat *))
		                 : repalloc(st->packed, cap * sizeof(NmfStateFlat *));
		st->packed_capacity = cap;
	}
	copy = MemoryContextAllocHuge(st->hdr.eoh_context, size);
	advise_huge_pages(copy, size);
	memcpy(copy, src.flat, size);
	st->packed[st->npacked++] = copy;
}

/*
 * Moves the kept packed states into the triplet array, each as a run. The
 * list is detached first: adding a run may sort the array (state_sort),
 * which calls this again.
 */
static void
state_unpack(StateExpanded *st)
{
	int64 n = st->npacked;

	st->npacked = 0;
	for (int64 i = 0; i < n; i++)
	{
		StateSource src;

		src.count = st->packed[i]->count;
		src.sorted = true;
		src.triplets = NULL;
		src.flat = st->packed[i];
		state_add_run(st, &src);
		pfree((void *)st->packed[i]);
		st->packed[i] = NULL;
	}
}

static MemoryContext
aggregate_context(FunctionCallInfo fcinfo, const char *fn)
{
	MemoryContext aggcxt;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		                errmsg("%s can only be called by the nmf_matrix aggregate", fn)));
	return aggcxt;
}

void
nmfpg_check_cell(int64 row, int64 col, double value)
{
	if (isnan(value) || isinf(value))
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
		                errmsg("value at row " INT64_FORMAT ", column " INT64_FORMAT " is %s", row,
		                       col, isnan(value) ? "NaN" : (value > 0 ? "Infinity" : "-Infinity")),
		                errhint("NMF needs finite, non-negative values.")));
	if (value < 0)
		ereport(ERROR,
		        (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
		         errmsg("value at row " INT64_FORMAT ", column " INT64_FORMAT " is negative: %g",
		                row, col, value),
		         errhint("NMF needs finite, non-negative values.")));
}

Datum
nmf_matrix_state_add(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = aggregate_context(fcinfo, "nmf_matrix_state_add");
	static const char *const arg_names[] = {NULL, "row_id", "col_id", "value"};
	StateExpanded *st;
	NmfTriplet t;

	for (int i = 1; i <= 3; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			                errmsg("nmf_matrix: %s must not be NULL", arg_names[i]),
			                errhint("Filter NULLs out with WHERE, or COALESCE them.")));
	t.row = PG_GETARG_INT64(1);
	t.col = PG_GETARG_INT64(2);
	t.value = PG_GETARG_FLOAT8(3);
	nmfpg_check_cell(t.row, t.col, t.value);

	st = state_for_update(fcinfo, 0, aggcxt);
	if (st->count == st->capacity)
		state_reserve(st, 1);
	st->triplets[st->count++] = t;
	st->nruns = 0;
	PG_RETURN_DATUM(EOHPGetRWDatum(&st->hdr));
}

/* Not strict: either side may be NULL (an empty partial scan). */
Datum
nmf_matrix_state_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = aggregate_context(fcinfo, "nmf_matrix_state_combine");
	StateExpanded *st;

	if (PG_ARGISNULL(0) && PG_ARGISNULL(1))
		PG_RETURN_NULL();
	if (!PG_ARGISNULL(0) && VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(PG_GETARG_DATUM(0))))
		st = (StateExpanded *)DatumGetEOHP(PG_GETARG_DATUM(0));
	else
	{
		st = state_new(aggcxt, STATE_INITIAL_CAPACITY);
		if (!PG_ARGISNULL(0))
			state_append_run(st, PG_GETARG_DATUM(0));
	}
	if (!PG_ARGISNULL(1))
		state_append_run(st, PG_GETARG_DATUM(1));
	PG_RETURN_DATUM(EOHPGetRWDatum(&st->hdr));
}

struct varlena *
nmfpg_matrix_from_triplets(NmfTriplet *t, int64 count)
{
	NmfcInterrupts intr = nmfpg_interrupts();
	NmfcError err;
	int64 nnz, rows, cols, size;
	struct varlena *image;

	if (count == 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("matrix has no cells")));
	nmfpg_raise(nmfc_triplets_sort_merge(t, count, &nnz, &rows, &cols, &intr, &err), &err,
	            ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE);
	size = nmfc_matrix_size(rows, cols, nnz);
	nmfpg_check_image_size(size, "the nmf_matrix");
	nmfpg_check_memory(size, "the nmf_matrix");
	/* not zeroed: nmfc_matrix_write sets every byte but the length word */
	image = (struct varlena *)palloc(size);
	advise_huge_pages(image, size);
	nmfpg_raise(nmfc_matrix_write(t, nnz, rows, cols, image, (size_t)size, &err), &err,
	            ERRCODE_PROGRAM_LIMIT_EXCEEDED);
	SET_VARSIZE(image, size);
	return image;
}

/*
 * The matrix of a state whose triplets are sorted runs, written from the
 * runs as they are merged (no merged copy); NULL when its columns are too
 * many and too scattered for that (then the runs are merged first).
 */
static struct varlena *
matrix_from_runs(StateExpanded *st)
{
	NmfcInterrupts intr = nmfpg_interrupts();
	NmfcError err;
	int64 first = 0;
	const int64 *starts = st->nruns > 1 ? st->runs : &first;
	int64 nnz, rows, cols, size;
	struct varlena *image;

	if (st->count == 0 && st->npacked == 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("matrix has no cells")));
	nmfpg_raise(nmfc_runs_measure(st->triplets, st->count, starts, st->nruns,
	                              (const void *const *)st->packed, st->npacked, &nnz, &rows, &cols,
	                              &intr, &err),
	            &err, ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE);
	if (cols < 0)
		return NULL;
	size = nmfc_matrix_size(rows, cols, nnz);
	nmfpg_check_image_size(size, "the nmf_matrix");
	nmfpg_check_memory(size, "the nmf_matrix");
	/* not zeroed: nmfc_runs_write sets every byte but the length word */
	image = (struct varlena *)palloc(size);
	advise_huge_pages(image, size);
	nmfpg_raise(nmfc_runs_write(st->triplets, st->count, starts, st->nruns,
	                            (const void *const *)st->packed, st->npacked, nnz, rows, cols,
	                            image, (size_t)size, &intr, &err),
	            &err, ERRCODE_PROGRAM_LIMIT_EXCEEDED);
	SET_VARSIZE(image, size);
	return image;
}

/*
 * Sorts the state's own array in place (FINALFUNC_MODIFY = READ_WRITE says
 * so) unless it is already sorted runs, then writes the matrix from the runs,
 * merging them on the way; duplicates are summed.
 */
Datum
nmf_matrix_final(PG_FUNCTION_ARGS)
{
	Datum d;
	NmfTriplet *t;
	int64 count;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	d = PG_GETARG_DATUM(0);
	if (VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)))
	{
		StateExpanded *st = (StateExpanded *)DatumGetEOHP(d);
		struct varlena *image;

		if (st->nruns == 0 && st->count > 0)
			state_sort(st);
		image = matrix_from_runs(st);
		if (image != NULL)
			PG_RETURN_POINTER(image);
		state_sort(st);
		t = st->triplets;
		count = st->count;
	}
	else
	{
		StateSource src = state_source(d);

		count = src.count;
		nmfpg_check_memory(Max(count, 1) * (int64)sizeof(NmfTriplet),
		                   "the nmf_matrix_state's cells");
		t = MemoryContextAllocHuge(CurrentMemoryContext, Max(count, 1) * sizeof(NmfTriplet));
		nmfc_state_cells(src.flat, t);
	}
	PG_RETURN_POINTER(nmfpg_matrix_from_triplets(t, count));
}

Datum
nmf_matrix_state_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(
	    nmfpg_image_from_base64(PG_GETARG_CSTRING(0), nmfc_state_validate, "nmf_matrix_state"));
}

Datum
nmf_matrix_state_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(nmfpg_image_to_base64(nmfpg_detoast_aligned(PG_GETARG_DATUM(0))));
}

Datum
nmf_matrix_state_recv(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(nmfpg_image_recv((StringInfo)PG_GETARG_POINTER(0), nmfc_state_validate));
}

Datum
nmf_matrix_state_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(nmfpg_image_send(PG_GETARG_DATUM(0)));
}
