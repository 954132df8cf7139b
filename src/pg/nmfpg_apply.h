/* SPDX-License-Identifier: PostgreSQL */
/*
 * Helpers shared by the glue of the functions that use a model (predict.c,
 * recommend.c, similar.c, transform.c, score.c); defined in apply_args.c.
 *
 * The rule they enforce: a NULL model, matrix or id means "no value" and
 * gives NULL (or no rows); a NULL for any other argument (k, side, metric,
 * on_unknown, folds, ...) is an error 22004.
 */
#ifndef NMFPG_APPLY_H
#define NMFPG_APPLY_H

#include "nmfpg.h"

/* Raises 22004 naming the argument when argument argno is NULL. */
extern void nmfpg_arg_not_null(FunctionCallInfo fcinfo, int argno, const char *fn,
                               const char *name);

/* k >= 1, else 22023. */
extern void nmfpg_check_k(const char *fn, int32 k);
extern int32 nmfpg_threads_arg(FunctionCallInfo fcinfo, int arg, const char *fn);

/*
 * A text argument that takes one of two values: 0 for `first`, 1 for
 * `second`; anything else is 22023 naming both.
 */
extern int nmfpg_choice_arg(FunctionCallInfo fcinfo, int argno, const char *fn, const char *name,
                            const char *first, const char *second);

/*
 * The on_unknown option: false for 'null' (an unknown id gives NULL or no
 * rows), true for 'error'; anything else is 22023.
 */
extern bool nmfpg_on_unknown_error(FunctionCallInfo fcinfo, int argno, const char *fn);

/*
 * The view of a model argument, its clipping to the training range turned
 * off when argument clip_arg (the clip option) is given and false; an older
 * declaration without it clips. *model (when model is not NULL): its image.
 */
extern NmfcModelView nmfpg_model_view_arg(FunctionCallInfo fcinfo, int model_arg, int clip_arg,
                                          bool cached, const NmfModelFlat **model);

/* Raises 22023: "<fn>: <what> id <id> is not in the model". */
extern void nmfpg_unknown_id(const char *fn, const char *what, int64 id) pg_attribute_noreturn();

/*
 * A model or matrix argument, detoasted once per value per query: when the
 * same on-disk TOAST value comes again (a model joined with many rows), the
 * copy kept in fn_extra (one per argument position) is reused.
 */
extern const NmfModelFlat *nmfpg_model_arg_cached(FunctionCallInfo fcinfo, int argno);

/*
 * A model argument that is a value stored on disk (a TOAST pointer), decoded
 * once per backend and kept for later queries (model_cache.c); NULL for a
 * value that is not stored out of line.
 */
extern const NmfModelFlat *nmfpg_model_backend_cached(Datum d);
extern const NmfMatrixFlat *nmfpg_matrix_arg_cached(FunctionCallInfo fcinfo, int argno);

/*
 * The elements of a bigint[] argument as a C array of count values; *isnull
 * is NULL when no element is NULL, else count flags (the value is 0 there).
 */
extern const int64 *nmfpg_int8_array(Datum d, int64 *count, uint8 **isnull);

#endif /* NMFPG_APPLY_H */
