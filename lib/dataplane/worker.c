/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker fast path: receive a burst, classify, look the burst's
 * destinations up in one call per family, rewrite and transmit. Frames
 * for the box, and the cases that need an ICMP error, go to the control
 * lcore through the punt ring; everything else that is not forwarded is
 * freed and counted.
 *
 * Headers are read through DPDK's header structs on the fast path, each
 * access preceded by a length check against the first segment.
 */
#include "dp.h"
#include "cksum.h"
#include "stage_cycles.h"

#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>

#define ETH_HLEN ((uint32_t)sizeof(struct rte_ether_hdr))

enum dp_class {
	DP_CLASS_DONE, /* punted or dropped */
	DP_CLASS_IPV4,
	DP_CLASS_IPV6,
};

void dp_drop(struct dp_worker *w, struct rte_mbuf *m, enum dp_worker_counter why)
{
	w->w_cnt[why]++;
	rte_pktmbuf_free(m);
}

void dp_punt(struct dp *dp, struct dp_worker *w, struct rte_mbuf *m,
	     enum dp_punt_reason why, uint32_t arg, enum dp_worker_counter counted_as)
{
	dp_punt_mark(m, why, arg);
	if (rte_ring_mp_enqueue(dp->punt, m) != 0) {
		dp_drop(w, m, DP_W_punt_full);
		return;
	}
	w->w_cnt[counted_as]++;
}

static void tx_flush_port(struct dp *dp, struct dp_worker *w, unsigned pidx)
{
	struct dp_txbuf *b = &w->w_tx[pidx];
	uint16_t sent;

	if (b->n == 0)
		return;
	sent = rte_eth_tx_burst(dp->ports[pidx].pt_if.port, (uint16_t)w->w_idx,
				b->mb, b->n);
	w->w_cnt[DP_W_tx_packets] += sent;
	for (uint16_t i = sent; i < b->n; i++)
		dp_drop(w, b->mb[i], DP_W_tx_full);
	b->n = 0;
}

static void tx_enqueue(struct dp *dp, struct dp_worker *w, unsigned pidx,
		       struct rte_mbuf *m)
{
	struct dp_txbuf *b = &w->w_tx[pidx];

	b->mb[b->n++] = m;
	if (b->n == DP_BURST)
		tx_flush_port(dp, w, pidx);
}

void dp_worker_flush(struct dp *dp, struct dp_worker *w)
{
	DP_STAGE_START();
	for (unsigned p = 0; p < dp->n_ports; p++)
		tx_flush_port(dp, w, p);
	DP_STAGE_LAP(tx);
}

/* RFC 1812 §5.3.7: addresses a router never forwards from or to. */
static bool martian4(uint32_t src, uint32_t dst)
{
	uint8_t s = (uint8_t)(src >> 24), d = (uint8_t)(dst >> 24);

	return s == 0 || s == 127 || (s & 0xf0) == 0xe0 || src == UINT32_MAX ||
	       d == 0 || d == 127 || (d & 0xf0) == 0xe0 || dst == UINT32_MAX;
}

/* The header (IHL already checked against the segment) adds up. */
static bool ipv4_checksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip)
{
	uint64_t flags = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;

	if (flags == RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		return true;
	if (flags == RTE_MBUF_F_RX_IP_CKSUM_BAD)
		return false;
	return dp_ipv4_hdr_sum((const uint8_t *)ip) == 0xffff;
}

static enum dp_class classify_ipv4(struct dp_worker *w, struct rte_mbuf *m,
				   bool l2_unicast, uint32_t *dst)
{
	struct rte_ipv4_hdr *ip;
	uint32_t ihl, tot;

	if (m->data_len < ETH_HLEN + sizeof(*ip))
		goto bad;
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, ETH_HLEN);
	ihl = (uint32_t)(ip->version_ihl & 0x0f) * 4;
	tot = rte_be_to_cpu_16(ip->total_length);
	if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) ||
	    m->data_len < ETH_HLEN + ihl || tot < ihl ||
	    tot > m->pkt_len - ETH_HLEN || !ipv4_checksum_ok(m, ip))
		goto bad;
	if (m->pkt_len - ETH_HLEN > tot) /* Ethernet padding */
		rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - ETH_HLEN - tot));
	*dst = rte_be_to_cpu_32(ip->dst_addr);
	/* RFC 1812 §5.3.4: nothing received as link-layer broadcast is forwarded. */
	if (!l2_unicast || martian4(rte_be_to_cpu_32(ip->src_addr), *dst)) {
		dp_drop(w, m, DP_W_martian);
		return DP_CLASS_DONE;
	}
	return DP_CLASS_IPV4;
