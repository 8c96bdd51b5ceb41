/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The engine, whatever the version: its log ring, the dispatch of each
 * datagram on its version byte, the clock, the connection registry and
 * the API the caller drives (ike.h). The SA records are in ike_sa.c,
 * IKEv2's messages in ikev2_io.c and its exchanges in ikev2_*.c.
 */
#include "ike_sa.h"
#include "ike_mschapv2.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cursor.h"

/* Formats into the ring; the caller's ev_log sees the line at the next
 * flush, outside the exchange. A full ring drops the line, counted. */
static void ring_put(struct ike_engine *e, enum ike_log_level level,
		     const struct ike_log_fields *f, const char *prefix, const char *fmt,
		     va_list ap)
{
	unsigned slot = e->e_log_head % IKE_LOG_RING;
	int n = snprintf(e->e_log[slot], IKE_LOG_LINE, "%s", prefix);

	vsnprintf(e->e_log[slot] + n, IKE_LOG_LINE - (size_t)n, fmt, ap);
	e->e_log_level[slot] = (uint8_t)level;
	if (f)
		e->e_log_fields[slot] = *f;
	else
		memset(&e->e_log_fields[slot], 0, sizeof(e->e_log_fields[slot]));
	e->e_log_head++;
}

static void ring_printf(struct ike_engine *e, enum ike_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void ring_printf(struct ike_engine *e, enum ike_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ring_put(e, level, NULL, "", fmt, ap);
	va_end(ap);
}

/* One suppressed refusal, counted (st_log_rate_limited) and summed up in
 * one line once its second is over. */
static bool info_suppress(struct ike_engine *e)
{
	e->e_info_suppressed++;
	e->e_stats.st_log_rate_limited++;
	return false;
}

/* Refusals come from the network: at most IKE_LOG_INFO_PER_PEER_S info
 * lines a second from one peer (peers sharing a hash bucket share it)
 * and IKE_LOG_INFO_PER_S from all. peer NULL: an engine-wide line, under
 * the global limit only. False: this one is not logged. */
static bool info_allowed(struct ike_engine *e, const struct ip_addr *peer)
{
	uint64_t second = e->e_now / 1000;

	if (second != e->e_info_second) {
		if (e->e_info_suppressed && e->e_log_head - e->e_log_tail < IKE_LOG_RING)
			ring_printf(e, IKE_LOG_INFO, "%u more refusals in the last second not logged "
				    "(at most %u a second from one peer, %u from all)",
				    e->e_info_suppressed, IKE_LOG_INFO_PER_PEER_S, IKE_LOG_INFO_PER_S);
		e->e_info_second = second;
		e->e_info_lines = e->e_info_suppressed = 0;
	}
	if (e->e_info_lines >= IKE_LOG_INFO_PER_S)
		return info_suppress(e);
	if (peer) {
		unsigned b = ike_src_bucket(peer) & (IKE_LOG_PEER_BUCKETS - 1);

		if (e->e_info_peer[b].pl_second != (uint32_t)second) {
			e->e_info_peer[b].pl_second = (uint32_t)second;
			e->e_info_peer[b].pl_lines = 0;
		}
		if (e->e_info_peer[b].pl_lines >= IKE_LOG_INFO_PER_PEER_S)
			return info_suppress(e);
		e->e_info_peer[b].pl_lines++;
	}
	e->e_info_lines++;
	return true;
}

static void log_line(struct ike_engine *e, enum ike_log_level level, const struct ip_addr *peer,
		     const struct ike_log_fields *f, const char *prefix, const char *fmt,
		     va_list ap)
{
	if (!e->e_ev.ev_log)
		return;
	if (level == IKE_LOG_INFO && !info_allowed(e, peer))
		return;
	if (e->e_log_head - e->e_log_tail == IKE_LOG_RING) {
		e->e_stats.st_log_dropped++;
		return;
	}
	ring_put(e, level, f, prefix, fmt, ap);
}

void ike_log(struct ike_engine *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(e, IKE_LOG_DEBUG, NULL, NULL, "", fmt, ap);
	va_end(ap);
}

void ike_log_info(struct ike_engine *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(e, IKE_LOG_INFO, NULL, NULL, "", fmt, ap);
	va_end(ap);
}

static void fields_of_peer(struct ike_log_fields *f, const struct ip_addr *peer, const char *conn)
{
	memset(f, 0, sizeof(*f));
	ip_addr_format(peer, f->lf_peer, sizeof(f->lf_peer));
	if (conn)
		snprintf(f->lf_conn, sizeof(f->lf_conn), "%s", conn);
}

void ike_log_sa_info(const struct ike_sa *sa, const char *fmt, ...)
{
	struct ike_log_fields f;
	char prefix[IKE_LOG_PEER_MAX + IKE_NAME_MAX + 48];
	va_list ap;

	fields_of_peer(&f, &sa->sa_remote.ep_addr, sa->sa_conn ? sa->sa_conn->c_name : NULL);
	f.lf_ike_sa = sa->sa_id;
	f.lf_spi_i = sa->sa_spi_i;
	f.lf_spi_r = sa->sa_spi_r;
	snprintf(prefix, sizeof(prefix), "IKE SA %u, peer %s, connection %s: ", sa->sa_id,
		 f.lf_peer, sa->sa_conn ? sa->sa_conn->c_name : "(none)");
	va_start(ap, fmt);
	log_line(sa->sa_engine, IKE_LOG_INFO, &sa->sa_remote.ep_addr, &f, prefix, fmt, ap);
	va_end(ap);
}

void ike_log_peer_info(struct ike_engine *e, const struct ip_addr *peer, const char *conn,
		       const char *fmt, ...)
{
	struct ike_log_fields f;
	char prefix[IKE_LOG_PEER_MAX + IKE_NAME_MAX + 32];
	va_list ap;

	fields_of_peer(&f, peer, conn);
	snprintf(prefix, sizeof(prefix), conn ? "peer %s, connection %s: " : "peer %s: ",
		 f.lf_peer, conn);
	va_start(ap, fmt);
	log_line(e, IKE_LOG_INFO, peer, &f, prefix, fmt, ap);
	va_end(ap);
}

void ike_engine_flush_log(struct ike_engine *e)
{
	while (e->e_log_tail != e->e_log_head) {
		unsigned slot = e->e_log_tail % IKE_LOG_RING;

		e->e_ev.ev_log(e->e_ev.ev_ctx, (enum ike_log_level)e->e_log_level[slot],
			       &e->e_log_fields[slot], e->e_log[slot]);
		e->e_log_tail++;
	}
}

/* ---- datagrams ---- */

void ike_send_raw(struct ike_engine *e, const struct ike_endpoint *local,
		  const struct ike_endpoint *remote, const uint8_t *buf, size_t len)
{
	e->e_ev.ev_send(e->e_ev.ev_ctx, local, remote, buf, len);
}

bool ike_refusal_allowed(struct ike_engine *e)
{
	if (e->e_now / 1000 != e->e_refuse_second) {
		e->e_refuse_second = e->e_now / 1000;
		e->e_refused_this_second = 0;
	}
	if (e->e_refused_this_second >= IKE_REFUSE_PER_S) {
		e->e_stats.st_refusals_limited++;
		return false;
	}
	e->e_refused_this_second++;
	return true;
}

/* The major version of an IKE or ISAKMP header (the same 28 bytes in
 * both, RFC 7296 §3.1 and RFC 2408 §3.1: its version byte at offset 17),
 * or -1 when the datagram is shorter than a header. */
static int hdr_major(const uint8_t *buf, size_t len)
{
	struct cursor c = cursor_make(buf, len);
	uint8_t version;

	if (len < IKE_HDR_LEN || !cursor_skip(&c, 17) || !cursor_u8(&c, &version))
		return -1;
	return version >> 4;
}

/* The one place a datagram is dispatched on its version. */
void ike_engine_input(struct ike_engine *e, const struct ike_endpoint *local,
		      const struct ike_endpoint *remote, const uint8_t *buf,
		      size_t len, uint64_t now_ms)
{
	int major = len > IKE_MSG_MAX ? -1 : hdr_major(buf, len);

	e->e_now = now_ms;
	switch (major) {
	case IKE_MAJOR:
		ikev2_input(e, local, remote, buf, len);
		break;
	case IKEV1_MAJOR: /* ISAKMP, RFC 2408/2409 */
		ikev1_input(e, local, remote, buf, len);
		break;
	case -1:
		e->e_stats.st_bad_messages++; /* §2.21: dropped */
		break;
	default:
		e->e_stats.st_bad_versions++;
		ike_log_peer_info(e, &remote->ep_addr, NULL,
				  "IKE major version %d: INVALID_MAJOR_VERSION (§1.5)", major);
		ikev2_refuse_version(e, local, remote, buf, len);
		break;
	}
	ike_engine_reap(e);
}

void ike_engine_set_input_stamp(struct ike_engine *e, uint64_t stamp)
{
	e->e_input_stamp = stamp;
}

void ike_engine_tick(struct ike_engine *e, uint64_t now_ms)
{
	e->e_now = now_ms;
	ike_wheel_run(e, now_ms);
	ike_engine_reap(e);
	ike_engine_flush_log(e);
}

/* ---- the engine ---- */

/* A connection's slot, PSK and all, wiped and freed. */
static void conn_free(struct ike_conn_cfg *c)
{
	struct ike_conn_slot *slot = ike_conn_slot(c);

	OPENSSL_cleanse(slot, sizeof(*slot));
	free(slot);
}

static void eap_users_free(struct ike_engine *e)
{
	for (unsigned i = 0; i < e->e_n_eap_users; i++) {
		char *pw = (char *)e->e_eap_users[i].eu_password;

		OPENSSL_cleanse(pw, e->e_eap_users[i].eu_password_len);
		free(pw);
	}
	free(e->e_eap_users);
	e->e_eap_users = NULL;
	e->e_n_eap_users = 0;
}

int ike_engine_set_eap_users(struct ike_engine *e, const struct ike_eap_user *u, unsigned n)
{
	struct ike_eap_user *copy = n ? calloc(n, sizeof(*copy)) : NULL;
	unsigned i;

	if (n && ike_mschap_available() != 0) {
		free(copy);
		return -ENOTSUP;
	}
	if (n && !copy)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		char *pw = malloc(u[i].eu_password_len ? u[i].eu_password_len : 1);

		if (!pw)
			break;
		memcpy(pw, u[i].eu_password, u[i].eu_password_len);
		copy[i] = u[i];
		copy[i].eu_name[IKE_EAP_USER_MAX] = '\0';
		copy[i].eu_password = pw;
	}
	eap_users_free(e);
	e->e_eap_users = copy;
	e->e_n_eap_users = i;
	return i == n ? 0 : -ENOMEM;
}

