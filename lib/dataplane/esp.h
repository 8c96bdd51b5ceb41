/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_ESP_H
#define ESPGATE_ESP_H

/*
 * ESP framing (RFC 4303) in tunnel and transport mode, IPv4 and IPv6,
 * optionally in UDP (RFC 3948). prepare() lays the packet out and fills
 * one crypto op; the engine runs a burst of ops; finish() completes the
 * packet once its op is done. A packet always enters and leaves with a
 * 14-byte Ethernet header in front (addresses filled in by routing).
 */

#include <stdint.h>
#include <string.h>
#include <netinet/in.h>

#include <rte_mbuf.h>

#include "esp_crypto.h"
#include "sa.h"

#define ESP_HDR_LEN 8
#define ESP_OK ESP_DROP_MAX /* prepare/finish succeeded */

/* Per-op scratch the caller keeps beside the op array. */
struct esp_scratch {
	uint8_t s_aad[12];
	uint8_t s_icv[ESP_MAX_ICV];
	uint64_t s_seq; /* inbound: the full sequence number */
};

/* Whether the outer packet will carry DF (per the SA's policy); without
 * it an IPv4 outer packet too big for the path is fragmented instead. */
bool esp_out_df(const struct esp_sa *sa, const uint8_t *inner);

/* The outer IP header's length: none in transport mode. */
static inline uint32_t esp_outer_hlen(const struct esp_sa *sa)
{
	if (sa->sa_mode == ESP_MODE_TRANSPORT)
		return 0;
	return sa->sa_dst.family == AF_INET ? 20 : 40;
}

/* Padding, pad length and next header after payload bytes: RFC 4303
 * §2.4 pads them to end on the cipher's block (4 bytes at least). */
static inline uint32_t esp_trailer_len(const struct esp_sa *sa, uint32_t payload)
{
	return RTE_ALIGN_CEIL(payload + 2, sa->sa_block) - payload;
}

/* The RFC 1071 sum of the outer IPv4 header words that are the same in
 * every packet of sa (TTL and protocol, addresses), unfolded; set when
 * the SA is built. */
uint32_t esp_outer4_sum(const struct esp_sa *sa);

/* RFC 3948 §3.1.2 by RFC 1624's incremental update: the one's
 * complement sum that turns a TCP or UDP checksum computed over the
 * conf's original addresses into one over the outer addresses the packet
 * arrived with; 0 when there is nothing to change. */
uint32_t esp_l4_fix_sum(const struct esp_sa_conf *c);

/* Bytes the outer packet adds to an inner packet of inner_len bytes
 * (inline: the outbound path asks for every packet). */
static inline uint32_t esp_out_overhead(const struct esp_sa *sa, uint32_t inner_len)
{
	uint32_t front = esp_outer_hlen(sa) + (sa->sa_encap ? 8 : 0) + ESP_HDR_LEN +
			 sa->sa_iv_len;

	return front + esp_trailer_len(sa, inner_len) + sa->sa_icv_len;
}

/*
 * m: [Ethernet][inner IP packet], TTL already handled. Assigns the next
 * sequence number and lays out the ESP packet; rand16 is 16 random
 * bytes (the CBC IV). Returns ESP_OK or the esp_sa_drop reason.
 */
unsigned esp_out_prepare(struct esp_sa *sa, struct rte_mbuf *m,
			 struct esp_crypto_op *op, struct esp_scratch *s,
			 const uint8_t *rand16, uint16_t ip_id);
/* The same with a number the caller reserved (a shared SA's,
 * esp_seq_reserve); the SA's counter is left alone. */
unsigned esp_out_prepare_seq(struct esp_sa *sa, struct rte_mbuf *m,
			     struct esp_crypto_op *op, struct esp_scratch *s,
			     const uint8_t *rand16, uint16_t ip_id, uint64_t seq);
/* After encryption: the UDP checksum of IPv6 ESP-in-UDP (RFC 6935 asks
 * for it; IPv4 sends zero, RFC 3948 §2.1). */
void esp_out_finish(const struct esp_sa *sa, struct rte_mbuf *m);

/*
 * m: [Ethernet][outer IP][UDP, when m->l4_len is 8][ESP], with
 * m->l3_len the outer header length. Checks length and replay, fills
 * the op. Returns ESP_OK or the drop reason.
 */
unsigned esp_in_prepare(struct esp_sa *sa, struct rte_mbuf *m,
			struct esp_crypto_op *op, struct esp_scratch *s);
/* After a verified decryption: replay update, trailer checks, decap and
 * the inner policy check. m becomes [Ethernet][inner IP]. A shared SA's
 * number is only marked: the caller moves the window's top, once per
 * burst (esp_replay_mt_advance). */
unsigned esp_in_finish(struct esp_sa *sa, struct rte_mbuf *m,
		       const struct esp_crypto_op *op,
		       const struct esp_scratch *s);

/* The L4 ports of an IP packet at l3 (0 when it has none, or for a
 * non-first fragment), for selector matching. */
static inline void esp_l4_ports(const uint8_t *l3, uint32_t len, uint8_t *proto,
				uint16_t *sport, uint16_t *dport)
{
	bool v4 = (l3[0] >> 4) == 4;
	uint32_t hl = v4 ? (uint32_t)(l3[0] & 0x0f) * 4 : 40;
	uint16_t ports[2];

	*proto = v4 ? l3[9] : l3[6];
	*sport = *dport = 0;
	/* RFC 4301 §7: a non-first fragment has no ports to match. */
	if ((v4 && ((l3[6] & 0x1f) || l3[7])) || len < hl + 4)
		return;
	if (*proto == IPPROTO_TCP || *proto == IPPROTO_UDP || *proto == IPPROTO_SCTP) {
		memcpy(ports, l3 + hl, 4);
		*sport = rte_be_to_cpu_16(ports[0]);
		*dport = rte_be_to_cpu_16(ports[1]);
	}
}

#endif
