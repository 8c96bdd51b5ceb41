/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_TEST_FREE_WATCH_H
#define ESPGATE_TEST_FREE_WATCH_H

/*
 * Key material left in freed memory. A suite linked with
 * -Wl,--wrap=free (tests/meson.build) has every free() of its own code
 * and of our static libraries pass through here: while a pattern is
 * watched, each block is searched for it (malloc_usable_size bytes)
 * before it goes back to the allocator.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Watch for these bytes (at most 64) from now on; counts start at 0. */
void free_watch_start(const uint8_t *pattern, size_t len);
/* Stops watching. */
void free_watch_stop(void);
/* Blocks freed while watching, and of those, the ones that held the
 * pattern. */
unsigned free_watch_freed(void);
unsigned free_watch_hits(void);
/* Whether ptr was freed while watching. */
bool free_watch_saw(const void *ptr);

#endif
