/* SPDX-License-Identifier: BSD-3-Clause */
#include "json_pos.h"
#include "chars.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * A walker over a JSON text that keeps the path to where it is and calls
 * a visitor at every member name and every value. It trusts that jansson
 * accepted the text (or the part before the point of interest), but never
 * reads past the end of the buffer when it did not.
 */

/* jansson refuses deeper documents; this only bounds our recursion. */
#define JP_MAX_NESTING 4096

struct jp_frame {
	const char *raw; /* member name as written, quotes excluded; NULL for an index */
	size_t raw_len;
	size_t index;
};

enum jp_event { JP_KEY, JP_VALUE };

struct jp_walk {
	const char *p, *end;
	unsigned line, col; /* col: characters consumed on this line */
	/* Frames are kept for the first JSON_POS_MAX_DEPTH levels; deeper
	 * levels share the last, spare one. */
	struct jp_frame stack[JSON_POS_MAX_DEPTH + 1];
	unsigned depth;
	/* Returns true to stop the walk. */
	bool (*visit)(struct jp_walk *w, enum jp_event ev, struct json_pos start,
		      struct json_pos end);
	void *arg;
	bool stopped;
};

static int peek(const struct jp_walk *w)
{
	return w->p < w->end ? (unsigned char)*w->p : -1;
}

/* Counts like jansson: a newline starts a line, and every byte that
 * starts a UTF-8 sequence is one column. */
static void advance(struct jp_walk *w)
{
	unsigned char c = (unsigned char)*w->p++;

	if (c == '\n') {
		w->line++;
		w->col = 0;
	} else if ((c & 0xc0) != 0x80) {
		w->col++;
	}
}

static struct json_pos here(const struct jp_walk *w)
{
	struct json_pos pos = { w->line, w->col + 1 };
	return pos;
}

static struct json_pos last(const struct jp_walk *w)
{
	struct json_pos pos = { w->line, w->col };
	return pos;
}

static void skip_ws(struct jp_walk *w)
{
	int c;

	while ((c = peek(w)) == ' ' || c == '\t' || c == '\n' || c == '\r')
		advance(w);
}

static bool visit(struct jp_walk *w, enum jp_event ev, struct json_pos start,
		  struct json_pos end)
{
	if (w->visit(w, ev, start, end))
		w->stopped = true;
	return w->stopped;
}

static bool scan_string(struct jp_walk *w, const char **raw, size_t *raw_len)
{
	if (peek(w) != '"')
		return false;
	advance(w);
	*raw = w->p;
	while (w->p < w->end) {
		if (*w->p == '"') {
			*raw_len = (size_t)(w->p - *raw);
			advance(w);
			return true;
		}
		if (*w->p == '\\') {
			advance(w);
			if (w->p >= w->end)
				return false;
		}
		advance(w);
	}
	return false;
}

/* Numbers, true, false, null: already checked by jansson. */
static bool scan_scalar(struct jp_walk *w)
{
	const char *start = w->p;
	int c;

	while ((c = peek(w)) != -1 &&
	       ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		c == 'E' || c == '+' || c == '-' || c == '.'))
		advance(w);
	return w->p != start;
}

static struct jp_frame *top(struct jp_walk *w)
{
	return &w->stack[w->depth <= JSON_POS_MAX_DEPTH ? w->depth - 1
							: JSON_POS_MAX_DEPTH];
}

static bool scan_value(struct jp_walk *w);

/* After '{' or '[': an empty container closes at once. */
static bool enter(struct jp_walk *w, char close, bool *empty)
{
	advance(w);
	skip_ws(w);
	*empty = peek(w) == close;
	if (*empty)
		advance(w);
	else if (++w->depth > JP_MAX_NESTING)
		return false;
	return true;
}

/* After a member or element: true with *more when a ',' follows. */
static bool next(struct jp_walk *w, char close, bool *more)
{
	skip_ws(w);
	*more = peek(w) == ',';
	if (*more || peek(w) == close) {
		advance(w);
		if (!*more)
			w->depth--;
		return true;
	}
	return false;
}

