// SPDX-License-Identifier: PostgreSQL
// The top k of many rows at once, and the cold-start scores.
//
// A block of kBlockRows rows of W times H, kBlockCols columns at a time, is
// one dense product (Eigen's blocked GEMM: O(rows r n) flops at cache speed
// instead of one r-dot product per cell); each row keeps a heap of its k best
// so far (O(n log k) at worst, ~n comparisons against the heap's worst in
// practice). Blocks go to the lanes of parallel_for; each row's list depends
// only on its own scores, so the thread count changes nothing.
#include <Eigen/Dense>
#include <algorithm>

#include "parallel.hpp"
#include "serve.hpp"

namespace nmf
{
namespace serve
{

namespace
{

constexpr int64_t kBlockRows = 64;
constexpr int64_t kBlockCols = 2048;

using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// nmf_recommend's order: higher score first, equal scores by lower index.
inline bool
better(const apply::Scored &a, const apply::Scored &b) noexcept
{
	return a.score > b.score || (a.score == b.score && a.index < b.index);
}

// The model columns an exclude matrix names for each of its rows: per model
// column index of each exclude column (-1: not in the model).
std::vector<int64_t>
exclude_columns(const apply::ModelView &m, const NmfMatrixFlat *x)
{
	std::vector<int64_t> col_of;
	if (x == nullptr)
		return col_of;
	const int64_t *ids = nmf_matrix_col_ids(x);
	col_of.resize(static_cast<size_t>(x->cols));
	for (int64_t c = 0; c < x->cols; c++)
		col_of[static_cast<size_t>(c)] = find_id(m.col_ids, m.cols, ids[c]);
	return col_of;
}

} // namespace

void
popular_scores(const apply::ModelView &m, std::vector<double> *scores)
{
	const int64_t r = m.rank;
	std::vector<double> mean_w(static_cast<size_t>(r), 0.0);
	for (int64_t i = 0; i < m.rows; i++)
		for (int64_t f = 0; f < r; f++)
			mean_w[static_cast<size_t>(f)] += m.w[i * r + f];
	for (double &v : mean_w)
		v /= static_cast<double>(m.rows);
	double offset = 0;
	if (m.bias)
	{
		for (int64_t i = 0; i < m.rows; i++)
			offset += m.b_row[i];
		offset = m.mu + offset / static_cast<double>(m.rows);
	}
	scores->resize(static_cast<size_t>(m.cols));
	for (int64_t j = 0; j < m.cols; j++)
	{
		double s = 0;
		for (int64_t f = 0; f < r; f++)
			s += mean_w[static_cast<size_t>(f)] * m.h[j * r + f];
		(*scores)[static_cast<size_t>(j)] = m.bias ? offset + m.b_col[j] + s : s;
	}
}

namespace
{

// The top k of count rows: rows[p] (dense indexes, any order), or first + p
// when rows is null (then W's block is read in place). scores may be null.
void
top_k_rows(const apply::ModelView &m, const int64_t *rows_at, int64_t first, int64_t count,
           int64_t k, const NmfMatrixFlat *exclude, int threads, int64_t *cols, double *scores,
           int64_t *counts, const NmfcInterrupts &intr)
{
	if (k < 1)
		throw InvalidArgument(message("k must be at least 1, not ", k));
	const int64_t r = m.rank, n = m.cols;
	const std::vector<int64_t> col_of = exclude_columns(m, exclude);
	const Eigen::Map<const RowMajor> w(m.w, m.rows, r);
	const Eigen::Map<const RowMajor> h(m.h, n, r);
	const int64_t blocks = (count + kBlockRows - 1) / kBlockRows;
	auto row_of = [&](int64_t p) { return rows_at ? rows_at[p] : first + p; };

	parallel_for(threads, blocks, [&](int64_t block, int) {
		poll_interrupts(intr);
		const int64_t p0 = block * kBlockRows;
		const int64_t rows = std::min(kBlockRows, count - p0);
		// A list of rows is gathered into a block of W; a range is W's own.
		RowMajor gathered;
		if (rows_at)
		{
			gathered.resize(rows, r);
			for (int64_t p = 0; p < rows; p++)
				gathered.row(p) = w.row(row_of(p0 + p));
		}
		std::vector<std::vector<apply::Scored>> heaps(static_cast<size_t>(rows));
		// Each row's excluded model columns, ascending (both id lists are).
		std::vector<std::vector<int64_t>> skip(static_cast<size_t>(rows));
		if (exclude != nullptr)
			for (int64_t p = 0; p < rows; p++)
			{
				const int64_t xi =
				    find_id(nmf_matrix_row_ids(exclude), exclude->rows, m.row_ids[row_of(p0 + p)]);
				if (xi < 0)
					continue;
				const int64_t *row_ptr = nmf_matrix_row_ptr(exclude);
				const int32_t *col_idx = nmf_matrix_col_idx(exclude);
				for (int64_t q = row_ptr[xi]; q < row_ptr[xi + 1]; q++)
				{
					const int64_t j = col_of[static_cast<size_t>(col_idx[q])];
					if (j >= 0)
						skip[static_cast<size_t>(p)].push_back(j);
				}
			}
		std::vector<size_t> next_skip(static_cast<size_t>(rows), 0);
		RowMajor s(rows, std::min(kBlockCols, n));
		for (int64_t c0 = 0; c0 < n; c0 += kBlockCols)
		{
			const int64_t nc = std::min(kBlockCols, n - c0);
			if (rows_at)
				s.leftCols(nc).noalias() = gathered * h.middleRows(c0, nc).transpose();
			else
				s.leftCols(nc).noalias() =
				    w.middleRows(first + p0, rows) * h.middleRows(c0, nc).transpose();
			for (int64_t p = 0; p < rows; p++)
			{
				auto &heap = heaps[static_cast<size_t>(p)];
				const auto &sk = skip[static_cast<size_t>(p)];
				size_t &ns = next_skip[static_cast<size_t>(p)];
				for (int64_t c = 0; c < nc; c++)
				{
					const int64_t j = c0 + c;
					if (ns < sk.size() && sk[ns] == j)
					{
						ns++;
						continue;
					}
					const apply::Scored cand{j, m.bias ? m.b_col[j] + s(p, c) : s(p, c)};
					if (static_cast<int64_t>(heap.size()) < k)
					{
						heap.push_back(cand);
						std::push_heap(heap.begin(), heap.end(), better);
					}
					else if (better(cand, heap.front()))
					{
						std::pop_heap(heap.begin(), heap.end(), better);
						heap.back() = cand;
						std::push_heap(heap.begin(), heap.end(), better);
					}
				}
			}
		}
		for (int64_t p = 0; p < rows; p++)
		{
			auto &heap = heaps[static_cast<size_t>(p)];
			std::sort(heap.begin(), heap.end(), better);
			const int64_t out = p0 + p;
			for (size_t q = 0; q < heap.size(); q++)
			{
				cols[out * k + static_cast<int64_t>(q)] = heap[q].index;
				// The score nmf_predict reports for the cell, to the bit.
				if (scores)
					scores[out * k + static_cast<int64_t>(q)] =
					    apply::predict(m, row_of(out), heap[q].index);
			}
			counts[out] = static_cast<int64_t>(heap.size());
		}
	});
}

} // namespace

void
recommend_batch(const apply::ModelView &m, int64_t first, int64_t count, int64_t k,
                const NmfMatrixFlat *exclude, int threads, int64_t *cols, double *scores,
                int64_t *counts, const NmfcInterrupts &intr)
{
	if (first < 0 || count < 0 || first > m.rows - count)
		throw InvalidArgument(
		    message("rows ", first, " + ", count, " are outside the model's ", m.rows, " rows"));
	top_k_rows(m, nullptr, first, count, k, exclude, threads, cols, scores, counts, intr);
}

void
recommend_rows(const apply::ModelView &m, const int64_t *rows, int64_t count, int64_t k,
               const NmfMatrixFlat *exclude, int threads, int64_t *cols, int64_t *counts,
               const NmfcInterrupts &intr)
{
	for (int64_t p = 0; p < count; p++)
		if (rows[p] < 0 || rows[p] >= m.rows)
			throw InvalidArgument(
			    message("row ", rows[p], " is outside the model's ", m.rows, " rows"));
	top_k_rows(m, rows, 0, count, k, exclude, threads, cols, nullptr, counts, intr);
}

} // namespace serve
} // namespace nmf
