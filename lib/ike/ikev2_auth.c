/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKE_EXCH_AUTH (RFC 7296 §1.2) with pre-shared keys (§2.15) and the first
 * Child SA:
 *   HDR, SK {IDi, AUTH, SAi2, TSi, TSr}  -->
 *                     <--  HDR, SK {IDr, AUTH, SAr2, TSi, TSr}
 */
#include "ike_sa.h"
#include "byteorder.h"
#include "ike_cert.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#define INNER_MAX 4096

/* The ID payload's body as AUTH signs it: type | RESERVED | data. */
static size_t id_body(const struct ike_identity *id, uint8_t *out)
{
	out[0] = id->id_type;
	out[1] = out[2] = out[3] = 0;
	memcpy(out + 4, id->id_data, id->id_len);
	return 4u + id->id_len;
}

/* What an AUTH signs (§2.15): ours when mine, the peer's otherwise. */
static int signed_octets(struct ike_sa *sa, bool mine, const uint8_t *idb, size_t idb_len,
			 uint8_t *octets, size_t cap, size_t *olen)
{
	bool i = sa->sa_initiator == mine; /* the original initiator's octets */

	return ike_auth_octets(sa->sa_suite.prf, i ? sa->sa_v2.v2_keys.sk_pi : sa->sa_v2.v2_keys.sk_pr,
			       mine ? sa->sa_v2.v2_init_mine : sa->sa_v2.v2_init_peer,
			       mine ? sa->sa_v2.v2_init_mine_len : sa->sa_v2.v2_init_peer_len,
			       i ? sa->sa_nr : sa->sa_ni, i ? sa->sa_nr_len : sa->sa_ni_len,
			       idb, idb_len, octets, cap, olen);
}

/* Our AUTH: a signature with our certificate's key (RFC 7427 when the
 * peer named its hashes), or prf(prf(PSK, "Key Pad for IKEv2"), octets). */
static int my_auth(struct ike_sa *sa, const uint8_t *idb, size_t idb_len,
		   uint8_t *method, uint8_t *auth, size_t cap, size_t *auth_len)
{
	const struct ike_conn_cfg *c = sa->sa_conn;
	uint8_t *octets = sa->sa_engine->e_octets;
	size_t olen = IKE_AUTH_OCTETS_MAX; /* what to wipe: the used part once known */
	int rc = signed_octets(sa, true, idb, idb_len, octets, IKE_AUTH_OCTETS_MAX, &olen);

	if (rc == 0 && c->c_cred) {
		rc = ike_cred_sign(c->c_cred, sa->sa_v2.v2_peer_hashes, sa->sa_v2.v2_n_peer_hashes, true,
				   octets, olen, method, auth, cap, auth_len);
	} else if (rc == 0) {
		*method = IKE_AUTH_METHOD_PSK;
		*auth_len = ike_prf_len(sa->sa_suite.prf);
		rc = ike_auth_psk(sa->sa_suite.prf, c->c_psk, c->c_psk_len, octets, olen, auth);
	}
	OPENSSL_cleanse(octets, olen);
	return rc;
}

static bool same_id(const struct ike_identity *want, const struct ike_pl_id *got)
{
	if (want->id_type != got->id_type)
		return false;
	if (want->id_type == IKE_ID_DER_ASN1_DN)
		return ike_dn_equal(want->id_data, want->id_len, got->id_data, got->id_len);
	return want->id_len == got->id_len && memcmp(want->id_data, got->id_data, got->id_len) == 0;
}

static int verify_auth(struct ike_sa *sa, const struct ike_chain *c, const struct ike_pl_id *id,
		       const struct ike_pl_auth *auth, const uint8_t *octets, size_t olen)
{
	const struct ike_conn_cfg *conn = sa->sa_conn;
	struct ike_cert_data certs[IKE_PEER_CERTS_MAX];
	unsigned n = 0;

	if (!conn->c_trust) {
		if (auth->auth_method != IKE_AUTH_METHOD_PSK)
			return -EACCES;
		return ike_auth_psk_verify(sa->sa_suite.prf, conn->c_psk, conn->c_psk_len, octets,
					   olen, auth->auth_data, auth->auth_len);
	}
	for (unsigned i = 0; i < c->c_n && n < IKE_PEER_CERTS_MAX; i++)
		if (c->c_pl[i].pl_type == IKE_PL_CERT && ike_pl_cert_decode(&c->c_pl[i], &certs[n]) == 0)
			n++;
	return ike_verify_peer(conn->c_trust, certs, n, id->id_type, id->id_data, id->id_len,
			       auth->auth_method, auth->auth_data, auth->auth_len, octets, olen);
}

