/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * "radius": the RADIUS servers EAP-RADIUS connections relay to (RFC
 * 3579) and send accounting to (RFC 2866), asked in order: the next when
 * one does not answer after its retries. Their shared secrets live in the
 * secrets file ("radius": {"<address>": "<secret>"}), never here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_priv.h"

#define RADIUS_AUTH_PORT 1812 /* RFC 2865 §3 */
#define RADIUS_ACCT_PORT 1813 /* RFC 2866 §3 */

static int parse_port(struct cfg_ctx *c, const struct json_path *p, json_t *obj,
		      const char *key, uint16_t def, uint16_t *out)
{
	struct json_path pp = json_path_key(p, key);
	unsigned port = def;
	json_t *v;
	int rc;

	if ((rc = cfg_member(c, &pp, obj, JSON_INTEGER, false, &v)) ||
	    (v && (rc = cfg_get_uint(c, &pp, v, 1, 65535, &port))))
		return rc;
	*out = (uint16_t)port;
	return 0;
}

/* {"address": "198.51.100.10", "port": 1812, "acct_port": 1813} */
static int parse_server(struct cfg_ctx *c, const struct json_path *p, json_t *obj,
			struct cfg_radius_server *s)
{
	static const char *const keys[] = { "address", "port", "acct_port", NULL };
	struct json_path pa = json_path_key(p, "address");
	json_t *v;
	int rc;

	if ((rc = cfg_object(c, p, obj, keys)) ||
	    (rc = cfg_member(c, &pa, obj, JSON_STRING, true, &v)) ||
	    (rc = cfg_parse_addr(c, &pa, v, &s->addr)) ||
	    (rc = parse_port(c, p, obj, "port", RADIUS_AUTH_PORT, &s->auth_port)))
		return rc;
	return parse_port(c, p, obj, "acct_port", RADIUS_ACCT_PORT, &s->acct_port);
}

static int parse_servers(struct cfg_ctx *c, const struct json_path *p, json_t *obj)
{
	struct json_path ps = json_path_key(p, "servers");
	struct cfg_radius *r = &c->cfg->radius;
	json_t *arr;
	int rc;

	if ((rc = cfg_member(c, &ps, obj, JSON_ARRAY, true, &arr)))
		return rc;
	if (json_array_size(arr) == 0 || json_array_size(arr) > CFG_RADIUS_SERVERS)
		return cfg_err(c, &ps, AT_VALUE, "1 to %d RADIUS servers, not %zu",
			       CFG_RADIUS_SERVERS, json_array_size(arr));
	for (size_t i = 0; i < json_array_size(arr); i++) {
		struct json_path pi = json_path_index(&ps, i);

		if ((rc = parse_server(c, &pi, json_array_get(arr, i), &r->servers[i])))
			return rc;
		for (size_t k = 0; k < i; k++)
			if (ip_addr_equal(&r->servers[k].addr, &r->servers[i].addr))
				return cfg_err(c, &pi, AT_VALUE,
					       "this RADIUS server's address is servers[%zu]'s too: the secrets file names a server by its address", k);
		r->n_servers++;
	}
	return 0;
}

static int parse_uint_key(struct cfg_ctx *c, const struct json_path *p, json_t *obj,
			  const char *key, unsigned min, unsigned max, unsigned *out)
{
	struct json_path pk = json_path_key(p, key);
	json_t *v;
	int rc;

	if ((rc = cfg_member(c, &pk, obj, JSON_INTEGER, false, &v)) || !v)
		return rc;
	return cfg_get_uint(c, &pk, v, min, max, out);
}

/* "radius": {"servers": [...], "timeout": 3, "retries": 2,
 * "accounting": true, "interim": 0, "nas_identifier": "espgate"} */
