# SPDX-License-Identifier: PostgreSQL
# PGXS build of the nmf extension: a C++17 core on Eigen (src/core) behind a C glue (src/pg).

MODULE_big = nmf
EXTENSION = nmf
DATA = nmf--0.1.sql nmf--0.1--0.2.sql nmf--0.2--0.3.sql nmf--0.3--0.4.sql
PGFILEDESC = "nmf - non-negative matrix factorization"

CORE_OBJS = $(patsubst %.cpp,%.o,$(sort $(wildcard src/core/*.cpp)))
GLUE_OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/pg/*.c)))
OBJS = $(CORE_OBJS) $(GLUE_OBJS)

REGRESS = matrix_io matrix_agg fit_mu fit_hals fit_kl fit_gd fit_missing init options model_io \
	relations history fit_table errors \
	apply_predict apply_recommend apply_transform apply_score apply_cv fit_distributed threads bias catalog
REGRESS_OPTS = --load-extension=nmf

EIGEN_INCLUDE ?= /usr/include/eigen3

# Our code compiles warning-free; the server and Eigen headers come in as system headers.
# No -march: the hot loops also exist for AVX2 and AVX-512, chosen at run time
# (src/core/simd.hpp). -ffp-contract=off: g++ would otherwise fuse a * b + c
# where the instruction set has FMA (AVX-512 does), and the bits would then
# depend on the CPU. EIGEN_MAX_ALIGN_BYTES=64: every Eigen matrix starts on a
# cache line, so the gathers' vector loads of a factor row cross no more lines
# than they must (16-byte aligned factors made them ~25 % slower on S).
PG_CPPFLAGS = -I$(srcdir)/src/core -isystem $(shell $(PG_CONFIG) --includedir-server)
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Werror
PG_CXXFLAGS = -std=c++17 -O2 -ffp-contract=off -isystem $(EIGEN_INCLUDE) -fvisibility=hidden \
	-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror -DEIGEN_NO_DEBUG \
	-DEIGEN_MAX_ALIGN_BYTES=64
SHLIB_LINK += -lstdc++ -pthread

# Debian's server is built with_llvm, so PGXS would also compile every source to LLVM bitcode
# for JIT inlining, with clang and without our C++17 flags. Our functions are heavy calls that
# inlining cannot speed up, so we skip the bitcode rather than keep two sets of C++ flags.
override with_llvm = no

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies here: rebuild everything when a header changes
# (a stale object that read an old struct layout would misread values).
$(OBJS): $(wildcard src/core/*.h src/core/*.hpp src/pg/*.h)

# The core must never see PostgreSQL: fail the build if it names the server's API.
.PHONY: check-core-wall
check-core-wall:
	@! grep -nE '\b(palloc|pfree|elog|ereport|CHECK_FOR_INTERRUPTS|postgres\.h)\b' src/core/*.cpp src/core/*.hpp src/core/*.h

all: check-core-wall

# The house format (.clang-format): `make format` rewrites the sources in place,
# `make format-check` lists any file that differs (test/run.sh runs it).
CLANG_FORMAT ?= clang-format-14
FORMAT_FILES = $(wildcard src/core/*.cpp src/core/*.hpp src/core/*.h src/pg/*.c src/pg/*.h \
	test/unit/*.cpp test/unit/*.hpp test/fuzz/*.cpp test/fuzz/*.hpp bench/*.cpp)

.PHONY: format format-check
format:
	$(CLANG_FORMAT) -i $(FORMAT_FILES)

format-check:
	@status=0; for f in $(FORMAT_FILES); do \
		if $(CLANG_FORMAT) --dry-run --Werror $$f >/dev/null 2>&1; then echo "formatted: $$f"; \
		else echo "NOT FORMATTED: $$f (make format)"; status=1; fi; \
	done; exit $$status
