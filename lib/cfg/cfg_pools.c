/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * "pools": the virtual addresses remote-access clients get (RFC 7296
 * §2.19), and a connection's "pools", checked against its children's
 * remote selectors.
 */
#include <errno.h>
#include <string.h>

#include "cfg_priv.h"

/* An array of networks (split_include) or addresses (dns). */
struct net_list {
	struct ip_prefix *nets;
	struct ip_addr *addrs;
	unsigned *n;
};

static int parse_list_elem(struct cfg_ctx *c, const struct json_path *p, json_t *v, size_t i,
			   void *arg)
{
	struct net_list *l = arg;
	int rc;

	if ((rc = cfg_expect(c, p, v, JSON_STRING)))
		return rc;
	rc = l->nets ? cfg_parse_network(c, p, v, &l->nets[i]) : cfg_parse_addr(c, p, v, &l->addrs[i]);
	if (rc == 0)
		(*l->n)++;
	return rc;
}

static int parse_pool_lists(struct cfg_ctx *c, const struct json_path *p, json_t *obj,
			    struct cfg_pool *pl)
{
	static const struct cfg_array dns = { .max = CFG_POOL_DNS_MAX, .many = "DNS servers" };
	static const struct cfg_array split = { .max = CFG_POOL_SPLIT_MAX, .many = "subnets" };
	struct json_path pd = json_path_key(p, "dns");
	struct json_path ps = json_path_key(p, "split_include");
	int rc;

	if ((rc = cfg_array(c, &pd, obj, &dns, parse_list_elem,
			    &(struct net_list){ .addrs = pl->dns, .n = &pl->n_dns })))
		return rc;
	return cfg_array(c, &ps, obj, &split, parse_list_elem,
			 &(struct net_list){ .nets = pl->split, .n = &pl->n_split });
}

static int parse_pool(struct cfg_ctx *c, const struct json_path *p, json_t *obj, size_t i,
		      void *arg)
{
	static const char *const keys[] = { "name", "prefix", "dns", "split_include", "lease",
					    NULL };
	struct cfg_pool *pl = &c->cfg->pools[i];
	struct json_path pn = json_path_key(p, "name");
	struct json_path pp = json_path_key(p, "prefix");
	struct json_path plt = json_path_key(p, "lease");
	bool given;
	json_t *v;
	int rc;

	(void)arg;
	if ((rc = cfg_object(c, p, obj, keys)) ||
	    (rc = cfg_parse_name(c, p, obj, "a pool", pl->name)))
		return rc;
	for (size_t k = 0; k < i; k++)
		if (strcmp(c->cfg->pools[k].name, pl->name) == 0)
			return cfg_err(c, &pn, AT_VALUE,
				       "duplicate pool name \"%s\" (also pools[%zu].name)", pl->name, k);
	if ((rc = cfg_member(c, &pp, obj, JSON_STRING, true, &v)) ||
	    (rc = cfg_parse_network(c, &pp, v, &pl->prefix)))
		return rc;
	for (size_t k = 0; k < i; k++)
		if (ip_prefix_overlaps(&c->cfg->pools[k].prefix, &pl->prefix))
			return cfg_err(c, &pp, AT_VALUE,
				       "overlaps pool \"%s\" (pools[%zu]): two pools would give one address to two clients",
				       c->cfg->pools[k].name, k);
	if (
	    (rc = parse_pool_lists(c, p, obj, pl)) ||
	    (rc = cfg_get_seconds(c, &plt, obj, &pl->lease_s, &given)))
		return rc;
	if (!given)
		pl->lease_s = CFG_POOL_LEASE_S;
	c->cfg->n_pools++;
	return 0;
}

int cfg_parse_pools(struct cfg_ctx *c, json_t *root)
{
	static const struct cfg_array pools = { .max = CFG_MAX_POOLS, .many = "pools" };
	struct json_path p = json_path_key(NULL, "pools");
	json_t *arr;
	int rc;

	if ((rc = cfg_array_open(c, &p, root, &pools, &arr)) || !arr)
		return rc;
	c->cfg->pools = cfg_calloc(c, json_array_size(arr), sizeof(*c->cfg->pools));
	if (!c->cfg->pools)
		return -ENOMEM;
	return cfg_array_each(c, &p, arr, parse_pool, NULL);
}

