/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * In-process ESP throughput of one worker, next to the raw IPsec-MB
 * AES-GCM rate on the same core, and the data plane's memory per SA.
 *
 *   esp_bench [--seconds S] [--file-prefix P] [--sizes 64,512,1420,imix]
 *             [--sas 1,1000,100000] [--algos 128,256] [--dirs enc,dec]
 *             [--mem-sas N] [--no-raw] [--stages] [--workers 1|2]
 *   esp_bench --install [--seconds S] [--file-prefix P]
 *
 * The data plane is built as tests/unit/dp_fixture.c builds it, with two
 * net_null ports (no-rx=1; TX frees the mbufs):
 *
 *   lan, protected,   192.0.2.1/24,   02:00:00:00:00:01, host 192.0.2.2
 *   wan, unprotected, 203.0.113.1/24, 02:00:00:00:00:02, MTU 9000
 *   peer 203.0.113.2 (static neighbour); 198.18.0.0/15 via the peer;
 *   host routes to the static neighbours, as espgate installs them
 *
 * SA k (k = 0..n-1) protects 192.0.2.0/24 <-> 198.18.0.0 + k + 1 (/32):
 * an outbound SA 203.0.113.1 -> .2 and an inbound one .2 -> .1 (replay
 * window 64, the configuration's default), tunnel mode, own key each.
 * dp_worker_input() + dp_worker_flush() are called directly with bursts
 * of 32 mbufs, round robin over the SAs. Every burst is allocated from
 * the pool and filled from a prepared frame (encrypt: a template with the
 * SA's destination patched in; decrypt: ESP frames encrypted beforehand,
 * sequence numbers 1, 2, ... per SA, replay windows reset between passes
 * outside the timed region); the raw rate pays the same allocation, fill
 * and free, so the ratio compares the work between them.
 *
 * Frame sizes are Ethernet frames with the 4-byte FCS, as in route.sh:
 * 64 B is 46 bytes of IPv4. IMIX is 64/594/1518 in 7:4:1 (576- and
 * 1500-byte IP packets); the WAN MTU of 9000 lets 1500-byte inner packets
 * through the tunnel. Gbit/s counts inner IP bytes. Rates are per
 * CPU-second of this thread, the best of 5 chunks (ours and raw in turns
 * at the first SA count); the wall-clock rate is printed beside.
 *
 * With --workers 2, also one SA on two workers (lcores 0 and 1), against
 * one worker: see measure_workers.
 *
 * Prints one line per figure, a table, and
 *   INPROC enc_1420B_ratio=R enc_64B_ratio=R dec_1420B_ratio=R sa100k_vs_sa1=R bytes_per_sa=N sa_bytes_beyond_keysched=N
 *          enc_1420B_2w_vs_1w=R dec_1420B_2w_vs_1w=R (n/a without --workers 2)
 *
 * --stages (a build with -Dstage_cycles=true, bench/esp_stages.sh): instead,
 * the TSC cycles a packet spends in each stage of the path
 * (lib/dataplane/stage_cycles.h), encrypt and decrypt at each size and
 * the first SA count, as a table, beside the raw IPsec-MB baseline.
 *
 * --install (lcores 0 and 1): SAs installed and deleted per second by
 * this thread while a worker on lcore 1 encrypts, with 0, 10 000 and
 * 100 000 SAs installed besides, and the worker's rate during storms of
 * 10 000 installs over its rate without (measure_install):
 *   INSTALL sa_install_per_s_0=X sa_install_per_s_10k=X sa_install_per_s_100k=X storm_ratio=R
 */
#include <getopt.h>
#include <sched.h>
#include <stdalign.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <intel-ipsec-mb.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "dp.h"
#include "esp.h"
#include "stage_cycles.h"

#define BURST DP_BURST
#define MAX_SIZES 8
#define MAX_SAS_LIST 8
#define MAX_ROWS 256
#define IMIX_LEN 12
#define PASS_MIN 1024
#define SIZE_IMIX 0 /* in the size list */

static const uint8_t MAC_LAN[6] = { 2, 0, 0, 0, 0, 1 };
static const uint8_t MAC_WAN[6] = { 2, 0, 0, 0, 0, 2 };
static const uint8_t MAC_HOST[6] = { 2, 0, 0, 0, 1, 2 };
static const uint8_t MAC_PEER[6] = { 2, 0, 0, 0, 2, 2 };
/* 7 x 64, 4 x 594, 1 x 1518, interleaved */
static const uint16_t IMIX[IMIX_LEN] = { 64, 594, 64, 64, 594, 64, 1518, 64, 594, 64, 594, 64 };

#define HOST_IP 0xc0000202u  /* 192.0.2.2 */
#define SA_NET 0xc6120000u   /* 198.18.0.0/15 */
#define LAN_PREFIX "192.0.2.1/24"
#define WAN_PREFIX "203.0.113.1/24"
#define WAN_IP "203.0.113.1"
#define PEER_IP "203.0.113.2"

static struct {
	double seconds;
	char prefix[64];
	unsigned sizes[MAX_SIZES], n_sizes; /* 0 = IMIX */
	unsigned sas[MAX_SAS_LIST], n_sas;
	unsigned algos[2], n_algos;         /* key bits */
	bool enc, dec, raw;
	bool stages;
	unsigned mem_sas;
	bool install; /* --install: the install rate, nothing else */
	unsigned workers;                   /* 2: the one-SA-on-2-workers figures too */
} opt = {
	.seconds = 1.0,
	.sizes = { 64, 512, 1420, SIZE_IMIX }, .n_sizes = 4,
	.sas = { 1, 1000, 100000 }, .n_sas = 3,
	.algos = { 128, 256 }, .n_algos = 2,
	.enc = true, .dec = true, .raw = true,
	.mem_sas = 100000,
	.workers = 1,
};

static struct dp dp;
static struct dp_worker *W;
/* What sa_conf gives the SAs it makes: the owner and inbound window. */
static int sa_owner = 0;
static uint32_t sa_window = 64;
static uint64_t hz;
static unsigned sadb_seq;

static void die(const char *what)
{
	fprintf(stderr, "esp_bench: %s\n", what);
	exit(1);
}

/* ---- Figures ---- */

struct row {
	char what[48];
	unsigned size; /* 0 = IMIX */
	unsigned sas;  /* 0 = raw */
	double mpps, gbps, ns;
	double ratio;  /* ours / raw, < 0 when none */
	double wall_mpps;
};
static struct row rows[MAX_ROWS];
static unsigned n_rows;

static const char *size_name(unsigned size)
{
	static char buf[4][16];
	static unsigned k;
	char *b = buf[k++ % 4];

	if (size == SIZE_IMIX)
		return "IMIX";
	snprintf(b, 16, "%uB", size);
	return b;
}

static struct row *add_row(const char *what, unsigned size, unsigned sas,
			   double pps, double bytes_per_pkt, double ratio, double wall_pps)
{
	struct row *r = &rows[n_rows < MAX_ROWS ? n_rows++ : MAX_ROWS - 1];

	snprintf(r->what, sizeof(r->what), "%s", what);
	r->size = size;
	r->sas = sas;
	r->mpps = pps / 1e6;
	r->gbps = pps * bytes_per_pkt * 8 / 1e9;
	r->ns = pps > 0 ? 1e9 / pps : 0;
	r->ratio = ratio;
	r->wall_mpps = wall_pps / 1e6;
	return r;
}

static const struct row *find_row(const char *what, unsigned size, unsigned sas)
{
	for (unsigned i = 0; i < n_rows; i++)
		if (!strcmp(rows[i].what, what) && rows[i].size == size && rows[i].sas == sas)
			return &rows[i];
	return NULL;
}

/* ---- Memory ---- */

static uint64_t heap_bytes(void)
{
	struct rte_malloc_socket_stats st;
	struct mallinfo2 mi = mallinfo2();
	uint64_t sum = mi.uordblks;

	for (unsigned i = 0; i < rte_socket_count(); i++)
		if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i), &st) == 0)
			sum += st.heap_allocsz_bytes;
	return sum;
}

/* ---- Data plane ---- */

static struct ip_prefix prefix(const char *s)
{
	struct ip_prefix p;

	if (!ip_prefix_parse(s, &p))
		die(s);
	return p;
}

static struct ip_addr addr(const char *s)
{
	struct ip_addr a;

	if (!ip_addr_parse(s, &a))
		die(s);
	return a;
}

static void add_port(unsigned idx, const char *dev, const uint8_t mac[6],
		     enum dp_port_role role, const char *a4, uint16_t mtu)
{
	struct dp_port *port = &dp.ports[idx];
	struct rte_eth_conf conf = { 0 };
	uint16_t id;
	char n[32];

	if (rte_eth_dev_get_port_by_name(dev, &id) != 0)
		die("no net_null port (is the net_null PMD installed?)");
	port->pt_if.port = id;
	port->pt_role = role;
	memcpy(port->pt_if.mac, mac, 6);
	port->pt_if.mtu = mtu;
	port->pt_if.addrs[0] = prefix(a4);
	port->pt_if.n_addrs = 1;
	port->pt_nb_rxq = 1;
	port->pt_nb_txq = 1;
	snprintf(n, sizeof(n), "ctl_tx%u", idx);
	port->pt_ctl_tx = rte_ring_create(n, 64, 0, 0);
	snprintf(port->pt_name, sizeof(port->pt_name), "%s", dev);
	dp.port_index[id] = (uint16_t)idx;
	{
		struct ip_prefix host = port->pt_if.addrs[0];
		host.len = 32;
		if (dp_route_add(dp.route, &port->pt_if.addrs[0],
				 dp_nh_make(DP_NH_CONNECTED, idx)) != 0 ||
		    dp_route_add(dp.route, &host, dp_nh_make(DP_NH_LOCAL, idx)) != 0)
			die("route");
	}
	port->pt_nb_txq = (uint16_t)opt.workers; /* a TX queue per worker */
	if (rte_eth_dev_configure(id, 1, (uint16_t)opt.workers, &conf) != 0 ||
	    rte_eth_rx_queue_setup(id, 0, 64, 0, NULL, dp.pool) != 0)
		die("port setup");
	for (uint16_t q = 0; q < opt.workers; q++)
		if (rte_eth_tx_queue_setup(id, q, 512, 0, NULL) != 0)
			die("port setup");
	if (rte_eth_dev_start(id) != 0)
		die("port setup");
}

