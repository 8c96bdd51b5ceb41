/* SPDX-License-Identifier: BSD-3-Clause */
#include "l2l3.h"

#include <errno.h>
#include <string.h>

#include "byteorder.h"
#include "cursor.h"

enum {
	ETYPE_IP4 = 0x0800,
	ETYPE_ARP = 0x0806,
	ETYPE_IP6 = 0x86dd,

	ARP_HTYPE_ETH = 1,
	ARP_OP_REQUEST = 1,
	ARP_OP_REPLY = 2,

	PROTO_ICMP = 1,
	PROTO_ICMP6 = 58,
	IP6_EXT_HOPOPTS = 0,
	IP6_EXT_ROUTING = 43,
	IP6_EXT_FRAGMENT = 44,
	IP6_EXT_DSTOPTS = 60,
	IP6_MAX_EXT = 8, /* extension headers walked before giving up */

	IP4_HLEN = 20,
	IP6_HLEN = 40,
	ICMP_HLEN = 8, /* type, code, checksum, one word */
	ND_HLEN = 24,  /* ICMP header and target address, RFC 4861 §4.3 */
	ND_OPT_LLA_LEN = 8,
	ND_OPT_UNIT = 8,

	ICMP4_ECHO_REPLY = 0,
	ICMP4_UNREACH = 3,
	ICMP4_UNREACH_NEEDFRAG = 4,
	ICMP4_REDIRECT = 5,
	ICMP4_ECHO = 8,
	ICMP4_PARAMPROB = 12,

	ICMP6_TOO_BIG = 2,
	ICMP6_PARAMPROB = 4,
	ICMP6_PARAMPROB_OPTION = 2,
	ICMP6_INFO_MIN = 128, /* RFC 4443 §2.1: types below are errors */
	ICMP6_ECHO = 128,
	ICMP6_ECHO_REPLY = 129,
	ND_NS = 135,
	ND_NA = 136,
	ND_OPT_SLLA = 1,
	ND_OPT_TLLA = 2,
	NA_FLAG_R = 0x80,
	NA_FLAG_S = 0x40,
	NA_FLAG_O = 0x20,

	ND_HOP_LIMIT = 255,
	REPLY_TTL = 64,
	TOS_INTERNETWORK_CONTROL = 0xc0, /* RFC 1812 §4.3.2.5 */
	IP4_FLAG_MF = 0x2000,
	IP4_FRAG_OFFSET = 0x1fff,

	ICMP4_ERR_MAX = 576,  /* RFC 1812 §4.3.2.3 */
	ICMP6_ERR_MAX = 1280, /* RFC 4443 §2.4(c) */
};

static const uint8_t mac_broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac_zero[6];
static const uint8_t mac_all_nodes[6] = { 0x33, 0x33, 0, 0, 0, 1 };
static const uint8_t ip6_all_nodes[16] = { 0xff, 0x02, [15] = 1 };
/* ff02::1:ff00:0/104, RFC 4291 §2.7.1 */
static const uint8_t ip6_snm_prefix[13] = { 0xff, 0x02, [11] = 1, [12] = 0xff };

/* ---- addresses ---- */

static struct ip_addr addr_v4(const uint8_t b[4])
{
	struct ip_addr a = { .family = AF_INET };

	memcpy(a.bytes, b, 4);
	return a;
}

static struct ip_addr addr_v6(const uint8_t b[16])
{
	struct ip_addr a = { .family = AF_INET6 };

	memcpy(a.bytes, b, 16);
	return a;
}

static bool mac_is_unicast(const uint8_t m[6])
{
	return !(m[0] & 1) && memcmp(m, mac_zero, 6) != 0;
}

/* RFC 1812 §4.3.2.7, §5.3.7: 0/8, 127/8, multicast and class E (which
 * holds 255.255.255.255) do not name a single host. */
static bool ip4_is_single_host(const uint8_t a[4])
{
	return a[0] != 0 && a[0] != 127 && a[0] < 224;
}

static bool ip4_is_multicast_or_bcast(const uint8_t a[4])
{
	static const uint8_t bcast[4] = { 0xff, 0xff, 0xff, 0xff };

	return (a[0] & 0xf0) == 0xe0 || memcmp(a, bcast, 4) == 0;
}

static bool ip6_is_multicast(const uint8_t a[16])
{
	return a[0] == 0xff;
}

static bool ip6_is_unspecified(const uint8_t a[16])
{
	static const uint8_t zero[16];

	return memcmp(a, zero, 16) == 0;
}

static bool ip6_is_solicited_node(const uint8_t a[16])
{
	return memcmp(a, ip6_snm_prefix, sizeof(ip6_snm_prefix)) == 0;
}

static unsigned if_n_addrs(const struct dp_if *ifp)
{
	return ifp->n_addrs < DP_MAX_ADDRS ? ifp->n_addrs : DP_MAX_ADDRS;
}

