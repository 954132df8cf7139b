// SPDX-License-Identifier: PostgreSQL
// The packed form of a sorted aggregate state (nmf_format.h, NMF_STATE_PACKED):
// what a parallel worker ships, in about half the bytes of its triplets.
#ifndef NMF_STATE_PACK_HPP
#define NMF_STATE_PACK_HPP

#include <cstddef>
#include <cstdint>

#include "nmf_api.h"

namespace nmf
{

// The image size of sorted, merged triplets packed (length word included),
// with the packed header's fields; -1 when they cannot be packed (no cells,
// or column ids spanning 2^32 or more).
int64_t packed_plan(const NmfTriplet *t, int64_t count, int64_t *nrows, int64_t *col_base);

// Writes that image (every byte but the length word), checking that t is
// sorted and merged.
void pack_state(const NmfTriplet *t, int64_t count, int64_t nrows, int64_t col_base, void *flat,
                size_t size);

// The cells of a validated state image, packed or not, into out (room for
// its count).
void state_cells(const void *flat, NmfTriplet *out);

} // namespace nmf

#endif