/* A static neighbour, and the host route to its entry that espgate's
 * control lcore installs for a resolved neighbour on a connected prefix
 * (app/control.c, control_neigh_host_route). */
static int neighbour(const char *ip, unsigned port, const uint8_t mac[6])
{
	struct ip_addr a = addr(ip);
	int idx = dp_neigh_get(dp.neigh, &a, (uint16_t)port);
	uint32_t nh;

	if (idx < 0)
		die("neighbour");
	dp_neigh_set_mac(dp.neigh, (uint32_t)idx, mac, true);
	nh = dp_route_lookup(dp.route, &a);
	if (dp_nh_kind(nh) == DP_NH_CONNECTED && dp_nh_value(nh) == port) {
		struct ip_prefix host = { .addr = a, .len = 32 };
		if (dp_route_add(dp.route, &host, dp_nh_make(DP_NH_GATEWAY, (uint32_t)idx)) != 0)
			die("host route");
	}
	return idx;
}

static void dp_up(void)
{
	int peer;
	struct ip_prefix net = prefix("198.18.0.0/15");

	dp.pool = rte_pktmbuf_pool_create("eb_mbufs", 8191, 256, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	dp.route = dp_route_create("eb_rt", (int)rte_socket_id(), 1024);
	dp.neigh = dp_neigh_create("eb_nb", (int)rte_socket_id(), 64);
	dp.punt = rte_ring_create("eb_punt", DP_PUNT_RING_SIZE, 0, RING_F_SC_DEQ);
	dp.events = rte_ring_create("eb_events", DP_EVENT_RING_SIZE, 0, RING_F_SC_DEQ);
	dp.n_workers = opt.workers;
	dp.workers = rte_zmalloc("eb_w", opt.workers * sizeof(*dp.workers), RTE_CACHE_LINE_SIZE);
	if (!dp.pool || !dp.route || !dp.neigh || !dp.punt || !dp.events || !dp.workers)
		die("tables: out of memory");
	for (unsigned i = 0; i < opt.workers; i++) {
		struct dp_worker *w = &dp.workers[i];
		char n[32];

		snprintf(n, sizeof(n), "eb_handoff%u", i);
		w->w_idx = i;
		w->w_lcore = i; /* lcore i: -l 0 or -l 0,1 */
		w->w_engine = esp_engine_create();
		w->w_handoff = rte_ring_create(n, DP_HANDOFF_RING_SIZE, 0, RING_F_SC_DEQ);
		if (!w->w_engine || !w->w_handoff)
			die("engine");
	}
	W = &dp.workers[0];
	dp.n_ports = 2;
	add_port(0, "net_null0", MAC_LAN, DP_ROLE_PROTECTED, LAN_PREFIX, 1500);
	add_port(1, "net_null1", MAC_WAN, DP_ROLE_UNPROTECTED, WAN_PREFIX, 9000);
	neighbour("192.0.2.2", 0, MAC_HOST);
	peer = neighbour(PEER_IP, 1, MAC_PEER);
	if (dp_route_add(dp.route, &net, dp_nh_make(DP_NH_GATEWAY, (uint32_t)peer)) != 0)
		die("route");
	dp.natt_ports[0] = 4500;
	dp.n_natt_ports = 1;
	dp.unmatched_discard = true;
}

/* ---- SAs ---- */

static struct esp_algo algo_for(unsigned bits, uint32_t k, bool in)
{
	struct esp_algo a = { .enc = ESP_ENC_AES_GCM16, .enc_key_len = (uint8_t)(bits / 8) };

	for (unsigned i = 0; i < a.enc_key_len; i++)
		a.enc_key[i] = (uint8_t)(k * 131 + i * 7 + in * 101 + (k >> 8) * 17 + (k >> 16));
	for (unsigned i = 0; i < ESP_SALT_LEN; i++)
		a.salt[i] = (uint8_t)(k + i + in);
	return a;
}

static uint32_t sa_dst(uint32_t k)
{
	return SA_NET + k + 1;
}

/* dir OUT with 'gen': the peer's outbound SA, to make inbound frames. */
static struct esp_sa_conf sa_conf(unsigned bits, uint32_t k, enum esp_dir dir, bool gen)
{
	struct esp_sa_conf c = { 0 };
	bool peer_side = dir == ESP_DIR_IN || gen;
	struct ip_prefix host = { .addr = ip_addr_v4(sa_dst(k)), .len = 32 };
	struct ip_prefix lan = prefix("192.0.2.0/24");

	snprintf(c.name, sizeof(c.name), "%s%u", dir == ESP_DIR_IN ? "in" : "out", k);
	c.dir = dir;
	c.mode = ESP_MODE_TUNNEL;
	c.spi = peer_side ? 0x80000000u + k : 0x1000u + k;
	c.src = addr(peer_side ? PEER_IP : WAN_IP);
	c.dst = addr(peer_side ? WAN_IP : PEER_IP);
	c.algo = algo_for(bits, k, peer_side);
	c.ts.src = peer_side ? host : lan;
	c.ts.dst = peer_side ? lan : host;
	c.ts.sport_hi = c.ts.dport_hi = 65535;
	c.replay_window = dir == ESP_DIR_IN ? sa_window : 0;
	c.df = ESP_DF_COPY;
	c.owner = sa_owner;
	return c;
}

struct sa_set {
	struct esp_sadb *db;
	unsigned n;
	struct esp_sa **out, **in;
};

static struct esp_sadb *sadb_new(uint32_t max)
{
	char n[32];
	struct esp_sadb *db;

	snprintf(n, sizeof(n), "eb_sadb%u", sadb_seq++);
	db = esp_sadb_create(n, (int)rte_socket_id(), max, NULL, 1);
	if (!db)
		die("esp_sadb_create: out of memory (raise -m)");
	return db;
}

static void add_sas(struct esp_sadb *db, unsigned bits, unsigned n,
		    enum esp_dir dir, bool gen, struct esp_sa **keep)
{
	for (uint32_t k = 0; k < n; k++) {
		struct esp_sa_conf c = sa_conf(bits, k, dir, gen);
		int id = esp_sa_add(db, W->w_engine, &c);

		if (id < 0) {
			fprintf(stderr, "esp_bench: esp_sa_add %u: %s\n", k, strerror(-id));
			exit(1);
		}
		if (keep)
			keep[k] = esp_sa_by_id(db, (uint32_t)id);
	}
}

/* As the daemon sizes it: room for twice the configured SAs. */
static uint32_t sadb_max(unsigned n_total)
{
	return RTE_MAX(4096u, 2 * n_total);
}

static void sa_set_up(struct sa_set *s, unsigned bits, unsigned n)
{
	s->n = n;
	s->db = sadb_new(sadb_max(2 * n));
	s->out = calloc(n, sizeof(*s->out));
	s->in = calloc(n, sizeof(*s->in));
	if (!s->out || !s->in)
		die("out of memory");
	add_sas(s->db, bits, n, ESP_DIR_OUT, false, s->out);
	add_sas(s->db, bits, n, ESP_DIR_IN, false, s->in);
	dp.sadb = s->db;
}

static void sa_set_down(struct sa_set *s)
{
	dp.sadb = NULL;
	esp_sadb_free(s->db);
	free(s->out);
	free(s->in);
	memset(s, 0, sizeof(*s));
}

/* ---- Frames ---- */

struct frame {
	uint8_t *b;
	uint16_t len;    /* bytes in the mbuf (the frame without FCS) */
	uint16_t ip_len; /* inner IP bytes */
	uint16_t text;   /* ESP text offset (decrypt) */
	uint16_t text_len;
};

static unsigned ip_len_of(unsigned size)
{
	return size - 18;
}

/* ESP text of a GCM SA for an inner packet: payload, pad, 2 (RFC 4303 §2.4). */
static unsigned gcm_text_len(unsigned ip_len)
{
	return RTE_ALIGN_CEIL(ip_len + 2, 4);
}

/* Ether/IPv4/UDP of 'size' (FCS included), UDP without checksum. */
static void plain_frame(uint8_t *b, unsigned size, uint32_t src, uint32_t dst,
			const uint8_t *dmac)
{
	unsigned ip_len = ip_len_of(size);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(b + 14);

	memset(b, 0, size - 4);
	memcpy(b, dmac, 6);
	memcpy(b + 6, MAC_HOST, 6);
	b[12] = 0x08;
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)ip_len);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(src);
	ip->dst_addr = rte_cpu_to_be_32(dst);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	b[34] = 0x04; /* UDP 1024 -> 9, no checksum */
	b[37] = 9;
	b[38] = (uint8_t)((ip_len - 20) >> 8);
	b[39] = (uint8_t)(ip_len - 20);
	for (unsigned i = 42; i < size - 4; i++)
		b[i] = (uint8_t)(i * 7);
}

/* Encrypt side: a template per size with dst 0, and each SA's dst. */
struct enc_src {
	uint8_t tmpl[MAX_SIZES][2048];
	uint16_t len[IMIX_LEN], ip_len[IMIX_LEN];
	uint8_t *pat_tmpl[IMIX_LEN];
	uint32_t ck0[IMIX_LEN]; /* ~checksum with dst 0 */
	unsigned plen;
	uint32_t *dst_be;       /* per SA */
	uint32_t *dst_sum;      /* per SA: the two 16-bit halves, summed */
	unsigned n_sa;
};
static struct enc_src E;
/* Running pattern and SA index, each worker's own. */
static __thread unsigned enc_pi, enc_si;

