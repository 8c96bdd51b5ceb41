/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configured connections into lib/ike: all of them at start, and on
 * reload the added, removed and changed ones (unchanged tunnels are not
 * touched). A connection lib/ike does not take is dropped from the
 * configuration espgate keeps, so the next reload tries it again.
 */
#include "ike_ctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "settings.h"

/* What a reload reports, a JSON array of connection names each. */
struct reload_lists {
	json_t *added, *removed, *changed, *kept, *failed;
};

/* Certificates: our credential and the CAs in slot i, kept for the
 * engine's life. */
static int load_certs(struct ike_ctl *ic, unsigned i, const struct cfg_conn *cc,
		      struct ike_conn_cfg *c)
{
	int rc;

	if (i >= CFG_MAX_CONNS_CRED)
		return -ENOSPC;
	rc = ike_cred_load(cc->cert, cc->key, &ic->ic_cred[i]);
	if (rc == 0)
		rc = ike_trust_load((const char *const *)cc->cacerts, cc->n_cacerts,
				    &ic->ic_trust[i]);
	if (rc != 0) {
		/* The slot stays free for the next connection with certificates. */
		ike_cred_free(ic->ic_cred[i]);
		ike_trust_free(ic->ic_trust[i]);
		ic->ic_cred[i] = NULL;
		ic->ic_trust[i] = NULL;
		return rc;
	}
	c->c_cred = ic->ic_cred[i];
	c->c_trust = ic->ic_trust[i];
	return 0;
}

static int add_conn(struct ike_ctl *ic, const struct cfg_conn *cc, unsigned *ncert)
{
	struct ike_conn_cfg *c = calloc(1, sizeof(*c));
	int rc = c ? settings_ike_conn(&ic->ic_app->cfg, cc, c) : -ENOMEM;

	if (rc == 0 && cc->auth == CFG_AUTH_PUBKEY) {
		rc = load_certs(ic, *ncert, cc, c);
		*ncert += rc == 0;
	}
	if (rc == 0)
		rc = ike_engine_add_conn(ic->ic_engine, c);
	if (c)
		explicit_bzero(c, sizeof(*c));
	free(c);
	if (rc == 0 && cc->start == CFG_START_START)
		ike_ctl_engine_initiate(ic, cc->name);
	return rc;
}

/* add_conn, and on failure the reason in *failed (the reply's "failed"). */
static bool try_add(struct ike_ctl *ic, const struct cfg_conn *cc, unsigned *ncert,
		    json_t *failed)
{
	int rc = add_conn(ic, cc, ncert);

	/* RFC 2409 §5.4 sends HASH_R to whoever asks first: the PSK falls
	 * to an offline dictionary attack */
	if (rc == 0 && cc->aggressive && cc->auth == CFG_AUTH_PSK)
		EG_LOG(WARNING, "connection %s: IKEv1 aggressive mode with a pre-shared key: "
		       "anyone can get a hash of the key to attack offline; prefer main mode "
		       "or certificates", cc->name);
	if (rc == 0)
		return true;
	EG_LOG(ERR, "connection %s: not loaded: %s", cc->name, strerror(-rc));
	json_array_append_new(failed, json_pack("{s:s, s:s}", "name", cc->name,
						"error", strerror(-rc)));
	return false;
}

/* Connections lib/ike did not take leave the configuration espgate keeps, so
 * that the next reload sees them as new and tries them again. */
static void drop_conns(struct cfg *cfg, const bool *drop)
{
	struct cfg gone = { 0 };
	unsigned n = 0, k = 0, was = cfg->n_conns;

	for (unsigned i = 0; i < was; i++)
		n += drop[i];
	if (!n || !(gone.conns = calloc(n, sizeof(*gone.conns))))
		return;
	for (unsigned i = 0; i < was; i++) {
		if (drop[i])
			gone.conns[gone.n_conns++] = cfg->conns[i];
		else
			cfg->conns[k++] = cfg->conns[i];
	}
	cfg->n_conns = k;
	explicit_bzero(&cfg->conns[k], (was - k) * sizeof(*cfg->conns));
	cfg_free(&gone);
}

void ike_conns_load(struct ike_ctl *ic, struct cfg *cfg, json_t *failed)
{
	static bool drop[CFG_MAX_CONNS];

	for (unsigned i = 0; i < cfg->n_conns; i++)
		drop[i] = !try_add(ic, &cfg->conns[i], &ic->ic_ncert, failed);
	drop_conns(cfg, drop);
}

/* ---- reload ---- */

static const struct cfg_conn *conn_named(const struct cfg *cfg, const char *name)
{
	for (unsigned i = 0; i < cfg->n_conns; i++)
		if (strcmp(cfg->conns[i].name, name) == 0)
			return &cfg->conns[i];
	return NULL;
}

