/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's ESP path: which packets are ESP's, handing them to the
 * worker that owns their SA, one crypto burst per input burst, per-SA
 * counters and lifetimes, and routing what comes out.
 */
#include "byteorder.h"
#include "cksum.h"
#include "dp.h"
#include "esp.h"
#include "seq_block.h"
#include "stage_cycles.h"
#include "trap.h"

#include <openssl/rand.h>
#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_rcu_qsbr.h>

#define ETH_HLEN 14u
#define PROTO_ESP 50
#define HANDOFF_IN 0
#define HANDOFF_OUT 1

_Static_assert(DP_ESP_PENDING <= ESP_SEQ_BURST_MAX, "a burst's numbers in one call");

/* A shared SA's counters are written by every worker. */
static void sa_count_drop(struct esp_sa *sa, unsigned why)
{
	if (esp_sa_shared(sa))
		__atomic_fetch_add(&sa->sa_st.st_drops[why], 1, __ATOMIC_RELAXED);
	else
		sa->sa_st.st_drops[why]++;
}

static void sa_drop(struct dp_worker *w, struct esp_sa *sa, struct rte_mbuf *m,
		    unsigned why)
{
	sa_count_drop(sa, why);
	dp_drop(w, m, DP_W_esp_sa_drop);
}

static void pending_add(struct dp *dp, struct dp_worker *w,
			struct dp_esp_pending *p, struct rte_mbuf *m,
			struct esp_sa *sa)
{
	if (p->p_n == DP_ESP_PENDING)
		dp_esp_flush(dp, w);
	p->p_mb[p->p_n] = m;
	p->p_sa[p->p_n++] = sa;
}

/* The SA's owner worker; sa_owner is normally in range, which spares
 * the fast path a division. */
static struct dp_worker *owner_of(const struct dp *dp, const struct esp_sa *sa)
{
	unsigned o = sa->sa_owner;

	return &dp->workers[o < dp->n_workers ? o : o % dp->n_workers];
}

/* The owner does the work; anyone else hands the packet over. A
 * shared SA's packets are done where they are. */
static void queue_for_owner(struct dp *dp, struct dp_worker *w,
			    struct rte_mbuf *m, struct esp_sa *sa, bool out)
{
	struct dp_worker *owner = esp_sa_shared(sa) ? w : owner_of(dp, sa);

	if (owner == w) {
		struct dp_esp_pending *p = out ? &w->w_esp_out : &w->w_esp_in;

		/* With many SAs not in cache yet: the line read and written
		 * when the burst is prepared, and the keys the crypto burst
		 * reads whole (towards L2 now, the engine brings them closer
		 * just before use). Packets of the SA just queued need neither. */
		if (p->p_n == 0 || p->p_sa[p->p_n - 1] != sa) {
			rte_prefetch0(&sa->sa_soft_bytes);
			for (unsigned off = 0; off < sa->sa_keys_size; off += RTE_CACHE_LINE_SIZE)
				rte_prefetch1((const uint8_t *)sa->sa_keys + off);
		}
		pending_add(dp, w, p, m, sa);
		return;
	}
	m->hash.fdir.hi = out ? HANDOFF_OUT : HANDOFF_IN;
	m->hash.fdir.lo = sa->sa_id;
	if (rte_ring_mp_enqueue(owner->w_handoff, m) != 0) {
		dp_drop(w, m, DP_W_handoff_full);
		return;
	}
	w->w_cnt[DP_W_handoff]++;
}