bad:
	dp_drop(w, m, DP_W_bad_ipv4);
	return DP_CLASS_DONE;
}

static bool ipv6_is_link_local(const uint8_t *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

static bool ipv6_is_unforwardable_src(const uint8_t *a)
{
	static const uint8_t loopback[16] = { [15] = 1 };

	return a[0] == 0xff || memcmp(a, loopback, 16) == 0;
}

static enum dp_class classify_ipv6(struct dp *dp, struct dp_worker *w,
				   struct rte_mbuf *m, uint8_t dst[16])
{
	struct rte_ipv6_hdr *ip;
	uint32_t plen;

	if (m->data_len < ETH_HLEN + sizeof(*ip))
		goto bad;
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, ETH_HLEN);
	plen = rte_be_to_cpu_16(ip->payload_len);
	if ((rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6 || plen == 0 ||
	    plen + sizeof(*ip) > m->pkt_len - ETH_HLEN)
		goto bad;
	if (m->pkt_len - ETH_HLEN > plen + sizeof(*ip))
		rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - ETH_HLEN - plen -
					       sizeof(*ip)));
	if (ipv6_is_unforwardable_src(ip->src_addr))
		goto martian;
	/* Multicast ICMPv6 is neighbour discovery for the control lcore;
	 * espgate routes no other multicast. */
	if (ip->dst_addr[0] == 0xff) {
		if (ip->proto != IPPROTO_ICMPV6)
			goto martian;
		dp_punt(dp, w, m, DP_PUNT_LOCAL, 0, DP_W_punted);
		return DP_CLASS_DONE;
	}
	if (ipv6_is_link_local(ip->dst_addr))
		goto martian;
	memcpy(dst, ip->dst_addr, 16);
	return DP_CLASS_IPV6;
bad:
	dp_drop(w, m, DP_W_bad_ipv6);
	return DP_CLASS_DONE;
martian:
	dp_drop(w, m, DP_W_martian);
	return DP_CLASS_DONE;
}

static enum dp_class classify(struct dp *dp, struct dp_worker *w,
			      unsigned pidx, struct rte_mbuf *m,
			      uint32_t *dst4, uint8_t dst6[16])
{
	const struct rte_ether_hdr *eth;
	bool l2_unicast;

	if (m->data_len < ETH_HLEN) {
		dp_drop(w, m, DP_W_bad_l2);
		return DP_CLASS_DONE;
	}
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	l2_unicast = rte_is_unicast_ether_addr(&eth->dst_addr);
	if (l2_unicast && !rte_is_same_ether_addr(&eth->dst_addr,
			(const struct rte_ether_addr *)dp->ports[pidx].pt_if.mac)) {
		dp_drop(w, m, DP_W_not_for_us);
		return DP_CLASS_DONE;
	}
	switch (rte_be_to_cpu_16(eth->ether_type)) {
	case RTE_ETHER_TYPE_IPV4:
		return classify_ipv4(w, m, l2_unicast, dst4);
	case RTE_ETHER_TYPE_IPV6:
		return classify_ipv6(dp, w, m, dst6);
	case RTE_ETHER_TYPE_ARP:
		dp_punt(dp, w, m, DP_PUNT_ARP, 0, DP_W_punted);
		return DP_CLASS_DONE;
	default:
		dp_drop(w, m, DP_W_bad_l2);
		return DP_CLASS_DONE;
	}
}

/* The egress port and the next hop's MAC word (0 when unresolved). */
unsigned dp_resolve(struct dp *dp, uint64_t nh, uint8_t family,
		    const uint8_t *dst, uint64_t *mac_word)
{
	uint32_t value = dp_nh_value(nh);
	struct dp_neigh_key k;
	void *data;

	if (dp_nh_kind(nh) == DP_NH_GATEWAY) {
		*mac_word = dp_neigh_mac_word(dp->neigh, value);
		return dp->neigh->nt_entries[value].nb_port;
	}
	dp_neigh_key_make(&k, family, dst);
	if (rte_hash_lookup_data(dp->neigh->nt_hash, &k, &data) < 0)
		*mac_word = 0;
	else
		*mac_word = dp_neigh_mac_word(dp->neigh, (uint32_t)(uintptr_t)data);
	return value;
}

