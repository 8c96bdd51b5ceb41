/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_IKE_PROP_H
#define ESPGATE_IKE_PROP_H

/* Proposals (RFC 7296 §2.7, §3.3): what we offer, and choosing. */

#include "ike.h"
#include "ike_types.h"

/* One algorithm per type: what was agreed. */
struct ike_chosen {
	uint8_t ch_num;
	uint8_t ch_spi_size;
	uint8_t ch_spi[8];
	uint16_t ch_encr, ch_encr_bits, ch_integ, ch_prf, ch_dh, ch_esn;
};

/* Our proposals as an SA payload; spi (spi_size bytes) in each. */
void ike_prop_offer(const struct cfg_proposal *cfg, unsigned n, uint8_t proto,
		    const uint8_t *spi, uint8_t spi_size, uint16_t only_dh,
		    struct ike_offer *sa);
/* Responder: the first of the peer's proposals that one of ours accepts
 * (§2.7); -ENOENT: NO_PROPOSAL_CHOSEN. */
int ike_prop_choose(const struct cfg_proposal *cfg, unsigned n, uint8_t proto,
		    const struct ike_offer *peer, struct ike_chosen *out);
/* Initiator: the responder's answer must be one proposal with one of
 * each transform we offered; -EINVAL otherwise. */
int ike_prop_accept(const struct cfg_proposal *cfg, unsigned n, uint8_t proto,
		    const struct ike_offer *resp, struct ike_chosen *out);
/* The chosen transforms as a one-proposal SA payload (responder). */
void ike_prop_answer(const struct ike_chosen *c, uint8_t proto,
		     const uint8_t *spi, uint8_t spi_size, struct ike_offer *sa);
/* Copies proposals without their DH groups: IKE_AUTH's Child SA has no
 * KE (RFC 7296 §1.2), PFS starts with its first rekey. */
void ike_prop_without_dh(const struct cfg_proposal *cfg, unsigned n,
			 struct cfg_proposal *out);
/* For a refusal's log line, as charon's "received proposals: ...,
 * configured proposals: ...": the peer's proposals (their transforms by
 * the configuration's keywords, joined by '-'), and ours; ", " between
 * proposals, cut to cap. */
void ike_offer_format(const struct ike_offer *o, char *out, size_t cap);
void ike_props_format(const struct cfg_proposal *cfg, unsigned n, char *out, size_t cap);
/* Whether group is in any of the proposals (for INVALID_KE_PAYLOAD). */
bool ike_prop_has_dh(const struct cfg_proposal *cfg, unsigned n, uint16_t group);
/* Whether one of our IKE proposals allows what was chosen (encryption,
 * PRF, integrity, DH group) under another configuration. */
bool ike_prop_allows(const struct cfg_proposal *cfg, unsigned n, const struct ike_chosen *ch);

#endif
