/* SPDX-License-Identifier: PostgreSQL */
/*
 * The key table at the end of an image (nmf_format.h): one side's keys read
 * in place, a new image's table written from the keys of the values it was
 * made from (by id), and what only the glue can check of a table that came
 * in (each key hashes to its id, text is valid in the database's encoding).
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "nmfpg_keys.h"

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

static const char *
cursor_key(KeyCursor *c, int64 id, int64 *len)
{
	for (int s = 0; s < c->nsrc; s++)
	{
		const NmfpgKeys *k = &c->src[s];
		const char *bytes;

		if (k->kind == NMF_KEY_ID)
			continue;
		if (k->dict != NULL)
		{
			if ((bytes = nmfpg_dict_lookup(k->dict, id, len)) != NULL)
				return bytes;
			continue;
		}
		while (c->at[s] < k->count && k->ids[c->at[s]] < id)
			c->at[s]++;
		if (c->at[s] < k->count && k->ids[c->at[s]] == id)
			return nmfpg_key_bytes(k, c->at[s], len);
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
	/* The image grows in place where its allocation can (a large chunk is realloc'd). */
	out = (struct varlena *)repalloc_huge(image, base + table);
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
			const char *bytes = nmfpg_key_bytes(&k, i, &len);

			if (k.kind == NMF_KEY_TEXT &&
			    !pg_verify_mbstr(GetDatabaseEncoding(), bytes, (int)len, true))
				ereport(ERROR, (errcode(sqlstate),
				                errmsg("invalid key table: %s key %lld is not valid text in "
				                       "the database's encoding",
				                       side == NMFPG_ROWS ? "row" : "column", (long long)i)));
			if (nmfpg_key_hash(bytes, len) != k.ids[i])
				ereport(ERROR, (errcode(sqlstate),
				                errmsg("invalid key table: %s key %lld does not hash to its id",
				                       side == NMFPG_ROWS ? "row" : "column", (long long)i)));
		}
	}
}
