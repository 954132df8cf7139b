// SPDX-License-Identifier: PostgreSQL
// Building blocks shared by the solvers, the losses and the inits.
//
// Factors are stored transposed, one factor vector per column: W as r x m
// (row i of W is column i, r contiguous doubles) and H as r x n (column j of
// H contiguous). A sparse product then adds whole contiguous vectors, and the
// r x r Gram matrices come from Eigen's rank updates. Work runs in blocks of
// columns, fixed by r alone, so the summation order (and hence every bit of
// the result) does not depend on how the blocks are later shared out.
#ifndef NMF_KERNELS_HPP
#define NMF_KERNELS_HPP

#include <Eigen/Dense>
#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "errors.hpp"
#include "kernel_loops.hpp"
#include "simd.hpp"
#include "sparse.hpp"

namespace nmf
{

using Matrix = Eigen::MatrixXd;

// Doubles per work buffer (64 KiB): small enough to stay in L2 beside the
// factors, and enough blocks on a side to share out among threads.
constexpr int64_t kBlockElements = int64_t(1) << 13;
// Columns per block at most, so interrupts are polled every few thousand.
constexpr int64_t kMaxBlockColumns = 4096;

inline int64_t
block_columns(int64_t rank) noexcept
{
	return std::clamp<int64_t>(kBlockElements / rank, 1, kMaxBlockColumns);
}

// Scratch allocated once per fit: nothing is allocated inside an iteration.
// Lane 0 (the calling thread) uses num, den and gram_line; the other lanes of
// a parallel half their own copies. Each block of a parallel half leaves its
// share of a Gram and of a cross term in part_gram / part_cross, summed in
// block order afterwards.
struct Workspace
{
	int64_t block = 1;
	int threads = 1;
	Matrix num;                // r x block: numerators, a block of W^T V or V H^T
	Matrix den;                // r x block: denominators
	Matrix gram_w;             // r x r: W^T W in the paper's orientation
	Matrix gram_h;             // r x r: H H^T
	Matrix gram_line;          // r x r: a Gram plus its ridge, or one line's masked Gram
	Eigen::VectorXd sums;      // r: a factor's sums over its rows or columns
	Eigen::VectorXd mean_line; // r: a masked half's prior (toward_mean)
	Matrix grad;               // r x max(m, n), solver gd only: the gradient of a half-step
	double step_w = 1.0;       // solver gd's adaptive steps, carried between iterations
	double step_h = 1.0;
	std::vector<Matrix> lane_num, lane_den, lane_gram; // lanes 1.., as num, den, gram_line
	std::vector<Matrix> lane_sweep; // r x 2 kSweepLanesMax per lane: hals's interleaved columns
	std::vector<Matrix> lane_prev;  // (r + 2) x block per lane: repeat_update's scratch
	std::vector<Matrix> part_gram;  // r x r per block of the longer side
	std::vector<double> part_cross; // up to three sums per block
	Matrix products; // r x n (V's columns) for hals and mu: W^T V from V's rows, else empty
	// loss 'beta' with absent cells as zeros (solver_mu_beta.cpp), set by the
	// fit: per lane, a block of W H and its product; a sum per block of the loss
	std::vector<std::vector<double>> lane_beta;
	std::vector<double> beta_parts;

	Workspace() = default;
	Workspace(int64_t rank, int64_t grad_cols, int64_t lines, int lanes, int64_t product_cols = 0)
	    : block(block_columns(rank)), threads(std::max(lanes, 1)), num(rank, block),
	      den(rank, block), gram_w(rank, rank), gram_h(rank, rank), gram_line(rank, rank),
	      sums(rank), mean_line(rank), grad(rank, grad_cols),
	      lane_num(static_cast<size_t>(threads - 1), Matrix(rank, block)),
	      lane_den(static_cast<size_t>(threads - 1), Matrix(rank, block)),
	      lane_gram(static_cast<size_t>(threads - 1), Matrix(rank, rank)),
	      lane_sweep(static_cast<size_t>(threads), Matrix(rank, 2 * loops::kSweepLanesMax)),
	      lane_prev(static_cast<size_t>(threads), Matrix(rank + 2, block)),
	      part_gram(static_cast<size_t>(blocks(rank, lines)), Matrix(rank, rank)),
	      part_cross(static_cast<size_t>(3 * blocks(rank, lines)), 0.0),
	      products(rank, product_cols)
	{
	}

