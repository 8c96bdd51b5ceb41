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

static int parse_natt_ports(struct cfg_ctx *c, const struct json_path *p,
			    json_t *arr)
{
	struct cfg *cfg = c->cfg;
	size_t n = json_array_size(arr);
	unsigned port;
	int rc;

	if (n == 0)
		return cfg_err(c, p, AT_VALUE,
			       "at least one port needed (leave natt_ports out for [4500])");
	if (n > CFG_MAX_NATT_PORTS)
		return cfg_err(c, p, AT_VALUE, "at most %u ports",
			       CFG_MAX_NATT_PORTS);
	cfg->n_natt_ports = 0;
	for (size_t i = 0; i < n; i++) {
		struct json_path pi = json_path_index(p, i);

		if ((rc = cfg_get_uint(c, &pi, json_array_get(arr, i), 1, 65535,
				   &port)))
			return rc;
		if (port == IKE_PORT)
			return cfg_err(c, &pi, AT_VALUE,
				       "500 is IKE's port (RFC 7296); ESP-in-UDP arrives on a port of its own, normally 4500 (RFC 3948)");
		for (unsigned j = 0; j < cfg->n_natt_ports; j++)
			if (cfg->natt_ports[j] == port)
				return cfg_err(c, &pi, AT_VALUE,
					       "port %u is listed twice (also ipsec.natt_ports[%u])",
					       port, j);
		cfg->natt_ports[cfg->n_natt_ports++] = (uint16_t)port;
	}
	return 0;
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

/* IKE listens on port (RFC 7296 §2) and natt_port (RFC 3948 §2.2: IKE
 * with a non-ESP marker, and ESP-in-UDP), which is therefore one of
 * ipsec.natt_ports. Checked when IKE is in use: an ike section or a
 * connection. */
int cfg_parse_ike(struct cfg_ctx *c, json_t *root)
{
	static const char *const keys[] = { "port", "natt_port", "secrets", NULL };
	struct json_path p = json_path_key(NULL, "ike");
	struct json_path pp = json_path_key(&p, "port");
	struct json_path pn = json_path_key(&p, "natt_port");
	struct json_path ps = json_path_key(&p, "secrets");
	struct json_path pi = json_path_key(NULL, "ipsec");
	struct json_path pin = json_path_key(&pi, "natt_ports");
	struct cfg *cfg = c->cfg;
	json_t *obj, *conns, *vp = NULL, *vn = NULL, *v;
	char list[64];
	unsigned n;
	int rc;

	cfg->ike_port = IKE_PORT;
	cfg->ike_natt_port = NATT_PORT;
	if ((rc = cfg_member(c, &p, root, JSON_OBJECT, false, &obj)))
		return rc;
	conns = json_object_get(root, "connections");
	if (!obj && !(json_is_array(conns) && json_array_size(conns) > 0))
		return 0;
	if (obj) {
		if ((rc = cfg_known_keys(c, &p, obj, keys)) ||
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
		    (v && (rc = cfg_parse_path(c, &ps, v, &cfg->ike_secrets))))
			return rc;
	}
	if (cfg->ike_port == cfg->ike_natt_port)
		return cfg_err(c, vn ? &pn : &pp, AT_VALUE,
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
	if (vn)
		return cfg_err(c, &pn, AT_VALUE,
			       "%u is not one of ipsec.natt_ports (%s): ESP-in-UDP arrives on IKE's NAT-T port too (RFC 3948); add it there",
			       cfg->ike_natt_port, list);
	return cfg_err(c, &pin, AT_VALUE,
		       "%u, IKE's NAT-T port (ike.natt_port, default 4500), is not among them: ESP-in-UDP arrives there too (RFC 3948); add it or set ike.natt_port",
		       cfg->ike_natt_port);
}
