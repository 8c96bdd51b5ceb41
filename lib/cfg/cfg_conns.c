/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKE connections: addresses, authentication, proposals, times, start.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_priv.h"

const char *const cfg_auth_names[] = {
	[CFG_AUTH_PSK] = "psk",
	[CFG_AUTH_PUBKEY] = "pubkey",
	NULL,
};

/* remote_auth's values, from CFG_REMOTE_AUTH_SAME + 1 on */
static const char *const remote_auth_names[] = { "eap-mschapv2", "eap-tls", "xauth",
						  "eap-radius", NULL };
/* eap_tls_max_version's values */
static const char *const tls_versions[] = { "1.2", "1.3", NULL };

static const char *const start_names[] = {
	[CFG_START_NONE] = "none",
	[CFG_START_START] = "start",
	[CFG_START_TRAP] = "trap",
	NULL,
};

static int parse_conn_name(struct cfg_ctx *c, const struct json_path *p,
			   json_t *obj, unsigned idx)
{
	struct json_path pn = json_path_key(p, "name");
	struct cfg_conn *conn = &c->cfg->conns[idx];
	int rc = cfg_parse_name(c, p, obj, "a connection", conn->name);

	if (rc)
		return rc;
	for (unsigned i = 0; i < idx; i++)
		if (strcmp(c->cfg->conns[i].name, conn->name) == 0)
			return cfg_err(c, &pn, AT_VALUE,
				       "duplicate connection name \"%s\" (also connections[%u].name)",
				       conn->name, i);
	return 0;
}

/* local: ours, on an unprotected port; remote: the peer, or any. No two
 * connections for one (local, remote): which would the peer's IKE_SA_INIT
 * be for? */
static int parse_conn_addrs(struct cfg_ctx *c, const struct json_path *p,
			    json_t *obj, unsigned idx)
{
	struct json_path pl = json_path_key(p, "local");
	struct json_path pr = json_path_key(p, "remote");
	struct cfg_conn *conn = &c->cfg->conns[idx];
	char l[IP_ADDR_STRLEN], r[IP_ADDR_STRLEN];
	json_t *v;
	int rc;

	if ((rc = cfg_member(c, &pl, obj, JSON_STRING, true, &v)) ||
	    (rc = cfg_parse_addr(c, &pl, v, &conn->local)) ||
	    (rc = cfg_check_own_endpoint(c, &pl, "a connection's local address",
					 &conn->local)) ||
	    (rc = cfg_member(c, &pr, obj, JSON_STRING, true, &v)))
		return rc;
	if (cfg_is_any(json_string_value(v)))
		return 0; /* family 0 */
	if ((rc = cfg_parse_addr(c, &pr, v, &conn->remote)) ||
	    (rc = cfg_check_peer_endpoint(c, &pr, &conn->remote)))
		return rc;
	if (conn->remote.family != conn->local.family)
		return cfg_err(c, &pr, AT_VALUE, "%s is %s but local is %s",
			       json_string_value(v),
			       cfg_family_name(conn->remote.family),
			       cfg_family_name(conn->local.family));
	for (unsigned i = 0; i < idx; i++) {
		const struct cfg_conn *o = &c->cfg->conns[i];

		if (!o->remote.family || !ip_addr_equal(&o->local, &conn->local) ||
		    !ip_addr_equal(&o->remote, &conn->remote))
			continue;
		ip_addr_format(&conn->local, l, sizeof(l));
		ip_addr_format(&conn->remote, r, sizeof(r));
		return cfg_err(c, &pr, AT_VALUE,
			       "ambiguous peer: connection \"%s\" (connections[%u]) has the same local %s and remote %s",
			       o->name, i, l, r);
	}
	return 0;
}

/* RFC 7296 §2.15: a shared key derived from a password falls to an
 * offline dictionary attack; the length is a floor, not a guarantee.
 * Nothing of the key goes into a message. */
