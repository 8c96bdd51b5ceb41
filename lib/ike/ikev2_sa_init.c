/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKE_EXCH_SA_INIT (RFC 7296 §1.2): the proposal, Diffie-Hellman and nonces,
 * NAT detection (§2.23), INVALID_KE_PAYLOAD (§1.2) and the keys (§2.14).
 *   HDR, SAi1, KEi, Ni, [N(NAT_DETECTION_*)]  -->
 *                    <--  HDR, SAr1, KEr, Nr, [N(NAT_DETECTION_*)]
 */
#include "ike_sa.h"
#include "byteorder.h"
#include "ike_cert.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

/* §2.23: SHA-1(SPIi | SPIr | IP | Port). */
static void nat_hash(uint64_t spi_i, uint64_t spi_r, const struct ike_endpoint *ep,
		     uint8_t out[IKE_SHA1_LEN])
{
	uint8_t buf[IKE_SPI_LEN * 2 + 16 + 2];
	size_t alen = ip_addr_len(&ep->ep_addr);

	be64_put(buf, spi_i);
	be64_put(buf + IKE_SPI_LEN, spi_r);
	memcpy(buf + 2 * IKE_SPI_LEN, ep->ep_addr.bytes, alen);
	buf[2 * IKE_SPI_LEN + alen] = (uint8_t)(ep->ep_port >> 8);
	buf[2 * IKE_SPI_LEN + alen + 1] = (uint8_t)ep->ep_port;
	if (ike_sha1(buf, 2 * IKE_SPI_LEN + alen + 2, out) != 0)
		memset(out, 0, IKE_SHA1_LEN); /* a mismatch: "behind a NAT" */
}

/* RFC 7427 §4: the hashes we verify signatures with, in every
 * IKE_SA_INIT request and response. Whether the peer will sign is not
 * known yet: its identity in IKE_AUTH may select another connection,
 * one with certificates; without the notify a peer signing with RSA
 * falls back to RFC 7296's SHA-1 (method 1). */
static void write_sig_hashes(struct ike_writer *w)
{
	uint8_t data[IKE_SIG_HASH_NOTIFY_LEN];

	ike_w_notify(w, IKE_N_SIGNATURE_HASH_ALGORITHMS, data,
		     ike_sig_hash_notify(data, sizeof(data)));
}

static void read_sig_hashes(struct ike_sa *sa, const struct ike_chain *c)
{
	struct ike_pl_notify n;

	sa->sa_v2.v2_n_peer_hashes = 0;
	if (!ike_find_notify(c, IKE_N_SIGNATURE_HASH_ALGORITHMS, &n))
		return;
	for (size_t i = 0; i + 1 < n.n_len && sa->sa_v2.v2_n_peer_hashes < 8; i += 2)
		sa->sa_v2.v2_peer_hashes[sa->sa_v2.v2_n_peer_hashes++] =
			(uint16_t)(n.n_data[i] << 8 | n.n_data[i + 1]);
}

void ike_nat_write(struct ike_writer *w, const struct ike_sa *sa)
{
	uint8_t h[20];

	nat_hash(sa->sa_spi_i, sa->sa_spi_r, &sa->sa_local, h);
	ike_w_notify(w, IKE_N_NAT_DETECTION_SOURCE_IP, h, sizeof(h));
	nat_hash(sa->sa_spi_i, sa->sa_spi_r, &sa->sa_remote, h);
	ike_w_notify(w, IKE_N_NAT_DETECTION_DESTINATION_IP, h, sizeof(h));
}

/* Whether a NAT sits on either side, from the peer's hashes (§2.23),
 * made over the SPIs of its message's header: spi_r is 0 in the
 * IKE_SA_INIT request. */
void ike_nat_check(struct ike_sa *sa, const struct ike_chain *c, uint64_t spi_r)
{
	struct ike_pl_notify n;
	uint8_t h[20];

	if (ike_find_notify(c, IKE_N_NAT_DETECTION_DESTINATION_IP, &n)) {
		nat_hash(sa->sa_spi_i, spi_r, &sa->sa_local, h);
		sa->sa_nat_local = n.n_len != sizeof(h) || memcmp(n.n_data, h, sizeof(h));
	}
	if (ike_find_notify(c, IKE_N_NAT_DETECTION_SOURCE_IP, &n)) {
		nat_hash(sa->sa_spi_i, spi_r, &sa->sa_remote, h);
		sa->sa_nat_remote = n.n_len != sizeof(h) || memcmp(n.n_data, h, sizeof(h));
	}
}

