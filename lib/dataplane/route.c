/* SPDX-License-Identifier: BSD-3-Clause */
#include "route.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_malloc.h>

struct dp_route {
	struct rte_fib *v4;
	struct rte_fib6 *v6;
};

struct dp_route *dp_route_create(const char *name, int socket_id,
				 unsigned max_routes)
{
	char n4[32], n6[32];
	struct rte_fib_conf c4 = {
		.type = RTE_FIB_DIR24_8,
		.default_nh = DP_NH_NONE,
		.max_routes = (int)max_routes,
		.dir24_8 = { .nh_sz = RTE_FIB_DIR24_8_4B, .num_tbl8 = 1u << 12 },
	};
	struct rte_fib6_conf c6 = {
		.type = RTE_FIB6_TRIE,
		.default_nh = DP_NH_NONE,
		.max_routes = (int)max_routes,
		.trie = { .nh_sz = RTE_FIB6_TRIE_4B, .num_tbl8 = 1u << 14 },
	};
	struct dp_route *rt = rte_zmalloc("dp_route", sizeof(*rt), 0);

	if (!rt)
		return NULL;
	snprintf(n4, sizeof(n4), "%s4", name);
	snprintf(n6, sizeof(n6), "%s6", name);
	rt->v4 = rte_fib_create(n4, socket_id, &c4);
	rt->v6 = rte_fib6_create(n6, socket_id, &c6);
	if (!rt->v4 || !rt->v6) {
		dp_route_free(rt);
		return NULL;
	}
	return rt;
}

void dp_route_free(struct dp_route *rt)
{
	if (!rt)
		return;
	rte_fib_free(rt->v4);
	rte_fib6_free(rt->v6);
	rte_free(rt);
}

static int fib_result(int rc)
{
	return rc == -ENOSPC || rc == -ENOMEM ? -ENOSPC : rc;
}

int dp_route_add(struct dp_route *rt, const struct ip_prefix *p, uint32_t nh)
{
	struct ip_prefix net = ip_prefix_network(p);

	if (p->addr.family == AF_INET)
		return fib_result(rte_fib_add(rt->v4, ip_addr_v4_host(&net.addr),
					      p->len, nh));
	if (p->addr.family == AF_INET6)
		return fib_result(rte_fib6_add(rt->v6, net.addr.bytes, p->len, nh));
	return -EINVAL;
}

int dp_route_del(struct dp_route *rt, const struct ip_prefix *p)
{
	struct ip_prefix net = ip_prefix_network(p);

	if (p->addr.family == AF_INET)
		return rte_fib_delete(rt->v4, ip_addr_v4_host(&net.addr), p->len);
	if (p->addr.family == AF_INET6)
		return rte_fib6_delete(rt->v6, net.addr.bytes, p->len);
	return -EINVAL;
}

uint32_t dp_route_lookup(const struct dp_route *rt, const struct ip_addr *a)
{
	uint64_t nh = DP_NH_NONE;

	if (a->family == AF_INET) {
		uint32_t ip = ip_addr_v4_host(a);
		dp_route_lookup4_bulk(rt, &ip, &nh, 1);
	} else if (a->family == AF_INET6) {
		uint8_t ip[1][16];
		memcpy(ip[0], a->bytes, 16);
		dp_route_lookup6_bulk(rt, ip, &nh, 1);
	}
	return (uint32_t)nh;
}

void dp_route_lookup4_bulk(const struct dp_route *rt, uint32_t *ips,
			   uint64_t *nh, unsigned n)
{
	rte_fib_lookup_bulk(rt->v4, ips, nh, (int)n);
}

void dp_route_lookup6_bulk(const struct dp_route *rt, uint8_t ips[][16],
			   uint64_t *nh, unsigned n)
{
	rte_fib6_lookup_bulk(rt->v6, ips, nh, (int)n);
}