static void enc_src_init(unsigned size, unsigned n_sa)
{
	unsigned sizes[IMIX_LEN];

	E.plen = size == SIZE_IMIX ? IMIX_LEN : 1;
	for (unsigned i = 0; i < E.plen; i++)
		sizes[i] = size == SIZE_IMIX ? IMIX[i] : size;
	/* one template per distinct size, with destination 0 */
	for (unsigned i = 0; i < E.plen; i++) {
		unsigned j;
		for (j = 0; j < i && sizes[j] != sizes[i]; j++)
			;
		E.pat_tmpl[i] = E.tmpl[j < MAX_SIZES ? j : 0];
		if (j == i) {
			struct rte_ipv4_hdr *ip;
			plain_frame(E.pat_tmpl[i], sizes[i], HOST_IP, 0, MAC_LAN);
			ip = (struct rte_ipv4_hdr *)(E.pat_tmpl[i] + 14);
			E.ck0[i] = (uint16_t)~ip->hdr_checksum;
		} else {
			E.ck0[i] = E.ck0[j];
		}
		E.len[i] = (uint16_t)(sizes[i] - 4);
		E.ip_len[i] = (uint16_t)ip_len_of(sizes[i]);
	}
	free(E.dst_be);
	free(E.dst_sum);
	E.dst_be = malloc(n_sa * sizeof(*E.dst_be));
	E.dst_sum = malloc(n_sa * sizeof(*E.dst_sum));
	if (!E.dst_be || !E.dst_sum)
		die("out of memory");
	for (unsigned k = 0; k < n_sa; k++) {
		uint32_t d = sa_dst(k);
		E.dst_be[k] = rte_cpu_to_be_32(d);
		/* one's complement sum is byte-order independent if both
		 * sides use the same order: the header is in network order */
		E.dst_sum[k] = rte_cpu_to_be_16((uint16_t)(d >> 16)) +
			       rte_cpu_to_be_16((uint16_t)d);
	}
	E.n_sa = n_sa;
	enc_pi = enc_si = 0;
}

/* Allocates n mbufs and fills them; returns the inner IP bytes. */
static uint64_t fill_enc(struct rte_mbuf **mb, unsigned n)
{
	uint64_t bytes = 0;

	if (rte_pktmbuf_alloc_bulk(dp.pool, mb, n) != 0)
		die("mbuf pool empty");
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = mb[i];
		uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
		unsigned p = enc_pi, s = enc_si;
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(d + 14);
		uint32_t sum;

		rte_memcpy(d, E.pat_tmpl[p], E.len[p]);
		m->data_len = E.len[p];
		m->pkt_len = E.len[p];
		ip->dst_addr = E.dst_be[s];
		sum = E.ck0[p] + E.dst_sum[s];
		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		ip->hdr_checksum = (uint16_t)~sum;
		bytes += E.ip_len[p];
		enc_pi = p + 1 == E.plen ? 0 : p + 1;
		enc_si = s + 1 == E.n_sa ? 0 : s + 1;
	}
	return bytes;
}

/* Decrypt side: N ESP frames, frame j of SA j % n. */
struct dec_src {
	struct frame *f;
	uint8_t *mem;
	unsigned n, next;
	const struct frame *last[BURST]; /* what fill_dec put in each mbuf */
};
static struct dec_src D;

static unsigned pass_len(unsigned n_sa)
{
	return RTE_ALIGN_CEIL(RTE_MAX(n_sa, (unsigned)PASS_MIN), n_sa);
}

/* Encrypts the frames with the peer's outbound SAs (same keys and SPIs
 * as our inbound ones), through esp_out_prepare and the engine. */
static void dec_src_init(unsigned bits, unsigned size, unsigned n_sa)
{
	unsigned n = pass_len(n_sa);
	struct esp_sadb *gen = sadb_new(sadb_max(n_sa));
	struct esp_sa **gsa = calloc(n_sa, sizeof(*gsa));
	size_t total = 0;

	if (!gsa)
		die("out of memory");
	add_sas(gen, bits, n_sa, ESP_DIR_OUT, true, gsa);
	free(D.f);
	free(D.mem);
	D.f = calloc(n, sizeof(*D.f));
	for (unsigned j = 0; j < n; j++) {
		unsigned s = size == SIZE_IMIX ? IMIX[j % IMIX_LEN] : size;
		unsigned l = s - 4 + 20 + 8 + 8 + (gcm_text_len(ip_len_of(s)) - ip_len_of(s)) + 16;
		total += RTE_ALIGN_CEIL(l, 64);
	}
	D.mem = aligned_alloc(64, total);
	if (!D.f || !D.mem)
		die("out of memory for ESP frames");
	total = 0;
	for (unsigned j0 = 0; j0 < n; j0 += BURST) {
		struct rte_mbuf *mb[BURST];
		struct esp_crypto_op ops[BURST];
		struct esp_scratch scr[BURST];
		uint8_t rnd[16] = { 0 };
		unsigned cnt = RTE_MIN((unsigned)BURST, n - j0);

		if (rte_pktmbuf_alloc_bulk(dp.pool, mb, cnt) != 0)
			die("mbuf pool empty");
		for (unsigned i = 0; i < cnt; i++) {
			unsigned j = j0 + i, k = j % n_sa;
			unsigned s = size == SIZE_IMIX ? IMIX[j % IMIX_LEN] : size;
			uint8_t *d = (uint8_t *)rte_pktmbuf_append(mb[i], (uint16_t)(s - 4));

			plain_frame(d, s, sa_dst(k), HOST_IP, MAC_LAN);
			if (esp_out_prepare(gsa[k], mb[i], &ops[i], &scr[i], rnd,
					    (uint16_t)j) != ESP_OK)
				die("esp_out_prepare");
		}
		esp_crypto_run(W->w_engine, ops, cnt);
		for (unsigned i = 0; i < cnt; i++) {
			unsigned j = j0 + i;
			unsigned s = size == SIZE_IMIX ? IMIX[j % IMIX_LEN] : size;
			struct rte_mbuf *m = mb[i];
			uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
			struct frame *f = &D.f[j];

			if (ops[i].status != 0)
				die("generating ESP frames: crypto failed");
			esp_out_finish(gsa[j % n_sa], m);
			memcpy(d, MAC_WAN, 6);
			memcpy(d + 6, MAC_PEER, 6);
			f->b = D.mem + total;
			f->len = (uint16_t)m->pkt_len;
			f->ip_len = (uint16_t)ip_len_of(s);
			f->text = (uint16_t)(ops[i].text - d);
			f->text_len = (uint16_t)ops[i].text_len;
			memcpy(f->b, d, m->pkt_len);
			total += RTE_ALIGN_CEIL(m->pkt_len, 64);
		}
		rte_pktmbuf_free_bulk(mb, cnt);
	}
	esp_sadb_free(gen);
	free(gsa);
	D.n = n;
	D.next = 0;
}

static uint64_t fill_dec(struct rte_mbuf **mb, unsigned n)
{
	uint64_t bytes = 0;

	if (rte_pktmbuf_alloc_bulk(dp.pool, mb, n) != 0)
		die("mbuf pool empty");
	for (unsigned i = 0; i < n; i++) {
		const struct frame *f = &D.f[D.next];

		D.last[i] = f;
		rte_memcpy(rte_pktmbuf_mtod(mb[i], uint8_t *), f->b, f->len);
		mb[i]->data_len = f->len;
		mb[i]->pkt_len = f->len;
		bytes += f->ip_len;
		D.next = D.next + 1 == D.n ? 0 : D.next + 1;
	}
	return bytes;
}

/* ---- Our data plane ---- */

static void reset_windows(const struct sa_set *s)
{
	for (unsigned k = 0; k < s->n; k++)
		esp_replay_init(esp_sa_replay(s->in[k]), esp_sa_replay(s->in[k])->rp_size, false);
}

static void drain_punt(unsigned *punted)
{
	void *m;

	while (rte_ring_dequeue(dp.punt, &m) == 0) {
		rte_pktmbuf_free(m);
		(*punted)++;
	}
}

struct result {
	double pps, bytes_per_pkt; /* per CPU-second of this thread */
	double wall_pps;
};

/* CPU time of this thread: time the shared machine gives to other
 * processes is not counted (the wall-clock rate is reported beside). */
static uint64_t thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Timing of the passes: CPU time up to 'seconds', wall time at most 4x,
 * in CHUNKS chunks; the figure is the best chunk's rate (the machine may
 * be shared: caches and the core's time go to others now and then). */
#define CHUNKS 5
struct timing {
	uint64_t cpu_target, wall_cap, cpu, cyc, pkts, bytes, t0, c0, warm_until;
	uint64_t chunk_cpu, chunk_pkts, chunks;
	double best;
	bool warm;
};

/* chunks: how many chunks to take the best of; the warm-up is at least
 * one pass and 20 ms. */
static void timing_init(struct timing *t, double seconds, unsigned chunks)
{
	memset(t, 0, sizeof(*t));
	t->cpu_target = (uint64_t)(seconds * 1e9);
	t->wall_cap = (uint64_t)(4 * seconds * (double)hz);
	t->chunks = chunks;
	t->warm = true;
	t->warm_until = rte_rdtsc() + hz / 50;
}

static bool timing_more(const struct timing *t)
{
	return t->cpu < t->cpu_target && t->cyc < t->wall_cap;
}

static void timing_start(struct timing *t)
{
	t->c0 = thread_ns();
	t->t0 = rte_rdtsc();
}

/* Returns true when the pass that just ended was the last warm-up one. */
static bool timing_stop(struct timing *t, uint64_t pkts, uint64_t bytes)
{
	uint64_t now = rte_rdtsc(), c1 = thread_ns();

	if (!t->warm) {
		t->cyc += now - t->t0;
		t->cpu += c1 - t->c0;
		t->pkts += pkts;
		t->bytes += bytes;
		t->chunk_cpu += c1 - t->c0;
		t->chunk_pkts += pkts;
		if (t->chunk_cpu >= t->cpu_target / t->chunks || !timing_more(t)) {
			double r = (double)t->chunk_pkts / ((double)t->chunk_cpu / 1e9);
			if (r > t->best)
				t->best = r;
			t->chunk_cpu = t->chunk_pkts = 0;
		}
		return false;
	}
	if (now > t->warm_until) {
		t->warm = false;
		return true;
	}
	return false;
}

