/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The engine: IKE SAs found by SPI in O(1), message framing and the
 * SK payload, window size 1 with retransmission and cached responses
 * (RFC 7296 §2.1-2.3), liveness and timers, and the dispatch of each
 * message to its exchange.
 */
#include "ike_sa.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

static uint8_t scratch[IKE_MSG_MAX];

/* Formats into the ring; the caller's ev_log sees the line at the next
 * flush, outside the exchange. A full ring drops the line, counted. */
void ike_log(struct ike_engine *e, const char *fmt, ...)
{
	va_list ap;

	if (!e->e_ev.ev_log)
		return;
	if (e->e_log_head - e->e_log_tail == IKE_LOG_RING) {
		e->e_stats.st_log_dropped++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(e->e_log[e->e_log_head % IKE_LOG_RING], IKE_LOG_LINE, fmt, ap);
	va_end(ap);
	e->e_log_head++;
}

void ike_engine_flush_log(struct ike_engine *e)
{
	while (e->e_log_tail != e->e_log_head) {
		e->e_ev.ev_log(e->e_ev.ev_ctx, e->e_log[e->e_log_tail % IKE_LOG_RING]);
		e->e_log_tail++;
	}
}

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

static struct ike_sa *table_next(const struct ike_sa *sa, enum ike_table t)
{
	return sa->sa_link[t].l_next;
}

uint64_t ike_sa_my_spi(const struct ike_sa *sa)
{
	return sa->sa_initiator ? sa->sa_spi_i : sa->sa_spi_r;
}

static struct ike_sa *find_by_spi(struct ike_engine *e, uint64_t spi)
{
	for (struct ike_sa *sa = table_first(e, IKE_T_SPI, spi); sa; sa = table_next(sa, IKE_T_SPI))
		if (sa->sa_link[IKE_T_SPI].l_key == spi && sa->sa_state != IKE_S_DEAD)
			return sa;
	return NULL;
}

static struct ike_sa *find_half_open(struct ike_engine *e, uint64_t spi_i,
				     const struct ike_endpoint *remote)
{
	for (struct ike_sa *sa = table_first(e, IKE_T_PEER, spi_i); sa;
	     sa = table_next(sa, IKE_T_PEER))
		if (sa->sa_link[IKE_T_PEER].l_key == spi_i && sa->sa_state != IKE_S_DEAD &&
		    ip_addr_equal(&sa->sa_remote.ep_addr, &remote->ep_addr))
			return sa;
	return NULL;
}

static int spi_from_bytes(uint64_t *spi)
{
	uint8_t b[IKE_SPI_LEN];
	int rc = ike_spi_new(b);

	*spi = 0;
	for (unsigned i = 0; i < IKE_SPI_LEN; i++)
		*spi = *spi << 8 | b[i];
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

static void due_min(uint64_t *due, uint64_t t)
{
	if (t && (!*due || t < *due))
		*due = t;
}

void ike_sa_schedule(struct ike_sa *sa)
{
	const struct ike_conn_cfg *c = sa->sa_conn;
	uint64_t due = 0;

	if (sa->sa_state == IKE_S_DEAD) {
		wheel_unlink(sa);
		return;
	}
	if (sa->sa_req != IKE_REQ_NONE)
		due_min(&due, sa->sa_req_next_ms);
	if (sa->sa_state == IKE_S_INIT_DONE)
		due_min(&due, sa->sa_created_ms + IKE_HALF_OPEN_MS + 1);
	if (sa->sa_state == IKE_S_ESTABLISHED && !sa->sa_rekeyed) {
		due_min(&due, sa->sa_rekey_at_ms);
		due_min(&due, sa->sa_reauth_at_ms);
		if ((sa->sa_initiator && sa->sa_next_child && c && sa->sa_next_child < c->c_n_child) ||
		    sa->sa_replaces)
			due_min(&due, sa->sa_engine->e_now + 1);
		for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++)
			if (sa->sa_child[i] && !sa->sa_child[i]->cs_rekeyed)
				due_min(&due, sa->sa_child[i]->cs_rekey_at_ms);
		if (c && c->c_dpd_s)
			due_min(&due, sa->sa_last_rx_ms + (uint64_t)c->c_dpd_s * 1000);
		if (sa->sa_nat_local && sa->sa_engine->e_ev.ev_keepalive)
			due_min(&due, sa->sa_last_tx_ms + IKE_KEEPALIVE_MS);
	}
	if (due)
		wheel_put(sa, due);
	else
		wheel_unlink(sa);
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
	} while (find_by_spi(e, spi));
	sa->sa_engine = e;
	sa->sa_id = ++e->e_next_id;
	sa->sa_initiator = initiator;
	sa->sa_conn = c;
	sa->sa_created_ms = sa->sa_last_rx_ms = now;
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
		.si_initiator = sa->sa_initiator, .si_local = sa->sa_local,
		.si_remote = sa->sa_remote,
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
	sa->sa_state = IKE_S_DEAD;
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

static void sa_free(struct ike_sa *sa)
{
	ike_pending_clear(sa);
	ike_reassembly_free(sa);
	ike_dh_free(sa->sa_dh);
	ike_sa_keys_wipe(&sa->sa_keys);
	for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++)
		ike_child_release(sa->sa_child[i]);
	ike_sa_trim(sa);
	free(sa->sa_req_buf);
	free(sa->sa_resp_buf);
	OPENSSL_cleanse(sa, sizeof(*sa));
	free(sa);
}

