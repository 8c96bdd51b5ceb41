/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control lcore's packet work: ARP and neighbour discovery, ICMP for
 * the box's addresses, ICMP errors for what the workers could not
 * forward, and the hold queues of packets waiting for a next hop.
 * Frames go out through each port's control ring (see ports.c).
 */
#include "espgate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>

#include "byteorder.h"
#include "cksum.h"
#include "frame.h"

#define CTL_FRAME_MAX 16384
#define CTL_NEIGH_TRIES 3
#define CTL_ICMP_RATE 1000.0  /* errors per second */
#define CTL_ICMP_BURST 100.0

static void count(struct app *app, enum dp_control_counter c)
{
	app->ctl.c_cnt[c]++;
}

static int enqueue_tx(struct app *app, unsigned pidx, struct rte_mbuf *m)
{
	if (rte_ring_sp_enqueue(app->dp.ports[pidx].pt_ctl_tx, m) != 0) {
		rte_pktmbuf_free(m);
		count(app, DP_C_ctl_tx_full);
		return -ENOBUFS;
	}
	return 0;
}

/* The box's own packet larger than the port's MTU (an IKE message with
 * certificates) as fragments (RFC 791 §2.3; RFC 8200 §4.5, the source
 * may fragment); m has its Ethernet header, each fragment gets a copy. */
