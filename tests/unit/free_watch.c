/* SPDX-License-Identifier: BSD-3-Clause */
#include "free_watch.h"

#include <malloc.h>
#include <string.h>

#define SEEN_MAX 4096

void __real_free(void *p);
void __wrap_free(void *p);

static uint8_t pattern[64];
static size_t pattern_len;
static bool watching;
static unsigned freed, hits, n_seen;
static const void *seen[SEEN_MAX];

void free_watch_start(const uint8_t *p, size_t len)
{
	pattern_len = len < sizeof(pattern) ? len : sizeof(pattern);
	memcpy(pattern, p, pattern_len);
	freed = hits = n_seen = 0;
	watching = true;
}

void free_watch_stop(void)
{
	watching = false;
}

unsigned free_watch_freed(void)
{
	return freed;
}

unsigned free_watch_hits(void)
{
	return hits;
}

bool free_watch_saw(const void *ptr)
{
	for (unsigned i = 0; i < n_seen; i++)
		if (seen[i] == ptr)
			return true;
	return false;
}

void __wrap_free(void *p)
{
	if (p && watching && pattern_len) {
		size_t n = malloc_usable_size(p);

		freed++;
		if (n_seen < SEEN_MAX)
			seen[n_seen++] = p;
		if (memmem(p, n, pattern, pattern_len))
			hits++;
	}
	__real_free(p);
}
