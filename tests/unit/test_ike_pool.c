/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Address pools and the responder's configuration payload (RFC 7296
 * §2.19, §3.15): leases by identity, exhaustion, lease time, reload, and
 * the CFG_REPLY a CFG_REQUEST gets, with the selectors narrowed to the
 * address given. The CFG_REQUEST below is the byte layout of §3.15 and
 * §3.15.1, written out by hand; charon asking for a virtual address is
 * tests/e2e/remote_access.sh.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "engine_fixture.h"
#include "ike_sa.h"
#include "ikev2_msg.h"
#include "ikev2_payload.h"


static struct ike_pool_cfg pool(const char *name, const char *prefix, uint32_t lease_s)
{
	struct ike_pool_cfg pc = { .pc_lease_s = lease_s };

	strncpy(pc.pc_name, name, sizeof(pc.pc_name) - 1);
	cr_assert(ip_prefix_parse(prefix, &pc.pc_prefix), "%s", prefix);
	return pc;
}

static struct ike_identity fqdn(const char *name)
{
	struct ike_identity id = { .id_type = IKE_ID_FQDN, .id_len = (uint8_t)strlen(name) };

	memcpy(id.id_data, name, id.id_len);
	return id;
}

/* Leases from one peer address unless a test says otherwise. */
static struct ike_lease *acquire_from(struct ike_engine *e, const char *pool,
				      const struct ike_identity *id, const char *peer, uint64_t now)
{
	struct ip_addr a;

	cr_assert(ip_addr_parse(peer, &a));
	return ike_pool_acquire(e, pool, id, &a, now);
}

static struct ike_lease *acquire(struct ike_engine *e, const char *pool,
				 const struct ike_identity *id, uint64_t now)
{
	return acquire_from(e, pool, id, "198.51.100.1", now);
}

static char *addr_of(const struct ike_lease *l)
{
	static char buf[IP_ADDR_STRLEN];
	struct ip_addr a;

	ike_lease_addr(l, &a);
	ip_addr_format(&a, buf, sizeof(buf));
	return buf;
}

struct counted {
	struct ike_pool_info pi;
	unsigned leases;
};

static void count_pool(void *ctx, const struct ike_pool_info *pi)
{
	((struct counted *)ctx)->pi = *pi;
}

static void count_lease(void *ctx, const struct ike_lease_info *li)
{
	(void)li;
	((struct counted *)ctx)->leases++;
}

static struct counted counted(const struct ike_engine *e)
{
	struct counted c = { 0 };

	ike_engine_pools(e, count_pool, count_lease, &c);
	return c;
}

Test(ike_pool, a_29_gives_its_six_hosts_once_each_then_refuses)
{
	struct ike_engine *e = engine();
	struct ike_pool_cfg pc = pool("rw", "198.18.100.0/29", 60);
	struct ike_lease *l[7];
	char seen[7][IP_ADDR_STRLEN];

	cr_assert_eq(ike_engine_add_pool(e, &pc), 0);
	for (int i = 0; i < 6; i++) {
		char name[16];
		struct ike_identity id;

		snprintf(name, sizeof(name), "c%d.example", i);
		id = fqdn(name);
		l[i] = acquire(e, "rw", &id, 1000);
		cr_assert_not_null(l[i], "client %d", i);
		snprintf(seen[i], sizeof(seen[i]), "%s", addr_of(l[i]));
		for (int k = 0; k < i; k++)
			cr_expect_str_neq(seen[i], seen[k], "clients %d and %d share %s", i, k, seen[i]);
	}
	cr_expect_str_eq(seen[0], "198.18.100.1");
	cr_expect_str_eq(seen[5], "198.18.100.6", "the broadcast address .7 is not given");
	l[6] = acquire(e, "rw", &(struct ike_identity){ IKE_ID_FQDN, 1, "x" }, 1000);
	cr_expect_null(l[6], "a seventh client got %s", l[6] ? addr_of(l[6]) : "");
	cr_expect_eq(counted(e).pi.pi_exhausted, 1);
	cr_expect_eq(counted(e).pi.pi_held, 6);
	cr_expect_null(acquire(e, "other", &(struct ike_identity){ IKE_ID_FQDN, 1, "x" }, 1000),
		       "no such pool");
	for (int i = 0; i < 6; i++)
		ike_pool_release(l[i], 2000);
	ike_engine_free(e);
}

