// SPDX-License-Identifier: PostgreSQL
// The hot loops (kernel_loops.hpp) compiled for several x86-64 instruction
// sets, and the choice among them, made once per process from what the CPU
// reports. The build stays portable (no -march): only these few functions
// use wider vectors, and only on CPUs that have them.
//
// Every set gives the same bits (kernel_loops.hpp says why; a unit test
// compares them on the same data), so the choice changes speed only.
#ifndef NMF_SIMD_HPP
#define NMF_SIMD_HPP

#include <array>
#include <cstdint>
#include <vector>

#include "sparse.hpp"

namespace nmf::simd
{

// Ranks up to this one get loops specialised for the rank; larger ones the
// generic loops in kernels.hpp.
constexpr int kFixedRankMax = 32;

using GatherFn = void (*)(const int64_t *ptr, const int32_t *idx, const double *val, int64_t first,
                          int64_t last, const double *fd, double *out);
using DenseGatherFn = void (*)(const double *v, int64_t m, int64_t first, int64_t last,
                               const double *fd, double *out);
using ScatterFn = void (*)(const CsrView &v, const double *fd, int32_t c0, int32_t c1, double *out);
using KlLineFn = void (*)(const int32_t *idx, const double *val, int64_t n, const double *other,
                          const double *f, double eps, double *num, double *den);

struct Kernels
{
	const char *name;
	std::array<GatherFn, kFixedRankMax + 1> gather;            // by rank; [0] unused
	std::array<ScatterFn, kFixedRankMax + 1> scatter;          // by rank; [0] unused
	std::array<DenseGatherFn, kFixedRankMax + 1> dense_gather; // by rank; [0] unused
	// A line of the sparse KL half (kernel_loops.hpp), absent cells as zeros or masked.
	std::array<KlLineFn, kFixedRankMax + 1> kl_line;        // by rank; [0] unused
	std::array<KlLineFn, kFixedRankMax + 1> kl_line_masked; // by rank; [0] unused
	// One coordinate-descent sweep of each of the `count` columns of f
	// (r x count) with b (r x count), all sharing G; scratch holds
	// 2 r loops::kSweepLanesMax doubles.
	void (*cd_sweep_columns)(const double *g, int64_t r, const double *b, double l1, double *f,
	                         int64_t count, double *scratch);
	void (*multiply_update)(double *f, const double *num, const double *den, int64_t n, double l1,
	                        double l2, double eps);
	// Element-wise weights of the dense KL and Itakura-Saito halves (kernel_loops.hpp).
	void (*is_weights)(const double *v, double *y, double *z, int64_t n, double zero_num,
	                   double zero_den);
	void (*kl_ratios)(const double *v, double *y, int64_t n, double eps);
};

// The set in use: the widest this CPU runs, unless select() chose another.
const Kernels &active() noexcept;

// The sets this build has and this CPU runs, portable (SSE2) first.
std::vector<const Kernels *> available();

// Use the set of that name from now on (tests and benchmarks compare them);
// false if this CPU does not run it.
bool select(const char *name) noexcept;

// The L2 cache of one core in bytes, as the C library reports it (1 MiB if
// it does not say): what decides between two loop orders of equal bits.
int64_t l2_cache_bytes() noexcept;

} // namespace nmf::simd

#endif
