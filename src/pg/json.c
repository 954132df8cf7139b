/* SPDX-License-Identifier: PostgreSQL */
/* jsonb results (nmf_info, nmf_matrix_info) are written as text, then parsed once. */
#include "postgres.h"

#include "utils/json.h"

#include <math.h>

#include "lib/stringinfo.h"
#include "nmfpg.h"
#include "utils/float.h"
#include "utils/fmgrprotos.h"

Datum
nmfpg_jsonb_from_cstring(const char *json)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(json));
}

/* JSON has no infinities: a non-finite number is written as null. */
const char *
nmfpg_json_number(double x)
{
	return isfinite(x) ? float8out_internal(x) : "null";
}

/* A JSON string literal, quoted and escaped. */
const char *
nmfpg_json_string(const char *s)
{
	StringInfoData buf;

	initStringInfo(&buf);
	escape_json(&buf, s);
	return buf.data;
}
