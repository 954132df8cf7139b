// SPDX-License-Identifier: PostgreSQL
// The fit's dense path: when V stores nearly every cell, one dense
// column-major block of it instead of the CSC transpose (see fit.hpp).
#include "fit.hpp"
#include "matrix_forms.hpp"
#include "options.hpp"

namespace nmf
{

bool
Fit::dense_path(const CsrView &x, const NmfcOptions &given) noexcept
{
	NmfcOptions opt = given;
	options::resolve(opt);
	const bool covered = (solver::frobenius_like(opt) || solver::kl_like(opt)) &&
	                     opt.missing == NMF_MISSING_ZERO && !opt.bias &&
	                     opt.feedback != NMF_FEEDBACK_IMPLICIT;
	const double cells = static_cast<double>(x.rows) * static_cast<double>(x.cols);
	return covered && x.rows > 0 && x.cols > 0 && static_cast<double>(x.nnz) >= kDenseFill * cells;
}

bool
Fit::block_scratch(const CsrView &x, const NmfcOptions &opt) noexcept
{
	return solver::beta_dense(opt) || (solver::kl_like(opt) && dense_path(x, opt));
}

// V's cells into dense_, column by column (the training view's, after
// holdout); W's half reads V's rows from its own values when it stores every
// cell (a CSR line of each row, or a dense image's row, is the row).
void
Fit::make_dense()
{
	const int64_t m = p_.x.rows, n = p_.x.cols;
	dense_.assign(static_cast<size_t>(m * n), 0.0);
	for (int64_t i = 0; i < m; i++)
	{
		if (i % 1024 == 0)
			poll_interrupts(p_.intr);
		if (p_.x.row_ptr == nullptr)
			for (int64_t j = 0; j < n; j++)
				dense_[static_cast<size_t>(j * m + i)] = p_.x.values[i * n + j];
		else
			for (int64_t q = p_.x.row_ptr[i]; q < p_.x.row_ptr[i + 1]; q++)
				dense_[static_cast<size_t>(static_cast<int64_t>(p_.x.col_idx[q]) * m + i)] =
				    p_.x.values[q];
	}
	p_.dense = dense_.data();
	if (every_cell(p_.x.nnz, m, n))
		p_.dense_by_rows = p_.x.values;
}

bool
Fit::needs_indexes(const CsrView &x, const NmfcOptions &opt) noexcept
{
	return is_dense(x) && (!dense_path(x, opt) || opt.holdout > 0);
}

CsrView
Fit::full_indexes(const CsrView &x)
{
	full_ptr_.resize(static_cast<size_t>(x.rows + 1));
	full_idx_.resize(static_cast<size_t>(x.nnz));
	write_full_indexes(x.rows, x.cols, full_ptr_.data(), full_idx_.data());
	CsrView v = x;
	v.row_ptr = full_ptr_.data();
	v.col_idx = full_idx_.data();
	return v;
}

} // namespace nmf
