// SPDX-License-Identifier: PostgreSQL
// The hot loops of an iteration, written once as plain C++ and compiled by
// kernels.cpp for each instruction set it dispatches to (see simd.hpp).
//
// They are always inlined into their callers, so each copy is vectorised for
// its caller's instruction set. None of them reorders a sum: the vectors run
// across independent outputs (the r entries of one result, or lanes of
// independent columns), each output adding its terms in the same order as a
// scalar loop would, with no fused multiply-add (the build passes
// -ffp-contract=off). So every copy gives the same bits.
#ifndef NMF_KERNEL_LOOPS_HPP
#define NMF_KERNEL_LOOPS_HPP

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "sparse.hpp"

#define NMF_LOOP [[gnu::always_inline]] inline

namespace nmf::loops
{

// acc += v src, R-vectors.
template <int R>
NMF_LOOP void
add_scaled(double *acc, double v, const double *src)
{
#pragma GCC unroll 32
	for (int t = 0; t < R; t++)
		acc[t] += v * src[t];
}

// out[c] = sum over p in [ptr[k], ptr[k + 1]) of val[p] * fd[idx[p]], for
// k = first + c, each an R-vector; the sums of a column stay in registers.
// K columns run side by side, cell i of each in turn: each column still adds
// its cells in order (the same bits as one at a time), but the K dependency
// chains of the sums overlap, and so do the loads they wait for.
template <int R, int K>
NMF_LOOP void
gather(const int64_t *ptr, const int32_t *idx, const double *val, int64_t first, int64_t last,
       const double *fd, double *out)
{
	int64_t k = first;
	for (; k + K <= last; k += K)
	{
		double acc[K][R] = {};
		int64_t common = ptr[k + 1] - ptr[k];
#pragma GCC unroll 8
		for (int j = 1; j < K; j++)
			common = std::min(common, ptr[k + j + 1] - ptr[k + j]);
		for (int64_t i = 0; i < common; i++)
#pragma GCC unroll 8
			for (int j = 0; j < K; j++)
			{
				const int64_t p = ptr[k + j] + i;
				add_scaled<R>(acc[j], val[p], fd + static_cast<int64_t>(idx[p]) * R);
			}
#pragma GCC unroll 8
		for (int j = 0; j < K; j++)
		{
			for (int64_t p = ptr[k + j] + common; p < ptr[k + j + 1]; p++)
				add_scaled<R>(acc[j], val[p], fd + static_cast<int64_t>(idx[p]) * R);
			std::copy(acc[j], acc[j] + R, out + (k + j - first) * R);
		}
	}
	for (; k < last; k++)
	{
		double acc[R] = {};
		for (int64_t p = ptr[k]; p < ptr[k + 1]; p++)
			add_scaled<R>(acc, val[p], fd + static_cast<int64_t>(idx[p]) * R);
		std::copy(acc, acc + R, out + (k - first) * R);
	}
}

// The gather over V's columns when V is dense (column-major, m rows): column
// c of out = sum over i in order of v[(first + c) m + i] fd[i], each an
// R-vector. The same terms in the same order as gather over a CSC holding
// every cell (a cell gather skips adds 0 times a vector, which leaves a sum
// unchanged), so the same bits; without indexes, and K columns side by side
// share each load of fd[i].
template <int R, int K>
NMF_LOOP void
dense_gather(const double *v, int64_t m, int64_t first, int64_t last, const double *fd, double *out)
{
	int64_t k = first;
	for (; k + K <= last; k += K)
	{
		double acc[K][R] = {};
		const double *col = v + k * m;
		for (int64_t i = 0; i < m; i++)
		{
			const double *o = fd + i * R;
#pragma GCC unroll 8
			for (int j = 0; j < K; j++)
				add_scaled<R>(acc[j], col[j * m + i], o);
		}
#pragma GCC unroll 8
		for (int j = 0; j < K; j++)
			std::copy(acc[j], acc[j] + R, out + (k + j - first) * R);
	}
	for (; k < last; k++)
	{
		double acc[R] = {};
		const double *col = v + k * m;
		for (int64_t i = 0; i < m; i++)
			add_scaled<R>(acc, col[i], fd + i * R);
		std::copy(acc, acc + R, out + (k - first) * R);
	}
}

// out[j] += v_ij fd[i] over V's cells (i, j) with c0 <= j < c1, row by row:
// each column sums the same terms in the same order as gather over V's
// columns. Row i's vector stays in registers.
template <int R>
NMF_LOOP void
scatter(const CsrView &v, const double *fd, int32_t c0, int32_t c1, double *out)
{
	for (int64_t i = 0; i < v.rows; i++)
	{
		const int32_t *begin = v.col_idx + v.row_ptr[i];
		const int32_t *end = v.col_idx + v.row_ptr[i + 1];
		const int32_t *p = c0 == 0 ? begin : std::lower_bound(begin, end, c0);
		if (p == end || *p >= c1)
			continue;
		double s[R] = {};
		std::copy(fd + i * R, fd + (i + 1) * R, s);
		for (; p != end && *p < c1; p++)
		{
			const double x = v.values[p - v.col_idx];
			double *o = out + static_cast<int64_t>(*p) * R;
			for (int t = 0; t < R; t++)
				o[t] += x * s[t];
		}
	}
}

// Columns swept side by side by cd_sweep_lanes at most: four vectors of
// AVX-512, so that four dependency chains overlap.
constexpr int kSweepLanesMax = 32;

// One coordinate-descent sweep, t = 0..r-1, of L independent problems
// min 1/2 f^T G f - (b - l1)^T f, f >= 0, sharing G (symmetric):
//
//   f_t <- max(0, f_t - ((G f)_t - (b_t - l1)) / G_tt)
//
// f and b hold the problems interleaved (entry t of lane c at t * L + c).
// Each lane's gradient adds -(b_t - l1), then G_tu f_u for u = 0..r-1, in
// that order: a column gives the same bits as when swept alone, whatever L,
// but the lanes' dependency chains overlap and share each load of G.
template <int L>
NMF_LOOP void
cd_sweep_lanes(const double *g, int64_t r, const double *b, double l1, double *f)
{
	for (int64_t t = 0; t < r; t++)
	{
		const double hess = g[t * r + t];
		if (hess == 0.0)
			continue;
		const double *gt = g + t * r;
		double grad[L];
#pragma GCC unroll 32
		for (int c = 0; c < L; c++)
			grad[c] = -(b[t * L + c] - l1);
		for (int64_t u = 0; u < r; u++)
		{
			const double gu = gt[u];
			const double *fu = f + u * L;
#pragma GCC unroll 32
			for (int c = 0; c < L; c++)
				grad[c] += gu * fu[c];
		}
		double *ft = f + t * L;
#pragma GCC unroll 32
		for (int c = 0; c < L; c++)
			ft[c] = std::max(ft[c] - grad[c] / hess, 0.0);
	}
}

// W doubles in GCC's vector extension, one register of the set (W = 2 for
// SSE2, 4 for AVX2, 8 for AVX-512). The element-wise loops below use it
// because -O2 vectorises no loop whose length is unknown, nor any loop with a
// select in it; loads and stores go through memcpy (unaligned). Element-wise
// operations give the same bits at any width.
template <int W> struct VecOf;
template <> struct VecOf<2>
{
	typedef double type __attribute__((vector_size(16)));
};
template <> struct VecOf<4>
{
	typedef double type __attribute__((vector_size(32)));
};
template <> struct VecOf<8>
{
	typedef double type __attribute__((vector_size(64)));
};

// Every element x (out, not returned: a vector return would change the ABI).
template <int W>
NMF_LOOP void
splat(typename VecOf<W>::type &v, double x)
{
	for (int u = 0; u < W; u++)
		v[u] = x;
}

// f <- f o num / (den + l1 + l2 f), a zero denominator taken as eps.
template <int W>
NMF_LOOP void
multiply_update(double *f, const double *num, const double *den, int64_t n, double l1, double l2,
                double eps)
{
	using Vec = typename VecOf<W>::type;
	Vec vl1, vl2, e;
	const Vec zero = {};
	splat<W>(vl1, l1);
	splat<W>(vl2, l2);
	splat<W>(e, eps);
	int64_t k = 0;
	for (; k + W <= n; k += W)
	{
		Vec fk, nk, dk;
		std::memcpy(&fk, f + k, sizeof fk);
		std::memcpy(&nk, num + k, sizeof nk);
		std::memcpy(&dk, den + k, sizeof dk);
		const Vec d = dk + vl1 + vl2 * fk;
		fk *= nk / (d == zero ? e : d);
		std::memcpy(f + k, &fk, sizeof fk);
	}
	for (; k < n; k++)
	{
		const double d = den[k] + l1 + l2 * f[k];
		f[k] *= num[k] / (d == 0.0 ? eps : d);
	}
}

// The weights of a fully stored line under the Itakura-Saito divergence
// (beta 0): p = 1 / y in place of y and z = v p / y, where y = 0 takes
// zero_den for p and v zero_num for z (solver_mu_beta.cpp).
template <int W>
NMF_LOOP void
is_weights(const double *v, double *y, double *z, int64_t n, double zero_num, double zero_den)
{
	using Vec = typename VecOf<W>::type;
	Vec one, num0, den0;
	const Vec zero = {};
	splat<W>(one, 1.0);
	splat<W>(num0, zero_num);
	splat<W>(den0, zero_den);
	int64_t i = 0;
	for (; i + W <= n; i += W)
	{
		Vec vi, yi;
		std::memcpy(&vi, v + i, sizeof vi);
		std::memcpy(&yi, y + i, sizeof yi);
		const Vec inv = one / yi;
		const Vec zi = vi * (yi == zero ? num0 : inv / yi);
		const Vec pi = yi == zero ? den0 : inv;
		std::memcpy(z + i, &zi, sizeof zi);
		std::memcpy(y + i, &pi, sizeof pi);
	}
	for (; i < n; i++)
	{
		const double yi = y[i];
		const double inv = 1.0 / yi;
		z[i] = v[i] * (yi == 0.0 ? zero_num : inv / yi);
		y[i] = yi == 0.0 ? zero_den : inv;
	}
}

// V_ij / (W H)_ij of a counted cell, 0 where V is, a zero (W H)_ij taken as eps.
inline double
kl_ratio(double v, double wh, double eps)
{
	return v == 0.0 ? 0.0 : v / (wh == 0.0 ? eps : wh);
}

// y <- kl_ratio(v, y) over n cells: the KL numerators' weights.
template <int W>
NMF_LOOP void
kl_ratios(const double *v, double *y, int64_t n, double eps)
{
	using Vec = typename VecOf<W>::type;
	Vec e;
	const Vec zero = {};
	splat<W>(e, eps);
	int64_t i = 0;
	for (; i + W <= n; i += W)
	{
		Vec vi, yi;
		std::memcpy(&vi, v + i, sizeof vi);
		std::memcpy(&yi, y + i, sizeof yi);
		const Vec q = vi / (yi == zero ? e : yi); // where v is 0, discarded
		const Vec out = vi == zero ? zero : q;
		std::memcpy(y + i, &out, sizeof out);
	}
	for (; i < n; i++)
		y[i] = kl_ratio(v[i], y[i], eps);
}

// One line of the sparse KL half: for each of its n cells in order, with o
// the other side's R-vector idx[c] and wh = o . f (t in order, as dot()),
// num += (val[c] / wh) o and, when MASKED, den += o (a zero wh taken as eps).
// The dot products of K cells run side by side: each still adds its terms
// in order (the same bits as one at a time), but their K dependency chains
// overlap, where one cell's R adds in a row would wait on each other.
template <int R, int K, bool MASKED>
NMF_LOOP void
kl_line(const int32_t *idx, const double *val, int64_t n, const double *other, const double *f,
        double eps, double *num, double *den)
{
	double acc[R], dacc[R];
	std::copy(num, num + R, acc);
	if (MASKED)
		std::copy(den, den + R, dacc);
	auto add = [&](const double *o, double wh, double v) {
		add_scaled<R>(acc, v / (wh == 0.0 ? eps : wh), o);
		if (MASKED)
#pragma GCC unroll 32
			for (int t = 0; t < R; t++)
				dacc[t] += o[t];
	};
	int64_t c = 0;
	for (; c + K <= n; c += K)
	{
		const double *o[K];
		double wh[K] = {};
#pragma GCC unroll 8
		for (int j = 0; j < K; j++)
			o[j] = other + static_cast<int64_t>(idx[c + j]) * R;
#pragma GCC unroll 32
		for (int t = 0; t < R; t++)
#pragma GCC unroll 8
			for (int j = 0; j < K; j++)
				wh[j] += o[j][t] * f[t];
#pragma GCC unroll 8
		for (int j = 0; j < K; j++)
			add(o[j], wh[j], val[c + j]);
	}
	for (; c < n; c++)
	{
		const double *o = other + static_cast<int64_t>(idx[c]) * R;
		double wh = 0.0;
#pragma GCC unroll 32
		for (int t = 0; t < R; t++)
			wh += o[t] * f[t];
		add(o, wh, val[c]);
	}
	std::copy(acc, acc + R, num);
	if (MASKED)
		std::copy(dacc, dacc + R, den);
}

} // namespace nmf::loops

#endif