static int enqueue_fragments(struct app *app, unsigned pidx, struct rte_mbuf *m)
{
	struct rte_ether_hdr eth = *rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	uint16_t mtu = app->dp.ports[pidx].pt_if.mtu;
	struct rte_mbuf *frags[DP_MAX_FRAGS];
	int32_t n = -EINVAL;
	int rc = 0;

	rte_pktmbuf_adj(m, DP_ETH_HLEN);
	if (!app->dp.pool_indirect)
		n = -ENOTSUP;
	else if (eth.ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
		n = rte_ipv4_fragment_packet(m, frags, DP_MAX_FRAGS, mtu, app->dp.pool,
					     app->dp.pool_indirect);
	else if (eth.ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6))
		n = rte_ipv6_fragment_packet(m, frags, DP_MAX_FRAGS, mtu, app->dp.pool,
					     app->dp.pool_indirect);
	rte_pktmbuf_free(m); /* the fragments hold their own references */
	if (n < 0) {
		count(app, DP_C_frag_failed);
		return (int)n;
	}
	count(app, DP_C_fragmented);
	for (int32_t i = 0; i < n; i++) {
		if (eth.ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
			dp_ipv4_hdr_cksum_set(rte_pktmbuf_mtod(frags[i], uint8_t *));
		*(struct rte_ether_hdr *)rte_pktmbuf_prepend(frags[i], DP_ETH_HLEN) = eth;
		rc |= enqueue_tx(app, pidx, frags[i]);
	}
	return rc;
}

/* A frame with its Ethernet header to port pidx, in fragments when the
 * IP packet is over the MTU. */
static int send_l2(struct app *app, unsigned pidx, struct rte_mbuf *m)
{
	if (rte_pktmbuf_pkt_len(m) - DP_ETH_HLEN > app->dp.ports[pidx].pt_if.mtu)
		return enqueue_fragments(app, pidx, m);
	return enqueue_tx(app, pidx, m);
}

/* An mbuf holding a copy of buf; NULL (counted) when the pool is empty. */
static struct rte_mbuf *mbuf_from(struct app *app, const uint8_t *buf, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(app->dp.pool);
	char *p;

	if (m && len <= UINT16_MAX && (p = rte_pktmbuf_append(m, (uint16_t)len))) {
		memcpy(p, buf, len);
		return m;
	}
	rte_pktmbuf_free(m);
	count(app, DP_C_no_mbuf);
	return NULL;
}

static void send_frame(struct app *app, unsigned pidx, const uint8_t *frame,
		       size_t len)
{
	struct rte_mbuf *m = mbuf_from(app, frame, len);

	if (m)
		enqueue_tx(app, pidx, m);
}

static const uint8_t *frame_bytes(const struct rte_mbuf *m, uint8_t *buf,
				  size_t *len)
{
	*len = m->pkt_len;
	if (*len > CTL_FRAME_MAX)
		return NULL;
	return rte_pktmbuf_read(m, 0, (uint32_t)*len, buf);
}

static void set_l2(struct app *app, struct rte_mbuf *m, uint32_t idx)
{
	const struct dp_neigh *nb = &app->dp.neigh->nt_entries[idx];
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	dp_neigh_mac_bytes(dp_neigh_mac_word(app->dp.neigh, idx),
			   eth->dst_addr.addr_bytes);
	memcpy(eth->src_addr.addr_bytes, app->dp.ports[nb->nb_port].pt_if.mac, 6);
}

/* ---- neighbour resolution and hold queues ---- */

static void solicit(struct app *app, uint32_t idx)
{
	const struct dp_neigh *nb = &app->dp.neigh->nt_entries[idx];
	const struct dp_if *ifp = &app->dp.ports[nb->nb_port].pt_if;
	const struct ip_addr *src = dp_if_source_for(ifp, &nb->nb_ip);
	struct ctl_hold *h = &app->ctl.c_hold[idx];
	uint8_t frame[128];
	int len = -EINVAL;

	h->h_tries++;
	h->h_next_tsc = rte_rdtsc() + rte_get_tsc_hz();
	if (!src)
		return;
	if (nb->nb_ip.family == AF_INET) {
		len = dp_arp_request(ifp, src, &nb->nb_ip, frame, sizeof(frame));
		count(app, DP_C_arp_requests);
	} else {
		len = dp_nd_solicit(ifp, src, &nb->nb_ip, frame, sizeof(frame));
		count(app, DP_C_nd_solicits);
	}
	if (len > 0)
		send_frame(app, nb->nb_port, frame, (size_t)len);
}

static void hold_packet(struct app *app, uint32_t idx, struct rte_mbuf *m)
{
	struct ctl_hold *h = &app->ctl.c_hold[idx];

	if (h->h_n == CTL_HOLD_MAX) {
		rte_pktmbuf_free(m);
		count(app, DP_C_hold_full);
		return;
	}
	h->h_mb[h->h_n++] = m;
	if (!h->h_pending) {
		h->h_pending = true;
		h->h_tries = 0;
		solicit(app, idx);
	}
}

static void release_held(struct app *app, uint32_t idx)
{
	struct ctl_hold *h = &app->ctl.c_hold[idx];
	unsigned port = app->dp.neigh->nt_entries[idx].nb_port;

	for (unsigned i = 0; i < h->h_n; i++) {
		set_l2(app, h->h_mb[i], idx);
		if (send_l2(app, port, h->h_mb[i]) == 0)
			count(app, DP_C_held_sent);
	}
	h->h_n = 0;
	h->h_pending = false;
}

/* Sends m (a frame whose Ethernet addresses are to be filled in) to the
 * next hop 'idx' now, or holds it until the next hop resolves. */
static void send_via(struct app *app, uint32_t idx, struct rte_mbuf *m)
{
	if (dp_neigh_mac_word(app->dp.neigh, idx) & DP_NEIGH_VALID) {
		set_l2(app, m, idx);
		send_l2(app, app->dp.neigh->nt_entries[idx].nb_port, m);
		return;
	}
	hold_packet(app, idx, m);
}

/* The neighbour entry a route's next hop leads to, for destination dst. */
static int next_hop_index(struct app *app, uint32_t nh, const struct ip_addr *dst)
{
	int idx;

	switch (dp_nh_kind(nh)) {
	case DP_NH_GATEWAY:
		return (int)dp_nh_value(nh);
	case DP_NH_CONNECTED:
		idx = dp_neigh_get(app->dp.neigh, dst, (uint16_t)dp_nh_value(nh));
		if (idx < 0)
			count(app, DP_C_neigh_table_full);
		return idx;
	default:
		count(app, DP_C_no_route_back);
		return -ENOENT;
	}
}

/*
 * A resolved neighbour on a connected prefix gets a host route to its
 * entry: workers then find the next hop in their one FIB lookup instead
 * of hashing the address per packet. Only where the connected prefix is
 * what routes it now (a more specific static route stays in charge).
 */
void control_neigh_host_route(struct app *app, uint32_t idx)
{
	const struct dp_neigh *nb = &app->dp.neigh->nt_entries[idx];
	uint32_t nh = dp_route_lookup(app->dp.route, &nb->nb_ip);
	struct ip_prefix host = { .addr = nb->nb_ip };

	if (dp_nh_kind(nh) != DP_NH_CONNECTED || dp_nh_value(nh) != nb->nb_port)
		return;
	host.len = (uint8_t)(ip_addr_len(&nb->nb_ip) * 8);
	if (dp_route_add(app->dp.route, &host, dp_nh_make(DP_NH_GATEWAY, idx)) != 0)
		count(app, DP_C_host_route_failed);
}

static void learn(struct app *app, unsigned pidx, const struct dp_learn *l)
{
	int idx;

	if (!l->valid)
		return;
	idx = dp_neigh_get(app->dp.neigh, &l->ip, (uint16_t)pidx);
	if (idx < 0)
		return;
	if (dp_neigh_set_mac(app->dp.neigh, (uint32_t)idx, l->mac, false)) {
		count(app, DP_C_neigh_learned);
		control_neigh_host_route(app, (uint32_t)idx);
	}
	if (app->ctl.c_hold[idx].h_n)
		release_held(app, (uint32_t)idx);
	app->ctl.c_hold[idx].h_pending = false;
}

/* ---- ICMP errors ---- */

static bool icmp_token(struct app *app)
{
	uint64_t now = rte_rdtsc();
	double add = (double)(now - app->ctl.c_icmp_tsc) * CTL_ICMP_RATE /
		     (double)rte_get_tsc_hz();

	app->ctl.c_icmp_tsc = now;
	app->ctl.c_icmp_tokens = RTE_MIN(CTL_ICMP_BURST, app->ctl.c_icmp_tokens + add);
	if (app->ctl.c_icmp_tokens < 1.0)
		return false;
	app->ctl.c_icmp_tokens -= 1.0;
	return true;
}

/* An mbuf holding an Ethernet header (addresses left for routing) and
 * the IP packet pkt. */
static struct rte_mbuf *ip_mbuf(struct app *app, const uint8_t *pkt, size_t len,
				int family)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(app->dp.pool);
	uint8_t *p;

	if (m && len <= UINT16_MAX - DP_ETH_HLEN &&
	    (p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(DP_ETH_HLEN + len)))) {
		memset(p, 0, DP_ETH_HLEN);
		be16_put(p + 12, family == AF_INET ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
		memcpy(p + DP_ETH_HLEN, pkt, len);
		return m;
	}
	rte_pktmbuf_free(m);
	count(app, DP_C_no_mbuf);
	return NULL;
}

