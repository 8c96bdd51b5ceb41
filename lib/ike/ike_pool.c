/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Address pools (RFC 7296 §2.19): the virtual addresses a responder gives
 * its clients in CFG_REPLY. An address is leased to an identity: while
 * any IKE SA of that identity holds it, and pc_lease_s after the last
 * one went, it is that identity's alone, so a client that reconnects gets
 * the same address. Free addresses are bits of a bitmap searched from
 * where the last search stopped; leases are found by identity through a
 * hash table. A lease past its time keeps its address until the pool
 * needs one and finds none free (reap_expired): a client that returns
 * late to a pool with room still gets its old address.
 *
 * A held lease is shared only by SAs of the same identity from the same
 * peer address (a re-authentication, make before break); the same
 * identity from elsewhere while it is held gets an address of its own.
 *
 * A pool that a reload changes or removes is detached: no new lease comes
 * from it, and it is freed when the last SA holding one of its addresses
 * goes (ike_pool_release). A new pool adopts every lease, held or kept,
 * of another pool whose address it covers (adopt_leases), so an address
 * an SA holds is never handed out again across a reload.
 */
#include "ike_sa.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#define POOL_BUCKETS 4096u

struct ike_lease {
	struct ike_lease *l_next;       /* hash chain */
	struct ike_pool *l_pool;
	struct ike_identity l_id;
	struct ip_addr l_peer;          /* the last SA's peer address */
	uint32_t l_off;                 /* the address: p_base + l_off */
	uint32_t l_holders;             /* IKE SAs that hold it */
	uint64_t l_released_ms;         /* when the last one let it go */
};

struct ike_pool {
	struct ike_pool *p_next;        /* e_pools, or e_pools_gone when detached */
	struct ike_engine *p_engine;
	struct ike_pool_cfg p_cfg;
	struct ip_addr p_base;          /* the first address handed out */
	uint32_t p_size;
	uint32_t p_cursor;              /* where the next search starts */
	uint64_t *p_used;               /* a bit per address */
	struct ike_lease *p_hash[POOL_BUCKETS];
	uint32_t p_leases, p_held;      /* leases kept, and held by an SA */
	uint64_t p_exhausted;           /* requests no address was left for */
	bool p_detached;                /* changed or removed by a reload */
	bool p_confirmed;               /* seen in the reload under way */
};

/* The first address and how many: the network address is not one, nor
 * IPv4's broadcast address (up to /30); at most IKE_POOL_SIZE_MAX. */
static uint32_t pool_span(const struct ip_prefix *pfx, struct ip_addr *base)
{
	unsigned bits = (pfx->addr.family == AF_INET ? 32u : 128u) - pfx->len;
	struct ip_prefix net = ip_prefix_network(pfx);
	uint64_t n = bits >= 21 ? (uint64_t)IKE_POOL_SIZE_MAX + 2 : 1ull << bits;
	bool skip = bits >= 2 || (bits == 1 && pfx->addr.family == AF_INET6);

	*base = net.addr;
	if (!skip)
		return (uint32_t)n;
	ip_addr_add(base, 1);
	n -= pfx->addr.family == AF_INET ? 2 : 1;
	return (uint32_t)(n > IKE_POOL_SIZE_MAX ? IKE_POOL_SIZE_MAX : n);
}

static uint32_t id_hash(const struct ike_identity *id)
{
	uint32_t h = 2166136261u ^ id->id_type; /* FNV-1a */

	for (unsigned i = 0; i < id->id_len; i++)
		h = (h ^ id->id_data[i]) * 16777619u;
	return h % POOL_BUCKETS;
}

static bool id_equal(const struct ike_identity *a, const struct ike_identity *b)
{
	return a->id_type == b->id_type && a->id_len == b->id_len &&
	       memcmp(a->id_data, b->id_data, a->id_len) == 0;
}

static void bit_set(struct ike_pool *p, uint32_t off, bool on)
{
	if (on)
		p->p_used[off / 64] |= 1ull << (off % 64);
	else
		p->p_used[off / 64] &= ~(1ull << (off % 64));
}

/* A free address, a word at a time from the cursor's word on; -1: none. */
static int64_t find_free(struct ike_pool *p)
{
	uint32_t words = (p->p_size + 63) / 64;

	for (uint32_t k = 0; k <= words; k++) {
		uint32_t w = (p->p_cursor / 64 + k) % words;
		uint64_t free_bits = ~p->p_used[w];

		if (w == words - 1 && p->p_size % 64)
			free_bits &= (1ull << (p->p_size % 64)) - 1;
		if (free_bits) {
			uint32_t off = w * 64 + (uint32_t)__builtin_ctzll(free_bits);

			p->p_cursor = off + 1 < p->p_size ? off + 1 : 0;
			return off;
		}
	}
	return -1;
}

/* The lease out of its pool (hash chain, bit, counts), not freed. */
static void lease_take_out(struct ike_pool *p, struct ike_lease *l)
{
	struct ike_lease **pp = &p->p_hash[id_hash(&l->l_id)];

	while (*pp && *pp != l)
		pp = &(*pp)->l_next;
	if (*pp)
		*pp = l->l_next;
	bit_set(p, l->l_off, false);
	p->p_leases--;
	if (l->l_holders)
		p->p_held--;
}

