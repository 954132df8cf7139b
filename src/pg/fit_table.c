/* SPDX-License-Identifier: PostgreSQL */
/*
 * nmf_fit(source, row_col, col_col, value_col, w_table, h_table, rank, ...):
 * the path for data too big for one SQL value. The source (a table or view
 * name, or a query) is streamed through a cursor into one growing array of
 * cells in this backend's memory (huge allocations, no 1 GB varlena between),
 * sorted and merged into the core's CSR form, fitted with nmf()'s options and
 * driver, and W and H are written straight into new tables with the user's
 * ids, in batches of one INSERT ... SELECT FROM unnest(arrays) each. A row in
 * a models table keeps the summary, the options and the loss history.
 *
 * The SQL made here names every function and type by its schema (pg_catalog)
 * and every table by the schema it is in or is created in, so nothing a
 * caller's search_path puts first can stand in for them; only a source given
 * as a query, the caller's own SQL, is read on the caller's search_path.
 *
 * Memory is checked against nmf.max_memory at each of the three peaks, each
 * before its allocation: the cells (counted first), the cells beside the CSR
 * matrix they become, and the matrix beside the fit and the model.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nmfpg.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"

PG_FUNCTION_INFO_V1(nmf_fit_table);

enum
{
	ARG_SOURCE,
	ARG_ROW_COL,
	ARG_COL_COL,
	ARG_VALUE_COL,
	ARG_W_TABLE,
	ARG_H_TABLE,
	ARG_RANK,
	/* nmf()'s options follow the rank, with models_table after verbose */
	ARG_MODELS_TABLE = ARG_RANK + NMFC_OPT_verbose + 1
};

#define FETCH_ROWS 10000
#define INSERT_ROWS 65536

static const char *
text_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
		                errmsg("nmf_fit: %s must not be NULL", name)));
	return text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

/* A query is recognised by its first word; anything else names a relation. */
static bool
looks_like_query(const char *s)
{
	static const char *const words[] = {"select", "with", "values", "table"};

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '(')
		s++;
	for (int i = 0; i < (int)lengthof(words); i++)
	{
		size_t n = strlen(words[i]);

		if (pg_strncasecmp(s, words[i], n) == 0 && (s[n] == '\0' || isspace((unsigned char)s[n])))
			return true;
	}
	return false;
}

/* The relation `name` (schema-qualified or on the search path), quoted for SQL. */
static char *
existing_relation(const char *name)
{
	RangeVar *rv = makeRangeVarFromNameList(stringToQualifiedNameList(name));
	Oid relid = RangeVarGetRelid(rv, AccessShareLock, false);

	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
	                                  get_rel_name(relid));
}

/*
 * A table the caller names for the results: as given (quoted, for the
 * report) and in the schema it is in or will be created in (for our SQL, so
 * that CREATE and INSERT reach the same table whatever the search_path).
 */
typedef struct TableName
{
	char *given;
	char *qualified;
	bool exists;
} TableName;

static TableName
table_name(const char *name)
{
	RangeVar *rv = makeRangeVarFromNameList(stringToQualifiedNameList(name));
	Oid relid = RangeVarGetRelid(rv, NoLock, true);
	Oid schema = OidIsValid(relid) ? get_rel_namespace(relid) : RangeVarGetCreationNamespace(rv);
	TableName t;

	t.given = rv->schemaname ? quote_qualified_identifier(rv->schemaname, rv->relname)
	                         : pstrdup(quote_identifier(rv->relname));
	t.qualified = quote_qualified_identifier(get_namespace_name(schema), rv->relname);
	t.exists = OidIsValid(relid);
	return t;
}

/* A table this call creates; an existing one is an error. */
static TableName
new_relation(const char *name, const char *what)
{
	TableName t = table_name(name);

	if (t.exists)
		ereport(ERROR, (errcode(ERRCODE_DUPLICATE_TABLE),
		                errmsg("nmf_fit: %s \"%s\" already exists", what, name),
		                errhint("Drop it, or name another table.")));
	return t;
}

static char *
source_query(FunctionCallInfo fcinfo)
{
	const char *source = text_arg(fcinfo, ARG_SOURCE, "source");
	const char *from;

	from = looks_like_query(source) ? psprintf("(%s)", source) : existing_relation(source);

	return psprintf("SELECT (s.%s)::pg_catalog.int8, (s.%s)::pg_catalog.int8,"
	                " (s.%s)::pg_catalog.float8 FROM %s s",
	                quote_identifier(text_arg(fcinfo, ARG_ROW_COL, "row_col")),
	                quote_identifier(text_arg(fcinfo, ARG_COL_COL, "col_col")),
	                quote_identifier(text_arg(fcinfo, ARG_VALUE_COL, "value_col")), from);
}

