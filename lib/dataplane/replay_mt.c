/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Anti-replay window shared by workers (replay_mt.h), lock-free.
 *
 * Word w of the ring holds block B = s / 32 of the numbers s with
 * B mod rm_slots = w: tag (B's low 32 bits) << 32 | received bits. Why
 * the tag and the bits live in one word: a window of bits alone has to
 * clear a word before it is reused for a later block, and a worker
 * clearing it cannot tell a bit of the old block from one another
 * worker has just set for the new block; clearing that one would let
 * its duplicate in. Here a word is only ever replaced whole, by CAS,
 * with a word for a later block, so:
 *
 *  - a bit, once set for s, stays set for as long as the word stands
 *    for s's block; after that the word stands for a later block and s
 *    is too old. Neither way is s accepted again. Of two workers
 *    setting the same bit, one CAS succeeds; the other reloads, finds
 *    the bit and says DUPLICATE.
 *  - a word for an earlier block (by at least rm_slots blocks) holds
 *    nothing within the window of s: the numbers it covers are more
 *    than (rm_slots - 1) * 32 >= rm_size below s. It is taken over.
 *  - a word for a later block means s is that far below a number
 *    already accepted: too old.
 *
 * The top (highest accepted) is advanced after the word, by CAS, and
 * only decides what is left of the window (as replay.c's does) and the
 * ESN inference; a worker behind the top never writes it, and the data
 * plane advances it once per burst (esp_replay_mt_advance). With ESN the
 * tags are compared as 32-bit serial numbers (RFC 1982): exact while a
 * word is never more than 2^31 blocks behind. The worker that moves the
 * top over blocks (at most rm_slots of them) brings their words up to
 * those blocks, so a word is never behind the top by more than one jump
 * (below 2^32 numbers, RFC 4303 A2.2) plus the ring.
 *
 * Consecutive blocks are spread over cache lines (slot_of), so workers
 * decrypting neighbouring bursts of one SA do not write one line.
 */
#include <string.h>

#include "replay.h"
#include "replay_mt.h"

#define BLOCK_SHIFT 5 /* 32 numbers a word */
#define MIN_SLOTS 64u /* 8 lines, so neighbouring blocks are apart */

static uint32_t slots_for(uint32_t size)
{
	uint32_t n = size / 32 + 1;

	n = (n + 7) & ~7u;
	return n < MIN_SLOTS ? MIN_SLOTS : n;
}

size_t esp_replay_mt_bytes(uint32_t size)
{
	return sizeof(struct esp_replay_mt) + slots_for(esp_replay_round(size)) * sizeof(uint64_t);
}

void esp_replay_mt_init(struct esp_replay_mt *r, uint32_t size, bool esn)
{
	r->rm_size = esp_replay_round(size);
	r->rm_slots = slots_for(r->rm_size);
	r->rm_stride = r->rm_slots / 8;
	r->rm_esn = esn;
	r->rm_top = 0; /* RFC 4303 §3.3.3: the first packet is 1 */
	r->rm_late = 0;
	/* tag 0 in every word: block 0 (numbers 0..31) in word 0, and in
	 * the others a block earlier than any they will stand for */
	memset(r->rm_words, 0, r->rm_slots * sizeof(uint64_t));
}

/* Block b's word: i = b mod slots, then the i-th word of the column
 * order of an 8-column table, so that i and i + 1 are rm_stride words
 * apart. */
static uint64_t *slot_of(const struct esp_replay_mt *r, uint64_t b)
{
	uint32_t i = (uint32_t)(b % r->rm_slots);

	return (uint64_t *)&r->rm_words[(i % 8) * r->rm_stride + i / 8];
}

/* < 0: the word stands for an earlier block than b, 0: b, > 0: later. */
static int32_t tag_cmp(uint64_t word, uint64_t b)
{
	return (int32_t)((uint32_t)(word >> 32) - (uint32_t)b);
}

static uint64_t word_for(uint64_t b, uint32_t bits)
{
	return (uint64_t)(uint32_t)b << 32 | bits;
}

static uint32_t bit_of(uint64_t s)
{
	return UINT32_C(1) << (s & 31);
}

static bool left_of_window(const struct esp_replay_mt *r, uint64_t top, uint64_t s)
{
	return s <= top && top - s >= r->rm_size;
}

bool esp_replay_mt_check(const struct esp_replay_mt *r, uint32_t seq_lo, uint64_t *seq)
{
	uint64_t top = __atomic_load_n(&r->rm_top, __ATOMIC_ACQUIRE), word;
	int32_t cmp;

	*seq = seq_lo;
	if (r->rm_esn && !esp_esn_infer(top, r->rm_size, seq_lo, seq))
		return false;
	if (*seq == 0 || left_of_window(r, top, *seq))
		return false;
	if (*seq > top)
		return true;
	word = __atomic_load_n(slot_of(r, *seq >> BLOCK_SHIFT), __ATOMIC_ACQUIRE);
	cmp = tag_cmp(word, *seq >> BLOCK_SHIFT);
	return cmp < 0 || (cmp == 0 && !(word & bit_of(*seq)));
}

/* Brings the words of blocks from+1 .. to (the last rm_slots of them)
 * up to those blocks, where they are behind. */
static void words_catch_up(struct esp_replay_mt *r, uint64_t from, uint64_t to)
{
	if (to - from > r->rm_slots)
		from = to - r->rm_slots;
	for (uint64_t b = from + 1; b <= to; b++) {
		uint64_t *w = slot_of(r, b);
		uint64_t v = __atomic_load_n(w, __ATOMIC_RELAXED);

		while (tag_cmp(v, b) < 0 &&
		       !__atomic_compare_exchange_n(w, &v, word_for(b, 0), false,
						    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			;
	}
}

void esp_replay_mt_advance(struct esp_replay_mt *r, uint64_t s)
{
	uint64_t t = __atomic_load_n(&r->rm_top, __ATOMIC_RELAXED);

	while (s > t) {
		if (__atomic_compare_exchange_n(&r->rm_top, &t, s, false, __ATOMIC_RELEASE,
						__ATOMIC_RELAXED)) {
			if (r->rm_esn)
				words_catch_up(r, t >> BLOCK_SHIFT, s >> BLOCK_SHIFT);
			return;
		}
	}
}

static enum esp_rmt_verdict late(struct esp_replay_mt *r)
{
	__atomic_fetch_add(&r->rm_late, 1, __ATOMIC_RELAXED);
	return ESP_RMT_TOO_OLD;
}

enum esp_rmt_verdict esp_replay_mt_mark(struct esp_replay_mt *r, uint64_t seq)
{
	uint64_t b = seq >> BLOCK_SHIFT, *w = slot_of(r, b), v, nv;
	uint32_t bit = bit_of(seq);

	if (seq == 0 || (!r->rm_esn && seq > UINT32_MAX))
		return ESP_RMT_TOO_OLD;
	if (left_of_window(r, __atomic_load_n(&r->rm_top, __ATOMIC_ACQUIRE), seq))
		return late(r);
	v = __atomic_load_n(w, __ATOMIC_ACQUIRE);
	do {
		int32_t cmp = tag_cmp(v, b);

		if (cmp > 0)
			return late(r);
		if (cmp == 0 && (v & bit))
			return ESP_RMT_DUPLICATE;
		nv = cmp == 0 ? v | bit : word_for(b, bit);
	} while (!__atomic_compare_exchange_n(w, &v, nv, false, __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE));
	return ESP_RMT_ACCEPTED;
}

enum esp_rmt_verdict esp_replay_mt_update(struct esp_replay_mt *r, uint64_t seq)
{
	enum esp_rmt_verdict v = esp_replay_mt_mark(r, seq);

	if (v == ESP_RMT_ACCEPTED)
		esp_replay_mt_advance(r, seq);
	return v;
}
