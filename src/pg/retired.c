/* SPDX-License-Identifier: PostgreSQL */
/*
 * C names that an earlier version's declarations bind to functions the
 * current version has removed (nmf_fit_distributed's own multiplicative
 * updates, gone in 0.10: it runs nmf_distributed now). The library serves
 * every version's catalog, so each name stays, and says what to do.
 */
#include "postgres.h"

#include "fmgr.h"

static void
retired(const char *name)
{
	ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
	                errmsg("%s belongs to an earlier version of the nmf extension than its "
	                       "library",
	                       name),
	                errhint("Run ALTER EXTENSION nmf UPDATE.")));
}

#define NMFPG_RETIRED(name)                                                                        \
	PG_FUNCTION_INFO_V1(name);                                                                     \
	Datum name(PG_FUNCTION_ARGS)                                                                   \
	{                                                                                              \
		retired(#name);                                                                            \
		PG_RETURN_NULL();                                                                          \
	}

NMFPG_RETIRED(nmf_dist_init)
NMFPG_RETIRED(nmf_dist_hstats_add)
NMFPG_RETIRED(nmf_dist_rowstats_add)
NMFPG_RETIRED(nmf_dist_gram_add)
NMFPG_RETIRED(nmf_dist_sum)
NMFPG_RETIRED(nmf_dist_update_h)
NMFPG_RETIRED(nmf_dist_update_w)
NMFPG_RETIRED(nmf_dist_gram_cols)
NMFPG_RETIRED(nmf_dist_predict)
NMFPG_RETIRED(nmf_dist_cell_loss)
NMFPG_RETIRED(nmf_dist_dot)
NMFPG_RETIRED(nmf_dist_square)