void ike_engine_free(struct ike_engine *e)
{
	if (!e)
		return;
	ike_engine_flush_log(e);
	for (unsigned b = 0; e->e_table[IKE_T_SPI] && b < e->e_buckets; b++) {
		struct ike_sa *sa = e->e_table[IKE_T_SPI][b], *next;
		for (; sa; sa = next) {
			next = ike_sa_next(sa, IKE_T_SPI);
			ike_sa_free(sa);
		}
	}
	ike_engine_reap(e);
	ike_engine_pools_free(e);
	eap_users_free(e);
	ikev1_engine_release(e);
	for (enum ike_table t = 0; t < IKE_T_COUNT; t++)
		free(e->e_table[t]);
	for (unsigned i = 0; i < e->e_n_conn; i++)
		conn_free(e->e_conn[i]);
	free(e->e_conn);
	free(e->e_conn_removed);
	free(e);
}

struct ike_engine *ike_engine_new(const struct ike_events *ev)
{
	struct ike_engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->e_ev = *ev;
	e->e_limits.li_cookie_threshold = 1000;
	e->e_limits.li_half_open_per_src = 100;
	e->e_buckets = 1u << 16;
	for (enum ike_table t = 0; t < IKE_T_COUNT; t++)
		e->e_table[t] = calloc(e->e_buckets, sizeof(*e->e_table[t]));
	if (!e->e_table[IKE_T_SPI] || !e->e_table[IKE_T_PEER] || !e->e_table[IKE_T_ID]) {
		ike_engine_free(e);
		return NULL;
	}
	return e;
}

