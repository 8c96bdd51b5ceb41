/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Value parsers shared by the sections: numbers, names, addresses and
 * prefixes, MACs, selector protocols and ports, times, volumes, paths.
 */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg_priv.h"
#include "chars.h"

int cfg_get_uint(struct cfg_ctx *c, const struct json_path *p, json_t *v,
		 unsigned min, unsigned max, unsigned *out)
{
	json_int_t n;
	int rc = cfg_expect(c, p, v, JSON_INTEGER);

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

int cfg_copy_string(struct cfg_ctx *c, const struct json_path *p,
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

int cfg_parse_addr(struct cfg_ctx *c, const struct json_path *p,
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

int cfg_parse_prefix(struct cfg_ctx *c, const struct json_path *p,
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

int cfg_parse_mac(struct cfg_ctx *c, const struct json_path *p, json_t *v,
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

bool cfg_valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= CFG_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!is_name_char(*s))
			return false;
	return true;
}

/* A prefix naming a network (routes, selectors): host bits clear. */
int cfg_parse_network(struct cfg_ctx *c, const struct json_path *p,
		      json_t *v, struct ip_prefix *out)
{
	char s[IP_PREFIX_STRLEN];
	struct ip_prefix net;
	int rc = cfg_parse_prefix(c, p, v, out);

	if (rc || ip_prefix_is_network(out))
		return rc;
	net = ip_prefix_network(out);
	ip_prefix_format(&net, s, sizeof(s));
	return cfg_err(c, p, AT_VALUE,
		       "host bits are set in \"%s\"; did you mean %s?",
		       json_string_value(v), s);
}

const char *cfg_family_name(uint8_t family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
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
int cfg_parse_path(struct cfg_ctx *c, const struct json_path *p, json_t *v,
		   char **out)
{
	int rc = cfg_expect(c, p, v, JSON_STRING);

	if (rc)
		return rc;
	if (!json_string_value(v)[0])
		return cfg_err(c, p, AT_VALUE, "must not be empty");
	*out = resolve_path(c, json_string_value(v));
	return *out ? 0 : cfg_nomem(c);
}

const char *const cfg_mode_names[] = {
	[CFG_SA_TUNNEL] = "tunnel",
	[CFG_SA_TRANSPORT] = "transport",
	NULL,
};

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

unsigned cfg_hex_val(char x)
{
	return isdigit((unsigned char)x) ? (unsigned)(x - '0') :
					   (unsigned)((x | 0x20) - 'a' + 10);
}

/* A selector's protocol, for a selector of that family. */
int cfg_parse_ts_proto(struct cfg_ctx *c, const struct json_path *p,
		       json_t *v, uint8_t family, uint8_t *proto)
{
	unsigned n;
	int rc, idx;

	if (json_is_integer(v)) {
		if ((rc = cfg_get_uint(c, p, v, 0, 255, &n)))
			return rc;
		*proto = (uint8_t)n;
	} else if (json_is_string(v)) {
		if ((rc = cfg_one_of(c, p, v, proto_names, &idx)))
			return rc;
		*proto = proto_nums[idx];
	} else {
		return cfg_err(c, p, AT_VALUE,
			       "expected an integer or a protocol name, got %s",
			       cfg_type_name(json_typeof(v)));
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
int cfg_parse_ts_ports(struct cfg_ctx *c, const struct json_path *p,
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
		if ((rc = cfg_get_uint(c, p, v, 0, 65535, &a)))
			return rc;
		*lo = *hi = (uint16_t)a;
		return 0;
	}
	if (!json_is_string(v))
		return cfg_err(c, p, AT_VALUE,
			       "expected an integer or a \"LO-HI\" string, got %s",
			       cfg_type_name(json_typeof(v)));
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

int cfg_get_u64(struct cfg_ctx *c, const struct json_path *p, json_t *obj,
		uint64_t *out)
{
	json_t *v;
	int rc;

	*out = 0;
	if ((rc = cfg_member(c, p, obj, JSON_INTEGER, false, &v)) || !v)
		return rc;
	if (json_integer_value(v) < 0)
		return cfg_err(c, p, AT_VALUE,
			       "%" JSON_INTEGER_FORMAT " is negative; expected a count, 0 for no limit",
			       json_integer_value(v));
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

int cfg_check_soft_hard(struct cfg_ctx *c, const struct json_path *p,
			const char *hard_key, uint64_t soft, uint64_t hard)
{
	if (!soft || !hard || soft < hard)
		return 0;
	return cfg_err(c, p, AT_VALUE,
		       "%llu is not below %s (%llu): the soft limit must come before the hard one",
		       (unsigned long long)soft, hard_key,
		       (unsigned long long)hard);
}

int cfg_parse_name(struct cfg_ctx *c, const struct json_path *p, json_t *obj,
		   const char *what, char name[CFG_NAME_MAX])
{
	struct json_path pn = json_path_key(p, "name");
	json_t *v;
	int rc;

	if ((rc = cfg_member(c, &pn, obj, JSON_STRING, true, &v)))
		return rc;
	if (!cfg_valid_name(json_string_value(v)))
		return cfg_err(c, &pn, AT_VALUE,
			       "\"%.40s\" is not %s name: 1 to %d of A-Z a-z 0-9 _ -",
			       json_string_value(v), what, CFG_NAME_MAX - 1);
	strcpy(name, json_string_value(v));
	return 0;
}

bool cfg_is_any(const char *s)
{
	return strcmp(s, "any") == 0 || strcmp(s, "%any") == 0;
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

int cfg_parse_file(struct cfg_ctx *c, const struct json_path *p, json_t *v,
		   char **out)
{
	int rc = cfg_parse_path(c, p, v, out);

	return rc ? rc : check_readable(c, p, *out);
}

/* Times in seconds: 0..INT32_MAX (68 years), so a life derived from a
 * rekey time (10% more) still fits 32 bits. */
#define SECONDS_MAX 2147483647u

int cfg_get_seconds(struct cfg_ctx *c, const struct json_path *p,
		    json_t *obj, uint32_t *out, bool *given)
{
	json_t *v;
	unsigned n;
	int rc;

	*given = false;
	if ((rc = cfg_member(c, p, obj, JSON_INTEGER, false, &v)) || !v ||
	    (rc = cfg_get_uint(c, p, v, 0, SECONDS_MAX, &n)))
		return rc;
	*out = n;
	*given = true;
	return 0;
}
