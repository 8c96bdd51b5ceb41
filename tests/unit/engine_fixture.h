/* SPDX-License-Identifier: BSD-3-Clause */
/* An IKE engine that sends nowhere, for tests of the core's records. */
#ifndef ESPGATE_TEST_ENGINE_FIXTURE_H
#define ESPGATE_TEST_ENGINE_FIXTURE_H

#include <criterion/criterion.h>

#include "ike.h"

static inline void fx_no_send(void *ctx, const struct ike_endpoint *l,
			      const struct ike_endpoint *r, const uint8_t *b, size_t n)
{
	(void)ctx, (void)l, (void)r, (void)b, (void)n;
}

static inline struct ike_engine *engine(void)
{
	struct ike_events ev = { .ev_send = fx_no_send };
	struct ike_engine *e = ike_engine_new(&ev);

	cr_assert_not_null(e);
	return e;
}

#endif
