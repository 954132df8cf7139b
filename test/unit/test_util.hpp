// SPDX-License-Identifier: PostgreSQL
// Helpers shared by the unit tests: aligned images, matrices from triplets
// and whole fits, all through the public C API as the glue uses it.
#ifndef NMF_TEST_UTIL_HPP
#define NMF_TEST_UTIL_HPP

#include <Eigen/Dense>
#include <cstdint>
#include <cstring>
#include <gtest/gtest.h>
#include <random>
#include <vector>

#include "nmf_api.h"
#include "sparse.hpp"

namespace nmf_test
{

// An image in 8-aligned storage, as palloc gives; size is exact.
class Image
{
  public:
	Image() = default;
	explicit Image(size_t size) : words_((size + 7) / 8 + 1, 0), size_(size)
	{
		// The varlena length word the core ignores: any value must do.
		const int32_t len = static_cast<int32_t>(size << 2);
		std::memcpy(words_.data(), &len, sizeof(len));
	}
	void *
	data()
	{
		return words_.data();
	}
	const void *
	data() const
	{
		return words_.data();
	}
	unsigned char *
	bytes()
	{
		return reinterpret_cast<unsigned char *>(words_.data());
	}
	size_t
	size() const
	{
		return size_;
	}
	// Same storage, another claimed size (to test truncation and extra bytes).
	void
	resize(size_t size)
	{
		words_.resize((size + 7) / 8 + 1, 0);
		size_ = size;
	}
	bool
	same_bytes(const Image &other) const
	{
		return size_ == other.size_ && std::memcmp(data(), other.data(), size_) == 0;
	}

  private:
	std::vector<uint64_t> words_;
	size_t size_ = 0;
};

inline Image
matrix_from_triplets(std::vector<NmfTriplet> t)
{
	NmfcError err;
	int64_t nnz = 0, rows = 0, cols = 0;
	EXPECT_EQ(nmfc_triplets_sort_merge(t.data(), static_cast<int64_t>(t.size()), &nnz, &rows, &cols,
	                                   nullptr, &err),
	          NMFC_OK)
	    << err.message;
	const int64_t size = nmfc_matrix_size(rows, cols, nnz);
	EXPECT_GT(size, 0);
	Image img(static_cast<size_t>(size));
	EXPECT_EQ(nmfc_matrix_write(t.data(), nnz, rows, cols, img.data(), img.size(), &err), NMFC_OK)
	    << err.message;
	return img;
}

// Every cell stored; row ids 100 + i, column ids 200 + j.
inline Image
dense_matrix(const Eigen::MatrixXd &v)
{
	std::vector<NmfTriplet> t;
	for (Eigen::Index i = 0; i < v.rows(); i++)
		for (Eigen::Index j = 0; j < v.cols(); j++)
			t.push_back(NmfTriplet{100 + i, 200 + j, v(i, j)});
	return matrix_from_triplets(t);
}

// The image in its dense form (a CSR image that stores every cell).
inline Image
densified(const Image &csr)
{
	Image img = csr;
	img.resize(nmfc_matrix_densify(img.data(), img.size()));
	return img;
}

// A random sparse matrix with every row and column present.
inline Image
random_sparse(int64_t m, int64_t n, double density, uint64_t seed, Eigen::MatrixXd *dense)
{
	std::mt19937_64 rng(seed);
	std::uniform_real_distribution<double> u(0.0, 1.0);
	Eigen::MatrixXd v = Eigen::MatrixXd::Zero(m, n);
	std::vector<NmfTriplet> t;
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < n; j++)
			if (u(rng) < density || i == j % m || j == i % n)
			{
				v(i, j) = std::floor(1 + 5 * u(rng));
				t.push_back(NmfTriplet{i, j, v(i, j)});
			}
	if (dense != nullptr)
		*dense = v;
	return matrix_from_triplets(t);
}

inline NmfcMatrixView
view_of(const Image &img)
{
	return nmfc_matrix_view(static_cast<const NmfMatrixFlat *>(img.data()));
}

inline const NmfMatrixFlat *
flat(const Image &img)
{
	return static_cast<const NmfMatrixFlat *>(img.data());
}

// The core's CSR view of a matrix image (no ids: only a warm start reads them).
inline nmf::CsrView
csr_of(const Image &img)
{
	return view_of(img);
}

// The defaults of nmf() at a rank, with a solver, loss and missing.
inline NmfcOptions
options(int64_t rank, int solver = NMF_SOLVER_HALS, int loss = NMF_LOSS_FROBENIUS,
        int missing = NMF_MISSING_ZERO)
{
	NmfcOptions opt;
	nmfc_options_default(&opt, rank);
	opt.solver = solver;
	opt.loss = loss;
	opt.missing = missing;
	return opt;
}

// The seed's 3 x 3 example, whose rank-1 optimum is its leading singular pair.
inline Eigen::MatrixXd
seed_matrix()
{
	Eigen::MatrixXd v(3, 3);
	v << 5, 4, 1, 4, 5, 1, 2, 1, 5;
	return v;
}