Test(ike_pool, an_identity_keeps_its_address_while_held_and_for_its_lease_time)
{
	struct ike_engine *e = engine();
	struct ike_pool_cfg pc = pool("rw", "198.18.100.0/30", 60);
	struct ike_identity a = fqdn("a.example"), b = fqdn("b.example"), c = fqdn("c.example");
	struct ike_lease *la, *la2, *lb, *lc;
	char first[IP_ADDR_STRLEN];

	cr_assert_eq(ike_engine_add_pool(e, &pc), 0);
	la = acquire(e, "rw", &a, 0);
	lb = acquire(e, "rw", &b, 0);
	cr_assert(la && lb);
	snprintf(first, sizeof(first), "%s", addr_of(la));
	la2 = acquire(e, "rw", &a, 0); /* a second SA of the same identity */
	cr_expect_eq(la2, la, "the same identity shares its lease");
	ike_pool_release(la2, 0);
	ike_pool_release(la, 1000); /* a's last SA gone at t = 1 s */
	cr_expect_eq(counted(e).pi.pi_held, 1);
	cr_expect_eq(counted(e).pi.pi_leases, 2, "a's lease is kept");
	cr_expect_null(acquire(e, "rw", &c, 30000), "c took a's address within its lease");
	la = acquire(e, "rw", &a, 40000);
	cr_assert_not_null(la, "a came back within its lease and got nothing");
	cr_expect_str_eq(addr_of(la), first, "a reconnected to another address");
	ike_pool_release(la, 50000);
	lc = acquire(e, "rw", &c, 50000 + 60000);
	cr_assert_not_null(lc, "a's lease ran out: c gets its address");
	cr_expect_str_eq(addr_of(lc), first);
	ike_pool_release(lb, 0);
	ike_pool_release(lc, 0);
	ike_engine_free(e);
}

Test(ike_pool, lease_time_0_gives_the_address_back_at_once)
{
	struct ike_engine *e = engine();
	struct ike_pool_cfg pc = pool("rw", "198.18.100.4/31", 0);
	struct ike_identity a = fqdn("a.example"), b = fqdn("b.example"), c = fqdn("c.example");
	struct ike_lease *la, *lb, *lc;

	cr_assert_eq(ike_engine_add_pool(e, &pc), 0);
	la = acquire(e, "rw", &a, 0);
	lb = acquire(e, "rw", &b, 0);
	cr_assert(la && lb, "a /31 holds two addresses");
	cr_expect_str_eq(addr_of(la), "198.18.100.4");
	ike_pool_release(la, 0);
	cr_expect_eq(counted(e).leases, 1);
	lc = acquire(e, "rw", &c, 0);
	cr_assert_not_null(lc);
	cr_expect_str_eq(addr_of(lc), "198.18.100.4");
	ike_pool_release(lb, 0);
	ike_pool_release(lc, 0);
	ike_engine_free(e);
}

Test(ike_pool, an_ipv6_64_is_capped_and_starts_after_the_subnet_router_address)
{
	struct ike_engine *e = engine();
	struct ike_pool_cfg pc = pool("rw6", "2001:db8:5::/64", 60);
	struct ike_identity a = fqdn("a.example");
	struct ike_lease *l;

	cr_assert_eq(ike_engine_add_pool(e, &pc), 0);
	cr_expect_eq(counted(e).pi.pi_size, IKE_POOL_SIZE_MAX);
	l = acquire(e, "rw6", &a, 0);
	cr_assert_not_null(l);
	cr_expect_str_eq(addr_of(l), "2001:db8:5::1");
	ike_pool_release(l, 0);
	ike_engine_free(e);
}