static void reap(struct ike_engine *e)
{
	while (e->e_dead) {
		struct ike_sa *sa = e->e_dead;
		e->e_dead = sa->sa_dead_next;
		sa_free(sa);
	}
}

/* ---- sending ---- */

void ike_send_raw(struct ike_engine *e, const struct ike_endpoint *local,
		  const struct ike_endpoint *remote, const uint8_t *buf, size_t len)
{
	e->e_ev.ev_send(e->e_ev.ev_ctx, local, remote, buf, len);
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
	free(sa->sa_init_mine);
	free(sa->sa_init_peer);
	sa->sa_ni = sa->sa_nr = sa->sa_init_mine = sa->sa_init_peer = NULL;
	sa->sa_ni_len = sa->sa_nr_len = sa->sa_init_mine_len = sa->sa_init_peer_len = 0;
}

uint8_t *ike_dup(const uint8_t *buf, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	if (p)
		memcpy(p, buf, len);
	return p;
}

void ike_w_notify(struct ike_writer *w, uint16_t type, const void *data, size_t len)
{
	struct ike_pl_notify n = { .n_type = type, .n_data = data, .n_len = len };

	ike_pl_notify_encode(w, &n);
}

const struct ike_payload *ike_find_notify(const struct ike_chain *c, uint16_t type,
					  struct ike_pl_notify *n)
{
	for (unsigned i = 0; i < c->c_n; i++) {
		const struct ike_payload *pl = &c->c_pl[i];
		if (pl->pl_type == IKE_PL_NOTIFY && ike_pl_notify_decode(pl, n) == 0 &&
		    n->n_type == type)
			return pl;
	}
	return NULL;
}

uint16_t ike_error_notify(const struct ike_chain *c)
{
	struct ike_pl_notify n;

	for (unsigned i = 0; i < c->c_n; i++)
		if (c->c_pl[i].pl_type == IKE_PL_NOTIFY &&
		    ike_pl_notify_decode(&c->c_pl[i], &n) == 0 && n.n_type < 16384)
			return n.n_type;
	return 0;
}

/* What is kept for retransmission is a bundle: the datagrams of one
 * message (several when fragmented), each after a 2-byte length. */
static void send_bundle(struct ike_sa *sa, const uint8_t *b, size_t len)
{
	sa->sa_last_tx_ms = sa->sa_engine->e_now;
	while (len >= 2) {
		size_t n = (size_t)b[0] << 8 | b[1];
		if (n > len - 2)
			return;
		ike_send_raw(sa->sa_engine, &sa->sa_local, &sa->sa_remote, b + 2, n);
		b += 2 + n;
		len -= 2 + n;
	}
}

static bool bundle_add(uint8_t *b, size_t *len, size_t cap, const uint8_t *msg, size_t n)
{
	if (*len + 2 + n > cap || n > UINT16_MAX)
		return false;
	b[*len] = (uint8_t)(n >> 8);
	b[*len + 1] = (uint8_t)n;
	memcpy(b + *len + 2, msg, n);
	*len += 2 + n;
	return true;
}

static void keep_request(struct ike_sa *sa, enum ike_req what, const uint8_t *b, size_t len)
{
	free(sa->sa_req_buf);
	sa->sa_req_buf = ike_dup(b, len);
	sa->sa_req_len = sa->sa_req_buf ? len : 0;
	sa->sa_req = what;
	sa->sa_req_tries = 1;
	sa->sa_req_first_ms = sa->sa_engine->e_now;
	sa->sa_req_next_ms = sa->sa_engine->e_now + IKE_RETX_BASE_MS;
	ike_sa_schedule(sa);
	send_bundle(sa, b, len);
}