static int write_ke_nonce(struct ike_writer *w, struct ike_sa *sa,
			  const uint8_t *nonce, size_t nonce_len)
{
	uint8_t pub[IKE_DH_KE_MAX];
	struct ike_pl_ke ke = { .ke_group = sa->sa_dh_group, .ke_data = pub };
	struct ike_pl_nonce n = { .nonce_data = nonce, .nonce_len = nonce_len };
	int rc = ike_dh_public(sa->sa_dh, pub, sizeof(pub), &ke.ke_len);

	if (rc < 0)
		return rc;
	ike_pl_ke_encode(w, &ke);
	ike_pl_nonce_encode(w, &n);
	return 0;
}

int ike_init_start(struct ike_sa *sa, uint16_t group)
{
	const struct ike_conn_cfg *c = sa->sa_conn;
	uint8_t buf[IKE_MSG_MAX];
	struct ike_offer offer;
	struct ike_writer w;
	struct ike_hdr h;
	size_t len;
	int rc;

	/* A retry with a cookie sends the same request again (§2.6); one
	 * for another group needs a new key. */
	if (!sa->sa_dh || sa->sa_dh_group != group) {
		ike_dh_free(sa->sa_dh);
		sa->sa_dh = NULL;
		uint8_t ni[IKE_NONCE_LEN];

		sa->sa_dh_group = group;
		if ((rc = ike_dh_new(group, &sa->sa_dh)) < 0 || (rc = ike_nonce(ni, sizeof(ni))) < 0 ||
		    (rc = ike_nonce_set(&sa->sa_ni, &sa->sa_ni_len, ni, sizeof(ni))) < 0)
			return rc;
	}
	ike_w_init(&w, buf, sizeof(buf));
	ike_hdr_for(sa, IKE_EXCH_SA_INIT, false, 0, &h);
	ike_w_hdr(&w, &h);
	if (sa->sa_v2.v2_cookie_len)
		ike_w_notify(&w, IKE_N_COOKIE, sa->sa_v2.v2_cookie, sa->sa_v2.v2_cookie_len);
	ike_prop_offer(c->c_ike, c->c_n_ike, IKE_PROTO_IKE, NULL, 0, group, &offer);
	ike_pl_sa_encode(&w, &offer);
	if ((rc = write_ke_nonce(&w, sa, sa->sa_ni, sa->sa_ni_len)) < 0)
		return rc;
	ike_nat_write(&w, sa);
	write_sig_hashes(&w);
	if (!c->c_no_fragmentation)
		ike_w_notify(&w, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
	if ((rc = ike_w_finish(&w, &len)) < 0)
		return rc;
	free(sa->sa_v2.v2_init_mine);
	sa->sa_v2.v2_init_mine = ike_dup(buf, len);
	sa->sa_v2.v2_init_mine_len = len;
	ike_sa_set_state(sa, IKE_S_INIT_SENT);
	ike_send_request(sa, IKE_REQ_INIT, buf, len);
	ike_log(sa->sa_engine, "IKE SA %u (%s): IKE_SA_INIT sent to peer, DH group %u%s",
		sa->sa_id, c->c_name, group, sa->sa_v2.v2_cookie_len ? ", with cookie" : "");
	return 0;
}

/* The keys are derived and our KE sent: the DH private value goes now,
 * not with the SA (RFC 7296 §2.12), and its memory with it. */
static void forget_dh(struct ike_sa *sa)
{
	ike_dh_free(sa->sa_dh);
	sa->sa_dh = NULL;
}

int ike_sa_derive(struct ike_sa *sa, const uint8_t *peer_ke, size_t peer_ke_len)
{
	uint8_t gir[IKE_DH_SECRET_MAX], seed[IKE_PRF_MAX], spi_i[8], spi_r[8];
	size_t gir_len = 0;
	int rc;

	sa->sa_suite = (struct ike_suite){
		.encr = sa->sa_alg.ch_encr, .encr_bits = sa->sa_alg.ch_encr_bits,
		.integ = sa->sa_alg.ch_integ, .prf = sa->sa_alg.ch_prf,
	};
	be64_put(spi_i, sa->sa_spi_i);
	be64_put(spi_r, sa->sa_spi_r);
	rc = ike_dh_shared(sa->sa_dh, peer_ke, peer_ke_len, gir, sizeof(gir), &gir_len);
	if (rc == 0)
		rc = ike_skeyseed(sa->sa_suite.prf, sa->sa_ni, sa->sa_ni_len, sa->sa_nr,
				  sa->sa_nr_len, gir, gir_len, seed);
	if (rc == 0)
		rc = ike_sa_keys_derive(&sa->sa_suite, seed, ike_prf_len(sa->sa_suite.prf),
					sa->sa_ni, sa->sa_ni_len, sa->sa_nr, sa->sa_nr_len,
					spi_i, spi_r, &sa->sa_v2.v2_keys);
	OPENSSL_cleanse(gir, sizeof(gir));
	OPENSSL_cleanse(seed, sizeof(seed));
	sa->sa_v2.v2_keyed = rc == 0;
	return rc;
}

/* ---- responder ---- */

/* An unencrypted answer with one notify, and no SA kept (§1.2, §2.6). */
static void init_refuse(struct ike_engine *e, const struct ike_endpoint *local,
			const struct ike_endpoint *remote, const struct ike_hdr *req,
			uint16_t type, const void *data, size_t len)
{
	uint8_t buf[256];
	struct ike_hdr h = { .h_spi_i = req->h_spi_i, .h_exchange = IKE_EXCH_SA_INIT,
			     .h_flags = IKE_HDR_F_RESPONSE };
	struct ike_writer w;
	size_t n;

	ike_w_init(&w, buf, sizeof(buf));
	ike_w_hdr(&w, &h);
	ike_w_notify(&w, type, data, len);
	if (ike_w_finish(&w, &n) == 0)
		ike_send_raw(e, local, remote, buf, n);
}

bool ike_ep_matches(const struct ike_endpoint *cfg, const struct ike_endpoint *ep)
{
	return !cfg->ep_addr.family || ip_addr_equal(&cfg->ep_addr, &ep->ep_addr);
}

/* The connection for a new peer: by addresses, one that speaks IKEv2;
 * identities come later. */
static const struct ike_conn_cfg *conn_for(struct ike_engine *e,
					   const struct ike_endpoint *local,
					   const struct ike_endpoint *remote)
{
	for (unsigned i = 0; i < e->e_n_conn; i++) {
		const struct ike_conn_cfg *c = ike_conn_at(e, i);
		if (c && c->c_version != IKE_VERSION_1 && ike_ep_matches(&c->c_local, local) &&
		    ike_ep_matches(&c->c_remote, remote))
			return c;
	}
	return NULL;
}

struct init_req {
	struct ike_offer sa;
	struct ike_pl_ke ke;
	struct ike_pl_nonce nonce;
};

static int decode_init(const struct ike_chain *c, struct init_req *r)
{
	const struct ike_payload *sa = ike_chain_find(c, IKE_PL_SA, 0);
	const struct ike_payload *ke = ike_chain_find(c, IKE_PL_KE, 0);
	const struct ike_payload *no = ike_chain_find(c, IKE_PL_NONCE, 0);

	if (!sa || !ke || !no || ike_pl_sa_decode(sa, &r->sa) != 0 ||
	    ike_pl_ke_decode(ke, &r->ke) != 0 || ike_pl_nonce_decode(no, &r->nonce) != 0)
		return -EINVAL;
	return 0;
}

static int init_answer(struct ike_sa *sa, const struct ike_msg *m)
{
	uint8_t buf[IKE_MSG_MAX];
	struct ike_offer answer;
	struct ike_writer w;
	struct ike_hdr h;
	size_t len;
	int rc;

	ike_w_init(&w, buf, sizeof(buf));
	ike_hdr_for(sa, IKE_EXCH_SA_INIT, true, 0, &h);
	ike_w_hdr(&w, &h);
	ike_prop_answer(&sa->sa_alg, IKE_PROTO_IKE, NULL, 0, &answer);
	ike_pl_sa_encode(&w, &answer);
	if ((rc = write_ke_nonce(&w, sa, sa->sa_nr, sa->sa_nr_len)) < 0)
		return rc;
	ike_nat_write(&w, sa);
	write_sig_hashes(&w);
	/* §3.7: the initiator sends its certificate when asked. */
	if (sa->sa_conn->c_trust) {
		struct ike_cert_data req = { .cert_enc = IKE_CERT_X509_SIG };
		ike_pl_cert_encode(&w, IKE_PL_CERTREQ, &req);
	}
	if (sa->sa_v2.v2_frag_peer)
		ike_w_notify(&w, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
	if ((rc = ike_w_finish(&w, &len)) < 0)
		return rc;
	sa->sa_v2.v2_init_mine = ike_dup(buf, len);
	sa->sa_v2.v2_init_mine_len = len;
	sa->sa_v2.v2_init_peer = ike_dup(m->m_buf, m->m_len);
	sa->sa_v2.v2_init_peer_len = m->m_len;
	if (!sa->sa_v2.v2_init_mine || !sa->sa_v2.v2_init_peer)
		return -ENOMEM;
	ike_sa_set_state(sa, IKE_S_INIT_DONE);
	ike_send_response(sa, buf, len);
	return 0;
}

/* ---- cookies, §2.6 ---- */

static void cookie_rotate(struct ike_engine *e)
{
	if (e->e_cookie_rotated_ms && e->e_now - e->e_cookie_rotated_ms < IKE_COOKIE_SECRET_MS)
		return;
	e->e_cookie_version++;
	ike_random(e->e_cookie_secret[e->e_cookie_version & 1], 32);
	e->e_cookie_rotated_ms = e->e_now ? e->e_now : 1;
}

/* Cookie = <VersionIDofSecret> | HMAC(secret, Ni | IPi | SPIi). */
static void cookie_make(const struct ike_engine *e, uint8_t version,
			const struct ike_pl_nonce *ni, const struct ike_endpoint *remote,
			uint64_t spi_i, uint8_t out[33])
{
	uint8_t spi[IKE_SPI_LEN];
	struct ike_iov iov[3] = {
		{ ni->nonce_data, ni->nonce_len },
		{ remote->ep_addr.bytes, ip_addr_len(&remote->ep_addr) },
		{ spi, sizeof(spi) },
	};

	be64_put(spi, spi_i);
	out[0] = version;
	ike_prf_iov(IKE_PRF_HMAC_SHA2_256, e->e_cookie_secret[version & 1], 32, iov, 3, out + 1);
}

static bool cookie_ok(const struct ike_engine *e, const struct ike_msg *m,
		      const struct ike_pl_nonce *ni, const struct ike_endpoint *remote)
{
	struct ike_pl_notify n;
	uint8_t want[33];

	if (!ike_find_notify(&m->m_chain, IKE_N_COOKIE, &n) || n.n_len != sizeof(want))
		return false;
	if (n.n_data[0] != e->e_cookie_version &&
	    n.n_data[0] != (uint8_t)(e->e_cookie_version - 1))
		return false;
	cookie_make(e, n.n_data[0], ni, remote, m->m_hdr.h_spi_i, want);
	return CRYPTO_memcmp(want, n.n_data, sizeof(want)) == 0;
}

/* Admission: a cookie when many SAs are half open, and a cap per
 * source address. False when the request goes no further. */
static bool admit(struct ike_engine *e, const struct ike_endpoint *local,
		  const struct ike_endpoint *remote, const struct ike_msg *m,
		  const struct ike_pl_nonce *ni)
{
	const struct ike_limits *l = &e->e_limits;
	uint8_t cookie[33];

	if (l->li_cookie_threshold && e->e_half_open >= l->li_cookie_threshold) {
		if (!e->e_cookies_on) /* the peer whose request reached it */
			ike_log_peer_info(e, &remote->ep_addr, NULL, "%u half-open IKE SAs, the "
					  "COOKIE threshold: IKE_SA_INIT without a valid COOKIE is "
					  "answered with one (RFC 7296 §2.6)", e->e_half_open);
		e->e_cookies_on = true;
		cookie_rotate(e);
		if (!cookie_ok(e, m, ni, remote)) {
			if (ike_find_notify(&m->m_chain, IKE_N_COOKIE, &(struct ike_pl_notify){ 0 })) {
				e->e_stats.st_cookies_rejected++;
				ike_log_peer_info(e, &remote->ep_addr, NULL, "IKE_SA_INIT with a "
						  "COOKIE that does not verify (stale or forged): "
						  "answered with a new one");
			}
			cookie_make(e, e->e_cookie_version, ni, remote, m->m_hdr.h_spi_i, cookie);
			init_refuse(e, local, remote, &m->m_hdr, IKE_N_COOKIE, cookie, sizeof(cookie));
			e->e_stats.st_cookies_sent++;
			return false;
		}
	}
	if (e->e_cookies_on && e->e_half_open < l->li_cookie_threshold) {
		ike_log_info(e, "%u half-open IKE SAs, under the COOKIE threshold %u: no COOKIE "
			     "asked for", e->e_half_open, l->li_cookie_threshold);
		e->e_cookies_on = false;
	}
	if (l->li_half_open_per_src &&
	    e->e_src_half_open[ike_src_bucket(&remote->ep_addr)] >= l->li_half_open_per_src) {
		e->e_stats.st_half_open_capped++;
		ike_log_peer_info(e, &remote->ep_addr, NULL,
				  "%u half-open IKE SAs from it, the cap: IKE_SA_INIT dropped",
				  l->li_half_open_per_src);
		return false;
	}
	return true;
}

/* What the peer offered and what the connection takes, at info (as
 * charon's "received proposals: ..., configured proposals: ..."). */
static void log_no_proposal(struct ike_engine *e, const struct ike_endpoint *remote,
			    const struct ike_conn_cfg *c, const struct ike_offer *offer)
{
	char got[224], want[224];

	e->e_stats.st_fail_no_proposal++;
	ike_offer_format(offer, got, sizeof(got));
	ike_props_format(c->c_ike, c->c_n_ike, want, sizeof(want));
	ike_log_peer_info(e, &remote->ep_addr, c->c_name, "IKE_SA_INIT refused, NO_PROPOSAL_CHOSEN: "
			  "received proposals: %s; configured proposals: %s", got, want);
}

void ike_init_respond(struct ike_engine *e, const struct ike_endpoint *local,
		      const struct ike_endpoint *remote, const struct ike_msg *m)
{
	const struct ike_conn_cfg *c = conn_for(e, local, remote);
	uint8_t nr[IKE_NONCE_LEN];
	struct ike_chosen ch;
	struct init_req r;
	struct ike_sa *sa;
	uint8_t bad;

	e->e_stats.st_init_requests++;
	if (!c) {
		char us[IP_ADDR_STRLEN];

		e->e_stats.st_init_no_conn++;
		ip_addr_format(&local->ep_addr, us, sizeof(us));
		ike_log_peer_info(e, &remote->ep_addr, NULL, "IKE_SA_INIT to %s, which no connection "
				  "takes from that peer: dropped", us);
		return;
	}
	if (ike_msg_check_payloads(IKE_EXCH_SA_INIT, false, false, &m->m_chain, &bad) ||
	    decode_init(&m->m_chain, &r) != 0) {
		e->e_stats.st_bad_messages++;
		return;
	}
	if (!admit(e, local, remote, m, &r.nonce))
		return;
	if (ike_prop_choose(c->c_ike, c->c_n_ike, IKE_PROTO_IKE, &r.sa, &ch) != 0) {
		log_no_proposal(e, remote, c, &r.sa);
		init_refuse(e, local, remote, &m->m_hdr, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if (r.ke.ke_group != ch.ch_dh) {
		uint8_t g[2] = { (uint8_t)(ch.ch_dh >> 8), (uint8_t)ch.ch_dh };
		init_refuse(e, local, remote, &m->m_hdr, IKE_N_INVALID_KE_PAYLOAD, g, 2);
		return;
	}
	sa = ike_sa_new(e, c, false, e->e_now);
	if (!sa)
		return;
	ike_sa_set_peer_spi(sa, m->m_hdr.h_spi_i);
	sa->sa_local = *local;
	sa->sa_remote = *remote;
	ike_half_open_add(sa);
	sa->sa_alg = ch;
	sa->sa_dh_group = ch.ch_dh;
	sa->sa_v2.v2_msgid_in = 0;
	ike_nat_check(sa, &m->m_chain, 0);
	read_sig_hashes(sa, &m->m_chain);
	sa->sa_v2.v2_frag_peer = !c->c_no_fragmentation &&
		ike_find_notify(&m->m_chain, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED,
				&(struct ike_pl_notify){ 0 });
	if (ike_nonce_set(&sa->sa_ni, &sa->sa_ni_len, r.nonce.nonce_data, r.nonce.nonce_len) ||
	    ike_nonce(nr, sizeof(nr)) || ike_nonce_set(&sa->sa_nr, &sa->sa_nr_len, nr, sizeof(nr)) ||
	    ike_dh_new(ch.ch_dh, &sa->sa_dh) != 0 ||
	    ike_sa_derive(sa, r.ke.ke_data, r.ke.ke_len) != 0 || init_answer(sa, m) != 0) {
		ike_sa_kill(sa, "IKE_SA_INIT failed");
		return;
	}
	forget_dh(sa);
	ike_log(e, "IKE SA %u (%s): IKE_SA_INIT answered", sa->sa_id, c->c_name);
}

/* ---- initiator ---- */

/* §2.6: the same request again, the responder's cookie first. */
static bool retry_with_cookie(struct ike_sa *sa, const struct ike_chain *c)
{
	struct ike_pl_notify n;

	if (!ike_find_notify(c, IKE_N_COOKIE, &n) || !n.n_len || n.n_len > IKE_COOKIE_MAX)
		return false;
	memcpy(sa->sa_v2.v2_cookie, n.n_data, n.n_len);
	sa->sa_v2.v2_cookie_len = (uint8_t)n.n_len;
	return ike_init_start(sa, sa->sa_dh_group) == 0;
}

static bool retry_with_group(struct ike_sa *sa, const struct ike_chain *c)
{
	const struct ike_conn_cfg *conn = sa->sa_conn;
	struct ike_pl_notify n;
	uint16_t group;

	if (!ike_find_notify(c, IKE_N_INVALID_KE_PAYLOAD, &n) || n.n_len != 2)
		return false;
	group = (uint16_t)(n.n_data[0] << 8 | n.n_data[1]);
	if (group == sa->sa_dh_group || !ike_prop_has_dh(conn->c_ike, conn->c_n_ike, group))
		return false;
	ike_log(sa->sa_engine, "IKE SA %u: peer asks for DH group %u", sa->sa_id, group);
	return ike_init_start(sa, group) == 0;
}

void ike_init_response(struct ike_sa *sa, const struct ike_msg *m)
{
	const struct ike_conn_cfg *c = sa->sa_conn;
	const struct ike_chain *ch = &m->m_chain;
	struct init_req r;
	uint16_t err;
	uint8_t bad;

	if (!sa->sa_initiator || sa->sa_state != IKE_S_INIT_SENT || m->m_hdr.h_msgid != 0)
		return;
	if (retry_with_cookie(sa, ch) || retry_with_group(sa, ch))
		return;
	err = ike_error_notify(ch);
	if (err) {
		ike_sa_kill(sa, err == IKE_N_NO_PROPOSAL_CHOSEN ? "NO_PROPOSAL_CHOSEN"
								 : "IKE_SA_INIT refused");
		return;
	}
	if (!m->m_hdr.h_spi_r) {
		/* §3.1: a response that makes the SA names the responder's SPI;
		 * unauthenticated, so dropped without harm to the SA. */
		sa->sa_engine->e_stats.st_bad_spis++;
		return;
	}
	if (ike_msg_check_payloads(IKE_EXCH_SA_INIT, true, false, ch, &bad) ||
	    decode_init(ch, &r) != 0 ||
	    ike_prop_accept(c->c_ike, c->c_n_ike, IKE_PROTO_IKE, &r.sa, &sa->sa_alg) != 0 ||
	    r.ke.ke_group != sa->sa_dh_group) {
		ike_sa_kill(sa, "bad IKE_SA_INIT response");
		return;
	}
	sa->sa_spi_r = m->m_hdr.h_spi_r;
	ike_nonce_set(&sa->sa_nr, &sa->sa_nr_len, r.nonce.nonce_data, r.nonce.nonce_len);
	sa->sa_v2.v2_init_peer = ike_dup(m->m_buf, m->m_len);
	sa->sa_v2.v2_init_peer_len = m->m_len;
	ike_nat_check(sa, ch, sa->sa_spi_r);
	read_sig_hashes(sa, ch);
	sa->sa_v2.v2_frag_peer = !c->c_no_fragmentation &&
		ike_find_notify(ch, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED,
				&(struct ike_pl_notify){ 0 });
	sa->sa_v2.v2_req = IKE_REQ_NONE;
	sa->sa_v2.v2_msgid_out = 1;
	/* §2.23: with a NAT on the way, IKE moves to port 4500 (and ESP goes
	 * in UDP, RFC 3948). */
	if (sa->sa_nat_local || sa->sa_nat_remote) {
		sa->sa_local.ep_port = IKE_NATT_PORT;
		sa->sa_remote.ep_port = IKE_NATT_PORT;
	}
	if (!sa->sa_v2.v2_init_peer || !sa->sa_nr || ike_sa_derive(sa, r.ke.ke_data, r.ke.ke_len) != 0) {
		ike_sa_kill(sa, "key derivation failed");
		return;
	}
	forget_dh(sa);
	ike_auth_start(sa);
}
