/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_TRAP_H
#define ESPGATE_TRAP_H

/*
 * On-demand ("trap") policies: the selectors of connections that are to
 * be brought up by the first packet they cover. A packet that no
 * outbound SA takes but a trap covers goes to the control lcore, which
 * holds it, initiates, and sends it once the Child SA is installed
 * (RFC 4301 §4.4.1: an outbound packet that a PROTECT policy covers and
 * that has no SA makes the key management negotiate one).
 *
 * The table is small and read linearly, and only for packets that no SA
 * took. The control lcore replaces it whole (one writer); the old table
 * is freed after an RCU grace period, so workers read it without locks.
 */

#include <stdint.h>

#include "sa.h"

struct dp;

#define DP_MAX_TRAPS 256 /* the configuration keeps to it */

struct dp_trap {
	struct esp_ts t_ts;  /* src: our side, dst: the peer's side */
	uint32_t t_tag;      /* the control lcore's own number for it */
};

/* Control lcore: publishes a copy of t[0..n) in place of the current
 * table (n 0 removes it). 0, -ENOSPC past DP_MAX_TRAPS, -ENOMEM. */
int dp_traps_set(struct dp *dp, const struct dp_trap *t, unsigned n);
/* Frees the table at shutdown (workers stopped). */
void dp_traps_free(struct dp *dp);

/* The first trap covering the packet, or NULL. Workers and the control
 * lcore; the result is valid until the reader's next quiescent state. */
const struct dp_trap *dp_trap_match(const struct dp *dp, uint8_t family,
				    const uint8_t *src, const uint8_t *dst,
				    uint8_t proto, uint16_t sport, uint16_t dport);

#endif