/* §2.1: the answer is kept to be sent again for a retransmitted request. */
static void keep_response(struct ike_sa *sa, const uint8_t *b, size_t len)
{
	free(sa->sa_resp_buf);
	sa->sa_resp_buf = ike_dup(b, len);
	sa->sa_resp_len = sa->sa_resp_buf ? len : 0;
	sa->sa_resp_valid = sa->sa_resp_buf != NULL;
	sa->sa_msgid_in++;
	send_bundle(sa, b, len);
}

void ike_send_request(struct ike_sa *sa, enum ike_req what, const uint8_t *buf,
		      size_t len)
{
	uint8_t b[IKE_MSG_MAX + 2];
	size_t n = 0;

	if (bundle_add(b, &n, sizeof(b), buf, len))
		keep_request(sa, what, b, n);
}

void ike_send_response(struct ike_sa *sa, const uint8_t *buf, size_t len)
{
	uint8_t b[IKE_MSG_MAX + 2];
	size_t n = 0;

	if (bundle_add(b, &n, sizeof(b), buf, len))
		keep_response(sa, b, n);
}

/* The largest IKE message one fragment's datagram may carry. */
static size_t frag_room(const struct ike_sa *sa)
{
	size_t ip = sa->sa_remote.ep_addr.family == AF_INET ? 20 : 40;
	size_t size = sa->sa_conn->c_frag_size ? sa->sa_conn->c_frag_size : IKE_FRAG_DEFAULT;
	size_t marker = sa->sa_remote.ep_port == IKE_NATT_PORT ? 4 : 0;

	return size - ip - 8 - marker;
}

/* RFC 7383 §2.5: each fragment an SKF payload encrypted on its own. */
static int fragment(struct ike_sa *sa, uint8_t exchange, bool response, uint8_t first,
		    const uint8_t *plain, size_t plain_len, uint8_t *b, size_t *blen, size_t cap)
{
	const struct ike_sk_keys *k = sa->sa_initiator ? &sa->sa_keys.sk_i : &sa->sa_keys.sk_r;
	size_t iv = ike_sk_iv_len(k), icv = ike_sk_icv_len(k);
	size_t over = IKE_HDR_LEN + IKE_GEN_HDR_LEN + 4 + iv + icv + 16;
	size_t chunk = frag_room(sa) > over + 64 ? frag_room(sa) - over : 64;
	unsigned total = (unsigned)((plain_len + chunk - 1) / chunk);
	uint8_t msg[IKE_MSG_MAX];

	if (total > IKE_FRAG_MAX)
		return -EMSGSIZE;
	for (unsigned i = 0; i < total; i++) {
		size_t off = i * chunk, n = plain_len - off < chunk ? plain_len - off : chunk;
		size_t body = ike_sk_body_len(k, n), tmp, len;
		struct ike_sk_out so;
		struct ike_writer w;
		struct ike_hdr h;

		ike_w_init(&w, msg, sizeof(msg));
		ike_hdr_for(sa, exchange, response, response ? sa->sa_msgid_in : sa->sa_msgid_out, &h);
		ike_w_hdr(&w, &h);
		ike_pl_skf_encode(&w, i == 0 ? first : 0, (uint16_t)(i + 1), (uint16_t)total, iv,
				  body - iv - icv, icv, &so);
		if (ike_w_finish(&w, &tmp) != 0 ||
		    ike_skf_encrypt(k, msg, (size_t)(so.so_iv - msg), plain + off, n, sizeof(msg),
				    &len) != 0 ||
		    !bundle_add(b, blen, cap, msg, len))
			return -EMSGSIZE;
	}
	return 0;
}

int ike_send_protected(struct ike_sa *sa, uint8_t exchange, bool response,
		       enum ike_req what, uint8_t first, const uint8_t *plain,
		       size_t plain_len)
{
	static uint8_t b[IKE_FRAG_MAX * (IKE_FRAG_DEFAULT + 2) + IKE_MSG_MAX];
	uint8_t msg[IKE_MSG_MAX];
	size_t len, blen = 0;
	int rc = ike_encrypt_msg(sa, exchange, response,
				 response ? sa->sa_msgid_in : sa->sa_msgid_out, first,
				 plain, plain_len, msg, sizeof(msg), &len);

	if (rc == 0 && sa->sa_frag_peer && len > frag_room(sa))
		rc = fragment(sa, exchange, response, first, plain, plain_len, b, &blen, sizeof(b));
	else if (rc == 0 && !bundle_add(b, &blen, sizeof(b), msg, len))
		rc = -EMSGSIZE;
	if (rc != 0)
		return rc;
	if (response)
		keep_response(sa, b, blen);
	else
		keep_request(sa, what, b, blen);
	return 0;
}

