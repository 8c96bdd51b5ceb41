/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The core's IKE SA records, whatever their version: the tables that
 * find them (by our SPI, by the initiator's SPI for IKE_SA_INIT
 * responders, by id), the timing wheel, half-open accounting, the one
 * function that changes an SA's state, and their end (killed, put on the
 * engine's dead list, freed after the current call).
 */
#include "ike_sa.h"
#include "byteorder.h"
#include "ike_cert.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

/* ---- state: one function changes it, through a table of what may
 * follow what (as OpenBSD iked's sa_state()/sa_stateok()) ---- */

#define S(x) (1u << (x))

static const unsigned allowed_next[IKE_S_COUNT] = {
	[IKE_S_NEW] = S(IKE_S_INIT_SENT) | S(IKE_S_INIT_DONE) | S(IKE_S_ESTABLISHED) |
		      S(IKE_S_DEAD),
	/* again: a retry with a COOKIE or another DH group (§2.6, §1.2) */
	[IKE_S_INIT_SENT] = S(IKE_S_INIT_SENT) | S(IKE_S_AUTH_SENT) | S(IKE_S_DEAD),
	[IKE_S_INIT_DONE] = S(IKE_S_ESTABLISHED) | S(IKE_S_DEAD),
	[IKE_S_AUTH_SENT] = S(IKE_S_ESTABLISHED) | S(IKE_S_DEAD),
	[IKE_S_ESTABLISHED] = S(IKE_S_DELETING) | S(IKE_S_DEAD),
	[IKE_S_DELETING] = S(IKE_S_DEAD),
	[IKE_S_DEAD] = 0,
};

static const char *const state_names[IKE_S_COUNT] = {
	[IKE_S_NEW] = "NEW", [IKE_S_INIT_SENT] = "INIT_SENT", [IKE_S_INIT_DONE] = "INIT_DONE",
	[IKE_S_AUTH_SENT] = "AUTH_SENT", [IKE_S_ESTABLISHED] = "ESTABLISHED",
	[IKE_S_DELETING] = "DELETING", [IKE_S_DEAD] = "DEAD",
};

const char *ike_state_name(enum ike_state s)
{
	return (unsigned)s < IKE_S_COUNT ? state_names[s] : "?";
}

bool ike_sa_state_ok(const struct ike_sa *sa, enum ike_state next)
{
	return (unsigned)next < IKE_S_COUNT && (allowed_next[sa->sa_state] & S(next));
}

int ike_sa_set_state(struct ike_sa *sa, enum ike_state next)
{
	if (!ike_sa_state_ok(sa, next)) {
		sa->sa_engine->e_stats.st_bad_transitions++;
		ike_log(sa->sa_engine, "IKE SA %u: state %s -> %s refused", sa->sa_id,
			ike_state_name(sa->sa_state), ike_state_name(next));
		return -EINVAL;
	}
	if (next == IKE_S_ESTABLISHED && !sa->sa_established_ms)
		sa->sa_established_ms = sa->sa_engine->e_now;
	sa->sa_state = next;
	return 0;
}

#undef S

/* ---- the tables ---- */

static unsigned bucket(const struct ike_engine *e, uint64_t spi)
{
	return (unsigned)((spi * 0x9E3779B97F4A7C15ull) >> 40) & (e->e_buckets - 1);
}

static void table_put(struct ike_engine *e, struct ike_sa *sa, enum ike_table t,
		      uint64_t key);

static void table_del(struct ike_engine *e, struct ike_sa *sa, enum ike_table t)
{
	struct ike_sa_link *l = &sa->sa_link[t];
	struct ike_sa **pp;

	if (!l->l_in)
		return;
	pp = &e->e_table[t][bucket(e, l->l_key)];
	while (*pp && *pp != sa)
		pp = &(*pp)->sa_link[t].l_next;
	if (*pp)
		*pp = l->l_next;
	l->l_next = NULL;
	l->l_in = false;
}

