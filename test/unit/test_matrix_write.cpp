// SPDX-License-Identifier: PostgreSQL
// The CSR image matrix_write makes of sorted cells, and its argument checks.
#include "test_util.hpp"

using nmf_test::Image;

TEST(Triplets, MatrixWriteProducesTheCsrImage)
{
	std::vector<NmfTriplet> t = {{30, 4, 5.0}, {10, 1, 1.0}, {20, 2, 0.0},
	                             {10, 3, 2.0}, {30, 1, 4.0}, {10, 3, 0.5}};
	int64_t nnz = 0, rows = 0, cols = 0;
	NmfcError err;
	ASSERT_EQ(nmfc_triplets_sort_merge(t.data(), 6, &nnz, &rows, &cols, nullptr, &err), NMFC_OK);
	ASSERT_EQ(nnz, 5);
	const int64_t size = nmfc_matrix_size(rows, cols, nnz);
	Image img(static_cast<size_t>(size));
	std::memset(img.data(), 0xAB, img.size()); // the writer must set every byte
	ASSERT_EQ(nmfc_matrix_write(t.data(), nnz, rows, cols, img.data(), img.size(), &err), NMFC_OK)
	    << err.message;
	ASSERT_EQ(nmfc_matrix_validate(img.data(), img.size(), &err), NMFC_OK) << err.message;

	const NmfMatrixFlat *m = static_cast<const NmfMatrixFlat *>(img.data());
	EXPECT_EQ(m->vl_len_, static_cast<int32_t>(0xABABABAB)) << "length word left alone";
	EXPECT_EQ(m->rows, 3);
	EXPECT_EQ(m->cols, 4);
	const int64_t want_rows[] = {10, 20, 30}, want_cols[] = {1, 2, 3, 4};
	const int64_t want_ptr[] = {0, 2, 3, 5};
	const int32_t want_idx[] = {0, 2, 1, 0, 3};
	const double want_val[] = {1.0, 2.5, 0.0, 4.0, 5.0};
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(nmf_matrix_row_ids(m)[i], want_rows[i]);
	for (int j = 0; j < 4; j++)
		EXPECT_EQ(nmf_matrix_col_ids(m)[j], want_cols[j]);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(nmf_matrix_row_ptr(m)[i], want_ptr[i]);
	for (int p = 0; p < 5; p++)
	{
		EXPECT_EQ(nmf_matrix_col_idx(m)[p], want_idx[p]);
		EXPECT_EQ(nmf_matrix_values(m)[p], want_val[p]);
	}
}

TEST(Triplets, MatrixWriteChecksItsArguments)
{
	std::vector<NmfTriplet> t = {{1, 1, 1.0}, {1, 2, 1.0}, {2, 1, 1.0}};
	const int64_t size = nmfc_matrix_size(2, 2, 3);
	Image img(static_cast<size_t>(size));
	NmfcError err;
	EXPECT_EQ(nmfc_matrix_write(t.data(), 3, 2, 2, img.data(), img.size() - 8, &err),
	          NMFC_INVALID_ARGUMENT);
	EXPECT_NE(std::string(err.message).find("bytes"), std::string::npos) << err.message;
	EXPECT_EQ(nmfc_matrix_write(t.data(), 3, 2, int64_t(1) << 31, img.data(), img.size(), &err),
	          NMFC_LIMIT_EXCEEDED);
	EXPECT_EQ(nmfc_matrix_write(t.data(), 3, 3, 2, nullptr, 0, &err), NMFC_INVALID_ARGUMENT);

	std::swap(t[0], t[2]);
	EXPECT_EQ(nmfc_matrix_write(t.data(), 3, 2, 2, img.data(), img.size(), &err),
	          NMFC_INVALID_ARGUMENT);
	EXPECT_NE(std::string(err.message).find("not sorted"), std::string::npos) << err.message;
	std::swap(t[0], t[2]);
	t[2].col = 7; // three distinct columns, not two
	EXPECT_EQ(nmfc_matrix_write(t.data(), 3, 2, 2, img.data(), img.size(), &err),
	          NMFC_INVALID_ARGUMENT);
	EXPECT_NE(std::string(err.message).find("3 columns"), std::string::npos) << err.message;
	t[2].col = 1;
	EXPECT_EQ(nmfc_matrix_write(t.data(), 3, 2, 2, img.data(), img.size(), &err), NMFC_OK)
	    << err.message;
}
