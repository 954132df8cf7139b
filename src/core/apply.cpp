// SPDX-License-Identifier: PostgreSQL
// Predicted cells, top-k selection and similarity in factor space.
//
// Costs: a predicted cell is one r-dot product after two binary searches over
// the sorted ids; the scores of a row are n dot products (O(n r)), then the k
// best come from nth_element (O(n)) and a sort of those k (O(k log k)), never a
// sort of all n.
#include "apply.hpp"

#include <algorithm>
#include <cmath>

namespace nmf
{
namespace apply
{

namespace
{

// Four partial sums: with one running sum every add waits for the previous
// one. (A 20,000 x 20 score pass is then bound by reading H, ~0.4 ms.) Every
// predicted value goes through this one function, so a cell's score is the
// same bits whichever function reports it.
inline double
dot(const double *a, const double *b, int64_t r) noexcept
{
	double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	int64_t f = 0;
	for (; f + 4 <= r; f += 4)
	{
		s0 += a[f] * b[f];
		s1 += a[f + 1] * b[f + 1];
		s2 += a[f + 2] * b[f + 2];
		s3 += a[f + 3] * b[f + 3];
	}
	for (; f < r; f++)
		s0 += a[f] * b[f];
	return (s0 + s1) + (s2 + s3);
}

// Higher score first; equal scores by lower index (= lower id), so the
// order is total and the result does not depend on the selection algorithm.
inline bool
better(const Scored &a, const Scored &b) noexcept
{
	return a.score > b.score || (a.score == b.score && a.index < b.index);
}

} // namespace

double
predict(const ModelView &m, int64_t i, int64_t j) noexcept
{
	const double wh = dot(m.w + i * m.rank, m.h + j * m.rank, m.rank);
	return clipped(m, m.bias ? m.mu + m.b_row[i] + m.b_col[j] + wh : wh);
}

std::vector<Scored>
top_k(const std::vector<double> &scores, const std::vector<char> &skip, int64_t k)
{
	if (k <= 0)
		throw InvalidArgument(message("k must be at least 1, not ", k));
	const int64_t n = static_cast<int64_t>(scores.size());
	std::vector<Scored> cand;
	cand.reserve(static_cast<size_t>(n));
	for (int64_t j = 0; j < n; j++)
		if (skip.empty() || !skip[static_cast<size_t>(j)])
			cand.push_back(Scored{j, scores[static_cast<size_t>(j)]});
	const auto kth = cand.begin() + std::min<int64_t>(k, static_cast<int64_t>(cand.size()));
	if (kth != cand.end())
		std::nth_element(cand.begin(), kth, cand.end(), better);
	cand.erase(kth, cand.end());
	std::sort(cand.begin(), cand.end(), better);
	return cand;
}

void
row_scores(const ModelView &m, int64_t i, std::vector<double> *scores)
{
	const double *wi = m.w + i * m.rank;
	scores->resize(static_cast<size_t>(m.cols));
	for (int64_t j = 0; j < m.cols; j++)
		(*scores)[static_cast<size_t>(j)] = dot(wi, m.h + j * m.rank, m.rank);
	if (m.bias)
		for (int64_t j = 0; j < m.cols; j++)
			(*scores)[static_cast<size_t>(j)] =
			    m.mu + m.b_row[i] + m.b_col[j] + (*scores)[static_cast<size_t>(j)];
}

void
flag_row_cells(const ModelView &m, const NmfMatrixFlat *x, int64_t row_id, std::vector<char> *skip)
{
	skip->assign(static_cast<size_t>(m.cols), 0);
	if (x == nullptr)
		return;
	const int64_t xi = find_id(nmf_matrix_row_ids(x), x->rows, row_id);
	if (xi < 0)
		return;
	const int64_t *x_col_ids = nmf_matrix_col_ids(x);
	const int64_t *row_ptr = nmf_matrix_row_ptr(x);
	const int32_t *col_idx = nmf_matrix_col_idx(x);
	for (int64_t p = row_ptr[xi]; p < row_ptr[xi + 1]; p++)
	{
		const int64_t j = find_id(m.col_ids, m.cols, x_col_ids[col_idx[p]]);
		if (j >= 0)
			(*skip)[static_cast<size_t>(j)] = 1;
	}
}

void
similarities(const ModelView &m, Side side, Metric metric, int64_t index, std::vector<double> *out)
{
	const double *f = side == Side::Row ? m.w : m.h;
	const int64_t n = side == Side::Row ? m.rows : m.cols;
	const int64_t r = m.rank;
	const double *a = f + index * r;
	const double a_norm = std::sqrt(dot(a, a, r));
	out->resize(static_cast<size_t>(n));
	for (int64_t j = 0; j < n; j++)
	{
		const double *b = f + j * r;
		double s = dot(a, b, r);
		if (metric == Metric::Cosine)
		{
			const double den = a_norm * std::sqrt(dot(b, b, r));
			// Rounding can push a cosine a hair past 1; it is one at most.
			s = den > 0 ? std::min(s / den, 1.0) : 0;
		}
		(*out)[static_cast<size_t>(j)] = s;
	}
}

} // namespace apply
} // namespace nmf
