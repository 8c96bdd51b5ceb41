/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_APP_FRAME_H
#define ESPGATE_APP_FRAME_H

/*
 * What the control lcore reads of the frames it is handed, through the
 * bounds-checked cursor (cursor.h): the Ethernet type and the IP header.
 * The workers have checked these headers; a reader still never reads
 * past the buffer.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "cursor.h"

struct frame_ip {
	struct cursor fi_l3;      /* the IP packet, to the end of the buffer */
	uint8_t fi_proto;         /* IPv4 protocol, IPv6 next header */
	struct ip_addr fi_src, fi_dst; /* family AF_INET or AF_INET6 */
	struct cursor fi_payload; /* after the header (and IPv4's options) to
				   * the end of the buffer */
};

/* The Ethernet type of a frame, or 0 when it is too short for one. */
uint16_t frame_ethertype(const uint8_t *frame, size_t len);
/* The IP header of an IP packet (no Ethernet header); false when the
 * buffer is too short for it or it is neither IPv4 nor IPv6. */
bool ip_read(const uint8_t *pkt, size_t len, struct frame_ip *ip);
/* The same for the IP packet of an Ethernet frame, whose type must say
 * the version the packet has. */
bool frame_ip(const uint8_t *frame, size_t len, struct frame_ip *ip);
/* The first byte after the IPv6 header of an Ethernet frame: the type
 * when ICMPv6 follows (which is not checked); 0 when there is none. */
uint8_t frame_ip6_icmp_type(const uint8_t *frame, size_t len);

#endif
