/* SPDX-License-Identifier: PostgreSQL */
/*
 * nmf_distributed(source, row_col, col_col, value_col, rank, <nmf()'s
 * options>): nmf()'s fit of a table where it lives, returning the same model
 * (src/core/fit_blocks.hpp), by blocks of rows: each Citus shard of a table
 * distributed by its row id, or the whole of a plain table.
 *
 * The fit gets a table of its own with one row per block (distributed and
 * colocated with the source on Citus), written first: Citus then sends every
 * later statement on those shards through the connection that wrote them,
 * so each block, read once into the memory of the backend that serves it
 * (fit_blocks.c), is found again by every call. Then:
 *
 *   open     each block reads its cells (nmf_matrix over its shard) and
 *            returns its row and column ids and totals
 *   start    each block gets its rows of the initial W (written to its row
 *            of the fit's table) and V's columns; returns its first sums
 *   step     H and H H^T in, each block's sums out: one statement per
 *            iteration, O(r n) bytes per block whatever its cells
 *   bias     with biases, two more rounds per iteration (the bias sweep):
 *            mu in, column sums out; b_col in, H's sums out
 *   W        each block returns its rows of W (and b_row); the model is
 *            written here
 *
 * Everything runs in the caller's transaction: an error, a cancel or a lost
 * worker rolls it back, and the fit's table and the blocks with it.
 */
#include "postgres.h"

#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "common/pg_prng.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nmfpg.h"
#include "nmfpg_keys.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(nmf_distributed);

/* What a block said when it opened. */
typedef struct Opened
{
	int64 rows, cols, nnz, nonzeros;
	int64 server, backend; /* where it is held */
	double sum, sum_sq, v_min, v_max;
	const int64 *row_ids, *col_ids, *col_counts;
	NmfpgKeys keys[2]; /* of its rows and columns: text or uuid keys, or bigint ids */
} Opened;

typedef struct Driver
{
	const char *ext;    /* the extension's schema, quoted */
	const char *blocks; /* the fit's table, qualified */
	const char *row_type;
	const char *anchor_type; /* of the fit's table's anchor: the row type, or bigint */
	int row_kind;            /* NMF_KEY_*: the row column's */
	int64 fit;
	int count;           /* blocks */
	int backends;        /* that hold them */
	int *slot;           /* block -> its backend's number, in the order of their first blocks */
	MemoryContext round; /* a round's messages, reset every round */
	int rounds;
	int64 bytes_out, bytes_back; /* payloads sent (each copy) and answers received */
} Driver;

static void
block_fit_release(void *fit)
{
	nmfc_block_fit_free((NmfcBlockFit *)fit);
	nmfpg_progress_end();
}

static void
run(const char *sql, int expected)
{
	int status = SPI_execute(sql, false, 0);

	if (status != expected)
		elog(ERROR, "nmf_distributed: \"%s\" failed: %s", sql, SPI_result_code_string(status));
}

/*
 * One statement that returns (anchor, bytea) per block, in block order:
 * each block's bytea, copied into d->round.
 */
static bytea **
round_of(Driver *d, const char *sql, int nargs, Oid *types, Datum *values)
{
	bytea **out;
	int status;

	MemoryContextReset(d->round);
	status = SPI_execute_with_args(sql, nargs, types, values, NULL, false, 0);
	if (status != SPI_OK_SELECT)
		elog(ERROR, "nmf_distributed: \"%s\" failed: %s", sql, SPI_result_code_string(status));
	if ((int)SPI_processed != d->count)
		elog(ERROR, "nmf_distributed: %d blocks answered, expected %d", (int)SPI_processed,
		     d->count);
	out = MemoryContextAlloc(d->round, d->count * sizeof(bytea *));
	d->rounds++;
	for (int b = 0; b < d->count; b++)
	{
		bool isnull;
		Datum v = SPI_getbinval(SPI_tuptable->vals[b], SPI_tuptable->tupdesc, 2, &isnull);
		MemoryContext old = MemoryContextSwitchTo(d->round);

		if (isnull)
			elog(ERROR, "nmf_distributed: block %d answered NULL", b);
		out[b] = (bytea *)PG_DETOAST_DATUM_COPY(v);
		d->bytes_back += VARSIZE_ANY_EXHDR(out[b]);
		MemoryContextSwitchTo(old);
	}
	SPI_freetuptable(SPI_tuptable);
	return out;
}

