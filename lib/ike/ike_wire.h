/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_IKE_WIRE_H
#define ESPGATE_IKE_WIRE_H

/*
 * What IKEv1 and IKEv2 messages share on the wire: the 28-byte fixed
 * header (RFC 2408 §3.1, RFC 7296 §3.1: two 8-byte SPIs or cookies, Next
 * Payload at offset 16, then version, exchange type, flags, message ID
 * and the length at offset 24) and the 4-byte generic payload header
 * (RFC 2408 §3.2, RFC 7296 §3.2: next payload, a flags octet that is
 * IKEv2's critical bit and IKEv1's RESERVED, length including itself).
 * Each version's codec (ikev1_msg.h, ikev2_msg.h) builds on these.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"

#define IKE_WIRE_HDR_LEN 28
#define IKE_WIRE_GEN_HDR_LEN 4
#define IKE_WIRE_PL_NONE 0 /* "no next payload" in both versions */

/*
 * One generic payload header and the body it announces, from c. false
 * when the header or the body does not fit, or the length is below the
 * header's own.
 */
static inline bool ike_wire_read_payload(struct cursor *c, uint8_t *next,
					 uint8_t *flags, struct cursor *body)
{
	uint16_t len;

	return cursor_u8(c, next) && cursor_u8(c, flags) &&
	       cursor_be16(c, &len) && len >= IKE_WIRE_GEN_HDR_LEN &&
	       cursor_sub(c, len - IKE_WIRE_GEN_HDR_LEN, body);
}

/*
 * The writer: appends to a caller buffer. The first failure sticks in
 * w_err (-EMSGSIZE when full or a payload passes 65535 bytes, -EINVAL
 * when an encoder was handed something the RFCs forbid or payloads were
 * begun/ended out of order): every later write is then a no-op and
 * ike_w_finish() returns it.
 */
struct ike_writer {
	uint8_t *w_buf;
	size_t w_len;
	size_t w_cap;
	int w_err;
	size_t w_hdr;    /* fixed header offset, SIZE_MAX: none written */
	size_t w_next;   /* next-payload byte to patch, SIZE_MAX: none */
	size_t w_pl;     /* open payload's generic header, SIZE_MAX: none */
	uint8_t w_first; /* type of the first payload begun */
	bool w_sealed;   /* SK/SKF written: no payload may follow */
};

void ike_w_init(struct ike_writer *w, uint8_t *buf, size_t cap);
void ike_w_u8(struct ike_writer *w, uint8_t v);
void ike_w_be16(struct ike_writer *w, uint16_t v);
void ike_w_be32(struct ike_writer *w, uint32_t v);
void ike_w_bytes(struct ike_writer *w, const void *p, size_t n);
/* n zero bytes; returns where they are (stable: the buffer is the
 * caller's), NULL once w_err is set. */
uint8_t *ike_w_reserve(struct ike_writer *w, size_t n);
/* Marks the writer failed with err unless it already is. */
void ike_w_fail(struct ike_writer *w, int err);

/* The fixed header, first and once; Next Payload and Length are left
 * for the first ike_w_pl_begin() and ike_w_finish() to fill. */
void ike_w_fixed_hdr(struct ike_writer *w, const uint8_t spi_i[8],
		     const uint8_t spi_r[8], uint8_t version, uint8_t exchange,
		     uint8_t flags, uint32_t msgid);
/* Opens a payload: sets the previous next-payload field (header's or
 * last payload's) to type and writes a generic header to patch. */
void ike_w_pl_begin(struct ike_writer *w, uint8_t type, bool critical);
/* Closes the open payload: fills its length. */
void ike_w_pl_end(struct ike_writer *w);
/* Sets the last payload's next-payload field to next and closes the
 * chain: for SK and SKF, whose field names the first inner payload. */
void ike_w_pl_seal(struct ike_writer *w, uint8_t next);
/* Overwrites two bytes already written at offset at (big-endian). */
void ike_w_patch16(struct ike_writer *w, size_t at, uint16_t v);
/* A whole payload from a body. */
void ike_w_pl_raw(struct ike_writer *w, uint8_t type, bool critical,
		  const void *body, size_t len);
/* Fills the header's length; 0 and *len = bytes written, or w_err. */
int ike_w_finish(struct ike_writer *w, size_t *len);

#endif
