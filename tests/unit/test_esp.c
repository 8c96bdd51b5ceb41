/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ESP path through a worker: every algorithm and mode round trip,
 * malformed and replayed input, sequence overflow, lifetimes, SA churn
 * while traffic flows, and packets of one SA arriving on two workers.
 * Interoperability with an implementation we did not write is
 * tests/e2e/esp_scapy.sh's job; these check the path's own rules.
 */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <malloc.h>
#include <unistd.h>

#include <rte_cryptodev.h>
#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "byteorder.h"
#include "dp_fixture.h"
#include "free_watch.h"
#include "esp.h"
#include "trap.h"

#define LAN 0
#define WAN 1

static struct esp_engine *ctl_engine;

static void single(void)
{
	fx_eal_up("test_esp", "0");
	fx_dp_up(1, true);
	ctl_engine = esp_engine_create();
}

static void down(void)
{
	esp_engine_free(ctl_engine);
	ctl_engine = NULL;
	fx_dp_down();
}

TestSuite(esp, .init = single, .fini = down);

static struct esp_sa_conf conf(const char *name, uint32_t spi, enum esp_dir dir)
{
	struct esp_sa_conf c = {
		.spi = spi, .dir = dir, .mode = ESP_MODE_TUNNEL,
		.src = fx_addr("203.0.113.1"), .dst = fx_addr("203.0.113.2"),
		.algo = { .enc = ESP_ENC_AES_GCM16, .enc_key_len = 16 },
		.ts = { .src = fx_prefix("198.18.1.0/24"), .dst = fx_prefix("198.18.3.0/24"),
			.sport_hi = 65535, .dport_hi = 65535 },
		.replay_window = dir == ESP_DIR_IN ? 64 : 0,
		.encap_sport = 4500, .encap_dport = 4500, .owner = 0,
	};

	snprintf(c.name, sizeof(c.name), "%s", name);
	for (unsigned i = 0; i < sizeof(c.algo.enc_key); i++)
		c.algo.enc_key[i] = (uint8_t)(0x10 + i);
	memcpy(c.algo.salt, "\xca\xfe\xba\xbe", 4);
	for (unsigned i = 0; i < sizeof(c.algo.integ_key); i++)
		c.algo.integ_key[i] = (uint8_t)(0x80 + i);
	return c;
}

static int add(const struct esp_sa_conf *c)
{
	int id = esp_sa_add(fx_dp.sadb, ctl_engine, c);
	struct esp_sa *s;

	cr_assert(id >= 0, "esp_sa_add %s: %d", c->name, id);
	/* The SA keeps its algorithm's name and just the key bytes it needs. */
	s = esp_sa_by_id(fx_dp.sadb, (uint32_t)id);
	cr_assert_str_eq(esp_sa_algo_name(s), esp_algo_name(&c->algo));
	cr_assert_eq(s->sa_keys_size, esp_keys_size(ctl_engine, &c->algo));
	return id;
}

/* Both halves of one SA: 'out' encrypts what lan sends; 'in' takes the
 * same bytes back as they arrive on wan (the peer is a mirror). ESP in
 * UDP is only taken when sent to the box: 'in' is then for our address
 * and the test readdresses the frame (to_us). */
static void add_pair(struct esp_sa_conf c, int *out, int *in)
{
	c.dir = ESP_DIR_OUT;
	c.replay_window = 0;
	*out = add(&c);
	c.dir = ESP_DIR_IN;
	c.replay_window = 64;
	if (c.udp_encap)
		c.dst = c.src;
	*in = add(&c);
}

static void to_us(struct fx_frame *f)
{
	uint8_t *l3 = f->b + 14;

	if ((l3[0] >> 4) == 4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;
		memcpy(&ip->dst_addr, fx_addr("203.0.113.1").bytes, 4);
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	} else {
		memcpy(l3 + 24, fx_addr("2001:db8:f::1").bytes, 16);
	}
}

static struct esp_sa *sa(int id)
{
	return esp_sa_by_id(fx_dp.sadb, (uint32_t)id);
}

/* Inner packets compared with TTL / hop limit and IPv4 checksum masked. */
static void expect_same_inner(const uint8_t *a, const uint8_t *b, size_t len, unsigned hops)
{
	uint8_t x[2048], y[2048];
	bool v4 = (a[0] >> 4) == 4;

	memcpy(x, a, len);
	memcpy(y, b, len);
	cr_expect_eq(x[v4 ? 8 : 7], y[v4 ? 8 : 7] + hops, "ttl %u -> %u", x[v4 ? 8 : 7],
		     y[v4 ? 8 : 7]);
	x[v4 ? 8 : 7] = y[v4 ? 8 : 7] = 0;
	if (v4) {
		x[10] = x[11] = y[10] = y[11] = 0;
		cr_expect_eq(rte_raw_cksum(b, 20), 0xffff, "inner checksum");
	}
	cr_expect_arr_eq(x, y, len);
}

static struct rte_mbuf *through(const struct fx_frame *f, unsigned in_port)
{
	fx_input(f, in_port);
	return fx_take(fx_ports[WAN].tx[0]);
}

struct algo_case {
	const char *name;
	enum esp_enc enc;
	uint8_t key;
	enum esp_integ integ;
	uint8_t ikey;
};

static const struct algo_case ALGOS[] = {
	{ "aes128gcm16", ESP_ENC_AES_GCM16, 16, ESP_INTEG_NONE, 0 },
	{ "aes256gcm16", ESP_ENC_AES_GCM16, 32, ESP_INTEG_NONE, 0 },
	{ "aes128-sha1", ESP_ENC_AES_CBC, 16, ESP_INTEG_HMAC_SHA1_96, 20 },
	{ "aes128-sha256", ESP_ENC_AES_CBC, 16, ESP_INTEG_HMAC_SHA256_128, 32 },
	{ "aes256-sha384", ESP_ENC_AES_CBC, 32, ESP_INTEG_HMAC_SHA384_192, 48 },
	{ "aes256-sha512", ESP_ENC_AES_CBC, 32, ESP_INTEG_HMAC_SHA512_256, 64 },
	{ "chacha20poly1305", ESP_ENC_CHACHA20_POLY1305, 32, ESP_INTEG_NONE, 0 },
	{ "null-sha256", ESP_ENC_NULL, 0, ESP_INTEG_HMAC_SHA256_128, 32 },
};

struct shape {
	const char *name;
	enum esp_mode mode;
	bool inner6, outer6;
};

static const struct shape SHAPES[] = {
	{ "tunnel 4in4", ESP_MODE_TUNNEL, false, false },
	{ "tunnel 6in4", ESP_MODE_TUNNEL, true, false },
	{ "tunnel 4in6", ESP_MODE_TUNNEL, false, true },
	{ "tunnel 6in6", ESP_MODE_TUNNEL, true, true },
	{ "transport 4", ESP_MODE_TRANSPORT, false, false },
	{ "transport 6", ESP_MODE_TRANSPORT, true, true },
};

static struct esp_sa_conf shaped(const struct algo_case *a, const struct shape *s,
				 bool esn, bool encap, uint32_t spi)
{
	struct esp_sa_conf c = conf(a->name, spi, ESP_DIR_OUT);

	c.algo.enc = a->enc;
	c.algo.enc_key_len = a->key;
	c.algo.integ = a->integ;
	c.algo.integ_key_len = a->ikey;
	c.mode = s->mode;
	c.esn = esn;
	c.udp_encap = encap;
	if (s->inner6) {
		c.ts.src = fx_prefix("2001:db8:1::/64");
		c.ts.dst = fx_prefix("2001:db8:3::/64");
	}
	if (s->mode == ESP_MODE_TRANSPORT) {
		c.src = fx_addr(s->inner6 ? "2001:db8:1::2" : "198.18.1.2");
		c.dst = fx_addr(s->inner6 ? "2001:db8:3::5" : "198.18.3.5");
	} else if (s->outer6) {
		c.src = fx_addr("2001:db8:f::1");
		c.dst = fx_addr("2001:db8:f::2");
	}
	return c;
}

static void check_outer(const struct rte_mbuf *m, const struct esp_sa_conf *c)
{
	const uint8_t *l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, 14);
	bool v4 = (l3[0] >> 4) == 4;
	uint32_t hl = v4 ? (uint32_t)(l3[0] & 15) * 4 : 40;
	const uint8_t *esp = l3 + hl + (c->udp_encap ? 8 : 0);

	cr_expect_eq(v4 ? l3[9] : l3[6], c->udp_encap ? IPPROTO_UDP : 50);
	if (v4)
		cr_expect_eq(rte_raw_cksum(l3, hl), 0xffff, "outer checksum");
	if (c->udp_encap)
		cr_expect_eq(l3[hl] << 8 | l3[hl + 1], 4500);
	cr_expect_eq((uint32_t)esp[0] << 24 | esp[1] << 16 | esp[2] << 8 | esp[3], c->spi);
	cr_expect_eq(esp[7], 1, "first sequence number is 1");
	cr_expect_arr_eq(rte_pktmbuf_mtod(m, const uint8_t *), FX_MAC_PEER, 6);
}

