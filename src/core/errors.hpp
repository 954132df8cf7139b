// SPDX-License-Identifier: PostgreSQL
// Typed errors of the core. The core throws them; only guarded() (door_guard.hpp) catches,
// turning each into its NmfcStatus and message for the C glue.
#ifndef NMF_ERRORS_HPP
#define NMF_ERRORS_HPP

// Every core source includes this header: the core must never see the
// server's headers, whose macros and longjmp-based errors it cannot live with.
#ifdef POSTGRES_H
#error "the nmf core must not include PostgreSQL server headers"
#endif

#include <charconv>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "nmf_api.h"

namespace nmf
{

class Error : public std::runtime_error
{
  public:
	Error(NmfcStatus status, const std::string &message)
	    : std::runtime_error(message), status_(status)
	{
	}
	NmfcStatus
	status() const noexcept
	{
		return status_;
	}

  private:
	NmfcStatus status_;
};

// An option or argument is out of range.
class InvalidArgument : public Error
{
  public:
	explicit InvalidArgument(const std::string &message) : Error(NMFC_INVALID_ARGUMENT, message)
	{
	}
};

// The bytes of a value are not a valid image.
class InvalidData : public Error
{
  public:
	explicit InvalidData(const std::string &message) : Error(NMFC_INVALID_DATA, message)
	{
	}
};

// A size passes a hard limit of the format or of the core.
class LimitExceeded : public Error
{
  public:
	explicit LimitExceeded(const std::string &message) : Error(NMFC_LIMIT_EXCEEDED, message)
	{
	}
};

// An interrupt flag was seen set; the glue then runs its own interrupt path.
class Cancelled : public Error
{
  public:
	Cancelled() : Error(NMFC_CANCELLED, "nmf computation cancelled")
	{
	}
};

namespace detail
{

inline void
append(std::string &s, const char *v)
{
	s += v;
}

inline void
append(std::string &s, const std::string &v)
{
	s += v;
}

// Shortest round-trip form, so two values that differ never print alike;
// NaN and the infinities as PostgreSQL writes them, since the glue's
// messages show them beside the user's own input.
inline void
append(std::string &s, double v)
{
	if (v != v || v - v != 0)
	{
		s += v != v ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
		return;
	}
	char buf[32];
	std::to_chars_result r = std::to_chars(buf, buf + sizeof(buf), v);
	s.append(buf, r.ptr);
}

template <class T, std::enable_if_t<std::is_integral_v<T>, int> = 0>
inline void
append(std::string &s, T v)
{
	s += std::to_string(v);
}

} // namespace detail

// Builds an error message from strings and numbers.
template <class... A>
std::string
message(const A &...parts)
{
	std::string s;
	(detail::append(s, parts), ...);
	return s;
}

// Throws Cancelled when the glue's interrupt flags say so. The flags are only
// read: the glue's own handler does the rest once the core has returned.
inline void
poll_interrupts(const NmfcInterrupts &intr)
{
	for (const volatile int *flag : intr.flags)
		if (flag != nullptr && *flag != 0)
			throw Cancelled();
}

// How often long loops poll: often enough to stop within milliseconds.
constexpr int64_t kPollElements = int64_t(1) << 20;

} // namespace nmf

#endif