static int64
count_rows(const char *query)
{
	bool isnull;
	Datum d;

	if (SPI_execute(psprintf("SELECT pg_catalog.count(*) FROM (%s) q", query), true, 1) !=
	    SPI_OK_SELECT)
		elog(ERROR, "nmf_fit: counting the source failed");
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	SPI_freetuptable(SPI_tuptable);
	return DatumGetInt64(d);
}

typedef struct Cells
{
	NmfTriplet *t;
	int64 count;
	int64 capacity;
	MemoryContext cxt;
} Cells;

/* The first call sizes the array exactly (to the count); later ones double it. */
static void
cells_reserve(Cells *c, int64 need)
{
	int64 capacity = c->capacity;

	if (need <= c->capacity)
		return;
	if (capacity == 0)
		capacity = need;
	while (capacity < need)
		capacity *= 2;
	nmfpg_check_memory(capacity * (int64)sizeof(NmfTriplet), "nmf_fit (the source's cells)");
	c->t = c->t ? repalloc_huge(c->t, capacity * sizeof(NmfTriplet))
	            : MemoryContextAllocHuge(c->cxt, capacity * sizeof(NmfTriplet));
	c->capacity = capacity;
}

/* Streams the source through a cursor; the checks are the aggregate's. */
static void
stream_cells(const char *query, Cells *c)
{
	SPIPlanPtr plan = SPI_prepare_cursor(query, 0, NULL, CURSOR_OPT_NO_SCROLL);
	Portal portal;

	if (plan == NULL)
		elog(ERROR, "nmf_fit: SPI_prepare_cursor failed: %s", SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	for (;;)
	{
		SPI_cursor_fetch(portal, true, FETCH_ROWS);
		if (SPI_processed == 0)
			break;
		cells_reserve(c, c->count + (int64)SPI_processed);
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			HeapTuple tup = SPI_tuptable->vals[i];
			TupleDesc desc = SPI_tuptable->tupdesc;
			bool nulls[3];
			NmfTriplet *cell = &c->t[c->count];

			cell->row = DatumGetInt64(SPI_getbinval(tup, desc, 1, &nulls[0]));
			cell->col = DatumGetInt64(SPI_getbinval(tup, desc, 2, &nulls[1]));
			cell->value = DatumGetFloat8(SPI_getbinval(tup, desc, 3, &nulls[2]));
			if (nulls[0] || nulls[1] || nulls[2])
				ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				                errmsg("nmf_fit: the source has a NULL %s", nulls[0]   ? "row id"
				                                                            : nulls[1] ? "column id"
				                                                                       : "value"),
				                errhint("Filter NULLs out in a query given as the source.")));
			nmfpg_check_cell(cell->row, cell->col, cell->value);
			c->count++;
		}
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
}

/*
 * W or H in long form into a new table, INSERT_ROWS rows per statement; a
 * biased model's row or column biases (bias, or NULL) follow as factor 0.
 */
