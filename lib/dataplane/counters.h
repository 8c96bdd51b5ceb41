/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_COUNTERS_H
#define ESPGATE_COUNTERS_H

/*
 * Every counter is declared once here with its description. Workers keep
 * theirs per lcore, cache aligned, written by that lcore alone and summed
 * only when someone asks (espgatectl, telemetry).
 */

/* name, is_drop, description */
#define DP_WORKER_COUNTERS(X) \
	X(rx_packets, 0, "frames received") \
	X(tx_packets, 0, "frames handed to a port's TX queue") \
	X(forwarded, 0, "IP packets routed to another port or host") \
	X(punted, 0, "frames handed to the control lcore (ARP, ND, for the box)") \
	X(ctl_tx, 0, "frames sent for the control lcore") \
	X(esp_in, 0, "ESP packets decrypted and forwarded") \
	X(esp_out, 0, "packets encrypted into ESP and sent") \
	X(handoff, 0, "packets handed to the worker that owns their SA") \
	X(trapped, 0, "packets of a trap policy with no SA yet, handed to the control lcore") \
	X(fragmented, 0, "IPv4 packets fragmented for the egress MTU (DF clear)") \
	X(bad_l2, 1, "runt frame or unsupported ethertype") \
	X(not_for_us, 1, "unicast frame to another MAC address") \
	X(bad_ipv4, 1, "malformed IPv4 header, length or checksum") \
	X(bad_ipv6, 1, "malformed IPv6 header or length") \
	X(martian, 1, "source or destination that must not be forwarded") \
	X(no_route, 1, "no route to the destination (ICMP unreachable sent)") \
	X(ttl_expired, 1, "TTL or hop limit reached zero (ICMP time exceeded sent)") \
	X(too_big, 1, "larger than the egress MTU (ICMP too big sent)") \
	X(punt_full, 1, "punt ring to the control lcore full") \
	X(tx_full, 1, "port TX queue full") \
	X(frag_failed, 1, "IPv4 packets that could not be fragmented (no mbufs)") \
	X(unknown_spi, 1, "ESP for the box with no inbound SA for its SPI") \
	X(no_sa, 1, "protected traffic no outbound SA covers (unmatched: discard)") \
	X(plaintext_protected, 1, "plaintext an inbound SA's selectors cover (RFC 4301 §5.2)") \
	X(natt_keepalive, 1, "NAT-T keepalives received (RFC 3948 §2.3)") \
	X(bad_udp_len, 1, "UDP to a NAT-T port (ESP or IKE) whose length is under 8 or beyond the IP payload") \
	X(esp_sa_drop, 1, "ESP packets dropped by their SA (see espgatectl sas)") \
	X(handoff_full, 1, "handoff ring to the owner worker full") \
	X(handoff_stale, 1, "handed-off packet whose SA was deleted meanwhile") \
	X(trap_limited, 1, "trapped packets beyond 256 per 10 ms (the punt ring stays free for IKE)")

/* name, is_drop, description */
#define DP_CONTROL_COUNTERS(X) \
	X(arp_in, 0, "ARP frames handled") \
	X(arp_replies, 0, "ARP replies sent for the box's addresses") \
	X(arp_requests, 0, "ARP requests sent to resolve next hops") \
	X(nd_in, 0, "neighbour discovery messages handled") \
	X(nd_adverts, 0, "neighbour advertisements sent") \
	X(nd_solicits, 0, "neighbour solicitations sent to resolve next hops") \
	X(neigh_learned, 0, "link-layer addresses learned or refreshed") \
	X(icmp_echo_replies, 0, "ICMP and ICMPv6 echo replies sent") \
	X(icmp_errors_sent, 0, "ICMP errors sent (time exceeded, unreachable, too big)") \
	X(held_sent, 0, "held packets sent once their next hop resolved") \
	X(fragmented, 0, "the box's own IP packets sent as fragments for the egress MTU") \
	X(esp_out, 0, "packets of the box's own handed to an outbound SA") \
	X(sa_soft_expired, 0, "SAs that reached their soft lifetime") \
	X(sa_hard_expired, 0, "SAs that reached their hard lifetime") \
	X(trap_initiations, 0, "IKE SAs initiated because a trap policy caught traffic") \
	X(trap_released, 0, "trapped packets sent once their Child SA was installed") \
	X(sa_moved, 0, "outbound SAs re-pointed at the peer's new address (MOBIKE, RFC 4555), SPI unchanged") \
	X(sa_move_failed, 0, "outbound SAs a MOBIKE move could not re-point (table full, no such SA): they keep the old address") \
	X(malformed, 1, "malformed ARP, ND or ICMP for the box") \
	X(unhandled, 1, "frames for the box that no service takes") \
	X(icmp_rate_limited, 1, "ICMP errors not sent because of the rate limit") \
	X(neigh_unresolved, 1, "packets dropped: next hop did not answer ARP/ND") \
	X(hold_full, 1, "packets dropped: hold queue of an unresolved next hop full") \
	X(neigh_table_full, 1, "packets dropped: neighbour table full") \
	X(host_route_failed, 1, "neighbour host routes not installed: route table full") \
	X(no_route_back, 1, "control packets not sent: no route to their destination") \
	X(esp_dropped, 1, "packets of the box's own no SA could take (discard, ring full)") \
	X(no_mbuf, 1, "control frames not sent: mbuf pool empty") \
	X(frag_failed, 1, "the box's own packets over the egress MTU not sent: fragmenting failed") \
	X(ctl_tx_full, 1, "control frames not sent: control TX ring full") \
	X(trap_hold_full, 1, "trapped packets dropped: 32 held for the connection, or 1024 in all") \
	X(trap_expired, 1, "trapped packets dropped: no Child SA came up within 10 s") \
	X(trap_failed, 1, "trapped packets dropped: the connection's initiation failed") \
	X(trap_not_covered, 1, "trapped packets dropped: a reload removed their trap")

#define DP_CNT_ENUM(name, drop, desc) DP_W_##name,
enum dp_worker_counter { DP_WORKER_COUNTERS(DP_CNT_ENUM) DP_W_MAX };
#undef DP_CNT_ENUM
#define DP_CNT_ENUM(name, drop, desc) DP_C_##name,
enum dp_control_counter { DP_CONTROL_COUNTERS(DP_CNT_ENUM) DP_C_MAX };
#undef DP_CNT_ENUM

struct dp_counter_info {
	const char *name;
	const char *desc;
	int is_drop;
};

extern const struct dp_counter_info dp_worker_counter_info[DP_W_MAX];
extern const struct dp_counter_info dp_control_counter_info[DP_C_MAX];

#endif
