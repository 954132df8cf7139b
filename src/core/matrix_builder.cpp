// SPDX-License-Identifier: PostgreSQL
// The nmf_matrix aggregate's state (matrix_builder.hpp).
//
// A parallel worker sorts its state when it is shipped, so the leader only
// appends sorted runs and its final step merges them in one linear pass
// instead of sorting everything; its workers' packed states are merged as
// they are, never unpacked to 24-byte triplets.
#include "matrix_builder.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <sys/mman.h>

#include "errors.hpp"
#include "format.hpp"
#include "state_pack.hpp"

namespace nmf
{

namespace
{

// Cells a new array has room for: small states cost little, and doubling
// from here reaches a billion cells in 20 steps.
constexpr int64_t kInitialCells = 1024;

// Refuses an allocation larger than the caller's memory limit (nmf.max_memory).
void
check_limit(int64_t bytes, int64_t limit)
{
	if (bytes < 0 || bytes > limit)
		throw LimitExceeded(message("the nmf_matrix aggregate state needs ", bytes,
		                            " bytes, more than nmf.max_memory (", limit, " bytes)"));
}

} // namespace

// Asks Linux to back a large array with transparent huge pages (Debian's
// default is "madvise": only where asked). A build touches several arrays of
// hundreds of MB once each, and faulting them in 4 kB pages is a large part
// of its time. Only advice: nothing changes if the kernel declines.
void
advise_huge_pages(void *p, size_t size) noexcept
{
#ifdef MADV_HUGEPAGE
	const uintptr_t huge = uintptr_t(2) << 20;
	const uintptr_t start = (reinterpret_cast<uintptr_t>(p) + huge - 1) & ~(huge - 1);
	const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + size) & ~(huge - 1);
	if (size >= 4 * huge && end > start)
		(void)madvise(reinterpret_cast<void *>(start), end - start, MADV_HUGEPAGE);
#else
	(void)p;
	(void)size;
#endif
}

CellArray::~CellArray()
{
	std::free(data_);
}

void
CellArray::reserve(int64_t need, int64_t limit)
{
	if (need <= capacity_)
		return;
	int64_t bytes;
	if (!checked_mul(need, static_cast<int64_t>(sizeof(NmfTriplet)), &bytes))
		bytes = -1;
	check_limit(bytes, limit);
	void *p = std::realloc(data_, static_cast<size_t>(bytes));
	if (p == nullptr)
		throw std::bad_alloc();
	data_ = static_cast<NmfTriplet *>(p);
	capacity_ = need;
	advise_huge_pages(p, static_cast<size_t>(bytes));
}

void
CellArray::grow(int64_t extra, int64_t limit)
{
	const int64_t need = count_ + extra;
	if (need <= capacity_)
		return;
	int64_t capacity = std::max(capacity_, kInitialCells);
	while (capacity < need)
		capacity *= 2;
	reserve(capacity, limit);
}

void
CellArray::swap(CellArray &other) noexcept
{
	std::swap(data_, other.data_);
	std::swap(count_, other.count_);
	std::swap(capacity_, other.capacity_);
}

MatrixBuilder::MatrixBuilder(int64_t limit) : limit_(limit)
{
	cells_.reserve(kInitialCells, limit_);
}

// Sorts the cells and sums duplicates in place (once: a sorted state stays
// so until a cell is added), or merges the runs of a combined state.
void
MatrixBuilder::sort(const NmfcInterrupts &intr)
{
	unpack(intr);
	if (nruns_ == 1)
		return;
	if (nruns_ == 0)
		cells_.count_ = sort_dedupe(cells_.data_, cells_.count_, intr);
	else
	{
		CellArray merged;
		merged.reserve(std::max<int64_t>(cells_.count_, 1), limit_);
		merged.count_ =
		    merge_runs(cells_.data_, cells_.count_, runs_.data(), nruns_, merged.data_, intr);
		cells_.swap(merged);
	}
	nruns_ = 1;
	runs_.assign(1, 0);
}

// Moves the kept packed states into the cells, each as a run. The list is
// detached first: adding a run may sort the cells, which calls this again.
void
MatrixBuilder::unpack(const NmfcInterrupts &intr)
{
	std::vector<std::unique_ptr<uint64_t[]>> images;
	images.swap(packed_);
	packed_ptrs_.clear();
	for (const std::unique_ptr<uint64_t[]> &image : images)
	{
		const NmfStateFlat *s = reinterpret_cast<const NmfStateFlat *>(image.get());
		add_run(nullptr, s, s->count, true, intr);
	}
}

