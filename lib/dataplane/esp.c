/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ESP framing. The packet is rewritten in place: headers are prepended
 * into the mbuf's headroom, the trailer and ICV appended into its
 * tailroom. Lengths were checked by the classifier; every offset used
 * here is checked against the packet's length before it is used.
 */
#include "esp.h"
#include "byteorder.h"
#include "cksum.h"
#include "seq_block.h"
#include "stage_cycles.h"

#include <string.h>
#include <sys/socket.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#define ETH_HLEN 14u
#define PROTO_IPIP 4
#define PROTO_IPV6 41
#define PROTO_ESP 50
#define PROTO_NONE 59
#define ECN_MASK 0x03
#define ECN_CE 0x03

static bool is_v4(const uint8_t *l3)
{
	return (l3[0] >> 4) == 4;
}

static uint32_t ip_hlen(const uint8_t *l3)
{
	return is_v4(l3) ? (uint32_t)(l3[0] & 0x0f) * 4 : 40;
}

static inline uint8_t ip_tos(const uint8_t *l3)
{
	return is_v4(l3) ? l3[1] : (uint8_t)((be32_get(l3) >> 20) & 0xff);
}

static void ipv4_fix_checksum(uint8_t *l3)
{
	dp_ipv4_hdr_cksum_set(l3);
}


static bool df_bit(const struct esp_sa *sa, const uint8_t *inner);

bool esp_out_df(const struct esp_sa *sa, const uint8_t *inner)
{
	if (sa->sa_mode == ESP_MODE_TRANSPORT)
		return is_v4(inner) ? (inner[6] & 0x40) != 0 : true;
	if (sa->sa_dst.family != AF_INET)
		return true; /* IPv6 is never fragmented on the way */
	return df_bit(sa, inner);
}

static bool df_bit(const struct esp_sa *sa, const uint8_t *inner)
{
	switch (sa->sa_df) {
	case ESP_DF_SET:
		return true;
	case ESP_DF_CLEAR:
		return false;
	default: /* copy; an IPv6 inner packet is never fragmented en route */
		return is_v4(inner) ? (inner[6] & 0x40) != 0 : true;
	}
}

#define OUTER_TTL 64

static uint8_t outer_proto(const struct esp_sa *sa)
{
	return sa->sa_encap ? IPPROTO_UDP : PROTO_ESP;
}

uint32_t esp_outer4_sum(const struct esp_sa *sa)
{
	return (OUTER_TTL << 8 | outer_proto(sa)) +
	       be16_get(sa->sa_src.bytes) + be16_get(sa->sa_src.bytes + 2) +
	       be16_get(sa->sa_dst.bytes) + be16_get(sa->sa_dst.bytes + 2);
}

/* RFC 1624 eqn. 3: for each 16-bit word m of an address that becomes
 * m', the sum gains ~m + m'. */
