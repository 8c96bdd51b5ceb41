/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inbound anti-replay window, RFC 4303 §3.4.3 and Appendix A.
 *
 * The window holds the rp_size numbers [T - W + 1, T], T = rp_top, W =
 * rp_size, as a ring of exactly W bits: number s lives at bit s mod W.
 * Moving the top from T to S clears the bits of T+1 .. S, word by word
 * (all W bits when S - T >= W), so a jump costs at most W/64 + 1 word
 * stores and the amortised cost per packet is O(1).
 */
#include <string.h>

#include "replay.h"

uint32_t esp_replay_round(uint32_t size)
{
	if (size < ESP_REPLAY_MIN)
		size = ESP_REPLAY_MIN;
	if (size > ESP_REPLAY_MAX)
		size = ESP_REPLAY_MAX;
	return (size + 63) & ~UINT32_C(63);
}

size_t esp_replay_bytes(uint32_t size)
{
	return sizeof(struct esp_replay) + esp_replay_round(size) / 8;
}

void esp_replay_init(struct esp_replay *r, uint32_t size, bool esn)
{
	r->rp_size = esp_replay_round(size);
	r->rp_esn = esn;
	r->rp_top = 0; /* §3.3.3: the counter starts at 0, the first packet is 1 */
	memset(r->rp_bits, 0, r->rp_size / 8);
}

/* s mod W with W = 64 * nwords: word (s / 64) mod nwords, bit s mod 64 */
static size_t word_idx(const struct esp_replay *r, uint64_t s)
{
	return (s >> 6) % (r->rp_size >> 6);
}

static uint64_t bit_of(uint64_t s)
{
	return UINT64_C(1) << (s & 63);
}

/* Clears the bits of the n numbers from, from + 1, ...; n <= W. */
static void clear_range(struct esp_replay *r, uint64_t from, uint64_t n)
{
	while (n > 0) {
		unsigned int off = from & 63;
		uint64_t chunk = 64 - off < n ? 64 - off : n;
		uint64_t mask = chunk == 64 ? UINT64_MAX :
			((UINT64_C(1) << chunk) - 1) << off;

		r->rp_bits[word_idx(r, from)] &= ~mask;
		from += chunk;
		n -= chunk;
	}
}

/* The window test of §3.4.3 on a full number; does not change state. */
static bool window_ok(const struct esp_replay *r, uint64_t s)
{
	if (s == 0)
		return false; /* never sent: the first packet is 1 */
	if (s > r->rp_top)
		return true;
	if (r->rp_top - s >= r->rp_size)
		return false; /* left of the window */
	return !(r->rp_bits[word_idx(r, s)] & bit_of(s));
}

bool esp_esn_infer(uint64_t top, uint32_t w, uint32_t seql, uint64_t *seq)
{
	uint32_t th = (uint32_t)(top >> 32);
	uint32_t tl = (uint32_t)top;
	uint32_t seqh;

	if (tl >= w - 1) {                      /* Case A: window within one Th */
		if (seql >= tl - w + 1)
			seqh = th;
		else if (th == UINT32_MAX)
			return false;
		else
			seqh = th + 1;          /* Seql wrapped: next epoch */
	} else {                                /* Case B: window spans Th - 1 */
		if (seql >= tl - w + 1) {       /* 32-bit arithmetic wraps here */
			if (th == 0)
				return false;
			seqh = th - 1;
		} else {
			seqh = th;
		}
	}
	*seq = (uint64_t)seqh << 32 | seql;
	return true;
}

bool esp_replay_check(const struct esp_replay *r, uint32_t seq_lo, uint64_t *seq)
{
	*seq = seq_lo;
	if (r->rp_esn && !esp_esn_infer(r->rp_top, r->rp_size, seq_lo, seq))
		return false;
	return window_ok(r, *seq);
}

bool esp_replay_update(struct esp_replay *r, uint64_t seq)
{
	if (!r->rp_esn && seq > UINT32_MAX)
		return false;
	if (!window_ok(r, seq))
		return false;
	if (seq > r->rp_top) {
		uint64_t jump = seq - r->rp_top;

		clear_range(r, r->rp_top + 1, jump < r->rp_size ? jump : r->rp_size);
		r->rp_top = seq;
	}
	r->rp_bits[word_idx(r, seq)] |= bit_of(seq);
	return true;
}
