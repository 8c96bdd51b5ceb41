/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Static (manually keyed) SAs, RFC 4301 §4.5: the sas section.
 */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_priv.h"

static const char *const dir_names[] = {
	[CFG_SA_IN] = "in",
	[CFG_SA_OUT] = "out",
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
	int rc = cfg_parse_name(c, p, obj, "an SA", sa->name), other;

	if (rc)
		return rc;
	other = find_sa(c->cfg, sa->name);
	if (other >= 0)
		return cfg_err(c, &pn, AT_VALUE,
			       "duplicate SA name \"%s\" (also sas[%d].name)",
			       sa->name, other);
	return 0;
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
		n = n * 16 + cfg_hex_val(*s);
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
			       cfg_type_name(json_typeof(v)));
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

	if ((rc = cfg_member(c, &pd, obj, JSON_STRING, true, &v)) ||
	    (rc = cfg_one_of(c, &pd, v, dir_names, &idx)))
		return rc;
	sa->dir = (enum cfg_sa_dir)idx;
	sa->mode = CFG_SA_TUNNEL;
	if ((rc = cfg_member(c, &pm, obj, JSON_STRING, false, &v)) || !v ||
	    (rc = cfg_one_of(c, &pm, v, cfg_mode_names, &idx)))
		return rc;
	sa->mode = (enum cfg_sa_mode)idx;
	return 0;
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

	if ((rc = cfg_member(c, &ps, obj, JSON_STRING, true, &v)) ||
	    (rc = cfg_parse_addr(c, &ps, v, &sa->src)) ||
	    (rc = cfg_member(c, &pd, obj, JSON_STRING, true, &v)) ||
	    (rc = cfg_parse_addr(c, &pd, v, &sa->dst)))
		return rc;
	if (sa->dst.family != sa->src.family)
		return cfg_err(c, &pd, AT_VALUE, "%s is %s but src is %s",
			       json_string_value(v), cfg_family_name(sa->dst.family),
			       cfg_family_name(sa->src.family));
	/* Transport mode is bump-in-the-wire: its endpoints are the hosts
	 * whose traffic it carries (docs/decisions.md), not necessarily the
	 * box; its selector must contain them (check_transport_ts). */
	if (sa->mode == CFG_SA_TUNNEL &&
	    ((rc = cfg_check_own_endpoint(c, out ? &ps : &pd,
					  out ? "an outbound SA's src" :
					    "an inbound SA's dst",
				      out ? &sa->src : &sa->dst)) ||
	     (rc = cfg_check_peer_endpoint(c, out ? &pd : &ps,
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
		out[i] = (uint8_t)(cfg_hex_val(s[2 * i]) << 4 | cfg_hex_val(s[2 * i + 1]));
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

	if ((rc = cfg_member(c, &pe, obj, JSON_STRING, true, &v)) ||
	    (rc = cfg_one_of(c, &pe, v, enc_names, alg)))
		return rc;
	strcpy(sa->enc, enc_names[*alg]);
	if ((rc = cfg_member(c, &pk, obj, JSON_STRING, false, &v)))
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

	if ((rc = cfg_member(c, &pi, obj, JSON_STRING, false, &v)) ||
	    (rc = cfg_member(c, &pk, obj, JSON_STRING, false, &k)))
		return rc;
	if (enc_algs[alg].aead && (v || k))
		return cfg_err(c, v ? &pi : &pk, AT_VALUE,
			       "enc \"%s\" is an AEAD and authenticates by itself; integ and integ_key cannot be combined with it",
			       sa->enc);
	if (enc_algs[alg].aead)
		return 0;
	cfg_join_names(integ_names, list, sizeof(list));
	if (!v)
		return cfg_err(c, &pi, AT_PARENT,
			       "missing required key: enc \"%s\" does not authenticate; add integ (one of %s)",
			       sa->enc, list);
	if ((rc = cfg_one_of(c, &pi, v, integ_names, &idx)))
		return rc;
	strcpy(sa->integ, integ_names[idx]);
	if (!k)
		return cfg_err(c, &pk, AT_PARENT,
			       "missing required key: integ \"%s\" needs a %u-byte key",
			       sa->integ, integ_key_lens[idx]);
	return parse_key(c, &pk, k, integ_key_lens[idx], sa->integ, "HMAC key",
			 sa->integ_key, &sa->integ_key_len);
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
			       cfg_family_name(sa->ts.src.addr.family),
			       cfg_family_name(sa->src.family));
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

	if ((rc = cfg_member(c, &pt, obj, JSON_OBJECT, true, &sel)) ||
	    (rc = cfg_known_keys(c, &pt, sel, keys)) ||
	    (rc = cfg_member(c, &ps, sel, JSON_STRING, true, &v)) ||
	    (rc = cfg_parse_network(c, &ps, v, &ts->src)) ||
	    (rc = cfg_member(c, &pd, sel, JSON_STRING, true, &v)) ||
	    (rc = cfg_parse_network(c, &pd, v, &ts->dst)))
		return rc;
	if (ts->dst.addr.family != ts->src.addr.family)
		return cfg_err(c, &pd, AT_VALUE, "%s is %s but src is %s",
			       json_string_value(v),
			       cfg_family_name(ts->dst.addr.family),
			       cfg_family_name(ts->src.addr.family));
	ts->proto = 0;
	v = json_object_get(sel, "proto");
	if ((v && (rc = cfg_parse_ts_proto(c, &pp, v, ts->src.addr.family,
					   &ts->proto))) ||
	    (rc = cfg_parse_ts_ports(c, &psp, sel, ts->proto, &ts->sport_lo,
				     &ts->sport_hi)) ||
	    (rc = cfg_parse_ts_ports(c, &pdp, sel, ts->proto, &ts->dport_lo,
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
	if ((rc = cfg_member(c, &pr, obj, JSON_INTEGER, false, &v)))
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
	if (v && (rc = cfg_expect_bool(c, &pe, v)))
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
		if ((rc = cfg_known_keys(c, &pu, v, keys)) ||
		    (rc = cfg_member(c, &ps, v, JSON_INTEGER, false, &port)) ||
		    (port && (rc = cfg_get_uint(c, &ps, port, 1, 65535, &n))))
			return rc;
		if (port)
			sa->encap_sport = (uint16_t)n;
		if ((rc = cfg_member(c, &pd, v, JSON_INTEGER, false, &port)) ||
		    (port && (rc = cfg_get_uint(c, &pd, port, 1, 65535, &n))))
			return rc;
		if (port)
			sa->encap_dport = (uint16_t)n;
	} else {
		return cfg_err(c, &pu, AT_VALUE,
			       "expected a boolean or an object, got %s",
			       cfg_type_name(json_typeof(v)));
	}
	if (!sa->udp_encap || sa->dir != CFG_SA_IN)
		return 0;
	for (unsigned i = 0; i < c->cfg->n_natt_ports; i++)
		if (c->cfg->natt_ports[i] == sa->encap_dport)
			return 0;
	cfg_format_natt_ports(c->cfg, list, sizeof(list));
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
	if ((rc = cfg_member(c, &pd, obj, JSON_STRING, false, &v)) || !v)
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
	if ((rc = cfg_one_of(c, &pd, v, df_names, &idx)))
		return rc;
	sa->df = (enum cfg_df)idx;
	return 0;
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

	if ((rc = cfg_member(c, &pl, obj, JSON_OBJECT, false, &lt)) || !lt ||
	    (rc = cfg_known_keys(c, &pl, lt, keys)) ||
	    (rc = cfg_get_u64(c, &psb, lt, &sa->soft_bytes)) ||
	    (rc = cfg_get_u64(c, &phb, lt, &sa->hard_bytes)) ||
	    (rc = cfg_get_u64(c, &psp, lt, &sa->soft_packets)) ||
	    (rc = cfg_get_u64(c, &php, lt, &sa->hard_packets)) ||
	    (rc = cfg_check_soft_hard(c, &psb, "hard_bytes", sa->soft_bytes,
				      sa->hard_bytes)))
		return rc;
	return cfg_check_soft_hard(c, &psp, "hard_packets", sa->soft_packets,
				   sa->hard_packets);
}

/* "worker": an index into lcores.workers, or "any": a shared SA,
 * handled by whichever worker its packets reach. */
static int parse_sa_worker(struct cfg_ctx *c, const struct json_path *p,
			   json_t *obj, struct cfg_sa *sa)
{
	struct json_path pw = json_path_key(p, "worker");
	unsigned n = c->cfg->n_workers;
	json_t *v = json_object_get(obj, "worker");
	json_int_t w;
	int rc;

	sa->worker = -1;
	if (!v)
		return 0;
	if (json_is_string(v)) {
		if (strcmp(json_string_value(v), "any") != 0)
			return cfg_err(c, &pw, AT_VALUE,
				       "\"%s\" is neither an index into lcores.workers nor \"any\"",
				       json_string_value(v));
		sa->worker = CFG_SA_WORKER_ANY;
		return 0;
	}
	if ((rc = cfg_expect(c, &pw, v, JSON_INTEGER)))
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

	if ((rc = cfg_object(c, p, obj, keys)) ||
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

static int parse_sa_elem(struct cfg_ctx *c, const struct json_path *p,
			 json_t *v, size_t i, void *arg)
{
	struct cfg_sa *sa = &c->cfg->sas[i];
	int rc;

	(void)arg;
	if ((rc = parse_sa(c, p, v, sa))) {
		/* cfg_free wipes the n_sas complete ones */
		explicit_bzero(sa, sizeof(*sa));
		return rc;
	}
	c->cfg->n_sas++;
	return 0;
}

int cfg_parse_sas(struct cfg_ctx *c, json_t *root)
{
	static const struct cfg_array sas = {
		.max = CFG_MAX_SAS,
		.many = "SAs",
	};
	struct json_path p = json_path_key(NULL, "sas");
	json_t *arr;
	int rc;

	if ((rc = cfg_array_open(c, &p, root, &sas, &arr)) || !arr)
		return rc;
	c->cfg->sas = cfg_calloc(c, json_array_size(arr), sizeof(*c->cfg->sas));
	if (!c->cfg->sas)
		return -ENOMEM;
	return cfg_array_each(c, &p, arr, parse_sa_elem, NULL);
}
