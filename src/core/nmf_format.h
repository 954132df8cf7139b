/* SPDX-License-Identifier: PostgreSQL */
/*
 * Byte layouts of the nmf_matrix, nmf_matrix_state and nmf_model values.
 *
 * Each value is a varlena: a 4-byte length word, then the fields below. The
 * structs include that word so every 8-byte field and array is 8-aligned when
 * the value itself is (server allocations, detoasted datums). The first bytes after the
 * length word are a magic number and a format version: readers reject any
 * other version, and every reserved field must be 0.
 *
 * Byte order is little-endian (checked at compile time in format.cpp), so the
 * binary send form is the value's bytes after the length word, as is the
 * bytea cast and the base64 text form.
 *
 * Plain C: shared by the C++ core (which validates and writes these images)
 * and the PostgreSQL glue (which reads validated images in place).
 */
#ifndef NMF_FORMAT_H
#define NMF_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C"
{
#endif

#define NMF_FORMAT_VERSION 1 /* nmf_matrix and nmf_matrix_state */

/*
 * nmf_model's version. Each version appended fields to the header of the one
 * before (version 2 inserted learning_rate before the fit summary instead):
 * NMF_MODEL_Vk_HEADER is version k's header size. Versions 1 and 2 have the
 * arrays of a model without biases. Readers accept every earlier version and
 * upgrade it in memory with the fields it lacks 0 (nmfc_model_upgrade).
 */
#define NMF_MODEL_VERSION 5
#define NMF_MODEL_V1_HEADER 176
#define NMF_MODEL_V2_HEADER 184
#define NMF_MODEL_V3_HEADER 208
#define NMF_MODEL_V4_HEADER 264

#define NMF_MATRIX_MAGIC 0x584d4d4eu /* "NMMX" */
#define NMF_STATE_MAGIC 0x54534d4eu  /* "NMST" */
#define NMF_MODEL_MAGIC 0x4c444d4eu  /* "NMDL" */

/* Hard limits that keep every size computation far from int64 overflow. */
#define NMF_MAX_DIM ((int64_t)1 << 40)
#define NMF_MAX_RANK 10000

	/*
	 * nmf_matrix: a sparse matrix in CSR form with the user's ids.
	 * Follows the header, each array starting 8-aligned:
	 *   int64  row_ids[rows]     strictly ascending: dense row i has id row_ids[i]
	 *   int64  col_ids[cols]     strictly ascending
	 *   int64  row_ptr[rows + 1] row_ptr[0] = 0, non-decreasing, row_ptr[rows] = nnz
	 *   int32  col_idx[nnz]      in [0, cols), strictly ascending within a row;
	 *                            zero-padded to a multiple of 8 bytes
	 *   double values[nnz]       finite and >= 0 (stored zeros are observed cells)
	 * With flags NMF_MATRIX_DENSE, a matrix that stores every cell (nnz = rows
	 * cols) has no row_ptr and col_idx: its values follow col_ids, row by row,
	 * the same array the CSR form would hold (8 bytes a cell instead of 12).
	 */
#define NMF_MATRIX_DENSE 0x0001
	typedef struct NmfMatrixFlat
	{
		int32_t vl_len_;
		uint32_t magic;
		uint16_t version;
		uint16_t flags;      /* 0 or NMF_MATRIX_DENSE */
		uint32_t keys_bytes; /* the key table's size at the image's end; 0: none */
		int64_t rows;        /* >= 1 */
		int64_t cols;        /* >= 1 */
		int64_t nnz;         /* >= 0 */
	} NmfMatrixFlat;

	/*
	 * nmf_matrix_state: the aggregate's partial state, triplets as they
	 * arrived (duplicates not yet summed), or with flags NMF_STATE_SORTED
	 * sorted by (row, col) with duplicates summed, as a parallel worker ships
	 * it. Follows the header:
	 *   NmfTriplet triplets[count]  values finite and >= 0; when sorted,
	 *                               (row, col) strictly ascending
	 */
#define NMF_STATE_SORTED 0x0001
	/*
	 * With NMF_STATE_SORTED, NMF_STATE_PACKED says the sorted cells (count >=
	 * 1) are stored in about 12 bytes each instead of 24 (what a worker ships
	 * when its column ids span less than 2^32). Follows the header:
	 *   NmfStatePacked header2
	 *   int64  row_ids[nrows]   strictly ascending
	 *   int64  row_ends[nrows]  strictly ascending, the last = count: row i
	 *                           has the cells [row_ends[i - 1], row_ends[i])
	 *   uint32 col_off[count]   column id - col_base, strictly ascending within
	 *                           a row; zero-padded to a multiple of 8 bytes
	 *   double values[count]    finite and >= 0
	 * No other flag may be set.
	 */
#define NMF_STATE_PACKED 0x0002
/* col_base + any uint32 offset must stay an int64 */
#define NMF_STATE_MAX_COL_BASE (INT64_MAX - (int64_t)UINT32_MAX)

	typedef struct NmfStateFlat
	{
		int32_t vl_len_;
		uint32_t magic;
		uint16_t version;
		uint16_t flags;      /* 0 or NMF_STATE_SORTED */
		uint32_t keys_bytes; /* the key table's size at the image's end; 0: none */
		int64_t count;       /* >= 0 */
	} NmfStateFlat;

	typedef struct NmfStatePacked
	{
		int64_t nrows;    /* 1 .. count */
		int64_t col_base; /* <= NMF_STATE_MAX_COL_BASE */
	} NmfStatePacked;

	typedef struct NmfTriplet
	{
		int64_t row;
		int64_t col;
		double value;
	} NmfTriplet;

	/*
	 * The key table. Row and column keys of type text or uuid become ids by a
	 * 64-bit hash (the glue's, so the same key has the same id in every
	 * matrix and model); an image whose keys_bytes is not 0 ends with this
	 * table, which gives each such id its key back. It starts 8-aligned at
	 * the image's size - keys_bytes:
	 *   NmfKeysFlat header
	 *   then for the rows, then the columns (count n, 0 for a side of kind
	 *   NMF_KEY_ID, at least 1 otherwise):
	 *   int64  ids[n]     strictly ascending; in a matrix or a model, its
	 *                     row_ids (col_ids) exactly
	 *   int64  ends[n]    key i is data[ends[i - 1], ends[i]), ends[-1] = 0;
	 *                     non-decreasing; a uuid key is 16 bytes
	 *   uint8  data[]     the keys' bytes (text without its length word),
	 *                     zero-padded to a multiple of 8 bytes
	 * At least one side has a kind other than NMF_KEY_ID.
	 */
#define NMF_KEYS_MAGIC 0x594b4d4eu /* "NMKY" */
	enum
	{
		NMF_KEY_ID = 0,   /* bigint (or integer) keys: the ids themselves */
		NMF_KEY_TEXT = 1, /* text keys, in the database's encoding */
		NMF_KEY_UUID = 2, /* uuid keys, 16 bytes each */
		NMF_KEY_COUNT
	};
#define NMF_UUID_BYTES 16

	typedef struct NmfKeysFlat
	{
		uint32_t magic;
		uint8_t row_kind; /* NMF_KEY_* */
		uint8_t col_kind;
		uint16_t reserved; /* 0 */
		int64_t row_count;
		int64_t col_count;
	} NmfKeysFlat;

	/* Option codes stored in a model; names in nmf_api.h. */
	enum
	{
		NMF_SOLVER_MU = 0,
		NMF_SOLVER_HALS = 1,
		NMF_SOLVER_GD = 2,
		NMF_SOLVER_COUNT
	};
	enum
	{
		NMF_LOSS_FROBENIUS = 0,
		NMF_LOSS_KL = 1,
		NMF_LOSS_BETA = 2, /* the beta-divergence of the model's beta */
		NMF_LOSS_COUNT
	};
	enum
	{
		NMF_INIT_RANDOM = 0,
		NMF_INIT_NNDSVD = 1,
		NMF_INIT_NNDSVDA = 2,
		NMF_INIT_NNDSVDAR = 3,
		NMF_INIT_CUSTOM = 4,     /* w_init and h_init given */
		NMF_INIT_WARM_START = 5, /* a previous model given */
		NMF_INIT_COUNT
	};
	enum
	{
		NMF_FEEDBACK_EXPLICIT = 0, /* V's values are fitted */
		NMF_FEEDBACK_IMPLICIT = 1, /* preferences and confidences (Hu, Koren & Volinsky) */
		NMF_FEEDBACK_COUNT
	};
	enum
	{
		NMF_MISSING_ZERO = 0,
		NMF_MISSING_IGNORE = 1,
		NMF_MISSING_COUNT
	};

	/*
	 * nmf_model: V (rows x cols) ~ W (rows x rank) . H (rank x cols).
	 * Follows the header, each array 8-aligned:
	 *   int64  row_ids[rows]            strictly ascending
	 *   int64  col_ids[cols]            strictly ascending
	 *   double w[rows * rank]           row i's rank weights contiguous; finite, >= 0
	 *   double h[cols * rank]           column j's rank weights contiguous; finite, >= 0
	 *   double history_loss[history_len]     loss after each recorded iteration
	 *   double history_seconds[history_len]  solver seconds at that point, non-decreasing
	 *   only when bias = 1:
	 *   double b_row[rows]              row biases, finite
	 *   double b_col[cols]              column biases, finite
	 *   double tune[tune_len * NMF_TUNE_FIELDS]  nmf_tune's search, a row per
	 *                                   (rank, reg, fold): see NMF_TUNE_*
	 * A biased model predicts mu + b_row[i] + b_col[j] + (W H)_ij.
	 * W's columns sum to 1 (or are all zero) and factors are ordered by
	 * decreasing weight (the sum of H's row).
	 */
	typedef struct NmfModelFlat
	{
		int32_t vl_len_;
		uint32_t magic;
		uint16_t version;
		uint16_t flags;      /* reserved, 0 */
		uint32_t keys_bytes; /* the key table's size at the image's end; 0: none */
		int64_t rows;        /* >= rank */
		int64_t cols;        /* >= rank */
		int64_t rank;        /* 1 .. NMF_MAX_RANK */
		int64_t nnz;         /* stored cells of the training matrix, >= 0 */
		/* options the model was fitted with */
		int32_t solver;
		int32_t loss;
		int32_t init;
		int32_t missing;
		int32_t max_iter; /* >= 1 */
		int32_t reserved2;
		double tol; /* finite, >= 0 */
		int64_t seed;
		double max_seconds; /* finite, >= 0; 0 = no limit */
		double l1_w;        /* finite, >= 0 */
		double l1_h;
		double l2_w;
		double l2_h;
		double learning_rate; /* finite, >= 0; solver gd's fixed step, 0 = adaptive */
		/* fit summary */
		int32_t iterations; /* 0 .. max_iter */
		int32_t converged;  /* 0 or 1 */
		double final_loss;  /* finite, >= 0 */
		double relative_error;
		double seconds;
		double x_norm_sq;    /* squared Frobenius norm of the counted cells */
		int64_t history_len; /* 0 .. iterations */
		/* version 3: the biases (all 0 when bias = 0) */
		double l2_bias;    /* finite, >= 0: the ridge on b_row and b_col */
		double mu;         /* finite: the global offset */
		int32_t bias;      /* 0 or 1: b_row and b_col follow the history */
		int32_t reserved3; /* 0 */
		/* version 4 */
		double reg;             /* finite, >= 0: the count-scaled ridge */
		double v_min;           /* the range of the training values; predictions are */
		double v_max;           /* clipped to it when v_min < v_max (missing 'ignore') */
		double holdout;         /* 0 <= holdout < 0.5: cells left out for early stopping */
		double holdout_rmse;    /* finite, >= 0; 0 without holdout */
		int32_t stop;           /* NMF_STOP_* */
		int32_t best_iteration; /* 0 .. iterations: the iterate the model holds */
		int64_t tune_len;       /* rows of the tuning table, >= 0 */
		/* version 5 */
		double beta;           /* the beta of a beta-divergence loss; 0 for the others */
		int32_t updates;       /* nmf_update calls since the last full fit, >= 0 */
		int32_t loss_every;    /* history_loss[k]: after iteration min((k + 1) loss_every,
		                          iterations); 0 (versions before 5) is 1 */
		int64_t update_cells;  /* cells those updates took in, >= 0 (0 when updates = 0) */
		int32_t feedback;      /* NMF_FEEDBACK_* */
		int32_t inner_updates; /* the option as given, 0 .. NMF_MAX_INNER_UPDATES (0: the rule) */
		double alpha;          /* implicit: confidence 1 + alpha x of a stored cell; 0 explicit */
	} NmfModelFlat;

	/* Why a fit ended, beyond converged and max_iter/max_seconds. */
	enum
	{
		NMF_STOP_NORMAL = 0,   /* converged, or max_iter or max_seconds reached */
		NMF_STOP_DIVERGED = 1, /* weights passed the bound: the last good iterate kept */
		NMF_STOP_EARLY = 2,    /* held-out error stopped falling: the best iterate kept */
		NMF_STOP_COUNT
	};

	/* A row of the tuning table: NMF_TUNE_FIELDS doubles in this order. */
	enum
	{
		NMF_TUNE_RANK = 0,
		NMF_TUNE_REG,
		NMF_TUNE_FOLD, /* 1 .. folds; 0 for the final fit on every cell */
		NMF_TUNE_TRAIN_RMSE,
		NMF_TUNE_TEST_RMSE, /* 0 for the final fit */
		NMF_TUNE_SECONDS,
		NMF_TUNE_FIELDS
	};

	/* Bytes of padding that round n up to a multiple of 8. */
	static inline int64_t
	nmf_pad8(int64_t n)
	{
		return (n + 7) & ~(int64_t)7;
	}

/*
 * The accessor fn of an image's array of T that starts at `start`, an
 * expression in the image x (after the header, or where the array before it
 * ends). Valid only for an image already validated.
 */
#define NMF_IMAGE_ARRAY(fn, Image, T, start)                                                       \
	static inline const T *fn(const Image *x)                                                      \
	{                                                                                              \
		return (const T *)(const void *)(start);                                                   \
	}

	/* The values after n 4-byte column entries at idx, padded to 8 bytes. */
	static inline const double *
	nmf_values_after(const void *idx, int64_t n)
	{
		return (const double *)(const void *)((const char *)idx + nmf_pad8(n * 4));
	}

	/* clang-format off */
	NMF_IMAGE_ARRAY(nmf_matrix_row_ids, NmfMatrixFlat, int64_t, x + 1)
	NMF_IMAGE_ARRAY(nmf_matrix_col_ids, NmfMatrixFlat, int64_t, nmf_matrix_row_ids(x) + x->rows)
	NMF_IMAGE_ARRAY(nmf_matrix_row_ptr, NmfMatrixFlat, int64_t, nmf_matrix_col_ids(x) + x->cols)
	NMF_IMAGE_ARRAY(nmf_matrix_col_idx, NmfMatrixFlat, int32_t, nmf_matrix_row_ptr(x) + x->rows + 1)
	/* clang-format on */

	/* Values of either form; row_ptr and col_idx exist only without NMF_MATRIX_DENSE. */
	static inline const double *
	nmf_matrix_values(const NmfMatrixFlat *x)
	{
		if (x->flags & NMF_MATRIX_DENSE)
			return (const double *)(const void *)(nmf_matrix_col_ids(x) + x->cols);
		return nmf_values_after(nmf_matrix_col_idx(x), x->nnz);
	}

	/* clang-format off */

	NMF_IMAGE_ARRAY(nmf_state_triplets, NmfStateFlat, NmfTriplet, x + 1)
	/* A packed state's arrays. */
	NMF_IMAGE_ARRAY(nmf_state_packed, NmfStateFlat, NmfStatePacked, x + 1)
	NMF_IMAGE_ARRAY(nmf_packed_row_ids, NmfStateFlat, int64_t, nmf_state_packed(x) + 1)
	NMF_IMAGE_ARRAY(nmf_packed_row_ends, NmfStateFlat, int64_t, nmf_packed_row_ids(x) + nmf_state_packed(x)->nrows)
	NMF_IMAGE_ARRAY(nmf_packed_col_off, NmfStateFlat, uint32_t, nmf_packed_row_ends(x) + nmf_state_packed(x)->nrows)
	NMF_IMAGE_ARRAY(nmf_packed_values, NmfStateFlat, double, nmf_values_after(nmf_packed_col_off(x), x->count))

	NMF_IMAGE_ARRAY(nmf_model_row_ids, NmfModelFlat, int64_t, x + 1)
	NMF_IMAGE_ARRAY(nmf_model_col_ids, NmfModelFlat, int64_t, nmf_model_row_ids(x) + x->rows)
	NMF_IMAGE_ARRAY(nmf_model_w, NmfModelFlat, double, nmf_model_col_ids(x) + x->cols)
	NMF_IMAGE_ARRAY(nmf_model_h, NmfModelFlat, double, nmf_model_w(x) + x->rows * x->rank)
	NMF_IMAGE_ARRAY(nmf_model_history_loss, NmfModelFlat, double, nmf_model_h(x) + x->cols * x->rank)
	NMF_IMAGE_ARRAY(nmf_model_history_seconds, NmfModelFlat, double, nmf_model_history_loss(x) + x->history_len)
	/* Only when x->bias is 1. */
	NMF_IMAGE_ARRAY(nmf_model_b_row, NmfModelFlat, double, nmf_model_history_seconds(x) + x->history_len)
	NMF_IMAGE_ARRAY(nmf_model_b_col, NmfModelFlat, double, nmf_model_b_row(x) + x->rows)
	NMF_IMAGE_ARRAY(nmf_model_tune, NmfModelFlat, double, nmf_model_b_row(x) + (x->bias ? x->rows + x->cols : 0))
	/* clang-format on */

#undef NMF_IMAGE_ARRAY

#ifdef __cplusplus
}
#endif

#endif /* NMF_FORMAT_H */
