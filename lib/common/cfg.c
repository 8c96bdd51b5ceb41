/* SPDX-License-Identifier: BSD-3-Clause */
#include "cfg.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* jansson's own errors: syntax, and duplicate keys, which we point at the
 * start of the second occurrence and name by path. */
static int syntax_err(struct cfg_ctx *c, const json_error_t *je)
{
	struct json_pos pos = { je->line > 0 ? (unsigned)je->line : 0,
				je->column > 0 ? (unsigned)je->column : 0 };
	char path[CFG_PATH_STRLEN];

	if (json_error_code(je) == json_error_duplicate_key &&
	    json_pos_key_path_at(c->text, c->len, &pos, path, sizeof(path)))
		return err_at_pos(c, pos, path, "duplicate key");
	return err_at_pos(c, pos, "$", "%s", je->text);
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

static int parse_route_prefix(struct cfg_ctx *c, const struct json_path *p,
			      json_t *obj, struct cfg_route *r)
{
	struct json_path pp = json_path_key(p, "prefix");
	char s[IP_PREFIX_STRLEN];
	struct ip_prefix net;
	json_t *v;
	int rc;

	if ((rc = member(c, &pp, obj, JSON_STRING, true, &v)) ||
	    (rc = parse_prefix(c, &pp, v, &r->prefix)))
		return rc;
	if (!ip_prefix_is_network(&r->prefix)) {
		net = ip_prefix_network(&r->prefix);
		ip_prefix_format(&net, s, sizeof(s));
		return cfg_err(c, &pp, AT_VALUE,
			       "host bits are set in \"%s\"; did you mean %s?",
			       json_string_value(v), s);
	}
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

/* Loading. */

static int cfg_parse(struct cfg_ctx *c, json_t *root)
{
	static const char *const keys[] = {
		"eal", "lcores", "crypto", "control", "log",
		"ports", "routes", "neighbors", NULL,
	};
	int rc;

	if ((rc = object(c, NULL, root, keys)) || (rc = parse_eal(c, root)) ||
	    (rc = parse_lcores(c, root)) || (rc = parse_crypto(c, root)) ||
	    (rc = parse_control(c, root)) || (rc = parse_log(c, root)) ||
	    (rc = parse_ports(c, root)) || (rc = parse_routes(c, root)) ||
	    (rc = parse_neighbors(c, root)))
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

static int read_file(const char *path, char **text, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 0, n = 0, got;
	char *buf = NULL, *grown;
	int rc = 0;

	if (!f)
		return -errno;
	do {
		if (n == cap) {
			cap = cap ? 2 * cap : 4096;
			grown = cap <= CFG_FILE_MAX ? realloc(buf, cap) : NULL;
			if (!grown) {
				rc = cap <= CFG_FILE_MAX ? -ENOMEM : -EFBIG;
				goto out;
			}
			buf = grown;
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
		free(buf);
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
	free(text);
	return rc;
}

void cfg_free(struct cfg *cfg)
{
	if (!cfg)
		return;
	for (unsigned i = 0; i < cfg->n_eal_args; i++)
		free(cfg->eal_args[i]);
	free(cfg->routes);
	free(cfg->neighbors);
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