/*
 * The messages of a round: one per backend (the sum of its blocks', sent by
 * whichever of them finished last; the others send no bytes), in the
 * backends' order.
 */
static const double **
messages_of(Driver *d, bytea **answers, int64 length)
{
	const double **out = MemoryContextAllocZero(d->round, d->backends * sizeof(double *));

	for (int b = 0; b < d->count; b++)
	{
		Size got = VARSIZE_ANY_EXHDR(answers[b]);

		if (got == 0)
			continue;
		if ((int64)got != length * (int64)sizeof(double) || out[d->slot[b]] != NULL)
			elog(ERROR,
			     "nmf_distributed: block %d sent %zu bytes, expected " INT64_FORMAT
			     " once per backend",
			     b, got, length * (int64)sizeof(double));
		/* palloc'd copies are maxaligned, so their doubles are too */
		out[d->slot[b]] = (const double *)VARDATA(answers[b]);
	}
	for (int k = 0; k < d->backends; k++)
		if (out[k] == NULL)
			elog(ERROR, "nmf_distributed: backend %d sent no sums", k);
	return out;
}

/* A block's answer to open, checked against its own counts. */
static Opened
opened_of(bytea *a, int b)
{
	const char *p = VARDATA(a);
	Size len = VARSIZE_ANY_EXHDR(a);
	Opened o;
	int64 *ids;
	int64 info[6];
	double totals[4];

	if (len < sizeof(info) + sizeof(totals))
		elog(ERROR, "nmf_distributed: block %d's answer to open is too short", b);
	memcpy(info, p, sizeof(info));
	memcpy(totals, p + sizeof(info), sizeof(totals));
	o.rows = info[0];
	o.cols = info[1];
	o.nnz = info[2];
	o.nonzeros = info[3];
	o.server = info[4];
	o.backend = info[5];
	o.sum = totals[0];
	o.sum_sq = totals[1];
	o.v_min = totals[2];
	o.v_max = totals[3];
	if (o.rows < 0 || o.cols < 0 ||
	    len < sizeof(info) + sizeof(totals) + (Size)(o.rows + 2 * o.cols) * sizeof(int64))
		elog(ERROR, "nmf_distributed: block %d's answer to open has the wrong size", b);
	/* a copy: the answer goes with its round */
	ids = palloc_extended(len, MCXT_ALLOC_HUGE);
	memcpy(ids, p, len);
	o.row_ids = ids + (sizeof(info) + sizeof(totals)) / sizeof(int64);
	o.col_ids = o.row_ids + o.rows;
	o.col_counts = o.col_ids + o.cols;
	/* each side's keys: the kind, then for keys their ends and their bytes */
	{
		const char *at = (const char *)(o.col_counts + o.cols), *end = (const char *)ids + len;

		for (int i = 0; i < 2; i++)
		{
			NmfpgKeys *k = &o.keys[i];
			int64 kind;

			if (end - at < (long)sizeof(int64))
				elog(ERROR, "nmf_distributed: block %d's answer to open has no keys", b);
			memcpy(&kind, at, sizeof(int64));
			at += sizeof(int64);
			k->kind = (int)kind;
			k->count = i == 0 ? o.rows : o.cols;
			k->ids = i == 0 ? o.row_ids : o.col_ids;
			k->ends = NULL;
			k->data = NULL;
			k->dict = NULL;
			if (kind < 0 || kind >= NMF_KEY_COUNT)
				elog(ERROR, "nmf_distributed: block %d sent keys of kind " INT64_FORMAT, b, kind);
			if (kind == NMF_KEY_ID || k->count == 0)
				continue;
			if (end - at < (long)(k->count * sizeof(int64)))
				elog(ERROR, "nmf_distributed: block %d's keys are cut short", b);
			k->ends = (const int64 *)at;
			at += k->count * sizeof(int64);
			if (k->ends[k->count - 1] < 0 || end - at < (long)nmf_pad8(k->ends[k->count - 1]))
				elog(ERROR, "nmf_distributed: block %d's keys are cut short", b);
			k->data = at;
			at += nmf_pad8(k->ends[k->count - 1]);
		}
		if (at != end)
			elog(ERROR, "nmf_distributed: block %d's answer to open has the wrong size", b);
	}
	return o;
}

