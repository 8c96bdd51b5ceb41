/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_CKSUM_H
#define ESPGATE_CKSUM_H

/*
 * The IPv4 header checksum (RFC 1071) for the fast path: the header's
 * 32-bit words summed and folded. rte_raw_cksum walks 16-bit words one
 * at a time; an IPv4 header is always a whole number of 32-bit words.
 */

#include <stdint.h>
#include <string.h>

/* The folded one's complement sum of the IPv4 header at h (its IHL
 * taken from h), in the header's own byte order: 0xffff when the
 * checksum field is right. */
static inline uint16_t dp_ipv4_hdr_sum(const uint8_t *h)
{
	unsigned words = h[0] & 0x0f;
	uint64_t sum = 0;
	uint32_t w5[5];

	if (words == 5) { /* no options: the common case, unrolled */
		memcpy(w5, h, sizeof(w5));
		sum = (uint64_t)w5[0] + w5[1] + w5[2] + w5[3] + w5[4];
		words = 0;
	}
	for (unsigned i = 0; i < words; i++) {
		uint32_t w;

		memcpy(&w, h + 4 * i, 4);
		sum += w;
	}
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Recomputes the checksum field (bytes 10-11) of the header at h. */
static inline void dp_ipv4_hdr_cksum_set(uint8_t *h)
{
	uint16_t c;

	h[10] = h[11] = 0;
	c = (uint16_t)~dp_ipv4_hdr_sum(h);
	memcpy(h + 10, &c, 2);
}

#endif
