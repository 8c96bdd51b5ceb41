/* SPDX-License-Identifier: BSD-3-Clause */
#include "slot_index.h"

#include <errno.h>
#include <stdlib.h>

static uint32_t bucket_of(const struct slot_index *x, uint32_t key)
{
	return (key * 2654435761u) & x->si_mask; /* Knuth's multiplicative hash */
}

int slot_index_init(struct slot_index *x, uint32_t cap)
{
	uint32_t buckets = 1;

	while (buckets < cap)
		buckets <<= 1;
	*x = (struct slot_index){ .si_cap = cap, .si_n_free = cap, .si_mask = buckets - 1 };
	x->si_free = calloc(cap, sizeof(*x->si_free));
	x->si_head = calloc(buckets, sizeof(*x->si_head));
	x->si_next = calloc(cap, sizeof(*x->si_next));
	x->si_key = calloc(cap, sizeof(*x->si_key));
	if (!x->si_free || !x->si_head || !x->si_next || !x->si_key) {
		slot_index_fini(x);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < cap; i++)
		x->si_free[i] = cap - 1 - i; /* slot 0 first */
	for (uint32_t b = 0; b < buckets; b++)
		x->si_head[b] = SLOT_NONE;
	return 0;
}

void slot_index_fini(struct slot_index *x)
{
	free(x->si_free);
	free(x->si_head);
	free(x->si_next);
	free(x->si_key);
	*x = (struct slot_index){ 0 };
}

uint32_t slot_take(struct slot_index *x, uint32_t key)
{
	uint32_t s, b;

	if (!x->si_n_free)
		return SLOT_NONE;
	s = x->si_free[--x->si_n_free];
	b = bucket_of(x, key);
	x->si_key[s] = key;
	x->si_next[s] = x->si_head[b];
	x->si_head[b] = s;
	return s;
}

void slot_give_back(struct slot_index *x, uint32_t slot)
{
	uint32_t *p = &x->si_head[bucket_of(x, x->si_key[slot])];

	while (*p != SLOT_NONE && *p != slot)
		p = &x->si_next[*p];
	if (*p != slot)
		return; /* not in use */
	*p = x->si_next[slot];
	x->si_free[x->si_n_free++] = slot;
}

static uint32_t same_key_from(const struct slot_index *x, uint32_t s, uint32_t key)
{
	while (s != SLOT_NONE && x->si_key[s] != key)
		s = x->si_next[s];
	return s;
}

uint32_t slot_first(const struct slot_index *x, uint32_t key)
{
	return same_key_from(x, x->si_head[bucket_of(x, key)], key);
}

uint32_t slot_next(const struct slot_index *x, uint32_t slot)
{
	return same_key_from(x, x->si_next[slot], x->si_key[slot]);
}