int cfg_set_psk(struct cfg_ctx *c, const struct json_path *p, json_t *v,
		struct cfg_conn *conn)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v), chars = 0;

	for (size_t i = 0; i < n; i++)
		chars += ((unsigned char)s[i] & 0xc0) != 0x80;
	if (chars < CFG_PSK_MIN)
		return cfg_err(c, p, AT_VALUE,
			       "weak pre-shared key: %zu characters, at least %d needed (RFC 7296 §2.15: a guessable shared key falls to an offline dictionary attack; use a long random one)",
			       chars, CFG_PSK_MIN);
	if (n > CFG_PSK_MAX)
		return cfg_err(c, p, AT_VALUE,
			       "pre-shared key too long: %zu bytes, at most %d",
			       n, CFG_PSK_MAX);
	memcpy(conn->psk, s, n);
	conn->psk_len = (uint16_t)n;
	return 0;
}

static int parse_cacert(struct cfg_ctx *c, const struct json_path *p,
			json_t *v, size_t i, void *arg)
{
	struct cfg_conn *conn = arg;

	return cfg_parse_file(c, p, v, &conn->cacerts[i]);
}

static int parse_cacerts(struct cfg_ctx *c, const struct json_path *p,
			 json_t *arr, struct cfg_conn *conn)
{
	static const struct cfg_array cacerts = {
		.if_empty = "at least one CA certificate needed",
		.max = CFG_MAX_CACERTS,
		.many = "CA certificates",
	};
	int rc;

	if ((rc = cfg_array_bounds(c, p, arr, &cacerts)))
		return rc;
	conn->cacerts = cfg_calloc(c, json_array_size(arr),
				   sizeof(*conn->cacerts));
	if (!conn->cacerts)
		return -ENOMEM;
	conn->n_cacerts = (unsigned)json_array_size(arr);
	return cfg_array_each(c, p, arr, parse_cacert, conn);
}

/* Certificates: the paths checked now, the files read when app/ gives
 * lib/ike the connection. */
static int parse_conn_pki(struct cfg_ctx *c, const struct json_path *p,
			  json_t *obj, struct cfg_conn *conn)
{
	static const char *const keys[] = { "cert", "key", "cacerts", NULL };
	struct json_path pc = json_path_key(p, "cert");
	struct json_path pk = json_path_key(p, "key");
	struct json_path pa = json_path_key(p, "cacerts");
	json_t *v;
	int rc;

	if (conn->auth == CFG_AUTH_PSK) {
		for (int i = 0; keys[i]; i++) {
			struct json_path pi = json_path_key(p, keys[i]);

			if (json_object_get(obj, keys[i]))
				return cfg_err(c, &pi, AT_KEY,
					       "%s is for auth \"pubkey\"; this connection's auth is \"psk\"",
					       keys[i]);
		}
		return 0;
	}
	if ((rc = cfg_member(c, &pc, obj, JSON_STRING, false, &v)))
		return rc;
	if (!v)
		return cfg_err(c, &pc, AT_PARENT,
			       "missing required key: auth \"pubkey\" needs cert, key and cacerts");
	if ((rc = cfg_parse_file(c, &pc, v, &conn->cert)) ||
	    (rc = cfg_member(c, &pk, obj, JSON_STRING, false, &v)))
		return rc;
	if (!v)
		return cfg_err(c, &pk, AT_PARENT,
			       "missing required key: auth \"pubkey\" needs cert, key and cacerts");
	if ((rc = cfg_parse_file(c, &pk, v, &conn->key)) ||
	    (rc = cfg_member(c, &pa, obj, JSON_ARRAY, false, &v)))
		return rc;
	if (!v)
		return cfg_err(c, &pa, AT_PARENT,
			       "missing required key: auth \"pubkey\" needs cert, key and cacerts");
	return parse_cacerts(c, &pa, v, conn);
}