/* Out through lan, back in through wan, for every algorithm, shape,
 * ESN and encapsulation; returns how many combinations ran. */
static unsigned round_trip_matrix(void)
{
	uint32_t spi = 0x1000;
	unsigned ran = 0;

	for (size_t a = 0; a < RTE_DIM(ALGOS); a++)
		for (size_t s = 0; s < RTE_DIM(SHAPES); s++)
			for (unsigned v = 0; v < 4; v++) {
				bool esn = v & 1, encap = v & 2;
				if (encap && SHAPES[s].mode == ESP_MODE_TRANSPORT)
					continue; /* NAT-T transport ends at the box itself */
				struct esp_sa_conf c = shaped(&ALGOS[a], &SHAPES[s], esn, encap, ++spi);
				struct fx_frame plain = SHAPES[s].inner6 ?
					fx_udp6("2001:db8:1::2", "2001:db8:3::5", 64, 37 + a * 100) :
					fx_udp4("198.18.1.2", "198.18.3.5", 64, 37 + a * 100);
				struct rte_mbuf *esp, *back;
				struct fx_frame wire;
				int out, in;

				add_pair(c, &out, &in);
				esp = through(&plain, LAN);
				cr_assert_not_null(esp, "%s %s esn %d encap %d: no ESP out",
						   ALGOS[a].name, SHAPES[s].name, esn, encap);
				check_outer(esp, &c);
				wire = fx_frame_of(esp, FX_MAC_WAN);
				rte_pktmbuf_free(esp);
				if (encap)
					to_us(&wire);
				back = through(&wire, WAN);
				cr_assert_not_null(back, "%s %s esn %d encap %d: not decrypted (drops %lu/%lu/%lu)",
						   ALGOS[a].name, SHAPES[s].name, esn, encap,
						   sa(in)->sa_st.st_drops[ESP_DROP_auth_failed],
						   sa(in)->sa_st.st_drops[ESP_DROP_malformed],
						   sa(in)->sa_st.st_drops[ESP_DROP_policy_mismatch]);
				cr_assert_eq(back->pkt_len, plain.len, "%s %s esn %d encap %d: %u bytes back, %zu sent",
					     ALGOS[a].name, SHAPES[s].name, esn, encap, back->pkt_len, plain.len);
				expect_same_inner(plain.b + 14,
						  rte_pktmbuf_mtod_offset(back, uint8_t *, 14),
						  plain.len - 14, 2);
				cr_expect_eq(sa(out)->sa_st.st_packets, 1);
				cr_expect_eq(sa(in)->sa_st.st_packets, 1);
				rte_pktmbuf_free(back);
				esp_sa_del(fx_dp.sadb, (uint32_t)out);
				esp_sa_del(fx_dp.sadb, (uint32_t)in);
				ran++;
			}
	cr_expect_eq(fx_in_use(), 0);
	return ran;
}

Test(esp, every_algorithm_and_shape_round_trips)
{
	cr_expect_eq(round_trip_matrix(), RTE_DIM(ALGOS) * (4 * 4 + 2 * 2));
}

/* The same through the cryptodev engine on DPDK's software AES-NI MB
 * device (crypto_aesni_mb offers every algorithm espgate uses). */
static void cryptodev_up(void)
{
	struct rte_cryptodev_config conf = { .socket_id = 0, .nb_queue_pairs = 2 };
	struct rte_cryptodev_qp_conf qp = { .nb_descriptors = 256 };
	struct rte_mempool *ops, *sess;
	int dev;

	fx_eal_up_vdev("test_esp_cdev", "0", "crypto_aesni_mb0");
	fx_dp_up(1, true);
	dev = rte_cryptodev_get_dev_id("crypto_aesni_mb0");
	cr_assert(dev >= 0);
	ops = rte_crypto_op_pool_create("cdev_ops", RTE_CRYPTO_OP_TYPE_SYMMETRIC, 1023, 0,
					ESP_CRYPTODEV_OP_PRIV, 0);
	sess = esp_cryptodev_sess_pool_create("cdev_sess", (uint8_t)dev, 1024, 0);
	cr_assert(ops && sess);
	cr_assert_eq(rte_cryptodev_configure((uint8_t)dev, &conf), 0);
	for (uint16_t q = 0; q < 2; q++)
		cr_assert_eq(rte_cryptodev_queue_pair_setup((uint8_t)dev, q, &qp, 0), 0);
	cr_assert_eq(rte_cryptodev_start((uint8_t)dev), 0);
	esp_engine_free(fx_dp.workers[0].w_engine);
	fx_dp.workers[0].w_engine = esp_engine_create_cryptodev((uint8_t)dev, 0, ops, sess);
	ctl_engine = esp_engine_create_cryptodev((uint8_t)dev, 1, ops, sess);
	cr_assert(fx_dp.workers[0].w_engine && ctl_engine);
}

Test(esp_cryptodev, every_algorithm_and_shape_round_trips, .init = cryptodev_up, .fini = down)
{
	cr_expect_str_eq(esp_engine_kind(fx_dp.workers[0].w_engine), "cryptodev");
	cr_expect_eq(round_trip_matrix(), RTE_DIM(ALGOS) * (4 * 4 + 2 * 2));
}

/* ---- hostile input, built on a NULL-encryption SA so the test can
 * write any trailer and sign it with OpenSSL's HMAC itself ---- */

static struct esp_sa_conf null_conf(void)
{
	struct esp_sa_conf c = conf("null", 0x5000, ESP_DIR_OUT);

	c.algo.enc = ESP_ENC_NULL;
	c.algo.enc_key_len = 0;
	c.algo.integ = ESP_INTEG_HMAC_SHA256_128;
	c.algo.integ_key_len = 32;
	return c;
}

/* An ESP frame to the peer (as 'out' made it), for feeding back in. */
static struct fx_frame esp_frame(size_t payload)
{
	struct fx_frame plain = fx_udp4("198.18.1.2", "198.18.3.5", 64, payload);
	struct rte_mbuf *m = through(&plain, LAN);
	struct fx_frame f;

	cr_assert_not_null(m);
	f = fx_frame_of(m, FX_MAC_WAN);
	rte_pktmbuf_free(m);
	return f;
}

static void resign(struct fx_frame *f, const struct esp_sa_conf *c)
{
	unsigned int len = 0;
	uint8_t mac[64];
	size_t esp = 14 + 20, icv = f->len - 16;

	HMAC(EVP_sha256(), c->algo.integ_key, 32, f->b + esp, icv - esp, mac, &len);
	memcpy(f->b + icv, mac, 16);
}

/* Cuts the frame to len bytes and makes the outer header say so. */
static void cut(struct fx_frame *f, size_t len)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f->b + 14);

	f->len = len;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(len - 14));
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

static uint64_t drops(int id, enum esp_sa_drop why)
{
	return sa(id)->sa_st.st_drops[why];
}

static void expect_dropped(const struct fx_frame *f, int in, enum esp_sa_drop why,
			   const char *what)
{
	uint64_t before = drops(in, why);
	struct rte_mbuf *m = through(f, WAN);

	cr_expect_null(m, "%s: forwarded", what);
	rte_pktmbuf_free(m);
	cr_expect_eq(drops(in, why), before + 1, "%s: not counted as %s", what,
		     esp_sa_drop_names[why]);
}

/* ---- UDP-encapsulated transport mode through a NAT (RFC 3948) ---- */

#define NAT_PEER "198.51.100.9"  /* the peer's NAT, as the packets arrive */
#define NAT_PEER_OA "192.0.2.77" /* the peer's own address (its NAT-OA) */

/* A transport packet from the peer behind the NAT to the box, ESP in
 * UDP on a NULL-encryption SA the test signs itself: its TCP or UDP
 * segment (l4, len bytes) carries a checksum over (NAT_PEER_OA, the
 * box), as the peer computed it. */