Test(ike_pool, a_reload_keeps_an_unchanged_pool_and_detaches_a_changed_one)
{
	struct ike_engine *e = engine();
	struct ike_pool_cfg pc = pool("rw", "198.18.100.0/24", 60), wider = pool("rw", "198.18.96.0/22", 60);
	struct ike_identity a = fqdn("a.example"), b = fqdn("b.example");
	struct ike_lease *la, *la2, *lb;

	cr_assert_eq(ike_engine_add_pool(e, &pc), 0);
	la = acquire(e, "rw", &a, 0);
	cr_assert_not_null(la);
	ike_engine_pools_begin(e);
	cr_assert_eq(ike_engine_add_pool(e, &pc), 0);
	ike_engine_pools_commit(e);
	la2 = acquire(e, "rw", &a, 0);
	cr_expect_eq(la2, la, "the same pool, with a's lease, after a reload that kept it");
	ike_pool_release(la2, 0);
	ike_engine_pools_begin(e);
	cr_assert_eq(ike_engine_add_pool(e, &wider), 0);
	ike_engine_pools_commit(e);
	cr_expect_str_eq(addr_of(la), "198.18.100.1", "a keeps its address from the old pool");
	lb = acquire(e, "rw", &b, 0);
	cr_assert_not_null(lb);
	cr_expect_str_eq(addr_of(lb), "198.18.96.1", "new leases come from the new pool");
	ike_pool_release(la, 0); /* the old pool goes with its last lease (LeakSanitizer) */
	ike_engine_pools_begin(e);
	ike_engine_pools_commit(e); /* a reload without it: detached, b's lease stands */
	cr_expect_str_eq(addr_of(lb), "198.18.96.1");
	cr_expect_null(acquire(e, "rw", &a, 0), "no pool rw any more");
	ike_pool_release(lb, 0);
	ike_engine_free(e);
}

Test(ike_pool, a_pool_without_an_address_family_or_with_too_many_entries_is_refused)
{
	struct ike_engine *e = engine();
	struct ike_pool_cfg none = { .pc_name = "x" }, v4 = pool("rw", "198.18.100.0/24", 60), dns = v4;

	cr_expect_eq(ike_engine_add_pool(e, &none), -EINVAL, "no family");
	v4.pc_prefix.len = 33;
	cr_expect_eq(ike_engine_add_pool(e, &v4), -EINVAL, "a /33");
	dns.pc_n_dns = IKE_POOL_DNS_MAX + 1;
	cr_expect_eq(ike_engine_add_pool(e, &dns), -EINVAL, "five DNS servers");
	cr_expect_eq(counted(e).pi.pi_cfg, NULL, "no pool made");
	ike_engine_free(e);
}

Test(ike_pool, the_same_identity_from_another_address_while_held_gets_its_own)
{
	struct ike_engine *e = engine();
	struct ike_pool_cfg pc = pool("rw", "198.18.100.0/30", 60);
	struct ike_identity a = fqdn("a.example");
	struct ike_lease *la, *again, *other;
	char first[IP_ADDR_STRLEN];

	cr_assert_eq(ike_engine_add_pool(e, &pc), 0);
	la = acquire_from(e, "rw", &a, "198.51.100.1", 0);
	cr_assert_not_null(la);
	snprintf(first, sizeof(first), "%s", addr_of(la));
	again = acquire_from(e, "rw", &a, "198.51.100.1", 0); /* re-authentication */
	cr_expect_eq(again, la);
	other = acquire_from(e, "rw", &a, "198.51.100.9", 0); /* someone else naming itself a */
	cr_assert_not_null(other);
	cr_expect_str_neq(addr_of(other), first, "a second client took a's address %s", first);
	ike_pool_release(again, 0);
	ike_pool_release(la, 0);
	ike_pool_release(other, 0);
	ike_engine_free(e);
}

Test(ike_pool, an_ipv6_128_and_an_ipv4_32_each_hold_their_one_address)
{
	struct ike_engine *e = engine();
	struct ike_pool_cfg p6 = pool("one6", "2001:db8:9::5/128", 0), p4 = pool("one4", "198.18.0.9/32", 0);
	struct ike_identity a = fqdn("a.example"), b = fqdn("b.example");
	struct ike_lease *l6, *l4;

	cr_assert_eq(ike_engine_add_pool(e, &p6), 0);
	cr_assert_eq(ike_engine_add_pool(e, &p4), 0);
	l6 = acquire(e, "one6", &a, 0);
	l4 = acquire(e, "one4", &a, 0);
	cr_assert(l6 && l4);
	cr_expect_str_eq(addr_of(l6), "2001:db8:9::5");
	cr_expect_str_eq(addr_of(l4), "198.18.0.9");
	cr_expect_null(acquire(e, "one6", &b, 0), "the one address is taken");
	ike_pool_release(l6, 0);
	ike_pool_release(l4, 0);
	ike_engine_free(e);
}

