/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKE datagrams on the control lcore: in from the punt ring (UDP 500, and
 * 4500 behind the non-ESP marker), out through the data plane's ports,
 * never a kernel socket.
 */
#include "ike_ctl.h"

#include <string.h>

#include <rte_cycles.h>

#include "byteorder.h"
#include "frame.h"
#include "l2l3.h"

#define IP4_HLEN 20
#define IP6_HLEN 40
#define UDP_HLEN 8
#define NON_ESP_MARKER 4 /* RFC 3948 §2.2: four zero bytes before IKE on 4500 */
#define IKE_TTL 64
/* Shorter IP packets are never taken as IKE (the smallest IKE datagram,
 * a bare header in IPv4 and UDP, has 20 + 8 + 28 bytes). */
#define IKE_MIN_IP 40

/* ---- datagrams out: IP | UDP | [non-ESP marker] | IKE ---- */

/* RFC 768 and RFC 8200 §8.1: over the pseudo-header and the datagram. */
static uint16_t udp_checksum(const struct ip_addr *src, const struct ip_addr *dst,
			     const uint8_t *udp, size_t ulen)
{
	uint8_t pseudo[IP6_HLEN];
	size_t n = ip_addr_len(src), plen;
	uint32_t sum;

	memcpy(pseudo, src->bytes, n);
	memcpy(pseudo + n, dst->bytes, n);
	if (src->family == AF_INET) {
		be16_put(pseudo + 8, IPPROTO_UDP);
		be16_put(pseudo + 10, (uint16_t)ulen);
		plen = 12;
	} else {
		be32_put(pseudo + 32, (uint32_t)ulen);
		be32_put(pseudo + 36, IPPROTO_UDP);
		plen = 40;
	}
	sum = dp_csum_add(dp_csum_add(0, pseudo, plen), udp, ulen);
	sum = (uint16_t)~dp_csum_fold(sum);
	return sum ? (uint16_t)sum : 0xffff;
}

/* The IP header before a UDP datagram of ulen bytes; the header's bytes
 * are zero on entry. */
static void ip_header(uint8_t *pkt, const struct ip_addr *src, const struct ip_addr *dst,
		      size_t ulen)
{
	if (src->family == AF_INET) {
		pkt[0] = 0x45; /* version 4, 5 words */
		be16_put(pkt + 2, (uint16_t)(IP4_HLEN + ulen));
		pkt[8] = IKE_TTL;
		pkt[9] = IPPROTO_UDP;
		memcpy(pkt + 12, src->bytes, 4);
		memcpy(pkt + 16, dst->bytes, 4);
		be16_put(pkt + 10, (uint16_t)~dp_csum_fold(dp_csum_add(0, pkt, IP4_HLEN)));
	} else {
		pkt[0] = 0x60; /* version 6 */
		be16_put(pkt + 4, (uint16_t)ulen);
		pkt[6] = IPPROTO_UDP;
		pkt[7] = IKE_TTL;
		memcpy(pkt + 8, src->bytes, 16);
		memcpy(pkt + 24, dst->bytes, 16);
	}
}

static void send_udp(struct ike_ctl *ic, const struct ike_endpoint *local,
		     const struct ike_endpoint *remote, const uint8_t *buf, size_t len,
		     size_t marker)
{
	static uint8_t pkt[IP6_HLEN + UDP_HLEN + NON_ESP_MARKER + 65535];
	bool v4 = local->ep_addr.family == AF_INET;
	size_t hl = v4 ? IP4_HLEN : IP6_HLEN;
	size_t ulen = UDP_HLEN + marker + len;
	uint8_t *udp = pkt + hl;

	if (ulen + hl > sizeof(pkt) || remote->ep_addr.family != local->ep_addr.family)
		return;
	memset(pkt, 0, hl + UDP_HLEN + marker);
	ip_header(pkt, &local->ep_addr, &remote->ep_addr, ulen);
	be16_put(udp, local->ep_port);
	be16_put(udp + 2, remote->ep_port);
	be16_put(udp + 4, (uint16_t)ulen);
	memcpy(udp + UDP_HLEN + marker, buf, len);
	be16_put(udp + 6, udp_checksum(&local->ep_addr, &remote->ep_addr, udp, ulen));
	control_send_ip(ic->ic_app, pkt, hl + ulen, v4 ? AF_INET : AF_INET6, true);
}

void ike_io_send(void *ctx, const struct ike_endpoint *local,
		 const struct ike_endpoint *remote, const uint8_t *buf, size_t len)
{
	struct ike_ctl *ic = ctx;

	send_udp(ic, local, remote, buf, len,
		 local->ep_port == ic->ic_app->cfg.ike_natt_port ? NON_ESP_MARKER : 0);
}

/* RFC 3948 §2.3: one 0xFF byte keeps a NAT's mapping. */
void ike_io_keepalive(void *ctx, const struct ike_endpoint *local,
		      const struct ike_endpoint *remote)
{
	static const uint8_t ka = 0xff;

	send_udp(ctx, local, remote, &ka, 1, 0);
}

/* ---- datagrams in ---- */

/* The UDP datagram at c: its ports, and *payload what it carries. */
static bool udp_read(struct cursor c, uint16_t *sport, uint16_t *dport,
		     struct cursor *payload)
{
	uint16_t ulen;

	return cursor_be16(&c, sport) && cursor_be16(&c, dport) && cursor_be16(&c, &ulen) &&
	       cursor_skip(&c, 2) /* checksum */ && ulen >= UDP_HLEN &&
	       cursor_sub(&c, ulen - UDP_HLEN, payload);
}

bool ike_ctl_input(struct app *app, const uint8_t *frame, size_t len)
{
	struct ike_ctl *ic = app->ike;
	struct ike_endpoint local = { 0 }, remote = { 0 };
	struct frame_ip ip;
	struct cursor ike;
	uint32_t marker;

	if (!ic || len < DP_ETH_HLEN + IKE_MIN_IP || !frame_ip(frame, len, &ip) ||
	    ip.fi_proto != IPPROTO_UDP ||
	    !udp_read(ip.fi_payload, &remote.ep_port, &local.ep_port, &ike))
		return false;
	if (local.ep_port == app->cfg.ike_natt_port) {
		if (!cursor_be32(&ike, &marker) || marker != 0)
			return false; /* not IKE: no non-ESP marker */
	} else if (local.ep_port != app->cfg.ike_port) {
		return false;
	}
	local.ep_addr = ip.fi_dst;
	remote.ep_addr = ip.fi_src;
	ic->ic_input_tsc = rte_rdtsc();
	ike_engine_set_input_stamp(ic->ic_engine, ic->ic_input_tsc);
	ike_engine_input(ic->ic_engine, &local, &remote, ike.p, ike.left, eg_now_ms());
	ike_engine_set_input_stamp(ic->ic_engine, 0);
	ic->ic_input_tsc = 0;
	return true;
}
