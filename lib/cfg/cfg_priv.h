/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_CFG_PRIV_H
#define ESPGATE_CFG_PRIV_H

/*
 * Inside lib/cfg: one validation function per section, each checking its
 * object's keys before its values. Errors carry the JSON path of what is
 * wrong and, found by rescanning the text (json_pos.c), where it is.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "json_pos.h"

#define CFG_FILE_MAX (1u << 20)
#define CFG_PATH_STRLEN 256

#define IKE_PORT 500   /* RFC 7296 §2 */
#define NATT_PORT 4500 /* RFC 3948 */

struct cfg_ctx {
	const char *text;
	size_t len;
	const char *name;
	char *err;
	size_t errlen;
	struct cfg *cfg;
	bool secrets;          /* the text is the secrets file (ike.secrets) */
	bool natt_ports_given; /* ipsec.natt_ports was in the file */
};

/* Which position an error points at. */
enum cfg_at {
	AT_VALUE,  /* the value at the path */
	AT_KEY,	   /* the member name ending the path */
	AT_PARENT, /* the enclosing object: the path is a missing key */
};

/* An array member's bounds, and the words its messages use. */
struct cfg_array {
	bool required;
	const char *if_empty; /* non-NULL: an empty array is refused so */
	size_t max;           /* 0: no limit */
	const char *many;     /* "at most MAX <many>" */
};

/* Parses element i of an array, at path p. */
typedef int cfg_elem_fn(struct cfg_ctx *c, const struct json_path *p,
			json_t *v, size_t i, void *arg);

/* JSON, errors, arrays, files (cfg_json.c) */

/* arr holds as many elements as a allows. */
int cfg_array_bounds(struct cfg_ctx *c, const struct json_path *p,
		     json_t *arr, const struct cfg_array *a);
/* obj's array member p->key within a's bounds; *arr is NULL when it is
 * absent (and optional) or empty (and allowed): nothing to walk. */
int cfg_array_open(struct cfg_ctx *c, const struct json_path *p, json_t *obj,
		   const struct cfg_array *a, json_t **arr);
/* fn on each element of arr in order, until the first error. */
int cfg_array_each(struct cfg_ctx *c, const struct json_path *p, json_t *arr,
		   cfg_elem_fn *fn, void *arg);
/* The two, for an array whose elements need no allocation. */
int cfg_array(struct cfg_ctx *c, const struct json_path *p, json_t *obj,
	      const struct cfg_array *a, cfg_elem_fn *fn, void *arg);
/* n zeroed elements of size bytes, or NULL after the out-of-memory
 * message. */
void *cfg_calloc(struct cfg_ctx *c, size_t n, size_t size);

void cfg_one_line(char *s);
__attribute__((format(printf, 4, 5)))
int cfg_err(struct cfg_ctx *c, const struct json_path *p,
	    enum cfg_at at, const char *fmt, ...);
int cfg_nomem(struct cfg_ctx *c);
int cfg_syntax_err(struct cfg_ctx *c, const json_error_t *je);
const char *cfg_type_name(json_type t);
int cfg_expect(struct cfg_ctx *c, const struct json_path *p, json_t *v,
	       json_type t);
int cfg_member(struct cfg_ctx *c, const struct json_path *p, json_t *obj,
	       json_type t, bool required, json_t **v);
void cfg_join_names(const char *const *names, char *buf, size_t len);
int cfg_known_keys(struct cfg_ctx *c, const struct json_path *p,
		   json_t *obj, const char *const *keys);
int cfg_object(struct cfg_ctx *c, const struct json_path *p, json_t *v,
	       const char *const *keys);
int cfg_one_of(struct cfg_ctx *c, const struct json_path *p, json_t *v,
	       const char *const *names, int *idx);
int cfg_expect_bool(struct cfg_ctx *c, const struct json_path *p,
		    json_t *v);
void cfg_wipe_free(char *buf, size_t len);
/* The whole file; *mode (when mode is not NULL) its permission bits
 * as the opened file has them. */
int cfg_read_file(const char *path, char **text, size_t *len, unsigned *mode);

/* values (cfg_values.c) */

int cfg_get_uint(struct cfg_ctx *c, const struct json_path *p, json_t *v,
		 unsigned min, unsigned max, unsigned *out);
int cfg_copy_string(struct cfg_ctx *c, const struct json_path *p,
		    json_t *v, char *dst, size_t size);
int cfg_parse_addr(struct cfg_ctx *c, const struct json_path *p,
		   json_t *v, struct ip_addr *a);
int cfg_parse_prefix(struct cfg_ctx *c, const struct json_path *p,
		     json_t *v, struct ip_prefix *out);
int cfg_parse_mac(struct cfg_ctx *c, const struct json_path *p, json_t *v,
		  uint8_t mac[6]);
