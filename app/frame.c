/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ethernet and IP headers of the frames the control lcore is handed,
 * read through the cursor.
 */
#include "frame.h"

#include <string.h>
#include <sys/socket.h>

#include <rte_ether.h>

#define MAC_PAIR_LEN 12 /* destination and source MAC addresses */

static struct cursor after_ethertype(const uint8_t *frame, size_t len, uint16_t *type)
{
	struct cursor c = cursor_make(frame, len);

	*type = 0;
	if (!cursor_skip(&c, MAC_PAIR_LEN) || !cursor_be16(&c, type))
		return cursor_make(NULL, 0);
	return c;
}

uint16_t frame_ethertype(const uint8_t *frame, size_t len)
{
	uint16_t type;

	after_ethertype(frame, len, &type);
	return type;
}

/* RFC 791 §3.1; the cursor is at the version and IHL byte. */
static bool ip4_read(struct cursor *c, struct frame_ip *ip)
{
	uint8_t vihl;

	if (!cursor_u8(c, &vihl) || (vihl & 0x0f) < 5)
		return false;
	ip->fi_src.family = ip->fi_dst.family = AF_INET;
	return cursor_skip(c, 8) && /* TOS, total length, ID, fragment, TTL */
	       cursor_u8(c, &ip->fi_proto) && cursor_skip(c, 2) && /* checksum */
	       cursor_bytes(c, ip->fi_src.bytes, 4) && cursor_bytes(c, ip->fi_dst.bytes, 4) &&
	       cursor_skip(c, (size_t)(vihl & 0x0f) * 4 - 20); /* options */
}

/* RFC 8200 §3. */
static bool ip6_read(struct cursor *c, struct frame_ip *ip)
{
	ip->fi_src.family = ip->fi_dst.family = AF_INET6;
	return cursor_skip(c, 6) && /* version, class, flow label, payload length */
	       cursor_u8(c, &ip->fi_proto) && cursor_skip(c, 1) && /* hop limit */
	       cursor_bytes(c, ip->fi_src.bytes, 16) && cursor_bytes(c, ip->fi_dst.bytes, 16);
}

static bool ip_read_at(struct cursor c, struct frame_ip *ip)
{
	struct cursor peek = c;
	uint8_t first;

	memset(ip, 0, sizeof(*ip));
	ip->fi_l3 = c;
	if (!cursor_u8(&peek, &first))
		return false;
	switch (first >> 4) { /* the version */
	case 4:
		if (!ip4_read(&c, ip))
			return false;
		break;
	case 6:
		if (!ip6_read(&c, ip))
			return false;
		break;
	default:
		return false;
	}
	ip->fi_payload = c;
	return true;
}

bool ip_read(const uint8_t *pkt, size_t len, struct frame_ip *ip)
{
	return ip_read_at(cursor_make(pkt, len), ip);
}

bool frame_ip(const uint8_t *frame, size_t len, struct frame_ip *ip)
{
	uint16_t type;
	struct cursor c = after_ethertype(frame, len, &type);

	if (!ip_read_at(c, ip))
		return false;
	return type == (ip->fi_src.family == AF_INET ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
}

uint8_t frame_ip6_icmp_type(const uint8_t *frame, size_t len)
{
	struct frame_ip ip;
	uint8_t type = 0;

	if (frame_ip(frame, len, &ip) && ip.fi_src.family == AF_INET6)
		cursor_u8(&ip.fi_payload, &type);
	return type;
}