bool dp_if_owns(const struct dp_if *ifp, const struct ip_addr *a)
{
	for (unsigned i = 0; i < if_n_addrs(ifp); i++)
		if (ip_addr_equal(&ifp->addrs[i].addr, a))
			return true;
	return false;
}

const struct ip_addr *dp_if_first_addr(const struct dp_if *ifp, int family)
{
	for (unsigned i = 0; i < if_n_addrs(ifp); i++)
		if (ifp->addrs[i].addr.family == family)
			return &ifp->addrs[i].addr;
	return NULL;
}

const struct ip_addr *dp_if_source_for(const struct dp_if *ifp,
				       const struct ip_addr *peer)
{
	for (unsigned i = 0; i < if_n_addrs(ifp); i++)
		if (ip_prefix_contains(&ifp->addrs[i], peer))
			return &ifp->addrs[i].addr;
	return dp_if_first_addr(ifp, peer->family);
}

static bool if_on_link(const struct dp_if *ifp, const struct ip_addr *a)
{
	for (unsigned i = 0; i < if_n_addrs(ifp); i++)
		if (ip_prefix_contains(&ifp->addrs[i], a))
			return true;
	return false;
}

static void learn_clear(struct dp_learn *learn)
{
	if (learn)
		memset(learn, 0, sizeof(*learn));
}

/* A group or all-zero link-layer address is never cached (RFC 1812 §3.3.2). */
static void learn_neighbour(struct dp_learn *learn, const struct ip_addr *ip,
			    const uint8_t mac[6])
{
	if (!learn || !mac_is_unicast(mac))
		return;
	learn->valid = true;
	learn->ip = *ip;
	memcpy(learn->mac, mac, 6);
}

/* ---- checksums, RFC 1071 ---- */

static uint32_t csum_fold64(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

uint32_t dp_csum_add(uint32_t sum, const uint8_t *buf, size_t len)
{
	uint64_t s = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)buf[i] << 8 | buf[i + 1];
	/* RFC 1071 §4.1: an odd last byte is padded with a zero byte */
	if (len & 1)
		s += (uint32_t)buf[len - 1] << 8;
	return csum_fold64(s);
}

uint16_t dp_csum_fold(uint32_t sum)
{
	return (uint16_t)csum_fold64(sum);
}

static uint32_t csum_cursor(uint32_t sum, struct cursor c)
{
	return dp_csum_add(sum, c.p, c.left);
}

/* A region whose checksum field is included sums to all ones. */
static bool csum_ok(uint32_t sum)
{
	return dp_csum_fold(sum) == 0xffff;
}

/* RFC 8200 §8.1 pseudo-header; 'len' fits 16 bits here, no jumbograms. */
static uint32_t csum_ip6_pseudo(const uint8_t src[16], const uint8_t dst[16],
				size_t len, uint8_t nh)
{
	uint8_t tail[8] = { 0, 0, (uint8_t)(len >> 8), (uint8_t)len, 0, 0, 0, nh };
	uint32_t sum = dp_csum_add(0, src, 16);

	sum = dp_csum_add(sum, dst, 16);
	return dp_csum_add(sum, tail, sizeof(tail));
}

/* ---- output buffer: writes stop at cap and the result becomes -ENOSPC ---- */

struct wbuf {
	uint8_t *p;
	size_t cap;
	size_t len;
	bool full;
};

static struct wbuf wbuf_make(uint8_t *out, size_t cap)
{
	struct wbuf w = { .p = out, .cap = out ? cap : 0 };
	return w;
}

static void w_bytes(struct wbuf *w, const void *src, size_t n)
{
	if (w->full || w->cap - w->len < n) {
		w->full = true;
		return;
	}
	if (n)
		memcpy(w->p + w->len, src, n);
	w->len += n;
}

static void w_zero(struct wbuf *w, size_t n)
{
	if (w->full || w->cap - w->len < n) {
		w->full = true;
		return;
	}
	memset(w->p + w->len, 0, n);
	w->len += n;
}

static void w_u8(struct wbuf *w, uint8_t v)
{
	w_bytes(w, &v, 1);
}

static void w_be16(struct wbuf *w, uint16_t v)
{
	uint8_t b[2];

	be16_put(b, v);
	w_bytes(w, b, 2);
}

static void w_be32(struct wbuf *w, uint32_t v)
{
	uint8_t b[4];

	be32_put(b, v);
	w_bytes(w, b, 4);
}

static void w_cursor(struct wbuf *w, struct cursor c)
{
	w_bytes(w, c.p, c.left);
}

static uint32_t w_csum_from(const struct wbuf *w, size_t from, uint32_t seed)
{
	return w->full ? 0 : dp_csum_add(seed, w->p + from, w->len - from);
}

/* Stores the inverted checksum of everything written since 'from' into
 * the 16-bit field at 'at'. */