/*
 * One side's keys of every block, in a dictionary (a column's keys come from
 * each block that has the column: the same key, as its id is the key's
 * hash); kind NMF_KEY_ID when the side has ids, not keys.
 */
static NmfpgKeys
merged_keys(NmfpgKeyDict *dict, const Opened *opened, int count, int side)
{
	nmfpg_dict_init(dict, opened[0].keys[side].kind, CurrentMemoryContext);
	if (dict->kind != NMF_KEY_ID)
		for (int b = 0; b < count; b++)
			nmfpg_dict_add_keys(dict, &opened[b].keys[side]);
	return nmfpg_dict_source(dict);
}

static int
compare_int64(const void *a, const void *b)
{
	int64 x = *(const int64 *)a, y = *(const int64 *)b;

	return x < y ? -1 : x > y;
}

/* The index of id in the ascending ids[0..n) (present). */
static int64
index_of(const int64 *ids, int64 n, int64 id)
{
	int64 *at = bsearch(&id, ids, n, sizeof(int64), compare_int64);

	return at - ids;
}

static ArrayType *
bigint_array(const int64 *v, int64 n)
{
	Datum *d = palloc(Max(n, 1) * sizeof(Datum));

	for (int64 i = 0; i < n; i++)
		d[i] = Int64GetDatum(v[i]);
	return construct_array(d, (int)n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/* The type of a column of source, or an error naming it. */
static const char *
column_type(Oid source, const char *column)
{
	Oid types[2] = {OIDOID, TEXTOID};
	Datum values[2] = {ObjectIdGetDatum(source), CStringGetTextDatum(column)};

	if (SPI_execute_with_args("SELECT pg_catalog.format_type(atttypid, atttypmod) FROM "
	                          "pg_catalog.pg_attribute WHERE attrelid = $1 AND attname = $2 "
	                          "AND attnum > 0 AND NOT attisdropped",
	                          2, types, values, NULL, true, 1) != SPI_OK_SELECT ||
	    SPI_processed != 1)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
		                errmsg("nmf_distributed: column \"%s\" of %s does not exist", column,
		                       get_rel_name(source))));
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
}

/*
 * The fit's table of blocks, one row each (anchor: a value of the row
 * column's type that Citus places on the block's shard): on Citus,
 * colocated with a source hash-distributed by row_col; else a temporary
 * table with the source as its one block.
 */
