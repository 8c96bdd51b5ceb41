/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The system sections: eal, lcores, crypto, control, log and ports.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_priv.h"
#include "chars.h"

const char *const cfg_role_names[] = {
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
			 json_t *v, size_t i, void *arg)
{
	const struct eal_forbidden *f;
	const char *s;
	char *dup;
	int rc = cfg_expect(c, p, v, JSON_STRING);

	(void)i, (void)arg;
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
		return cfg_nomem(c);
	c->cfg->eal_args[c->cfg->n_eal_args++] = dup;
	return 0;
}

int cfg_parse_eal(struct cfg_ctx *c, json_t *root)
{
	static const struct cfg_array eal = {
		.max = CFG_MAX_EAL_ARGS, .many = "arguments",
	};
	struct json_path p = json_path_key(NULL, "eal");

	return cfg_array(c, &p, root, &eal, parse_eal_arg, NULL);
}

static int parse_worker(struct cfg_ctx *c, const struct json_path *p,
			json_t *v, size_t i, void *arg)
{
	struct cfg *cfg = c->cfg;
	unsigned lc;
	int rc = cfg_get_uint(c, p, v, 0, CFG_MAX_LCORE, &lc);

	(void)i, (void)arg;
	if (rc)
		return rc;
	if (lc == cfg->control_lcore)
		return cfg_err(c, p, AT_VALUE,
			       "lcore %u is the control lcore (lcores.control); a worker needs its own",
			       lc);
	for (unsigned j = 0; j < cfg->n_workers; j++)
		if (cfg->workers[j] == lc)
			return cfg_err(c, p, AT_VALUE,
				       "lcore %u is listed twice (also lcores.workers[%u])",
				       lc, j);
	cfg->workers[cfg->n_workers++] = lc;
	return 0;
}

int cfg_parse_lcores(struct cfg_ctx *c, json_t *root)
{
	static const char *const keys[] = { "control", "workers", NULL };
	static const struct cfg_array workers = {
		.required = true,
		.if_empty = "at least one worker lcore needed",
		.max = CFG_MAX_WORKERS, .many = "worker lcores",
	};
	struct json_path p = json_path_key(NULL, "lcores");
	struct json_path pc = json_path_key(&p, "control");
	struct json_path pw = json_path_key(&p, "workers");
	json_t *obj, *v;
	int rc;

	if ((rc = cfg_member(c, &p, root, JSON_OBJECT, true, &obj)) ||
	    (rc = cfg_known_keys(c, &p, obj, keys)) ||
	    (rc = cfg_member(c, &pc, obj, JSON_INTEGER, false, &v)))
		return rc;
	if (v && (rc = cfg_get_uint(c, &pc, v, 0, CFG_MAX_LCORE,
				    &c->cfg->control_lcore)))
		return rc;
	return cfg_array(c, &pw, obj, &workers, parse_worker, NULL);
}

int cfg_parse_crypto(struct cfg_ctx *c, json_t *root)
{
	static const char *const keys[] = { "engine", "device", NULL };
	struct json_path p = json_path_key(NULL, "crypto");
	struct json_path pe = json_path_key(&p, "engine");
	struct json_path pd = json_path_key(&p, "device");
	json_t *obj, *v;
	int rc, idx;

	c->cfg->engine = CFG_ENGINE_IPSECMB;
	if ((rc = cfg_member(c, &p, root, JSON_OBJECT, false, &obj)) || !obj ||
	    (rc = cfg_known_keys(c, &p, obj, keys)) ||
	    (rc = cfg_member(c, &pe, obj, JSON_STRING, false, &v)))
		return rc;
	if (v && (rc = cfg_one_of(c, &pe, v, engine_names, &idx)))
		return rc;
	if (v)
		c->cfg->engine = (enum cfg_crypto_engine)idx;
	if ((rc = cfg_member(c, &pd, obj, JSON_STRING, false, &v)))
		return rc;
	if (c->cfg->engine == CFG_ENGINE_CRYPTODEV && !v)
		return cfg_err(c, &pd, AT_PARENT,
			       "missing required key: engine \"cryptodev\" needs a device");
	if (c->cfg->engine == CFG_ENGINE_IPSECMB && v)
		return cfg_err(c, &pd, AT_VALUE,
			       "engine \"ipsecmb\" runs on the CPU and takes no device; set engine to \"cryptodev\" or remove device");
	if (!v)
		return 0;
	return cfg_copy_string(c, &pd, v, c->cfg->crypto_device,
			       sizeof(c->cfg->crypto_device));
}

