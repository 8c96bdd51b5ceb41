/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Attribute payload of IKEv1's transaction exchange
 * (draft-dukes-ike-mode-cfg-02 §3.2): its fixed part through the
 * cursor, its attributes through ikev1_attr_next (RFC 2408 §3.3).
 */
#include "ikev1_msg.h"

#include <errno.h>
#include <string.h>

#include "cursor.h"

int ikev1_cfg_decode(const uint8_t *body, size_t len, struct ikev1_cfg_pl *cp)
{
	struct cursor c = cursor_make(body, len);
	struct ikev1_iter it;
	uint8_t reserved;
	int rc;

	memset(cp, 0, sizeof(*cp));
	if (!cursor_u8(&c, &cp->cp_type) || !cursor_u8(&c, &reserved) ||
	    !cursor_be16(&c, &cp->cp_id))
		return -EINVAL;
	if (cp->cp_type < IKEV1_CFG_REQUEST || cp->cp_type > IKEV1_CFG_ACK)
		return -EINVAL;
	ikev1_iter_init(&it, c.p, c.left, 0);
	for (;;) {
		struct ikev1_attr a;

		rc = ikev1_attr_next(&it, &a);
		if (rc <= 0)
			return rc;
		if (cp->cp_n == IKEV1_CFG_ATTRS_MAX)
			return -EINVAL;
		cp->cp_attr[cp->cp_n++] = a;
	}
}

const struct ikev1_attr *ikev1_cfg_find(const struct ikev1_cfg_pl *cp, uint16_t type)
{
	for (unsigned i = 0; i < cp->cp_n; i++)
		if (cp->cp_attr[i].a_type == type)
			return &cp->cp_attr[i];
	return NULL;
}

void ikev1_w_cfg(struct ike_writer *w, const struct ikev1_cfg_pl *cp)
{
	ike_w_pl_begin(w, IKEV1_PL_ATTR, false);
	ike_w_u8(w, cp->cp_type);
	ike_w_u8(w, 0);
	ike_w_be16(w, cp->cp_id);
	for (unsigned i = 0; i < cp->cp_n; i++)
		ikev1_w_attr(w, &cp->cp_attr[i]);
	ike_w_pl_end(w);
}