static void lease_put_in(struct ike_pool *p, struct ike_lease *l, uint32_t off)
{
	l->l_pool = p;
	l->l_off = off;
	bit_set(p, off, true);
	l->l_next = p->p_hash[id_hash(&l->l_id)];
	p->p_hash[id_hash(&l->l_id)] = l;
	p->p_leases++;
	if (l->l_holders)
		p->p_held++;
}

static void lease_unlink(struct ike_pool *p, struct ike_lease *l)
{
	lease_take_out(p, l);
	OPENSSL_cleanse(l, sizeof(*l));
	free(l);
}

/* Leases no SA holds and whose time is up give their addresses back;
 * how many. */
static unsigned reap_expired(struct ike_pool *p, uint64_t now_ms)
{
	unsigned n = 0;

	for (unsigned b = 0; b < POOL_BUCKETS; b++) {
		struct ike_lease *l = p->p_hash[b], *next;

		for (; l; l = next) {
			next = l->l_next;
			if (!l->l_holders &&
			    now_ms >= l->l_released_ms + (uint64_t)p->p_cfg.pc_lease_s * 1000) {
				lease_unlink(p, l);
				n++;
			}
		}
	}
	return n;
}

static void pool_unlist(struct ike_pool **list, struct ike_pool *p)
{
	while (*list && *list != p)
		list = &(*list)->p_next;
	if (*list)
		*list = p->p_next;
}

static void pool_free(struct ike_pool *p)
{
	if (p->p_detached)
		pool_unlist(&p->p_engine->e_pools_gone, p);
	for (unsigned b = 0; b < POOL_BUCKETS; b++)
		while (p->p_hash[b])
			lease_unlink(p, p->p_hash[b]);
	free(p->p_used);
	free(p);
}

/* The offset of a in p (a - p_base, big-endian with borrow), or -1 when
 * p does not hand it out. */
static int64_t offset_in(const struct ike_pool *p, const struct ip_addr *a)
{
	size_t n = ip_addr_len(a);
	uint8_t diff[16];
	uint64_t off = 0;
	int borrow = 0;

	if (a->family != p->p_base.family)
		return -1;
	for (size_t i = n; i-- > 0;) {
		int d = a->bytes[i] - p->p_base.bytes[i] - borrow;

		borrow = d < 0;
		diff[i] = (uint8_t)(d + (borrow ? 256 : 0));
	}
	if (borrow)
		return -1; /* below the base */
	for (size_t i = 0; i < n; i++) {
		if (i + 4 < n && diff[i])
			return -1; /* far beyond any pool's size */
		if (i + 4 >= n)
			off = off << 8 | diff[i];
	}
	return off < p->p_size ? (int64_t)off : -1;
}

/* Every lease of old whose address the new pool p hands out moves to p,
 * held or kept, with its address (a reload must not give it away). */
static void adopt_leases(struct ike_pool *p, struct ike_pool *old)
{
	for (unsigned b = 0; b < POOL_BUCKETS; b++) {
		struct ike_lease *l = old->p_hash[b], *next;

		for (; l; l = next) {
			struct ip_addr a;
			int64_t off;

			next = l->l_next;
			ike_lease_addr(l, &a);
			off = offset_in(p, &a);
			if (off < 0)
				continue;
			lease_take_out(old, l);
			lease_put_in(p, l, (uint32_t)off);
		}
	}
}

static void adopt_from(struct ike_pool *p, struct ike_pool *list)
{
	for (struct ike_pool *o = list, *next; o; o = next) {
		next = o->p_next;
		if (o != p)
			adopt_leases(p, o);
		if (o->p_detached && !o->p_held && !o->p_leases)
			pool_free(o);
	}
}

