/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Route lookup and the worker's forwarding decisions on crafted frames.
 * Ports are net_ring devices, so what a worker transmits lands in a ring
 * the test reads back; punted frames land in the punt ring.
 */
#include <criterion/criterion.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "dp.h"

#define RING_SZ 256

static struct dp dp;
static struct dp_worker *w;
static struct rte_ring *txr[2];
static const uint8_t MAC_LAN[6] = { 2, 0, 0, 0, 0, 1 };
static const uint8_t MAC_WAN[6] = { 2, 0, 0, 0, 0, 2 };
static const uint8_t MAC_H1[6] = { 2, 0, 0, 0, 1, 1 };
static const uint8_t MAC_H2[6] = { 2, 0, 0, 0, 2, 2 };

static struct ip_prefix pfx(const char *s)
{
	struct ip_prefix p;
	cr_assert(ip_prefix_parse(s, &p), "prefix %s", s);
	return p;
}

static struct ip_addr addr(const char *s)
{
	struct ip_addr a;
	cr_assert(ip_addr_parse(s, &a), "address %s", s);
	return a;
}

static void eal_up(void)
{
	char prefix[48];
	char *argv[] = { "test_route", "--no-huge", "-m", "300", "--no-pci",
			 "--no-shconf", "--file-prefix", prefix, "--no-telemetry",
			 "-l", "0", "--log-level", "error", NULL };

	snprintf(prefix, sizeof(prefix), "test_route_%d", (int)getpid());
	cr_assert(rte_eal_init(RTE_DIM(argv) - 1, argv) >= 0);
}

