/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv1 phase 1, RFC 2409 §5: main mode (identity protection, six
 * messages) and aggressive mode (three) in both roles, with pre-shared
 * keys (§5.4) and signatures with X.509 certificates (§5.1: RSA, and
 * ECDSA as RFC 4754); the vendor IDs of NAT traversal (RFC 3947) and dead peer
 * detection (RFC 3706); NAT-D and the move to port 4500 (RFC 3947 §3-4).
 *
 *   main mode
 *   initiator                        responder
 *   HDR, SA, VIDs              -->
 *                              <--   HDR, SA, VIDs
 *   HDR, KE, Ni, NAT-D, NAT-D  -->
 *                              <--   HDR, KE, Nr, NAT-D, NAT-D
 *   HDR*, IDii, HASH_I [, N]   -->
 *                              <--   HDR*, IDir, HASH_R
 *
 *   aggressive mode
 *   HDR, SA, KE, Ni, IDii [, CR], VIDs -->
 *                       <-- HDR, SA, KE, Nr, IDir, HASH_R, [CR,] VIDs, NAT-D, NAT-D
 *   HDR, HASH_I, NAT-D, NAT-D   -->   (in clear as §5.4 draws it; taken
 *                                      encrypted too, as some peers send it)
 *   with signatures (§5.1) [CERT,] SIG_R and [CERT,] SIG_I stand for
 *   HASH_R and HASH_I, in main mode as in aggressive mode.
 *
 * Aggressive mode sends the responder's HASH_R to anyone who asks: with a
 * pre-shared key it can be attacked offline, so a responder answers it
 * only on connections that say "aggressive": true.
 */
#include "ikev1.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "byteorder.h"
#include "ike_cert.h"

/* Vendor IDs: RFC 3947 §3.1 (and the draft strongSwan and Cisco still
 * send), RFC 3706 §7. */
static const uint8_t VID_NATT_RFC[16] = {
	0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45,
	0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f };
static const uint8_t VID_DPD[16] = {
	0xaf, 0xca, 0xd7, 0x13, 0x68, 0xa1, 0xf1, 0xc9,
	0x6b, 0x86, 0x96, 0xfc, 0x77, 0x57, 0x01, 0x00 };

/* Cisco's FRAGMENTATION, MD5("FRAGMENTATION"), as strongSwan and racoon
 * send it: with capabilities 0x80000000, fragments of main and
 * aggressive mode; taken also bare (Windows) or with more bits set
 * (Cisco's 0xc0000000). */
static const uint8_t VID_FRAG[20] = {
	0x40, 0x48, 0xb7, 0xd5, 0x6e, 0xbc, 0xe8, 0x85,
	0x25, 0xe7, 0xde, 0x7f, 0x00, 0xd6, 0xc2, 0xd3,
	0x80, 0x00, 0x00, 0x00 };
#define VID_FRAG_IKE 0x80000000u

/* draft-beaulieu-ike-xauth-02 §7 and Cisco Unity's (strongSwan asks a
 * gateway that sent the latter for UNITY_SPLIT_INCLUDE and the rest). */
static const uint8_t VID_XAUTH[8] = { 0x09, 0x00, 0x26, 0x89, 0xdf, 0xd6, 0xb7, 0x12 };
static const uint8_t VID_UNITY[16] = {
	0x12, 0xf5, 0xf2, 0x8c, 0x45, 0x71, 0x68, 0xa9,
	0x70, 0x2d, 0x9f, 0xe2, 0x74, 0xcc, 0x01, 0x00 };

#define MSG_CAP 8192 /* messages 5 and 6 carry certificate chains */
#define SIG_MAX 1024 /* RSA up to 8192 bits; ECDSA r | s far less */

void ikev1_w_vids(struct ike_writer *w, const struct ike_sa *sa)
{
	ikev1_w_data(w, IKEV1_PL_VID, VID_NATT_RFC, sizeof(VID_NATT_RFC));
	ikev1_w_data(w, IKEV1_PL_VID, VID_DPD, sizeof(VID_DPD));
	/* a responder only answers the peer's (as strongSwan does) */
	if (!sa->sa_conn->c_no_fragmentation && (sa->sa_initiator || sa->sa_v1->v1_frag_peer))
		ikev1_w_data(w, IKEV1_PL_VID, VID_FRAG, sizeof(VID_FRAG));
	if (!sa->sa_initiator && sa->sa_conn->c_remote_auth == IKE_REMOTE_AUTH_XAUTH)
		ikev1_w_data(w, IKEV1_PL_VID, VID_XAUTH, sizeof(VID_XAUTH));
	if (!sa->sa_initiator && sa->sa_conn->c_n_pools)
		ikev1_w_data(w, IKEV1_PL_VID, VID_UNITY, sizeof(VID_UNITY));
}

static bool is_vid_frag(const struct ikev1_payload *p)
{
	if ((p->pl_len != 16 && p->pl_len != 20) || memcmp(p->pl_body, VID_FRAG, 16))
		return false;
	return p->pl_len == 16 || (be32_get(p->pl_body + 16) & VID_FRAG_IKE);
}

void ikev1_read_vids(struct ike_sa *sa, const struct ikev1_chain *ch)
{
	for (unsigned i = 0; i < ch->c_n; i++) {
		const struct ikev1_payload *p = &ch->c_pl[i];

		if (p->pl_type == IKEV1_PL_VID && is_vid_frag(p))
			sa->sa_v1->v1_frag_peer = true;
		if (p->pl_type != IKEV1_PL_VID || p->pl_len != 16)
			continue;
		if (!memcmp(p->pl_body, VID_NATT_RFC, 16))
			sa->sa_v1->v1_natt = true;
		if (!memcmp(p->pl_body, VID_DPD, 16))
			sa->sa_v1->v1_dpd = true;
	}
}

/* ---- pieces both roles use ---- */

static const struct ikev1_payload *find(const struct ikev1_chain *ch,
					uint8_t type)
{
	return ikev1_chain_find(ch, type, 0);
}

/* The transform chosen fixes our cipher, PRF and group. */
static int take_suite(struct ike_sa *sa, const struct ike_chosen *ch,
		      const struct ikev1_choice *c)
{
	struct ikev1_sa_state *v1 = sa->sa_v1;

	sa->sa_alg = *ch;
	sa->sa_dh_group = ch->ch_dh;
	v1->v1_auth = ikev1_auth_base(c->c_auth);
	v1->v1_life_s = c->c_life_s;
	v1->v1_block = ikev1_block_len(ch->ch_encr);
	v1->v1_enc_len = ch->ch_encr == IKE_ENCR_3DES ? 24 : ch->ch_encr_bits / 8u;
	if (!v1->v1_block || v1->v1_enc_len > sizeof(v1->v1_enc_key) ||
	    !ike_dh_supported(ch->ch_dh))
		return -ENOTSUP;
	return 0;
}