static struct fx_frame natt_transport_frame(const struct esp_sa_conf *c, uint32_t seq,
					    uint8_t proto, const uint8_t *l4, size_t len)
{
	struct fx_frame f = fx_udp4(NAT_PEER, "203.0.113.1", 64, 0);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f.b + 14);
	uint8_t *udp = f.b + 34, *esp = udp + 8, *p = esp + 8;
	size_t pad = (4 - (len + 2) % 4) % 4, esp_len = 8 + len + pad + 2 + 16;
	unsigned int maclen = 0;
	uint8_t mac[64];

	memcpy(f.b, FX_MAC_WAN, 6);
	be32_put(esp, c->spi);
	be32_put(esp + 4, seq);
	memcpy(p, l4, len);
	for (size_t i = 0; i < pad; i++)
		p[len + i] = (uint8_t)(i + 1);
	p[len + pad] = (uint8_t)pad;
	p[len + pad + 1] = proto;
	HMAC(EVP_sha256(), c->algo.integ_key, 32, esp, esp_len - 16, mac, &maclen);
	memcpy(esp + esp_len - 16, mac, 16);
	be16_put(udp, 4501); /* the NAT's port */
	be16_put(udp + 2, 4500);
	be16_put(udp + 4, (uint16_t)(8 + esp_len));
	be16_put(udp + 6, 0);
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + 8 + esp_len));
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	f.len = 34 + 8 + esp_len;
	return f;
}

/* l4's checksum (at offset at) over the pseudo-header of src -> dst. */
static void l4_checksum(uint8_t *l4, size_t len, uint8_t proto, unsigned at,
			const char *src, const char *dst)
{
	struct rte_ipv4_hdr ip = { .version_ihl = 0x45, .next_proto_id = proto,
				   .total_length = rte_cpu_to_be_16((uint16_t)(20 + len)) };
	struct ip_addr s = fx_addr(src), d = fx_addr(dst);

	memcpy(&ip.src_addr, s.bytes, 4);
	memcpy(&ip.dst_addr, d.bytes, 4);
	be16_put(l4 + at, 0);
	be16_put(l4 + at, rte_be_to_cpu_16(rte_ipv4_udptcp_cksum(&ip, l4)));
}

/* An inbound transport SA from NAT_PEER to the box, ESP in UDP, on NULL
 * encryption. */
static struct esp_sa_conf natt_transport_conf(void)
{
	struct esp_sa_conf c = null_conf();

	c.dir = ESP_DIR_IN;
	c.mode = ESP_MODE_TRANSPORT;
	c.udp_encap = true;
	c.src = fx_addr(NAT_PEER);
	c.dst = fx_addr("203.0.113.1");
	c.ts.src = fx_prefix(NAT_PEER "/32");
	c.ts.dst = fx_prefix("203.0.113.1/32");
	return c;
}

/* The packet the box takes in for itself (punted), or NULL. */
static struct rte_mbuf *punted_local(const struct fx_frame *f)
{
	struct rte_mbuf *m = NULL;

	fx_input(f, WAN);
	if (rte_ring_dequeue(fx_dp.punt, (void **)&m) != 0)
		return NULL;
	cr_expect_eq(dp_punt_reason(m), DP_PUNT_LOCAL);
	return m;
}

/* Summed with the checksum in it, a valid segment complements to 0
 * (which DPDK reports as 0xffff for UDP). */
static bool l4_checksum_ok(const struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, 14);
	uint16_t sum = rte_ipv4_udptcp_cksum(ip, (const uint8_t *)ip + 20);

	return sum == (ip->next_proto_id == IPPROTO_UDP ? 0xffff : 0);
}

/* RFC 3948 §3.1.2: the peer computed its TCP and UDP checksums over its
 * own address (NAT-OAi); the box gets the packet from the NAT's, and
 * fixes the checksum by RFC 1624's update instead of dropping it. A UDP
 * checksum of zero (none) stays zero. Without the NAT-OA the checksum
 * stays wrong: that is what the fix-up is for. */
Test(esp, natt_transport_fixes_tcp_and_udp_checksums_from_the_peers_nat_oa)
{
	struct esp_sa_conf c = natt_transport_conf();
	uint8_t tcp[40] = { 0x30, 0x39, 0x00, 0x17, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff };
	uint8_t udp[24] = { 0x30, 0x39, 0x00, 0x35, 0, 24, 0, 0 };
	const uint8_t *ip;
	struct rte_mbuf *m;
	struct fx_frame f;
	int id, plain;

	for (unsigned i = 20; i < sizeof(tcp); i++)
		tcp[i] = (uint8_t)(i * 11);
	for (unsigned i = 8; i < sizeof(udp); i++)
		udp[i] = (uint8_t)(i * 5 + 3);
	l4_checksum(tcp, sizeof(tcp), IPPROTO_TCP, 16, NAT_PEER_OA, "203.0.113.1");
	l4_checksum(udp, sizeof(udp), IPPROTO_UDP, 6, NAT_PEER_OA, "203.0.113.1");
	c.orig_src = fx_addr(NAT_PEER_OA);
	c.orig_dst = fx_addr("203.0.113.1"); /* the box has no NAT: nothing to do */
	id = add(&c);
	cr_expect_neq(sa(id)->sa_l4_fix, 0);

	f = natt_transport_frame(&c, 1, IPPROTO_TCP, tcp, sizeof(tcp));
	m = punted_local(&f);
	cr_assert_not_null(m, "TCP: not taken in (drops: policy %lu, auth %lu)",
			   drops(id, ESP_DROP_policy_mismatch), drops(id, ESP_DROP_auth_failed));
	ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, 14);
	cr_expect_eq(ip[9], IPPROTO_TCP);
	cr_expect_eq(m->pkt_len, 14 + 20 + sizeof(tcp));
	cr_expect(l4_checksum_ok(m), "TCP checksum over the NAT's address");
	cr_expect_arr_eq(ip + 20 + 18, tcp + 18, sizeof(tcp) - 18, "the rest untouched");
	rte_pktmbuf_free(m);

	f = natt_transport_frame(&c, 2, IPPROTO_UDP, udp, sizeof(udp));
	m = punted_local(&f);
	cr_assert_not_null(m, "UDP: not taken in");
	cr_expect(l4_checksum_ok(m), "UDP checksum over the NAT's address");
	rte_pktmbuf_free(m);

	be16_put(udp + 6, 0); /* IPv4 UDP without a checksum */
	f = natt_transport_frame(&c, 3, IPPROTO_UDP, udp, sizeof(udp));
	m = punted_local(&f);
	cr_assert_not_null(m, "UDP without a checksum: not taken in");
	cr_expect_eq(be16_get(rte_pktmbuf_mtod_offset(m, uint8_t *, 14 + 20 + 6)), 0,
		     "no checksum stays no checksum");
	rte_pktmbuf_free(m);
	esp_sa_del(fx_dp.sadb, (uint32_t)id);

	/* the same SA without the NAT-OA: the checksum arrives as it was */
	c.spi++;
	c.orig_src = (struct ip_addr){ 0 };
	plain = add(&c);
	cr_expect_eq(sa(plain)->sa_l4_fix, 0);
	f = natt_transport_frame(&c, 1, IPPROTO_TCP, tcp, sizeof(tcp));
	m = punted_local(&f);
	cr_assert_not_null(m);
	cr_expect(!l4_checksum_ok(m), "no NAT-OA, no fix-up");
	rte_pktmbuf_free(m);
	esp_sa_del(fx_dp.sadb, (uint32_t)plain);
	cr_expect_eq(fx_in_use(), 0);
}