static int parse_conn_auth(struct cfg_ctx *c, const struct json_path *p,
			   json_t *obj, struct cfg_conn *conn)
{
	struct json_path pa = json_path_key(p, "auth");
	struct json_path pk = json_path_key(p, "psk");
	json_t *v;
	int rc, idx;

	conn->auth = CFG_AUTH_PSK;
	if ((rc = cfg_member(c, &pa, obj, JSON_STRING, false, &v)) ||
	    (v && (rc = cfg_one_of(c, &pa, v, cfg_auth_names, &idx))))
		return rc;
	if (v)
		conn->auth = (enum cfg_auth)idx;
	if ((rc = cfg_member(c, &pk, obj, JSON_STRING, false, &v)))
		return rc;
	if (v && conn->auth == CFG_AUTH_PUBKEY)
		return cfg_err(c, &pk, AT_KEY,
			       "auth \"pubkey\" takes no psk: remove it or set auth to \"psk\"");
	if (v && (rc = cfg_set_psk(c, &pk, v, conn)))
		return rc;
	/* With a secrets file, load_secrets looks there afterwards. */
	if (!v && conn->auth == CFG_AUTH_PSK && !c->cfg->ike_secrets)
		return cfg_err(c, &pk, AT_PARENT,
			       "missing required key: auth \"psk\" needs a secret: give psk here or in a secrets file (ike.secrets)");
	return parse_conn_pki(c, p, obj, conn);
}

/* IKE (needs a PRF and a DH group) or ESP (DH only for PFS) proposals,
 * each a strongSwan-style string. */
struct proposals_walk {
	bool ike;
	struct cfg_proposal *out;
};

static int parse_proposal(struct cfg_ctx *c, const struct json_path *p,
			  json_t *v, size_t i, void *arg)
{
	struct proposals_walk *w = arg;
	char err[160];
	int rc;

	if ((rc = cfg_expect(c, p, v, JSON_STRING)))
		return rc;
	if (cfg_proposal_parse(json_string_value(v), w->ike, &w->out[i],
			       err, sizeof(err)) != 0)
		return cfg_err(c, p, AT_VALUE, "\"%.80s\": %s",
			       json_string_value(v), err);
	return 0;
}

/* IKE (needs a PRF and a DH group) or ESP (DH only for PFS) proposals,
 * each a strongSwan-style string. */
int cfg_parse_proposals(struct cfg_ctx *c, const struct json_path *p,
			json_t *obj, bool ike, struct cfg_proposal **out,
			unsigned *n_out)
{
	static const struct cfg_array proposals = {
		.required = true,
		.if_empty = "at least one proposal needed",
		.max = CFG_MAX_PROPOSALS,
		.many = "proposals (the IKE engine's limit)",
	};
	struct proposals_walk w = { .ike = ike };
	json_t *arr;
	int rc;

	if ((rc = cfg_array_open(c, p, obj, &proposals, &arr)))
		return rc;
	if (!(*out = cfg_calloc(c, json_array_size(arr), sizeof(**out))))
		return -ENOMEM;
	*n_out = (unsigned)json_array_size(arr);
	w.out = *out;
	return cfg_array_each(c, p, arr, parse_proposal, &w);
}

static int parse_conn_times(struct cfg_ctx *c, const struct json_path *p,
			    json_t *obj, struct cfg_conn *conn)
{
	struct json_path pr = json_path_key(p, "rekey");
	struct json_path pa = json_path_key(p, "reauth");
	struct json_path pd = json_path_key(p, "dpd");
	struct json_path pt = json_path_key(p, "dpd_timeout");
	bool given;
	int rc;

	conn->rekey_s = 14400; /* strongSwan's 4 h */
	if ((rc = cfg_get_seconds(c, &pr, obj, &conn->rekey_s, &given)) ||
	    (rc = cfg_get_seconds(c, &pa, obj, &conn->reauth_s, &given)) ||
	    (rc = cfg_get_seconds(c, &pd, obj, &conn->dpd_s, &given)) ||
	    (rc = cfg_get_seconds(c, &pt, obj, &conn->dpd_timeout_s, &given)))
		return rc;
	if (conn->dpd_s && conn->dpd_timeout_s &&
	    conn->dpd_timeout_s <= conn->dpd_s)
		return cfg_err(c, &pt, AT_VALUE,
			       "%u is not above dpd (%u): a liveness check must have longer to be answered than the interval between checks",
			       conn->dpd_timeout_s, conn->dpd_s);
	return 0;
}