static int keep_sai(struct ike_sa *sa, const struct ikev1_payload *p)
{
	struct ikev1_sa_state *v1 = sa->sa_v1;

	v1->v1_sai_b = ike_dup(p->pl_body, p->pl_len);
	v1->v1_sai_len = p->pl_len;
	return v1->v1_sai_b ? 0 : -ENOMEM;
}

/* Our DH value and nonce, made when our KE message is written. */
static int make_ke_nonce(struct ike_sa *sa, uint8_t *ke, size_t *ke_len,
			 uint8_t nonce[IKEV1_NONCE_LEN])
{
	int rc = ike_dh_new(sa->sa_dh_group, &sa->sa_dh);

	if (rc == 0)
		rc = ike_dh_public(sa->sa_dh, ke, IKE_DH_KE_MAX, ke_len);
	if (rc == 0)
		rc = ike_nonce(nonce, IKEV1_NONCE_LEN);
	return rc;
}

static void w_nat_d(struct ike_writer *w, const struct ike_sa *sa,
		    const struct ike_endpoint *ep)
{
	uint8_t cky_i[8], cky_r[8], h[IKE_PRF_MAX];
	size_t n = 0;

	ikev1_cookies(sa, cky_i, cky_r);
	if (ikev1_nat_hash(sa->sa_alg.ch_prf, cky_i, cky_r, ep->ep_addr.bytes,
			   ip_addr_len(&ep->ep_addr), ep->ep_port, h, &n) != 0)
		ike_w_fail(w, -EIO);
	ikev1_w_data(w, IKEV1_PL_NAT_D, h, n);
}

/* RFC 3947 §3.2: the first NAT-D is the hash of the receiver's address
 * and port (us, as the peer saw us), the others of the sender's. */
static void w_nat_ds(struct ike_writer *w, const struct ike_sa *sa)
{
	if (!sa->sa_v1->v1_natt)
		return;
	w_nat_d(w, sa, &sa->sa_remote);
	w_nat_d(w, sa, &sa->sa_local);
}

static bool nat_d_is(const struct ike_sa *sa, const struct ikev1_payload *p,
		     const struct ike_endpoint *ep)
{
	uint8_t cky_i[8], cky_r[8], h[IKE_PRF_MAX];
	size_t n = 0;

	ikev1_cookies(sa, cky_i, cky_r);
	return ikev1_nat_hash(sa->sa_alg.ch_prf, cky_i, cky_r, ep->ep_addr.bytes,
			      ip_addr_len(&ep->ep_addr), ep->ep_port, h, &n) == 0 &&
	       p->pl_len == n && memcmp(p->pl_body, h, n) == 0;
}

static void check_nat(struct ike_sa *sa, const struct ikev1_chain *ch)
{
	const struct ikev1_payload *first = find(ch, IKEV1_PL_NAT_D);
	bool remote_ok = false;

	if (!sa->sa_v1->v1_natt || !first)
		return;
	sa->sa_nat_local = !nat_d_is(sa, first, &sa->sa_local);
	for (unsigned i = (unsigned)(first - ch->c_pl) + 1; i < ch->c_n; i++)
		if (ch->c_pl[i].pl_type == IKEV1_PL_NAT_D)
			remote_ok |= nat_d_is(sa, &ch->c_pl[i], &sa->sa_remote);
	sa->sa_nat_remote = !remote_ok;
}

/* KE and nonce of the peer: g^xy and, with the PSK, SKEYID and the
 * rest (§5, App. B). */
static int derive(struct ike_sa *sa, const struct ikev1_payload *ke,
		  const struct ikev1_payload *nonce, const uint8_t *my_ke,
		  size_t my_ke_len)
{
	struct ikev1_sa_state *v1 = sa->sa_v1;
	const struct ike_conn_cfg *c = sa->sa_conn;
	uint8_t gxy[IKE_DH_SECRET_MAX], skeyid[IKE_PRF_MAX], cky_i[8], cky_r[8];
	uint8_t **peer_ke = sa->sa_initiator ? &v1->v1_gxr : &v1->v1_gxi;
	uint8_t **mine = sa->sa_initiator ? &v1->v1_gxi : &v1->v1_gxr;
	size_t gxy_len = 0;
	int rc;

	if (ike_nonce_set(sa->sa_initiator ? &sa->sa_nr : &sa->sa_ni,
			  sa->sa_initiator ? &sa->sa_nr_len : &sa->sa_ni_len,
			  nonce->pl_body, nonce->pl_len) != 0)
		return -ENOMEM;
	*peer_ke = ike_dup(ke->pl_body, ke->pl_len);
	*mine = ike_dup(my_ke, my_ke_len);
	if (!*peer_ke || !*mine)
		return -ENOMEM;
	(sa->sa_initiator ? &v1->v1_gxr_len : &v1->v1_gxi_len)[0] = ke->pl_len;
	(sa->sa_initiator ? &v1->v1_gxi_len : &v1->v1_gxr_len)[0] = my_ke_len;
	rc = ike_dh_shared(sa->sa_dh, ke->pl_body, ke->pl_len, gxy, sizeof(gxy),
			   &gxy_len);
	if (rc == 0 && v1->v1_auth == IKEV1_AUTH_PSK)
		rc = ikev1_skeyid_psk(sa->sa_alg.ch_prf, c->c_psk, c->c_psk_len,
				      sa->sa_ni, sa->sa_ni_len, sa->sa_nr,
				      sa->sa_nr_len, skeyid);
	else if (rc == 0) /* signatures: SKEYID = prf(Ni_b | Nr_b, g^xy) */
		rc = ikev1_skeyid_sig(sa->sa_alg.ch_prf, sa->sa_ni, sa->sa_ni_len,
				      sa->sa_nr, sa->sa_nr_len, gxy, gxy_len, skeyid);
	ikev1_cookies(sa, cky_i, cky_r);
	if (rc == 0)
		rc = ikev1_keys_derive(sa->sa_alg.ch_prf, skeyid, gxy, gxy_len,
				       cky_i, cky_r, &v1->v1_keys);
	if (rc == 0)
		rc = ikev1_enc_key(sa->sa_alg.ch_prf, v1->v1_keys.k_skeyid_e,
				   v1->v1_keys.k_len, v1->v1_enc_key, v1->v1_enc_len);
	if (rc == 0)
		rc = ikev1_iv_phase1(sa->sa_alg.ch_prf, v1->v1_gxi, v1->v1_gxi_len,
				     v1->v1_gxr, v1->v1_gxr_len, v1->v1_p1.x_iv,
				     v1->v1_block);
	OPENSSL_cleanse(gxy, sizeof(gxy));
	OPENSSL_cleanse(skeyid, sizeof(skeyid));
	ike_dh_free(sa->sa_dh);
	sa->sa_dh = NULL;
	v1->v1_keyed = rc == 0;
	return rc;
}

