/* SPDX-License-Identifier: PostgreSQL */
/*
 * The nmf_matrix aggregate's keys as it builds: each side's text or uuid
 * keys by id, in an open-addressing table (PostgreSQL's simplehash) of the
 * state's context, read by id when the matrix's key table is written.
 */
#include "postgres.h"

#include "nmfpg_keys.h"

/* The ids of text and uuid keys are hashes already: their own hash. */
typedef struct DictEntry
{
	int64 id;
	char status; /* simplehash's */
	int64 len;
	char *bytes;
} DictEntry;

#define SH_PREFIX keydict
#define SH_ELEMENT_TYPE DictEntry
#define SH_KEY_TYPE int64
#define SH_KEY id
#define SH_HASH_KEY(tb, key) ((uint32)((uint64)(key) ^ ((uint64)(key) >> 32)))
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

void
nmfpg_dict_init(NmfpgKeyDict *d, int kind, MemoryContext cxt)
{
	d->kind = kind;
	d->table = NULL;
	d->cxt = cxt;
	if (kind != NMF_KEY_ID)
		d->table = keydict_create(cxt, 1024, NULL);
}

static void
dict_add(NmfpgKeyDict *d, int64 id, const char *bytes, int64 len)
{
	bool found;
	DictEntry *e = keydict_insert(d->table, id, &found);

	if (!found)
	{
		e->len = len;
		e->bytes = MemoryContextAlloc(d->cxt, len > 0 ? len : 1);
		memcpy(e->bytes, bytes, len);
	}
	else if (e->len != len || memcmp(e->bytes, bytes, len) != 0)
		ereport(ERROR, (errcode(ERRCODE_UNIQUE_VIOLATION),
		                errmsg("nmf_matrix: two different keys have the same 64-bit id"),
		                errhint("Map these keys to bigint ids yourself (a collision happens about "
		                        "once in 2^64 pairs of keys).")));
}

const char *
nmfpg_dict_lookup(const NmfpgKeyDict *d, int64 id, int64 *len)
{
	DictEntry *e = keydict_lookup(d->table, id);

	if (e == NULL)
		return NULL;
	*len = e->len;
	return e->bytes;
}

NmfpgKeys
nmfpg_dict_source(const NmfpgKeyDict *d)
{
	NmfpgKeys k = {d->kind, 0, NULL, NULL, NULL, d};

	if (d->table)
		k.count = d->table->members;
	return k;
}

int64
nmfpg_dict_add_datum(NmfpgKeyDict *d, Datum key, Oid base)
{
	const char *bytes;
	int64 len, id;

	if (d->kind == NMF_KEY_ID)
		return nmfpg_key_id(key, base);
	bytes = nmfpg_key_datum_bytes(key, base, &len);
	id = nmfpg_key_hash(bytes, len);
	dict_add(d, id, bytes, len);
	return id;
}

void
nmfpg_dict_add_keys(NmfpgKeyDict *d, const NmfpgKeys *k)
{
	if (k->kind != d->kind)
		ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
		                errmsg("nmf_matrix: partial states with %s and %s keys",
		                       nmfpg_key_kind_name(d->kind), nmfpg_key_kind_name(k->kind))));
	for (int64 i = 0; i < k->count; i++)
	{
		int64 len;
		const char *bytes = nmfpg_key_bytes(k, i, &len);

		dict_add(d, k->ids[i], bytes, len);
	}
}

void
nmfpg_dict_add_dict(NmfpgKeyDict *d, const NmfpgKeyDict *other)
{
	keydict_iterator it;
	DictEntry *e;

	if (other->kind != d->kind)
		ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
		                errmsg("nmf_matrix: partial states with %s and %s keys",
		                       nmfpg_key_kind_name(d->kind), nmfpg_key_kind_name(other->kind))));
	if (other->table == NULL)
		return;
	keydict_start_iterate(other->table, &it);
	while ((e = keydict_iterate(other->table, &it)) != NULL)
		dict_add(d, e->id, e->bytes, e->len);
}

static int
compare_ids(const void *a, const void *b)
{
	int64 x = *(const int64 *)a, y = *(const int64 *)b;

	return x < y ? -1 : x > y;
}

const int64 *
nmfpg_dict_ids(const NmfpgKeyDict *d, int64 *count)
{
	keydict_iterator it;
	DictEntry *e;
	int64 n = 0;
	int64 *ids;

	*count = d->table ? d->table->members : 0;
	ids = palloc_extended(Max(*count, 1) * sizeof(int64), MCXT_ALLOC_HUGE);
	if (d->table == NULL)
		return ids;
	keydict_start_iterate(d->table, &it);
	while ((e = keydict_iterate(d->table, &it)) != NULL)
		ids[n++] = e->id;
	qsort(ids, n, sizeof(int64), compare_ids);
	return ids;
}
