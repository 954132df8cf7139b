// SPDX-License-Identifier: PostgreSQL
// The prior a masked hals half pulls its lines toward: the mean of its
// factor's lines that have stored cells (solvers.hpp, kPriorLines).
#include "solvers.hpp"

namespace nmf
{

Half
toward_mean(const Half &s, const Matrix &f, Workspace &ws)
{
	if (s.prior_cells <= 0 || s.reg <= 0 || s.prior != nullptr)
		return s;
	const double seen = sum_lines_with_cells(
	    f, s.count, [&](int64_t k) { return s.ptr[k + 1] > s.ptr[k]; }, ws.mean_line);
	if (seen > 0)
		ws.mean_line /= seen;
	Half out = s;
	out.prior = ws.mean_line.data();
	return out;
}

} // namespace nmf