/* Our identity (§5: Protocol and Port zero in phase 1, RFC 2407
 * §4.6.2): the configured one, our certificate's subject, or our
 * address; IKEv1's ID type numbers are IKEv2's. me holds the data. */
static void our_id(const struct ike_sa *sa, struct ike_identity *me, struct ikev1_id *id)
{
	*me = ike_sa_my_identity(sa);
	memset(id, 0, sizeof(*id));
	id->id_type = me->id_type;
	id->id_data = me->id_data;
	id->id_len = me->id_len;
}

static bool by_cert(const struct ike_sa *sa)
{
	return sa->sa_v1->v1_auth != IKEV1_AUTH_PSK;
}

int ikev1_auth_hash(const struct ike_sa *sa, bool of_initiator,
		    const uint8_t *id_b, size_t id_len, uint8_t *out)
{
	const struct ikev1_sa_state *v1 = sa->sa_v1;
	uint8_t cky_i[8], cky_r[8];
	const struct ike_iov i_order[] = {
		{ v1->v1_gxi, v1->v1_gxi_len }, { v1->v1_gxr, v1->v1_gxr_len },
		{ cky_i, 8 }, { cky_r, 8 },
		{ v1->v1_sai_b, v1->v1_sai_len }, { id_b, id_len },
	};
	const struct ike_iov r_order[] = {
		{ v1->v1_gxr, v1->v1_gxr_len }, { v1->v1_gxi, v1->v1_gxi_len },
		{ cky_r, 8 }, { cky_i, 8 },
		{ v1->v1_sai_b, v1->v1_sai_len }, { id_b, id_len },
	};

	ikev1_cookies(sa, cky_i, cky_r);
	return ike_prf_iov(sa->sa_alg.ch_prf, v1->v1_keys.k_skeyid,
			   v1->v1_keys.k_len, of_initiator ? i_order : r_order,
			   6, out);
}

/* Our HASH_I or HASH_R over the body of our ID payload. */
static void w_hash(struct ike_writer *w, const struct ike_sa *sa,
		   const uint8_t *id_b, size_t id_len)
{
	uint8_t h[IKE_PRF_MAX];

	if (ikev1_auth_hash(sa, sa->sa_initiator, id_b, id_len, h) != 0)
		ike_w_fail(w, -EIO);
	ikev1_w_data(w, IKEV1_PL_HASH, h, sa->sa_v1->v1_keys.k_len);
	OPENSSL_cleanse(h, sizeof(h));
}

/* Writes our ID; its body, for the hash that covers it, at *body. */
static void w_our_id(struct ike_writer *w, const struct ike_sa *sa,
		     const uint8_t **body, size_t *len)
{
	struct ike_identity me;
	struct ikev1_id id;
	size_t at = w->w_len;

	our_id(sa, &me, &id);
	ikev1_w_id(w, &id);
	*body = w->w_buf + at + IKEV1_GEN_HDR_LEN;
	*len = w->w_err ? 0 : w->w_len - at - IKEV1_GEN_HDR_LEN;
}

/* Our certificates and SIG_I or SIG_R, the signature of the hash (§5.1). */
static void w_certs_sig(struct ike_writer *w, const struct ike_sa *sa,
			const uint8_t *id_b, size_t id_len)
{
	const struct ike_credential *cr = sa->sa_conn->c_cred;
	uint8_t h[IKE_PRF_MAX], sig[SIG_MAX];
	size_t sig_len = 0, n;

	if (ikev1_auth_hash(sa, sa->sa_initiator, id_b, id_len, h) != 0 ||
	    ike_cred_sign_hash(cr, h, sa->sa_v1->v1_keys.k_len, sig, sizeof(sig), &sig_len) != 0)
		ike_w_fail(w, -EIO);
	OPENSSL_cleanse(h, sizeof(h));
	for (unsigned i = 0; i < ike_cred_cert_count(cr); i++) {
		const uint8_t *der = ike_cred_cert_der(cr, i, &n);

		ikev1_w_cert(w, IKEV1_PL_CERT, &(struct ikev1_cert){
			.c_enc = IKE_CERT_X509_SIG, .c_data = der, .c_len = n });
	}
	ikev1_w_data(w, IKEV1_PL_SIG, sig, sig_len);
}

/* What proves our ID (its body id_b): HASH_I or HASH_R, or with
 * certificates our CERTs and a SIG. */
static void w_proof(struct ike_writer *w, const struct ike_sa *sa,
		    const uint8_t *id_b, size_t id_len)
{
	if (by_cert(sa))
		w_certs_sig(w, sa, id_b, id_len);
	else
		w_hash(w, sa, id_b, id_len);
}

/* Writes our ID and what proves it. */
static void w_id_hash(struct ike_writer *w, const struct ike_sa *sa)
{
	const uint8_t *body;
	size_t len;

	w_our_id(w, sa, &body, &len);
	if (!w->w_err)
		w_proof(w, sa, body, len);
}

/* A certificate request (§3.10) with no authority: any of the peer's,
 * so that peers sending certificates only when asked send theirs. */
static void w_cert_request(struct ike_writer *w, const struct ike_sa *sa)
{
	if (by_cert(sa))
		ikev1_w_cert(w, IKEV1_PL_CR, &(struct ikev1_cert){ .c_enc = IKE_CERT_X509_SIG });
}

/* Whether an ID is the one the connection wants of the peer (any, when
 * none is configured). */
static bool id_wanted(const struct ike_conn_cfg *c, const struct ikev1_id *id)
{
	const struct ike_identity *want = &c->c_remote_id;

	if (!want->id_type)
		return true;
	if (id->id_type != want->id_type)
		return false;
	if (id->id_type == IKEV1_ID_DER_ASN1_DN)
		return ike_dn_equal(id->id_data, id->id_len, want->id_data, want->id_len);
	return id->id_len == want->id_len && !memcmp(id->id_data, want->id_data, id->id_len);
}

/* The peer's identity, which a Mode Config lease without XAUTH is of. */
static void keep_peer_id(struct ike_sa *sa, const struct ikev1_id *id)
{
	struct ike_identity *pid = &sa->sa_v1->v1_peer_id;
	size_t n = id->id_len < IKE_ID_MAX ? id->id_len : IKE_ID_MAX;

	memset(pid, 0, sizeof(*pid));
	pid->id_type = id->id_type;
	pid->id_len = (uint8_t)n;
	memcpy(pid->id_data, id->id_data, n);
}

/* The peer's ID (its payload body) and HASH: the hash must verify, the
 * ID be the one the connection wants. */
static int check_peer(struct ike_sa *sa, const uint8_t *id_b, size_t id_len,
		      const struct ikev1_payload *hp)
{
	uint8_t h[IKE_PRF_MAX];
	struct ikev1_id id;
	bool ok;

	if (!id_b || !hp || ikev1_id_decode(id_b, id_len, &id) != 0 ||
	    hp->pl_len != sa->sa_v1->v1_keys.k_len)
		return -EINVAL;
	if (ikev1_auth_hash(sa, !sa->sa_initiator, id_b, id_len, h) != 0)
		return -EIO;
	ok = CRYPTO_memcmp(h, hp->pl_body, hp->pl_len) == 0;
	OPENSSL_cleanse(h, sizeof(h));
	if (!ok)
		return -EACCES;
	if (!id_wanted(sa->sa_conn, &id))
		return -EPERM;
	keep_peer_id(sa, &id);
	return 0;
}

