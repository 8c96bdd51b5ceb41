/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_CURSOR_H
#define ESPGATE_CURSOR_H

/*
 * The one way espgate reads bytes from the network: a cursor over a
 * buffer whose readers fail, without moving, when fewer bytes are left
 * than asked for. No parser does its own offset arithmetic.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "byteorder.h"

struct cursor {
	const uint8_t *p;
	size_t left;
};

static inline struct cursor cursor_make(const void *buf, size_t len)
{
	struct cursor c = { .p = buf, .left = len };
	return c;
}

static inline bool cursor_skip(struct cursor *c, size_t n)
{
	if (c->left < n)
		return false;
	c->p += n;
	c->left -= n;
	return true;
}

static inline bool cursor_u8(struct cursor *c, uint8_t *v)
{
	if (c->left < 1)
		return false;
	*v = c->p[0];
	return cursor_skip(c, 1);
}

static inline bool cursor_be16(struct cursor *c, uint16_t *v)
{
	if (c->left < 2)
		return false;
	*v = be16_get(c->p);
	return cursor_skip(c, 2);
}

static inline bool cursor_be32(struct cursor *c, uint32_t *v)
{
	if (c->left < 4)
		return false;
	*v = be32_get(c->p);
	return cursor_skip(c, 4);
}

static inline bool cursor_be64(struct cursor *c, uint64_t *v)
{
	bool ok = c->left >= 8;

	*v = ok ? be64_get(c->p) : *v;
	return ok && cursor_skip(c, 8);
}

static inline bool cursor_bytes(struct cursor *c, void *dst, size_t n)
{
	if (c->left < n)
		return false;
	memcpy(dst, c->p, n);
	return cursor_skip(c, n);
}

/* Splits off the next n bytes as a cursor of their own. */
static inline bool cursor_sub(struct cursor *c, size_t n, struct cursor *sub)
{
	if (c->left < n)
		return false;
	*sub = cursor_make(c->p, n);
	return cursor_skip(c, n);
}

#endif