static inline void rewrite_eth(struct rte_mbuf *m, const struct dp_port *out,
			       uint64_t mac_word)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	/* dst from the neighbour's word, then src: 8 + 4 bytes stored, the
	 * first store's last two bytes overwritten by the second's first */
	uint64_t dst = dp_neigh_mac_be(mac_word);
	uint16_t src01;
	uint32_t src25;

	memcpy(&src01, out->pt_if.mac, 2);
	memcpy(&src25, out->pt_if.mac + 2, 4);
	memcpy(eth, &dst, 8);
	memcpy((uint8_t *)eth + 6, &src01, 2);
	memcpy((uint8_t *)eth + 8, &src25, 4);
}

/* Common to both families: local delivery, no route, expiry, neighbour
 * and MTU. Returns the egress port index, or -1 when m was consumed. */
static int forward_decide(struct dp *dp, struct dp_worker *w,
			  struct rte_mbuf *m, uint64_t nh, uint8_t family,
			  const uint8_t *dst, uint8_t ttl, uint32_t ip_len,
			  bool originated, bool may_fragment, uint64_t *mac_word)
{
	unsigned out;

	switch (dp_nh_kind(nh)) {
	case DP_NH_NONE:
		dp_punt(dp, w, m, DP_PUNT_NO_ROUTE, 0, DP_W_no_route);
		return -1;
	case DP_NH_LOCAL:
		dp_punt(dp, w, m, DP_PUNT_LOCAL, 0, DP_W_punted);
		return -1;
	default:
		break;
	}
	if (ttl <= 1 && !originated) {
		dp_punt(dp, w, m, DP_PUNT_TTL, 0, DP_W_ttl_expired);
		return -1;
	}
	out = dp_resolve(dp, nh, family, dst, mac_word);
	if (ip_len > dp->ports[out].pt_if.mtu && !may_fragment) {
		dp_punt(dp, w, m, DP_PUNT_TOO_BIG, dp->ports[out].pt_if.mtu, DP_W_too_big);
		return -1;
	}
	/* The control lcore resolves it, holds the packet meanwhile and
	 * sends it on: the packet has passed every other check. */
	if (!(*mac_word & DP_NEIGH_VALID)) {
		dp_punt(dp, w, m, DP_PUNT_NEIGH, (uint32_t)nh, DP_W_punted);
		return -1;
	}
	return (int)out;
}

void dp_send(struct dp *dp, struct dp_worker *w, struct rte_mbuf *m, unsigned out,
	     uint64_t mac_word)
{
	rewrite_eth(m, &dp->ports[out], mac_word);
	w->w_cnt[DP_W_forwarded]++;
	tx_enqueue(dp, w, out, m);
}

/* RFC 791 §2.3, RFC 1812 §5.2.6: too big with DF clear is fragmented.
 * m already carries its new Ethernet header; each fragment gets a copy. */
static void send_fragments(struct dp *dp, struct dp_worker *w, struct rte_mbuf *m,
			   unsigned out)
{
	struct rte_mbuf *frags[DP_MAX_FRAGS];
	struct rte_ether_hdr eth = *rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	int32_t n;

	rte_pktmbuf_adj(m, ETH_HLEN);
	n = rte_ipv4_fragment_packet(m, frags, DP_MAX_FRAGS, dp->ports[out].pt_if.mtu,
				     dp->pool, dp->pool_indirect);
	rte_pktmbuf_free(m); /* the fragments hold their own references */
	if (n < 0) {
		w->w_cnt[DP_W_frag_failed]++;
		return;
	}
	w->w_cnt[DP_W_fragmented]++;
	for (int32_t i = 0; i < n; i++) {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(frags[i], struct rte_ipv4_hdr *);

		dp_ipv4_hdr_cksum_set((uint8_t *)ip);
		*(struct rte_ether_hdr *)rte_pktmbuf_prepend(frags[i], ETH_HLEN) = eth;
		tx_enqueue(dp, w, out, frags[i]);
	}
}

