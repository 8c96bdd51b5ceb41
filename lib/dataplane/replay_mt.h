/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_REPLAY_MT_H
#define ESPGATE_REPLAY_MT_H

/*
 * Inbound anti-replay (RFC 4303 §3.4.3, Appendix A) for an SA whose
 * packets several workers decrypt at once: lock-free, exact (no
 * duplicate is ever accepted), with 64-bit extended sequence numbers.
 *
 * The window is a ring of rm_slots 64-bit words. A word holds one block
 * of 32 sequence numbers: the block's number (its low 32 bits) in the
 * high half and the 32 received bits in the low half, so that the block
 * a word stands for and its bits change together, in one compare-and-
 * swap. Check before the ICV is verified (cheap rejection, not final),
 * update after it verified: the update decides.
 */

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum esp_rmt_verdict {
	ESP_RMT_ACCEPTED,
	ESP_RMT_DUPLICATE, /* received before */
	ESP_RMT_TOO_OLD,   /* left of the window */
};

/* Three cache lines at least: what every check reads, the top that
 * the worker ahead writes, and the words (64 and more). */
struct esp_replay_mt {
	uint32_t rm_size;    /* window in packets, as replay.c's rp_size */
	uint32_t rm_slots;   /* words: > rm_size / 32, a multiple of 8 */
	uint32_t rm_stride;  /* rm_slots / 8: see slot_of */
	bool rm_esn;
	alignas(64) uint64_t rm_top; /* highest number accepted; CAS */
	/* Numbers that passed the check and were left of the window, or
	 * whose block was taken over, by the time their ICV verified:
	 * another worker moved the window on meanwhile. Dropped as
	 * replays, and counted here too. */
	uint64_t rm_late;
	alignas(64) uint64_t rm_words[];
};

/* Bytes a window of at least 'size' packets needs. */
size_t esp_replay_mt_bytes(uint32_t size);
/* size: ESP_REPLAY_MIN..ESP_REPLAY_MAX (replay.h); the window is made
 * at least that large. */
void esp_replay_mt_init(struct esp_replay_mt *r, uint32_t size, bool esn);
/* As esp_replay_check: *seq the full number (ESN inferred, RFC 4303
 * Appendix A2.2); false for 0 (no ESN), left of the window, or already
 * received. Another worker may update at the same time: a true here is
 * only a hint. */
bool esp_replay_mt_check(const struct esp_replay_mt *r, uint32_t seq_lo, uint64_t *seq);
/* Marks seq received, after the ICV verified; the verdict is final:
 * of two updates with the same number, exactly one is ACCEPTED. Then
 * moves the top to seq when it is higher. */
enum esp_rmt_verdict esp_replay_mt_update(struct esp_replay_mt *r, uint64_t seq);
/* The two halves of it, so that a worker moves the top once per burst
 * (one write of the line every worker reads, not one per packet): mark
 * each packet, then advance to the highest number marked (or refused as
 * a duplicate: someone marked it). A top that lags by a burst only lets
 * the words decide what is too old (they hold more than the window);
 * duplicates are the words' alone to decide either way. */
enum esp_rmt_verdict esp_replay_mt_mark(struct esp_replay_mt *r, uint64_t seq);
void esp_replay_mt_advance(struct esp_replay_mt *r, uint64_t seq);

#endif
