// SPDX-License-Identifier: PostgreSQL
// Writes the fuzzers' seed corpus: valid matrix, state and model values made
// through the core's own API (as the aggregate and nmf() make them), each in
// its binary send form (the image without its 4-byte length word).
//
//   make_seeds DIR    writes DIR/matrix/*, DIR/state/*, DIR/model/*
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/stat.h>
#include <vector>

#include "nmf_api.h"

namespace
{

using Triplets = std::vector<NmfTriplet>;
using Words = std::vector<uint64_t>; // 8-aligned image storage

[[noreturn]] void
die(const char *what, const NmfcError &err)
{
	std::fprintf(stderr, "make_seeds: %s: %s\n", what, err.message);
	std::exit(1);
}

void
write_seed(const std::string &dir, const std::string &name, const Words &image, int64_t size)
{
	const std::string path = dir + "/" + name;
	FILE *f = std::fopen(path.c_str(), "wb");
	if (f == nullptr)
	{
		std::perror(path.c_str());
		std::exit(1);
	}
	const char *bytes = reinterpret_cast<const char *>(image.data());
	std::fwrite(bytes + 4, 1, static_cast<size_t>(size - 4), f);
	std::fclose(f);
}

// A matrix image as the aggregate's final step makes it.
Words
matrix_of(Triplets t, int64_t *size_out)
{
	NmfcError err;
	int64_t nnz, rows, cols;
	if (nmfc_triplets_sort_merge(t.data(), static_cast<int64_t>(t.size()), &nnz, &rows, &cols,
	                             nullptr, &err) != NMFC_OK)
		die("sort_merge", err);
	int64_t size = nmfc_matrix_size(rows, cols, nnz);
	Words w(static_cast<size_t>(size + 7) / 8, 0);
	if (nmfc_matrix_write(t.data(), nnz, rows, cols, w.data(), static_cast<size_t>(size), &err) !=
	    NMFC_OK)
		die("matrix_write", err);
	// Every cell stored: the dense form, as the final step keeps it.
	size = static_cast<int64_t>(nmfc_matrix_densify(w.data(), static_cast<size_t>(size)));
	const uint32_t len = static_cast<uint32_t>(size << 2);
	std::memcpy(w.data(), &len, 4);
	*size_out = size;
	return w;
}

Words
state_of(const Triplets &t, int64_t *size_out, uint16_t flags = 0)
{
	const int64_t size = static_cast<int64_t>(sizeof(NmfStateFlat) + t.size() * sizeof(NmfTriplet));
	Words w(static_cast<size_t>(size + 7) / 8, 0);
	NmfStateFlat h;
	std::memset(&h, 0, sizeof(h));
	h.vl_len_ = static_cast<int32_t>(size << 2);
	h.magic = NMF_STATE_MAGIC;
	h.version = NMF_FORMAT_VERSION;
	h.count = static_cast<int64_t>(t.size());
	h.flags = flags;
	std::memcpy(w.data(), &h, sizeof(h));
	if (!t.empty())
		std::memcpy(reinterpret_cast<char *>(w.data()) + sizeof(h), t.data(),
		            t.size() * sizeof(NmfTriplet));
	*size_out = size;
	return w;
}

// A model image as nmf() makes it.
Words
model_of(const Words &mw, int64_t rank, int32_t max_iter, int64_t *size_out, bool bias = false)
{
	const auto *m = reinterpret_cast<const NmfMatrixFlat *>(mw.data());
	const NmfcMatrixView x = nmfc_matrix_view(m);
	NmfcOptions opt;
	nmfc_options_default(&opt, rank);
	opt.max_iter = max_iter;
	opt.seed = 7;
	if (bias)
	{
		opt.missing = NMF_MISSING_IGNORE;
		opt.bias = 1;
	}
	NmfcError err;
	NmfcFit *fit = nullptr;
	if (nmfc_fit_create(&x, &opt, nullptr, &fit, &err) != NMFC_OK)
		die("fit_create", err);
	int done = 0;
	while (!done)
		if (nmfc_fit_step(fit, &done, &err) != NMFC_OK)
			die("fit_step", err);
	NmfcSummary s;
	nmfc_fit_summary(fit, &s);
	const int64_t size = nmfc_model_size_bias(m->rows, m->cols, rank, s.history_len, opt.bias);
	Words w(static_cast<size_t>(size + 7) / 8, 0);
	if (nmfc_fit_write_model(fit, nmf_matrix_row_ids(m), nmf_matrix_col_ids(m), w.data(),
	                         static_cast<size_t>(size), &err) != NMFC_OK)
		die("fit_write_model", err);
	nmfc_fit_free(fit);
	const uint32_t len = static_cast<uint32_t>(size << 2);
	std::memcpy(w.data(), &len, 4);
	*size_out = size;
	return w;
}

} // namespace