static uint32_t addr_change_sum(const struct ip_addr *from, const struct ip_addr *to)
{
	uint32_t sum = 0;

	if (from->family == 0 || from->family != to->family)
		return 0;
	for (size_t i = 0; i < ip_addr_len(from); i += 2)
		sum += (uint16_t)~be16_get(from->bytes + i) + be16_get(to->bytes + i);
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint32_t esp_l4_fix_sum(const struct esp_sa_conf *c)
{
	uint16_t sum = fold(addr_change_sum(&c->orig_src, &c->src) +
			    addr_change_sum(&c->orig_dst, &c->dst));

	/* +0 and -0 change nothing: 0 stands for "no fix-up" */
	return sum == 0xffff ? 0 : sum;
}

/* RFC 4301 §5.1.2.1: DSCP copied; RFC 6040 §4.1 normal mode: ECN copied.
 * IPv4: stored as words built from values, the RFC 1071 checksum summed
 * from the same values (re-reading the bytes just stored would stall on
 * store forwarding) and the SA's constant words' sum. */
static __rte_always_inline void write_outer4(const struct esp_sa *sa, uint8_t *outer,
					     const uint8_t *inner, uint32_t after_outer,
					     uint16_t ip_id)
{
	uint8_t tos = ip_tos(inner);
	uint16_t frag = df_bit(sa, inner) ? 0x4000 : 0;
	uint32_t w0 = 0x45000000u | (uint32_t)tos << 16 | (uint16_t)(20 + after_outer);
	uint32_t sum = (w0 >> 16) + (w0 & 0xffff) + ip_id + frag + sa->sa_outer4_sum;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	be32_put(outer, w0);
	be32_put(outer + 4, (uint32_t)ip_id << 16 | frag);
	be32_put(outer + 8, (uint32_t)OUTER_TTL << 24 | (uint32_t)outer_proto(sa) << 16 |
			    (uint16_t)~sum);
	memcpy(outer + 12, sa->sa_src.bytes, 4);
	memcpy(outer + 16, sa->sa_dst.bytes, 4);
}

static void write_outer(const struct esp_sa *sa, uint8_t *outer, const uint8_t *inner,
			uint32_t after_outer, uint16_t ip_id)
{
	if (sa->sa_dst.family == AF_INET) {
		write_outer4(sa, outer, inner, after_outer, ip_id);
		return;
	}
	be32_put(outer, 6u << 28 | (uint32_t)ip_tos(inner) << 20);
	be16_put(outer + 4, (uint16_t)after_outer);
	outer[6] = outer_proto(sa);
	outer[7] = OUTER_TTL;
	memcpy(outer + 8, sa->sa_src.bytes, 16);
	memcpy(outer + 24, sa->sa_dst.bytes, 16);
}

static void write_udp(const struct esp_sa *sa, uint8_t *udp, uint32_t esp_total)
{
	be16_put(udp, sa->sa_encap_sport);
	be16_put(udp + 2, sa->sa_encap_dport);
	be16_put(udp + 4, (uint16_t)(8 + esp_total));
	be16_put(udp + 6, 0);
}

/* Transport mode: the packet keeps its own header, now carrying ESP. */
static uint8_t to_transport_header(const struct esp_sa *sa, uint8_t *l3, uint32_t added)
{
	uint8_t nh;

	if (is_v4(l3)) {
		nh = l3[9];
		l3[9] = outer_proto(sa);
		be16_put(l3 + 2, (uint16_t)(be16_get(l3 + 2) + added));
		ipv4_fix_checksum(l3);
	} else {
		nh = l3[6];
		l3[6] = outer_proto(sa);
		be16_put(l3 + 4, (uint16_t)(be16_get(l3 + 4) + added));
	}
	return nh;
}

static void fill_trailer(uint8_t *text, uint32_t payload, uint32_t trailer, uint8_t nh)
{
	uint32_t pad = trailer - 2;

	for (uint32_t i = 0; i < pad; i++)
		text[payload + i] = (uint8_t)(i + 1);
	text[payload + pad] = (uint8_t)pad;
	text[payload + pad + 1] = nh;
}

/* The same for a 4-byte block (RFC 4303 §2.4: AES-GCM, ChaCha20-Poly1305),
 * padding of 0-3 bytes: 1, 2, 3 (and a 4) stored as one word, then pad
 * length and next header over its end. The ICV's room follows the
 * trailer, so the word stays inside the packet. */
static inline void fill_trailer4(uint8_t *text, uint32_t payload, uint32_t trailer,
				 uint8_t nh)
{
	uint32_t pad = trailer - 2, ramp = rte_cpu_to_le_32(0x04030201);

	memcpy(text + payload, &ramp, 4);
	text[payload + pad] = (uint8_t)pad;
	text[payload + pad + 1] = nh;
}

/* fill_op sets every field by name: a new field needs a line there. */
_Static_assert(sizeof(struct esp_crypto_op) == 88, "struct esp_crypto_op changed: see fill_op");

static __rte_always_inline void fill_op(const struct esp_sa *sa, struct esp_crypto_op *op,
		    struct esp_scratch *s, uint8_t *esp, uint32_t text_len,
		    uint64_t seq, bool encrypt)
{
	uint8_t *text = esp + ESP_HDR_LEN + sa->sa_iv_len;
	uint8_t *icv = text + text_len;

	/* Field by field: a compound literal is zeroed with rep stos first,
	 * whose start-up cost is felt per packet. */
	op->keys = sa->sa_keys;
	op->iv = esp + ESP_HDR_LEN;
	op->aad = NULL;
	op->aad_len = 0;
	op->encrypt = encrypt;
	op->text = text;
	op->text_len = text_len;
	op->auth = NULL;
	op->auth_len = 0;
	op->icv = icv;
	op->mb = NULL;
	op->status = 0;
	if (sa->sa_aead) {
		/* RFC 4106 §5, RFC 7634 §2.1: SPI, [ESN high], low sequence;
		 * the header's own SPI and low half, taken from the values
		 * (inbound, the SA was found by this SPI). */
		be32_put(s->s_aad, sa->sa_spi);
		if (sa->sa_esn) {
			be32_put(s->s_aad + 4, (uint32_t)(seq >> 32));
			be32_put(s->s_aad + 8, (uint32_t)seq);
		} else {
			be32_put(s->s_aad + 4, (uint32_t)seq);
		}
		op->aad = s->s_aad;
		op->aad_len = sa->sa_esn ? 12 : 8;
		return;
	}
	op->auth = esp;
	op->auth_len = ESP_HDR_LEN + sa->sa_iv_len + text_len;
	if (sa->sa_esn) {
		/* RFC 4303 §2.2.1: the high half is authenticated, not sent.
		 * It sits where the ICV goes; a received ICV is kept aside. */
		if (!encrypt) {
			memcpy(s->s_icv, icv, sa->sa_icv_len);
			op->icv = s->s_icv;
		}
		be32_put(icv, (uint32_t)(seq >> 32));
		op->auth_len += 4;
	}
}

/* Makes room in m's one segment (checked by the caller) for front
 * bytes of headers and tail bytes of trailer and ICV: what
 * rte_pktmbuf_prepend and _append would do, in one update. False when
 * the head- or tailroom is short. */
static inline bool esp_room(struct rte_mbuf *m, uint32_t front, uint32_t tail)
{
	if (rte_pktmbuf_tailroom(m) < tail || rte_pktmbuf_headroom(m) < front)
		return false;
	m->data_off = (uint16_t)(m->data_off - front);
	m->data_len = (uint16_t)(m->data_len + front + tail);
	m->pkt_len += front + tail;
	return true;
}

static bool seq_next(const struct esp_sa *sa, uint64_t *next)
{
	*next = sa->sa_st.st_seq + 1;
	/* RFC 4303 §3.3.3: never cycle; the SA ends instead. */
	return sa->sa_esn ? *next != 0 : *next <= UINT32_MAX;
}

/*
 * The common case on its own: tunnel mode, IPv4 outer header, no UDP
 * encapsulation, an AEAD cipher with an 8-byte IV (AES-GCM, ChaCha20-
 * Poly1305). Same layout as the general path below, with the lengths
 * known and the header stored as words built from values.
 * [Eth][outer IPv4 20][SPI][seq][IV 8][inner ... pad, pad len, nh][ICV]
 */
#define T4_FRONT (20u + ESP_HDR_LEN + 8u)

static bool out_tunnel4_aead(const struct esp_sa *sa)
{
	return sa->sa_mode == ESP_MODE_TUNNEL && sa->sa_dst.family == AF_INET &&
	       !sa->sa_encap && sa->sa_aead && sa->sa_iv_len == 8 && sa->sa_block == 4;
}

static unsigned out_prepare_tunnel4_aead(struct esp_sa *sa, struct rte_mbuf *m,
					 struct esp_crypto_op *op,
					 struct esp_scratch *s, uint16_t ip_id,
					 uint64_t seq)
{
	uint32_t len = m->pkt_len - ETH_HLEN;
	uint32_t trailer = esp_trailer_len(sa, len), tail = trailer + sa->sa_icv_len;
	uint32_t esp_total = ESP_HDR_LEN + 8 + len + tail;
	uint8_t *start, *inner, *esp, *text;

	if (!rte_pktmbuf_is_contiguous(m))
		return ESP_DROP_malformed;
	if (!esp_room(m, T4_FRONT, tail))
		return ESP_DROP_too_big;
	start = rte_pktmbuf_mtod(m, uint8_t *);
	inner = start + ETH_HLEN + T4_FRONT;
	be16_put(start + 12, RTE_ETHER_TYPE_IPV4);
	write_outer4(sa, start + ETH_HLEN, inner, esp_total, ip_id);
	esp = start + ETH_HLEN + 20;
	be32_put(esp, sa->sa_spi);
	be32_put(esp + 4, (uint32_t)seq);
	be64_put(esp + ESP_HDR_LEN, seq); /* RFC 4106 §3.1: the counter */
	text = esp + ESP_HDR_LEN + 8;
	fill_trailer4(text, len, trailer, is_v4(inner) ? PROTO_IPIP : PROTO_IPV6);
	fill_op(sa, op, s, esp, len + trailer, seq, true);
	op->mb = m;
	return ESP_OK;
}

/* Every other case: transport mode, IPv6 outer, UDP encapsulation, CBC. */
static __rte_noinline unsigned out_prepare_any(struct esp_sa *sa, struct rte_mbuf *m,
				struct esp_crypto_op *op, struct esp_scratch *s,
				const uint8_t *rand16, uint16_t ip_id, uint64_t seq)
{
	uint8_t *l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, ETH_HLEN);
	uint32_t len = m->pkt_len - ETH_HLEN;
	bool tunnel = sa->sa_mode == ESP_MODE_TUNNEL;
	uint32_t ihl = tunnel ? 0 : ip_hlen(l3);
	uint32_t payload = len - ihl, trailer = esp_trailer_len(sa, payload);
	uint32_t encap = sa->sa_encap ? 8 : 0;
	uint32_t front = esp_outer_hlen(sa) + encap + ESP_HDR_LEN + sa->sa_iv_len;
	uint32_t esp_total = ESP_HDR_LEN + sa->sa_iv_len + payload + trailer + sa->sa_icv_len;
	uint8_t *start, *esp, nh;

	if (!rte_pktmbuf_is_contiguous(m) || len < ihl)
		return ESP_DROP_malformed;
	if (!esp_room(m, front, trailer + sa->sa_icv_len))
		return ESP_DROP_too_big;
	start = rte_pktmbuf_mtod(m, uint8_t *);
	if (tunnel) {
		const uint8_t *inner = start + ETH_HLEN + front;
		nh = is_v4(inner) ? PROTO_IPIP : PROTO_IPV6;
		be16_put(start + 12, sa->sa_dst.family == AF_INET ? RTE_ETHER_TYPE_IPV4
								   : RTE_ETHER_TYPE_IPV6);
		write_outer(sa, start + ETH_HLEN, inner, encap + esp_total, ip_id);
		esp = start + ETH_HLEN + esp_outer_hlen(sa) + encap;
	} else {
		memmove(start, start + front, ETH_HLEN + ihl);
		nh = to_transport_header(sa, start + ETH_HLEN, front + trailer + sa->sa_icv_len);
		esp = start + ETH_HLEN + ihl + encap;
	}
	if (encap)
		write_udp(sa, esp - 8, esp_total);
	be32_put(esp, sa->sa_spi);
	be32_put(esp + 4, (uint32_t)seq);
	if (sa->sa_cbc_iv)
		memcpy(esp + ESP_HDR_LEN, rand16, 16);
	else if (sa->sa_iv_len == 8) /* RFC 4106 §3.1: unique per key; the counter is */
		be64_put(esp + ESP_HDR_LEN, seq);
	fill_trailer(esp + ESP_HDR_LEN + sa->sa_iv_len, payload, trailer, nh);
	fill_op(sa, op, s, esp, payload + trailer, seq, true);
	op->mb = m; /* a cryptodev addresses the data through its mbuf */
	return ESP_OK;
}