static void
make_blocks(Driver *d, Oid source, const char *row_col)
{
	Oid types[1] = {OIDOID};
	Datum values[1] = {ObjectIdGetDatum(source)};
	const char *name = psprintf("nmf_blocks_%016llx", (unsigned long long)d->fit);
	const char *src = quote_qualified_identifier(get_namespace_name(get_rel_namespace(source)),
	                                             get_rel_name(source));
	bool citus = false;

	if (OidIsValid(get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE)))
	{
		if (SPI_execute_with_args("SELECT partmethod::text, pg_catalog.column_to_column_name("
		                          "logicalrelid, partkey) FROM pg_catalog.pg_dist_partition "
		                          "WHERE logicalrelid = $1",
		                          1, types, values, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "nmf_distributed: reading pg_dist_partition failed");
		if (SPI_processed == 1)
		{
			char *method = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
			char *column = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);

			if (method == NULL || strcmp(method, "h") != 0 || column == NULL ||
			    strcmp(column, row_col) != 0)
				ereport(ERROR,
				        (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				         errmsg("nmf_distributed: %s is a Citus table not hash-distributed by %s",
				                src, row_col),
				         errhint("Distribute it with create_distributed_table('%s', '%s').", src,
				                 row_col)));
			citus = true;
		}
	}
	if (!citus)
	{
		d->anchor_type = "pg_catalog.int8";
		d->blocks = psprintf("pg_temp.%s", name);
		run(psprintf("CREATE TEMPORARY TABLE %s (anchor pg_catalog.int8, block pg_catalog.text, "
		             "w0 pg_catalog.bytea)",
		             d->blocks),
		    SPI_OK_UTILITY);
		run(psprintf("INSERT INTO %s VALUES (0, %s)", d->blocks, quote_literal_cstr(src)),
		    SPI_OK_INSERT);
		d->count = 1;
		return;
	}

	if (SPI_execute("SELECT pg_catalog.current_schema()", true, 1) != SPI_OK_SELECT ||
	    SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1) == NULL)
		ereport(ERROR, (errcode(ERRCODE_INVALID_SCHEMA_NAME),
		                errmsg("nmf_distributed: no schema has been selected to create the "
		                       "fit's table of blocks in")));
	d->blocks = quote_qualified_identifier(
	    SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1), name);
	/*
	 * One connection per worker for the fit's statements: the rows written
	 * below pin every shard of a worker to it, so one backend per worker
	 * holds that worker's blocks and H goes to it once per iteration.
	 */
	(void)set_config_option("citus.multi_shard_modify_mode", "sequential", PGC_USERSET,
	                        PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	(void)set_config_option("citus.max_adaptive_executor_pool_size", "1", PGC_USERSET,
	                        PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	d->anchor_type = d->row_type;
	run(psprintf("CREATE TABLE %s (anchor %s, block pg_catalog.text, w0 pg_catalog.bytea)",
	             d->blocks, d->row_type),
	    SPI_OK_UTILITY);
	run(psprintf("SELECT pg_catalog.create_distributed_table(%s, 'anchor', colocate_with => %s)",
	             quote_literal_cstr(d->blocks), quote_literal_cstr(src)),
	    SPI_OK_SELECT);
	/*
	 * A value of the row type on each shard (the least as text), as its anchor,
	 * written by one multi-row INSERT (which goes through the fit's one
	 * connection per worker; an INSERT ... SELECT would copy per shard).
	 */
	if (SPI_execute_with_args(
	        psprintf("SELECT pg_catalog.string_agg(pg_catalog.format('(%%L::%s, %%L)', a, "
	                 "pg_catalog.shard_name($1, s)), ', '), pg_catalog.count(*) FROM "
	                 "(SELECT s, pg_catalog.min(c.k::pg_catalog.text) AS a FROM "
	                 "pg_catalog.generate_series(0, 1000000) g, "
	                 "LATERAL (SELECT %s::%s AS k) c, "
	                 "LATERAL pg_catalog.get_shard_id_for_distribution_column($1, c.k) s "
	                 "GROUP BY s) q",
	                 d->row_type,
	                 /* uuid has no cast from a number: md5's 32 hex digits are one */
	                 d->row_kind == NMF_KEY_UUID ? "pg_catalog.md5(g::pg_catalog.text)"
	                                             : "g::pg_catalog.text",
	                 d->row_type),
	        1, types, values, NULL, false, 0) != SPI_OK_SELECT ||
	    SPI_processed != 1)
		elog(ERROR, "nmf_distributed: placing the blocks failed");
	d->count = atoi(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2));
	run(psprintf("INSERT INTO %s (anchor, block) VALUES %s", d->blocks,
	             SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1)),
	    SPI_OK_INSERT);
	if (SPI_execute_with_args("SELECT pg_catalog.count(*) FROM pg_catalog.pg_dist_shard "
	                          "WHERE logicalrelid = $1",
	                          1, types, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "nmf_distributed: reading pg_dist_shard failed");
	if (atoi(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1)) != d->count)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		                errmsg("nmf_distributed: no value of %s places a block on each of %s's "
		                       "shards",
		                       d->row_type, src)));
}