static int parse_conn_start(struct cfg_ctx *c, const struct json_path *p,
			    json_t *obj, struct cfg_conn *conn)
{
	struct json_path ps = json_path_key(p, "start");
	json_t *v;
	int rc, idx;

	conn->start = CFG_START_NONE;
	if ((rc = cfg_member(c, &ps, obj, JSON_STRING, false, &v)) || !v ||
	    (rc = cfg_one_of(c, &ps, v, start_names, &idx)))
		return rc;
	conn->start = (enum cfg_start)idx;
	if (conn->start != CFG_START_NONE && !conn->remote.family)
		return cfg_err(c, &ps, AT_VALUE,
			       "start \"%s\" initiates, which needs a remote address; remote is any (a responder-only connection)",
			       start_names[idx]);
	return 0;
}

/* Whether every IKE proposal is AEAD: nothing for an ISAKMP SA. */
static bool v1_aead_only(const struct cfg_conn *conn)
{
	for (unsigned i = 0; i < conn->n_ike; i++)
		if (!cfg_proposal_is_aead(&conn->ike[i]))
			return false;
	return conn->n_ike > 0;
}

/* "version": 1 or 2, or "any"; "aggressive" only where IKEv1 is. */
static int parse_conn_version(struct cfg_ctx *c, const struct json_path *p,
			      json_t *obj, struct cfg_conn *conn)
{
	struct json_path pv = json_path_key(p, "version");
	struct json_path pa = json_path_key(p, "aggressive");
	struct json_path pp = json_path_key(p, "proposals");
	json_t *v = json_object_get(obj, "version");
	json_t *a = json_object_get(obj, "aggressive");
	int rc;

	conn->version = CFG_IKE_V2;
	if (json_is_string(v) && strcmp(json_string_value(v), "any") == 0)
		conn->version = CFG_IKE_ANY;
	else if (json_is_integer(v) && json_integer_value(v) == 1)
		conn->version = CFG_IKE_V1;
	else if (v && !(json_is_integer(v) && json_integer_value(v) == 2))
		return cfg_err(c, &pv, AT_VALUE,
			       "the IKE version is 1, 2 or \"any\" (a responder that takes either)");
	if (a && (rc = cfg_expect_bool(c, &pa, a)))
		return rc;
	conn->aggressive = a && json_is_true(a);
	if (conn->version == CFG_IKE_V1 && v1_aead_only(conn))
		return cfg_err(c, &pp, AT_VALUE,
			       "IKEv1's phase 1 has no AEAD cipher (RFC 2409 App. A): "
			       "give a proposal with a CBC cipher, e.g. aes256-sha256-modp2048");
	for (unsigned i = 0; conn->version != CFG_IKE_V1 && i < conn->n_ike; i++)
		if (cfg_proposal_is_legacy(&conn->ike[i]))
			return cfg_err(c, &pp, AT_VALUE,
				       "3des and modp1024 are for IKEv1 peers that have nothing better "
				       "(RFC 8247 §2.1, §2.4): set \"version\": 1");
	if (conn->aggressive && conn->version == CFG_IKE_V2)
		return cfg_err(c, &pa, AT_VALUE,
			       "aggressive mode is IKEv1's (RFC 2409 §5.4): set \"version\": 1 or \"any\"");
	return 0;
}

const char *cfg_remote_auth_name(enum cfg_remote_auth a)
{
	if (a == CFG_REMOTE_AUTH_SAME)
		return "";
	return a <= CFG_REMOTE_AUTH_EAP_RADIUS ? remote_auth_names[a - 1] : "?";
}

/* "eap_identity": EAP-Identity first (RFC 3748 §5.1); "eap_tls_max_version":
 * "1.3" adds TLS 1.3 (RFC 9190) to EAP-TLS's 1.2; "eap_only": EAP-TLS
 * alone proves us to a client that offers it (RFC 5998). Only with
 * remote_auth (the last two with "eap-tls"). */