const struct cfg_pool *cfg_find_pool(const struct cfg *cfg, const char *name)
{
	for (unsigned i = 0; i < cfg->n_pools; i++)
		if (strcmp(cfg->pools[i].name, name) == 0)
			return &cfg->pools[i];
	return NULL;
}

/* Some child's remote selectors must hold the whole pool: a client's
 * selectors are narrowed to its address, which must then fit one. */
static bool children_cover(const struct cfg_conn *conn, const struct ip_prefix *pool)
{
	for (unsigned i = 0; i < conn->n_children; i++)
		for (unsigned k = 0; k < conn->children[i].n_remote_ts; k++) {
			const struct ip_prefix *ts = &conn->children[i].remote_ts[k].prefix;

			if (ts->addr.family == pool->addr.family && ts->len <= pool->len &&
			    ip_prefix_contains(ts, &pool->addr))
				return true;
		}
	return false;
}

static int parse_conn_pool(struct cfg_ctx *c, const struct json_path *p, json_t *v, size_t i,
			   void *arg)
{
	struct cfg_conn *conn = arg;
	const struct cfg_pool *pl;
	char pfx[IP_PREFIX_STRLEN];
	int rc;

	if ((rc = cfg_expect(c, p, v, JSON_STRING)))
		return rc;
	pl = cfg_find_pool(c->cfg, json_string_value(v));
	if (!pl)
		return cfg_err(c, p, AT_VALUE, "no pool \"%s\" in pools", json_string_value(v));
	for (size_t k = 0; k < i; k++)
		if (cfg_find_pool(c->cfg, conn->pools[k])->prefix.addr.family ==
		    pl->prefix.addr.family)
			return cfg_err(c, p, AT_VALUE,
				       "\"%s\" and \"%s\" are both %s pools: a client gets one address of each family",
				       conn->pools[k], pl->name, cfg_family_name(pl->prefix.addr.family));
	ip_prefix_format(&pl->prefix, pfx, sizeof(pfx));
	if (!children_cover(conn, &pl->prefix))
		return cfg_err(c, p, AT_VALUE,
			       "no child's remote_ts holds pool \"%s\" (%s): its clients' selectors are narrowed to their address",
			       pl->name, pfx);
	memcpy(conn->pools[i], pl->name, sizeof(conn->pools[i]));
	conn->n_pools++;
	return 0;
}

/* "modecfg": "pull" (the default: the client asks) or "push" (espgate
 * sets the address, draft-dukes-ike-mode-cfg-02 §3.2): IKEv1 with pools
 * only. */
static int parse_conn_modecfg(struct cfg_ctx *c, const struct json_path *p, json_t *obj,
			      struct cfg_conn *conn)
{
	static const char *const modes[] = { "pull", "push", NULL };
	struct json_path pm = json_path_key(p, "modecfg");
	json_t *v;
	int rc, idx;

	if ((rc = cfg_member(c, &pm, obj, JSON_STRING, false, &v)) || !v)
		return rc;
	if ((rc = cfg_one_of(c, &pm, v, modes, &idx)))
		return rc;
	conn->modecfg_push = idx == 1;
	if (conn->version == CFG_IKE_V2)
		return cfg_err(c, &pm, AT_VALUE,
			       "modecfg is IKEv1's Mode Config: set \"version\": 1 or \"any\" (IKEv2 clients ask in IKE_AUTH)");
	if (!conn->n_pools)
		return cfg_err(c, &pm, AT_VALUE,
			       "modecfg gives addresses from the connection's pools: give \"pools\"");
	return 0;
}

int cfg_parse_conn_pools(struct cfg_ctx *c, const struct json_path *p, json_t *obj,
			 struct cfg_conn *conn)
{
	static const struct cfg_array pools = { .max = CFG_CONN_POOLS, .many = "pools" };
	struct json_path pp = json_path_key(p, "pools");
	int rc = cfg_array(c, &pp, obj, &pools, parse_conn_pool, conn);

	/* IKEv2 clients ask in IKE_AUTH (RFC 7296 §2.19), IKEv1 ones with
	 * Mode Config (lib/ike/ikev1_cfg.c) */
	return rc ? rc : parse_conn_modecfg(c, p, obj, conn);
}
