/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv2's Child SAs: what we propose (the SA and TS payloads) and the
 * keys (KEYMAT, RFC 7296 §2.17). Selectors and the data plane's events
 * are the core's, in ike_child.c.
 */
#include "ike_sa.h"
#include "byteorder.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

/* SAi2 | TSi | TSr [| N(USE_TRANSPORT_MODE)] of a new Child SA. No KE
 * inside IKE_EXCH_AUTH (§1.2): the proposals go without DH groups there. */
void ike_child_offer(struct ike_sa *sa, const struct ike_child_cfg *cc,
		     uint32_t spi_in, struct ike_writer *w)
{
	struct cfg_proposal props[IKE_MAX_PROPOSALS];
	uint8_t spi[4];
	struct ike_offer offer;
	struct ike_selectors l, r;

	be32_put(spi, spi_in);
	(void)sa;
	ike_prop_without_dh(cc->cc_esp, cc->cc_n_esp, props);
	ike_prop_offer(props, cc->cc_n_esp, IKE_PROTO_ESP, spi, 4, 0, &offer);
	ike_pl_sa_encode(w, &offer);
	ike_ts_from_cfg(cc->cc_local, cc->cc_n_local, &l);
	ike_ts_from_cfg(cc->cc_remote, cc->cc_n_remote, &r);
	ike_pl_ts_encode(w, IKE_PL_TSI, &l);
	ike_pl_ts_encode(w, IKE_PL_TSR, &r);
	if (cc->cc_transport)
		ike_w_notify(w, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
}

/* KEYMAT (§2.17) from the given nonces and, with PFS, the new g^ir;
 * then the event. */
int ike_child_install_with(struct ike_sa *sa, struct ike_child_sa *cs,
			   const uint8_t *gir, size_t gir_len,
			   const uint8_t *ni, size_t ni_len,
			   const uint8_t *nr, size_t nr_len)
{
	const struct ike_chosen *a = &cs->cs_alg;
	size_t elen = ike_encr_keymat_len(a->ch_encr, a->ch_encr_bits);
	size_t ilen = ike_integ_key_len(a->ch_integ);
	int rc;

	if (!elen && a->ch_encr != IKE_ENCR_NULL)
		return -ENOTSUP;
	rc = ike_child_keymat(sa->sa_suite.prf, sa->sa_v2.v2_keys.sk_d,
			      ike_prf_len(sa->sa_suite.prf), gir, gir_len, ni, ni_len,
			      nr, nr_len, elen, ilen, &cs->cs_keys);
	if (rc < 0)
		return rc;
	cs->cs_created_ms = sa->sa_engine->e_now;
	cs->cs_rekey_at_ms = ike_rekey_time(sa->sa_engine->e_now,
					    cs->cs_cfg ? cs->cs_cfg->cc_rekey_s : 0);
	ike_sa_schedule(sa);
	ike_child_event(sa, cs, true);
	return 0;
}

int ike_child_install(struct ike_sa *sa, struct ike_child_sa *cs)
{
	return ike_child_install_with(sa, cs, NULL, 0, sa->sa_ni, sa->sa_ni_len,
				      sa->sa_nr, sa->sa_nr_len);
}

