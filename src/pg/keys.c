/* SPDX-License-Identifier: PostgreSQL */
/*
 * Keys of any type: ids from text and uuid keys, their key table in an
 * image, and keys back as values of the caller's type.
 *
 * The id is PostgreSQL's hash_bytes_extended of the key's bytes with a fixed
 * seed: the same key has the same id in a training matrix, a test matrix and
 * a model, so everything that meets by id (scoring, fold-in, updates,
 * excluded cells) works unchanged. Two keys of one matrix with the same id
 * (one chance in 2^64 per pair) are refused when the matrix is built.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "nmfpg_apply.h"
#include "nmfpg_keys.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/uuid.h"

#define KEY_HASH_SEED UINT64CONST(0x6e6d665f6b657973) /* "nmf_keys" */

static const char *const kind_names[NMF_KEY_COUNT] = {"bigint", "text", "uuid"};

const char *
nmfpg_key_kind_name(int kind)
{
	return kind >= 0 && kind < NMF_KEY_COUNT ? kind_names[kind] : "unknown";
}

int
nmfpg_key_kind(Oid type, const char *fn)
{
	switch (getBaseType(type))
	{
	case INT8OID:
	case INT4OID:
	case INT2OID:
		return NMF_KEY_ID;
	case TEXTOID:
	case VARCHAROID:
		return NMF_KEY_TEXT;
	case UUIDOID:
		return NMF_KEY_UUID;
	default:
		ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
		                errmsg("%s: keys of type %s are not supported", fn, format_type_be(type)),
		                errhint("Use bigint, integer, text or uuid keys, or cast them to one.")));
	}
	return NMF_KEY_ID;
}

static int64
hash_key(const char *bytes, int64 len)
{
	return (int64)hash_bytes_extended((const unsigned char *)bytes, (int)len, KEY_HASH_SEED);
}

