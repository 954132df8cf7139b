/* SPDX-License-Identifier: PostgreSQL */
/*
 * Keys of any type (keys.c, key_table.c, key_dict.c). A bigint or integer key is its own id; a text
 * or uuid key becomes an id by a 64-bit hash, the same in every matrix and
 * model, and the image's key table (nmf_format.h) gives the id its key back.
 */
#ifndef NMFPG_KEYS_H
#define NMFPG_KEYS_H

#include "nmfpg.h"

/* One side's keys of an image: its kind, and for text or uuid the table's arrays. */
typedef struct NmfpgKeys
{
	int kind; /* NMF_KEY_* */
	int64 count;
	const int64 *ids; /* strictly ascending */
	const int64 *ends;
	const char *data;
	const struct NmfpgKeyDict *dict; /* instead of the arrays: a dictionary (a source only) */
} NmfpgKeys;

enum
{
	NMFPG_ROWS = 0,
	NMFPG_COLS = 1
};

/* The kind of keys of a SQL type (a domain's base type): 42804 for another type. */
extern int nmfpg_key_kind(Oid type, const char *fn);
extern const char *nmfpg_key_kind_name(int kind);

/* A key's id: a bigint or integer itself, a text or uuid key's hash (base: its base type). */
extern int64 nmfpg_key_id(Datum key, Oid base);
/* The hash that is a text or uuid key's id, of the key's bytes. */
extern int64 nmfpg_key_hash(const char *bytes, int64 len);
/* A text or uuid key's bytes (a uuid's 16, a text's without its length word). */
extern const char *nmfpg_key_datum_bytes(Datum key, Oid base, int64 *len);

/* Key `at` of one side's keys, len bytes. */
static inline const char *
nmfpg_key_bytes(const NmfpgKeys *k, int64 at, int64 *len)
{
	int64 begin = at == 0 ? 0 : k->ends[at - 1];

	*len = k->ends[at] - begin;
	return k->data + begin;
}

/* The keys of a validated image's rows or columns (side NMFPG_ROWS or NMFPG_COLS). */
extern NmfpgKeys nmfpg_image_keys(const void *image, int side);

/*
 * A key type (of an argument, or of a result column) against the keys of the
 * image: 42804 naming both when the kinds differ (a uuid for text keys).
 * Returns the type's base type, what the two functions below take.
 */
extern Oid nmfpg_check_key_type(const char *fn, const char *what, const NmfpgKeys *k, Oid type);

/* The key of an id as a Datum of the checked base type; an id without a key is an internal error.
 */
extern Datum nmfpg_key_datum(const NmfpgKeys *k, int64 id, Oid base);

/* Argument argno's type: the call's, or the declared one when there is no call expression. */
extern Oid nmfpg_arg_type(FunctionCallInfo fcinfo, int argno);

/* Argument argno, a key of the image's keys k: its id. */
extern int64 nmfpg_key_arg(FunctionCallInfo fcinfo, int argno, const NmfpgKeys *k, const char *fn,
                           const char *what);
/*
 * Argument argno, an array of keys of k: their ids, as nmfpg_int8_array gives
 * them, and in *keys the elements as given (NULL for a bigint[]).
 */
extern const int64 *nmfpg_key_array_arg(FunctionCallInfo fcinfo, int argno, const NmfpgKeys *k,
                                        const char *fn, const char *what, int64 *count,
                                        uint8 **isnull, Datum **keys);
/* A key as its type prints it, for a message. */
extern char *nmfpg_key_text(Datum key, Oid type);
/* Raises 22023: "<fn>: <what> key <key> is not in the model", the key as its type prints it. */
extern void nmfpg_unknown_key(const char *fn, const char *what, Datum key, Oid type)
    pg_attribute_noreturn();
/* The same for argument argno, whose id is id: by its id when it is a bigint or integer. */
extern void nmfpg_unknown_arg(FunctionCallInfo fcinfo, int argno, const char *fn, const char *what,
                              int64 id) pg_attribute_noreturn();
/* The base type of column `column` of the function's result, checked against k. */
extern Oid nmfpg_result_key_type(FunctionCallInfo fcinfo, int column, const NmfpgKeys *k,
                                 const char *fn, const char *what);

/*
 * `image` (palloc'd, given up to the call) grown by the key table for its
 * row and column ids that the sources give (nsrc views per side, tried in
 * order), or image itself when both sides are ids.
 */
extern struct varlena *nmfpg_with_keys(struct varlena *image, const int64 *row_ids, int64 rows,
                                       const int64 *col_ids, int64 cols, const NmfpgKeys *row_src,
                                       const NmfpgKeys *col_src, int nsrc);
/* The same for a matrix or model image, its ids read from it. */
extern struct varlena *nmfpg_matrix_with_keys(struct varlena *matrix, const NmfpgKeys *row_src,
                                              const NmfpgKeys *col_src, int nsrc);
extern struct varlena *nmfpg_model_with_keys(struct varlena *model, const NmfpgKeys *row_src,
                                             const NmfpgKeys *col_src, int nsrc);

/* A model (a struct varlena) fitted on matrix, given its keys. */
extern void *nmfpg_keys_of_matrix(void *model, const NmfMatrixFlat *matrix);

/*
 * Two images that meet by id (a model and a matrix it scores or takes in)
 * must key each side the same way: 42804 naming the side otherwise.
 */
extern void nmfpg_check_same_keys(const char *fn, const void *a, const void *b);

/* One side's keys as a matrix is built: id -> key, in a hash table of the builder's context. */
struct keydict_hash;
typedef struct NmfpgKeyDict
{
	int kind;
	struct keydict_hash *table; /* NULL for NMF_KEY_ID (keys.c) */
	MemoryContext cxt;          /* of the table and the keys' bytes */
} NmfpgKeyDict;

extern void nmfpg_dict_init(NmfpgKeyDict *d, int kind, MemoryContext cxt);
/* The key's id, the key kept; two keys with one id are an error. */
extern int64 nmfpg_dict_add_datum(NmfpgKeyDict *d, Datum key, Oid base);
/* Every key of k, or of another dictionary; a kind other than the dictionary's is an error. */
extern void nmfpg_dict_add_keys(NmfpgKeyDict *d, const NmfpgKeys *k);
extern void nmfpg_dict_add_dict(NmfpgKeyDict *d, const NmfpgKeyDict *other);
/* The dictionary's ids, ascending, in the current context. */
extern const int64 *nmfpg_dict_ids(const NmfpgKeyDict *d, int64 *count);
/* The dictionary as a source for nmfpg_with_keys, looked up by id. */
extern NmfpgKeys nmfpg_dict_source(const NmfpgKeyDict *d);
/* The key of id, NULL when the dictionary has none. */
extern const char *nmfpg_dict_lookup(const NmfpgKeyDict *d, int64 id, int64 *len);

/* What the core cannot check of a key table: text in the database's encoding, ids the keys' hashes.
 */
extern void nmfpg_verify_keys(const struct varlena *image, int sqlstate);

#endif /* NMFPG_KEYS_H */
