// SPDX-License-Identifier: PostgreSQL
// Truncated SVD of sparse V by a randomized range finder (Halko, Martinsson &
// Tropp, Finding structure with randomness, 2011, algorithms 4.3 and 5.1),
// step for step as scikit-learn 1.2's randomized_svd(V, r, random_state =
// seed) computes it, so that the nndsvd inits match scikit-learn's:
//
// - A is V, or V^T when V has fewer rows than columns (its transpose rule),
//   so that A (ma x na) has na <= ma;
// - l = r + 10 columns (oversampling 10), at most na: with l = na the range
//   is all of A's and the result exact;
// - the Gaussian na x l start comes from numpy's RandomState(seed) stream in
//   numpy's order (random_source.hpp, LegacyGauss), scikit-learn's draw;
// - q power iterations Y <- A orth(A^T orth(Y)) after Y = A Omega: q = 7 when
//   r < min(m, n) / 10, else 4 (its n_iter = 'auto');
// - Q = orth(Y), then the SVD of the small l x na matrix B = Q^T A, lifted
//   back by Q.
// The one difference is the normaliser between power iterations: a QR where
// scikit-learn takes the L of an LU; both span the same subspace, so in exact
// arithmetic the results are the same, and in practice they agree to
// rounding (test/t/sklearn_check.py). A fixed number of steps, not a
// convergence test: an init needs the leading triplets well, not to the last
// bit, where the spectrum is flat.
//
// Cost: 2q + 2 sparse products of width l (16 at q = 7), each O(nnz l), split
// into fixed blocks of lines on the fit's threads; each block writes only its
// own lines, so the bits do not depend on the thread count. The QRs are
// O((m + n) l^2) each.
#include "svd.hpp"

#include <Eigen/Cholesky>
#include <Eigen/QR>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <vector>

#include "parallel.hpp"
#include "random_source.hpp"

