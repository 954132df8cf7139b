/* SPDX-License-Identifier: PostgreSQL */
/*
 * nmf_update(model, new_cells, sweeps, threads): a new model that takes in
 * new cells without a full refit (src/core/update.cpp says how, and what it
 * assumes about the cells the model was trained on).
 */
#include "postgres.h"

#include "nmfpg_apply.h"
#include "nmfpg_keys.h"

PG_FUNCTION_INFO_V1(nmf_update);

enum
{
	ARG_MODEL,
	ARG_CELLS,
	ARG_SWEEPS,
	ARG_THREADS
};

static void
update_release(void *handle)
{
	nmfc_update_free((NmfcUpdate *)handle);
}

Datum
nmf_update(PG_FUNCTION_ARGS)
{
	NmfcInterrupts intr = nmfpg_interrupts();
	const NmfModelFlat *model;
	NmfcMatrixView x;
	NmfpgHolder *holder;
	NmfcUpdate *u = NULL;
	NmfcError err;
	int64 size;
	int32 sweeps, threads;
	int status;
	struct varlena *image;
	const NmfMatrixFlat *cells;
	NmfpgKeys sources[2][2];

	nmfpg_arg_not_null(fcinfo, ARG_SWEEPS, "nmf_update", "sweeps");
	sweeps = PG_GETARG_INT32(ARG_SWEEPS);
	if (sweeps < 1 || sweeps > 100)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("nmf_update: sweeps must be between 1 and 100, not %d", sweeps)));
	threads = nmfpg_threads_arg(fcinfo, ARG_THREADS, "nmf_update");
	/* No model or no cells: nothing to update, as for the other functions of a model. */
	if (PG_ARGISNULL(ARG_MODEL))
		PG_RETURN_NULL();
	if (PG_ARGISNULL(ARG_CELLS))
		PG_RETURN_DATUM(PG_GETARG_DATUM(ARG_MODEL));
	model = NMFPG_MODEL_P(ARG_MODEL);
	cells = NMFPG_MATRIX_P(ARG_CELLS);
	nmfpg_check_same_keys("nmf_update", model, cells);
	x = nmfpg_matrix_view(cells);

	holder = nmfpg_holder(update_release);
	status = nmfc_update_run(model, &x, sweeps, threads, &intr, &u, &size, &err);
	holder->handle = u;
	nmfpg_raise(status, &err, ERRCODE_INVALID_PARAMETER_VALUE);
	image = nmfpg_alloc_image(size, "the updated nmf_model");
	nmfpg_raise(nmfc_update_write(u, image, (size_t)size, &err), &err, ERRCODE_INTERNAL_ERROR);
	nmfpg_holder_release(holder);
	/* New rows and columns take their keys from the cells, the others keep the model's. */
	sources[0][0] = nmfpg_image_keys(model, NMFPG_ROWS);
	sources[0][1] = nmfpg_image_keys(cells, NMFPG_ROWS);
	sources[1][0] = nmfpg_image_keys(model, NMFPG_COLS);
	sources[1][1] = nmfpg_image_keys(cells, NMFPG_COLS);
	PG_RETURN_POINTER(nmfpg_model_with_keys(image, sources[0], sources[1], 2));
}
