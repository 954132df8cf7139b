/* SPDX-License-Identifier: PostgreSQL */
/*
 * Shared declarations of the PostgreSQL glue. Only src/pg includes postgres.h;
 * the core is reached through nmf_api.h alone.
 */
#ifndef NMFPG_H
#define NMFPG_H

#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nmf_api.h"
#include "utils/memutils.h"

/* guc.c */
extern int nmfpg_max_memory_kb;
extern int nmfpg_threads;
extern bool nmfpg_model_cache;
extern void nmfpg_check_memory(int64 bytes, const char *what);

/* progress.c: per-backend progress of a running fit, in shared memory when preloaded. */
extern void nmfpg_progress_init(void);
extern void nmfpg_progress_begin(const char *solver, int64 rows, int64 cols, int64 rank,
                                 int32 max_iter);
extern void nmfpg_progress_update(int32 iteration, double loss, double seconds);
extern void nmfpg_progress_end(void);

/* errors.c: raise a core status as an ERROR; never returns unless status is NMFC_OK. */
extern void nmfpg_raise(int status, const NmfcError *err, int invalid_data_errcode);
extern NmfcInterrupts nmfpg_interrupts(void);
extern void nmfpg_check_image_size(int64 size, const char *what);

/* image.c: the varlena images of nmf_matrix, nmf_matrix_state and nmf_model. */
typedef int (*nmfpg_validate_fn)(const void *flat, size_t size, NmfcError *err);

extern struct varlena *nmfpg_image_from_bytes(const char *data, int64 len,
                                              nmfpg_validate_fn validate, int errcode);
extern char *nmfpg_image_to_base64(const struct varlena *image);
extern struct varlena *nmfpg_image_recv(StringInfo buf, nmfpg_validate_fn validate);
extern bytea *nmfpg_image_send(Datum d);
extern struct varlena *nmfpg_image_from_bytea(Datum d, nmfpg_validate_fn validate);
extern struct varlena *nmfpg_image_from_base64(const char *text, nmfpg_validate_fn validate,
                                               const char *typname);
extern struct varlena *nmfpg_detoast_aligned(Datum d);

/*
 * The text (base64) and binary I/O functions of an image type, each form
 * validated by the same core validator: in, out, recv, send by their SQL names.
 */
#define NMFPG_IMAGE_IO(in, out, recv, send, validate, typname)                                     \
	PG_FUNCTION_INFO_V1(in);                                                                       \
	PG_FUNCTION_INFO_V1(out);                                                                      \
	PG_FUNCTION_INFO_V1(recv);                                                                     \
	PG_FUNCTION_INFO_V1(send);                                                                     \
	Datum in(PG_FUNCTION_ARGS)                                                                     \
	{                                                                                              \
		PG_RETURN_POINTER(nmfpg_image_from_base64(PG_GETARG_CSTRING(0), validate, typname));       \
	}                                                                                              \
	Datum out(PG_FUNCTION_ARGS)                                                                    \
	{                                                                                              \
		PG_RETURN_CSTRING(nmfpg_image_to_base64(nmfpg_detoast_aligned(PG_GETARG_DATUM(0))));       \
	}                                                                                              \
	Datum recv(PG_FUNCTION_ARGS)                                                                   \
	{                                                                                              \
		PG_RETURN_POINTER(nmfpg_image_recv((StringInfo)PG_GETARG_POINTER(0), validate));           \
	}                                                                                              \
	Datum send(PG_FUNCTION_ARGS)                                                                   \
	{                                                                                              \
		PG_RETURN_BYTEA_P(nmfpg_image_send(PG_GETARG_DATUM(0)));                                   \
	}

/*
 * A V1 function that is body(fcinfo, flag): two SQL functions sharing one C
 * body that a flag tells apart (nmf_w and nmf_h, ...).
 */
#define NMFPG_FUNCTION_WITH_FLAG(name, body, flag)                                                 \
	PG_FUNCTION_INFO_V1(name);                                                                     \
	Datum name(PG_FUNCTION_ARGS)                                                                   \
	{                                                                                              \
		return body(fcinfo, flag);                                                                 \
	}