void ike_hdr_for(const struct ike_sa *sa, uint8_t exchange, bool response,
		 uint32_t msgid, struct ike_hdr *h)
{
	*h = (struct ike_hdr){
		.h_spi_i = sa->sa_spi_i, .h_spi_r = sa->sa_spi_r,
		.h_exchange = exchange, .h_msgid = msgid,
		.h_flags = (uint8_t)((sa->sa_initiator ? IKE_HDR_F_INITIATOR : 0) |
				     (response ? IKE_HDR_F_RESPONSE : 0)),
	};
}

int ike_encrypt_msg(struct ike_sa *sa, uint8_t exchange, bool response,
		    uint32_t msgid, uint8_t first, const uint8_t *plain,
		    size_t plain_len, uint8_t *out, size_t cap, size_t *len)
{
	const struct ike_sk_keys *k = sa->sa_initiator ? &sa->sa_keys.sk_i
						       : &sa->sa_keys.sk_r;
	size_t iv = ike_sk_iv_len(k), icv = ike_sk_icv_len(k);
	size_t body = ike_sk_body_len(k, plain_len), tmp;
	struct ike_sk_out so;
	struct ike_writer w;
	struct ike_hdr h;
	int rc;

	ike_w_init(&w, out, cap);
	ike_hdr_for(sa, exchange, response, msgid, &h);
	ike_w_hdr(&w, &h);
	ike_pl_sk_encode(&w, first, iv, body - iv - icv, icv, &so);
	rc = ike_w_finish(&w, &tmp);
	if (rc < 0)
		return rc;
	return ike_sk_encrypt(k, out, (size_t)(so.so_iv - out), plain, plain_len, cap, len);
}

/* ---- receiving ---- */

static const struct ike_sk_keys *peer_keys(const struct ike_sa *sa)
{
	return sa->sa_initiator ? &sa->sa_keys.sk_r : &sa->sa_keys.sk_i;
}

#define FRAG_CHUNK_MAX 2048

/* RFC 7383 §2.6: the fragments of one message, each verified on its own. */
struct ike_reassembly {
	uint32_t ra_msgid;
	uint16_t ra_total, ra_count;
	uint8_t ra_first;
	bool ra_have[IKE_FRAG_MAX];
	uint16_t ra_len[IKE_FRAG_MAX];
	uint8_t ra_data[IKE_FRAG_MAX][FRAG_CHUNK_MAX];
};

static uint8_t assembled[IKE_FRAG_MAX * FRAG_CHUNK_MAX];

void ike_reassembly_free(struct ike_sa *sa)
{
	if (sa->sa_frag)
		OPENSSL_cleanse(sa->sa_frag, sizeof(*sa->sa_frag));
	free(sa->sa_frag);
	sa->sa_frag = NULL;
}

/* A verified fragment: 0 with the whole chain once all are in, 1 while
 * some are missing, -errno when it does not fit. */
static int add_fragment(struct ike_sa *sa, uint32_t msgid, const struct ike_sk *sk,
			const uint8_t *plain, size_t len, struct ike_chain *c)
{
	struct ike_reassembly *ra = sa->sa_frag;
	size_t off = 0;

	if (!sk->sk_total || sk->sk_total > IKE_FRAG_MAX || !sk->sk_frag ||
	    sk->sk_frag > sk->sk_total || len > FRAG_CHUNK_MAX)
		return -EINVAL;
	if (ra && (ra->ra_msgid != msgid || ra->ra_total != sk->sk_total))
		ike_reassembly_free(sa), ra = NULL;
	if (!ra && !(ra = sa->sa_frag = calloc(1, sizeof(*ra))))
		return -ENOMEM;
	ra->ra_msgid = msgid;
	ra->ra_total = sk->sk_total;
	if (ra->ra_have[sk->sk_frag - 1])
		return 1;
	ra->ra_have[sk->sk_frag - 1] = true;
	ra->ra_len[sk->sk_frag - 1] = (uint16_t)len;
	memcpy(ra->ra_data[sk->sk_frag - 1], plain, len);
	if (sk->sk_frag == 1)
		ra->ra_first = sk->sk_first;
	if (++ra->ra_count < ra->ra_total)
		return 1;
	for (unsigned i = 0; i < ra->ra_total; i++) {
		memcpy(assembled + off, ra->ra_data[i], ra->ra_len[i]);
		off += ra->ra_len[i];
	}
	len = off;
	off = ra->ra_first;
	ike_reassembly_free(sa);
	return ike_chain_parse((uint8_t)off, assembled, len, c);
}

