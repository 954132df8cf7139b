// SPDX-License-Identifier: PostgreSQL
// Merging sorted runs of cells (plain and packed, as parallel workers ship
// them): the same matrix as sorting everything, and bad runs refused.
#include <map>
#include <string>
#include <utility>

#include "test_util.hpp"

using nmf_test::Image;
using nmf_test::packed_state;

namespace
{

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
