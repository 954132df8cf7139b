// SPDX-License-Identifier: PostgreSQL
// From triplets to a matrix image: sorting, summing duplicates, counting
// ids, and the CSR image matrix_write produces.
#include <map>
#include <set>
#include <string>
#include <utility>

#include "test_util.hpp"

using nmf_test::Image;
using nmf_test::packed_state;

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

namespace
{

// The CSR arrays of a matrix image, ids aside.
struct Csr
{
	std::vector<int64_t> row_ptr;
	std::vector<int32_t> col_idx;
	std::vector<double> values;
	std::vector<int64_t> col_ids;
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

// Sorted, duplicate-free random cells.
std::vector<NmfTriplet>
random_run(std::mt19937_64 &rng, int n, int64_t rows, int64_t cols)
{
	std::map<std::pair<int64_t, int64_t>, double> cells;
	for (int k = 0; k < n; k++)
		cells[{static_cast<int64_t>(rng() % static_cast<uint64_t>(rows)),
		       static_cast<int64_t>(rng() % static_cast<uint64_t>(cols))}] =
		    static_cast<double>(rng() % 8);
	std::vector<NmfTriplet> t;
	for (const auto &c : cells)
		t.push_back({c.first.first, c.first.second, c.second});
	return t;
}

} // namespace

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

	t = {{1, 1, 1.0}, {1, 2, std::nan("")}};
	EXPECT_EQ(nmfc_triplets_sort_dedupe(t.data(), 2, &nnz, nullptr, &err), NMFC_INVALID_DATA);
	t = {{1, 1, 1e308}, {1, 1, 1e308}};
	EXPECT_EQ(nmfc_triplets_sort_dedupe(t.data(), 2, &nnz, nullptr, &err), NMFC_INVALID_DATA);
	EXPECT_NE(std::string(err.message).find("infinity"), std::string::npos) << err.message;
	EXPECT_EQ(nmfc_triplets_sort_dedupe(t.data(), -1, &nnz, nullptr, &err), NMFC_INVALID_ARGUMENT);
}

// The leader's merge of the workers' sorted runs gives what sorting all
// their cells together gives (the serial build).
TEST(Triplets, MergeRunsAgreesWithSortingEverything)
{
	std::mt19937_64 rng(5);
	for (int nruns : {1, 2, 3, 7, 20})
	{
		std::vector<NmfTriplet> all;
		std::vector<int64_t> starts;
		for (int i = 0; i < nruns; i++)
		{
			const std::vector<NmfTriplet> run =
			    random_run(rng, i == 1 ? 0 : 3000 + 500 * i, 200, 60);
			starts.push_back(static_cast<int64_t>(all.size()));
			all.insert(all.end(), run.begin(), run.end());
		}
		std::vector<NmfTriplet> out(all.size()), sorted = all;
		int64_t n_merged = 0, n_sorted = 0;
		NmfcError err;
		ASSERT_EQ(nmfc_triplets_merge_runs(all.data(), static_cast<int64_t>(all.size()),
		                                   starts.data(), nruns, out.data(), &n_merged, nullptr,
		                                   &err),
		          NMFC_OK)
		    << err.message;
		ASSERT_EQ(nmfc_triplets_sort_dedupe(sorted.data(), static_cast<int64_t>(sorted.size()),
		                                    &n_sorted, nullptr, &err),
		          NMFC_OK);
		ASSERT_EQ(n_merged, n_sorted) << nruns << " runs";
		for (int64_t p = 0; p < n_merged; p++)
		{
			const size_t q = static_cast<size_t>(p);
			ASSERT_EQ(out[q].row, sorted[q].row) << p;
			ASSERT_EQ(out[q].col, sorted[q].col) << p;
			ASSERT_EQ(out[q].value, sorted[q].value) << p; // small integers: exact sums
		}
	}
}

