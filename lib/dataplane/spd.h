/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_SPD_H
#define ESPGATE_SPD_H

/*
 * The security policy table of one direction (private to sa.c). A
 * selector's destination prefix is a node; a node holds the chain of SAs
 * on that prefix (newest first, through sa_next) and the node of the
 * closest covering prefix. A lookup starts at the most specific prefix
 * covering the destination and, when no SA there matches the rest of the
 * selector, goes on to the covering prefixes: no traffic a policy covers
 * escapes it because a more specific prefix exists for other traffic.
 *
 * One writer (the control lcore); readers lock-free. Node slots are
 * reused only after an RCU grace period.
 */

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

struct esp_spd;
struct rte_rcu_qsbr;

/* fast: DIR24_8 / TRIE tables (outbound, every packet); otherwise the
 * RIB-only tables whose memory grows with their entries. */
struct esp_spd *spd_create(const char *name, int socket_id, uint32_t max,
			   bool fast, struct rte_rcu_qsbr *qs);
void spd_free(struct esp_spd *spd);

/* Readers. Nodes are numbered from 1; 0 is "none". */
uint32_t spd_node_lookup(const struct esp_spd *spd, uint8_t family,
			 const uint8_t *dst);
uint32_t spd_node_head(const struct esp_spd *spd, uint32_t node);
uint32_t spd_node_parent(const struct esp_spd *spd, uint32_t node);

/* Writer. The head (SA id + 1) of exactly prefix p, 0 when none. */
uint32_t spd_head_of(struct esp_spd *spd, const struct ip_prefix *p);
/* Makes head the chain head of p, creating p's node; head 0 removes
 * the node. 0 or -ENOSPC. */
int spd_set_head(struct esp_spd *spd, const struct ip_prefix *p, uint32_t head);

#endif
