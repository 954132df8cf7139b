/* SPDX-License-Identifier: PostgreSQL */
/*
 * The per-backend cache of decoded models: a serving query reads its model
 * from a table (SELECT ... FROM models, nmf_recommend(m, ...)), and
 * detoasting a 100,000-item model costs more than scoring it. The last
 * CACHE_SLOTS models this backend read from disk stay decoded, keyed by what
 * identifies a stored value: its TOAST pointer (toast relation, value id,
 * sizes). A stored TOAST value never changes, and an UPDATE of the model
 * writes a new one under a new id, so a changed row is a miss, never a stale
 * hit. The one way an id could name other bytes is its reuse after the old
 * value was vacuumed away and the OID counter went round (2^32 values); the
 * first bytes of the value (the model's header: its shape, loss, seconds) are
 * read again on every hit (one chunk) and compared, so even then a different
 * model is not served.
 */
#include "postgres.h"

#include "access/detoast.h"
#include "nmfpg_apply.h"

#define CACHE_SLOTS 2

typedef struct CachedModel
{
	bool valid;
	Oid toastrelid;
	Oid valueid;
	int32 rawsize;
	int32 extinfo;
	char head[sizeof(NmfModelFlat)]; /* the stored value's first bytes after the length word */
	int32 head_len;
	uint64 last_use;
	MemoryContext cxt;
	const NmfModelFlat *image;
} CachedModel;

static CachedModel slots[CACHE_SLOTS];
static uint64 use_clock;

/* The first bytes of a stored value after its length word, into head; their count. */
static int32
read_head(struct varlena *raw, char *head)
{
	struct varlena *slice = detoast_attr_slice(raw, 0, (int32)sizeof(NmfModelFlat) - VARHDRSZ);
	int32 len = (int32)VARSIZE_ANY_EXHDR(slice);

	memcpy(head, VARDATA_ANY(slice), len);
	pfree(slice);
	return len;
}

static bool
same_key(const CachedModel *c, const struct varatt_external *ext)
{
	return c->valid && c->toastrelid == ext->va_toastrelid && c->valueid == ext->va_valueid &&
	       c->rawsize == ext->va_rawsize && c->extinfo == (int32)ext->va_extinfo;
}

const NmfModelFlat *
nmfpg_model_backend_cached(Datum d)
{
	struct varlena *raw = (struct varlena *)DatumGetPointer(d);
	struct varatt_external ext;
	char head[sizeof(NmfModelFlat)];
	int32 head_len;
	CachedModel *slot = &slots[0];
	MemoryContext old, load;
	const NmfModelFlat *m;

	if (!VARATT_IS_EXTERNAL_ONDISK(raw))
		return NULL;
	if (!nmfpg_model_cache)
	{
		for (int i = 0; i < CACHE_SLOTS; i++)
			if (slots[i].valid)
			{
				slots[i].valid = false;
				MemoryContextReset(slots[i].cxt);
			}
		return NULL;
	}
	VARATT_EXTERNAL_GET_POINTER(ext, raw);
	head_len = read_head(raw, head);
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (same_key(&slots[i], &ext))
		{
			if (slots[i].head_len != head_len || memcmp(slots[i].head, head, head_len) != 0)
			{
				slots[i].valid = false; /* the id names other bytes now */
				break;
			}
			slots[i].last_use = ++use_clock;
			return slots[i].image;
		}
	/* The least recently used slot takes the new model. */
	for (int i = 1; i < CACHE_SLOTS; i++)
		if (!slots[i].valid || (slot->valid && slots[i].last_use < slot->last_use))
			slot = &slots[i];
	slot->valid = false;
	if (slot->cxt == NULL)
		slot->cxt =
		    AllocSetContextCreate(TopMemoryContext, "nmf model cache", ALLOCSET_DEFAULT_SIZES);
	MemoryContextReset(slot->cxt);
	/* Decoded in a scratch context (the detoasted copy, an upgrade), then only the image kept. */
	load = AllocSetContextCreate(CurrentMemoryContext, "nmf model load", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(load);
	m = nmfpg_model_arg(d);
	MemoryContextSwitchTo(old);
	slot->image = MemoryContextAllocHuge(slot->cxt, VARSIZE(m));
	memcpy((void *)slot->image, m, VARSIZE(m));
	MemoryContextDelete(load);
	slot->toastrelid = ext.va_toastrelid;
	slot->valueid = ext.va_valueid;
	slot->rawsize = ext.va_rawsize;
	slot->extinfo = (int32)ext.va_extinfo;
	memcpy(slot->head, head, head_len);
	slot->head_len = head_len;
	slot->last_use = ++use_clock;
	slot->valid = true;
	return slot->image;
}