/* The peer's AUTH over its signed octets (MACs in constant time). */
static int check_peer_auth(struct ike_sa *sa, const struct ike_chain *c, uint8_t id_type)
{
	const struct ike_payload *idp = ike_chain_find(c, id_type, 0);
	const struct ike_payload *ap = ike_chain_find(c, IKE_PL_AUTH, 0);
	const struct ike_conn_cfg *conn = sa->sa_conn;
	uint8_t *octets = sa->sa_engine->e_octets;
	struct ike_pl_auth auth;
	struct ike_pl_id id;
	size_t olen = IKE_AUTH_OCTETS_MAX; /* what to wipe: the used part once known */
	int rc;

	if (!idp || !ap || ike_pl_id_decode(idp, &id) != 0 || ike_pl_auth_decode(ap, &auth) != 0)
		return -EINVAL;
	/* The peer must be who the connection names (§2.15). */
	if (conn->c_remote_id.id_type && !same_id(&conn->c_remote_id, &id))
		return -EACCES;
	rc = signed_octets(sa, false, idp->pl_body, idp->pl_len, octets, IKE_AUTH_OCTETS_MAX, &olen);
	if (rc == 0)
		rc = verify_auth(sa, c, &id, &auth, octets, olen);
	OPENSSL_cleanse(octets, olen);
	return rc;
}

static void write_id_auth(struct ike_sa *sa, struct ike_writer *w, uint8_t id_type,
			  int *rc)
{
	const struct ike_credential *cred = sa->sa_conn->c_cred;
	struct ike_identity me = ike_sa_my_identity(sa);
	uint8_t idb[4 + IKE_ID_MAX], authv[1024];
	struct ike_pl_id id = { .id_type = me.id_type, .id_data = me.id_data,
				.id_len = me.id_len };
	struct ike_pl_auth auth = { .auth_data = authv };
	size_t idb_len = id_body(&me, idb);

	*rc = my_auth(sa, idb, idb_len, &auth.auth_method, authv, sizeof(authv), &auth.auth_len);
	ike_pl_id_encode(w, id_type, &id);
	/* §3.6: our certificate, then the intermediates up to the CA. */
	for (unsigned i = 0; cred && i < ike_cred_cert_count(cred); i++) {
		struct ike_cert_data cert = { .cert_enc = IKE_CERT_X509_SIG };
		cert.cert_data = ike_cred_cert_der(cred, i, &cert.cert_len);
		ike_pl_cert_encode(w, IKE_PL_CERT, &cert);
	}
	/* §3.7: ask for the peer's certificate (any CA we trust). */
	if (sa->sa_conn->c_trust && id_type == IKE_PL_IDI) {
		struct ike_cert_data req = { .cert_enc = IKE_CERT_X509_SIG };
		ike_pl_cert_encode(w, IKE_PL_CERTREQ, &req);
	}
	ike_pl_auth_encode(w, &auth);
}

static void send_encrypted(struct ike_sa *sa, bool response, struct ike_writer *w,
			   enum ike_req what)
{
	size_t plain_len;

	if (ike_w_finish(w, &plain_len) != 0 ||
	    ike_send_protected(sa, IKE_EXCH_AUTH, response, what, w->w_first, w->w_buf,
			       plain_len) != 0)
		ike_sa_kill(sa, "cannot build IKE_AUTH");
}

/* §2.16: an initiator that will use EAP sends its IDi without AUTH,
 * and asks for the responder's certificate. */
static void write_eap_id(struct ike_sa *sa, struct ike_writer *w)
{
	struct ike_identity me = ike_sa_my_identity(sa);
	struct ike_pl_id id = { .id_type = me.id_type, .id_data = me.id_data,
				.id_len = me.id_len };
	struct ike_cert_data req = { .cert_enc = IKE_CERT_X509_SIG };

	ike_pl_id_encode(w, IKE_PL_IDI, &id);
	ike_pl_cert_encode(w, IKE_PL_CERTREQ, &req);
}

void ike_auth_start(struct ike_sa *sa)
{
	const struct ike_conn_cfg *c = sa->sa_conn;
	uint8_t inner[INNER_MAX];
	struct ike_writer w;
	int rc = 0;

	ike_w_init(&w, inner, sizeof(inner));
	if (c->c_eap_password)
		write_eap_id(sa, &w);
	else
		write_id_auth(sa, &w, IKE_PL_IDI, &rc);
	if (c->c_ask_vip4)
		ike_cp_request(&w);
	if (c->c_n_child && ike_child_spi_new(&sa->sa_v2.v2_first_spi_in) == 0) {
		sa->sa_v2.v2_first_child = &c->c_child[0];
		ike_child_offer(sa, sa->sa_v2.v2_first_child, sa->sa_v2.v2_first_spi_in, &w);
	}
	ike_mobike_offer(sa, &w);
	if (rc != 0) {
		ike_sa_kill(sa, "cannot compute AUTH");
		return;
	}
	ike_sa_set_state(sa, IKE_S_AUTH_SENT);
	send_encrypted(sa, false, &w, IKE_REQ_AUTH);
}