void dp_esp_handoff_poll(struct dp *dp, struct dp_worker *w)
{
	struct rte_mbuf *mb[DP_BURST];
	unsigned n = rte_ring_sc_dequeue_burst(w->w_handoff, (void **)mb, DP_BURST, NULL);

	for (unsigned i = 0; i < n; i++) {
		struct esp_sa *sa = esp_sa_by_id(dp->sadb, mb[i]->hash.fdir.lo);
		bool out = mb[i]->hash.fdir.hi == HANDOFF_OUT;

		if (!sa || sa->sa_dir != (out ? ESP_DIR_OUT : ESP_DIR_IN))
			dp_drop(w, mb[i], DP_W_handoff_stale);
		else
			pending_add(dp, w, out ? &w->w_esp_out : &w->w_esp_in, mb[i], sa);
	}
	if (n)
		dp_esp_flush(dp, w);
}

static bool is_natt_port(const struct dp *dp, uint16_t port)
{
	for (unsigned i = 0; i < dp->n_natt_ports; i++)
		if (dp->natt_ports[i] == port)
			return true;
	return false;
}

/* ESP in UDP (RFC 3948 §2.2): 0 = not ESP (IKE behind the non-ESP
 * marker: the control lcore's), 1 = ESP, -1 = keepalive or runt. */
static int udp_esp_kind(const uint8_t *udp_payload, uint32_t len)
{
	if (len == 1 && udp_payload[0] == 0xff)
		return -1;
	if (len >= 4 && !udp_payload[0] && !udp_payload[1] && !udp_payload[2] &&
	    !udp_payload[3])
		return 0;
	return len >= 8 ? 1 : -1;
}

/*
 * RFC 768: the UDP length counts the header and the data. Under 8, or
 * more than the IP payload holds: dropped (bad_udp_len). Less than the
 * IP payload: the bytes after the datagram are not part of it, and the
 * packet is cut to the datagram, as Linux's udp_rcv does and as
 * app/ike_io.c reads IKE, rather than dropped: ESP's ICV is then the
 * datagram's last bytes, and what follows them was never covered by
 * it. The IP length is cut with it. False when m was dropped.
 */
static bool udp_len_ok(struct dp_worker *w, struct rte_mbuf *m, uint8_t *l3,
		       uint32_t hl, uint32_t *len)
{
	uint32_t ulen = be16_get(l3 + hl + 4);

	if (ulen < 8 || ulen > *len - hl) {
		dp_drop(w, m, DP_W_bad_udp_len);
		return false;
	}
	if (ulen == *len - hl)
		return true;
	if (rte_pktmbuf_trim(m, (uint16_t)(*len - hl - ulen)) != 0) {
		dp_drop(w, m, DP_W_bad_udp_len); /* a last segment shorter than the cut */
		return false;
	}
	*len = hl + ulen;
	if ((l3[0] >> 4) == 4) {
		be16_put(l3 + 2, (uint16_t)*len);
		dp_ipv4_hdr_cksum_set(l3);
	} else {
		be16_put(l3 + 4, (uint16_t)ulen);
	}
	return true;
}

/* RFC 4301 §5.2: unprotected traffic that an inbound SA's selectors
 * cover should have come through that SA; it is discarded. */
static bool plaintext_refused(struct dp *dp, struct dp_worker *w,
			      struct rte_mbuf *m, const uint8_t *l3, uint32_t len)
{
	bool v4 = (l3[0] >> 4) == 4;
	uint16_t sport, dport;
	uint8_t proto;

	if (!esp_sadb_has_policies(dp->sadb, ESP_DIR_IN))
		return false;
	esp_l4_ports(l3, len, &proto, &sport, &dport);
	if (!esp_sa_lookup_policy(dp->sadb, ESP_DIR_IN, v4 ? AF_INET : AF_INET6,
				  l3 + (v4 ? 12 : 8), l3 + (v4 ? 16 : 24), proto,
				  sport, dport))
		return false;
	dp_drop(w, m, DP_W_plaintext_protected);
	return true;
}

