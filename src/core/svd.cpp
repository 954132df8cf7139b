// SPDX-License-Identifier: PostgreSQL
// Truncated SVD of sparse V by subspace iteration (Halko, Martinsson & Tropp,
// Finding structure with randomness, 2011, algorithm 4.4) run to convergence
// rather than for a fixed number of power steps: the nndsvd inits need the
// singular vectors themselves, not just a good low-rank approximation.
//
// With l = min(r + kOversample, m, n) columns: a seeded Gaussian n x l start,
// then repeatedly Y = orth(V Q), Q = orth(V^T Y), until the leading r
// singular values of V^T Y change by less than kRelTol (or after kMaxSteps).
// When l = min(m, n) the subspace is the whole space and one step is exact.
// Each step costs O(nnz l + (m + n) l^2); the result is the SVD of the small
// l x n projection Y^T V, lifted back by Y. Deterministic: one seeded stream,
// fixed summation orders.
#include "svd.hpp"

#include <Eigen/QR>
#include <Eigen/SVD>
#include <cmath>

#include "random_source.hpp"

namespace nmf
{

namespace
{

constexpr int64_t kOversample = 10;
// Steps at most (scikit-learn's randomized_svd takes 4 to 7): an init needs
// the leading triplets well, not to the last bit, where the spectrum is flat.
constexpr int kMaxSteps = 15;
constexpr double kRelTol = 1e-12;

// Orthonormal rows for the rows of a (l x k, l <= k) by Householder QR of a^T.
void
orthonormalize_rows(Matrix &a)
{
	const Matrix at = a.transpose();
	Eigen::HouseholderQR<Matrix> qr(at);
	a = (qr.householderQ() * Matrix::Identity(at.rows(), at.cols())).transpose();
}

} // namespace

int64_t
truncated_svd_bytes(int64_t m, int64_t n, int64_t r) noexcept
{
	const int64_t l = std::min(std::min(r + kOversample, m), n);
	// Q, Y, Z, the transposed copies QR makes, and the lifted U and V.
	return (6 * l * (m + n) + 4 * l * l) * static_cast<int64_t>(sizeof(double));
}

void
truncated_svd(const Problem &p, int64_t r, Matrix &u, Eigen::VectorXd &s, Matrix &v)
{
	const int64_t m = p.x.rows, n = p.x.cols;
	const int64_t l = std::min(std::min(r + kOversample, m), n);

	// Stored transposed, as the factors: column j of qt is row j of Q.
	Matrix qt(l, n), yt(l, m), zt(l, n);
	NormalSource normals(p.opt.seed);
	for (int64_t k = 0; k < qt.size(); k++)
		qt.data()[k] = normals.next();
	orthonormalize_rows(qt);

	Eigen::VectorXd prev = Eigen::VectorXd::Zero(r);
	for (int step = 0; step < kMaxSteps; step++)
	{
		poll_interrupts(p.intr);
		gather(p.x.row_ptr, p.x.col_idx, p.x.values, 0, m, qt, yt); // (V Q)^T
		orthonormalize_rows(yt);
		gather(p.xt->col_ptr.data(), p.xt->row_idx.data(), p.xt->values.data(), 0, n, yt,
		       zt); // (V^T Y)^T = Y^T V
		const Eigen::VectorXd sv =
		    Eigen::JacobiSVD<Matrix>(zt * zt.transpose()).singularValues().head(r).cwiseSqrt();
		const double change = (sv - prev).cwiseAbs().maxCoeff();
		prev = sv;
		if (l == std::min(m, n) || change <= kRelTol * sv(0))
			break;
		qt = zt;
		orthonormalize_rows(qt);
	}

	// Y^T V = Ub S Vb^T, so V ~ Y Ub S Vb^T.
	Eigen::JacobiSVD<Matrix> small(zt.transpose(), Eigen::ComputeThinU | Eigen::ComputeThinV);
	s = small.singularValues().head(r);
	v = small.matrixU().leftCols(r);                  // n x r
	u = yt.transpose() * small.matrixV().leftCols(r); // m x r
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