inline const NmfModelFlat *
header(const Image &model)
{
	return static_cast<const NmfModelFlat *>(model.data());
}

// Starts from the given W (w_rows x w_cols) and H (h_rows x h_cols).
inline void
set_custom_init(NmfcOptions &opt, const double *w, int64_t w_rows, int64_t w_cols, const double *h,
                int64_t h_rows, int64_t h_cols)
{
	opt.init = NMF_INIT_CUSTOM;
	opt.w_init = w;
	opt.w_init_rows = w_rows;
	opt.w_init_cols = w_cols;
	opt.h_init = h;
	opt.h_init_rows = h_rows;
	opt.h_init_cols = h_cols;
}

// Runs a fit to the end; returns the model image and the summary.
inline Image
fit_model(const Image &matrix, const NmfcOptions &opt, NmfcSummary *summary = nullptr)
{
	const NmfMatrixFlat *m = static_cast<const NmfMatrixFlat *>(matrix.data());
	const NmfcMatrixView v = view_of(matrix);
	NmfcError err;
	NmfcFit *fit = nullptr;
	EXPECT_EQ(nmfc_fit_create(&v, &opt, nullptr, &fit, &err), NMFC_OK) << err.message;
	if (fit == nullptr)
		return Image();
	int done = 0;
	while (!done)
		EXPECT_EQ(nmfc_fit_step(fit, &done, &err), NMFC_OK) << err.message;
	NmfcSummary s;
	nmfc_fit_summary(fit, &s);
	const int64_t size = nmfc_model_size_bias(m->rows, m->cols, opt.rank, s.history_len, opt.bias);
	Image model(static_cast<size_t>(size));
	EXPECT_EQ(nmfc_fit_write_model(fit, nmf_matrix_row_ids(m), nmf_matrix_col_ids(m), model.data(),
	                               model.size(), &err),
	          NMFC_OK)
	    << err.message;
	nmfc_fit_free(fit);
	if (summary != nullptr)
		*summary = s;
	return model;
}

// W (rows x rank) and H (rank x cols) of a model image, in the usual orientation.
inline void
model_factors(const Image &model, Eigen::MatrixXd *w, Eigen::MatrixXd *h)
{
	const NmfModelFlat *m = static_cast<const NmfModelFlat *>(model.data());
	*w = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
	    nmf_model_w(m), m->rows, m->rank);
	*h = Eigen::Map<const Eigen::MatrixXd>(nmf_model_h(m), m->rank, m->cols);
}

// A fit's factors and final loss, for comparing two fits bit for bit.
struct Factors
{
	Eigen::MatrixXd w, h;
	double loss = 0;
};

inline Factors
fit_factors(const Image &matrix, const NmfcOptions &opt)
{
	NmfcSummary s;
	const Image model = fit_model(matrix, opt, &s);
	Factors f;
	model_factors(model, &f.w, &f.h);
	f.loss = s.loss;
	return f;
}

// W and H within 1e-3 (relative) of the seed's rank-1 optimum.
inline void
expect_seed_optimum(const Image &model, const char *what)
{
	Eigen::MatrixXd w, h;
	model_factors(model, &w, &h);
	const double want_w[] = {0.38873, 0.38630, 0.22497};
	const double want_h[] = {11.2232, 10.5753, 5.41347};
	for (int i = 0; i < 3; i++)
	{
		EXPECT_NEAR(w(i, 0), want_w[i], 1e-3 * want_w[i]) << what << ": W row " << i;
		EXPECT_NEAR(h(0, i), want_h[i], 1e-3 * want_h[i]) << what << ": H column " << i;
	}
}

// A model image with its timing fields zeroed: everything else is
// deterministic, the seconds a fit took are not.
inline Image
without_timing(const Image &model)
{
	Image copy = model;
	NmfModelFlat *m = static_cast<NmfModelFlat *>(copy.data());
	m->seconds = 0;
	double *seconds = const_cast<double *>(nmf_model_history_seconds(m));
	for (int64_t i = 0; i < m->history_len; i++)
		seconds[i] = 0;
	return copy;
}

// A packed state image of sorted, merged cells (as a parallel worker ships it).
inline Image
packed_state(const std::vector<NmfTriplet> &t)
{
	int64_t nrows = 0, col_base = 0;
	const int64_t size =
	    nmfc_state_pack_size(t.data(), static_cast<int64_t>(t.size()), &nrows, &col_base);
	EXPECT_GT(size, 0);
	Image img(static_cast<size_t>(size > 0 ? size : 8));
	std::memset(img.bytes() + 4, 0xAB, img.size() - 4); // the packer must set every byte
	NmfcError err;
	EXPECT_EQ(nmfc_state_pack(t.data(), static_cast<int64_t>(t.size()), nrows, col_base, img.data(),
	                          img.size(), &err),
	          NMFC_OK)
	    << err.message;
	return img;
}

} // namespace nmf_test

#endif