unsigned esp_out_prepare_seq(struct esp_sa *sa, struct rte_mbuf *m,
			     struct esp_crypto_op *op, struct esp_scratch *s,
			     const uint8_t *rand16, uint16_t ip_id, uint64_t seq)
{
	if (out_tunnel4_aead(sa))
		return out_prepare_tunnel4_aead(sa, m, op, s, ip_id, seq);
	return out_prepare_any(sa, m, op, s, rand16, ip_id, seq);
}

unsigned esp_out_prepare(struct esp_sa *sa, struct rte_mbuf *m,
			 struct esp_crypto_op *op, struct esp_scratch *s,
			 const uint8_t *rand16, uint16_t ip_id)
{
	uint64_t seq;
	unsigned rc;

	if (!seq_next(sa, &seq))
		return ESP_DROP_seq_overflow;
	rc = esp_out_prepare_seq(sa, m, op, s, rand16, ip_id, seq);
	if (rc == ESP_OK)
		sa->sa_st.st_seq = seq; /* the owner's: no atomic */
	return rc;
}

void esp_out_finish(const struct esp_sa *sa, struct rte_mbuf *m)
{
	uint8_t *l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, ETH_HLEN);
	struct rte_udp_hdr *udp;

	if (!sa->sa_encap || is_v4(l3))
		return;
	udp = (struct rte_udp_hdr *)(l3 + 40);
	udp->dgram_cksum = 0;
	udp->dgram_cksum = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)l3, udp);
}