/* Removed connections that no IKE SA uses any more are freed, so that
 * reloads do not make the list grow without end. */
static void conns_compact(struct ike_engine *e)
{
	unsigned kept = 0;

	ike_engine_reap(e);
	for (unsigned i = 0; i < e->e_n_conn; i++) {
		if (e->e_conn_removed[i] && !ike_conn_sas(e->e_conn[i])) {
			conn_free(e->e_conn[i]);
			continue;
		}
		e->e_conn[kept] = e->e_conn[i];
		e->e_conn_removed[kept++] = e->e_conn_removed[i];
	}
	e->e_n_conn = kept;
}

int ike_engine_add_conn(struct ike_engine *e, const struct ike_conn_cfg *c)
{
	struct ike_conn_cfg **n;
	struct ike_conn_slot *copy;
	bool *r;

	if (ike_conn_find(e, c->c_name) || !c->c_n_ike)
		return -EINVAL;
	conns_compact(e);
	n = realloc(e->e_conn, sizeof(*n) * (e->e_n_conn + 1));
	if (n)
		e->e_conn = n;
	r = realloc(e->e_conn_removed, sizeof(*r) * (e->e_n_conn + 1));
	if (r)
		e->e_conn_removed = r;
	copy = malloc(sizeof(*copy));
	if (!n || !r || !copy) {
		free(copy);
		return -ENOMEM;
	}
	*copy = (struct ike_conn_slot){ .cs_cfg = *c };
	e->e_conn[e->e_n_conn] = &copy->cs_cfg;
	e->e_conn_removed[e->e_n_conn++] = false;
	return 0;
}

