/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_JSON_POS_H
#define ESPGATE_JSON_POS_H

/*
 * Where things are in a JSON text. jansson reports positions only for
 * syntax errors; the config validator needs them for values and keys of
 * a document that parsed fine, so it rescans the text.
 */

#include <stdbool.h>
#include <stddef.h>

/* A path into a document, leaf first: each element points to its parent,
 * on the caller's stack. NULL is the root ("$"). */
struct json_path {
	const struct json_path *up;
	const char *key; /* member name (decoded), or NULL for an array index */
	size_t index;
};

/* Positions count like jansson's: lines from 1, columns in characters
 * (not bytes) from 1. */
struct json_pos {
	unsigned line;
	unsigned col;
};

/* Paths deeper than this are not found. */
#define JSON_POS_MAX_DEPTH 32

static inline struct json_path json_path_key(const struct json_path *up,
					     const char *key)
{
	struct json_path p = { .up = up, .key = key };
	return p;
}

static inline struct json_path json_path_index(const struct json_path *up,
					       size_t index)
{
	struct json_path p = { .up = up, .index = index };
	return p;
}

/* "ports[1].addresses[0]"; "$" for the root; odd member names quoted as
 * ["a.b"]. Truncated to fit len. */
void json_path_format(const struct json_path *p, char *buf, size_t len);

/* Finds where, in the len bytes of text, the value at p starts, or with
 * key set, where the member name ending p starts (its opening quote).
 * False when the path is not in the text or the text is not JSON. */
bool json_pos_find(const char *text, size_t len, const struct json_path *p,
		   bool key, struct json_pos *out);

/* For the member name whose closing quote is at *pos (where jansson
 * reports a duplicate key): formats its path into buf and moves *pos to
 * its opening quote. The text after *pos need not be valid. False, with
 * nothing changed, when no member name ends there. */
bool json_pos_key_path_at(const char *text, size_t len, struct json_pos *pos,
			  char *buf, size_t buflen);

#endif
