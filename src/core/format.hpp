// SPDX-License-Identifier: PostgreSQL
// Validation and sizes of the images laid out in nmf_format.h.
#ifndef NMF_FORMAT_HPP
#define NMF_FORMAT_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "nmf_api.h"

namespace nmf
{

// Each throws InvalidData naming the first field found wrong; `flat` is
// 8-aligned and holds `size` bytes, of which no byte past `size` is read.
// The core checks its own output with status NMFC_INTERNAL: a bug, not bad data.
void validate_matrix(const void *flat, size_t size, NmfcStatus status = NMFC_INVALID_DATA);
void validate_state(const void *flat, size_t size, NmfcStatus status = NMFC_INVALID_DATA);
void validate_model(const void *flat, size_t size, NmfcStatus status = NMFC_INVALID_DATA);
// Current models only; validate_model_any also takes every earlier version.
void validate_model_any(const void *flat, size_t size, NmfcStatus status = NMFC_INVALID_DATA);
// The version of a model image, -1 when it is too short or not a model.
int model_version(const void *flat, size_t size) noexcept;
// Bytes a model of this version gains when upgraded (0 for the current one), -1 (unknown).
int64_t model_upgrade_growth(int version) noexcept;
// An image of an earlier version into a current one of size + model_upgrade_growth
// bytes, validated in full.
void upgrade_model(const void *flat, size_t size, void *out, size_t out_size,
                   NmfcStatus status = NMFC_INVALID_DATA);

// Total bytes of an image, length word included; -1 when out of range.
int64_t matrix_size(int64_t rows, int64_t cols, int64_t nnz) noexcept;
// The same of a matrix stored dense (NMF_MATRIX_DENSE), every cell stored.
int64_t dense_matrix_size(int64_t rows, int64_t cols) noexcept;
int64_t state_size(int64_t count) noexcept;
int64_t packed_state_size(int64_t count, int64_t nrows) noexcept;
// bias: the model carries b_row and b_col; tune_len rows of nmf_tune's table.
int64_t model_size(int64_t rows, int64_t cols, int64_t rank, int64_t history_len, bool bias = false,
                   int64_t tune_len = 0) noexcept;
// More rows than any search a time budget allows; keeps sizes far from overflow.
constexpr int64_t kMaxTuneRows = 1 << 20;

// Overflow-checked int64 arithmetic: false on overflow.
inline bool
checked_mul(int64_t a, int64_t b, int64_t *out) noexcept
{
	return !__builtin_mul_overflow(a, b, out);
}

inline bool
checked_add(int64_t a, int64_t b, int64_t *out) noexcept
{
	return !__builtin_add_overflow(a, b, out);
}

// A zeroed header with its magic and the current format version, to fill.
template <class Header>
Header
new_header(uint32_t magic) noexcept
{
	Header h;
	std::memset(&h, 0, sizeof(h));
	h.magic = magic;
	h.version = NMF_FORMAT_VERSION;
	return h;
}

// Copies a filled header into an image: every field but the varlena length
// word before `magic`, which belongs to the caller (PostgreSQL's SET_VARSIZE).
template <class Header>
Header *
write_header(void *flat, const Header &h) noexcept
{
	const size_t skip = offsetof(Header, magic);
	std::memcpy(static_cast<char *>(flat) + skip, reinterpret_cast<const char *>(&h) + skip,
	            sizeof(h) - skip);
	return static_cast<Header *>(flat);
}

} // namespace nmf

#endif