Test(esp, hostile_esp_is_dropped_and_counted_per_sa)
{
	struct esp_sa_conf c = null_conf();
	struct fx_frame good, f;
	size_t tail;
	int out, in;

	add_pair(c, &out, &in);
	good = esp_frame(31); /* 59-byte inner packet: three pad bytes */
	tail = good.len - 16; /* the ICV starts here; trailer before it */
	cr_assert_eq(good.b[tail - 2], 3, "three pad bytes");

	/* What fails the ICV never touches the window: same number again. */
	f = good;
	f.b[f.len - 1] ^= 1;
	expect_dropped(&f, in, ESP_DROP_auth_failed, "flipped ICV");

	f = good;
	f.b[50] ^= 0x80; /* payload under the ICV */
	expect_dropped(&f, in, ESP_DROP_auth_failed, "flipped payload");

	f = good;
	cut(&f, 14 + 20 + 8 + 16); /* ESP header and ICV, nothing between */
	expect_dropped(&f, in, ESP_DROP_malformed, "empty payload");

	f = good;
	cut(&f, f.len - 3); /* no longer a multiple of four */
	expect_dropped(&f, in, ESP_DROP_malformed, "truncated");

	/* These verify, so each needs a fresh sequence number. */
	f = esp_frame(31);
	f.b[tail - 3] = 9; /* a pad byte that is not its index */
	resign(&f, &c);
	expect_dropped(&f, in, ESP_DROP_bad_padding, "bad padding");

	f = esp_frame(31);
	f.b[tail - 2] = 200; /* pad length beyond the payload */
	resign(&f, &c);
	expect_dropped(&f, in, ESP_DROP_bad_padding, "pad length too long");

	f = esp_frame(31);
	f.b[tail - 1] = 17; /* UDP where the tunnel carries IP */
	resign(&f, &c);
	expect_dropped(&f, in, ESP_DROP_bad_next_header, "wrong next header");

	f = esp_frame(31);
	f.b[tail - 1] = 59;
	resign(&f, &c);
	expect_dropped(&f, in, ESP_DROP_dummy, "dummy packet");

	f = esp_frame(31);
	f.b[14 + 20 + 8 + 13] = 19; /* inner source 198.19.1.2 */
	resign(&f, &c);
	expect_dropped(&f, in, ESP_DROP_policy_mismatch, "inner source outside the selector");

	f = good; /* sequence number 1 is still unused: all the above failed */
	rte_pktmbuf_free(through(&f, WAN));
	cr_expect_eq(sa(in)->sa_st.st_packets, 1, "the good one passes");
	expect_dropped(&good, in, ESP_DROP_replay, "replayed");
	cr_expect_eq(fx_in_use(), 0);
}

Test(esp, unknown_spi_to_the_box_is_counted_and_others_esp_is_routed)
{
	struct esp_sa_conf c = null_conf();
	struct fx_frame f;
	struct rte_ipv4_hdr *ip;
	struct rte_mbuf *m;
	int out, in;
	uint64_t before = fx_dp.workers[0].w_cnt[DP_W_unknown_spi];

	add_pair(c, &out, &in);
	f = esp_frame(10);
	f.b[14 + 20] ^= 0x40; /* another SPI */
	m = through(&f, WAN);
	cr_expect_not_null(m, "ESP for someone else is routed, not dropped");
	rte_pktmbuf_free(m);
	ip = (struct rte_ipv4_hdr *)(f.b + 14);
	memcpy(&ip->dst_addr, fx_addr("203.0.113.1").bytes, 4);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	cr_expect_null(through(&f, WAN));
	cr_expect_eq(fx_dp.workers[0].w_cnt[DP_W_unknown_spi], before + 1);
	cr_expect_eq(fx_in_use(), 0);
}

/* ---- UDP lengths on the NAT-T port (RFC 768, RFC 3948 §2) ---- */

/* Frame f as it would be with n bytes after its UDP datagram (the IP
 * length counting them, the UDP length not). */
static struct fx_frame with_trailing(struct fx_frame f, size_t n)
{
	memset(f.b + f.len, 0xee, n);
	cut(&f, f.len + n);
	return f;
}

static void set_udp_len(struct fx_frame *f, uint16_t ulen)
{
	f->b[14 + 20 + 4] = (uint8_t)(ulen >> 8);
	f->b[14 + 20 + 5] = (uint8_t)ulen;
}

static uint64_t wcnt(enum dp_worker_counter c)
{
	return fx_dp.workers[0].w_cnt[c];
}

/* ESP in UDP to the box, as the peer would send it. */
static struct fx_frame natt_frame(int *in)
{
	struct esp_sa_conf c = conf("natt", 0x6000, ESP_DIR_OUT);
	struct fx_frame f;
	int out;

	c.udp_encap = true;
	add_pair(c, &out, in);
	f = esp_frame(40);
	to_us(&f);
	return f;
}

Test(esp, natt_udp_length_beyond_the_ip_payload_or_under_8_is_dropped)
{
	int in;
	struct fx_frame good = natt_frame(&in), f;
	uint16_t ulen = (uint16_t)(good.len - 14 - 20);
	const uint16_t bad[] = { (uint16_t)(ulen + 1), 65535, 7, 0 };
	struct rte_mbuf *m;

	for (size_t i = 0; i < RTE_DIM(bad); i++) {
		uint64_t before = wcnt(DP_W_bad_udp_len);

		f = good;
		set_udp_len(&f, bad[i]);
		m = through(&f, WAN);
		cr_expect_null(m, "UDP length %u of %u: decrypted", bad[i], ulen);
		rte_pktmbuf_free(m);
		cr_expect_eq(wcnt(DP_W_bad_udp_len), before + 1,
			     "UDP length %u of %u: not counted", bad[i], ulen);
	}
	cr_expect_eq(sa(in)->sa_st.st_packets, 0);
	m = through(&good, WAN); /* sequence number 1 was never accepted */
	cr_expect_not_null(m, "the right length passes");
	rte_pktmbuf_free(m);
	cr_expect_eq(fx_in_use(), 0);
}

Test(esp, natt_bytes_after_the_udp_datagram_are_cut_off)
{
	int in;
	struct fx_frame good = natt_frame(&in);
	struct fx_frame f = with_trailing(good, 7);
	struct rte_mbuf *m = through(&f, WAN);

	cr_assert_not_null(m, "not decrypted (auth_failed %lu, malformed %lu, bad_udp_len %lu)",
			   drops(in, ESP_DROP_auth_failed), drops(in, ESP_DROP_malformed),
			   wcnt(DP_W_bad_udp_len));
	cr_expect_eq(m->pkt_len, 14 + 20 + 8 + 40, "inner packet of %u bytes", m->pkt_len);
	rte_pktmbuf_free(m);
	cr_expect_eq(wcnt(DP_W_bad_udp_len), 0);
	cr_expect_eq(fx_in_use(), 0);
}

/* Bytes after the datagram in a last segment shorter than them: the cut
 * cannot be made (rte_pktmbuf_trim), so the packet is dropped as a bad
 * UDP length rather than taken with an IP length that lies. */
Test(esp, natt_trailing_bytes_the_last_segment_cannot_give_are_dropped)
{
	int in;
	struct fx_frame f = with_trailing(natt_frame(&in), 7);
	struct rte_mbuf *m = fx_mbuf(&f, WAN), *tail = rte_pktmbuf_alloc(fx_dp.pool);
	uint64_t before = wcnt(DP_W_bad_udp_len);

	cr_assert_not_null(tail);
	/* the frame's last 3 bytes move to a segment of their own */
	memcpy(rte_pktmbuf_append(tail, 3), f.b + f.len - 3, 3);
	cr_assert_eq(rte_pktmbuf_trim(m, 3), 0);
	cr_assert_eq(rte_pktmbuf_chain(m, tail), 0);
	dp_worker_input(&fx_dp, &fx_dp.workers[0], WAN, &m, 1);
	dp_worker_flush(&fx_dp, &fx_dp.workers[0]);
	m = fx_take(fx_ports[WAN].tx[0]);
	cr_expect_null(m, "decrypted from a chain the cut could not shorten");
	rte_pktmbuf_free(m);
	cr_expect_eq(wcnt(DP_W_bad_udp_len), before + 1);
	cr_expect_eq(sa(in)->sa_st.st_packets, 0);
	cr_expect_eq(fx_in_use(), 0);
}

/* IKE behind the non-ESP marker (RFC 3948 §2.2) to port 4500. */
static struct fx_frame ike_natt_frame(void)
{
	struct fx_frame f = fx_udp4("203.0.113.2", "203.0.113.1", 64, 40);

	memcpy(f.b, FX_MAC_WAN, 6);
	f.b[34] = f.b[36] = 4500 >> 8;
	f.b[35] = f.b[37] = 4500 & 0xff;
	memset(f.b + 42, 0, 4);
	return f;
}

Test(esp, ike_on_the_natt_port_is_punted_only_with_a_udp_length_that_fits)
{
	struct fx_frame good = ike_natt_frame(), f;
	const uint16_t bad[] = { 8 + 40 + 1, 3 };
	struct rte_mbuf *m;
	const uint8_t *l3;

	for (size_t i = 0; i < RTE_DIM(bad); i++) {
		f = good;
		set_udp_len(&f, bad[i]);
		fx_input(&f, WAN);
		m = fx_take(fx_dp.punt);
		cr_expect_null(m, "UDP length %u: punted", bad[i]);
		rte_pktmbuf_free(m);
	}
	cr_expect_eq(wcnt(DP_W_bad_udp_len), RTE_DIM(bad));
	f = with_trailing(good, 5);
	fx_input(&f, WAN);
	m = fx_take(fx_dp.punt);
	cr_assert_not_null(m, "IKE with bytes after its datagram: not punted");
	l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, 14);
	cr_expect_eq(m->pkt_len, good.len, "cut to the datagram: %u bytes", m->pkt_len);
	cr_expect_eq((size_t)(l3[2] << 8 | l3[3]), good.len - 14, "IP length follows");
	cr_expect_eq(rte_raw_cksum(l3, 20), 0xffff, "IP checksum follows");
	rte_pktmbuf_free(m);
	cr_expect_eq(fx_in_use(), 0);
}

