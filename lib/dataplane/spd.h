/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_SPD_H
#define ESPGATE_SPD_H

/*
 * The security policy table of one direction (private to sa.c). A
 * selector's prefix on the remote side (sa.c, spd_key: the destination
 * outbound, the source inbound) is a node; a node holds the chain of SAs
 * on that prefix (newest first, through sa_next) and the node of the
 * closest covering prefix. A lookup starts at the most specific prefix
 * covering the packet's address on that side and, when no SA there
 * matches the rest of the selector, goes on to the covering prefixes: no
 * traffic a policy covers escapes it because a more specific prefix
 * exists for other traffic.
 *
 * One writer (the control lcore); readers lock-free. Node slots are
 * reused only after an RCU grace period.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_fib.h>
#include <rte_fib6.h>

#include "addr.h"

struct rte_rcu_qsbr;

struct spd_node {
	uint32_t sn_head;   /* SA id + 1, or 0; atomic */
	uint32_t sn_parent; /* covering node, or 0; atomic */
	struct ip_prefix sn_prefix;
	bool sn_used;
	/* Removed, but its prefix still leads here (spd.c, node_remove):
	 * no head, so a walk goes on to the parent. */
	bool sn_dead;
};

struct esp_spd {
	/* Atomic: a table that runs out of room is replaced by a larger
	 * one (spd.c, fib_grow); readers load the pointer once a lookup. */
	struct rte_fib *spd_v4;
	struct rte_fib6 *spd_v6;
	struct spd_node *spd_nodes; /* spd_max slots */
	uint32_t spd_max;
	uint32_t spd_next;          /* slots are handed out round robin */
	struct rte_rcu_qsbr *spd_qs;
	/* The writer's: how the tables are made and remade. */
	bool spd_fast;
	int spd_socket;
	uint32_t spd_tbl8[2];       /* groups of the IPv4, IPv6 table now */
	uint32_t spd_routes[2];     /* and the prefixes they have room for */
	uint32_t spd_count[2];      /* and hold */
	uint32_t spd_dead[2];       /* of them removed, not yet reclaimed */
	uint32_t spd_adds[2];       /* prefixes added since they were made */
	uint32_t spd_gen;           /* tables made, for unique names */
	char spd_name[24];
};


/* fast: DIR24_8 / TRIE tables (outbound, every packet); otherwise the
 * RIB-only tables whose memory grows with their entries. */
struct esp_spd *spd_create(const char *name, int socket_id, uint32_t max,
			   bool fast, struct rte_rcu_qsbr *qs);
void spd_free(struct esp_spd *spd);

/* Readers, inline: the outbound lookup runs them for every packet.
 * Nodes are numbered from 1; 0 is "none". */
static inline uint32_t spd_node_lookup(const struct esp_spd *spd, uint8_t family,
				       const uint8_t *dst)
{
	uint64_t nh = 0;

	if (family == AF_INET) {
		uint32_t ip = (uint32_t)dst[0] << 24 | (uint32_t)dst[1] << 16 |
			      (uint32_t)dst[2] << 8 | dst[3];
		rte_fib_lookup_bulk(__atomic_load_n(&spd->spd_v4, __ATOMIC_ACQUIRE), &ip, &nh, 1);
	} else {
		uint8_t ip[1][16];
		memcpy(ip[0], dst, 16);
		rte_fib6_lookup_bulk(__atomic_load_n(&spd->spd_v6, __ATOMIC_ACQUIRE), ip, &nh, 1);
	}
	return (uint32_t)nh;
}

static inline uint32_t spd_node_head(const struct esp_spd *spd, uint32_t n)
{
	return __atomic_load_n(&spd->spd_nodes[n - 1].sn_head, __ATOMIC_ACQUIRE);
}

static inline uint32_t spd_node_parent(const struct esp_spd *spd, uint32_t n)
{
	return __atomic_load_n(&spd->spd_nodes[n - 1].sn_parent, __ATOMIC_ACQUIRE);
}

/* Writer. The head (SA id + 1) of exactly prefix p, 0 when none. */
uint32_t spd_head_of(struct esp_spd *spd, const struct ip_prefix *p);
/* Makes head the chain head of p, creating p's node; head 0 removes
 * the node. 0 or -ENOSPC. */
int spd_set_head(struct esp_spd *spd, const struct ip_prefix *p, uint32_t head);

#endif
