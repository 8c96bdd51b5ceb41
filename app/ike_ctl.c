/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ike on the control lcore: IKE datagrams come from the punt ring
 * (UDP 500, and 4500 behind the non-ESP marker) and leave through the
 * data plane's ports, never a kernel socket; every negotiated Child SA
 * becomes an inbound and an outbound data-plane SA, installed before the
 * old one of a rekey is removed (make-before-break).
 */
#include "espgate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ether.h>

#include "byteorder.h"
#include "esp_crypto.h"
#include "frame.h"
#include "ike.h"
#include "ike_cert.h"
#include "l2l3.h"
#include "sa.h"
#include "settings.h"

#define IKE_CTL_CHILDREN 4096
#define IKE_CTL_SAS 4096
#define IKE_TICK_MS 50
#define IP4_HLEN 20
#define IP6_HLEN 40
#define UDP_HLEN 8
#define NON_ESP_MARKER 4 /* RFC 3948 §2.2: four zero bytes before IKE on 4500 */
#define IKE_TTL 64
/* Shorter IP packets are never taken as IKE (the smallest IKE datagram,
 * a bare header in IPv4 and UDP, has 20 + 8 + 28 bytes). */
#define IKE_MIN_IP 40
#define CFG_MAX_CONNS_CRED 64 /* connections with certificates */
/* A rekeyed Child SA's inbound SA stays this long after the delete: the
 * peer may still have packets on it in flight (strongSwan waits 5 s). */
#define IKE_CTL_LINGER_MS 1000
#define IKE_CTL_LINGER 1024

struct ctl_child {
	bool cc_used;
	uint32_t cc_ike_id;
	uint32_t cc_spi_in, cc_spi_out;
	int cc_sa_in, cc_sa_out;
	char cc_conn[CFG_NAME_MAX], cc_name[CFG_NAME_MAX];
	uint64_t cc_created_ms;
};

struct ctl_ike_sa {
	bool is_used;
	struct ike_sa_info is_info;
	char is_conn[CFG_NAME_MAX];
	uint64_t is_created_ms;
};

struct ike_ctl {
	struct app *ic_app;
	struct ike_engine *ic_engine;
	struct ctl_child ic_child[IKE_CTL_CHILDREN];
	struct ctl_ike_sa ic_sa[IKE_CTL_SAS];
	struct ike_credential *ic_cred[CFG_MAX_CONNS_CRED];
	struct ike_trust *ic_trust[CFG_MAX_CONNS_CRED];
	uint64_t ic_next_tick;
	/* Inbound SAs of replaced Child SAs, oldest first, due in order. */
	struct { uint32_t sa; uint64_t at_ms; } ic_linger[IKE_CTL_LINGER];
	unsigned ic_linger_head, ic_linger_tail;
	unsigned ic_ncert;    /* certificate slots used */
	unsigned ic_owner_rr; /* Child SAs spread over the workers */
};

uint64_t eg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- datagrams out: IP | UDP | [non-ESP marker] | IKE ---- */

/* RFC 768 and RFC 8200 §8.1: over the pseudo-header and the datagram. */
static uint16_t udp_checksum(const struct ip_addr *src, const struct ip_addr *dst,
			     const uint8_t *udp, size_t ulen)
{
	uint8_t pseudo[IP6_HLEN];
	size_t n = ip_addr_len(src), plen;
	uint32_t sum;

	memcpy(pseudo, src->bytes, n);
	memcpy(pseudo + n, dst->bytes, n);
	if (src->family == AF_INET) {
		be16_put(pseudo + 8, IPPROTO_UDP);
		be16_put(pseudo + 10, (uint16_t)ulen);
		plen = 12;
	} else {
		be32_put(pseudo + 32, (uint32_t)ulen);
		be32_put(pseudo + 36, IPPROTO_UDP);
		plen = 40;
	}
	sum = dp_csum_add(dp_csum_add(0, pseudo, plen), udp, ulen);
	sum = (uint16_t)~dp_csum_fold(sum);
	return sum ? (uint16_t)sum : 0xffff;
}

