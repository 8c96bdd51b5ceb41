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

/*
 * The tables are made small and grow: each has room for a number of
 * prefixes (its RIB takes two nodes of about 200 bytes for each, made
 * when the table is), and DIR24_8 (IPv4) and TRIE (IPv6) keep what is
 * more specific than /24 in groups of 256 entries (tbl8), a fixed
 * number per table: a /32 in a /24 of its own takes one, an IPv6 /128
 * up to 13. When a table runs out of either, one with twice as much is
 * built from the nodes and takes its place (fib_grow): memory follows
 * the policies there are, not the SAs there could be.
 */
#define SPD_ROUTES_FIRST 1024u
#define SPD_TBL8_V4_FIRST (1u << 8)
#define SPD_TBL8_V6_FIRST (1u << 11)
#define SPD_TBL8_MAX (1u << 24)

/* An empty table of the family (struct rte_fib or rte_fib6). */
static void *fib_create(struct esp_spd *spd, uint8_t family, uint32_t tbl8, uint32_t routes)
{
	char n[64];

	snprintf(n, sizeof(n), "%s%c.%u", spd->spd_name, family == AF_INET ? '4' : '6',
		 spd->spd_gen++);
	if (family == AF_INET) {
		struct rte_fib_conf c = {
			.type = spd->spd_fast ? RTE_FIB_DIR24_8 : RTE_FIB_DUMMY,
			.max_routes = (int)routes,
			.dir24_8 = { .nh_sz = RTE_FIB_DIR24_8_4B, .num_tbl8 = tbl8 },
		};
		return rte_fib_create(n, spd->spd_socket, &c);
	} else {
		struct rte_fib6_conf c = {
			.type = spd->spd_fast ? RTE_FIB6_TRIE : RTE_FIB6_DUMMY,
			.max_routes = (int)routes,
			.trie = { .nh_sz = RTE_FIB6_TRIE_4B, .num_tbl8 = tbl8 },
		};
		return rte_fib6_create(n, spd->spd_socket, &c);
	}
}