static void add_port(unsigned idx, const char *name, const uint8_t mac[6],
		     const char *a4, const char *a6)
{
	struct rte_ring *rx, *tx;
	char n[32];
	int id;

	snprintf(n, sizeof(n), "%s_rx", name);
	rx = rte_ring_create(n, RING_SZ, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(n, sizeof(n), "%s_tx", name);
	tx = rte_ring_create(n, RING_SZ, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	id = rte_eth_from_rings(name, &rx, 1, &tx, 1, 0);
	cr_assert(id >= 0);
	txr[idx] = tx;
	dp.ports[idx].pt_if.port = (uint16_t)id;
	memcpy(dp.ports[idx].pt_if.mac, mac, 6);
	dp.ports[idx].pt_if.mtu = 1500;
	dp.ports[idx].pt_if.addrs[0] = pfx(a4);
	dp.ports[idx].pt_if.addrs[1] = pfx(a6);
	dp.ports[idx].pt_if.n_addrs = 2;
	dp.ports[idx].pt_nb_rxq = 1;
	dp.ports[idx].pt_tx_owner = 0;
	dp.port_index[id] = (uint16_t)idx;
	for (unsigned i = 0; i < 2; i++) {
		struct ip_prefix host = dp.ports[idx].pt_if.addrs[i];
		host.len = (uint8_t)(ip_addr_len(&host.addr) * 8);
		cr_assert_eq(dp_route_add(dp.route, &dp.ports[idx].pt_if.addrs[i],
					  dp_nh_make(DP_NH_CONNECTED, idx)), 0);
		cr_assert_eq(dp_route_add(dp.route, &host, dp_nh_make(DP_NH_LOCAL, idx)), 0);
	}
}

static void resolve(const char *ip, unsigned port, const uint8_t mac[6])
{
	struct ip_addr a = addr(ip);
	int idx = dp_neigh_get(dp.neigh, &a, (uint16_t)port);

	cr_assert(idx >= 0);
	dp_neigh_set_mac(dp.neigh, (uint32_t)idx, mac, true);
}

static void add_route(const char *prefix, uint32_t nh)
{
	struct ip_prefix p = pfx(prefix);
	cr_assert_eq(dp_route_add(dp.route, &p, nh), 0);
}

static void setup(void)
{
	struct ip_addr gw;
	int idx;

	eal_up();
	memset(&dp, 0, sizeof(dp));
	dp.pool = rte_pktmbuf_pool_create("t_mbufs", 1023, 0, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	dp.pool_indirect = rte_pktmbuf_pool_create("t_indirect", 255, 0, 0, 0, 0);
	dp.route = dp_route_create("t_rt", 0, 1024);
	dp.neigh = dp_neigh_create("t_nb", 0, 64);
	dp.punt = rte_ring_create("t_punt", RING_SZ, 0, RING_F_SC_DEQ);
	cr_assert(dp.pool && dp.route && dp.neigh && dp.punt);
	dp.n_workers = 1;
	dp.workers = rte_zmalloc("t_w", sizeof(*dp.workers), RTE_CACHE_LINE_SIZE);
	w = dp.workers;
	dp.n_ports = 2;
	add_port(0, "net_ring_lan", MAC_LAN, "198.18.1.1/24", "2001:db8:1::1/64");
	add_port(1, "net_ring_wan", MAC_WAN, "198.18.2.1/24", "2001:db8:2::1/64");
	for (unsigned i = 0; i < 2; i++) {
		cr_assert_eq(rte_eth_dev_configure(dp.ports[i].pt_if.port, 1, 1,
						   &(struct rte_eth_conf){ 0 }), 0);
		cr_assert_eq(rte_eth_rx_queue_setup(dp.ports[i].pt_if.port, 0, 64, 0,
						    NULL, dp.pool), 0);
		cr_assert_eq(rte_eth_tx_queue_setup(dp.ports[i].pt_if.port, 0, 64, 0,
						    NULL), 0);
		cr_assert_eq(rte_eth_dev_start(dp.ports[i].pt_if.port), 0);
	}
	resolve("198.18.2.2", 1, MAC_H2);
	resolve("2001:db8:2::2", 1, MAC_H2);
	resolve("198.18.1.2", 0, MAC_H1);
	gw = addr("198.18.2.3"); /* a gateway that never answered */
	idx = dp_neigh_get(dp.neigh, &gw, 1);
	cr_assert(idx >= 0);
	add_route("198.18.64.0/18", dp_nh_make(DP_NH_GATEWAY, (uint32_t)idx));
	gw = addr("198.18.2.2");
	add_route("198.18.100.0/24",
		  dp_nh_make(DP_NH_GATEWAY, (uint32_t)dp_neigh_find(dp.neigh, &gw)));
}

TestSuite(route, .init = eal_up);
TestSuite(worker, .init = setup);

/* ---- route lookups ---- */

Test(route, longest_prefix_match_v4_v6)
{
	struct dp_route *rt = dp_route_create("lpm", 0, 64);
	static const struct { const char *prefix; uint32_t nh; } routes[] = {
		{ "0.0.0.0/0", 1 }, { "198.18.0.0/15", 2 }, { "198.18.5.0/24", 3 },
		{ "198.18.5.7/32", 4 }, { "::/0", 11 }, { "2001:db8::/32", 12 },
		{ "2001:db8:5::/48", 13 }, { "2001:db8:5::7/128", 14 },
	};
	static const struct { const char *ip; uint32_t nh; } cases[] = {
		{ "192.0.2.1", 1 }, { "198.19.255.255", 2 }, { "198.18.5.6", 3 },
		{ "198.18.5.7", 4 }, { "198.18.5.8", 3 }, { "198.18.6.0", 2 },
		{ "2001:db9::1", 11 }, { "2001:db8:4::1", 12 }, { "2001:db8:5::6", 13 },
		{ "2001:db8:5::7", 14 }, { "2001:db8:5:ffff::", 13 },
	};

	cr_assert_not_null(rt);
	for (size_t i = 0; i < RTE_DIM(routes); i++) {
		struct ip_prefix p = pfx(routes[i].prefix);
		cr_assert_eq(dp_route_add(rt, &p, routes[i].nh), 0, "%s", routes[i].prefix);
	}
	for (size_t i = 0; i < RTE_DIM(cases); i++) {
		struct ip_addr a = addr(cases[i].ip);
		cr_expect_eq(dp_route_lookup(rt, &a), cases[i].nh, "%s", cases[i].ip);
	}
	dp_route_free(rt);
}

Test(route, delete_falls_back_and_empty_table_has_no_route)
{
	struct dp_route *rt = dp_route_create("del", 0, 64);
	struct ip_prefix wide = pfx("198.18.0.0/16"), narrow = pfx("198.18.1.0/24");
	struct ip_addr a = addr("198.18.1.9"), b = addr("203.0.113.1");

	cr_assert_eq(dp_route_add(rt, &wide, dp_nh_make(DP_NH_CONNECTED, 1)), 0);
	cr_assert_eq(dp_route_add(rt, &narrow, dp_nh_make(DP_NH_GATEWAY, 7)), 0);
	cr_expect_eq(dp_nh_kind(dp_route_lookup(rt, &a)), DP_NH_GATEWAY);
	cr_expect_eq(dp_nh_value(dp_route_lookup(rt, &a)), 7);
	cr_assert_eq(dp_route_del(rt, &narrow), 0);
	cr_expect_eq(dp_nh_kind(dp_route_lookup(rt, &a)), DP_NH_CONNECTED);
	cr_expect_eq(dp_route_lookup(rt, &b), DP_NH_NONE);
	dp_route_free(rt);
}

Test(route, host_bits_of_a_connected_prefix_are_ignored)
{
	struct dp_route *rt = dp_route_create("host", 0, 64);
	struct ip_prefix p = pfx("198.18.1.1/24");
	struct ip_addr a = addr("198.18.1.200");

	cr_assert_eq(dp_route_add(rt, &p, dp_nh_make(DP_NH_CONNECTED, 0)), 0);
	cr_expect_eq(dp_nh_kind(dp_route_lookup(rt, &a)), DP_NH_CONNECTED);
	dp_route_free(rt);
}

/* ---- frames ---- */

struct frame {
	uint8_t b[1600];
	size_t len;
};

static void eth(struct frame *f, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	memcpy(f->b, dst, 6);
	memcpy(f->b + 6, src, 6);
	f->b[12] = (uint8_t)(type >> 8);
	f->b[13] = (uint8_t)type;
	f->len = 14;
}

static struct frame udp4(const char *src, const char *dst, uint8_t ttl, size_t payload)
{
	struct frame f;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f.b + 14);
	struct ip_addr s = addr(src), d = addr(dst);

	memset(&f, 0, sizeof(f));
	eth(&f, MAC_LAN, MAC_H1, RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + 8 + payload));
	ip->time_to_live = ttl;
	ip->next_proto_id = IPPROTO_UDP;
	memcpy(&ip->src_addr, s.bytes, 4);
	memcpy(&ip->dst_addr, d.bytes, 4);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	f.len += 20 + 8 + payload;
	return f;
}

static struct frame udp6(const char *src, const char *dst, uint8_t hops, size_t payload)
{
	struct frame f;
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(f.b + 14);
	struct ip_addr s = addr(src), d = addr(dst);

	memset(&f, 0, sizeof(f));
	eth(&f, MAC_LAN, MAC_H1, RTE_ETHER_TYPE_IPV6);
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16((uint16_t)(8 + payload));
	ip->proto = IPPROTO_UDP;
	ip->hop_limits = hops;
	memcpy(ip->src_addr, s.bytes, 16);
	memcpy(ip->dst_addr, d.bytes, 16);
	f.len += 40 + 8 + payload;
	return f;
}

static void run(const struct frame *f)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp.pool);

	cr_assert_not_null(m);
	memcpy(rte_pktmbuf_append(m, (uint16_t)f->len), f->b, f->len);
	m->port = dp.ports[0].pt_if.port;
	dp_worker_input(&dp, w, 0, &m, 1);
	dp_worker_flush(&dp, w);
}

