// SPDX-License-Identifier: PostgreSQL
// solver = 'mu', loss = 'beta' (beta other than 1 and 2, which have their own
// kernels): the multiplicative updates of Fevotte & Idier, "Algorithms for
// nonnegative matrix factorization with the beta-divergence" (Neural
// Computation 23(9), 2011), in scikit-learn 1.2's form, Y = W H:
//
//   H_tj <- H_tj ((sum_i W_it V_ij Y_ij^(beta - 2)) / (sum_i W_it Y_ij^(beta - 1)))^gamma
//   W_it <- W_it ((sum_j H_tj V_ij Y_ij^(beta - 2)) / (sum_j H_tj Y_ij^(beta - 1)))^gamma
//
// with gamma = 1 / (2 - beta) for beta < 1, 1 / (beta - 1) for beta > 2 and 1
// between (the exponent of the paper's majorisation-minimisation, under which
// the divergence never increases; scikit-learn uses the same gamma).
//
// The numerators sum over the stored cells only (V_ij = 0 adds nothing). The
// denominators sum over the counted cells: with missing = 'ignore' the stored
// ones (O(nnz r)); with missing = 'zero' every cell of the line, since an
// absent cell's Y^(beta - 1) is not 0. That is O(m n r) per half: a block of
// lines of Y = O^T F (the other side's count by the block's lines) is formed
// by Eigen, raised to beta - 1 in place beside the numerators' weights of the
// same cells and multiplied back by O (dense_half), so no m x n array is held:
// about 2 kBetaBlockCells cells per lane, in the workspace, allocated once.
//
// As scikit-learn: a Y_ij of exactly 0 is taken as kEpsilon in the numerator's
// power when beta < 2 and in the denominator's when beta < 1; penalties add
// l1 + l2 * (the factor) to the denominator, which becomes kEpsilon if exactly
// 0; with beta < 1, values below the float64 epsilon are set to 0 after each
// half (for stability: scikit-learn does it for W with beta < 1 and for H with
// beta <= 1, so the two agree for every beta this file sees).
#include <cfloat>
#include <cmath>
#include <vector>

#include "solver_blocks.hpp"

namespace nmf::solver
{

namespace
{

// y^e, with the exponents the common betas give taken without pow.
inline double
power(double y, double e)
{
	if (e == -1.0)
		return 1.0 / y;
	if (e == -2.0)
	{
		const double inv = 1.0 / y;
		return inv * inv;
	}
	if (e == 1.0)
		return y;
	if (e == 2.0)
		return y * y;
	if (e == 0.5)
		return std::sqrt(y);
	if (e == -0.5)
		return 1.0 / std::sqrt(y);
	if (e == 1.5)
		return y * std::sqrt(y);
	if (e == -1.5)
		return 1.0 / (y * std::sqrt(y));
	return std::pow(y, e);
}

struct Beta
{
	double beta;
	double gamma;

	explicit Beta(double b)
	    : beta(b), gamma(b < 1.0   ? 1.0 / (2.0 - b)
	                     : b > 2.0 ? 1.0 / (b - 1.0)
	                               : 1.0)
	{
	}

	// V_ij Y_ij^(beta - 2), the numerator's weight of a stored cell.
	double
	num(double x, double y) const
	{
		if (beta < 2.0 && y == 0.0)
			y = kEpsilon;
		return x * power(y, beta - 2.0);
	}

	// Y_ij^(beta - 1), the denominator's weight of a counted cell.
	double
	den(double y) const
	{
		if (beta < 1.0 && y == 0.0)
			y = kEpsilon;
		return power(y, beta - 1.0);
	}

	// d(x, y) of a stored cell whose x > kEpsilon (y already made safe),
	// but for its part in x alone, x^beta / (beta (beta - 1)), summed once
	// (Problem::beta_x).
	double
	cell(double x, double y) const
	{
		if (beta == 0.0)
		{
			const double ratio = x / y;
			return ratio - std::log(ratio) - 1.0;
		}
		const double p = power(y, beta - 1.0);
		return y * p / beta - x * p / (beta - 1.0);
	}

