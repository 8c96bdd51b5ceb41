/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_REPLAY_H
#define ESPGATE_REPLAY_H

/*
 * Inbound anti-replay (RFC 4303 §3.4.3 and Appendix A) with 64-bit
 * extended sequence numbers. Owned and written by one worker.
 * Check before the ICV is verified (cheap rejection), update only after
 * it verified (so forged packets never move the window).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ESP_REPLAY_MIN 64
#define ESP_REPLAY_MAX 4096

struct esp_replay {
	uint64_t rp_top;   /* highest sequence number accepted (64-bit) */
	uint32_t rp_size;  /* window size in packets: multiple of 64 */
	bool rp_esn;
	uint64_t rp_bits[]; /* rp_size / 64 words */
};

/* The window a size asks for: ESP_REPLAY_MIN..ESP_REPLAY_MAX, a
 * multiple of 64. */
uint32_t esp_replay_round(uint32_t size);
/* RFC 4303 Appendix A2.2: the full number of seql from the top and the
 * window size w; false when it would be below 0 or above 2^64 - 1. */
bool esp_esn_infer(uint64_t top, uint32_t w, uint32_t seql, uint64_t *seq);
/* Bytes a window of 'size' packets needs (size rounded up to 64). */
size_t esp_replay_bytes(uint32_t size);
/* size: ESP_REPLAY_MIN..ESP_REPLAY_MAX, rounded up to a multiple of 64. */
void esp_replay_init(struct esp_replay *r, uint32_t size, bool esn);

/*
 * seq_lo is the 32-bit number from the ESP header. With ESN the high
 * half is inferred (RFC 4303 Appendix A2.2) and *seq gets the full
 * 64-bit number that the ICV must be checked with. Returns false for a
 * duplicate, a number left of the window, or 0 without ESN (RFC 4303
 * §3.4.3: the first packet is 1).
 */
bool esp_replay_check(const struct esp_replay *r, uint32_t seq_lo, uint64_t *seq);
/* Marks *seq received (after the ICV verified). Returns false when it
 * was a duplicate after all (two packets checked before either
 * updated): the caller drops it as a replay. */
bool esp_replay_update(struct esp_replay *r, uint64_t seq);

#endif