bool cfg_valid_name(const char *s);
int cfg_parse_network(struct cfg_ctx *c, const struct json_path *p,
		      json_t *v, struct ip_prefix *out);
const char *cfg_family_name(uint8_t family);
int cfg_parse_path(struct cfg_ctx *c, const struct json_path *p, json_t *v,
		   char **out);
extern const char *const cfg_mode_names[];
unsigned cfg_hex_val(char x);
int cfg_parse_ts_proto(struct cfg_ctx *c, const struct json_path *p,
		       json_t *v, uint8_t family, uint8_t *proto);
int cfg_parse_ts_ports(struct cfg_ctx *c, const struct json_path *p,
		       json_t *obj, uint8_t proto, uint16_t *lo, uint16_t *hi);
int cfg_get_u64(struct cfg_ctx *c, const struct json_path *p, json_t *obj,
		uint64_t *out);
int cfg_check_soft_hard(struct cfg_ctx *c, const struct json_path *p,
			const char *hard_key, uint64_t soft, uint64_t hard);
/* obj's "name" into name; what, with its article ("an SA"), says in an
 * error what the name is of. */
int cfg_parse_name(struct cfg_ctx *c, const struct json_path *p, json_t *obj,
		   const char *what, char name[CFG_NAME_MAX]);
bool cfg_is_any(const char *s);
int cfg_parse_file(struct cfg_ctx *c, const struct json_path *p, json_t *v,
		   char **out);
int cfg_get_seconds(struct cfg_ctx *c, const struct json_path *p,
		    json_t *obj, uint32_t *out, bool *given);

/* system sections and ports (cfg_system.c) */

extern const char *const cfg_role_names[];
int cfg_parse_eal(struct cfg_ctx *c, json_t *root);
int cfg_parse_lcores(struct cfg_ctx *c, json_t *root);
int cfg_parse_crypto(struct cfg_ctx *c, json_t *root);
int cfg_parse_control(struct cfg_ctx *c, json_t *root);
int cfg_parse_log(struct cfg_ctx *c, json_t *root);
int cfg_parse_metrics(struct cfg_ctx *c, json_t *root);
/* cfg_radius.c: "radius", and the secrets file's "radius" */
int cfg_parse_radius(struct cfg_ctx *c, json_t *root);
int cfg_radius_secrets(struct cfg_ctx *c, struct cfg_ctx *sc, json_t *root);
int cfg_radius_check(struct cfg_ctx *c);
int cfg_find_port(const struct cfg *cfg, const char *name);

/* pools (cfg_pools.c) */

int cfg_parse_pools(struct cfg_ctx *c, json_t *root);
/* A connection's "pools", after its children (their remote_ts must
 * hold each pool). */
int cfg_parse_conn_pools(struct cfg_ctx *c, const struct json_path *p, json_t *obj,
			 struct cfg_conn *conn);
int cfg_parse_ports(struct cfg_ctx *c, json_t *root);

/* routes, neighbors, addresses of the ports (cfg_net.c) */

int cfg_parse_routes(struct cfg_ctx *c, json_t *root);
int cfg_parse_neighbors(struct cfg_ctx *c, json_t *root);
int cfg_check_own_endpoint(struct cfg_ctx *c, const struct json_path *p,
			   const char *which, const struct ip_addr *a);
int cfg_check_peer_endpoint(struct cfg_ctx *c, const struct json_path *p,
			    const struct ip_addr *a);

/* ipsec and ike sections (cfg_ipsec.c) */

void cfg_format_natt_ports(const struct cfg *cfg, char *buf, size_t len);
int cfg_parse_ipsec(struct cfg_ctx *c, json_t *root);
int cfg_parse_ike(struct cfg_ctx *c, json_t *root);

/* static SAs (cfg_sas.c) */

int cfg_parse_sas(struct cfg_ctx *c, json_t *root);

/* identities (cfg_ids.c) */

int cfg_parse_conn_ids(struct cfg_ctx *c, const struct json_path *p,
		       json_t *obj, struct cfg_conn *conn);

/* connections (cfg_conns.c) */

extern const char *const cfg_auth_names[];
int cfg_set_psk(struct cfg_ctx *c, const struct json_path *p, json_t *v,
		struct cfg_conn *conn);
int cfg_parse_proposals(struct cfg_ctx *c, const struct json_path *p,
			json_t *obj, bool ike, struct cfg_proposal **out,
			unsigned *n_out);
int cfg_parse_conns(struct cfg_ctx *c, json_t *root);

/* children (cfg_children.c) */

int cfg_check_trap_room(struct cfg_ctx *c, const struct json_path *p, unsigned idx);
int cfg_parse_children(struct cfg_ctx *c, const struct json_path *p,
		       json_t *obj, unsigned conn_idx);

/* the secrets file (cfg_secrets.c) */

int cfg_load_secrets(struct cfg_ctx *c);

#endif