TEST(Triplets, MergeRunsRefusesBadRuns)
{
	std::vector<NmfTriplet> t = {{1, 1, 1.0}, {2, 1, 1.0}, {1, 5, 1.0}, {3, 3, 1.0}};
	std::vector<NmfTriplet> out(4);
	int64_t nnz = 0;
	NmfcError err;
	const int64_t good[] = {0, 2};
	ASSERT_EQ(nmfc_triplets_merge_runs(t.data(), 4, good, 2, out.data(), &nnz, nullptr, &err),
	          NMFC_OK)
	    << err.message;
	EXPECT_EQ(nnz, 4);
	EXPECT_EQ(out[1].col, 5);

	// One run that is not sorted.
	const int64_t one[] = {0};
	EXPECT_EQ(nmfc_triplets_merge_runs(t.data(), 4, one, 1, out.data(), &nnz, nullptr, &err),
	          NMFC_INVALID_ARGUMENT);
	EXPECT_NE(std::string(err.message).find("not sorted"), std::string::npos) << err.message;
	// A duplicate inside a run.
	t[1] = t[0];
	EXPECT_EQ(nmfc_triplets_merge_runs(t.data(), 4, good, 2, out.data(), &nnz, nullptr, &err),
	          NMFC_INVALID_ARGUMENT);
	t[1] = {2, 1, 1.0};
	// Bad boundaries.
	const int64_t late[] = {1, 2}, back[] = {0, 3, 2}, past[] = {0, 5};
	EXPECT_EQ(nmfc_triplets_merge_runs(t.data(), 4, late, 2, out.data(), &nnz, nullptr, &err),
	          NMFC_INVALID_ARGUMENT);
	EXPECT_EQ(nmfc_triplets_merge_runs(t.data(), 4, back, 3, out.data(), &nnz, nullptr, &err),
	          NMFC_INVALID_ARGUMENT);
	EXPECT_EQ(nmfc_triplets_merge_runs(t.data(), 4, past, 2, out.data(), &nnz, nullptr, &err),
	          NMFC_INVALID_ARGUMENT);
	EXPECT_EQ(nmfc_triplets_merge_runs(t.data(), 4, nullptr, 0, out.data(), &nnz, nullptr, &err),
	          NMFC_INVALID_ARGUMENT);
	// A sum across runs that overflows.
	std::vector<NmfTriplet> big = {{1, 1, 1e308}, {1, 1, 1e308}};
	const int64_t halves[] = {0, 1};
	EXPECT_EQ(nmfc_triplets_merge_runs(big.data(), 2, halves, 2, out.data(), &nnz, nullptr, &err),
	          NMFC_INVALID_DATA);
	// Interrupted.
	volatile int flag = 1;
	NmfcInterrupts intr = {{&flag, nullptr}};
	EXPECT_EQ(nmfc_triplets_merge_runs(t.data(), 4, good, 2, out.data(), &nnz, &intr, &err),
	          NMFC_CANCELLED);
}

// The final function writes the matrix straight from the sorted runs the
// workers shipped: the same image as merging them, then sort_merge + write.
TEST(Triplets, WritingFromRunsGivesTheMergedMatrixImage)
{
	std::mt19937_64 rng(8);
	for (int64_t col_spread : {int64_t(1), int64_t(1000000007)}) // a direct table, then hashing
		for (int nruns : {1, 3, 6})
		{
			std::vector<NmfTriplet> all;
			std::vector<int64_t> starts;
			for (int i = 0; i < nruns; i++)
			{
				std::vector<NmfTriplet> run = random_run(rng, 2000 + 300 * i, 150, 40);
				for (NmfTriplet &c : run)
					c.col *= col_spread;
				starts.push_back(static_cast<int64_t>(all.size()));
				all.insert(all.end(), run.begin(), run.end());
			}
			const int64_t count = static_cast<int64_t>(all.size());
			int64_t nnz = 0, rows = 0, cols = 0;
			NmfcError err;
			ASSERT_EQ(nmfc_runs_measure(all.data(), count, starts.data(), nruns, nullptr, 0, &nnz,
			                            &rows, &cols, nullptr, &err),
			          NMFC_OK)
			    << err.message;
			Image from_runs(static_cast<size_t>(nmfc_matrix_size(rows, cols, nnz)));
			std::memset(from_runs.data(), 0xAB, from_runs.size());
			ASSERT_EQ(nmfc_runs_write(all.data(), count, starts.data(), nruns, nullptr, 0, nnz,
			                          rows, cols, from_runs.data(), from_runs.size(), nullptr,
			                          &err),
			          NMFC_OK)
			    << err.message;
			ASSERT_EQ(nmfc_matrix_validate(from_runs.data(), from_runs.size(), &err), NMFC_OK)
			    << err.message;

			std::vector<NmfTriplet> sorted = all;
			int64_t nnz2 = 0, rows2 = 0, cols2 = 0;
			ASSERT_EQ(nmfc_triplets_sort_merge(sorted.data(), count, &nnz2, &rows2, &cols2, nullptr,
			                                   &err),
			          NMFC_OK);
			ASSERT_EQ(nnz, nnz2);
			ASSERT_EQ(rows, rows2);
			ASSERT_EQ(cols, cols2);
			Image merged(from_runs.size());
			ASSERT_EQ(nmfc_matrix_write(sorted.data(), nnz, rows, cols, merged.data(),
			                            merged.size(), &err),
			          NMFC_OK);
			EXPECT_EQ(std::memcmp(static_cast<const char *>(from_runs.data()) + 4,
			                      static_cast<const char *>(merged.data()) + 4,
			                      from_runs.size() - 4),
			          0)
			    << nruns << " runs, column spread " << col_spread;
		}
}