static void send_udp(struct ike_ctl *ic, const struct ike_endpoint *local,
		     const struct ike_endpoint *remote, const uint8_t *buf, size_t len,
		     size_t marker);

static void ev_send(void *ctx, const struct ike_endpoint *local,
		    const struct ike_endpoint *remote, const uint8_t *buf, size_t len)
{
	struct ike_ctl *ic = ctx;

	send_udp(ic, local, remote, buf, len,
		 local->ep_port == ic->ic_app->cfg.ike_natt_port ? NON_ESP_MARKER : 0);
}

/* RFC 3948 §2.3: one 0xFF byte keeps a NAT's mapping. */
static void ev_keepalive(void *ctx, const struct ike_endpoint *local,
			 const struct ike_endpoint *remote)
{
	static const uint8_t ka = 0xff;

	send_udp(ctx, local, remote, &ka, 1, 0);
}

/* The IP header before a UDP datagram of ulen bytes; the header's bytes
 * are zero on entry. */
static void ip_header(uint8_t *pkt, const struct ip_addr *src, const struct ip_addr *dst,
		      size_t ulen)
{
	if (src->family == AF_INET) {
		pkt[0] = 0x45; /* version 4, 5 words */
		be16_put(pkt + 2, (uint16_t)(IP4_HLEN + ulen));
		pkt[8] = IKE_TTL;
		pkt[9] = IPPROTO_UDP;
		memcpy(pkt + 12, src->bytes, 4);
		memcpy(pkt + 16, dst->bytes, 4);
		be16_put(pkt + 10, (uint16_t)~dp_csum_fold(dp_csum_add(0, pkt, IP4_HLEN)));
	} else {
		pkt[0] = 0x60; /* version 6 */
		be16_put(pkt + 4, (uint16_t)ulen);
		pkt[6] = IPPROTO_UDP;
		pkt[7] = IKE_TTL;
		memcpy(pkt + 8, src->bytes, 16);
		memcpy(pkt + 24, dst->bytes, 16);
	}
}

static void send_udp(struct ike_ctl *ic, const struct ike_endpoint *local,
		     const struct ike_endpoint *remote, const uint8_t *buf, size_t len,
		     size_t marker)
{
	static uint8_t pkt[IP6_HLEN + UDP_HLEN + NON_ESP_MARKER + 65535];
	bool v4 = local->ep_addr.family == AF_INET;
	size_t hl = v4 ? IP4_HLEN : IP6_HLEN;
	size_t ulen = UDP_HLEN + marker + len;
	uint8_t *udp = pkt + hl;

	if (ulen + hl > sizeof(pkt) || remote->ep_addr.family != local->ep_addr.family)
		return;
	memset(pkt, 0, hl + UDP_HLEN + marker);
	ip_header(pkt, &local->ep_addr, &remote->ep_addr, ulen);
	be16_put(udp, local->ep_port);
	be16_put(udp + 2, remote->ep_port);
	be16_put(udp + 4, (uint16_t)ulen);
	memcpy(udp + UDP_HLEN + marker, buf, len);
	be16_put(udp + 6, udp_checksum(&local->ep_addr, &remote->ep_addr, udp, ulen));
	control_send_ip(ic->ic_app, pkt, hl + ulen, v4 ? AF_INET : AF_INET6, true);
}

/* ---- datagrams in ---- */

/* The UDP datagram at c: its ports, and *payload what it carries. */
static bool udp_read(struct cursor c, uint16_t *sport, uint16_t *dport,
		     struct cursor *payload)
{
	uint16_t ulen;

	return cursor_be16(&c, sport) && cursor_be16(&c, dport) && cursor_be16(&c, &ulen) &&
	       cursor_skip(&c, 2) /* checksum */ && ulen >= UDP_HLEN &&
	       cursor_sub(&c, ulen - UDP_HLEN, payload);
}

