/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv1 informational exchanges, RFC 2409 §5.7: HDR*, HASH(1), N/D with
 * HASH(1) = prf(SKEYID_a, M-ID | N/D). Deletes of ISAKMP and IPsec SAs
 * (RFC 2408 §3.15), error notifies, INITIAL-CONTACT (RFC 2407 §4.6.3.3)
 * and dead peer detection (RFC 3706: R-U-THERE and its ACK, a sequence
 * number in each).
 */
#include "ikev1.h"

#include <errno.h>
#include <string.h>

#include "byteorder.h"

#define MSG_CAP 1024

/* Starts an informational message: its HASH(1) reserved. */
static size_t info_begin(struct ike_sa *sa, struct ike_writer *w,
			 uint8_t *buf, uint32_t *msgid)
{
	*msgid = ikev1_new_msgid(sa);
	ikev1_msg_begin(sa, w, buf, MSG_CAP, IKEV1_EXCH_INFO, *msgid,
			IKEV1_F_ENCRYPTION);
	return ikev1_hash_reserve(sa, w);
}

static void info_send(struct ike_sa *sa, struct ike_writer *w, size_t at,
		      uint32_t msgid)
{
	ikev1_hash_fill(sa, w, at, msgid, NULL, 0);
	if (ikev1_send_info(sa, w) != 0)
		ike_log(sa->sa_engine, "IKE SA %u: informational not sent", sa->sa_id);
}

void ikev1_notify_error(struct ike_sa *sa, uint16_t type, const uint32_t *esp_spi)
{
	uint8_t buf[MSG_CAP], spi[4];
	struct ike_writer w;
	uint32_t msgid;
	size_t at;

	if (!sa->sa_v1 || !sa->sa_v1->v1_keyed)
		return; /* nothing to protect it with: not sent (§5.7) */
	at = info_begin(sa, &w, buf, &msgid);
	if (esp_spi) {
		/* RFC 2408 §3.14: the SPI of the SA the error is about, here
		 * the one a refused quick mode offered */
		be32_put(spi, *esp_spi);
		ikev1_w_notify(&w, &(struct ikev1_notify){
			.n_doi = IKEV1_DOI_IPSEC, .n_proto = IKEV1_PROTO_ESP,
			.n_spi_len = sizeof(spi), .n_type = type, .n_spi = spi });
	} else {
		ikev1_w_notify_isakmp(&w, sa, type, NULL, 0);
	}
	info_send(sa, &w, at, msgid);
}

static void send_delete(struct ike_sa *sa, uint8_t proto, const uint8_t *spis,
			uint8_t spi_len, uint16_t n)
{
	uint8_t buf[MSG_CAP];
	struct ike_writer w;
	uint32_t msgid;
	size_t at = info_begin(sa, &w, buf, &msgid);

	ikev1_w_delete(&w, &(struct ikev1_delete){
		.d_doi = IKEV1_DOI_IPSEC, .d_proto = proto, .d_spi_len = spi_len,
		.d_nspis = n, .d_spis = spis });
	info_send(sa, &w, at, msgid);
}

void ikev1_delete_child(struct ike_sa *sa, struct ike_child_sa *cs)
{
	uint8_t spi[4];

	/* §3.15: the SPI the sender of the delete receives with */
	be32_put(spi, cs->cs_spi_in);
	send_delete(sa, IKEV1_PROTO_ESP, spi, sizeof(spi), 1);
	ike_child_event(sa, cs, false);
}

void ikev1_delete_start(struct ike_sa *sa)
{
	uint8_t spis[4 * IKE_MAX_CHILDREN], cookies[2 * IKEV1_COOKIE_LEN];
	uint16_t n = 0;

	if (sa->sa_state != IKE_S_ESTABLISHED || !sa->sa_v1 || !sa->sa_v1->v1_keyed) {
		ike_sa_kill(sa, "deleted before it was up");
		return;
	}
	for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++)
		if (sa->sa_child[i])
			be32_put(spis + 4 * n++, sa->sa_child[i]->cs_spi_in);
	if (n)
		send_delete(sa, IKEV1_PROTO_ESP, spis, 4, n);
	ikev1_cookies(sa, cookies, cookies + IKEV1_COOKIE_LEN);
	send_delete(sa, IKEV1_PROTO_ISAKMP, cookies, sizeof(cookies), 1);
	/* RFC 2408 §3.15: a delete is not acknowledged; the SA goes now */
	ike_sa_kill(sa, "deleted");
}

void ikev1_initial_contact(struct ike_sa *sa)
{
	/* the only SA of its connection has no others to look for */
	unsigned n = ike_conn_sas(sa->sa_conn) > 1 ?
		     ike_sa_kill_others(sa, "the peer rebooted (INITIAL-CONTACT)") : 0;

	if (n)
		ike_log(sa->sa_engine, "IKE SA %u: INITIAL-CONTACT: %u old SAs removed",
			sa->sa_id, n);
}