/* RFC 4303 §3.4.3: the sequence number checked before the ICV (its
 * 32 low bits in, the full number out: ESN, Appendix A2.2) and the
 * window moved after it verifies; the owner's window or a shared SA's. */
static bool replay_check(struct esp_sa *sa, uint64_t *seq)
{
	if (esp_sa_shared(sa))
		return esp_replay_mt_check(esp_sa_replay_mt(sa), (uint32_t)*seq, seq);
	return esp_replay_check(esp_sa_replay(sa), (uint32_t)*seq, seq);
}

static bool replay_update(struct esp_sa *sa, uint64_t seq)
{
	if (esp_sa_shared(sa))
		return esp_replay_mt_mark(esp_sa_replay_mt(sa), seq) == ESP_RMT_ACCEPTED;
	return esp_replay_update(esp_sa_replay(sa), seq);
}

unsigned esp_in_prepare(struct esp_sa *sa, struct rte_mbuf *m,
			struct esp_crypto_op *op, struct esp_scratch *s)
{
	uint32_t off = ETH_HLEN + m->l3_len + m->l4_len;
	uint32_t min = ESP_HDR_LEN + sa->sa_iv_len + sa->sa_icv_len + 4;
	uint8_t *esp;
	uint32_t text_len;

	if (!rte_pktmbuf_is_contiguous(m) || m->pkt_len < off + min)
		return ESP_DROP_malformed;
	esp = rte_pktmbuf_mtod_offset(m, uint8_t *, off);
	text_len = m->pkt_len - off - ESP_HDR_LEN - sa->sa_iv_len - sa->sa_icv_len;
	if (text_len % sa->sa_block)
		return ESP_DROP_malformed;
	s->s_seq = be32_get(esp + 4);
	DP_STAGE_LAP(header);
	if (sa->sa_window && !replay_check(sa, &s->s_seq))
		return ESP_DROP_replay;
	DP_STAGE_LAP(replay);
	fill_op(sa, op, s, esp, text_len, s->s_seq, false);
	op->mb = m;
	return ESP_OK;
}

