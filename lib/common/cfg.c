/* SPDX-License-Identifier: BSD-3-Clause */
#include "cfg.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json_pos.h"

/*
 * One validation function per section, each checking its object's keys
 * before its values. Errors carry the JSON path of what is wrong and,
 * found by rescanning the text (json_pos.c), where it is.
 */

#define CFG_FILE_MAX (1u << 20)
#define CFG_PATH_STRLEN 256

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

static const char *const role_names[] = {
	[CFG_ROLE_PROTECTED] = "protected",
	[CFG_ROLE_UNPROTECTED] = "unprotected",
	NULL,
};

static const char *const engine_names[] = {
	[CFG_ENGINE_IPSECMB] = "ipsecmb",
	[CFG_ENGINE_CRYPTODEV] = "cryptodev",
	NULL,
};

static const char *const log_levels[] = {
	"error", "warning", "notice", "info", "debug", NULL,
};

/* Errors. */

/* The message is one line whatever the file held. */
static void one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

__attribute__((format(printf, 4, 0)))
static void write_err(struct cfg_ctx *c, struct json_pos pos, const char *path,
		      const char *fmt, va_list ap)
{
	char msg[512];

	if (!c->err || !c->errlen)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	snprintf(c->err, c->errlen, "%s:%u:%u: %s: %s", c->name, pos.line,
		 pos.col, path, msg);
	one_line(c->err);
}

__attribute__((format(printf, 4, 5)))
static int cfg_err(struct cfg_ctx *c, const struct json_path *p,
		   enum cfg_at at, const char *fmt, ...)
{
	const struct json_path *where = at == AT_PARENT ? p->up : p;
	struct json_pos pos = { 0, 0 };
	char path[CFG_PATH_STRLEN];
	va_list ap;