int64
nmfpg_key_id(Datum key, Oid base)
{
	switch (base)
	{
	case INT8OID:
		return DatumGetInt64(key);
	case INT4OID:
		return DatumGetInt32(key);
	case INT2OID:
		return DatumGetInt16(key);
	case UUIDOID:
		return hash_key((const char *)DatumGetUUIDP(key)->data, NMF_UUID_BYTES);
	default:
	{
		text *t = DatumGetTextPP(key);

		return hash_key(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	}
	}
}

/* keys_bytes sits at the same offset in the three image headers. */
static uint32
keys_bytes_of(const void *image)
{
	StaticAssertStmt(offsetof(NmfMatrixFlat, keys_bytes) == 12 &&
	                     offsetof(NmfStateFlat, keys_bytes) == 12 &&
	                     offsetof(NmfModelFlat, keys_bytes) == 12,
	                 "keys_bytes moved");
	return ((const NmfMatrixFlat *)image)->keys_bytes;
}

NmfpgKeys
nmfpg_image_keys(const void *image, int side)
{
	NmfpgKeys k = {NMF_KEY_ID, 0, NULL, NULL, NULL, NULL};
	uint32 bytes = keys_bytes_of(image);
	const NmfKeysFlat *t;
	const char *p;

	if (bytes == 0)
		return k;
	t = (const NmfKeysFlat *)((const char *)image + VARSIZE(image) - bytes);
	p = (const char *)(t + 1);
	for (int s = 0; s <= side; s++)
	{
		k.kind = s == NMFPG_ROWS ? t->row_kind : t->col_kind;
		k.count = s == NMFPG_ROWS ? t->row_count : t->col_count;
		k.ids = (const int64 *)p;
		k.ends = k.ids + k.count;
		k.data = (const char *)(k.ends + k.count);
		if (k.count > 0)
			p = k.data + nmf_pad8(k.ends[k.count - 1]);
	}
	return k;
}

Oid
nmfpg_check_key_type(const char *fn, const char *what, const NmfpgKeys *k, Oid type)
{
	int kind = nmfpg_key_kind(type, fn);

	if (kind != k->kind)
		ereport(ERROR,
		        (errcode(ERRCODE_DATATYPE_MISMATCH),
		         errmsg("%s: the model's %s keys are %s, not %s", fn, what,
		                nmfpg_key_kind_name(k->kind), format_type_be(type)),
		         k->kind == NMF_KEY_ID
		             ? errhint("Give the %s keys as bigint or integer.", what)
		             : errhint("Give the %s keys as %s (a function that returns keys takes "
		                       "their type as an argument, e.g. NULL::%s).",
		                       what, nmfpg_key_kind_name(k->kind), nmfpg_key_kind_name(k->kind))));
	return getBaseType(type);
}

/* The position of id in k, -1 when it has no key. */
static int64
find_key(const NmfpgKeys *k, int64 id)
{
	int64 lo = 0, hi = k->count;

	while (lo < hi)
	{
		int64 mid = lo + (hi - lo) / 2;

		if (k->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < k->count && k->ids[lo] == id ? lo : -1;
}

static const char *
key_bytes(const NmfpgKeys *k, int64 at, int64 *len)
{
	int64 begin = at == 0 ? 0 : k->ends[at - 1];

	*len = k->ends[at] - begin;
	return k->data + begin;
}

Datum
nmfpg_key_datum(const NmfpgKeys *k, int64 id, Oid base)
{
	int64 at, len;
	const char *bytes;

	if (k->kind == NMF_KEY_ID)
	{
		if (base == INT8OID)
			return Int64GetDatum(id);
		if ((base == INT4OID && (id < PG_INT32_MIN || id > PG_INT32_MAX)) ||
		    (base == INT2OID && (id < PG_INT16_MIN || id > PG_INT16_MAX)))
			ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			                errmsg("id " INT64_FORMAT " is out of range for type %s", id,
			                       format_type_be(base)),
			                errhint("Ask for the keys as bigint.")));
		return base == INT4OID ? Int32GetDatum((int32)id) : Int16GetDatum((int16)id);
	}
	at = find_key(k, id);
	if (at < 0)
		elog(ERROR, "id " INT64_FORMAT " has no key in the key table", id);
	bytes = key_bytes(k, at, &len);
	if (k->kind == NMF_KEY_UUID)
	{
		pg_uuid_t *u = palloc(sizeof(pg_uuid_t));

		memcpy(u->data, bytes, NMF_UUID_BYTES);
		return UUIDPGetDatum(u);
	}
	return PointerGetDatum(cstring_to_text_with_len(bytes, (int)len));
}

/*
 * The keys of ascending ids from sources with ascending ids: a cursor per
 * source that only moves forward, so a whole side costs one merge.
 */
typedef struct KeyCursor
{
	const NmfpgKeys *src;
	int nsrc;
	int64 at[4];
} KeyCursor;

static const char *dict_lookup(const NmfpgKeyDict *d, int64 id, int64 *len);

static const char *
cursor_key(KeyCursor *c, int64 id, int64 *len)
{
	for (int s = 0; s < c->nsrc; s++)
	{
		const NmfpgKeys *k = &c->src[s];
		const char *bytes;

		if (k->kind == NMF_KEY_ID)
			continue;
		if (k->dict && (bytes = dict_lookup(k->dict, id, len)) != NULL)
			return bytes;
		if (k->dict)
			continue;
		while (c->at[s] < k->count && k->ids[c->at[s]] < id)
			c->at[s]++;
		if (c->at[s] < k->count && k->ids[c->at[s]] == id)
			return key_bytes(k, c->at[s], len);
	}
	elog(ERROR, "id " INT64_FORMAT " has no key in the key tables it came from", id);
	return NULL;
}

static KeyCursor
cursor_of(const NmfpgKeys *src, int nsrc)
{
	KeyCursor c;

	if (nsrc > (int)lengthof(c.at))
		elog(ERROR, "too many key sources");
	memset(&c, 0, sizeof(c));
	c.src = src;
	c.nsrc = nsrc;
	return c;
}

/* The bytes one side takes in a key table: ids, ends and padded data. */
static Size
side_bytes(int kind, const int64 *ids, int64 n, const NmfpgKeys *src, int nsrc)
{
	KeyCursor c = cursor_of(src, nsrc);
	Size data = 0;

	if (kind == NMF_KEY_ID)
		return 0;
	for (int64 i = 0; i < n; i++)
	{
		int64 len;

		cursor_key(&c, ids[i], &len);
		data += len;
	}
	return (Size)n * 16 + (Size)nmf_pad8((int64)data);
}

static char *
write_side(char *p, int kind, const int64 *ids, int64 n, const NmfpgKeys *src, int nsrc)
{
	KeyCursor c = cursor_of(src, nsrc);
	int64 *out_ids = (int64 *)p;
	int64 *ends = out_ids + n;
	char *data = (char *)(ends + n);
	int64 used = 0;

	if (kind == NMF_KEY_ID)
		return p;
	memcpy(out_ids, ids, n * sizeof(int64));
	for (int64 i = 0; i < n; i++)
	{
		int64 len;
		const char *bytes = cursor_key(&c, ids[i], &len);

		memcpy(data + used, bytes, len);
		used += len;
		ends[i] = used;
	}
	memset(data + used, 0, nmf_pad8(used) - used);
	return data + nmf_pad8(used);
}

struct varlena *
nmfpg_with_keys(struct varlena *image, const int64 *row_ids, int64 rows, const int64 *col_ids,
                int64 cols, const NmfpgKeys *row_src, const NmfpgKeys *col_src, int nsrc)
{
	int row_kind = nsrc > 0 ? row_src[0].kind : NMF_KEY_ID;
	int col_kind = nsrc > 0 ? col_src[0].kind : NMF_KEY_ID;
	Size base = VARSIZE(image), table;
	struct varlena *out;
	NmfKeysFlat *t;
	char *p;

	if (row_kind == NMF_KEY_ID && col_kind == NMF_KEY_ID)
		return image;
	table = sizeof(NmfKeysFlat) + side_bytes(row_kind, row_ids, rows, row_src, nsrc) +
	        side_bytes(col_kind, col_ids, cols, col_src, nsrc);
	if (base + table > MaxAllocHugeSize || table > PG_UINT32_MAX)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
		                errmsg("the keys take %zu bytes, too many for one value", table)));
	nmfpg_check_image_size((int64)(base + table), "the value with its keys");
	out = (struct varlena *)palloc_extended(base + table, MCXT_ALLOC_HUGE);
	memcpy(out, image, base);
	SET_VARSIZE(out, base + table);
	((NmfMatrixFlat *)out)->keys_bytes = (uint32)table;
	t = (NmfKeysFlat *)((char *)out + base);
	memset(t, 0, sizeof(*t));
	t->magic = NMF_KEYS_MAGIC;
	t->row_kind = (uint8)row_kind;
	t->col_kind = (uint8)col_kind;
	t->row_count = row_kind == NMF_KEY_ID ? 0 : rows;
	t->col_count = col_kind == NMF_KEY_ID ? 0 : cols;
	p = write_side((char *)(t + 1), row_kind, row_ids, rows, row_src, nsrc);
	write_side(p, col_kind, col_ids, cols, col_src, nsrc);
	return out;
}

