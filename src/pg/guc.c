/* SPDX-License-Identifier: PostgreSQL */
/*
 * Settings: nmf.max_memory bounds what one call may allocate, checked before
 * the big allocations; nmf.threads is how many threads a fit's iterations use
 * (the backend's own thread included; the others are joined before the call
 * returns); nmf.model_cache keeps stored models decoded (model_cache.c).
 */
#include "postgres.h"

#include "utils/guc.h"

#include <limits.h>
#include <unistd.h>

#include "nmfpg.h"

PG_MODULE_MAGIC;

void _PG_init(void);

/* In kB, like work_mem. */
int nmfpg_max_memory_kb = 4 * 1024 * 1024;

/* The default: the machine's cores, at most 8 (set in _PG_init). */
int nmfpg_threads = 1;

bool nmfpg_model_cache = true;

static int
default_threads(void)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	if (cores < 1)
		return 1;
	return cores > 8 ? 8 : (int)cores;
}

void
_PG_init(void)
{
	DefineCustomIntVariable("nmf.max_memory",
	                        "Largest memory one nmf call may allocate for a matrix or a fit.",
	                        "Checked before allocating; a larger request is refused with an error.",
	                        &nmfpg_max_memory_kb, 4 * 1024 * 1024, 1024, INT_MAX, PGC_USERSET,
	                        GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomIntVariable("nmf.threads", "Threads one nmf fit uses, the backend's own included.",
	                        "Default: the machine's cores, at most 8. Results do not depend on it.",
	                        &nmfpg_threads, default_threads(), 1, NMF_MAX_THREADS, PGC_USERSET, 0,
	                        NULL, NULL, NULL);
	DefineCustomBoolVariable("nmf.model_cache",
	                         "Keep the last two models read from a table decoded in this backend.",
	                         "Saves detoasting a large model on every serving query; off frees "
	                         "that memory.",
	                         &nmfpg_model_cache, true, PGC_USERSET, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("nmf");
	nmfpg_progress_init();
}

static char *
pretty_bytes(int64 bytes)
{
	if (bytes >= (int64)10 * 1024 * 1024 * 1024)
		return psprintf(INT64_FORMAT " GB", bytes / (1024 * 1024 * 1024));
	if (bytes >= (int64)10 * 1024 * 1024)
		return psprintf(INT64_FORMAT " MB", bytes / (1024 * 1024));
	if (bytes >= (int64)10 * 1024)
		return psprintf(INT64_FORMAT " kB", bytes / 1024);
	return psprintf(INT64_FORMAT " bytes", bytes);
}

void
nmfpg_check_memory(int64 bytes, const char *what)
{
	int64 limit = (int64)nmfpg_max_memory_kb * 1024;

	if (bytes < 0 || bytes > limit)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
		                errmsg("%s needs %s, more than nmf.max_memory = %s", what,
		                       bytes < 0 ? "more than int64 can count" : pretty_bytes(bytes),
		                       pretty_bytes(limit)),
		                errhint("Raise nmf.max_memory, or lower the rank or the matrix size.")));
}