extern const NmfMatrixFlat *nmfpg_matrix_arg(Datum d);
extern const NmfMatrixFlat *nmfpg_matrix_arg_stored(Datum d);
extern const NmfMatrixFlat *nmfpg_matrix_sparse(const NmfMatrixFlat *m);
extern struct varlena *nmfpg_matrix_compact(struct varlena *image);
extern struct varlena *nmfpg_model_current(struct varlena *v, int sqlstate);
extern const NmfModelFlat *nmfpg_model_arg(Datum d);
extern NmfcMatrixView nmfpg_matrix_view(const NmfMatrixFlat *m);
extern struct varlena *nmfpg_alloc_image(int64 size, const char *what);
/* count doubles as a bytea (its size checked as an image's, `what` named) */
extern bytea *nmfpg_doubles_bytea(const double *d, int64 count, const char *what);

/* matrix_io.c: build a matrix value from triplets the caller owns (sorted in place). */
extern struct varlena *nmfpg_matrix_from_triplets(NmfTriplet *t, int64 count);
/* matrix_agg.c: the one check of a cell's value */
extern void nmfpg_check_cell(int64 row, int64 col, double value);

/* fit.c: nmf()'s options and the fit driver, shared with nmf_fit() (fit_table.c). */
/* holder.c: a core handle freed with the current memory context (or at once). */
typedef struct NmfpgHolder
{
	void *handle; /* NULL once released */
	void (*release)(void *handle);
	MemoryContextCallback callback;
} NmfpgHolder;
extern NmfpgHolder *nmfpg_holder(void (*release)(void *handle));
extern void nmfpg_holder_release(NmfpgHolder *h);

/* How the glue drives and reports a fit, beside the core's options. */
typedef struct NmfpgFitRun
{
	bool verbose;          /* NOTICEs of the progress */
	bool warn_unconverged; /* max_iter left to its default: not converging is a WARNING */
} NmfpgFitRun;
/*
 * The options from the rank (argument rank_arg) on, in options.def's order;
 * nmf_fit() has `gap` = 1 more argument (models_table) after verbose.
 */
extern void nmfpg_parse_fit_options(FunctionCallInfo fcinfo, int rank_arg, int gap,
                                    NmfcOptions *opt, NmfpgFitRun *run);
/*
 * on_small => 'null': true, after a WARNING that names the condition and its
 * fix, when nothing can be fitted (x NULL: the matrix is NULL or the source
 * empty; rank > min(rows, cols); no nonzero cell), and the caller returns
 * NULL. Else false: the fit goes on, and with 'error' its checks raise.
 */
extern bool nmfpg_fit_skipped(const char *fn, const NmfcMatrixView *x, const NmfcOptions *opt);
/* A WARNING when a fit ended on its guard, or did not converge by the default max_iter. */
extern void nmfpg_warn_about_ending(const NmfcSummary *s, const NmfcOptions *opt,
                                    const NmfpgFitRun *run);
extern void nmfpg_validate_fit_options(const NmfcMatrixView *x, const NmfcOptions *opt);
extern int64 nmfpg_fit_memory_bound(const NmfcMatrixView *x, const NmfcOptions *opt);
extern NmfModelFlat *nmfpg_fit_matrix(const NmfcMatrixView *x, const int64 *row_ids,
                                      const int64 *col_ids, const NmfcOptions *opt,
                                      const NmfpgFitRun *run, int64 *image_size);

/* model_io.c */
extern char *nmfpg_model_info_json(const NmfModelFlat *m);

/* json.c: a growing JSON object text turned into jsonb. */
extern Datum nmfpg_jsonb_from_cstring(const char *json);
extern const char *nmfpg_json_number(double x);
extern const char *nmfpg_json_string(const char *s);

#define NMFPG_MATRIX_P(n) nmfpg_matrix_arg(PG_GETARG_DATUM(n))
#define NMFPG_MODEL_P(n) nmfpg_model_arg(PG_GETARG_DATUM(n))

#endif /* NMFPG_H */