static bool scan_object(struct jp_walk *w)
{
	bool empty, more = true;

	if (!enter(w, '}', &empty))
		return false;
	while (!empty && more) {
		struct jp_frame *f = top(w);
		struct json_pos start;

		skip_ws(w);
		start = here(w);
		if (!scan_string(w, &f->raw, &f->raw_len))
			return false;
		if (visit(w, JP_KEY, start, last(w)))
			return false;
		skip_ws(w);
		if (peek(w) != ':')
			return false;
		advance(w);
		if (!scan_value(w) || !next(w, '}', &more))
			return false;
	}
	return true;
}

static bool scan_array(struct jp_walk *w)
{
	bool empty, more = true;
	size_t i;

	if (!enter(w, ']', &empty))
		return false;
	for (i = 0; !empty && more; i++) {
		struct jp_frame *f = top(w);

		f->raw = NULL;
		f->index = i;
		if (!scan_value(w) || !next(w, ']', &more))
			return false;
	}
	return true;
}

static bool scan_value(struct jp_walk *w)
{
	const char *raw;
	size_t raw_len;

	skip_ws(w);
	if (visit(w, JP_VALUE, here(w), here(w)))
		return false;
	switch (peek(w)) {
	case '{':
		return scan_object(w);
	case '[':
		return scan_array(w);
	case '"':
		return scan_string(w, &raw, &raw_len);
	default:
		return scan_scalar(w);
	}
}

static void walk(const char *text, size_t len, struct jp_walk *w)
{
	w->p = text;
	w->end = text + len;
	w->line = 1;
	w->col = 0;
	w->depth = 0;
	w->stopped = false;
	scan_value(w);
}

/* Decoding member names: the output is never longer than the input. */

static long hex4(const char *s)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		int d = hex_digit(s[i]);

		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static size_t put_utf8(char *o, long cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* \uXXXX at raw[*i] (just past the 'u'), with a following low surrogate. */
static long decode_u(const char *raw, size_t n, size_t *i)
{
	long cp = *i + 4 <= n ? hex4(raw + *i) : -1, lo;

	if (cp < 0)
		return '?';
	*i += 4;
	if (cp >= 0xd800 && cp <= 0xdbff && *i + 6 <= n && raw[*i] == '\\' &&
	    raw[*i + 1] == 'u') {
		lo = hex4(raw + *i + 2);
		if (lo >= 0xdc00 && lo <= 0xdfff) {
			*i += 6;
			return 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		}
	}
	return cp;
}

static char simple_escape(char e)
{
	switch (e) {
	case 'b': return '\b';
	case 'f': return '\f';
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	default: return e; /* '"', '\\', '/' */
	}
}

static void decode(const char *raw, size_t n, char *out)
{
	size_t i = 0, o = 0;

	while (i < n) {
		if (raw[i] != '\\' || i + 1 >= n) {
			out[o++] = raw[i++];
			continue;
		}
		i += 2;
		if (raw[i - 1] == 'u')
			o += put_utf8(out + o, decode_u(raw, n, &i));
		else
			out[o++] = simple_escape(raw[i - 1]);
	}
	out[o] = '\0';
}

static bool raw_equals(const char *raw, size_t n, const char *want)
{
	char *buf;
	bool eq;

	if (!memchr(raw, '\\', n))
		return strlen(want) == n && memcmp(raw, want, n) == 0;
	buf = malloc(n + 1);
	if (!buf)
		return false;
	decode(raw, n, buf);
	eq = strcmp(buf, want) == 0;
	free(buf);
	return eq;
}

/* Path formatting. */

struct sbuf {
	char *buf;
	size_t len, used;
};

__attribute__((format(printf, 2, 3)))
static void sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sb->used >= sb->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->used, sb->len - sb->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		sb->used += (size_t)n;
}

static bool plain_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!is_name_char(*s))
			return false;
	return true;
}

static void format_quoted(struct sbuf *sb, const char *s)
{
	sb_printf(sb, "[\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			sb_printf(sb, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			sb_printf(sb, "\\u%04x", c);
		else
			sb_printf(sb, "%c", c);
	}
	sb_printf(sb, "\"]");
}

