// SPDX-License-Identifier: PostgreSQL
// The checks every image validator makes, each failure worded the same way
// (format.cpp and format_upgrade.cpp; not part of the core's interface).
#ifndef NMF_FORMAT_CHECKER_HPP
#define NMF_FORMAT_CHECKER_HPP

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "errors.hpp"
#include "format.hpp"

namespace nmf
{

inline std::string
hex32(uint32_t v)
{
	char buf[16];
	std::snprintf(buf, sizeof(buf), "0x%08x", v);
	return buf;
}

// Formats every failure of one image kind the same way.
class Checker
{
  public:
	Checker(const char *type, NmfcStatus status) : type_(type), status_(status)
	{
	}

	template <class... A>
	[[noreturn]] void
	fail(const A &...parts) const
	{
		if (status_ == NMFC_INVALID_DATA)
			throw InvalidData(message("invalid ", type_, ": ", parts...));
		throw Error(status_, message("invalid ", type_, ": ", parts...));
	}

	void
	check_size_at_least(size_t size, size_t header) const
	{
		if (size < header)
			fail("size ", size, " is smaller than its header of ", header, " bytes");
	}

	void
	check_magic_version(uint32_t magic, uint32_t expected, uint16_t version,
	                    uint16_t expected_version = NMF_FORMAT_VERSION) const
	{
		if (magic != expected)
			fail("magic ", hex32(magic), " is not ", hex32(expected));
		if (version != expected_version)
			fail("version ", version, " is not supported (expected ", expected_version, ")");
	}

	// The header of an image of at least its size, with the current version of this magic.
	template <class Header>
	Header
	header(const void *flat, size_t size, uint32_t magic) const
	{
		check_size_at_least(size, sizeof(Header));
		Header h;
		std::memcpy(&h, flat, sizeof(h));
		check_magic_version(h.magic, magic, h.version);
		return h;
	}

	template <class T>
	void
	check_zero(const char *field, T v) const
	{
		if (v != 0)
			fail(field, " = ", v, " is not 0");
	}

	void
	check_range(const char *field, int64_t v, int64_t lo, int64_t hi) const
	{
		if (v < lo || v > hi)
			fail(field, " = ", v, " is out of range [", lo, ", ", hi, "]");
	}

	void
	check_nonneg(const char *field, double v) const
	{
		if (!std::isfinite(v) || !(v >= 0))
			fail(field, " = ", v, " is not a finite number >= 0");
	}

	// Several fields (name, value, name, value, ...) in the order given: the
	// first that fails is the one reported.
	template <class... Rest>
	void
	check_nonneg(const char *field, double v, const char *next, Rest... rest) const
	{
		check_nonneg(field, v);
		check_nonneg(next, rest...);
	}

	void
	check_exact_size(size_t size, int64_t implied) const
	{
		if (implied < 0)
			fail("the dimensions imply a size beyond the format's limits");
		if (size != static_cast<uint64_t>(implied))
			fail("size ", size, " does not match the ", implied, " bytes its header implies");
	}

	void
	check_ascending_ids(const char *field, const int64_t *ids, int64_t n) const
	{
		for (int64_t i = 1; i < n; i++)
			if (ids[i] <= ids[i - 1])
				fail(field, "[", i, "] = ", ids[i], " is not greater than ", field, "[", i - 1,
				     "] = ", ids[i - 1]);
	}

	void
	check_nonneg_array(const char *field, const double *v, int64_t n) const
	{
		for (int64_t i = 0; i < n; i++)
			if (!std::isfinite(v[i]) || !(v[i] >= 0))
				fail(field, "[", i, "] = ", v[i], " is not a finite number >= 0");
	}

	void
	check_finite_array(const char *field, const double *v, int64_t n) const
	{
		for (int64_t i = 0; i < n; i++)
			if (!std::isfinite(v[i]))
				fail(field, "[", i, "] = ", v[i], " is not finite");
	}

  private:
	const char *type_;
	NmfcStatus status_;
};

} // namespace nmf

#endif