int cfg_parse_radius(struct cfg_ctx *c, json_t *root)
{
	static const char *const keys[] = { "servers", "timeout", "retries", "accounting",
					    "interim", "nas_identifier", NULL };
	struct json_path p = json_path_key(NULL, "radius");
	struct json_path pa = json_path_key(&p, "accounting");
	struct json_path pn = json_path_key(&p, "nas_identifier");
	struct cfg_radius *r = &c->cfg->radius;
	json_t *obj, *a, *n;
	int rc;

	r->timeout_s = 3;
	r->retries = 2;
	r->accounting = true;
	strcpy(r->nas_identifier, "espgate");
	if ((rc = cfg_member(c, &p, root, JSON_OBJECT, false, &obj)) || !obj ||
	    (rc = cfg_known_keys(c, &p, obj, keys)) || (rc = parse_servers(c, &p, obj)) ||
	    (rc = parse_uint_key(c, &p, obj, "timeout", 1, 30, &r->timeout_s)) ||
	    (rc = parse_uint_key(c, &p, obj, "retries", 0, 10, &r->retries)) ||
	    (rc = parse_uint_key(c, &p, obj, "interim", 0, 86400, &r->interim_s)))
		return rc;
	a = json_object_get(obj, "accounting");
	if (a && (rc = cfg_expect_bool(c, &pa, a)))
		return rc;
	r->accounting = !a || json_is_true(a);
	if ((rc = cfg_member(c, &pn, obj, JSON_STRING, false, &n)) || !n)
		return rc;
	if (json_string_length(n) == 0)
		return cfg_err(c, &pn, AT_VALUE, "an empty NAS-Identifier");
	return cfg_copy_string(c, &pn, n, r->nas_identifier, sizeof(r->nas_identifier));
}

static int find_server(const struct cfg_radius *r, const char *key)
{
	struct ip_addr a;

	if (!ip_addr_parse(key, &a))
		return -1;
	for (unsigned i = 0; i < r->n_servers; i++)
		if (ip_addr_equal(&r->servers[i].addr, &a))
			return (int)i;
	return -1;
}

/* A shared secret (RFC 2865 §3): 1 to 64 bytes, none of radcli's list
 * separators (comma, space, tab) in it. */
static int parse_secret(struct cfg_ctx *sc, const struct json_path *pk, json_t *v,
			struct cfg_radius_server *s)
{
	const char *t;
	size_t n;
	int rc;

	if ((rc = cfg_expect(sc, pk, v, JSON_STRING)))
		return rc;
	t = json_string_value(v);
	n = json_string_length(v);
	if (n == 0 || n > CFG_RADIUS_SECRET_MAX || strlen(t) != n || strpbrk(t, ", \t"))
		return cfg_err(sc, pk, AT_VALUE,
			       "a RADIUS secret has 1 to %d bytes, no NUL, comma, space or tab",
			       CFG_RADIUS_SECRET_MAX);
	s->secret = malloc(n + 1);
	if (!s->secret)
		return cfg_nomem(sc);
	memcpy(s->secret, t, n + 1);
	s->secret_len = (uint16_t)(n + 1);
	return 0;
}

int cfg_radius_secrets(struct cfg_ctx *c, struct cfg_ctx *sc, json_t *root)
{
	struct json_path pr = json_path_key(NULL, "radius");
	struct cfg_radius *r = &c->cfg->radius;
	json_t *obj;
	int rc;

	if ((rc = cfg_member(sc, &pr, root, JSON_OBJECT, false, &obj)) || !obj)
		return rc;
	for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
		struct json_path pk = json_path_key(&pr, json_object_iter_key(it));
		int i = find_server(r, pk.key);

		if (i < 0)
			return cfg_err(sc, &pk, AT_KEY, "no RADIUS server at \"%.60s\" in %s (radius.servers)",
				       pk.key, c->name);
		if (r->servers[i].secret)
			return cfg_err(sc, &pk, AT_KEY, "a second secret for this RADIUS server");
		if ((rc = parse_secret(sc, &pk, json_object_iter_value(it), &r->servers[i])))
			return rc;
	}
	return 0;
}

/* EAP-RADIUS connections need servers, and every server its secret. */
int cfg_radius_check(struct cfg_ctx *c)
{
	struct json_path pc = json_path_key(NULL, "connections");
	struct json_path pr = json_path_key(NULL, "radius");
	struct json_path ps = json_path_key(&pr, "servers");
	const struct cfg *cfg = c->cfg;

	for (unsigned i = 0; i < cfg->n_conns; i++) {
		struct json_path pn = json_path_index(&pc, i);
		struct json_path pa = json_path_key(&pn, "remote_auth");

		if (cfg->conns[i].remote_auth == CFG_REMOTE_AUTH_EAP_RADIUS && !cfg->radius.n_servers)
			return cfg_err(c, &pa, AT_VALUE,
				       "connection \"%s\" relays EAP to RADIUS, but there is no \"radius\" section with servers",
				       cfg->conns[i].name);
	}
	for (unsigned i = 0; i < cfg->radius.n_servers; i++) {
		struct json_path pi = json_path_index(&ps, i);

		if (!cfg->radius.servers[i].secret)
			return cfg_err(c, &pi, AT_VALUE,
				       "this RADIUS server has no secret: give it in the secrets file (ike.secrets) as {\"radius\": {\"<address>\": \"<secret>\"}}");
	}
	return 0;
}