static struct rte_mbuf *take(struct rte_ring *r)
{
	void *m = NULL;

	if (rte_ring_dequeue(r, &m) != 0)
		return NULL;
	return m;
}

static void expect_punt(enum dp_punt_reason why)
{
	struct rte_mbuf *m = take(dp.punt);

	cr_assert_not_null(m, "expected a punt");
	cr_expect_eq(dp_punt_reason(m), why);
	rte_pktmbuf_free(m);
	cr_expect_null(take(txr[0]));
	cr_expect_null(take(txr[1]));
}

static void expect_nothing_out(void)
{
	cr_expect_null(take(dp.punt));
	cr_expect_null(take(txr[0]));
	cr_expect_null(take(txr[1]));
}

static void expect_no_leak(void)
{
	cr_expect_eq(rte_mempool_in_use_count(dp.pool), 0, "mbufs leaked: %u",
		     rte_mempool_in_use_count(dp.pool));
}

Test(worker, ipv4_forwarded_with_ttl_checksum_and_macs_rewritten)
{
	struct frame f = udp4("198.18.1.2", "198.18.2.2", 64, 100);
	struct rte_mbuf *m;
	struct rte_ipv4_hdr *ip;
	struct rte_ether_hdr *e;

	run(&f);
	m = take(txr[1]);
	cr_assert_not_null(m);
	e = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
	cr_expect_arr_eq(e->dst_addr.addr_bytes, MAC_H2, 6);
	cr_expect_arr_eq(e->src_addr.addr_bytes, MAC_WAN, 6);
	cr_expect_eq(ip->time_to_live, 63);
	cr_expect_eq(rte_raw_cksum(ip, 20), 0xffff);
	cr_expect_eq(m->pkt_len, f.len);
	cr_expect_eq(w->w_cnt[DP_W_forwarded], 1);
	cr_expect_eq(w->w_cnt[DP_W_tx_packets], 1);
	rte_pktmbuf_free(m);
	expect_nothing_out();
	expect_no_leak();
}