/* One burst of inbound ESP: its SAs are looked up together
 * (esp_sa_lookup_in_bulk), and each packet still meets its own fate. */
Test(esp, inbound_burst_of_sas_unknown_spis_and_transit_esp)
{
	struct esp_sa_conf c = null_conf();
	struct fx_frame f[3], transit, lost;
	struct rte_mbuf *mb[5], *m;
	uint64_t unknown = fx_dp.workers[0].w_cnt[DP_W_unknown_spi];
	unsigned esp = 0, plain = 0;
	int out, in;

	add_pair(c, &out, &in);
	for (unsigned i = 0; i < 3; i++)
		f[i] = esp_frame(10 + i); /* sequence numbers 1, 2, 3 */
	transit = f[0];
	transit.b[14 + 20] ^= 0x40; /* another SPI, to the peer: not ours */
	lost = transit;
	to_us(&lost);               /* the same SPI to us: unknown */
	mb[0] = fx_mbuf(&f[0], WAN);
	mb[1] = fx_mbuf(&transit, WAN);
	mb[2] = fx_mbuf(&f[1], WAN);
	mb[3] = fx_mbuf(&lost, WAN);
	mb[4] = fx_mbuf(&f[2], WAN);
	dp_worker_input(&fx_dp, &fx_dp.workers[0], WAN, mb, 5);
	dp_worker_flush(&fx_dp, &fx_dp.workers[0]);
	while ((m = fx_take(fx_ports[WAN].tx[0])) != NULL) {
		const struct rte_ipv4_hdr *ip =
			rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, 14);

		if (ip->next_proto_id == IPPROTO_ESP) {
			esp++;
		} else {
			cr_expect_eq(rte_be_to_cpu_16(ip->total_length), 20 + 8 + 10 + plain,
				     "decrypted packet %u out of order", plain);
			plain++;
		}
		rte_pktmbuf_free(m);
	}
	cr_expect_eq(plain, 3, "the SA's three packets decrypted");
	cr_expect_eq(esp, 1, "someone else's ESP routed as it is");
	cr_expect_eq(sa(in)->sa_st.st_packets, 3);
	cr_expect_eq(fx_dp.workers[0].w_cnt[DP_W_unknown_spi], unknown + 1);
	cr_expect_eq(fx_in_use(), 0);
}

/* RFC 3602 §2.1: a CBC IV is unpredictable; none repeats, in a burst or
 * across bursts, and a burst's AES-GCM packets beside them keep their
 * counter IVs (RFC 4106 §3.1: the sequence number). */
Test(esp, cbc_ivs_are_random_and_gcm_ivs_count)
{
	enum { BURSTS = 4, PER = 8 };
	struct esp_sa_conf cbc = conf("cbc", 0xe000, ESP_DIR_OUT);
	struct esp_sa_conf gcm = conf("gcm", 0xe001, ESP_DIR_OUT);
	struct fx_frame to_cbc = fx_udp4("198.18.1.2", "198.18.3.5", 64, 40);
	struct fx_frame to_gcm = fx_udp4("198.18.1.2", "198.18.4.5", 64, 40);
	uint8_t iv[BURSTS * PER][16];
	unsigned n = 0, g = 0;
	struct rte_mbuf *m;

	cbc.algo.enc = ESP_ENC_AES_CBC;
	cbc.algo.integ = ESP_INTEG_HMAC_SHA256_128;
	cbc.algo.integ_key_len = 32;
	gcm.ts.dst = fx_prefix("198.18.4.0/24");
	add(&cbc);
	add(&gcm);
	for (unsigned b = 0; b < BURSTS; b++) {
		struct rte_mbuf *mb[PER];

		for (unsigned i = 0; i < PER; i++)
			mb[i] = fx_mbuf(i % 2 ? &to_gcm : &to_cbc, LAN);
		dp_worker_input(&fx_dp, &fx_dp.workers[0], LAN, mb, PER);
		dp_worker_flush(&fx_dp, &fx_dp.workers[0]);
		while ((m = fx_take(fx_ports[WAN].tx[0])) != NULL) {
			const uint8_t *esp = rte_pktmbuf_mtod_offset(m, const uint8_t *, 14 + 20);

			if (esp[3] == 0x00) { /* SPI 0xe000: CBC, 16-byte IV */
				cr_assert_lt(n, BURSTS * PER);
				memcpy(iv[n++], esp + 8, 16);
			} else { /* GCM: the IV is the 64-bit sequence number */
				uint8_t want[8] = { 0, 0, 0, 0, 0, 0, 0, (uint8_t)(++g) };

				cr_expect_arr_eq(esp + 8, want, 8, "GCM IV of packet %u", g);
			}
			rte_pktmbuf_free(m);
		}
	}
	cr_assert_eq(n, BURSTS * PER / 2);
	cr_assert_eq(g, BURSTS * PER / 2);
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = i + 1; j < n; j++)
			cr_expect_arr_neq(iv[i], iv[j], 16, "CBC IVs %u and %u repeat", i, j);
	cr_expect_eq(fx_in_use(), 0);
}

Test(esp, outbound_sa_ends_at_sequence_overflow)
{
	struct esp_sa_conf c = conf("wrap", 0x6000, ESP_DIR_OUT);
	struct fx_frame plain = fx_udp4("198.18.1.2", "198.18.3.5", 64, 10);
	struct rte_mbuf *m;
	int out = add(&c);

	sa(out)->sa_st.st_seq = UINT32_MAX - 1;
	m = through(&plain, LAN);
	cr_assert_not_null(m, "2^32-1 is still sent");
	rte_pktmbuf_free(m);
	cr_expect_null(through(&plain, LAN), "never cycles to 0 (RFC 4303 §3.3.3)");
	cr_expect_eq(drops(out, ESP_DROP_seq_overflow), 1);

	c.spi = 0x6001;
	c.esn = true;
	out = add(&c);
	sa(out)->sa_st.st_seq = UINT32_MAX;
	m = through(&plain, LAN);
	cr_assert_not_null(m, "with ESN the sequence goes on past 2^32");
	rte_pktmbuf_free(m);
	cr_expect_eq(sa(out)->sa_st.st_seq, (uint64_t)UINT32_MAX + 1);
	cr_expect_eq(fx_in_use(), 0);
}

Test(esp, lifetimes_raise_soft_then_hard_and_hard_stops_traffic)
{
	struct esp_sa_conf c = conf("life", 0x7000, ESP_DIR_OUT);
	struct fx_frame plain = fx_udp4("198.18.1.2", "198.18.3.5", 64, 10);
	void *ev;
	int out;

	c.soft_packets = 2;
	c.hard_packets = 4;
	out = add(&c);
	for (unsigned i = 0; i < 5; i++)
		rte_pktmbuf_free(through(&plain, LAN));
	cr_assert_eq(rte_ring_dequeue(fx_dp.events, &ev), 0);
	cr_expect_eq(ev, dp_event_make((uint32_t)out, false));
	cr_assert_eq(rte_ring_dequeue(fx_dp.events, &ev), 0);
	cr_expect_eq(ev, dp_event_make((uint32_t)out, true));
	cr_expect_neq(rte_ring_dequeue(fx_dp.events, &ev), 0, "each raised once");
	cr_expect_eq(sa(out)->sa_st.st_packets, 4);
	cr_expect_eq(drops(out, ESP_DROP_hard_expired), 1);
	cr_expect_eq(fx_in_use(), 0);
}

Test(esp, too_big_for_the_tunnel_gets_the_inner_mtu_back)
{
	struct esp_sa_conf c = conf("mtu", 0x8000, ESP_DIR_OUT);
	struct fx_frame big = fx_udp4("198.18.1.2", "198.18.3.5", 64, 1500 - 28);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(big.b + 14);
	struct rte_mbuf *m;
	int out = add(&c);

	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	cr_expect_null(through(&big, LAN));
	m = fx_take(fx_dp.punt);
	cr_assert_not_null(m, "punted for an ICMP error");
	cr_expect_eq(dp_punt_reason(m), DP_PUNT_TOO_BIG);
	cr_expect_lt(dp_punt_arg(m), 1500 - 36, "reported MTU leaves room for ESP");
	cr_expect_gt(dp_punt_arg(m) + esp_out_overhead(sa(out), dp_punt_arg(m)), 1500 - 16);
	rte_pktmbuf_free(m);
	cr_expect_eq(drops(out, ESP_DROP_too_big), 1);
	cr_expect_eq(fx_in_use(), 0);
}