/* Files the SA under key, moving it when it is filed under another. */
static void table_put(struct ike_engine *e, struct ike_sa *sa, enum ike_table t,
		      uint64_t key)
{
	struct ike_sa_link *l = &sa->sa_link[t];
	unsigned b = bucket(e, key);

	table_del(e, sa, t);
	l->l_key = key;
	l->l_next = e->e_table[t][b];
	l->l_in = true;
	e->e_table[t][b] = sa;
}

static struct ike_sa *table_first(const struct ike_engine *e, enum ike_table t, uint64_t key)
{
	return e->e_table[t][bucket(e, key)];
}

struct ike_sa *ike_sa_next(const struct ike_sa *sa, enum ike_table t)
{
	return sa->sa_link[t].l_next;
}

uint64_t ike_sa_my_spi(const struct ike_sa *sa)
{
	return sa->sa_initiator ? sa->sa_spi_i : sa->sa_spi_r;
}

struct ike_sa *ike_sa_find_by_spi(struct ike_engine *e, uint64_t spi)
{
	for (struct ike_sa *sa = table_first(e, IKE_T_SPI, spi); sa; sa = ike_sa_next(sa, IKE_T_SPI))
		if (sa->sa_link[IKE_T_SPI].l_key == spi && sa->sa_state != IKE_S_DEAD)
			return sa;
	return NULL;
}

struct ike_sa *ike_sa_find_half_open(struct ike_engine *e, uint64_t spi_i,
				     const struct ike_endpoint *remote)
{
	for (struct ike_sa *sa = table_first(e, IKE_T_PEER, spi_i); sa;
	     sa = ike_sa_next(sa, IKE_T_PEER))
		if (sa->sa_link[IKE_T_PEER].l_key == spi_i && sa->sa_state != IKE_S_DEAD &&
		    ip_addr_equal(&sa->sa_remote.ep_addr, &remote->ep_addr))
			return sa;
	return NULL;
}

static int spi_from_bytes(uint64_t *spi)
{
	uint8_t b[IKE_SPI_LEN];
	int rc = ike_spi_new(b);

	*spi = be64_get(b);
	return rc;
}

/* ---- the timing wheel: a tick costs what is due, not the number of SAs ---- */

static void wheel_unlink(struct ike_sa *sa)
{
	struct ike_engine *e = sa->sa_engine;

	if (!sa->sa_in_wheel)
		return;
	if (sa->sa_wprev)
		sa->sa_wprev->sa_wnext = sa->sa_wnext;
	else
		e->e_wheel[sa->sa_wslot] = sa->sa_wnext;
	if (sa->sa_wnext)
		sa->sa_wnext->sa_wprev = sa->sa_wprev;
	sa->sa_wnext = sa->sa_wprev = NULL;
	sa->sa_in_wheel = false;
}

static void wheel_put(struct ike_sa *sa, uint64_t due)
{
	struct ike_engine *e = sa->sa_engine;
	struct ike_sa **slot;

	wheel_unlink(sa);
	if (!e->e_wheel_ms) /* the wheel starts turning at the first timer */
		e->e_wheel_ms = e->e_now - e->e_now % IKE_WHEEL_MS;
	sa->sa_due_ms = due;
	/* The first slot processed at or after due; overdue: the next one. */
	due = (due + IKE_WHEEL_MS - 1) / IKE_WHEEL_MS * IKE_WHEEL_MS;
	if (due < e->e_wheel_ms)
		due = e->e_wheel_ms;
	sa->sa_wslot = (unsigned)((due / IKE_WHEEL_MS) % IKE_WHEEL_SLOTS);
	slot = &e->e_wheel[sa->sa_wslot];
	sa->sa_wnext = *slot;
	if (*slot)
		(*slot)->sa_wprev = sa;
	*slot = sa;
	sa->sa_in_wheel = true;
}

