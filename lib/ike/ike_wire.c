/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The writer both IKE versions build messages with (ike_wire.h).
 */

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "ike_wire.h"

void ike_w_init(struct ike_writer *w, uint8_t *buf, size_t cap)
{
	*w = (struct ike_writer){
		.w_buf = buf,
		.w_cap = cap,
		.w_hdr = SIZE_MAX,
		.w_next = SIZE_MAX,
		.w_pl = SIZE_MAX,
	};
}

void ike_w_fail(struct ike_writer *w, int err)
{
	if (!w->w_err)
		w->w_err = err;
}

uint8_t *ike_w_reserve(struct ike_writer *w, size_t n)
{
	uint8_t *p;

	if (w->w_err)
		return NULL;
	if (n > w->w_cap - w->w_len) {
		ike_w_fail(w, -EMSGSIZE);
		return NULL;
	}
	p = w->w_buf + w->w_len;
	if (n)
		memset(p, 0, n);
	w->w_len += n;
	return p;
}

void ike_w_bytes(struct ike_writer *w, const void *p, size_t n)
{
	uint8_t *d = ike_w_reserve(w, n);

	if (d && n)
		memcpy(d, p, n);
}

void ike_w_u8(struct ike_writer *w, uint8_t v)
{
	ike_w_bytes(w, &v, 1);
}

void ike_w_be16(struct ike_writer *w, uint16_t v)
{
	const uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	ike_w_bytes(w, b, sizeof(b));
}

void ike_w_be32(struct ike_writer *w, uint32_t v)
{
	ike_w_be16(w, (uint16_t)(v >> 16));
	ike_w_be16(w, (uint16_t)v);
}

void ike_w_patch16(struct ike_writer *w, size_t at, uint16_t v)
{
	if (w->w_err)
		return;
	if (at > w->w_len || w->w_len - at < 2) {
		ike_w_fail(w, -EINVAL);
		return;
	}
	w->w_buf[at] = (uint8_t)(v >> 8);
	w->w_buf[at + 1] = (uint8_t)v;
}


void ike_w_fixed_hdr(struct ike_writer *w, const uint8_t spi_i[8],
		     const uint8_t spi_r[8], uint8_t version, uint8_t exchange,
		     uint8_t flags, uint32_t msgid)
{
	const size_t at = w->w_len;

	if (!w->w_err &&
	    (w->w_hdr != SIZE_MAX || w->w_first != IKE_WIRE_PL_NONE))
		ike_w_fail(w, -EINVAL); /* the header comes first, once */
	ike_w_bytes(w, spi_i, 8);
	ike_w_bytes(w, spi_r, 8);
	ike_w_u8(w, IKE_WIRE_PL_NONE); /* set by the first ike_w_pl_begin() */
	ike_w_u8(w, version);
	ike_w_u8(w, exchange);
	ike_w_u8(w, flags);
	ike_w_be32(w, msgid);
	ike_w_be32(w, 0); /* set by ike_w_finish() */
	if (w->w_err)
		return;
	w->w_hdr = at;
	w->w_next = at + 16;
}

void ike_w_pl_begin(struct ike_writer *w, uint8_t type, bool critical)
{
	const size_t at = w->w_len;

	if (!w->w_err && (w->w_pl != SIZE_MAX || w->w_sealed))
		ike_w_fail(w, -EINVAL); /* one open at a time, none after SK */
	ike_w_u8(w, IKE_WIRE_PL_NONE);
	ike_w_u8(w, critical ? 0x80 : 0 /* IKEv2 §3.2 */);
	ike_w_be16(w, 0);
	if (w->w_err)
		return;
	if (w->w_next != SIZE_MAX)
		w->w_buf[w->w_next] = type;
	if (w->w_first == IKE_WIRE_PL_NONE)
		w->w_first = type;
	w->w_next = at;
	w->w_pl = at;
}

void ike_w_pl_end(struct ike_writer *w)
{
	size_t len;

	if (!w->w_err && w->w_pl == SIZE_MAX)
		ike_w_fail(w, -EINVAL);
	if (w->w_err)
		return;
	len = w->w_len - w->w_pl;
	if (len > UINT16_MAX) {
		ike_w_fail(w, -EMSGSIZE);
		return;
	}
	ike_w_patch16(w, w->w_pl + 2, (uint16_t)len);
	w->w_pl = SIZE_MAX;
}

void ike_w_pl_seal(struct ike_writer *w, uint8_t next)
{
	if (!w->w_err && (w->w_pl != SIZE_MAX || w->w_next == SIZE_MAX))
		ike_w_fail(w, -EINVAL);
	if (w->w_err)
		return;
	w->w_buf[w->w_next] = next;
	w->w_sealed = true;
}

void ike_w_pl_raw(struct ike_writer *w, uint8_t type, bool critical,
		  const void *body, size_t len)
{
	ike_w_pl_begin(w, type, critical);
	ike_w_bytes(w, body, len);
	ike_w_pl_end(w);
}

int ike_w_finish(struct ike_writer *w, size_t *len)
{
	size_t n;

	if (!w->w_err && w->w_pl != SIZE_MAX)
		ike_w_fail(w, -EINVAL); /* a payload left open */
	if (w->w_err)
		return w->w_err;
	if (w->w_hdr != SIZE_MAX) {
		n = w->w_len - w->w_hdr;
		if (n > UINT32_MAX)
			return -EMSGSIZE;
		ike_w_patch16(w, w->w_hdr + 24, (uint16_t)(n >> 16));
		ike_w_patch16(w, w->w_hdr + 26, (uint16_t)n);
	}
	if (len)
		*len = w->w_len;
	return 0;
}
