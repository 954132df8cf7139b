// SPDX-License-Identifier: PostgreSQL
// init = 'random': W and H drawn as avg * |N(0, 1)| with
// avg = sqrt(mean / r), the mean over the counted cells (all m * n with
// absent ones as 0, as scikit-learn's init='random'; the stored ones with
// missing = 'ignore'), so that W H starts at the scale of V.
//
// Draw order: H first, in storage order (column j of H, then factor k), then
// W (row i of W, then factor k), from one NormalSource (random_source.hpp).
#include <cmath>

#include "errors.hpp"
#include "random_source.hpp"
#include "solvers.hpp"

namespace nmf::init
{

namespace
{

void
fill(Matrix &f, double avg, NormalSource &normals, const NmfcInterrupts &intr)
{
	double *d = f.data();
	const int64_t n = f.size();
	for (int64_t k = 0; k < n; k++)
	{
		if (k % kPollElements == 0)
			poll_interrupts(intr);
		d[k] = avg * std::fabs(normals.next());
	}
}

} // namespace

double
counted_mean(const Problem &p) noexcept
{
	// Implicit feedback fits the preferences: 1 on an observed cell.
	double sum = 0.0;
	for (int64_t q = 0; q < p.x.nnz; q++)
		sum += p.implicit() ? (p.x.values[q] > 0 ? 1.0 : 0.0) : p.x.values[q];
	if (p.masked())
		return p.x.nnz > 0 ? sum / static_cast<double>(p.x.nnz) : 0.0;
	return sum / (static_cast<double>(p.x.rows) * static_cast<double>(p.x.cols));
}

void
random(int64_t seed, double mean, const NmfcInterrupts &intr, Matrix &w, Matrix &h)
{
	const double avg = std::sqrt(mean / static_cast<double>(w.rows()));
	NormalSource normals(seed);
	fill(h, avg, normals, intr);
	fill(w, avg, normals, intr);
}

void
random(const Problem &p, Matrix &w, Matrix &h)
{
	random(p.opt.seed, counted_mean(p), p.intr, w, h);
}

} // namespace nmf::init