/* The peer's CERT payloads of X.509 certificates, as received. */
static int peer_certs(const struct ikev1_chain *ch, struct ike_cert_data *certs,
		      unsigned *n)
{
	struct ikev1_cert c;

	*n = 0;
	for (unsigned i = 0; i < ch->c_n; i++) {
		if (ch->c_pl[i].pl_type != IKEV1_PL_CERT)
			continue;
		if (ikev1_cert_decode(ch->c_pl[i].pl_body, ch->c_pl[i].pl_len, &c) != 0 ||
		    *n == IKE_PEER_CERTS_MAX)
			return -EINVAL;
		certs[(*n)++] = (struct ike_cert_data){ .cert_enc = c.c_enc,
							.cert_data = c.c_data,
							.cert_len = c.c_len };
	}
	return 0;
}

/* The peer's ID, certificates and SIG (§5.1): the chain validated
 * against the connection's CAs, the ID bound to the certificate, the
 * signature of the hash verified; the ID the one wanted. */
static int check_peer_sig(struct ike_sa *sa, const uint8_t *id_b, size_t id_len,
			  const struct ikev1_chain *ch)
{
	const struct ikev1_payload *sig = find(ch, IKEV1_PL_SIG);
	struct ike_cert_data certs[IKE_PEER_CERTS_MAX];
	bool rsa = sa->sa_v1->v1_auth == IKEV1_AUTH_RSA_SIG;
	uint8_t h[IKE_PRF_MAX];
	struct ikev1_id id;
	unsigned n = 0;
	int rc;

	if (!sig || !id_b || ikev1_id_decode(id_b, id_len, &id) != 0 ||
	    peer_certs(ch, certs, &n) != 0)
		return -EINVAL;
	if (ikev1_auth_hash(sa, !sa->sa_initiator, id_b, id_len, h) != 0)
		return -EIO;
	rc = ike_verify_peer(sa->sa_conn->c_trust, certs, n, id.id_type, id.id_data,
			     id.id_len,
			     rsa ? IKE_AUTH_METHOD_V1_RSA : IKE_AUTH_METHOD_V1_ECDSA,
			     sig->pl_body, sig->pl_len, h, sa->sa_v1->v1_keys.k_len);
	OPENSSL_cleanse(h, sizeof(h));
	if (rc)
		return -EACCES;
	if (!id_wanted(sa->sa_conn, &id))
		return -EPERM;
	keep_peer_id(sa, &id);
	return 0;
}

/* The peer's proof of its ID (body id_b): HASH, or CERTs and SIG. */
static int check_proof(struct ike_sa *sa, const uint8_t *id_b, size_t id_len,
		       const struct ikev1_chain *ch)
{
	if (by_cert(sa))
		return check_peer_sig(sa, id_b, id_len, ch);
	return check_peer(sa, id_b, id_len, find(ch, IKEV1_PL_HASH));
}

static int check_id_hash(struct ike_sa *sa, const struct ikev1_chain *ch)
{
	const struct ikev1_payload *idp = find(ch, IKEV1_PL_ID);

	if (!idp)
		return -EINVAL;
	return check_proof(sa, idp->pl_body, idp->pl_len, ch);
}

static void established(struct ike_sa *sa)
{
	struct ikev1_sa_state *v1 = sa->sa_v1;
	struct ike_engine *e = sa->sa_engine;
	struct ike_sa_info info;

	memcpy(v1->v1_p1_last, v1->v1_p1.x_iv, v1->v1_block);
	free(v1->v1_sai_b);
	free(v1->v1_id_b);
	free(v1->v1_gxi);
	free(v1->v1_gxr);
	v1->v1_sai_b = v1->v1_id_b = v1->v1_gxi = v1->v1_gxr = NULL;
	v1->v1_sai_len = v1->v1_id_len = v1->v1_gxi_len = v1->v1_gxr_len = 0;
	ike_half_open_done(sa);
	if (ike_sa_set_state(sa, IKE_S_ESTABLISHED) != 0)
		return;
	if (sa->sa_conn->c_rekey_s)
		sa->sa_rekey_at_ms = ike_rekey_time(e->e_now, sa->sa_conn->c_rekey_s);
	e->e_stats.st_ike_established++;
	ike_log(e, "IKE SA %u (%s): IKEv1 %s mode established with %s",
		sa->sa_id, sa->sa_conn->c_name,
		v1->v1_exchange == IKEV1_EXCH_AGGRESSIVE ? "aggressive" : "main",
		sa->sa_initiator ? "responder" : "initiator");
	if (e->e_ev.ev_ike_up) {
		ike_sa_info(sa, &info);
		e->e_ev.ev_ike_up(e->e_ev.ev_ctx, &info);
	}
	if (v1->v1_initial_contact)
		ikev1_initial_contact(sa);
	if (sa->sa_state == IKE_S_ESTABLISHED)
		ikev1_cfg_start(sa);
	ike_sa_schedule(sa);
}

/* ---- responder ---- */

/* The connection a phase 1 request is for: by the address pair (in main
 * mode a pre-shared key must be known before any identity is, §5.4), in
 * aggressive mode (peer_id set) also the peer's identity and the
 * connection's consent, and a transform one of its proposals accepts. */
static const struct ike_conn_cfg *conn_for(struct ike_engine *e,
					   const struct ike_endpoint *local,
					   const struct ike_endpoint *remote,
					   const struct ikev1_offer *o,
					   const struct ikev1_id *peer_id,
					   struct ike_chosen *ch, unsigned *idx)
{
	const struct ike_conn_cfg *c;

	for (unsigned i = 0; i < e->e_n_conn; i++) {
		c = ike_conn_at(e, i);
		if (!c || c->c_version == IKE_VERSION_2 || !ike_ep_matches(&c->c_local, local) ||
		    !ike_ep_matches(&c->c_remote, remote) ||
		    (peer_id && (!c->c_aggressive || !id_wanted(c, peer_id))))
			continue;
		if (ike_prop_choose(c->c_ike, c->c_n_ike, IKE_PROTO_IKE,
				    &o->o_offer, ch) != 0)
			continue;
		*idx = ch->ch_num - 1u;
		if (o->o_choice[*idx].c_auth == ikev1_peer_auth_method(c))
			return c;
	}
	return NULL;
}

/* A connection for these addresses that takes only IKEv2, when no
 * IKEv1 one does: the reason an IKEv1 peer is refused is then its
 * version. NULL otherwise. */