/* A reload that changes a pool (its DNS here), or replaces it with another
 * one covering its addresses: what SAs hold is not handed out again. */
Test(ike_pool, a_changed_or_replacing_pool_keeps_the_held_addresses)
{
	struct ike_engine *e = engine();
	struct ike_pool_cfg pc = pool("rw", "198.18.100.0/30", 60), dns = pc;
	struct ike_pool_cfg other = pool("rw2", "198.18.100.0/29", 60);
	struct ike_identity a = fqdn("a.example"), b = fqdn("b.example"), c = fqdn("c.example");
	struct ike_lease *la, *lb, *lc, *la2;
	char held[IP_ADDR_STRLEN];

	cr_assert(ip_addr_parse("198.18.2.53", &dns.pc_dns[0]));
	dns.pc_n_dns = 1;
	cr_assert_eq(ike_engine_add_pool(e, &pc), 0);
	la = acquire(e, "rw", &a, 0);
	cr_assert_not_null(la);
	snprintf(held, sizeof(held), "%s", addr_of(la));
	ike_engine_pools_begin(e);
	cr_assert_eq(ike_engine_add_pool(e, &dns), 0);
	ike_engine_pools_commit(e);
	lb = acquire(e, "rw", &b, 0);
	cr_assert_not_null(lb);
	cr_expect_str_neq(addr_of(lb), held, "b got a's held address %s", held);
	la2 = acquire(e, "rw", &a, 0);
	cr_expect_eq(la2, la, "a's lease moved to the changed pool");
	ike_pool_release(la2, 0);
	/* rw removed, rw2 (covering it) added: a's and b's addresses stay theirs */
	ike_engine_pools_begin(e);
	cr_assert_eq(ike_engine_add_pool(e, &other), 0);
	ike_engine_pools_commit(e);
	cr_expect_eq(counted(e).pi.pi_leases, 2, "rw2 took rw's leases");
	for (int i = 0; i < 4; i++) {
		char name[8];
		struct ike_identity id;

		snprintf(name, sizeof(name), "n%d", i);
		id = fqdn(name);
		lc = acquire(e, "rw2", &id, 0);
		cr_assert_not_null(lc);
		cr_expect(strcmp(addr_of(lc), held) != 0, "%s handed out again", held);
		ike_pool_release(lc, 0);
	}
	cr_expect_null(acquire(e, "rw", &c, 0), "no pool rw any more");
	ike_pool_release(la, 0);
	ike_pool_release(lb, 0);
	ike_engine_free(e);
}

/* ---- the configuration payload ---- */

/* IDi (FQDN alice.example), then CP(CFG_REQUEST) asking for an IPv4 and
 * an IPv6 address, their DNS servers and the IPv4 subnets: §3.5, §3.15,
 * §3.15.1 (attributes empty in a request). */
static const uint8_t request[] = {
	IKE_PL_CP, 0, 0, 21, IKE_ID_FQDN, 0, 0, 0,
	'a', 'l', 'i', 'c', 'e', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e',
	0, 0, 0, 28, IKE_CFG_REQUEST, 0, 0, 0,
	0, 1, 0, 0,  /* INTERNAL_IP4_ADDRESS */
	0, 3, 0, 0,  /* INTERNAL_IP4_DNS */
	0, 8, 0, 0,  /* INTERNAL_IP6_ADDRESS */
	0, 10, 0, 0, /* INTERNAL_IP6_DNS */
	0, 13, 0, 0, /* INTERNAL_IP4_SUBNET */
};

struct cp_fixture {
	struct ike_engine *e;
	struct ike_conn_cfg conn;
	struct ike_sa *sa;
	struct ike_chain chain;
};

