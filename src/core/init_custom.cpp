// SPDX-License-Identifier: PostgreSQL
// init = 'custom' (w_init m x r and h_init r x n, given) and 'warm_start'
// (the W and H of a previous model, matched to this matrix by id).
//
// A warm start begins from the random init (so rows and columns the model
// has not seen get random values at the data's scale), then copies every row
// and column whose id the model has. The model's W columns sum to 1 and H
// carries the weights; each factor k is rebalanced to equal norms
// (W_k d_k, H_k / d_k with d_k = sqrt(||H_k|| / ||W_k||)), which leaves W H
// unchanged and puts the copied values at the scale of the random ones.
#include <cmath>

#include "errors.hpp"
#include "format.hpp"
#include "solvers.hpp"

namespace nmf::init
{

namespace
{

void
check_values(const char *name, const double *v, int64_t n)
{
	for (int64_t k = 0; k < n; k++)
		if (!std::isfinite(v[k]) || !(v[k] >= 0))
			throw InvalidArgument(message(name, " has the value ", v[k], " at position ", k + 1,
			                              ": every value must be a finite number >= 0"));
}

// Copies model rows (ids, weights rank-contiguous, scaled by `scale`) into
// the columns of f whose ids match; both id lists ascend.
void
copy_matched(const int64_t *ids, int64_t count, const int64_t *model_ids,
             const double *model_weights, int64_t model_count, const Eigen::VectorXd &scale,
             Matrix &f)
{
	const int64_t r = f.rows();
	int64_t q = 0;
	for (int64_t i = 0; i < count; i++)
	{
		while (q < model_count && model_ids[q] < ids[i])
			q++;
		if (q == model_count)
			break;
		if (model_ids[q] == ids[i])
			for (int64_t t = 0; t < r; t++)
				f(t, i) = model_weights[q * r + t] * scale(t);
	}
}

} // namespace

void
custom(const Problem &p, Matrix &w, Matrix &h)
{
	const NmfcOptions &o = p.opt;
	const int64_t r = o.rank, m = p.x.rows, n = p.x.cols;
	check_values("w_init", o.w_init, m * r);
	check_values("h_init", o.h_init, r * n);
	for (int64_t i = 0; i < m; i++)
		for (int64_t t = 0; t < r; t++)
			w(t, i) = o.w_init[i * r + t];
	for (int64_t t = 0; t < r; t++)
		for (int64_t j = 0; j < n; j++)
			h(t, j) = o.h_init[t * n + j];
}

void
warm_start(const Problem &p, Matrix &w, Matrix &h)
{
	const NmfcOptions &o = p.opt;
	validate_model(o.warm_start, o.warm_start_size, NMFC_INVALID_ARGUMENT);
	const NmfModelFlat *model = static_cast<const NmfModelFlat *>(o.warm_start);
	const int64_t r = o.rank;
	random(p, w, h);

	const double *mw = nmf_model_w(model);
	const double *mh = nmf_model_h(model);
	Eigen::VectorXd w_norm = Eigen::VectorXd::Zero(r), h_norm = Eigen::VectorXd::Zero(r);
	for (int64_t i = 0; i < model->rows; i++)
		for (int64_t t = 0; t < r; t++)
			w_norm(t) += mw[i * r + t] * mw[i * r + t];
	for (int64_t j = 0; j < model->cols; j++)
		for (int64_t t = 0; t < r; t++)
			h_norm(t) += mh[j * r + t] * mh[j * r + t];
	Eigen::VectorXd d(r);
	for (int64_t t = 0; t < r; t++)
		d(t) = w_norm(t) > 0 && h_norm(t) > 0 ? std::pow(h_norm(t) / w_norm(t), 0.25) : 1.0;
	copy_matched(p.x.row_ids, p.x.rows, nmf_model_row_ids(model), mw, model->rows, d, w);
	copy_matched(p.x.col_ids, p.x.cols, nmf_model_col_ids(model), mh, model->cols, d.cwiseInverse(),
	             h);
}

} // namespace nmf::init
