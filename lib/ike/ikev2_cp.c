/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration payload of a responder (RFC 7296 §2.19, §3.15): a
 * client's CFG_REQUEST in IKE_AUTH gets a CFG_REPLY with a virtual
 * address from each pool of its connection whose family it asked for,
 * the pool's DNS servers when asked, and its split-include subnets
 * (INTERNAL_IP4/6_SUBNET, §3.15.2: what the tunnel protects). The Child
 * SAs' remote selectors are narrowed to the addresses given (§2.19: "the
 * responder ... narrows TSi to the assigned address").
 */
#include "ike_sa.h"
#include "byteorder.h"

#include <string.h>

/* What the client asked for, by family (0: IPv4, 1: IPv6). */
struct cp_asked {
	bool addr[2], dns[2];
};

static int fam_index(uint8_t family)
{
	return family == AF_INET6;
}

static void asked_of(const struct ike_pl_cp *cp, struct cp_asked *a)
{
	memset(a, 0, sizeof(*a));
	for (unsigned i = 0; i < cp->cp_n; i++) {
		switch (cp->cp_attr[i].ca_type) {
		case IKE_CA_INTERNAL_IP4_ADDRESS: a->addr[0] = true; break;
		case IKE_CA_INTERNAL_IP6_ADDRESS: a->addr[1] = true; break;
		case IKE_CA_INTERNAL_IP4_DNS: a->dns[0] = true; break;
		case IKE_CA_INTERNAL_IP6_DNS: a->dns[1] = true; break;
		default: break;
		}
	}
}

#define CP_VAL_MAX 17 /* an IPv6 address or subnet and its length (§3.15.1) */

/* The reply's attributes; values point into vals, which outlives it. */
struct cp_reply {
	struct ike_pl_cp cp;
	uint8_t vals[IKE_CP_MAX][CP_VAL_MAX];
};

static void reply_add(struct cp_reply *r, uint16_t type, const uint8_t *v, uint16_t len)
{
	struct ike_cp_attr *a;

	if (r->cp.cp_n == IKE_CP_MAX)
		return;
	a = &r->cp.cp_attr[r->cp.cp_n];
	memcpy(r->vals[r->cp.cp_n], v, len);
	*a = (struct ike_cp_attr){ .ca_type = type, .ca_val = r->vals[r->cp.cp_n], .ca_len = len };
	r->cp.cp_n++;
}

/* §3.15.1: an IPv4 address; an IPv6 one, with its prefix length for an
 * address or subnet (plen_too), alone for a DNS server. */
static void reply_addr(struct cp_reply *r, uint16_t t4, uint16_t t6, const struct ip_addr *a,
		       bool plen_too, uint8_t plen)
{
	uint8_t v[CP_VAL_MAX];

	if (a->family == AF_INET) {
		reply_add(r, t4, a->bytes, 4);
		return;
	}
	memcpy(v, a->bytes, 16);
	v[16] = plen;
	reply_add(r, t6, v, plen_too ? 17 : 16);
}

/* INTERNAL_IP4_SUBNET: address and netmask; IPv6: address, length. */
static void reply_subnet(struct cp_reply *r, const struct ip_prefix *p)
{
	struct ip_prefix net = ip_prefix_network(p);
	uint8_t v[8];

	if (p->addr.family == AF_INET6) {
		reply_addr(r, 0, IKE_CA_INTERNAL_IP6_SUBNET, &net.addr, true, p->len);
		return;
	}
	memcpy(v, net.addr.bytes, 4);
	be32_put(v + 4, p->len ? (uint32_t)(0xffffffffu << (32 - p->len)) : 0);
	reply_add(r, IKE_CA_INTERNAL_IP4_SUBNET, v, 8);
}

/* The address, the DNS servers of the families the client asked DNS
 * for (a server's own family decides), the split-include subnets. */