/* Sends an IP packet the control lcore made (no Ethernet header):
 * through an outbound SA when one covers it (RFC 4301 §5.1: the box's
 * own packets obey the SPD too), else routed. */
static void send_ip(struct app *app, const uint8_t *pkt, size_t len, int family);

void control_send_ip(struct app *app, const uint8_t *pkt, size_t len, int family,
		     bool bypass)
{
	struct rte_mbuf *m = ip_mbuf(app, pkt, len, family);
	struct frame_ip ip;
	int idx;

	if (!m)
		return;
	/* IKE itself is bypass traffic (RFC 4301 §5.2). */
	switch (bypass ? DP_CTL_ESP_NONE : dp_esp_from_control(&app->dp, m)) {
	case DP_CTL_ESP_QUEUED:
		count(app, DP_C_esp_out);
		return;
	case DP_CTL_ESP_DROP:
		rte_pktmbuf_free(m);
		count(app, DP_C_esp_dropped);
		return;
	case DP_CTL_ESP_NONE:
		break;
	}
	if (ip_read(pkt, len, &ip))
		idx = next_hop_index(app, dp_route_lookup(app->dp.route, &ip.fi_dst), &ip.fi_dst);
	else
		idx = -EINVAL;
	if (idx < 0)
		rte_pktmbuf_free(m);
	else
		send_via(app, (uint32_t)idx, m);
}

static void send_ip(struct app *app, const uint8_t *pkt, size_t len, int family)
{
	control_send_ip(app, pkt, len, family, false);
}

struct icmp_kind {
	uint8_t type4, code4, type6, code6;
};

static const struct icmp_kind ICMP_TTL = { 11, 0, 3, 0 };      /* time exceeded */
static const struct icmp_kind ICMP_NO_ROUTE = { 3, 0, 1, 0 };  /* net / no route */
static const struct icmp_kind ICMP_NO_HOST = { 3, 1, 1, 3 };   /* host / address */
static const struct icmp_kind ICMP_TOO_BIG = { 3, 4, 2, 0 };   /* frag needed / PTB */

/* An ICMP error about 'frame' back to its source; 'pidx' is the port it
 * came in on, whose address becomes the error's source. */