/* RFC 6040 §4.2: what the outer ECN field does to the inner one. */
static bool ecn_decap(uint8_t *inner, uint8_t outer_tos)
{
	uint8_t tos = ip_tos(inner);

	if ((outer_tos & ECN_MASK) != ECN_CE || (tos & ECN_MASK) == ECN_CE)
		return true;
	if ((tos & ECN_MASK) == 0)
		return false; /* CE on a not-ECT packet: drop */
	if (is_v4(inner)) {
		inner[1] |= ECN_CE;
		ipv4_fix_checksum(inner);
	} else {
		inner[1] |= ECN_CE << 4;
	}
	return true;
}

/* The inner packet's own length, checked against what decrypted. */
static uint32_t inner_len(const uint8_t *inner, uint32_t avail, uint8_t nh)
{
	uint32_t len;

	if (avail < 20 || (nh == PROTO_IPIP) != is_v4(inner))
		return 0;
	if (is_v4(inner)) {
		len = be16_get(inner + 2);
		return (inner[0] & 0x0f) >= 5 && len >= ip_hlen(inner) && len <= avail ? len : 0;
	}
	if ((inner[0] >> 4) != 6 || avail < 40)
		return 0;
	len = 40u + be16_get(inner + 4);
	return len <= avail ? len : 0;
}

static unsigned decap_tunnel(struct rte_mbuf *m, uint8_t *inner, uint32_t avail,
			     uint8_t nh)
{
	uint8_t *start = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t outer_tos = ip_tos(start + ETH_HLEN);
	uint32_t front = (uint32_t)(inner - start), len;

	if (nh != PROTO_IPIP && nh != PROTO_IPV6)
		return ESP_DROP_bad_next_header;
	len = inner_len(inner, avail, nh);
	if (len == 0 || !ecn_decap(inner, outer_tos))
		return ESP_DROP_malformed;
	/* Anything after the inner packet is TFC padding (RFC 4303 §2.4). */
	rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - front - len));
	rte_pktmbuf_adj(m, (uint16_t)(front - ETH_HLEN));
	be16_put(rte_pktmbuf_mtod_offset(m, uint8_t *, 12),
		 nh == PROTO_IPIP ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
	return ESP_OK;
}