Test(worker, ipv4_checksum_update_carries)
{
	/* Headers whose checksum field sits near 0xffff exercise the
	 * end-around carry of the incremental update. */
	for (unsigned id = 0; id < 2048; id++) {
		struct frame f = udp4("198.18.1.2", "198.18.2.2", (uint8_t)(2 + id % 250), 10);
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f.b + 14);
		struct rte_mbuf *m;

		ip->packet_id = rte_cpu_to_be_16((uint16_t)(id * 37));
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		run(&f);
		m = take(txr[1]);
		cr_assert_not_null(m);
		ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
		cr_assert_eq(rte_raw_cksum(ip, 20), 0xffff, "id %u", id);
		rte_pktmbuf_free(m);
	}
	expect_no_leak();
}

Test(worker, ipv6_forwarded_with_hop_limit)
{
	struct frame f = udp6("2001:db8:1::2", "2001:db8:2::2", 2, 64);
	struct rte_mbuf *m;

	run(&f);
	m = take(txr[1]);
	cr_assert_not_null(m);
	cr_expect_eq(rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, 14)->hop_limits, 1);
	cr_expect_arr_eq(rte_pktmbuf_mtod(m, uint8_t *), MAC_H2, 6);
	rte_pktmbuf_free(m);
	expect_no_leak();
}

Test(worker, gateway_route_uses_the_gateway_mac)
{
	struct frame f = udp4("198.18.1.2", "198.18.100.77", 64, 10);
	struct rte_mbuf *m;

	run(&f);
	m = take(txr[1]);
	cr_assert_not_null(m);
	cr_expect_arr_eq(rte_pktmbuf_mtod(m, uint8_t *), MAC_H2, 6);
	rte_pktmbuf_free(m);
	expect_no_leak();
}

struct punt_case {
	const char *name;
	struct frame (*make)(void);
	enum dp_punt_reason why;
	enum dp_worker_counter counter;
};

static struct frame ttl_one(void) { return udp4("198.18.1.2", "198.18.2.2", 1, 10); }
static struct frame hop_one(void) { return udp6("2001:db8:1::2", "2001:db8:2::2", 1, 10); }
static struct frame to_us4(void) { return udp4("198.18.1.2", "198.18.2.1", 64, 10); }
static struct frame to_us6(void) { return udp6("2001:db8:1::2", "2001:db8:1::1", 64, 10); }
static struct frame no_route4(void) { return udp4("198.18.1.2", "203.0.113.9", 64, 10); }
static struct frame no_route6(void) { return udp6("2001:db8:1::2", "2001:db8:99::1", 64, 10); }
static struct frame unresolved_connected(void) { return udp4("198.18.1.2", "198.18.2.77", 64, 10); }
static struct frame unresolved_gateway(void) { return udp4("198.18.1.2", "198.18.64.1", 64, 10); }
static struct frame too_big4(void)
{
	struct frame f = udp4("198.18.1.2", "198.18.2.2", 64, 1500 - 28 + 1);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f.b + 14);

	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	return f;
}
static struct frame too_big6(void) { return udp6("2001:db8:1::2", "2001:db8:2::2", 64, 1500 - 48 + 1); }
static struct frame arp(void)
{
	struct frame f;
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	memset(&f, 0, sizeof(f));
	eth(&f, bcast, MAC_H1, RTE_ETHER_TYPE_ARP);
	f.len = 60;
	return f;
}
static struct frame nd_multicast(void)
{
	struct frame f = udp6("2001:db8:1::2", "ff02::1:ff00:1", 255, 24);
	static const uint8_t mc[6] = { 0x33, 0x33, 0xff, 0, 0, 1 };
	memcpy(f.b, mc, 6);
	f.b[14 + 6] = IPPROTO_ICMPV6;
	return f;
}