static void forward_ipv4(struct dp *dp, struct dp_worker *w,
			 struct rte_mbuf *m, uint64_t nh, bool originated)
{
	struct rte_ipv4_hdr *ip =
		rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, ETH_HLEN);
	bool df = (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG)) != 0;
	uint16_t len = rte_be_to_cpu_16(ip->total_length);
	uint64_t mac_word;
	uint32_t sum;
	int out = forward_decide(dp, w, m, nh, AF_INET,
				 (const uint8_t *)&ip->dst_addr, ip->time_to_live,
				 len, originated, !df && dp->pool_indirect, &mac_word);

	DP_STAGE_LAP(route);
	if (out < 0)
		return;
	if (!originated) {
		/* RFC 1624: the TTL is the high byte of its 16-bit word. */
		ip->time_to_live--;
		sum = (uint32_t)ip->hdr_checksum + rte_cpu_to_be_16(0x0100);
		ip->hdr_checksum = (uint16_t)(sum + (sum >> 16));
	}
	rewrite_eth(m, &dp->ports[out], mac_word);
	w->w_cnt[DP_W_forwarded]++;
	if (len > dp->ports[out].pt_if.mtu)
		send_fragments(dp, w, m, (unsigned)out);
	else
		tx_enqueue(dp, w, (unsigned)out, m);
}

static void forward_ipv6(struct dp *dp, struct dp_worker *w,
			 struct rte_mbuf *m, uint64_t nh, bool originated)
{
	struct rte_ipv6_hdr *ip =
		rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, ETH_HLEN);
	uint64_t mac_word;
	int out;

	/* RFC 4291 §2.5.6: link-local sources stay on their link. */
	if (dp_nh_kind(nh) != DP_NH_LOCAL && ipv6_is_link_local(ip->src_addr)) {
		dp_drop(w, m, DP_W_martian);
		return;
	}
	out = forward_decide(dp, w, m, nh, AF_INET6, ip->dst_addr, ip->hop_limits,
			     rte_be_to_cpu_16(ip->payload_len) + sizeof(*ip),
			     originated, false, &mac_word);
	if (out < 0)
		return;
	if (!originated)
		ip->hop_limits--;
	dp_send(dp, w, m, (unsigned)out, mac_word);
}

void dp_forward(struct dp *dp, struct dp_worker *w, struct rte_mbuf *m,
		uint64_t nh, bool originated)
{
	const uint8_t *l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, ETH_HLEN);

	if ((l3[0] >> 4) == 4)
		forward_ipv4(dp, w, m, nh, originated);
	else
		forward_ipv6(dp, w, m, nh, originated);
}

enum dp_steer { DP_STEER_NONE, DP_STEER_IN, DP_STEER_OUT };

/* ESP first: inbound on unprotected ports, outbound on protected ones;
 * decided once per burst. */
static enum dp_steer steer_of(struct dp *dp, unsigned pidx)
{
	if (!dp->sadb)
		return DP_STEER_NONE;
	if (dp->ports[pidx].pt_role == DP_ROLE_UNPROTECTED)
		return DP_STEER_IN;
	if (esp_sadb_has_outbound(dp->sadb) || dp->unmatched_discard ||
	    __atomic_load_n(&dp->traps, __ATOMIC_RELAXED))
		return DP_STEER_OUT;
	return DP_STEER_NONE;
}

static void steer(struct dp *dp, struct dp_worker *w, enum dp_steer how,
		  struct rte_mbuf *m, uint64_t nh, uint64_t spd_node)
{
	if (how == DP_STEER_IN && dp_esp_inbound(dp, w, m, nh))
		return;
	if (how == DP_STEER_OUT && dp_esp_outbound(dp, w, m, nh, spd_node))
		return;
	dp_forward(dp, w, m, nh, false);
}

void dp_worker_input(struct dp *dp, struct dp_worker *w, unsigned pidx,
		     struct rte_mbuf **mb, uint16_t n)
{
	struct rte_mbuf *v4[DP_BURST], *v6[DP_BURST];
	uint32_t dst4[DP_BURST];
	uint8_t dst6[DP_BURST][16];
	uint64_t nh[DP_BURST], spd4[DP_BURST];
	unsigned n4 = 0, n6 = 0;
	enum dp_steer how;