static void w_put_csum(struct wbuf *w, size_t at, size_t from, uint32_t seed)
{
	uint16_t v;

	if (w->full || at + 2 > w->len)
		return;
	v = (uint16_t)~dp_csum_fold(w_csum_from(w, from, seed));
	be16_put(w->p + at, v);
}

static int w_result(const struct wbuf *w)
{
	return w->full ? -ENOSPC : (int)w->len;
}

/* ---- Ethernet ---- */

struct eth_hdr {
	uint8_t dst[6];
	uint8_t src[6];
	uint16_t type;
};

/* Ethernet II only: a VLAN tag or an 802.3 length is just another type. */
static bool eth_parse(struct cursor *c, struct eth_hdr *e, uint16_t want)
{
	return cursor_bytes(c, e->dst, 6) && cursor_bytes(c, e->src, 6) &&
	       cursor_be16(c, &e->type) && e->type == want;
}

static void w_eth(struct wbuf *w, const uint8_t dst[6], const uint8_t src[6],
		  uint16_t type)
{
	w_bytes(w, dst, 6);
	w_bytes(w, src, 6);
	w_be16(w, type);
}

/* ---- ARP, RFC 826 ---- */

struct arp_msg {
	uint16_t op;
	uint8_t sha[6];
	uint8_t spa[4];
	uint8_t tha[6];
	uint8_t tpa[4];
};

/* Trailing bytes (Ethernet padding to 60) are left unread. */
static int arp_parse(struct cursor *c, struct arp_msg *m)
{
	uint16_t htype, ptype;
	uint8_t hlen, plen;

	if (!cursor_be16(c, &htype) || !cursor_be16(c, &ptype) ||
	    !cursor_u8(c, &hlen) || !cursor_u8(c, &plen) ||
	    !cursor_be16(c, &m->op))
		return -EINVAL;
	if (htype != ARP_HTYPE_ETH || ptype != ETYPE_IP4 || hlen != 6 ||
	    plen != 4)
		return -EINVAL;
	if (!cursor_bytes(c, m->sha, 6) || !cursor_bytes(c, m->spa, 4) ||
	    !cursor_bytes(c, m->tha, 6) || !cursor_bytes(c, m->tpa, 4))
		return -EINVAL;
	if (m->op != ARP_OP_REQUEST && m->op != ARP_OP_REPLY)
		return -EINVAL;
	/* RFC 1812 §3.3.2: a sender claiming a group address is bogus */
	if (!mac_is_unicast(m->sha))
		return -EINVAL;
	return 0;
}

static bool arp_sender_learnable(const struct dp_if *ifp,
				 const struct ip_addr *spa)
{
	static const uint8_t any[4];

	/* 0.0.0.0 is an RFC 5227 probe; our own address is a conflict */
	return memcmp(spa->bytes, any, 4) != 0 && !dp_if_owns(ifp, spa) &&
	       if_on_link(ifp, spa);
}

static int arp_build(const struct dp_if *ifp, uint16_t op,
		     const uint8_t eth_dst[6], const uint8_t tha[6],
		     const struct ip_addr *spa, const struct ip_addr *tpa,
		     uint8_t *out, size_t cap)
{
	struct wbuf w = wbuf_make(out, cap);

	if (spa->family != AF_INET || tpa->family != AF_INET)
		return -EINVAL;
	w_eth(&w, eth_dst, ifp->mac, ETYPE_ARP);
	w_be16(&w, ARP_HTYPE_ETH);
	w_be16(&w, ETYPE_IP4);
	w_u8(&w, 6);
	w_u8(&w, 4);
	w_be16(&w, op);
	w_bytes(&w, ifp->mac, 6);
	w_bytes(&w, spa->bytes, 4);
	w_bytes(&w, tha, 6);
	w_bytes(&w, tpa->bytes, 4);
	return w_result(&w);
}

int dp_arp_input(const struct dp_if *ifp, const uint8_t *frame, size_t len,
		 struct dp_learn *learn, uint8_t *out, size_t cap)
{
	struct cursor c = cursor_make(frame, len);
	struct eth_hdr eh;
	struct arp_msg m;
	struct ip_addr spa, tpa;

	learn_clear(learn);
	if (!eth_parse(&c, &eh, ETYPE_ARP) || arp_parse(&c, &m) < 0)
		return -EINVAL;
	spa = addr_v4(m.spa);
	tpa = addr_v4(m.tpa);
	/* Requests and replies alike, gratuitous ones included. */
	if (arp_sender_learnable(ifp, &spa))
		learn_neighbour(learn, &spa, m.sha);
	if (m.op != ARP_OP_REQUEST || !dp_if_owns(ifp, &tpa))
		return 0;
	return arp_build(ifp, ARP_OP_REPLY, m.sha, m.sha, &tpa, &spa, out, cap);
}