int
main(int argc, char **argv)
{
	if (argc != 2)
	{
		std::fprintf(stderr, "usage: make_seeds DIR\n");
		return 2;
	}
	const std::string dir = argv[1];
	for (const char *sub : {"", "/matrix", "/state", "/model"})
		mkdir((dir + sub).c_str(), 0755);

	// Lee & Seung's example, a 1 x 1, a row, a column, a sparse one with an
	// odd nnz (so col_idx has padding), stored zeros, big and negative ids.
	const Triplets paper = {{1, 1, 5}, {1, 2, 4}, {1, 3, 1}, {2, 1, 4}, {2, 2, 5},
	                        {2, 3, 1}, {3, 1, 2}, {3, 2, 1}, {3, 3, 5}};
	Triplets sparse, row, col, zeros, wide_ids, dups;
	for (int64_t i = 1; i <= 6; i++)
		for (int64_t j = 1; j <= 5; j++)
			if ((i + j) % 3 != 0)
				sparse.push_back({i * 10, j * 100, static_cast<double>((i * 3 + j * 5) % 7)});
	for (int64_t j = 0; j < 7; j++)
	{
		row.push_back({42, j * j, 1.5 + static_cast<double>(j)});
		col.push_back({j * 3 - 9, -1, 0.25 * static_cast<double>(j)});
	}
	for (int64_t i = 0; i < 4; i++)
		for (int64_t j = 0; j < 3; j++)
			zeros.push_back({i, j, (i + j) % 2 == 0 ? 0.0 : 2.0});
	wide_ids = {{INT64_MIN, INT64_MAX, 1e300}, {0, 0, 1e-300}, {INT64_MAX, INT64_MIN, 3}};
	dups = {{1, 1, 1}, {1, 1, 2}, {2, 3, 0}, {1, 1, 4}, {5, 2, 1}};

	int64_t size;
	struct Named
	{
		const char *name;
		const Triplets *t;
	};
	const Named matrices[] = {{"paper", &paper}, {"sparse", &sparse}, {"row", &row},
	                          {"col", &col},     {"zeros", &zeros},   {"wide_ids", &wide_ids},
	                          {"dups", &dups}};
	int written = 0;
	for (const Named &n : matrices)
	{
		write_seed(dir + "/matrix", n.name, matrix_of(*n.t, &size), size);
		write_seed(dir + "/state", n.name, state_of(*n.t, &size), size);
		// The same cells as a parallel worker ships them: sorted, duplicates summed.
		Triplets sorted = *n.t;
		std::sort(sorted.begin(), sorted.end(), [](const NmfTriplet &a, const NmfTriplet &b) {
			return a.row < b.row || (a.row == b.row && a.col < b.col);
		});
		Triplets merged;
		for (const NmfTriplet &c : sorted)
			if (!merged.empty() && merged.back().row == c.row && merged.back().col == c.col)
				merged.back().value += c.value;
			else
				merged.push_back(c);
		write_seed(dir + "/state", std::string("sorted_") + n.name,
		           state_of(merged, &size, NMF_STATE_SORTED), size);
		written += 3;
		int64_t nrows = 0, col_base = 0;
		const int64_t packed_size = nmfc_state_pack_size(
		    merged.data(), static_cast<int64_t>(merged.size()), &nrows, &col_base);
		if (packed_size > 0)
		{
			Words w(static_cast<size_t>(packed_size + 7) / 8, 0);
			NmfcError err;
			if (nmfc_state_pack(merged.data(), static_cast<int64_t>(merged.size()), nrows, col_base,
			                    w.data(), static_cast<size_t>(packed_size), &err) != NMFC_OK)
			{
				std::fprintf(stderr, "make_seeds: packing %s: %s\n", n.name, err.message);
				std::exit(1);
			}
			const int32_t len = static_cast<int32_t>(packed_size << 2);
			std::memcpy(w.data(), &len, 4);
			write_seed(dir + "/state", std::string("packed_") + n.name, w, packed_size);
			written++;
		}
	}
	write_seed(dir + "/matrix", "one", matrix_of({{3, 4, 2.5}}, &size), size);
	write_seed(dir + "/state", "empty", state_of({}, &size), size);
	written += 2;

	// Models: rank 1 and 2, short and longer fits (history recorded).
	const Words mp = matrix_of(paper, &size);
	const Words ms = matrix_of(sparse, &size);
	const Words mz = matrix_of(zeros, &size);
	write_seed(dir + "/model", "paper_r1", model_of(mp, 1, 50, &size), size);
	write_seed(dir + "/model", "paper_r2_1iter", model_of(mp, 2, 1, &size), size);
	write_seed(dir + "/model", "sparse_r2", model_of(ms, 2, 30, &size), size);
	write_seed(dir + "/model", "sparse_r3", model_of(ms, 3, 12, &size), size);
	write_seed(dir + "/model", "zeros_r2", model_of(mz, 2, 20, &size), size);
	write_seed(dir + "/model", "sparse_r2_bias", model_of(ms, 2, 20, &size, true), size);
	written += 5;
	std::printf("make_seeds: %d seeds in %s\n", written, dir.c_str());
	return 0;
}
