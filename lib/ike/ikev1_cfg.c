/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv1 remote access, gateway side: the transaction exchanges
 * (exchange type 6, draft-dukes-ike-mode-cfg-02 §3) after main or
 * aggressive mode. With "remote_auth": "xauth" the gateway asks for a
 * generic user name and password (draft-beaulieu-ike-xauth-02 §4.1:
 * REQUEST/REPLY, then SET/ACK with XAUTH_STATUS), checked against the
 * engine's EAP users; a wrong one gets STATUS=fail and the SA goes.
 * With pools, Mode Config gives the client an address from them: the
 * client's REQUEST answered with a REPLY (pull), or our SET acknowledged
 * (push); DNS servers, netmask and split-include subnets (also as Cisco
 * Unity's UNITY_SPLIT_INCLUDE) where the pool has them. What is asked
 * and not configured is left out of the reply. Every message: HDR*,
 * HASH, ATTR with HASH = prf(SKEYID_a, M-ID | ATTR) (mode-cfg §3.1), an
 * IV chain per message ID as for quick mode (RFC 2409 App. B).
 */
#include "ikev1.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "byteorder.h"

#define CFG_MSG_CAP 4096
#define CFG_TIMEOUT_MS 60000 /* XAUTH and Mode Config must be done by then */
#define CFG_VAL_MAX 17      /* an IPv6 address and its prefix length */
#define CFG_SPLIT_MAX (IKE_POOL_SPLIT_MAX * IKEV1_UNITY_SPLIT_LEN)

static const char APP_VERSION[] = "espgate";

/* An answer's attributes; values point into vals or split. */
struct cfg_out {
	struct ikev1_cfg_pl o_pl;
	uint8_t o_vals[IKEV1_CFG_ATTRS_MAX][CFG_VAL_MAX];
	uint8_t o_split[CFG_SPLIT_MAX];
	uint8_t o_supported[2 * 16];
};

static void out_tv(struct cfg_out *o, uint16_t type, uint16_t val)
{
	if (o->o_pl.cp_n < IKEV1_CFG_ATTRS_MAX)
		o->o_pl.cp_attr[o->o_pl.cp_n++] = (struct ikev1_attr){
			.a_type = type, .a_tv = true, .a_val = val };
}

/* A TLV whose value the caller keeps alive (NULL, len 0: empty). */
static void out_ref(struct cfg_out *o, uint16_t type, const void *v, uint16_t len)
{
	if (o->o_pl.cp_n < IKEV1_CFG_ATTRS_MAX)
		o->o_pl.cp_attr[o->o_pl.cp_n++] = (struct ikev1_attr){
			.a_type = type, .a_data = v, .a_len = len };
}

static void out_tlv(struct cfg_out *o, uint16_t type, const void *v, uint16_t len)
{
	if (o->o_pl.cp_n == IKEV1_CFG_ATTRS_MAX || len > CFG_VAL_MAX)
		return;
	memcpy(o->o_vals[o->o_pl.cp_n], v, len);
	out_ref(o, type, o->o_vals[o->o_pl.cp_n], len);
}

static uint32_t v4_mask(uint8_t len)
{
	return len ? (uint32_t)(0xffffffffu << (32 - len)) : 0;
}

/* ---- what the client asked ---- */

/* By family (0: IPv4, 1: IPv6), as in ikev2_cp.c. */
struct cfg_asked {
	bool addr[2], mask[2], dns[2], subnet[2];
	bool unity_split, supported, version;
};

static void asked_of(const struct ikev1_cfg_pl *cp, struct cfg_asked *a)
{
	memset(a, 0, sizeof(*a));
	for (unsigned i = 0; i < cp->cp_n; i++) {
		switch (cp->cp_attr[i].a_type) {
		case IKEV1_CA_INTERNAL_IP4_ADDRESS: a->addr[0] = true; break;
		case IKEV1_CA_INTERNAL_IP6_ADDRESS: a->addr[1] = true; break;
		case IKEV1_CA_INTERNAL_IP4_NETMASK: a->mask[0] = true; break;
		case IKEV1_CA_INTERNAL_IP6_NETMASK: a->mask[1] = true; break;
		case IKEV1_CA_INTERNAL_IP4_DNS: a->dns[0] = true; break;
		case IKEV1_CA_INTERNAL_IP6_DNS: a->dns[1] = true; break;
		case IKEV1_CA_INTERNAL_IP4_SUBNET: a->subnet[0] = true; break;
		case IKEV1_CA_INTERNAL_IP6_SUBNET: a->subnet[1] = true; break;
		case IKEV1_CA_UNITY_SPLIT_INCLUDE: a->unity_split = true; break;
		case IKEV1_CA_SUPPORTED_ATTRIBUTES: a->supported = true; break;
		case IKEV1_CA_APPLICATION_VERSION: a->version = true; break;
		default: break; /* not configured here: left out (§3.2) */
		}
	}
}

/* ---- the attributes of a lease ---- */

/* §3.3: an IPv4 address is 4 bytes; an IPv6 one 16 and, as strongSwan
 * sends and reads it, its prefix length. */
static void out_addr(struct cfg_out *o, const struct ip_addr *a, uint8_t plen)
{
	uint8_t v[CFG_VAL_MAX];

	if (a->family == AF_INET) {
		out_tlv(o, IKEV1_CA_INTERNAL_IP4_ADDRESS, a->bytes, 4);
		return;
	}
	memcpy(v, a->bytes, 16);
	v[16] = plen;
	out_tlv(o, IKEV1_CA_INTERNAL_IP6_ADDRESS, v, 17);
}

static void out_mask(struct cfg_out *o, const struct ip_prefix *p)
{
	uint8_t v[16] = { 0 };

	if (p->addr.family == AF_INET) {
		be32_put(v, v4_mask(p->len));
		out_tlv(o, IKEV1_CA_INTERNAL_IP4_NETMASK, v, 4);
		return;
	}
	for (unsigned i = 0; i < 16; i++)
		v[i] = p->len >= 8 * (i + 1) ? 0xff
		       : p->len > 8 * i ? (uint8_t)(0xff << (8 - (p->len - 8 * i))) : 0;
	out_tlv(o, IKEV1_CA_INTERNAL_IP6_NETMASK, v, 16);
}

/* INTERNAL_IP4_SUBNET: address and mask; IPv6: address and length. */
static void out_subnet(struct cfg_out *o, const struct ip_prefix *p)
{
	struct ip_prefix net = ip_prefix_network(p);
	uint8_t v[CFG_VAL_MAX];

	if (p->addr.family == AF_INET) {
		memcpy(v, net.addr.bytes, 4);
		be32_put(v + 4, v4_mask(p->len));
		out_tlv(o, IKEV1_CA_INTERNAL_IP4_SUBNET, v, 8);
		return;
	}
	memcpy(v, net.addr.bytes, 16);
	v[16] = p->len;
	out_tlv(o, IKEV1_CA_INTERNAL_IP6_SUBNET, v, 17);
}

/* UNITY_SPLIT_INCLUDE: the pool's IPv4 split-include subnets, each as
 * address, mask and 6 zero bytes (any protocol and port); left out
 * when there is none. */
static void out_unity_split(struct cfg_out *o, const struct ike_pool_cfg *pc)
{
	size_t n = 0;

	for (unsigned i = 0; i < pc->pc_n_split; i++) {
		struct ip_prefix net = ip_prefix_network(&pc->pc_split[i]);

		if (net.addr.family != AF_INET)
			continue;
		memset(o->o_split + n, 0, IKEV1_UNITY_SPLIT_LEN);
		memcpy(o->o_split + n, net.addr.bytes, 4);
		be32_put(o->o_split + n + 4, v4_mask(net.len));
		n += IKEV1_UNITY_SPLIT_LEN;
	}
	if (n)
		out_ref(o, IKEV1_CA_UNITY_SPLIT_INCLUDE, o->o_split, (uint16_t)n);
}

/* The lease's address and what its pool has of what was asked. */
static void out_lease(struct cfg_out *o, const struct ike_lease *l, const struct cfg_asked *a)
{
	const struct ike_pool_cfg *pc = ike_lease_pool(l);
	int fam = pc->pc_prefix.addr.family == AF_INET6;
	struct ip_addr addr;

	ike_lease_addr(l, &addr);
	out_addr(o, &addr, 128);
	if (a->mask[fam])
		out_mask(o, &pc->pc_prefix);
	for (unsigned i = 0; i < pc->pc_n_dns; i++)
		if (a->dns[pc->pc_dns[i].family == AF_INET6]) {
			const struct ip_addr *d = &pc->pc_dns[i];

			out_tlv(o, d->family == AF_INET ? IKEV1_CA_INTERNAL_IP4_DNS
						       : IKEV1_CA_INTERNAL_IP6_DNS,
				d->bytes, (uint16_t)ip_addr_len(d));
		}
	for (unsigned i = 0; i < pc->pc_n_split; i++)
		if (a->subnet[pc->pc_split[i].addr.family == AF_INET6])
			out_subnet(o, &pc->pc_split[i]);
	if (a->unity_split && !fam)
		out_unity_split(o, pc);
}

/* SUPPORTED_ATTRIBUTES (§3.3): the types this reply can carry. */
static void out_supported(struct cfg_out *o)
{
	static const uint16_t types[] = {
		IKEV1_CA_INTERNAL_IP4_ADDRESS, IKEV1_CA_INTERNAL_IP4_NETMASK,
		IKEV1_CA_INTERNAL_IP4_DNS, IKEV1_CA_INTERNAL_IP6_ADDRESS,
		IKEV1_CA_INTERNAL_IP6_NETMASK, IKEV1_CA_INTERNAL_IP6_DNS,
		IKEV1_CA_INTERNAL_IP4_SUBNET, IKEV1_CA_INTERNAL_IP6_SUBNET,
		IKEV1_CA_SUPPORTED_ATTRIBUTES, IKEV1_CA_APPLICATION_VERSION,
		IKEV1_CA_UNITY_SPLIT_INCLUDE,
	};
	uint8_t *v = o->o_supported;

	for (unsigned i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		be16_put(v + 2 * i, types[i]);
	out_ref(o, IKEV1_CA_SUPPORTED_ATTRIBUTES, v, (uint16_t)(2 * (sizeof(types) / sizeof(types[0]))));
}

/* ---- the client's identity for its lease ---- */

/* XAUTH's user when there was one (the person, not the group PSK's
 * identity many clients share), else the phase 1 identity. */
static void lease_id(const struct ike_sa *sa, struct ike_identity *id)
{
	const struct ikev1_cfg *cf = sa->sa_v1->v1_cfg;
	size_t n = strlen(cf->cf_user);

	if (!cf->cf_xauth_ok || !n) {
		*id = sa->sa_v1->v1_peer_id;
		return;
	}
	memset(id, 0, sizeof(*id));
	id->id_type = IKE_ID_FQDN;
	id->id_len = (uint8_t)n;
	memcpy(id->id_data, cf->cf_user, n);
}

/* The SA's lease of a family, an existing one first (a client that
 * asks again gets the same). */
static const struct ike_lease *lease_of(struct ike_sa *sa, int fam)
{
	struct ike_identity id;

	for (unsigned i = 0; i < sa->sa_n_vip; i++) {
		struct ip_addr a;

		ike_lease_addr(sa->sa_vip[i], &a);
		if ((a.family == AF_INET6) == fam)
			return sa->sa_vip[i];
	}
	lease_id(sa, &id);
	return ike_cp_lease(sa, fam, &id);
}

/* The leases asked for (push: an address of every pool's family) and
 * their attributes; false when an address was wanted and none given. */
static bool out_leases(struct ike_sa *sa, struct cfg_out *o, const struct cfg_asked *a)
{
	bool wanted = false, given = false;

	for (int fam = 0; fam < 2; fam++) {
		const struct ike_lease *l;

		if (!a->addr[fam])
			continue;
		wanted = true;
		l = lease_of(sa, fam);
		if (l) {
			out_lease(o, l, a);
			given = true;
		}
	}
	return !wanted || given;
}

/* ---- sending ---- */

static int cfg_send(struct ike_sa *sa, const struct ikev1_cfg_pl *cp, bool request)
{
	struct ikev1_cfg *cf = sa->sa_v1->v1_cfg;
	struct ike_writer w;
	size_t at;

	ikev1_msg_begin(sa, &w, sa->sa_engine->e_bundle, CFG_MSG_CAP, IKEV1_EXCH_TRANSACTION,
			cf->cf_x.x_msgid, IKEV1_F_ENCRYPTION);
	at = ikev1_hash_reserve(sa, &w);
	ikev1_w_cfg(&w, cp);
	ikev1_hash_fill(sa, &w, at, cf->cf_x.x_msgid, NULL, 0);
	return ikev1_msg_send(sa, &w, &cf->cf_x, request);
}

/* A new exchange of ours: message ID, its IV (App. B), an identifier. */
static int request_send(struct ike_sa *sa, struct ikev1_cfg_pl *cp, enum ikev1_cfg_step next)
{
	struct ikev1_sa_state *v1 = sa->sa_v1;
	struct ikev1_cfg *cf = v1->v1_cfg;
	uint32_t msgid = ikev1_new_msgid(sa);
	int rc;

	if (!msgid || ikev1_iv_phase2(sa->sa_alg.ch_prf, v1->v1_p1_last, v1->v1_block, msgid,
				      cf->cf_x.x_iv) != 0 ||
	    ike_random((uint8_t *)&cf->cf_id, sizeof(cf->cf_id)) != 0)
		return -EIO;
	cf->cf_x.x_msgid = msgid;
	cp->cp_id = cf->cf_id;
	rc = cfg_send(sa, cp, true);
	if (rc == 0)
		cf->cf_step = next;
	return rc;
}

static int xauth_request(struct ike_sa *sa)
{
	struct cfg_out *o = &(struct cfg_out){ .o_pl.cp_type = IKEV1_CFG_REQUEST };

	/* §4.1: the attributes the server wants filled, empty */
	out_tv(o, IKEV1_CA_XAUTH_TYPE, IKEV1_XAUTH_TYPE_GENERIC);
	out_ref(o, IKEV1_CA_XAUTH_USER_NAME, NULL, 0);
	out_ref(o, IKEV1_CA_XAUTH_USER_PASSWORD, NULL, 0);
	return request_send(sa, &o->o_pl, IKEV1_CFG_S_XAUTH_REQ);
}

/* Push: our SET with an address of each pool's family. */
static int push_set(struct ike_sa *sa)
{
	struct cfg_out *o = &(struct cfg_out){ .o_pl.cp_type = IKEV1_CFG_SET };
	struct cfg_asked a = { .mask = { true, true }, .dns = { true, true } };
	const struct ike_conn_cfg *c = sa->sa_conn;

	for (unsigned i = 0; i < c->c_n_pools; i++) {
		const struct ike_pool_cfg *pc = ike_pool_find(sa->sa_engine, c->c_pools[i]);

		if (pc)
			a.addr[pc->pc_prefix.addr.family == AF_INET6] = true;
	}
	if (!out_leases(sa, o, &a) || !sa->sa_n_vip)
		return -EADDRNOTAVAIL;
	return request_send(sa, &o->o_pl, IKEV1_CFG_S_PUSH);
}

/* XAUTH done (or not configured): Mode Config's turn. */
static int after_auth(struct ike_sa *sa)
{
	struct ikev1_cfg *cf = sa->sa_v1->v1_cfg;
	int rc;

	cf->cf_step = IKEV1_CFG_S_OPEN;
	if (!sa->sa_conn->c_n_pools || !sa->sa_conn->c_modecfg_push)
		return 0; /* the client pulls, if it wants an address */
	rc = push_set(sa);
	if (rc)
		ike_log_sa_info(sa, "Mode Config push: no address to give: the SA goes");
	return rc;
}

/* ---- starting ---- */

static bool cfg_wanted(const struct ike_sa *sa)
{
	const struct ike_conn_cfg *c = sa->sa_conn;

	return !sa->sa_initiator && c &&
	       (c->c_remote_auth == IKE_REMOTE_AUTH_XAUTH || c->c_n_pools);
}

void ikev1_cfg_start(struct ike_sa *sa)
{
	struct ikev1_sa_state *v1 = sa->sa_v1;
	int rc;

	if (!cfg_wanted(sa) || v1->v1_cfg)
		return;
	v1->v1_cfg = calloc(1, sizeof(*v1->v1_cfg));
	if (!v1->v1_cfg) {
		ike_sa_kill(sa, "out of memory");
		return;
	}
	v1->v1_cfg->cf_started_ms = sa->sa_engine->e_now;
	rc = sa->sa_conn->c_remote_auth == IKE_REMOTE_AUTH_XAUTH ? xauth_request(sa)
								 : after_auth(sa);
	if (rc)
		ike_sa_kill(sa, "XAUTH / Mode Config could not start");
}

void ikev1_cfg_free(struct ikev1_cfg *cf)
{
	if (!cf)
		return;
	ikev1_xchg_clear(&cf->cf_x);
	OPENSSL_cleanse(cf, sizeof(*cf));
	free(cf);
}

struct ikev1_xchg *ikev1_cfg_xchg(const struct ike_sa *sa, uint32_t msgid)
{
	struct ikev1_cfg *cf = sa->sa_v1 ? sa->sa_v1->v1_cfg : NULL;

	return cf && cf->cf_x.x_msgid == msgid ? &cf->cf_x : NULL;
}

bool ikev1_cfg_expired(const struct ike_sa *sa, uint64_t now)
{
	const struct ikev1_cfg *cf = sa->sa_v1->v1_cfg;

	return cf && cf->cf_step != IKEV1_CFG_S_OPEN && now >= cf->cf_started_ms + CFG_TIMEOUT_MS;
}

uint64_t ikev1_cfg_due(const struct ike_sa *sa)
{
	const struct ikev1_cfg *cf = sa->sa_v1->v1_cfg;

	if (!cf || cf->cf_step == IKEV1_CFG_S_OPEN)
		return 0;
	if (cf->cf_x.x_waiting && cf->cf_x.x_next_ms < cf->cf_started_ms + CFG_TIMEOUT_MS)
		return cf->cf_x.x_next_ms;
	return cf->cf_started_ms + CFG_TIMEOUT_MS;
}

/* ---- XAUTH ---- */

/* Why a user name and password do not pass (NULL: they do). */
static const char *xauth_check(const struct ike_engine *e, const struct ikev1_attr *user,
			       const struct ikev1_attr *pw, char name[IKE_EAP_USER_MAX + 1])
{
	if (!user || !pw || user->a_tv || pw->a_tv || !user->a_len)
		return "no user name or password in the reply";
	if (user->a_len > IKE_EAP_USER_MAX)
		return "a user name no user has";
	for (uint16_t i = 0; i < user->a_len; i++)
		if (user->a_data[i] < 0x20 || user->a_data[i] == 0x7f)
			return "a user name with control characters"; /* not logged */
	memcpy(name, user->a_data, user->a_len);
	name[user->a_len] = 0;
	for (unsigned i = 0; i < e->e_n_eap_users; i++) {
		const struct ike_eap_user *u = &e->e_eap_users[i];

		if (strcmp(u->eu_name, name) != 0)
			continue;
		if (u->eu_password_len == pw->a_len &&
		    CRYPTO_memcmp(u->eu_password, pw->a_data, pw->a_len) == 0)
			return NULL;
		return "wrong password";
	}
	return "no such user";
}

static int xauth_reply(struct ike_sa *sa, const struct ikev1_cfg_pl *cp)
{
	struct ikev1_cfg *cf = sa->sa_v1->v1_cfg;
	struct cfg_out *o = &(struct cfg_out){ .o_pl.cp_type = IKEV1_CFG_SET };
	char name[IKE_EAP_USER_MAX + 1] = "";
	const char *why;

	/* the identifier is not checked: strongSwan's xauth-generic replies
	 * with 0; the message ID and HASH tie the reply to our request */
	why = xauth_check(sa->sa_engine, ikev1_cfg_find(cp, IKEV1_CA_XAUTH_USER_NAME),
			  ikev1_cfg_find(cp, IKEV1_CA_XAUTH_USER_PASSWORD), name);
	if (why) {
		ike_log_sa_info(sa, "XAUTH for user \"%s\" refused: %s: STATUS fail, the SA goes",
				name, why);
	} else {
		memcpy(cf->cf_user, name, sizeof(cf->cf_user));
		ike_log(sa->sa_engine, "IKE SA %u: XAUTH user \"%s\" authenticated", sa->sa_id, name);
	}
	OPENSSL_cleanse(name, sizeof(name));
	out_tv(o, IKEV1_CA_XAUTH_STATUS, why ? IKEV1_XAUTH_STATUS_FAIL : IKEV1_XAUTH_STATUS_OK);
	return request_send(sa, &o->o_pl, why ? IKEV1_CFG_S_FAILED : IKEV1_CFG_S_XAUTH_SET);
}

/* The ACK of our SET (§4.1), by its message ID as the reply. */
static int take_ack(struct ike_sa *sa)
{
	struct ikev1_cfg *cf = sa->sa_v1->v1_cfg;

	cf->cf_x.x_waiting = false;
	switch (cf->cf_step) {
	case IKEV1_CFG_S_XAUTH_SET:
		cf->cf_xauth_ok = true;
		if (after_auth(sa) != 0)
			ikev1_delete_start(sa); /* push had no address to give */
		return 0;
	case IKEV1_CFG_S_FAILED:
		ikev1_delete_start(sa);
		return 0;
	case IKEV1_CFG_S_PUSH:
		cf->cf_step = IKEV1_CFG_S_OPEN;
		ike_log(sa->sa_engine, "IKE SA %u: Mode Config address pushed and acknowledged",
			sa->sa_id);
		return 0;
	default:
		return -EINVAL;
	}
}

/* ---- Mode Config pull ---- */

/* The client's REQUEST (a new message ID): our REPLY, kept to answer a
 * repeat. The address and what its pool has of what was asked; the
 * rest (UNITY_BANNER, UNITY_DEF_DOMAIN, ... not configured) left out. */
static int pull_reply(struct ike_sa *sa, uint32_t msgid, const struct ikev1_cfg_pl *cp,
		      const uint8_t *iv_next)
{
	struct ikev1_cfg *cf = sa->sa_v1->v1_cfg;
	struct cfg_out *o = &(struct cfg_out){ .o_pl.cp_type = IKEV1_CFG_REPLY };
	struct cfg_asked a;

	if (cf->cf_step != IKEV1_CFG_S_OPEN) {
		ike_log_sa_info(sa, "Mode Config request before XAUTH succeeded: dropped");
		return -EPERM;
	}
	asked_of(cp, &a);
	if (!out_leases(sa, o, &a))
		ike_log_sa_info(sa, "Mode Config: no address for the client (see above): "
				"the reply has none");
	if (a.version)
		out_ref(o, IKEV1_CA_APPLICATION_VERSION, APP_VERSION, sizeof(APP_VERSION) - 1);
	if (a.supported)
		out_supported(o);
	o->o_pl.cp_id = cp->cp_id;
	cf->cf_x.x_msgid = msgid;
	memcpy(cf->cf_x.x_iv, iv_next, sa->sa_v1->v1_block);
	return cfg_send(sa, &o->o_pl, false);
}

/* ---- input ---- */

static int take(struct ike_sa *sa, uint32_t msgid, const struct ikev1_cfg_pl *cp,
		const uint8_t *iv_next)
{
	struct ikev1_cfg *cf = sa->sa_v1->v1_cfg;
	bool ours = cf->cf_x.x_msgid == msgid && cf->cf_x.x_waiting;

	switch (cp->cp_type) {
	case IKEV1_CFG_REPLY:
		return ours && cf->cf_step == IKEV1_CFG_S_XAUTH_REQ ? xauth_reply(sa, cp) : -EINVAL;
	case IKEV1_CFG_ACK:
		return ours ? take_ack(sa) : -EINVAL;
	case IKEV1_CFG_REQUEST:
		return ours ? -EINVAL : pull_reply(sa, msgid, cp, iv_next);
	default:
		return -EINVAL; /* a client's SET: nothing for it to set */
	}
}

int ikev1_cfg_input(struct ike_sa *sa, uint32_t msgid, const uint8_t *plain, size_t plain_len,
		    const struct ikev1_chain *ch, const uint8_t *iv_next)
{
	const struct ikev1_payload *p = ch->c_n > 1 ? &ch->c_pl[1] : NULL;
	struct ikev1_cfg_pl *cp = &(struct ikev1_cfg_pl){ 0 };

	if (!ikev1_hash_ok(sa, msgid, NULL, 0, plain, plain_len, ch))
		return -EACCES;
	if (!p || p->pl_type != IKEV1_PL_ATTR || ikev1_cfg_decode(p->pl_body, p->pl_len, cp) != 0)
		return -EINVAL;
	if (!sa->sa_v1->v1_cfg) {
		ike_log_sa_info(sa, "a transaction exchange (XAUTH / Mode Config) on a connection "
				"with neither \"remote_auth\": \"xauth\" nor pools: dropped");
		return -EPERM;
	}
	return take(sa, msgid, cp, iv_next);
}

/* ---- quick mode ---- */

const char *ikev1_cfg_qm_refusal(struct ike_sa *sa, struct ike_selectors *peer,
				 struct ike_selectors *local)
{
	const struct ike_conn_cfg *c = sa->sa_conn;
	const struct ikev1_cfg *cf = sa->sa_v1->v1_cfg;

	if (sa->sa_initiator || !c)
		return NULL;
	if (c->c_remote_auth == IKE_REMOTE_AUTH_XAUTH && !(cf && cf->cf_xauth_ok))
		return "XAUTH has not succeeded";
	if (!c->c_n_pools)
		return NULL;
	ike_cp_narrow(sa, peer); /* the client's side is its Mode Config address */
	if (!peer->ts_n)
		return "the client's proxy ID is not its Mode Config address";
	/* a Unity client proposes 0.0.0.0/0 for our side and takes what the
	 * gateway narrows it to, as Cisco's do */
	if (!ike_child_cfg_covering(c, local, peer))
		ike_child_cfg_narrow_local(c, local, peer);
	return NULL;
}