static struct result timing_result(const struct timing *t)
{
	return (struct result){
		.pps = t->best,
		.bytes_per_pkt = (double)t->bytes / (double)t->pkts,
		.wall_pps = (double)t->pkts / ((double)t->cyc / (double)hz),
	};
}

/* Passes of pass_len(n) frames until 'seconds' of them are timed. */
static struct result run_ours(const struct sa_set *s, bool enc, double seconds,
			      unsigned chunks)
{
	unsigned pidx = enc ? 0 : 1, n = pass_len(s->n), punted = 0;
	enum dp_worker_counter done = enc ? DP_W_esp_out : DP_W_esp_in;
	struct rte_mbuf *mb[BURST];
	struct timing t;
	uint64_t c0;

	for (unsigned k = 0; k < s->n; k++)
		s->out[k]->sa_st.st_seq = 0; /* never near the 2^32 limit */
	if (!enc)
		reset_windows(s);
	timing_init(&t, seconds, chunks);
	c0 = W->w_cnt[done];
	while (timing_more(&t)) {
		uint64_t b = 0;

		timing_start(&t);
		for (unsigned j = 0; j < n; j += BURST) {
			unsigned cnt = RTE_MIN((unsigned)BURST, n - j);
			b += enc ? fill_enc(mb, cnt) : fill_dec(mb, cnt);
			dp_worker_input(&dp, W, pidx, mb, (uint16_t)cnt);
			dp_worker_flush(&dp, W);
		}
		if (timing_stop(&t, n, b))
			c0 = W->w_cnt[done];
		if (!enc)
			reset_windows(s);
		drain_punt(&punted);
	}
	if (W->w_cnt[done] - c0 != t.pkts || punted)
		fprintf(stderr, "esp_bench: warning: %s: %" PRIu64 " of %" PRIu64
			" packets processed, %u punted (drops: see counters)\n",
			enc ? "encrypt" : "decrypt", W->w_cnt[done] - c0, t.pkts, punted);
	return timing_result(&t);
}

/* ---- Raw IPsec-MB ---- */

struct raw_ctx {
	IMB_MGR *mgr;
	alignas(64) struct gcm_key_data key;
	unsigned key_len;
	alignas(16) uint8_t nonce[BURST][16];
	alignas(16) uint8_t aad[BURST][16];
	alignas(16) uint8_t tag[BURST][16];
	uint64_t ctr;
	unsigned errors;
};
static struct raw_ctx R;

static void raw_init(unsigned bits)
{
	struct esp_algo a = algo_for(bits, 0, false);
	IMB_ARCH arch;

	if (!R.mgr) {
		R.mgr = alloc_mb_mgr(0);
		if (!R.mgr)
			die("alloc_mb_mgr");
		init_mb_mgr_auto(R.mgr, &arch);
	}
	if (bits == 128)
		IMB_AES128_GCM_PRE(R.mgr, a.enc_key, &R.key);
	else
		IMB_AES256_GCM_PRE(R.mgr, a.enc_key, &R.key);
	R.key_len = bits / 8;
	for (unsigned i = 0; i < BURST; i++)
		memcpy(R.nonce[i], a.salt, 4);
}

/* GCM over text[i]/len[i] in place, 12-byte nonce, 8-byte AAD, 16-byte tag. */
static void raw_burst(uint8_t *const *text, const uint32_t *len, unsigned n, bool enc)
{
	IMB_MGR *m = R.mgr;
	IMB_JOB *job;

	for (unsigned i = 0; i < n; i++) {
		uint64_t seq = ++R.ctr;

		memcpy(R.nonce[i] + 4, &seq, 8);
		memcpy(R.aad[i], &seq, 8);
		job = IMB_GET_NEXT_JOB(m);
		job->cipher_mode = IMB_CIPHER_GCM;
		job->hash_alg = IMB_AUTH_AES_GMAC;
		job->cipher_direction = enc ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
		job->chain_order = enc ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
		job->enc_keys = &R.key;
		job->dec_keys = &R.key;
		job->key_len_in_bytes = R.key_len;
		job->src = text[i];
		job->dst = text[i];
		job->cipher_start_src_offset_in_bytes = 0;
		job->msg_len_to_cipher_in_bytes = len[i];
		job->hash_start_src_offset_in_bytes = 0;
		job->msg_len_to_hash_in_bytes = len[i];
		job->iv = R.nonce[i];
		job->iv_len_in_bytes = 12;
		job->u.GCM.aad = R.aad[i];
		job->u.GCM.aad_len_in_bytes = 8;
		job->u.GCM.ctx = NULL;
		job->auth_tag_output = R.tag[i];
		job->auth_tag_output_len_in_bytes = 16;
		job->sgl_state = IMB_SGL_ALL;
		job->user_data = NULL;
		for (job = IMB_SUBMIT_JOB(m); job; job = IMB_GET_COMPLETED_JOB(m))
			R.errors += job->status != IMB_STATUS_COMPLETED;
	}
	while ((job = IMB_FLUSH_JOB(m)) != NULL)
		R.errors += job->status != IMB_STATUS_COMPLETED;
}

/* With the same mbuf allocation, fill and free as ours ('mbufs'), or on
 * 32 fixed buffers (bare crypto). */
static struct result run_raw(bool enc, bool mbufs, double seconds, unsigned chunks)
{
	static alignas(64) uint8_t bare[BURST][2048];
	unsigned n = enc ? 1024 : D.n;
	struct rte_mbuf *mb[BURST];
	uint8_t *text[BURST];
	uint32_t len[BURST];
	struct timing t;

	R.errors = 0;
	timing_init(&t, seconds, chunks);
	while (timing_more(&t)) {
		uint64_t b = 0;

		timing_start(&t);
		for (unsigned j = 0; j < n; j += BURST) {
			unsigned cnt = RTE_MIN((unsigned)BURST, n - j);

			if (mbufs) {
				b += enc ? fill_enc(mb, cnt) : fill_dec(mb, cnt);
				for (unsigned i = 0; i < cnt; i++) {
					uint8_t *d = rte_pktmbuf_mtod(mb[i], uint8_t *);
					if (enc) {
						uint32_t ipl = mb[i]->pkt_len - 14;
						text[i] = d + 14;
						len[i] = gcm_text_len(ipl);
					} else {
						text[i] = d + D.last[i]->text;
						len[i] = D.last[i]->text_len;
					}
				}
			} else {
				for (unsigned i = 0; i < cnt; i++) {
					unsigned ipl;
					if (enc) {
						unsigned p = enc_pi;
						ipl = E.ip_len[p];
						enc_pi = p + 1 == E.plen ? 0 : p + 1;
						len[i] = gcm_text_len(ipl);
					} else {
						const struct frame *f = &D.f[D.next];
						ipl = f->ip_len;
						len[i] = f->text_len;
						D.next = D.next + 1 == D.n ? 0 : D.next + 1;
					}
					text[i] = bare[i];
					b += ipl;
				}
			}
			raw_burst(text, len, cnt, enc);
			if (mbufs)
				rte_pktmbuf_free_bulk(mb, cnt);
		}
		timing_stop(&t, n, b);
	}
	if (R.errors)
		fprintf(stderr, "esp_bench: warning: %u raw jobs failed\n", R.errors);
	return timing_result(&t);
}

/* ---- The runs ---- */

static const char *algo_name(unsigned bits)
{
	return bits == 128 ? "aes128gcm16" : "aes256gcm16";
}

static void print_fig(const char *what, const char *algo, unsigned size, unsigned sas,
		      struct result r, double ratio)
{
	char name[48];

	snprintf(name, sizeof(name), "%s %s", what, algo);
	add_row(name, size, sas, r.pps, r.bytes_per_pkt, ratio, r.wall_pps);
	printf("  %-22s %-5s %8.3f Mpps  %7.2f Gbit/s  %7.1f ns/pkt  (wall %6.3f)",
	       name, size_name(size),
	       r.pps / 1e6, r.pps * r.bytes_per_pkt * 8 / 1e9, 1e9 / r.pps, r.wall_pps / 1e6);
	if (sas)
		printf("  %6u SA%s", sas, sas > 1 ? "s" : "");
	if (ratio >= 0)
		printf("  ours/raw %.2f", ratio);
	printf("\n");
	fflush(stdout);
}

static void best_of(struct result *best, struct result r)
{
	if (r.pps > best->pps) {
		best->pps = r.pps;
		best->bytes_per_pkt = r.bytes_per_pkt;
	}
	best->wall_pps = RTE_MAX(best->wall_pps, r.wall_pps);
}

static void measure(unsigned bits)
{
	const char *an = algo_name(bits);

	if (opt.raw)
		raw_init(bits);
	for (unsigned si = 0; si < opt.n_sas; si++) {
		unsigned n = opt.sas[si];
		struct sa_set s;
		uint64_t t0 = rte_rdtsc();

		sa_set_up(&s, bits, n);
		printf("%s, %u SA%s (%u out + %u in, set up in %.2f s)\n", an, n,
		       n > 1 ? "s" : "", n, n, (double)(rte_rdtsc() - t0) / (double)hz);
		for (unsigned zi = 0; zi < opt.n_sizes; zi++) {
			unsigned size = opt.sizes[zi];
			struct result ours, raw, bare;
			double ratio;

			for (int d = 0; d < 2; d++) {
				bool enc = d == 0;

				if (enc ? !opt.enc : !opt.dec)
					continue;
				if (enc)
					enc_src_init(size, n);
				else
					dec_src_init(bits, size, n);
				ratio = -1;
				if (opt.raw && n == opt.sas[0]) {
					/* ours and raw in turns, the best of each */
					ours = raw = bare = (struct result){ 0 };
					for (unsigned k = 0; k < CHUNKS; k++) {
						double q = opt.seconds / CHUNKS;
						best_of(&ours, run_ours(&s, enc, q, 1));
						best_of(&raw, run_raw(enc, true, q, 1));
						best_of(&bare, run_raw(enc, false, q / 2, 1));
					}
					ratio = ours.pps / raw.pps;
					print_fig(enc ? "raw-enc" : "raw-dec", an, size, 0, raw, -1);
					print_fig(enc ? "bare-enc" : "bare-dec", an, size, 0, bare, -1);
				} else {
					ours = run_ours(&s, enc, opt.seconds, CHUNKS);
				}
				print_fig(enc ? "enc" : "dec", an, size, n, ours, ratio);
			}
		}
		sa_set_down(&s);
	}
}