static bool id_same(const struct cfg_id *a, const struct cfg_id *b)
{
	return a->type == b->type && a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

/* Whether a connection reads the same in both configurations: what lib/ike
 * is given from it, certificates by their paths, and the peer's identity
 * as written (lib/ike is given a DN as DER). */
static bool conn_same(const struct ike_ctl *ic, const struct cfg_conn *a, const struct cfg_conn *b)
{
	const struct cfg *cfg = &ic->ic_app->cfg;
	struct ike_conn_cfg ca, cb;
	bool same = settings_ike_conn(cfg, a, &ca) == 0 && settings_ike_conn(cfg, b, &cb) == 0 &&
		    memcmp(&ca, &cb, sizeof(ca)) == 0 && id_same(&a->remote_id, &b->remote_id) &&
		    a->auth == b->auth &&
		    (a->auth != CFG_AUTH_PUBKEY ||
		     (strcmp(a->cert, b->cert) == 0 && strcmp(a->key, b->key) == 0));

	explicit_bzero(&ca, sizeof(ca));
	explicit_bzero(&cb, sizeof(cb));
	return same;
}

/* What a reload takes over from the fresh configuration: connections,
 * pools and the engine's limits (the old ones go with fresh). */
static void take_ike(struct cfg *a, struct cfg *b)
{
	struct cfg_conn *conns = a->conns;
	struct cfg_pool *pools = a->pools;
	unsigned n = a->n_conns, np = a->n_pools;

	a->conns = b->conns;
	a->n_conns = b->n_conns;
	b->conns = conns;
	b->n_conns = n;
	a->pools = b->pools;
	a->n_pools = b->n_pools;
	b->pools = pools;
	b->n_pools = np;
	a->ike_cookie_threshold = b->ike_cookie_threshold;
	a->ike_half_open_per_peer = b->ike_half_open_per_peer;
}

static void reload_lists_free(struct reload_lists *l)
{
	json_decref(l->added), json_decref(l->removed), json_decref(l->changed);
	json_decref(l->kept), json_decref(l->failed);
}

static json_t *reload_reply(struct reload_lists *l)
{
	EG_LOG(INFO, "reload: %zu added, %zu removed, %zu changed, %zu unchanged connections, "
	       "%zu not loaded", json_array_size(l->added), json_array_size(l->removed),
	       json_array_size(l->changed), json_array_size(l->kept), json_array_size(l->failed));
	return json_pack("{s:o, s:o, s:o, s:o, s:o}", "added", l->added, "removed", l->removed,
			 "changed", l->changed, "unchanged", l->kept, "failed", l->failed);
}

/* No connections before: IKE starts with those of fresh. */
static json_t *reload_first(struct app *app, struct cfg *fresh, struct reload_lists *l)
{
	take_ike(&app->cfg, fresh);
	cfg_free(fresh);
	if (ike_ctl_start(app, l->failed) != 0) {
		reload_lists_free(l);
		return json_pack("{s:s}", "error", "IKE could not start");
	}
	for (unsigned i = 0; i < app->cfg.n_conns; i++)
		json_array_append_new(l->added, json_string(app->cfg.conns[i].name));
	return reload_reply(l);
}

/* The connections of app->cfg against those of fresh, into the engine;
 * drop[i]: fresh's connection i was not taken. */
static void reload_diff(struct ike_ctl *ic, const struct cfg *fresh, struct reload_lists *l,
			bool *drop)
{
	const struct cfg *cfg = &ic->ic_app->cfg;
	unsigned ncert = ic->ic_ncert;

	for (unsigned i = 0; i < cfg->n_conns; i++) {
		const struct cfg_conn *old = &cfg->conns[i];
		const struct cfg_conn *now = conn_named(fresh, old->name);

		if (now && conn_same(ic, old, now)) {
			json_array_append_new(l->kept, json_string(old->name));
			continue;
		}
		ike_engine_remove_conn(ic->ic_engine, old->name, eg_now_ms());
		if (!now)
			json_array_append_new(l->removed, json_string(old->name));
		else if (try_add(ic, now, &ncert, l->failed))
			json_array_append_new(l->changed, json_string(old->name));
		else
			drop[now - fresh->conns] = true;
	}
	for (unsigned i = 0; i < fresh->n_conns; i++) {
		if (conn_named(cfg, fresh->conns[i].name))
			continue;
		if (try_add(ic, &fresh->conns[i], &ncert, l->failed))
			json_array_append_new(l->added, json_string(fresh->conns[i].name));
		else
			drop[i] = true;
	}
	ic->ic_ncert = ncert;
}

/* A connection added or changed that lib/ike does not take is not in the
 * reply's "added" or "changed" but in "failed", and is dropped from the
 * kept configuration (the next reload tries it again). */
json_t *ike_ctl_reload(struct app *app)
{
	static struct cfg fresh;
	struct reload_lists l = { json_array(), json_array(), json_array(), json_array(),
				  json_array() };
	bool drop[CFG_MAX_CONNS] = { false };
	char err[512];

	memset(&fresh, 0, sizeof(fresh));
	if (cfg_load_file(app->config_path, &fresh, err, sizeof(err)) != 0) {
		reload_lists_free(&l);
		return json_pack("{s:s}", "error", err);
	}
	if (!app->ike)
		return reload_first(app, &fresh, &l);
	ike_ctl_pools(app->ike, &fresh); /* before the connections that name them */
	ike_ctl_eap_users(app->ike, &fresh);
	reload_diff(app->ike, &fresh, &l, drop);
	drop_conns(&fresh, drop);
	take_ike(&app->cfg, &fresh);
	ike_ctl_limits(app->ike, &app->cfg);
	cfg_free(&fresh);
	if (traps_sync(app) != 0)
		EG_LOG(ERR, "reload: trap policies not installed: out of memory");
	return reload_reply(&l);
}
