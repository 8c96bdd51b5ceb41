/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_BYTEORDER_H
#define ESPGATE_BYTEORDER_H

/*
 * Big-endian (network order) loads and stores at any alignment: the one
 * set of byte-order helpers for lib/ike, lib/dataplane and app/. Wire
 * parsing still goes through a cursor (cursor.h); these are for the
 * fixed fields a cursor has already bounded, and for building messages.
 *
 * Whole-word loads and stores (memcpy and a byte swap): bytes stored one
 * at a time and then read back as a word (ESP's AAD, a header checksum)
 * stall store forwarding on the fast path, and GCC 12 does not merge
 * every byte-wise store into one.
 */

#include <stdint.h>
#include <string.h>

#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define BO_BE16(v) (v)
#define BO_BE32(v) (v)
#define BO_BE64(v) (v)
#else
#define BO_BE16(v) __builtin_bswap16(v)
#define BO_BE32(v) __builtin_bswap32(v)
#define BO_BE64(v) __builtin_bswap64(v)
#endif

static inline uint16_t be16_get(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return BO_BE16(v);
}

static inline uint32_t be32_get(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return BO_BE32(v);
}

static inline uint64_t be64_get(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return BO_BE64(v);
}

static inline void be16_put(uint8_t *p, uint16_t v)
{
	v = BO_BE16(v);
	memcpy(p, &v, 2);
}

static inline void be32_put(uint8_t *p, uint32_t v)
{
	v = BO_BE32(v);
	memcpy(p, &v, 4);
}

static inline void be64_put(uint8_t *p, uint64_t v)
{
	v = BO_BE64(v);
	memcpy(p, &v, 8);
}

#undef BO_BE16
#undef BO_BE32
#undef BO_BE64

#endif