static uint64_t mem_bytes_per_sa = 0;

static void measure_memory(void)
{
	unsigned n = opt.mem_sas;
	struct esp_sadb *db;
	struct esp_sa *one_out, *one_in;
	uint64_t m0, m1, m2, m3;
	double out, in, all;

	if (!n)
		return;
	{
		uint64_t a = heap_bytes(), b, c;
		struct esp_sadb *small = sadb_new(4096);
		b = heap_bytes();
		esp_sadb_free(small);
		small = sadb_new(sadb_max(2 * n));
		c = heap_bytes();
		esp_sadb_free(small);
		printf("SA tables (esp_sadb_create): %.1f MB at 4096 SAs, %.1f MB at %u SAs: %.0f B per SA slot\n",
		       (double)(b - a) / 1e6, (double)(c - a) / 1e6, sadb_max(2 * n),
		       (double)(c - b) / (sadb_max(2 * n) - 4096));
	}
	m0 = heap_bytes();
	db = sadb_new(sadb_max(2 * n));
	m1 = heap_bytes();
	add_sas(db, 128, n, ESP_DIR_OUT, false, NULL);
	m2 = heap_bytes();
	add_sas(db, 128, n, ESP_DIR_IN, false, NULL);
	m3 = heap_bytes();
	one_out = esp_sa_by_id(db, 0);
	one_in = esp_sa_by_id(db, n);
	out = (double)(m2 - m1) / n;
	in = (double)(m3 - m2) / n;
	all = (double)(m3 - m0) / (2.0 * n);
	mem_bytes_per_sa = (uint64_t)(RTE_MAX(out, in) + 0.5);
	printf("memory, %u outbound then %u inbound aes128gcm16 SAs (rte_malloc heap_allocsz_bytes + mallinfo2 uordblks):\n",
	       n, n);
	printf("  per outbound SA      %8.0f B   (esp_sa_footprint %zu B)\n", out,
	       one_out ? esp_sa_footprint(one_out) : 0);
	printf("  per inbound SA       %8.0f B   (esp_sa_footprint %zu B, replay window 64)\n", in,
	       one_in ? esp_sa_footprint(one_in) : 0);
	printf("  SA tables sized for %u SAs (created before): %.1f MB, i.e. %.0f B per SA with them\n",
	       sadb_max(2 * n), (double)(m1 - m0) / 1e6, all);
	printf("  of which: struct esp_sa %zu B, its keys %u B (IPsec-MB gcm_key_data %zu B)\n",
	       sizeof(struct esp_sa), one_out ? one_out->sa_keys_size : 0,
	       sizeof(struct gcm_key_data));
	printf("MEM out_bytes_per_sa=%.0f in_bytes_per_sa=%.0f with_tables_bytes_per_sa=%.0f footprint_out=%zu footprint_in=%zu gcm_key_data=%zu esp_sa=%zu\n",
	       out, in, all, one_out ? esp_sa_footprint(one_out) : 0,
	       one_in ? esp_sa_footprint(one_in) : 0, sizeof(struct gcm_key_data),
	       sizeof(struct esp_sa));
	esp_sadb_free(db);
}

/* ---- One SA on several workers (issue 19 item 3) ---- */

/*
 * Worker i runs on lcore i (the main lcore is worker 0, and times the
 * run). A pass is the pass_len(1) frames of one SA; worker i takes its
 * bursts i, i + n, i + 2n, ... of it, as a distributor handing out
 * bursts would; then the workers meet (a barrier) and worker 0 resets
 * the replay window for the next pass (the frames repeat their
 * sequence numbers). The rate is what the workers encrypted or
 * decrypted (their esp_out / esp_in counters) per CPU-second of the
 * busiest of them, its time in the passes only (waiting at the barrier,
 * which yields, is not counted), the best of CHUNKS chunks: what the
 * workers do given a core each while the machine is shared (as the
 * one-worker figures are per CPU-second). When they do run at once,
 * what one SA's shared lines cost them is in it; the wall-clock rate is
 * printed beside.
 */
#define MW_MAX 2
#define MW_WINDOW 4096 /* a whole pass (1024) inside it: none too old */

static struct {
	const struct sa_set *s;
	bool enc;
	unsigned nw;
	alignas(64) unsigned bar_count;
	unsigned bar_sense;
	alignas(64) bool stop;
	/* worker 0's timing, in CPU ns of the busiest worker */
	uint64_t warm_until, chunk_p0, chunk_len, cpu_total, chunk_cpu0;
	uint64_t wall_t0, wall_p0;
	double best, wall;
	bool warm;
	uint64_t sent;
	struct { alignas(64) uint64_t ns; } cpu[MW_MAX]; /* each worker's, in passes */
} M;

static void mw_barrier(unsigned *sense)
{
	*sense = !*sense;
	if (__atomic_add_fetch(&M.bar_count, 1, __ATOMIC_ACQ_REL) == M.nw) {
		__atomic_store_n(&M.bar_count, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&M.bar_sense, *sense, __ATOMIC_RELEASE);
		return;
	}
	uint64_t yield_at = rte_rdtsc() + hz / 5000; /* 200 us: about a pass */

	while (__atomic_load_n(&M.bar_sense, __ATOMIC_ACQUIRE) != *sense)
		if (rte_rdtsc() < yield_at)
			rte_pause();
		else
			sched_yield(); /* the other worker is off its core */
}

static void fill_dec_at(struct rte_mbuf **mb, unsigned first, unsigned n)
{
	if (rte_pktmbuf_alloc_bulk(dp.pool, mb, n) != 0)
		die("mbuf pool empty");
	for (unsigned i = 0; i < n; i++) {
		const struct frame *f = &D.f[first + i];

		rte_memcpy(rte_pktmbuf_mtod(mb[i], uint8_t *), f->b, f->len);
		mb[i]->data_len = f->len;
		mb[i]->pkt_len = f->len;
	}
}

static unsigned mw_pass(unsigned idx)
{
	struct dp_worker *w = &dp.workers[idx];
	unsigned n = pass_len(1), sent = 0;
	struct rte_mbuf *mb[BURST];

	for (unsigned j = idx * BURST; j < n; j += M.nw * BURST) {
		unsigned cnt = RTE_MIN((unsigned)BURST, n - j);

		if (M.enc)
			fill_enc(mb, cnt);
		else
			fill_dec_at(mb, j, cnt);
		dp_worker_input(&dp, w, M.enc ? 0 : 1, mb, (uint16_t)cnt);
		dp_worker_flush(&dp, w);
		sent += cnt;
	}
	return sent;
}

static uint64_t mw_done(void)
{
	enum dp_worker_counter c = M.enc ? DP_W_esp_out : DP_W_esp_in;
	uint64_t n = 0;

	for (unsigned i = 0; i < M.nw; i++)
		n += dp.workers[i].w_cnt[c];
	return n;
}

static void mw_reset_window(void)
{
	struct esp_sa *in = M.s->in[0];

	if (esp_sa_replay_mt(in))
		esp_replay_mt_init(esp_sa_replay_mt(in), MW_WINDOW, false);
	else
		esp_replay_init(esp_sa_replay(in), MW_WINDOW, false);
}

/* The busiest worker's CPU time in passes so far. */
static uint64_t mw_cpu(void)
{
	uint64_t max = 0;

	for (unsigned i = 0; i < M.nw; i++)
		max = RTE_MAX(max, M.cpu[i].ns);
	return max;
}

/* Worker 0, between passes (the others wait): the window, the clock. */
static void mw_between(void)
{
	uint64_t now = rte_rdtsc(), done = mw_done(), cpu = mw_cpu();

	if (!M.enc)
		mw_reset_window();
	if (M.warm) {
		if (now < M.warm_until)
			return;
		M.warm = false;
		M.chunk_cpu0 = cpu;
		M.chunk_p0 = M.wall_p0 = done;
		M.wall_t0 = now;
		M.cpu_total = cpu + M.chunk_len * CHUNKS;
		return;
	}
	if (cpu - M.chunk_cpu0 >= M.chunk_len) {
		double r = (double)(done - M.chunk_p0) * 1e9 / (double)(cpu - M.chunk_cpu0);

		M.best = RTE_MAX(M.best, r);
		M.chunk_cpu0 = cpu;
		M.chunk_p0 = done;
	}
	/* at most 4x the CPU time in wall time, as run_ours */
	if (cpu >= M.cpu_total || now - M.wall_t0 > 4 * CHUNKS * M.chunk_len * (hz / 1000000000.0)) {
		M.wall = (double)(done - M.wall_p0) * (double)hz / (double)(now - M.wall_t0);
		__atomic_store_n(&M.stop, true, __ATOMIC_RELAXED);
	}
}

static int mw_loop(void *arg)
{
	unsigned idx = (unsigned)(uintptr_t)arg, sense = 0;
	uint64_t sent = 0;

	enc_pi = enc_si = 0;
	for (;;) {
		uint64_t c0 = thread_ns();

		sent += mw_pass(idx);
		M.cpu[idx].ns += thread_ns() - c0;
		mw_barrier(&sense);
		if (idx == 0)
			mw_between();
		mw_barrier(&sense);
		if (__atomic_load_n(&M.stop, __ATOMIC_RELAXED))
			break;
	}
	__atomic_fetch_add(&M.sent, sent, __ATOMIC_RELAXED);
	return 0;
}

/* Packets per CPU-second (see above) of nw workers on set s; *wall
 * the wall-clock rate. */
