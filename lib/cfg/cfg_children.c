/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A connection's children (Child SAs): selectors, proposals, lifetimes;
 * and the trap policies they make.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_priv.h"

bool cfg_ts_pair_meets(const struct cfg_child_ts *l, const struct cfg_child_ts *r)
{
	return l->prefix.addr.family == r->prefix.addr.family &&
	       (!l->proto || !r->proto || l->proto == r->proto);
}

unsigned cfg_conn_trap_pairs(const struct cfg_conn *conn)
{
	unsigned n = 0;

	for (unsigned k = 0; k < conn->n_children; k++) {
		const struct cfg_child *ch = &conn->children[k];

		for (unsigned l = 0; l < ch->n_local_ts; l++)
			for (unsigned r = 0; r < ch->n_remote_ts; r++)
				n += cfg_ts_pair_meets(&ch->local_ts[l], &ch->remote_ts[r]);
	}
	return n;
}

/* All trap connections' selector pairs fit the data plane's table. */
int cfg_check_trap_room(struct cfg_ctx *c, const struct json_path *p, unsigned idx)
{
	struct json_path ps = json_path_key(p, "start");
	unsigned n = 0;

	if (c->cfg->conns[idx].start != CFG_START_TRAP)
		return 0;
	for (unsigned i = 0; i <= idx; i++)
		if (c->cfg->conns[i].start == CFG_START_TRAP)
			n += cfg_conn_trap_pairs(&c->cfg->conns[i]);
	if (n > CFG_MAX_TRAP_SELECTORS)
		return cfg_err(c, &ps, AT_VALUE,
			       "trap connections up to this one have %u pairs of local and remote selectors; at most %u in all",
			       n, CFG_MAX_TRAP_SELECTORS);
	return 0;
}

/* A prefix, or {"prefix": ..., "proto": ..., "ports": ...}. */
static int parse_child_ts(struct cfg_ctx *c, const struct json_path *p,
			  json_t *v, struct cfg_child_ts *ts)
{
	static const char *const keys[] = { "prefix", "proto", "ports", NULL };
	struct json_path pp = json_path_key(p, "prefix");
	struct json_path pr = json_path_key(p, "proto");
	struct json_path pn = json_path_key(p, "ports");
	json_t *pv, *proto;
	int rc;

	ts->proto = 0;
	ts->port_lo = 0;
	ts->port_hi = 65535;
	if (json_is_string(v))
		return cfg_parse_network(c, p, v, &ts->prefix);
	if (!json_is_object(v))
		return cfg_err(c, p, AT_VALUE,
			       "expected a prefix (a string) or an object, got %s",
			       cfg_type_name(json_typeof(v)));
	if ((rc = cfg_known_keys(c, p, v, keys)) ||
	    (rc = cfg_member(c, &pp, v, JSON_STRING, true, &pv)) ||
	    (rc = cfg_parse_network(c, &pp, pv, &ts->prefix)))
		return rc;
	proto = json_object_get(v, "proto");
	if (proto && (rc = cfg_parse_ts_proto(c, &pr, proto,
					      ts->prefix.addr.family, &ts->proto)))
		return rc;
	return cfg_parse_ts_ports(c, &pn, v, ts->proto, &ts->port_lo, &ts->port_hi);
}

static int parse_ts_elem(struct cfg_ctx *c, const struct json_path *p,
			 json_t *v, size_t i, void *arg)
{
	struct cfg_child_ts *ts = arg;

	return parse_child_ts(c, p, v, &ts[i]);
}

static int parse_ts_list(struct cfg_ctx *c, const struct json_path *p,
			 json_t *obj, struct cfg_child_ts **out,
			 unsigned *n_out)
{
	static const struct cfg_array ts_list = {
		.required = true,
		.if_empty = "at least one traffic selector needed",
		.max = CFG_MAX_TS,
		.many = "traffic selectors (the IKE engine's limit)",
	};
	json_t *arr;
	int rc;

	if ((rc = cfg_array_open(c, p, obj, &ts_list, &arr)))
		return rc;
	if (!(*out = cfg_calloc(c, json_array_size(arr), sizeof(**out))))
		return -ENOMEM;
	*n_out = (unsigned)json_array_size(arr);
	return cfg_array_each(c, p, arr, parse_ts_elem, *out);
}

/* rekey before life: by default 3600 and 10% more; one given, the other
 * follows (life 10% above rekey, rekey 90% of life). */
static int parse_child_times(struct cfg_ctx *c, const struct json_path *p,
			     json_t *obj, struct cfg_child *ch)
{
	struct json_path pr = json_path_key(p, "rekey");
	struct json_path pl = json_path_key(p, "life");
	bool has_rekey, has_life;
	int rc;

	if ((rc = cfg_get_seconds(c, &pr, obj, &ch->rekey_s, &has_rekey)) ||
	    (rc = cfg_get_seconds(c, &pl, obj, &ch->life_s, &has_life)))
		return rc;
	if (!has_rekey && !has_life)
		ch->rekey_s = 3600;
	if (!has_life)
		ch->life_s = ch->rekey_s + ch->rekey_s / 10;
	if (!has_rekey && has_life) /* 90% of life, rounded down */
		ch->rekey_s = ch->life_s ? ch->life_s - (ch->life_s + 9) / 10 :
					   3600;
	if (ch->rekey_s && ch->life_s && ch->rekey_s >= ch->life_s)
		return cfg_err(c, &pr, AT_VALUE,
			       "%u is not below life (%u): a Child SA is rekeyed before it expires",
			       ch->rekey_s, ch->life_s);
	return 0;
}