void ike_sa_schedule(struct ike_sa *sa)
{
	uint64_t due = 0;

	if (sa->sa_state != IKE_S_DEAD && sa->sa_version == IKE_MAJOR)
		due = ikev2_next_due(sa);
	else if (sa->sa_state != IKE_S_DEAD && sa->sa_version == IKEV1_MAJOR)
		due = ikev1_next_due(sa);

	if (due)
		wheel_put(sa, due);
	else
		wheel_unlink(sa);
}

/* Runs the timers of every SA due by now: a tick costs what is due, not
 * the number of SAs. */
void ike_wheel_run(struct ike_engine *e, uint64_t now_ms)
{
	unsigned slots = 0;

	if (!e->e_wheel_ms)
		e->e_wheel_ms = now_ms - now_ms % IKE_WHEEL_MS;
	while (e->e_wheel_ms <= now_ms && slots++ < IKE_WHEEL_SLOTS) {
		struct ike_sa **slot = &e->e_wheel[(e->e_wheel_ms / IKE_WHEEL_MS) % IKE_WHEEL_SLOTS];
		struct ike_sa *sa = *slot, *next;

		e->e_wheel_ms += IKE_WHEEL_MS;
		/* SAs due in a later turn of the wheel stay; the due are
		 * handled, then put back where their next timer is. */
		for (; sa; sa = next) {
			next = sa->sa_wnext;
			if (sa->sa_due_ms > now_ms)
				continue;
			wheel_unlink(sa);
			e->e_stats.st_timer_runs++;
			if (sa->sa_version == IKE_MAJOR)
				ikev2_tick_sa(sa, now_ms);
			else if (sa->sa_version == IKEV1_MAJOR)
				ikev1_tick_sa(sa, now_ms);
			ike_sa_schedule(sa);
		}
	}
	if (e->e_wheel_ms <= now_ms) /* more than a whole turn behind */
		e->e_wheel_ms = now_ms - now_ms % IKE_WHEEL_MS + IKE_WHEEL_MS;
}

void ike_sa_set_conn(struct ike_sa *sa, const struct ike_conn_cfg *c)
{
	if (sa->sa_conn)
		ike_conn_slot(sa->sa_conn)->cs_sas--;
	sa->sa_conn = c;
	if (c)
		ike_conn_slot(c)->cs_sas++;
}

struct ike_sa *ike_sa_new(struct ike_engine *e, const struct ike_conn_cfg *c,
			  bool initiator, uint64_t now)
{
	struct ike_sa *sa = calloc(1, sizeof(*sa));
	uint64_t spi;

	if (!sa)
		return NULL;
	do {
		if (spi_from_bytes(&spi) != 0) {
			free(sa);
			return NULL;
		}
	} while (ike_sa_find_by_spi(e, spi));
	sa->sa_engine = e;
	sa->sa_id = ++e->e_next_id;
	sa->sa_version = IKE_MAJOR; /* IKEv1 sets its own (ikev1_state_new) */
	sa->sa_initiator = initiator;
	ike_sa_set_conn(sa, c);
	sa->sa_created_ms = sa->sa_last_rx_ms = now;
	sa->sa_setup_stamp = e->e_input_stamp;
	if (initiator)
		sa->sa_spi_i = spi;
	else
		sa->sa_spi_r = spi;
	table_put(e, sa, IKE_T_SPI, spi);
	table_put(e, sa, IKE_T_ID, sa->sa_id);
	e->e_count++;
	wheel_put(sa, now + IKE_WHEEL_MS); /* the first tick finds its real timers */
	return sa;
}

/* An IKE SA rekey's initiator named its new SPI in its proposal. */
void ike_sa_rekey_spi(struct ike_sa *sa, uint64_t spi)
{
	struct ike_engine *e = sa->sa_engine;

	if (sa->sa_initiator)
		sa->sa_spi_i = spi;
	else
		sa->sa_spi_r = spi;
	table_put(e, sa, IKE_T_SPI, spi);
}