Test(esp, too_big_without_df_is_encrypted_then_fragmented)
{
	struct esp_sa_conf c = conf("frag", 0x9000, ESP_DIR_OUT);
	struct fx_frame big = fx_udp4("198.18.1.2", "198.18.3.5", 64, 1500 - 28);
	struct rte_mbuf *m;
	unsigned n = 0, bytes = 0;

	add(&c);
	fx_input(&big, LAN);
	while ((m = fx_take(fx_ports[WAN].tx[0])) != NULL) {
		uint8_t hdr[20];
		const uint8_t *ip = rte_pktmbuf_read(m, 14, 20, hdr);

		cr_expect_eq(ip[9], 50, "ESP fragments");
		cr_expect_eq(n == 0, (ip[6] & 0x20) != 0, "MF on the first only");
		bytes += (unsigned)(ip[2] << 8 | ip[3]) - 20;
		n++;
		rte_pktmbuf_free(m);
	}
	cr_expect_eq(n, 2);
	cr_expect_eq(bytes, 1500 + esp_out_overhead(esp_sa_by_id(fx_dp.sadb, 0), 1500) - 20);
	cr_expect_eq(fx_in_use(), 0);
}

Test(esp, plaintext_that_an_inbound_sa_covers_is_discarded)
{
	struct esp_sa_conf c = conf("in-only", 0xa000, ESP_DIR_IN);
	struct fx_frame sneaky = fx_udp4("198.18.3.9", "198.18.1.2", 64, 20);
	struct fx_frame other = fx_udp4("198.18.4.9", "198.18.1.2", 64, 20);
	struct rte_mbuf *m;

	c.ts.src = fx_prefix("198.18.3.0/24");
	c.ts.dst = fx_prefix("198.18.1.0/24");
	add(&c);
	memcpy(sneaky.b, FX_MAC_WAN, 6);
	memcpy(other.b, FX_MAC_WAN, 6);
	fx_input(&sneaky, WAN);
	cr_expect_null(fx_take(fx_ports[LAN].tx[0]), "plaintext from the tunnel's peers is refused");
	cr_expect_eq(fx_dp.workers[0].w_cnt[DP_W_plaintext_protected], 1);
	fx_input(&other, WAN);
	m = fx_take(fx_ports[LAN].tx[0]);
	cr_expect_not_null(m, "other plaintext is routed");
	rte_pktmbuf_free(m);
	cr_expect_eq(fx_in_use(), 0);
}

Test(esp, most_specific_policy_and_newest_sa_win_outbound)
{
	struct esp_sa_conf wide = conf("wide", 0xb000, ESP_DIR_OUT);
	struct esp_sa_conf narrow = conf("narrow", 0xb001, ESP_DIR_OUT);
	struct esp_sa_conf newer = conf("newer", 0xb002, ESP_DIR_OUT);
	struct fx_frame to_narrow = fx_udp4("198.18.1.2", "198.18.3.130", 64, 10);
	struct fx_frame to_wide = fx_udp4("198.18.1.2", "198.18.3.5", 64, 10);
	int w_id, n_id, new_id;

	narrow.ts.dst = fx_prefix("198.18.3.128/25");
	w_id = add(&wide);
	n_id = add(&narrow);
	rte_pktmbuf_free(through(&to_narrow, LAN));
	rte_pktmbuf_free(through(&to_wide, LAN));
	cr_expect_eq(sa(n_id)->sa_st.st_packets, 1);
	cr_expect_eq(sa(w_id)->sa_st.st_packets, 1);
	/* A rekey: same selectors, new SA; traffic moves at once. */
	newer.ts = wide.ts;
	new_id = add(&newer);
	rte_pktmbuf_free(through(&to_wide, LAN));
	cr_expect_eq(sa(new_id)->sa_st.st_packets, 1);
	cr_expect_eq(sa(w_id)->sa_st.st_packets, 1);
	/* Deleting the newest hands the traffic back. */
	cr_assert_eq(esp_sa_del(fx_dp.sadb, (uint32_t)new_id), 0);
	rte_pktmbuf_free(through(&to_wide, LAN));
	cr_expect_eq(sa(w_id)->sa_st.st_packets, 2);
	cr_expect_eq(fx_in_use(), 0);
}

/* More host policies than the first SPD tables have room for: 1024
 * prefixes a table, and for the outbound IPv4 one 256 /24s with longer
 * prefixes; IPv6 /128s take up to 13 groups of 2048 each. The tables
 * grow, and every policy keeps finding its SA, the covering one
 * included, outbound and inbound (filed by source there: the spokes'
 * SAs to one LAN are not one chain); deleted, they find none. */
static struct esp_sa *policy_sa(enum esp_dir dir, const char *src, const char *dst)
{
	struct ip_addr s = fx_addr(src), d = fx_addr(dst);

	return esp_sa_lookup_policy(fx_dp.sadb, dir, d.family, s.bytes, d.bytes,
				    IPPROTO_UDP, 1, 2);
}

static void host4(char *a, size_t len, unsigned i, const char *suffix)
{
	unsigned x = i % 512; /* 512 /24s of 198.18.0.0/15, 1-3 hosts each */

	snprintf(a, len, "198.%u.%u.%u%s", 18 + x / 256, x % 256, 1 + i / 512, suffix);
}

Test(esp, host_policies_beyond_the_first_spd_tables_grow_them)
{
	enum { V4 = 1100, V6 = 400 };
	static int id4[V4], id6[V6], in4[V4];
	struct esp_sa_conf wide = conf("wide", 0xc000, ESP_DIR_OUT);
	char a[64];
	int w_id;

	wide.ts.dst = fx_prefix("198.18.0.0/15");
	w_id = add(&wide);
	for (unsigned i = 0; i < V4; i++) {
		struct esp_sa_conf c = conf("host4", 0x10000 + i, ESP_DIR_OUT);

		host4(a, sizeof(a), i, "/32");
		c.ts.dst = fx_prefix(a);
		id4[i] = add(&c);
		/* inbound, as at a hub: every spoke's SA to the one LAN */
		c = conf("host4in", 0x20000 + i, ESP_DIR_IN);
		c.ts.src = fx_prefix(a);
		c.ts.dst = fx_prefix("192.0.2.0/24");
		in4[i] = add(&c);
	}
	for (unsigned i = 0; i < V6; i++) {
		struct esp_sa_conf c = conf("host6", 0x30000 + i, ESP_DIR_OUT);

		c.ts.src = fx_prefix("2001:db8:1::/64");
		snprintf(a, sizeof(a), "2001:db8:3::%x:%x/128", i + 1, i * 7 + 1);
		c.ts.dst = fx_prefix(a);
		id6[i] = add(&c);
	}
	for (unsigned i = 0; i < V4; i++) {
		host4(a, sizeof(a), i, "");
		cr_expect_eq(policy_sa(ESP_DIR_OUT, "198.18.1.2", a), sa(id4[i]), "%s", a);
		cr_expect_eq(policy_sa(ESP_DIR_IN, a, "192.0.2.7"), sa(in4[i]), "in %s", a);
	}
	for (unsigned i = 0; i < V6; i++) {
		snprintf(a, sizeof(a), "2001:db8:3::%x:%x", i + 1, i * 7 + 1);
		cr_expect_eq(policy_sa(ESP_DIR_OUT, "2001:db8:1::2", a), sa(id6[i]), "%s", a);
	}
	cr_expect_eq(policy_sa(ESP_DIR_OUT, "198.18.1.2", "198.19.255.9"), sa(w_id),
		     "the covering /15");
	cr_expect_null(policy_sa(ESP_DIR_OUT, "2001:db8:1::2", "2001:db8:3::1:2"),
		       "no /128 of its own");
	for (unsigned i = 0; i < V4; i++) {
		cr_assert_eq(esp_sa_del(fx_dp.sadb, (uint32_t)id4[i]), 0);
		cr_assert_eq(esp_sa_del(fx_dp.sadb, (uint32_t)in4[i]), 0);
	}
	for (unsigned i = 0; i < V6; i++)
		cr_assert_eq(esp_sa_del(fx_dp.sadb, (uint32_t)id6[i]), 0);
	cr_expect_eq(policy_sa(ESP_DIR_OUT, "198.18.1.2", "198.18.7.1"), sa(w_id),
		     "hosts gone: the /15");
	cr_expect_null(policy_sa(ESP_DIR_IN, "198.18.7.1", "192.0.2.7"));
	cr_expect_null(policy_sa(ESP_DIR_OUT, "2001:db8:1::2", "2001:db8:3::1:1"));
	cr_assert_eq(esp_sa_del(fx_dp.sadb, (uint32_t)w_id), 0);
}