bool dp_esp_inbound(struct dp *dp, struct dp_worker *w, struct rte_mbuf *m,
		    uint64_t nh)
{
	uint8_t *l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, ETH_HLEN);
	uint32_t len = m->pkt_len - ETH_HLEN;
	bool v4 = (l3[0] >> 4) == 4, local = dp_nh_kind(nh) == DP_NH_LOCAL;
	uint32_t hl = v4 ? (uint32_t)(l3[0] & 0x0f) * 4 : 40, encap = 0;
	uint8_t proto = v4 ? l3[9] : l3[6];
	struct dp_esp_lookup *L = &w->w_esp_look;
	int kind;

	if (v4 && ((l3[6] & 0x3f) || l3[7])) /* fragments are not reassembled */
		return false;
	if (proto == IPPROTO_UDP && local && len >= hl + 8 &&
	    is_natt_port(dp, (uint16_t)(l3[hl + 2] << 8 | l3[hl + 3]))) {
		if (!udp_len_ok(w, m, l3, hl, &len))
			return true;
		kind = udp_esp_kind(l3 + hl + 8, len - hl - 8);
		if (kind == 0)
			return false;
		if (kind < 0) {
			dp_drop(w, m, DP_W_natt_keepalive);
			return true;
		}
		encap = 8;
	} else if (proto != PROTO_ESP || len < hl + 8) {
		return !local && plaintext_refused(dp, w, m, l3, len);
	}
	if (L->l_n == DP_BURST)
		dp_esp_in_resolve(dp, w);
	memcpy(L->l_dst[L->l_n].bytes, l3 + (v4 ? 16 : 24), v4 ? 4 : 16);
	L->l_dst[L->l_n].family = v4 ? AF_INET : AF_INET6;
	L->l_spi[L->l_n] = (uint32_t)l3[hl + encap] << 24 | (uint32_t)l3[hl + encap + 1] << 16 |
			   (uint32_t)l3[hl + encap + 2] << 8 | l3[hl + encap + 3];
	L->l_nh[L->l_n] = nh;
	L->l_mb[L->l_n++] = m;
	m->l3_len = hl;
	m->l4_len = encap;
	return true;
}

void dp_esp_in_resolve(struct dp *dp, struct dp_worker *w)
{
	struct dp_esp_lookup *L = &w->w_esp_look;
	struct esp_sa *sa[DP_BURST];

	esp_sa_lookup_in_bulk(dp->sadb, L->l_spi, L->l_dst, L->l_n, sa);
	for (unsigned i = 0; i < L->l_n; i++) {
		if (sa[i])
			queue_for_owner(dp, w, L->l_mb[i], sa[i], false);
		else if (dp_nh_kind(L->l_nh[i]) == DP_NH_LOCAL)
			dp_drop(w, L->l_mb[i], DP_W_unknown_spi);
		else /* someone else's ESP: routed as it is */
			dp_forward(dp, w, L->l_mb[i], L->l_nh[i], false);
	}
	L->l_n = 0;
	DP_STAGE_LAP(spd_sa);
}

/* At most DP_TRAP_PUNTS_PER_10MS trapped packets per window. */
static bool trap_budget(struct dp_worker *w)
{
	uint64_t now = rte_rdtsc();

	if (now - w->w_trap_window >= rte_get_tsc_hz() / 100) {
		w->w_trap_window = now;
		w->w_trap_punts = 0;
	}
	return w->w_trap_punts++ < DP_TRAP_PUNTS_PER_10MS;
}

