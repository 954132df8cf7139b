/* SPDX-License-Identifier: PostgreSQL */
/* jsonb results (nmf_info, nmf_matrix_info) are written as text, then parsed once. */
#include "nmfpg.h"

#include <math.h>

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