Test(worker, punts_with_the_right_reason_and_counter)
{
	static const struct punt_case cases[] = {
		{ "ttl 1", ttl_one, DP_PUNT_TTL, DP_W_ttl_expired },
		{ "hop limit 1", hop_one, DP_PUNT_TTL, DP_W_ttl_expired },
		{ "ipv4 to us", to_us4, DP_PUNT_LOCAL, DP_W_punted },
		{ "ipv6 to us", to_us6, DP_PUNT_LOCAL, DP_W_punted },
		{ "no route v4", no_route4, DP_PUNT_NO_ROUTE, DP_W_no_route },
		{ "no route v6", no_route6, DP_PUNT_NO_ROUTE, DP_W_no_route },
		{ "unresolved host", unresolved_connected, DP_PUNT_NEIGH, DP_W_punted },
		{ "unresolved gateway", unresolved_gateway, DP_PUNT_NEIGH, DP_W_punted },
		{ "too big v4 with DF", too_big4, DP_PUNT_TOO_BIG, DP_W_too_big },
		{ "too big v6", too_big6, DP_PUNT_TOO_BIG, DP_W_too_big },
		{ "arp", arp, DP_PUNT_ARP, DP_W_punted },
		{ "nd multicast", nd_multicast, DP_PUNT_LOCAL, DP_W_punted },
	};

	for (size_t i = 0; i < RTE_DIM(cases); i++) {
		struct frame f = cases[i].make();
		uint64_t before = w->w_cnt[cases[i].counter];

		run(&f);
		cr_expect_eq(w->w_cnt[cases[i].counter], before + 1, "%s", cases[i].name);
		expect_punt(cases[i].why);
	}
	expect_no_leak();
}

struct drop_case {
	const char *name;
	void (*mangle)(struct frame *f);
	enum dp_worker_counter counter;
};

static void bad_csum(struct frame *f) { f->b[14 + 10] ^= 0x55; }
static void bad_version(struct frame *f) { f->b[14] = 0x55; }
static void short_ihl(struct frame *f) { f->b[14] = 0x44; }
static void long_total(struct frame *f) { f->b[14 + 2] = 0x10; }
static void runt(struct frame *f) { f->len = 13; }
static void truncated_ip(struct frame *f) { f->len = 14 + 19; }
static void other_mac(struct frame *f) { f->b[5] = 0x77; }
static void vlan(struct frame *f) { f->b[12] = 0x81; f->b[13] = 0x00; }
static void src_multicast(struct frame *f)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f->b + 14);
	ip->src_addr = rte_cpu_to_be_32(0xe0000001);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}
static void dst_loopback(struct frame *f)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f->b + 14);
	ip->dst_addr = rte_cpu_to_be_32(0x7f000001);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}
static void l2_broadcast(struct frame *f) { memset(f->b, 0xff, 6); }

Test(worker, malformed_and_martian_ipv4_dropped_and_counted)
{
	static const struct drop_case cases[] = {
		{ "bad checksum", bad_csum, DP_W_bad_ipv4 },
		{ "version 5", bad_version, DP_W_bad_ipv4 },
		{ "ihl 4", short_ihl, DP_W_bad_ipv4 },
		{ "total length beyond frame", long_total, DP_W_bad_ipv4 },
		{ "runt", runt, DP_W_bad_l2 },
		{ "truncated header", truncated_ip, DP_W_bad_ipv4 },
		{ "other unicast MAC", other_mac, DP_W_not_for_us },
		{ "vlan tag", vlan, DP_W_bad_l2 },
		{ "multicast source", src_multicast, DP_W_martian },
		{ "loopback destination", dst_loopback, DP_W_martian },
		{ "link-layer broadcast", l2_broadcast, DP_W_martian },
	};

	for (size_t i = 0; i < RTE_DIM(cases); i++) {
		struct frame f = udp4("198.18.1.2", "198.18.2.2", 64, 10);
		uint64_t before = w->w_cnt[cases[i].counter];

		cases[i].mangle(&f);
		run(&f);
		cr_expect_eq(w->w_cnt[cases[i].counter], before + 1, "%s", cases[i].name);
		expect_nothing_out();
	}
	cr_expect_eq(w->w_cnt[DP_W_forwarded], 0);
	expect_no_leak();
}

static void v6_link_local_src(struct frame *f) { f->b[22] = 0xfe; f->b[23] = 0x80; }
static void v6_bad_version(struct frame *f) { f->b[14] = 0x45; }
static void v6_long_payload(struct frame *f) { f->b[14 + 4] = 0x40; }
static void v6_jumbo(struct frame *f) { f->b[14 + 4] = 0; f->b[14 + 5] = 0; }
static void v6_multicast_udp(struct frame *f) { f->b[38] = 0xff; f->b[39] = 0x0e; }