static int parse_conn_eap_opts(struct cfg_ctx *c, const struct json_path *p,
			       json_t *obj, struct cfg_conn *conn)
{
	struct json_path pi = json_path_key(p, "eap_identity");
	struct json_path pt = json_path_key(p, "eap_tls_max_version");
	struct json_path po = json_path_key(p, "eap_only");
	json_t *i = json_object_get(obj, "eap_identity");
	json_t *t = json_object_get(obj, "eap_tls_max_version");
	json_t *o = json_object_get(obj, "eap_only");
	int rc, idx = 0;

	if (i && conn->remote_auth == CFG_REMOTE_AUTH_SAME)
		return cfg_err(c, &pi, AT_KEY, "eap_identity is for a connection with remote_auth");
	if (t && conn->remote_auth != CFG_REMOTE_AUTH_EAP_TLS)
		return cfg_err(c, &pt, AT_KEY,
			       "eap_tls_max_version is for a connection with remote_auth \"eap-tls\"");
	if (o && conn->remote_auth != CFG_REMOTE_AUTH_EAP_TLS)
		return cfg_err(c, &po, AT_KEY,
			       "eap_only is for a connection with remote_auth \"eap-tls\" (RFC 5998 §4: a mutual method)");
	if ((i && (rc = cfg_expect_bool(c, &pi, i))) ||
	    (o && (rc = cfg_expect_bool(c, &po, o))) ||
	    (t && (rc = cfg_member(c, &pt, obj, JSON_STRING, false, &t))) ||
	    (t && (rc = cfg_one_of(c, &pt, t, tls_versions, &idx))))
		return rc;
	conn->eap_identity = i && json_is_true(i);
	conn->eap_tls13 = idx == 1;
	conn->eap_only = o && json_is_true(o);
	return 0;
}

/* "remote_auth": "eap-mschapv2" or "eap-tls": the peer authenticates with
 * EAP (RFC 7296 §2.16), we with our certificate; IKEv2 only. "xauth":
 * after phase 1 (PSK or certificates) the IKEv1 client gives a user name
 * and password (XAUTH generic); IKEv1 only. */
static int parse_conn_remote_auth(struct cfg_ctx *c, const struct json_path *p,
				  json_t *obj, struct cfg_conn *conn)
{
	struct json_path pr = json_path_key(p, "remote_auth");
	json_t *v;
	int rc, idx;

	conn->remote_auth = CFG_REMOTE_AUTH_SAME;
	if ((rc = cfg_member(c, &pr, obj, JSON_STRING, false, &v)) || !v)
		return rc ? rc : parse_conn_eap_opts(c, p, obj, conn);
	if ((rc = cfg_one_of(c, &pr, v, remote_auth_names, &idx)))
		return rc;
	conn->remote_auth = (enum cfg_remote_auth)(idx + 1);
	if (conn->remote_auth == CFG_REMOTE_AUTH_XAUTH)
		return conn->version == CFG_IKE_V2
			       ? cfg_err(c, &pr, AT_VALUE,
					 "remote_auth \"xauth\" is IKEv1's (draft-beaulieu-ike-xauth-02): set \"version\": 1 or \"any\"")
			       : 0;
	if (conn->auth != CFG_AUTH_PUBKEY)
		return cfg_err(c, &pr, AT_VALUE,
			       "remote_auth \"%s\" needs auth \"pubkey\": espgate proves itself with its certificate before the client's EAP (RFC 7296 §2.16)",
			       cfg_remote_auth_name(conn->remote_auth));
	if (conn->version != CFG_IKE_V2)
		return cfg_err(c, &pr, AT_VALUE,
			       "remote_auth \"%s\" is IKEv2's (RFC 7296 §2.16): remove \"version\" or set it to 2",
			       cfg_remote_auth_name(conn->remote_auth));
	return parse_conn_eap_opts(c, p, obj, conn);
}