struct esp_spd *spd_create(const char *name, int socket_id, uint32_t max,
			   bool fast, struct rte_rcu_qsbr *qs)
{
	struct esp_spd *spd = rte_zmalloc("esp_spd", sizeof(*spd), 0);

	if (!spd)
		return NULL;
	spd->spd_max = max;
	spd->spd_qs = qs;
	spd->spd_fast = fast;
	spd->spd_socket = socket_id;
	spd->spd_tbl8[0] = SPD_TBL8_V4_FIRST;
	spd->spd_tbl8[1] = SPD_TBL8_V6_FIRST;
	spd->spd_routes[0] = spd->spd_routes[1] = RTE_MIN(SPD_ROUTES_FIRST, max);
	snprintf(spd->spd_name, sizeof(spd->spd_name), "%s", name);
	spd->spd_nodes = rte_zmalloc_socket("spd_nodes", sizeof(struct spd_node) * max,
					    RTE_CACHE_LINE_SIZE, socket_id);
	spd->spd_v4 = fib_create(spd, AF_INET, spd->spd_tbl8[0], spd->spd_routes[0]);
	spd->spd_v6 = fib_create(spd, AF_INET6, spd->spd_tbl8[1], spd->spd_routes[1]);
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
		if (n && !node(spd, n)->sn_dead)
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

/* Node n for prefix p into t, the table of p's family. */
static int fib_add(void *t, const struct ip_prefix *p, uint32_t n)
{
	if (p->addr.family == AF_INET)
		return rte_fib_add(t, ip_addr_v4_host(&p->addr), p->len, n);
	return rte_fib6_add(t, p->addr.bytes, p->len, n);
}

static int fib_set(struct esp_spd *spd, const struct ip_prefix *p, uint32_t n)
{
	if (n)
		return fib_add(p->addr.family == AF_INET ? (void *)spd->spd_v4
							 : (void *)spd->spd_v6, p, n);
	if (p->addr.family == AF_INET)
		return rte_fib_delete(spd->spd_v4, ip_addr_v4_host(&p->addr), p->len);
	return rte_fib6_delete(spd->spd_v6, p->addr.bytes, p->len);
}

static void grace(struct esp_spd *spd)
{
	if (spd->spd_qs)
		rte_rcu_qsbr_synchronize(spd->spd_qs, RTE_QSBR_THRID_INVALID);
}

/* Every node of the family into the table t. */
static int fib_fill(struct esp_spd *spd, uint8_t family, void *t)
{
	for (uint32_t slot = 0; slot < spd->spd_max; slot++) {
		const struct spd_node *sn = &spd->spd_nodes[slot];
		int rc;

		if (!sn->sn_used || sn->sn_dead || sn->sn_prefix.addr.family != family)
			continue;
		rc = fib_add(t, &sn->sn_prefix, slot + 1);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static void fib_free_any(uint8_t family, void *t)
{
	if (family == AF_INET)
		rte_fib_free(t);
	else
		rte_fib6_free(t);
}

/* A table of the family with room for tbl8 groups and routes prefixes,
 * holding every node of the family (the one being created among them);
 * NULL when they do not fit. */
static void *fib_build(struct esp_spd *spd, uint8_t family, uint32_t tbl8, uint32_t routes)
{
	void *t = fib_create(spd, family, tbl8, routes);

	if (t != NULL && fib_fill(spd, family, t) != 0) {
		fib_free_any(family, t);
		t = NULL;
	}
	return t;
}

/* The sizes of the family's next table, attempt by attempt; false when
 * nothing is left to grow. Prefixes ran out when the nodes (with the one
 * being created) are more than the table has room for: twice as many.
 * Otherwise groups did. DPDK 22.11's TRIE (IPv6) does not count back the
 * groups of a deleted prefix longer than /24 that has nothing under it
 * (trie_modify), so policies that come and go use its groups up: a TRIE
 * that has seen many adds since it was built is first rebuilt at its
 * own size, which counts only what is in use; one built recently, or
 * whose rebuild does not fit, gets twice the groups, as does DIR24_8
 * (IPv4), which counts deletes. Later attempts double both. */
static bool next_sizes(const struct esp_spd *spd, unsigned f, unsigned attempt,
		       uint32_t *tbl8, uint32_t *routes)
{
	uint32_t t0 = *tbl8, r0 = *routes;
	bool out_of_routes = spd->spd_count[f] + 1 > spd->spd_routes[f];

	if (attempt == 0 && spd->spd_dead[f])
		return true; /* rebuilt without the removed ones first */
	if (attempt == 0 && (out_of_routes || !spd->spd_fast)) {
		*routes = RTE_MIN(2 * r0, spd->spd_max);
	} else if (attempt == 0 && f == 1 && spd->spd_adds[f] >= t0 / 16) {
		return true; /* a TRIE rebuilt at the same size: worth one try */
	} else if (attempt <= 1 && !out_of_routes) {
		*tbl8 = RTE_MIN(2 * t0, SPD_TBL8_MAX);
	} else {
		*routes = RTE_MIN(2 * r0, spd->spd_max);
		if (spd->spd_fast)
			*tbl8 = RTE_MIN(2 * t0, SPD_TBL8_MAX);
	}
	return *tbl8 != t0 || *routes != r0;
}

/* The removed nodes of the family go once a table built without them
 * is the only one readers can hold (no node has one as its parent:
 * covering() passes them by and node_remove moved their children up). */
static void reclaim_dead(struct esp_spd *spd, uint8_t family)
{
	for (uint32_t slot = 0; slot < spd->spd_max; slot++) {
		struct spd_node *sn = &spd->spd_nodes[slot];

		if (!sn->sn_used || !sn->sn_dead || sn->sn_prefix.addr.family != family)
			continue;
		sn->sn_used = sn->sn_dead = false;
		spd->spd_count[family == AF_INET ? 0 : 1]--;
		spd->spd_dead[family == AF_INET ? 0 : 1]--;
	}
}

/* t, a table of the family with tbl8 groups and routes prefixes,
 * takes the family's place; the old one is freed, and the removed nodes
 * with it, once no reader can hold them. */
static void fib_replace(struct esp_spd *spd, uint8_t family, void *t, uint32_t tbl8,
			uint32_t routes)
{
	unsigned f = family == AF_INET ? 0 : 1;
	void *old = f == 0 ? (void *)spd->spd_v4 : (void *)spd->spd_v6;

	if (f == 0)
		__atomic_store_n(&spd->spd_v4, (struct rte_fib *)t, __ATOMIC_RELEASE);
	else
		__atomic_store_n(&spd->spd_v6, (struct rte_fib6 *)t, __ATOMIC_RELEASE);
	spd->spd_tbl8[f] = tbl8;
	spd->spd_routes[f] = routes;
	spd->spd_adds[f] = 0;
	grace(spd);
	fib_free_any(family, old);
	reclaim_dead(spd, family);
}

/* The family's table is full: another (next_sizes) takes its place;
 * removed nodes are left out of it. */
static int fib_grow(struct esp_spd *spd, uint8_t family)
{
	unsigned f = family == AF_INET ? 0 : 1;
	uint32_t tbl8 = spd->spd_tbl8[f], routes = spd->spd_routes[f];
	void *t = NULL;

	for (unsigned attempt = 0; attempt < 4 && t == NULL; attempt++) {
		if (!next_sizes(spd, f, attempt, &tbl8, &routes))
			return -ENOSPC;
		t = fib_build(spd, family, tbl8, routes);
	}
	if (t == NULL)
		return -ENOSPC;
	fib_replace(spd, family, t, tbl8, routes);
	return 0;
}

/* Every node slot taken: the removed ones among them are given back by
 * rebuilding each family's table at its size without them. Whether any
 * slot came free. */
static bool reclaim_slots(struct esp_spd *spd)
{
	static const uint8_t families[2] = { AF_INET, AF_INET6 };
	bool freed = false;

	for (unsigned f = 0; f < 2; f++) {
		void *t;

		if (!spd->spd_dead[f])
			continue;
		t = fib_build(spd, families[f], spd->spd_tbl8[f], spd->spd_routes[f]);
		if (!t)
			continue;
		fib_replace(spd, families[f], t, spd->spd_tbl8[f], spd->spd_routes[f]);
		freed = true;
	}
	return freed;
}

/* -EAGAIN: no slot free. */
static int node_create_in_slot(struct esp_spd *spd, const struct ip_prefix *p, uint32_t head)
{
	for (uint32_t i = 0; i < spd->spd_max; i++) {
		uint32_t slot = (spd->spd_next + i) % spd->spd_max, n = slot + 1;
		struct spd_node *sn = &spd->spd_nodes[slot];
		int rc;

		if (sn->sn_used)
			continue;
		spd->spd_next = n;
		*sn = (struct spd_node){ .sn_head = head, .sn_parent = covering(spd, p),
					 .sn_prefix = *p, .sn_used = true };
		/* Complete before the table shows it; then it adopts. A full
		 * table (out of groups: -ENOSPC; of RIB nodes: -ENOMEM) is
		 * replaced by a larger one that has n. */
		rc = fib_set(spd, p, n);
		if (rc == -ENOSPC || rc == -ENOMEM)
			rc = fib_grow(spd, p->addr.family);
		if (rc != 0) {
			sn->sn_used = false;
			return -ENOSPC;
		}
		spd->spd_count[p->addr.family == AF_INET ? 0 : 1]++;
		spd->spd_adds[p->addr.family == AF_INET ? 0 : 1]++;
		for_each_inside(spd, p, adopt, &n);
		/* A reader that looked the table up before may still walk the
		 * covering node's chain (the workers look a burst's nodes up
		 * at once): only once it has moved on may an SA there, which
		 * this prefix now takes over from, be unlinked. */
		grace(spd);
		return 0;
	}
	return -EAGAIN;
}

static int node_create(struct esp_spd *spd, const struct ip_prefix *p, uint32_t head)
{
	int rc = node_create_in_slot(spd, p, head);

	if (rc == -EAGAIN && reclaim_slots(spd))
		rc = node_create_in_slot(spd, p, head);
	return rc == -EAGAIN ? -ENOSPC : rc;
}

/*
 * A prefix that goes is not deleted from the live table: DPDK 22.11's
 * DIR24_8 and TRIE give a deleted prefix's group of entries back at
 * once (no RCU), so a worker between reading the group's index and the
 * entry finds nothing and the packet, matching no policy, would leave
 * in clear; its RIB (the inbound table's lookup) frees nodes readers
 * may walk. The node stays as the prefix's target instead, dead: its
 * head is 0, so a lookup walks on to its parent, what the delete would
 * have found. Its children move up now; the node itself goes when the
 * table is next rebuilt (reclaim_dead), or lives again if the prefix
 * comes back (spd_set_head).
 */
static void node_remove(struct esp_spd *spd, const struct ip_prefix *p, uint32_t n)
{
	for_each_inside(spd, p, orphan, &n);
	node(spd, n)->sn_dead = true;
	spd->spd_dead[p->addr.family == AF_INET ? 0 : 1]++;
	grace(spd);
}

/* A removed prefix back: its node takes its place in the walk again. */
static void node_revive(struct esp_spd *spd, const struct ip_prefix *p, uint32_t n)
{
	struct spd_node *sn = node(spd, n);

	__atomic_store_n(&sn->sn_parent, covering(spd, p), __ATOMIC_RELEASE);
	sn->sn_dead = false;
	spd->spd_dead[p->addr.family == AF_INET ? 0 : 1]--;
	for_each_inside(spd, p, adopt, &n);
	grace(spd);
}

int spd_set_head(struct esp_spd *spd, const struct ip_prefix *p, uint32_t head)
{
	struct ip_prefix net = ip_prefix_network(p);
	uint32_t n = exact(spd, &net);

	if (n && head) {
		bool revive = node(spd, n)->sn_dead;

		__atomic_store_n(&node(spd, n)->sn_head, head, __ATOMIC_RELEASE);
		if (revive)
			node_revive(spd, &net, n);
		return 0;
	}
	if (n && node(spd, n)->sn_dead)
		return 0;
	if (n) {
		__atomic_store_n(&node(spd, n)->sn_head, 0, __ATOMIC_RELEASE);
		node_remove(spd, &net, n);
		return 0;
	}
	return head ? node_create(spd, &net, head) : 0;
}
