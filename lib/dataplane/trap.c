/* SPDX-License-Identifier: BSD-3-Clause */
#include "trap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_rcu_qsbr.h>

#include "dp.h"

struct dp_trap_table {
	unsigned tt_n;
	struct dp_trap tt_trap[];
};

int dp_traps_set(struct dp *dp, const struct dp_trap *t, unsigned n)
{
	struct dp_trap_table *fresh = NULL, *old;

	if (n > DP_MAX_TRAPS)
		return -ENOSPC;
	if (n) {
		fresh = malloc(sizeof(*fresh) + n * sizeof(fresh->tt_trap[0]));
		if (!fresh)
			return -ENOMEM;
		fresh->tt_n = n;
		memcpy(fresh->tt_trap, t, n * sizeof(*t));
	}
	old = __atomic_exchange_n(&dp->traps, fresh, __ATOMIC_ACQ_REL);
	if (old) {
		if (dp->qs)
			rte_rcu_qsbr_synchronize(dp->qs, RTE_QSBR_THRID_INVALID);
		free(old);
	}
	return 0;
}

void dp_traps_free(struct dp *dp)
{
	free(dp->traps);
	dp->traps = NULL;
}

const struct dp_trap *dp_trap_match(const struct dp *dp, uint8_t family,
				    const uint8_t *src, const uint8_t *dst,
				    uint8_t proto, uint16_t sport, uint16_t dport)
{
	const struct dp_trap_table *tt = __atomic_load_n(&dp->traps, __ATOMIC_ACQUIRE);

	for (unsigned i = 0; tt && i < tt->tt_n; i++)
		if (esp_ts_match(&tt->tt_trap[i].t_ts, family, src, dst, proto, sport, dport))
			return &tt->tt_trap[i];
	return NULL;
}
