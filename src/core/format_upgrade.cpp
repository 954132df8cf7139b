// SPDX-License-Identifier: PostgreSQL
// nmf_model's versions: which one an image is, and an earlier one upgraded
// into the current layout (readers accept every version since 1).
#include <cstring>
#include <vector>

#include "format.hpp"
#include "format_checker.hpp"

namespace nmf
{

int
model_version(const void *flat, size_t size) noexcept
{
	NmfModelFlat h;
	if (size < offsetof(NmfModelFlat, version) + sizeof(h.version))
		return -1;
	std::memcpy(&h, flat, offsetof(NmfModelFlat, version) + sizeof(h.version));
	return h.magic == NMF_MODEL_MAGIC ? h.version : -1;
}

// Version k's header size, or 0 for a version that does not exist.
static size_t
model_header_size(int version) noexcept
{
	switch (version)
	{
	case 1:
		return NMF_MODEL_V1_HEADER;
	case 2:
		return NMF_MODEL_V2_HEADER;
	case 3:
		return NMF_MODEL_V3_HEADER;
	case 4:
		return NMF_MODEL_V4_HEADER;
	case NMF_MODEL_VERSION:
		return sizeof(NmfModelFlat);
	default:
		return 0;
	}
}

int64_t
model_upgrade_growth(int version) noexcept
{
	const size_t header = model_header_size(version);
	return header == 0 ? -1 : static_cast<int64_t>(sizeof(NmfModelFlat) - header);
}

// Version 1 lacks learning_rate (8 bytes at its offset); every later field a
// version lacks sits at the end of the header. Everything else keeps its
// order, and versions 1 and 2 have no bias arrays. The missing fields become
// 0 (no bias, no clipping, no tuning table, no updates), and a model older
// than best_iteration holds its last iterate. The result is validated in
// full as a current model, so an old value is checked as strictly.
void
upgrade_model(const void *flat, size_t size, void *out, size_t out_size, NmfcStatus status)
{
	constexpr size_t lr_at = offsetof(NmfModelFlat, learning_rate);
	constexpr size_t lr_gap = sizeof(double);
	static_assert(NMF_MODEL_V2_HEADER - NMF_MODEL_V1_HEADER == lr_gap,
	              "version 2 adds exactly learning_rate");
	const Checker c("nmf_model", status);
	const int version = model_version(flat, size);
	if (version < 1 || version >= NMF_MODEL_VERSION)
		c.fail("not a model of a version from 1 to ", NMF_MODEL_VERSION - 1);
	const size_t old_header = model_header_size(version);
	// Everything the old header lacks after its last field (version 1's
	// learning_rate aside) is zero.
	const size_t kept = version == 1 ? NMF_MODEL_V2_HEADER : old_header;
	c.check_size_at_least(size, old_header);
	if (out_size != size + static_cast<size_t>(model_upgrade_growth(version)))
		throw InvalidArgument(message("the upgraded model needs exactly ",
		                              model_upgrade_growth(version), " more bytes"));
	const char *in = static_cast<const char *>(flat);
	char *o = static_cast<char *>(out);
	if (version == 1)
	{
		std::memcpy(o, in, lr_at);
		std::memset(o + lr_at, 0, lr_gap);
		std::memcpy(o + lr_at + lr_gap, in + lr_at, NMF_MODEL_V1_HEADER - lr_at);
	}
	else
		std::memcpy(o, in, kept);
	std::memset(o + kept, 0, sizeof(NmfModelFlat) - kept);
	NmfModelFlat *m = reinterpret_cast<NmfModelFlat *>(o);
	if (version < 4)
		m->best_iteration = m->iterations;
	// Earlier versions recorded every iteration's loss and updated once per product.
	m->loss_every = 1;
	m->inner_updates = 1;
	std::memcpy(o + sizeof(NmfModelFlat), in + old_header, size - old_header);
	const uint16_t current = NMF_MODEL_VERSION;
	std::memcpy(o + offsetof(NmfModelFlat, version), &current, sizeof(current));
	validate_model(out, out_size, status);
}

void
validate_model_any(const void *flat, size_t size, NmfcStatus status)
{
	const int version = model_version(flat, size);
	if (version < 1 || version >= NMF_MODEL_VERSION)
	{
		validate_model(flat, size, status);
		return;
	}
	const size_t out_size = size + static_cast<size_t>(model_upgrade_growth(version));
	// 8-aligned, as the validator reads the copy's arrays in place.
	std::vector<double> upgraded((out_size + 7) / 8);
	upgrade_model(flat, size, upgraded.data(), out_size, status);
}

} // namespace nmf