static void established(struct ike_sa *sa)
{
	struct ike_engine *e = sa->sa_engine;
	struct ike_sa_info info;

	ike_half_open_done(sa);
	ike_sa_set_state(sa, IKE_S_ESTABLISHED);
	sa->sa_rekey_at_ms = ike_rekey_time(e->e_now, sa->sa_conn->c_rekey_s);
	if (sa->sa_initiator) {
		/* The rest of the connection's children follow in
		 * CREATE_CHILD_SA; reauthentication is the initiator's. */
		sa->sa_next_child = 1;
		sa->sa_reauth_at_ms = ike_rekey_time(e->e_now, sa->sa_conn->c_reauth_s);
	}
	ike_sa_schedule(sa);
	e->e_stats.st_ike_established++;
	ike_log(e, "IKE SA %u (%s): established", sa->sa_id, sa->sa_conn->c_name);
	if (e->e_ev.ev_ike_up) {
		ike_sa_info(sa, &info);
		e->e_ev.ev_ike_up(e->e_ev.ev_ctx, &info);
	}
}

struct child_req {
	struct ike_offer sa;
	struct ike_selectors tsi, tsr;
	bool transport;
};

static int decode_child(const struct ike_chain *c, struct child_req *r)
{
	const struct ike_payload *sa = ike_chain_find(c, IKE_PL_SA, 0);
	const struct ike_payload *tsi = ike_chain_find(c, IKE_PL_TSI, 0);
	const struct ike_payload *tsr = ike_chain_find(c, IKE_PL_TSR, 0);
	struct ike_pl_notify n;

	if (!sa || !tsi || !tsr || ike_pl_sa_decode(sa, &r->sa) != 0 ||
	    ike_pl_ts_decode(tsi, &r->tsi) != 0 || ike_pl_ts_decode(tsr, &r->tsr) != 0)
		return -EINVAL;
	r->transport = ike_find_notify(c, IKE_N_USE_TRANSPORT_MODE, &n) != NULL;
	return 0;
}

static uint32_t spi_of(const struct ike_chosen *ch)
{
	return be32_get(ch->ch_spi);
}

/* Responder: the first Child SA; 0, or the notify that refuses it. */
static uint16_t respond_child(struct ike_sa *sa, const struct ike_chain *c,
			      struct ike_writer *w, struct ike_child_sa **made)
{
	const struct ike_child_cfg *cc;
	struct ike_child_sa *cs;
	struct child_req r;
	uint8_t spi[4];
	struct ike_offer answer;
	struct cfg_proposal props[IKE_MAX_PROPOSALS];

