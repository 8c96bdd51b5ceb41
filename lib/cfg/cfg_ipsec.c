/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ipsec section (ESP-in-UDP ports, unmatched traffic) and the ike
 * section (IKE's ports and the secrets file's path).
 */

#include <errno.h>
#include <stdio.h>

#include "cfg_priv.h"

static const char *const unmatched_names[] = { "bypass", "discard", NULL };

void cfg_format_natt_ports(const struct cfg *cfg, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < cfg->n_natt_ports && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%u", i ? ", " : "",
				 cfg->natt_ports[i]);
		if (n > 0)
			used += (size_t)n;
	}
}

static int parse_natt_port(struct cfg_ctx *c, const struct json_path *p,
			   json_t *v, size_t i, void *arg)
{
	struct cfg *cfg = c->cfg;
	unsigned port;
	int rc;

	(void)i, (void)arg;
	if ((rc = cfg_get_uint(c, p, v, 1, 65535, &port)))
		return rc;
	if (port == IKE_PORT)
		return cfg_err(c, p, AT_VALUE,
			       "500 is IKE's port (RFC 7296); ESP-in-UDP arrives on a port of its own, normally 4500 (RFC 3948)");
	for (unsigned j = 0; j < cfg->n_natt_ports; j++)
		if (cfg->natt_ports[j] == port)
			return cfg_err(c, p, AT_VALUE,
				       "port %u is listed twice (also ipsec.natt_ports[%u])",
				       port, j);
	cfg->natt_ports[cfg->n_natt_ports++] = (uint16_t)port;
	return 0;
}

static int parse_natt_ports(struct cfg_ctx *c, const struct json_path *p,
			    json_t *arr)
{
	static const struct cfg_array natt_ports = {
		.if_empty = "at least one port needed (leave natt_ports out for [4500])",
		.max = CFG_MAX_NATT_PORTS,
		.many = "ports",
	};
	int rc;

	if ((rc = cfg_array_bounds(c, p, arr, &natt_ports)))
		return rc;
	c->cfg->n_natt_ports = 0;
	return cfg_array_each(c, p, arr, parse_natt_port, NULL);
}

int cfg_parse_ipsec(struct cfg_ctx *c, json_t *root)
{
	static const char *const keys[] = { "natt_ports", "unmatched", NULL };
	struct json_path p = json_path_key(NULL, "ipsec");
	struct json_path pn = json_path_key(&p, "natt_ports");
	struct json_path pu = json_path_key(&p, "unmatched");
	json_t *obj, *v;
	int rc, idx;

	c->cfg->natt_ports[0] = NATT_PORT;
	c->cfg->n_natt_ports = 1;
	c->cfg->unmatched_discard = false;
	if ((rc = cfg_member(c, &p, root, JSON_OBJECT, false, &obj)) || !obj ||
	    (rc = cfg_known_keys(c, &p, obj, keys)) ||
	    (rc = cfg_member(c, &pn, obj, JSON_ARRAY, false, &v)))
		return rc;
	c->natt_ports_given = v != NULL;
	if (v && (rc = parse_natt_ports(c, &pn, v)))
		return rc;
	if ((rc = cfg_member(c, &pu, obj, JSON_STRING, false, &v)) || !v ||
	    (rc = cfg_one_of(c, &pu, v, unmatched_names, &idx)))
		return rc;
	c->cfg->unmatched_discard = idx == 1;
	return 0;
}

static bool has_natt_port(const struct cfg *cfg, unsigned port)
{
	for (unsigned i = 0; i < cfg->n_natt_ports; i++)
		if (cfg->natt_ports[i] == port)
			return true;
	return false;
}

/* A limit of the IKE engine's (0 turns it off), when given. */
/* An optional integer member in [min, max]; *out kept when absent. */
static int parse_bounded(struct cfg_ctx *c, const struct json_path *p, json_t *obj,
			 const char *key, unsigned min, unsigned max, unsigned *out)
{
	struct json_path pk = json_path_key(p, key);
	json_t *v;
	int rc;

	if ((rc = cfg_member(c, &pk, obj, JSON_INTEGER, false, &v)) ||
	    (v && (rc = cfg_get_uint(c, &pk, v, min, max, out))))
		return rc;
	return 0;
}

static int parse_limit(struct cfg_ctx *c, const struct json_path *p, json_t *obj,
		       const char *key, unsigned *out)
{
	return parse_bounded(c, p, obj, key, 0, CFG_IKE_LIMIT_MAX, out);
}

/* The ike section's own members; *natt_given says whether the operator
 * set natt_port, which decides where a port error points. */
