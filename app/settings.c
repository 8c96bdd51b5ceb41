/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration (and what IKE negotiated) as lib/ike's and the data
 * plane's settings: connections as struct ike_conn_cfg, static SAs and
 * Child SAs as struct esp_sa_conf. Every struct is zeroed and then filled
 * member by member (no compound literal, so no padding bytes): reload
 * compares two connections' settings byte for byte.
 */
#include "settings.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>

#include "ike_cert.h"
#include "trap.h"

/* RFC 4303 §3.4.3: a Child SA's inbound anti-replay window. */
#define CHILD_REPLAY_WINDOW 1024

/* The configuration keeps to the data plane's limits. */
_Static_assert(CFG_MAX_PORTS <= DP_MAX_PORTS, "ports");
_Static_assert(CFG_NAME_MAX == DP_NAME_MAX, "port names");
_Static_assert(CFG_MAX_ADDRS <= DP_MAX_ADDRS, "addresses per port");
_Static_assert(CFG_NAME_MAX == IKE_NAME_MAX, "pool names");
_Static_assert(CFG_POOL_DNS_MAX == IKE_POOL_DNS_MAX && CFG_POOL_SPLIT_MAX == IKE_POOL_SPLIT_MAX &&
	       CFG_CONN_POOLS == IKE_CONN_POOLS, "pool limits");
_Static_assert(CFG_MAX_NATT_PORTS <= DP_MAX_NATT_PORTS, "ESP-in-UDP ports");
_Static_assert(CFG_MAX_TRAP_SELECTORS <= DP_MAX_TRAPS, "trap policies");

/* ---- ports and the data plane's IPsec settings ---- */

void settings_port(const struct cfg_port *cp, struct dp_port *port)
{
	memcpy(port->pt_name, cp->name, sizeof(port->pt_name));
	port->pt_role = cp->role == CFG_ROLE_PROTECTED ? DP_ROLE_PROTECTED :
							 DP_ROLE_UNPROTECTED;
	port->pt_if.mtu = cp->mtu;
	memcpy(port->pt_if.addrs, cp->addrs, cp->n_addrs * sizeof(cp->addrs[0]));
	port->pt_if.n_addrs = cp->n_addrs;
}

void settings_dp_ipsec(const struct cfg *cfg, struct dp *dp)
{
	memcpy(dp->natt_ports, cfg->natt_ports,
	       cfg->n_natt_ports * sizeof(cfg->natt_ports[0]));
	dp->n_natt_ports = cfg->n_natt_ports;
	dp->unmatched_discard = cfg->unmatched_discard;
}

/* ---- configured connections -> lib/ike ---- */

/* A DN as text ("C=CH, O=Example, CN=hq") as the DER of an ID payload. */
static int dn_der(const struct cfg_id *id, struct ike_identity *out)
{
	char text[CFG_ID_MAX + 1];
	size_t len;
	int rc;

	memcpy(text, id->data, id->len);
	text[id->len] = '\0';
	rc = ike_dn_from_text(text, out->id_data, sizeof(out->id_data), &len);
	if (rc == 0)
		out->id_len = (uint8_t)len;
	return rc;
}

/* RFC 7296 §3.5. A DN (certificates only): ours is our certificate's
 * subject, which the engine takes from the certificate, encoded as the
 * certificate has it (type 0); the peer's becomes DER and is compared as
 * a name (X509_NAME_cmp). */
static int identity(const struct cfg_id *id, bool ours, struct ike_identity *out)
{
	bool dn = id->type == CFG_ID_DER_ASN1_DN;

	out->id_type = dn && ours ? 0 : (uint8_t)id->type;
	if (dn && !ours)
		return dn_der(id, out);
	out->id_len = id->len;
	memcpy(out->id_data, id->data, id->len);
	return 0;
}

static void ts_cfg(const struct cfg_child_ts *t, unsigned n, struct ike_ts_cfg *out,
		   uint8_t *count)
{
	*count = 0;
	for (unsigned i = 0; i < n && i < IKE_MAX_TS_CFG; i++, (*count)++) {
		out[i].tc_prefix = t[i].prefix;
		out[i].tc_proto = t[i].proto;
		out[i].tc_port_lo = t[i].port_lo;
		out[i].tc_port_hi = t[i].port_hi;
	}
}