static int64
write_factors(const char *table, const int64 *ids, const double *f, int64 count, int64 rank,
              const double *bias)
{
	Oid types[3] = {INT8ARRAYOID, INT4ARRAYOID, FLOAT8ARRAYOID};
	SPIPlanPtr plan;
	Datum *id_d = palloc(INSERT_ROWS * sizeof(Datum));
	Datum *factor_d = palloc(INSERT_ROWS * sizeof(Datum));
	Datum *weight_d = palloc(INSERT_ROWS * sizeof(Datum));
	int64 weights = count * rank;
	int64 total = weights + (bias ? count : 0), done = 0;

	if (SPI_execute(psprintf("CREATE TABLE %s (id pg_catalog.int8 NOT NULL,"
	                         " factor pg_catalog.int4 NOT NULL, weight pg_catalog.float8 NOT NULL)",
	                         table),
	                false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "nmf_fit: could not create %s", table);
	plan = SPI_prepare(psprintf("INSERT INTO %s SELECT * FROM ROWS FROM (pg_catalog.unnest($1),"
	                            " pg_catalog.unnest($2), pg_catalog.unnest($3))",
	                            table),
	                   3, types);
	if (plan == NULL)
		elog(ERROR, "nmf_fit: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	while (done < total)
	{
		int n = (int)Min(total - done, INSERT_ROWS);
		Datum args[3];

		for (int k = 0; k < n; k++)
		{
			int64 cell = done + k;

			if (cell < weights)
			{
				id_d[k] = Int64GetDatum(ids[cell / rank]);
				factor_d[k] = Int32GetDatum((int32)(cell % rank + 1));
				weight_d[k] = Float8GetDatum(f[cell]);
			}
			else
			{
				id_d[k] = Int64GetDatum(ids[cell - weights]);
				factor_d[k] = Int32GetDatum(0);
				weight_d[k] = Float8GetDatum(bias[cell - weights]);
			}
		}
		args[0] =
		    PointerGetDatum(construct_array(id_d, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		args[1] = PointerGetDatum(construct_array(factor_d, n, INT4OID, 4, true, TYPALIGN_INT));
		args[2] = PointerGetDatum(
		    construct_array(weight_d, n, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		if (SPI_execute_plan(plan, args, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "nmf_fit: inserting into %s failed", table);
		for (int a = 0; a < 3; a++)
			pfree(DatumGetPointer(args[a]));
		done += n;
		CHECK_FOR_INTERRUPTS();
	}
	return total;
}

static Datum
float8_array(const double *x, int64 n)
{
	Datum *d = palloc(Max(n, 1) * sizeof(Datum));

	for (int64 k = 0; k < n; k++)
		d[k] = Float8GetDatum(x[k]);
	return PointerGetDatum(
	    construct_array(d, (int)n, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

static int64
record_model(const TableName *models, const char *source, const char *w_table, const char *h_table,
             const NmfModelFlat *m)
{
	Oid types[6] = {TEXTOID, TEXTOID, TEXTOID, JSONBOID, FLOAT8ARRAYOID, FLOAT8ARRAYOID};
	Datum args[6];
	bool isnull;
	int64 id;

	if (!models->exists &&
	    SPI_execute(psprintf("CREATE TABLE %s ("
	                         " model_id pg_catalog.int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	                         " created pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),"
	                         " source pg_catalog.text NOT NULL, w_table pg_catalog.text NOT NULL,"
	                         " h_table pg_catalog.text NOT NULL, info pg_catalog.jsonb NOT NULL,"
	                         " loss_history pg_catalog.float8[] NOT NULL,"
	                         " seconds_history pg_catalog.float8[] NOT NULL)",
	                         models->qualified),
	                false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "nmf_fit: could not create %s", models->qualified);
	args[0] = CStringGetTextDatum(source);
	args[1] = CStringGetTextDatum(w_table);
	args[2] = CStringGetTextDatum(h_table);
	args[3] = nmfpg_jsonb_from_cstring(nmfpg_model_info_json(m));
	args[4] = float8_array(nmf_model_history_loss(m), m->history_len);
	args[5] = float8_array(nmf_model_history_seconds(m), m->history_len);
	if (SPI_execute_with_args(psprintf("INSERT INTO %s (source, w_table, h_table, info,"
	                                   " loss_history, seconds_history)"
	                                   " VALUES ($1, $2, $3, $4, $5, $6) RETURNING model_id",
	                                   models->qualified),
	                          6, types, args, NULL, false, 1) != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "nmf_fit: inserting into %s failed", models->qualified);
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	return id;
}

Datum
nmf_fit_table(PG_FUNCTION_ARGS)
{
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext work = AllocSetContextCreate(caller, "nmf_fit", ALLOCSET_DEFAULT_SIZES);
	NmfcInterrupts intr = nmfpg_interrupts();
	NmfcError err;
	NmfcOptions opt;
	NmfcMatrixView x;
	Cells cells = {NULL, 0, 0, work};
	NmfMatrixFlat *csr;
	NmfModelFlat *model;
	const char *source, *query;
	TableName w_table, h_table, models;
	int64 source_rows, nnz, rows, cols, csr_size, peak_cells, peak_fit, model_size, w_rows, h_rows,
	    model_id;
	NmfpgFitRun run;
	char *result;

	/* Every argument is checked before the source is read. */
	nmfpg_parse_fit_options(fcinfo, ARG_RANK, 1, &opt, &run);
	source = text_arg(fcinfo, ARG_SOURCE, "source");
	w_table = new_relation(text_arg(fcinfo, ARG_W_TABLE, "w_table"), "w_table");
	h_table = new_relation(text_arg(fcinfo, ARG_H_TABLE, "h_table"), "h_table");
	if (strcmp(w_table.qualified, h_table.qualified) == 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("nmf_fit: w_table and h_table must be different tables")));
	models = table_name(text_arg(fcinfo, ARG_MODELS_TABLE, "models_table"));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "nmf_fit: SPI_connect failed");
	query = source_query(fcinfo);

	/* Peak 1: the cells, counted before they are read. */
	source_rows = count_rows(query);
	if (source_rows == 0 && nmfpg_fit_skipped("nmf_fit", NULL, &opt))
	{
		SPI_finish();
		MemoryContextDelete(work);
		PG_RETURN_NULL();
	}
	if (source_rows == 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("nmf_fit: the source has no rows")));
	cells_reserve(&cells, source_rows);
	stream_cells(query, &cells);

	nmfpg_raise(nmfc_triplets_sort_merge(cells.t, cells.count, &nnz, &rows, &cols, &intr, &err),
	            &err, ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE);

	/* Peak 2: the cells beside the matrix they become. */
	csr_size = nmfc_matrix_size(rows, cols, nnz);
	if (csr_size < 0)
		ereport(ERROR,
		        (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
		         errmsg("nmf_fit: a matrix of " INT64_FORMAT " x " INT64_FORMAT " is too large",
		                rows, cols)));
	peak_cells = cells.capacity * (int64)sizeof(NmfTriplet) + csr_size;
	nmfpg_check_memory(peak_cells, "nmf_fit (the cells and the matrix)");
	csr = MemoryContextAllocHuge(work, csr_size);
	memset(csr, 0, csr_size);
	nmfpg_raise(nmfc_matrix_write(cells.t, nnz, rows, cols, csr, (size_t)csr_size, &err), &err,
	            ERRCODE_PROGRAM_LIMIT_EXCEEDED);
	pfree(cells.t);
	cells.t = NULL;

	/* Peak 3: the matrix beside the fit and its model. */
	x = nmfpg_matrix_view(csr);
	if (nmfpg_fit_skipped("nmf_fit", &x, &opt))
	{
		SPI_finish();
		MemoryContextDelete(work);
		PG_RETURN_NULL();
	}
	nmfpg_validate_fit_options(&x, &opt);
	peak_fit = csr_size + nmfpg_fit_memory_bound(&x, &opt);
	nmfpg_check_memory(peak_fit, "nmf_fit (the matrix and the fit)");
	if (run.verbose)
		ereport(
		    NOTICE,
		    (errmsg("nmf_fit: " INT64_FORMAT " source rows, a " INT64_FORMAT " x " INT64_FORMAT
		            " matrix with " INT64_FORMAT " cells; about " INT64_FORMAT " MB at the peak",
		            source_rows, rows, cols, nnz, Max(peak_cells, peak_fit) / (1024 * 1024))));
	{
		MemoryContext old = MemoryContextSwitchTo(work);

		model = nmfpg_fit_matrix(&x, nmf_matrix_row_ids(csr), nmf_matrix_col_ids(csr), &opt, &run,
		                         &model_size);
		MemoryContextSwitchTo(old);
	}

	w_rows = write_factors(w_table.qualified, nmf_model_row_ids(model), nmf_model_w(model),
	                       model->rows, model->rank, model->bias ? nmf_model_b_row(model) : NULL);
	h_rows = write_factors(h_table.qualified, nmf_model_col_ids(model), nmf_model_h(model),
	                       model->cols, model->rank, model->bias ? nmf_model_b_col(model) : NULL);
	model_id = record_model(&models, source, w_table.given, h_table.given, model);

	result = psprintf("{\"model_id\": " INT64_FORMAT ", \"models_table\": %s, \"w_table\": %s,"
	                  " \"h_table\": %s, \"w_rows\": " INT64_FORMAT ", \"h_rows\": " INT64_FORMAT
	                  ", \"source_rows\": " INT64_FORMAT ", \"estimated_bytes\": " INT64_FORMAT
	                  ", \"info\": %s}",
	                  model_id, nmfpg_json_string(models.given), nmfpg_json_string(w_table.given),
	                  nmfpg_json_string(h_table.given), w_rows, h_rows, source_rows,
	                  Max(peak_cells, peak_fit), nmfpg_model_info_json(model));
	MemoryContextSwitchTo(caller);
	result = pstrdup(result);
	SPI_finish();
	MemoryContextDelete(work);
	PG_RETURN_DATUM(nmfpg_jsonb_from_cstring(result));
}
