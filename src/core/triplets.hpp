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

// Writes the matrix image of sorted, merged triplets into flat (size bytes).
void write_matrix(const NmfTriplet *t, int64_t nnz, int64_t rows, int64_t cols, void *flat,
                  size_t size);

} // namespace nmf

#endif
