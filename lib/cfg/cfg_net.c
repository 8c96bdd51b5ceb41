/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * routes and neighbors, and where an address sits among the ports
 * (ours, on a connected prefix, on an unprotected port).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cfg_priv.h"

static bool find_own(const struct cfg *cfg, const struct ip_addr *a,
		     unsigned *port, unsigned *idx)
{
	for (*port = 0; *port < cfg->n_ports; (*port)++)
		for (*idx = 0; *idx < cfg->ports[*port].n_addrs; (*idx)++)
			if (ip_addr_equal(&cfg->ports[*port].addrs[*idx].addr, a))
				return true;
	return false;
}

/* The port with a connected prefix holding a (only port only, if >= 0). */
static int connected_port(const struct cfg *cfg, const struct ip_addr *a,
			  int only)
{
	for (unsigned i = 0; i < cfg->n_ports; i++) {
		if (only >= 0 && (unsigned)only != i)
			continue;
		for (unsigned j = 0; j < cfg->ports[i].n_addrs; j++)
			if (ip_prefix_contains(&cfg->ports[i].addrs[j], a))
				return (int)i;
	}
	return -1;
}

/* On a connected prefix (of *port when >= 0), and not ours; sets *port. */
static int check_on_link(struct cfg_ctx *c, const struct json_path *p,
			 const struct ip_addr *a, int *port)
{
	char s[IP_ADDR_STRLEN];
	unsigned pi, ai;
	int on;

	ip_addr_format(a, s, sizeof(s));
	if (find_own(c->cfg, a, &pi, &ai))
		return cfg_err(c, p, AT_VALUE,
			       "%s is espgate's own address (ports[%u].addresses[%u])",
			       s, pi, ai);
	on = connected_port(c->cfg, a, *port);
	if (on < 0 && *port >= 0)
		return cfg_err(c, p, AT_VALUE,
			       "%s is not on a connected prefix of port \"%s\"",
			       s, c->cfg->ports[*port].name);
	if (on < 0)
		return cfg_err(c, p, AT_VALUE,
			       "%s is not on a connected prefix of any port", s);
	*port = on;
	return 0;
}

/* The optional "port" member of a route or neighbor; -1 when absent. */
static int parse_ref_port(struct cfg_ctx *c, const struct json_path *p,
			  json_t *obj, int *port)
{
	struct json_path pp = json_path_key(p, "port");
	json_t *v;
	int rc;

	*port = -1;
	if ((rc = cfg_member(c, &pp, obj, JSON_STRING, false, &v)) || !v)
		return rc;
	*port = cfg_find_port(c->cfg, json_string_value(v));
	if (*port < 0)
		return cfg_err(c, &pp, AT_VALUE, "no port named \"%.40s\"",
			       json_string_value(v));
	return 0;
}

static bool prefix_equal(const struct ip_prefix *a, const struct ip_prefix *b)
{
	return a->len == b->len && ip_addr_equal(&a->addr, &b->addr);
}

static int parse_route_prefix(struct cfg_ctx *c, const struct json_path *p,
			      json_t *obj, struct cfg_route *r)
{
	struct json_path pp = json_path_key(p, "prefix");
	json_t *v;
	int rc;

	if ((rc = cfg_member(c, &pp, obj, JSON_STRING, true, &v)) ||
	    (rc = cfg_parse_network(c, &pp, v, &r->prefix)))
		return rc;
	for (unsigned i = 0; i < c->cfg->n_routes; i++)
		if (prefix_equal(&c->cfg->routes[i].prefix, &r->prefix))
			return cfg_err(c, &pp, AT_VALUE,
				       "duplicate route for %s (also routes[%u])",
				       json_string_value(v), i);
	return 0;
}

static int parse_route_via(struct cfg_ctx *c, const struct json_path *p,
			   json_t *obj, struct cfg_route *r, int *port)
{
	struct json_path pv = json_path_key(p, "via");
	json_t *v;
	int rc;

	if ((rc = cfg_member(c, &pv, obj, JSON_STRING, false, &v)) || !v ||
	    (rc = cfg_parse_addr(c, &pv, v, &r->via)))
		return rc;
	if (r->via.family != r->prefix.addr.family)
		return cfg_err(c, &pv, AT_VALUE,
			       "%s is %s but the prefix is %s",
			       json_string_value(v),
			       r->via.family == AF_INET ? "IPv4" : "IPv6",
			       r->prefix.addr.family == AF_INET ? "IPv4" : "IPv6");
	if ((rc = check_on_link(c, &pv, &r->via, port)))
		return rc;
	r->has_via = true;
	return 0;
}

static int parse_route(struct cfg_ctx *c, const struct json_path *p,
		       json_t *obj, size_t i, void *arg)
{
	static const char *const keys[] = { "prefix", "via", "port", NULL };
	struct json_path pv = json_path_key(p, "via");
	struct cfg_route *r = &c->cfg->routes[i];
	int rc, port;

	if ((rc = cfg_object(c, p, obj, keys)) ||
	    (rc = parse_route_prefix(c, p, obj, r)) ||
	    (rc = parse_ref_port(c, p, obj, &port)) ||
	    (rc = parse_route_via(c, p, obj, r, &port)))
		return rc;
	if (port < 0)
		return cfg_err(c, &pv, AT_PARENT,
			       "missing required key: a route needs \"via\", \"port\" or both");
	(void)arg;
	r->port = (unsigned)port;
	c->cfg->n_routes++;
	return 0;
}