int dp_arp_request(const struct dp_if *ifp, const struct ip_addr *src,
		   const struct ip_addr *target, uint8_t *out, size_t cap)
{
	return arp_build(ifp, ARP_OP_REQUEST, mac_broadcast, mac_zero, src,
			 target, out, cap);
}

/* ---- IPv4 ---- */

struct ip4_hdr {
	uint8_t tos;
	uint16_t tot_len;
	uint16_t id;
	uint16_t frag;
	uint8_t ttl;
	uint8_t proto;
	uint8_t src[4];
	uint8_t dst[4];
};

static int ip4_parse_fixed(struct cursor *hdr, struct ip4_hdr *h)
{
	uint8_t vihl;
	uint16_t csum;

	if (!cursor_u8(hdr, &vihl) || !cursor_u8(hdr, &h->tos) ||
	    !cursor_be16(hdr, &h->tot_len) || !cursor_be16(hdr, &h->id) ||
	    !cursor_be16(hdr, &h->frag) || !cursor_u8(hdr, &h->ttl) ||
	    !cursor_u8(hdr, &h->proto) || !cursor_be16(hdr, &csum) ||
	    !cursor_bytes(hdr, h->src, 4) || !cursor_bytes(hdr, h->dst, 4))
		return -EINVAL;
	return 0;
}

/*
 * RFC 1812 §5.2.2 header checks. *pkt is the datagram as its total length
 * says (link padding beyond it dropped), *payload what follows the header
 * and its options.
 */
static int ip4_parse(struct cursor in, struct ip4_hdr *h, struct cursor *pkt,
		     struct cursor *payload)
{
	struct cursor peek = in, hdr;
	uint8_t vihl;
	size_t hlen;

	if (!cursor_u8(&peek, &vihl) || vihl >> 4 != 4 || (vihl & 0xf) < 5)
		return -EINVAL;
	hlen = (size_t)(vihl & 0xf) * 4;
	peek = in;
	if (!cursor_sub(&peek, hlen, &hdr) || !csum_ok(csum_cursor(0, hdr)))
		return -EINVAL;
	if (ip4_parse_fixed(&hdr, h) < 0 || h->tot_len < hlen)
		return -EINVAL;
	if (!cursor_sub(&in, h->tot_len, pkt))
		return -EINVAL;
	*payload = *pkt;
	cursor_skip(payload, hlen);
	return 0;
}

static bool ip4_is_fragment(const struct ip4_hdr *h)
{
	return (h->frag & (IP4_FLAG_MF | IP4_FRAG_OFFSET)) != 0;
}

struct ip4_out {
	uint8_t tos;
	uint16_t tot_len;
	uint16_t id;
	uint8_t proto;
	const uint8_t *src;
	const uint8_t *dst;
};

/* A 20-byte header, no options, DF clear, TTL 64, checksum filled in. */
static void w_ip4_hdr(struct wbuf *w, const struct ip4_out *o)
{
	size_t at = w->len;

	w_u8(w, 0x45);
	w_u8(w, o->tos);
	w_be16(w, o->tot_len);
	w_be16(w, o->id);
	w_be16(w, 0);
	w_u8(w, REPLY_TTL);
	w_u8(w, o->proto);
	w_be16(w, 0);
	w_bytes(w, o->src, 4);
	w_bytes(w, o->dst, 4);
	w_put_csum(w, at + 10, at, 0);
}

/*
 * RFC 792 echo reply: the request's identifier, sequence and data back,
 * from the address it was sent to. Options are not reflected; the IP id
 * and TOS are the request's (the reply is never larger, so never
 * fragmented by us).
 */
static int icmp4_echo_reply(const struct dp_if *ifp, const struct eth_hdr *eh,
			    const struct ip4_hdr *req, struct cursor icmp,
			    uint8_t *out, size_t cap)
{
	struct wbuf w = wbuf_make(out, cap);
	size_t at;
	struct ip4_out o = {
		.tos = req->tos, .tot_len = (uint16_t)(IP4_HLEN + icmp.left),
		.id = req->id, .proto = PROTO_ICMP,
		.src = req->dst, .dst = req->src,
	};

	cursor_skip(&icmp, 4); /* type, code and checksum are rewritten */
	w_eth(&w, eh->src, ifp->mac, ETYPE_IP4);
	w_ip4_hdr(&w, &o);
	at = w.len;
	w_u8(&w, ICMP4_ECHO_REPLY);
	w_u8(&w, 0);
	w_be16(&w, 0);
	w_cursor(&w, icmp);
	w_put_csum(&w, at + 2, at, 0);
	return w_result(&w);
}