	DP_STAGE_START();
	w->w_cnt[DP_W_rx_packets] += n;
	for (uint16_t i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(mb[i + 1], void *));
		switch (classify(dp, w, pidx, mb[i], &dst4[n4], dst6[n6])) {
		case DP_CLASS_IPV4:
			v4[n4++] = mb[i];
			break;
		case DP_CLASS_IPV6:
			v6[n6++] = mb[i];
			break;
		case DP_CLASS_DONE:
			break;
		}
	}
	how = steer_of(dp, pidx);
	DP_STAGE_LAP(classify);
	if (n4) {
		dp_route_lookup4_bulk(dp->route, dst4, nh, n4);
		DP_STAGE_LAP(route);
		/* the burst's outbound policy lookups in one call too */
		if (how == DP_STEER_OUT && esp_sadb_has_outbound(dp->sadb))
			esp_sa_out_nodes4(dp->sadb, dst4, spd4, n4);
		else
			for (unsigned i = 0; i < n4; i++)
				spd4[i] = DP_SPD_UNKNOWN;
		DP_STAGE_LAP(spd_sa);
		for (unsigned i = 0; i < n4; i++)
			steer(dp, w, how, v4[i], nh[i], spd4[i]);
		/* outbound: the SA from its SPD node; inbound: ESP parsed */
		if (how == DP_STEER_IN)
			DP_STAGE_LAP(header);
		else
			DP_STAGE_LAP(spd_sa);
	}
	if (n6) {
		dp_route_lookup6_bulk(dp->route, dst6, nh, n6);
		for (unsigned i = 0; i < n6; i++)
			steer(dp, w, how, v6[i], nh[i], DP_SPD_UNKNOWN);
	}
	if (w->w_esp_look.l_n)
		dp_esp_in_resolve(dp, w);
	if (dp->sadb)
		dp_esp_flush(dp, w);
}

static void drain_control_tx(struct dp *dp, struct dp_worker *w)
{
	struct rte_mbuf *mb[DP_BURST];

	for (unsigned p = 0; p < dp->n_ports; p++) {
		struct dp_port *port = &dp->ports[p];
		unsigned n;

		if (port->pt_tx_owner != w->w_idx)
			continue;
		n = rte_ring_sc_dequeue_burst(port->pt_ctl_tx, (void **)mb,
					      DP_BURST, NULL);
		w->w_cnt[DP_W_ctl_tx] += n;
		for (unsigned i = 0; i < n; i++)
			tx_enqueue(dp, w, p, mb[i]);
	}
}

int dp_worker_main(void *arg)
{
	struct dp_worker_arg *a = arg;
	struct dp *dp = a->dp;
	struct dp_worker *w = a->w;
	struct rte_mbuf *mb[DP_BURST];

	if (dp->qs) {
		rte_rcu_qsbr_thread_register(dp->qs, w->w_idx);
		rte_rcu_qsbr_thread_online(dp->qs, w->w_idx);
	}
	while (!__atomic_load_n(&dp->stop, __ATOMIC_RELAXED)) {
		for (unsigned p = 0; p < dp->n_ports; p++) {
			uint16_t n;

			if (w->w_idx >= dp->ports[p].pt_nb_rxq)
				continue;
			n = rte_eth_rx_burst(dp->ports[p].pt_if.port,
					     (uint16_t)w->w_idx, mb, DP_BURST);
			if (n)
				dp_worker_input(dp, w, p, mb, n);
		}
		if (w->w_handoff)
			dp_esp_handoff_poll(dp, w);
		drain_control_tx(dp, w);
		dp_worker_flush(dp, w);
		/* Nothing read from the SA tables is held past this point. */
		if (dp->qs)
			rte_rcu_qsbr_quiescent(dp->qs, w->w_idx);
	}
	dp_worker_flush(dp, w);
	if (dp->qs) {
		rte_rcu_qsbr_thread_offline(dp->qs, w->w_idx);
		rte_rcu_qsbr_thread_unregister(dp->qs, w->w_idx);
	}
	return 0;
}