Datum
nmf_distributed(PG_FUNCTION_ARGS)
{
	Oid source;
	const char *cols[3];
	NmfcOptions opt;
	NmfpgFitRun run_opts;
	NmfcInterrupts intr = nmfpg_interrupts();
	NmfcError err;
	Driver d;
	Opened *opened;
	bytea **answers;
	int64 m = 0, n = 0, all = 0, nnz = 0, *row_ids, *col_ids, words[NMFC_OPT_COUNT];
	NmfcWhole whole = {0, 0, 0};
	double sum = 0.0, sum_sq = 0.0, v_min = get_float8_infinity(), v_max = -get_float8_infinity(),
	       *w, *h, *b_row;
	int64 *col_counts;
	NmfcTotals totals;
	NmfpgHolder *holder;
	NmfcBlockFit *fit = NULL;
	NmfcSummary summary;
	MemoryContext caller = CurrentMemoryContext;
	NmfModelFlat *model;
	int64 size, length;
	int done = 0;
	int guc_nest;
	char **anchors;
	NmfpgKeys row_keys, col_keys;
	NmfpgKeyDict row_dict, col_dict;
	bool *carries;
	Oid types[5];
	Datum values[5];

	for (int i = 0; i < 4; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
			        (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			         errmsg("nmf_distributed: the source and its columns must not be NULL")));
	source = PG_GETARG_OID(0);
	for (int i = 0; i < 3; i++)
		cols[i] = text_to_cstring(PG_GETARG_TEXT_PP(1 + i));
	nmfpg_parse_fit_options(fcinfo, 4, 0, &opt, &run_opts);
	if (get_rel_name(source) == NULL)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
		                errmsg("nmf_distributed: relation %u does not exist", source)));

	d.ext = quote_identifier(get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid)));
	d.fit = (int64)pg_prng_uint64(&pg_global_prng_state);
	d.round = AllocSetContextCreate(caller, "nmf_distributed round", ALLOCSET_DEFAULT_SIZES);
	d.rounds = 0;
	d.bytes_out = d.bytes_back = 0;
	SPI_connect();
	guc_nest = NewGUCNestLevel();
	d.row_type = column_type(source, cols[0]);
	(void)column_type(source, cols[1]);
	(void)column_type(source, cols[2]);
	d.row_kind =
	    nmfpg_key_kind(get_atttype(source, get_attnum(source, cols[0])), "nmf_distributed");
	(void)nmfpg_key_kind(get_atttype(source, get_attnum(source, cols[1])), "nmf_distributed");
	make_blocks(&d, source, cols[0]);

	/* open: each block's cells, once */
	types[0] = INT8OID;
	types[1] = types[2] = types[3] = TEXTOID;
	values[0] = Int64GetDatum(d.fit);
	for (int i = 0; i < 3; i++)
		values[1 + i] = CStringGetTextDatum(cols[i]);
	answers =
	    round_of(&d,
	             psprintf("SELECT anchor, %s.nmf_dist_block_open($1, block::pg_catalog.regclass, "
	                      "block, $2, $3, $4) FROM %s ORDER BY anchor",
	                      d.ext, d.blocks),
	             4, types, values);
	opened = palloc(d.count * sizeof(Opened));
	for (int b = 0; b < d.count; b++)
	{
		opened[b] = opened_of(answers[b], b);
		m += opened[b].rows;
		all += opened[b].cols;
		nnz += opened[b].nnz;
		whole.nonzeros += opened[b].nonzeros;
		sum += opened[b].sum;
		sum_sq += opened[b].sum_sq;
		if (opened[b].nnz > 0)
		{
			v_min = Min(v_min, opened[b].v_min);
			v_max = Max(v_max, opened[b].v_max);
		}
	}
	if (m == 0)
	{
		run(psprintf("DROP TABLE %s", d.blocks), SPI_OK_UTILITY);
		AtEOXact_GUC(true, guc_nest);
		SPI_finish();
		if (nmfpg_fit_skipped("nmf_distributed", NULL, &opt))
			PG_RETURN_NULL();
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("nmf_distributed: %s has no cells", get_rel_name(source))));
	}
	/* each block's anchor; the first block of each backend carries H to it */
	if (SPI_execute(psprintf("SELECT anchor::pg_catalog.text FROM %s ORDER BY anchor", d.blocks),
	                false, 0) != SPI_OK_SELECT ||
	    (int)SPI_processed != d.count)
		elog(ERROR, "nmf_distributed: reading the blocks failed");
	anchors = palloc(d.count * sizeof(char *));
	carries = palloc(d.count * sizeof(bool));
	d.slot = palloc(d.count * sizeof(int));
	d.backends = 0;
	for (int b = 0; b < d.count; b++)
	{
		anchors[b] = SPI_getvalue(SPI_tuptable->vals[b], SPI_tuptable->tupdesc, 1);
		carries[b] = true;
		for (int e = 0; e < b && carries[b]; e++)
			if (opened[e].server == opened[b].server && opened[e].backend == opened[b].backend)
			{
				carries[b] = false;
				d.slot[b] = d.slot[e];
			}
		if (carries[b])
			d.slot[b] = d.backends++;
	}

	/* V's rows and columns: each block's, ascending; a row in one block only */
	row_ids = palloc_extended(m * sizeof(int64), MCXT_ALLOC_HUGE);
	col_ids = palloc_extended(all * sizeof(int64), MCXT_ALLOC_HUGE);
	m = 0;
	for (int b = 0; b < d.count; b++)
	{
		memcpy(row_ids + m, opened[b].row_ids, opened[b].rows * sizeof(int64));
		memcpy(col_ids + n, opened[b].col_ids, opened[b].cols * sizeof(int64));
		m += opened[b].rows;
		n += opened[b].cols;
	}
	qsort(row_ids, m, sizeof(int64), compare_int64);
	for (int64 i = 1; i < m; i++)
		if (row_ids[i] == row_ids[i - 1])
			ereport(ERROR,
			        (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			         errmsg("nmf_distributed: row " INT64_FORMAT " is in two blocks", row_ids[i])));
	qsort(col_ids, n, sizeof(int64), compare_int64);
	all = n;
	n = 0;
	for (int64 j = 0; j < all; j++)
		if (n == 0 || col_ids[j] != col_ids[n - 1])
			col_ids[n++] = col_ids[j];
	whole.rows = m;
	/* text or uuid keys: the model's key table, from the blocks' */
	row_keys = merged_keys(&row_dict, opened, d.count, 0);
	col_keys = merged_keys(&col_dict, opened, d.count, 1);
	if ((row_keys.kind != NMF_KEY_ID && row_keys.count != m) ||
	    (col_keys.kind != NMF_KEY_ID && col_keys.count != n))
		elog(ERROR, "nmf_distributed: the blocks' keys do not match their ids");
	whole.cols = n;

	nmfpg_check_memory(nmfc_block_fit_memory(&whole, &opt) + 2 * (m + n) * (int64)sizeof(int64) +
	                       opt.rank * m * (int64)sizeof(double),
	                   "nmf_distributed (H, the blocks' sums and W)");
	holder = nmfpg_holder(block_fit_release);
	/* each column's stored cells (missing 'ignore' weighs its ridge by them) */
	col_counts = palloc0(Max(n, 1) * sizeof(int64));
	for (int b = 0; b < d.count; b++)
		for (int64 c = 0; c < opened[b].cols; c++)
			col_counts[index_of(col_ids, n, opened[b].col_ids[c])] += opened[b].col_counts[c];
	totals.nnz = nnz;
	totals.sum = sum;
	totals.sum_sq = sum_sq;
	totals.v_min = v_min;
	totals.v_max = v_max;
	totals.col_counts = col_counts;
	nmfpg_raise(nmfc_block_fit_create(&whole, &totals, &opt, &intr, &fit, &err), &err,
	            ERRCODE_INVALID_PARAMETER_VALUE);
	holder->handle = fit;
	nmfpg_progress_begin(nmfc_solver_name(opt.solver), m, n, opt.rank, opt.max_iter);

	/* start: each block's rows of the initial W, through its row of the table */
	{
		const double *w_init = nmfc_block_fit_initial_w(fit);
		char *update =
		    psprintf("UPDATE %s SET w0 = $1 WHERE anchor = $2::%s", d.blocks, d.anchor_type);

		types[0] = BYTEAOID;
		types[1] = TEXTOID;
		{
			for (int b = 0; b < d.count; b++)
			{
				double *w0 = palloc_extended(Max(opened[b].rows, 1) * opt.rank * sizeof(double),
				                             MCXT_ALLOC_HUGE);

				for (int64 i = 0; i < opened[b].rows; i++)
					memcpy(w0 + i * opt.rank,
					       w_init + index_of(row_ids, m, opened[b].row_ids[i]) * opt.rank,
					       opt.rank * sizeof(double));
				values[0] = PointerGetDatum(
				    nmfpg_doubles_bytea(w0, opened[b].rows * opt.rank, "a block's initial W"));
				values[1] = CStringGetTextDatum(anchors[b]);
				if (SPI_execute_with_args(update, 2, types, values, NULL, false, 0) !=
				        SPI_OK_UPDATE ||
				    SPI_processed != 1)
					elog(ERROR, "nmf_distributed: writing block %d's W failed", b);
				pfree(w0);
			}
		}
	}
	nmfc_options_pack(&opt, words);
	types[0] = INT8OID;
	types[1] = types[2] = types[3] = INT8ARRAYOID;
	values[0] = Int64GetDatum(d.fit);
	values[1] = PointerGetDatum(bigint_array(col_ids, n));
	{
		int64 shape[3] = {whole.rows, whole.cols, whole.nonzeros};

		values[2] = PointerGetDatum(bigint_array(shape, 3));
	}
	values[3] = PointerGetDatum(bigint_array(words, NMFC_OPT_COUNT));
	types[4] = BYTEAOID;
	/* a step's payload (H, H H^T) is the longest */
	h = palloc_extended((opt.rank * n + opt.rank * opt.rank) * sizeof(double), MCXT_ALLOC_HUGE);
	nmfc_block_fit_payload(fit, h);
	values[4] = PointerGetDatum(nmfpg_doubles_bytea(h, nmfc_block_fit_payload_length(fit), "H"));
	d.bytes_out += d.count * nmfc_block_fit_payload_length(fit) * (int64)sizeof(double);
	length = nmfc_block_fit_answer_length(fit);
	answers = round_of(&d,
	                   psprintf("SELECT anchor, %s.nmf_dist_block_start($1, block, w0, $2, $3, $4, "
	                            "$5) FROM %s ORDER BY anchor",
	                            d.ext, d.blocks),
	                   5, types, values);
	nmfpg_raise(nmfc_block_fit_take(fit, messages_of(&d, answers, length), d.backends, &done, &err),
	            &err, ERRCODE_DATA_EXCEPTION);

	/* the iterations: H in, the blocks' sums out (with biases, the bias rounds between) */
	{
		char *step = psprintf("SELECT anchor, %s.nmf_dist_block_step($1, block) FROM %s "
		                      "ORDER BY anchor",
		                      d.ext, d.blocks);
		char *bias = psprintf("SELECT anchor, %s.nmf_dist_block_bias($1, block, $2, $3) FROM %s "
		                      "ORDER BY anchor",
		                      d.ext, d.blocks);
		Oid bias_types[3] = {INT8OID, INT4OID, BYTEAOID};
		Datum bias_values[3];
		/*
		 * H to each backend through its first block's row, one router
		 * statement each: Citus sends a router statement's parameters as
		 * parameters, while a statement over several shards would carry H
		 * inlined as a literal that every worker's parser must scan (about
		 * twice the time, measured).
		 */
		char **send_h = palloc(d.backends * sizeof(char *));

		for (int b = 0, k = 0; b < d.count; b++)
			if (carries[b])
				send_h[k++] =
				    psprintf("SELECT %s.nmf_dist_block_h($1, block, $2) FROM %s "
				             "WHERE anchor = %s::%s",
				             d.ext, d.blocks, quote_literal_cstr(anchors[b]), d.anchor_type);
		types[1] = BYTEAOID;
		bias_values[0] = Int64GetDatum(d.fit);
		while (!done)
		{
			int32 round = nmfc_block_fit_round(fit);
			bytea *payload;

			CHECK_FOR_INTERRUPTS();
			nmfc_block_fit_payload(fit, h);
			payload = nmfpg_doubles_bytea(h, nmfc_block_fit_payload_length(fit), "H");
			length = nmfc_block_fit_answer_length(fit);
			if (round == NMFC_ROUND_STEP)
			{
				values[1] = PointerGetDatum(payload);
				for (int k = 0; k < d.backends; k++)
					if (SPI_execute_with_args(send_h[k], 2, types, values, NULL, false, 0) !=
					        SPI_OK_SELECT ||
					    SPI_processed != 1)
						elog(ERROR, "nmf_distributed: sending H to the blocks failed");
				answers = round_of(&d, step, 1, types, values);
				d.bytes_out += d.backends * (int64)VARSIZE_ANY_EXHDR(payload);
			}
			else
			{
				bias_values[1] = Int32GetDatum(round);
				bias_values[2] = PointerGetDatum(payload);
				answers = round_of(&d, bias, 3, bias_types, bias_values);
				d.bytes_out += d.count * (int64)VARSIZE_ANY_EXHDR(payload); /* to every block */
			}
			nmfpg_raise(
			    nmfc_block_fit_take(fit, messages_of(&d, answers, length), d.backends, &done, &err),
			    &err, ERRCODE_DATA_EXCEPTION);
			pfree(payload);
			if (round != NMFC_ROUND_STEP)
				continue;
			nmfc_block_fit_summary(fit, &summary);
			nmfpg_progress_update(summary.iterations, summary.loss, summary.seconds);
			if (run_opts.verbose && (summary.iterations % 10 == 0 || done))
				ereport(NOTICE,
				        (errmsg("nmf_distributed: iteration %d of %d, loss %.6g, %.3f s",
				                summary.iterations, opt.max_iter, summary.loss, summary.seconds)));
		}
	}

	/* W and b_row: each block's rows (those kept, when a masked fit diverged), put in place */
	nmfc_block_fit_summary(fit, &summary);
	types[1] = BOOLOID;
	values[1] = BoolGetDatum(summary.diverged != 0);
	answers =
	    round_of(&d,
	             psprintf("SELECT anchor, %s.nmf_dist_block_w($1, block, $2) FROM %s ORDER BY "
	                      "anchor",
	                      d.ext, d.blocks),
	             2, types, values);
	w = palloc_extended(Max(m, 1) * opt.rank * sizeof(double), MCXT_ALLOC_HUGE);
	b_row = opt.bias ? palloc_extended(Max(m, 1) * sizeof(double), MCXT_ALLOC_HUGE) : NULL;
	for (int b = 0; b < d.count; b++)
	{
		const double *wb;
		int64 rows = opened[b].rows;

		if ((int64)VARSIZE_ANY_EXHDR(answers[b]) !=
		    rows * (opt.rank + (opt.bias ? 1 : 0)) * (int64)sizeof(double))
			elog(ERROR, "nmf_distributed: block %d sent a W of the wrong size", b);
		wb = (const double *)VARDATA(answers[b]);
		for (int64 i = 0; i < rows; i++)
		{
			int64 at = index_of(row_ids, m, opened[b].row_ids[i]);

			memcpy(w + at * opt.rank, wb + i * opt.rank, opt.rank * sizeof(double));
			if (b_row != NULL)
				b_row[at] = wb[rows * opt.rank + i];
		}
	}
	run(psprintf("DROP TABLE %s", d.blocks), SPI_OK_UTILITY);
	AtEOXact_GUC(true, guc_nest);
	/* what went out and came back, the SQL of the statements aside */
	if (run_opts.verbose)
		ereport(
		    NOTICE,
		    (errmsg("nmf_distributed: %d rounds over %d blocks on %d backends; payloads "
		            "of " INT64_FORMAT " bytes sent, answers of " INT64_FORMAT " bytes received",
		            d.rounds, d.count, d.backends, d.bytes_out, d.bytes_back)));

	/* the model outlives SPI's context, where the rest goes */
	MemoryContextSwitchTo(caller);
	nmfc_block_fit_summary(fit, &summary);
	size = nmfc_block_fit_model_size(fit);
	model = (NmfModelFlat *)nmfpg_alloc_image(size, "the model");
	memset(model, 0, size);
	nmfpg_raise(
	    nmfc_block_fit_write_model(fit, w, b_row, row_ids, col_ids, model, (size_t)size, &err),
	    &err, ERRCODE_INTERNAL_ERROR);
	SET_VARSIZE(model, size);
	model = (NmfModelFlat *)nmfpg_model_with_keys((struct varlena *)model, &row_keys, &col_keys, 1);
	nmfpg_holder_release(holder);
	SPI_finish();
	nmfpg_warn_about_ending(&summary, &opt, &run_opts);
	PG_RETURN_POINTER(model);
}
