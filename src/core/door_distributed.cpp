// SPDX-License-Identifier: PostgreSQL
// The door of the distributed fit (Citus): the pieces of a multiplicative-update
// fit that run where the data lives (src/pg/distributed.c).
#include "distributed.hpp"
#include "door_guard.hpp"
#include "find_id.hpp"

using nmf::door::guarded;
using nmf::door::interrupts_or_none;
using nmf::door::require;

namespace
{

// The index of col_id among H's columns; a rating whose column H lacks is bad data.
int64_t
column(const int64_t *col_ids, int64_t n, int64_t col_id)
{
	const int64_t j = nmf::find_id(require(col_ids, "column ids"), n, col_id);
	if (j < 0)
		throw nmf::InvalidData(nmf::message("column id ", col_id, " is not among H's columns"));
	return j;
}

} // namespace

extern "C"
{

	int
	nmfc_dist_init(int64_t id, int64_t seed, int32_t side, int32_t r, double scale, double *out,
	               NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			require(out, "output");
			nmf::dist::init_vector(id, seed, side, r, scale, out);
		});
	}

	int
	nmfc_dist_hstats_add(double *num, double *den, int32_t r, const int64_t *col_ids, int64_t n,
	                     const double *w, const double *h, int64_t col_id, double value,
	                     NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			require(num, "numerator");
			require(w, "W row");
			const int64_t j = column(col_ids, n, col_id);
			if (den != nullptr)
				require(h, "H");
			nmf::dist::hstats_add(num, den, r, w, h, j, value);
		});
	}

	int
	nmfc_dist_rowstats_add(double *num, double *den, int32_t r, const int64_t *col_ids, int64_t n,
	                       const double *w, const double *h, int64_t col_id, double value,
	                       NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			require(num, "numerator");
			require(w, "W row");
			require(h, "H");
			const int64_t j = column(col_ids, n, col_id);
			nmf::dist::rowstats_add(num, den, r, w, h + j * r, value);
		});
	}

	int
	nmfc_dist_gram_add(double *gram, int32_t r, const double *f, int64_t count,
	                   const NmfcInterrupts *intr, NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			require(gram, "Gram");
			require(f, "factor");
			nmf::dist::gram_add(gram, r, f, count, interrupts_or_none(intr));
		});
	}

	int
	nmfc_dist_mu_update(double *f, int32_t r, int64_t count, const double *num, const double *den,
	                    const double *gram, const NmfcInterrupts *intr, NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			require(f, "factor");
			require(num, "numerator");
			if (den == nullptr)
				require(gram, "Gram");
			nmf::dist::mu_update(f, r, count, num, den, gram, interrupts_or_none(intr));
		});
	}

	int
	nmfc_dist_predict(const double *w, int32_t r, const int64_t *col_ids, int64_t n,
	                  const double *h, int64_t col_id, double *out, NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			require(w, "W row");
			require(h, "H");
			require(out, "output");
			const int64_t j = column(col_ids, n, col_id);
			*out = nmf::dist::dot(w, h + j * r, r);
		});
	}

} // extern "C"
