/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sequence number blocks for shared outbound SAs (seq_block.h).
 *
 * st_seq is the last number reserved. One __atomic_fetch_add per block
 * makes blocks of concurrent workers disjoint. Past the limit the counter
 * goes on counting (a 64-bit counter does not wrap from 2^32: without
 * ESN every later block is empty); with ESN it would wrap only after
 * 2^64 packets, which no SA lives to send.
 */
#include <stdbool.h>

#include "seq_block.h"

unsigned esp_seq_reserve(struct esp_sa *sa, unsigned n, uint64_t *first)
{
	uint64_t last_ok = sa->sa_esn ? UINT64_MAX : UINT32_MAX;
	uint64_t before = __atomic_fetch_add(&sa->sa_st.st_seq, n, __ATOMIC_RELAXED);

	*first = before + 1;
	if (before >= last_ok)
		return 0;
	return last_ok - before < n ? (unsigned)(last_ok - before) : n;
}

/* The packets at i and after with sa[i]'s SA and no number yet, up to
 * ESP_SEQ_BLOCK of them, get the numbers of one reservation. */
static bool is_done(uint64_t done, unsigned j)
{
	return done >> j & 1;
}

static void assign_block(struct esp_sa *const *sa, unsigned n, uint64_t *seq,
			 uint64_t *done, unsigned i)
{
	unsigned want = 0, got, k = 0;
	uint64_t first;

	for (unsigned j = i; j < n && want < ESP_SEQ_BLOCK; j++)
		want += sa[j] == sa[i] && !is_done(*done, j);
	got = esp_seq_reserve(sa[i], want, &first);
	for (unsigned j = i; j < n && k < want; j++) {
		if (sa[j] != sa[i] || is_done(*done, j))
			continue;
		seq[j] = k < got ? first + k : 0;
		*done |= UINT64_C(1) << j;
		k++;
	}
}

void esp_seq_assign_burst(struct esp_sa *const *sa, unsigned n, uint64_t *seq)
{
	uint64_t done = 0; /* bit j: packet j has its number */

	for (unsigned i = 0; i < n && i < ESP_SEQ_BURST_MAX; i++)
		if (!is_done(done, i) && esp_sa_shared(sa[i]))
			assign_block(sa, n < ESP_SEQ_BURST_MAX ? n : ESP_SEQ_BURST_MAX, seq,
				     &done, i);
}