static double mw_run(const struct sa_set *s, bool enc, unsigned nw, double seconds,
		     double *wall)
{
	uint64_t before;

	M.s = s;
	M.enc = enc;
	M.nw = nw;
	M.bar_count = M.bar_sense = 0;
	M.stop = false;
	M.warm = true;
	M.warm_until = rte_rdtsc() + hz / 50;
	M.chunk_len = (uint64_t)(seconds * 1e9 / CHUNKS);
	M.best = M.wall = 0;
	M.sent = 0;
	for (unsigned i = 0; i < MW_MAX; i++)
		M.cpu[i].ns = 0;
	dp.sadb = s->db;
	s->out[0]->sa_st.st_seq = 0;
	mw_reset_window();
	before = mw_done();
	for (unsigned i = 1; i < nw; i++)
		if (rte_eal_remote_launch(mw_loop, (void *)(uintptr_t)i, i) != 0)
			die("rte_eal_remote_launch");
	mw_loop((void *)(uintptr_t)0);
	rte_eal_mp_wait_lcore();
	if (mw_done() - before != M.sent)
		fprintf(stderr, "esp_bench: warning: %u worker%s %s: %" PRIu64 " of %" PRIu64
			" packets went through (drops: see counters)\n", nw, nw > 1 ? "s" : "",
			enc ? "encrypt" : "decrypt", mw_done() - before, M.sent);
	*wall = RTE_MAX(*wall, M.wall);
	return M.best;
}

/* One SA (1 out + 1 in) owned by worker 0, or shared. */
static void mw_set_up(struct sa_set *s, bool shared)
{
	sa_owner = shared ? ESP_SA_SHARED : 0;
	sa_window = MW_WINDOW;
	sa_set_up(s, 128, 1);
	sa_owner = 0;
	sa_window = 64;
}

static double mw_ratio[2] = { -1, -1 }; /* enc, dec: 2 workers / 1 */

/*
 * 1420-byte frames, AES-128-GCM: one SA owned by one worker, the same
 * shared on one worker (what the atomics cost), and shared on two, in
 * turns, three times; the best of each.
 */
static void measure_workers(void)
{
	struct sa_set owned, shared;

	mw_set_up(&owned, false);
	mw_set_up(&shared, true);
	printf("one SA on %u workers (lcores 0..%u), aes128gcm16, 1420 B, window %u, "
	       "Mpps per CPU-second of the busiest worker, best of 3 turns\n", opt.workers, opt.workers - 1, MW_WINDOW);
	for (int d = 0; d < 2; d++) {
		bool enc = d == 0;
		double own1 = 0, sh1 = 0, sh2 = 0, w_own1 = 0, w_sh1 = 0, w_sh2 = 0;

		if (enc ? !opt.enc : !opt.dec)
			continue;
		if (enc)
			enc_src_init(1420, 1);
		else
			dec_src_init(128, 1420, 1);
		for (unsigned k = 0; k < 3; k++) {
			own1 = RTE_MAX(own1, mw_run(&owned, enc, 1, opt.seconds, &w_own1));
			sh1 = RTE_MAX(sh1, mw_run(&shared, enc, 1, opt.seconds, &w_sh1));
			sh2 = RTE_MAX(sh2, mw_run(&shared, enc, opt.workers, opt.seconds, &w_sh2));
		}
		mw_ratio[d] = sh2 / own1;
		printf("  %s 1420 B: 1 worker, owned SA %.3f Mpps (wall %.3f); 1 worker, shared SA "
		       "%.3f (wall %.3f); %u workers, shared SA %.3f (wall %.3f): %.2fx\n",
		       enc ? "enc" : "dec", own1 / 1e6, w_own1 / 1e6, sh1 / 1e6, w_sh1 / 1e6,
		       opt.workers, sh2 / 1e6, w_sh2 / 1e6, mw_ratio[d]);
		fflush(stdout);
	}
	dp.sadb = NULL;
	sa_set_down(&owned);
	sa_set_down(&shared);
}