/* IPv6 host policies that come and go, one at a time: DPDK 22.11's TRIE
 * keeps the groups of each deleted /128 counted as used, up to 13 a
 * host; the table is rebuilt at its size when they run out, not doubled
 * again and again (2048 groups to start: 600 rounds would have taken it
 * to 8192, 6 MB more). */
static size_t dpdk_heap(void)
{
	struct rte_malloc_socket_stats st;

	rte_malloc_get_socket_stats(0, &st);
	return st.heap_allocsz_bytes;
}

Test(esp, ipv6_host_policies_that_come_and_go_keep_the_spd_table_size)
{
	size_t before = dpdk_heap(), after;
	char a[64];

	for (unsigned i = 0; i < 600; i++) {
		struct esp_sa_conf c = conf("churn6", 0xf000 + i, ESP_DIR_OUT);
		int id;

		c.ts.src = fx_prefix("2001:db8:1::/64");
		snprintf(a, sizeof(a), "2001:db8:3::%x:1/128", i + 1);
		c.ts.dst = fx_prefix(a);
		id = add(&c);
		snprintf(a, sizeof(a), "2001:db8:3::%x:1", i + 1);
		cr_assert_eq(policy_sa(ESP_DIR_OUT, "2001:db8:1::2", a), sa(id), "%s", a);
		cr_assert_eq(esp_sa_del(fx_dp.sadb, (uint32_t)id), 0);
	}
	after = dpdk_heap();
	cr_expect_lt(after, before + (1u << 20), "the SPD grew by %zu bytes", after - before);
}

/* IPv4 host policies that come and go under a covering one, 3000 of
 * them each in a /24 of its own (a group each): a removed prefix is
 * left leading to its dead node (spd.c, node_remove) and the covering
 * policy applies at once; the dead ones are reclaimed when the table is
 * rebuilt, so neither its size nor the node slots run out. */
Test(esp, ipv4_host_policies_that_come_and_go_fall_back_and_are_reclaimed)
{
	struct esp_sa_conf wide = conf("wide", 0xc100, ESP_DIR_OUT);
	size_t before, after;
	char a[64];
	int w_id;

	wide.ts.dst = fx_prefix("198.18.0.0/15");
	w_id = add(&wide);
	before = dpdk_heap();
	for (unsigned i = 0; i < 3000; i++) {
		struct esp_sa_conf c = conf("churn4", 0xe000 + i, ESP_DIR_OUT);
		int id;

		host4(a, sizeof(a), i, "/32");
		c.ts.dst = fx_prefix(a);
		id = add(&c);
		host4(a, sizeof(a), i, "");
		cr_assert_eq(policy_sa(ESP_DIR_OUT, "198.18.1.2", a), sa(id), "%s", a);
		cr_assert_eq(esp_sa_del(fx_dp.sadb, (uint32_t)id), 0);
		cr_assert_eq(policy_sa(ESP_DIR_OUT, "198.18.1.2", a), sa(w_id), "%s gone: the /15", a);
	}
	after = dpdk_heap();
	cr_expect_lt(after, before + (8u << 20), "the SPD grew by %zu bytes", after - before);
	cr_assert_eq(esp_sa_del(fx_dp.sadb, (uint32_t)w_id), 0);
}

/* A more specific prefix for other traffic must not hide a wider SA's
 * policy: the lookup goes on to the covering prefixes. */
Test(esp, covering_policy_applies_when_the_specific_one_does_not_match)
{
	struct esp_sa_conf wide = conf("wide", 0xc000, ESP_DIR_OUT);
	struct esp_sa_conf tcp = conf("tcp-only", 0xc001, ESP_DIR_OUT);
	struct esp_sa_conf mid = conf("mid", 0xc002, ESP_DIR_OUT);
	struct fx_frame udp = fx_udp4("198.18.1.2", "198.18.3.17", 64, 10);
	int w_id, t_id, m_id;

	tcp.ts.dst = fx_prefix("198.18.3.16/28");
	tcp.ts.proto = IPPROTO_TCP;
	w_id = add(&wide);
	t_id = add(&tcp);
	rte_pktmbuf_free(through(&udp, LAN));
	cr_expect_eq(sa(w_id)->sa_st.st_packets, 1, "UDP is the wide SA's");
	cr_expect_eq(sa(t_id)->sa_st.st_packets, 0);

	/* A prefix between the two: the /28 now falls back to it first. */
	mid.ts.dst = fx_prefix("198.18.3.0/26");
	mid.ts.src = fx_prefix("198.18.1.2/32");
	m_id = add(&mid);
	rte_pktmbuf_free(through(&udp, LAN));
	cr_expect_eq(sa(m_id)->sa_st.st_packets, 1, "the /26 sits between /28 and /24");

	/* Removing the middle one hands the fallback back to the /24. */
	cr_assert_eq(esp_sa_del(fx_dp.sadb, (uint32_t)m_id), 0);
	rte_pktmbuf_free(through(&udp, LAN));
	cr_expect_eq(sa(w_id)->sa_st.st_packets, 2);

	/* And with only the TCP one left, UDP leaves in clear (bypass). */
	cr_assert_eq(esp_sa_del(fx_dp.sadb, (uint32_t)w_id), 0);
	{
		struct rte_mbuf *m = through(&udp, LAN);
		cr_assert_not_null(m);
		cr_expect_eq(rte_pktmbuf_mtod_offset(m, uint8_t *, 14 + 9)[0], IPPROTO_UDP);
		rte_pktmbuf_free(m);
	}
	cr_expect_eq(fx_in_use(), 0);
}

/* RFC 4301 §4.4.1: a packet that a trap (on-demand) policy covers while
 * no SA does goes to the control lcore, its TTL already spent; once an
 * SA covers it, it is encrypted and the trap is not consulted. */
Test(esp, trapped_traffic_is_punted_until_an_sa_covers_it)
{
	struct dp_trap trap = {
		.t_ts = { .src = fx_prefix("198.18.1.0/24"), .dst = fx_prefix("198.18.3.0/25"),
			  .proto = IPPROTO_UDP, .sport_hi = 65535, .dport_lo = 53, .dport_hi = 53 },
		.t_tag = 5 };
	struct fx_frame hit = fx_udp4("198.18.1.2", "198.18.3.9", 64, 20);
	struct fx_frame miss = fx_udp4("198.18.1.2", "198.18.3.200", 64, 20);
	struct esp_sa_conf c = conf("covers", 0xd000, ESP_DIR_OUT);
	struct rte_mbuf *m;
	const uint8_t *ip;
	int id;

	static struct dp_trap too_many[DP_MAX_TRAPS + 1];

	cr_expect_eq(dp_traps_set(&fx_dp, too_many, DP_MAX_TRAPS + 1), -ENOSPC);
	cr_assert_eq(dp_traps_set(&fx_dp, &trap, 1), 0);
	fx_input(&hit, LAN);
	cr_expect_null(fx_take(fx_ports[WAN].tx[0]), "no packet leaves in clear");
	cr_assert_eq(rte_ring_dequeue(fx_dp.punt, (void **)&m), 0, "punted");
	cr_expect_eq(dp_punt_reason(m), DP_PUNT_TRAP);
	cr_expect_eq(dp_punt_arg(m), 5, "the trap's tag rides along");
	ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, 14);
	cr_expect_eq(ip[8], 63, "routed: TTL spent");
	cr_expect_eq(rte_raw_cksum(ip, 20), 0xffff, "checksum still valid");
	rte_pktmbuf_free(m);
	cr_expect_eq(fx_dp.workers[0].w_cnt[DP_W_trapped], 1);

	/* Outside the trap: routed as it is. */
	m = through(&miss, LAN);
	cr_expect_not_null(m);
	rte_pktmbuf_free(m);
	cr_expect_not_null(dp_trap_match(&fx_dp, AF_INET, hit.b + 14 + 12, hit.b + 14 + 16,
					 IPPROTO_UDP, 1000, 53));
	cr_expect_null(dp_trap_match(&fx_dp, AF_INET, hit.b + 14 + 12, hit.b + 14 + 16,
				     IPPROTO_UDP, 1000, 54), "port outside the selector");
	cr_expect_null(dp_trap_match(&fx_dp, AF_INET, hit.b + 14 + 12, hit.b + 14 + 16,
				     IPPROTO_TCP, 1000, 53), "protocol outside the selector");

	/* An SA covers it now: encrypted, not trapped. */
	id = add(&c);
	m = through(&hit, LAN);
	cr_assert_not_null(m);
	cr_expect_eq(rte_pktmbuf_mtod_offset(m, uint8_t *, 14 + 9)[0], 50, "ESP");
	rte_pktmbuf_free(m);
	cr_expect_eq(fx_dp.workers[0].w_cnt[DP_W_trapped], 1);

	/* SA and trap gone: plain routing again. */
	cr_assert_eq(esp_sa_del(fx_dp.sadb, (uint32_t)id), 0);
	cr_assert_eq(dp_traps_set(&fx_dp, NULL, 0), 0);
	m = through(&hit, LAN);
	cr_assert_not_null(m);
	cr_expect_eq(rte_pktmbuf_mtod_offset(m, uint8_t *, 14 + 9)[0], IPPROTO_UDP);
	rte_pktmbuf_free(m);
	cr_expect_eq(rte_ring_count(fx_dp.punt), 0);
	cr_expect_eq(fx_in_use(), 0);
}

