// SPDX-License-Identifier: PostgreSQL
// The door of the nmf_model value: validation, sizes, format upgrades and the
// view the apply functions read (src/pg/model_io.c, image.c).
#include "door_guard.hpp"
#include "find_id.hpp"
#include "format.hpp"

using nmf::door::guarded;

extern "C"
{

	int
	nmfc_model_validate(const void *flat, size_t size, NmfcError *err) noexcept
	{
		return guarded(err, [&] { nmf::validate_model_any(flat, size); });
	}

	int
	nmfc_model_version(const void *flat, size_t size) noexcept
	{
		return flat == nullptr ? -1 : nmf::model_version(flat, size);
	}

	int
	nmfc_model_upgrade(const void *flat, size_t size, void *out, size_t out_size,
	                   NmfcError *err) noexcept
	{
		return guarded(err, [&] { nmf::upgrade_model(flat, size, out, out_size); });
	}

	int64_t
	nmfc_model_upgrade_growth(int version) noexcept
	{
		return nmf::model_upgrade_growth(version);
	}

	int64_t
	nmfc_model_size(int64_t rows, int64_t cols, int64_t rank, int64_t history_len) noexcept
	{
		return nmf::model_size(rows, cols, rank, history_len);
	}

	int64_t
	nmfc_model_size_bias(int64_t rows, int64_t cols, int64_t rank, int64_t history_len,
	                     int bias) noexcept
	{
		return nmf::model_size(rows, cols, rank, history_len, bias != 0);
	}

	int64_t
	nmfc_model_image_size(const NmfModelFlat *m) noexcept
	{
		if (m == nullptr || (m->bias != 0 && m->bias != 1))
			return -1;
		const int64_t size =
		    nmf::model_size(m->rows, m->cols, m->rank, m->history_len, m->bias != 0, m->tune_len);
		return size < 0 ? -1 : size + m->keys_bytes;
	}

	NmfcModelView
	nmfc_model_view(const NmfModelFlat *m) noexcept
	{
		NmfcModelView v{};
		if (m == nullptr)
			return v;
		v.rows = m->rows;
		v.cols = m->cols;
		v.rank = m->rank;
		v.row_ids = nmf_model_row_ids(m);
		v.col_ids = nmf_model_col_ids(m);
		v.w = nmf_model_w(m);
		v.h = nmf_model_h(m);
		v.missing = m->missing;
		if (m->bias)
		{
			v.bias = 1;
			v.mu = m->mu;
			v.l2_bias = m->l2_bias;
			v.b_row = nmf_model_b_row(m);
			v.b_col = nmf_model_b_col(m);
		}
		if (m->v_min < m->v_max)
		{
			v.clip = 1;
			v.clip_min = m->v_min;
			v.clip_max = m->v_max;
		}
		v.feedback = m->feedback;
		v.alpha = m->alpha;
		return v;
	}

	int64_t
	nmfc_find_id(const int64_t *ids, int64_t n, int64_t id) noexcept
	{
		return ids == nullptr ? -1 : nmf::find_id(ids, n, id);
	}

} // extern "C"
