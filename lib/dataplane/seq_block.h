/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_SEQ_BLOCK_H
#define ESPGATE_SEQ_BLOCK_H

/*
 * Outbound sequence numbers of a shared SA (sa_owner ESP_OWNER_ANY),
 * which any worker encrypts for: each worker reserves a block for the
 * packets of its burst with one atomic add on the SA's counter, so no
 * number is used twice and none is skipped by more than a block (what a
 * worker reserved and then dropped before sending).
 */

#include <stdbool.h>
#include <stdint.h>

#include "sa.h"

/* The most numbers one reservation takes. */
#define ESP_SEQ_BLOCK 32u

/* Reserves n (1..ESP_SEQ_BLOCK) numbers: *first is the first of them.
 * Returns how many may be used: fewer than n, or 0, where the block
 * passes the last number (2^32 - 1, or 2^64 - 1 with ESN: RFC 4303
 * §3.3.3, the SA is never cycled). */
unsigned esp_seq_reserve(struct esp_sa *sa, unsigned n, uint64_t *first);

/* The most packets esp_seq_assign_burst takes. */
#define ESP_SEQ_BURST_MAX 64u

/* The numbers of a burst's packets of shared SAs: seq[i] for sa[i]
 * shared (0 when the SA ran out: the packet is dropped as
 * seq_overflow), one reservation per SA per ESP_SEQ_BLOCK packets;
 * seq[i] is left alone for the others, whose owner numbers them. */
void esp_seq_assign_burst(struct esp_sa *const *sa, unsigned n, uint64_t *seq);

/* Whether the SA is shared: any worker handles its packets. */
static inline bool esp_sa_shared(const struct esp_sa *sa)
{
	return sa->sa_owner == ESP_OWNER_ANY;
}

#endif
