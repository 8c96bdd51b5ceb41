/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_L2L3_H
#define ESPGATE_L2L3_H

/*
 * The control lcore's link and network layer for the box's own addresses:
 * ARP (RFC 826), IPv6 neighbour discovery (RFC 4861), ICMP echo and ICMP
 * errors (RFC 792, RFC 1812, RFC 4443). Every function works on plain
 * byte buffers (a whole Ethernet frame in, a whole frame or IP packet
 * out) so that tests feed it crafted frames without DPDK running.
 * Every input is hostile: parsing goes through struct cursor.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define DP_MAX_ADDRS 8 /* per port */

/* What the control lcore knows of one port. */
struct dp_if {
	uint16_t port;
	uint8_t mac[6];
	uint16_t mtu;
	struct ip_prefix addrs[DP_MAX_ADDRS];
	unsigned n_addrs;
};

/* A link-layer address learned from ARP or ND. */
struct dp_learn {
	bool valid;
	struct ip_addr ip;
	uint8_t mac[6];
};

#define DP_ETH_HLEN 14

bool dp_if_owns(const struct dp_if *ifp, const struct ip_addr *a);
/* The port's first address of that family, or NULL. */
const struct ip_addr *dp_if_first_addr(const struct dp_if *ifp, int family);
/* The port's address whose prefix contains 'peer', else the first of its
 * family, else NULL: the source for ARP/NS and ICMP sent toward 'peer'. */
const struct ip_addr *dp_if_source_for(const struct dp_if *ifp,
				       const struct ip_addr *peer);

/*
 * ARP frame in. Learns the sender when it is on one of the port's
 * prefixes (learn->valid). A request for one of the port's IPv4 addresses
 * gets a reply written to out. Returns the reply length, 0 when there is
 * nothing to send, -EINVAL when the frame is malformed or not for us.
 */
int dp_arp_input(const struct dp_if *ifp, const uint8_t *frame, size_t len,
		 struct dp_learn *learn, uint8_t *out, size_t cap);
/* Broadcast who-has 'target' from 'src'. Returns the frame length or -ENOSPC. */
int dp_arp_request(const struct dp_if *ifp, const struct ip_addr *src,
		   const struct ip_addr *target, uint8_t *out, size_t cap);

/*
 * IPv4 frame addressed to one of the port's addresses. An ICMP echo
 * request gets an echo reply frame (addresses swapped, to the sender's
 * MAC). Returns the reply length, 0 when nothing is sent, -EINVAL when
 * malformed (bad header, bad checksum, truncated).
 */
int dp_icmp4_input(const struct dp_if *ifp, const uint8_t *frame, size_t len,
		   uint8_t *out, size_t cap);

/*
 * ICMPv6 frame (neighbour solicitation or advertisement, echo request).
 * NS for one of our addresses: an NA reply (solicited, override, with
 * target link-layer option), and the sender learned from its source
 * link-layer option. NA: the target learned. Echo request to our address:
 * echo reply. Hop limit 255 and checksums enforced as RFC 4861 §7.1.1
 * says. Returns the reply length, 0, or -EINVAL.
 */
int dp_icmp6_input(const struct dp_if *ifp, const uint8_t *frame, size_t len,
		   struct dp_learn *learn, uint8_t *out, size_t cap);
/* NS for 'target' to its solicited-node multicast group. */
int dp_nd_solicit(const struct dp_if *ifp, const struct ip_addr *src,
		  const struct ip_addr *target, uint8_t *out, size_t cap);

/*
 * ICMP error about 'orig' (an IP packet, no Ethernet header), as an IP
 * packet from 'src' to orig's source. IPv4: RFC 792 types, quoting the
 * header and as much of the payload as keeps the error within 576 bytes
 * (RFC 1812 §4.3.2.3); 'info' is the next-hop MTU for "fragmentation
 * needed". IPv6: RFC 4443, within 1280 bytes; 'info' is the MTU for
 * "packet too big". Returns the length; 0 when RFC 1812 §4.3.2.7 /
 * RFC 4443 §2.4(e) forbid an error (orig is an ICMP error, a non-first
 * fragment, to or from a multicast or broadcast address); -EINVAL
 * when orig is malformed.
 */
int dp_icmp4_error(const struct ip_addr *src, uint8_t type, uint8_t code,
		   uint32_t info, const uint8_t *orig, size_t orig_len,
		   uint8_t *out, size_t cap);
int dp_icmp6_error(const struct ip_addr *src, uint8_t type, uint8_t code,
		   uint32_t info, const uint8_t *orig, size_t orig_len,
		   uint8_t *out, size_t cap);

/* Internet checksum (RFC 1071) over buf, folded, not inverted, seeded with sum.
 * Chaining is exact when every chunk but the last has an even length. The
 * field to store is ~dp_csum_fold(sum); a region that includes a correct
 * checksum folds to 0xffff. */
uint32_t dp_csum_add(uint32_t sum, const uint8_t *buf, size_t len);
uint16_t dp_csum_fold(uint32_t sum);

#endif