static void print_table(void)
{
	printf("\n| what | size | SAs | Mpps | Gbit/s | ns/pkt | ours/raw | wall Mpps |\n");
	printf("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
	for (unsigned i = 0; i < n_rows; i++) {
		const struct row *r = &rows[i];
		char sas[16], ratio[16];

		if (r->sas)
			snprintf(sas, sizeof(sas), "%u", r->sas);
		else
			snprintf(sas, sizeof(sas), "-");
		if (r->ratio >= 0)
			snprintf(ratio, sizeof(ratio), "%.2f", r->ratio);
		else
			ratio[0] = '\0';
		printf("| %s | %s | %s | %.3f | %.2f | %.1f | %s | %.3f |\n", r->what,
		       size_name(r->size), sas, r->mpps, r->gbps, r->ns, ratio, r->wall_mpps);
	}
}

static void print_result(void)
{
	const struct row *e1420 = find_row("enc aes128gcm16", 1420, opt.sas[0]);
	const struct row *e64 = find_row("enc aes128gcm16", 64, opt.sas[0]);
	const struct row *d1420 = find_row("dec aes128gcm16", 1420, opt.sas[0]);
	const struct row *big = find_row("enc aes128gcm16", 1420, 100000);
	const struct row *one = find_row("enc aes128gcm16", 1420, 1);
	char v[8][32];

#define FMT(i, cond, ...) \
	do { if (cond) snprintf(v[i], sizeof(v[i]), __VA_ARGS__); \
	     else snprintf(v[i], sizeof(v[i]), "n/a"); } while (0)
	FMT(0, e1420 && e1420->ratio >= 0, "%.2f", e1420 ? e1420->ratio : 0);
	FMT(1, e64 && e64->ratio >= 0, "%.2f", e64 ? e64->ratio : 0);
	FMT(2, d1420 && d1420->ratio >= 0, "%.2f", d1420 ? d1420->ratio : 0);
	FMT(3, big && one, "%.2f", big && one ? big->mpps / one->mpps : 0);
	FMT(4, mem_bytes_per_sa, "%" PRIu64, mem_bytes_per_sa);
	/* what an SA costs on top of IPsec-MB's own AES-GCM key schedule */
	FMT(5, mem_bytes_per_sa, "%" PRId64,
	    (int64_t)mem_bytes_per_sa - (int64_t)sizeof(struct gcm_key_data));
	FMT(6, mw_ratio[0] >= 0, "%.2f", mw_ratio[0]);
	FMT(7, mw_ratio[1] >= 0, "%.2f", mw_ratio[1]);
#undef FMT
	printf("INPROC enc_1420B_ratio=%s enc_64B_ratio=%s dec_1420B_ratio=%s sa100k_vs_sa1=%s bytes_per_sa=%s"
	       " sa_bytes_beyond_keysched=%s enc_1420B_2w_vs_1w=%s dec_1420B_2w_vs_1w=%s\n",
	       v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
}


/* ---- Per-stage cycles (--stages, a -Dstage_cycles=true build) ---- */

#ifdef ESPGATE_STAGE_CYCLES
/* What one lap (rdtsc + the accumulator's update) costs back to back:
 * an upper bound of what a lap adds to the stage it ends. */
static double lap_cost(void)
{
	enum { N = 1 << 20 };
	double best = 1e9;

	for (int k = 0; k < 5; k++) {
		uint64_t t0;

		dp_stage_start();
		t0 = rte_rdtsc();
		for (unsigned i = 0; i < N; i++)
			dp_stage_lap(DP_STAGE_tx);
		best = RTE_MIN(best, (double)(rte_rdtsc() - t0) / N);
	}
	memset(&dp_stage, 0, sizeof(dp_stage));
	return best;
}

struct stage_col {
	char name[24];
	double cyc[DP_STAGE_MAX]; /* per packet, laps included */
	double laps, sum, total, bare_total, fill, raw, bare, kept;
};

/* One burst through the data plane: its stage laps into acc, the
 * cycles of dp_worker_input + dp_worker_flush returned, the bench's
 * fill into *fill. */
static uint64_t stage_burst(bool enc, unsigned pidx, unsigned cnt, struct dp_stage_acc *acc,
			    uint64_t *fill)
{
	struct rte_mbuf *mb[BURST];
	uint64_t t0 = rte_rdtsc(), t1;

	if (enc)
		fill_enc(mb, cnt);
	else
		fill_dec(mb, cnt);
	t1 = rte_rdtsc();
	memset(&dp_stage, 0, sizeof(dp_stage));
	dp_worker_input(&dp, W, pidx, mb, (uint16_t)cnt);
	dp_worker_flush(&dp, W);
	*fill = t1 - t0;
	*acc = dp_stage;
	return rte_rdtsc() - t1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* One column. The laps read the TSC, which runs on while the thread is
 * preempted (the machine is shared): a burst that took more than 1.25x
 * the first quartile of the warm-up's bursts is left out of the figures
 * (the share kept is printed). total is rdtsc around dp_worker_input +
 * dp_worker_flush, fill the bench's own mbuf allocation and frame copy
 * (not in the stages). */
static void stage_run(const struct sa_set *s, bool enc, unsigned size, double lap,
		      struct stage_col *c)
{
	enum { CAL = 512 };
	unsigned pidx = enc ? 0 : 1, n = pass_len(s->n), passes = 0;
	uint64_t cal[CAL], limit, total = 0, fill = 0, pkts = 0, laps = 0, t_end;
	uint64_t cyc[DP_STAGE_MAX] = { 0 }, nb = 0, nkept = 0, sent = 0;
	enum dp_worker_counter done = enc ? DP_W_esp_out : DP_W_esp_in;
	struct dp_stage_acc acc;
	struct result raw, bare;

	run_ours(s, enc, 0.05, 1); /* warm-up */
	if (!enc)
		reset_windows(s);
	for (unsigned k = 0, j = 0; k < CAL; k++, j += BURST) {
		uint64_t f;

		if (j >= n) {
			j = 0;
			if (!enc)
				reset_windows(s);
		}
		cal[k] = stage_burst(enc, pidx, RTE_MIN((unsigned)BURST, n - j), &acc, &f);
	}
	if (!enc)
		reset_windows(s);
	qsort(cal, CAL, sizeof(cal[0]), cmp_u64);
	limit = cal[CAL / 4] + cal[CAL / 4] / 4;
	t_end = rte_rdtsc() + (uint64_t)(opt.seconds * (double)hz);
	while (rte_rdtsc() < t_end || passes < 3) {
		for (unsigned j = 0; j < n; j += BURST) {
			unsigned cnt = RTE_MIN((unsigned)BURST, n - j);
			uint64_t c0 = W->w_cnt[done], f, t = stage_burst(enc, pidx, cnt, &acc, &f);

			nb++;
			sent += W->w_cnt[done] - c0;
			if (t > limit)
				continue;
			nkept++;
			total += t;
			fill += f;
			pkts += cnt;
			for (unsigned k = 0; k < DP_STAGE_MAX; k++) {
				cyc[k] += acc.cycles[k];
				laps += acc.laps[k];
			}
		}
		if (!enc)
			reset_windows(s);
		passes++;
	}
	if (pkts == 0)
		die("--stages: every burst was over the limit");
	if (sent < (uint64_t)passes * n)
		fprintf(stderr, "esp_bench: warning: --stages %s %uB: %" PRIu64 " of %" PRIu64
			" packets processed (drops: see counters)\n", enc ? "enc" : "dec", size,
			sent, (uint64_t)passes * n);
	snprintf(c->name, sizeof(c->name), "%s %uB", enc ? "enc" : "dec", size);
	c->sum = 0;
	for (unsigned k = 0; k < DP_STAGE_MAX; k++) {
		c->cyc[k] = (double)cyc[k] / (double)pkts;
		c->sum += c->cyc[k];
	}
	c->laps = (double)laps / (double)pkts;
	c->total = (double)total / (double)pkts;
	c->bare_total = c->total - lap * c->laps;
	c->fill = (double)fill / (double)pkts;
	c->kept = 100.0 * (double)nkept / (double)nb;
	/* IPsec-MB alone on the same mbufs (raw) and on fixed buffers (bare),
	 * as the ratios' baseline: TSC cycles a packet, per CPU-second */
	raw = run_raw(enc, true, opt.seconds, CHUNKS);
	bare = run_raw(enc, false, opt.seconds / 2, CHUNKS);
	c->raw = (double)hz / raw.pps;
	c->bare = (double)hz / bare.pps;
}

static void stage_table(const struct stage_col *c, unsigned n, double lap, unsigned sas)
{
	printf("\nTSC cycles per packet (TSC %.3f GHz), 1 worker, bursts of %u, %u SA%s, aes128gcm16; "
	       "a lap (rdtsc) costs up to %.1f cycles, in the stage it ends\n\n| stage |", (double)hz / 1e9, BURST, sas,
	       sas > 1 ? "s" : "", lap);
	for (unsigned i = 0; i < n; i++)
		printf(" %s |", c[i].name);
	printf(" what |\n| --- |");
	for (unsigned i = 0; i < n; i++)
		printf(" ---: |");
	printf(" --- |\n");
	for (unsigned k = 0; k < DP_STAGE_MAX; k++) {
		printf("| %s |", dp_stage_names[k]);
		for (unsigned i = 0; i < n; i++)
			printf(" %.0f |", c[i].cyc[k]);
		printf(" %s |\n", dp_stage_descs[k]);
	}
#define ROW(label, field, desc) \
	do { printf("| %s |", label); \
	     for (unsigned i = 0; i < n; i++) printf(" %.0f |", c[i].field); \
	     printf(" %s |\n", desc); } while (0)
	ROW("**sum of stages**", sum, "");
	ROW("total", total, "rdtsc around dp_worker_input + dp_worker_flush");
	ROW("total less laps", bare_total, "total less laps x the back-to-back lap cost: a lower bound without the laps");
	ROW("bench fill", fill, "esp_bench's mbuf allocation and frame copy, outside the data plane");
	ROW("raw", raw, "IPsec-MB job API alone on the same mbufs: fill + GCM + free (the ratios' baseline)");
	ROW("bare", bare, "IPsec-MB job API on 32 fixed buffers");
#undef ROW
	printf("| laps |");
	for (unsigned i = 0; i < n; i++)
		printf(" %.1f |", c[i].laps);
	printf(" rdtsc laps a packet |\n");
	printf("| bursts kept |");
	for (unsigned i = 0; i < n; i++)
		printf(" %.0f %% |", c[i].kept);
	printf(" bursts under 1.25x the first quartile (others preempted) |\n");
	printf("STAGES");
	for (unsigned i = 0; i < n; i++)
		for (unsigned k = 0; k < DP_STAGE_MAX; k++)
			printf(" %s_%uB_%s=%.0f", c[i].name[0] == 'e' ? "enc" : "dec",
			       (unsigned)atoi(c[i].name + 4), dp_stage_names[k], c[i].cyc[k]);
	printf("\n");
}

static void measure_stages(void)
{
	struct stage_col cols[2 * MAX_SIZES];
	unsigned nc = 0, sas = opt.sas[0];
	struct sa_set s;
	double lap;

	raw_init(128);
	lap = lap_cost();
	sa_set_up(&s, 128, sas);
	for (int d = 0; d < 2; d++) {
		bool enc = d == 0;

		if (enc ? !opt.enc : !opt.dec)
			continue;
		for (unsigned zi = 0; zi < opt.n_sizes; zi++) {
			unsigned size = opt.sizes[zi];

			if (size == SIZE_IMIX)
				continue;
			if (enc)
				enc_src_init(size, sas);
			else
				dec_src_init(128, size, sas);
			stage_run(&s, enc, size, lap, &cols[nc++]);
			printf("  %s done\n", cols[nc - 1].name);
			fflush(stdout);
		}
	}
	sa_set_down(&s);
	stage_table(cols, nc, lap, sas);
}
#else
static void measure_stages(void)
{
	fprintf(stderr, "esp_bench: --stages needs a build with -Dstage_cycles=true "
		"(bench/esp_stages.sh sets one up)\n");
	exit(2);
}
#endif

/* ---- Install rate (--install) ---- */

/*
 * A worker on lcore 1 encrypts 64 B frames over INST_TRAFFIC SAs without
 * pause, reporting a quiescent state per burst; this thread (lcore 0,
 * the control lcore's part) installs and deletes SAs in the same
 * database. Each install is an outbound + an inbound SA of one host
 * (k): the two selectors of a tunnel. Rates are per CPU-second of the
 * thread that does the work.
 */
#define INST_TRAFFIC 1000u   /* pairs the traffic goes through */
#define INST_STORM 10000u    /* SAs per storm: 5000 pairs */
#define INST_LEVELS 3
static const unsigned inst_levels[INST_LEVELS] = { 0, 10000, 100000 };

static struct {
	uint64_t pkts, cpu_ns; /* the worker's, published every 64 bursts */
	int stop;
} IW;

static int install_worker(void *arg)
{
	struct rte_mbuf *mb[BURST];
	uint64_t pkts = 0, c0 = thread_ns();

	(void)arg;
	rte_rcu_qsbr_thread_register(dp.qs, W->w_idx);
	rte_rcu_qsbr_thread_online(dp.qs, W->w_idx);
	for (unsigned loop = 1; !__atomic_load_n(&IW.stop, __ATOMIC_ACQUIRE); loop++) {
		fill_enc(mb, BURST);
		dp_worker_input(&dp, W, 0, mb, BURST);
		dp_worker_flush(&dp, W);
		pkts += BURST;
		rte_rcu_qsbr_quiescent(dp.qs, W->w_idx);
		if ((loop & 63) == 0) {
			__atomic_store_n(&IW.pkts, pkts, __ATOMIC_RELEASE);
			__atomic_store_n(&IW.cpu_ns, thread_ns() - c0, __ATOMIC_RELEASE);
		}
	}
	__atomic_store_n(&IW.pkts, pkts, __ATOMIC_RELEASE);
	rte_rcu_qsbr_thread_offline(dp.qs, W->w_idx);
	rte_rcu_qsbr_thread_unregister(dp.qs, W->w_idx);
	return 0;
}

struct wsnap {
	uint64_t pkts, cpu_ns, tsc;
};

static struct wsnap worker_snap(void)
{
	return (struct wsnap){ .pkts = __atomic_load_n(&IW.pkts, __ATOMIC_ACQUIRE),
			       .cpu_ns = __atomic_load_n(&IW.cpu_ns, __ATOMIC_ACQUIRE),
			       .tsc = rte_rdtsc() };
}

/* Installs the pairs of hosts [from, to) into ids (two per host). */
static void install_pairs(struct esp_engine *eng, uint32_t from, uint32_t to, int *ids)
{
	for (uint32_t k = from; k < to; k++) {
		for (int d = 0; d < 2; d++) {
			struct esp_sa_conf c = sa_conf(128, k, d ? ESP_DIR_IN : ESP_DIR_OUT, false);
			int id = esp_sa_add(dp.sadb, eng, &c);

			if (id < 0) {
				fprintf(stderr, "esp_bench: esp_sa_add %u: %s\n", k, strerror(-id));
				exit(1);
			}
			ids[2 * (k - from) + (unsigned)d] = id;
		}
	}
}

static void delete_ids(const int *ids, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (esp_sa_del(dp.sadb, (uint32_t)ids[i]) != 0)
			die("esp_sa_del");
}

/* Storms of INST_STORM installs, each followed by their deletes, until
 * opt.seconds of this thread's CPU: installs per CPU-second (adds and
 * deletes both in the time), and per wall second. */
static double install_rate(struct esp_engine *eng, uint32_t first, int *ids, double *wall)
{
	uint64_t cpu = 0, tsc = 0, n = 0;

	/* Warm-up: the tables grow to the storm's size, the heap too. */
	install_pairs(eng, first, first + INST_STORM / 2, ids);
	delete_ids(ids, INST_STORM);
	while ((double)cpu < opt.seconds * 1e9) {
		uint64_t c0 = thread_ns(), t0 = rte_rdtsc();

		install_pairs(eng, first, first + INST_STORM / 2, ids);
		delete_ids(ids, INST_STORM);
		cpu += thread_ns() - c0;
		tsc += rte_rdtsc() - t0;
		n += INST_STORM;
	}
	*wall = (double)n / ((double)tsc / (double)hz);
	return (double)n / ((double)cpu / 1e9);
}

static double snap_rate(struct wsnap a, struct wsnap b)
{
	return b.cpu_ns > a.cpu_ns ? (double)(b.pkts - a.pkts) / ((double)(b.cpu_ns - a.cpu_ns) / 1e9) : 0;
}

/* The worker's rate (per its CPU-second) while this thread sleeps, and
 * while it installs INST_STORM SAs; alternating, 5 times each. The
 * deletes come between, outside both windows. */
static double storm_ratio(struct esp_engine *eng, uint32_t first, int *ids,
			  double *quiet_pps, double *storm_pps)
{
	uint64_t qp = 0, qc = 0, sp = 0, sc = 0;

	for (unsigned r = 0; r < 5; r++) {
		struct wsnap a = worker_snap(), b, c;

		rte_delay_us_sleep(200000);
		b = worker_snap();
		install_pairs(eng, first, first + INST_STORM / 2, ids);
		c = worker_snap();
		delete_ids(ids, INST_STORM);
		qp += b.pkts - a.pkts, qc += b.cpu_ns - a.cpu_ns;
		sp += c.pkts - b.pkts, sc += c.cpu_ns - b.cpu_ns;
	}
	*quiet_pps = snap_rate((struct wsnap){ 0 }, (struct wsnap){ .pkts = qp, .cpu_ns = qc });
	*storm_pps = snap_rate((struct wsnap){ 0 }, (struct wsnap){ .pkts = sp, .cpu_ns = sc });
	return *quiet_pps > 0 ? *storm_pps / *quiet_pps : 0;
}

static void measure_install(void)
{
	uint32_t storm_first = INST_TRAFFIC + inst_levels[INST_LEVELS - 1] / 2;
	unsigned total = 2 * (storm_first + INST_STORM / 2);
	size_t qsz = rte_rcu_qsbr_get_memsize(1);
	struct esp_engine *eng = esp_engine_create();
	int *ids = calloc(2 * (INST_TRAFFIC + inst_levels[INST_LEVELS - 1]), sizeof(*ids));
	double rate[INST_LEVELS], wall, quiet, storm, ratio;
	uint32_t have = 0;
	unsigned lcore = rte_get_next_lcore(-1, 1, 0);
	char n[32];

	dp.qs = rte_zmalloc("eb_rcu", qsz, RTE_CACHE_LINE_SIZE);
	if (!eng || !ids || !dp.qs || rte_rcu_qsbr_init(dp.qs, 1) != 0 || lcore >= RTE_MAX_LCORE)
		die("--install: RCU, engine or a second lcore");
	snprintf(n, sizeof(n), "eb_sadb%u", sadb_seq++);
	dp.sadb = esp_sadb_create(n, (int)rte_socket_id(), sadb_max(total), dp.qs, 1);
	if (!dp.sadb)
		die("esp_sadb_create: out of memory (raise -m)");
	install_pairs(eng, 0, INST_TRAFFIC, ids);
	enc_src_init(64, INST_TRAFFIC);
	W->w_lcore = lcore;
	if (rte_eal_remote_launch(install_worker, NULL, lcore) != 0)
		die("rte_eal_remote_launch");
	printf("install: 1 worker (lcore %u) encrypting 64 B over %u SAs; installs of an "
	       "outbound + inbound SA per host, %u at a time, then their deletes\n",
	       lcore, INST_TRAFFIC, INST_STORM);
	for (unsigned l = 0; l < INST_LEVELS; l++) {
		uint32_t want = INST_TRAFFIC + inst_levels[l] / 2;

		install_pairs(eng, INST_TRAFFIC + have, want, ids + 2 * INST_TRAFFIC + 2 * have);
		have = want - INST_TRAFFIC;
		rate[l] = install_rate(eng, storm_first, ids + 2 * (INST_TRAFFIC + have), &wall);
		printf("  %6u installed (+%u carrying traffic): %9.0f SAs/s installed and deleted "
		       "per CPU-second (wall %.0f/s)\n", inst_levels[l], 2 * INST_TRAFFIC, rate[l], wall);
	}
	ratio = storm_ratio(eng, storm_first, ids + 2 * (INST_TRAFFIC + have), &quiet, &storm);
	printf("  worker at %u installed: %.3f Mpps without installs, %.3f Mpps during "
	       "storms of %u (per worker CPU-second): ratio %.3f\n",
	       inst_levels[INST_LEVELS - 1], quiet / 1e6, storm / 1e6, INST_STORM, ratio);
	__atomic_store_n(&IW.stop, 1, __ATOMIC_RELEASE);
	rte_eal_wait_lcore(lcore);
	if (W->w_cnt[DP_W_esp_out] != IW.pkts)
		fprintf(stderr, "esp_bench: warning: %" PRIu64 " of %" PRIu64 " frames encrypted\n",
			W->w_cnt[DP_W_esp_out], IW.pkts);
	printf("INSTALL sa_install_per_s_0=%.0f sa_install_per_s_10k=%.0f "
	       "sa_install_per_s_100k=%.0f storm_ratio=%.3f\n", rate[0], rate[1], rate[2], ratio);
	esp_sadb_free(dp.sadb);
	dp.sadb = NULL;
	esp_engine_free(eng);
	free(ids);
}

/* ---- Options ---- */

static unsigned parse_list(const char *s, unsigned *out, unsigned max, bool sizes)
{
	char buf[256], *tok, *save = NULL;
	unsigned n = 0;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ", ", &save); tok && n < max; tok = strtok_r(NULL, ", ", &save)) {
		char *end;
		unsigned long v;

		if (sizes && !strcasecmp(tok, "imix")) {
			out[n++] = SIZE_IMIX;
			continue;
		}
		v = strtoul(tok, &end, 10);
		if (*end || v == 0 || (sizes && (v < 64 || v > 1518)) || v > 1000000) {
			fprintf(stderr, "esp_bench: bad list element '%s'\n", tok);
			exit(2);
		}
		out[n++] = (unsigned)v;
	}
	return n;
}

static void parse_opts(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seconds", 1, NULL, 's' }, { "file-prefix", 1, NULL, 'p' },
		{ "sizes", 1, NULL, 'z' },   { "sas", 1, NULL, 'n' },
		{ "algos", 1, NULL, 'a' },   { "dirs", 1, NULL, 'd' },
		{ "mem-sas", 1, NULL, 'm' }, { "no-raw", 0, NULL, 'r' },
		{ "stages", 0, NULL, 'S' },
		{ "install", 0, NULL, 'i' },
		{ "workers", 1, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	snprintf(opt.prefix, sizeof(opt.prefix), "esp_bench_%d", (int)getpid());
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			opt.seconds = atof(optarg);
			if (opt.seconds <= 0)
				opt.seconds = 1;
			break;
		case 'p':
			snprintf(opt.prefix, sizeof(opt.prefix), "%s", optarg);
			break;
		case 'z':
			opt.n_sizes = parse_list(optarg, opt.sizes, MAX_SIZES, true);
			break;
		case 'n':
			opt.n_sas = parse_list(optarg, opt.sas, MAX_SAS_LIST, false);
			break;
		case 'a':
			opt.n_algos = parse_list(optarg, opt.algos, 2, false);
			for (unsigned i = 0; i < opt.n_algos; i++)
				if (opt.algos[i] != 128 && opt.algos[i] != 256)
					die("--algos: 128 and/or 256");
			break;
		case 'd':
			opt.enc = strstr(optarg, "enc") != NULL;
			opt.dec = strstr(optarg, "dec") != NULL;
			break;
		case 'm':
			opt.mem_sas = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			opt.raw = false;
			break;
		case 'S':
			opt.stages = true;
			break;
		case 'i':
			opt.install = true;
			break;
		case 'w':
			opt.workers = (unsigned)strtoul(optarg, NULL, 10);
			if (opt.workers < 1 || opt.workers > MW_MAX)
				die("--workers: 1 or 2");
			break;
		default:
			fprintf(stderr, "usage: esp_bench [--seconds S] [--file-prefix P] "
				"[--sizes 64,512,1420,imix] [--sas 1,1000,100000] "
				"[--algos 128,256] [--dirs enc,dec] [--mem-sas N] [--no-raw] [--stages] [--install] [--workers 1|2]\n");
			exit(2);
		}
	}
}

