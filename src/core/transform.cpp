// SPDX-License-Identifier: PostgreSQL
// Fold-in of new rows with H held fixed: per row, non-negative least squares
//   min_{w >= 0} ||x - w H||^2  =  min 1/2 w'Gw - b'w  (+ const),  G = H H', b = H x'
// solved by cyclic coordinate descent on the r x r Gram matrix.
//
// With absent cells as zeros (the classic model), G = H H' over every model
// column is built once (O(n r^2)) and b only gathers the row's stored cells
// (O(nnz_row r)). Masked (only stored cells count), each row has its own
// G_i = sum over its known stored cells of h_j h_j' (O(nnz_row r^2)).
// Either way a sweep of coordinate descent costs O(r^2).
//
// An implicit model (feedback 'implicit') solves the row's own problem of
// the fit: min sum over every model column of c_j (p_j - w h_j)^2 with p_j = 1
// and c_j = 1 + alpha x_j on the row's stored cells (x_j > 0), 0 and 1
// elsewhere: G_i = H H' + sum of alpha x_j h_j h_j' over the stored cells,
// b = sum of c_j h_j. Without the fit's ridge: it was on the factors' scale
// before the model normalised them, and H H' over every column keeps G_i
// well posed.
//
// A biased model (always masked) predicts mu + b_row + b_col + w H: the new
// row's bias b is one more coordinate, unconstrained, solved with w on the
// targets x_j - mu - b_col[j] with the fit's ridge l2_bias / 2 b^2: the Gram
// gains a row and column (sum of h_j, and count + l2_bias), b a last entry
// (sum of the targets).
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "apply.hpp"