static const struct ike_conn_cfg *v2_only_conn(struct ike_engine *e,
					       const struct ike_endpoint *local,
					       const struct ike_endpoint *remote)
{
	const struct ike_conn_cfg *v2 = NULL;

	for (unsigned i = 0; i < e->e_n_conn; i++) {
		const struct ike_conn_cfg *c = ike_conn_at(e, i);

		if (!c || !ike_ep_matches(&c->c_local, local) || !ike_ep_matches(&c->c_remote, remote))
			continue;
		if (c->c_version != IKE_VERSION_2)
			return NULL;
		if (!v2)
			v2 = c;
	}
	return v2;
}

static void log_p1_refused(struct ike_engine *e, const struct ike_endpoint *local,
			   const struct ike_endpoint *remote, bool aggressive)
{
	const struct ike_conn_cfg *v2 = v2_only_conn(e, local, remote);
	const char *mode = aggressive ? "aggressive mode" : "main mode";

	if (v2) {
		e->e_stats.st_ikev1_v2_only++;
		ike_log_peer_info(e, &remote->ep_addr, v2->c_name,
				  "IKEv1 %s refused: the connection takes only IKEv2 "
				  "(\"version\": 2): NO-PROPOSAL-CHOSEN", mode);
		return;
	}
	ike_log_peer_info(e, &remote->ep_addr, NULL, "IKEv1 %s no connection takes (%s): "
			  "NO-PROPOSAL-CHOSEN", mode,
			  aggressive ? "addresses, identity, proposals, or \"aggressive\" not enabled"
				     : "addresses or proposals");
}

/* The responder's SA for a first message (its offer in o, the peer's
 * identity in aggressive mode) when a connection takes it, with the
 * transform chosen; NULL when none does. */
static struct ike_sa *responder_sa(struct ike_engine *e, const struct ike_endpoint *local,
				   const struct ike_endpoint *remote,
				   const struct ikev1_msg *m, const struct ikev1_offer *o,
				   const struct ikev1_id *peer_id, unsigned *idx)
{
	const struct ike_conn_cfg *c;
	struct ike_chosen ch;
	struct ike_sa *sa;

	c = conn_for(e, local, remote, o, peer_id, &ch, idx);
	if (!c) {
		e->e_stats.st_ikev1_p1_refused++;
		log_p1_refused(e, local, remote, peer_id != NULL);
		ikev1_refuse_p1(e, local, remote, m);
		return NULL;
	}
	sa = ike_sa_new(e, c, false, e->e_now);
	if (!sa)
		return NULL;
	sa->sa_local = *local;
	sa->sa_remote = *remote;
	if (!ikev1_state_new(sa)) {
		ike_sa_kill(sa, "out of memory");
		return NULL;
	}
	ike_sa_set_peer_spi(sa, be64_get(m->m_hdr.h_cky_i));
	ike_half_open_add(sa);
	ikev1_read_vids(sa, &m->m_chain);
	sa->sa_v1->v1_exchange = m->m_hdr.h_exchange;
	if (take_suite(sa, &ch, &o->o_choice[*idx]) != 0 ||
	    keep_sai(sa, find(&m->m_chain, IKEV1_PL_SA)) != 0) {
		ike_sa_kill(sa, "could not take the proposal");
		return NULL;
	}
	return sa;
}

/* Aggressive mode message 2: everything the responder has. */
static int aggr_answer(struct ike_sa *sa, const struct ikev1_choice *choice,
		       const uint8_t *my_ke, size_t my_ke_len)
{
	struct ike_writer w;

	ikev1_msg_begin(sa, &w, sa->sa_engine->e_bundle, MSG_CAP, IKEV1_EXCH_AGGRESSIVE, 0, 0);
	ikev1_w_answer(&w, choice, IKE_PROTO_IKE, NULL);
	ikev1_w_data(&w, IKEV1_PL_KE, my_ke, my_ke_len);
	ikev1_w_data(&w, IKEV1_PL_NONCE, sa->sa_nr, sa->sa_nr_len);
	w_id_hash(&w, sa);
	w_cert_request(&w, sa);
	ikev1_w_vids(&w, sa);
	w_nat_ds(&w, sa);
	/* kept and repeated until message 3 comes (§5.4 has no answer to it) */
	return ikev1_msg_send(sa, &w, &sa->sa_v1->v1_p1, true);
}

/* Aggressive mode message 1 in (§5.4), message 2 out. */
static void aggr_respond(struct ike_engine *e, const struct ike_endpoint *local,
			 const struct ike_endpoint *remote, const struct ikev1_msg *m)
{
	const struct ikev1_chain *ch = &m->m_chain;
	const struct ikev1_payload *sap = find(ch, IKEV1_PL_SA), *ke = find(ch, IKEV1_PL_KE);
	const struct ikev1_payload *nonce = find(ch, IKEV1_PL_NONCE), *idp = find(ch, IKEV1_PL_ID);
	struct ikev1_offer *o = &(struct ikev1_offer){ 0 };
	uint8_t my_ke[IKE_DH_KE_MAX], nr[IKEV1_NONCE_LEN];
	size_t my_ke_len = 0;
	struct ikev1_id id;
	struct ike_sa *sa;
	unsigned idx = 0;
	int rc;

	if (!sap || !ke || !nonce || !idp ||
	    ikev1_offer_decode(sap->pl_body, sap->pl_len, IKE_PROTO_IKE, o) != 0 ||
	    ikev1_id_decode(idp->pl_body, idp->pl_len, &id) != 0) {
		e->e_stats.st_bad_messages++;
		return;
	}
	sa = responder_sa(e, local, remote, m, o, &id, &idx);
	if (!sa)
		return;
	sa->sa_v1->v1_id_b = ike_dup(idp->pl_body, idp->pl_len);
	sa->sa_v1->v1_id_len = idp->pl_len;
	rc = sa->sa_v1->v1_id_b ? 0 : -ENOMEM;
	if (rc == 0)
		rc = make_ke_nonce(sa, my_ke, &my_ke_len, nr);
	if (rc == 0)
		rc = ike_nonce_set(&sa->sa_nr, &sa->sa_nr_len, nr, sizeof(nr));
	if (rc == 0)
		rc = derive(sa, ke, nonce, my_ke, my_ke_len);
	if (rc == 0)
		rc = ike_sa_set_state(sa, IKE_S_INIT_DONE);
	if (rc == 0)
		rc = aggr_answer(sa, &o->o_choice[idx], my_ke, my_ke_len);
	if (rc) {
		ike_sa_kill(sa, "could not answer aggressive mode");
		return;
	}
	sa->sa_v1->v1_step = 2;
	ike_log(e, "IKE SA %u (%s): IKEv1 aggressive mode from the peer", sa->sa_id,
		sa->sa_conn->c_name);
}

