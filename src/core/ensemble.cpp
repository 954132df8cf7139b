// SPDX-License-Identifier: PostgreSQL
// nmf_tune's final model (see ensemble.hpp).
#include "ensemble.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "errors.hpp"
#include "format.hpp"

namespace nmf
{

namespace
{

// The shape every member must share with the first.
void
check_members(const std::vector<const NmfModelFlat *> &members)
{
	if (members.empty())
		throw InvalidArgument("an ensemble needs at least one model");
	const NmfModelFlat &a = *members.front();
	for (const NmfModelFlat *m : members)
		if (m->rows != a.rows || m->cols != a.cols || m->rank != a.rank || m->bias != a.bias ||
		    m->v_min != a.v_min || m->v_max != a.v_max ||
		    std::memcmp(nmf_model_row_ids(m), nmf_model_row_ids(&a),
		                static_cast<size_t>(a.rows) * sizeof(int64_t)) != 0 ||
		    std::memcmp(nmf_model_col_ids(m), nmf_model_col_ids(&a),
		                static_cast<size_t>(a.cols) * sizeof(int64_t)) != 0)
			throw InvalidArgument("the models of an ensemble differ in shape, ids or range");
	int64_t packed = 0;
	if (!checked_mul(a.rank, static_cast<int64_t>(members.size()), &packed) ||
	    packed > std::min<int64_t>({a.rows, a.cols, NMF_MAX_RANK}))
		throw InvalidArgument(message("an ensemble of ", members.size(), " models of rank ", a.rank,
		                              " exceeds min(rows, cols)"));
}

// A member's prediction of cell (i, j), clipped as the model would be.
double
predict(const NmfModelFlat &m, int64_t i, int64_t j)
{
	const double *w = nmf_model_w(&m) + i * m.rank;
	const double *h = nmf_model_h(&m) + j * m.rank;
	double p = std::inner_product(w, w + m.rank, h, 0.0);
	if (m.bias)
		p += m.mu + nmf_model_b_row(&m)[i] + nmf_model_b_col(&m)[j];
	return m.v_min < m.v_max ? std::clamp(p, m.v_min, m.v_max) : p;
}

double
train_rmse(const CsrView &x, const NmfModelFlat &m)
{
	double sse = 0.0;
	for (int64_t i = 0; i < x.rows; i++)
		for (int64_t q = x.row_ptr[i]; q < x.row_ptr[i + 1]; q++)
		{
			const double e = x.values[q] - predict(m, i, x.col_idx[q]);
			sse += e * e;
		}
	return x.nnz > 0 ? std::sqrt(sse / static_cast<double>(x.nnz)) : 0.0;
}

} // namespace

int64_t
ensemble_size(const std::vector<const NmfModelFlat *> &members, int64_t tune_rows)
{
	check_members(members);
	const NmfModelFlat &a = *members.front();
	const int64_t k = static_cast<int64_t>(members.size());
	if (tune_rows < 0 || tune_rows > kMaxTuneRows - k)
		return -1;
	return model_size(a.rows, a.cols, a.rank * k, a.history_len, a.bias != 0, tune_rows + k);
}

void
pack_ensemble(const CsrView &x, const std::vector<const NmfModelFlat *> &members,
              const std::vector<size_t> &sizes, const std::vector<double> &search, void *out,
              size_t out_size)
{
	if (sizes.size() != members.size() || search.size() % NMF_TUNE_FIELDS != 0 || out == nullptr)
		throw InvalidArgument("an ensemble needs its models' sizes, a search table and a buffer");
	for (size_t k = 0; k < members.size(); k++)
		validate_model(members[k], sizes[k], NMFC_INTERNAL);
	const int64_t search_rows = static_cast<int64_t>(search.size() / NMF_TUNE_FIELDS);
	const int64_t expected = ensemble_size(members, search_rows);
	if (expected < 0 || out_size != static_cast<uint64_t>(expected))
		throw InvalidArgument(message("the ensemble needs ", expected, " bytes"));
	const NmfModelFlat &a = *members.front();
	if (x.rows != a.rows || x.cols != a.cols)
		throw InvalidArgument("the ensemble's matrix is not the one its models were fitted on");

	const int64_t count = static_cast<int64_t>(members.size());
	const int64_t r = a.rank, rank = r * count, m = a.rows, n = a.cols;
	NmfModelFlat header = a;
	header.rank = rank;
	header.tune_len = search_rows + count;
	header.mu = 0.0;
	for (const NmfModelFlat *p : members)
	{
		header.mu += p->mu / static_cast<double>(count);
		header.converged = header.converged && p->converged;
		if (p->stop == NMF_STOP_DIVERGED)
			header.stop = NMF_STOP_DIVERGED;
	}
	NmfModelFlat *model = write_header(out, header);

	// Member k's factor t weighs (sum of its H row) / K; the packed factors go
	// by decreasing weight, as every model's do.
	std::vector<double> weight(static_cast<size_t>(rank), 0.0);
	for (int64_t k = 0; k < count; k++)
	{
		const double *h = nmf_model_h(members[static_cast<size_t>(k)]);
		for (int64_t j = 0; j < n; j++)
			for (int64_t t = 0; t < r; t++)
				weight[static_cast<size_t>(k * r + t)] += h[j * r + t] / static_cast<double>(count);
	}
	std::vector<int64_t> order(static_cast<size_t>(rank));
	std::iota(order.begin(), order.end(), 0);
	std::stable_sort(order.begin(), order.end(), [&weight](int64_t p, int64_t q) {
		return weight[static_cast<size_t>(p)] > weight[static_cast<size_t>(q)];
	});

	std::memcpy(const_cast<int64_t *>(nmf_model_row_ids(model)), nmf_model_row_ids(&a),
	            static_cast<size_t>(m) * sizeof(int64_t));
	std::memcpy(const_cast<int64_t *>(nmf_model_col_ids(model)), nmf_model_col_ids(&a),
	            static_cast<size_t>(n) * sizeof(int64_t));
	double *w = const_cast<double *>(nmf_model_w(model));
	double *h = const_cast<double *>(nmf_model_h(model));
	for (int64_t s = 0; s < rank; s++)
	{
		const int64_t src = order[static_cast<size_t>(s)];
		const NmfModelFlat *p = members[static_cast<size_t>(src / r)];
		const double *pw = nmf_model_w(p), *ph = nmf_model_h(p);
		for (int64_t i = 0; i < m; i++)
			w[i * rank + s] = pw[i * r + src % r];
		for (int64_t j = 0; j < n; j++)
			h[j * rank + s] = ph[j * r + src % r] / static_cast<double>(count);
	}
	const size_t history_bytes = static_cast<size_t>(a.history_len) * sizeof(double);
	if (history_bytes > 0)
	{
		std::memcpy(const_cast<double *>(nmf_model_history_loss(model)), nmf_model_history_loss(&a),
		            history_bytes);
		std::memcpy(const_cast<double *>(nmf_model_history_seconds(model)),
		            nmf_model_history_seconds(&a), history_bytes);
	}
	if (a.bias)
	{
		double *b_row = const_cast<double *>(nmf_model_b_row(model));
		double *b_col = const_cast<double *>(nmf_model_b_col(model));
		std::fill(b_row, b_row + m, 0.0);
		std::fill(b_col, b_col + n, 0.0);
		for (const NmfModelFlat *p : members)
		{
			for (int64_t i = 0; i < m; i++)
				b_row[i] += nmf_model_b_row(p)[i] / static_cast<double>(count);
			for (int64_t j = 0; j < n; j++)
				b_col[j] += nmf_model_b_col(p)[j] / static_cast<double>(count);
		}
	}
	double *tune = const_cast<double *>(nmf_model_tune(model));
	std::copy(search.begin(), search.end(), tune);
	tune += search.size();
	for (const NmfModelFlat *p : members)
	{
		tune[NMF_TUNE_RANK] = static_cast<double>(r);
		tune[NMF_TUNE_REG] = p->reg;
		tune[NMF_TUNE_FOLD] = 0;
		tune[NMF_TUNE_TRAIN_RMSE] = train_rmse(x, *p);
		tune[NMF_TUNE_TEST_RMSE] = 0;
		tune[NMF_TUNE_SECONDS] = p->seconds;
		tune += NMF_TUNE_FIELDS;
	}
	validate_model(out, out_size, NMFC_INTERNAL);
}

} // namespace nmf
