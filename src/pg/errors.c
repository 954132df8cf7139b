/* SPDX-License-Identifier: PostgreSQL */
/*
 * The one error path: every status the core returns becomes an ERROR with a
 * real SQLSTATE here, after the core call has returned.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "nmfpg.h"

NmfcInterrupts
nmfpg_interrupts(void)
{
	NmfcInterrupts intr;

	/* sig_atomic_t is int on every platform PostgreSQL supports with threads. */
	StaticAssertStmt(sizeof(sig_atomic_t) == sizeof(int), "sig_atomic_t must be int");
	intr.flags[0] = (const volatile int *)&QueryCancelPending;
	intr.flags[1] = (const volatile int *)&ProcDiePending;
	return intr;
}

void
nmfpg_raise(int status, const NmfcError *err, int invalid_data_errcode)
{
	const char *msg = err ? err->message : "unknown error";

	switch (status)
	{
	case NMFC_OK:
		return;
	case NMFC_INVALID_ARGUMENT:
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("%s", msg)));
		break;
	case NMFC_INVALID_DATA:
		ereport(ERROR, (errcode(invalid_data_errcode), errmsg("%s", msg)));
		break;
	case NMFC_LIMIT_EXCEEDED:
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED), errmsg("%s", msg)));
		break;
	case NMFC_OUT_OF_MEMORY:
		ereport(ERROR,
		        (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory"), errdetail("%s", msg),
		         errhint("Lower the rank or the matrix size, or add memory.")));
		break;
	case NMFC_CANCELLED:
		/* The core stopped because a flag was set: let PostgreSQL raise its own error. */
		CHECK_FOR_INTERRUPTS();
		ereport(ERROR,
		        (errcode(ERRCODE_QUERY_CANCELED), errmsg("canceling statement due to interrupt")));
		break;
	default:
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("nmf internal error: %s", msg)));
	}
}

/* A value must fit in one varlena (1 GB); say so before anything is allocated. */
void
nmfpg_check_image_size(int64 size, const char *what)
{
	if (size < 0 || (Size)size > MaxAllocSize)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
		                errmsg("%s would take more than 1 GB, the limit of one value", what),
		                errhint("Lower the rank, or split the matrix.")));
}
