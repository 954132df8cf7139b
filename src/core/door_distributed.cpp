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
		return guarded(
		    err, [&] { nmf::dist::init_vector(id, seed, side, r, scale, require(out, "output")); });
	}

	int
	nmfc_dist_hstats_add(double *num, double *den, int32_t r, const int64_t *col_ids, int64_t n,
	                     const double *w, const double *h, int64_t col_id, double value,
	                     NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			const int64_t j = column(col_ids, n, col_id);
			nmf::dist::hstats_add(require(num, "numerator"), den, r, require(w, "W row"),
			                      den != nullptr ? require(h, "H") : h, j, value);
		});
	}

	int
	nmfc_dist_rowstats_add(double *num, double *den, int32_t r, const int64_t *col_ids, int64_t n,
	                       const double *w, const double *h, int64_t col_id, double value,
	                       NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			const double *h_j = require(h, "H") + column(col_ids, n, col_id) * r;
			nmf::dist::rowstats_add(require(num, "numerator"), den, r, require(w, "W row"), h_j,
			                        value);
		});
	}

	int
	nmfc_dist_gram_add(double *gram, int32_t r, const double *f, int64_t count,
	                   const NmfcInterrupts *intr, NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			nmf::dist::gram_add(require(gram, "Gram"), r, require(f, "factor"), count,
			                    interrupts_or_none(intr));
		});
	}

	int
	nmfc_dist_mu_update(double *f, int32_t r, int64_t count, const double *num, const double *den,
	                    const double *gram, const NmfcInterrupts *intr, NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			nmf::dist::mu_update(require(f, "factor"), r, count, require(num, "numerator"), den,
			                     den == nullptr ? require(gram, "Gram") : gram,
			                     interrupts_or_none(intr));
		});
	}

	int
	nmfc_dist_predict(const double *w, int32_t r, const int64_t *col_ids, int64_t n,
	                  const double *h, int64_t col_id, double *out, NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			const double *h_j = require(h, "H") + column(col_ids, n, col_id) * r;
			*require(out, "output") = nmf::dist::dot(require(w, "W row"), h_j, r);
		});
	}

} // extern "C"
