/* SPDX-License-Identifier: PostgreSQL */
/*
 * The one door between the PostgreSQL glue (C) and the core (C++).
 *
 * Each function is implemented in the src/core/door_*.cpp named after what it
 * serves (door_matrix, door_fit, door_model, door_apply, door_distributed).
 *
 * Every function is noexcept: it returns a status and, on failure, writes a
 * lower-case message without a final period into err->message. Nothing here
 * allocates in server memory contexts, raises, or reads PostgreSQL state except the
 * interrupt flags the caller hands over, which the core only reads.
 * Memory the core allocates is owned by the handle that returned it and
 * released by the matching _free function.
 */
#ifndef NMF_API_H
#define NMF_API_H

#include "nmf_format.h"

#ifdef __cplusplus
#define NMFC_NOEXCEPT noexcept
extern "C"
{
#else
#define NMFC_NOEXCEPT
#endif

	/* Status codes; the glue maps each to one SQLSTATE (src/pg/errors.c). */
	typedef enum NmfcStatus
	{
		NMFC_OK = 0,
		NMFC_INVALID_ARGUMENT, /* 22023 an option or argument is out of range */
		NMFC_INVALID_DATA,     /* 22P03 a value's bytes are not a valid image */
		NMFC_LIMIT_EXCEEDED,   /* 54000 a size passes a hard or configured limit */
		NMFC_OUT_OF_MEMORY,    /* 53200 std::bad_alloc */
		NMFC_CANCELLED,        /* 57014 an interrupt flag was seen set */
		NMFC_INTERNAL          /* XX000 a bug */
	} NmfcStatus;

#define NMFC_MESSAGE_LEN 256

	typedef struct NmfcError
	{
		char message[NMFC_MESSAGE_LEN];
	} NmfcError;

	/*
	 * Flags the core polls during long work; any one non-zero stops it with
	 * NMFC_CANCELLED. The glue points them at QueryCancelPending and
	 * ProcDiePending. NULL entries are skipped.
	 */
	typedef struct NmfcInterrupts
	{
		const volatile int *flags[2];
	} NmfcInterrupts;

	/* ---- values: validation of images (bytes include the length word) ---- */

	/*
	 * Each checks a whole image of `size` bytes at `flat` (8-aligned): magic,
	 * version, reserved fields, dimensions, that the size equals exactly what
	 * the header implies, and every element the layout promises. Only after
	 * NMFC_OK may the nmf_format.h accessors be used on it.
	 */
	int nmfc_matrix_validate(const void *flat, size_t size, NmfcError *err) NMFC_NOEXCEPT;
	int nmfc_state_validate(const void *flat, size_t size, NmfcError *err) NMFC_NOEXCEPT;
	/* Models of every version this library reads (older ones are upgraded in a copy). */
	int nmfc_model_validate(const void *flat, size_t size, NmfcError *err) NMFC_NOEXCEPT;

	/* A model image's version; -1 when too short or not a model. */
	int nmfc_model_version(const void *flat, size_t size) NMFC_NOEXCEPT;

	/*
	 * Bytes a model image of this version gains when upgraded to the current
	 * one: 0 for the current version, -1 for a version this library cannot read.
	 */
	int64_t nmfc_model_upgrade_growth(int version) NMFC_NOEXCEPT;

	/*
	 * An older model image (version 1 or 2, length word included) into a
	 * current one of size + nmfc_model_upgrade_growth(version) bytes at `out`,
	 * validated in full; the length word is the caller's.
	 */
	int nmfc_model_upgrade(const void *flat, size_t size, void *out, size_t out_size,
	                       NmfcError *err) NMFC_NOEXCEPT;

	/*
	 * Packing sorted, merged triplets as a state image (NMF_STATE_PACKED):
	 * nmfc_state_pack_size gives the image's size (length word included) and
	 * the packed header's fields, or -1 when they cannot be packed (no cells,
	 * column ids spanning 2^32 or more); nmfc_state_pack writes it, every
	 * byte but the length word. nmfc_state_cells writes the count cells of a
	 * validated state image, packed or not, into out.
	 */
	int64_t nmfc_state_pack_size(const NmfTriplet *t, int64_t count, int64_t *nrows,
	                             int64_t *col_base) NMFC_NOEXCEPT;
	int nmfc_state_pack(const NmfTriplet *t, int64_t count, int64_t nrows, int64_t col_base,
	                    void *flat, size_t size, NmfcError *err) NMFC_NOEXCEPT;
	void nmfc_state_cells(const void *flat, NmfTriplet *out) NMFC_NOEXCEPT;

	/* Image sizes (length word included); -1 when a dimension is out of range. */
	int64_t nmfc_matrix_size(int64_t rows, int64_t cols, int64_t nnz) NMFC_NOEXCEPT;
	int64_t nmfc_model_size(int64_t rows, int64_t cols, int64_t rank,
	                        int64_t history_len) NMFC_NOEXCEPT;
	/* The same for a model that carries biases (bias = 1) or not (0). */
	int64_t nmfc_model_size_bias(int64_t rows, int64_t cols, int64_t rank, int64_t history_len,
	                             int bias) NMFC_NOEXCEPT;
	/* The size a current model's header implies (its biases, tuning and key tables included). */
	int64_t nmfc_model_image_size(const NmfModelFlat *m) NMFC_NOEXCEPT;

	/*
	 * A validated matrix image seen as plain arrays (not owned): the one view
	 * of a matrix the core reads (its solvers' nmf::CsrView is this type).
	 * Of a dense image (NMF_MATRIX_DENSE) row_ptr and col_idx are NULL and
	 * values holds every cell row by row: only the fit (nmfc_fit_*) takes
	 * such a view; every other reader takes the CSR form.
	 */
	typedef struct NmfcMatrixView
	{
		int64_t rows, cols, nnz;
		const int64_t *row_ptr;
		const int32_t *col_idx;
		const double *values;
		const int64_t *row_ids; /* ascending; needed only for a warm start */
		const int64_t *col_ids;
	} NmfcMatrixView;

	/* The view of a validated matrix image; all zero for NULL. */
	NmfcMatrixView nmfc_matrix_view(const NmfMatrixFlat *m) NMFC_NOEXCEPT;

	/*
	 * A validated CSR image of `size` bytes that stores every cell, rewritten
	 * in place in the dense form (NMF_MATRIX_DENSE); returns its new size
	 * (`size` itself for any other image).
	 */
	size_t nmfc_matrix_densify(void *flat, size_t size) NMFC_NOEXCEPT;
	/* Bytes of a validated image's CSR form (length word and keys included); -1: too large. */
	int64_t nmfc_matrix_sparse_size(const NmfMatrixFlat *m) NMFC_NOEXCEPT;
	/* The CSR form of a dense image into out of nmfc_matrix_sparse_size(m) bytes, all but the
	 * length word. */
	void nmfc_matrix_write_sparse(const NmfMatrixFlat *m, void *out) NMFC_NOEXCEPT;

	/* ---- the nmf_matrix aggregate's state: a builder owned by the core ---- */

	typedef struct NmfcBuilder NmfcBuilder; /* opaque, owned by the core */

	/*
	 * A new, empty builder; no one allocation of it may pass memory_limit
	 * bytes (NMFC_LIMIT_EXCEEDED). On failure *out is NULL. Released by
	 * nmfc_builder_free.
	 */
	int nmfc_builder_create(int64_t memory_limit, NmfcBuilder **out, NmfcError *err) NMFC_NOEXCEPT;
	void nmfc_builder_free(NmfcBuilder *b) NMFC_NOEXCEPT;

	/* One cell; its value is the caller's to check (finite, >= 0). */
	int nmfc_builder_add(NmfcBuilder *b, const NmfTriplet *cell, NmfcError *err) NMFC_NOEXCEPT;

	/*
	 * Another partial state, as one more sorted run: a state image validated
	 * by nmfc_state_validate (a packed one is kept as a copy and merged as it
	 * is), or another builder (left holding the same value). A sum that
	 * overflows to infinity is NMFC_INVALID_DATA.
	 */
	int nmfc_builder_add_state(NmfcBuilder *b, const void *flat, size_t size,
	                           const NmfcInterrupts *intr, NmfcError *err) NMFC_NOEXCEPT;
	int nmfc_builder_add_builder(NmfcBuilder *b, NmfcBuilder *other, const NmfcInterrupts *intr,
	                             NmfcError *err) NMFC_NOEXCEPT;

	/*
	 * The images a builder makes: its state (what a parallel worker or a
	 * Citus node ships: sorted, packed when its column ids allow) or its
	 * matrix (duplicates summed). nmfc_builder_measure sorts or merges as the
	 * image needs and gives its size, length word included (-1: past the
	 * format's limits; a matrix without cells is NMFC_INVALID_ARGUMENT);
	 * nmfc_builder_write then writes every byte but the length word.
	 */
#define NMFC_IMAGE_STATE 0
#define NMFC_IMAGE_MATRIX 1
	int nmfc_builder_measure(NmfcBuilder *b, int image, int64_t *size, const NmfcInterrupts *intr,
	                         NmfcError *err) NMFC_NOEXCEPT;
	int nmfc_builder_write(NmfcBuilder *b, int image, void *flat, size_t size,
	                       const NmfcInterrupts *intr, NmfcError *err) NMFC_NOEXCEPT;

	/*
	 * Asks the kernel to back a large new array with huge pages: faulting
	 * hundreds of MB in 4 kB pages is a large part of a build's time. Advice
	 * only; small arrays are left alone.
	 */
	void nmfc_advise_huge_pages(void *p, size_t size) NMFC_NOEXCEPT;

	/*
	 * ---- building a matrix from triplets ----
	 * Every cell handed to these functions and to nmfc_builder_add holds a
	 * value its caller checked (finite, >= 0: the glue's nmfpg_check_cell) or
	 * read from a validated state image; they check it no more.
	 */

	/*
	 * Sorts t[0..count) by (row, col) in place and sums duplicates, compacting
	 * to *nnz triplets; reports the distinct row and column counts. Fails with
	 * NMFC_INVALID_ARGUMENT when count is 0 and with NMFC_INVALID_DATA when a
	 * sum overflows to infinity.
	 */
	int nmfc_triplets_sort_merge(NmfTriplet *t, int64_t count, int64_t *nnz, int64_t *rows,
	                             int64_t *cols, const NmfcInterrupts *intr,
	                             NmfcError *err) NMFC_NOEXCEPT;

	/*
	 * Sorts t[0..count) by (row, col) in place (nothing to do when it already
	 * is) and sums duplicates, compacting to *nnz triplets. count may be 0.
	 * Fails with NMFC_INVALID_DATA when a sum overflows to infinity.
	 */
	int nmfc_triplets_sort_dedupe(NmfTriplet *t, int64_t count, int64_t *nnz,
	                              const NmfcInterrupts *intr, NmfcError *err) NMFC_NOEXCEPT;

	/*
	 * Merges the nruns runs of t[0..count), run i starting at starts[i]
	 * (starts[0] = 0, ascending), each sorted by (row, col) without
	 * duplicates, into out (room for count triplets): sorted, with the cells
	 * several runs share summed (in run order), *nnz of them. Fails with
	 * NMFC_INVALID_ARGUMENT when a run is not sorted and merged, and with
	 * NMFC_INVALID_DATA when a sum overflows to infinity.
	 */
	int nmfc_triplets_merge_runs(const NmfTriplet *t, int64_t count, const int64_t *starts,
	                             int64_t nruns, NmfTriplet *out, int64_t *nnz,
	                             const NmfcInterrupts *intr, NmfcError *err) NMFC_NOEXCEPT;

	/*
	 * The matrix those runs make, with npacked more runs given as packed
	 * state images (validated by nmfc_state_validate, NMF_STATE_PACKED; read
	 * as they are, not unpacked), without merging them into a copy: *nnz,
	 * *rows and *cols of the image (all -1 when its column ids are too many
	 * and too scattered: then merge, sort_merge and write instead), then
	 * nmfc_runs_write writes it into `flat` of nmfc_matrix_size(rows, cols,
	 * nnz) bytes (every field but the length word). Same failures as
	 * nmfc_triplets_merge_runs; the runs must hold at least one cell.
	 */
	int nmfc_runs_measure(const NmfTriplet *t, int64_t count, const int64_t *starts, int64_t nruns,
	                      const void *const *packed, int64_t npacked, int64_t *nnz, int64_t *rows,
	                      int64_t *cols, const NmfcInterrupts *intr, NmfcError *err) NMFC_NOEXCEPT;
	int nmfc_runs_write(const NmfTriplet *t, int64_t count, const int64_t *starts, int64_t nruns,
	                    const void *const *packed, int64_t npacked, int64_t nnz, int64_t rows,
	                    int64_t cols, void *flat, size_t size, const NmfcInterrupts *intr,
	                    NmfcError *err) NMFC_NOEXCEPT;

	/*
	 * Writes the matrix image of sorted, merged triplets into `flat`, which
	 * has nmfc_matrix_size(rows, cols, nnz) bytes; sets every field but the
	 * length word.
	 */
	int nmfc_matrix_write(const NmfTriplet *t, int64_t nnz, int64_t rows, int64_t cols, void *flat,
	                      size_t size, NmfcError *err) NMFC_NOEXCEPT;

	/* ---- fitting ---- */

	typedef struct NmfcOptions
	{
		int64_t rank;
		int32_t solver;  /* NMF_SOLVER_* */
		int32_t loss;    /* NMF_LOSS_* */
		int32_t init;    /* NMF_INIT_* */
		int32_t missing; /* NMF_MISSING_* */
		int32_t max_iter;
		double tol;
		int64_t seed;
		double max_seconds; /* 0 = none */
		double l1_w, l1_h, l2_w, l2_h;
		double learning_rate; /* solver gd: the fixed step; 0 = adaptive (Armijo) */
		/*
		 * Threads of the iterations, the calling one included (1..64); 0 = the
		 * machine's cores, at most 8. The result does not depend on it.
		 */
		int32_t threads;
		/*
		 * bias = 1 (needs missing 'ignore'): the model is
		 * mu + b_row[i] + b_col[j] + (W H)_ij, the biases fitted with the ridge
		 * l2_bias / 2 (||b_row||^2 + ||b_col||^2).
		 */
		int32_t bias;
		double l2_bias;
		/*
		 * The count-scaled ridge: row i of W adds reg n_i / 2 ||w_i||^2 and
		 * column j of H reg n_j / 2 ||h_j||^2, n the counted cells of the line.
		 * NMF_REG_AUTO: NMF_DEFAULT_REG for missing 'ignore' when no l1/l2 is
		 * given, else 0.
		 */
		double reg;
		/*
		 * Early stopping: holdout (0 = off, else < 0.5) of the stored cells,
		 * chosen by seed, are left out of the fit; the model is the iterate
		 * with the lowest RMSE on them, and the fit stops after `patience`
		 * iterations without a new lowest.
		 */
		double holdout;
		int32_t patience;
		/*
		 * What the glue does with a matrix nothing can be fitted to (NULL, all
		 * zero, or smaller than the rank: nmfc_fit_unfittable): NMF_ON_SMALL_NULL
		 * returns NULL with a WARNING, NMF_ON_SMALL_ERROR raises an error (the
		 * core's validate then refuses an all-zero matrix too).
		 */
		int32_t on_small;
		/*
		 * loss = NMF_LOSS_BETA: the beta of the beta-divergence (0 Itakura-Saito,
		 * 1 KL, 2 half the squared Frobenius norm); NMF_BETA_NONE for the other
		 * losses.
		 */
		double beta;
		/*
		 * feedback = NMF_FEEDBACK_IMPLICIT: V's stored cells are observations
		 * (clicks, plays), not values to reproduce. Hu, Koren & Volinsky's
		 * model: preference 1 on a stored cell and 0 elsewhere, confidence
		 * 1 + alpha v on a stored cell and 1 elsewhere; the fit minimises
		 * sum c (p - W H)^2 + (l2 + reg) (||W||^2 + ||H||^2) (+ 2 l1 sums)
		 * over every cell without forming them. alpha NMF_ALPHA_AUTO:
		 * NMF_DEFAULT_ALPHA when implicit, else 0; reg NMF_REG_AUTO:
		 * NMF_DEFAULT_IMPLICIT_REG when implicit.
		 */
		int32_t feedback;
		double alpha;
		/*
		 * The loss history holds the loss after every loss_every-th iteration
		 * (and the last); the loss is computed only then and where the
		 * stopping rule needs it. 0: 1 where the loss costs nothing beyond the
		 * iteration or a fit keeps its best iterate, else NMF_LOSS_EVERY_COSTLY.
		 */
		int32_t loss_every;
		/*
		 * Solvers hals and mu with absent cells as zeros: updates of a factor
		 * per product with V, at most (solvers.hpp: Gillis & Glineur's rule
		 * also stops them once they move the factor little). 0: the rule's
		 * own cap from the shape; 1: the plain algorithm.
		 */
		int32_t inner_updates;

		/*
		 * Read only while nmfc_fit_create runs. init = NMF_INIT_CUSTOM: W (m x r)
		 * and H (r x n), each row-major, rows of W in the matrix's row order.
		 * init = NMF_INIT_WARM_START: a validated model image of warm_start_size
		 * bytes; its ids are matched with the matrix view's row_ids and col_ids.
		 */
		const double *w_init;
		int64_t w_init_rows, w_init_cols;
		const double *h_init;
		int64_t h_init_rows, h_init_cols;
		const void *warm_start;
		size_t warm_start_size;
	} NmfcOptions;

/* The ridge on the biases when bias is on and l2_bias is not given. */
#define NMF_DEFAULT_L2_BIAS 10.0
/* reg not given: the rule of NmfcOptions.reg decides. */
#define NMF_REG_AUTO (-1.0)
/* The default count-scaled ridge of fits with missing 'ignore' (README: how it was chosen). */
#define NMF_DEFAULT_REG 0.05
/* alpha not given: NMF_DEFAULT_ALPHA for implicit feedback, else 0. */
#define NMF_ALPHA_AUTO (-1.0)
/* The defaults of implicit feedback's alpha and ridge (docs/performance.md: how they were chosen).
 */
#define NMF_DEFAULT_ALPHA 2.0
#define NMF_DEFAULT_IMPLICIT_REG 10.0
/* loss_every's default where the loss takes a pass over the cells (loss 'kl', 'beta'). */
#define NMF_LOSS_EVERY_COSTLY 10
/* The largest inner_updates a caller may give. */
#define NMF_MAX_INNER_UPDATES 1000
/* Early stopping's patience when holdout is given and patience is not. */
#define NMF_DEFAULT_PATIENCE 10

	/* on_small's codes (options.def). */
	enum
	{
		NMF_ON_SMALL_NULL = 0,
		NMF_ON_SMALL_ERROR = 1,
		NMF_ON_SMALL_COUNT
	};

/* solver not given: hals for loss frobenius, mu for the others (nmfc_options_resolve). */
#define NMF_SOLVER_AUTO (-1)
/* loss 'is', a name only: loss beta with beta 0 (nmfc_options_resolve). */
#define NMF_LOSS_IS NMF_LOSS_COUNT
/* beta not given. */
#define NMF_BETA_NONE (-1.0e300)
/* beta's range: beyond it the powers overflow for ordinary data. */
#define NMF_BETA_MAX 10.0

/* Threads of one fit at most (options.def, nmf.threads). */
#define NMF_MAX_THREADS 64

	/* How the glue reads an option's SQL argument (options.def). */
	enum
	{
		NMF_KIND_TEXT,   /* a name; the field holds its code */
		NMF_KIND_INT,    /* int */
		NMF_KIND_BIGINT, /* bigint */
		NMF_KIND_REAL,   /* float8 */
		NMF_KIND_BOOL,   /* boolean; the field holds 0 or 1 */
		NMF_KIND_GLUE    /* read by the glue itself, into several fields or none */
	};

	/* The options by their rows in options.def: nmf()'s arguments from rank on. */
	typedef enum NmfcOption
	{
#define NMF_OPTION(name, ...) NMFC_OPT_##name,
#define NMF_OPTION_GLUE(name, ...) NMFC_OPT_##name,
#include "options.def"
		NMFC_OPT_COUNT
	} NmfcOption;

	typedef struct NmfcOptionInfo
	{
		const char *name;   /* nmf()'s argument */
		int kind;           /* NMF_KIND_* */
		int nullable;       /* its SQL default is NULL: a NULL leaves the core's default */
		const char *hint;   /* the HINT of its range error; "" for none */
		const char *values; /* a text option's accepted names, ", "-joined; else NULL */
	} NmfcOptionInfo;

	/* An option's row; NULL for a number that is none. */
	const NmfcOptionInfo *nmfc_option_info(int option) NMFC_NOEXCEPT;

	/*
	 * A value given for an option, by its kind: checked against the option's
	 * range (NMFC_INVALID_ARGUMENT names it) and stored in its field. A name
	 * for a text option is looked up, its code stored.
	 */
	int nmfc_option_set_int(NmfcOptions *opt, int option, int64_t value,
	                        NmfcError *err) NMFC_NOEXCEPT;
	int nmfc_option_set_real(NmfcOptions *opt, int option, double value,
	                         NmfcError *err) NMFC_NOEXCEPT;
	int nmfc_option_set_name(NmfcOptions *opt, int option, const char *name,
	                         NmfcError *err) NMFC_NOEXCEPT;

	/* Every field its default from options.def, for the given rank. */
	void nmfc_options_default(NmfcOptions *opt, int64_t rank) NMFC_NOEXCEPT;
	/*
	 * The options a fit runs with: solver NMF_SOLVER_AUTO becomes hals for
	 * loss frobenius and mu for the others; loss NMF_LOSS_IS with no beta
	 * becomes loss beta with beta 0. Anything else is left for the checks.
	 */
	void nmfc_options_resolve(NmfcOptions *opt) NMFC_NOEXCEPT;

	/* Option names <-> codes; a code of -1 means the name is unknown. */
	int nmfc_solver_code(const char *name) NMFC_NOEXCEPT;
	int nmfc_loss_code(const char *name) NMFC_NOEXCEPT;
	int nmfc_init_code(const char *name) NMFC_NOEXCEPT;
	int nmfc_missing_code(const char *name) NMFC_NOEXCEPT;
	int nmfc_feedback_code(const char *name) NMFC_NOEXCEPT;
	const char *nmfc_solver_name(int code) NMFC_NOEXCEPT;
	const char *nmfc_loss_name(int code) NMFC_NOEXCEPT;
	const char *nmfc_init_name(int code) NMFC_NOEXCEPT;
	const char *nmfc_missing_name(int code) NMFC_NOEXCEPT;
	const char *nmfc_feedback_name(int code) NMFC_NOEXCEPT;
	/* Comma-separated list of accepted names, for error hints (NmfcOptionInfo.values). */
	const char *nmfc_solver_names(void) NMFC_NOEXCEPT;
	const char *nmfc_loss_names(void) NMFC_NOEXCEPT;
	const char *nmfc_init_names(void) NMFC_NOEXCEPT;
	const char *nmfc_missing_names(void) NMFC_NOEXCEPT;
	const char *nmfc_feedback_names(void) NMFC_NOEXCEPT;

	typedef struct NmfcFit NmfcFit; /* opaque, owned by the core */

	/*
	 * Checks the options against the matrix (rank <= min(rows, cols), ranges,
	 * combinations) without allocating. NMFC_INVALID_ARGUMENT names the option.
	 */
	int nmfc_options_validate(const NmfcMatrixView *x, const NmfcOptions *opt,
	                          NmfcError *err) NMFC_NOEXCEPT;

	/* Why nothing can be fitted to a matrix (nmfc_fit_unfittable). */
	enum
	{
		NMFC_FITTABLE = 0,
		NMFC_UNFIT_RANK = 1, /* rank > min(rows, cols) */
		NMFC_UNFIT_ZERO = 2  /* no stored cell, or every stored cell 0 */
	};

	/*
	 * NMFC_FITTABLE, or why x cannot be fitted at opt->rank: the conditions
	 * that on_small => 'null' turns into a NULL result (the glue adds a NULL
	 * matrix). O(nnz) at most; checks nothing else.
	 */
	int nmfc_fit_unfittable(const NmfcMatrixView *x, const NmfcOptions *opt) NMFC_NOEXCEPT;

	/* Bytes the core will allocate for a fit, for the memory limit check. */
	int64_t nmfc_fit_memory(const NmfcMatrixView *x, const NmfcOptions *opt) NMFC_NOEXCEPT;

	/*
	 * Validates the options, allocates the factors and initialises them. The
	 * matrix arrays must stay valid until nmfc_fit_free. On failure *out is
	 * NULL.
	 */
	int nmfc_fit_create(const NmfcMatrixView *x, const NmfcOptions *opt, const NmfcInterrupts *intr,
	                    NmfcFit **out, NmfcError *err) NMFC_NOEXCEPT;

	/*
	 * One iteration (H then W, as in the paper) and the loss after it. Sets
	 * *done when the fit has converged or reached max_iter or max_seconds;
	 * then further calls do nothing.
	 */
	int nmfc_fit_step(NmfcFit *fit, int *done, NmfcError *err) NMFC_NOEXCEPT;

	typedef struct NmfcSummary
	{
		int32_t iterations;
		int32_t converged;
		double loss;
		double relative_error;
		double seconds;
		double x_norm_sq;
		int64_t history_len;
		int32_t loss_every;     /* the history's cadence (nmf_loss_history's iterations) */
		double reg;             /* the count-scaled ridge the fit used */
		int32_t diverged;       /* 1: stopped on the weight bound, the last good iterate kept */
		int32_t early_stopped;  /* 1: stopped on the held-out cells, the best iterate kept */
		int32_t best_iteration; /* the iteration the model holds */
		double holdout_rmse;    /* RMSE on the held-out cells, or NaN without holdout */
		double max_product;     /* max over factors of max(W_k) max(H_k) */
		double weight_bound;    /* the bound max_product may not pass, or 0 when not checked */
		/* A ridge chosen from the data: the chosen ridge's RMSE on the pilots'
		 * held-out cells, and (a plain Frobenius fit only) the baseline
		 * mu + b_row + b_col's on the same cells; NaN when not measured. */
		double pilot_rmse;
		double baseline_rmse;
	} NmfcSummary;

	void nmfc_fit_summary(const NmfcFit *fit, NmfcSummary *out) NMFC_NOEXCEPT;

	/*
	 * Normalises (W's columns sum to 1, H compensates), orders factors by
	 * decreasing weight and writes the model image, ids copied from the
	 * training matrix, into `flat` of nmfc_model_size(...) bytes.
	 */
	int nmfc_fit_write_model(NmfcFit *fit, const int64_t *row_ids, const int64_t *col_ids,
	                         void *flat, size_t size, NmfcError *err) NMFC_NOEXCEPT;

	void nmfc_fit_free(NmfcFit *fit) NMFC_NOEXCEPT;

	/* ---- tuning (tune.cpp, door_tune.cpp) ---- */

	typedef struct NmfcTune NmfcTune; /* opaque, owned by the core */

	/*
	 * nmf_tune's search over ranks x regs by `folds`-fold cross-validation of
	 * x's stored cells, each fit with base's other options; stops starting
	 * fits after max_seconds (0: no budget); then the final model on every
	 * cell, the average of `ensemble` fits of the best candidate (fewer when
	 * ensemble x rank would pass min(rows, cols)). x needs its ids. *out is
	 * NULL on failure.
	 */
	int nmfc_tune_run(const NmfcMatrixView *x, const NmfcOptions *base, const int64_t *ranks,
	                  int32_t nranks, const double *regs, int32_t nregs, int32_t folds,
	                  double max_seconds, int32_t ensemble, const NmfcInterrupts *intr,
	                  NmfcTune **out, NmfcError *err) NMFC_NOEXCEPT;
	/* The best candidate scored on every fold (rank 0: none), the rows, whether time ran out,
	 * and how many fits (seeds base.seed, base.seed + 1, ...) the final model averages. */
	void nmfc_tune_best(const NmfcTune *t, int64_t *rank, double *reg, double *cv_rmse,
	                    int64_t *rows, int *budget_hit, int32_t *members) NMFC_NOEXCEPT;
	/* Bytes of the final model (the search's table included); -1 without a search. */
	int64_t nmfc_tune_model_size(const NmfcTune *t) NMFC_NOEXCEPT;
	/* The final model into out (nmfc_tune_model_size bytes), all but its length word. */
	int nmfc_tune_model_copy(const NmfcTune *t, void *out, size_t out_size,
	                         NmfcError *err) NMFC_NOEXCEPT;
	void nmfc_tune_free(NmfcTune *t) NMFC_NOEXCEPT;

#ifdef __cplusplus
}
#endif

/* The rest of the door, by what it serves. */
#include "nmf_api_apply.h"
#include "nmf_api_distributed.h"

#endif /* NMF_API_H */