int cfg_parse_control(struct cfg_ctx *c, json_t *root)
{
	static const char *const keys[] = { "socket", NULL };
	struct json_path p = json_path_key(NULL, "control");
	struct json_path ps = json_path_key(&p, "socket");
	json_t *obj, *v;
	int rc;

	strcpy(c->cfg->ctl_socket, "/run/espgate/espgate.sock");
	if ((rc = cfg_member(c, &p, root, JSON_OBJECT, false, &obj)) || !obj ||
	    (rc = cfg_known_keys(c, &p, obj, keys)) ||
	    (rc = cfg_member(c, &ps, obj, JSON_STRING, false, &v)) || !v)
		return rc;
	if (json_string_value(v)[0] != '/')
		return cfg_err(c, &ps, AT_VALUE,
			       "\"%.60s\" is not an absolute path",
			       json_string_value(v));
	return cfg_copy_string(c, &ps, v, c->cfg->ctl_socket,
			       sizeof(c->cfg->ctl_socket));
}

/* "metrics": {"address": "127.0.0.1", "port": 9420, "per_sa": true}. */
int cfg_parse_metrics(struct cfg_ctx *c, json_t *root)
{
	static const char *const keys[] = { "address", "port", "per_sa", NULL };
	struct json_path p = json_path_key(NULL, "metrics");
	struct json_path pa = json_path_key(&p, "address");
	struct json_path pp = json_path_key(&p, "port");
	struct json_path ps = json_path_key(&p, "per_sa");
	json_t *obj, *v;
	unsigned port;
	int rc;

	c->cfg->metrics_per_sa = true;
	if ((rc = cfg_member(c, &p, root, JSON_OBJECT, false, &obj)) || !obj ||
	    (rc = cfg_known_keys(c, &p, obj, keys)) ||
	    (rc = cfg_member(c, &pa, obj, JSON_STRING, true, &v)) ||
	    (rc = cfg_parse_addr(c, &pa, v, &c->cfg->metrics_addr)) ||
	    (rc = cfg_member(c, &pp, obj, JSON_INTEGER, true, &v)) ||
	    (rc = cfg_get_uint(c, &pp, v, 1, 65535, &port)))
		return rc;
	c->cfg->metrics_port = (uint16_t)port;
	v = json_object_get(obj, "per_sa");
	if (v && (rc = cfg_expect_bool(c, &ps, v)))
		return rc;
	if (v)
		c->cfg->metrics_per_sa = json_is_true(v);
	return 0;
}

int cfg_parse_log(struct cfg_ctx *c, json_t *root)
{
	static const char *const keys[] = { "level", NULL };
	struct json_path p = json_path_key(NULL, "log");
	struct json_path pl = json_path_key(&p, "level");
	json_t *obj, *v;
	int rc, idx;

	strcpy(c->cfg->log_level, "info");
	if ((rc = cfg_member(c, &p, root, JSON_OBJECT, false, &obj)) || !obj ||
	    (rc = cfg_known_keys(c, &p, obj, keys)) ||
	    (rc = cfg_member(c, &pl, obj, JSON_STRING, false, &v)) || !v ||
	    (rc = cfg_one_of(c, &pl, v, log_levels, &idx)))
		return rc;
	strcpy(c->cfg->log_level, log_levels[idx]);
	return 0;
}

int cfg_find_port(const struct cfg *cfg, const char *name)
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
	int rc = cfg_parse_name(c, p, obj, "a port", port->name), other;

	if (rc)
		return rc;
	other = cfg_find_port(c->cfg, port->name);
	if (other >= 0)
		return cfg_err(c, &pn, AT_VALUE,
			       "duplicate port name \"%s\" (also ports[%d].name)",
			       port->name, other);
	return 0;
}

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (hex_digit(s[i]) < 0)
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

	if ((rc = cfg_member(c, &pd, obj, JSON_STRING, true, &v)) ||
	    (rc = cfg_copy_string(c, &pd, v, port->device, sizeof(port->device))))
		return rc;
	return check_device(c, &pd, port);
}