struct varlena *
nmfpg_matrix_with_keys(struct varlena *matrix, const NmfpgKeys *row_src, const NmfpgKeys *col_src,
                       int nsrc)
{
	const NmfMatrixFlat *m = (const NmfMatrixFlat *)matrix;

	return nmfpg_with_keys(matrix, nmf_matrix_row_ids(m), m->rows, nmf_matrix_col_ids(m), m->cols,
	                       row_src, col_src, nsrc);
}

struct varlena *
nmfpg_model_with_keys(struct varlena *model, const NmfpgKeys *row_src, const NmfpgKeys *col_src,
                      int nsrc)
{
	const NmfModelFlat *m = (const NmfModelFlat *)model;

	return nmfpg_with_keys(model, nmf_model_row_ids(m), m->rows, nmf_model_col_ids(m), m->cols,
	                       row_src, col_src, nsrc);
}

void *
nmfpg_keys_of_matrix(void *model, const NmfMatrixFlat *matrix)
{
	NmfpgKeys rows = nmfpg_image_keys(matrix, NMFPG_ROWS),
	          cols = nmfpg_image_keys(matrix, NMFPG_COLS);

	return nmfpg_model_with_keys((struct varlena *)model, &rows, &cols, 1);
}

void
nmfpg_check_same_keys(const char *fn, const void *a, const void *b)
{
	for (int side = NMFPG_ROWS; side <= NMFPG_COLS; side++)
	{
		NmfpgKeys ka = nmfpg_image_keys(a, side), kb = nmfpg_image_keys(b, side);

		if (ka.kind != kb.kind)
			ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
			                errmsg("%s: the model's %s keys are %s, the matrix's %s", fn,
			                       side == NMFPG_ROWS ? "row" : "column",
			                       nmfpg_key_kind_name(ka.kind), nmfpg_key_kind_name(kb.kind)),
			                errhint("Build both with keys of the same type.")));
	}
}