int main(int argc, char **argv)
{
	char lcores[8] = "0";
	char *eal[] = { argv[0], "--no-huge", "-m", "2048", "--no-pci", "-l", lcores,
			"--file-prefix", opt.prefix, "--no-shconf", "--no-telemetry",
			"--log-level", "error",
			"--vdev", "net_null0,no-rx=1", "--vdev", "net_null1,no-rx=1", NULL };
	char rundir[PATH_MAX];

	parse_opts(argc, argv);
	if (opt.install || opt.workers == 2)
		snprintf(lcores, sizeof(lcores), "0,1");
	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0)
		die("rte_eal_init failed (run as root?)");
	hz = rte_get_tsc_hz();
	dp_up();
	printf("esp_bench: 1 worker on lcore %u, IPsec-MB %s (%s), %.1f s per figure, "
	       "burst %u, frames with FCS, Gbit/s of inner IP bytes, IMIX 64/594/1518 7:4:1\n",
	       rte_lcore_id(), IMB_VERSION_STR, esp_engine_arch(W->w_engine), opt.seconds, BURST);
	if (opt.stages) {
		measure_stages();
	} else if (opt.install) {
		measure_install();
	} else {
		measure_memory();
		for (unsigned a = 0; a < opt.n_algos; a++)
			measure(opt.algos[a]);
		if (opt.workers > 1)
			measure_workers();
		print_table();
		print_result();
	}
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rmdir(rundir); /* empty with --no-shconf */
	return 0;
}