/* Verifies and decrypts a message (copied to scratch): 0 with its inner
 * chain, 1 for a fragment of one still incomplete, -errno. */
static int open_sk(struct ike_sa *sa, const uint8_t *buf, size_t len,
		   struct ike_chain *c)
{
	const struct ike_sk_keys *k = peer_keys(sa);
	bool aead = ike_encr_is_aead(k->sk_encr);
	struct ike_msg m;
	struct ike_sk sk;
	uint8_t *plain;
	size_t plain_len;
	int rc;

	memcpy(scratch, buf, len);
	rc = ike_msg_parse(scratch, len, &m);
	if (rc == 0)
		rc = ike_msg_sk_split(&m, ike_sk_iv_len(k), ike_sk_icv_len(k),
				      aead ? 1 : 16, &sk);
	if (rc == 0)
		rc = ike_sk_decrypt(k, scratch, len, sk.sk_aad_len, &plain, &plain_len);
	if (rc != 0)
		return rc;
	if (sk.sk_total) /* SKF */
		return add_fragment(sa, m.m_hdr.h_msgid, &sk, plain, plain_len, c);
	return ike_chain_parse(sk.sk_first, plain, plain_len, c);
}

static void resend_response(struct ike_sa *sa)
{
	if (sa->sa_resp_valid)
		send_bundle(sa, sa->sa_resp_buf, sa->sa_resp_len);
}

static void dispatch(struct ike_sa *sa, const struct ike_hdr *h, const struct ike_chain *c)
{
	bool response = h->h_flags & IKE_HDR_F_RESPONSE;

	if (response) {
		/* The window opens before the handler runs: it may send the
		 * next request (a rekey's delete, say). */
		sa->sa_msgid_out++;
		sa->sa_req_done = sa->sa_req;
		sa->sa_req = IKE_REQ_NONE;
		free(sa->sa_req_buf); /* answered: nothing to retransmit */
		sa->sa_req_buf = NULL;
		sa->sa_req_len = 0;
		if (h->h_exchange == IKE_EXCH_AUTH)
			ike_auth_response(sa, c);
		else if (h->h_exchange == IKE_EXCH_INFORMATIONAL)
			ike_info_response(sa, c);
		else if (h->h_exchange == IKE_EXCH_CREATE_CHILD_SA)
			ike_create_child_response(sa, c);
		return;
	}
	if (h->h_exchange == IKE_EXCH_AUTH && sa->sa_state == IKE_S_INIT_DONE)
		ike_auth_request(sa, c);
	else if (h->h_exchange == IKE_EXCH_INFORMATIONAL && sa->sa_state >= IKE_S_ESTABLISHED)
		ike_info_request(sa, c);
	else if (h->h_exchange == IKE_EXCH_CREATE_CHILD_SA && sa->sa_state == IKE_S_ESTABLISHED)
		ike_create_child_request(sa, c);
	else
		ike_info_error(sa, h->h_exchange, IKE_N_NO_ADDITIONAL_SAS);
}

/* §2.23: after NAT detection the peer may move (port 4500, a new NAT
 * mapping); an authenticated message tells where it is now. */
static void follow_peer(struct ike_sa *sa, const struct ike_endpoint *local,
			const struct ike_endpoint *remote)
{
	sa->sa_local = *local;
	sa->sa_remote = *remote;
}