/* IKE_SA_INIT responder: the initiator's SPI, so a retransmitted
 * IKE_SA_INIT finds its half-open SA. Only IKE_SA_INIT responders are
 * filed there: the responder's successor in an IKE SA rekey learns the
 * initiator's SPI from a CREATE_CHILD_SA, which is retransmitted inside
 * the old SA, never as an IKE_SA_INIT (RFC 7296 §2.18). */
void ike_sa_set_peer_spi(struct ike_sa *sa, uint64_t spi)
{
	sa->sa_spi_i = spi;
	table_put(sa->sa_engine, sa, IKE_T_PEER, spi);
}

void ike_sa_info(const struct ike_sa *sa, struct ike_sa_info *info)
{
	*info = (struct ike_sa_info){
		.si_conn = sa->sa_conn ? sa->sa_conn->c_name : "",
		.si_id = sa->sa_id, .si_spi_i = sa->sa_spi_i, .si_spi_r = sa->sa_spi_r,
		.si_initiator = sa->sa_initiator, .si_version = sa->sa_version,
		.si_aggressive = sa->sa_v1 && sa->sa_v1->v1_exchange == IKEV1_EXCH_AGGRESSIVE,
		.si_local = sa->sa_local,
		.si_remote = sa->sa_remote,
		.si_vip = sa->sa_my_vip,
	};
}

unsigned ike_src_bucket(const struct ip_addr *a)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < ip_addr_len(a); i++)
		h = (h ^ a->bytes[i]) * 16777619u;
	return h & (IKE_SRC_BUCKETS - 1);
}

void ike_half_open_add(struct ike_sa *sa)
{
	struct ike_engine *e = sa->sa_engine;
	unsigned b = ike_src_bucket(&sa->sa_remote.ep_addr);

	sa->sa_half_open = true;
	e->e_half_open++;
	if (e->e_src_half_open[b] < UINT16_MAX)
		e->e_src_half_open[b]++;
}

void ike_half_open_done(struct ike_sa *sa)
{
	struct ike_engine *e = sa->sa_engine;
	unsigned b = ike_src_bucket(&sa->sa_remote.ep_addr);

	if (!sa->sa_half_open)
		return;
	sa->sa_half_open = false;
	e->e_half_open--;
	if (e->e_src_half_open[b])
		e->e_src_half_open[b]--;
}

void ike_sa_kill(struct ike_sa *sa, const char *reason)
{
	struct ike_engine *e = sa->sa_engine;
	struct ike_sa_info info;
	bool was_up = sa->sa_state == IKE_S_ESTABLISHED || sa->sa_state == IKE_S_DELETING;

	if (sa->sa_state == IKE_S_DEAD)
		return;
	ike_half_open_done(sa);
	for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++)
		if (sa->sa_child[i])
			ike_child_event(sa, sa->sa_child[i], false);
	ike_sa_set_state(sa, IKE_S_DEAD);
	wheel_unlink(sa);
	ike_log(e, "IKE SA %u (%s): down: %s", sa->sa_id,
		sa->sa_conn ? sa->sa_conn->c_name : "-", reason);
	if (was_up && e->e_ev.ev_ike_down) {
		ike_sa_info(sa, &info);
		info.si_reason = reason;
		e->e_ev.ev_ike_down(e->e_ev.ev_ctx, &info);
	} else if (!was_up && sa->sa_initiator && e->e_ev.ev_ike_failed) {
		ike_sa_info(sa, &info);
		info.si_reason = reason;
		e->e_ev.ev_ike_failed(e->e_ev.ev_ctx, &info);
	}
	for (enum ike_table t = 0; t < IKE_T_COUNT; t++)
		table_del(e, sa, t);
	e->e_count--;
	if (!sa->sa_on_dead) {
		sa->sa_on_dead = true;
		sa->sa_dead_next = e->e_dead;
		e->e_dead = sa;
	}
}