static void reply_pool(struct cp_reply *r, const struct ike_lease *l, const struct cp_asked *asked)
{
	const struct ike_pool_cfg *pc = ike_lease_pool(l);
	struct ip_addr a;

	ike_lease_addr(l, &a);
	reply_addr(r, IKE_CA_INTERNAL_IP4_ADDRESS, IKE_CA_INTERNAL_IP6_ADDRESS, &a, true, 128);
	for (unsigned i = 0; i < pc->pc_n_dns; i++)
		if (asked->dns[fam_index(pc->pc_dns[i].family)])
			reply_addr(r, IKE_CA_INTERNAL_IP4_DNS, IKE_CA_INTERNAL_IP6_DNS, &pc->pc_dns[i],
				   false, 0);
	for (unsigned i = 0; i < pc->pc_n_split; i++)
		reply_subnet(r, &pc->pc_split[i]);
}

/* The connection's pool of a family, or NULL. */
static const struct ike_pool_cfg *conn_pool(const struct ike_sa *sa, int fam, const char **name)
{
	const struct ike_conn_cfg *c = sa->sa_conn;

	for (unsigned i = 0; i < c->c_n_pools; i++) {
		const struct ike_pool_cfg *pc = ike_pool_find(sa->sa_engine, c->c_pools[i]);

		if (pc && fam_index(pc->pc_prefix.addr.family) == fam) {
			*name = c->c_pools[i];
			return pc;
		}
	}
	return NULL;
}

static bool peer_identity(const struct ike_chain *c, struct ike_identity *id)
{
	const struct ike_payload *p = ike_chain_find(c, IKE_PL_IDI, 0);
	struct ike_pl_id pid;

	if (!p || ike_pl_id_decode(p, &pid) != 0 || pid.id_len > IKE_ID_MAX)
		return false;
	memset(id, 0, sizeof(*id));
	id->id_type = pid.id_type;
	id->id_len = (uint8_t)pid.id_len;
	memcpy(id->id_data, pid.id_data, pid.id_len);
	return true;
}

struct ike_lease *ike_cp_lease(struct ike_sa *sa, int fam, const struct ike_identity *id)
{
	struct ike_engine *e = sa->sa_engine;
	const char *name = NULL;
	struct ike_lease *l;

	if (sa->sa_n_vip == IKE_CONN_POOLS)
		return NULL;
	if (!conn_pool(sa, fam, &name)) {
		ike_log_sa_info(sa, "asked for a virtual %s address; the connection has %s: "
				"INTERNAL_ADDRESS_FAILURE unless another family is given",
				fam ? "IPv6" : "IPv4",
				sa->sa_conn->c_n_pools ? "no pool of that family" : "no pool");
		return NULL;
	}
	l = ike_pool_acquire(e, name, id, &sa->sa_remote.ep_addr, e->e_now);
	if (!l) {
		ike_log_sa_info(sa, "pool %s has no address left (exhausted)", name);
		return NULL;
	}
	sa->sa_vip[sa->sa_n_vip++] = l;
	return l;
}

/* A lease for the family the client asked an address of; false when it
 * could not have one (logged with what is configured). */
static bool lease_family(struct ike_sa *sa, int fam, const struct ike_identity *id,
			 struct cp_reply *r, const struct cp_asked *asked)
{
	struct ike_lease *l = ike_cp_lease(sa, fam, id);

	if (l)
		reply_pool(r, l, asked);
	return l != NULL;
}

uint16_t ike_cp_respond(struct ike_sa *sa, const struct ike_chain *c, struct ike_writer *w)
{
	const struct ike_payload *p = ike_chain_find(c, IKE_PL_CP, 0);
	struct ike_pl_cp cp;
	struct cp_reply r;
	struct ike_identity id;
	struct cp_asked asked;
	bool wanted = false;

	ike_cp_release(sa);
	if (!p || ike_pl_cp_decode(p, &cp) != 0 || cp.cp_type != IKE_CFG_REQUEST) {
		/* §3.10.1: a connection that gives addresses wants one taken */
		if (!sa->sa_conn->c_n_pools)
			return 0;
		ike_log_sa_info(sa, "no CFG_REQUEST for the connection's pools: FAILED_CP_REQUIRED");
		return IKE_N_FAILED_CP_REQUIRED;
	}
	asked_of(&cp, &asked);
	memset(&r, 0, sizeof(r));
	r.cp.cp_type = IKE_CFG_REPLY;
	for (int fam = 0; fam < 2; fam++) {
		if (!asked.addr[fam])
			continue;
		wanted = true;
		if (fam == 0 && sa->sa_framed_ip.family == AF_INET) /* RADIUS's, no lease */
			reply_addr(&r, IKE_CA_INTERNAL_IP4_ADDRESS, 0, &sa->sa_framed_ip, true, 32);
		else if (peer_identity(c, &id))
			lease_family(sa, fam, &id, &r, &asked);
	}
	if (wanted && !sa->sa_n_vip && !sa->sa_framed_ip.family)
		return IKE_N_INTERNAL_ADDRESS_FAILURE;
	if (r.cp.cp_n)
		ike_pl_cp_encode(w, &r.cp);
	return 0;
}

