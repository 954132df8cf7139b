// SPDX-License-Identifier: PostgreSQL
// The state of the nmf_matrix aggregate, owned by the core: cells as they
// come, sorted runs from combined partial states, and parallel workers'
// packed states kept as they are, until the state is shipped (a state image)
// or finished (a matrix image).
#ifndef NMF_MATRIX_BUILDER_HPP
#define NMF_MATRIX_BUILDER_HPP

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "nmf_api.h"
#include "triplets.hpp"

namespace nmf
{

// Advises transparent huge pages for a large array (no effect on small ones).
void advise_huge_pages(void *p, size_t size) noexcept;

// A growing array of cells: realloc'd (large arrays move without a copy) and
// backed by transparent huge pages where the kernel allows.
class CellArray
{
  public:
	CellArray() = default;
	CellArray(const CellArray &) = delete;
	CellArray &operator=(const CellArray &) = delete;
	~CellArray();

	// Room for `need` cells; more than `limit` bytes is LimitExceeded.
	void reserve(int64_t need, int64_t limit);
	// Room for `extra` more cells, doubling: amortised O(1) a cell.
	void grow(int64_t extra, int64_t limit);
	void swap(CellArray &other) noexcept;

	NmfTriplet *data_ = nullptr;
	int64_t count_ = 0;
	int64_t capacity_ = 0;
};

class MatrixBuilder
{
  public:
	// limit: the bytes one allocation may take.
	explicit MatrixBuilder(int64_t limit);

	// One cell, checked by the caller (the glue names the SQL row in its errors).
	void
	add(const NmfTriplet &c)
	{
		if (npacked() > 0)
			unpack(NmfcInterrupts{});
		if (cells_.count_ == cells_.capacity_)
			cells_.grow(1, limit_);
		cells_.data_[cells_.count_++] = c;
		if (nruns_ != 0)
		{
			nruns_ = 0;
			runs_.clear();
		}
	}

	// Another partial state as one more sorted run: a validated state image
	// (a packed one is kept as a copy of its bytes), or another builder.
	void add_state(const void *flat, size_t size, const NmfcInterrupts &intr);
	void add_builder(MatrixBuilder &other, const NmfcInterrupts &intr);

	// The state image: sorted, packed when its column ids allow. state_size
	// sorts and plans; write_state writes every byte but the length word.
	int64_t state_size(const NmfcInterrupts &intr);
	void write_state(void *flat, size_t size) const;

	// The matrix image, duplicates summed: matrix_size measures it (sorting
	// or merging as needed), then write_matrix writes it.
	int64_t matrix_size(const NmfcInterrupts &intr);
	void write_matrix(void *flat, size_t size, const NmfcInterrupts &intr);

  private:
	int64_t
	npacked() const noexcept
	{
		return static_cast<int64_t>(packed_.size());
	}
	void sort(const NmfcInterrupts &intr);
	void unpack(const NmfcInterrupts &intr);
	void add_run(const NmfTriplet *t, const void *flat, int64_t count, bool sorted,
	             const NmfcInterrupts &intr);

	int64_t limit_;
	CellArray cells_;
	// 0: cells_ in arrival order; n >= 1: n sorted runs, run i from runs_[i].
	int64_t nruns_ = 0;
	std::vector<int64_t> runs_;
	// Copies of packed worker states, each one more sorted run after cells_.
	std::vector<std::unique_ptr<uint64_t[]>> packed_;
	std::vector<const void *> packed_ptrs_;
	// Set by state_size: the packed form's fields, or pack_rows_ = 0 (plain).
	int64_t pack_rows_ = 0;
	int64_t pack_col_base_ = 0;
	// Set by matrix_size: the image's shape, and whether it is written from
	// the runs (else from cells_, merged into one sorted run).
	MergeResult shape_{-1, -1, -1};
	bool from_runs_ = false;
};

} // namespace nmf

#endif
