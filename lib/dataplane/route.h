/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_ROUTE_H
#define ESPGATE_ROUTE_H

/*
 * IPv4 and IPv6 routing tables (DPDK rte_fib DIR24_8 and rte_fib6 TRIE).
 * A next hop is one 32-bit value: a kind in the top bits and, below it,
 * a port index (local, connected) or a neighbour index (gateway).
 * Written by the control lcore before workers start; read by workers.
 */

#include <stdint.h>

#include "addr.h"

enum dp_nh_kind {
	DP_NH_NONE = 0,      /* no route */
	DP_NH_LOCAL = 1,     /* one of the box's addresses; value: port index */
	DP_NH_CONNECTED = 2, /* on-link; value: port index */
	DP_NH_GATEWAY = 3,   /* via a next hop; value: neighbour index */
};

#define DP_NH_KIND_SHIFT 28
#define DP_NH_VALUE_MASK ((1u << DP_NH_KIND_SHIFT) - 1)

static inline uint32_t dp_nh_make(enum dp_nh_kind kind, uint32_t value)
{
	return (uint32_t)kind << DP_NH_KIND_SHIFT | (value & DP_NH_VALUE_MASK);
}

static inline enum dp_nh_kind dp_nh_kind(uint64_t nh)
{
	return (enum dp_nh_kind)((nh >> DP_NH_KIND_SHIFT) & 3);
}

static inline uint32_t dp_nh_value(uint64_t nh)
{
	return (uint32_t)nh & DP_NH_VALUE_MASK;
}

struct dp_route;

struct dp_route *dp_route_create(const char *name, int socket_id,
				 unsigned max_routes);
void dp_route_free(struct dp_route *rt);
/* 0, or -errno (-EINVAL for a bad prefix, -ENOSPC when full). */
int dp_route_add(struct dp_route *rt, const struct ip_prefix *p, uint32_t nh);
int dp_route_del(struct dp_route *rt, const struct ip_prefix *p);
uint32_t dp_route_lookup(const struct dp_route *rt, const struct ip_addr *a);
/* Addresses in host byte order, as rte_fib wants them. */
void dp_route_lookup4_bulk(const struct dp_route *rt, uint32_t *ips,
			   uint64_t *nh, unsigned n);
void dp_route_lookup6_bulk(const struct dp_route *rt, uint8_t ips[][16],
			   uint64_t *nh, unsigned n);

#endif
