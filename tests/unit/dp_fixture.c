/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "esp_crypto.h"
#include "sa.h"

/* Without Criterion, so the fuzz targets share the fixture: a setup step
 * that fails stops the process (a test's crash, a fuzzer's finding). */
#define FX_CHECK(cond, ...)                                                \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: %s", __FILE__, __LINE__, #cond); \
			fprintf(stderr, " " __VA_ARGS__);                  \
			fputc('\n', stderr);                               \
			abort();                                           \
		}                                                          \
	} while (0)

struct dp fx_dp;
struct fx_port fx_ports[2];
const uint8_t FX_MAC_LAN[6] = { 2, 0, 0, 0, 0, 1 };
const uint8_t FX_MAC_WAN[6] = { 2, 0, 0, 0, 0, 2 };
const uint8_t FX_MAC_H1[6] = { 2, 0, 0, 0, 1, 2 };
const uint8_t FX_MAC_PEER[6] = { 2, 0, 0, 0, 2, 2 };

void fx_eal_up_vdev(const char *name, const char *lcores, const char *vdev)
{
	char prefix[64], lc[64], vd[64];
	char *argv[] = { (char *)name, "--no-huge", "-m", "700", "--no-pci",
			 "--no-shconf", "--file-prefix", prefix, "--no-telemetry",
			 "--lcores", lc, "--log-level", "error", "--vdev", vd, NULL };
	int argc = (int)RTE_DIM(argv) - 1 - (vdev ? 0 : 2);

	snprintf(prefix, sizeof(prefix), "%s_%d", name, (int)getpid());
	snprintf(lc, sizeof(lc), "%s", lcores);
	snprintf(vd, sizeof(vd), "%s", vdev ? vdev : "");
	FX_CHECK(rte_eal_init(argc, argv) >= 0);
}

void fx_eal_up(const char *name, const char *lcores)
{
	fx_eal_up_vdev(name, lcores, NULL);
}

struct ip_prefix fx_prefix(const char *s)
{
	struct ip_prefix p;
	FX_CHECK(ip_prefix_parse(s, &p), "prefix %s", s);
	return p;
}

struct ip_addr fx_addr(const char *s)
{
	struct ip_addr a;
	FX_CHECK(ip_addr_parse(s, &a), "address %s", s);
	return a;
}

static void add_route(const char *prefix, uint32_t nh)
{
	struct ip_prefix p = fx_prefix(prefix);
	FX_CHECK(dp_route_add(fx_dp.route, &p, nh) == 0, "%s", prefix);
}

static void add_port(unsigned idx, const char *name, const uint8_t mac[6],
		     enum dp_port_role role, const char *a4, const char *a6)
{
	struct dp_port *port = &fx_dp.ports[idx];
	char n[32];
	int id;

	for (unsigned q = 0; q < FX_QUEUES; q++) {
		snprintf(n, sizeof(n), "%s_rx%u", name, q);
		fx_ports[idx].rx[q] = rte_ring_create(n, FX_RING_SZ, 0, RING_F_SC_DEQ);
		snprintf(n, sizeof(n), "%s_tx%u", name, q);
		fx_ports[idx].tx[q] = rte_ring_create(n, FX_RING_SZ, 0, RING_F_SC_DEQ);
	}
	id = rte_eth_from_rings(name, fx_ports[idx].rx, FX_QUEUES, fx_ports[idx].tx,
				FX_QUEUES, 0);
	FX_CHECK(id >= 0);
	port->pt_if.port = (uint16_t)id;
	port->pt_role = role;
	memcpy(port->pt_if.mac, mac, 6);
	port->pt_if.mtu = 1500;
	port->pt_if.addrs[0] = fx_prefix(a4);
	port->pt_if.addrs[1] = fx_prefix(a6);
	port->pt_if.n_addrs = 2;
	port->pt_nb_rxq = FX_QUEUES;
	port->pt_nb_txq = FX_QUEUES;
	port->pt_ctl_tx = rte_ring_create(name, 64, 0, 0);
	fx_dp.port_index[id] = (uint16_t)idx;
	for (unsigned i = 0; i < 2; i++) {
		struct ip_prefix host = port->pt_if.addrs[i];
		host.len = (uint8_t)(ip_addr_len(&host.addr) * 8);
		FX_CHECK(dp_route_add(fx_dp.route, &port->pt_if.addrs[i],
				      dp_nh_make(DP_NH_CONNECTED, idx)) == 0);
		FX_CHECK(dp_route_add(fx_dp.route, &host, dp_nh_make(DP_NH_LOCAL, idx)) == 0);
	}
	FX_CHECK(rte_eth_dev_configure(id, FX_QUEUES, FX_QUEUES,
				       &(struct rte_eth_conf){ 0 }) == 0);
	for (uint16_t q = 0; q < FX_QUEUES; q++) {
		FX_CHECK(rte_eth_rx_queue_setup(id, q, 64, 0, NULL, fx_dp.pool) == 0);
		FX_CHECK(rte_eth_tx_queue_setup(id, q, 64, 0, NULL) == 0);
	}
	FX_CHECK(rte_eth_dev_start(id) == 0);
}