static int answer_sa(struct ike_sa *sa, const struct ikev1_choice *choice)
{
	struct ike_engine *e = sa->sa_engine;
	struct ike_writer w;

	ikev1_msg_begin(sa, &w, e->e_bundle, MSG_CAP, IKEV1_EXCH_IDPROT, 0, 0);
	ikev1_w_answer(&w, choice, IKE_PROTO_IKE, NULL);
	ikev1_w_vids(&w, sa);
	return ikev1_msg_send(sa, &w, &sa->sa_v1->v1_p1, false);
}

void ikev1_p1_respond(struct ike_engine *e, const struct ike_endpoint *local,
		      const struct ike_endpoint *remote,
		      const struct ikev1_msg *m)
{
	const struct ikev1_payload *sap = find(&m->m_chain, IKEV1_PL_SA);
	struct ikev1_offer *o = &(struct ikev1_offer){ 0 };
	struct ike_sa *sa;
	unsigned idx = 0;

	if (m->m_hdr.h_exchange == IKEV1_EXCH_AGGRESSIVE) {
		aggr_respond(e, local, remote, m);
		return;
	}
	if (m->m_hdr.h_exchange != IKEV1_EXCH_IDPROT || !sap ||
	    ikev1_offer_decode(sap->pl_body, sap->pl_len, IKE_PROTO_IKE, o) != 0) {
		e->e_stats.st_bad_messages++;
		return;
	}
	sa = responder_sa(e, local, remote, m, o, NULL, &idx);
	if (!sa)
		return;
	if (ike_sa_set_state(sa, IKE_S_INIT_DONE) != 0 ||
	    answer_sa(sa, &o->o_choice[idx]) != 0) {
		ike_sa_kill(sa, "could not answer main mode");
		return;
	}
	sa->sa_v1->v1_step = 2;
	ike_log(e, "IKE SA %u (%s): IKEv1 main mode from the peer", sa->sa_id,
		sa->sa_conn->c_name);
}

/* Message 3 in, message 4 out. */
static int respond_ke(struct ike_sa *sa, const struct ikev1_chain *ch)
{
	const struct ikev1_payload *ke = find(ch, IKEV1_PL_KE);
	const struct ikev1_payload *nonce = find(ch, IKEV1_PL_NONCE);
	struct ike_engine *e = sa->sa_engine;
	uint8_t my_ke[IKE_DH_KE_MAX], nr[IKEV1_NONCE_LEN];
	size_t my_ke_len = 0;
	struct ike_writer w;
	int rc;

	if (!ke || !nonce)
		return -EINVAL;
	rc = make_ke_nonce(sa, my_ke, &my_ke_len, nr);
	if (rc == 0)
		rc = ike_nonce_set(&sa->sa_nr, &sa->sa_nr_len, nr, sizeof(nr));
	if (rc == 0)
		rc = derive(sa, ke, nonce, my_ke, my_ke_len);
	if (rc)
		return rc;
	check_nat(sa, ch);
	ikev1_msg_begin(sa, &w, e->e_bundle, MSG_CAP, IKEV1_EXCH_IDPROT, 0, 0);
	ikev1_w_data(&w, IKEV1_PL_KE, my_ke, my_ke_len);
	ikev1_w_data(&w, IKEV1_PL_NONCE, nr, sizeof(nr));
	w_cert_request(&w, sa);
	w_nat_ds(&w, sa);
	sa->sa_v1->v1_step = 4;
	return ikev1_msg_send(sa, &w, &sa->sa_v1->v1_p1, false);
}

static bool has_initial_contact(const struct ikev1_chain *ch)
{
	struct ikev1_notify n;

	for (unsigned i = 0; i < ch->c_n; i++)
		if (ch->c_pl[i].pl_type == IKEV1_PL_N &&
		    ikev1_notify_decode(ch->c_pl[i].pl_body, ch->c_pl[i].pl_len, &n) == 0 &&
		    n.n_type == IKEV1_N_INITIAL_CONTACT)
			return true;
	return false;
}

/* A peer that does not authenticate (rc from check_id_hash) is told
 * AUTHENTICATION-FAILED, protected, and the SA goes: neither side keeps
 * one the other dropped. */
static void refused_peer(struct ike_sa *sa, int rc)
{
	ike_log(sa->sa_engine, "IKE SA %u: IKEv1 peer %s: no SA", sa->sa_id,
		rc == -EPERM ? "has another identity" : "does not authenticate");
	ikev1_notify_error(sa, IKEV1_N_AUTHENTICATION_FAILED, NULL);
	ike_sa_kill(sa, rc == -EPERM ? "peer has another identity"
				     : "peer does not authenticate");
}

/* Message 5 in (verified), message 6 out. */
static int respond_auth(struct ike_sa *sa, const struct ikev1_chain *ch,
			const uint8_t *iv_next)
{
	struct ike_engine *e = sa->sa_engine;
	struct ike_writer w;
	int rc = check_id_hash(sa, ch);

	if (rc) {
		/* the notify's IV follows message 5, as the peer's does */
		memcpy(sa->sa_v1->v1_p1.x_iv, iv_next, sa->sa_v1->v1_block);
		refused_peer(sa, rc);
		return 0; /* taken: the SA is gone */
	}
	memcpy(sa->sa_v1->v1_p1.x_iv, iv_next, sa->sa_v1->v1_block);
	sa->sa_v1->v1_initial_contact = has_initial_contact(ch);
	ikev1_msg_begin(sa, &w, e->e_bundle, MSG_CAP, IKEV1_EXCH_IDPROT, 0,
			IKEV1_F_ENCRYPTION);
	w_id_hash(&w, sa);
	rc = ikev1_msg_send(sa, &w, &sa->sa_v1->v1_p1, false);
	if (rc == 0) {
		sa->sa_v1->v1_step = 6;
		established(sa);
	}
	return rc;
}

/* Aggressive mode message 3 in. It is not answered; one that does not
 * verify is dropped (anyone who saw message 2 can send one) and the real
 * one still taken. */
static int aggr_respond_done(struct ike_sa *sa, const struct ikev1_chain *ch,
			     const uint8_t *iv_next)
{
	struct ikev1_sa_state *v1 = sa->sa_v1;
	int rc = check_proof(sa, v1->v1_id_b, v1->v1_id_len, ch);

	if (rc) {
		ike_log(sa->sa_engine, "IKE SA %u: aggressive mode %s %s: dropped", sa->sa_id,
			by_cert(sa) ? "SIG_I" : "HASH_I",
			rc == -EPERM ? "of another identity" : "does not verify");
		return -EINVAL;
	}
	if (iv_next)
		memcpy(v1->v1_p1.x_iv, iv_next, v1->v1_block);
	check_nat(sa, ch);
	/* a notify in clear is not covered by HASH_I */
	v1->v1_initial_contact = iv_next && has_initial_contact(ch);
	ikev1_xchg_clear(&v1->v1_p1);
	v1->v1_step = 3;
	established(sa);
	return 0;
}

/* ---- initiator ---- */