namespace nmf
{

namespace
{

constexpr int64_t kOversample = 10;
// scikit-learn's n_iter = 'auto': 7 when r < min(m, n) / 10, else 4.
constexpr int kPowerIterationsFew = 4;
constexpr int kPowerIterationsMany = 7;

// out = (V f^T)^T: out.col(i) = sum over row i's cells (i, j) of v_ij f.col(j),
// f being l x n and out l x m. Fixed blocks of rows on `threads` lanes; each
// block writes only its own columns of out.
void
apply_v(const Problem &p, const Matrix &f, Matrix &out, int threads)
{
	const int64_t l = f.rows(), m = p.x.rows;
	const int64_t block = block_columns(l);
	out.resize(l, m);
	parallel_for(threads, (m + block - 1) / block, [&](int64_t b, int) {
		poll_interrupts(p.intr);
		const int64_t first = b * block, last = std::min(first + block, m);
		if (p.dense_by_rows != nullptr)
			gather_dense(p.dense_by_rows, p.x.cols, first, last, f, out.data() + first * l);
		else
			gather(p.x.row_ptr, p.x.col_idx, p.x.values, first, last, f, out.data() + first * l);
	});
}

// out = (V^T f^T)^T = f V: out.col(j) = sum over column j's cells (i, j), in row order, of
// v_ij f.col(i), f being l x m and out l x n. By scatter from V's rows when
// that wins (scatter_wins; each lane a range of columns), else by gather over
// the CSC (or the dense block, Fit::dense_path) in fixed blocks of columns; the same bits either
// way, and for any thread count.
void
apply_vt(const Problem &p, const Matrix &f, Matrix &out, int threads)
{
	const int64_t l = f.rows(), n = p.x.cols;
	out.resize(l, n);
	if (scatter_wins(f) && p.x.row_ptr != nullptr)
	{
		const int64_t lanes = std::min<int64_t>(threads, n);
		parallel_for(threads, lanes, [&](int64_t k, int) {
			poll_interrupts(p.intr);
			scatter_rows(p.x, f, static_cast<int32_t>(n * k / lanes),
			             static_cast<int32_t>(n * (k + 1) / lanes), out);
		});
		return;
	}
	const int64_t block = block_columns(l);
	parallel_for(threads, (n + block - 1) / block, [&](int64_t b, int) {
		poll_interrupts(p.intr);
		const int64_t first = b * block, last = std::min(first + block, n);
		if (p.dense != nullptr)
			gather_dense(p.dense, p.x.rows, first, last, f, out.data() + first * l);
		else
			gather(p.xt->col_ptr.data(), p.xt->row_idx.data(), p.xt->values.data(), first, last, f,
			       out.data() + first * l);
	});
}

// Orthonormal rows for the rows of a (l x k, l <= k) by Householder QR of a^T.
void
householder_rows(Matrix &a)
{
	const Matrix at = a.transpose();
	Eigen::HouseholderQR<Matrix> qr(at);
	a = (qr.householderQ() * Matrix::Identity(at.rows(), at.cols())).transpose();
}

// Orthonormal rows spanning those of a (l x k, l <= k): by Cholesky QR, the
// Gram G = a a^T = L L^T summed over fixed blocks of columns in block order,
// then a <- L^-1 a by blocks, `passes` times (two make the rows orthonormal to
// rounding when a is not too ill-conditioned, one is plenty between power
// iterations). When L's diagonal spans more than 1 / kCholeskyRange (a nearly
// rank deficient) or the factorisation fails, Householder QR instead.
constexpr double kCholeskyRange = 1e-5;

void
orthonormalize_rows(Matrix &a, int passes, int threads, const NmfcInterrupts &intr)
{
	const int64_t l = a.rows(), k = a.cols();
	const int64_t block = block_columns(l);
	const int64_t blocks = (k + block - 1) / block;
	std::vector<Matrix> part(static_cast<size_t>(blocks), Matrix(l, l));
	Matrix g(l, l);
	for (int pass = 0; pass < passes; pass++)
	{
		parallel_for(threads, blocks, [&](int64_t b, int) {
			poll_interrupts(intr);
			const int64_t first = b * block, last = std::min(first + block, k);
			Matrix &gb = part[static_cast<size_t>(b)];
			gb.setZero();
			gram_add(gb, a.middleCols(first, last - first));
		});
		g.setZero();
		for (const Matrix &gb : part)
			g.triangularView<Eigen::Lower>() += gb;
		const Eigen::LLT<Matrix, Eigen::Lower> llt(g);
		const Eigen::VectorXd d = llt.matrixLLT().diagonal();
		if (llt.info() != Eigen::Success || !(d.minCoeff() > kCholeskyRange * d.maxCoeff()))
		{
			householder_rows(a);
			return;
		}
		parallel_for(threads, blocks, [&](int64_t b, int) {
			poll_interrupts(intr);
			const int64_t first = b * block, last = std::min(first + block, k);
			auto ab = a.middleCols(first, last - first);
			llt.matrixL().solveInPlace(ab);
		});
	}
}

} // namespace

int64_t
truncated_svd_bytes(int64_t m, int64_t n, int64_t r) noexcept
{
	const int64_t l = std::min(std::min(r + kOversample, m), n);
	const int64_t blocks = (std::max(m, n) + block_columns(l) - 1) / block_columns(l);
	// Omega / Z, Y, the transposed copies QR makes, the SVD of B, the lifted
	// U and V, and the blocks' Grams.
	return (6 * l * (m + n) + (4 + blocks) * l * l) * static_cast<int64_t>(sizeof(double));
}

void
truncated_svd(const Problem &p, int64_t r, Matrix &u, Eigen::VectorXd &s, Matrix &v)
{
	const int64_t m = p.x.rows, n = p.x.cols;
	const bool transposed = m < n;
	const int64_t na = transposed ? m : n;
	const int64_t l = std::min(r + kOversample, na);
	// In floating point as scikit-learn writes it (0.1 * 30 > 3, so rank 3 of 30 gets 7).
	const int power = static_cast<double>(r) < 0.1 * static_cast<double>(std::min(m, n))
	                      ? kPowerIterationsMany
	                      : kPowerIterationsFew;
	const int threads = p.opt.threads == 0 ? default_threads() : p.opt.threads;

	// A X^T and A^T Y^T, transposed: l x ma from l x na, and back.
	const auto a_times = [&](const Matrix &f, Matrix &out) {
		if (transposed)
			apply_vt(p, f, out, threads);
		else
			apply_v(p, f, out, threads);
	};
	const auto at_times = [&](const Matrix &f, Matrix &out) {
		if (transposed)
			apply_v(p, f, out, threads);
		else
			apply_vt(p, f, out, threads);
	};

	// Everything transposed, as the factors: column j of zt is row j of Z.
	// Omega (na x l, numpy's row-major order) is zt's storage order.
	Matrix zt(l, na), yt;
	LegacyGauss gauss(p.opt.seed);
	for (int64_t k = 0; k < zt.size(); k++)
		zt.data()[k] = gauss.next();
	a_times(zt, yt); // (A Omega)^T
	for (int step = 0; step < power; step++)
	{
		orthonormalize_rows(yt, 1, threads, p.intr);
		at_times(yt, zt); // (A^T Y)^T
		orthonormalize_rows(zt, 1, threads, p.intr);
		a_times(zt, yt); // (A Z)^T
	}
	orthonormalize_rows(yt, 2, threads, p.intr); // Q^T
	at_times(yt, zt);                            // (A^T Q)^T = B = Q^T A, l x na

	// B^T = Ub S Vb^T, so A ~ Q Vb S Ub^T.
	Eigen::JacobiSVD<Matrix> small(zt.transpose(), Eigen::ComputeThinU | Eigen::ComputeThinV);
	s = small.singularValues().head(r);
	Matrix ua = yt.transpose() * small.matrixV().leftCols(r); // ma x r
	Matrix va = small.matrixU().leftCols(r);                  // na x r
	// V = A, or A^T = Va S Ua^T.
	u = transposed ? std::move(va) : std::move(ua);
	v = transposed ? std::move(ua) : std::move(va);
	for (int64_t k = 0; k < r; k++)
	{
		Eigen::Index top = 0;
		u.col(k).cwiseAbs().maxCoeff(&top);
		if (u(top, k) < 0)
		{
			u.col(k) = -u.col(k);
			v.col(k) = -v.col(k);
		}
	}
}

} // namespace nmf