static void child_cfg(const struct cfg_child *ch, struct ike_child_cfg *o)
{
	snprintf(o->cc_name, sizeof(o->cc_name), "%s", ch->name);
	ts_cfg(ch->local_ts, ch->n_local_ts, o->cc_local, &o->cc_n_local);
	ts_cfg(ch->remote_ts, ch->n_remote_ts, o->cc_remote, &o->cc_n_remote);
	for (unsigned i = 0; i < ch->n_esp && i < IKE_MAX_PROPOSALS; i++, o->cc_n_esp++)
		o->cc_esp[i] = ch->esp[i];
	o->cc_transport = ch->mode == CFG_SA_TRANSPORT;
	o->cc_rekey_s = ch->rekey_s;
	o->cc_life_s = ch->life_s;
	o->cc_rekey_bytes = ch->rekey_bytes;
	o->cc_life_bytes = ch->life_bytes;
	o->cc_rekey_packets = ch->rekey_packets;
	o->cc_life_packets = ch->life_packets;
}

static enum ike_start start_of(enum cfg_start s)
{
	return s == CFG_START_START ? IKE_START_START :
	       s == CFG_START_TRAP ? IKE_START_TRAP : IKE_START_NONE;
}

int settings_ike_conn(const struct cfg *cfg, const struct cfg_conn *cc,
		      struct ike_conn_cfg *c)
{
	int rc;

	memset(c, 0, sizeof(*c));
	if (cc->auth == CFG_AUTH_PSK && (cc->local_id.type == CFG_ID_DER_ASN1_DN ||
					 cc->remote_id.type == CFG_ID_DER_ASN1_DN))
		return -ENOTSUP; /* a DN identity needs certificates */
	snprintf(c->c_name, sizeof(c->c_name), "%s", cc->name);
	c->c_local.ep_addr = cc->local;
	c->c_local.ep_port = cfg->ike_port;
	c->c_remote.ep_addr = cc->remote;
	c->c_remote.ep_port = cfg->ike_port;
	rc = identity(&cc->local_id, true, &c->c_local_id);
	if (rc == 0)
		rc = identity(&cc->remote_id, false, &c->c_remote_id);
	if (rc != 0)
		return rc;
	memcpy(c->c_psk, cc->psk, cc->psk_len);
	c->c_psk_len = cc->psk_len;
	for (unsigned i = 0; i < cc->n_ike && i < IKE_MAX_PROPOSALS; i++, c->c_n_ike++)
		c->c_ike[i] = cc->ike[i];
	for (unsigned k = 0; k < cc->n_children && k < IKE_MAX_CHILD_CFG; k++, c->c_n_child++)
		child_cfg(&cc->children[k], &c->c_child[k]);
	c->c_rekey_s = cc->rekey_s;
	c->c_reauth_s = cc->reauth_s;
	c->c_dpd_s = cc->dpd_s;
	c->c_dpd_timeout_s = cc->dpd_timeout_s ? cc->dpd_timeout_s : 150;
	c->c_start = start_of(cc->start);
	c->c_version = cc->version == CFG_IKE_V1 ? IKE_VERSION_1
		       : cc->version == CFG_IKE_ANY ? IKE_VERSION_ANY : IKE_VERSION_2;
	c->c_aggressive = cc->aggressive;
	c->c_no_mobike = cc->no_mobike;
	c->c_remote_auth = cc->remote_auth == CFG_REMOTE_AUTH_EAP_MSCHAPV2 ? IKE_REMOTE_AUTH_EAP_MSCHAPV2
			   : cc->remote_auth == CFG_REMOTE_AUTH_EAP_TLS ? IKE_REMOTE_AUTH_EAP_TLS
			   : cc->remote_auth == CFG_REMOTE_AUTH_XAUTH ? IKE_REMOTE_AUTH_XAUTH
			   : cc->remote_auth == CFG_REMOTE_AUTH_EAP_RADIUS ? IKE_REMOTE_AUTH_EAP_RADIUS
			   : IKE_REMOTE_AUTH_SAME;
	c->c_eap_identity = cc->eap_identity;
	c->c_eap_tls13 = cc->eap_tls13;
	c->c_eap_only = cc->eap_only;
	c->c_modecfg_push = cc->modecfg_push;
	for (unsigned k = 0; k < cc->n_pools && k < IKE_CONN_POOLS; k++, c->c_n_pools++)
		memcpy(c->c_pools[k], cc->pools[k], IKE_NAME_MAX);
	return 0;
}