bool dp_esp_outbound(struct dp *dp, struct dp_worker *w, struct rte_mbuf *m,
		     uint64_t nh, uint64_t spd_node)
{
	uint8_t *l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, ETH_HLEN);
	bool v4 = (l3[0] >> 4) == 4;
	const struct dp_trap *trap = NULL;
	struct esp_sa *sa = NULL;
	uint16_t sport = 0, dport = 0;
	uint8_t proto = 0;
	bool traps = __atomic_load_n(&dp->traps, __ATOMIC_RELAXED) != NULL;
	/* a node was looked up only where there were policies */
	bool policies = spd_node != DP_SPD_UNKNOWN || esp_sadb_has_outbound(dp->sadb);

	if (dp_nh_kind(nh) == DP_NH_LOCAL)
		return false;
	if (policies || traps)
		esp_l4_ports(l3, m->pkt_len - ETH_HLEN, &proto, &sport, &dport);
	if (policies && spd_node != DP_SPD_UNKNOWN)
		sa = esp_sa_lookup_out4_at(dp->sadb, spd_node, l3 + 12, l3 + 16, proto,
					   sport, dport);
	else if (policies)
		sa = esp_sa_lookup_out(dp->sadb, v4 ? AF_INET : AF_INET6,
				       l3 + (v4 ? 12 : 8), l3 + (v4 ? 16 : 24),
				       proto, sport, dport);
	if (!sa && traps)
		trap = dp_trap_match(dp, v4 ? AF_INET : AF_INET6, l3 + (v4 ? 12 : 8),
				     l3 + (v4 ? 16 : 24), proto, sport, dport);
	if (!sa && !trap) {
		if (!dp->unmatched_discard)
			return false;
		dp_drop(w, m, DP_W_no_sa);
		return true;
	}
	/* The gateway forwards the inner packet into the tunnel: its TTL
	 * goes down by one like any routed packet's (RFC 4301 §5.1.2.1). */
	if ((v4 ? l3[8] : l3[7]) <= 1) {
		dp_punt(dp, w, m, DP_PUNT_TTL, 0, DP_W_ttl_expired);
		return true;
	}
	if (v4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;
		uint32_t sum = (uint32_t)ip->hdr_checksum + rte_cpu_to_be_16(0x0100);
		ip->time_to_live--;
		ip->hdr_checksum = (uint16_t)(sum + (sum >> 16));
	} else {
		l3[7]--;
	}
	if (trap && trap_budget(w))
		dp_punt(dp, w, m, DP_PUNT_TRAP, trap->t_tag, DP_W_trapped);
	else if (trap)
		dp_drop(w, m, DP_W_trap_limited);
	else
		queue_for_owner(dp, w, m, sa, true);
	return true;
}

enum dp_ctl_esp dp_esp_from_control(struct dp *dp, struct rte_mbuf *m)
{
	const uint8_t *l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, ETH_HLEN);
	bool v4 = (l3[0] >> 4) == 4;
	struct dp_worker *owner;
	struct esp_sa *sa = NULL;
	uint16_t sport, dport;
	uint8_t proto;

	if (!dp->sadb)
		return DP_CTL_ESP_NONE;
	if (esp_sadb_has_outbound(dp->sadb)) {
		esp_l4_ports(l3, m->pkt_len - ETH_HLEN, &proto, &sport, &dport);
		sa = esp_sa_lookup_out(dp->sadb, v4 ? AF_INET : AF_INET6,
				       l3 + (v4 ? 12 : 8), l3 + (v4 ? 16 : 24),
				       proto, sport, dport);
	}
	if (!sa)
		return dp->unmatched_discard ? DP_CTL_ESP_DROP : DP_CTL_ESP_NONE;
	owner = owner_of(dp, sa);
	m->hash.fdir.hi = HANDOFF_OUT;
	m->hash.fdir.lo = sa->sa_id;
	return rte_ring_mp_enqueue(owner->w_handoff, m) == 0 ? DP_CTL_ESP_QUEUED
							     : DP_CTL_ESP_DROP;
}

/* Soft and hard lifetimes (RFC 4301 §4.4.2.1), raised once each, for
 * the SA's totals so far. */