bool ike_ctl_input(struct app *app, const uint8_t *frame, size_t len)
{
	struct ike_ctl *ic = app->ike;
	struct ike_endpoint local = { 0 }, remote = { 0 };
	struct frame_ip ip;
	struct cursor ike;
	uint32_t marker;

	if (!ic || len < DP_ETH_HLEN + IKE_MIN_IP || !frame_ip(frame, len, &ip) ||
	    ip.fi_proto != IPPROTO_UDP ||
	    !udp_read(ip.fi_payload, &remote.ep_port, &local.ep_port, &ike))
		return false;
	if (local.ep_port == app->cfg.ike_natt_port) {
		if (!cursor_be32(&ike, &marker) || marker != 0)
			return false; /* not IKE: no non-ESP marker */
	} else if (local.ep_port != app->cfg.ike_port) {
		return false;
	}
	local.ep_addr = ip.fi_dst;
	remote.ep_addr = ip.fi_src;
	ike_engine_input(ic->ic_engine, &local, &remote, ike.p, ike.left, eg_now_ms());
	return true;
}

/* ---- Child SAs into the data plane ---- */

static struct ctl_child *child_slot(struct ike_ctl *ic, uint32_t ike_id, uint32_t spi_in)
{
	for (unsigned i = 0; i < IKE_CTL_CHILDREN; i++)
		if (ic->ic_child[i].cc_used && ic->ic_child[i].cc_ike_id == ike_id &&
		    ic->ic_child[i].cc_spi_in == spi_in)
			return &ic->ic_child[i];
	return NULL;
}

static void ev_child_up(void *ctx, const struct ike_child_info *ci)
{
	struct ike_ctl *ic = ctx;
	struct app *app = ic->ic_app;
	int owner = (int)(ic->ic_owner_rr % app->dp.n_workers);
	struct ctl_child *cc = NULL;
	struct esp_sa_conf in, out;
	int rc;

	for (unsigned i = 0; i < IKE_CTL_CHILDREN && !cc; i++)
		if (!ic->ic_child[i].cc_used)
			cc = &ic->ic_child[i];
	rc = cc ? settings_child_sa(ci, true, owner, &in) : -ENOSPC;
	if (rc == 0)
		rc = settings_child_sa(ci, false, owner, &out);
	if (rc == 0) {
		ic->ic_owner_rr++;
		cc->cc_sa_in = esp_sa_add(app->dp.sadb, app->engine, &in);
		cc->cc_sa_out = cc->cc_sa_in < 0 ? -1 : esp_sa_add(app->dp.sadb, app->engine, &out);
		rc = cc->cc_sa_out < 0 ? -EINVAL : 0;
		if (rc && cc->cc_sa_in >= 0)
			esp_sa_del(app->dp.sadb, (uint32_t)cc->cc_sa_in);
	}
	explicit_bzero(&in.algo, sizeof(in.algo));
	explicit_bzero(&out.algo, sizeof(out.algo));
	if (rc) {
		EG_LOG(ERR, "Child SA %s of %s (SPI 0x%08x): not installed: %s", ci->ci_child,
		       ci->ci_conn, ci->ci_spi_in, strerror(-rc));
		return;
	}
	*cc = (struct ctl_child){ .cc_used = true, .cc_ike_id = ci->ci_ike_id,
				  .cc_spi_in = ci->ci_spi_in, .cc_spi_out = ci->ci_spi_out,
				  .cc_sa_in = cc->cc_sa_in, .cc_sa_out = cc->cc_sa_out,
				  .cc_created_ms = eg_now_ms() };
	snprintf(cc->cc_conn, sizeof(cc->cc_conn), "%s", ci->ci_conn);
	snprintf(cc->cc_name, sizeof(cc->cc_name), "%s", ci->ci_child);
	EG_LOG(INFO, "Child SA %s of %s installed: SPIs in 0x%08x out 0x%08x%s", ci->ci_child,
	       ci->ci_conn, ci->ci_spi_in, ci->ci_spi_out, ci->ci_encap ? ", UDP-encapsulated" : "");
	traps_child_up(app, ci->ci_conn);
}