// A parallel build's leader keeps its workers' packed states as they are and
// merges them with its own triplet runs: the same image, bit for bit, as when
// every run is triplets (and the same cells summed where runs share one).
TEST(Triplets, WritingFromPackedRunsGivesTheSameImage)
{
	std::mt19937_64 rng(11);
	for (int64_t col_spread : {int64_t(1), int64_t(100003)}) // a direct table, then hashing
		for (int ntriplet_runs : {0, 1, 2})
			for (int npacked : {1, 3})
			{
				std::vector<std::vector<NmfTriplet>> runs;
				for (int i = 0; i < ntriplet_runs + npacked; i++)
				{
					// rows from -40: negative ids as well; 120 rows so runs share cells
					std::vector<NmfTriplet> run = random_run(rng, 1500 + 200 * i, 120, 50);
					for (NmfTriplet &c : run)
					{
						c.row -= 40;
						c.col = c.col * col_spread + 7;
					}
					runs.push_back(run);
				}
				std::vector<NmfTriplet> own, all;
				std::vector<int64_t> own_starts, all_starts;
				std::vector<Image> images;
				std::vector<const void *> packed;
				for (size_t i = 0; i < runs.size(); i++)
				{
					all_starts.push_back(static_cast<int64_t>(all.size()));
					all.insert(all.end(), runs[i].begin(), runs[i].end());
					if (static_cast<int>(i) < ntriplet_runs)
					{
						own_starts.push_back(static_cast<int64_t>(own.size()));
						own.insert(own.end(), runs[i].begin(), runs[i].end());
					}
					else
						images.push_back(packed_state(runs[i]));
				}
				NmfcError err;
				for (Image &img : images)
				{
					ASSERT_EQ(nmfc_state_validate(img.data(), img.size(), &err), NMFC_OK)
					    << err.message;
					packed.push_back(img.data());
				}

				const auto write = [&](const std::vector<NmfTriplet> &t,
				                       const std::vector<int64_t> &starts,
				                       const std::vector<const void *> &p) {
					int64_t nnz = 0, rows = 0, cols = 0;
					EXPECT_EQ(nmfc_runs_measure(t.data(), static_cast<int64_t>(t.size()),
					                            starts.data(), static_cast<int64_t>(starts.size()),
					                            p.data(), static_cast<int64_t>(p.size()), &nnz,
					                            &rows, &cols, nullptr, &err),
					          NMFC_OK)
					    << err.message;
					Image img(static_cast<size_t>(nmfc_matrix_size(rows, cols, nnz)));
					EXPECT_EQ(nmfc_runs_write(t.data(), static_cast<int64_t>(t.size()),
					                          starts.data(), static_cast<int64_t>(starts.size()),
					                          p.data(), static_cast<int64_t>(p.size()), nnz, rows,
					                          cols, img.data(), img.size(), nullptr, &err),
					          NMFC_OK)
					    << err.message;
					EXPECT_EQ(nmfc_matrix_validate(img.data(), img.size(), &err), NMFC_OK)
					    << err.message;
					return img;
				};
				const Image mixed = write(own, own_starts, packed);
				const Image plain = write(all, all_starts, {});
				ASSERT_EQ(mixed.size(), plain.size());
				EXPECT_EQ(std::memcmp(static_cast<const char *>(mixed.data()) + 4,
				                      static_cast<const char *>(plain.data()) + 4,
				                      mixed.size() - 4),
				          0)
				    << ntriplet_runs << " triplet runs, " << npacked << " packed, spread "
				    << col_spread;
			}
}

