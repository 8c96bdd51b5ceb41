/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The JSON underneath: errors that say where (json_pos.c finds the
 * position), type and member checks, arrays, and reading a file that
 * may hold keys.
 */

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cfg_priv.h"

/* The message is one line whatever the file held. */
void cfg_one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

__attribute__((format(printf, 4, 0)))
static void write_err(struct cfg_ctx *c, struct json_pos pos, const char *path,
		      const char *fmt, va_list ap)
{
	char msg[512];

	if (!c->err || !c->errlen)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	snprintf(c->err, c->errlen, "%s:%u:%u: %s: %s", c->name, pos.line,
		 pos.col, path, msg);
	cfg_one_line(c->err);
}

__attribute__((format(printf, 4, 5)))
int cfg_err(struct cfg_ctx *c, const struct json_path *p,
	    enum cfg_at at, const char *fmt, ...)
{
	const struct json_path *where = at == AT_PARENT ? p->up : p;
	struct json_pos pos = { 0, 0 };
	char path[CFG_PATH_STRLEN];
	va_list ap;

	json_pos_find(c->text, c->len, where, at == AT_KEY, &pos);
	json_path_format(p, path, sizeof(path));
	va_start(ap, fmt);
	write_err(c, pos, path, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

__attribute__((format(printf, 4, 5)))
static int err_at_pos(struct cfg_ctx *c, struct json_pos pos, const char *path,
		      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	write_err(c, pos, path, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int cfg_nomem(struct cfg_ctx *c)
{
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "%s: out of memory", c->name);
	return -ENOMEM;
}

/* jansson quotes the token it stopped at: "unexpected newline near
 * '"0011223344'". When that token is a hex string it may be key material
 * (sas[].enc_key, integ_key), which is never printed. */
static void hide_hex_token(char *msg)
{
	static const char quote[] = " near '\"";
	char *near = strstr(msg, quote);
	const char *s;
	size_t n = 0;

	if (!near)
		return;
	s = near + strlen(quote);
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	while (isxdigit((unsigned char)s[n]))
		n++;
	if (n >= 8)
		strcpy(near, " in a hex string (not shown)");
}

/* Whether the n bytes tok, found in the text at or before pos, are a
 * string value of a "psk" member. */
static bool psk_value_at(const struct cfg_ctx *c, size_t pos, const char *tok,
			 size_t n)
{
	const char *t = c->text, *k = "\"psk\"";
	size_t s, klen = strlen(k);

	if (n == 0 || n > c->len)
		return false;
	s = pos < c->len - n ? pos : c->len - n;
	for (;; s--) {
		if (memcmp(t + s, tok, n) == 0)
			break;
		if (s == 0)
			return false;
	}
	while (s > 0 && isspace((unsigned char)t[s - 1]))
		s--;
	if (s == 0 || t[--s] != ':')
		return false;
	while (s > 0 && isspace((unsigned char)t[s - 1]))
		s--;
	return s >= klen && memcmp(t + s - klen, k, klen) == 0;
}

/* The token jansson quotes may be part of a secret: in the secrets file
 * any string, in the configuration a psk's value. */
static void hide_secret_token(const struct cfg_ctx *c, const json_error_t *je,
			      char *msg)
{
	static const char quote[] = " near '\"";
	char *near = strstr(msg, quote);
	const char *tok;
	size_t n;

	if (!near)
		return;
	tok = near + strlen(" near '");
	n = strlen(tok);
	if (n && tok[n - 1] == '\'')
		n--;
	if (c->secrets ||
	    psk_value_at(c, je->position > 0 ? (size_t)je->position : 0, tok, n))
		strcpy(near, " in a secret (not shown)");
}

/* jansson's own errors: syntax, and duplicate keys, which we point at the
 * start of the second occurrence and name by path. */
int cfg_syntax_err(struct cfg_ctx *c, const json_error_t *je)
{
	struct json_pos pos = { je->line > 0 ? (unsigned)je->line : 0,
				je->column > 0 ? (unsigned)je->column : 0 };
	char path[CFG_PATH_STRLEN], text[JSON_ERROR_TEXT_LENGTH + 32];

	if (json_error_code(je) == json_error_duplicate_key &&
	    json_pos_key_path_at(c->text, c->len, &pos, path, sizeof(path)))
		return err_at_pos(c, pos, path, "duplicate key");
	snprintf(text, sizeof(text), "%s", je->text);
	hide_secret_token(c, je, text);
	hide_hex_token(text);
	return err_at_pos(c, pos, "$", "%s", text);
}

const char *cfg_type_name(json_type t)
{
	switch (t) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a real number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

int cfg_expect(struct cfg_ctx *c, const struct json_path *p, json_t *v,
	       json_type t)
{
	if (json_typeof(v) == t)
		return 0;
	return cfg_err(c, p, AT_VALUE, "expected %s, got %s", cfg_type_name(t),
		       cfg_type_name(json_typeof(v)));
}

/* The member p->key of obj, typed; *v is NULL when absent and optional. */
int cfg_member(struct cfg_ctx *c, const struct json_path *p, json_t *obj,
	       json_type t, bool required, json_t **v)
{
	*v = json_object_get(obj, p->key);
	if (!*v)
		return required ? cfg_err(c, p, AT_PARENT, "missing required key")
				: 0;
	return cfg_expect(c, p, *v, t);
}

static int find_name(const char *s, const char *const *names)
{
	for (int i = 0; names[i]; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

void cfg_join_names(const char *const *names, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; names[i] && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s\"%s\"",
				 i ? ", " : "", names[i]);
		if (n > 0)
			used += (size_t)n;
	}
}

int cfg_known_keys(struct cfg_ctx *c, const struct json_path *p,
		   json_t *obj, const char *const *keys)
{
	char list[256];

	for (void *it = json_object_iter(obj); it;
	     it = json_object_iter_next(obj, it)) {
		const char *k = json_object_iter_key(it);
		struct json_path pk = json_path_key(p, k);

		if (find_name(k, keys) >= 0)
			continue;
		cfg_join_names(keys, list, sizeof(list));
		return cfg_err(c, &pk, AT_KEY, "unknown key (expected %s)",
			       list);
	}
	return 0;
}

int cfg_object(struct cfg_ctx *c, const struct json_path *p, json_t *v,
	       const char *const *keys)
{
	int rc = cfg_expect(c, p, v, JSON_OBJECT);

	return rc ? rc : cfg_known_keys(c, p, v, keys);
}

int cfg_one_of(struct cfg_ctx *c, const struct json_path *p, json_t *v,
	       const char *const *names, int *idx)
{
	char list[256];

	*idx = find_name(json_string_value(v), names);
	if (*idx >= 0)
		return 0;
	cfg_join_names(names, list, sizeof(list));
	return cfg_err(c, p, AT_VALUE, "\"%.40s\" is not one of %s",
		       json_string_value(v), list);
}

int cfg_expect_bool(struct cfg_ctx *c, const struct json_path *p,
		    json_t *v)
{
	if (json_is_boolean(v))
		return 0;
	return cfg_err(c, p, AT_VALUE, "expected a boolean, got %s",
		       cfg_type_name(json_typeof(v)));
}

/* Arrays: one walker for every list in the file. */

int cfg_array_bounds(struct cfg_ctx *c, const struct json_path *p,
		     json_t *arr, const struct cfg_array *a)
{
	size_t n = json_array_size(arr);

	if (n == 0 && a->if_empty)
		return cfg_err(c, p, AT_VALUE, "%s", a->if_empty);
	if (a->max && n > a->max)
		return cfg_err(c, p, AT_VALUE, "at most %zu %s", a->max, a->many);
	return 0;
}

int cfg_array_open(struct cfg_ctx *c, const struct json_path *p, json_t *obj,
		   const struct cfg_array *a, json_t **arr)
{
	int rc;

	if ((rc = cfg_member(c, p, obj, JSON_ARRAY, a->required, arr)) ||
	    !*arr || (rc = cfg_array_bounds(c, p, *arr, a)))
		return rc;
	if (json_array_size(*arr) == 0)
		*arr = NULL;
	return 0;
}

int cfg_array_each(struct cfg_ctx *c, const struct json_path *p, json_t *arr,
		   cfg_elem_fn *fn, void *arg)
{
	int rc;

	for (size_t i = 0; i < json_array_size(arr); i++) {
		struct json_path pi = json_path_index(p, i);

		if ((rc = fn(c, &pi, json_array_get(arr, i), i, arg)))
			return rc;
	}
	return 0;
}

int cfg_array(struct cfg_ctx *c, const struct json_path *p, json_t *obj,
	      const struct cfg_array *a, cfg_elem_fn *fn, void *arg)
{
	json_t *arr;
	int rc = cfg_array_open(c, p, obj, a, &arr);

	return rc || !arr ? rc : cfg_array_each(c, p, arr, fn, arg);
}

void *cfg_calloc(struct cfg_ctx *c, size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		cfg_nomem(c);
	return p;
}

/* The text holds SA keys or pre-shared keys: no copy of it is left behind
 * in freed memory (hence no realloc, and no stdio buffer). */
void cfg_wipe_free(char *buf, size_t len)
{
	if (buf)
		explicit_bzero(buf, len);
	free(buf);
}

int cfg_read_file(const char *path, char **text, size_t *len, unsigned *mode)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 0, n = 0, got, want;
	char *buf = NULL, *grown;
	struct stat st;
	int rc = 0;

	if (!f)
		return -errno;
	if (mode) {
		if (fstat(fileno(f), &st) != 0) {
			rc = -errno;
			goto out;
		}
		*mode = (unsigned)(st.st_mode & 07777);
	}
	setvbuf(f, NULL, _IONBF, 0);
	do {
		if (n == cap) {
			want = cap ? 2 * cap : 4096;
			grown = want <= CFG_FILE_MAX ? malloc(want) : NULL;
			if (!grown) {
				rc = want <= CFG_FILE_MAX ? -ENOMEM : -EFBIG;
				goto out;
			}
			if (n)
				memcpy(grown, buf, n);
			cfg_wipe_free(buf, cap);
			buf = grown;
			cap = want;
		}
		errno = 0;
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	if (ferror(f))
		rc = errno ? -errno : -EIO;
out:
	fclose(f);
	if (rc) {
		cfg_wipe_free(buf, cap);
		return rc;
	}
	*text = buf;
	*len = n;
	return 0;
}
