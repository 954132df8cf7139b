// SPDX-License-Identifier: PostgreSQL
// What every door_*.cpp shares: guarded(), the one place that catches.
//
// Every extern "C" entry point that can fail runs its body through guarded(),
// which turns each exception into a status and a message in the caller's
// buffer: nothing thrown in the core ever reaches the C glue, whose error
// reporting would otherwise longjmp over live C++ frames.
#ifndef NMF_DOOR_GUARD_HPP
#define NMF_DOOR_GUARD_HPP

#include <cstdio>
#include <new>
#include <stdexcept>

#include "errors.hpp"
#include "nmf_api.h"

namespace nmf::door
{

inline void
set_message(NmfcError *err, const char *prefix, const char *text) noexcept
{
	if (err != nullptr)
		std::snprintf(err->message, sizeof(err->message), "%s%s", prefix, text);
}

template <class F>
int
guarded(NmfcError *err, F &&body) noexcept
{
	if (err != nullptr)
		err->message[0] = '\0';
	try
	{
		body();
		return NMFC_OK;
	}
	catch (const std::bad_alloc &)
	{
		set_message(err, "", "out of memory in the nmf core");
		return NMFC_OUT_OF_MEMORY;
	}
	catch (const std::length_error &)
	{
		// A container asked for more than it can ever hold: memory, not a bug.
		set_message(err, "", "out of memory in the nmf core: allocation too large");
		return NMFC_OUT_OF_MEMORY;
	}
	catch (const Error &e)
	{
		set_message(err, "", e.what());
		return e.status();
	}
	catch (const std::exception &e)
	{
		set_message(err, "internal error in the nmf core: ", e.what());
		return NMFC_INTERNAL;
	}
	catch (...)
	{
		set_message(err, "", "internal error in the nmf core: unknown exception");
		return NMFC_INTERNAL;
	}
}

// The caller's flags, or none: a NULL pointer means "never cancelled".
inline NmfcInterrupts
interrupts_or_none(const NmfcInterrupts *intr) noexcept
{
	NmfcInterrupts copy{};
	if (intr != nullptr)
		copy = *intr;
	return copy;
}

// A pointer argument that must be there; the pointer.
template <class T>
T *
require(T *p, const char *what)
{
	if (p == nullptr)
		throw InvalidArgument(message(what, " is missing"));
	return p;
}

} // namespace nmf::door

#endif