int cfg_parse_routes(struct cfg_ctx *c, json_t *root)
{
	static const struct cfg_array routes = { .required = false };
	struct json_path p = json_path_key(NULL, "routes");
	json_t *arr;
	int rc;

	if ((rc = cfg_array_open(c, &p, root, &routes, &arr)) || !arr)
		return rc;
	c->cfg->routes = cfg_calloc(c, json_array_size(arr), sizeof(*c->cfg->routes));
	if (!c->cfg->routes)
		return -ENOMEM;
	return cfg_array_each(c, &p, arr, parse_route, NULL);
}

static int parse_neighbor(struct cfg_ctx *c, const struct json_path *p,
			  json_t *obj, size_t idx, void *arg)
{
	struct cfg_neighbor *nb = &c->cfg->neighbors[idx];
	static const char *const keys[] = { "address", "mac", "port", NULL };
	struct json_path pa = json_path_key(p, "address");
	struct json_path pm = json_path_key(p, "mac");
	json_t *v;
	int rc, port;

	if ((rc = cfg_object(c, p, obj, keys)) ||
	    (rc = cfg_member(c, &pa, obj, JSON_STRING, true, &v)) ||
	    (rc = cfg_parse_addr(c, &pa, v, &nb->addr)))
		return rc;
	for (unsigned i = 0; i < c->cfg->n_neighbors; i++)
		if (ip_addr_equal(&c->cfg->neighbors[i].addr, &nb->addr))
			return cfg_err(c, &pa, AT_VALUE,
				       "duplicate neighbor %s (also neighbors[%u])",
				       json_string_value(v), i);
	if ((rc = parse_ref_port(c, p, obj, &port)) ||
	    (rc = check_on_link(c, &pa, &nb->addr, &port)) ||
	    (rc = cfg_member(c, &pm, obj, JSON_STRING, true, &v)) ||
	    (rc = cfg_parse_mac(c, &pm, v, nb->mac)))
		return rc;
	(void)arg;
	nb->port = (unsigned)port;
	c->cfg->n_neighbors++;
	return 0;
}

int cfg_parse_neighbors(struct cfg_ctx *c, json_t *root)
{
	static const struct cfg_array neighbors = { .required = false };
	struct json_path p = json_path_key(NULL, "neighbors");
	json_t *arr;
	int rc;

	if ((rc = cfg_array_open(c, &p, root, &neighbors, &arr)) || !arr)
		return rc;
	c->cfg->neighbors = cfg_calloc(c, json_array_size(arr),
				       sizeof(*c->cfg->neighbors));
	if (!c->cfg->neighbors)
		return -ENOMEM;
	return cfg_array_each(c, &p, arr, parse_neighbor, NULL);
}

/* The unprotected ports' addresses of a family, for a hint. */
static void list_unprotected(const struct cfg *cfg, uint8_t family,
			     char *buf, size_t len)
{
	size_t used = 0;
	char a[IP_ADDR_STRLEN];

	buf[0] = '\0';
	for (unsigned i = 0; i < cfg->n_ports; i++) {
		const struct cfg_port *port = &cfg->ports[i];

		if (port->role != CFG_ROLE_UNPROTECTED)
			continue;
		for (unsigned j = 0; j < port->n_addrs && used < len; j++) {
			int n;

			if (port->addrs[j].addr.family != family)
				continue;
			ip_addr_format(&port->addrs[j].addr, a, sizeof(a));
			n = snprintf(buf + used, len - used, "%s%s (\"%s\")",
				     used ? ", " : "", a, port->name);
			if (n > 0)
				used += (size_t)n;
		}
	}
}

/* Ours (an outbound SA's src, an inbound SA's dst, a connection's local):
 * on an unprotected port, where ESP travels. which names the role. */
int cfg_check_own_endpoint(struct cfg_ctx *c, const struct json_path *p,
			   const char *which, const struct ip_addr *a)
{
	const struct cfg *cfg = c->cfg;
	char s[IP_ADDR_STRLEN], list[256];
	unsigned pi, ai;

	ip_addr_format(a, s, sizeof(s));
	if (find_own(cfg, a, &pi, &ai)) {
		if (cfg->ports[pi].role == CFG_ROLE_UNPROTECTED)
			return 0;
		return cfg_err(c, p, AT_VALUE,
			       "%s is an address of %s port \"%s\" (ports[%u].addresses[%u]); %s must be an address of an unprotected port",
			       s, cfg_role_names[cfg->ports[pi].role],
			       cfg->ports[pi].name, pi, ai, which);
	}
	list_unprotected(cfg, a->family, list, sizeof(list));
	if (!list[0])
		return cfg_err(c, p, AT_VALUE,
			       "%s is not one of espgate's addresses; %s must be an address of an unprotected port, and no unprotected port has an %s address",
			       s, which, cfg_family_name(a->family));
	return cfg_err(c, p, AT_VALUE,
		       "%s is not one of espgate's addresses; %s must be an address of an unprotected port: %s",
		       s, which, list);
}

/* The peer: out's dst, in's src. */
int cfg_check_peer_endpoint(struct cfg_ctx *c, const struct json_path *p,
			    const struct ip_addr *a)
{
	char s[IP_ADDR_STRLEN];
	unsigned pi, ai;

	if (!find_own(c->cfg, a, &pi, &ai))
		return 0;
	ip_addr_format(a, s, sizeof(s));
	return cfg_err(c, p, AT_VALUE,
		       "%s is espgate's own address (ports[%u].addresses[%u]); the peer's address must be another host's",
		       s, pi, ai);
}