static int neighbour(const char *ip, unsigned port, const uint8_t mac[6])
{
	struct ip_addr a = fx_addr(ip);
	int idx = dp_neigh_get(fx_dp.neigh, &a, (uint16_t)port);

	FX_CHECK(idx >= 0);
	dp_neigh_set_mac(fx_dp.neigh, (uint32_t)idx, mac, true);
	return idx;
}

static void esp_up(void)
{
	size_t qsz = rte_rcu_qsbr_get_memsize(fx_dp.n_workers);

	fx_dp.qs = rte_zmalloc("fx_rcu", qsz, RTE_CACHE_LINE_SIZE);
	FX_CHECK(rte_rcu_qsbr_init(fx_dp.qs, fx_dp.n_workers) == 0);
	fx_dp.sadb = esp_sadb_create("fx_sadb", 0, 8192, fx_dp.qs, fx_dp.n_workers);
	fx_dp.events = rte_ring_create("fx_events", 1024, 0, RING_F_SC_DEQ);
	FX_CHECK(fx_dp.sadb && fx_dp.events);
	fx_dp.natt_ports[0] = 4500;
	fx_dp.n_natt_ports = 1;
	for (unsigned i = 0; i < fx_dp.n_workers; i++) {
		char n[32];
		snprintf(n, sizeof(n), "fx_handoff%u", i);
		fx_dp.workers[i].w_engine = esp_engine_create();
		fx_dp.workers[i].w_handoff = rte_ring_create(n, 4096, 0, RING_F_SC_DEQ);
		FX_CHECK(fx_dp.workers[i].w_engine && fx_dp.workers[i].w_handoff);
	}
}

/* The SAs and the engines live on the C heap, pointed to only from DPDK's
 * memory, which LeakSanitizer does not scan: freed here, or every test
 * would end with a leak report. */