static int parse_port_role(struct cfg_ctx *c, const struct json_path *p,
			   json_t *obj, struct cfg_port *port)
{
	struct json_path pr = json_path_key(p, "role");
	json_t *v;
	int rc, idx;

	if ((rc = cfg_member(c, &pr, obj, JSON_STRING, true, &v)) ||
	    (rc = cfg_one_of(c, &pr, v, cfg_role_names, &idx)))
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

static int parse_port_addr(struct cfg_ctx *c, const struct json_path *p,
			   json_t *v, size_t i, void *arg)
{
	struct cfg_port *port = arg;
	struct ip_prefix a;
	int rc;

	(void)i;
	if ((rc = cfg_expect(c, p, v, JSON_STRING)) ||
	    (rc = cfg_parse_prefix(c, p, v, &a)) ||
	    (rc = check_port_addr(c, p, &a)))
		return rc;
	port->addrs[port->n_addrs++] = a;
	return 0;
}

static int parse_port_addrs(struct cfg_ctx *c, const struct json_path *p,
			    json_t *obj, struct cfg_port *port)
{
	static const struct cfg_array addrs = {
		.max = CFG_MAX_ADDRS, .many = "addresses",
	};
	struct json_path pa = json_path_key(p, "addresses");

	return cfg_array(c, &pa, obj, &addrs, parse_port_addr, port);
}

static int parse_port_mtu(struct cfg_ctx *c, const struct json_path *p,
			  json_t *obj, struct cfg_port *port)
{
	struct json_path pm = json_path_key(p, "mtu");
	unsigned mtu;
	json_t *v;
	int rc;

	port->mtu = 1500;
	if ((rc = cfg_member(c, &pm, obj, JSON_INTEGER, false, &v)) || !v ||
	    (rc = cfg_get_uint(c, &pm, v, 68, 9600, &mtu)))
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

	if ((rc = cfg_member(c, &pm, obj, JSON_STRING, false, &v)) || !v ||
	    (rc = cfg_parse_mac(c, &pm, v, port->mac)))
		return rc;
	port->has_mac = true;
	return 0;
}

static int parse_port(struct cfg_ctx *c, const struct json_path *p,
		      json_t *obj, size_t i, void *arg)
{
	static const char *const keys[] = {
		"name", "device", "role", "addresses", "mtu", "mac", NULL,
	};
	struct cfg_port *port = &c->cfg->ports[c->cfg->n_ports];
	int rc;

	if ((rc = cfg_object(c, p, obj, keys)) ||
	    (rc = parse_port_name(c, p, obj, port)) ||
	    (rc = parse_port_device(c, p, obj, port)) ||
	    (rc = parse_port_role(c, p, obj, port)) ||
	    (rc = parse_port_addrs(c, p, obj, port)) ||
	    (rc = parse_port_mtu(c, p, obj, port)) ||
	    (rc = parse_port_mac(c, p, obj, port)))
		return rc;
	(void)i, (void)arg;
	c->cfg->n_ports++;
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
				       cfg_role_names[r]);
	return 0;
}

int cfg_parse_ports(struct cfg_ctx *c, json_t *root)
{
	static const struct cfg_array ports = {
		.required = true, .if_empty = "at least one port needed",
		.max = CFG_MAX_PORTS, .many = "ports",
	};
	struct json_path p = json_path_key(NULL, "ports");
	int rc = cfg_array(c, &p, root, &ports, parse_port, NULL);

	return rc ? rc : check_roles(c, &p);
}

const char *cfg_role_name(enum cfg_port_role role)
{
	return role <= CFG_ROLE_UNPROTECTED ? cfg_role_names[role] : "?";
}

const char *cfg_engine_name(enum cfg_crypto_engine engine)
{
	return engine <= CFG_ENGINE_CRYPTODEV ? engine_names[engine] : "?";
}
