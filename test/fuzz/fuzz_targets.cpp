// SPDX-License-Identifier: PostgreSQL
// libFuzzer targets over the core's decoders, one per value type, chosen at
// compile time by NMF_FUZZ_TARGET (the CMake file builds all three):
//
//   fuzz_matrix  nmfc_matrix_validate; a valid small matrix is then fitted
//                (a few iterations) and the model written must validate
//   fuzz_state   nmfc_state_validate; a valid state is then sorted, merged
//                and written as a matrix, which must validate (the
//                aggregate's final step)
//   fuzz_model   nmfc_model_validate
//
// Every image the core calls valid is read in full through the nmf_format.h
// accessors (fuzz_common.hpp). A status of NMFC_INTERNAL anywhere is a bug
// too: the glue would raise it as XX000.
#include <algorithm>

#include "../unit/matrix_view.hpp"
#include "fuzz_common.hpp"

namespace
{

using nmf_fuzz::Image;
using nmf_fuzz::require;
using nmf_fuzz::Sink;

// Keeps the follow-on work of one input to milliseconds.
constexpr int64_t kMaxFitCells = 64 * 64;
constexpr int64_t kMaxMergeCount = 4096;

void
check_status(int status, const NmfcError &err, const char *call)
{
	if (status == NMFC_INTERNAL)
	{
		std::fprintf(stderr, "nmf fuzz: %s returned NMFC_INTERNAL: %s\n", call, err.message);
		std::abort();
	}
}

[[maybe_unused]] void
fit_small(const NmfMatrixFlat *m, Sink &s)
{
	if (m->rows * m->cols > kMaxFitCells)
		return;
	const NmfcMatrixView x = nmf_test::matrix_view(m);

	NmfcOptions opt;
	nmfc_options_default(&opt, 1 + m->nnz % std::min<int64_t>({3, m->rows, m->cols}));
	opt.max_iter = 3;
	opt.tol = 0;
	opt.seed = m->nnz;
	NmfcError err;
	int st = nmfc_options_validate(&x, &opt, &err);
	check_status(st, err, "nmfc_options_validate");
	if (st != NMFC_OK)
		return;
	NmfcFit *fit = nullptr;
	st = nmfc_fit_create(&x, &opt, nullptr, &fit, &err);
	check_status(st, err, "nmfc_fit_create");
	if (st != NMFC_OK)
		return;
	int done = 0;
	while (st == NMFC_OK && !done)
	{
		st = nmfc_fit_step(fit, &done, &err);
		check_status(st, err, "nmfc_fit_step");
	}
	if (st == NMFC_OK)
	{
		NmfcSummary sum;
		nmfc_fit_summary(fit, &sum);
		const int64_t size =
		    nmfc_model_size_bias(m->rows, m->cols, opt.rank, sum.history_len, opt.bias);
		require(size > 0, "a fitted model has a size");
		std::vector<uint64_t> words(static_cast<size_t>(size + 7) / 8, 0);
		st = nmfc_fit_write_model(fit, nmf_matrix_row_ids(m), nmf_matrix_col_ids(m), words.data(),
		                          static_cast<size_t>(size), &err);
		check_status(st, err, "nmfc_fit_write_model");
		if (st == NMFC_OK)
		{
			// What the glue stores must be what every reader accepts.
			st = nmfc_model_validate(words.data(), static_cast<size_t>(size), &err);
			if (st != NMFC_OK)
			{
				std::fprintf(stderr, "nmf fuzz: a fitted model does not validate: %s\n",
				             err.message);
				std::abort();
			}
			nmf_fuzz::read_model(reinterpret_cast<const NmfModelFlat *>(words.data()),
			                     static_cast<size_t>(size), s);
		}
	}
	nmfc_fit_free(fit);
}

[[maybe_unused]] void
merge_and_write(const NmfStateFlat *state, Sink &s)
{
	if (state->count < 1 || state->count > kMaxMergeCount)
		return;
	std::vector<NmfTriplet> t(static_cast<size_t>(state->count));
	nmfc_state_cells(state, t.data());
	const std::vector<NmfTriplet> cells = t;
	const NmfTriplet *src = cells.data();
	int64_t nnz = 0, rows = 0, cols = 0;
	NmfcError err;
	int st;
	if ((state->flags & NMF_STATE_SORTED) != 0)
	{
		// A sorted state (as a parallel worker ships it) is what the leader's
		// final function writes straight from its runs: split in two runs,
		// which are each sorted too, and written without merging them first.
		const int64_t starts[2] = {0, state->count / 2};
		st = nmfc_runs_measure(src, state->count, starts, 2, nullptr, 0, &nnz, &rows, &cols,
		                       nullptr, &err);
		check_status(st, err, "nmfc_runs_measure");
		if (st == NMFC_OK && cols > 0)
		{
			const int64_t size = nmfc_matrix_size(rows, cols, nnz);
			require(size > 0, "a measured matrix has a size");
			std::vector<uint64_t> words(static_cast<size_t>(size + 7) / 8, 0);
			st = nmfc_runs_write(src, state->count, starts, 2, nullptr, 0, nnz, rows, cols,
			                     words.data(), static_cast<size_t>(size), nullptr, &err);
			check_status(st, err, "nmfc_runs_write");
			if (st == NMFC_OK &&
			    nmfc_matrix_validate(words.data(), static_cast<size_t>(size), &err) != NMFC_OK)
			{
				std::fprintf(stderr, "nmf fuzz: a matrix from runs does not validate: %s\n",
				             err.message);
				std::abort();
			}
		}
		if ((state->flags & NMF_STATE_PACKED) != 0)
		{
			// The leader also merges its workers' packed states as they are:
			// here the state itself, against its first half as triplets.
			const void *packed[1] = {state};
			const int64_t half = state->count / 2, first = 0;
			st = nmfc_runs_measure(src, half, &first, half > 0 ? 1 : 0, packed, 1, &nnz, &rows,
			                       &cols, nullptr, &err);
			check_status(st, err, "nmfc_runs_measure (packed)");
			if (st == NMFC_OK && cols > 0)
			{
				const int64_t size = nmfc_matrix_size(rows, cols, nnz);
				require(size > 0, "a measured matrix has a size");
				std::vector<uint64_t> words(static_cast<size_t>(size + 7) / 8, 0);
				st = nmfc_runs_write(src, half, &first, half > 0 ? 1 : 0, packed, 1, nnz, rows,
				                     cols, words.data(), static_cast<size_t>(size), nullptr, &err);
				check_status(st, err, "nmfc_runs_write (packed)");
				if (st == NMFC_OK &&
				    nmfc_matrix_validate(words.data(), static_cast<size_t>(size), &err) != NMFC_OK)
				{
					std::fprintf(stderr,
					             "nmf fuzz: a matrix from packed runs does not validate: %s\n",
					             err.message);
					std::abort();
				}
			}
		}
	}
	st = nmfc_triplets_sort_merge(t.data(), state->count, &nnz, &rows, &cols, nullptr, &err);
	check_status(st, err, "nmfc_triplets_sort_merge");
	if (st != NMFC_OK)
		return;
	const int64_t size = nmfc_matrix_size(rows, cols, nnz);
	require(size > 0, "a merged matrix has a size");
	std::vector<uint64_t> words(static_cast<size_t>(size + 7) / 8, 0);
	st =
	    nmfc_matrix_write(t.data(), nnz, rows, cols, words.data(), static_cast<size_t>(size), &err);
	check_status(st, err, "nmfc_matrix_write");
	if (st != NMFC_OK)
		return;
	st = nmfc_matrix_validate(words.data(), static_cast<size_t>(size), &err);
	if (st != NMFC_OK)
	{
		std::fprintf(stderr, "nmf fuzz: a merged matrix does not validate: %s\n", err.message);
		std::abort();
	}
	nmf_fuzz::read_matrix(reinterpret_cast<const NmfMatrixFlat *>(words.data()),
	                      static_cast<size_t>(size), s);
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const Image image(data, size);
	NmfcError err;
	Sink sink;
#if NMF_FUZZ_TARGET == 1
	const int st = nmfc_matrix_validate(image.data(), image.size(), &err);
	check_status(st, err, "nmfc_matrix_validate");
	if (st == NMFC_OK)
	{
		const auto *m = static_cast<const NmfMatrixFlat *>(image.data());
		nmf_fuzz::read_matrix(m, image.size(), sink);
		fit_small(m, sink);
	}
#elif NMF_FUZZ_TARGET == 2
	const int st = nmfc_state_validate(image.data(), image.size(), &err);
	check_status(st, err, "nmfc_state_validate");
	if (st == NMFC_OK)
	{
		const auto *state = static_cast<const NmfStateFlat *>(image.data());
		nmf_fuzz::read_state(state, image.size(), sink);
		merge_and_write(state, sink);
	}
#elif NMF_FUZZ_TARGET == 3
	const int st = nmfc_model_validate(image.data(), image.size(), &err);
	check_status(st, err, "nmfc_model_validate");
	const int version = st == NMFC_OK ? nmfc_model_version(image.data(), image.size()) : -1;
	if (st == NMFC_OK && version == NMF_MODEL_VERSION)
		nmf_fuzz::read_model(static_cast<const NmfModelFlat *>(image.data()), image.size(), sink);
	else if (st == NMFC_OK)
	{
		// An older format is read as the glue reads it: upgraded first.
		const int64_t growth = nmfc_model_upgrade_growth(version);
		require(growth > 0, "a valid older model has a growth");
		const size_t up_size = image.size() + static_cast<size_t>(growth);
		std::vector<uint64_t> up((up_size + 7) / 8, 0);
		const int ust = nmfc_model_upgrade(image.data(), image.size(), up.data(), up_size, &err);
		require(ust == NMFC_OK, "a valid older model upgrades");
		nmf_fuzz::read_model(reinterpret_cast<const NmfModelFlat *>(up.data()), up_size, sink);
	}
#else
#error "define NMF_FUZZ_TARGET as 1 (matrix), 2 (state) or 3 (model)"
#endif
	// A refusal must say why.
	require(st == NMFC_OK || err.message[0] != '\0', "a refusal has a message");
	volatile double keep = sink.sum + static_cast<double>(sink.ids);
	(void)keep;
	return 0;
}