int dp_icmp4_input(const struct dp_if *ifp, const uint8_t *frame, size_t len,
		   uint8_t *out, size_t cap)
{
	struct cursor c = cursor_make(frame, len), pkt, icmp, peek;
	struct eth_hdr eh;
	struct ip4_hdr ih;
	struct ip_addr dst;
	uint8_t type;
	int rc;

	if (!eth_parse(&c, &eh, ETYPE_IP4))
		return -EINVAL;
	rc = ip4_parse(c, &ih, &pkt, &icmp);
	if (rc < 0)
		return rc;
	dst = addr_v4(ih.dst);
	/* We do not reassemble: a fragmented echo request goes unanswered. */
	if (!dp_if_owns(ifp, &dst) || ih.proto != PROTO_ICMP ||
	    ip4_is_fragment(&ih))
		return 0;
	if (icmp.left < ICMP_HLEN || !csum_ok(csum_cursor(0, icmp)))
		return -EINVAL;
	peek = icmp;
	if (!cursor_u8(&peek, &type) || type != ICMP4_ECHO || !ip4_is_single_host(ih.src))
		return 0;
	return icmp4_echo_reply(ifp, &eh, &ih, icmp, out, cap);
}

/* RFC 792 queries and their replies; every other type is an error. */
static bool icmp4_is_query(uint8_t type)
{
	switch (type) {
	case 0: case 8: case 13: case 14: case 15: case 16: case 17: case 18:
		return true;
	default:
		return false;
	}
}

/* RFC 1812 §4.3.2.7: the packets no ICMP error may be sent about. */
static bool icmp4_error_allowed(const struct ip4_hdr *h, struct cursor payload)
{
	uint8_t type;

	if ((h->frag & IP4_FRAG_OFFSET) != 0)
		return false;
	if (!ip4_is_single_host(h->src) || ip4_is_multicast_or_bcast(h->dst))
		return false;
	if (h->proto != PROTO_ICMP)
		return true;
	/* An ICMP packet too short to tell its type is not answered either. */
	return cursor_u8(&payload, &type) && icmp4_is_query(type);
}

/* The second word of the ICMP header. */
static uint32_t icmp4_error_word(uint8_t type, uint8_t code, uint32_t info)
{
	if (type == ICMP4_UNREACH && code == ICMP4_UNREACH_NEEDFRAG)
		return info & 0xffff; /* RFC 1191 §4: next-hop MTU */
	if (type == ICMP4_PARAMPROB)
		return (info & 0xff) << 24; /* RFC 792: pointer */
	if (type == ICMP4_REDIRECT)
		return info; /* RFC 792: gateway address */
	return 0;
}

int dp_icmp4_error(const struct ip_addr *src, uint8_t type, uint8_t code,
		   uint32_t info, const uint8_t *orig, size_t orig_len,
		   uint8_t *out, size_t cap)
{
	/* RFC 1812 §4.3.2.3: as much of the original as fits in 576 bytes */
	const size_t room = ICMP4_ERR_MAX - IP4_HLEN - ICMP_HLEN;
	struct cursor pkt, payload, quote;
	struct ip4_hdr ih;
	struct wbuf w = wbuf_make(out, cap);
	struct ip4_out o = { .tos = TOS_INTERNETWORK_CONTROL, .proto = PROTO_ICMP };
	size_t at;
	int rc;

	if (src->family != AF_INET)
		return -EINVAL;
	rc = ip4_parse(cursor_make(orig, orig_len), &ih, &pkt, &payload);
	if (rc < 0)
		return rc;
	if (!icmp4_error_allowed(&ih, payload))
		return 0;
	cursor_sub(&pkt, pkt.left < room ? pkt.left : room, &quote);
	o.tot_len = (uint16_t)(IP4_HLEN + ICMP_HLEN + quote.left);
	o.id = ih.id; /* stateless; the protocol differs from orig's, mostly */
	o.src = src->bytes;
	o.dst = ih.src;
	w_ip4_hdr(&w, &o);
	at = w.len;
	w_u8(&w, type);
	w_u8(&w, code);
	w_be16(&w, 0);
	w_be32(&w, icmp4_error_word(type, code, info));
	w_cursor(&w, quote);
	w_put_csum(&w, at + 2, at, 0);
	return w_result(&w);
}

/* ---- IPv6 ---- */

struct ip6_hdr {
	uint8_t tc;
	uint16_t plen;
	uint8_t nh;
	uint8_t hop;
	uint8_t src[16];
	uint8_t dst[16];
};

/* *pkt is header and payload as the payload length says, *payload the
 * payload alone; link padding beyond them is dropped. */
static int ip6_parse(struct cursor in, struct ip6_hdr *h, struct cursor *pkt,
		     struct cursor *payload)
{
	struct cursor c = in;
	uint32_t vtf;