static void icmp_error(struct app *app, const uint8_t *frame, size_t len,
		       unsigned pidx, const struct icmp_kind *k, uint32_t info)
{
	const struct dp_if *ifp = &app->dp.ports[pidx].pt_if;
	const struct ip_addr *src;
	struct frame_ip ip;
	uint8_t out[1280];
	bool v4;
	int n;

	if (!frame_ip(frame, len, &ip))
		return;
	v4 = ip.fi_src.family == AF_INET;
	src = dp_if_source_for(ifp, &ip.fi_src);
	if (!src)
		return;
	if (!icmp_token(app)) {
		count(app, DP_C_icmp_rate_limited);
		return;
	}
	n = v4 ? dp_icmp4_error(src, k->type4, k->code4, info, ip.fi_l3.p, ip.fi_l3.left,
				out, sizeof(out))
	       : dp_icmp6_error(src, k->type6, k->code6, info, ip.fi_l3.p, ip.fi_l3.left,
				out, sizeof(out));
	if (n <= 0)
		return;
	count(app, DP_C_icmp_errors_sent);
	send_ip(app, out, (size_t)n, v4 ? AF_INET : AF_INET6);
}

static void icmp_error_mbuf(struct app *app, struct rte_mbuf *m,
			    const struct icmp_kind *k, uint32_t info)
{
	static uint8_t buf[CTL_FRAME_MAX];
	size_t len;
	const uint8_t *frame = frame_bytes(m, buf, &len);

	if (frame)
		icmp_error(app, frame, len, app->dp.port_index[m->port], k, info);
}

static void fail_held(struct app *app, uint32_t idx)
{
	struct ctl_hold *h = &app->ctl.c_hold[idx];

	h->h_pending = false;
	for (unsigned i = 0; i < h->h_n; i++) {
		/* RFC 1812 §4.3.3.1: host unreachable when ARP fails. */
		icmp_error_mbuf(app, h->h_mb[i], &ICMP_NO_HOST, 0);
		rte_pktmbuf_free(h->h_mb[i]);
		count(app, DP_C_neigh_unresolved);
	}
	h->h_n = 0;
}

static void neigh_timers(struct app *app)
{
	uint64_t now = rte_rdtsc();

	for (uint32_t idx = 0; idx < app->dp.neigh->nt_count; idx++) {
		struct ctl_hold *h = &app->ctl.c_hold[idx];

		if (!h->h_pending || now < h->h_next_tsc)
			continue;
		if (h->h_tries >= CTL_NEIGH_TRIES)
			fail_held(app, idx);
		else
			solicit(app, idx);
	}
}

/* ---- punted frames ---- */

static void on_arp(struct app *app, unsigned pidx, const uint8_t *frame, size_t len)
{
	struct dp_learn l = { 0 };
	uint8_t out[64];
	int n = dp_arp_input(&app->dp.ports[pidx].pt_if, frame, len, &l, out,
			     sizeof(out));

	count(app, DP_C_arp_in);
	if (n < 0) {
		count(app, DP_C_malformed);
		return;
	}
	learn(app, pidx, &l);
	if (n > 0) {
		send_frame(app, pidx, out, (size_t)n);
		count(app, DP_C_arp_replies);
	}
}

static void count_icmp6_reply(struct app *app, const uint8_t *frame, size_t len)
{
	count(app, frame_ip6_icmp_type(frame, len) == 136 ? DP_C_nd_adverts
							   : DP_C_icmp_echo_replies);
}

static void on_local(struct app *app, unsigned pidx, const uint8_t *frame,
		     size_t len)
{
	static uint8_t out[CTL_FRAME_MAX];
	const struct dp_if *ifp = &app->dp.ports[pidx].pt_if;
	struct dp_learn l = { 0 };
	bool v4 = frame_ethertype(frame, len) == RTE_ETHER_TYPE_IPV4;
	uint8_t type;
	int n;

	if (ike_ctl_input(app, frame, len))
		return;
	if (v4) {
		n = dp_icmp4_input(ifp, frame, len, out, sizeof(out));
	} else {
		n = dp_icmp6_input(ifp, frame, len, &l, out, sizeof(out));
		type = frame_ip6_icmp_type(frame, len);
		if (type == 135 || type == 136) /* neighbour solicitation, advertisement */
			count(app, DP_C_nd_in);
		learn(app, pidx, &l);
	}
	if (n < 0) {
		count(app, DP_C_malformed);
	} else if (n == 0) {
		count(app, DP_C_unhandled);
	} else if (v4 || frame_ip6_icmp_type(out, (size_t)n) == 129) {
		/* An echo reply is routed like anything the box sends: the
		 * request may have come out of a tunnel. */
		count(app, DP_C_icmp_echo_replies);
		send_ip(app, out + DP_ETH_HLEN, (size_t)n - DP_ETH_HLEN,
			v4 ? AF_INET : AF_INET6);
	} else {
		count_icmp6_reply(app, out, (size_t)n);
		send_frame(app, pidx, out, (size_t)n);
	}
}

