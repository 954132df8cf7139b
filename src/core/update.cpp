// SPDX-License-Identifier: PostgreSQL
// nmf_update: a model takes new cells without a full refit.
//
// The model does not keep its training cells, so each touched line (a row or
// column with new cells) solves its own least squares over its new cells
// plus a quadratic stand-in for its old cells, centred on its current factors
// theta0 (the fit's optimum for them):
//
//   min_theta  1/2 sum_new (y - theta . phi)^2 + 1/2 (theta - theta0)' P (theta - theta0)
//              + ridge,   theta = w (and the line's bias b), w >= 0
//
// P is the Gram of the old cells. With absent cells as zeros (missing 'zero')
// every line of the other side is a cell, so P = F'F, exact. With missing
// 'ignore' the old cells are unknown: P = n_old G_mean, n_old = the model's
// cells per line on that side (nnz / rows or nnz / cols) and G_mean the mean
// phi phi' over the other side's lines. The fit's count-scaled ridge grows
// with the line's cells (reg (n_old + n_new)). New lines have no old cells
// (theta0 = 0, P = 0): their solve is the fold-in of nmf_transform, and its
// mirror for columns. Biased models solve each line's bias jointly (phi =
// [f; 1], targets y = x - mu - the other line's bias), as the fold-in does.
//
// `sweeps` alternations (touched rows, then touched columns) let the new
// rows and new columns, which start at zero, find each other. Untouched
// lines keep their factors and biases. A sweep costs O(cells r^2 + touched
// lines r^3), plus O((rows + cols) r^2) for the F'F of a missing 'zero' model.
#include <Eigen/Dense>
#include <algorithm>
#include <limits>

#include "parallel.hpp"
#include "serve.hpp"
#include "solvers.hpp"