	*made = NULL;
	if (decode_child(c, &r) != 0)
		return 0; /* childless IKE_EXCH_AUTH (RFC 6023) */
	ike_cp_narrow(sa, &r.tsi);
	cc = ike_child_cfg_for(sa->sa_conn, &r.tsi, &r.tsr);
	if (!cc) {
		ike_log_ts_refused(sa, "first Child SA", &r.tsi, &r.tsr);
		return IKE_N_TS_UNACCEPTABLE;
	}
	if (r.transport != cc->cc_transport)
		return IKE_N_NO_PROPOSAL_CHOSEN;
	cs = ike_child_alloc(sa);
	if (!cs)
		return IKE_N_NO_ADDITIONAL_SAS;
	ike_prop_without_dh(cc->cc_esp, cc->cc_n_esp, props);
	if (ike_prop_choose(props, cc->cc_n_esp, IKE_PROTO_ESP, &r.sa, &cs->cs_alg) != 0 ||
	    cs->cs_alg.ch_spi_size != 4 || ike_child_spi_new(&cs->cs_spi_in) != 0) {
		ike_child_release(cs);
		return IKE_N_NO_PROPOSAL_CHOSEN;
	}
	cs->cs_alg.ch_dh = 0;
	cs->cs_cfg = cc;
	cs->cs_initiator = false;
	cs->cs_transport = cc->cc_transport;
	cs->cs_spi_out = spi_of(&cs->cs_alg);
	ike_child_narrow(cc, &r.tsi, &r.tsr, true, &cs->cs_ts_local, &cs->cs_ts_remote);
	be32_put(spi, cs->cs_spi_in);
	ike_prop_answer(&cs->cs_alg, IKE_PROTO_ESP, spi, 4, &answer);
	ike_pl_sa_encode(w, &answer);
	ike_pl_ts_encode(w, IKE_PL_TSI, &cs->cs_ts_remote);
	ike_pl_ts_encode(w, IKE_PL_TSR, &cs->cs_ts_local);
	if (cs->cs_transport)
		ike_w_notify(w, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
	*made = cs;
	return 0;
}

/* How well a connection fits the peer: -1 not at all; more for a named
 * identity than for any, for a named address than for any, and for our
 * identity being the one the peer asked for (IDr). */
static int conn_fit(const struct ike_sa *sa, const struct ike_conn_cfg *c,
		    const struct ike_pl_id *idi, const struct ike_pl_id *idr)
{
	int fit = 0;

	if (c->c_version == IKE_VERSION_1 || !ike_ep_matches(&c->c_local, &sa->sa_local) ||
	    !ike_ep_matches(&c->c_remote, &sa->sa_remote) ||
	    !ike_prop_allows(c->c_ike, c->c_n_ike, &sa->sa_alg))
		return -1;
	if (c->c_remote_id.id_type) {
		if (!same_id(&c->c_remote_id, idi))
			return -1;
		fit += 4;
	}
	if (c->c_remote.ep_addr.family)
		fit += 2;
	if (idr && c->c_local_id.id_type && same_id(&c->c_local_id, idr))
		fit += 1;
	return fit;
}

/* Responder: IKE_SA_INIT could choose a connection by addresses only;
 * now the peer has named itself (IDi, and maybe whom it wants, IDr), the
 * connection that fits best takes over (§2.15: the identity decides
 * which policy applies). Ties keep the one chosen first. */
static bool select_conn(struct ike_sa *sa, const struct ike_chain *c, struct ike_pl_id *idi)
{
	const struct ike_payload *pi = ike_chain_find(c, IKE_PL_IDI, 0);
	const struct ike_payload *pr = ike_chain_find(c, IKE_PL_IDR, 0);
	struct ike_engine *e = sa->sa_engine;
	const struct ike_conn_cfg *best = sa->sa_conn;
	struct ike_pl_id idr;
	bool have_idr;
	int top;

	if (!pi || ike_pl_id_decode(pi, idi) != 0)
		return true; /* refused with the AUTH check, as malformed */
	have_idr = pr && ike_pl_id_decode(pr, &idr) == 0;
	top = conn_fit(sa, best, idi, have_idr ? &idr : NULL);
	for (unsigned i = 0; i < e->e_n_conn; i++) {
		const struct ike_conn_cfg *k = ike_conn_at(e, i);
		int fit = k ? conn_fit(sa, k, idi, have_idr ? &idr : NULL) : -1;

		if (fit > top) {
			top = fit;
			best = k;
		}
	}
	if (best != sa->sa_conn) {
		ike_log(e, "IKE SA %u: the peer's identity selects connection %s (not %s)",
			sa->sa_id, best->c_name, sa->sa_conn->c_name);
		ike_sa_set_conn(sa, best);
	}
	return top >= 0;
}

/* Refuses the peer's IKE_AUTH: AUTHENTICATION_FAILED, said at info. */
static void refuse_auth(struct ike_sa *sa, const char *why)
{
	sa->sa_engine->e_stats.st_fail_auth++;
	ike_log_sa_info(sa, "peer authentication failed, AUTHENTICATION_FAILED: %s", why);
	ike_info_error(sa, IKE_EXCH_AUTH, IKE_N_AUTHENTICATION_FAILED);
	ike_sa_kill(sa, "AUTHENTICATION_FAILED");
}

/* No connection for these addresses takes the identity the peer named
 * (§2.15): unknown to us, whatever its AUTH. The line names it and what
 * the connection chosen by address wants. */
static void refuse_unknown_id(struct ike_sa *sa, const struct ike_pl_id *idi)
{
	const struct ike_identity *want = &sa->sa_conn->c_remote_id;
	char got[160], wanted[160], why[400];

	ike_id_text(idi->id_type, idi->id_data, idi->id_len, got, sizeof(got));
	ike_id_text(want->id_type, want->id_data, want->id_len, wanted, sizeof(wanted));
	snprintf(why, sizeof(why), "unknown peer identity \"%s\": no connection from this address "
		 "takes it (connection %s wants \"%s\")", got, sa->sa_conn->c_name, wanted);
	sa->sa_engine->e_stats.st_fail_unknown_id++;
	refuse_auth(sa, why);
}

/* Responder, the peer authenticated: c holds its CP, SA and TS (the
 * first request's, after EAP); w our IDr and AUTH already (rc whether
 * they could be made). The CFG_REPLY, the first Child SA, and up. */
static void answer_authenticated(struct ike_sa *sa, const struct ike_chain *c,
				 struct ike_writer *w, int rc)
{
	struct ike_child_sa *cs;
	uint16_t refused;