/* A packet the worker routed whose next hop has no MAC yet. The worker
 * checked it fully; what remains is the hop count and the hold. */
static void on_unresolved(struct app *app, struct rte_mbuf *m)
{
	uint8_t *l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, DP_ETH_HLEN);
	struct frame_ip fi;
	int idx;

	if (!frame_ip(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m), &fi)) {
		count(app, DP_C_malformed);
		rte_pktmbuf_free(m);
		return;
	}
	idx = next_hop_index(app, dp_punt_arg(m), &fi.fi_dst);
	if (idx < 0) {
		rte_pktmbuf_free(m);
		return;
	}
	if (fi.fi_dst.family == AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;
		ip->time_to_live--;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	} else {
		((struct rte_ipv6_hdr *)l3)->hop_limits--;
	}
	send_via(app, (uint32_t)idx, m);
}

static void on_too_big(struct app *app, struct rte_mbuf *m)
{
	icmp_error_mbuf(app, m, &ICMP_TOO_BIG, dp_punt_arg(m));
}

static void handle_punt(struct app *app, struct rte_mbuf *m)
{
	static uint8_t buf[CTL_FRAME_MAX];
	unsigned pidx = app->dp.port_index[m->port];
	const uint8_t *frame;
	size_t len;

	switch (dp_punt_reason(m)) {
	case DP_PUNT_NEIGH:
		on_unresolved(app, m);
		return; /* m handed on */
	case DP_PUNT_TTL:
		icmp_error_mbuf(app, m, &ICMP_TTL, 0);
		break;
	case DP_PUNT_NO_ROUTE:
		icmp_error_mbuf(app, m, &ICMP_NO_ROUTE, 0);
		break;
	case DP_PUNT_TOO_BIG:
		on_too_big(app, m);
		break;
	case DP_PUNT_TRAP:
		traps_packet(app, m);
		return; /* m held or handed on */
	case DP_PUNT_ARP:
	case DP_PUNT_LOCAL:
		frame = frame_bytes(m, buf, &len);
		if (!frame)
			count(app, DP_C_malformed);
		else if (dp_punt_reason(m) == DP_PUNT_ARP)
			on_arp(app, pidx, frame, len);
		else
			on_local(app, pidx, frame, len);
		break;
	}
	rte_pktmbuf_free(m);
}

unsigned control_poll(struct app *app)
{
	struct rte_mbuf *mb[DP_BURST];
	static uint64_t next_timer;
	unsigned n = rte_ring_sc_dequeue_burst(app->dp.punt, (void **)mb, DP_BURST,
					       NULL);

	for (unsigned i = 0; i < n; i++)
		handle_punt(app, mb[i]);
	if (rte_rdtsc() >= next_timer) {
		neigh_timers(app);
		next_timer = rte_rdtsc() + rte_get_tsc_hz() / 10;
	}
	return n;
}

int control_init(struct app *app)
{
	app->ctl.c_hold = calloc(DP_MAX_NEIGH, sizeof(*app->ctl.c_hold));
	if (!app->ctl.c_hold)
		return -ENOMEM;
	app->ctl.c_icmp_tokens = CTL_ICMP_BURST;
	app->ctl.c_icmp_tsc = rte_rdtsc();
	return 0;
}

void control_fini(struct app *app)
{
	struct rte_mbuf *m;

	while (app->dp.punt && rte_ring_dequeue(app->dp.punt, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	if (!app->ctl.c_hold)
		return;
	for (uint32_t idx = 0; idx < DP_MAX_NEIGH; idx++)
		for (unsigned i = 0; i < app->ctl.c_hold[idx].h_n; i++)
			rte_pktmbuf_free(app->ctl.c_hold[idx].h_mb[i]);
	free(app->ctl.c_hold);
	app->ctl.c_hold = NULL;
}