/* The quick modes of the connection's children, once phase 1 stands. */
static void start_children(struct ike_sa *sa)
{
	const struct ike_conn_cfg *c = sa->sa_conn;

	for (unsigned i = 0; i < c->c_n_child && i < IKEV1_QM_MAX; i++)
		if (ikev1_qm_start(sa, &c->c_child[i], NULL) != 0)
			ike_log(sa->sa_engine, "IKE SA %u: quick mode for %s not started",
				sa->sa_id, c->c_child[i].cc_name);
}

/* The DH group of aggressive mode: message 1's KE fixes it, so it is
 * the first proposal's first. */
static uint16_t aggr_group(const struct ike_conn_cfg *c)
{
	return c->c_n_ike && c->c_ike[0].pc_n_dh ? c->c_ike[0].pc_dh[0] : 0;
}

/* Aggressive mode message 1: SA (one group), KE, Ni, IDii, VIDs. */
static int aggr_initiate(struct ike_sa *sa, struct ike_writer *w)
{
	struct ikev1_sa_state *v1 = sa->sa_v1;
	uint8_t my_ke[IKE_DH_KE_MAX], ni[IKEV1_NONCE_LEN];
	size_t my_ke_len = 0, id_len;
	const uint8_t *id_b;
	int rc;

	sa->sa_dh_group = aggr_group(sa->sa_conn);
	rc = make_ke_nonce(sa, my_ke, &my_ke_len, ni);
	if (rc == 0)
		rc = ike_nonce_set(&sa->sa_ni, &sa->sa_ni_len, ni, sizeof(ni));
	v1->v1_gxi = rc ? NULL : ike_dup(my_ke, my_ke_len);
	v1->v1_gxi_len = my_ke_len;
	if (!v1->v1_gxi)
		return rc ? rc : -ENOMEM;
	ikev1_w_data(w, IKEV1_PL_KE, my_ke, my_ke_len);
	ikev1_w_data(w, IKEV1_PL_NONCE, ni, sizeof(ni));
	w_our_id(w, sa, &id_b, &id_len);
	if (w->w_err)
		return w->w_err;
	v1->v1_id_b = ike_dup(id_b, id_len);
	v1->v1_id_len = id_len;
	w_cert_request(w, sa);
	return v1->v1_id_b ? 0 : -ENOMEM;
}

int ikev1_initiate(struct ike_sa *sa)
{
	const struct ike_conn_cfg *c = sa->sa_conn;
	struct ike_engine *e = sa->sa_engine;
	struct ikev1_sa_state *v1 = ikev1_state_new(sa);
	struct ike_writer w;
	size_t at;
	int rc;

	if (!v1)
		return -ENOMEM;
	v1->v1_auth = ikev1_auth_method(c); /* every transform offers it */
	v1->v1_exchange = c->c_aggressive ? IKEV1_EXCH_AGGRESSIVE : IKEV1_EXCH_IDPROT;
	ikev1_msg_begin(sa, &w, e->e_bundle, MSG_CAP, v1->v1_exchange, 0, 0);
	at = w.w_len;
	ikev1_w_offer_p1(&w, c->c_ike, c->c_n_ike, ikev1_peer_auth_method(c),
			 ikev1_p1_life(c), c->c_aggressive ? aggr_group(c) : 0);
	if (w.w_err)
		return w.w_err;
	v1->v1_sai_len = w.w_len - at - IKEV1_GEN_HDR_LEN;
	v1->v1_sai_b = ike_dup(w.w_buf + at + IKEV1_GEN_HDR_LEN, v1->v1_sai_len);
	if (!v1->v1_sai_b)
		return -ENOMEM;
	if (c->c_aggressive && (rc = aggr_initiate(sa, &w)) != 0)
		return rc;
	ikev1_w_vids(&w, sa);
	rc = ikev1_msg_send(sa, &w, &v1->v1_p1, true);
	if (rc == 0)
		rc = ike_sa_set_state(sa, IKE_S_INIT_SENT);
	v1->v1_step = 1;
	return rc;
}

/* The responder's answer to our SA offer: its cookie, its vendor IDs and
 * the transform it chose, which must be one we offered. */
static int take_answer(struct ike_sa *sa, const struct ikev1_msg *m,
		       const struct ikev1_chain *ch)
{
	const struct ikev1_payload *sap = find(ch, IKEV1_PL_SA);
	const struct ike_conn_cfg *c = sa->sa_conn;
	struct ikev1_offer *o = &(struct ikev1_offer){ 0 };
	struct ike_chosen chosen;

	if (!sap || ikev1_offer_decode(sap->pl_body, sap->pl_len, IKE_PROTO_IKE, o) ||
	    ike_prop_accept(c->c_ike, c->c_n_ike, IKE_PROTO_IKE, &o->o_offer, &chosen) ||
	    o->o_choice[0].c_auth != ikev1_peer_auth_method(c))
		return -EINVAL;
	if (sa->sa_v1->v1_exchange == IKEV1_EXCH_AGGRESSIVE && chosen.ch_dh != sa->sa_dh_group)
		return -EINVAL; /* our KE was of the one group we offered */
	sa->sa_spi_r = be64_get(m->m_hdr.h_cky_r);
	ikev1_read_vids(sa, ch);
	return take_suite(sa, &chosen, &o->o_choice[0]);
}

/* With a NAT on the way, IKE moves to port 4500 (RFC 3947 §4). */
static void float_ports(struct ike_sa *sa)
{
	if (sa->sa_nat_local || sa->sa_nat_remote) {
		sa->sa_local.ep_port = IKE_NATT_PORT;
		sa->sa_remote.ep_port = IKE_NATT_PORT;
	}
}

/* Message 2 in, message 3 out. */
static int initiate_ke(struct ike_sa *sa, const struct ikev1_msg *m,
		       const struct ikev1_chain *ch)
{
	struct ike_engine *e = sa->sa_engine;
	uint8_t my_ke[IKE_DH_KE_MAX], ni[IKEV1_NONCE_LEN];
	size_t my_ke_len = 0;
	struct ike_writer w;
	int rc = take_answer(sa, m, ch);

	if (rc == 0)
		rc = make_ke_nonce(sa, my_ke, &my_ke_len, ni);
	if (rc == 0)
		rc = ike_nonce_set(&sa->sa_ni, &sa->sa_ni_len, ni, sizeof(ni));
	if (rc)
		return rc;
	/* kept until message 4 gives the peer's */
	sa->sa_v1->v1_gxi = ike_dup(my_ke, my_ke_len);
	sa->sa_v1->v1_gxi_len = my_ke_len;
	if (!sa->sa_v1->v1_gxi)
		return -ENOMEM;
	ikev1_msg_begin(sa, &w, e->e_bundle, MSG_CAP, IKEV1_EXCH_IDPROT, 0, 0);
	ikev1_w_data(&w, IKEV1_PL_KE, my_ke, my_ke_len);
	ikev1_w_data(&w, IKEV1_PL_NONCE, ni, sizeof(ni));
	w_cert_request(&w, sa);
	w_nat_ds(&w, sa);
	sa->sa_v1->v1_step = 3;
	return ikev1_msg_send(sa, &w, &sa->sa_v1->v1_p1, true);
}