static void lifetimes(struct dp *dp, struct esp_sa *sa, uint64_t packets, uint64_t bytes)
{
	struct esp_sa_state *st = &sa->sa_st;
	bool shared = esp_sa_shared(sa);

	if (!(sa->sa_soft_bytes | sa->sa_soft_packets | sa->sa_hard_bytes | sa->sa_hard_packets))
		return; /* no volume lifetime (time limits are the control lcore's) */
	if (!st->st_soft_raised &&
	    ((sa->sa_soft_bytes && bytes >= sa->sa_soft_bytes) ||
	     (sa->sa_soft_packets && packets >= sa->sa_soft_packets)) &&
	    !(shared && __atomic_exchange_n(&st->st_soft_raised, true, __ATOMIC_RELAXED))) {
		__atomic_store_n(&st->st_soft_raised, true, __ATOMIC_RELAXED);
		rte_ring_mp_enqueue(dp->events, dp_event_make(sa->sa_id, false));
	}
	if (!st->st_hard_raised &&
	    ((sa->sa_hard_bytes && bytes >= sa->sa_hard_bytes) ||
	     (sa->sa_hard_packets && packets >= sa->sa_hard_packets)) &&
	    !(shared && __atomic_exchange_n(&st->st_hard_raised, true, __ATOMIC_RELAXED))) {
		__atomic_store_n(&st->st_hard_raised, true, __ATOMIC_RELAXED);
		rte_ring_mp_enqueue(dp->events, dp_event_make(sa->sa_id, true));
	}
}

/* The owner's count of one packet. */
static void account(struct dp *dp, struct esp_sa *sa, uint32_t bytes)
{
	struct esp_sa_state *st = &sa->sa_st;

	st->st_packets++;
	st->st_bytes += bytes;
	lifetimes(dp, sa, st->st_packets, st->st_bytes);
}

/* A shared SA's count of a burst's packets: one atomic add each. */
static void account_shared(struct dp *dp, struct esp_sa *sa, uint64_t packets,
			   uint64_t bytes)
{
	struct esp_sa_state *st = &sa->sa_st;

	packets = __atomic_add_fetch(&st->st_packets, packets, __ATOMIC_RELAXED);
	bytes = __atomic_add_fetch(&st->st_bytes, bytes, __ATOMIC_RELAXED);
	lifetimes(dp, sa, packets, bytes);
}

/* Where an SA's outer packets go: the route, its egress port and MTU,
 * and the next hop's MAC word (DP_NEIGH_VALID once resolved). */
struct out_hop {
	uint64_t nh;
	uint64_t mac;
	uint32_t mtu;
	uint16_t port;
	bool direct; /* may skip dp_forward's checks (see out_route) */
};

struct esp_burst {
	struct esp_crypto_op ops[2 * DP_ESP_PENDING];
	struct esp_scratch scr[2 * DP_ESP_PENDING];
	struct rte_mbuf *mb[2 * DP_ESP_PENDING];
	struct esp_sa *sa[2 * DP_ESP_PENDING];
	struct out_hop hop[2 * DP_ESP_PENDING];
	bool fits[2 * DP_ESP_PENDING];
	uint32_t len[2 * DP_ESP_PENDING];
	uint8_t rand[DP_ESP_PENDING][16];
	unsigned n;
	/* The last outer destination routed in this burst: SAs to one
	 * peer share it, so the route is looked up once per burst. */
	struct ip_addr rc_dst;
	struct out_hop rc;
	/* Shared SAs: the numbers reserved for the outbound packets, and
	 * the run of packets of one SA counted so far (account_shared). */
	uint64_t seq[DP_ESP_PENDING];
	struct esp_sa *acc_sa;
	uint64_t acc_packets, acc_bytes, acc_seq; /* acc_seq: inbound, the highest */
};

static bool same_dst(const struct ip_addr *a, const struct ip_addr *b)
{
	if (a->family != b->family)
		return false;
	return a->family == AF_INET ? memcmp(a->bytes, b->bytes, 4) == 0
				    : memcmp(a->bytes, b->bytes, 16) == 0;
}

static bool v6_link_local(const struct ip_addr *a)
{
	return a->family == AF_INET6 && a->bytes[0] == 0xfe && (a->bytes[1] & 0xc0) == 0x80;
}