Test(worker, malformed_and_martian_ipv6_dropped_and_counted)
{
	static const struct drop_case cases[] = {
		{ "link-local source", v6_link_local_src, DP_W_martian },
		{ "version 4 in v6 frame", v6_bad_version, DP_W_bad_ipv6 },
		{ "payload beyond frame", v6_long_payload, DP_W_bad_ipv6 },
		{ "payload length 0", v6_jumbo, DP_W_bad_ipv6 },
		{ "multicast udp", v6_multicast_udp, DP_W_martian },
	};

	for (size_t i = 0; i < RTE_DIM(cases); i++) {
		struct frame f = udp6("2001:db8:1::2", "2001:db8:2::2", 64, 10);
		uint64_t before = w->w_cnt[cases[i].counter];

		cases[i].mangle(&f);
		run(&f);
		cr_expect_eq(w->w_cnt[cases[i].counter], before + 1, "%s", cases[i].name);
		expect_nothing_out();
	}
	expect_no_leak();
}

Test(worker, ethernet_padding_is_trimmed_before_forwarding)
{
	struct frame f = udp4("198.18.1.2", "198.18.2.2", 64, 0); /* 42 bytes */
	struct rte_mbuf *m;

	f.len = 60; /* padded to the Ethernet minimum */
	run(&f);
	m = take(txr[1]);
	cr_assert_not_null(m);
	cr_expect_eq(m->pkt_len, 42);
	rte_pktmbuf_free(m);
	expect_no_leak();
}

Test(worker, every_truncation_of_a_frame_is_handled_without_leak)
{
	struct frame full4 = udp4("198.18.1.2", "198.18.2.2", 64, 40);
	struct frame full6 = udp6("2001:db8:1::2", "2001:db8:2::2", 64, 40);

	for (size_t len = 0; len < full4.len; len++) {
		struct frame f = full4;
		f.len = len;
		run(&f);
	}
	for (size_t len = 0; len < full6.len; len++) {
		struct frame f = full6;
		f.len = len;
		run(&f);
	}
	cr_expect_eq(w->w_cnt[DP_W_forwarded], 0);
	cr_expect_eq(w->w_cnt[DP_W_rx_packets], full4.len + full6.len);
	expect_nothing_out();
	expect_no_leak();
}

Test(worker, ipv4_too_big_without_df_is_fragmented)
{
	/* 1400 bytes of UDP payload in 1428 bytes of IP, out of a 576-byte MTU. */
	struct frame f = udp4("198.18.1.2", "198.18.2.2", 64, 1400);
	struct rte_mbuf *m;
	uint8_t joined[1600];
	size_t got = 0;
	unsigned n = 0;
	bool more = true;

	dp.ports[1].pt_if.mtu = 576;
	for (size_t i = 0; i < 1400; i++)
		f.b[42 + i] = (uint8_t)(i * 13);
	run(&f);
	while ((m = take(txr[1])) != NULL) {
		uint8_t flat[1600];
		const struct rte_ipv4_hdr *ip = rte_pktmbuf_read(m, 14, 20, flat);
		uint16_t frag = rte_be_to_cpu_16(ip->fragment_offset);
		uint16_t len = rte_be_to_cpu_16(ip->total_length);

		cr_expect_leq(len, 576);
		cr_expect_eq(m->pkt_len, 14u + len);
		cr_expect_eq(rte_raw_cksum(ip, 20), 0xffff, "fragment %u checksum", n);
		cr_expect_eq(ip->time_to_live, 63);
		cr_expect_eq((size_t)(frag & RTE_IPV4_HDR_OFFSET_MASK) * 8, got);
		more = (frag & RTE_IPV4_HDR_MF_FLAG) != 0;
		cr_expect_arr_eq(rte_pktmbuf_mtod(m, uint8_t *), MAC_H2, 6);
		memcpy(joined + got, rte_pktmbuf_read(m, 34, len - 20u, flat), len - 20u);
		got += len - 20u;
		n++;
		rte_pktmbuf_free(m);
	}
	cr_expect_eq(n, 3, "1408 bytes in 552-byte pieces");
	cr_expect_not(more, "the last fragment clears MF");
	cr_assert_eq(got, 1408);
	cr_expect_arr_eq(joined, f.b + 34, 1408, "fragments rejoin to the original");
	cr_expect_eq(w->w_cnt[DP_W_fragmented], 1);
	expect_no_leak();
	cr_expect_eq(rte_mempool_in_use_count(dp.pool_indirect), 0);
}