namespace nmf
{
namespace serve
{

namespace
{

constexpr int64_t kLinesPerBlock = 256;

using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// The sorted union of two strictly ascending id lists, and where each list's
// ids went in it.
std::vector<int64_t>
merge_ids(const int64_t *a, int64_t na, const int64_t *b, int64_t nb, std::vector<int64_t> *a_at,
          std::vector<int64_t> *b_at)
{
	std::vector<int64_t> out;
	out.reserve(static_cast<size_t>(na + nb));
	a_at->resize(static_cast<size_t>(na));
	b_at->resize(static_cast<size_t>(nb));
	int64_t i = 0, j = 0;
	while (i < na || j < nb)
	{
		const int64_t at = static_cast<int64_t>(out.size());
		if (j >= nb || (i < na && a[i] < b[j]))
		{
			(*a_at)[static_cast<size_t>(i)] = at;
			out.push_back(a[i++]);
		}
		else if (i >= na || b[j] < a[i])
		{
			(*b_at)[static_cast<size_t>(j)] = at;
			out.push_back(b[j++]);
		}
		else
		{
			(*a_at)[static_cast<size_t>(i++)] = at;
			(*b_at)[static_cast<size_t>(j)] = at;
			out.push_back(b[j++]);
		}
	}
	return out;
}

// One side of the problem: its factors (lines x r) and biases, the model's
// values as anchors, and the penalties of its lines.
struct Side
{
	std::vector<double> *f;    // lines x r, current
	std::vector<double> *bias; // lines, or empty without biases
	std::vector<double> f0;    // the model's factors on the new indexes (0 for new lines)
	std::vector<double> b0;
	std::vector<char> is_old; // the model had the line
	double n_old = 0;         // the model's cells per line on this side
	// missing 'ignore': the fit's prior, the mean of the model's lines, and
	// its fixed share of a line's ridge (solvers.hpp, toward_mean)
	Eigen::VectorXd prior;
	double prior_cells = 0;
	double l1 = 0, l2 = 0;
};

// Mean of phi phi' over the model's lines of one side (phi = [f; 1] when biased).
Eigen::MatrixXd
mean_gram(const double *f, int64_t lines, int64_t r, bool bias)
{
	const int64_t d = r + (bias ? 1 : 0);
	Eigen::MatrixXd g = Eigen::MatrixXd::Zero(d, d);
	const Eigen::Map<const RowMajor> fm(f, lines, r);
	g.topLeftCorner(r, r).noalias() = fm.transpose() * fm;
	if (bias)
	{
		g.block(r, 0, 1, r) = fm.colwise().sum();
		g.block(0, r, r, 1) = fm.colwise().sum().transpose();
		g(r, r) = static_cast<double>(lines);
	}
	return lines > 0 ? Eigen::MatrixXd(g / static_cast<double>(lines)) : g;
}

// The mean of the model's lines of one side.
Eigen::VectorXd
mean_line(const double *f, int64_t lines, int64_t r)
{
	const Eigen::Map<const RowMajor> fm(f, lines, r);
	return lines > 0 ? Eigen::VectorXd(fm.colwise().mean().transpose()) : Eigen::VectorXd::Zero(r);
}

// The cells of the touched lines of one side: line ids[t] (its new index)
// has the cells [ptr[t], ptr[t + 1]) naming other-side lines other[] (new
// indexes) with values val[].
struct Lines
{
	std::vector<int64_t> ids;
	std::vector<int64_t> ptr;
	std::vector<int64_t> other;
	std::vector<double> val;
};

// Solves every touched line of `side` with `other` held fixed.
void
solve_side(Side &side, const Side &other, const Lines &lines, int64_t r, bool bias, bool masked,
           double mu, double reg, double l2_bias, const Eigen::MatrixXd &g_mean, int threads,
           const NmfcInterrupts &intr)
{
	const int64_t d = r + (bias ? 1 : 0);
	const int64_t other_lines = static_cast<int64_t>(other.f->size()) / r;
	const Eigen::Map<const RowMajor> of(other.f->data(), other_lines, r);
	// Missing 'zero': every other line is a cell, the Gram is exact.
	Eigen::MatrixXd g_all;
	if (!masked)
		g_all.noalias() = of.transpose() * of;
	const int64_t touched = static_cast<int64_t>(lines.ids.size());
	const int64_t blocks = (touched + kLinesPerBlock - 1) / kLinesPerBlock;
	parallel_for(threads, blocks, [&](int64_t block, int) {
		poll_interrupts(intr);
		Eigen::MatrixXd g(d, d), p(d, d);
		Eigen::VectorXd rhs(d), theta0(d);
		std::vector<double> theta(static_cast<size_t>(d));
		const int64_t end = std::min(touched, (block + 1) * kLinesPerBlock);
		for (int64_t t = block * kLinesPerBlock; t < end; t++)
		{
			const int64_t i = lines.ids[static_cast<size_t>(t)];
			const int64_t n_new =
			    lines.ptr[static_cast<size_t>(t + 1)] - lines.ptr[static_cast<size_t>(t)];
			const bool old = side.is_old[static_cast<size_t>(i)] != 0;
			const double n_old = old ? side.n_old : 0.0;
			// P: the old cells' Gram and the ridge they came with (nothing for a new line).
			const double ridge_old = old ? reg * n_old + side.l2 : 0.0;
			if (masked)
				p = n_old * g_mean;
			else if (old)
				p = g_all;
			else
				p.setZero();
			p.diagonal().head(r).array() += ridge_old;
			if (bias && old)
				p(r, r) += l2_bias;
			for (int64_t f = 0; f < r; f++)
				theta0(f) = side.f0[static_cast<size_t>(i * r + f)];
			if (bias)
				theta0(r) = side.b0[static_cast<size_t>(i)];
			rhs.noalias() = p * theta0;
			if (!old)
				rhs.head(r).array() -= side.l1;
			// With absent cells as zeros a new line's Gram is F'F too.
			g = masked || old ? p : g_all;
			g.diagonal().head(r).array() +=
			    reg * static_cast<double>(n_new) + (old ? 0.0 : side.l2);
			// the new cells' ridge (and a new line's fixed share) pulls toward the prior
			if (side.prior.size() > 0)
			{
				const double fixed = old ? 0.0 : reg * side.prior_cells;
				g.diagonal().head(r).array() += fixed;
				rhs.head(r) += (reg * static_cast<double>(n_new) + fixed) * side.prior;
			}
			if (bias && !old)
				g(r, r) += l2_bias;
			for (int64_t q = lines.ptr[static_cast<size_t>(t)];
			     q < lines.ptr[static_cast<size_t>(t + 1)]; q++)
			{
				const int64_t j = lines.other[static_cast<size_t>(q)];
				const auto phi = of.row(j).transpose();
				double y = lines.val[static_cast<size_t>(q)];
				if (bias)
					y -= mu + (*other.bias)[static_cast<size_t>(j)];
				if (masked)
					g.topLeftCorner(r, r).selfadjointView<Eigen::Lower>().rankUpdate(phi);
				rhs.head(r).noalias() += y * phi;
				if (bias)
				{
					g.block(r, 0, 1, r) += phi.transpose();
					g(r, r) += 1.0;
					rhs(r) += y;
				}
			}
			if (masked)
			{
				g.topLeftCorner(r, r).triangularView<Eigen::StrictlyUpper>() =
				    g.topLeftCorner(r, r).transpose();
				if (bias)
					g.block(0, r, r, 1) = g.block(r, 0, 1, r).transpose();
			}
			double *w = side.f->data() + i * r;
			std::copy(w, w + r, theta.begin());
			if (bias)
				theta[static_cast<size_t>(r)] = (*side.bias)[static_cast<size_t>(i)];
			apply::nnls_cd(g.data(), rhs.data(), d, theta.data(), bias ? r : -1);
			std::copy(theta.begin(), theta.begin() + r, w);
			if (bias)
				(*side.bias)[static_cast<size_t>(i)] = theta[static_cast<size_t>(r)];
		}
	});
}

// The touched lines of x's rows (by_rows) or columns, in new indexes.
Lines
touched_lines(const CsrView &x, const CscMatrix &xt, const std::vector<int64_t> &row_at,
              const std::vector<int64_t> &col_at, bool by_rows)
{
	Lines l;
	const int64_t n = by_rows ? x.rows : x.cols;
	l.ptr.push_back(0);
	for (int64_t a = 0; a < n; a++)
	{
		const int64_t lo = by_rows ? x.row_ptr[a] : xt.col_ptr[static_cast<size_t>(a)];
		const int64_t hi = by_rows ? x.row_ptr[a + 1] : xt.col_ptr[static_cast<size_t>(a + 1)];
		if (lo == hi)
			continue;
		l.ids.push_back(by_rows ? row_at[static_cast<size_t>(a)] : col_at[static_cast<size_t>(a)]);
		for (int64_t q = lo; q < hi; q++)
		{
			l.other.push_back(
			    by_rows ? col_at[static_cast<size_t>(x.col_idx[q])]
			            : row_at[static_cast<size_t>(xt.row_idx[static_cast<size_t>(q)])]);
			l.val.push_back(by_rows ? x.values[q] : xt.values[static_cast<size_t>(q)]);
		}
		l.ptr.push_back(static_cast<int64_t>(l.other.size()));
	}
	return l;
}

// Copies the model's lines into their new places (new lines stay 0).
void
place(const double *src, int64_t lines, int64_t width, const std::vector<int64_t> &at,
      std::vector<double> *dst, std::vector<char> *is_old)
{
	for (int64_t i = 0; i < lines; i++)
	{
		const int64_t to = at[static_cast<size_t>(i)];
		std::copy(src + i * width, src + (i + 1) * width, dst->begin() + to * width);
		if (is_old != nullptr)
			(*is_old)[static_cast<size_t>(to)] = 1;
	}
}

} // namespace

Updated
update(const apply::ModelView &m, double reg, double l1_w, double l1_h, double l2_w, double l2_h,
       int64_t model_nnz, bool to_mean, const CsrView &x, int32_t sweeps, int threads,
       const NmfcInterrupts &intr)
{
	if (sweeps < 1 || sweeps > 100)
		throw InvalidArgument(message("sweeps must be between 1 and 100, not ", sweeps));
	if (x.nnz < 1)
		throw InvalidArgument("new_cells holds no cell");
	// Its stand-in for the old cells is the explicit model's Gram, not the
	// confidence-weighted one.
	if (m.implicit)
		throw InvalidArgument("nmf_update does not take a model of feedback 'implicit': refit it");
	const int64_t r = m.rank;
	Updated u;
	std::vector<int64_t> old_row_at, x_row_at, old_col_at, x_col_at;
	u.row_ids = merge_ids(m.row_ids, m.rows, x.row_ids, x.rows, &old_row_at, &x_row_at);
	u.col_ids = merge_ids(m.col_ids, m.cols, x.col_ids, x.cols, &old_col_at, &x_col_at);
	const int64_t rows = static_cast<int64_t>(u.row_ids.size());
	const int64_t cols = static_cast<int64_t>(u.col_ids.size());
	u.new_rows = rows - m.rows;
	u.new_cols = cols - m.cols;

	Side ws, hs;
	u.w.assign(static_cast<size_t>(rows * r), 0.0);
	u.h.assign(static_cast<size_t>(cols * r), 0.0);
	ws.f = &u.w;
	hs.f = &u.h;
	ws.bias = &u.b_row;
	hs.bias = &u.b_col;
	ws.is_old.assign(static_cast<size_t>(rows), 0);
	hs.is_old.assign(static_cast<size_t>(cols), 0);
	place(m.w, m.rows, r, old_row_at, &u.w, &ws.is_old);
	place(m.h, m.cols, r, old_col_at, &u.h, &hs.is_old);
	if (m.bias)
	{
		u.b_row.assign(static_cast<size_t>(rows), 0.0);
		u.b_col.assign(static_cast<size_t>(cols), 0.0);
		place(m.b_row, m.rows, 1, old_row_at, &u.b_row, nullptr);
		place(m.b_col, m.cols, 1, old_col_at, &u.b_col, nullptr);
	}
	ws.f0 = u.w;
	hs.f0 = u.h;
	ws.b0 = u.b_row;
	hs.b0 = u.b_col;
	ws.n_old = static_cast<double>(model_nnz) / static_cast<double>(m.rows);
	hs.n_old = static_cast<double>(model_nnz) / static_cast<double>(m.cols);
	if (to_mean)
	{
		ws.prior = mean_line(m.w, m.rows, r);
		hs.prior = mean_line(m.h, m.cols, r);
		ws.prior_cells = prior_cells_for(model_nnz, m.rows);
		hs.prior_cells = prior_cells_for(model_nnz, m.cols);
	}
	ws.l1 = l1_w;
	ws.l2 = l2_w;
	hs.l1 = l1_h;
	hs.l2 = l2_h;

	u.v_min = std::numeric_limits<double>::infinity();
	u.v_max = -u.v_min;
	for (int64_t q = 0; q < x.nnz; q++)
	{
		u.v_min = std::min(u.v_min, x.values[q]);
		u.v_max = std::max(u.v_max, x.values[q]);
	}

	const CscMatrix xt = transpose(x, intr, threads);
	const Lines row_lines = touched_lines(x, xt, x_row_at, x_col_at, true);
	const Lines col_lines = touched_lines(x, xt, x_row_at, x_col_at, false);
	u.touched_rows = static_cast<int64_t>(row_lines.ids.size());
	u.touched_cols = static_cast<int64_t>(col_lines.ids.size());
	// The old cells' mean Gram of each side is the model's, fixed for every sweep.
	const Eigen::MatrixXd g_mean_h = mean_gram(m.h, m.cols, r, m.bias);
	const Eigen::MatrixXd g_mean_w = mean_gram(m.w, m.rows, r, m.bias);
	for (int32_t s = 0; s < sweeps; s++)
	{
		solve_side(ws, hs, row_lines, r, m.bias, m.masked, m.mu, reg, m.l2_bias, g_mean_h, threads,
		           intr);
		solve_side(hs, ws, col_lines, r, m.bias, m.masked, m.mu, reg, m.l2_bias, g_mean_w, threads,
		           intr);
	}
	return u;
}

} // namespace serve
} // namespace nmf