/* The hop towards the SA's outer destination. A packet that fits the
 * MTU goes straight to the port when the next hop is resolved and the
 * outer source is not IPv6 link-local (which dp_forward would drop):
 * all that dp_forward checks for a packet the box originated. */
static void out_route(struct dp *dp, struct esp_burst *b, const struct esp_sa *sa,
		      struct out_hop *hop)
{
	enum dp_nh_kind kind;

	if (same_dst(&b->rc_dst, &sa->sa_dst)) {
		*hop = b->rc;
		hop->direct = hop->direct && !v6_link_local(&sa->sa_src);
		return;
	}
	hop->nh = dp_route_lookup(dp->route, &sa->sa_dst);
	kind = dp_nh_kind(hop->nh);
	if (kind == DP_NH_NONE || kind == DP_NH_LOCAL)
		return; /* not cached: the packet is dropped */
	hop->port = (uint16_t)dp_resolve(dp, hop->nh, sa->sa_dst.family, sa->sa_dst.bytes,
					 &hop->mac);
	hop->mtu = dp->ports[hop->port].pt_if.mtu;
	hop->direct = (hop->mac & DP_NEIGH_VALID) != 0;
	b->rc_dst = sa->sa_dst;
	b->rc = *hop;
	hop->direct = hop->direct && !v6_link_local(&sa->sa_src);
}

/* The egress MTU the SA's outer packets meet, and the route to them. */
static unsigned out_path_check(struct dp *dp, struct dp_worker *w,
			       struct esp_burst *b, struct esp_sa *sa,
			       struct rte_mbuf *m)
{
	const uint8_t *l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, ETH_HLEN);
	uint32_t inner = m->pkt_len - ETH_HLEN, mtu, fixed, hdr = 0, room;
	struct out_hop *hop = &b->hop[b->n];
	enum dp_nh_kind kind;

	out_route(dp, b, sa, hop);
	kind = dp_nh_kind(hop->nh);
	if (kind == DP_NH_NONE || kind == DP_NH_LOCAL)
		return ESP_DROP_no_route;
	mtu = hop->mtu;
	/* Transport mode encrypts what follows the IP header: the padding
	 * depends on that length, not the whole packet's. */
	if (sa->sa_mode == ESP_MODE_TRANSPORT)
		hdr = (l3[0] >> 4) == 4 ? (uint32_t)(l3[0] & 0x0f) * 4 : 40;
	b->fits[b->n] = inner + esp_out_overhead(sa, inner - hdr) <= mtu;
	if (b->fits[b->n] || !esp_out_df(sa, l3))
		return ESP_OK; /* fits, or the outer IPv4 packet is fragmented */
	/* The largest inner packet that fits, for the ICMP error: headers
	 * and ICV (an empty payload's overhead less its one block of
	 * trailer), then payload + 2 rounded up to the block. */
	fixed = esp_out_overhead(sa, 0) - sa->sa_block + hdr;
	room = mtu > fixed ? (mtu - fixed) / sa->sa_block * sa->sa_block : 0;
	sa_count_drop(sa, ESP_DROP_too_big);
	dp_punt(dp, w, m, DP_PUNT_TOO_BIG, room >= 2 ? room - 2 + hdr : 0, DP_W_too_big);
	return ESP_DROP_MAX + 1; /* consumed */
}

/* Written by another worker, for a shared SA. */
static bool hard_raised(const struct esp_sa *sa)
{
	return __atomic_load_n(&sa->sa_st.st_hard_raised, __ATOMIC_RELAXED);
}

