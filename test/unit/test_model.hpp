// SPDX-License-Identifier: PostgreSQL
// A model held in vectors, with the C view and the core's view of it, for
// the tests of the apply functions.
#ifndef NMF_TEST_MODEL_HPP
#define NMF_TEST_MODEL_HPP

#include <Eigen/Dense>
#include <cstdint>
#include <random>
#include <vector>

#include "apply.hpp"
#include "nmf_api.h"

namespace nmf_test
{

using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// A model held in vectors: ids 10, 20, ... for rows, 1000 + 7 j for columns.
struct TestModel
{
	std::vector<int64_t> row_ids, col_ids;
	RowMajor w; // rows x r
	RowMajor h; // cols x r (column j's weights contiguous)

	TestModel(int64_t rows, int64_t cols, int64_t r, uint64_t seed) : w(rows, r), h(cols, r)
	{
		std::mt19937_64 rng(seed);
		std::uniform_real_distribution<double> u(0.0, 1.0);
		for (int64_t i = 0; i < rows; i++)
			row_ids.push_back(10 * (i + 1));
		for (int64_t j = 0; j < cols; j++)
			col_ids.push_back(1000 + 7 * j);
		for (Eigen::Index i = 0; i < w.size(); i++)
			w.data()[i] = u(rng);
		for (Eigen::Index i = 0; i < h.size(); i++)
			h.data()[i] = u(rng);
	}

	NmfcModelView
	view() const
	{
		NmfcModelView v = shared_fields(NmfcModelView{});
		v.missing = NMF_MISSING_ZERO;
		return v;
	}

	nmf::apply::ModelView
	core_view(bool masked) const
	{
		nmf::apply::ModelView v = shared_fields(nmf::apply::ModelView{});
		v.masked = masked;
		return v;
	}

	// The fields the C view and the core's view have alike.
	template <class View>
	View
	shared_fields(View v) const
	{
		v.rows = w.rows();
		v.cols = h.rows();
		v.rank = w.cols();
		v.row_ids = row_ids.data();
		v.col_ids = col_ids.data();
		v.w = w.data();
		v.h = h.data();
		return v;
	}

	Eigen::MatrixXd
	wh() const
	{
		return w * h.transpose();
	}
};

} // namespace nmf_test

#endif