static void cp_setup(struct cp_fixture *f, unsigned n_pools)
{
	struct ike_pool_cfg p4 = pool("rw4", "198.18.100.0/24", 60);
	struct ike_pool_cfg p6 = pool("rw6", "2001:db8:5::/112", 60);

	memset(f, 0, sizeof(*f));
	f->e = engine();
	cr_assert(ip_addr_parse("198.18.2.53", &p4.pc_dns[0]));
	p4.pc_n_dns = 1;
	cr_assert(ip_prefix_parse("198.18.2.0/24", &p4.pc_split[0]));
	cr_assert(ip_prefix_parse("198.18.8.0/21", &p4.pc_split[1]));
	p4.pc_n_split = 2;
	cr_assert(ip_addr_parse("2001:db8:2::53", &p6.pc_dns[0]));
	p6.pc_n_dns = 1;
	cr_assert_eq(ike_engine_add_pool(f->e, &p4), 0);
	cr_assert_eq(ike_engine_add_pool(f->e, &p6), 0);
	strcpy(f->conn.c_name, "rw");
	if (n_pools > 0)
		strcpy(f->conn.c_pools[0], "rw4");
	if (n_pools > 1)
		strcpy(f->conn.c_pools[1], "rw6");
	f->conn.c_n_pools = (uint8_t)n_pools;
	f->sa = calloc(1, sizeof(*f->sa));
	f->sa->sa_engine = f->e;
	f->sa->sa_conn = &f->conn;
	f->sa->sa_id = 7;
	cr_assert_eq(ike_chain_parse(IKE_PL_IDI, request, sizeof(request), &f->chain), 0);
}

static void cp_teardown(struct cp_fixture *f)
{
	ike_cp_release(f->sa);
	free(f->sa);
	ike_engine_free(f->e);
}

/* The reply's attributes as "type=value" strings, one line. */
static void reply_text(const uint8_t *buf, size_t len, char *out, size_t cap)
{
	struct ike_chain ch;
	struct ike_pl_cp cp;
	size_t used = 0;

	cr_assert_eq(ike_chain_parse(IKE_PL_CP, buf, len, &ch), 0);
	cr_assert_eq(ike_pl_cp_decode(&ch.c_pl[0], &cp), 0);
	cr_expect_eq(cp.cp_type, IKE_CFG_REPLY);
	out[0] = '\0';
	for (unsigned i = 0; i < cp.cp_n && used < cap; i++) {
		const struct ike_cp_attr *a = &cp.cp_attr[i];
		char v[64] = "";

		if (a->ca_len == 4 || a->ca_len == 8)
			inet_ntop(AF_INET, a->ca_val, v, sizeof(v));
		else if (a->ca_len >= 16)
			inet_ntop(AF_INET6, a->ca_val, v, sizeof(v));
		if (a->ca_len == 8)
			snprintf(v + strlen(v), sizeof(v) - strlen(v), "/%08x",
				 (unsigned)a->ca_val[4] << 24 | a->ca_val[5] << 16 | a->ca_val[6] << 8 |
				 a->ca_val[7]);
		if (a->ca_len == 17)
			snprintf(v + strlen(v), sizeof(v) - strlen(v), "/%u", a->ca_val[16]);
		used += (size_t)snprintf(out + used, cap - used, "%s%u=%s", i ? " " : "", a->ca_type, v);
	}
}

Test(ike_cp, a_request_for_both_families_gets_an_address_each_dns_and_the_subnets)
{
	struct cp_fixture f;
	uint8_t buf[512];
	struct ike_writer w;
	char text[512];

	cp_setup(&f, 2);
	ike_w_init(&w, buf, sizeof(buf));
	cr_assert_eq(ike_cp_respond(f.sa, &f.chain, &w), 0);
	cr_assert_eq(w.w_err, 0);
	reply_text(buf, w.w_len, text, sizeof(text));
	cr_expect_str_eq(text, "1=198.18.100.1 3=198.18.2.53 13=198.18.2.0/ffffff00 13=198.18.8.0/fffff800 "
			       "8=2001:db8:5::1/128 10=2001:db8:2::53",
			 "%s", text);
	cr_expect_eq(f.sa->sa_n_vip, 2);
	cp_teardown(&f);
}