static void prepare_out(struct dp *dp, struct dp_worker *w, struct esp_burst *b)
{
	struct dp_esp_pending *p = &w->w_esp_out;
	bool cbc = false;

	/* Unpredictable IVs only where CBC needs them (RFC 3602 §2.1);
	 * counter IVs for the AEAD ciphers (RFC 4106 §3.1). */
	for (unsigned i = 0; i < p->p_n && !cbc; i++)
		cbc = p->p_sa[i]->sa_cbc_iv;
	if (cbc)
		RAND_bytes(&b->rand[0][0], (int)(p->p_n * 16));
	esp_seq_assign_burst(p->p_sa, p->p_n, b->seq);
	for (unsigned i = 0; i < p->p_n; i++) {
		struct esp_sa *sa = p->p_sa[i];
		struct rte_mbuf *m = p->p_mb[i];
		uint32_t inner = m->pkt_len - ETH_HLEN;
		unsigned rc = hard_raised(sa) ? ESP_DROP_hard_expired
					      : out_path_check(dp, w, b, sa, m);

		DP_STAGE_LAP(route);
		if (rc == ESP_OK && !esp_sa_shared(sa))
			rc = esp_out_prepare(sa, m, &b->ops[b->n], &b->scr[b->n],
					     b->rand[i], w->w_ip_id++);
		else if (rc == ESP_OK)
			rc = b->seq[i] == 0 ? ESP_DROP_seq_overflow
			   : esp_out_prepare_seq(sa, m, &b->ops[b->n], &b->scr[b->n],
						 b->rand[i], w->w_ip_id++, b->seq[i]);
		DP_STAGE_LAP(header);
		if (rc < ESP_OK) {
			sa_drop(w, sa, m, rc);
		} else if (rc == ESP_OK) {
			b->mb[b->n] = m;
			b->sa[b->n] = sa;
			b->len[b->n++] = inner;
		}
	}
	p->p_n = 0;
}

static void prepare_in(struct dp_worker *w, struct esp_burst *b)
{
	struct dp_esp_pending *p = &w->w_esp_in;

	for (unsigned i = 0; i < p->p_n; i++) {
		struct esp_sa *sa = p->p_sa[i];
		unsigned rc = hard_raised(sa) ? ESP_DROP_hard_expired
			: esp_in_prepare(sa, p->p_mb[i], &b->ops[b->n], &b->scr[b->n]);

		if (rc != ESP_OK) {
			sa_drop(w, sa, p->p_mb[i], rc);
			continue;
		}
		b->mb[b->n] = p->p_mb[i];
		b->sa[b->n++] = sa;
		DP_STAGE_LAP(header);
	}
	p->p_n = 0;
}

static void acc_flush(struct dp *dp, struct esp_burst *b)
{
	if (!b->acc_sa)
		return;
	account_shared(dp, b->acc_sa, b->acc_packets, b->acc_bytes);
	if (esp_sa_replay_mt(b->acc_sa) && b->acc_seq)
		esp_replay_mt_advance(esp_sa_replay_mt(b->acc_sa), b->acc_seq);
	b->acc_sa = NULL;
}

/* One packet through (seq: inbound, its number): the owner counts it
 * now; a shared SA's packets are added up per run of one SA, and its
 * window's top moved to the run's highest number. */
static void count_packet(struct dp *dp, struct esp_burst *b, struct esp_sa *sa,
			 uint32_t bytes, uint64_t seq)
{
	if (!esp_sa_shared(sa)) {
		account(dp, sa, bytes);
		return;
	}
	if (b->acc_sa != sa) {
		acc_flush(dp, b);
		b->acc_sa = sa;
		b->acc_packets = b->acc_bytes = b->acc_seq = 0;
	}
	b->acc_packets++;
	b->acc_bytes += bytes;
	b->acc_seq = RTE_MAX(b->acc_seq, seq);
}