/* Traffic to a trap whose peer does not answer must not fill the punt
 * ring that IKE and ARP share: a worker punts at most 256 trapped packets
 * per 10 ms and counts the rest. */
Test(esp, trapped_packets_are_punted_at_a_bounded_rate)
{
	struct dp_trap trap = {
		.t_ts = { .src = fx_prefix("198.18.1.0/24"), .dst = fx_prefix("198.18.3.0/24"),
			  .sport_hi = 65535, .dport_hi = 65535 } };
	struct fx_frame f = fx_udp4("198.18.1.2", "198.18.3.9", 64, 20);
	const uint64_t *cnt = fx_dp.workers[0].w_cnt;
	uint64_t t0, took;
	struct rte_mbuf *m;

	cr_assert_eq(dp_traps_set(&fx_dp, &trap, 1), 0);
	t0 = rte_rdtsc();
	for (unsigned i = 0; i < 300; i++)
		fx_input(&f, LAN);
	took = rte_rdtsc() - t0;
	cr_expect_eq(cnt[DP_W_trapped] + cnt[DP_W_trap_limited], 300);
	cr_expect_geq(cnt[DP_W_trapped], DP_TRAP_PUNTS_PER_10MS);
	if (took < rte_get_tsc_hz() / 100)
		cr_expect_eq(cnt[DP_W_trap_limited], 300 - DP_TRAP_PUNTS_PER_10MS,
			     "all in one window: the rest are limited");
	cr_expect_eq(rte_ring_count(fx_dp.punt), cnt[DP_W_trapped]);
	while (rte_ring_dequeue(fx_dp.punt, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	cr_assert_eq(dp_traps_set(&fx_dp, NULL, 0), 0);
	cr_expect_eq(fx_in_use(), 0);
}

/* ---- key material in freed memory (free_watch.c) ---- */

/* While an SA lives, its allocation holds the expanded key (AES's
 * schedule starts with the key itself); once esp_sa_del has freed it,
 * that block held no key when it went back to the allocator. */
Test(esp, sa_keys_are_wiped_before_the_sa_is_freed)
{
	static const char *const names[] = { "aes128gcm16", "aes256-sha256", "chacha20poly1305" };
	static const uint8_t encs[] = { ESP_ENC_AES_GCM16, ESP_ENC_AES_CBC,
					ESP_ENC_CHACHA20_POLY1305 };
	static const uint8_t lens[] = { 16, 32, 32 };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct esp_sa_conf c = conf(names[i], 0x7100 + (uint32_t)i, ESP_DIR_IN);
		struct esp_sa *s;
		int id;

		c.algo.enc = encs[i];
		c.algo.enc_key_len = lens[i];
		if (encs[i] == ESP_ENC_AES_CBC) {
			c.algo.integ = ESP_INTEG_HMAC_SHA256_128;
			c.algo.integ_key_len = 32;
		}
		id = add(&c);
		s = sa(id);
		cr_expect_not_null(memmem(s, malloc_usable_size(s), c.algo.enc_key, 16),
				   "%s: the live SA holds its key (the watch has something to find)",
				   names[i]);
		free_watch_start(c.algo.enc_key, 16);
		cr_assert_eq(esp_sa_del(fx_dp.sadb, (uint32_t)id), 0);
		free_watch_stop();
		cr_expect(free_watch_saw(s), "%s: the SA was freed", names[i]);
		cr_expect_eq(free_watch_hits(), 0, "%s: a freed block held the key", names[i]);
	}
}

static uint32_t seq_of(const struct rte_mbuf *m, bool encap)
{
	const uint8_t *esp = rte_pktmbuf_mtod_offset(m, const uint8_t *, 14 + 20 + (encap ? 8 : 0));

	return (uint32_t)esp[4] << 24 | (uint32_t)esp[5] << 16 | (uint32_t)esp[6] << 8 | esp[7];
}

/* MOBIKE: the peer moved behind a NAT; its outbound SA is re-pointed
 * (ESP in UDP to the NAT's port), SPI and counters kept, the sequence
 * numbers ahead by the gap (an AES-GCM IV is never used twice). */
Test(esp, a_replaced_outbound_sa_takes_the_traffic_with_its_spi_and_sequence)
{
	struct esp_sa_conf c = conf("move", 0x7000, ESP_DIR_OUT), moved;
	struct fx_frame plain = fx_udp4("198.18.1.2", "198.18.3.5", 64, 10);
	uint32_t n_sas = esp_sadb_count(fx_dp.sadb);
	struct rte_mbuf *m;
	int out = add(&c), nid;
	const uint8_t *l3;

	m = through(&plain, LAN);
	cr_assert_not_null(m);
	check_outer(m, &c);
	rte_pktmbuf_free(m);
	moved = c;
	moved.udp_encap = true;
	moved.encap_dport = 5500;
	nid = esp_sa_replace(fx_dp.sadb, ctl_engine, (uint32_t)out, &moved);
	cr_assert_geq(nid, 0, "replaced: %d", nid);
	cr_expect_neq(nid, out);
	cr_expect_null(sa(out), "the old SA is gone");
	cr_expect_eq(esp_sadb_count(fx_dp.sadb), n_sas + 1, "one SA, not two");
	cr_expect_eq(sa(nid)->sa_st.st_packets, 1, "its counters carried on");
	m = through(&plain, LAN);
	cr_assert_not_null(m, "the traffic takes the new SA");
	l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, 14);
	cr_expect_eq(l3[9], IPPROTO_UDP, "ESP in UDP now");
	cr_expect_eq(l3[22] << 8 | l3[23], 5500, "to the NAT's port");
	cr_expect_eq(seq_of(m, true), 2 + ESP_SA_REPLACE_SEQ_GAP, "no sequence number again");
	cr_expect_eq(be32_get(l3 + 20 + 8), 0x7000, "the same SPI");
	rte_pktmbuf_free(m);

	moved.dst = fx_addr("203.0.113.9");
	out = nid;
	nid = esp_sa_replace(fx_dp.sadb, ctl_engine, (uint32_t)out, &moved);
	cr_assert_geq(nid, 0);
	cr_expect(ip_addr_equal(&sa(nid)->sa_dst, &moved.dst), "the new outer destination");
	cr_expect_eq(sa(nid)->sa_st.st_packets, 2);
	esp_sa_del(fx_dp.sadb, (uint32_t)nid);
	cr_expect_eq(fx_in_use(), 0);
}

Test(esp, replace_refuses_another_spi_owner_direction_or_no_sa)
{
	struct esp_sa_conf c = conf("keep", 0x7100, ESP_DIR_OUT), x;
	struct esp_sa_conf in = conf("keep-in", 0x7101, ESP_DIR_IN);
	int out = add(&c), iid = add(&in);

	x = c;
	x.spi = 0x7102;
	cr_expect_eq(esp_sa_replace(fx_dp.sadb, ctl_engine, (uint32_t)out, &x), -EINVAL);
	x = c;
	x.owner = 1;
	cr_expect_eq(esp_sa_replace(fx_dp.sadb, ctl_engine, (uint32_t)out, &x), -EINVAL);
	cr_expect_eq(esp_sa_replace(fx_dp.sadb, ctl_engine, (uint32_t)iid, &in), -EINVAL,
		     "inbound SAs are not replaced");
	cr_expect_eq(esp_sa_replace(fx_dp.sadb, ctl_engine, esp_sadb_id_limit(fx_dp.sadb) - 1, &c),
		     -ENOENT);
	cr_expect_not_null(sa(out), "the SA stays");
	cr_expect_not_null(sa(iid));
}
