// SPDX-License-Identifier: PostgreSQL
// From triplets to a matrix image: sorting, summing duplicates, counting
// ids, and the CSR image matrix_write produces.
#include <map>
#include <set>
#include <string>
#include <utility>

#include "test_util.hpp"

using nmf_test::Image;

TEST(Triplets, SortMergeSumsDuplicatesAndCounts)
{
	std::vector<NmfTriplet> t = {{3, 7, 1.0}, {1, 9, 2.0},  {3, 7, 0.5}, {-4, 9, 0.0},
	                             {1, 2, 3.0}, {3, 7, 0.25}, {1, 9, 1.0}};
	int64_t nnz = 0, rows = 0, cols = 0;
	NmfcError err;
	ASSERT_EQ(nmfc_triplets_sort_merge(t.data(), 7, &nnz, &rows, &cols, nullptr, &err), NMFC_OK)
	    << err.message;
	EXPECT_EQ(nnz, 4);
	EXPECT_EQ(rows, 3);
	EXPECT_EQ(cols, 3);
	const NmfTriplet want[] = {{-4, 9, 0.0}, {1, 2, 3.0}, {1, 9, 3.0}, {3, 7, 1.75}};
	for (int i = 0; i < 4; i++)
	{
		EXPECT_EQ(t[i].row, want[i].row) << i;
		EXPECT_EQ(t[i].col, want[i].col) << i;
		EXPECT_EQ(t[i].value, want[i].value) << i;
	}
}

TEST(Triplets, SortMergeAgreesWithAMapOnRandomInput)
{
	std::mt19937_64 rng(3);
	std::vector<NmfTriplet> t;
	std::map<std::pair<int64_t, int64_t>, double> cells;
	std::set<int64_t> row_set, col_set;
	for (int k = 0; k < 100000; k++)
	{
		const int64_t r = static_cast<int64_t>(rng() % 500) - 100;
		const int64_t c = static_cast<int64_t>(rng() % 300) * 1000003;
		const double v = static_cast<double>(rng() % 8);
		t.push_back({r, c, v});
		cells[{r, c}] += v;
		row_set.insert(r);
		col_set.insert(c);
	}
	int64_t nnz = 0, rows = 0, cols = 0;
	NmfcError err;
	ASSERT_EQ(nmfc_triplets_sort_merge(t.data(), static_cast<int64_t>(t.size()), &nnz, &rows, &cols,
	                                   nullptr, &err),
	          NMFC_OK);
	ASSERT_EQ(static_cast<size_t>(nnz), cells.size());
	EXPECT_EQ(static_cast<size_t>(rows), row_set.size());
	EXPECT_EQ(static_cast<size_t>(cols), col_set.size());
	size_t i = 0;
	for (const auto &cell : cells)
	{
		EXPECT_EQ(t[i].row, cell.first.first);
		EXPECT_EQ(t[i].col, cell.first.second);
		// Integers: the sums are exact whatever the order of addition.
		EXPECT_EQ(t[i].value, cell.second);
		i++;
	}

	const int64_t size = nmfc_matrix_size(rows, cols, nnz);
	Image img(static_cast<size_t>(size));
	ASSERT_EQ(nmfc_matrix_write(t.data(), nnz, rows, cols, img.data(), img.size(), &err), NMFC_OK)
	    << err.message;
	EXPECT_EQ(nmfc_matrix_validate(img.data(), img.size(), &err), NMFC_OK) << err.message;
}

TEST(Triplets, SortMergeRefusesEmptyAndOverflowingInput)
{
	int64_t nnz = 0, rows = 0, cols = 0;
	NmfcError err;
	EXPECT_EQ(nmfc_triplets_sort_merge(nullptr, 0, &nnz, &rows, &cols, nullptr, &err),
	          NMFC_INVALID_ARGUMENT);
	EXPECT_STREQ(err.message, "matrix has no cells");

	std::vector<NmfTriplet> t = {{1, 1, 1e308}, {1, 1, 1e308}};
	EXPECT_EQ(nmfc_triplets_sort_merge(t.data(), 2, &nnz, &rows, &cols, nullptr, &err),
	          NMFC_INVALID_DATA);
	EXPECT_NE(std::string(err.message).find("infinity"), std::string::npos) << err.message;

	t = {{1, 1, -1.0}};
	EXPECT_EQ(nmfc_triplets_sort_merge(t.data(), 1, &nnz, &rows, &cols, nullptr, &err),
	          NMFC_INVALID_DATA);
}

TEST(Triplets, SortMergeStopsOnInterrupt)
{
	std::vector<NmfTriplet> t = {{2, 1, 1.0}, {1, 1, 1.0}};
	volatile int flag = 1;
	NmfcInterrupts intr = {{nullptr, &flag}};
	int64_t nnz = 0, rows = 0, cols = 0;
	NmfcError err;
	EXPECT_EQ(nmfc_triplets_sort_merge(t.data(), 2, &nnz, &rows, &cols, &intr, &err),
	          NMFC_CANCELLED);
	flag = 0;
	EXPECT_EQ(nmfc_triplets_sort_merge(t.data(), 2, &nnz, &rows, &cols, &intr, &err), NMFC_OK);
}

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

// Past 2^20 distinct columns the writer sorts the ids instead of hashing them;
// both ways give the same image: column ids ascending, each cell its index.
TEST(Triplets, ManyDistinctColumnsAreSortedNotHashed)
{
	const int64_t n = (int64_t(1) << 20) + 5;
	std::vector<NmfTriplet> t(static_cast<size_t>(n));
	for (int64_t k = 0; k < n; k++) // one row per pair of cells, columns scattered
		t[static_cast<size_t>(k)] = {k / 2, (k * 7919) % n * 3 - 17, 1.0 + static_cast<double>(k % 5)};
	int64_t nnz = 0, rows = 0, cols = 0;
	NmfcError err;
	ASSERT_EQ(nmfc_triplets_sort_merge(t.data(), n, &nnz, &rows, &cols, nullptr, &err), NMFC_OK);
	ASSERT_EQ(cols, n);
	const int64_t size = nmfc_matrix_size(rows, cols, nnz);
	Image img(static_cast<size_t>(size));
	ASSERT_EQ(nmfc_matrix_write(t.data(), nnz, rows, cols, img.data(), img.size(), &err), NMFC_OK)
	    << err.message;
	ASSERT_EQ(nmfc_matrix_validate(img.data(), img.size(), &err), NMFC_OK) << err.message;
	const NmfMatrixFlat *m = static_cast<const NmfMatrixFlat *>(img.data());
	for (int64_t p = 0; p < nnz; p += 997)
		EXPECT_EQ(nmf_matrix_col_ids(m)[nmf_matrix_col_idx(m)[p]], t[static_cast<size_t>(p)].col);
}