/* Its IKE SAs are deleted; the connection answers nobody any more. */
/* Deletes an SA in its own version's way (an informational exchange
 * that tells the peer), or at once when it is not up. */
static void delete_sa(struct ike_sa *sa)
{
	if (sa->sa_version == IKEV1_MAJOR)
		ikev1_delete_start(sa);
	else
		ike_delete_start(sa);
}

int ike_engine_remove_conn(struct ike_engine *e, const char *name, uint64_t now_ms)
{
	const struct ike_conn_cfg *c = ike_conn_find(e, name);
	int n = 0;

	if (!c)
		return -ENOENT;
	e->e_now = now_ms;
	for (unsigned i = 0; i < e->e_n_conn; i++)
		if (e->e_conn[i] == c)
			e->e_conn_removed[i] = true;
	/* An SA not yet up dies in ike_delete_start: its link is read first. */
	for (unsigned b = 0; b < e->e_buckets; b++)
		for (struct ike_sa *sa = e->e_table[IKE_T_SPI][b], *next; sa; sa = next) {
			next = ike_sa_next(sa, IKE_T_SPI);
			if (sa->sa_conn == c && sa->sa_state != IKE_S_DEAD) {
				delete_sa(sa);
				n++;
			}
		}
	ike_engine_reap(e);
	return n;
}

const struct ike_conn_cfg *ike_conn_at(const struct ike_engine *e, unsigned i)
{
	return i < e->e_n_conn && !e->e_conn_removed[i] ? e->e_conn[i] : NULL;
}

const struct ike_conn_cfg *ike_conn_find(struct ike_engine *e, const char *name)
{
	for (unsigned i = 0; i < e->e_n_conn; i++)
		if (!e->e_conn_removed[i] && strcmp(e->e_conn[i]->c_name, name) == 0)
			return e->e_conn[i];
	return NULL;
}

int ike_engine_initiate(struct ike_engine *e, const char *name, uint64_t now_ms)
{
	const struct ike_conn_cfg *c = ike_conn_find(e, name);
	struct ike_sa *sa;
	int rc;

	e->e_now = now_ms;
	if (!c || !c->c_remote.ep_addr.family)
		return -EINVAL;
	sa = ike_sa_new(e, c, true, now_ms);
	if (!sa)
		return -ENOMEM;
	sa->sa_local = c->c_local;
	sa->sa_remote = c->c_remote;
	rc = c->c_version == IKE_VERSION_1 ? ikev1_initiate(sa)
					   : ike_init_start(sa, c->c_ike[0].pc_dh[0]);
	if (rc < 0)
		ike_sa_kill(sa, "could not start");
	ike_engine_reap(e);
	return rc < 0 ? rc : (int)sa->sa_id;
}

