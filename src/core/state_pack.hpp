// SPDX-License-Identifier: PostgreSQL
// The packed form of a sorted aggregate state (nmf_format.h, NMF_STATE_PACKED):
// what a parallel worker ships, in about half the bytes of its triplets.
#ifndef NMF_STATE_PACK_HPP
#define NMF_STATE_PACK_HPP

#include <cstddef>
#include <cstdint>

#include "nmf_api.h"
#include "nmf_format.h"

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

// Reads the cells of a validated packed state image in order, one at a time
// (the merge of a parallel build reads its workers' states so, unpacked
// nowhere). The image's arrays are located once.
class PackedCells
{
  public:
	PackedCells() = default;
	explicit PackedCells(const NmfStateFlat *s) noexcept
	    : row_ids_(nmf_packed_row_ids(s)), row_ends_(nmf_packed_row_ends(s)),
	      col_off_(nmf_packed_col_off(s)), values_(nmf_packed_values(s)),
	      base_(static_cast<uint64_t>(nmf_state_packed(s)->col_base)), count_(s->count)
	{
	}

	// The next cell into c; false after the last.
	bool
	next(NmfTriplet &c) noexcept
	{
		if (q_ == count_)
			return false;
		if (q_ == row_ends_[row_])
			row_++; // row_ends rise strictly (validated): one step at most
		c = NmfTriplet{row_ids_[row_], static_cast<int64_t>(base_ + col_off_[q_]), values_[q_]};
		q_++;
		return true;
	}

  private:
	const int64_t *row_ids_ = nullptr;
	const int64_t *row_ends_ = nullptr;
	const uint32_t *col_off_ = nullptr;
	const double *values_ = nullptr;
	uint64_t base_ = 0;
	int64_t count_ = 0, q_ = 0, row_ = 0;
};

} // namespace nmf

#endif