static int parse_ike_section(struct cfg_ctx *c, const struct json_path *p,
			     json_t *obj, bool *natt_given)
{
	static const char *const keys[] = { "port", "natt_port", "secrets", "cookie_threshold",
					    "half_open_per_peer", "max_child_sas", NULL };
	struct json_path pp = json_path_key(p, "port");
	struct json_path pn = json_path_key(p, "natt_port");
	struct json_path ps = json_path_key(p, "secrets");
	struct cfg *cfg = c->cfg;
	json_t *vp, *vn, *v;
	unsigned n;
	int rc;

	if ((rc = cfg_known_keys(c, p, obj, keys)) ||
	    (rc = cfg_member(c, &pp, obj, JSON_INTEGER, false, &vp)) ||
	    (vp && (rc = cfg_get_uint(c, &pp, vp, 1, 65535, &n))))
		return rc;
	if (vp)
		cfg->ike_port = (uint16_t)n;
	if ((rc = cfg_member(c, &pn, obj, JSON_INTEGER, false, &vn)) ||
	    (vn && (rc = cfg_get_uint(c, &pn, vn, 1, 65535, &n))))
		return rc;
	if (vn)
		cfg->ike_natt_port = (uint16_t)n;
	if ((rc = cfg_member(c, &ps, obj, JSON_STRING, false, &v)) ||
	    (v && (rc = cfg_parse_path(c, &ps, v, &cfg->ike_secrets))) ||
	    (rc = parse_limit(c, p, obj, "cookie_threshold", &cfg->ike_cookie_threshold)) ||
	    (rc = parse_limit(c, p, obj, "half_open_per_peer", &cfg->ike_half_open_per_peer)) ||
	    (rc = parse_bounded(c, p, obj, "max_child_sas", 1, CFG_IKE_MAX_CHILD_SAS_MAX,
				&cfg->ike_max_child_sas)))
		return rc;
	*natt_given = vn != NULL;
	return 0;
}

/* IKE listens on port (RFC 7296 §2) and natt_port (RFC 3948 §2.2: IKE
 * with a non-ESP marker, and ESP-in-UDP), which is therefore one of
 * ipsec.natt_ports; a natt_port missing from a list the operator did
 * not give is added to it. */
static int check_ike_ports(struct cfg_ctx *c, const struct json_path *p,
			   bool natt_given)
{
	struct json_path pp = json_path_key(p, "port");
	struct json_path pn = json_path_key(p, "natt_port");
	struct json_path pi = json_path_key(NULL, "ipsec");
	struct json_path pin = json_path_key(&pi, "natt_ports");
	struct cfg *cfg = c->cfg;
	char list[64];

	if (cfg->ike_port == cfg->ike_natt_port)
		return cfg_err(c, natt_given ? &pn : &pp, AT_VALUE,
			       "ike.port and ike.natt_port are both %u; they must differ: IKE messages on the NAT-T port carry a non-ESP marker (RFC 3948 §2.2), on the other they do not",
			       cfg->ike_port);
	if (cfg->ike_natt_port == IKE_PORT)
		return cfg_err(c, &pn, AT_VALUE,
			       "500 is IKE's port (RFC 7296); the NAT-T port is another, normally 4500 (RFC 3948)");
	cfg_format_natt_ports(cfg, list, sizeof(list));
	if (has_natt_port(cfg, cfg->ike_port))
		return cfg_err(c, &pp, AT_VALUE,
			       "%u is one of ipsec.natt_ports (%s), where ESP-in-UDP arrives; IKE without the non-ESP marker needs a port of its own",
			       cfg->ike_port, list);
	if (has_natt_port(cfg, cfg->ike_natt_port))
		return 0;
	if (!c->natt_ports_given) {
		cfg->natt_ports[cfg->n_natt_ports++] = cfg->ike_natt_port;
		return 0;
	}
	if (natt_given)
		return cfg_err(c, &pn, AT_VALUE,
			       "%u is not one of ipsec.natt_ports (%s): ESP-in-UDP arrives on IKE's NAT-T port too (RFC 3948); add it there",
			       cfg->ike_natt_port, list);
	return cfg_err(c, &pin, AT_VALUE,
		       "%u, IKE's NAT-T port (ike.natt_port, default 4500), is not among them: ESP-in-UDP arrives there too (RFC 3948); add it or set ike.natt_port",
		       cfg->ike_natt_port);
}

/* The ike section, checked when IKE is in use: an ike section or a
 * connection. */
int cfg_parse_ike(struct cfg_ctx *c, json_t *root)
{
	struct json_path p = json_path_key(NULL, "ike");
	struct cfg *cfg = c->cfg;
	bool natt_given = false;
	json_t *obj, *conns;
	int rc;

	cfg->ike_port = IKE_PORT;
	cfg->ike_natt_port = NATT_PORT;
	cfg->ike_cookie_threshold = CFG_IKE_COOKIE_THRESHOLD;
	cfg->ike_half_open_per_peer = CFG_IKE_HALF_OPEN_PER_PEER;
	cfg->ike_max_child_sas = CFG_IKE_MAX_CHILD_SAS;
	if ((rc = cfg_member(c, &p, root, JSON_OBJECT, false, &obj)))
		return rc;
	conns = json_object_get(root, "connections");
	if (!obj && !(json_is_array(conns) && json_array_size(conns) > 0))
		return 0;
	if (obj && (rc = parse_ike_section(c, &p, obj, &natt_given)))
		return rc;
	return check_ike_ports(c, &p, natt_given);
}