void ike_ctl_sa_lifetime(struct app *app, uint32_t sa_id, bool hard)
{
	struct ike_ctl *ic = app->ike;
	int rc;

	for (unsigned i = 0; ic && i < IKE_CTL_CHILDREN; i++) {
		struct ctl_child *cc = &ic->ic_child[i];

		if (!cc->cc_used || (cc->cc_sa_in != (int)sa_id && cc->cc_sa_out != (int)sa_id))
			continue;
		/* Make-before-break: the new Child SA is installed before this
		 * one goes; past the hard limit its traffic waits for it. */
		rc = ike_engine_rekey_child(ic->ic_engine, cc->cc_ike_id, cc->cc_spi_in, eg_now_ms());
		if (rc == 0)
			EG_LOG(INFO, "Child SA %s of %s (SPI 0x%08x): %s volume lifetime, rekeying",
			       cc->cc_name, cc->cc_conn, cc->cc_spi_in, hard ? "hard" : "soft");
		else if (rc != -EALREADY)
			EG_LOG(WARNING, "Child SA %s of %s (SPI 0x%08x): cannot rekey: %s",
			       cc->cc_name, cc->cc_conn, cc->cc_spi_in, strerror(-rc));
		return;
	}
}

static void ev_child_down(void *ctx, const struct ike_child_info *ci)
{
	struct ike_ctl *ic = ctx;
	struct ctl_child *cc = child_slot(ic, ci->ci_ike_id, ci->ci_spi_in);

	if (!cc) {
		/* An IKE SA rekey moved it: find it by SPI alone. */
		for (unsigned i = 0; i < IKE_CTL_CHILDREN && !cc; i++)
			if (ic->ic_child[i].cc_used && ic->ic_child[i].cc_spi_in == ci->ci_spi_in)
				cc = &ic->ic_child[i];
		if (!cc)
			return;
	}
	esp_sa_del(ic->ic_app->dp.sadb, (uint32_t)cc->cc_sa_out);
	if (ci->ci_replaced && ic->ic_linger_head - ic->ic_linger_tail < IKE_CTL_LINGER) {
		unsigned k = ic->ic_linger_head++ % IKE_CTL_LINGER;
		ic->ic_linger[k].sa = (uint32_t)cc->cc_sa_in;
		ic->ic_linger[k].at_ms = eg_now_ms() + IKE_CTL_LINGER_MS;
	} else {
		esp_sa_del(ic->ic_app->dp.sadb, (uint32_t)cc->cc_sa_in);
	}
	EG_LOG(INFO, "Child SA %s of %s removed (SPIs in 0x%08x out 0x%08x)%s", cc->cc_name,
	       cc->cc_conn, cc->cc_spi_in, cc->cc_spi_out,
	       ci->ci_replaced ? "; its inbound SA goes in 1 s" : "");
	cc->cc_used = false;
}

static void ev_ike_up(void *ctx, const struct ike_sa_info *sa)
{
	struct ike_ctl *ic = ctx;

	for (unsigned i = 0; i < IKE_CTL_SAS; i++)
		if (!ic->ic_sa[i].is_used) {
			ic->ic_sa[i] = (struct ctl_ike_sa){ .is_used = true, .is_info = *sa,
							    .is_created_ms = eg_now_ms() };
			snprintf(ic->ic_sa[i].is_conn, sizeof(ic->ic_sa[i].is_conn), "%s", sa->si_conn);
			break;
		}
	/* After an IKE SA rekey its children belong to the new one. */
	EG_LOG(INFO, "IKE SA %u (%s) established", sa->si_id, sa->si_conn);
}

static void ev_ike_down(void *ctx, const struct ike_sa_info *sa)
{
	struct ike_ctl *ic = ctx;

	for (unsigned i = 0; i < IKE_CTL_SAS; i++)
		if (ic->ic_sa[i].is_used && ic->ic_sa[i].is_info.si_id == sa->si_id)
			ic->ic_sa[i].is_used = false;
	EG_LOG(INFO, "IKE SA %u (%s) down: %s", sa->si_id, sa->si_conn,
	       sa->si_reason ? sa->si_reason : "");
}

