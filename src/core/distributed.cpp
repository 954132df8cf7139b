// SPDX-License-Identifier: PostgreSQL
// See distributed.hpp. Sums run in a fixed order (k, then l), so the same
// inputs give the same bits on every node.
#include "distributed.hpp"

#include <algorithm>
#include <vector>

#include "hash.hpp"
#include "solvers.hpp"

namespace nmf::dist
{

void
init_vector(int64_t id, int64_t seed, int32_t side, int32_t r, double scale, double *out)
{
	uint64_t s = splitmix64(static_cast<uint64_t>(seed) ^ (static_cast<uint64_t>(side) << 62));
	s = splitmix64(s ^ static_cast<uint64_t>(id));
	for (int32_t k = 0; k < r; k++)
	{
		s = splitmix64(s);
		// 53 random bits, + 1 so that no entry starts at 0 (0 stays 0 under MU).
		const double u = static_cast<double>((s >> 11) + 1) * 0x1.0p-53;
		out[k] = scale * u;
	}
}

double
dot(const double *a, const double *b, int32_t r)
{
	double s = 0.0;
	for (int32_t k = 0; k < r; k++)
		s += a[k] * b[k];
	return s;
}

void
hstats_add(double *num, double *den, int32_t r, const double *w, const double *h, int64_t j,
           double value)
{
	double *nj = num + j * r;
	for (int32_t k = 0; k < r; k++)
		nj[k] += value * w[k];
	if (den != nullptr)
	{
		const double p = dot(w, h + j * r, r);
		double *dj = den + j * r;
		for (int32_t k = 0; k < r; k++)
			dj[k] += w[k] * p;
	}
}

void
rowstats_add(double *num, double *den, int32_t r, const double *w, const double *h_j, double value)
{
	for (int32_t k = 0; k < r; k++)
		num[k] += value * h_j[k];
	if (den != nullptr)
	{
		const double p = dot(w, h_j, r);
		for (int32_t k = 0; k < r; k++)
			den[k] += h_j[k] * p;
	}
}

void
gram_add(double *gram, int32_t r, const double *f, int64_t count, const NmfcInterrupts &intr)
{
	const int64_t poll_every = std::max<int64_t>(1, kPollElements / (int64_t(r) * r));
	for (int64_t i = 0; i < count; i++)
	{
		if (i % poll_every == 0)
			poll_interrupts(intr);
		const double *fi = f + i * r;
		for (int32_t k = 0; k < r; k++)
			for (int32_t l = 0; l < r; l++)
				gram[k * r + l] += fi[k] * fi[l];
	}
}

void
mu_update(double *f, int32_t r, int64_t count, const double *num, const double *den,
          const double *gram, const NmfcInterrupts &intr)
{
	std::vector<double> d(static_cast<size_t>(r));
	const int64_t poll_every = std::max<int64_t>(1, kPollElements / (int64_t(r) * r));
	for (int64_t i = 0; i < count; i++)
	{
		if (i % poll_every == 0)
			poll_interrupts(intr);
		double *fi = f + i * r;
		const double *ni = num + i * r;
		for (int32_t k = 0; k < r; k++)
		{
			double dk = 0.0;
			if (den != nullptr)
				dk = den[i * r + k];
			else
				for (int32_t l = 0; l < r; l++) // from the old vector: no entry has changed yet
					dk += gram[k * r + l] * fi[l];
			d[static_cast<size_t>(k)] = dk;
		}
		nmf::solver::multiply_update(fi, ni, d.data(), r, 0.0, 0.0);
	}
}

} // namespace nmf::dist