void fx_dp_down(void)
{
	__atomic_store_n(&fx_dp.stop, 1, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	for (unsigned i = 0; fx_dp.workers && i < fx_dp.n_workers; i++) {
		esp_engine_free(fx_dp.workers[i].w_engine);
		fx_dp.workers[i].w_engine = NULL;
	}
	esp_sadb_free(fx_dp.sadb);
	fx_dp.sadb = NULL;
}

void fx_dp_up(unsigned n_workers, bool with_esp)
{
	int peer, peer6;

	memset(&fx_dp, 0, sizeof(fx_dp));
	fx_dp.pool = rte_pktmbuf_pool_create("fx_mbufs", 32767, 0, 0,
					     RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	fx_dp.pool_indirect = rte_pktmbuf_pool_create("fx_indirect", 1023, 0, 0, 0, 0);
	fx_dp.route = dp_route_create("fx_rt", 0, 1024);
	fx_dp.neigh = dp_neigh_create("fx_nb", 0, 64);
	fx_dp.punt = rte_ring_create("fx_punt", 1024, 0, RING_F_SC_DEQ);
	fx_dp.n_workers = n_workers;
	fx_dp.workers = rte_zmalloc("fx_w", sizeof(*fx_dp.workers) * n_workers,
				    RTE_CACHE_LINE_SIZE);
	FX_CHECK(fx_dp.pool && fx_dp.route && fx_dp.neigh && fx_dp.punt && fx_dp.workers);
	for (unsigned i = 0; i < n_workers; i++)
		fx_dp.workers[i].w_idx = i;
	fx_dp.n_ports = 2;
	add_port(0, "net_ring_lan", FX_MAC_LAN, DP_ROLE_PROTECTED, "198.18.1.1/24",
		 "2001:db8:1::1/64");
	add_port(1, "net_ring_wan", FX_MAC_WAN, DP_ROLE_UNPROTECTED, "203.0.113.1/24",
		 "2001:db8:f::1/64");
	neighbour("198.18.1.2", 0, FX_MAC_H1);
	neighbour("2001:db8:1::2", 0, FX_MAC_H1);
	peer = neighbour("203.0.113.2", 1, FX_MAC_PEER);
	peer6 = neighbour("2001:db8:f::2", 1, FX_MAC_PEER);
	add_route("198.18.3.0/24", dp_nh_make(DP_NH_GATEWAY, (uint32_t)peer));
	add_route("2001:db8:3::/64", dp_nh_make(DP_NH_GATEWAY, (uint32_t)peer6));
	if (with_esp)
		esp_up();
}

static void eth(struct fx_frame *f, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	memcpy(f->b, dst, 6);
	memcpy(f->b + 6, src, 6);
	f->b[12] = (uint8_t)(type >> 8);
	f->b[13] = (uint8_t)type;
	f->len = 14;
}

struct fx_frame fx_udp4(const char *src, const char *dst, uint8_t ttl, size_t payload)
{
	struct fx_frame f;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f.b + 14);
	struct ip_addr s = fx_addr(src), d = fx_addr(dst);

	memset(&f, 0, sizeof(f));
	eth(&f, FX_MAC_LAN, FX_MAC_H1, RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = 0x45;
	ip->type_of_service = 0xb8; /* EF: the outer header must copy it */
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + 8 + payload));
	ip->time_to_live = ttl;
	ip->next_proto_id = IPPROTO_UDP;
	memcpy(&ip->src_addr, s.bytes, 4);
	memcpy(&ip->dst_addr, d.bytes, 4);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	f.b[34] = 0x30; /* UDP ports 12345 -> 53 */
	f.b[35] = 0x39;
	f.b[37] = 53;
	f.b[38] = (uint8_t)((8 + payload) >> 8);
	f.b[39] = (uint8_t)(8 + payload);
	for (size_t i = 0; i < payload; i++)
		f.b[42 + i] = (uint8_t)(i * 7 + 1);
	f.len += 20 + 8 + payload;
	return f;
}

struct fx_frame fx_udp6(const char *src, const char *dst, uint8_t hops, size_t payload)
{
	struct fx_frame f;
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(f.b + 14);
	struct ip_addr s = fx_addr(src), d = fx_addr(dst);

	memset(&f, 0, sizeof(f));
	eth(&f, FX_MAC_LAN, FX_MAC_H1, RTE_ETHER_TYPE_IPV6);
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28 | 0x2e << 22);
	ip->payload_len = rte_cpu_to_be_16((uint16_t)(8 + payload));
	ip->proto = IPPROTO_UDP;
	ip->hop_limits = hops;
	memcpy(ip->src_addr, s.bytes, 16);
	memcpy(ip->dst_addr, d.bytes, 16);
	f.b[54] = 0x30;
	f.b[55] = 0x39;
	f.b[57] = 53;
	f.b[59] = (uint8_t)(8 + payload);
	for (size_t i = 0; i < payload; i++)
		f.b[62 + i] = (uint8_t)(i * 5 + 3);
	f.len += 40 + 8 + payload;
	return f;
}

struct rte_mbuf *fx_mbuf(const struct fx_frame *f, unsigned pidx)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(fx_dp.pool);

	FX_CHECK(m != NULL);
	memcpy(rte_pktmbuf_append(m, (uint16_t)f->len), f->b, f->len);
	m->port = fx_dp.ports[pidx].pt_if.port;
	return m;
}

void fx_input(const struct fx_frame *f, unsigned pidx)
{
	struct rte_mbuf *m = fx_mbuf(f, pidx);

	dp_worker_input(&fx_dp, &fx_dp.workers[0], pidx, &m, 1);
	dp_worker_flush(&fx_dp, &fx_dp.workers[0]);
}

struct rte_mbuf *fx_take(struct rte_ring *r)
{
	void *m = NULL;

	return rte_ring_dequeue(r, &m) == 0 ? m : NULL;
}

struct fx_frame fx_frame_of(const struct rte_mbuf *m, const uint8_t dst_mac[6])
{
	struct fx_frame f;

	FX_CHECK(m->pkt_len <= sizeof(f.b));
	f.len = m->pkt_len;
	memcpy(f.b, rte_pktmbuf_mtod(m, const uint8_t *), f.len);
	memcpy(f.b, dst_mac, 6);
	return f;
}

unsigned fx_in_use(void)
{
	return rte_mempool_in_use_count(fx_dp.pool);
}
