// SPDX-License-Identifier: PostgreSQL
// From the aggregate's triplets to a matrix image.
#ifndef NMF_TRIPLETS_HPP
#define NMF_TRIPLETS_HPP

#include <cstddef>
#include <cstdint>

#include "nmf_api.h"

namespace nmf
{

struct MergeResult
{
	int64_t nnz;
	int64_t rows;
	int64_t cols;
};

// Sorts t by (row, col), sums duplicates in place and counts distinct ids.
MergeResult sort_merge(NmfTriplet *t, int64_t count, const NmfcInterrupts &intr);

// Sorts t by (row, col) unless it already is, and sums duplicates in place;
// the number of cells left. count may be 0.
int64_t sort_dedupe(NmfTriplet *t, int64_t count, const NmfcInterrupts &intr);

// Merges nruns sorted, duplicate-free runs of t (run i from starts[i]) into
// out, summing the cells runs share; the number of cells written.
int64_t merge_runs(const NmfTriplet *t, int64_t count, const int64_t *starts, int64_t nruns,
                   NmfTriplet *out, const NmfcInterrupts &intr);

// The shape of the matrix of nruns sorted, duplicate-free runs of t and
// npacked validated packed state images (each one more run, read as it is:
// a parallel build's leader does not unpack its workers' states), as
// merge_runs would merge them; all -1 when its columns are too many and too
// scattered to index without sorting them (then merge, sort_merge, write).
MergeResult measure_runs(const NmfTriplet *t, int64_t count, const int64_t *starts, int64_t nruns,
                         const void *const *packed, int64_t npacked, const NmfcInterrupts &intr);

// Writes the matrix image of those runs, merging them on the way (no merged
// copy of the triplets); nnz, rows and cols as measure_runs gave them.
void write_runs(const NmfTriplet *t, int64_t count, const int64_t *starts, int64_t nruns,
                const void *const *packed, int64_t npacked, int64_t nnz, int64_t rows, int64_t cols,
                void *flat, size_t size, const NmfcInterrupts &intr);

// Writes the matrix image of sorted, merged triplets into flat (size bytes).
void write_matrix(const NmfTriplet *t, int64_t nnz, int64_t rows, int64_t cols, void *flat,
                  size_t size);

} // namespace nmf

#endif