	if (!cursor_be32(&c, &vtf) || !cursor_be16(&c, &h->plen) ||
	    !cursor_u8(&c, &h->nh) || !cursor_u8(&c, &h->hop) ||
	    !cursor_bytes(&c, h->src, 16) || !cursor_bytes(&c, h->dst, 16))
		return -EINVAL;
	if (vtf >> 28 != 6)
		return -EINVAL;
	h->tc = (uint8_t)(vtf >> 20);
	if (!cursor_sub(&c, h->plen, payload) ||
	    !cursor_sub(&in, IP6_HLEN + (size_t)h->plen, pkt))
		return -EINVAL;
	return 0;
}

struct ip6_out {
	uint8_t tc;
	uint8_t hop;
	const uint8_t *src;
	const uint8_t *dst;
};

/* Writes the header; the payload length is patched by w_icmp6_finish. */
static void w_ip6_hdr(struct wbuf *w, const struct ip6_out *o)
{
	w_be32(w, 6u << 28 | (uint32_t)o->tc << 20);
	w_be16(w, 0);
	w_u8(w, PROTO_ICMP6);
	w_u8(w, o->hop);
	w_bytes(w, o->src, 16);
	w_bytes(w, o->dst, 16);
}

/* Fills in the payload length of the header at 'ip' and the checksum of
 * the ICMPv6 message that follows it (RFC 4443 §2.3). */
static void w_icmp6_finish(struct wbuf *w, size_t ip, const struct ip6_out *o)
{
	size_t icmp = ip + IP6_HLEN, plen;

	if (w->full)
		return;
	plen = w->len - icmp;
	be16_put(w->p + ip + 4, (uint16_t)plen);
	w_put_csum(w, icmp + 2, icmp,
		   csum_ip6_pseudo(o->src, o->dst, plen, PROTO_ICMP6));
}

struct nd_msg {
	uint8_t flags;
	uint8_t target[16];
	bool has_lla;
	uint8_t lla[6];
};

/* RFC 4861 §4.6: every option has a non-zero length and fits. Only the
 * Ethernet form of the link-layer option counts (RFC 2464 §6). */
static int nd_parse_options(struct cursor c, uint8_t want, struct nd_msg *nd)
{
	nd->has_lla = false;
	while (c.left > 0) {
		struct cursor body;
		uint8_t type, units;

		if (!cursor_u8(&c, &type) || !cursor_u8(&c, &units) ||
		    units == 0 ||
		    !cursor_sub(&c, (size_t)units * ND_OPT_UNIT - 2, &body))
			return -EINVAL;
		if (type == want && units * ND_OPT_UNIT == ND_OPT_LLA_LEN &&
		    !nd->has_lla)
			nd->has_lla = cursor_bytes(&body, nd->lla, 6);
	}
	return 0;
}

/* RFC 4861 §7.1.1 and §7.1.2 checks shared by NS and NA; the checksum
 * was verified by the caller. */
static int nd_parse(const struct ip6_hdr *ih, struct cursor msg,
		    uint8_t lla_type, struct nd_msg *nd)
{
	uint8_t type, code;
	uint16_t csum;

	if (ih->hop != ND_HOP_LIMIT || msg.left < ND_HLEN)
		return -EINVAL;
	if (!cursor_u8(&msg, &type) || !cursor_u8(&msg, &code) ||
	    !cursor_be16(&msg, &csum) || !cursor_u8(&msg, &nd->flags) ||
	    !cursor_skip(&msg, 3) || !cursor_bytes(&msg, nd->target, 16))
		return -EINVAL;
	if (code != 0 || ip6_is_multicast(nd->target))
		return -EINVAL;
	return nd_parse_options(msg, lla_type, nd);
}

struct nd_out {
	uint8_t type;
	uint8_t flags;
	uint8_t opt; /* ND_OPT_SLLA, ND_OPT_TLLA or 0 for none */
	const uint8_t *eth_dst;
	const uint8_t *target;
};

/* An NS or NA (RFC 4861 §4.3, §4.4), hop limit 255. */
static int nd_build(const struct dp_if *ifp, const struct nd_out *n,
		    const struct ip6_out *o, uint8_t *out, size_t cap)
{
	struct wbuf w = wbuf_make(out, cap);
	size_t ip;

	w_eth(&w, n->eth_dst, ifp->mac, ETYPE_IP6);
	ip = w.len;
	w_ip6_hdr(&w, o);
	w_u8(&w, n->type);
	w_u8(&w, 0);
	w_be16(&w, 0);
	w_u8(&w, n->flags);
	w_zero(&w, 3);
	w_bytes(&w, n->target, 16);
	if (n->opt) {
		w_u8(&w, n->opt);
		w_u8(&w, ND_OPT_LLA_LEN / ND_OPT_UNIT);
		w_bytes(&w, ifp->mac, 6);
	}
	w_icmp6_finish(&w, ip, o);
	return w_result(&w);
}

