// SPDX-License-Identifier: PostgreSQL
// The fit's options as options.def states them: defaults, the checks of a
// given value and of a whole NmfcOptions, and the names of text options.
#ifndef NMF_OPTIONS_HPP
#define NMF_OPTIONS_HPP

#include <cstdint>

#include "nmf_api.h"

namespace nmf::options
{

// The row of an option; throws InvalidArgument past the last.
const NmfcOptionInfo &info(int option);

// nmfc_options_default: every field its core_default.
void set_defaults(NmfcOptions &opt, int64_t rank) noexcept;

// A value given for an option, checked against its range and stored in its
// field; a name for a text option, looked up and its code stored.
void set(NmfcOptions &opt, int option, int64_t value);
void set(NmfcOptions &opt, int option, double value);
void set_name(NmfcOptions &opt, int option, const char *name);

// nmfc_options_resolve: the solver NMF_SOLVER_AUTO stands for, and loss 'is'
// as loss 'beta' with beta 0 (left as it is when a beta is given, which the
// fit then refuses).
void resolve(NmfcOptions &opt) noexcept;

// Every option's field in its range, or its null_value.
void check(const NmfcOptions &opt);

// Every option's field as one 64-bit word in options.def's order (a real's
// bits, else the integer; the glue's options 0), and back, each word checked
// as a given value: how a fit's options travel between servers.
void pack(const NmfcOptions &opt, int64_t *words) noexcept;
void unpack(const int64_t *words, NmfcOptions &opt);

// The code of a text option's name (-1: unknown), the name of a code (NULL: none).
int code_of(int option, const char *name) noexcept;
const char *name_of(int option, int code) noexcept;

} // namespace nmf::options

#endif