void settings_pool(const struct cfg_pool *cp, struct ike_pool_cfg *pc)
{
	memset(pc, 0, sizeof(*pc));
	memcpy(pc->pc_name, cp->name, IKE_NAME_MAX);
	pc->pc_prefix = cp->prefix;
	for (unsigned i = 0; i < cp->n_dns && i < IKE_POOL_DNS_MAX; i++, pc->pc_n_dns++)
		pc->pc_dns[i] = cp->dns[i];
	for (unsigned i = 0; i < cp->n_split && i < IKE_POOL_SPLIT_MAX; i++, pc->pc_n_split++)
		pc->pc_split[i] = cp->split[i];
	pc->pc_lease_s = cp->lease_s;
}

/* ---- static SAs -> the data plane ---- */

struct algo_name {
	const char *name;
	int kind;
	uint8_t key_len;
};

static const struct algo_name ENC_NAMES[] = {
	{ "aes128gcm16", ESP_ENC_AES_GCM16, 16 },
	{ "aes256gcm16", ESP_ENC_AES_GCM16, 32 },
	{ "aes128", ESP_ENC_AES_CBC, 16 },
	{ "aes256", ESP_ENC_AES_CBC, 32 },
	{ "chacha20poly1305", ESP_ENC_CHACHA20_POLY1305, 32 },
	{ "null", ESP_ENC_NULL, 0 },
};

static const struct algo_name INTEG_NAMES[] = {
	{ "", ESP_INTEG_NONE, 0 },
	{ "sha1_96", ESP_INTEG_HMAC_SHA1_96, 20 },
	{ "sha256_128", ESP_INTEG_HMAC_SHA256_128, 32 },
	{ "sha384_192", ESP_INTEG_HMAC_SHA384_192, 48 },
	{ "sha512_256", ESP_INTEG_HMAC_SHA512_256, 64 },
};

static const struct algo_name *find_algo(const struct algo_name *t, size_t n,
					 const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return &t[i];
	return NULL;
}

static int static_algo(const struct cfg_sa *c, struct esp_algo *a)
{
	const struct algo_name *enc = find_algo(ENC_NAMES, RTE_DIM(ENC_NAMES), c->enc);
	const struct algo_name *integ = find_algo(INTEG_NAMES, RTE_DIM(INTEG_NAMES), c->integ);

	memset(a, 0, sizeof(*a));
	if (!enc || !integ || c->enc_key_len < enc->key_len ||
	    c->integ_key_len != integ->key_len)
		return -EINVAL;
	a->enc = (enum esp_enc)enc->kind;
	a->enc_key_len = enc->key_len;
	memcpy(a->enc_key, c->enc_key, enc->key_len);
	/* RFC 4106 §8.1, RFC 7634 §2: the salt follows the key. */
	if (c->enc_key_len == enc->key_len + ESP_SALT_LEN)
		memcpy(a->salt, c->enc_key + enc->key_len, ESP_SALT_LEN);
	a->integ = (enum esp_integ)integ->kind;
	a->integ_key_len = integ->key_len;
	memcpy(a->integ_key, c->integ_key, integ->key_len);
	return esp_algo_check(a);
}

static void static_ts(const struct cfg_ts *c, struct esp_ts *t)
{
	t->src = c->src;
	t->dst = c->dst;
	t->proto = c->proto;
	t->sport_lo = c->sport_lo;
	t->sport_hi = c->sport_hi;
	t->dport_lo = c->dport_lo;
	t->dport_hi = c->dport_hi;
}

