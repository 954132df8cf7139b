/* SPDX-License-Identifier: PostgreSQL */
/*
 * A core handle (a fit, a search) owned by the current memory context: the
 * context's reset callback frees it, so an ERROR or a cancel anywhere in
 * between releases it, and the glue never holds it across a longjmp itself.
 */
#include "postgres.h"

#include "nmfpg.h"

static void
holder_callback(void *arg)
{
	nmfpg_holder_release((NmfpgHolder *)arg);
}

NmfpgHolder *
nmfpg_holder(void (*release)(void *handle))
{
	NmfpgHolder *h = palloc0(sizeof(NmfpgHolder));

	h->release = release;
	h->callback.func = holder_callback;
	h->callback.arg = h;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &h->callback);
	return h;
}

void
nmfpg_holder_release(NmfpgHolder *h)
{
	if (h->handle)
	{
		void *handle = h->handle;

		h->handle = NULL;
		h->release(handle);
	}
}
