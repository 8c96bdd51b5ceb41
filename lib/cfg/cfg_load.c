/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loading: the sections in order, from a string or a file, and freeing.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_priv.h"

static int cfg_parse(struct cfg_ctx *c, json_t *root)
{
	static const char *const keys[] = {
		"eal", "lcores", "crypto", "control", "log", "metrics", "radius",
		"ports", "routes", "neighbors", "ipsec", "ike", "sas",
		"pools", "connections", NULL,
	};
	int rc;

	if ((rc = cfg_object(c, NULL, root, keys)) || (rc = cfg_parse_eal(c, root)) ||
	    (rc = cfg_parse_lcores(c, root)) || (rc = cfg_parse_crypto(c, root)) ||
	    (rc = cfg_parse_control(c, root)) || (rc = cfg_parse_log(c, root)) ||
	    (rc = cfg_parse_metrics(c, root)) ||
	    (rc = cfg_parse_ports(c, root)) || (rc = cfg_parse_routes(c, root)) ||
	    (rc = cfg_parse_neighbors(c, root)) || (rc = cfg_parse_ipsec(c, root)) ||
	    (rc = cfg_parse_ike(c, root)) || (rc = cfg_parse_sas(c, root)) ||
	    (rc = cfg_parse_pools(c, root)) || (rc = cfg_parse_conns(c, root)) || (rc = cfg_parse_radius(c, root)) ||
	    (rc = cfg_load_secrets(c)))
		return rc;
	return 0;
}

static int cfg_load_buf(const char *text, size_t len, const char *name,
			struct cfg *out, char *err, size_t errlen)
{
	struct cfg_ctx c = {
		.text = text, .len = len, .name = name,
		.err = err, .errlen = errlen, .cfg = out,
	};
	json_error_t je;
	json_t *root;
	int rc;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return cfg_syntax_err(&c, &je);
	rc = cfg_parse(&c, root);
	json_decref(root);
	if (rc)
		cfg_free(out);
	return rc;
}

int cfg_load_string(const char *text, const char *name, struct cfg *out,
		    char *err, size_t errlen)
{
	return cfg_load_buf(text, strlen(text), name ? name : "<string>", out,
			    err, errlen);
}

int cfg_load_file(const char *path, struct cfg *out, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = cfg_read_file(path, &text, &len, NULL);
	if (rc) {
		if (err && errlen) {
			snprintf(err, errlen, "%s: cannot read: %s", path,
				 strerror(-rc));
			cfg_one_line(err);
		}
		return rc;
	}
	rc = cfg_load_buf(text, len, path, out, err, errlen);
	cfg_wipe_free(text, len);
	return rc;
}

static void free_conn(struct cfg_conn *conn)
{
	for (unsigned i = 0; conn->children && i < conn->n_children; i++) {
		free(conn->children[i].local_ts);
		free(conn->children[i].remote_ts);
		free(conn->children[i].esp);
	}
	free(conn->children);
	free(conn->ike);
	free(conn->cert);
	free(conn->key);
	for (unsigned i = 0; conn->cacerts && i < conn->n_cacerts; i++)
		free(conn->cacerts[i]);
	free(conn->cacerts);
}

void cfg_free(struct cfg *cfg)
{
	if (!cfg)
		return;
	for (unsigned i = 0; i < cfg->n_eal_args; i++)
		free(cfg->eal_args[i]);
	free(cfg->routes);
	free(cfg->neighbors);
	if (cfg->sas) /* keys */
		explicit_bzero(cfg->sas, cfg->n_sas * sizeof(*cfg->sas));
	free(cfg->sas);
	for (unsigned i = 0; cfg->conns && i < cfg->n_conns; i++)
		free_conn(&cfg->conns[i]);
	if (cfg->conns) /* pre-shared keys */
		explicit_bzero(cfg->conns, cfg->n_conns * sizeof(*cfg->conns));
	free(cfg->conns);
	free(cfg->pools);
	for (unsigned i = 0; i < cfg->radius.n_servers; i++)
		cfg_wipe_free(cfg->radius.servers[i].secret, cfg->radius.servers[i].secret_len);
	for (unsigned i = 0; cfg->eap_users && i < cfg->n_eap_users; i++)
		cfg_wipe_free(cfg->eap_users[i].password, cfg->eap_users[i].password_len);
	free(cfg->eap_users);
	free(cfg->ike_secrets);
	memset(cfg, 0, sizeof(*cfg));
}