/* The initiator's keys from the responder's KE and nonce (our KE was
 * kept since we sent it). */
static int initiator_derive(struct ike_sa *sa, const struct ikev1_chain *ch)
{
	struct ikev1_sa_state *v1 = sa->sa_v1;
	const struct ikev1_payload *ke = find(ch, IKEV1_PL_KE);
	const struct ikev1_payload *nonce = find(ch, IKEV1_PL_NONCE);
	uint8_t *mine = v1->v1_gxi;
	int rc;

	if (!ke || !nonce || !mine)
		return -EINVAL;
	v1->v1_gxi = NULL;
	rc = derive(sa, ke, nonce, mine, v1->v1_gxi_len);
	free(mine);
	return rc;
}

/* Message 4 in, message 5 out. */
static int initiate_auth(struct ike_sa *sa, const struct ikev1_chain *ch)
{
	struct ikev1_sa_state *v1 = sa->sa_v1;
	struct ike_engine *e = sa->sa_engine;
	struct ike_writer w;
	int rc = initiator_derive(sa, ch);

	if (rc)
		return rc;
	check_nat(sa, ch);
	float_ports(sa);
	ikev1_msg_begin(sa, &w, e->e_bundle, MSG_CAP, IKEV1_EXCH_IDPROT, 0,
			IKEV1_F_ENCRYPTION);
	w_id_hash(&w, sa);
	/* RFC 2407 §4.6.3.3: only the first SA with the peer; a second one
	 * (an ISAKMP SA re-established beside the old) must not make the
	 * peer drop the others */
	if (ike_conn_sas(sa->sa_conn) == 1)
		ikev1_w_notify_isakmp(&w, sa, IKEV1_N_INITIAL_CONTACT, NULL, 0);
	v1->v1_step = 5;
	rc = ikev1_msg_send(sa, &w, &v1->v1_p1, true);
	if (rc == 0)
		rc = ike_sa_set_state(sa, IKE_S_AUTH_SENT);
	return rc;
}

/* Message 6 in: phase 1 done; the quick modes of the children follow. */
static int initiate_done(struct ike_sa *sa, const struct ikev1_chain *ch,
			 const uint8_t *iv_next)
{
	int rc = check_id_hash(sa, ch);

	memcpy(sa->sa_v1->v1_p1.x_iv, iv_next, sa->sa_v1->v1_block);
	if (rc) {
		refused_peer(sa, rc);
		return 0;
	}
	ikev1_xchg_clear(&sa->sa_v1->v1_p1);
	sa->sa_v1->v1_step = 6;
	established(sa);
	start_children(sa);
	return 0;
}

/* Aggressive mode message 2 in (verified), message 3 out: phase 1 done. */
static int aggr_initiate_done(struct ike_sa *sa, const struct ikev1_msg *m,
			      const struct ikev1_chain *ch)
{
	struct ikev1_sa_state *v1 = sa->sa_v1;
	struct ike_writer w;
	int rc;

	if (!find(ch, IKEV1_PL_KE) || !v1->v1_gxi || take_answer(sa, m, ch) != 0)
		return -EINVAL;
	rc = initiator_derive(sa, ch);
	if (rc)
		return rc;
	rc = check_id_hash(sa, ch);
	if (rc) {
		refused_peer(sa, rc);
		return 0;
	}
	check_nat(sa, ch);
	float_ports(sa);
	ikev1_msg_begin(sa, &w, sa->sa_engine->e_bundle, MSG_CAP, IKEV1_EXCH_AGGRESSIVE, 0, 0);
	w_proof(&w, sa, v1->v1_id_b, v1->v1_id_len);
	w_nat_ds(&w, sa);
	/* not answered: kept to send again when message 2 is repeated */
	rc = ikev1_msg_send(sa, &w, &v1->v1_p1, false);
	if (rc == 0) /* the state machine's way to ESTABLISHED */
		rc = ike_sa_set_state(sa, IKE_S_AUTH_SENT);
	if (rc)
		return rc;
	v1->v1_step = 3;
	established(sa);
	start_children(sa);
	return 0;
}

int ikev1_p1_input(struct ike_sa *sa, const struct ikev1_msg *m,
		   const struct ikev1_chain *ch, const uint8_t *plain,
		   size_t plain_len, const uint8_t *iv_next)
{
	struct ikev1_sa_state *v1 = sa->sa_v1;
	bool enc = iv_next != NULL;
	int rc = -EINVAL;

	(void)plain;
	(void)plain_len;
	if (m->m_hdr.h_exchange != v1->v1_exchange)
		return -EINVAL;
	if (v1->v1_exchange == IKEV1_EXCH_AGGRESSIVE) {
		if (!sa->sa_initiator && v1->v1_step == 2)
			rc = aggr_respond_done(sa, ch, iv_next);
		else if (sa->sa_initiator && v1->v1_step == 1 && !enc)
			rc = aggr_initiate_done(sa, m, ch);
	} else if (!sa->sa_initiator && v1->v1_step == 2 && !enc)
		rc = respond_ke(sa, ch);
	else if (!sa->sa_initiator && v1->v1_step == 4 && enc)
		rc = respond_auth(sa, ch, iv_next);
	else if (sa->sa_initiator && v1->v1_step == 1 && !enc)
		rc = initiate_ke(sa, m, ch);
	else if (sa->sa_initiator && v1->v1_step == 3 && !enc)
		rc = initiate_auth(sa, ch);
	else if (sa->sa_initiator && v1->v1_step == 5 && enc)
		rc = initiate_done(sa, ch, iv_next);
	if (rc && rc != -EINVAL && sa->sa_state != IKE_S_DEAD)
		ike_sa_kill(sa, "phase 1 failed");
	return rc == -EINVAL ? rc : 0;
}

/* RFC 2409 has no rekey of an ISAKMP SA: a new one is made with the same
 * peer, and the old one deleted once it stands. */
void ikev1_reestablish(struct ike_sa *old)
{
	struct ike_sa *sa;

	if (!old->sa_initiator)
		return; /* the initiator renews; the responder's expires */
	sa = ike_sa_new(old->sa_engine, old->sa_conn, true, old->sa_engine->e_now);
	if (!sa)
		return;
	sa->sa_setup_stamp = 0; /* a renewal, not a setup to time */
	sa->sa_local = old->sa_conn->c_local;
	sa->sa_local.ep_port = IKE_PORT;
	sa->sa_remote = old->sa_remote;
	sa->sa_remote.ep_port = old->sa_conn->c_remote.ep_port;
	sa->sa_replaces = old->sa_id;
	if (ikev1_initiate(sa) != 0)
		ike_sa_kill(sa, "could not start");
}
