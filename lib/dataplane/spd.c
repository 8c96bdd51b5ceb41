/* SPDX-License-Identifier: BSD-3-Clause */
#include "spd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_rib.h>
#include <rte_rib6.h>

struct esp_spd *spd_create(const char *name, int socket_id, uint32_t max,
			   bool fast, struct rte_rcu_qsbr *qs)
{
	char n[64];
	struct rte_fib_conf c4 = {
		.type = fast ? RTE_FIB_DIR24_8 : RTE_FIB_DUMMY, .max_routes = (int)max,
		.dir24_8 = { .nh_sz = RTE_FIB_DIR24_8_4B, .num_tbl8 = 1u << 14 },
	};
	struct rte_fib6_conf c6 = {
		.type = fast ? RTE_FIB6_TRIE : RTE_FIB6_DUMMY, .max_routes = (int)max,
		.trie = { .nh_sz = RTE_FIB6_TRIE_4B, .num_tbl8 = 1u << 15 },
	};
	struct esp_spd *spd = rte_zmalloc("esp_spd", sizeof(*spd), 0);

	if (!spd)
		return NULL;
	spd->spd_max = max;
	spd->spd_qs = qs;
	spd->spd_nodes = rte_zmalloc_socket("spd_nodes", sizeof(struct spd_node) * max,
					    RTE_CACHE_LINE_SIZE, socket_id);
	snprintf(n, sizeof(n), "%s4", name);
	spd->spd_v4 = rte_fib_create(n, socket_id, &c4);
	snprintf(n, sizeof(n), "%s6", name);
	spd->spd_v6 = rte_fib6_create(n, socket_id, &c6);
	if (!spd->spd_nodes || !spd->spd_v4 || !spd->spd_v6) {
		spd_free(spd);
		return NULL;
	}
	return spd;
}

void spd_free(struct esp_spd *spd)
{
	if (!spd)
		return;
	rte_fib_free(spd->spd_v4);
	rte_fib6_free(spd->spd_v6);
	rte_free(spd->spd_nodes);
	rte_free(spd);
}

static struct spd_node *node(const struct esp_spd *spd, uint32_t n)
{
	return &spd->spd_nodes[n - 1];
}

/* ---- the writer ---- */

/* The node of exactly prefix p (network form), or 0. */
static uint32_t exact(struct esp_spd *spd, const struct ip_prefix *p)
{
	uint64_t nh = 0;

	if (p->addr.family == AF_INET) {
		struct rte_rib_node *r = rte_rib_lookup_exact(rte_fib_get_rib(spd->spd_v4),
							      ip_addr_v4_host(&p->addr), p->len);
		if (r)
			rte_rib_get_nh(r, &nh);
	} else {
		struct rte_rib6_node *r = rte_rib6_lookup_exact(rte_fib6_get_rib(spd->spd_v6),
								p->addr.bytes, p->len);
		if (r)
			rte_rib6_get_nh(r, &nh);
	}
	return (uint32_t)nh;
}

uint32_t spd_head_of(struct esp_spd *spd, const struct ip_prefix *p)
{
	struct ip_prefix net = ip_prefix_network(p);
	uint32_t n = exact(spd, &net);

	return n ? node(spd, n)->sn_head : 0;
}

/* The closest prefix strictly covering p that has a node. */
static uint32_t covering(struct esp_spd *spd, const struct ip_prefix *p)
{
	for (int len = (int)p->len - 1; len >= 0; len--) {
		struct ip_prefix q = *p;
		uint32_t n;

		q.len = (uint8_t)len;
		q = ip_prefix_network(&q);
		n = exact(spd, &q);
		if (n)
			return n;
	}
	return 0;
}