/* RFC 4861 §7.2.4: answer to the solicitor, or to all nodes for DAD. */
static int nd_na_reply(const struct dp_if *ifp, const struct eth_hdr *eh,
		       const struct ip6_hdr *ih, const struct nd_msg *ns,
		       uint8_t *out, size_t cap)
{
	bool dad = ip6_is_unspecified(ih->src);
	struct nd_out n = {
		.type = ND_NA, .opt = ND_OPT_TLLA, .target = ns->target,
		.flags = NA_FLAG_R | NA_FLAG_O | (dad ? 0 : NA_FLAG_S),
		.eth_dst = dad ? mac_all_nodes : eh->src,
	};
	struct ip6_out o = {
		.hop = ND_HOP_LIMIT, .src = ns->target,
		.dst = dad ? ip6_all_nodes : ih->src,
	};

	return nd_build(ifp, &n, &o, out, cap);
}

static int nd_ns_input(const struct dp_if *ifp, const struct eth_hdr *eh,
		       const struct ip6_hdr *ih, struct cursor msg,
		       struct dp_learn *learn, uint8_t *out, size_t cap)
{
	bool dad = ip6_is_unspecified(ih->src);
	struct ip_addr target, src;
	struct nd_msg ns;
	int rc;

	rc = nd_parse(ih, msg, ND_OPT_SLLA, &ns);
	if (rc < 0)
		return rc;
	/* RFC 4861 §7.1.1: DAD goes to a solicited-node group, without SLLA */
	if (dad && (!ip6_is_solicited_node(ih->dst) || ns.has_lla))
		return -EINVAL;
	target = addr_v6(ns.target);
	/* RFC 4861 §7.2.3: an NS for another target is silently discarded */
	if (!dp_if_owns(ifp, &target))
		return 0;
	src = addr_v6(ih->src);
	if (!dad && ns.has_lla)
		learn_neighbour(learn, &src, ns.lla);
	return nd_na_reply(ifp, eh, ih, &ns, out, cap);
}

static int nd_na_input(const struct dp_if *ifp, const struct ip6_hdr *ih,
		       struct cursor msg, struct dp_learn *learn)
{
	struct ip_addr target;
	struct nd_msg na;
	int rc;

	rc = nd_parse(ih, msg, ND_OPT_TLLA, &na);
	if (rc < 0)
		return rc;
	/* RFC 4861 §7.1.2 */
	if (ip6_is_multicast(ih->dst) && (na.flags & NA_FLAG_S))
		return -EINVAL;
	target = addr_v6(na.target);
	/* An NA for our own address is someone else's DAD conflict. */
	if (na.has_lla && !dp_if_owns(ifp, &target))
		learn_neighbour(learn, &target, na.lla);
	return 0;
}

/* RFC 4443 §4.2: identifier, sequence and data echoed back. */
static int icmp6_echo_reply(const struct dp_if *ifp, const struct eth_hdr *eh,
			    const struct ip6_hdr *ih, struct cursor msg,
			    uint8_t *out, size_t cap)
{
	struct wbuf w = wbuf_make(out, cap);
	struct ip6_out o = {
		.tc = ih->tc, .hop = REPLY_TTL, .src = ih->dst, .dst = ih->src,
	};
	struct ip_addr dst = addr_v6(ih->dst);
	size_t ip;

	if (!dp_if_owns(ifp, &dst) || ip6_is_unspecified(ih->src))
		return 0;
	if (msg.left < ICMP_HLEN)
		return -EINVAL;
	cursor_skip(&msg, 4); /* type, code and checksum are rewritten */
	w_eth(&w, eh->src, ifp->mac, ETYPE_IP6);
	ip = w.len;
	w_ip6_hdr(&w, &o);
	w_u8(&w, ICMP6_ECHO_REPLY);
	w_u8(&w, 0);
	w_be16(&w, 0);
	w_cursor(&w, msg);
	w_icmp6_finish(&w, ip, &o);
	return w_result(&w);
}

int dp_icmp6_input(const struct dp_if *ifp, const uint8_t *frame, size_t len,
		   struct dp_learn *learn, uint8_t *out, size_t cap)
{
	struct cursor c = cursor_make(frame, len), pkt, msg, peek;
	struct eth_hdr eh;
	struct ip6_hdr ih;
	uint8_t type;
	int rc;

	learn_clear(learn);
	if (!eth_parse(&c, &eh, ETYPE_IP6))
		return -EINVAL;
	rc = ip6_parse(c, &ih, &pkt, &msg);
	if (rc < 0)
		return rc;
	/* RFC 4291 §2.7: multicast is never a source */
	if (ip6_is_multicast(ih.src))
		return -EINVAL;
	if (ih.nh != PROTO_ICMP6)
		return 0;
	if (msg.left < 4 || !csum_ok(csum_cursor(
		csum_ip6_pseudo(ih.src, ih.dst, msg.left, PROTO_ICMP6), msg)))
		return -EINVAL;
	peek = msg;
	if (!cursor_u8(&peek, &type))
		return -EINVAL;
	switch (type) {
	case ND_NS:
		return nd_ns_input(ifp, &eh, &ih, msg, learn, out, cap);
	case ND_NA:
		return nd_na_input(ifp, &ih, msg, learn);
	case ICMP6_ECHO:
		return icmp6_echo_reply(ifp, &eh, &ih, msg, out, cap);
	default:
		return 0;
	}
}