static enum esp_df df_of(enum cfg_df df)
{
	return df == CFG_DF_SET ? ESP_DF_SET : df == CFG_DF_CLEAR ? ESP_DF_CLEAR : ESP_DF_COPY;
}

int settings_static_sa(const struct cfg_sa *c, int owner, struct esp_sa_conf *sc)
{
	memset(sc, 0, sizeof(*sc));
	snprintf(sc->name, sizeof(sc->name), "%s", c->name);
	sc->spi = c->spi;
	sc->dir = c->dir == CFG_SA_IN ? ESP_DIR_IN : ESP_DIR_OUT;
	sc->mode = c->mode == CFG_SA_TUNNEL ? ESP_MODE_TUNNEL : ESP_MODE_TRANSPORT;
	sc->src = c->src;
	sc->dst = c->dst;
	static_ts(&c->ts, &sc->ts);
	sc->replay_window = c->replay_window;
	sc->esn = c->esn;
	sc->udp_encap = c->udp_encap;
	sc->encap_sport = c->encap_sport;
	sc->encap_dport = c->encap_dport;
	sc->df = df_of(c->df);
	sc->soft_bytes = c->soft_bytes;
	sc->hard_bytes = c->hard_bytes;
	sc->soft_packets = c->soft_packets;
	sc->hard_packets = c->hard_packets;
	sc->owner = c->worker >= 0 ? c->worker
		  : c->worker == CFG_SA_WORKER_ANY ? ESP_SA_SHARED : owner;
	return static_algo(c, &sc->algo);
}

/* ---- negotiated Child SAs -> the data plane ---- */

static int child_algo(const struct ike_child_info *ci, bool in, struct esp_algo *a)
{
	const uint8_t *encr = in ? ci->ci_encr_in : ci->ci_encr_out;

	memset(a, 0, sizeof(*a));
	switch (ci->ci_encr) {
	case IKE_ENCR_AES_GCM_16: a->enc = ESP_ENC_AES_GCM16; break;
	case IKE_ENCR_AES_CBC: a->enc = ESP_ENC_AES_CBC; break;
	case IKE_ENCR_CHACHA20_POLY1305: a->enc = ESP_ENC_CHACHA20_POLY1305; break;
	case IKE_ENCR_NULL: a->enc = ESP_ENC_NULL; break;
	default: return -ENOTSUP;
	}
	switch (ci->ci_integ) {
	case IKE_AUTH_NONE: a->integ = ESP_INTEG_NONE; break;
	case IKE_AUTH_HMAC_SHA1_96: a->integ = ESP_INTEG_HMAC_SHA1_96; break;
	case IKE_AUTH_HMAC_SHA2_256_128: a->integ = ESP_INTEG_HMAC_SHA256_128; break;
	case IKE_AUTH_HMAC_SHA2_384_192: a->integ = ESP_INTEG_HMAC_SHA384_192; break;
	case IKE_AUTH_HMAC_SHA2_512_256: a->integ = ESP_INTEG_HMAC_SHA512_256; break;
	default: return -ENOTSUP;
	}
	/* KEYMAT: the key, then the salt for the AEAD ciphers (RFC 4106 §8.1). */
	a->enc_key_len = (uint8_t)(a->enc == ESP_ENC_AES_GCM16 ||
				   a->enc == ESP_ENC_CHACHA20_POLY1305 ?
				   ci->ci_encr_len - ESP_SALT_LEN : ci->ci_encr_len);
	memcpy(a->enc_key, encr, a->enc_key_len);
	if (a->enc_key_len < ci->ci_encr_len)
		memcpy(a->salt, encr + a->enc_key_len, ESP_SALT_LEN);
	a->integ_key_len = ci->ci_integ_len;
	memcpy(a->integ_key, in ? ci->ci_integ_in : ci->ci_integ_out, ci->ci_integ_len);
	return esp_algo_check(a);
}

