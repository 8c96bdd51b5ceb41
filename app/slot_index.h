/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_SLOT_INDEX_H
#define ESPGATE_SLOT_INDEX_H

#include <stdbool.h>
#include <stdint.h>

/* Slots 0..cap-1 of a caller's array: the free ones on a stack, the used
 * ones chained by a 32-bit key in a hash (an SA's id, an inbound SPI), so
 * the control lcore finds one of 10 000s of SAs without a scan. */
#define SLOT_NONE UINT32_MAX

struct slot_index {
	uint32_t si_cap, si_n_free, si_mask;
	uint32_t *si_free;   /* stack of free slots */
	uint32_t *si_head;   /* bucket -> first slot (SLOT_NONE) */
	uint32_t *si_next;   /* slot -> next in its bucket */
	uint32_t *si_key;    /* slot -> its key */
};

int slot_index_init(struct slot_index *x, uint32_t cap);
void slot_index_fini(struct slot_index *x);
/* A free slot, keyed and chained; SLOT_NONE when all are used. */
uint32_t slot_take(struct slot_index *x, uint32_t key);
void slot_give_back(struct slot_index *x, uint32_t slot);
/* The first used slot of key, then the next of the same key after slot. */
uint32_t slot_first(const struct slot_index *x, uint32_t key);
uint32_t slot_next(const struct slot_index *x, uint32_t slot);

#endif