/* Whether the selector's range holds the address. */
static bool ts_holds(const struct ike_selector *t, const struct ip_addr *a)
{
	size_t n = ip_addr_len(a);

	return (t->ts_type == IKE_SEL_IPV4) == (a->family == AF_INET) &&
	       memcmp(t->ts_start, a->bytes, n) <= 0 && memcmp(a->bytes, t->ts_end, n) <= 0;
}

void ike_cp_narrow(const struct ike_sa *sa, struct ike_selectors *peer)
{
	struct ike_selectors out = { 0 };

	/* A connection with pools: the peer's side is its addresses, none
	 * when it has none (TS_UNACCEPTABLE), never the pool's range. */
	if (!sa->sa_n_vip && !sa->sa_framed_ip.family && !(sa->sa_conn && sa->sa_conn->c_n_pools))
		return;
	for (unsigned i = 0; i < peer->ts_n; i++)
		for (unsigned k = 0; k <= sa->sa_n_vip && out.ts_n < IKE_TS_MAX; k++) {
			struct ip_addr a = sa->sa_framed_ip;

			if (k < sa->sa_n_vip)
				ike_lease_addr(sa->sa_vip[k], &a);
			else if (!a.family)
				continue;
			if (!ts_holds(&peer->ts[i], &a))
				continue;
			out.ts[out.ts_n] = peer->ts[i];
			memcpy(out.ts[out.ts_n].ts_start, a.bytes, ip_addr_len(&a));
			memcpy(out.ts[out.ts_n].ts_end, a.bytes, ip_addr_len(&a));
			out.ts_n++;
		}
	*peer = out;
}

void ike_cp_release(struct ike_sa *sa)
{
	for (unsigned i = 0; i < sa->sa_n_vip; i++)
		ike_pool_release(sa->sa_vip[i], sa->sa_engine->e_now);
	memset(sa->sa_vip, 0, sizeof(sa->sa_vip));
	sa->sa_n_vip = 0;
}

/* ---- the initiator's side ---- */

/* §3.15.1: an empty INTERNAL_IP4_ADDRESS asks for any address. */
void ike_cp_request(struct ike_writer *w)
{
	struct ike_pl_cp cp = { .cp_type = IKE_CFG_REQUEST, .cp_n = 1,
				.cp_attr = { { .ca_type = IKE_CA_INTERNAL_IP4_ADDRESS } } };

	ike_pl_cp_encode(w, &cp);
}

void ike_cp_take_reply(struct ike_sa *sa, const struct ike_chain *c)
{
	const struct ike_payload *p = ike_chain_find(c, IKE_PL_CP, 0);
	struct ike_pl_cp cp;

	if (!p || ike_pl_cp_decode(p, &cp) != 0 || cp.cp_type != IKE_CFG_REPLY)
		return;
	for (unsigned i = 0; i < cp.cp_n; i++)
		if (cp.cp_attr[i].ca_type == IKE_CA_INTERNAL_IP4_ADDRESS &&
		    cp.cp_attr[i].ca_len == 4) {
			memset(&sa->sa_my_vip, 0, sizeof(sa->sa_my_vip));
			sa->sa_my_vip.family = AF_INET;
			memcpy(sa->sa_my_vip.bytes, cp.cp_attr[i].ca_val, 4);
			return;
		}
}