static void format_into(struct sbuf *sb, const struct json_path *p)
{
	if (!p)
		return;
	format_into(sb, p->up);
	if (!p->key)
		sb_printf(sb, "%s[%zu]", p->up ? "" : "$", p->index);
	else if (plain_name(p->key))
		sb_printf(sb, "%s%s", p->up ? "." : "", p->key);
	else
		format_quoted(sb, p->key);
}

void json_path_format(const struct json_path *p, char *buf, size_t len)
{
	struct sbuf sb = { buf, len, 0 };

	if (!len)
		return;
	buf[0] = '\0';
	if (!p)
		sb_printf(&sb, "$");
	format_into(&sb, p);
}

/* Finding a path. */

struct jp_find {
	const struct json_path *elems[JSON_POS_MAX_DEPTH];
	unsigned n;
	bool key;
	bool found;
	struct json_pos pos;
};

static bool stack_matches(const struct jp_walk *w, const struct jp_find *f)
{
	if (w->depth != f->n)
		return false;
	for (unsigned i = 0; i < f->n; i++) {
		const struct jp_frame *fr = &w->stack[i];
		const struct json_path *want = f->elems[i];

		if (want->key ? !fr->raw || !raw_equals(fr->raw, fr->raw_len, want->key)
			      : fr->raw || fr->index != want->index)
			return false;
	}
	return true;
}

static bool find_visit(struct jp_walk *w, enum jp_event ev,
		       struct json_pos start, struct json_pos end)
{
	struct jp_find *f = w->arg;

	(void)end;
	if ((ev == JP_KEY) != f->key || !stack_matches(w, f))
		return false;
	f->found = true;
	f->pos = start;
	return true;
}

bool json_pos_find(const char *text, size_t len, const struct json_path *p,
		   bool key, struct json_pos *out)
{
	struct jp_find f = { .key = key };
	struct jp_walk w = { .visit = find_visit, .arg = &f };
	const struct json_path *q;
	unsigned i;

	if (key && (!p || !p->key))
		return false;
	for (q = p; q; q = q->up)
		if (++f.n > JSON_POS_MAX_DEPTH)
			return false;
	for (q = p, i = f.n; q; q = q->up)
		f.elems[--i] = q;
	walk(text, len, &w);
	if (f.found)
		*out = f.pos;
	return f.found;
}

/* Finding the member name that ends at a position. */

struct jp_at {
	struct json_pos end;
	struct json_pos start;
	char *buf;
	size_t buflen;
	bool found;
};

static bool format_stack(const struct jp_walk *w, char *buf, size_t len)
{
	struct json_path path[JSON_POS_MAX_DEPTH];
	char *keys[JSON_POS_MAX_DEPTH] = { 0 };
	bool ok = true;
	unsigned i;

	for (i = 0; i < w->depth; i++) {
		const struct jp_frame *f = &w->stack[i];

		path[i] = json_path_index(i ? &path[i - 1] : NULL, f->index);
		if (!f->raw)
			continue;
		keys[i] = malloc(f->raw_len + 1);
		if (!keys[i]) {
			ok = false;
			goto out;
		}
		decode(f->raw, f->raw_len, keys[i]);
		path[i].key = keys[i];
	}
	json_path_format(w->depth ? &path[w->depth - 1] : NULL, buf, len);
out:
	for (i = 0; i < w->depth; i++)
		free(keys[i]);
	return ok;
}

static bool at_visit(struct jp_walk *w, enum jp_event ev,
		     struct json_pos start, struct json_pos end)
{
	struct jp_at *at = w->arg;

	if (ev != JP_KEY || end.line != at->end.line || end.col != at->end.col)
		return false;
	if (w->depth <= JSON_POS_MAX_DEPTH &&
	    format_stack(w, at->buf, at->buflen)) {
		at->found = true;
		at->start = start;
	}
	return true;
}

bool json_pos_key_path_at(const char *text, size_t len, struct json_pos *pos,
			  char *buf, size_t buflen)
{
	struct jp_at at = { .end = *pos, .buf = buf, .buflen = buflen };
	struct jp_walk w = { .visit = at_visit, .arg = &at };

	walk(text, len, &w);
	if (at.found)
		*pos = at.start;
	return at.found;
}