	ike_mobike_answer(sa, c, w);
	/* §3.15.4: without the address it asked for, no Child SA */
	refused = ike_cp_respond(sa, c, w);
	if (!refused)
		refused = respond_child(sa, c, w, &cs);
	else
		cs = NULL;
	/* §1.2: the IKE SA stands even when its first Child SA is refused. */
	if (refused) {
		ike_w_notify(w, refused, NULL, 0);
		if (refused != IKE_N_TS_UNACCEPTABLE) /* logged with the selectors */
			ike_log_sa_info(sa, "first Child SA refused: %s", ike_notify_name(refused));
	}
	if (rc != 0) {
		if (cs)
			ike_child_release(cs);
		ike_sa_kill(sa, "cannot compute AUTH");
		return;
	}
	send_encrypted(sa, true, w, IKE_REQ_NONE);
	established(sa);
	if (cs && ike_child_install(sa, cs) != 0)
		ike_child_release(cs);
	ike_sa_trim(sa);
}

/* ---- EAP (§2.16): the client proves itself with EAP (ikev2_eap.c),
 * we with our certificate, then both with AUTHs keyed by the MSK ---- */

/* RFC 5998 §3: the client says it would take us proved by EAP alone
 * (charon says so whenever it uses EAP itself). Taken where the
 * connection asks for it ("eap_only", a policy: a client that wants our
 * certificate AUTH refuses the SA without it) and only with EAP-TLS,
 * whose server certificate the client checks and whose MSK AUTH binds
 * the IKE SA to it (§4's mutual methods); else our certificate and AUTH,
 * as without the notify. */
static bool eap_only(struct ike_sa *sa, const struct ike_chain *c)
{
	struct ike_pl_notify n;

	if (!sa->sa_conn->c_eap_only || sa->sa_conn->c_remote_auth != IKE_REMOTE_AUTH_EAP_TLS ||
	    !ike_find_notify(c, IKE_N_EAP_ONLY_AUTHENTICATION, &n))
		return false;
	ike_log(sa->sa_engine, "IKE SA %u: EAP-only authentication (RFC 5998): EAP-TLS proves us, no AUTH of ours before it",
		sa->sa_id);
	return true;
}

/* Our IDr alone: EAP-only's first answer (RFC 5998 §3). */
static void write_id_only(struct ike_sa *sa, struct ike_writer *w)
{
	struct ike_identity me = ike_sa_my_identity(sa);
	struct ike_pl_id id = { .id_type = me.id_type, .id_data = me.id_data,
				.id_len = me.id_len };

	ike_pl_id_encode(w, IKE_PL_IDR, &id);
}

/* The first IKE_AUTH request, without AUTH: IDr, CERT, AUTH (none of
 * them but IDr for EAP-only, RFC 5998) and the first EAP request of the
 * connection's method. */
static void eap_start(struct ike_sa *sa, const struct ike_chain *c)
{
	const struct ike_payload *pi = ike_chain_find(c, IKE_PL_IDI, 0);
	const struct ike_conn_cfg *conn = sa->sa_conn;
	const char *method = ike_eap_method_name(conn->c_remote_auth), *why;
	uint8_t inner[INNER_MAX];
	struct ike_writer w;
	struct ike_pl_id id;
	char text[192];
	bool only;
	int rc;

	if (ike_chain_find(c, IKE_PL_AUTH, 0)) {
		snprintf(text, sizeof(text), "the connection takes %s from its clients (no AUTH in the first IKE_AUTH, RFC 7296 §2.16); the peer sent AUTH", method);
		refuse_auth(sa, text);
		return;
	}
	if (!pi || ike_pl_id_decode(pi, &id) != 0) {
		refuse_auth(sa, "no IDi, or a malformed one");
		return;
	}
	if (conn->c_remote_id.id_type && !same_id(&conn->c_remote_id, &id)) {
		refuse_auth(sa, "the peer's identity is not the one the connection names");
		return;
	}
	ike_w_init(&w, inner, sizeof(inner));
	rc = 0;
	only = eap_only(sa, c);
	if (only)
		write_id_only(sa, &w);
	else
		write_id_auth(sa, &w, IKE_PL_IDR, &rc);
	sa->sa_v2.v2_eap = ike_eap_start(sa, c, &id, &w, &why);
	if (!sa->sa_v2.v2_eap) {
		refuse_auth(sa, why);
		return;
	}
	sa->sa_engine->e_stats.st_eap_only += only;
	if (rc != 0) {
		ike_sa_kill(sa, "cannot compute AUTH");
		return;
	}
	send_encrypted(sa, true, &w, IKE_REQ_NONE);
}

/* EAP-Failure and AUTHENTICATION_FAILED in one answer, then the SA goes. */
static void eap_refuse(struct ike_sa *sa, const char *why)
{
	uint8_t inner[INNER_MAX];
	struct ike_writer w;

	sa->sa_engine->e_stats.st_fail_auth++;
	ike_log_sa_info(sa, "%s: %s for %s, AUTHENTICATION_FAILED",
			ike_eap_method_name(sa->sa_conn->c_remote_auth), why,
			ike_eap_user(sa->sa_v2.v2_eap));
	ike_w_init(&w, inner, sizeof(inner));
	ike_eap_failure(sa->sa_v2.v2_eap, &w);
	ike_w_notify(&w, IKE_N_AUTHENTICATION_FAILED, NULL, 0);
	send_encrypted(sa, true, &w, IKE_REQ_NONE);
	ike_sa_kill(sa, "AUTHENTICATION_FAILED");
}

/* §2.16: AUTH = prf(prf(MSK, "Key Pad for IKEv2"), <signed octets>),
 * the peer's over its first request's IDi, ours over our IDr. */
static int msk_auth(struct ike_sa *sa, bool mine, const uint8_t *idb, size_t idb_len,
		    const struct ike_pl_auth *peer, uint8_t *out)
{
	size_t msk_len, olen = IKE_AUTH_OCTETS_MAX;
	const uint8_t *msk = ike_eap_msk(sa->sa_v2.v2_eap, &msk_len);
	uint8_t *octets = sa->sa_engine->e_octets;
	int rc = signed_octets(sa, mine, idb, idb_len, octets, IKE_AUTH_OCTETS_MAX, &olen);

	if (rc == 0 && mine)
		rc = ike_auth_psk(sa->sa_suite.prf, msk, msk_len, octets, olen, out);
	else if (rc == 0)
		rc = peer->auth_method != IKE_AUTH_METHOD_PSK ? -EACCES :
		     ike_auth_psk_verify(sa->sa_suite.prf, msk, msk_len, octets, olen,
					 peer->auth_data, peer->auth_len);
	OPENSSL_cleanse(octets, olen);
	return rc;
}

/* After EAP-Success: the client's AUTH with the MSK, then ours, the
 * CFG_REPLY and the first Child SA its first request asked for. */
static void eap_final(struct ike_sa *sa, const struct ike_chain *c)
{
	const struct ike_chain *first = ike_eap_first(sa->sa_v2.v2_eap);
	const struct ike_payload *idp = ike_chain_find(first, IKE_PL_IDI, 0);
	const struct ike_payload *ap = ike_chain_find(c, IKE_PL_AUTH, 0);
	struct ike_identity me = ike_sa_my_identity(sa);
	uint8_t inner[INNER_MAX], idb[4 + IKE_ID_MAX], authv[IKE_PRF_MAX];
	struct ike_pl_auth peer, auth = { .auth_method = IKE_AUTH_METHOD_PSK, .auth_data = authv,
					  .auth_len = ike_prf_len(sa->sa_suite.prf) };
	struct ike_writer w;
	int rc;

	if (!ap || !idp || ike_pl_auth_decode(ap, &peer) != 0) {
		refuse_auth(sa, "after EAP-Success, no AUTH made with the MSK (RFC 7296 §2.16)");
		return;
	}
	if (msk_auth(sa, false, idp->pl_body, idp->pl_len, &peer, NULL) != 0) {
		char why[96];

		snprintf(why, sizeof(why), "the AUTH made with the %s MSK does not verify",
			 ike_eap_method_name(sa->sa_conn->c_remote_auth));
		refuse_auth(sa, why);
		return;
	}
	rc = msk_auth(sa, true, idb, id_body(&me, idb), NULL, authv);
	ike_w_init(&w, inner, sizeof(inner));
	ike_pl_auth_encode(&w, &auth);
	OPENSSL_cleanse(authv, sizeof(authv));
	answer_authenticated(sa, first, &w, rc);
}

/* The next IKE_AUTH request of an EAP conversation. */
static void eap_round(struct ike_sa *sa, const struct ike_chain *c)
{
	uint8_t inner[INNER_MAX];
	struct ike_writer w;
	const char *why;

	if (ike_eap_done(sa->sa_v2.v2_eap)) {
		eap_final(sa, c);
		return;
	}
	if (ike_radius_waiting(sa)) {
		sa->sa_engine->e_stats.st_radius_retransmits++; /* answered when RADIUS is */
		return;
	}
	ike_w_init(&w, inner, sizeof(inner));
	switch (ike_eap_next(sa, sa->sa_v2.v2_eap, c, &w, &why)) {
	case IKE_EAP_MORE:
		send_encrypted(sa, true, &w, IKE_REQ_NONE);
		break;
	case IKE_EAP_RELAY:
		if (ike_radius_ask(sa, sa->sa_v2.v2_eap) == 0)
			break;
		eap_refuse(sa, "no RADIUS client to relay to");
		break;
	default:
		eap_refuse(sa, why);
	}
}

/* EAP-RADIUS: the server's answer to the round (NULL: none came in
 * time): its EAP-Request or EAP-Success, or the refusal. */
void ike_auth_radius_answer(struct ike_sa *sa, const struct ike_radius_answer *ra)
{
	struct ike_stats *st = &sa->sa_engine->e_stats;
	uint8_t inner[INNER_MAX];
	struct ike_writer w;
	char why[200];

	if (!ra) {
		eap_refuse(sa, "no answer from RADIUS in time");
		return;
	}
	if (ra->ra_verdict == IKE_RADIUS_NO_ANSWER || ra->ra_verdict == IKE_RADIUS_REJECT) {
		if (ra->ra_verdict == IKE_RADIUS_NO_ANSWER)
			st->st_radius_no_answer++;
		else
			st->st_radius_rejects++;
		snprintf(why, sizeof(why), "%s%s%s",
			 ra->ra_verdict == IKE_RADIUS_REJECT ? "RADIUS Access-Reject" :
							       "no RADIUS server answered",
			 ra->ra_reason && *ra->ra_reason ? ": " : "",
			 ra->ra_reason ? ra->ra_reason : "");
		eap_refuse(sa, why);
		return;
	}
	ike_w_init(&w, inner, sizeof(inner));
	if (ike_eap_relay_answer(sa->sa_v2.v2_eap, ra, &w) != 0) {
		st->st_radius_rejects++;
		eap_refuse(sa, ra->ra_verdict == IKE_RADIUS_ACCEPT ?
			   "RADIUS Access-Accept without EAP-Success or without an MSK (MS-MPPE keys)" :
			   "RADIUS Access-Challenge without an EAP-Request");
		return;
	}
	if (ra->ra_verdict == IKE_RADIUS_ACCEPT) {
		st->st_radius_accepts++;
		if (ra->ra_framed_ip.family == AF_INET)
			sa->sa_framed_ip = ra->ra_framed_ip;
		ike_log(sa->sa_engine, "IKE SA %u: EAP-RADIUS accepted %s", sa->sa_id,
			ike_eap_user(sa->sa_v2.v2_eap));
	}
	send_encrypted(sa, true, &w, IKE_REQ_NONE);
}

void ike_auth_request(struct ike_sa *sa, const struct ike_chain *c)
{
	uint8_t inner[INNER_MAX];
	struct ike_pl_id idi;
	struct ike_writer w;
	int rc;

	if (sa->sa_v2.v2_eap) {
		eap_round(sa, c);
		return;
	}
	if (!select_conn(sa, c, &idi)) {
		refuse_unknown_id(sa, &idi);
		return;
	}
	if (sa->sa_conn->c_remote_auth != IKE_REMOTE_AUTH_SAME) {
		eap_start(sa, c);
		return;
	}
	rc = check_peer_auth(sa, c, IKE_PL_IDI);
	if (rc != 0) {
		refuse_auth(sa, rc == -EACCES ? "the peer's identity or AUTH does not verify" :
				!ike_chain_find(c, IKE_PL_AUTH, 0) ?
				"no AUTH: the peer asks for EAP (RFC 7296 §2.16), which this connection does not take" :
				rc == -EINVAL ? "no IDi or AUTH payload, or a malformed one" :
				"its AUTH could not be checked");
		return;
	}
	ike_w_init(&w, inner, sizeof(inner));
	write_id_auth(sa, &w, IKE_PL_IDR, &rc);
	answer_authenticated(sa, c, &w, rc);
}

/* Initiator: the responder's answer to our first Child SA. */
static void accept_child(struct ike_sa *sa, const struct ike_chain *c)
{
	const struct ike_child_cfg *cc = sa->sa_v2.v2_first_child;
	struct cfg_proposal props[IKE_MAX_PROPOSALS];
	struct ike_child_sa *cs;
	struct child_req r;
	uint16_t err = ike_error_notify(c);

	if (!cc)
		return;
	if (err || decode_child(c, &r) != 0) {
		ike_log(sa->sa_engine, "IKE SA %u: first Child SA refused (%s)", sa->sa_id,
			ike_notify_name(err));
		return;
	}
	cs = ike_child_alloc(sa);
	if (!cs)
		return;
	ike_prop_without_dh(cc->cc_esp, cc->cc_n_esp, props);
	if (ike_prop_accept(props, cc->cc_n_esp, IKE_PROTO_ESP, &r.sa, &cs->cs_alg) != 0 ||
	    cs->cs_alg.ch_spi_size != 4 ||
	    ike_child_narrow(cc, &r.tsi, &r.tsr, false, &cs->cs_ts_local, &cs->cs_ts_remote) != 0) {
		ike_log(sa->sa_engine, "IKE SA %u: unacceptable Child SA answer", sa->sa_id);
		ike_child_release(cs);
		return;
	}
	cs->cs_cfg = cc;
	cs->cs_initiator = true;
	cs->cs_transport = r.transport;
	cs->cs_spi_in = sa->sa_v2.v2_first_spi_in;
	cs->cs_spi_out = spi_of(&cs->cs_alg);
	if (ike_child_install(sa, cs) != 0)
		ike_child_release(cs);
}

/* Initiator with EAP: the first answer (the responder's certificate and
 * AUTH, checked, and the Challenge), the EAP rounds, then our AUTH with
 * the MSK; the last answer's AUTH with the MSK over its first IDr. */
static void eap_peer(struct ike_sa *sa, const struct ike_chain *c)
{
	const struct ike_conn_cfg *conn = sa->sa_conn;
	struct ike_eap_round *er = sa->sa_v2.v2_eap;
	uint8_t inner[INNER_MAX], idb[4 + IKE_ID_MAX], authv[IKE_PRF_MAX];
	struct ike_identity me = ike_sa_my_identity(sa);
	struct ike_pl_auth peer, auth = { .auth_method = IKE_AUTH_METHOD_PSK, .auth_data = authv,
					  .auth_len = ike_prf_len(sa->sa_suite.prf) };
	const struct ike_payload *idp, *ap;
	const char *why = "the responder's certificate or AUTH does not verify";
	struct ike_writer w;
	int rc;

	if (!er) {
		if (check_peer_auth(sa, c, IKE_PL_IDR) != 0)
			goto fail;
		er = sa->sa_v2.v2_eap = ike_eap_peer_begin(c, (const char *)me.id_data, me.id_len);
		why = "EAP-MSCHAPv2 cannot run";
		if (!er)
			goto fail;
	} else if (ike_eap_done(er)) {
		idp = ike_chain_find(ike_eap_first(er), IKE_PL_IDR, 0);
		ap = ike_chain_find(c, IKE_PL_AUTH, 0);
		why = "the responder's AUTH with the MSK does not verify";
		if (!idp || !ap || ike_pl_auth_decode(ap, &peer) != 0 ||
		    msk_auth(sa, false, idp->pl_body, idp->pl_len, &peer, NULL) != 0)
			goto fail;
		ike_cp_take_reply(sa, c);
		ike_mobike_agreed(sa, c);
		established(sa);
		accept_child(sa, c);
		ike_sa_trim(sa);
		return;
	}
	ike_w_init(&w, inner, sizeof(inner));
	if (ike_eap_peer_next(er, c, conn->c_eap_password, conn->c_eap_password_len, &w, &why) !=
	    IKE_EAP_MORE)
		goto fail;
	rc = 0;
	if (ike_eap_done(er)) {
		rc = msk_auth(sa, true, idb, id_body(&me, idb), NULL, authv);
		ike_pl_auth_encode(&w, &auth);
		OPENSSL_cleanse(authv, sizeof(authv));
	}
	if (rc == 0) {
		send_encrypted(sa, false, &w, IKE_REQ_AUTH);
		return;
	}
	why = "cannot compute AUTH";
fail:
	ike_log(sa->sa_engine, "IKE SA %u: EAP-MSCHAPv2: %s", sa->sa_id, why);
	ike_sa_kill(sa, "AUTHENTICATION_FAILED");
}

void ike_auth_response(struct ike_sa *sa, const struct ike_chain *c)
{
	if (sa->sa_state != IKE_S_AUTH_SENT)
		return;
	if (ike_error_notify(c) == IKE_N_AUTHENTICATION_FAILED) {
		ike_sa_kill(sa, "AUTHENTICATION_FAILED");
		return;
	}
	if (sa->sa_conn->c_eap_password) {
		eap_peer(sa, c);
		return;
	}
	if (check_peer_auth(sa, c, IKE_PL_IDR) != 0) {
		/* The responder thinks the SA is up: tell it (§2.21.2). */
		ike_log(sa->sa_engine, "IKE SA %u: peer authentication failed", sa->sa_id);
		ike_info_error_request(sa, IKE_N_AUTHENTICATION_FAILED);
		ike_sa_kill(sa, "AUTHENTICATION_FAILED");
		return;
	}
	ike_cp_take_reply(sa, c);
	ike_mobike_agreed(sa, c);
	established(sa);
	accept_child(sa, c);
	ike_sa_trim(sa);
}
