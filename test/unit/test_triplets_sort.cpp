// SPDX-License-Identifier: PostgreSQL
// From triplets to sorted, merged cells: duplicates summed, ids counted,
// column ids indexed by a table or hashed alike; interrupts and bad input.
#include <map>
#include <string>
#include <utility>

#include "test_util.hpp"

using nmf_test::Image;

namespace
{

// The CSR arrays of a matrix image, ids aside.
struct Csr
{
	std::vector<int64_t> row_ptr, col_ids;
	std::vector<int32_t> col_idx;
	std::vector<double> values;
};

Csr
build(std::vector<NmfTriplet> t)
{
	int64_t nnz = 0, rows = 0, cols = 0;
	NmfcError err;
	Csr out;
	EXPECT_EQ(nmfc_triplets_sort_merge(t.data(), static_cast<int64_t>(t.size()), &nnz, &rows, &cols,
	                                   nullptr, &err),
	          NMFC_OK)
	    << err.message;
	Image img(static_cast<size_t>(nmfc_matrix_size(rows, cols, nnz)));
	EXPECT_EQ(nmfc_matrix_write(t.data(), nnz, rows, cols, img.data(), img.size(), &err), NMFC_OK)
	    << err.message;
	EXPECT_EQ(nmfc_matrix_validate(img.data(), img.size(), &err), NMFC_OK) << err.message;
	const NmfMatrixFlat *m = static_cast<const NmfMatrixFlat *>(img.data());
	out.row_ptr.assign(nmf_matrix_row_ptr(m), nmf_matrix_row_ptr(m) + rows + 1);
	out.col_idx.assign(nmf_matrix_col_idx(m), nmf_matrix_col_idx(m) + nnz);
	out.values.assign(nmf_matrix_values(m), nmf_matrix_values(m) + nnz);
	out.col_ids.assign(nmf_matrix_col_ids(m), nmf_matrix_col_ids(m) + cols);
	return out;
}

} // namespace

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

// Past 2^20 distinct columns the writer sorts the ids instead of hashing them;
// both ways give the same image: column ids ascending, each cell its index.
TEST(Triplets, ManyDistinctColumnsAreSortedNotHashed)
{
	const int64_t n = (int64_t(1) << 20) + 5;
	std::vector<NmfTriplet> t(static_cast<size_t>(n));
	for (int64_t k = 0; k < n; k++) // one row per pair of cells, columns scattered
		t[static_cast<size_t>(k)] = {k / 2, (k * 7919) % n * 3 - 17,
		                             1.0 + static_cast<double>(k % 5)};
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

// Column ids in a small range are indexed by a table over the range, others
// by hashing: the same cells give the same CSR arrays either way.
TEST(Triplets, ColumnsInASmallRangeAndScatteredOnesGiveTheSameCsr)
{
	std::mt19937_64 rng(11);
	std::vector<NmfTriplet> dense, scattered, negative;
	for (int k = 0; k < 50000; k++)
	{
		const int64_t r = static_cast<int64_t>(rng() % 700), c = static_cast<int64_t>(rng() % 300);
		const double v = static_cast<double>(rng() % 5);
		dense.push_back({r, c + 1, v});
		scattered.push_back({r, c * 1000000007 - 5, v}); // spans ~3e11: hashed
		negative.push_back({r, c - 150, v});             // a small range below zero
	}
	const Csr a = build(dense), b = build(scattered), c = build(negative);
	EXPECT_EQ(a.row_ptr, b.row_ptr);
	EXPECT_EQ(a.col_idx, b.col_idx);
	EXPECT_EQ(a.values, b.values);
	EXPECT_EQ(a.col_idx, c.col_idx);
	EXPECT_EQ(a.values, c.values);
	ASSERT_EQ(c.col_ids.size(), 300u);
	EXPECT_EQ(c.col_ids.front(), -150);
	EXPECT_EQ(c.col_ids.back(), 149);
	// The extremes of int64 span 2^64 - 1 values: no overflow, hashed.
	const Csr d = build({{1, INT64_MIN, 1.0}, {1, INT64_MAX, 2.0}, {2, INT64_MIN, 3.0}});
	EXPECT_EQ(d.col_ids, (std::vector<int64_t>{INT64_MIN, INT64_MAX}));
	EXPECT_EQ(d.col_idx, (std::vector<int32_t>{0, 1, 0}));
}

TEST(Triplets, SortDedupeSortsOnlyWhenNeeded)
{
	int64_t nnz = -1;
	NmfcError err;
	ASSERT_EQ(nmfc_triplets_sort_dedupe(nullptr, 0, &nnz, nullptr, &err), NMFC_OK) << err.message;
	EXPECT_EQ(nnz, 0);

	// Already in order, with a duplicate: summed, nothing moved.
	std::vector<NmfTriplet> t = {{1, 1, 1.0}, {1, 2, 2.0}, {1, 2, 0.5}, {4, -3, 1.0}};
	ASSERT_EQ(nmfc_triplets_sort_dedupe(t.data(), 4, &nnz, nullptr, &err), NMFC_OK);
	ASSERT_EQ(nnz, 3);
	EXPECT_EQ(t[1].value, 2.5);
	EXPECT_EQ(t[2].row, 4);

	t = {{4, -3, 1.0}, {1, 2, 2.0}, {1, 1, 1.0}, {1, 2, 0.5}};
	ASSERT_EQ(nmfc_triplets_sort_dedupe(t.data(), 4, &nnz, nullptr, &err), NMFC_OK);
	ASSERT_EQ(nnz, 3);
	EXPECT_EQ(t[0].col, 1);
	EXPECT_EQ(t[1].value, 2.5);
	EXPECT_EQ(t[2].row, 4);

	t = {{1, 1, 1e308}, {1, 1, 1e308}};
	EXPECT_EQ(nmfc_triplets_sort_dedupe(t.data(), 2, &nnz, nullptr, &err), NMFC_INVALID_DATA);
	EXPECT_NE(std::string(err.message).find("infinity"), std::string::npos) << err.message;
	EXPECT_EQ(nmfc_triplets_sort_dedupe(t.data(), -1, &nnz, nullptr, &err), NMFC_INVALID_ARGUMENT);
}