/* Encrypted: counted and sent towards the SA's peer (hop from prepare_out). */
static void finish_out(struct dp *dp, struct dp_worker *w, struct esp_burst *b,
		       unsigned i)
{
	struct esp_sa *sa = b->sa[i];
	struct rte_mbuf *m = b->mb[i];
	const struct out_hop *hop = &b->hop[i];

	if (b->ops[i].status != 0) {
		sa_drop(w, sa, m, ESP_DROP_auth_failed);
		return;
	}
	if (sa->sa_encap)
		esp_out_finish(sa, m);
	count_packet(dp, b, sa, b->len[i], 0);
	w->w_cnt[DP_W_esp_out]++;
	DP_STAGE_LAP(counters);
	if (hop->direct && b->fits[i])
		dp_send(dp, w, m, hop->port, hop->mac);
	else
		dp_forward(dp, w, m, hop->nh, true);
	DP_STAGE_LAP(tx);
}

/* Decrypted ops from 'from' on: checked and decapsulated, then their
 * inner IPv4 destinations routed in one rte_fib lookup (IPv6 ones one
 * at a time) and forwarded in their order. */
static void finish_in(struct dp *dp, struct dp_worker *w, struct esp_burst *b,
		      unsigned from)
{
	struct rte_mbuf *mb[2 * DP_ESP_PENDING];
	uint64_t nh[2 * DP_ESP_PENDING], nh4[2 * DP_ESP_PENDING];
	uint32_t dst4[2 * DP_ESP_PENDING];
	uint8_t at4[2 * DP_ESP_PENDING]; /* mb's index of dst4's entry */
	unsigned n = 0, n4 = 0;

	for (unsigned i = from; i < b->n; i++) {
		struct esp_sa *sa = b->sa[i];
		struct rte_mbuf *m = b->mb[i];
		const uint8_t *l3;
		unsigned rc;

		if (b->ops[i].status != 0) {
			sa_drop(w, sa, m, ESP_DROP_auth_failed);
			continue;
		}
		rc = esp_in_finish(sa, m, &b->ops[i], &b->scr[i]);
		if (rc != ESP_OK) {
			/* marked, then dropped (a dummy packet, say): the top too */
			if (rc != ESP_DROP_replay && esp_sa_replay_mt(sa))
				esp_replay_mt_advance(esp_sa_replay_mt(sa), b->scr[i].s_seq);
			sa_drop(w, sa, m, rc);
			continue;
		}
		count_packet(dp, b, sa, m->pkt_len - ETH_HLEN, b->scr[i].s_seq);
		w->w_cnt[DP_W_esp_in]++;
		DP_STAGE_LAP(counters);
		l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, ETH_HLEN);
		if ((l3[0] >> 4) == 4) {
			dst4[n4] = be32_get(l3 + 16);
			at4[n4++] = (uint8_t)n;
		} else {
			struct ip_addr dst = { .family = AF_INET6 };

			memcpy(dst.bytes, l3 + 24, 16);
			nh[n] = dp_route_lookup(dp->route, &dst);
		}
		mb[n++] = m;
	}
	if (n4)
		dp_route_lookup4_bulk(dp->route, dst4, nh4, n4);
	for (unsigned j = 0; j < n4; j++)
		nh[at4[j]] = nh4[j];
	DP_STAGE_LAP(route);
	for (unsigned j = 0; j < n; j++)
		dp_forward(dp, w, mb[j], nh[j], false);
	DP_STAGE_LAP(tx);
}

static void flush_pending(struct dp *dp, struct dp_worker *w)
{
	static __thread struct esp_burst b;
	unsigned n_out;

	b.n = 0;
	b.rc_dst.family = 0;
	b.acc_sa = NULL;
	prepare_out(dp, w, &b);
	n_out = b.n; /* the outbound ops first, then the inbound ones */
	prepare_in(w, &b);
	esp_crypto_run(w->w_engine, b.ops, b.n);
	DP_STAGE_LAP(crypto);
	for (unsigned i = 0; i < n_out; i++)
		finish_out(dp, w, &b, i);
	finish_in(dp, w, &b, n_out);
	acc_flush(dp, &b);
}

void dp_esp_flush(struct dp *dp, struct dp_worker *w)
{
	if (w->w_esp_in.p_n || w->w_esp_out.p_n)
		flush_pending(dp, w);
}
