// SPDX-License-Identifier: PostgreSQL
// The loops of kernel_loops.hpp instantiated once per instruction set, and
// the set chosen for this CPU (see simd.hpp).
//
// Each set is a function attribute, not a compiler flag for a whole file: a
// file built with -mavx2 would also emit its inline library functions (std::,
// Eigen) with AVX2, and the linker may keep those copies for everybody,
// crashing CPUs without it. Eigen keeps its SSE2 code paths everywhere, so its
// sums too are the same bits under every set.
#include <atomic>
#include <cstring>
#include <unistd.h>
#include <utility>

#include "kernel_loops.hpp"
#include "simd.hpp"

namespace nmf::simd
{

namespace
{

// The block sweep around loops::cd_sweep_lanes: L columns at a time are
// interleaved into scratch, swept, and copied back; a last, partial group
// sweeps zero columns in its empty lanes and discards them.
template <int L>
NMF_LOOP void
sweep_columns(const double *g, int64_t r, const double *b, double l1, double *f, int64_t count,
              double *scratch)
{
	static_assert(L <= loops::kSweepLanesMax);
	double *fl = scratch;
	double *bl = scratch + r * L;
	for (int64_t c0 = 0; c0 < count; c0 += L)
	{
		const int64_t lanes = std::min<int64_t>(L, count - c0);
		std::fill(fl, fl + 2 * r * L, 0.0);
		for (int64_t c = 0; c < lanes; c++)
			for (int64_t t = 0; t < r; t++)
			{
				fl[t * L + c] = f[(c0 + c) * r + t];
				bl[t * L + c] = b[(c0 + c) * r + t];
			}
		loops::cd_sweep_lanes<L>(g, r, bl, l1, fl);
		for (int64_t c = 0; c < lanes; c++)
			for (int64_t t = 0; t < r; t++)
				f[(c0 + c) * r + t] = fl[t * L + c];
	}
}

// Columns a gather sums side by side: two while their sums take at most 12
// vector registers of `width` doubles (of the 16 that SSE2 and AVX2 have),
// else one, rather than spill sums to memory.
constexpr int
gather_columns(int r, int width)
{
	return 2 * ((r + width - 1) / width) <= 12 ? 2 : 1;
}

// Columns a dense gather sums side by side: as many as 12 vector registers
// of sums hold (the loads need no index, so more chains pay; AVX2 at rank 16:
// 3 columns, 2.2 ms for W^T V of 400 x 4096 against 2.6 with 2, one thread).
constexpr int
dense_columns(int r, int width)
{
	return std::clamp(12 / ((r + width - 1) / width), 1, 8);
}

} // namespace

// One set: wrappers with the set's target attribute, into which the loops
// are inlined and vectorised for it (vectors of WIDTH doubles); hals's
// sweeps run four vectors of columns side by side (LANES).
#define NMF_KERNEL_SET(NS, ATTR, WIDTH, LANES)                                                     \
	namespace NS                                                                                   \
	{                                                                                              \
	template <int R>                                                                               \
	ATTR void                                                                                      \
	gather(const int64_t *ptr, const int32_t *idx, const double *val, int64_t first, int64_t last, \
	       const double *fd, double *out)                                                          \
	{                                                                                              \
		loops::gather<R, gather_columns(R, WIDTH)>(ptr, idx, val, first, last, fd, out);           \
	}                                                                                              \
	template <int R>                                                                               \
	ATTR void                                                                                      \
	dense_gather(const double *v, int64_t m, int64_t first, int64_t last, const double *fd,        \
	             double *out)                                                                      \
	{                                                                                              \
		loops::dense_gather<R, dense_columns(R, WIDTH)>(v, m, first, last, fd, out);               \
	}                                                                                              \
	template <int R>                                                                               \
	ATTR void                                                                                      \
	scatter(const CsrView &v, const double *fd, int32_t c0, int32_t c1, double *out)               \
	{                                                                                              \
		loops::scatter<R>(v, fd, c0, c1, out);                                                     \
	}                                                                                              \
	template <int R, bool MASKED>                                                                  \
	ATTR void                                                                                      \
	kl_line(const int32_t *idx, const double *val, int64_t n, const double *other,                 \
	        const double *f, double eps, double *num, double *den)                                 \
	{                                                                                              \
		loops::kl_line<R, 4, MASKED>(idx, val, n, other, f, eps, num, den);                        \
	}                                                                                              \
	ATTR void                                                                                      \
	cd_sweep_columns(const double *g, int64_t r, const double *b, double l1, double *f,            \
	                 int64_t count, double *scratch)                                               \
	{                                                                                              \
		sweep_columns<LANES>(g, r, b, l1, f, count, scratch);                                      \
	}                                                                                              \
	ATTR void                                                                                      \
	multiply_update(double *f, const double *num, const double *den, int64_t n, double l1,         \
	                double l2, double eps)                                                         \
	{                                                                                              \
		loops::multiply_update<WIDTH>(f, num, den, n, l1, l2, eps);                                \
	}                                                                                              \
	ATTR void                                                                                      \
	is_weights(const double *v, double *y, double *z, int64_t n, double zero_num, double zero_den) \
	{                                                                                              \
		loops::is_weights<WIDTH>(v, y, z, n, zero_num, zero_den);                                  \
	}                                                                                              \
	ATTR void                                                                                      \
	kl_ratios(const double *v, double *y, int64_t n, double eps)                                   \
	{                                                                                              \
		loops::kl_ratios<WIDTH>(v, y, n, eps);                                                     \
	}                                                                                              \
	template <int... R>                                                                            \
	Kernels                                                                                        \
	kernels(const char *name, std::integer_sequence<int, 0, R...>)                                 \
	{                                                                                              \
		return Kernels{name,                                                                       \
		               {nullptr, &gather<R>...},                                                   \
		               {nullptr, &scatter<R>...},                                                  \
		               {nullptr, &dense_gather<R>...},                                             \
		               {nullptr, &kl_line<R, false>...},                                           \
		               {nullptr, &kl_line<R, true>...},                                            \
		               &cd_sweep_columns,                                                          \
		               &multiply_update,                                                           \
		               &is_weights,                                                                \
		               &kl_ratios};                                                                \
	}                                                                                              \
	}

NMF_KERNEL_SET(portable, , 2, 8)
NMF_KERNEL_SET(avx2, __attribute__((target("avx2"))), 4, 16)
#ifdef __clang__ // clang has no prefer-vector-width target attribute (the sanitized tests' build)
NMF_KERNEL_SET(avx512, __attribute__((target("avx512f"))), 8, 32)
#else
NMF_KERNEL_SET(avx512, __attribute__((target("avx512f,prefer-vector-width=512"))), 8, 32)
#endif

#undef NMF_KERNEL_SET

namespace
{

using Ranks = std::make_integer_sequence<int, kFixedRankMax + 1>;

const Kernels kPortable = portable::kernels("sse2", Ranks());
const Kernels kAvx2 = avx2::kernels("avx2", Ranks());
const Kernels kAvx512 = avx512::kernels("avx512", Ranks());

// __builtin_cpu_supports also checks that the OS saves the wider registers.
bool
runs(const Kernels &k) noexcept
{
	__builtin_cpu_init();
	if (&k == &kAvx512)
		return __builtin_cpu_supports("avx512f");
	if (&k == &kAvx2)
		return __builtin_cpu_supports("avx2");
	return true;
}

const Kernels *
widest() noexcept
{
	for (const Kernels *k : {&kAvx512, &kAvx2})
		if (runs(*k))
			return k;
	return &kPortable;
}

std::atomic<const Kernels *> chosen{nullptr};

} // namespace

const Kernels &
active() noexcept
{
	const Kernels *k = chosen.load(std::memory_order_relaxed);
	if (k == nullptr)
	{
		k = widest();
		chosen.store(k, std::memory_order_relaxed);
	}
	return *k;
}

std::vector<const Kernels *>
available()
{
	std::vector<const Kernels *> out;
	for (const Kernels *k : {&kPortable, &kAvx2, &kAvx512})
		if (runs(*k))
			out.push_back(k);
	return out;
}

bool
select(const char *name) noexcept
{
	for (const Kernels *k : {&kPortable, &kAvx2, &kAvx512})
		if (std::strcmp(k->name, name) == 0 && runs(*k))
		{
			chosen.store(k, std::memory_order_relaxed);
			return true;
		}
	return false;
}

int64_t
l2_cache_bytes() noexcept
{
	static const int64_t bytes = [] {
		const long reported = sysconf(_SC_LEVEL2_CACHE_SIZE);
		return reported > 0 ? static_cast<int64_t>(reported) : int64_t(1) << 20;
	}();
	return bytes;
}

} // namespace nmf::simd
