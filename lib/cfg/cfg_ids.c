/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Identities of a connection (local_id, remote_id), RFC 7296 §3.5.
 */

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "cfg_priv.h"

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
		id->data[i] = (uint8_t)(cfg_hex_val(hex[2 * i]) << 4 |
					cfg_hex_val(hex[2 * i + 1]));
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
	int rc = cfg_expect(c, p, v, JSON_STRING);

	if (rc)
		return rc;
	s = json_string_value(v);
	n = strlen(s);
	if (n == 0)
		return cfg_err(c, p, AT_VALUE, "must not be empty");
	if (cfg_is_any(s)) {
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

int cfg_parse_conn_ids(struct cfg_ctx *c, const struct json_path *p,
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