/* Calls fn for every node strictly inside p. */
static void for_each_inside(struct esp_spd *spd, const struct ip_prefix *p,
			    void (*fn)(struct esp_spd *, uint32_t, void *), void *arg)
{
	uint64_t nh;

	if (p->addr.family == AF_INET) {
		struct rte_rib *rib = rte_fib_get_rib(spd->spd_v4);
		struct rte_rib_node *r = NULL;

		while ((r = rte_rib_get_nxt(rib, ip_addr_v4_host(&p->addr), p->len, r,
					    RTE_RIB_GET_NXT_ALL)) != NULL) {
			uint8_t depth;
			rte_rib_get_depth(r, &depth);
			if (depth > p->len && rte_rib_get_nh(r, &nh) == 0)
				fn(spd, (uint32_t)nh, arg);
		}
	} else {
		struct rte_rib6 *rib = rte_fib6_get_rib(spd->spd_v6);
		struct rte_rib6_node *r = NULL;

		while ((r = rte_rib6_get_nxt(rib, p->addr.bytes, p->len, r,
					     RTE_RIB6_GET_NXT_ALL)) != NULL) {
			uint8_t depth;
			rte_rib6_get_depth(r, &depth);
			if (depth > p->len && rte_rib6_get_nh(r, &nh) == 0)
				fn(spd, (uint32_t)nh, arg);
		}
	}
}

/* A new node n: it becomes the parent of what it now covers most closely. */
static void adopt(struct esp_spd *spd, uint32_t child, void *arg)
{
	uint32_t n = *(uint32_t *)arg, parent = node(spd, child)->sn_parent;

	if (!parent || node(spd, parent)->sn_prefix.len < node(spd, n)->sn_prefix.len)
		__atomic_store_n(&node(spd, child)->sn_parent, n, __ATOMIC_RELEASE);
}

/* A node going away: its children move up to its own parent. */
static void orphan(struct esp_spd *spd, uint32_t child, void *arg)
{
	uint32_t n = *(uint32_t *)arg;

	if (node(spd, child)->sn_parent == n)
		__atomic_store_n(&node(spd, child)->sn_parent, node(spd, n)->sn_parent,
				 __ATOMIC_RELEASE);
}

static int fib_set(struct esp_spd *spd, const struct ip_prefix *p, uint32_t n)
{
	if (p->addr.family == AF_INET)
		return n ? rte_fib_add(spd->spd_v4, ip_addr_v4_host(&p->addr), p->len, n)
			 : rte_fib_delete(spd->spd_v4, ip_addr_v4_host(&p->addr), p->len);
	return n ? rte_fib6_add(spd->spd_v6, p->addr.bytes, p->len, n)
		 : rte_fib6_delete(spd->spd_v6, p->addr.bytes, p->len);
}

static void grace(struct esp_spd *spd)
{
	if (spd->spd_qs)
		rte_rcu_qsbr_synchronize(spd->spd_qs, RTE_QSBR_THRID_INVALID);
}

static int node_create(struct esp_spd *spd, const struct ip_prefix *p, uint32_t head)
{
	for (uint32_t i = 0; i < spd->spd_max; i++) {
		uint32_t slot = (spd->spd_next + i) % spd->spd_max, n = slot + 1;
		struct spd_node *sn = &spd->spd_nodes[slot];

		if (sn->sn_used)
			continue;
		spd->spd_next = n;
		*sn = (struct spd_node){ .sn_head = head, .sn_parent = covering(spd, p),
					 .sn_prefix = *p, .sn_used = true };
		/* Complete before the table shows it; then it adopts. */
		if (fib_set(spd, p, n) != 0) {
			sn->sn_used = false;
			return -ENOSPC;
		}
		for_each_inside(spd, p, adopt, &n);
		/* A reader that looked the table up before may still walk the
		 * covering node's chain (the workers look a burst's nodes up
		 * at once): only once it has moved on may an SA there, which
		 * this prefix now takes over from, be unlinked. */
		grace(spd);
		return 0;
	}
	return -ENOSPC;
}

static void node_remove(struct esp_spd *spd, const struct ip_prefix *p, uint32_t n)
{
	for_each_inside(spd, p, orphan, &n);
	fib_set(spd, p, 0);
	/* Readers may still hold n (and table memory the delete freed):
	 * its slot is reused only after they all moved on. */
	grace(spd);
	node(spd, n)->sn_used = false;
}

int spd_set_head(struct esp_spd *spd, const struct ip_prefix *p, uint32_t head)
{
	struct ip_prefix net = ip_prefix_network(p);
	uint32_t n = exact(spd, &net);

	if (n && head) {
		__atomic_store_n(&node(spd, n)->sn_head, head, __ATOMIC_RELEASE);
		return 0;
	}
	if (n) {
		__atomic_store_n(&node(spd, n)->sn_head, 0, __ATOMIC_RELEASE);
		node_remove(spd, &net, n);
		return 0;
	}
	return head ? node_create(spd, &net, head) : 0;
}
