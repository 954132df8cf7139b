// SPDX-License-Identifier: PostgreSQL
// A matrix image's view as the glue passes it to the core, for the unit tests
// and the fuzz targets alike (no GoogleTest here: libFuzzer links this too).
#ifndef NMF_TEST_MATRIX_VIEW_HPP
#define NMF_TEST_MATRIX_VIEW_HPP

#include "nmf_api.h"

namespace nmf_test
{

inline NmfcMatrixView
matrix_view(const NmfMatrixFlat *m)
{
	NmfcMatrixView v;
	v.rows = m->rows;
	v.cols = m->cols;
	v.nnz = m->nnz;
	v.row_ptr = nmf_matrix_row_ptr(m);
	v.col_idx = nmf_matrix_col_idx(m);
	v.values = nmf_matrix_values(m);
	v.row_ids = nmf_matrix_row_ids(m);
	v.col_ids = nmf_matrix_col_ids(m);
	return v;
}

} // namespace nmf_test

#endif