	// What an absent cell (x = 0) costs when beta > 0: y^beta / beta.
	double
	absent(double y) const
	{
		return y == 0.0 ? 0.0 : y * power(y, beta - 1.0) / beta;
	}
};

// F <- F o ((num / (den + l1 + l2 F))^gamma), then the small values to 0.
void
update(const Beta &b, double *fk, const double *num, const double *den, int64_t r, double l1,
       double l2)
{
	for (int64_t t = 0; t < r; t++)
	{
		double d = den[t] + l1 + l2 * fk[t];
		if (d == 0.0)
			d = kEpsilon;
		double delta = num[t] / d;
		if (b.gamma != 1.0)
			delta = std::pow(delta, b.gamma);
		fk[t] *= delta;
		if (b.beta < 1.0 && fk[t] < DBL_EPSILON)
			fk[t] = 0.0;
	}
}

// missing = 'ignore': both sums over the line's stored cells.
void
masked_half(const Problem &p, const Beta &b, const Half &s, const Matrix &other, Matrix &f,
            Workspace &ws)
{
	masked_sums(
	    p, s, other, f, ws,
	    [&](double v, double y) { return std::make_pair(b.num(v, y), b.den(y)); },
	    [&](int64_t k, double *fk, const double *num, const double *den) {
		update(b, fk, num, den, f.rows(), s.l1, line_l2(s, k));
	    });
}

// missing = 'zero': a block of lines at a time, [P | Z] with P = Y^(beta - 1)
// on every cell and Z = V o Y^(beta - 2) on the stored ones (0 elsewhere), so
// that one product O [P | Z] gives the denominators and the numerators. Z is
// Y^(beta - 1) / Y where Y is not 0: one power per cell, which with the
// products is the cost. Dense products win over sums along the stored cells
// from a few percent of cells up, and the denominators need them anyway.
// The line's values when every cell of it is stored (V's dense column, or a
// CSR line as long as the other side), else null.
const double *
full_line(const Half &s, int64_t k, int64_t cells)
{
	if (s.dense != nullptr)
		return s.dense + k * s.dense_len;
	return s.ptr[k + 1] - s.ptr[k] == cells ? s.val + s.ptr[k] : nullptr;
}

// A full line: P = Y^(beta - 1) in place of Y, Z = V o P / Y (V o kEpsilon^(beta
// - 2) where Y is 0), the same values the sparse walk gives, in one pass.
// beta 0 (Itakura-Saito) takes 1 / y without pow, in the CPU's widest vectors.
void
full_line_weights(const Beta &b, const double *v, double *y, double *z, int64_t cells)
{
	if (b.beta == 0.0)
	{
		simd::active().is_weights(v, y, z, cells, b.num(1.0, 0.0), b.den(0.0));
		return;
	}
	for (int64_t i = 0; i < cells; i++)
	{
		const double yi = y[i];
		const double pi = b.den(yi);
		z[i] = yi == 0.0 ? b.num(v[i], 0.0) : v[i] * (pi / yi);
		y[i] = pi;
	}
}

// missing = 'zero': a block of lines at a time, [P | Z] with P = Y^(beta - 1)
// on every cell and Z = V o Y^(beta - 2) on the stored ones (0 elsewhere), so
// that one product O [P | Z] gives the denominators and the numerators. Z is
// Y^(beta - 1) / Y where Y is not 0: one power per cell, which with the
// products is the cost. Dense products win over sums along the stored cells
// from a few percent of cells up, and the denominators need them anyway.
void
dense_half(const Problem &p, const Beta &b, const Half &s, const Matrix &other, Matrix &f,
           Workspace &ws)
{
	const int64_t r = f.rows();
	for_dense_blocks(
	    p, s, other, f, ws,
	    [&](int64_t, int64_t k0, int64_t len, Eigen::Map<Matrix> &y, double *rest, int) {
		const int64_t cells = other.cols();
		// y: cells x 2 lines, Y on the left; Z on the right.
		double *yd = y.data();
		double *zd = yd + cells * len;
		for (int64_t c = 0; c < len; c++)
		{
			double *yc = yd + c * cells, *zc = zd + c * cells;
			if (const double *v = full_line(s, k0 + c, cells))
			{
				full_line_weights(b, v, yc, zc, cells);
				continue;
			}
			// Y of the stored cells copied right, then P on the left, then Z.
			std::fill(zc, zc + cells, 0.0);
			for (int64_t q = s.ptr[k0 + c]; q < s.ptr[k0 + c + 1]; q++)
				zc[s.idx[q]] = yc[s.idx[q]];
			for (int64_t i = 0; i < cells; i++)
				yc[i] = b.den(yc[i]);
			for (int64_t q = s.ptr[k0 + c]; q < s.ptr[k0 + c + 1]; q++)
			{
				const int64_t i = s.idx[q];
				zc[i] = zc[i] == 0.0 ? b.num(s.val[q], 0.0) : s.val[q] * (yc[i] / zc[i]);
			}
		}
		// O [P | Z]: the dense gather of the rank's SIMD kernels (Eigen's product packs
		// [P | Z] first, as costly as the product itself at small ranks).
		gather_dense(yd, cells, 0, 2 * len, other, rest);
		for (int64_t c = 0; c < len; c++)
			update(b, f.data() + (k0 + c) * r, rest + (len + c) * r, rest + c * r, r, s.l1, s.l2);
	    },
	    2);
}

void
beta_half(const Problem &p, const Half &s, const Matrix &other, Matrix &f, Workspace &ws)
{
	const Beta b(p.opt.beta);
	if (s.masked)
		masked_half(p, b, s, other, f, ws);
	else
		dense_half(p, b, s, other, f, ws);
}

} // namespace

int64_t
beta_block_lines(int64_t cells, int64_t rank) noexcept
{
	const int64_t most = block_columns(rank);
	return std::clamp<int64_t>(kBetaBlockCells / std::max<int64_t>(cells, 1), 1, most);
}

int64_t
beta_scratch_bytes(int64_t rows, int64_t cols, int64_t rank) noexcept
{
	// [P | Z] and the product O [P | Z]
	const int64_t by_cols = (rows + rank) * 2 * beta_block_lines(rows, rank);
	const int64_t by_rows = (cols + rank) * 2 * beta_block_lines(cols, rank);
	return std::max(by_cols, by_rows) * static_cast<int64_t>(sizeof(double));
}

double
beta_x_term(const Problem &p) noexcept
{
	const double beta = p.opt.beta;
	if (p.opt.loss != NMF_LOSS_BETA || beta == 0.0 || beta == 1.0 || beta == 2.0)
		return 0.0;
	double sum = 0.0;
	for (int64_t q = 0; q < p.x.nnz; q++)
		if (p.x.values[q] > kEpsilon)
			sum += power(p.x.values[q], beta);
	return sum / (beta * (beta - 1.0));
}

double
beta_loss(const Problem &p, const Matrix &w, const Matrix &h, Workspace &ws)
{
	const Beta b(p.opt.beta);
	if (p.masked())
	{
		const auto sums =
		    sum_over_cells<1>(p, w, h, ws, [&](std::array<double, 1> &part, double x, double y) {
			    if (x > kEpsilon)
				    part[0] += b.cell(x, y == 0.0 ? kEpsilon : y);
			    else if (b.beta > 0.0)
				    part[0] += b.absent(y);
		    });
		return std::max(p.beta_x + sums[0], 0.0);
	}
	// Every cell, by V's columns: a block of Y's columns at a time.
	const Half s = half_h(p);
	std::vector<double> &parts = ws.beta_parts;
	const int64_t blocks = for_dense_blocks(
	    p, s, w, h, ws,
	    [&](int64_t blk, int64_t k0, int64_t len, Eigen::Map<Matrix> &y, double *, int) {
		double part = 0.0;
		for (int64_t c = 0; c < len; c++)
		{
			const int64_t k = k0 + c;
			double *yc = y.data() + c * y.rows();
			// The stored cells first; their y is then cleared so that the
			// sweep below adds only the absent cells' y^beta / beta.
			for (int64_t q = s.ptr[k]; q < s.ptr[k + 1]; q++)
			{
				double &yi = yc[s.idx[q]];
				const double x = s.val[q];
				if (x > kEpsilon)
				{
					part += b.cell(x, yi == 0.0 ? kEpsilon : yi);
					yi = -1.0;
				}
			}
			if (b.beta > 0.0)
				for (int64_t i = 0; i < y.rows(); i++)
					if (yc[i] >= 0.0)
						part += b.absent(yc[i]);
		}
		parts[static_cast<size_t>(blk)] = part;
	    });
	double loss = p.beta_x;
	for (int64_t k = 0; k < blocks; k++)
		loss += parts[static_cast<size_t>(k)];
	return std::max(loss, 0.0);
}

double
mu_beta_iteration(const Problem &p, Matrix &w, Matrix &h, Workspace &ws)
{
	return h_then_w(p, w, h, ws, beta_half, beta_loss);
}

} // namespace nmf::solver