/* RFC 3948 §3.1.2: the TCP or UDP checksum of a transport packet
 * whose addresses a NAT changed, moved to the addresses it arrived with
 * (sa_l4_fix). A non-first fragment has no header to fix; a UDP checksum
 * of 0 (IPv4: none) stays 0, one that becomes 0 is sent as 0xffff (RFC
 * 768). */
static void l4_checksum_fix(const struct esp_sa *sa, const uint8_t *l3, uint8_t *l4,
			    uint32_t len, uint8_t nh)
{
	uint32_t at = nh == IPPROTO_TCP ? 16 : 6;
	uint16_t old, sum;

	if ((nh != IPPROTO_TCP && nh != IPPROTO_UDP) || len < at + 2 ||
	    (is_v4(l3) && (be16_get(l3 + 6) & 0x1fff)))
		return;
	old = be16_get(l4 + at);
	if (nh == IPPROTO_UDP && old == 0)
		return;
	sum = (uint16_t)~fold((uint16_t)~old + sa->sa_l4_fix);
	if (nh == IPPROTO_UDP && sum == 0)
		sum = 0xffff;
	be16_put(l4 + at, sum);
}

static unsigned decap_transport(const struct esp_sa *sa, struct rte_mbuf *m, uint8_t *data,
				uint32_t len, uint8_t nh)
{
	uint8_t *start = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t *l3 = start + ETH_HLEN;
	uint32_t ihl = m->l3_len, front = (uint32_t)(data - l3) - ihl;

	if (sa->sa_l4_fix)
		l4_checksum_fix(sa, l3, data, len, nh);
	if (is_v4(l3)) {
		l3[9] = nh;
		be16_put(l3 + 2, (uint16_t)(ihl + len));
		ipv4_fix_checksum(l3);
	} else {
		l3[6] = nh;
		be16_put(l3 + 4, (uint16_t)len);
	}
	rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - ETH_HLEN - ihl - front - len));
	memmove(start + front, start, ETH_HLEN + ihl);
	rte_pktmbuf_adj(m, (uint16_t)front);
	return ESP_OK;
}

static bool inner_policy_ok(const struct esp_sa *sa, struct rte_mbuf *m)
{
	const uint8_t *l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, ETH_HLEN);
	uint32_t len = m->pkt_len - ETH_HLEN;
	uint8_t family = is_v4(l3) ? AF_INET : AF_INET6, proto;
	uint16_t sport, dport;

	if (family != sa->sa_ts.src.addr.family)
		return false;
	esp_l4_ports(l3, len, &proto, &sport, &dport);
	return esp_ts_match(&sa->sa_ts, family, l3 + (family == AF_INET ? 12 : 8),
			    l3 + (family == AF_INET ? 16 : 24), proto, sport, dport);
}

unsigned esp_in_finish(struct esp_sa *sa, struct rte_mbuf *m,
		       const struct esp_crypto_op *op,
		       const struct esp_scratch *s)
{
	uint8_t *text = op->text;
	uint32_t n = op->text_len;
	uint8_t pad = text[n - 2], nh = text[n - 1];
	unsigned rc;

	if (sa->sa_window && !replay_update(sa, s->s_seq))
		return ESP_DROP_replay;
	DP_STAGE_LAP(replay);
	if ((uint32_t)pad + 2 > n)
		return ESP_DROP_bad_padding;
	for (uint32_t i = 0; i < pad; i++)
		if (text[n - 2 - pad + i] != (uint8_t)(i + 1))
			return ESP_DROP_bad_padding;
	if (nh == PROTO_NONE)
		return ESP_DROP_dummy;
	if (sa->sa_mode == ESP_MODE_TUNNEL)
		rc = decap_tunnel(m, text, n - pad - 2u, nh);
	else
		rc = decap_transport(sa, m, text, n - pad - 2u, nh);
	if (rc != ESP_OK)
		return rc;
	DP_STAGE_LAP(header);
	rc = inner_policy_ok(sa, m) ? ESP_OK : ESP_DROP_policy_mismatch;
	DP_STAGE_LAP(policy);
	return rc;
}