static void ev_ike_failed(void *ctx, const struct ike_sa_info *sa)
{
	struct ike_ctl *ic = ctx;

	EG_LOG(WARNING, "IKE SA %u (%s) did not come up: %s", sa->si_id, sa->si_conn,
	       sa->si_reason ? sa->si_reason : "");
	traps_failed(ic->ic_app, sa->si_conn);
}

static void ev_log(void *ctx, const char *line)
{
	(void)ctx;
	EG_LOG(DEBUG, "ike: %s", line);
}

/* ---- connections ---- */

/* Certificates: our credential and the CAs, kept for the engine's life. */
static int load_certs(struct ike_ctl *ic, unsigned i, const struct cfg_conn *cc,
		      struct ike_conn_cfg *c)
{
	int rc;

	if (i >= CFG_MAX_CONNS_CRED)
		return -ENOSPC;
	rc = ike_cred_load(cc->cert, cc->key, &ic->ic_cred[i]);
	if (rc == 0)
		rc = ike_trust_load((const char *const *)cc->cacerts, cc->n_cacerts,
				    &ic->ic_trust[i]);
	if (rc != 0) {
		/* The slot stays free for the next connection with certificates. */
		ike_cred_free(ic->ic_cred[i]);
		ike_trust_free(ic->ic_trust[i]);
		ic->ic_cred[i] = NULL;
		ic->ic_trust[i] = NULL;
		return rc;
	}
	c->c_cred = ic->ic_cred[i];
	c->c_trust = ic->ic_trust[i];
	return 0;
}

static const struct cfg_conn *conn_named(const struct cfg *cfg, const char *name)
{
	for (unsigned i = 0; i < cfg->n_conns; i++)
		if (strcmp(cfg->conns[i].name, name) == 0)
			return &cfg->conns[i];
	return NULL;
}

static int add_conn(struct ike_ctl *ic, const struct cfg_conn *cc, unsigned *ncert)
{
	struct ike_conn_cfg *c = calloc(1, sizeof(*c));
	int rc = c ? settings_ike_conn(&ic->ic_app->cfg, cc, c) : -ENOMEM;

	if (rc == 0 && cc->auth == CFG_AUTH_PUBKEY) {
		rc = load_certs(ic, *ncert, cc, c);
		*ncert += rc == 0;
	}
	if (rc == 0)
		rc = ike_engine_add_conn(ic->ic_engine, c);
	if (c)
		explicit_bzero(c, sizeof(*c));
	free(c);
	if (rc == 0 && cc->start == CFG_START_START)
		ike_engine_initiate(ic->ic_engine, cc->name, eg_now_ms());
	return rc;
}

