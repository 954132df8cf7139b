// SPDX-License-Identifier: PostgreSQL
// init = 'random': W and H drawn as avg * |N(0, 1)| with
// avg = sqrt(mean(V) / r), mean over all m * n cells (absent ones are 0),
// so that W H starts at the scale of V, as scikit-learn's random init does.
//
// The same seed gives the same factors on every platform: the generator is
// std::mt19937_64 (fully specified by the standard), and the conversions to
// uniforms and normals are our own, since std::normal_distribution differs
// between standard libraries. Draw order: H first, in storage order (column j
// of H, then factor k), then W (row i of W, then factor k); normals come in
// Box-Muller pairs (cosine, then sine), a pair continuing from H into W.
#include <cmath>
#include <random>

#include "errors.hpp"
#include "solvers.hpp"

namespace nmf::init
{

namespace
{

class NormalSource
{
  public:
	explicit NormalSource(int64_t seed) : engine_(static_cast<uint64_t>(seed))
	{
	}

	double
	next()
	{
		if (has_spare_)
		{
			has_spare_ = false;
			return spare_;
		}
		// u1 in (0, 1] keeps the logarithm finite.
		const double u1 = 1.0 - uniform();
		const double u2 = uniform();
		const double radius = std::sqrt(-2.0 * std::log(u1));
		const double angle = kTwoPi * u2;
		spare_ = radius * std::sin(angle);
		has_spare_ = true;
		return radius * std::cos(angle);
	}

  private:
	static constexpr double kTwoPi = 6.283185307179586476925286766559;

	// The top 53 bits as a double in [0, 1), every value equally likely.
	double
	uniform()
	{
		return static_cast<double>(engine_() >> 11) * 0x1.0p-53;
	}

	std::mt19937_64 engine_;
	double spare_ = 0.0;
	bool has_spare_ = false;
};

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

void
random(const CsrView &v, int64_t seed, Matrix &w, Matrix &h, const NmfcInterrupts &intr)
{
	double sum = 0.0;
	for (int64_t p = 0; p < v.nnz; p++)
		sum += v.values[p];
	const double cells = static_cast<double>(v.rows) * static_cast<double>(v.cols);
	const double avg = std::sqrt(sum / cells / static_cast<double>(w.rows()));

	NormalSource normals(seed);
	fill(h, avg, normals, intr);
	fill(w, avg, normals, intr);
}

} // namespace nmf::init
