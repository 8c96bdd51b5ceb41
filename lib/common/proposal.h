/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_PROPOSAL_H
#define ESPGATE_PROPOSAL_H

/*
 * IKEv2 proposals as strongSwan writes them ("aes256gcm16-prfsha384-ecp384",
 * "aes128-sha256-modp2048"): the configuration validates them, lib/ike
 * negotiates with them. Algorithms are IANA transform IDs (RFC 7296 §3.3.2),
 * as plain numbers: lib/common knows nothing of lib/ike.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CFG_PROP_MAX 8 /* algorithms of one kind in one proposal */

/* One proposal: every algorithm listed is acceptable, in order of
 * preference. */
struct cfg_proposal {
	uint16_t pc_encr[CFG_PROP_MAX], pc_encr_bits[CFG_PROP_MAX];
	uint8_t pc_n_encr;
	uint16_t pc_integ[CFG_PROP_MAX];
	uint8_t pc_n_integ;
	uint16_t pc_prf[CFG_PROP_MAX];
	uint8_t pc_n_prf;
	uint16_t pc_dh[CFG_PROP_MAX];
	uint8_t pc_n_dh;
	uint16_t pc_esn[2];
	uint8_t pc_n_esn;
};

/* Whether the proposal's ciphers are AEAD (a proposal never mixes). */
bool cfg_proposal_is_aead(const struct cfg_proposal *p);
/* Whether p names 3DES or MODP-1024 (IKEv1 legacy peers only). */
bool cfg_proposal_is_legacy(const struct cfg_proposal *p);

/* Parses text for an IKE SA (ike: needs a PRF and a DH group; an
 * integrity keyword names the PRF too unless a prf... keyword is given)
 * or for ESP (DH optional: PFS; no ESN keyword means noesn). 0, or
 * -EINVAL with what is wrong in err (one line, without the text itself). */
/* A transform (type 1 ENCR, 2 PRF, 3 INTEG, 4 DH; RFC 7296 §3.3.2) by
 * its keyword ("aes256", "prfsha384", "ecp384"), or "TYPE:ID[/BITS]" for
 * one without; the length snprintf gives. */
size_t cfg_transform_name(uint8_t type, uint16_t id, uint16_t bits, char *out, size_t cap);
/* A proposal as a configuration writes it: "aes256gcm16-prfsha384-ecp384". */
void cfg_proposal_format(const struct cfg_proposal *p, char *out, size_t cap);

int cfg_proposal_parse(const char *text, bool ike, struct cfg_proposal *p,
		       char *err, size_t errlen);

#endif