static bool id_same(const struct cfg_id *a, const struct cfg_id *b)
{
	return a->type == b->type && a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

/* Whether a connection reads the same in both configurations: what lib/ike
 * is given from it, certificates by their paths, and the peer's identity
 * as written (lib/ike is given a DN as DER). */
static bool conn_same(const struct ike_ctl *ic, const struct cfg_conn *a, const struct cfg_conn *b)
{
	const struct cfg *cfg = &ic->ic_app->cfg;
	struct ike_conn_cfg ca, cb;
	bool same = settings_ike_conn(cfg, a, &ca) == 0 && settings_ike_conn(cfg, b, &cb) == 0 &&
		    memcmp(&ca, &cb, sizeof(ca)) == 0 && id_same(&a->remote_id, &b->remote_id) &&
		    a->auth == b->auth &&
		    (a->auth != CFG_AUTH_PUBKEY ||
		     (strcmp(a->cert, b->cert) == 0 && strcmp(a->key, b->key) == 0));

	explicit_bzero(&ca, sizeof(ca));
	explicit_bzero(&cb, sizeof(cb));
	return same;
}

/* Connections lib/ike did not take leave the configuration espgate keeps, so
 * that the next reload sees them as new and tries them again. */
static void drop_conns(struct cfg *cfg, const bool *drop)
{
	struct cfg gone = { 0 };
	unsigned n = 0, k = 0, was = cfg->n_conns;

	for (unsigned i = 0; i < was; i++)
		n += drop[i];
	if (!n || !(gone.conns = calloc(n, sizeof(*gone.conns))))
		return;
	for (unsigned i = 0; i < was; i++) {
		if (drop[i])
			gone.conns[gone.n_conns++] = cfg->conns[i];
		else
			cfg->conns[k++] = cfg->conns[i];
	}
	cfg->n_conns = k;
	explicit_bzero(&cfg->conns[k], (was - k) * sizeof(*cfg->conns));
	cfg_free(&gone);
}

/* add_conn, and on failure the reason in *failed (the reply's "failed"). */
static bool try_add(struct ike_ctl *ic, const struct cfg_conn *cc, unsigned *ncert,
		    json_t *failed)
{
	int rc = add_conn(ic, cc, ncert);

	if (rc == 0)
		return true;
	EG_LOG(ERR, "connection %s: not loaded: %s", cc->name, strerror(-rc));
	json_array_append_new(failed, json_pack("{s:s, s:s}", "name", cc->name,
						"error", strerror(-rc)));
	return false;
}

static void swap_conns(struct cfg *a, struct cfg *b)
{
	struct cfg_conn *conns = a->conns;
	unsigned n = a->n_conns;

	a->conns = b->conns;
	a->n_conns = b->n_conns;
	b->conns = conns;
	b->n_conns = n;
}

static json_t *reload_reply(json_t *added, json_t *removed, json_t *changed, json_t *kept,
			    json_t *failed)
{
	EG_LOG(INFO, "reload: %zu added, %zu removed, %zu changed, %zu unchanged connections, "
	       "%zu not loaded", json_array_size(added), json_array_size(removed),
	       json_array_size(changed), json_array_size(kept), json_array_size(failed));
	return json_pack("{s:o, s:o, s:o, s:o, s:o}", "added", added, "removed", removed,
			 "changed", changed, "unchanged", kept, "failed", failed);
}

static int ctl_start(struct app *app, json_t *failed);

/* A connection added or changed that lib/ike does not take is not in the
 * reply's "added" or "changed" but in "failed", and is dropped from the
 * kept configuration (the next reload tries it again). */
json_t *ike_ctl_reload(struct app *app)
{
	static struct cfg fresh;
	json_t *added = json_array(), *removed = json_array(), *changed = json_array();
	json_t *kept = json_array(), *failed = json_array();
	bool drop[CFG_MAX_CONNS] = { false };
	char err[512];
	unsigned ncert;

	memset(&fresh, 0, sizeof(fresh));
	if (cfg_load_file(app->config_path, &fresh, err, sizeof(err)) != 0) {
		json_decref(added), json_decref(removed), json_decref(changed), json_decref(kept);
		json_decref(failed);
		return json_pack("{s:s}", "error", err);
	}
	if (!app->ike) {
		swap_conns(&app->cfg, &fresh);
		cfg_free(&fresh);
		if (ctl_start(app, failed) != 0) {
			json_decref(added), json_decref(removed), json_decref(changed);
			json_decref(kept), json_decref(failed);
			return json_pack("{s:s}", "error", "IKE could not start");
		}
		for (unsigned i = 0; i < app->cfg.n_conns; i++)
			json_array_append_new(added, json_string(app->cfg.conns[i].name));
		return reload_reply(added, removed, changed, kept, failed);
	}
	ncert = app->ike->ic_ncert;
	for (unsigned i = 0; i < app->cfg.n_conns; i++) {
		const struct cfg_conn *old = &app->cfg.conns[i];
		const struct cfg_conn *now = conn_named(&fresh, old->name);

		if (now && conn_same(app->ike, old, now)) {
			json_array_append_new(kept, json_string(old->name));
			continue;
		}
		ike_engine_remove_conn(app->ike->ic_engine, old->name, eg_now_ms());
		if (!now)
			json_array_append_new(removed, json_string(old->name));
		else if (try_add(app->ike, now, &ncert, failed))
			json_array_append_new(changed, json_string(old->name));
		else
			drop[now - fresh.conns] = true;
	}
	for (unsigned i = 0; i < fresh.n_conns; i++) {
		if (conn_named(&app->cfg, fresh.conns[i].name))
			continue;
		if (try_add(app->ike, &fresh.conns[i], &ncert, failed))
			json_array_append_new(added, json_string(fresh.conns[i].name));
		else
			drop[i] = true;
	}
	app->ike->ic_ncert = ncert;
	drop_conns(&fresh, drop);
	swap_conns(&app->cfg, &fresh);
	cfg_free(&fresh);
	if (traps_sync(app) != 0)
		EG_LOG(ERR, "reload: trap policies not installed: out of memory");
	return reload_reply(added, removed, changed, kept, failed);
}

/* lib/ike with the connections of app->cfg; those it does not take are
 * dropped from app->cfg and listed in failed. */
static int ctl_start(struct app *app, json_t *failed)
{
	struct ike_events ev = {
		.ev_send = ev_send, .ev_ike_up = ev_ike_up, .ev_ike_down = ev_ike_down,
		.ev_child_up = ev_child_up, .ev_child_down = ev_child_down, .ev_log = ev_log,
		.ev_keepalive = ev_keepalive, .ev_ike_failed = ev_ike_failed,
	};
	static bool drop[CFG_MAX_CONNS];
	struct ike_ctl *ic;

	if (!app->cfg.n_conns)
		return 0;
	ic = calloc(1, sizeof(*ic));
	if (!ic)
		return -ENOMEM;
	ic->ic_app = app;
	ev.ev_ctx = ic;
	ic->ic_engine = ike_engine_new(&ev);
	if (!ic->ic_engine) {
		free(ic);
		return -ENOMEM;
	}
	app->ike = ic;
	for (unsigned i = 0; i < app->cfg.n_conns; i++)
		drop[i] = !try_add(ic, &app->cfg.conns[i], &ic->ic_ncert, failed);
	drop_conns(&app->cfg, drop);
	if (traps_sync(app) != 0)
		EG_LOG(ERR, "trap policies not installed: out of memory");
	EG_LOG(INFO, "IKE: %u connections, ports %u and %u", app->cfg.n_conns,
	       app->cfg.ike_port, app->cfg.ike_natt_port);
	return 0;
}

int ike_ctl_init(struct app *app)
{
	json_t *failed = json_array();
	int rc = ctl_start(app, failed);

	json_decref(failed);
	return rc;
}

void ike_ctl_fini(struct app *app)
{
	traps_fini(app);
	if (!app->ike)
		return;
	ike_engine_free(app->ike->ic_engine);
	for (unsigned i = 0; i < CFG_MAX_CONNS_CRED; i++) {
		ike_cred_free(app->ike->ic_cred[i]);
		ike_trust_free(app->ike->ic_trust[i]);
	}
	free(app->ike);
	app->ike = NULL;
}

static void linger_expire(struct ike_ctl *ic, uint64_t now)
{
	while (ic->ic_linger_tail != ic->ic_linger_head &&
	       ic->ic_linger[ic->ic_linger_tail % IKE_CTL_LINGER].at_ms <= now)
		esp_sa_del(ic->ic_app->dp.sadb,
			   ic->ic_linger[ic->ic_linger_tail++ % IKE_CTL_LINGER].sa);
}

unsigned ike_ctl_poll(struct app *app)
{
	struct ike_ctl *ic = app->ike;
	uint64_t now;

	if (!ic)
		return 0;
	now = eg_now_ms();
	if (now < ic->ic_next_tick)
		return 0;
	ic->ic_next_tick = now + IKE_TICK_MS;
	ike_engine_tick(ic->ic_engine, now);
	linger_expire(ic, now);
	traps_tick(app, now);
	return 0;
}

int ike_ctl_initiate(struct app *app, const char *conn)
{
	if (!app->ike)
		return -ENOENT;
	return ike_engine_initiate(app->ike->ic_engine, conn, eg_now_ms());
}

/* espgatectl initiate NAME | terminate NAME|ID | rekey ID [child] */
json_t *ike_ctl_command(struct app *app, const char *cmd, const char *arg, bool children)
{
	struct ike_ctl *ic = app->ike;
	char *end;
	unsigned long id = arg ? strtoul(arg, &end, 10) : 0;
	bool numeric = arg && *arg && !*end;
	int rc = -ENOENT, n = 0;

	if (!ic)
		return json_pack("{s:s}", "error", "no IKE connections are configured");
	if (!arg || !*arg)
		return json_pack("{s:s}", "error", "which connection or IKE SA?");
	if (strcmp(cmd, "initiate") == 0) {
		rc = ike_ctl_initiate(app, arg);
		return rc > 0 ? json_pack("{s:s, s:i}", "result", "initiating", "ike_id", rc)
			      : json_pack("{s:s, s:s}", "error", "unknown connection, or no remote address", "conn", arg);
	}
	for (unsigned i = 0; i < IKE_CTL_SAS; i++) {
		const struct ctl_ike_sa *s = &ic->ic_sa[i];

		if (!s->is_used || (numeric ? s->is_info.si_id != id : strcmp(s->is_conn, arg) != 0))
			continue;
		if (strcmp(cmd, "terminate") == 0)
			rc = ike_engine_terminate(ic->ic_engine, s->is_info.si_id, eg_now_ms());
		else
			rc = ike_engine_rekey(ic->ic_engine, s->is_info.si_id, children, eg_now_ms());
		n += rc == 0;
	}
	if (!n)
		return json_pack("{s:s, s:s}", "error", "no such IKE SA", "target", arg);
	return json_pack("{s:s, s:i}", "result", strcmp(cmd, "terminate") == 0 ? "deleting" : "rekeying",
			 "ike_sas", n);
}

json_t *ike_ctl_json(const struct app *app)
{
	const struct ike_ctl *ic = app->ike;
	json_t *sas = json_array(), *children = json_array();
	uint64_t now = eg_now_ms();

	for (unsigned i = 0; ic && i < IKE_CTL_SAS; i++) {
		const struct ctl_ike_sa *s = &ic->ic_sa[i];
		char spi_i[17], spi_r[17], local[IP_ADDR_STRLEN], remote[IP_ADDR_STRLEN];

		if (!s->is_used)
			continue;
		snprintf(spi_i, sizeof(spi_i), "%016llx", (unsigned long long)s->is_info.si_spi_i);
		snprintf(spi_r, sizeof(spi_r), "%016llx", (unsigned long long)s->is_info.si_spi_r);
		ip_addr_format(&s->is_info.si_local.ep_addr, local, sizeof(local));
		ip_addr_format(&s->is_info.si_remote.ep_addr, remote, sizeof(remote));
		json_array_append_new(sas, json_pack(
			"{s:i, s:s, s:s, s:s, s:s, s:b, s:s, s:i, s:s, s:i, s:I}",
			"id", s->is_info.si_id, "conn", s->is_conn, "state", "ESTABLISHED",
			"spi_i", spi_i, "spi_r", spi_r, "initiator", s->is_info.si_initiator,
			"local", local, "local_port", s->is_info.si_local.ep_port,
			"remote", remote, "remote_port", s->is_info.si_remote.ep_port,
			"age_s", (json_int_t)((now - s->is_created_ms) / 1000)));
	}
	for (unsigned i = 0; ic && i < IKE_CTL_CHILDREN; i++) {
		const struct ctl_child *c = &ic->ic_child[i];
		char in[9], out[9];

		if (!c->cc_used)
			continue;
		snprintf(in, sizeof(in), "%08x", c->cc_spi_in);
		snprintf(out, sizeof(out), "%08x", c->cc_spi_out);
		json_array_append_new(children, json_pack(
			"{s:i, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:I}", "ike_id", c->cc_ike_id,
			"conn", c->cc_conn, "child", c->cc_name, "state", "INSTALLED",
			"spi_in", in, "spi_out", out, "sa_in", c->cc_sa_in, "sa_out", c->cc_sa_out,
			"age_s", (json_int_t)((now - c->cc_created_ms) / 1000)));
	}
	return json_pack("{s:o, s:o, s:o}", "ike_sas", sas, "child_sas", children,
			 "traps", traps_json(app));
}
