/* SPDX-License-Identifier: PostgreSQL */
/*
 * Progress of running fits, visible from any session through the nmf_progress
 * view. Each backend owns one slot in shared memory (indexed by its backend
 * id) and rewrites it once per iteration under the slot's spinlock; readers
 * copy a slot under the same lock. Shared memory can only be reserved at
 * server start, so this needs shared_preload_libraries = 'nmf'; without it
 * fits run as usual and the view says how to turn it on.
 */
#include "postgres.h"

#include "catalog/pg_authid.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nmfpg.h"
#include "storage/backendid.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(nmf_progress_read);

typedef struct ProgressSlot
{
	slock_t mutex;
	bool active;
	int pid;
	Oid userid;
	TimestampTz started;
	char solver[16];
	int64 rows, cols, rank;
	int32 iteration, max_iter;
	double loss, seconds;
} ProgressSlot;

static ProgressSlot *slots = NULL;
static int slot_count = 0;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static Size
progress_shmem_size(void)
{
	return mul_size(MaxBackends, sizeof(ProgressSlot));
}

static void
progress_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(progress_shmem_size());
}

static void
progress_shmem_startup(void)
{
	bool found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	slots = ShmemInitStruct("nmf progress", progress_shmem_size(), &found);
	slot_count = MaxBackends;
	if (!found)
	{
		memset(slots, 0, progress_shmem_size());
		for (int i = 0; i < slot_count; i++)
			SpinLockInit(&slots[i].mutex);
	}
	LWLockRelease(AddinShmemInitLock);
}

void
nmfpg_progress_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = progress_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = progress_shmem_startup;
}

static ProgressSlot *
my_slot(void)
{
	if (slots == NULL || MyBackendId == InvalidBackendId || MyBackendId < 1 ||
	    MyBackendId > slot_count)
		return NULL;
	return &slots[MyBackendId - 1];
}

/* This backend's slot, its spinlock held; NULL (nothing held) without shared memory. */
static ProgressSlot *
lock_my_slot(void)
{
	ProgressSlot *s = my_slot();

	if (s != NULL)
		SpinLockAcquire(&s->mutex);
	return s;
}

/* The fields an iteration changes; the caller holds the slot's spinlock. */
static void
set_iteration(ProgressSlot *s, int32 iteration, double loss, double seconds)
{
	s->iteration = iteration;
	s->loss = loss;
	s->seconds = seconds;
}

void
nmfpg_progress_begin(const char *solver, int64 rows, int64 cols, int64 rank, int32 max_iter)
{
	ProgressSlot *s = lock_my_slot();

	if (s == NULL)
		return;
	s->active = true;
	s->pid = MyProcPid;
	s->userid = GetUserId();
	s->started = GetCurrentTimestamp();
	strlcpy(s->solver, solver ? solver : "", sizeof(s->solver));
	s->rows = rows;
	s->cols = cols;
	s->rank = rank;
	s->max_iter = max_iter;
	set_iteration(s, 0, 0, 0);
	SpinLockRelease(&s->mutex);
}

void
nmfpg_progress_update(int32 iteration, double loss, double seconds)
{
	ProgressSlot *s = lock_my_slot();

	if (s == NULL)
		return;
	set_iteration(s, iteration, loss, seconds);
	SpinLockRelease(&s->mutex);
}

void
nmfpg_progress_end(void)
{
	ProgressSlot *s = lock_my_slot();

	if (s == NULL)
		return;
	s->active = false;
	SpinLockRelease(&s->mutex);
}

/* Like pg_stat_activity: a role sees its own fits, pg_read_all_stats sees all. */
Datum
nmf_progress_read(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	bool read_all = has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS);

	if (slots == NULL)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		                errmsg("nmf progress is not available"),
		                errhint("Add nmf to shared_preload_libraries and restart the server.")));
	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < slot_count; i++)
	{
		ProgressSlot copy;
		Datum values[10];
		bool nulls[10] = {false};

		SpinLockAcquire(&slots[i].mutex);
		copy = slots[i];
		SpinLockRelease(&slots[i].mutex);
		if (!copy.active || (!read_all && !has_privs_of_role(GetUserId(), copy.userid)))
			continue;
		values[0] = Int32GetDatum(copy.pid);
		values[1] = TimestampTzGetDatum(copy.started);
		values[2] = CStringGetTextDatum(copy.solver);
		values[3] = Int64GetDatum(copy.rows);
		values[4] = Int64GetDatum(copy.cols);
		values[5] = Int32GetDatum((int32)copy.rank);
		values[6] = Int32GetDatum(copy.iteration);
		values[7] = Int32GetDatum(copy.max_iter);
		values[8] = Float8GetDatum(copy.loss);
		values[9] = Float8GetDatum(copy.seconds);
		nulls[8] = copy.iteration == 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum)0;
}