	// Blocks of `lines` lines.
	static int64_t
	blocks(int64_t rank, int64_t lines) noexcept
	{
		const int64_t b = block_columns(rank);
		return (lines + b - 1) / b;
	}

	static int64_t
	bytes(int64_t rank, int64_t grad_cols, int64_t lines, int lanes, int64_t product_cols) noexcept
	{
		const int64_t extra = std::max(lanes, 1) - 1;
		const int64_t nb = blocks(rank, lines);
		return ((3 + 3 * extra) * rank * block_columns(rank) + (3 + extra + nb) * rank * rank +
		        2 * rank + rank * grad_cols + 3 * nb + rank * product_cols +
		        (1 + extra) * 2 * loops::kSweepLanesMax * rank +
		        (1 + extra) * 2 * block_columns(rank)) *
		       static_cast<int64_t>(sizeof(double));
	}

	Matrix &
	num_of(int lane) noexcept
	{
		return lane == 0 ? num : lane_num[static_cast<size_t>(lane - 1)];
	}

	Matrix &
	den_of(int lane) noexcept
	{
		return lane == 0 ? den : lane_den[static_cast<size_t>(lane - 1)];
	}

	double *
	sweep_of(int lane) noexcept
	{
		return lane_sweep[static_cast<size_t>(lane)].data();
	}

	Matrix &
	prev_of(int lane) noexcept
	{
		return lane_prev[static_cast<size_t>(lane)];
	}