static void dpd_send(struct ike_sa *sa, uint16_t type, uint32_t seq)
{
	uint8_t buf[MSG_CAP], data[4];
	struct ike_writer w;
	uint32_t msgid;
	size_t at = info_begin(sa, &w, buf, &msgid);

	be32_put(data, seq);
	ikev1_w_notify_isakmp(&w, sa, type, data, sizeof(data));
	info_send(sa, &w, at, msgid);
}

void ikev1_dpd_tick(struct ike_sa *sa, uint64_t now)
{
	struct ikev1_sa_state *v1 = sa->sa_v1;
	const struct ike_conn_cfg *c = sa->sa_conn;

	if (!c || !c->c_dpd_s || !v1->v1_dpd)
		return;
	if (v1->v1_dpd_sent_ms && sa->sa_last_rx_ms > v1->v1_dpd_sent_ms)
		v1->v1_dpd_sent_ms = 0; /* it spoke: alive */
	if (v1->v1_dpd_sent_ms) {
		if (now >= v1->v1_dpd_sent_ms + (uint64_t)c->c_dpd_timeout_s * 1000)
			ike_sa_kill(sa, "peer did not answer R-U-THERE");
		return;
	}
	if (now >= sa->sa_last_rx_ms + (uint64_t)c->c_dpd_s * 1000) {
		dpd_send(sa, IKEV1_N_DPD_R_U_THERE, ++v1->v1_dpd_seq);
		v1->v1_dpd_sent_ms = now;
	}
}

static void take_notify(struct ike_sa *sa, const struct ikev1_notify *n)
{
	struct ikev1_sa_state *v1 = sa->sa_v1;
	uint32_t seq = n->n_data_len == 4 ? be32_get(n->n_data) : 0;

	switch (n->n_type) {
	case IKEV1_N_DPD_R_U_THERE:
		if (n->n_data_len == 4)
			dpd_send(sa, IKEV1_N_DPD_R_U_THERE_ACK, seq);
		return;
	case IKEV1_N_DPD_R_U_THERE_ACK:
		if (n->n_data_len == 4 && seq == v1->v1_dpd_seq)
			v1->v1_dpd_sent_ms = 0;
		return;
	case IKEV1_N_INITIAL_CONTACT:
		ikev1_initial_contact(sa);
		return;
	}
	if (n->n_type >= 16384) /* RFC 2408 §3.14.1: below are errors */
		return;
	if (n->n_proto == IKEV1_PROTO_ESP && n->n_spi_len == 4 &&
	    ikev1_qm_refused(sa, be32_get(n->n_spi), n->n_type))
		return;
	if (ikev1_notify_name(n->n_type))
		ike_log(sa->sa_engine, "IKE SA %u: the peer reports %s", sa->sa_id,
			ikev1_notify_name(n->n_type));
	else
		ike_log(sa->sa_engine, "IKE SA %u: the peer reports error %u",
			sa->sa_id, n->n_type);
}

static void take_delete(struct ike_sa *sa, const struct ikev1_delete *d)
{
	if (d->d_proto == IKEV1_PROTO_ISAKMP) {
		ike_sa_kill(sa, "deleted by the peer");
		return;
	}
	if (d->d_proto != IKEV1_PROTO_ESP || d->d_spi_len != 4)
		return;
	for (uint16_t k = 0; k < d->d_nspis; k++) {
		uint32_t spi = be32_get(d->d_spis + 4 * k);

		/* the peer's inbound SPI: our outbound */
		for (unsigned i = 0; i < IKE_MAX_CHILDREN; i++)
			if (sa->sa_child[i] && sa->sa_child[i]->cs_spi_out == spi) {
				ike_child_event(sa, sa->sa_child[i], false);
				break;
			}
	}
}

int ikev1_info_input(struct ike_sa *sa, uint32_t msgid, const uint8_t *plain,
		     size_t plain_len, const struct ikev1_chain *ch)
{
	if (!ikev1_hash_ok(sa, msgid, NULL, 0, plain, plain_len, ch))
		return -EACCES;
	for (unsigned i = 1; i < ch->c_n && sa->sa_state != IKE_S_DEAD; i++) {
		const struct ikev1_payload *p = &ch->c_pl[i];
		struct ikev1_notify n;
		struct ikev1_delete d;

		if (p->pl_type == IKEV1_PL_N &&
		    ikev1_notify_decode(p->pl_body, p->pl_len, &n) == 0)
			take_notify(sa, &n);
		else if (p->pl_type == IKEV1_PL_D &&
			 ikev1_delete_decode(p->pl_body, p->pl_len, &d) == 0)
			take_delete(sa, &d);
	}
	return 0;
}