static void input_encrypted(struct ike_sa *sa, const struct ike_msg *m,
			    const uint8_t *buf, size_t len,
			    const struct ike_endpoint *local,
			    const struct ike_endpoint *remote)
{
	const struct ike_hdr *h = &m->m_hdr;
	bool response = h->h_flags & IKE_HDR_F_RESPONSE;
	struct ike_chain c;
	uint8_t bad = 0;
	int rc;

	if (!sa->sa_keyed)
		return;
	if (response && (sa->sa_req == IKE_REQ_NONE || h->h_msgid != sa->sa_msgid_out))
		return;
	if (!response && h->h_msgid + 1 == sa->sa_msgid_in) {
		resend_response(sa);
		return;
	}
	if (!response && h->h_msgid != sa->sa_msgid_in)
		return;
	rc = open_sk(sa, buf, len, &c);
	if (rc == 1)
		return; /* more fragments to come */
	if (rc != 0) {
		sa->sa_engine->e_stats.st_bad_messages++;
		ike_log(sa->sa_engine, "IKE SA %u: message %u does not verify: dropped",
			sa->sa_id, h->h_msgid);
		return;
	}
	sa->sa_last_rx_ms = sa->sa_engine->e_now;
	follow_peer(sa, local, remote);
	if (ike_msg_check_payloads(h->h_exchange, response, true, &c, &bad) != 0) {
		ike_log(sa->sa_engine, "IKE SA %u: payload %u not allowed here", sa->sa_id, bad);
		if (!response)
			ike_info_error(sa, h->h_exchange, IKE_N_INVALID_SYNTAX);
		return;
	}
	dispatch(sa, h, &c);
}

/* RFC 7296 §3.1: the initiator's SPI is never zero. The responder's is
 * zero in an IKE_SA_INIT request and nowhere else but an IKE_SA_INIT
 * response that refuses (COOKIE, INVALID_KE_PAYLOAD, §2.6, §1.3); that
 * response is checked where it is handled. */
static bool spis_possible(const struct ike_hdr *h)
{
	bool response = h->h_flags & IKE_HDR_F_RESPONSE;

	if (!h->h_spi_i)
		return false;
	if (h->h_exchange == IKE_EXCH_SA_INIT)
		return response || !h->h_spi_r;
	return h->h_spi_r != 0;
}

void ike_engine_input(struct ike_engine *e, const struct ike_endpoint *local,
		      const struct ike_endpoint *remote, const uint8_t *buf,
		      size_t len, uint64_t now_ms)
{
	struct ike_msg m;
	struct ike_sa *sa;
	bool response, from_i;

	e->e_now = now_ms;
	if (len > IKE_MSG_MAX || ike_msg_parse(buf, len, &m) != 0) {
		e->e_stats.st_bad_messages++;
		return; /* §2.21: unauthenticated garbage is dropped */
	}
	response = m.m_hdr.h_flags & IKE_HDR_F_RESPONSE;
	from_i = m.m_hdr.h_flags & IKE_HDR_F_INITIATOR;
	if (!spis_possible(&m.m_hdr)) {
		e->e_stats.st_bad_spis++;
		return;
	}
	if (m.m_hdr.h_exchange == IKE_EXCH_SA_INIT && !response) {
		if (!from_i) {
			e->e_stats.st_bad_messages++;
			return; /* §2.2: only the original initiator starts one */
		}
		sa = find_half_open(e, m.m_hdr.h_spi_i, remote);
		if (sa)
			resend_response(sa);
		else
			ike_init_respond(e, local, remote, &m);
		reap(e);
		return;
	}
	sa = find_by_spi(e, from_i ? m.m_hdr.h_spi_r : m.m_hdr.h_spi_i);
	if (!sa || (response && from_i == sa->sa_initiator))
		return;
	if (m.m_hdr.h_exchange == IKE_EXCH_SA_INIT)
		ike_init_response(sa, &m);
	else
		input_encrypted(sa, &m, buf, len, local, remote);
	reap(e);
}

/* ---- timers ---- */

static void retransmit(struct ike_sa *sa, uint64_t now)
{
	const struct ike_conn_cfg *c = sa->sa_conn;
	uint64_t deadline = 0;

	/* A liveness check gives up exactly at the configured timeout. */
	if (sa->sa_req == IKE_REQ_DPD && c && c->c_dpd_timeout_s)
		deadline = sa->sa_req_first_ms + (uint64_t)c->c_dpd_timeout_s * 1000;
	if (deadline && now >= deadline) {
		ike_sa_kill(sa, "peer did not answer the liveness check");
		return;
	}
	if (!deadline && sa->sa_req_tries >= IKE_RETX_TRIES) {
		ike_sa_kill(sa, "peer did not answer");
		return;
	}
	/* §2.1: exponential back-off. */
	send_bundle(sa, sa->sa_req_buf, sa->sa_req_len);
	sa->sa_req_next_ms = now + ((uint64_t)IKE_RETX_BASE_MS << sa->sa_req_tries);
	if (deadline && sa->sa_req_next_ms > deadline)
		sa->sa_req_next_ms = deadline;
	sa->sa_req_tries++;
}