// Appends count cells (from t, or from a validated state image) as one more
// sorted run: sorted here if they are not yet (the leader's own partial state).
void
MatrixBuilder::add_run(const NmfTriplet *t, const void *flat, int64_t count, bool sorted,
                       const NmfcInterrupts &intr)
{
	if (count == 0)
		return;
	if (nruns_ == 0 && cells_.count_ > 0)
		sort(intr);
	const int64_t start = cells_.count_;
	cells_.grow(count, limit_);
	if (t != nullptr)
		std::memcpy(cells_.data_ + start, t, static_cast<size_t>(count) * sizeof(NmfTriplet));
	else
		state_cells(flat, cells_.data_ + start);
	cells_.count_ = start + (sorted ? count : sort_dedupe(cells_.data_ + start, count, intr));
	runs_.push_back(start);
	nruns_++;
}

void
MatrixBuilder::add_state(const void *flat, size_t size, const NmfcInterrupts &intr)
{
	const NmfStateFlat *s = static_cast<const NmfStateFlat *>(flat);
	if ((s->flags & NMF_STATE_PACKED) == 0)
	{
		add_run(nullptr, s, s->count, (s->flags & NMF_STATE_SORTED) != 0, intr);
		return;
	}
	check_limit(static_cast<int64_t>(size), limit_);
	std::unique_ptr<uint64_t[]> copy(new uint64_t[(size + 7) / 8]);
	std::memcpy(copy.get(), flat, size);
	advise_huge_pages(copy.get(), size);
	packed_ptrs_.push_back(copy.get());
	packed_.push_back(std::move(copy));
}

void
MatrixBuilder::add_builder(MatrixBuilder &other, const NmfcInterrupts &intr)
{
	other.unpack(intr); // the same value, its cells in one array
	add_run(other.cells_.data_, nullptr, other.cells_.count_, other.nruns_ == 1, intr);
}

int64_t
MatrixBuilder::state_size(const NmfcInterrupts &intr)
{
	sort(intr);
	const int64_t size = packed_plan(cells_.data_, cells_.count_, &pack_rows_, &pack_col_base_);
	if (size >= 0)
		return size;
	pack_rows_ = 0;
	return nmf::state_size(cells_.count_);
}

void
MatrixBuilder::write_state(void *flat, size_t size) const
{
	if (pack_rows_ > 0)
	{
		pack_state(cells_.data_, cells_.count_, pack_rows_, pack_col_base_, flat, size);
		return;
	}
	if (static_cast<int64_t>(size) != nmf::state_size(cells_.count_))
		throw InvalidArgument(
		    message("state buffer has ", size, " bytes, not ", nmf::state_size(cells_.count_)));
	NmfStateFlat h = new_header<NmfStateFlat>(NMF_STATE_MAGIC);
	h.flags = nruns_ == 1 ? NMF_STATE_SORTED : 0;
	h.count = cells_.count_;
	NmfStateFlat *s = write_header(flat, h);
	std::memcpy(const_cast<NmfTriplet *>(nmf_state_triplets(s)), cells_.data_,
	            static_cast<size_t>(cells_.count_) * sizeof(NmfTriplet));
}

int64_t
MatrixBuilder::matrix_size(const NmfcInterrupts &intr)
{
	if (nruns_ == 0 && cells_.count_ > 0)
		sort(intr);
	if (cells_.count_ == 0 && packed_.empty())
		throw InvalidArgument("matrix has no cells");
	// Written from the runs as they are merged (no merged copy), unless the
	// columns are too many and too scattered for that.
	shape_ = measure_runs(cells_.data_, cells_.count_, runs_.data(), nruns_, packed_ptrs_.data(),
	                      npacked(), intr);
	from_runs_ = shape_.cols >= 0;
	if (!from_runs_)
	{
		sort(intr);
		shape_ = sort_merge(cells_.data_, cells_.count_, intr);
	}
	return nmf::matrix_size(shape_.rows, shape_.cols, shape_.nnz);
}

void
MatrixBuilder::write_matrix(void *flat, size_t size, const NmfcInterrupts &intr)
{
	if (from_runs_)
		write_runs(cells_.data_, cells_.count_, runs_.data(), nruns_, packed_ptrs_.data(),
		           npacked(), shape_.nnz, shape_.rows, shape_.cols, flat, size, intr);
	else
		nmf::write_matrix(cells_.data_, shape_.nnz, shape_.rows, shape_.cols, flat, size);
}

} // namespace nmf