int ike_engine_rekey(struct ike_engine *e, uint32_t id, bool children, uint64_t now_ms)
{
	struct ike_sa *sa = ike_sa_find_by_id(e, id);

	e->e_now = now_ms;
	if (!sa || sa->sa_state != IKE_S_ESTABLISHED || sa->sa_rekeyed)
		return -ENOENT;
	if (children) {
		for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++)
			if (sa->sa_child[i] && !sa->sa_child[i]->cs_rekeyed)
				sa->sa_child[i]->cs_rekey_at_ms = now_ms;
	} else {
		sa->sa_rekey_at_ms = now_ms;
	}
	ike_sa_schedule(sa);
	return 0;
}

int ike_engine_rekey_child(struct ike_engine *e, uint32_t ike_id, uint32_t spi,
			   uint64_t now_ms)
{
	struct ike_sa *sa = ike_sa_find_by_id(e, ike_id);

	e->e_now = now_ms;
	if (!sa || sa->sa_state != IKE_S_ESTABLISHED)
		return -ENOENT;
	for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++) {
		struct ike_child_sa *cs = sa->sa_child[i];

		if (!cs || (cs->cs_spi_in != spi && cs->cs_spi_out != spi))
			continue;
		if (cs->cs_rekeyed || sa->sa_rekeyed)
			return -EALREADY;
		cs->cs_rekey_at_ms = now_ms;
		ike_sa_schedule(sa);
		return 0;
	}
	return -ENOENT;
}

int ike_engine_terminate(struct ike_engine *e, uint32_t id, uint64_t now_ms)
{
	struct ike_sa *sa = ike_sa_find_by_id(e, id);

	e->e_now = now_ms;
	if (!sa)
		return -ENOENT;
	delete_sa(sa);
	return 0;
}

unsigned ike_engine_sa_count(const struct ike_engine *e)
{
	return e->e_count;
}

void ike_engine_set_limits(struct ike_engine *e, const struct ike_limits *l)
{
	e->e_limits = *l;
}

const struct ike_stat_info ike_stats_info[] = {
#define IKE_STAT_INFO(n, d) { #n, d, offsetof(struct ike_stats, st_##n) },
	IKE_STATS(IKE_STAT_INFO)
#undef IKE_STAT_INFO
};
const unsigned ike_stats_count = sizeof(ike_stats_info) / sizeof(ike_stats_info[0]);

/* Retransmissions of the request an SA waits an answer to. */
static unsigned retransmits_of(const struct ike_sa *sa)
{
	unsigned tries = sa->sa_v1 ? sa->sa_v1->v1_p1.x_tries : sa->sa_v2.v2_req_tries;

	return tries ? tries - 1 : 0;
}

void ike_engine_progress(const struct ike_engine *e, unsigned max, ike_progress_fn fn,
			 void *ctx)
{
	unsigned n = 0;

	for (unsigned b = 0; b < e->e_buckets && n < max; b++)
		for (const struct ike_sa *sa = e->e_table[IKE_T_SPI][b]; sa && n < max;
		     sa = ike_sa_next(sa, IKE_T_SPI)) {
			struct ike_sa_progress sp;

			if (sa->sa_state == IKE_S_ESTABLISHED || sa->sa_state == IKE_S_DELETING ||
			    sa->sa_state == IKE_S_DEAD)
				continue;
			ike_sa_info(sa, &sp.sp_info);
			sp.sp_state = ike_state_name(sa->sa_state);
			sp.sp_created_ms = sa->sa_created_ms;
			sp.sp_retransmits = retransmits_of(sa);
			fn(ctx, &sp);
			n++;
		}
}

void ike_engine_stats(const struct ike_engine *e, struct ike_stats *st)
{
	*st = e->e_stats;
	st->st_conns = e->e_n_conn;
	st->st_sas = e->e_count;
	st->st_half_open = e->e_half_open;
}