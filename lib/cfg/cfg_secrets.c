/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The secrets file: {"psk": {"<connection name>": "secret", ...},
 * "eap": {"<EAP identity>": "password", ...}}. Its errors carry its own
 * name and positions; no message shows a secret.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_priv.h"

static int find_conn(const struct cfg *cfg, const char *name)
{
	for (unsigned i = 0; i < cfg->n_conns; i++)
		if (strcmp(cfg->conns[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int parse_secret(struct cfg_ctx *c, struct cfg_ctx *sc,
			const struct json_path *pk, json_t *v)
{
	struct json_path pc = json_path_key(NULL, "connections");
	struct cfg *cfg = c->cfg;
	int i = find_conn(cfg, pk->key), rc;
	struct cfg_conn *conn;

	if (i < 0)
		return cfg_err(sc, pk, AT_KEY,
			       "no connection named \"%.40s\" in %s", pk->key,
			       c->name);
	conn = &cfg->conns[i];
	if ((rc = cfg_expect(sc, pk, v, JSON_STRING)))
		return rc;
	if (conn->auth != CFG_AUTH_PSK)
		return cfg_err(sc, pk, AT_KEY,
			       "connection \"%s\" (connections[%d] in %s) uses auth \"%s\", not \"psk\"",
			       conn->name, i, c->name, cfg_auth_names[conn->auth]);
	if (conn->psk_len) {
		struct json_path pi = json_path_index(&pc, (size_t)i);
		struct json_path pp = json_path_key(&pi, "psk");

		return cfg_err(c, &pp, AT_KEY,
			       "the secret of connection \"%s\" is also in %s (psk.%s); keep one of the two",
			       conn->name, sc->name, conn->name);
	}
	if ((rc = cfg_set_psk(sc, pk, v, conn)))
		return rc;
	conn->psk_from_secrets = true;
	return 0;
}

/* One EAP user: a name as the client's identity spells it, and a
 * password of 1 to 256 characters (RFC 2759 §4: MS-CHAPv2's limit). */
static int parse_eap_user(struct cfg_ctx *sc, const struct json_path *pk, json_t *v,
			  struct cfg_eap_user *u)
{
	const char *name = pk->key, *s;
	size_t n, chars = 0;
	int rc;

	if (strlen(name) == 0 || strlen(name) > CFG_EAP_USER_MAX)
		return cfg_err(sc, pk, AT_KEY, "an EAP user name has 1 to %d bytes",
			       CFG_EAP_USER_MAX);
	if ((rc = cfg_expect(sc, pk, v, JSON_STRING)))
		return rc;
	s = json_string_value(v);
	n = json_string_length(v);
	for (size_t i = 0; i < n; i++)
		chars += ((unsigned char)s[i] & 0xc0) != 0x80;
	if (chars == 0 || chars > CFG_EAP_PASSWORD_MAX)
		return cfg_err(sc, pk, AT_VALUE,
			       "an EAP-MSCHAPv2 password has 1 to %d characters (RFC 2759 §4), this one %zu",
			       CFG_EAP_PASSWORD_MAX, chars);
	u->password = malloc(n);
	if (!u->password)
		return cfg_nomem(sc);
	memcpy(u->password, s, n);
	u->password_len = (uint16_t)n;
	memcpy(u->name, name, strlen(name) + 1);
	return 0;
}

static int parse_eap_users(struct cfg_ctx *sc, json_t *root)
{
	struct json_path pe = json_path_key(NULL, "eap");
	struct cfg *cfg = sc->cfg;
	json_t *obj;
	int rc;

	if ((rc = cfg_member(sc, &pe, root, JSON_OBJECT, false, &obj)) || !obj)
		return rc;
	if (json_object_size(obj) > CFG_MAX_EAP_USERS)
		return cfg_err(sc, &pe, AT_VALUE, "too many EAP users: %zu, at most %d",
			       json_object_size(obj), CFG_MAX_EAP_USERS);
	cfg->eap_users = cfg_calloc(sc, json_object_size(obj) + 1, sizeof(*cfg->eap_users));
	if (!cfg->eap_users)
		return -ENOMEM;
	for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
		struct json_path pk = json_path_key(&pe, json_object_iter_key(it));

		rc = parse_eap_user(sc, &pk, json_object_iter_value(it),
				    &cfg->eap_users[cfg->n_eap_users]);
		if (rc)
			return rc;
		cfg->n_eap_users++;
	}
	return 0;
}

static int parse_secrets(struct cfg_ctx *c, struct cfg_ctx *sc, json_t *root)
{
	static const char *const keys[] = { "psk", "eap", "radius", NULL };
	struct json_path pp = json_path_key(NULL, "psk");
	json_t *obj;
	int rc;

	if ((rc = cfg_object(sc, NULL, root, keys)) || (rc = parse_eap_users(sc, root)) ||
	    (rc = cfg_radius_secrets(c, sc, root)) ||
	    (rc = cfg_member(sc, &pp, root, JSON_OBJECT, false, &obj)) || !obj)
		return rc;
	for (void *it = json_object_iter(obj); it;
	     it = json_object_iter_next(obj, it)) {
		struct json_path pk = json_path_key(&pp, json_object_iter_key(it));

		if ((rc = parse_secret(c, sc, &pk, json_object_iter_value(it))))
			return rc;
	}
	return 0;
}

/* A connection whose clients use EAP needs users to check them against. */
static int check_eap_users(struct cfg_ctx *c)
{
	struct json_path pc = json_path_key(NULL, "connections");
	const struct cfg *cfg = c->cfg;

	for (unsigned i = 0; i < cfg->n_conns; i++) {
		const struct cfg_conn *conn = &cfg->conns[i];
		struct json_path pn = json_path_index(&pc, i);
		struct json_path pr = json_path_key(&pn, "remote_auth");

		bool passwords = conn->remote_auth == CFG_REMOTE_AUTH_EAP_MSCHAPV2 ||
				 conn->remote_auth == CFG_REMOTE_AUTH_XAUTH;

		if (passwords && !cfg->n_eap_users)
			return cfg_err(c, &pr, AT_VALUE,
				       "connection \"%s\" checks its clients' %s passwords, but there are none: give them in a secrets file (ike.secrets) as {\"eap\": {\"<identity>\": \"<password>\"}}",
				       conn->name, conn->remote_auth == CFG_REMOTE_AUTH_XAUTH ? "XAUTH" : "EAP-MSCHAPv2");
	}
	return 0;
}

int cfg_load_secrets(struct cfg_ctx *c)
{
	struct json_path pi = json_path_key(NULL, "ike");
	struct json_path ps = json_path_key(&pi, "secrets");
	struct json_path pc = json_path_key(NULL, "connections");
	struct cfg *cfg = c->cfg;
	struct cfg_ctx sc = *c;
	json_error_t je;
	json_t *root;
	char *text = NULL;
	unsigned mode = 0;
	size_t len = 0;
	int rc;

	if (!cfg->ike_secrets)
		return check_eap_users(c) ? -EINVAL : cfg_radius_check(c);
	rc = cfg_read_file(cfg->ike_secrets, &text, &len, &mode);
	if (rc == -ENOMEM)
		return cfg_nomem(c);
	if (rc)
		return cfg_err(c, &ps, AT_VALUE, "cannot read %s: %s",
			       cfg->ike_secrets, strerror(-rc));
	/* as OpenSSH refuses a private key file others may read */
	if (mode & 077) {
		cfg_wipe_free(text, len);
		return cfg_err(c, &ps, AT_VALUE,
			       "%s holds pre-shared keys but other users may read or write it (mode %04o): it must be accessible by its owner only (chmod 600 %s)",
			       cfg->ike_secrets, mode, cfg->ike_secrets);
	}
	sc.text = text;
	sc.len = len;
	sc.name = cfg->ike_secrets;
	sc.secrets = true;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		rc = cfg_syntax_err(&sc, &je);
	} else {
		rc = parse_secrets(c, &sc, root);
		json_decref(root);
	}
	cfg_wipe_free(text, len);
	for (unsigned i = 0; !rc && i < cfg->n_conns; i++) {
		const struct cfg_conn *conn = &cfg->conns[i];
		struct json_path pn = json_path_index(&pc, i);
		struct json_path pk = json_path_key(&pn, "psk");

		if (conn->auth == CFG_AUTH_PSK && !conn->psk_len)
			rc = cfg_err(c, &pk, AT_PARENT,
				     "missing required key: connection \"%s\" uses auth \"psk\" but has no secret, neither here nor in %s (ike.secrets) as psk.%s",
				     conn->name, cfg->ike_secrets, conn->name);
	}
	return rc ? rc : check_eap_users(c) ? -EINVAL : cfg_radius_check(c);
}