	json_pos_find(c->text, c->len, where, at == AT_KEY, &pos);
	json_path_format(p, path, sizeof(path));
	va_start(ap, fmt);
	write_err(c, pos, path, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

__attribute__((format(printf, 4, 5)))
static int err_at_pos(struct cfg_ctx *c, struct json_pos pos, const char *path,
		      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	write_err(c, pos, path, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int nomem(struct cfg_ctx *c)
{
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "%s: out of memory", c->name);
	return -ENOMEM;
}

/* jansson quotes the token it stopped at: "unexpected newline near
 * '"0011223344'". When that token is a hex string it may be key material
 * (sas[].enc_key, integ_key), which is never printed. */
static void hide_hex_token(char *msg)
{
	static const char quote[] = " near '\"";
	char *near = strstr(msg, quote);
	const char *s;
	size_t n = 0;

	if (!near)
		return;
	s = near + strlen(quote);
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	while (isxdigit((unsigned char)s[n]))
		n++;
	if (n >= 8)
		strcpy(near, " in a hex string (not shown)");
}

/* Whether the n bytes tok, found in the text at or before pos, are a
 * string value of a "psk" member. */
static bool psk_value_at(const struct cfg_ctx *c, size_t pos, const char *tok,
			 size_t n)
{
	const char *t = c->text, *k = "\"psk\"";
	size_t s, klen = strlen(k);

	if (n == 0 || n > c->len)
		return false;
	s = pos < c->len - n ? pos : c->len - n;
	for (;; s--) {
		if (memcmp(t + s, tok, n) == 0)
			break;
		if (s == 0)
			return false;
	}
	while (s > 0 && isspace((unsigned char)t[s - 1]))
		s--;
	if (s == 0 || t[--s] != ':')
		return false;
	while (s > 0 && isspace((unsigned char)t[s - 1]))
		s--;
	return s >= klen && memcmp(t + s - klen, k, klen) == 0;
}

/* The token jansson quotes may be part of a secret: in the secrets file
 * any string, in the configuration a psk's value. */
static void hide_secret_token(const struct cfg_ctx *c, const json_error_t *je,
			      char *msg)
{
	static const char quote[] = " near '\"";
	char *near = strstr(msg, quote);
	const char *tok;
	size_t n;

	if (!near)
		return;
	tok = near + strlen(" near '");
	n = strlen(tok);
	if (n && tok[n - 1] == '\'')
		n--;
	if (c->secrets ||
	    psk_value_at(c, je->position > 0 ? (size_t)je->position : 0, tok, n))
		strcpy(near, " in a secret (not shown)");
}

/* jansson's own errors: syntax, and duplicate keys, which we point at the
 * start of the second occurrence and name by path. */
static int syntax_err(struct cfg_ctx *c, const json_error_t *je)
{
	struct json_pos pos = { je->line > 0 ? (unsigned)je->line : 0,
				je->column > 0 ? (unsigned)je->column : 0 };
	char path[CFG_PATH_STRLEN], text[JSON_ERROR_TEXT_LENGTH + 32];

	if (json_error_code(je) == json_error_duplicate_key &&
	    json_pos_key_path_at(c->text, c->len, &pos, path, sizeof(path)))
		return err_at_pos(c, pos, path, "duplicate key");
	snprintf(text, sizeof(text), "%s", je->text);
	hide_secret_token(c, je, text);
	hide_hex_token(text);
	return err_at_pos(c, pos, "$", "%s", text);
}

/* Types and members. */

static const char *type_name(json_type t)
{
	switch (t) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a real number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

static int expect(struct cfg_ctx *c, const struct json_path *p, json_t *v,
		  json_type t)
{
	if (json_typeof(v) == t)
		return 0;
	return cfg_err(c, p, AT_VALUE, "expected %s, got %s", type_name(t),
		       type_name(json_typeof(v)));
}

/* The member p->key of obj, typed; *v is NULL when absent and optional. */
static int member(struct cfg_ctx *c, const struct json_path *p, json_t *obj,
		  json_type t, bool required, json_t **v)
{
	*v = json_object_get(obj, p->key);
	if (!*v)
		return required ? cfg_err(c, p, AT_PARENT, "missing required key")
				: 0;
	return expect(c, p, *v, t);
}

static int find_name(const char *s, const char *const *names)
{
	for (int i = 0; names[i]; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static void join_names(const char *const *names, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; names[i] && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s\"%s\"",
				 i ? ", " : "", names[i]);
		if (n > 0)
			used += (size_t)n;
	}
}

static int known_keys(struct cfg_ctx *c, const struct json_path *p,
		      json_t *obj, const char *const *keys)
{
	char list[256];

	for (void *it = json_object_iter(obj); it;
	     it = json_object_iter_next(obj, it)) {
		const char *k = json_object_iter_key(it);
		struct json_path pk = json_path_key(p, k);

		if (find_name(k, keys) >= 0)
			continue;
		join_names(keys, list, sizeof(list));
		return cfg_err(c, &pk, AT_KEY, "unknown key (expected %s)",
			       list);
	}
	return 0;
}

static int object(struct cfg_ctx *c, const struct json_path *p, json_t *v,
		  const char *const *keys)
{
	int rc = expect(c, p, v, JSON_OBJECT);

	return rc ? rc : known_keys(c, p, v, keys);
}

static int one_of(struct cfg_ctx *c, const struct json_path *p, json_t *v,
		  const char *const *names, int *idx)
{
	char list[256];

	*idx = find_name(json_string_value(v), names);
	if (*idx >= 0)
		return 0;
	join_names(names, list, sizeof(list));
	return cfg_err(c, p, AT_VALUE, "\"%.40s\" is not one of %s",
		       json_string_value(v), list);
}

static int get_uint(struct cfg_ctx *c, const struct json_path *p, json_t *v,
		    unsigned min, unsigned max, unsigned *out)
{
	json_int_t n;
	int rc = expect(c, p, v, JSON_INTEGER);

	if (rc)
		return rc;
	n = json_integer_value(v);
	if (n < min || n > max)
		return cfg_err(c, p, AT_VALUE,
			       "%" JSON_INTEGER_FORMAT " is out of range %u..%u",
			       n, min, max);
	*out = (unsigned)n;
	return 0;
}

static int copy_string(struct cfg_ctx *c, const struct json_path *p,
		       json_t *v, char *dst, size_t size)
{
	const char *s = json_string_value(v);
	size_t n = strlen(s);

	if (n == 0)
		return cfg_err(c, p, AT_VALUE, "must not be empty");
	if (n >= size)
		return cfg_err(c, p, AT_VALUE,
			       "too long (%zu characters, at most %zu)", n,
			       size - 1);
	memcpy(dst, s, n + 1);
	return 0;
}

/* Addresses. */

static int parse_addr(struct cfg_ctx *c, const struct json_path *p,
		      json_t *v, struct ip_addr *a)
{
	const char *s = json_string_value(v);

	if (ip_addr_parse(s, a))
		return 0;
	if (strchr(s, '/'))
		return cfg_err(c, p, AT_VALUE,
			       "\"%.60s\" is a prefix; expected a single address",
			       s);
	return cfg_err(c, p, AT_VALUE, "\"%.60s\" is not an IPv4 or IPv6 address",
		       s);
}

static int parse_prefix(struct cfg_ctx *c, const struct json_path *p,
			json_t *v, struct ip_prefix *out)
{
	const char *s = json_string_value(v), *slash = strchr(s, '/');
	char addr[IP_PREFIX_STRLEN];
	struct ip_addr a;
	size_t n;

	if (ip_prefix_parse(s, out))
		return 0;
	if (!slash)
		return cfg_err(c, p, AT_VALUE,
			       "\"%.60s\" is not a prefix: expected ADDRESS/LENGTH",
			       s);
	n = (size_t)(slash - s);
	if (n >= sizeof(addr))
		n = sizeof(addr) - 1;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (!ip_addr_parse(addr, &a))
		return cfg_err(c, p, AT_VALUE,
			       "\"%s\" is not an IPv4 or IPv6 address", addr);
	return cfg_err(c, p, AT_VALUE,
		       "bad prefix length \"%.20s\": expected 0..%zu in decimal",
		       slash + 1, ip_addr_len(&a) * 8);
}

static int parse_mac(struct cfg_ctx *c, const struct json_path *p, json_t *v,
		     uint8_t mac[6])
{
	static const uint8_t zero[6];
	const char *s = json_string_value(v);

	if (!mac_parse(s, mac))
		return cfg_err(c, p, AT_VALUE,
			       "\"%.40s\" is not a MAC address (xx:xx:xx:xx:xx:xx)",
			       s);
	if (mac[0] & 1)
		return cfg_err(c, p, AT_VALUE,
			       "%s is a multicast MAC; expected a unicast one", s);
	if (memcmp(mac, zero, sizeof(zero)) == 0)
		return cfg_err(c, p, AT_VALUE,
			       "the all-zero MAC is not a usable address");
	return 0;
}

/* eal */

struct eal_forbidden {
	const char *opt;
	const char *instead;
};

static const struct eal_forbidden eal_forbidden[] = {
	{ "-l", "configure lcores.control and lcores.workers instead" },
	{ "-c", "configure lcores.control and lcores.workers instead" },
	{ "--lcores", "configure lcores.control and lcores.workers instead" },
	{ "--main-lcore", "configure lcores.control instead" },
	{ "--vdev", "configure the device in ports[].device instead" },
	{ "-a", "configure the device in ports[].device instead" },
	{ "--allow", "configure the device in ports[].device instead" },
	{ "-b", "espgate allows only the devices in ports[].device" },
	{ "--block", "espgate allows only the devices in ports[].device" },
};

/* "-l 1", "-l1", "--lcores 1" and "--lcores=1" all count. */
static const struct eal_forbidden *eal_forbidden_find(const char *arg)
{
	for (size_t i = 0; i < sizeof(eal_forbidden) / sizeof(eal_forbidden[0]);
	     i++) {
		const struct eal_forbidden *f = &eal_forbidden[i];
		size_t n = strlen(f->opt);
		bool is_long = f->opt[1] == '-';

		if (strncmp(arg, f->opt, n) == 0 &&
		    (arg[n] == '\0' || !is_long || arg[n] == '='))
			return f;
	}
	return NULL;
}

static int parse_eal_arg(struct cfg_ctx *c, const struct json_path *p,
			 json_t *v)
{
	const struct eal_forbidden *f;
	const char *s;
	char *dup;
	int rc = expect(c, p, v, JSON_STRING);

	if (rc)
		return rc;
	s = json_string_value(v);
	if (!*s)
		return cfg_err(c, p, AT_VALUE, "must not be empty");
	f = eal_forbidden_find(s);
	if (f)
		return cfg_err(c, p, AT_VALUE, "\"%s\" is set by espgate: %s",
			       f->opt, f->instead);
	dup = strdup(s);
	if (!dup)
		return nomem(c);
	c->cfg->eal_args[c->cfg->n_eal_args++] = dup;
	return 0;
}

static int parse_eal(struct cfg_ctx *c, json_t *root)
{
	struct json_path p = json_path_key(NULL, "eal");
	json_t *arr;
	int rc = member(c, &p, root, JSON_ARRAY, false, &arr);

	if (rc || !arr)
		return rc;
	if (json_array_size(arr) > CFG_MAX_EAL_ARGS)
		return cfg_err(c, &p, AT_VALUE, "at most %d arguments",
			       CFG_MAX_EAL_ARGS);
	for (size_t i = 0; i < json_array_size(arr); i++) {
		struct json_path pi = json_path_index(&p, i);

		rc = parse_eal_arg(c, &pi, json_array_get(arr, i));
		if (rc)
			return rc;
	}
	return 0;
}

/* lcores */

static int parse_workers(struct cfg_ctx *c, const struct json_path *p,
			 json_t *arr)
{
	struct cfg *cfg = c->cfg;
	size_t n = json_array_size(arr);
	unsigned lc;
	int rc;

	if (n == 0)
		return cfg_err(c, p, AT_VALUE, "at least one worker lcore needed");
	if (n > CFG_MAX_WORKERS)
		return cfg_err(c, p, AT_VALUE, "at most %d worker lcores",
			       CFG_MAX_WORKERS);
	for (size_t i = 0; i < n; i++) {
		struct json_path pi = json_path_index(p, i);

		rc = get_uint(c, &pi, json_array_get(arr, i), 0, CFG_MAX_LCORE,
			      &lc);
		if (rc)
			return rc;
		if (lc == cfg->control_lcore)
			return cfg_err(c, &pi, AT_VALUE,
				       "lcore %u is the control lcore (lcores.control); a worker needs its own",
				       lc);
		for (unsigned j = 0; j < cfg->n_workers; j++)
			if (cfg->workers[j] == lc)
				return cfg_err(c, &pi, AT_VALUE,
					       "lcore %u is listed twice (also lcores.workers[%u])",
					       lc, j);
		cfg->workers[cfg->n_workers++] = lc;
	}
	return 0;
}

static int parse_lcores(struct cfg_ctx *c, json_t *root)
{
	static const char *const keys[] = { "control", "workers", NULL };
	struct json_path p = json_path_key(NULL, "lcores");
	struct json_path pc = json_path_key(&p, "control");
	struct json_path pw = json_path_key(&p, "workers");
	json_t *obj, *v;
	int rc;

	if ((rc = member(c, &p, root, JSON_OBJECT, true, &obj)) ||
	    (rc = known_keys(c, &p, obj, keys)) ||
	    (rc = member(c, &pc, obj, JSON_INTEGER, false, &v)))
		return rc;
	if (v && (rc = get_uint(c, &pc, v, 0, CFG_MAX_LCORE,
				&c->cfg->control_lcore)))
		return rc;
	if ((rc = member(c, &pw, obj, JSON_ARRAY, true, &v)))
		return rc;
	return parse_workers(c, &pw, v);
}

/* crypto, control, log */

static int parse_crypto(struct cfg_ctx *c, json_t *root)
{
	static const char *const keys[] = { "engine", "device", NULL };
	struct json_path p = json_path_key(NULL, "crypto");
	struct json_path pe = json_path_key(&p, "engine");
	struct json_path pd = json_path_key(&p, "device");
	json_t *obj, *v;
	int rc, idx;

	c->cfg->engine = CFG_ENGINE_IPSECMB;
	if ((rc = member(c, &p, root, JSON_OBJECT, false, &obj)) || !obj ||
	    (rc = known_keys(c, &p, obj, keys)) ||
	    (rc = member(c, &pe, obj, JSON_STRING, false, &v)))
		return rc;
	if (v && (rc = one_of(c, &pe, v, engine_names, &idx)))
		return rc;
	if (v)
		c->cfg->engine = (enum cfg_crypto_engine)idx;
	if ((rc = member(c, &pd, obj, JSON_STRING, false, &v)))
		return rc;
	if (c->cfg->engine == CFG_ENGINE_CRYPTODEV && !v)
		return cfg_err(c, &pd, AT_PARENT,
			       "missing required key: engine \"cryptodev\" needs a device");
	if (c->cfg->engine == CFG_ENGINE_IPSECMB && v)
		return cfg_err(c, &pd, AT_VALUE,
			       "engine \"ipsecmb\" runs on the CPU and takes no device; set engine to \"cryptodev\" or remove device");
	if (!v)
		return 0;
	return copy_string(c, &pd, v, c->cfg->crypto_device,
			   sizeof(c->cfg->crypto_device));
}

static int parse_control(struct cfg_ctx *c, json_t *root)
{
	static const char *const keys[] = { "socket", NULL };
	struct json_path p = json_path_key(NULL, "control");
	struct json_path ps = json_path_key(&p, "socket");
	json_t *obj, *v;
	int rc;

	strcpy(c->cfg->ctl_socket, "/run/espgate/espgate.sock");
	if ((rc = member(c, &p, root, JSON_OBJECT, false, &obj)) || !obj ||
	    (rc = known_keys(c, &p, obj, keys)) ||
	    (rc = member(c, &ps, obj, JSON_STRING, false, &v)) || !v)
		return rc;
	if (json_string_value(v)[0] != '/')
		return cfg_err(c, &ps, AT_VALUE,
			       "\"%.60s\" is not an absolute path",
			       json_string_value(v));
	return copy_string(c, &ps, v, c->cfg->ctl_socket,
			   sizeof(c->cfg->ctl_socket));
}

static int parse_log(struct cfg_ctx *c, json_t *root)
{
	static const char *const keys[] = { "level", NULL };
	struct json_path p = json_path_key(NULL, "log");
	struct json_path pl = json_path_key(&p, "level");
	json_t *obj, *v;
	int rc, idx;

	strcpy(c->cfg->log_level, "info");
	if ((rc = member(c, &p, root, JSON_OBJECT, false, &obj)) || !obj ||
	    (rc = known_keys(c, &p, obj, keys)) ||
	    (rc = member(c, &pl, obj, JSON_STRING, false, &v)) || !v ||
	    (rc = one_of(c, &pl, v, log_levels, &idx)))
		return rc;
	strcpy(c->cfg->log_level, log_levels[idx]);
	return 0;
}

/* ports */

static bool valid_port_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= CFG_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

static int find_port(const struct cfg *cfg, const char *name)
{
	for (unsigned i = 0; i < cfg->n_ports; i++)
		if (strcmp(cfg->ports[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int parse_port_name(struct cfg_ctx *c, const struct json_path *p,
			   json_t *obj, struct cfg_port *port)
{
	struct json_path pn = json_path_key(p, "name");
	const char *s;
	json_t *v;
	int rc, other;

	if ((rc = member(c, &pn, obj, JSON_STRING, true, &v)))
		return rc;
	s = json_string_value(v);
	if (!valid_port_name(s))
		return cfg_err(c, &pn, AT_VALUE,
			       "\"%.40s\" is not a port name: 1 to %d of A-Z a-z 0-9 _ -",
			       s, CFG_NAME_MAX - 1);
	other = find_port(c->cfg, s);
	if (other >= 0)
		return cfg_err(c, &pn, AT_VALUE,
			       "duplicate port name \"%s\" (also ports[%d].name)",
			       s, other);
	strcpy(port->name, s);
	return 0;
}

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return true;
}

/* DDDD:BB:DD.F or BB:DD.F; n excludes any ",devargs". */
static bool is_pci_addr(const char *s, size_t n)
{
	if (n == 12) {
		if (!is_hex(s, 4) || s[4] != ':')
			return false;
		s += 5;
		n -= 5;
	}
	return n == 7 && is_hex(s, 2) && s[2] == ':' && is_hex(s + 3, 2) &&
	       s[5] == '.' && s[6] >= '0' && s[6] <= '7' &&
	       strtoul(s + 3, NULL, 16) <= 0x1f;
}

/* The device's name for comparison: no devargs, PCI in long lower form. */
static void device_key(const char *dev, bool is_vdev, char *key, size_t len)
{
	size_t n = strcspn(dev, ",");

	snprintf(key, len, "%s%.*s", !is_vdev && n == 7 ? "0000:" : "",
		 (int)n, dev);
	for (char *k = key; !is_vdev && *k; k++)
		if (*k >= 'A' && *k <= 'F')
			*k = (char)(*k - 'A' + 'a');
}

static int check_device(struct cfg_ctx *c, const struct json_path *p,
			struct cfg_port *port)
{
	char key[CFG_DEVICE_MAX + 8], other[CFG_DEVICE_MAX + 8];
	size_t n = strcspn(port->device, ",");

	port->is_vdev = strncmp(port->device, "net_", 4) == 0;
	if (port->is_vdev && n == 4)
		return cfg_err(c, p, AT_VALUE,
			       "a vdev needs a driver after \"net_\" (e.g. net_af_packet0)");
	if (!port->is_vdev && !is_pci_addr(port->device, n))
		return cfg_err(c, p, AT_VALUE,
			       "\"%.60s\" is neither a vdev (net_...) nor a PCI address (DDDD:BB:DD.F or BB:DD.F, then optional ,devargs)",
			       port->device);
	device_key(port->device, port->is_vdev, key, sizeof(key));
	for (unsigned i = 0; i < c->cfg->n_ports; i++) {
		const struct cfg_port *o = &c->cfg->ports[i];

		device_key(o->device, o->is_vdev, other, sizeof(other));
		if (strcmp(key, other) == 0)
			return cfg_err(c, p, AT_VALUE,
				       "device %s is already used by port \"%s\" (ports[%u])",
				       key, o->name, i);
	}
	return 0;
}

static int parse_port_device(struct cfg_ctx *c, const struct json_path *p,
			     json_t *obj, struct cfg_port *port)
{
	struct json_path pd = json_path_key(p, "device");
	json_t *v;
	int rc;

	if ((rc = member(c, &pd, obj, JSON_STRING, true, &v)) ||
	    (rc = copy_string(c, &pd, v, port->device, sizeof(port->device))))
		return rc;
	return check_device(c, &pd, port);
}

static int parse_port_role(struct cfg_ctx *c, const struct json_path *p,
			   json_t *obj, struct cfg_port *port)
{
	struct json_path pr = json_path_key(p, "role");
	json_t *v;
	int rc, idx;

	if ((rc = member(c, &pr, obj, JSON_STRING, true, &v)) ||
	    (rc = one_of(c, &pr, v, role_names, &idx)))
		return rc;
	port->role = (enum cfg_port_role)idx;
	return 0;
}

/* Against every address so far, the port being parsed included: no
 * address twice, no prefix shared between two ports. */
static int check_port_addr(struct cfg_ctx *c, const struct json_path *p,
			   const struct ip_prefix *a)
{
	const struct cfg *cfg = c->cfg;
	char s[IP_PREFIX_STRLEN], o[IP_PREFIX_STRLEN];

	ip_prefix_format(a, s, sizeof(s));
	for (unsigned i = 0; i <= cfg->n_ports; i++) {
		for (unsigned j = 0; j < cfg->ports[i].n_addrs; j++) {
			const struct ip_prefix *q = &cfg->ports[i].addrs[j];

			ip_prefix_format(q, o, sizeof(o));
			if (ip_addr_equal(&q->addr, &a->addr))
				return cfg_err(c, p, AT_VALUE,
					       "duplicate address: %s is already configured as %s (ports[%u].addresses[%u])",
					       s, o, i, j);
			if (i != cfg->n_ports && ip_prefix_overlaps(q, a))
				return cfg_err(c, p, AT_VALUE,
					       "%s overlaps %s of port \"%s\" (ports[%u].addresses[%u])",
					       s, o, cfg->ports[i].name, i, j);
		}
	}
	return 0;
}

static int parse_port_addrs(struct cfg_ctx *c, const struct json_path *p,
			    json_t *obj, struct cfg_port *port)
{
	struct json_path pa = json_path_key(p, "addresses");
	struct ip_prefix a;
	json_t *arr, *v;
	int rc;

	if ((rc = member(c, &pa, obj, JSON_ARRAY, false, &arr)) || !arr)
		return rc;
	if (json_array_size(arr) > CFG_MAX_ADDRS)
		return cfg_err(c, &pa, AT_VALUE, "at most %d addresses",
			       CFG_MAX_ADDRS);
	for (size_t i = 0; i < json_array_size(arr); i++) {
		struct json_path pi = json_path_index(&pa, i);

		v = json_array_get(arr, i);
		if ((rc = expect(c, &pi, v, JSON_STRING)) ||
		    (rc = parse_prefix(c, &pi, v, &a)) ||
		    (rc = check_port_addr(c, &pi, &a)))
			return rc;
		port->addrs[port->n_addrs++] = a;
	}
	return 0;
}

static int parse_port_mtu(struct cfg_ctx *c, const struct json_path *p,
			  json_t *obj, struct cfg_port *port)
{
	struct json_path pm = json_path_key(p, "mtu");
	unsigned mtu;
	json_t *v;
	int rc;

	port->mtu = 1500;
	if ((rc = member(c, &pm, obj, JSON_INTEGER, false, &v)) || !v ||
	    (rc = get_uint(c, &pm, v, 68, 9600, &mtu)))
		return rc;
	port->mtu = (uint16_t)mtu;
	for (unsigned i = 0; i < port->n_addrs; i++) {
		char s[IP_PREFIX_STRLEN];

		if (port->addrs[i].addr.family != AF_INET6 || mtu >= 1280)
			continue;
		ip_prefix_format(&port->addrs[i], s, sizeof(s));
		/* RFC 8200 §5 */
		return cfg_err(c, &pm, AT_VALUE,
			       "%u is below 1280, the minimum MTU for IPv6, and the port has IPv6 address %s",
			       mtu, s);
	}
	return 0;
}

static int parse_port_mac(struct cfg_ctx *c, const struct json_path *p,
			  json_t *obj, struct cfg_port *port)
{
	struct json_path pm = json_path_key(p, "mac");
	json_t *v;
	int rc;

	if ((rc = member(c, &pm, obj, JSON_STRING, false, &v)) || !v ||
	    (rc = parse_mac(c, &pm, v, port->mac)))
		return rc;
	port->has_mac = true;
	return 0;
}

static int parse_port(struct cfg_ctx *c, const struct json_path *p,
		      json_t *obj)
{
	static const char *const keys[] = {
		"name", "device", "role", "addresses", "mtu", "mac", NULL,
	};
	struct cfg_port *port = &c->cfg->ports[c->cfg->n_ports];
	int rc;

	if ((rc = object(c, p, obj, keys)) ||
	    (rc = parse_port_name(c, p, obj, port)) ||
	    (rc = parse_port_device(c, p, obj, port)) ||
	    (rc = parse_port_role(c, p, obj, port)) ||
	    (rc = parse_port_addrs(c, p, obj, port)) ||
	    (rc = parse_port_mtu(c, p, obj, port)) ||
	    (rc = parse_port_mac(c, p, obj, port)))
		return rc;
	return 0;
}

/* A concentrator sits between a protected and an unprotected network. */
static int check_roles(struct cfg_ctx *c, const struct json_path *p)
{
	bool have[2] = { false, false };

	for (unsigned i = 0; i < c->cfg->n_ports; i++)
		have[c->cfg->ports[i].role] = true;
	for (int r = CFG_ROLE_PROTECTED; r <= CFG_ROLE_UNPROTECTED; r++)
		if (!have[r])
			return cfg_err(c, p, AT_VALUE,
				       "no %s port: espgate needs at least one port with role \"protected\" and one with \"unprotected\"",
				       role_names[r]);
	return 0;
}

static int parse_ports(struct cfg_ctx *c, json_t *root)
{
	struct json_path p = json_path_key(NULL, "ports");
	json_t *arr;
	int rc;

	if ((rc = member(c, &p, root, JSON_ARRAY, true, &arr)))
		return rc;
	if (json_array_size(arr) == 0)
		return cfg_err(c, &p, AT_VALUE, "at least one port needed");
	if (json_array_size(arr) > CFG_MAX_PORTS)
		return cfg_err(c, &p, AT_VALUE, "at most %d ports",
			       CFG_MAX_PORTS);
	for (size_t i = 0; i < json_array_size(arr); i++) {
		struct json_path pi = json_path_index(&p, i);

		if ((rc = parse_port(c, &pi, json_array_get(arr, i))))
			return rc;
		c->cfg->n_ports++;
	}
	return check_roles(c, &p);
}

/* Next hops: routes' via and neighbors' address. */

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
	if ((rc = member(c, &pp, obj, JSON_STRING, false, &v)) || !v)
		return rc;
	*port = find_port(c->cfg, json_string_value(v));
	if (*port < 0)
		return cfg_err(c, &pp, AT_VALUE, "no port named \"%.40s\"",
			       json_string_value(v));
	return 0;
}

/* routes */

static bool prefix_equal(const struct ip_prefix *a, const struct ip_prefix *b)
{
	return a->len == b->len && ip_addr_equal(&a->addr, &b->addr);
}

/* A prefix naming a network (routes, selectors): host bits clear. */
static int parse_network(struct cfg_ctx *c, const struct json_path *p,
			 json_t *v, struct ip_prefix *out)
{
	char s[IP_PREFIX_STRLEN];
	struct ip_prefix net;
	int rc = parse_prefix(c, p, v, out);

	if (rc || ip_prefix_is_network(out))
		return rc;
	net = ip_prefix_network(out);
	ip_prefix_format(&net, s, sizeof(s));
	return cfg_err(c, p, AT_VALUE,
		       "host bits are set in \"%s\"; did you mean %s?",
		       json_string_value(v), s);
}

static int parse_route_prefix(struct cfg_ctx *c, const struct json_path *p,
			      json_t *obj, struct cfg_route *r)
{
	struct json_path pp = json_path_key(p, "prefix");
	json_t *v;
	int rc;

	if ((rc = member(c, &pp, obj, JSON_STRING, true, &v)) ||
	    (rc = parse_network(c, &pp, v, &r->prefix)))
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

	if ((rc = member(c, &pv, obj, JSON_STRING, false, &v)) || !v ||
	    (rc = parse_addr(c, &pv, v, &r->via)))
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
		       json_t *obj, struct cfg_route *r)
{
	static const char *const keys[] = { "prefix", "via", "port", NULL };
	struct json_path pv = json_path_key(p, "via");
	int rc, port;

	if ((rc = object(c, p, obj, keys)) ||
	    (rc = parse_route_prefix(c, p, obj, r)) ||
	    (rc = parse_ref_port(c, p, obj, &port)) ||
	    (rc = parse_route_via(c, p, obj, r, &port)))
		return rc;
	if (port < 0)
		return cfg_err(c, &pv, AT_PARENT,
			       "missing required key: a route needs \"via\", \"port\" or both");
	r->port = (unsigned)port;
	return 0;
}

static int parse_routes(struct cfg_ctx *c, json_t *root)
{
	struct json_path p = json_path_key(NULL, "routes");
	json_t *arr;
	size_t n;
	int rc;

	if ((rc = member(c, &p, root, JSON_ARRAY, false, &arr)) || !arr)
		return rc;
	n = json_array_size(arr);
	if (n == 0)
		return 0;
	c->cfg->routes = calloc(n, sizeof(*c->cfg->routes));
	if (!c->cfg->routes)
		return nomem(c);
	for (size_t i = 0; i < n; i++) {
		struct json_path pi = json_path_index(&p, i);

		rc = parse_route(c, &pi, json_array_get(arr, i),
				 &c->cfg->routes[i]);
		if (rc)
			return rc;
		c->cfg->n_routes++;
	}
	return 0;
}

/* neighbors */

static int parse_neighbor(struct cfg_ctx *c, const struct json_path *p,
			  json_t *obj, struct cfg_neighbor *nb)
{
	static const char *const keys[] = { "address", "mac", "port", NULL };
	struct json_path pa = json_path_key(p, "address");
	struct json_path pm = json_path_key(p, "mac");
	json_t *v;
	int rc, port;

	if ((rc = object(c, p, obj, keys)) ||
	    (rc = member(c, &pa, obj, JSON_STRING, true, &v)) ||
	    (rc = parse_addr(c, &pa, v, &nb->addr)))
		return rc;
	for (unsigned i = 0; i < c->cfg->n_neighbors; i++)
		if (ip_addr_equal(&c->cfg->neighbors[i].addr, &nb->addr))
			return cfg_err(c, &pa, AT_VALUE,
				       "duplicate neighbor %s (also neighbors[%u])",
				       json_string_value(v), i);
	if ((rc = parse_ref_port(c, p, obj, &port)) ||
	    (rc = check_on_link(c, &pa, &nb->addr, &port)) ||
	    (rc = member(c, &pm, obj, JSON_STRING, true, &v)) ||
	    (rc = parse_mac(c, &pm, v, nb->mac)))
		return rc;
	nb->port = (unsigned)port;
	return 0;
}

static int parse_neighbors(struct cfg_ctx *c, json_t *root)
{
	struct json_path p = json_path_key(NULL, "neighbors");
	json_t *arr;
	size_t n;
	int rc;

	if ((rc = member(c, &p, root, JSON_ARRAY, false, &arr)) || !arr)
		return rc;
	n = json_array_size(arr);
	if (n == 0)
		return 0;
	c->cfg->neighbors = calloc(n, sizeof(*c->cfg->neighbors));
	if (!c->cfg->neighbors)
		return nomem(c);
	for (size_t i = 0; i < n; i++) {
		struct json_path pi = json_path_index(&p, i);

		rc = parse_neighbor(c, &pi, json_array_get(arr, i),
				    &c->cfg->neighbors[i]);
		if (rc)
			return rc;
		c->cfg->n_neighbors++;
	}
	return 0;
}

/* ipsec */

#define IKE_PORT 500   /* RFC 7296 §2 */
#define NATT_PORT 4500 /* RFC 3948 */

static const char *const unmatched_names[] = { "bypass", "discard", NULL };

static const char *family_name(uint8_t family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

static void format_natt_ports(const struct cfg *cfg, char *buf, size_t len)
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

		if ((rc = get_uint(c, &pi, json_array_get(arr, i), 1, 65535,
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

static int parse_ipsec(struct cfg_ctx *c, json_t *root)
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
	if ((rc = member(c, &p, root, JSON_OBJECT, false, &obj)) || !obj ||
	    (rc = known_keys(c, &p, obj, keys)) ||
	    (rc = member(c, &pn, obj, JSON_ARRAY, false, &v)))
		return rc;
	c->natt_ports_given = v != NULL;
	if (v && (rc = parse_natt_ports(c, &pn, v)))
		return rc;
	if ((rc = member(c, &pu, obj, JSON_STRING, false, &v)) || !v ||
	    (rc = one_of(c, &pu, v, unmatched_names, &idx)))
		return rc;
	c->cfg->unmatched_discard = idx == 1;
	return 0;
}

/* ike */

static bool has_natt_port(const struct cfg *cfg, unsigned port)
{
	for (unsigned i = 0; i < cfg->n_natt_ports; i++)
		if (cfg->natt_ports[i] == port)
			return true;
	return false;
}

/* A path as written, or, when relative, relative to the directory of the
 * configuration file. NULL: out of memory. */
static char *resolve_path(const struct cfg_ctx *c, const char *s)
{
	const char *slash = strrchr(c->name, '/');
	size_t dir = slash ? (size_t)(slash - c->name) + 1 : 0;
	char *out;

	if (s[0] == '/' || dir == 0)
		return strdup(s);
	out = malloc(dir + strlen(s) + 1);
	if (!out)
		return NULL;
	memcpy(out, c->name, dir);
	strcpy(out + dir, s);
	return out;
}

/* A file path (resolve_path) into *out, allocated. */
static int parse_path(struct cfg_ctx *c, const struct json_path *p, json_t *v,
		      char **out)
{
	int rc = expect(c, p, v, JSON_STRING);

	if (rc)
		return rc;
	if (!json_string_value(v)[0])
		return cfg_err(c, p, AT_VALUE, "must not be empty");
	*out = resolve_path(c, json_string_value(v));
	return *out ? 0 : nomem(c);
}

/* IKE listens on port (RFC 7296 §2) and natt_port (RFC 3948 §2.2: IKE
 * with a non-ESP marker, and ESP-in-UDP), which is therefore one of
 * ipsec.natt_ports. Checked when IKE is in use: an ike section or a
 * connection. */
static int parse_ike(struct cfg_ctx *c, json_t *root)
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
	if ((rc = member(c, &p, root, JSON_OBJECT, false, &obj)))
		return rc;
	conns = json_object_get(root, "connections");
	if (!obj && !(json_is_array(conns) && json_array_size(conns) > 0))
		return 0;
	if (obj) {
		if ((rc = known_keys(c, &p, obj, keys)) ||
		    (rc = member(c, &pp, obj, JSON_INTEGER, false, &vp)) ||
		    (vp && (rc = get_uint(c, &pp, vp, 1, 65535, &n))))
			return rc;
		if (vp)
			cfg->ike_port = (uint16_t)n;
		if ((rc = member(c, &pn, obj, JSON_INTEGER, false, &vn)) ||
		    (vn && (rc = get_uint(c, &pn, vn, 1, 65535, &n))))
			return rc;
		if (vn)
			cfg->ike_natt_port = (uint16_t)n;
		if ((rc = member(c, &ps, obj, JSON_STRING, false, &v)) ||
		    (v && (rc = parse_path(c, &ps, v, &cfg->ike_secrets))))
			return rc;
	}
	if (cfg->ike_port == cfg->ike_natt_port)
		return cfg_err(c, vn ? &pn : &pp, AT_VALUE,
			       "ike.port and ike.natt_port are both %u; they must differ: IKE messages on the NAT-T port carry a non-ESP marker (RFC 3948 §2.2), on the other they do not",
			       cfg->ike_port);
	if (cfg->ike_natt_port == IKE_PORT)
		return cfg_err(c, &pn, AT_VALUE,
			       "500 is IKE's port (RFC 7296); the NAT-T port is another, normally 4500 (RFC 3948)");
	format_natt_ports(cfg, list, sizeof(list));
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

/* sas */

static const char *const dir_names[] = {
	[CFG_SA_IN] = "in",
	[CFG_SA_OUT] = "out",
	NULL,
};

static const char *const mode_names[] = {
	[CFG_SA_TUNNEL] = "tunnel",
	[CFG_SA_TRANSPORT] = "transport",
	NULL,
};

static const char *const df_names[] = {
	[CFG_DF_COPY] = "copy",
	[CFG_DF_SET] = "set",
	[CFG_DF_CLEAR] = "clear",
	NULL,
};

/* Key lengths are those of the keying material: an AEAD's takes the
 * 4-byte salt after the key (RFC 4106 §8.1, RFC 7634 §2). */
static const char *const enc_names[] = {
	"aes128gcm16", "aes256gcm16", "aes128", "aes256", "chacha20poly1305",
	"null", NULL,
};
static const struct {
	uint8_t key_len;
	bool aead;
	const char *key; /* what the key is made of, for messages */
} enc_algs[] = {
	{ 20, true, "16-byte key + 4-byte salt" },
	{ 36, true, "32-byte key + 4-byte salt" },
	{ 16, false, "AES-128-CBC key" },
	{ 32, false, "AES-256-CBC key" },
	{ 36, true, "32-byte key + 4-byte salt" },
	{ 0, false, NULL },
};

/* RFC 4868 §2.1.1: HMAC-SHA-2 keys as long as the hash output. */
static const char *const integ_names[] = {
	"sha1_96", "sha256_128", "sha384_192", "sha512_256", NULL,
};
static const uint8_t integ_key_lens[] = { 20, 32, 48, 64 };

static const char *const proto_names[] = {
	"any", "tcp", "udp", "icmp", "icmpv6", "sctp", NULL,
};
static const uint8_t proto_nums[] = { 0, 6, 17, 1, 58, 132 };

#define PROTO_ICMP 1
#define PROTO_ICMPV6 58

static const char *proto_name(uint8_t proto)
{
	for (size_t i = 0; proto_names[i]; i++)
		if (proto_nums[i] == proto)
			return proto_names[i];
	return NULL;
}

static bool proto_has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 132;
}

static int expect_bool(struct cfg_ctx *c, const struct json_path *p,
		       json_t *v)
{
	if (json_is_boolean(v))
		return 0;
	return cfg_err(c, p, AT_VALUE, "expected a boolean, got %s",
		       type_name(json_typeof(v)));
}

static int find_sa(const struct cfg *cfg, const char *name)
{
	for (unsigned i = 0; i < cfg->n_sas; i++)
		if (strcmp(cfg->sas[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int parse_sa_name(struct cfg_ctx *c, const struct json_path *p,
			 json_t *obj, struct cfg_sa *sa)
{
	struct json_path pn = json_path_key(p, "name");
	const char *s;
	json_t *v;
	int rc, other;

	if ((rc = member(c, &pn, obj, JSON_STRING, true, &v)))
		return rc;
	s = json_string_value(v);
	if (!valid_port_name(s))
		return cfg_err(c, &pn, AT_VALUE,
			       "\"%.40s\" is not an SA name: 1 to %d of A-Z a-z 0-9 _ -",
			       s, CFG_NAME_MAX - 1);
	other = find_sa(c->cfg, s);
	if (other >= 0)
		return cfg_err(c, &pn, AT_VALUE,
			       "duplicate SA name \"%s\" (also sas[%d].name)", s,
			       other);
	strcpy(sa->name, s);
	return 0;
}

static unsigned hex_val(char x)
{
	return isdigit((unsigned char)x) ? (unsigned)(x - '0') :
					   (unsigned)((x | 0x20) - 'a' + 10);
}

/* "0x" and hex digits; *too_big when the value does not fit 32 bits. */
static bool parse_hex_u32(const char *s, uint32_t *out, bool *too_big)
{
	uint64_t n = 0;

	*too_big = false;
	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !s[2])
		return false;
	for (s += 2; *s; s++) {
		if (!isxdigit((unsigned char)*s))
			return false;
		n = n * 16 + hex_val(*s);
		if (n > UINT32_MAX) {
			*too_big = true;
			n = UINT32_MAX;
		}
	}
	*out = (uint32_t)n;
	return true;
}

/* RFC 4303 §2.1: 0 is invalid, 1..255 are reserved by IANA. */
static int parse_sa_spi(struct cfg_ctx *c, const struct json_path *p,
			json_t *obj, struct cfg_sa *sa)
{
	static const char range[] =
		"out of range 256..4294967295 (0x100..0xffffffff): 0 is invalid and 1..255 are reserved (RFC 4303)";
	struct json_path ps = json_path_key(p, "spi");
	json_t *v = json_object_get(obj, "spi");
	json_int_t n;
	uint32_t x;
	bool too_big;

	if (!v)
		return cfg_err(c, &ps, AT_PARENT, "missing required key");
	if (json_is_integer(v)) {
		n = json_integer_value(v);
		if (n < 256 || n > UINT32_MAX)
			return cfg_err(c, &ps, AT_VALUE,
				       "%" JSON_INTEGER_FORMAT " is %s", n,
				       range);
		sa->spi = (uint32_t)n;
		return 0;
	}
	if (!json_is_string(v))
		return cfg_err(c, &ps, AT_VALUE,
			       "expected an integer or a hex string (\"0x...\"), got %s",
			       type_name(json_typeof(v)));
	if (!parse_hex_u32(json_string_value(v), &x, &too_big))
		return cfg_err(c, &ps, AT_VALUE,
			       "\"%.20s\" is not a hex SPI: expected \"0x\" followed by hex digits, or an integer",
			       json_string_value(v));
	if (too_big || x < 256)
		return cfg_err(c, &ps, AT_VALUE, "\"%.20s\" is %s",
			       json_string_value(v), range);
	sa->spi = x;
	return 0;
}

static int parse_sa_enums(struct cfg_ctx *c, const struct json_path *p,
			  json_t *obj, struct cfg_sa *sa)
{
	struct json_path pd = json_path_key(p, "direction");
	struct json_path pm = json_path_key(p, "mode");
	json_t *v;
	int rc, idx;

	if ((rc = member(c, &pd, obj, JSON_STRING, true, &v)) ||
	    (rc = one_of(c, &pd, v, dir_names, &idx)))
		return rc;
	sa->dir = (enum cfg_sa_dir)idx;
	sa->mode = CFG_SA_TUNNEL;
	if ((rc = member(c, &pm, obj, JSON_STRING, false, &v)) || !v ||
	    (rc = one_of(c, &pm, v, mode_names, &idx)))
		return rc;
	sa->mode = (enum cfg_sa_mode)idx;
	return 0;
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
static int check_own_endpoint(struct cfg_ctx *c, const struct json_path *p,
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
			       s, role_names[cfg->ports[pi].role],
			       cfg->ports[pi].name, pi, ai, which);
	}
	list_unprotected(cfg, a->family, list, sizeof(list));
	if (!list[0])
		return cfg_err(c, p, AT_VALUE,
			       "%s is not one of espgate's addresses; %s must be an address of an unprotected port, and no unprotected port has an %s address",
			       s, which, family_name(a->family));
	return cfg_err(c, p, AT_VALUE,
		       "%s is not one of espgate's addresses; %s must be an address of an unprotected port: %s",
		       s, which, list);
}

/* The peer: out's dst, in's src. */
static int check_peer_endpoint(struct cfg_ctx *c, const struct json_path *p,
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

static int check_sa_unique(struct cfg_ctx *c, const struct json_path *p,
			   const struct cfg_sa *sa)
{
	struct json_path ps = json_path_key(p, "spi");
	char s[IP_ADDR_STRLEN];

	for (unsigned i = 0; i < c->cfg->n_sas; i++) {
		const struct cfg_sa *o = &c->cfg->sas[i];

		if (o->spi != sa->spi || o->dir != sa->dir ||
		    !ip_addr_equal(&o->dst, &sa->dst))
			continue;
		ip_addr_format(&sa->dst, s, sizeof(s));
		return cfg_err(c, &ps, AT_VALUE,
			       "SPI 0x%08x is already used by %s SA \"%s\" (sas[%u]) to dst %s; (spi, direction, dst) must be unique",
			       sa->spi, sa->dir == CFG_SA_IN ? "inbound" : "outbound",
			       o->name, i, s);
	}
	return 0;
}

static int parse_sa_endpoints(struct cfg_ctx *c, const struct json_path *p,
			      json_t *obj, struct cfg_sa *sa)
{
	struct json_path ps = json_path_key(p, "src");
	struct json_path pd = json_path_key(p, "dst");
	bool out = sa->dir == CFG_SA_OUT;
	json_t *v;
	int rc;

	if ((rc = member(c, &ps, obj, JSON_STRING, true, &v)) ||
	    (rc = parse_addr(c, &ps, v, &sa->src)) ||
	    (rc = member(c, &pd, obj, JSON_STRING, true, &v)) ||
	    (rc = parse_addr(c, &pd, v, &sa->dst)))
		return rc;
	if (sa->dst.family != sa->src.family)
		return cfg_err(c, &pd, AT_VALUE, "%s is %s but src is %s",
			       json_string_value(v), family_name(sa->dst.family),
			       family_name(sa->src.family));
	/* Transport mode is bump-in-the-wire: its endpoints are the hosts
	 * whose traffic it carries (docs/decisions.md), not necessarily the
	 * box; its selector must contain them (check_transport_ts). */
	if (sa->mode == CFG_SA_TUNNEL &&
	    ((rc = check_own_endpoint(c, out ? &ps : &pd,
				      out ? "an outbound SA's src" :
					    "an inbound SA's dst",
				      out ? &sa->src : &sa->dst)) ||
	     (rc = check_peer_endpoint(c, out ? &pd : &ps,
				       out ? &sa->dst : &sa->src))))
		return rc;
	sa->has_endpoints = true;
	return check_sa_unique(c, p, sa);
}

/* Hex, either case, optional "0x", no separators; exactly want bytes.
 * The messages say where and how long, never what. */
static int parse_key(struct cfg_ctx *c, const struct json_path *p, json_t *v,
		     unsigned want, const char *alg, const char *what,
		     uint8_t *out, uint8_t *out_len)
{
	const char *s = json_string_value(v);
	size_t skip = 0, n;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		skip = 2;
	s += skip;
	n = strlen(s);
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return cfg_err(c, p, AT_VALUE,
				       "character %zu is not a hex digit; a key is %u bytes as %u hex digits, optionally after \"0x\", without separators",
				       skip + i + 1, want, 2 * want);
	if (n % 2)
		return cfg_err(c, p, AT_VALUE,
			       "odd number of hex digits (%zu); %s needs %u bytes (%u hex digits: %s)",
			       n, alg, want, 2 * want, what);
	if (n / 2 != want)
		return cfg_err(c, p, AT_VALUE,
			       "expected %u bytes (%u hex digits) for %s (%s), got %zu",
			       want, 2 * want, alg, what, n / 2);
	for (size_t i = 0; i < want; i++)
		out[i] = (uint8_t)(hex_val(s[2 * i]) << 4 | hex_val(s[2 * i + 1]));
	*out_len = (uint8_t)want;
	return 0;
}

static int parse_sa_enc(struct cfg_ctx *c, const struct json_path *p,
			json_t *obj, struct cfg_sa *sa, int *alg)
{
	struct json_path pe = json_path_key(p, "enc");
	struct json_path pk = json_path_key(p, "enc_key");
	json_t *v;
	int rc;

	if ((rc = member(c, &pe, obj, JSON_STRING, true, &v)) ||
	    (rc = one_of(c, &pe, v, enc_names, alg)))
		return rc;
	strcpy(sa->enc, enc_names[*alg]);
	if ((rc = member(c, &pk, obj, JSON_STRING, false, &v)))
		return rc;
	if (enc_algs[*alg].key_len == 0)
		return v ? cfg_err(c, &pk, AT_VALUE,
				   "enc \"%s\" takes no key; remove enc_key",
				   sa->enc) :
			   0;
	if (!v)
		return cfg_err(c, &pk, AT_PARENT,
			       "missing required key: enc \"%s\" needs %u bytes (%s)",
			       sa->enc, enc_algs[*alg].key_len,
			       enc_algs[*alg].key);
	return parse_key(c, &pk, v, enc_algs[*alg].key_len, sa->enc,
			 enc_algs[*alg].key, sa->enc_key, &sa->enc_key_len);
}

static int parse_sa_integ(struct cfg_ctx *c, const struct json_path *p,
			  json_t *obj, struct cfg_sa *sa, int alg)
{
	struct json_path pi = json_path_key(p, "integ");
	struct json_path pk = json_path_key(p, "integ_key");
	char list[128];
	json_t *v, *k;
	int rc, idx;

	if ((rc = member(c, &pi, obj, JSON_STRING, false, &v)) ||
	    (rc = member(c, &pk, obj, JSON_STRING, false, &k)))
		return rc;
	if (enc_algs[alg].aead && (v || k))
		return cfg_err(c, v ? &pi : &pk, AT_VALUE,
			       "enc \"%s\" is an AEAD and authenticates by itself; integ and integ_key cannot be combined with it",
			       sa->enc);
	if (enc_algs[alg].aead)
		return 0;
	join_names(integ_names, list, sizeof(list));
	if (!v)
		return cfg_err(c, &pi, AT_PARENT,
			       "missing required key: enc \"%s\" does not authenticate; add integ (one of %s)",
			       sa->enc, list);
	if ((rc = one_of(c, &pi, v, integ_names, &idx)))
		return rc;
	strcpy(sa->integ, integ_names[idx]);
	if (!k)
		return cfg_err(c, &pk, AT_PARENT,
			       "missing required key: integ \"%s\" needs a %u-byte key",
			       sa->integ, integ_key_lens[idx]);
	return parse_key(c, &pk, k, integ_key_lens[idx], sa->integ, "HMAC key",
			 sa->integ_key, &sa->integ_key_len);
}

/* A selector's protocol, for a selector of that family. */
static int parse_ts_proto(struct cfg_ctx *c, const struct json_path *p,
			  json_t *v, uint8_t family, uint8_t *proto)
{
	unsigned n;
	int rc, idx;

	if (json_is_integer(v)) {
		if ((rc = get_uint(c, p, v, 0, 255, &n)))
			return rc;
		*proto = (uint8_t)n;
	} else if (json_is_string(v)) {
		if ((rc = one_of(c, p, v, proto_names, &idx)))
			return rc;
		*proto = proto_nums[idx];
	} else {
		return cfg_err(c, p, AT_VALUE,
			       "expected an integer or a protocol name, got %s",
			       type_name(json_typeof(v)));
	}
	if (*proto == PROTO_ICMP && family == AF_INET6)
		return cfg_err(c, p, AT_VALUE,
			       "ICMP (1) is IPv4's and the selector is IPv6; did you mean \"icmpv6\" (58)?");
	if (*proto == PROTO_ICMPV6 && family == AF_INET)
		return cfg_err(c, p, AT_VALUE,
			       "ICMPv6 (58) is IPv6's and the selector is IPv4; did you mean \"icmp\" (1)?");
	return 0;
}

/* Decimal 0..65535 without sign or leading zero; moves *s past it. */
static bool parse_port_num(const char **s, unsigned *out)
{
	const char *d = *s;
	unsigned n = 0;
	size_t len = 0;

	while (d[len] >= '0' && d[len] <= '9') {
		n = n * 10 + (unsigned)(d[len] - '0');
		if (++len > 5)
			return false;
	}
	if (len == 0 || (len > 1 && d[0] == '0') || n > 65535)
		return false;
	*s = d + len;
	*out = n;
	return true;
}

/* An integer (one port) or "LO-HI"; only for protocols with ports. */
static int parse_ts_ports(struct cfg_ctx *c, const struct json_path *p,
			  json_t *obj, uint8_t proto, uint16_t *lo, uint16_t *hi)
{
	json_t *v = json_object_get(obj, p->key);
	const char *name = proto_name(proto), *s;
	unsigned a, b;
	int rc;

	*lo = 0;
	*hi = 65535;
	if (!v)
		return 0;
	if (!proto_has_ports(proto))
		return name ? cfg_err(c, p, AT_VALUE,
				      "ports need proto \"tcp\", \"udp\" or \"sctp\"; proto is \"%s\" (%u)",
				      name, proto) :
			      cfg_err(c, p, AT_VALUE,
				      "ports need proto \"tcp\", \"udp\" or \"sctp\"; proto is %u",
				      proto);
	if (json_is_integer(v)) {
		if ((rc = get_uint(c, p, v, 0, 65535, &a)))
			return rc;
		*lo = *hi = (uint16_t)a;
		return 0;
	}
	if (!json_is_string(v))
		return cfg_err(c, p, AT_VALUE,
			       "expected an integer or a \"LO-HI\" string, got %s",
			       type_name(json_typeof(v)));
	s = json_string_value(v);
	if (!parse_port_num(&s, &a) || *s++ != '-' ||
	    !parse_port_num(&s, &b) || *s)
		return cfg_err(c, p, AT_VALUE,
			       "\"%.20s\" is not a port range: expected \"LO-HI\" (e.g. \"1000-2000\", each 0..65535) or an integer",
			       json_string_value(v));
	if (a > b)
		return cfg_err(c, p, AT_VALUE,
			       "range %u-%u is empty: the low port is above the high one",
			       a, b);
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

/* Transport mode protects the endpoints' own traffic: the selector is
 * theirs. */
static int check_transport_ts(struct cfg_ctx *c, const struct json_path *p,
			      const struct cfg_sa *sa)
{
	struct json_path ps = json_path_key(p, "src");
	struct json_path pd = json_path_key(p, "dst");
	char pre[IP_PREFIX_STRLEN], a[IP_ADDR_STRLEN];

	if (sa->mode != CFG_SA_TRANSPORT)
		return 0;
	if (sa->ts.src.addr.family != sa->src.family)
		return cfg_err(c, &ps, AT_VALUE,
			       "transport mode: the selector is %s but src and dst are %s; only tunnel mode carries another family",
			       family_name(sa->ts.src.addr.family),
			       family_name(sa->src.family));
	if (!ip_prefix_contains(&sa->ts.src, &sa->src)) {
		ip_prefix_format(&sa->ts.src, pre, sizeof(pre));
		ip_addr_format(&sa->src, a, sizeof(a));
		return cfg_err(c, &ps, AT_VALUE,
			       "transport mode: %s does not contain the SA's src %s; a transport SA carries only its endpoints' own traffic",
			       pre, a);
	}
	if (!ip_prefix_contains(&sa->ts.dst, &sa->dst)) {
		ip_prefix_format(&sa->ts.dst, pre, sizeof(pre));
		ip_addr_format(&sa->dst, a, sizeof(a));
		return cfg_err(c, &pd, AT_VALUE,
			       "transport mode: %s does not contain the SA's dst %s; a transport SA carries only its endpoints' own traffic",
			       pre, a);
	}
	return 0;
}

static int parse_sa_selector(struct cfg_ctx *c, const struct json_path *p,
			     json_t *obj, struct cfg_sa *sa)
{
	static const char *const keys[] = {
		"src", "dst", "proto", "sport", "dport", NULL,
	};
	struct json_path pt = json_path_key(p, "selector");
	struct json_path ps = json_path_key(&pt, "src");
	struct json_path pd = json_path_key(&pt, "dst");
	struct json_path pp = json_path_key(&pt, "proto");
	struct json_path psp = json_path_key(&pt, "sport");
	struct json_path pdp = json_path_key(&pt, "dport");
	struct cfg_ts *ts = &sa->ts;
	json_t *sel, *v;
	int rc;

	if ((rc = member(c, &pt, obj, JSON_OBJECT, true, &sel)) ||
	    (rc = known_keys(c, &pt, sel, keys)) ||
	    (rc = member(c, &ps, sel, JSON_STRING, true, &v)) ||
	    (rc = parse_network(c, &ps, v, &ts->src)) ||
	    (rc = member(c, &pd, sel, JSON_STRING, true, &v)) ||
	    (rc = parse_network(c, &pd, v, &ts->dst)))
		return rc;
	if (ts->dst.addr.family != ts->src.addr.family)
		return cfg_err(c, &pd, AT_VALUE, "%s is %s but src is %s",
			       json_string_value(v),
			       family_name(ts->dst.addr.family),
			       family_name(ts->src.addr.family));
	ts->proto = 0;
	v = json_object_get(sel, "proto");
	if ((v && (rc = parse_ts_proto(c, &pp, v, ts->src.addr.family,
				       &ts->proto))) ||
	    (rc = parse_ts_ports(c, &psp, sel, ts->proto, &ts->sport_lo,
				 &ts->sport_hi)) ||
	    (rc = parse_ts_ports(c, &pdp, sel, ts->proto, &ts->dport_lo,
				 &ts->dport_hi)))
		return rc;
	return check_transport_ts(c, &pt, sa);
}

/* RFC 4303 §3.4.3: the receiver's window; 0 turns the check off. */
static int parse_sa_replay(struct cfg_ctx *c, const struct json_path *p,
			   json_t *obj, struct cfg_sa *sa)
{
	struct json_path pr = json_path_key(p, "replay_window");
	struct json_path pe = json_path_key(p, "esn");
	json_int_t n;
	json_t *v;
	int rc;

	sa->replay_window = sa->dir == CFG_SA_IN ? 64 : 0;
	if ((rc = member(c, &pr, obj, JSON_INTEGER, false, &v)))
		return rc;
	if (v && sa->dir == CFG_SA_OUT)
		return cfg_err(c, &pr, AT_VALUE,
			       "replay_window applies to inbound SAs only: the receiver checks sequence numbers");
	if (v) {
		n = json_integer_value(v);
		if (n != 0 && (n < 64 || n > 4096))
			return cfg_err(c, &pr, AT_VALUE,
				       "%" JSON_INTEGER_FORMAT " is neither 0 (off) nor in 64..4096",
				       n);
		sa->replay_window = (uint32_t)n;
	}
	v = json_object_get(obj, "esn");
	if (v && (rc = expect_bool(c, &pe, v)))
		return rc;
	sa->esn = v && json_is_true(v);
	/* RFC 4303 Appendix A2: the receiver infers the high half of an
	 * extended sequence number from its window. */
	if (sa->esn && sa->dir == CFG_SA_IN && sa->replay_window == 0)
		return cfg_err(c, &pe, AT_VALUE,
			       "an inbound SA with esn needs a replay window (replay_window 64..4096): the high 32 bits of the sequence number are inferred from it");
	return 0;
}

/* RFC 3948: true for 4500/4500, or the ports. An inbound SA's packets
 * arrive where espgate listens, so its dport is one of natt_ports. */
static int parse_sa_encap(struct cfg_ctx *c, const struct json_path *p,
			  json_t *obj, struct cfg_sa *sa)
{
	static const char *const keys[] = { "sport", "dport", NULL };
	struct json_path pu = json_path_key(p, "udp_encap");
	struct json_path ps = json_path_key(&pu, "sport");
	struct json_path pd = json_path_key(&pu, "dport");
	json_t *v = json_object_get(obj, "udp_encap"), *port;
	char list[64];
	unsigned n;
	int rc;

	sa->encap_sport = sa->encap_dport = NATT_PORT;
	if (!v)
		return 0;
	if (json_is_boolean(v)) {
		sa->udp_encap = json_is_true(v);
	} else if (json_is_object(v)) {
		sa->udp_encap = true;
		if ((rc = known_keys(c, &pu, v, keys)) ||
		    (rc = member(c, &ps, v, JSON_INTEGER, false, &port)) ||
		    (port && (rc = get_uint(c, &ps, port, 1, 65535, &n))))
			return rc;
		if (port)
			sa->encap_sport = (uint16_t)n;
		if ((rc = member(c, &pd, v, JSON_INTEGER, false, &port)) ||
		    (port && (rc = get_uint(c, &pd, port, 1, 65535, &n))))
			return rc;
		if (port)
			sa->encap_dport = (uint16_t)n;
	} else {
		return cfg_err(c, &pu, AT_VALUE,
			       "expected a boolean or an object, got %s",
			       type_name(json_typeof(v)));
	}
	if (!sa->udp_encap || sa->dir != CFG_SA_IN)
		return 0;
	for (unsigned i = 0; i < c->cfg->n_natt_ports; i++)
		if (c->cfg->natt_ports[i] == sa->encap_dport)
			return 0;
	format_natt_ports(c->cfg, list, sizeof(list));
	return cfg_err(c, json_is_object(v) && json_object_get(v, "dport") ?
			       &pd : &pu,
		       AT_VALUE,
		       "dport %u is not one of ipsec.natt_ports (%s): an inbound SA's ESP-in-UDP arrives where espgate listens",
		       sa->encap_dport, list);
}

/* The outer header's DF bit: only an outbound tunnel builds one, and
 * only IPv4 has the bit. */
static int parse_sa_df(struct cfg_ctx *c, const struct json_path *p,
		       json_t *obj, struct cfg_sa *sa)
{
	struct json_path pd = json_path_key(p, "df");
	json_t *v;
	int rc, idx;

	sa->df = CFG_DF_COPY;
	if ((rc = member(c, &pd, obj, JSON_STRING, false, &v)) || !v)
		return rc;
	if (sa->dir == CFG_SA_IN)
		return cfg_err(c, &pd, AT_VALUE,
			       "df applies to outbound SAs only: it sets the DF bit of the outer header espgate builds");
	if (sa->mode == CFG_SA_TRANSPORT)
		return cfg_err(c, &pd, AT_VALUE,
			       "df applies to tunnel mode only: a transport SA builds no outer header");
	if (sa->src.family != AF_INET)
		return cfg_err(c, &pd, AT_VALUE,
			       "df applies to IPv4 tunnels only: the outer header is IPv6, which has no DF bit");
	if ((rc = one_of(c, &pd, v, df_names, &idx)))
		return rc;
	sa->df = (enum cfg_df)idx;
	return 0;
}

static int get_u64(struct cfg_ctx *c, const struct json_path *p, json_t *obj,
		   uint64_t *out)
{
	json_t *v;
	int rc;

	*out = 0;
	if ((rc = member(c, p, obj, JSON_INTEGER, false, &v)) || !v)
		return rc;
	if (json_integer_value(v) < 0)
		return cfg_err(c, p, AT_VALUE,
			       "%" JSON_INTEGER_FORMAT " is negative; expected a count, 0 for no limit",
			       json_integer_value(v));
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int check_soft_hard(struct cfg_ctx *c, const struct json_path *p,
			   const char *hard_key, uint64_t soft, uint64_t hard)
{
	if (!soft || !hard || soft < hard)
		return 0;
	return cfg_err(c, p, AT_VALUE,
		       "%llu is not below %s (%llu): the soft limit must come before the hard one",
		       (unsigned long long)soft, hard_key,
		       (unsigned long long)hard);
}

static int parse_sa_lifetime(struct cfg_ctx *c, const struct json_path *p,
			     json_t *obj, struct cfg_sa *sa)
{
	static const char *const keys[] = {
		"soft_bytes", "hard_bytes", "soft_packets", "hard_packets", NULL,
	};
	struct json_path pl = json_path_key(p, "lifetime");
	struct json_path psb = json_path_key(&pl, "soft_bytes");
	struct json_path phb = json_path_key(&pl, "hard_bytes");
	struct json_path psp = json_path_key(&pl, "soft_packets");
	struct json_path php = json_path_key(&pl, "hard_packets");
	json_t *lt;
	int rc;

	if ((rc = member(c, &pl, obj, JSON_OBJECT, false, &lt)) || !lt ||
	    (rc = known_keys(c, &pl, lt, keys)) ||
	    (rc = get_u64(c, &psb, lt, &sa->soft_bytes)) ||
	    (rc = get_u64(c, &phb, lt, &sa->hard_bytes)) ||
	    (rc = get_u64(c, &psp, lt, &sa->soft_packets)) ||
	    (rc = get_u64(c, &php, lt, &sa->hard_packets)) ||
	    (rc = check_soft_hard(c, &psb, "hard_bytes", sa->soft_bytes,
				  sa->hard_bytes)))
		return rc;
	return check_soft_hard(c, &psp, "hard_packets", sa->soft_packets,
			       sa->hard_packets);
}

static int parse_sa_worker(struct cfg_ctx *c, const struct json_path *p,
			   json_t *obj, struct cfg_sa *sa)
{
	struct json_path pw = json_path_key(p, "worker");
	unsigned n = c->cfg->n_workers;
	json_int_t w;
	json_t *v;
	int rc;

	sa->worker = -1;
	if ((rc = member(c, &pw, obj, JSON_INTEGER, false, &v)) || !v)
		return rc;
	w = json_integer_value(v);
	if (w < 0 || w >= (json_int_t)n)
		return cfg_err(c, &pw, AT_VALUE,
			       "%" JSON_INTEGER_FORMAT " is out of range 0..%u: an index into lcores.workers, which has %u %s",
			       w, n - 1, n, n == 1 ? "entry" : "entries");
	sa->worker = (int)w;
	return 0;
}

static int parse_sa(struct cfg_ctx *c, const struct json_path *p, json_t *obj,
		    struct cfg_sa *sa)
{
	static const char *const keys[] = {
		"name", "spi", "direction", "mode", "src", "dst", "enc",
		"enc_key", "integ", "integ_key", "selector", "replay_window",
		"esn", "udp_encap", "df", "lifetime", "worker", NULL,
	};
	int rc, alg;

	if ((rc = object(c, p, obj, keys)) ||
	    (rc = parse_sa_name(c, p, obj, sa)) ||
	    (rc = parse_sa_spi(c, p, obj, sa)) ||
	    (rc = parse_sa_enums(c, p, obj, sa)) ||
	    (rc = parse_sa_endpoints(c, p, obj, sa)) ||
	    (rc = parse_sa_enc(c, p, obj, sa, &alg)) ||
	    (rc = parse_sa_integ(c, p, obj, sa, alg)) ||
	    (rc = parse_sa_selector(c, p, obj, sa)) ||
	    (rc = parse_sa_replay(c, p, obj, sa)) ||
	    (rc = parse_sa_encap(c, p, obj, sa)) ||
	    (rc = parse_sa_df(c, p, obj, sa)) ||
	    (rc = parse_sa_lifetime(c, p, obj, sa)) ||
	    (rc = parse_sa_worker(c, p, obj, sa)))
		return rc;
	return 0;
}

static int parse_sas(struct cfg_ctx *c, json_t *root)
{
	struct json_path p = json_path_key(NULL, "sas");
	json_t *arr;
	size_t n;
	int rc;

	if ((rc = member(c, &p, root, JSON_ARRAY, false, &arr)) || !arr)
		return rc;
	n = json_array_size(arr);
	if (n == 0)
		return 0;
	if (n > CFG_MAX_SAS)
		return cfg_err(c, &p, AT_VALUE, "at most %u SAs", CFG_MAX_SAS);
	c->cfg->sas = calloc(n, sizeof(*c->cfg->sas));
	if (!c->cfg->sas)
		return nomem(c);
	for (size_t i = 0; i < n; i++) {
		struct json_path pi = json_path_index(&p, i);
		struct cfg_sa *sa = &c->cfg->sas[i];

		rc = parse_sa(c, &pi, json_array_get(arr, i), sa);
		if (rc) {
			/* cfg_free wipes the n_sas complete ones */
			explicit_bzero(sa, sizeof(*sa));
			return rc;
		}
		c->cfg->n_sas++;
	}
	return 0;
}

/* connections */

static const char *const auth_names[] = {
	[CFG_AUTH_PSK] = "psk",
	[CFG_AUTH_PUBKEY] = "pubkey",
	NULL,
};

static const char *const start_names[] = {
	[CFG_START_NONE] = "none",
	[CFG_START_START] = "start",
	[CFG_START_TRAP] = "trap",
	NULL,
};

static int parse_name(struct cfg_ctx *c, const struct json_path *p, json_t *obj,
		      const char *what, char name[CFG_NAME_MAX])
{
	struct json_path pn = json_path_key(p, "name");
	json_t *v;
	int rc;

	if ((rc = member(c, &pn, obj, JSON_STRING, true, &v)))
		return rc;
	if (!valid_port_name(json_string_value(v)))
		return cfg_err(c, &pn, AT_VALUE,
			       "\"%.40s\" is not a %s name: 1 to %d of A-Z a-z 0-9 _ -",
			       json_string_value(v), what, CFG_NAME_MAX - 1);
	strcpy(name, json_string_value(v));
	return 0;
}

static int parse_conn_name(struct cfg_ctx *c, const struct json_path *p,
			   json_t *obj, unsigned idx)
{
	struct json_path pn = json_path_key(p, "name");
	struct cfg_conn *conn = &c->cfg->conns[idx];
	int rc = parse_name(c, p, obj, "connection", conn->name);

	if (rc)
		return rc;
	for (unsigned i = 0; i < idx; i++)
		if (strcmp(c->cfg->conns[i].name, conn->name) == 0)
			return cfg_err(c, &pn, AT_VALUE,
				       "duplicate connection name \"%s\" (also connections[%u].name)",
				       conn->name, i);
	return 0;
}

static bool is_any(const char *s)
{
	return strcmp(s, "any") == 0 || strcmp(s, "%any") == 0;
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

	if ((rc = member(c, &pl, obj, JSON_STRING, true, &v)) ||
	    (rc = parse_addr(c, &pl, v, &conn->local)) ||
	    (rc = check_own_endpoint(c, &pl, "a connection's local address",
				     &conn->local)) ||
	    (rc = member(c, &pr, obj, JSON_STRING, true, &v)))
		return rc;
	if (is_any(json_string_value(v)))
		return 0; /* family 0 */
	if ((rc = parse_addr(c, &pr, v, &conn->remote)) ||
	    (rc = check_peer_endpoint(c, &pr, &conn->remote)))
		return rc;
	if (conn->remote.family != conn->local.family)
		return cfg_err(c, &pr, AT_VALUE, "%s is %s but local is %s",
			       json_string_value(v),
			       family_name(conn->remote.family),
			       family_name(conn->local.family));
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

/* Letters, digits, '-', '_', dot-separated labels of 1..63; the last not
 * all digits (RFC 3696 §2), which would be a mistyped IPv4 address. */
static bool valid_dns_name(const char *s, size_t n)
{
	size_t label = 0;
	bool digits = true;

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (ch == '.') {
			if (label == 0)
				return false;
			label = 0;
			digits = true;
			continue;
		}
		if (!isalnum((unsigned char)ch) && ch != '-' && ch != '_')
			return false;
		if (++label > 63)
			return false;
		digits &= isdigit((unsigned char)ch) != 0;
	}
	return label > 0 && !digits;
}

static bool dn_prefix(const char *s)
{
	return strncasecmp(s, "C=", 2) == 0 || strncasecmp(s, "CN=", 3) == 0 ||
	       strncasecmp(s, "O=", 2) == 0;
}

static void set_id(struct cfg_id *id, enum cfg_id_type type, const void *data,
		   size_t len)
{
	id->type = type;
	id->len = (uint8_t)len;
	memcpy(id->data, data, len);
}

static int parse_key_id(struct cfg_ctx *c, const struct json_path *p,
			const char *hex, struct cfg_id *id)
{
	size_t n = strlen(hex);

	if (n == 0 || n % 2 || n / 2 > CFG_ID_MAX ||
	    strspn(hex, "0123456789abcdefABCDEF") != n)
		return cfg_err(c, p, AT_VALUE,
			       "\"keyid:%.40s\" is not a key ID: expected \"keyid:\" and 1 to %d bytes as pairs of hex digits",
			       hex, CFG_ID_MAX);
	id->type = CFG_ID_KEY_ID;
	id->len = (uint8_t)(n / 2);
	for (size_t i = 0; i < n / 2; i++)
		id->data[i] = (uint8_t)(hex_val(hex[2 * i]) << 4 |
					hex_val(hex[2 * i + 1]));
	return 0;
}

/* RFC 7296 §3.5 types, told apart as strongSwan does: an address, then
 * "keyid:", a DN, "@name", "user@domain", a name. */
static int parse_id(struct cfg_ctx *c, const struct json_path *p, json_t *v,
		    bool remote, struct cfg_id *id)
{
	const char *s, *at;
	struct ip_addr a;
	size_t n;
	int rc = expect(c, p, v, JSON_STRING);

	if (rc)
		return rc;
	s = json_string_value(v);
	n = strlen(s);
	if (n == 0)
		return cfg_err(c, p, AT_VALUE, "must not be empty");
	if (is_any(s)) {
		if (!remote)
			return cfg_err(c, p, AT_VALUE,
				       "local_id cannot be any: it is the identity espgate proves");
		id->type = CFG_ID_ANY;
		id->len = 0;
		return 0;
	}
	if (ip_addr_parse(s, &a)) {
		set_id(id, a.family == AF_INET ? CFG_ID_IPV4_ADDR : CFG_ID_IPV6_ADDR,
		       a.bytes, ip_addr_len(&a));
		return 0;
	}
	if (strncmp(s, "keyid:", 6) == 0)
		return parse_key_id(c, p, s + 6, id);
	if (n > CFG_ID_MAX)
		return cfg_err(c, p, AT_VALUE,
			       "too long (%zu bytes, at most %d)", n, CFG_ID_MAX);
	if (dn_prefix(s)) {
		set_id(id, CFG_ID_DER_ASN1_DN, s, n);
		return 0;
	}
	if (s[0] == '@' && valid_dns_name(s + 1, n - 1)) {
		set_id(id, CFG_ID_FQDN, s + 1, n - 1);
		return 0;
	}
	at = strchr(s, '@');
	if (at && at != s && strcspn(s, " \t\"<>()[],;:\\") >= (size_t)(at - s) &&
	    valid_dns_name(at + 1, strlen(at + 1))) {
		set_id(id, CFG_ID_RFC822_ADDR, s, n);
		return 0;
	}
	if (!at && valid_dns_name(s, n)) {
		set_id(id, CFG_ID_FQDN, s, n);
		return 0;
	}
	return cfg_err(c, p, AT_VALUE,
		       "\"%.60s\" is not an identity: expected an IP address, a name (\"vpn.example.org\", \"@vpn\"), \"user@domain\", \"keyid:HEX\" or a DN (\"C=CH, O=Example, CN=vpn\")",
		       s);
}

static int parse_conn_ids(struct cfg_ctx *c, const struct json_path *p,
			  json_t *obj, struct cfg_conn *conn)
{
	struct json_path pl = json_path_key(p, "local_id");
	struct json_path pr = json_path_key(p, "remote_id");
	json_t *v;
	int rc;

	set_id(&conn->local_id,
	       conn->local.family == AF_INET ? CFG_ID_IPV4_ADDR : CFG_ID_IPV6_ADDR,
	       conn->local.bytes, ip_addr_len(&conn->local));
	conn->remote_id.type = CFG_ID_ANY;
	if ((v = json_object_get(obj, "local_id")) &&
	    (rc = parse_id(c, &pl, v, false, &conn->local_id)))
		return rc;
	if ((v = json_object_get(obj, "remote_id")) &&
	    (rc = parse_id(c, &pr, v, true, &conn->remote_id)))
		return rc;
	return 0;
}

/* RFC 7296 §2.15: a shared key derived from a password falls to an
 * offline dictionary attack; the length is a floor, not a guarantee.
 * Nothing of the key goes into a message. */
static int set_psk(struct cfg_ctx *c, const struct json_path *p, json_t *v,
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

/* A file given by path must be there and readable now: a typo is found
 * at load time, not at the first negotiation. */
static int check_readable(struct cfg_ctx *c, const struct json_path *p,
			  const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), e;

	if (fd < 0) {
		e = errno;
		return cfg_err(c, p, AT_VALUE, "cannot read %s: %s", path,
			       strerror(e));
	}
	e = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	close(fd);
	if (!e)
		return cfg_err(c, p, AT_VALUE, "%s is not a regular file", path);
	return 0;
}

static int parse_file(struct cfg_ctx *c, const struct json_path *p, json_t *v,
		      char **out)
{
	int rc = parse_path(c, p, v, out);

	return rc ? rc : check_readable(c, p, *out);
}

static int parse_cacerts(struct cfg_ctx *c, const struct json_path *p,
			 json_t *arr, struct cfg_conn *conn)
{
	size_t n = json_array_size(arr);
	int rc;

	if (n == 0)
		return cfg_err(c, p, AT_VALUE, "at least one CA certificate needed");
	if (n > CFG_MAX_CACERTS)
		return cfg_err(c, p, AT_VALUE, "at most %d CA certificates",
			       CFG_MAX_CACERTS);
	conn->cacerts = calloc(n, sizeof(*conn->cacerts));
	if (!conn->cacerts)
		return nomem(c);
	conn->n_cacerts = (unsigned)n;
	for (size_t i = 0; i < n; i++) {
		struct json_path pi = json_path_index(p, i);

		if ((rc = parse_file(c, &pi, json_array_get(arr, i),
				     &conn->cacerts[i])))
			return rc;
	}
	return 0;
}

/* Certificates: paths checked now; the authentication itself is future
 * work in lib/ike. */
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
	if ((rc = member(c, &pc, obj, JSON_STRING, false, &v)))
		return rc;
	if (!v)
		return cfg_err(c, &pc, AT_PARENT,
			       "missing required key: auth \"pubkey\" needs cert, key and cacerts");
	if ((rc = parse_file(c, &pc, v, &conn->cert)) ||
	    (rc = member(c, &pk, obj, JSON_STRING, false, &v)))
		return rc;
	if (!v)
		return cfg_err(c, &pk, AT_PARENT,
			       "missing required key: auth \"pubkey\" needs cert, key and cacerts");
	if ((rc = parse_file(c, &pk, v, &conn->key)) ||
	    (rc = member(c, &pa, obj, JSON_ARRAY, false, &v)))
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
	if ((rc = member(c, &pa, obj, JSON_STRING, false, &v)) ||
	    (v && (rc = one_of(c, &pa, v, auth_names, &idx))))
		return rc;
	if (v)
		conn->auth = (enum cfg_auth)idx;
	if ((rc = member(c, &pk, obj, JSON_STRING, false, &v)))
		return rc;
	if (v && conn->auth == CFG_AUTH_PUBKEY)
		return cfg_err(c, &pk, AT_KEY,
			       "auth \"pubkey\" takes no psk: remove it or set auth to \"psk\"");
	if (v && (rc = set_psk(c, &pk, v, conn)))
		return rc;
	/* With a secrets file, load_secrets looks there afterwards. */
	if (!v && conn->auth == CFG_AUTH_PSK && !c->cfg->ike_secrets)
		return cfg_err(c, &pk, AT_PARENT,
			       "missing required key: auth \"psk\" needs a secret: give psk here or in a secrets file (ike.secrets)");
	return parse_conn_pki(c, p, obj, conn);
}

/* IKE (needs a PRF and a DH group) or ESP (DH only for PFS) proposals,
 * each a strongSwan-style string. */
static int parse_proposals(struct cfg_ctx *c, const struct json_path *p,
			   json_t *obj, bool ike, struct cfg_proposal **out,
			   unsigned *n_out)
{
	char err[160];
	json_t *arr, *v;
	size_t n;
	int rc;

	if ((rc = member(c, p, obj, JSON_ARRAY, true, &arr)))
		return rc;
	n = json_array_size(arr);
	if (n == 0)
		return cfg_err(c, p, AT_VALUE, "at least one proposal needed");
	if (n > CFG_MAX_PROPOSALS)
		return cfg_err(c, p, AT_VALUE,
			       "at most %d proposals (the IKE engine's limit)",
			       CFG_MAX_PROPOSALS);
	*out = calloc(n, sizeof(**out));
	if (!*out)
		return nomem(c);
	*n_out = (unsigned)n;
	for (size_t i = 0; i < n; i++) {
		struct json_path pi = json_path_index(p, i);

		v = json_array_get(arr, i);
		if ((rc = expect(c, &pi, v, JSON_STRING)))
			return rc;
		if (cfg_proposal_parse(json_string_value(v), ike, &(*out)[i],
				       err, sizeof(err)) != 0)
			return cfg_err(c, &pi, AT_VALUE, "\"%.80s\": %s",
				       json_string_value(v), err);
	}
	return 0;
}

/* Times in seconds: 0..INT32_MAX (68 years), so a life derived from a
 * rekey time (10% more) still fits 32 bits. */
#define SECONDS_MAX 2147483647u

static int get_seconds(struct cfg_ctx *c, const struct json_path *p,
		       json_t *obj, uint32_t *out, bool *given)
{
	json_t *v;
	unsigned n;
	int rc;

	*given = false;
	if ((rc = member(c, p, obj, JSON_INTEGER, false, &v)) || !v ||
	    (rc = get_uint(c, p, v, 0, SECONDS_MAX, &n)))
		return rc;
	*out = n;
	*given = true;
	return 0;
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
	if ((rc = get_seconds(c, &pr, obj, &conn->rekey_s, &given)) ||
	    (rc = get_seconds(c, &pa, obj, &conn->reauth_s, &given)) ||
	    (rc = get_seconds(c, &pd, obj, &conn->dpd_s, &given)) ||
	    (rc = get_seconds(c, &pt, obj, &conn->dpd_timeout_s, &given)))
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
	if ((rc = member(c, &ps, obj, JSON_STRING, false, &v)) || !v ||
	    (rc = one_of(c, &ps, v, start_names, &idx)))
		return rc;
	conn->start = (enum cfg_start)idx;
	if (conn->start != CFG_START_NONE && !conn->remote.family)
		return cfg_err(c, &ps, AT_VALUE,
			       "start \"%s\" initiates, which needs a remote address; remote is any (a responder-only connection)",
			       start_names[idx]);
	return 0;
}

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
static int check_trap_room(struct cfg_ctx *c, const struct json_path *p, unsigned idx)
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

/* children */

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
		return parse_network(c, p, v, &ts->prefix);
	if (!json_is_object(v))
		return cfg_err(c, p, AT_VALUE,
			       "expected a prefix (a string) or an object, got %s",
			       type_name(json_typeof(v)));
	if ((rc = known_keys(c, p, v, keys)) ||
	    (rc = member(c, &pp, v, JSON_STRING, true, &pv)) ||
	    (rc = parse_network(c, &pp, pv, &ts->prefix)))
		return rc;
	proto = json_object_get(v, "proto");
	if (proto && (rc = parse_ts_proto(c, &pr, proto,
					  ts->prefix.addr.family, &ts->proto)))
		return rc;
	return parse_ts_ports(c, &pn, v, ts->proto, &ts->port_lo, &ts->port_hi);
}

static int parse_ts_list(struct cfg_ctx *c, const struct json_path *p,
			 json_t *obj, struct cfg_child_ts **out,
			 unsigned *n_out)
{
	json_t *arr;
	size_t n;
	int rc;

	if ((rc = member(c, p, obj, JSON_ARRAY, true, &arr)))
		return rc;
	n = json_array_size(arr);
	if (n == 0)
		return cfg_err(c, p, AT_VALUE, "at least one traffic selector needed");
	if (n > CFG_MAX_TS)
		return cfg_err(c, p, AT_VALUE,
			       "at most %d traffic selectors (the IKE engine's limit)",
			       CFG_MAX_TS);
	*out = calloc(n, sizeof(**out));
	if (!*out)
		return nomem(c);
	*n_out = (unsigned)n;
	for (size_t i = 0; i < n; i++) {
		struct json_path pi = json_path_index(p, i);

		if ((rc = parse_child_ts(c, &pi, json_array_get(arr, i),
					 &(*out)[i])))
			return rc;
	}
	return 0;
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

	if ((rc = get_seconds(c, &pr, obj, &ch->rekey_s, &has_rekey)) ||
	    (rc = get_seconds(c, &pl, obj, &ch->life_s, &has_life)))
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

	if ((rc = get_u64(c, &prb, obj, &ch->rekey_bytes)) ||
	    (rc = get_u64(c, &plb, obj, &ch->life_bytes)) ||
	    (rc = get_u64(c, &prp, obj, &ch->rekey_packets)) ||
	    (rc = get_u64(c, &plp, obj, &ch->life_packets)) ||
	    (rc = check_soft_hard(c, &prb, "life_bytes", ch->rekey_bytes, ch->life_bytes)))
		return rc;
	return check_soft_hard(c, &prp, "life_packets", ch->rekey_packets, ch->life_packets);
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

	if ((rc = object(c, p, obj, keys)) ||
	    (rc = parse_name(c, p, obj, "child", ch->name)))
		return rc;
	for (unsigned i = 0; i < idx; i++)
		if (strcmp(conn->children[i].name, ch->name) == 0)
			return cfg_err(c, &pn, AT_VALUE,
				       "duplicate child name \"%s\" in connection \"%s\" (also connections[%u].children[%u].name)",
				       ch->name, conn->name, conn_idx, i);
	if ((rc = parse_ts_list(c, &pl, obj, &ch->local_ts, &ch->n_local_ts)) ||
	    (rc = parse_ts_list(c, &pr, obj, &ch->remote_ts, &ch->n_remote_ts)) ||
	    (rc = parse_proposals(c, &pe, obj, false, &ch->esp, &ch->n_esp)))
		return rc;
	ch->mode = CFG_SA_TUNNEL;
	if ((rc = member(c, &pm, obj, JSON_STRING, false, &v)) ||
	    (v && (rc = one_of(c, &pm, v, mode_names, &mode))))
		return rc;
	if (v)
		ch->mode = (enum cfg_sa_mode)mode;
	if ((rc = parse_child_times(c, p, obj, ch)))
		return rc;
	return parse_child_volumes(c, p, obj, ch);
}

static int parse_children(struct cfg_ctx *c, const struct json_path *p,
			  json_t *obj, unsigned conn_idx)
{
	struct json_path pc = json_path_key(p, "children");
	struct cfg_conn *conn = &c->cfg->conns[conn_idx];
	json_t *arr;
	size_t n;
	int rc;

	if ((rc = member(c, &pc, obj, JSON_ARRAY, true, &arr)))
		return rc;
	n = json_array_size(arr);
	if (n == 0)
		return cfg_err(c, &pc, AT_VALUE, "at least one child needed");
	if (n > CFG_MAX_CHILDREN)
		return cfg_err(c, &pc, AT_VALUE,
			       "at most %d children (the IKE engine's limit)",
			       CFG_MAX_CHILDREN);
	conn->children = calloc(n, sizeof(*conn->children));
	if (!conn->children)
		return nomem(c);
	conn->n_children = (unsigned)n;
	for (size_t i = 0; i < n; i++) {
		struct json_path pi = json_path_index(&pc, i);

		if ((rc = parse_child(c, &pi, json_array_get(arr, i), conn_idx,
				      (unsigned)i)))
			return rc;
	}
	return 0;
}

static int parse_conn(struct cfg_ctx *c, const struct json_path *p,
		      json_t *obj, unsigned idx)
{
	static const char *const keys[] = {
		"name", "local", "remote", "local_id", "remote_id", "auth",
		"psk", "cert", "key", "cacerts", "proposals", "rekey", "reauth",
		"dpd", "dpd_timeout", "start", "children", NULL,
	};
	struct cfg_conn *conn = &c->cfg->conns[idx];
	struct json_path pp = json_path_key(p, "proposals");
	int rc;

	if ((rc = object(c, p, obj, keys)) ||
	    (rc = parse_conn_name(c, p, obj, idx)) ||
	    (rc = parse_conn_addrs(c, p, obj, idx)) ||
	    (rc = parse_conn_ids(c, p, obj, conn)) ||
	    (rc = parse_conn_auth(c, p, obj, conn)) ||
	    (rc = parse_proposals(c, &pp, obj, true, &conn->ike, &conn->n_ike)) ||
	    (rc = parse_conn_times(c, p, obj, conn)) ||
	    (rc = parse_conn_start(c, p, obj, conn)) ||
	    (rc = parse_children(c, p, obj, idx)) ||
	    (rc = check_trap_room(c, p, idx)))
		return rc;
	return 0;
}

/* The secrets file: {"psk": {"<connection name>": "secret", ...}}. Its
 * errors carry its own name and positions; no message shows a secret. */

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
	if ((rc = expect(sc, pk, v, JSON_STRING)))
		return rc;
	if (conn->auth != CFG_AUTH_PSK)
		return cfg_err(sc, pk, AT_KEY,
			       "connection \"%s\" (connections[%d] in %s) uses auth \"%s\", not \"psk\"",
			       conn->name, i, c->name, auth_names[conn->auth]);
	if (conn->psk_len) {
		struct json_path pi = json_path_index(&pc, (size_t)i);
		struct json_path pp = json_path_key(&pi, "psk");

		return cfg_err(c, &pp, AT_KEY,
			       "the secret of connection \"%s\" is also in %s (psk.%s); keep one of the two",
			       conn->name, sc->name, conn->name);
	}
	if ((rc = set_psk(sc, pk, v, conn)))
		return rc;
	conn->psk_from_secrets = true;
	return 0;
}

static int parse_secrets(struct cfg_ctx *c, struct cfg_ctx *sc, json_t *root)
{
	static const char *const keys[] = { "psk", NULL };
	struct json_path pp = json_path_key(NULL, "psk");
	json_t *obj;
	int rc;

	if ((rc = object(sc, NULL, root, keys)) ||
	    (rc = member(sc, &pp, root, JSON_OBJECT, false, &obj)) || !obj)
		return rc;
	for (void *it = json_object_iter(obj); it;
	     it = json_object_iter_next(obj, it)) {
		struct json_path pk = json_path_key(&pp, json_object_iter_key(it));

		if ((rc = parse_secret(c, sc, &pk, json_object_iter_value(it))))
			return rc;
	}
	return 0;
}

static int read_file(const char *path, char **text, size_t *len);
static void wipe_free(char *buf, size_t len);

static int load_secrets(struct cfg_ctx *c)
{
	struct json_path pi = json_path_key(NULL, "ike");
	struct json_path ps = json_path_key(&pi, "secrets");
	struct json_path pc = json_path_key(NULL, "connections");
	struct cfg *cfg = c->cfg;
	struct cfg_ctx sc = *c;
	json_error_t je;
	json_t *root;
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (!cfg->ike_secrets)
		return 0;
	rc = read_file(cfg->ike_secrets, &text, &len);
	if (rc == -ENOMEM)
		return nomem(c);
	if (rc)
		return cfg_err(c, &ps, AT_VALUE, "cannot read %s: %s",
			       cfg->ike_secrets, strerror(-rc));
	sc.text = text;
	sc.len = len;
	sc.name = cfg->ike_secrets;
	sc.secrets = true;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		rc = syntax_err(&sc, &je);
	} else {
		rc = parse_secrets(c, &sc, root);
		json_decref(root);
	}
	wipe_free(text, len);
	for (unsigned i = 0; !rc && i < cfg->n_conns; i++) {
		const struct cfg_conn *conn = &cfg->conns[i];
		struct json_path pn = json_path_index(&pc, i);
		struct json_path pk = json_path_key(&pn, "psk");

		if (conn->auth == CFG_AUTH_PSK && !conn->psk_len)
			rc = cfg_err(c, &pk, AT_PARENT,
				     "missing required key: connection \"%s\" uses auth \"psk\" but has no secret, neither here nor in %s (ike.secrets) as psk.%s",
				     conn->name, cfg->ike_secrets, conn->name);
	}
	return rc;
}

static int parse_conns(struct cfg_ctx *c, json_t *root)
{
	struct json_path p = json_path_key(NULL, "connections");
	json_t *arr;
	size_t n;
	int rc;

	if ((rc = member(c, &p, root, JSON_ARRAY, false, &arr)))
		return rc;
	n = arr ? json_array_size(arr) : 0;
	if (n > CFG_MAX_CONNS)
		return cfg_err(c, &p, AT_VALUE, "at most %u connections",
			       CFG_MAX_CONNS);
	if (n) {
		/* All n now, zeroed: cfg_free frees whatever a failed
		 * parse left half done. */
		c->cfg->conns = calloc(n, sizeof(*c->cfg->conns));
		if (!c->cfg->conns)
			return nomem(c);
		c->cfg->n_conns = (unsigned)n;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_path pi = json_path_index(&p, i);

		if ((rc = parse_conn(c, &pi, json_array_get(arr, i),
				     (unsigned)i)))
			return rc;
	}
	return load_secrets(c);
}

/* Loading. */

static int cfg_parse(struct cfg_ctx *c, json_t *root)
{
	static const char *const keys[] = {
		"eal", "lcores", "crypto", "control", "log",
		"ports", "routes", "neighbors", "ipsec", "ike", "sas",
		"connections", NULL,
	};
	int rc;

	if ((rc = object(c, NULL, root, keys)) || (rc = parse_eal(c, root)) ||
	    (rc = parse_lcores(c, root)) || (rc = parse_crypto(c, root)) ||
	    (rc = parse_control(c, root)) || (rc = parse_log(c, root)) ||
	    (rc = parse_ports(c, root)) || (rc = parse_routes(c, root)) ||
	    (rc = parse_neighbors(c, root)) || (rc = parse_ipsec(c, root)) ||
	    (rc = parse_ike(c, root)) || (rc = parse_sas(c, root)) ||
	    (rc = parse_conns(c, root)))
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
		return syntax_err(&c, &je);
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

/* The text holds SA keys or pre-shared keys: no copy of it is left behind
 * in freed memory (hence no realloc, and no stdio buffer). */
static void wipe_free(char *buf, size_t len)
{
	if (buf)
		explicit_bzero(buf, len);
	free(buf);
}

static int read_file(const char *path, char **text, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 0, n = 0, got, want;
	char *buf = NULL, *grown;
	int rc = 0;

	if (!f)
		return -errno;
	setvbuf(f, NULL, _IONBF, 0);
	do {
		if (n == cap) {
			want = cap ? 2 * cap : 4096;
			grown = want <= CFG_FILE_MAX ? malloc(want) : NULL;
			if (!grown) {
				rc = want <= CFG_FILE_MAX ? -ENOMEM : -EFBIG;
				goto out;
			}
			if (n)
				memcpy(grown, buf, n);
			wipe_free(buf, cap);
			buf = grown;
			cap = want;
		}
		errno = 0;
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	if (ferror(f))
		rc = errno ? -errno : -EIO;
out:
	fclose(f);
	if (rc) {
		wipe_free(buf, cap);
		return rc;
	}
	*text = buf;
	*len = n;
	return 0;
}

int cfg_load_file(const char *path, struct cfg *out, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = read_file(path, &text, &len);
	if (rc) {
		if (err && errlen) {
			snprintf(err, errlen, "%s: cannot read: %s", path,
				 strerror(-rc));
			one_line(err);
		}
		return rc;
	}
	rc = cfg_load_buf(text, len, path, out, err, errlen);
	wipe_free(text, len);
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
	free(cfg->ike_secrets);
	memset(cfg, 0, sizeof(*cfg));
}

const char *cfg_role_name(enum cfg_port_role role)
{
	return role <= CFG_ROLE_UNPROTECTED ? role_names[role] : "?";
}

const char *cfg_engine_name(enum cfg_crypto_engine engine)
{
	return engine <= CFG_ENGINE_CRYPTODEV ? engine_names[engine] : "?";
}

const char *cfg_auth_name(enum cfg_auth auth)
{
	return auth <= CFG_AUTH_PUBKEY ? auth_names[auth] : "?";
}

const char *cfg_start_name(enum cfg_start start)
{
	return start <= CFG_START_TRAP ? start_names[start] : "?";
}