/* RFC 4301 §4.4.2.1 byte and packet lifetimes; the rekey one first. */
static int parse_child_volumes(struct cfg_ctx *c, const struct json_path *p,
			       json_t *obj, struct cfg_child *ch)
{
	struct json_path prb = json_path_key(p, "rekey_bytes");
	struct json_path plb = json_path_key(p, "life_bytes");
	struct json_path prp = json_path_key(p, "rekey_packets");
	struct json_path plp = json_path_key(p, "life_packets");
	int rc;

	if ((rc = cfg_get_u64(c, &prb, obj, &ch->rekey_bytes)) ||
	    (rc = cfg_get_u64(c, &plb, obj, &ch->life_bytes)) ||
	    (rc = cfg_get_u64(c, &prp, obj, &ch->rekey_packets)) ||
	    (rc = cfg_get_u64(c, &plp, obj, &ch->life_packets)) ||
	    (rc = cfg_check_soft_hard(c, &prb, "life_bytes", ch->rekey_bytes, ch->life_bytes)))
		return rc;
	return cfg_check_soft_hard(c, &prp, "life_packets", ch->rekey_packets, ch->life_packets);
}

static int parse_child(struct cfg_ctx *c, const struct json_path *p,
		       json_t *obj, unsigned conn_idx, unsigned idx)
{
	static const char *const keys[] = {
		"name", "local_ts", "remote_ts", "esp_proposals", "mode",
		"rekey", "life", "rekey_bytes", "life_bytes", "rekey_packets",
		"life_packets", NULL,
	};
	struct cfg_conn *conn = &c->cfg->conns[conn_idx];
	struct cfg_child *ch = &conn->children[idx];
	struct json_path pn = json_path_key(p, "name");
	struct json_path pl = json_path_key(p, "local_ts");
	struct json_path pr = json_path_key(p, "remote_ts");
	struct json_path pe = json_path_key(p, "esp_proposals");
	struct json_path pm = json_path_key(p, "mode");
	json_t *v;
	int rc, mode;

	if ((rc = cfg_object(c, p, obj, keys)) ||
	    (rc = cfg_parse_name(c, p, obj, "a child", ch->name)))
		return rc;
	for (unsigned i = 0; i < idx; i++)
		if (strcmp(conn->children[i].name, ch->name) == 0)
			return cfg_err(c, &pn, AT_VALUE,
				       "duplicate child name \"%s\" in connection \"%s\" (also connections[%u].children[%u].name)",
				       ch->name, conn->name, conn_idx, i);
	if ((rc = parse_ts_list(c, &pl, obj, &ch->local_ts, &ch->n_local_ts)) ||
	    (rc = parse_ts_list(c, &pr, obj, &ch->remote_ts, &ch->n_remote_ts)) ||
	    (rc = cfg_parse_proposals(c, &pe, obj, false, &ch->esp, &ch->n_esp)))
		return rc;
	for (unsigned i = 0; conn->version != CFG_IKE_V1 && i < ch->n_esp; i++)
		if (cfg_proposal_is_legacy(&ch->esp[i]))
			return cfg_err(c, &pe, AT_VALUE,
				       "modp1024 is for IKEv1 peers that have nothing better "
				       "(RFC 8247 §2.4): set the connection's \"version\": 1");
	ch->mode = CFG_SA_TUNNEL;
	if ((rc = cfg_member(c, &pm, obj, JSON_STRING, false, &v)) ||
	    (v && (rc = cfg_one_of(c, &pm, v, cfg_mode_names, &mode))))
		return rc;
	if (v)
		ch->mode = (enum cfg_sa_mode)mode;
	if ((rc = parse_child_times(c, p, obj, ch)))
		return rc;
	return parse_child_volumes(c, p, obj, ch);
}

static int parse_child_elem(struct cfg_ctx *c, const struct json_path *p,
			    json_t *v, size_t i, void *arg)
{
	return parse_child(c, p, v, *(unsigned *)arg, (unsigned)i);
}

int cfg_parse_children(struct cfg_ctx *c, const struct json_path *p,
		       json_t *obj, unsigned conn_idx)
{
	static const struct cfg_array children = {
		.required = true,
		.if_empty = "at least one child needed",
		.max = CFG_MAX_CHILDREN,
		.many = "children (the IKE engine's limit)",
	};
	struct json_path pc = json_path_key(p, "children");
	struct cfg_conn *conn = &c->cfg->conns[conn_idx];
	json_t *arr;
	int rc;

	if ((rc = cfg_array_open(c, &pc, obj, &children, &arr)))
		return rc;
	conn->children = cfg_calloc(c, json_array_size(arr),
				    sizeof(*conn->children));
	if (!conn->children)
		return -ENOMEM;
	conn->n_children = (unsigned)json_array_size(arr);
	return cfg_array_each(c, &pc, arr, parse_child_elem, &conn_idx);
}
