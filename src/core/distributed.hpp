// SPDX-License-Identifier: PostgreSQL
// The arithmetic of the distributed fit (multiplicative updates, Frobenius
// loss, H first as in solver_mu.cpp), cut into the pieces that run where the
// data lives: sums over a shard's ratings, a shard's Gram of W, and the
// elementwise updates. H is kept column by column: column j is h[j*r .. j*r+r).
#ifndef NMF_DISTRIBUTED_HPP
#define NMF_DISTRIBUTED_HPP

#include <cstdint>

#include "errors.hpp"

namespace nmf::dist
{

// Deterministic init: out[k] = scale * u(id, seed, side, k), u uniform in (0, 1].
void init_vector(int64_t id, int64_t seed, int32_t side, int32_t r, double scale, double *out);

// One rating (w is its row's W, j its column): num[j*r+k] += v w[k]; when den
// is not null (masked), den[j*r+k] += w[k] (w . h_j).
void hstats_add(double *num, double *den, int32_t r, const double *w, const double *h, int64_t j,
                double value);

// One rating of a row: num[k] += v h_j[k]; when den is not null (masked),
// den[k] += h_j[k] (w . h_j).
void rowstats_add(double *num, double *den, int32_t r, const double *w, const double *h_j,
                  double value);

// gram[k*r+l] += f[k] f[l] for each of the count r-vectors of f.
void gram_add(double *gram, int32_t r, const double *f, int64_t count, const NmfcInterrupts &intr);

// f <- f o num / den for count r-vectors; den is gram * f (gram r x r) when den is null.
// A denominator exactly 0 becomes the solver's epsilon.
void mu_update(double *f, int32_t r, int64_t count, const double *num, const double *den,
               const double *gram, const NmfcInterrupts &intr);

double dot(const double *a, const double *b, int32_t r);

} // namespace nmf::dist

#endif