unsigned ike_sa_kill_others(struct ike_sa *sa, const char *reason)
{
	struct ike_engine *e = sa->sa_engine;
	unsigned n = 0;

	for (unsigned b = 0; b < e->e_buckets; b++) {
		struct ike_sa *o = e->e_table[IKE_T_ID][b], *next;

		for (; o; o = next) {
			next = ike_sa_next(o, IKE_T_ID);
			/* a rebooted peer's SAs stood before it began this
			 * one; those it sets up beside it are spared */
			if (o == sa || o->sa_conn != sa->sa_conn || o->sa_state == IKE_S_DEAD ||
			    !o->sa_established_ms || o->sa_established_ms >= sa->sa_created_ms ||
			    !ip_addr_equal(&o->sa_remote.ep_addr, &sa->sa_remote.ep_addr))
				continue;
			ike_sa_kill(o, reason);
			n++;
		}
	}
	return n;
}

const char *ike_sa_peer_text(const struct ike_sa *sa)
{
	static char buf[IP_ADDR_STRLEN];

	ip_addr_format(&sa->sa_remote.ep_addr, buf, sizeof(buf));
	return buf;
}

void ike_sa_free(struct ike_sa *sa)
{
	ike_cp_release(sa);
	if (sa->sa_version == IKE_MAJOR)
		ikev2_sa_release(sa);
	ikev1_sa_release(sa);
	ike_dh_free(sa->sa_dh);
	for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++)
		ike_child_release(sa->sa_child[i]);
	ike_sa_trim(sa);
	ike_sa_set_conn(sa, NULL);
	OPENSSL_cleanse(sa, sizeof(*sa));
	free(sa);
}

void ike_engine_reap(struct ike_engine *e)
{
	while (e->e_dead) {
		struct ike_sa *sa = e->e_dead;
		e->e_dead = sa->sa_dead_next;
		ike_sa_free(sa);
	}
}

int ike_nonce_set(uint8_t **slot, size_t *slot_len, const uint8_t *n, size_t len)
{
	free(*slot);
	*slot = ike_dup(n, len);
	*slot_len = *slot ? len : 0;
	return *slot ? 0 : -ENOMEM;
}

void ike_sa_trim(struct ike_sa *sa)
{
	free(sa->sa_ni);
	free(sa->sa_nr);
	sa->sa_ni = sa->sa_nr = NULL;
	sa->sa_ni_len = sa->sa_nr_len = 0;
	if (sa->sa_version == IKE_MAJOR)
		ikev2_sa_trim(sa);
}

uint8_t *ike_dup(const uint8_t *buf, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	if (p)
		memcpy(p, buf, len);
	return p;
}

struct ike_sa *ike_sa_find_by_id(struct ike_engine *e, uint32_t id)
{
	for (struct ike_sa *sa = table_first(e, IKE_T_ID, id); sa; sa = ike_sa_next(sa, IKE_T_ID))
		if (sa->sa_id == id && sa->sa_state != IKE_S_DEAD)
			return sa;
	return NULL;
}

/* Our identity: as configured, else our certificate's subject, else our
 * address (RFC 7296 §3.5; RFC 2407 §4.6.2 for IKEv1). */
struct ike_identity ike_sa_my_identity(const struct ike_sa *sa)
{
	struct ike_identity id = sa->sa_conn->c_local_id;
	size_t len;

	if (id.id_type)
		return id;
	if (sa->sa_conn->c_cred &&
	    ike_cred_id_dn(sa->sa_conn->c_cred, id.id_data, sizeof(id.id_data), &len) == 0) {
		id.id_type = IKE_ID_DER_ASN1_DN;
		id.id_len = (uint8_t)len;
		return id;
	}
	const struct ip_addr *a = &sa->sa_local.ep_addr;
	id.id_type = a->family == AF_INET ? IKE_ID_IPV4_ADDR : IKE_ID_IPV6_ADDR;
	id.id_len = (uint8_t)ip_addr_len(a);
	memcpy(id.id_data, a->bytes, id.id_len);
	return id;
}