/* "mobike": true (the default) or false: MOBIKE (RFC 4555), IKEv2's. */
static int parse_conn_mobike(struct cfg_ctx *c, const struct json_path *p,
			     json_t *obj, struct cfg_conn *conn)
{
	struct json_path pm = json_path_key(p, "mobike");
	json_t *v = json_object_get(obj, "mobike");
	int rc;

	if (v && (rc = cfg_expect_bool(c, &pm, v)))
		return rc;
	conn->no_mobike = v && !json_is_true(v);
	if (v && json_is_true(v) && conn->version == CFG_IKE_V1)
		return cfg_err(c, &pm, AT_VALUE,
			       "MOBIKE is IKEv2's (RFC 4555): remove \"mobike\" or set \"version\" to 2 or \"any\"");
	return 0;
}

static int parse_conn(struct cfg_ctx *c, const struct json_path *p,
		      json_t *obj, unsigned idx)
{
	static const char *const keys[] = {
		"name", "local", "remote", "local_id", "remote_id", "auth",
		"psk", "cert", "key", "cacerts", "proposals", "rekey", "reauth",
		"dpd", "dpd_timeout", "start", "children", "version",
		"aggressive", "pools", "remote_auth", "eap_identity", "eap_tls_max_version", "eap_only", "modecfg", "mobike",
		NULL,
	};
	struct cfg_conn *conn = &c->cfg->conns[idx];
	struct json_path pp = json_path_key(p, "proposals");
	int rc;

	if ((rc = cfg_object(c, p, obj, keys)) ||
	    (rc = parse_conn_name(c, p, obj, idx)) ||
	    (rc = parse_conn_addrs(c, p, obj, idx)) ||
	    (rc = cfg_parse_conn_ids(c, p, obj, conn)) ||
	    (rc = parse_conn_auth(c, p, obj, conn)) ||
	    (rc = cfg_parse_proposals(c, &pp, obj, true, &conn->ike, &conn->n_ike)) ||
	    (rc = parse_conn_times(c, p, obj, conn)) ||
	    (rc = parse_conn_start(c, p, obj, conn)) ||
	    (rc = parse_conn_version(c, p, obj, conn)) ||
	    (rc = parse_conn_remote_auth(c, p, obj, conn)) ||
	    (rc = parse_conn_mobike(c, p, obj, conn)) ||
	    (rc = cfg_parse_children(c, p, obj, idx)) ||
	    (rc = cfg_parse_conn_pools(c, p, obj, conn)) ||
	    (rc = cfg_check_trap_room(c, p, idx)))
		return rc;
	return 0;
}

static int parse_conn_elem(struct cfg_ctx *c, const struct json_path *p,
			   json_t *v, size_t i, void *arg)
{
	(void)arg;
	return parse_conn(c, p, v, (unsigned)i);
}

int cfg_parse_conns(struct cfg_ctx *c, json_t *root)
{
	static const struct cfg_array conns = {
		.max = CFG_MAX_CONNS,
		.many = "connections",
	};
	struct json_path p = json_path_key(NULL, "connections");
	json_t *arr;
	int rc;

	if ((rc = cfg_array_open(c, &p, root, &conns, &arr)) || !arr)
		return rc;
	/* All now, zeroed: cfg_free frees whatever a failed parse left
	 * half done. */
	c->cfg->conns = cfg_calloc(c, json_array_size(arr),
				   sizeof(*c->cfg->conns));
	if (!c->cfg->conns)
		return -ENOMEM;
	c->cfg->n_conns = (unsigned)json_array_size(arr);
	return cfg_array_each(c, &p, arr, parse_conn_elem, NULL);
}

const char *cfg_auth_name(enum cfg_auth auth)
{
	return auth <= CFG_AUTH_PUBKEY ? cfg_auth_names[auth] : "?";
}

const char *cfg_start_name(enum cfg_start start)
{
	return start <= CFG_START_TRAP ? start_names[start] : "?";
}
