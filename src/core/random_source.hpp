// SPDX-License-Identifier: PostgreSQL
// Seeded normal draws that are the same on every platform.
//
// NormalSource: std::mt19937_64 (fully specified by the standard) with our
// own conversions, since std::normal_distribution differs between standard
// libraries; normals come in Box-Muller pairs (cosine, then sine).
//
// LegacyGauss: the stream of numpy's RandomState(seed).standard_normal(), so
// that init = 'nndsvdar' fills the same zeros with the same values as
// scikit-learn given random_state = seed: MT19937 seeded by init_genrand
// (std::mt19937's seeding), 53-bit doubles from two 32-bit draws, and
// Marsaglia's polar method returning the second value of a pair first.
#ifndef NMF_RANDOM_SOURCE_HPP
#define NMF_RANDOM_SOURCE_HPP

#include <cmath>
#include <cstdint>
#include <random>

namespace nmf
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

class LegacyGauss
{
  public:
	// numpy takes seeds in [0, 2^32); we take the seed's low 32 bits.
	explicit LegacyGauss(int64_t seed) : engine_(static_cast<uint32_t>(static_cast<uint64_t>(seed)))
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
		double x1, x2, r2;
		do
		{
			x1 = 2.0 * uniform() - 1.0;
			x2 = 2.0 * uniform() - 1.0;
			r2 = x1 * x1 + x2 * x2;
		} while (r2 >= 1.0 || r2 == 0.0);
		const double f = std::sqrt(-2.0 * std::log(r2) / r2);
		spare_ = f * x1;
		has_spare_ = true;
		return f * x2;
	}

  private:
	double
	uniform()
	{
		const uint32_t a = static_cast<uint32_t>(engine_()) >> 5;
		const uint32_t b = static_cast<uint32_t>(engine_()) >> 6;
		return (a * 67108864.0 + b) / 9007199254740992.0;
	}

	std::mt19937 engine_;
	double spare_ = 0.0;
	bool has_spare_ = false;
};

} // namespace nmf

#endif