static struct ike_sa *find_by_id(struct ike_engine *e, uint32_t id);

/* §2.8.3: a new IKE SA from scratch, with its children; the old one is
 * deleted once the new one stands (make-before-break). */
static int reauthenticate(struct ike_sa *old, uint64_t now)
{
	struct ike_sa *sa = ike_sa_new(old->sa_engine, old->sa_conn, true, now);
	int rc;

	if (!sa)
		return -ENOMEM;
	sa->sa_local = old->sa_conn->c_local;
	sa->sa_remote = old->sa_remote;
	sa->sa_remote.ep_port = old->sa_conn->c_remote.ep_port;
	sa->sa_replaces = old->sa_id;
	ike_log(old->sa_engine, "IKE SA %u: reauthenticating as IKE SA %u", old->sa_id, sa->sa_id);
	rc = ike_init_start(sa, old->sa_dh_group);
	if (rc < 0)
		ike_sa_kill(sa, "could not start");
	return rc;
}

static void tick_sa(struct ike_sa *sa, uint64_t now)
{
	const struct ike_conn_cfg *c = sa->sa_conn;

	if (sa->sa_req != IKE_REQ_NONE && now >= sa->sa_req_next_ms) {
		retransmit(sa, now);
		return;
	}
	if (sa->sa_state == IKE_S_INIT_DONE && now - sa->sa_created_ms > IKE_HALF_OPEN_MS) {
		ike_sa_kill(sa, "half-open SA expired");
		return;
	}
	if (sa->sa_state != IKE_S_ESTABLISHED || sa->sa_req != IKE_REQ_NONE || sa->sa_rekeyed)
		return;
	if (sa->sa_initiator && sa->sa_next_child && c && sa->sa_next_child < c->c_n_child) {
		if (ike_child_create_start(sa, &c->c_child[sa->sa_next_child++]) == 0)
			return;
	}
	if (sa->sa_replaces) {
		/* Reauthenticated, every child made anew: the old IKE SA goes. */
		struct ike_sa *old = find_by_id(sa->sa_engine, sa->sa_replaces);
		sa->sa_replaces = 0;
		if (old) {
			old->sa_rekeyed = true;
			ike_delete_start(old);
		}
	}
	if (sa->sa_reauth_at_ms && now >= sa->sa_reauth_at_ms) {
		sa->sa_reauth_at_ms = 0;
		if (reauthenticate(sa, now) == 0)
			return;
	}
	if (sa->sa_rekey_at_ms && now >= sa->sa_rekey_at_ms) {
		sa->sa_rekey_at_ms = 0;
		if (ike_ike_rekey_start(sa) == 0)
			return;
	}
	for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++) {
		struct ike_child_sa *cs = sa->sa_child[i];
		if (cs && !cs->cs_rekeyed && cs->cs_rekey_at_ms && now >= cs->cs_rekey_at_ms) {
			cs->cs_rekey_at_ms = 0;
			if (ike_child_rekey_start(sa, cs) == 0)
				return;
		}
	}
	if (c && c->c_dpd_s && now - sa->sa_last_rx_ms >= (uint64_t)c->c_dpd_s * 1000) {
		ike_dpd_start(sa);
		return;
	}
	/* Behind a NAT: keep its mapping alive (RFC 3948 §2.3). */
	if (sa->sa_nat_local && sa->sa_engine->e_ev.ev_keepalive &&
	    now - sa->sa_last_tx_ms >= IKE_KEEPALIVE_MS) {
		sa->sa_last_tx_ms = now;
		sa->sa_engine->e_ev.ev_keepalive(sa->sa_engine->e_ev.ev_ctx, &sa->sa_local,
						 &sa->sa_remote);
	}
}

void ike_engine_tick(struct ike_engine *e, uint64_t now_ms)
{
	unsigned slots = 0;

	e->e_now = now_ms;
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
			tick_sa(sa, now_ms);
			ike_sa_schedule(sa);
		}
	}
	if (e->e_wheel_ms <= now_ms) /* more than a whole turn behind */
		e->e_wheel_ms = now_ms - now_ms % IKE_WHEEL_MS + IKE_WHEEL_MS;
	reap(e);
	ike_engine_flush_log(e);
}

