// SPDX-License-Identifier: PostgreSQL
// The options table (options.def) turned into the core's defaults, checks
// and name lookups: what it says about an option is said nowhere else.
#include "options.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "errors.hpp"
#include "parallel.hpp"

namespace nmf::options
{

namespace
{

struct Row
{
	NmfcOptionInfo info;
	double null_value; // NaN: none
	double low, high;
	int bounds;
};

constexpr bool
is_null_default(const char *sql_default)
{
	return sql_default[0] == 'N' && sql_default[1] == 'U' && sql_default[2] == 'L' &&
	       sql_default[3] == 'L' && sql_default[4] == '\0';
}

// A field value that stands for no NULL meaning: equal to nothing.
#define NMF_NO_NULL_VALUE NAN
// Which ends of [low, high] belong to the range.
#define NMF_CLOSED 0
#define NMF_LOW_OPEN 1
#define NMF_HIGH_OPEN 2

const Row rows[] = {
#define NMF_OPTION(name, kind, sql_type, sql_default, core_default, null_value, low, high, bounds, \
                   hint)                                                                           \
	{{#name, kind, is_null_default(sql_default), hint, nullptr},                                   \
	 static_cast<double>(null_value),                                                              \
	 static_cast<double>(low),                                                                     \
	 static_cast<double>(high),                                                                    \
	 bounds},
#define NMF_OPTION_GLUE(name, sql_type, sql_default)                                               \
	{{#name, NMF_KIND_GLUE, is_null_default(sql_default), "", nullptr}, NAN, 0, 0, NMF_CLOSED},
#include "options.def"
};
static_assert(sizeof(rows) / sizeof(rows[0]) == NMFC_OPT_COUNT, "a row per option");
static_assert(kMaxThreads == NMF_MAX_THREADS, "threads' range is the thread pool's");

struct Value
{
	int option;
	int code;
	const char *name;
};

constexpr Value values[] = {
#define NMF_OPTION_VALUE(option, code, name) {NMFC_OPT_##option, code, name},
#include "options.def"
};

// The rows' infos with each text option's names joined, made on first use
// (fixed buffers: nothing here can throw).
struct Infos
{
	char lists[NMFC_OPT_COUNT][256] = {};
	NmfcOptionInfo info[NMFC_OPT_COUNT];

	Infos() noexcept
	{
		for (int o = 0; o < NMFC_OPT_COUNT; o++)
			info[o] = rows[o].info;
		for (const Value &v : values)
		{
			char *list = lists[v.option];
			const size_t used = std::strlen(list);
			std::snprintf(list + used, sizeof(lists[0]) - used, "%s%s", used ? ", " : "", v.name);
			info[v.option].values = list;
		}
	}
};

const Row &
row(int option)
{
	if (option < 0 || option >= NMFC_OPT_COUNT)
		throw InvalidArgument(message("option ", option, " is unknown"));
	return rows[option];
}

bool
in_range(const Row &r, double v)
{
	const bool above = (r.bounds & NMF_LOW_OPEN) ? v > r.low : v >= r.low;
	const bool below = (r.bounds & NMF_HIGH_OPEN) ? v < r.high : v <= r.high;
	return above && below && !std::isnan(v);
}

// The error of a value outside its option's range, worded by its kind.
[[noreturn]] void
refuse(const Row &r, double v)
{
	const char *name = r.info.name;
	switch (r.info.kind)
	{
	case NMF_KIND_REAL:
		if (std::isinf(r.high))
			throw InvalidArgument(message(name, " ", v, " is not a finite number ",
			                              (r.bounds & NMF_LOW_OPEN) ? "> " : ">= ", r.low));
		throw InvalidArgument(message(name, " ", v, " is outside ",
		                              (r.bounds & NMF_LOW_OPEN) ? "(" : "[", r.low, ", ", r.high,
		                              (r.bounds & NMF_HIGH_OPEN) ? ")" : "]"));
	case NMF_KIND_TEXT:
	case NMF_KIND_BOOL:
		throw InvalidArgument(message(name, " code ", static_cast<int64_t>(v), " is unknown"));
	default:
		if (r.high >= static_cast<double>(INT32_MAX) && v < r.low && r.low == 0)
			throw InvalidArgument(message(name, " ", static_cast<int64_t>(v), " is negative"));
		if (r.high >= static_cast<double>(INT32_MAX) && v < r.low)
			throw InvalidArgument(message(name, " ", static_cast<int64_t>(v), " is less than ",
			                              static_cast<int64_t>(r.low)));
		throw InvalidArgument(message(name, " ", static_cast<int64_t>(v), " is outside ",
		                              static_cast<int64_t>(r.low), "..",
		                              static_cast<int64_t>(r.high)));
	}
}

template <class V>
void
store(NmfcOptions &opt, int option, V v)
{
	switch (option)
	{
#define NMF_OPTION(name, ...)                                                                      \
	case NMFC_OPT_##name:                                                                          \
		opt.name = static_cast<decltype(opt.name)>(v);                                             \
		return;
#include "options.def"
	default:
		throw InvalidArgument(message("option ", row(option).info.name, " is the glue's to read"));
	}
}

template <class V>
void
set_checked(NmfcOptions &opt, int option, V v)
{
	const Row &r = row(option);
	if (!in_range(r, static_cast<double>(v)))
		refuse(r, static_cast<double>(v));
	store(opt, option, v);
}

// An option's field as pack's word.
int64_t
word_of(double v) noexcept
{
	int64_t w;
	std::memcpy(&w, &v, sizeof(w));
	return w;
}

template <class I>
int64_t
word_of(I v) noexcept
{
	return static_cast<int64_t>(v);
}

} // namespace

const NmfcOptionInfo &
info(int option)
{
	static const Infos infos;
	return infos.info[&row(option) - rows];
}

void
set_defaults(NmfcOptions &opt, int64_t rank) noexcept
{
	std::memset(&opt, 0, sizeof(opt));
#define NMF_OPTION(name, kind, sql_type, sql_default, core_default, ...)                           \
	opt.name = static_cast<decltype(opt.name)>(core_default);
#include "options.def"
	opt.rank = rank;
}

void
set(NmfcOptions &opt, int option, int64_t value)
{
	set_checked(opt, option, value);
}

void
set(NmfcOptions &opt, int option, double value)
{
	set_checked(opt, option, value);
}

void
set_name(NmfcOptions &opt, int option, const char *name)
{
	const int code = code_of(option, name);
	if (code < 0)
		throw InvalidArgument(
		    message("unknown ", row(option).info.name, " \"", name ? name : "(null)", "\""));
	store(opt, option, code);
}

void
resolve(NmfcOptions &opt) noexcept
{
	if (opt.loss == NMF_LOSS_IS && opt.beta == NMF_BETA_NONE)
	{
		opt.loss = NMF_LOSS_BETA;
		opt.beta = 0.0;
	}
	// hals and gd minimise the Frobenius loss only; mu has every loss.
	if (opt.solver == NMF_SOLVER_AUTO)
		opt.solver = opt.loss == NMF_LOSS_FROBENIUS ? NMF_SOLVER_HALS : NMF_SOLVER_MU;
}

void
check(const NmfcOptions &opt)
{
#define NMF_OPTION(name, ...)                                                                      \
	{                                                                                              \
		const Row &r = rows[NMFC_OPT_##name];                                                      \
		const double v = static_cast<double>(opt.name);                                            \
		if (!(v == r.null_value) && !in_range(r, v))                                               \
			refuse(r, v);                                                                          \
	}
#include "options.def"
}

int
code_of(int option, const char *name) noexcept
{
	if (name == nullptr)
		return -1;
	for (const Value &v : values)
		if (v.option == option && std::strcmp(v.name, name) == 0)
			return v.code;
	return -1;
}

const char *
name_of(int option, int code) noexcept
{
	for (const Value &v : values)
		if (v.option == option && v.code == code)
			return v.name;
	return nullptr;
}

void
pack(const NmfcOptions &opt, int64_t *words) noexcept
{
	std::fill(words, words + NMFC_OPT_COUNT, int64_t{0});
#define NMF_OPTION(name, ...) words[NMFC_OPT_##name] = word_of(opt.name);
#include "options.def"
}

void
unpack(const int64_t *words, NmfcOptions &opt)
{
	for (int o = 0; o < NMFC_OPT_COUNT; o++)
		switch (info(o).kind)
		{
		case NMF_KIND_GLUE:
			break;
		case NMF_KIND_REAL:
		{
			double v;
			std::memcpy(&v, &words[o], sizeof(v));
			store(opt, o, v);
			break;
		}
		case NMF_KIND_BIGINT:
			store(opt, o, words[o]);
			break;
		default:
			// An int field's word must be an int: no bits lost on the way in.
			if (words[o] < INT32_MIN || words[o] > INT32_MAX)
				throw InvalidArgument(message(info(o).name, " ", words[o], " is out of range"));
			store(opt, o, words[o]);
		}
	check(opt);
}

} // namespace nmf::options