	Matrix &
	gram_of(int lane) noexcept
	{
		return lane == 0 ? gram_line : lane_gram[static_cast<size_t>(lane - 1)];
	}
};

namespace detail
{

inline void
gather_any(const int64_t *ptr, const int32_t *idx, const double *val, int64_t first, int64_t last,
           const double *fd, int64_t r, double *out)
{
	for (int64_t k = first; k < last; k++)
	{
		double *o = out + (k - first) * r;
		std::fill(o, o + r, 0.0);
		for (int64_t p = ptr[k]; p < ptr[k + 1]; p++)
		{
			const double v = val[p];
			const double *src = fd + static_cast<int64_t>(idx[p]) * r;
			for (int64_t t = 0; t < r; t++)
				o[t] += v * src[t];
		}
	}
}

} // namespace detail

// out.col(c) = sum over p in [ptr[k], ptr[k + 1]) of val[p] * f.col(idx[p]),
// for k = first + c in [first, last). With V's CSR and f = H this is a block
// of (V H^T)^T; with the CSC and f = W, a block of W^T V. Ranks up to
// simd::kFixedRankMax run the loop specialised for the rank, in the CPU's
// widest vectors; the sums are the same bits either way.
inline void
gather(const int64_t *ptr, const int32_t *idx, const double *val, int64_t first, int64_t last,
       const Matrix &f, double *out)
{
	const int64_t r = f.rows();
	if (r <= simd::kFixedRankMax)
		simd::active().gather[static_cast<size_t>(r)](ptr, idx, val, first, last, f.data(), out);
	else
		detail::gather_any(ptr, idx, val, first, last, f.data(), r, out);
}

inline void
gather(const int64_t *ptr, const int32_t *idx, const double *val, int64_t first, int64_t last,
       const Matrix &f, Matrix &out)
{
	gather(ptr, idx, val, first, last, f, out.data());
}

// gather's result when V is held dense, column-major with m rows: for k =
// first + c in [first, last), out.col(c) = sum over i in order of
// v[k m + i] f.col(i). The same bits as gather over the CSC of the same cells
// (kernel_loops.hpp's dense_gather says why).
inline void
gather_dense(const double *v, int64_t m, int64_t first, int64_t last, const Matrix &f, double *out)
{
	const int64_t r = f.rows();
	if (r <= simd::kFixedRankMax)
	{
		simd::active().dense_gather[static_cast<size_t>(r)](v, m, first, last, f.data(), out);
		return;
	}
	for (int64_t k = first; k < last; k++)
	{
		double *o = out + (k - first) * r;
		std::fill(o, o + r, 0.0);
		const double *col = v + k * m;
		for (int64_t i = 0; i < m; i++)
		{
			const double x = col[i];
			const double *src = f.data() + i * r;
			for (int64_t t = 0; t < r; t++)
				o[t] += x * src[t];
		}
	}
}

// The columns [c0, c1) of (f V) from V's rows: out.col(j) = sum over V's
// cells (i, j), in row order, of v_ij f.col(i). Each column sums the same
// terms in the same order as gather over V's columns, so the result is the
// same bits; but f is read once, in order, and the small result stays in
// cache. Only ranks that gather specialises (else false: use gather).
constexpr int64_t kScatterMaxRank = simd::kFixedRankMax;

inline bool
scatter_rows(const CsrView &v, const Matrix &f, int32_t c0, int32_t c1, Matrix &out)
{
	const int64_t r = f.rows();
	if (r > kScatterMaxRank)
		return false;
	out.middleCols(c0, c1 - c0).setZero();
	simd::active().scatter[static_cast<size_t>(r)](v, f.data(), c0, c1, out.data());
	return true;
}

// Whether f V is better made by scatter_rows than by a gather over V's
// columns. The gather reads f's columns at random and wins while f stays
// near a core's L2 cache (S: W 1.6 MB in the solvers, 0.0031 s against
// 0.0050 by rows, AVX2, one thread; the nndsvd init's 2.4 MB sketch, 0.16 s
// against 0.21 to create the fit); past it, going by rows, which reads f
// in order and writes the smaller result at random, wins (M, 16 MB: 0.080 s
// against 0.106). Both give the same bits.
inline bool
scatter_wins(const Matrix &f)
{
	return f.rows() <= kScatterMaxRank &&
	       f.size() * static_cast<int64_t>(sizeof(double)) > 2 * simd::l2_cache_bytes();
}

// The dot product of two r-vectors, in index order.
inline double
dot(const double *a, const double *b, int64_t r) noexcept
{
	double s = 0.0;
	for (int64_t t = 0; t < r; t++)
		s += a[t] * b[t];
	return s;
}

// g += b b^T, lower triangle only (half the flops); gram_mirror completes it.
template <class Block>
inline void
gram_add(Matrix &g, const Block &b)
{
	g.selfadjointView<Eigen::Lower>().rankUpdate(b);
}

// g = the sum of the first `count` blocks' Grams, in block order (lower
// triangles; gram_mirror completes it), and the sum of their cross terms.
inline double
reduce_blocks(const Workspace &ws, int64_t count, Matrix &g)
{
	g.setZero();
	double cross = 0.0;
	for (int64_t k = 0; k < count; k++)
	{
		g.triangularView<Eigen::Lower>() += ws.part_gram[static_cast<size_t>(k)];
		cross += ws.part_cross[static_cast<size_t>(k)];
	}
	return cross;
}

inline void
gram_mirror(Matrix &g)
{
	for (Eigen::Index j = 1; j < g.cols(); j++)
		for (Eigen::Index i = 0; i < j; i++)
			g(i, j) = g(j, i);
}

// The squared Frobenius norm of V - W H without forming it:
// ||V||^2 - 2 <W, V H^T> + tr(W^T W . H H^T), clamped at 0 against rounding.
inline double
frobenius_from_parts(double x_norm_sq, double cross, const Matrix &gram_w, const Matrix &gram_h)
{
	const double loss = x_norm_sq - 2.0 * cross + (gram_w.array() * gram_h.array()).sum();
	return loss > 0 ? loss : 0.0;
}

} // namespace nmf

#endif