/* ---- the engine ---- */

struct ike_engine *ike_engine_new(const struct ike_events *ev)
{
	struct ike_engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->e_ev = *ev;
	e->e_limits.li_cookie_threshold = 1000;
	e->e_limits.li_half_open_per_src = 100;
	e->e_buckets = 1u << 16;
	for (enum ike_table t = 0; t < IKE_T_COUNT; t++) {
		e->e_table[t] = calloc(e->e_buckets, sizeof(*e->e_table[t]));
		if (!e->e_table[t]) {
			ike_engine_free(e);
			return NULL;
		}
	}
	return e;
}

void ike_engine_free(struct ike_engine *e)
{
	if (!e)
		return;
	ike_engine_flush_log(e);
	for (unsigned b = 0; e->e_table[IKE_T_SPI] && b < e->e_buckets; b++) {
		struct ike_sa *sa = e->e_table[IKE_T_SPI][b], *next;
		for (; sa; sa = next) {
			next = table_next(sa, IKE_T_SPI);
			sa_free(sa);
		}
	}
	reap(e);
	for (enum ike_table t = 0; t < IKE_T_COUNT; t++)
		free(e->e_table[t]);
	for (unsigned i = 0; i < e->e_n_conn; i++) {
		OPENSSL_cleanse(e->e_conn[i], sizeof(*e->e_conn[i]));
		free(e->e_conn[i]);
	}
	free(e->e_conn);
	free(e->e_conn_removed);
	free(e);
}

static bool conn_in_use(struct ike_engine *e, const struct ike_conn_cfg *c)
{
	for (unsigned b = 0; b < e->e_buckets; b++)
		for (const struct ike_sa *sa = e->e_table[IKE_T_SPI][b]; sa;
		     sa = table_next(sa, IKE_T_SPI))
			if (sa->sa_conn == c)
				return true;
	return false;
}

/* Removed connections that no IKE SA uses any more are freed, so that
 * reloads do not make the list grow without end. */
static void conns_compact(struct ike_engine *e)
{
	unsigned kept = 0;

	reap(e);
	for (unsigned i = 0; i < e->e_n_conn; i++) {
		if (e->e_conn_removed[i] && !conn_in_use(e, e->e_conn[i])) {
			OPENSSL_cleanse(e->e_conn[i], sizeof(*e->e_conn[i]));
			free(e->e_conn[i]);
			continue;
		}
		e->e_conn[kept] = e->e_conn[i];
		e->e_conn_removed[kept++] = e->e_conn_removed[i];
	}
	e->e_n_conn = kept;
}

int ike_engine_add_conn(struct ike_engine *e, const struct ike_conn_cfg *c)
{
	struct ike_conn_cfg **n, *copy;
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
	*copy = *c;
	e->e_conn[e->e_n_conn] = copy;
	e->e_conn_removed[e->e_n_conn++] = false;
	return 0;
}

/* Its IKE SAs are deleted; the connection answers nobody any more. */
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
			next = table_next(sa, IKE_T_SPI);
			if (sa->sa_conn == c && sa->sa_state != IKE_S_DEAD) {
				ike_delete_start(sa);
				n++;
			}
		}
	reap(e);
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
	rc = ike_init_start(sa, c->c_ike[0].pc_dh[0]);
	if (rc < 0)
		ike_sa_kill(sa, "could not start");
	reap(e);
	return rc < 0 ? rc : (int)sa->sa_id;
}

static struct ike_sa *find_by_id(struct ike_engine *e, uint32_t id)
{
	for (struct ike_sa *sa = table_first(e, IKE_T_ID, id); sa; sa = table_next(sa, IKE_T_ID))
		if (sa->sa_id == id && sa->sa_state != IKE_S_DEAD)
			return sa;
	return NULL;
}

int ike_engine_rekey(struct ike_engine *e, uint32_t id, bool children, uint64_t now_ms)
{
	struct ike_sa *sa = find_by_id(e, id);

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
	struct ike_sa *sa = find_by_id(e, ike_id);

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
	struct ike_sa *sa = find_by_id(e, id);

	e->e_now = now_ms;
	if (!sa)
		return -ENOENT;
	ike_delete_start(sa);
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

void ike_engine_stats(const struct ike_engine *e, struct ike_stats *st)
{
	*st = e->e_stats;
	st->st_conns = e->e_n_conn;
	st->st_sas = e->e_count;
	st->st_half_open = e->e_half_open;
}