// A packed run that is not one (no NMF_STATE_PACKED flag) is refused.
TEST(Triplets, PackedRunsMustBePacked)
{
	const std::vector<NmfTriplet> t = {{1, 1, 1.0}, {2, 3, 1.0}};
	Image img = packed_state(t);
	NmfStateFlat *s = static_cast<NmfStateFlat *>(img.data());
	s->flags &= ~NMF_STATE_PACKED;
	const void *packed[1] = {img.data()};
	int64_t nnz = 0, rows = 0, cols = 0;
	NmfcError err;
	EXPECT_EQ(
	    nmfc_runs_measure(nullptr, 0, nullptr, 0, packed, 1, &nnz, &rows, &cols, nullptr, &err),
	    NMFC_INVALID_ARGUMENT);
	EXPECT_EQ(
	    nmfc_runs_measure(nullptr, 0, nullptr, 0, nullptr, 1, &nnz, &rows, &cols, nullptr, &err),
	    NMFC_INVALID_ARGUMENT);
}

TEST(Triplets, WritingFromRunsChecksItsArguments)
{
	std::vector<NmfTriplet> t = {{1, 1, 1.0}, {2, 1, 1.0}, {1, 5, 1.0}, {3, 3, 1.0}};
	const int64_t starts[] = {0, 2};
	int64_t nnz = 0, rows = 0, cols = 0;
	NmfcError err;
	ASSERT_EQ(
	    nmfc_runs_measure(t.data(), 4, starts, 2, nullptr, 0, &nnz, &rows, &cols, nullptr, &err),
	    NMFC_OK);
	EXPECT_EQ(nnz, 4);
	EXPECT_EQ(rows, 3);
	EXPECT_EQ(cols, 3);
	Image img(static_cast<size_t>(nmfc_matrix_size(rows, cols, nnz)));
	EXPECT_EQ(nmfc_runs_write(t.data(), 4, starts, 2, nullptr, 0, nnz, rows, cols, img.data(),
	                          img.size() - 8, nullptr, &err),
	          NMFC_INVALID_ARGUMENT);
	EXPECT_EQ(nmfc_runs_write(t.data(), 4, starts, 2, nullptr, 0, nnz, rows, cols + 1, img.data(),
	                          img.size(), nullptr, &err),
	          NMFC_INVALID_ARGUMENT);
	EXPECT_EQ(nmfc_runs_write(t.data(), 4, starts, 2, nullptr, 0, nnz, rows - 1, cols, img.data(),
	                          img.size(), nullptr, &err),
	          NMFC_INVALID_ARGUMENT);
	EXPECT_EQ(
	    nmfc_runs_measure(t.data(), 0, starts, 0, nullptr, 0, &nnz, &rows, &cols, nullptr, &err),
	    NMFC_INVALID_ARGUMENT);
	const int64_t one[] = {0}; // the four cells are not one sorted run
	EXPECT_EQ(nmfc_runs_measure(t.data(), 4, one, 1, nullptr, 0, &nnz, &rows, &cols, nullptr, &err),
	          NMFC_INVALID_ARGUMENT);
	EXPECT_EQ(nmfc_runs_write(t.data(), 4, one, 1, nullptr, 0, 4, 3, 3, img.data(), img.size(),
	                          nullptr, &err),
	          NMFC_INVALID_ARGUMENT);
	// Too many scattered columns for either table: -1, the caller merges first.
	const int64_t n = (int64_t(1) << 20) + 3;
	std::vector<NmfTriplet> wide(static_cast<size_t>(n));
	for (int64_t k = 0; k < n; k++)
		wide[static_cast<size_t>(k)] = {0, k * 1000003, 1.0};
	const int64_t zero[] = {0};
	ASSERT_EQ(
	    nmfc_runs_measure(wide.data(), n, zero, 1, nullptr, 0, &nnz, &rows, &cols, nullptr, &err),
	    NMFC_OK)
	    << err.message;
	EXPECT_EQ(cols, -1);
}