/* An IKE selector as a prefix: the data plane matches prefixes. */
static bool ts_prefix(const struct ike_selector *t, struct ip_prefix *p)
{
	size_t n = t->ts_type == IKE_SEL_IPV4 ? 4 : 16;
	unsigned len = 0;
	struct ip_addr a = { .family = n == 4 ? AF_INET : AF_INET6 };

	memcpy(a.bytes, t->ts_start, n);
	memset(p, 0, sizeof(*p));
	p->addr = a;
	for (size_t i = 0; i < n; i++) {
		uint8_t diff = (uint8_t)(t->ts_start[i] ^ t->ts_end[i]);
		if (!diff) {
			len += 8;
			continue;
		}
		while (!(diff & 0x80)) {
			diff = (uint8_t)(diff << 1);
			len++;
		}
		break;
	}
	p->len = (uint8_t)len;
	/* Exactly a prefix: start has zeros and end ones below len. */
	struct ip_prefix net = ip_prefix_network(p);
	return ip_addr_equal(&net.addr, &p->addr);
}

/* Only what one prefix pair says: the first selector of each side. */
static int child_ts(const struct ike_selectors *src, const struct ike_selectors *dst,
		    struct esp_ts *ts)
{
	if (!src->ts_n || !dst->ts_n || !ts_prefix(&src->ts[0], &ts->src) ||
	    !ts_prefix(&dst->ts[0], &ts->dst))
		return -ENOTSUP;
	ts->proto = src->ts[0].ts_proto;
	ts->sport_lo = src->ts[0].ts_sport;
	ts->sport_hi = src->ts[0].ts_eport;
	ts->dport_lo = dst->ts[0].ts_sport;
	ts->dport_hi = dst->ts[0].ts_eport;
	return 0;
}

/* A transport-mode selector of one host, moved to the address a NAT
 * gave it: the data plane sees the packets with the outer addresses
 * (RFC 3948 §3.1.2; RFC 7296 §2.23.1 does the same for IKEv2). */
static void host_to_outer(struct ip_prefix *p, const struct ip_addr *outer)
{
	if (p->addr.family == outer->family && p->len == 8 * ip_addr_len(outer))
		p->addr = *outer;
}

/* UDP-encapsulated transport mode: selectors of the outer addresses,
 * and inbound, the peer's NAT-OA for its checksums' fix-up. */
static void transport_through_nat(const struct ike_child_info *ci, bool in,
				  struct esp_sa_conf *c)
{
	host_to_outer(&c->ts.src, &c->src);
	host_to_outer(&c->ts.dst, &c->dst);
	if (in) {
		c->orig_src = ci->ci_peer_oa;
		c->orig_dst = ci->ci_local_oa;
	}
}

int settings_child_sa(const struct ike_child_info *ci, bool in, int owner,
		      struct esp_sa_conf *c)
{
	const struct ike_endpoint *from = in ? &ci->ci_remote : &ci->ci_local;
	const struct ike_endpoint *to = in ? &ci->ci_local : &ci->ci_remote;
	int rc;

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%.15s/%.15s", ci->ci_conn, ci->ci_child);
	c->spi = in ? ci->ci_spi_in : ci->ci_spi_out;
	c->dir = in ? ESP_DIR_IN : ESP_DIR_OUT;
	c->mode = ci->ci_transport ? ESP_MODE_TRANSPORT : ESP_MODE_TUNNEL;
	c->src = from->ep_addr;
	c->dst = to->ep_addr;
	rc = in ? child_ts(ci->ci_ts_remote, ci->ci_ts_local, &c->ts)
		: child_ts(ci->ci_ts_local, ci->ci_ts_remote, &c->ts);
	if (rc != 0)
		return rc;
	c->replay_window = in ? CHILD_REPLAY_WINDOW : 0;
	c->esn = ci->ci_esn;
	c->udp_encap = ci->ci_encap;
	c->encap_sport = from->ep_port;
	c->encap_dport = to->ep_port;
	if (ci->ci_transport && ci->ci_encap)
		transport_through_nat(ci, in, c);
	c->owner = owner;
	c->soft_bytes = ci->ci_rekey_bytes;
	c->hard_bytes = ci->ci_life_bytes;
	c->soft_packets = ci->ci_rekey_packets;
	c->hard_packets = ci->ci_life_packets;
	return child_algo(ci, in, &c->algo);
}