int dp_nd_solicit(const struct dp_if *ifp, const struct ip_addr *src,
		  const struct ip_addr *target, uint8_t *out, size_t cap)
{
	uint8_t snm[16], mac[6] = { 0x33, 0x33, 0xff };
	struct nd_out n = { .type = ND_NS, .target = target->bytes, .eth_dst = mac };
	struct ip6_out o = { .hop = ND_HOP_LIMIT, .src = src->bytes, .dst = snm };

	if (src->family != AF_INET6 || target->family != AF_INET6)
		return -EINVAL;
	/* RFC 4291 §2.7.1: ff02::1:ff + the target's low 24 bits,
	 * RFC 2464 §7: 33:33 + the group's low 32 bits */
	memcpy(snm, ip6_snm_prefix, sizeof(ip6_snm_prefix));
	memcpy(snm + 13, target->bytes + 13, 3);
	memcpy(mac + 3, target->bytes + 13, 3);
	/* RFC 4861 §4.3: no SLLA when the source is unspecified (DAD) */
	n.opt = ip6_is_unspecified(src->bytes) ? 0 : ND_OPT_SLLA;
	return nd_build(ifp, &n, &o, out, cap);
}

/* RFC 4443 §2.4(e.1): whether the upper layer, found behind extension
 * headers, is an ICMPv6 error. What cannot be parsed counts as one, so
 * that nothing is answered that we do not understand; a non-first
 * fragment does not. */
static bool ip6_carries_icmp6_error(uint8_t nh, struct cursor c)
{
	for (int i = 0; i < IP6_MAX_EXT; i++) {
		uint8_t next, units, type;
		uint16_t off;

		switch (nh) {
		case PROTO_ICMP6:
			return !cursor_u8(&c, &type) || type < ICMP6_INFO_MIN;
		case IP6_EXT_HOPOPTS:
		case IP6_EXT_ROUTING:
		case IP6_EXT_DSTOPTS:
			if (!cursor_u8(&c, &next) || !cursor_u8(&c, &units) ||
			    !cursor_skip(&c, (size_t)units * 8 + 6))
				return true;
			break;
		case IP6_EXT_FRAGMENT:
			if (!cursor_u8(&c, &next) || !cursor_skip(&c, 1) ||
			    !cursor_be16(&c, &off) || !cursor_skip(&c, 4))
				return true;
			if (off & 0xfff8)
				return false;
			break;
		default:
			return false;
		}
		nh = next;
	}
	return true;
}

/* RFC 4443 §2.4(e) */
static bool icmp6_error_allowed(uint8_t type, uint8_t code,
				const struct ip6_hdr *h, struct cursor payload)
{
	bool to_group_ok = type == ICMP6_TOO_BIG ||
			   (type == ICMP6_PARAMPROB && code == ICMP6_PARAMPROB_OPTION);

	if (ip6_is_unspecified(h->src) || ip6_is_multicast(h->src))
		return false;
	if (ip6_is_multicast(h->dst) && !to_group_ok)
		return false;
	return !ip6_carries_icmp6_error(h->nh, payload);
}

int dp_icmp6_error(const struct ip_addr *src, uint8_t type, uint8_t code,
		   uint32_t info, const uint8_t *orig, size_t orig_len,
		   uint8_t *out, size_t cap)
{
	const size_t room = ICMP6_ERR_MAX - IP6_HLEN - ICMP_HLEN;
	struct cursor pkt, payload, quote;
	struct wbuf w = wbuf_make(out, cap);
	struct ip6_hdr ih;
	struct ip6_out o = { .hop = REPLY_TTL, .src = src->bytes };
	int rc;

	if (src->family != AF_INET6)
		return -EINVAL;
	rc = ip6_parse(cursor_make(orig, orig_len), &ih, &pkt, &payload);
	if (rc < 0)
		return rc;
	if (!icmp6_error_allowed(type, code, &ih, payload))
		return 0;
	cursor_sub(&pkt, pkt.left < room ? pkt.left : room, &quote);
	o.dst = ih.src;
	w_ip6_hdr(&w, &o);
	w_u8(&w, type);
	w_u8(&w, code);
	w_be16(&w, 0);
	/* RFC 4443 §3.2 MTU, §3.4 pointer; unused otherwise */
	w_be32(&w, type == ICMP6_TOO_BIG || type == ICMP6_PARAMPROB ? info : 0);
	w_cursor(&w, quote);
	w_icmp6_finish(&w, 0, &o);
	return w_result(&w);
}