void
nmfpg_verify_keys(const struct varlena *image, int sqlstate)
{
	for (int side = NMFPG_ROWS; side <= NMFPG_COLS; side++)
	{
		NmfpgKeys k = nmfpg_image_keys(image, side);

		for (int64 i = 0; i < k.count; i++)
		{
			int64 len;
			const char *bytes = key_bytes(&k, i, &len);

			if (k.kind == NMF_KEY_TEXT &&
			    !pg_verify_mbstr(GetDatabaseEncoding(), bytes, (int)len, true))
				ereport(ERROR, (errcode(sqlstate),
				                errmsg("invalid key table: %s key %lld is not valid text in "
				                       "the database's encoding",
				                       side == NMFPG_ROWS ? "row" : "column", (long long)i)));
			if (hash_key(bytes, len) != k.ids[i])
				ereport(ERROR, (errcode(sqlstate),
				                errmsg("invalid key table: %s key %lld does not hash to its id",
				                       side == NMFPG_ROWS ? "row" : "column", (long long)i)));
		}
	}
}

/*
 * The dictionary: an open-addressing table (PostgreSQL's simplehash) of the
 * keys by id. The ids of text and uuid keys are hashes already, so they are
 * their own hash.
 */
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

static const char *
dict_lookup(const NmfpgKeyDict *d, int64 id, int64 *len)
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
	int64 id = nmfpg_key_id(key, base);

	if (d->kind == NMF_KEY_UUID)
		dict_add(d, id, (const char *)DatumGetUUIDP(key)->data, NMF_UUID_BYTES);
	else if (d->kind == NMF_KEY_TEXT)
	{
		text *t = DatumGetTextPP(key);

		dict_add(d, id, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	}
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
		const char *bytes = key_bytes(k, i, &len);

		dict_add(d, k->ids[i], bytes, len);
	}
}

/* An entry by its id, sorted without reading the entry. */
typedef struct IdEntry
{
	int64 id;
	DictEntry *e;
} IdEntry;

static int
compare_ids(const void *a, const void *b)
{
	int64 x = ((const IdEntry *)a)->id, y = ((const IdEntry *)b)->id;

	return x < y ? -1 : x > y;
}

NmfpgKeys
nmfpg_dict_keys(const NmfpgKeyDict *d)
{
	NmfpgKeys k = {d->kind, 0, NULL, NULL, NULL, NULL};
	keydict_iterator it;
	IdEntry *entries;
	DictEntry *e;
	int64 n = 0, used = 0;
	int64 *ids, *ends;
	char *data;

	if (d->kind == NMF_KEY_ID)
		return k;
	k.count = d->table->members;
	entries = palloc_extended(Max(k.count, 1) * sizeof(IdEntry), MCXT_ALLOC_HUGE);
	keydict_start_iterate(d->table, &it);
	while ((e = keydict_iterate(d->table, &it)) != NULL)
	{
		entries[n].id = e->id;
		entries[n++].e = e;
		used += e->len;
	}
	qsort(entries, n, sizeof(IdEntry), compare_ids);
	ids = palloc_extended(Max(n, 1) * 2 * sizeof(int64), MCXT_ALLOC_HUGE);
	ends = ids + n;
	data = palloc_extended(Max(used, 1), MCXT_ALLOC_HUGE);
	used = 0;
	for (int64 i = 0; i < n; i++)
	{
		ids[i] = entries[i].id;
		memcpy(data + used, entries[i].e->bytes, entries[i].e->len);
		used += entries[i].e->len;
		ends[i] = used;
	}
	pfree(entries);
	k.ids = ids;
	k.ends = ends;
	k.data = data;
	return k;
}

