/* SPDX-License-Identifier: PostgreSQL */
/*
 * The door's functions of the distributed fit on Citus (distributed.cpp).
 * Part of the door (nmf_api.h, which includes this file): the same rules.
 */
#ifndef NMF_API_DISTRIBUTED_H
#define NMF_API_DISTRIBUTED_H

#include "nmf_api.h"

#ifdef __cplusplus
extern "C"
{
#endif

	/*
	 * The pieces of a multiplicative-update fit run where the data lives
	 * (src/core/distributed.hpp). r-vectors are contiguous: H is kept column
	 * by column, h[j*r + k]; col_ids[0..n) is ascending and names H's columns.
	 * A col_id missing from col_ids is NMFC_INVALID_DATA.
	 */
	int nmfc_dist_init(int64_t id, int64_t seed, int32_t side, int32_t r, double scale, double *out,
	                   NmfcError *err) NMFC_NOEXCEPT;
	/* One rating into H's numerator num (r x n) and, masked, its denominator den (else NULL). */
	int nmfc_dist_hstats_add(double *num, double *den, int32_t r, const int64_t *col_ids, int64_t n,
	                         const double *w, const double *h, int64_t col_id, double value,
	                         NmfcError *err) NMFC_NOEXCEPT;
	/* One rating of a row into its W numerator num (r) and, masked, den (r, else NULL). */
	int nmfc_dist_rowstats_add(double *num, double *den, int32_t r, const int64_t *col_ids,
	                           int64_t n, const double *w, const double *h, int64_t col_id,
	                           double value, NmfcError *err) NMFC_NOEXCEPT;
	/* gram (r x r) += sum of f_i f_i^T over the count r-vectors of f. */
	int nmfc_dist_gram_add(double *gram, int32_t r, const double *f, int64_t count,
	                       const NmfcInterrupts *intr, NmfcError *err) NMFC_NOEXCEPT;
	/* f <- f o num / den (den = gram f when den is NULL), count r-vectors; 0 -> epsilon. */
	int nmfc_dist_mu_update(double *f, int32_t r, int64_t count, const double *num,
	                        const double *den, const double *gram, const NmfcInterrupts *intr,
	                        NmfcError *err) NMFC_NOEXCEPT;
	/* *out = w . h_j for the column named col_id. */
	int nmfc_dist_predict(const double *w, int32_t r, const int64_t *col_ids, int64_t n,
	                      const double *h, int64_t col_id, double *out,
	                      NmfcError *err) NMFC_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif /* NMF_API_DISTRIBUTED_H */