Test(ike_cp, the_peers_selectors_narrow_to_its_addresses)
{
	struct cp_fixture f;
	uint8_t buf[512];
	struct ike_writer w;
	struct ike_selectors ts = { .ts_n = 3 };
	const uint8_t v4[4] = { 198, 18, 100, 1 };

	cp_setup(&f, 1);
	ike_w_init(&w, buf, sizeof(buf));
	cr_assert_eq(ike_cp_respond(f.sa, &f.chain, &w), 0);
	/* 0.0.0.0-255.255.255.255 (what charon sends), 10.0.0.0/8, and ::/0 */
	ts.ts[0] = (struct ike_selector){ .ts_type = IKE_SEL_IPV4, .ts_eport = 65535 };
	memset(ts.ts[0].ts_end, 0xff, 4);
	ts.ts[1] = ts.ts[0];
	ts.ts[1].ts_start[0] = ts.ts[1].ts_end[0] = 10;
	ts.ts[2] = (struct ike_selector){ .ts_type = IKE_SEL_IPV6, .ts_eport = 65535 };
	memset(ts.ts[2].ts_end, 0xff, 16);
	ike_cp_narrow(f.sa, &ts);
	cr_assert_eq(ts.ts_n, 1, "only the selector holding 198.18.100.1 stays: %u", ts.ts_n);
	cr_expect(memcmp(ts.ts[0].ts_start, v4, 4) == 0 && memcmp(ts.ts[0].ts_end, v4, 4) == 0);
	cr_expect_eq(ts.ts[0].ts_eport, 65535);
	cp_teardown(&f);
}

Test(ike_cp, no_cfg_request_on_a_pool_connection_is_failed_cp_required_and_narrows_to_nothing)
{
	struct cp_fixture f;
	uint8_t buf[512];
	struct ike_writer w;
	struct ike_chain no_cp;
	struct ike_selectors ts = { .ts_n = 1 };

	cp_setup(&f, 1);
	/* the IDi alone: no CP */
	cr_assert_eq(ike_chain_parse(IKE_PL_IDI, (const uint8_t *)"\0\0\0\x15\x02\0\0\0alice.example",
				     21, &no_cp), 0);
	ike_w_init(&w, buf, sizeof(buf));
	cr_expect_eq(ike_cp_respond(f.sa, &no_cp, &w), IKE_N_FAILED_CP_REQUIRED);
	cr_expect_eq(w.w_len, 0);
	/* and a later CREATE_CHILD_SA's TSi: no address of its own, so nothing */
	ts.ts[0] = (struct ike_selector){ .ts_type = IKE_SEL_IPV4, .ts_eport = 65535 };
	memset(ts.ts[0].ts_end, 0xff, 4);
	ike_cp_narrow(f.sa, &ts);
	cr_expect_eq(ts.ts_n, 0, "a pool connection's SA without an address kept %u selectors", ts.ts_n);
	cp_teardown(&f);
}

Test(ike_cp, an_address_asked_of_a_connection_without_a_pool_is_internal_address_failure)
{
	struct cp_fixture f;
	uint8_t buf[512];
	struct ike_writer w;

	cp_setup(&f, 0);
	ike_w_init(&w, buf, sizeof(buf));
	cr_expect_eq(ike_cp_respond(f.sa, &f.chain, &w), IKE_N_INTERNAL_ADDRESS_FAILURE);
	cr_expect_eq(w.w_len, 0, "no CFG_REPLY");
	cr_expect_eq(f.sa->sa_n_vip, 0);
	cp_teardown(&f);
}

Test(ike_cp, an_exhausted_pool_is_internal_address_failure_and_counted)
{
	struct cp_fixture f;
	uint8_t buf[512];
	struct ike_writer w;
	struct ike_pool_cfg tiny = pool("rw4", "198.18.100.8/32", 60);
	struct ike_identity other = fqdn("bob.example");
	struct ike_lease *held;

	cp_setup(&f, 1);
	ike_engine_pools_begin(f.e);
	cr_assert_eq(ike_engine_add_pool(f.e, &tiny), 0);
	ike_engine_pools_commit(f.e);
	held = acquire(f.e, "rw4", &other, 0);
	cr_assert_not_null(held);
	ike_w_init(&w, buf, sizeof(buf));
	cr_expect_eq(ike_cp_respond(f.sa, &f.chain, &w), IKE_N_INTERNAL_ADDRESS_FAILURE);
	cr_expect_eq(counted(f.e).pi.pi_exhausted, 1);
	ike_pool_release(held, 0);
	cp_teardown(&f);
}