Oid
nmfpg_arg_type(FunctionCallInfo fcinfo, int argno)
{
	Oid type = get_fn_expr_argtype(fcinfo->flinfo, argno);
	Oid *declared;
	int nargs;

	if (OidIsValid(type))
		return type;
	/* Called without an expression (Citus's worker_partial_agg): the declared type. */
	get_func_signature(fcinfo->flinfo->fn_oid, &declared, &nargs);
	if (argno >= nargs)
		elog(ERROR, "argument %d of a function of %d", argno, nargs);
	return declared[argno];
}

int64
nmfpg_key_arg(FunctionCallInfo fcinfo, int argno, const NmfpgKeys *k, const char *fn,
              const char *what)
{
	Oid type = nmfpg_arg_type(fcinfo, argno);

	if (type == INT8OID && k->kind == NMF_KEY_ID)
		return PG_GETARG_INT64(argno);
	return nmfpg_key_id(PG_GETARG_DATUM(argno), nmfpg_check_key_type(fn, what, k, type));
}

const int64 *
nmfpg_key_array_arg(FunctionCallInfo fcinfo, int argno, const NmfpgKeys *k, const char *fn,
                    const char *what, int64 *count, uint8 **isnull, Datum **keys)
{
	ArrayType *a = PG_GETARG_ARRAYTYPE_P(argno);
	Oid elem = ARR_ELEMTYPE(a);
	Oid base = nmfpg_check_key_type(fn, what, k, elem);
	int16 len;
	bool byval;
	char align;
	Datum *elems;
	bool *nulls;
	int n;
	int64 *out;
	uint8 *flags;

	*keys = NULL;
	if (elem == INT8OID)
		return nmfpg_int8_array(PointerGetDatum(a), count, isnull);
	get_typlenbyvalalign(elem, &len, &byval, &align);
	deconstruct_array(a, elem, len, byval, align, &elems, &nulls, &n);
	out = palloc(Max(n, 1) * sizeof(int64));
	flags = palloc0(Max(n, 1) * sizeof(uint8));
	for (int i = 0; i < n; i++)
	{
		out[i] = nulls[i] ? 0 : nmfpg_key_id(elems[i], base);
		flags[i] = nulls[i] ? 1 : 0;
	}
	*count = n;
	*isnull = flags;
	*keys = elems;
	return out;
}

Oid
nmfpg_result_key_type(FunctionCallInfo fcinfo, int column, const NmfpgKeys *k, const char *fn,
                      const char *what)
{
	TupleDesc desc;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "%s: the result is not a row type", fn);
	return nmfpg_check_key_type(fn, what, k, TupleDescAttr(desc, column)->atttypid);
}

char *
nmfpg_key_text(Datum key, Oid type)
{
	Oid out;
	bool varlena;

	getTypeOutputInfo(type, &out, &varlena);
	return OidOutputFunctionCall(out, key);
}

void
nmfpg_unknown_key(const char *fn, const char *what, Datum key, Oid type)
{
	ereport(ERROR,
	        (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
	         errmsg("%s: %s key %s is not in the model", fn, what, nmfpg_key_text(key, type)),
	         errhint("Pass on_unknown => 'null' to get NULL or no rows instead.")));
}

void
nmfpg_unknown_arg(FunctionCallInfo fcinfo, int argno, const char *fn, const char *what, int64 id)
{
	Oid type = nmfpg_arg_type(fcinfo, argno);

	if (nmfpg_key_kind(type, fn) == NMF_KEY_ID)
		nmfpg_unknown_id(fn, what, id);
	nmfpg_unknown_key(fn, what, PG_GETARG_DATUM(argno), type);
}
