// SPDX-License-Identifier: PostgreSQL
// The door of the nmf_matrix and nmf_matrix_state values: validation, sizes,
// views, and building a matrix from cells (src/pg/matrix_io.c, matrix_agg.c).
#include "door_guard.hpp"
#include "format.hpp"
#include "matrix_builder.hpp"
#include "matrix_forms.hpp"
#include "state_pack.hpp"
#include "triplets.hpp"

using nmf::door::guarded;
using nmf::door::interrupts_or_none;
using nmf::door::require;

struct NmfcBuilder
{
	explicit NmfcBuilder(int64_t limit) : builder(limit)
	{
	}
	nmf::MatrixBuilder builder;
};

namespace
{

int
image_kind(int image)
{
	if (image != NMFC_IMAGE_STATE && image != NMFC_IMAGE_MATRIX)
		throw nmf::InvalidArgument(nmf::message("unknown image kind ", image));
	return image;
}

} // namespace

extern "C"
{

	int
	nmfc_matrix_validate(const void *flat, size_t size, NmfcError *err) noexcept
	{
		return guarded(err, [&] { nmf::validate_matrix(flat, size); });
	}

	int
	nmfc_state_validate(const void *flat, size_t size, NmfcError *err) noexcept
	{
		return guarded(err, [&] { nmf::validate_state(flat, size); });
	}

	int64_t
	nmfc_matrix_size(int64_t rows, int64_t cols, int64_t nnz) noexcept
	{
		return nmf::matrix_size(rows, cols, nnz);
	}

	NmfcMatrixView
	nmfc_matrix_view(const NmfMatrixFlat *m) noexcept
	{
		if (m == nullptr)
			return NmfcMatrixView{};
		const bool dense = (m->flags & NMF_MATRIX_DENSE) != 0;
		return NmfcMatrixView{m->rows,
		                      m->cols,
		                      m->nnz,
		                      dense ? nullptr : nmf_matrix_row_ptr(m),
		                      dense ? nullptr : nmf_matrix_col_idx(m),
		                      nmf_matrix_values(m),
		                      nmf_matrix_row_ids(m),
		                      nmf_matrix_col_ids(m)};
	}

	size_t
	nmfc_matrix_densify(void *flat, size_t size) noexcept
	{
		return nmf::densify(flat, size);
	}

	int64_t
	nmfc_matrix_sparse_size(const NmfMatrixFlat *m) noexcept
	{
		return nmf::sparse_size(m);
	}

	void
	nmfc_matrix_write_sparse(const NmfMatrixFlat *m, void *out) noexcept
	{
		nmf::write_sparse(m, out);
	}

	int
	nmfc_builder_create(int64_t memory_limit, NmfcBuilder **out, NmfcError *err) noexcept
	{
		if (out != nullptr)
			*out = nullptr;
		return guarded(err, [&] {
			NmfcBuilder **slot = require(out, "builder output");
			*slot = new NmfcBuilder(memory_limit);
		});
	}

	void
	nmfc_builder_free(NmfcBuilder *b) noexcept
	{
		delete b;
	}

	int
	nmfc_builder_add(NmfcBuilder *b, const NmfTriplet *cell, NmfcError *err) noexcept
	{
		return guarded(err, [&] { require(b, "builder")->builder.add(*require(cell, "cell")); });
	}

	int
	nmfc_builder_add_state(NmfcBuilder *b, const void *flat, size_t size,
	                       const NmfcInterrupts *intr, NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			require(b, "builder")
			    ->builder.add_state(require(flat, "state"), size, interrupts_or_none(intr));
		});
	}

	int
	nmfc_builder_add_builder(NmfcBuilder *b, NmfcBuilder *other, const NmfcInterrupts *intr,
	                         NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			require(b, "builder")
			    ->builder.add_builder(require(other, "other builder")->builder,
			                          interrupts_or_none(intr));
		});
	}

	int
	nmfc_builder_measure(NmfcBuilder *b, int image, int64_t *size, const NmfcInterrupts *intr,
	                     NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			nmf::MatrixBuilder &builder = require(b, "builder")->builder;
			const NmfcInterrupts flags = interrupts_or_none(intr);
			*require(size, "size") = image_kind(image) == NMFC_IMAGE_STATE
			                             ? builder.state_size(flags)
			                             : builder.matrix_size(flags);
		});
	}

	int
	nmfc_builder_write(NmfcBuilder *b, int image, void *flat, size_t size,
	                   const NmfcInterrupts *intr, NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			nmf::MatrixBuilder &builder = require(b, "builder")->builder;
			if (image_kind(image) == NMFC_IMAGE_STATE)
				builder.write_state(require(flat, "state image"), size);
			else
				builder.write_matrix(require(flat, "matrix image"), size, interrupts_or_none(intr));
		});
	}

	void
	nmfc_advise_huge_pages(void *p, size_t size) noexcept
	{
		nmf::advise_huge_pages(p, size);
	}

	int
	nmfc_triplets_sort_merge(NmfTriplet *t, int64_t count, int64_t *nnz, int64_t *rows,
	                         int64_t *cols, const NmfcInterrupts *intr, NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			require(nnz, "sort_merge's nnz");
			require(rows, "sort_merge's rows");
			require(cols, "sort_merge's cols");
			const nmf::MergeResult r = nmf::sort_merge(t, count, interrupts_or_none(intr));
			*nnz = r.nnz;
			*rows = r.rows;
			*cols = r.cols;
		});
	}

	int
	nmfc_triplets_sort_dedupe(NmfTriplet *t, int64_t count, int64_t *nnz,
	                          const NmfcInterrupts *intr, NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			if (nnz == nullptr)
				throw nmf::InvalidArgument("sort_dedupe output is missing");
			*nnz = nmf::sort_dedupe(t, count, interrupts_or_none(intr));
		});
	}

	int
	nmfc_triplets_merge_runs(const NmfTriplet *t, int64_t count, const int64_t *starts,
	                         int64_t nruns, NmfTriplet *out, int64_t *nnz,
	                         const NmfcInterrupts *intr, NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			if (nnz == nullptr)
				throw nmf::InvalidArgument("merge_runs output is missing");
			*nnz = nmf::merge_runs(t, count, starts, nruns, out, interrupts_or_none(intr));
		});
	}

	int64_t
	nmfc_state_pack_size(const NmfTriplet *t, int64_t count, int64_t *nrows,
	                     int64_t *col_base) noexcept
	{
		return nmf::packed_plan(t, count, nrows, col_base);
	}

	int
	nmfc_state_pack(const NmfTriplet *t, int64_t count, int64_t nrows, int64_t col_base, void *flat,
	                size_t size, NmfcError *err) noexcept
	{
		return guarded(err, [&] { nmf::pack_state(t, count, nrows, col_base, flat, size); });
	}

	void
	nmfc_state_cells(const void *flat, NmfTriplet *out) noexcept
	{
		if (flat != nullptr && out != nullptr)
			nmf::state_cells(flat, out);
	}

	int
	nmfc_runs_measure(const NmfTriplet *t, int64_t count, const int64_t *starts, int64_t nruns,
	                  const void *const *packed, int64_t npacked, int64_t *nnz, int64_t *rows,
	                  int64_t *cols, const NmfcInterrupts *intr, NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			if (nnz == nullptr || rows == nullptr || cols == nullptr)
				throw nmf::InvalidArgument("runs_measure outputs are missing");
			const nmf::MergeResult r = nmf::measure_runs(t, count, starts, nruns, packed, npacked,
			                                             interrupts_or_none(intr));
			*nnz = r.nnz;
			*rows = r.rows;
			*cols = r.cols;
		});
	}

	int
	nmfc_runs_write(const NmfTriplet *t, int64_t count, const int64_t *starts, int64_t nruns,
	                const void *const *packed, int64_t npacked, int64_t nnz, int64_t rows,
	                int64_t cols, void *flat, size_t size, const NmfcInterrupts *intr,
	                NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			nmf::write_runs(t, count, starts, nruns, packed, npacked, nnz, rows, cols, flat, size,
			                interrupts_or_none(intr));
		});
	}

	int
	nmfc_matrix_write(const NmfTriplet *t, int64_t nnz, int64_t rows, int64_t cols, void *flat,
	                  size_t size, NmfcError *err) noexcept
	{
		return guarded(err, [&] { nmf::write_matrix(t, nnz, rows, cols, flat, size); });
	}

} // extern "C"