static bool pool_cfg_equal(const struct ike_pool_cfg *a, const struct ike_pool_cfg *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

static struct ike_pool *pool_named(const struct ike_engine *e, const char *name)
{
	for (struct ike_pool *p = e->e_pools; p; p = p->p_next)
		if (!p->p_detached && strcmp(p->p_cfg.pc_name, name) == 0)
			return p;
	return NULL;
}

/* Out of the engine's list; freed now or once its last lease is let go. */
static void pool_detach(struct ike_engine *e, struct ike_pool *p)
{
	pool_unlist(&e->e_pools, p);
	p->p_detached = true;
	p->p_next = e->e_pools_gone;
	e->e_pools_gone = p;
	if (!p->p_held)
		pool_free(p);
}

int ike_engine_add_pool(struct ike_engine *e, const struct ike_pool_cfg *pc)
{
	struct ike_pool *old = pool_named(e, pc->pc_name), *p;
	struct ike_pool_cfg c = *pc;

	c.pc_name[IKE_NAME_MAX - 1] = '\0';
	if (old && pool_cfg_equal(&old->p_cfg, &c)) {
		old->p_confirmed = true;
		return 0;
	}
	if ((c.pc_prefix.addr.family != AF_INET && c.pc_prefix.addr.family != AF_INET6) ||
	    c.pc_prefix.len > (c.pc_prefix.addr.family == AF_INET ? 32 : 128) ||
	    c.pc_n_dns > IKE_POOL_DNS_MAX || c.pc_n_split > IKE_POOL_SPLIT_MAX)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->p_cfg = c;
	p->p_engine = e;
	p->p_size = pool_span(&c.pc_prefix, &p->p_base);
	p->p_used = p->p_size ? calloc((p->p_size + 63) / 64, sizeof(uint64_t)) : NULL;
	if (!p->p_used) {
		free(p);
		return p->p_size ? -ENOMEM : -EINVAL;
	}
	p->p_confirmed = true;
	adopt_from(p, e->e_pools);
	adopt_from(p, e->e_pools_gone);
	if (old)
		pool_detach(e, old);
	p->p_next = e->e_pools;
	e->e_pools = p;
	return 0;
}

void ike_engine_pools_begin(struct ike_engine *e)
{
	for (struct ike_pool *p = e->e_pools; p; p = p->p_next)
		p->p_confirmed = false;
}

void ike_engine_pools_commit(struct ike_engine *e)
{
	struct ike_pool *p = e->e_pools, *next;

	for (; p; p = next) {
		next = p->p_next;
		if (!p->p_confirmed)
			pool_detach(e, p);
	}
}

void ike_engine_pools_free(struct ike_engine *e)
{
	while (e->e_pools) {
		struct ike_pool *p = e->e_pools;

		e->e_pools = p->p_next;
		pool_free(p);
	}
	while (e->e_pools_gone) /* freed by their SAs, unless the caller kept some */
		pool_free(e->e_pools_gone);
}

const struct ike_pool_cfg *ike_pool_find(const struct ike_engine *e, const char *name)
{
	const struct ike_pool *p = pool_named(e, name);

	return p ? &p->p_cfg : NULL;
}

struct ike_lease *ike_pool_acquire(struct ike_engine *e, const char *pool,
				   const struct ike_identity *id, const struct ip_addr *peer,
				   uint64_t now_ms)
{
	struct ike_pool *p = pool_named(e, pool);
	struct ike_lease *l;
	int64_t off;

	if (!p)
		return NULL;
	for (l = p->p_hash[id_hash(id)]; l; l = l->l_next)
		if (id_equal(&l->l_id, id) && (!l->l_holders || ip_addr_equal(&l->l_peer, peer)))
			break;
	if (l) {
		if (!l->l_holders++)
			p->p_held++;
		l->l_peer = *peer;
		return l;
	}
	off = find_free(p);
	if (off < 0 && reap_expired(p, now_ms))
		off = find_free(p);
	if (off < 0 || !(l = calloc(1, sizeof(*l)))) {
		p->p_exhausted++;
		return NULL;
	}
	l->l_id = *id;
	l->l_peer = *peer;
	l->l_holders = 1;
	lease_put_in(p, l, (uint32_t)off);
	return l;
}

void ike_pool_release(struct ike_lease *l, uint64_t now_ms)
{
	struct ike_pool *p;

	if (!l || !l->l_holders)
		return;
	p = l->l_pool;
	if (--l->l_holders)
		return;
	l->l_released_ms = now_ms;
	p->p_held--;
	if (!p->p_cfg.pc_lease_s || p->p_detached)
		lease_unlink(p, l);
	if (p->p_detached && !p->p_held)
		pool_free(p);
}

void ike_lease_addr(const struct ike_lease *l, struct ip_addr *out)
{
	*out = l->l_pool->p_base;
	ip_addr_add(out, l->l_off);
}

const struct ike_pool_cfg *ike_lease_pool(const struct ike_lease *l)
{
	return &l->l_pool->p_cfg;
}

static void pool_info(const struct ike_pool *p, struct ike_pool_info *pi)
{
	*pi = (struct ike_pool_info){ .pi_cfg = &p->p_cfg, .pi_size = p->p_size,
				      .pi_leases = p->p_leases, .pi_held = p->p_held,
				      .pi_exhausted = p->p_exhausted };
}

void ike_engine_pools(const struct ike_engine *e, ike_pool_fn pool_fn, ike_lease_fn lease_fn,
		      void *ctx)
{
	for (const struct ike_pool *p = e->e_pools; p; p = p->p_next) {
		struct ike_pool_info pi;

		pool_info(p, &pi);
		if (pool_fn)
			pool_fn(ctx, &pi);
		for (unsigned b = 0; lease_fn && b < POOL_BUCKETS; b++)
			for (const struct ike_lease *l = p->p_hash[b]; l; l = l->l_next) {
				struct ike_lease_info li = { .li_pool = p->p_cfg.pc_name,
							     .li_id = &l->l_id,
							     .li_holders = l->l_holders,
							     .li_released_ms = l->l_released_ms };

				ike_lease_addr(l, &li.li_addr);
				lease_fn(ctx, &li);
			}
	}
}