namespace nmf
{
namespace apply
{

namespace
{

// Coordinate descent stops when no weight moved by more than this fraction
// of the largest weight in a sweep: far below what a double of the scores
// can show, reached in tens of sweeps on a well-conditioned Gram matrix.
constexpr double kNnlsTol = 1e-12;
// A bound on sweeps for an ill-conditioned G, where descent is slow; the
// objective still decreases at every step, so stopping early is safe.
constexpr int kNnlsMaxSweeps = 2000;

using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

} // namespace

void
nnls_cd(const double *g, const double *b, int64_t r, double *w, int64_t free_from)
{
	if (free_from < 0)
		free_from = r;
	// grad = G w - b, kept current as coordinates move.
	std::vector<double> grad(static_cast<size_t>(r));
	for (int64_t f = 0; f < r; f++)
	{
		double s = -b[f];
		for (int64_t e = 0; e < r; e++)
			s += g[e * r + f] * w[e];
		grad[static_cast<size_t>(f)] = s;
	}
	for (int sweep = 0; sweep < kNnlsMaxSweeps; sweep++)
	{
		double moved = 0, largest = 0;
		for (int64_t f = 0; f < r; f++)
		{
			const double gff = g[f * r + f];
			// A factor that is zero on every counted column cannot help: 0.
			const double step = gff > 0 ? w[f] - grad[static_cast<size_t>(f)] / gff : 0.0;
			const double next = f < free_from ? std::max(0.0, step) : step;
			const double delta = next - w[f];
			if (delta != 0)
			{
				w[f] = next;
				const double *gf = g + f * r;
				for (int64_t e = 0; e < r; e++)
					grad[static_cast<size_t>(e)] += gf[e] * delta;
			}
			moved = std::max(moved, std::fabs(delta));
			largest = std::max(largest, std::fabs(w[f]));
		}
		if (moved <= kNnlsTol * largest)
			break;
	}
}

namespace
{

// One row of a biased model: w (r, >= 0) and the bias b jointly.
void
transform_row_bias(const ModelView &m, const CsrView &x, const std::vector<int64_t> &col_of,
                   int64_t i, Eigen::MatrixXd &gram, Eigen::VectorXd &b, double *wi, double *bias)
{
	const int64_t r = m.rank;
	const Eigen::Map<const RowMajor> h(m.h, m.cols, r);
	gram.setZero();
	b.setZero();
	int64_t known = 0;
	for (int64_t p = x.row_ptr[i]; p < x.row_ptr[i + 1]; p++)
	{
		const int64_t j = col_of[static_cast<size_t>(x.col_idx[p])];
		if (j < 0)
			continue;
		const double y = x.values[p] - m.mu - m.b_col[j];
		const auto hj = h.row(j).transpose();
		b.head(r).noalias() += y * hj;
		b(r) += y;
		gram.topLeftCorner(r, r).selfadjointView<Eigen::Lower>().rankUpdate(hj);
		gram.block(r, 0, 1, r) += hj.transpose();
		known++;
	}
	gram(r, r) = static_cast<double>(known) + m.l2_bias;
	gram.triangularView<Eigen::StrictlyUpper>() = gram.transpose();
	std::vector<double> wb(static_cast<size_t>(r + 1), 0.0);
	nnls_cd(gram.data(), b.data(), r + 1, wb.data(), r);
	std::copy(wb.begin(), wb.begin() + r, wi);
	*bias = wb[static_cast<size_t>(r)];
}

} // namespace

TransformCounts
transform(const ModelView &m, const CsrView &x, const int64_t *x_col_ids, bool masked, double *out,
          const NmfcInterrupts &intr, double *out_bias)
{
	const int64_t r = m.rank;
	const Eigen::Map<const RowMajor> h(m.h, m.cols, r);
	TransformCounts counts;

	// Model column of each column of x, or -1.
	std::vector<int64_t> col_of(static_cast<size_t>(x.cols));
	for (int64_t c = 0; c < x.cols; c++)
	{
		col_of[static_cast<size_t>(c)] = find_id(m.col_ids, m.cols, x_col_ids[c]);
		if (col_of[static_cast<size_t>(c)] < 0)
			counts.unknown_cols++;
	}

	if (m.bias)
	{
		Eigen::MatrixXd gram(r + 1, r + 1);
		Eigen::VectorXd b(r + 1);
		int64_t since_poll = 0;
		for (int64_t i = 0; i < x.rows; i++)
		{
			double bias;
			transform_row_bias(m, x, col_of, i, gram, b, out + i * r, &bias);
			if (out_bias != nullptr)
				out_bias[i] = bias;
			since_poll += (x.row_ptr[i + 1] - x.row_ptr[i] + 1) * (r + 1) * (r + 1);
			if (since_poll >= kPollElements)
			{
				poll_interrupts(intr);
				since_poll = 0;
			}
		}
		for (int64_t p = 0; p < x.nnz; p++)
			if (col_of[static_cast<size_t>(x.col_idx[p])] < 0)
				counts.unknown_cells++;
		return counts;
	}

	Eigen::MatrixXd gram(r, r);
	Eigen::MatrixXd all(r, r);
	if (!masked)
		gram.noalias() = h.transpose() * h;
	if (m.implicit)
		all = gram;
	Eigen::VectorXd b(r);
	int64_t since_poll = 0;
	for (int64_t i = 0; i < x.rows; i++)
	{
		b.setZero();
		if (masked)
			gram.setZero();
		else if (m.implicit)
			gram.triangularView<Eigen::Lower>() = all;
		for (int64_t p = x.row_ptr[i]; p < x.row_ptr[i + 1]; p++)
		{
			const int64_t j = col_of[static_cast<size_t>(x.col_idx[p])];
			if (j < 0)
			{
				counts.unknown_cells++;
				continue;
			}
			const auto hj = h.row(j).transpose();
			if (m.implicit)
			{
				const double v = x.values[p];
				if (v > 0)
				{
					b.noalias() += (1.0 + m.alpha * v) * hj;
					gram.selfadjointView<Eigen::Lower>().rankUpdate(hj, m.alpha * v);
				}
				continue;
			}
			b.noalias() += x.values[p] * hj;
			if (masked)
				gram.selfadjointView<Eigen::Lower>().rankUpdate(hj);
		}
		if (masked || m.implicit)
			gram.triangularView<Eigen::StrictlyUpper>() = gram.transpose();
		double *wi = out + i * r;
		std::fill(wi, wi + r, 0.0);
		nnls_cd(gram.data(), b.data(), r, wi);

		since_poll += (x.row_ptr[i + 1] - x.row_ptr[i] + 1) * r * (masked ? r : 1) + r * r;
		if (since_poll >= kPollElements)
		{
			poll_interrupts(intr);
			since_poll = 0;
		}
	}
	return counts;
}

} // namespace apply
} // namespace nmf
