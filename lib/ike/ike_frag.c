/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What both versions' fragmentation share: a message kept as a bundle
 * of datagrams (one, or its fragments) that retransmission sends again
 * whole, the room one fragment's datagram leaves for an IKE message
 * (RFC 7383 §2.5.1; IKEv1's vendor-ID scheme counts the same way), and
 * the bookkeeping of a message coming in as fragments: numbered from
 * 1, a bounded count and size, duplicates ignored, a message ID (IKEv2)
 * or fragment ID (IKEv1) of its own, given up when it is too old.
 */
#include "ike_sa.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

bool ike_bundle_add(uint8_t *b, size_t *len, size_t cap, const uint8_t *msg, size_t n)
{
	if (n > UINT16_MAX || *len + 2 + n > cap)
		return false;
	b[*len] = (uint8_t)(n >> 8);
	b[*len + 1] = (uint8_t)n;
	memcpy(b + *len + 2, msg, n);
	*len += 2 + n;
	return true;
}

void ike_bundle_send_to(struct ike_sa *sa, const struct ike_endpoint *local,
			const struct ike_endpoint *remote, const uint8_t *b, size_t len)
{
	sa->sa_last_tx_ms = sa->sa_engine->e_now;
	while (len >= 2) {
		size_t n = (size_t)b[0] << 8 | b[1];

		if (n > len - 2)
			return;
		ike_send_raw(sa->sa_engine, local, remote, b + 2, n);
		b += 2 + n;
		len -= 2 + n;
	}
}

void ike_bundle_send(struct ike_sa *sa, const uint8_t *b, size_t len)
{
	ike_bundle_send_to(sa, &sa->sa_local, &sa->sa_remote, b, len);
}

size_t ike_frag_room(const struct ike_sa *sa)
{
	size_t ip = sa->sa_remote.ep_addr.family == AF_INET ? 20 : 40;
	size_t size = sa->sa_conn && sa->sa_conn->c_frag_size ? sa->sa_conn->c_frag_size
							       : IKE_FRAG_DEFAULT;
	size_t marker = sa->sa_remote.ep_port == IKE_NATT_PORT ? 4 : 0;

	return size > ip + 8 + marker ? size - ip - 8 - marker : 0;
}

void ike_reassembly_free(struct ike_reassembly **slot)
{
	struct ike_reassembly *ra = *slot;

	if (!ra)
		return;
	OPENSSL_cleanse(ra, sizeof(*ra) + ra->ra_cap);
	free(ra);
	*slot = NULL;
}

/* The message fp belongs to: the one in progress, or a new one (cap
 * bytes at most) in its place when fp is of another, or the one in
 * progress began more than IKE_FRAG_TIMEOUT_MS ago (*dropped set). */
static struct ike_reassembly *reassembly_for(struct ike_reassembly **slot,
					     const struct ike_frag_piece *fp,
					     size_t cap, uint64_t now, bool *dropped)
{
	struct ike_reassembly *ra = *slot;
	bool conflict = ra && fp->fp_total && ra->ra_total && fp->fp_total != ra->ra_total;

	*dropped = false;
	if (ra && (ra->ra_id != fp->fp_id || now - ra->ra_started_ms > IKE_FRAG_TIMEOUT_MS ||
		   (conflict && fp->fp_restart))) {
		*dropped = ra->ra_count != 0;
		ike_reassembly_free(slot);
		ra = NULL;
	}
	if (ra)
		return ra;
	ra = calloc(1, sizeof(*ra) + cap);
	if (!ra)
		return NULL;
	ra->ra_id = fp->fp_id;
	ra->ra_cap = cap;
	ra->ra_started_ms = now;
	*slot = ra;
	return ra;
}

/* Whether fp's number and total agree with what came before: within
 * the total known, and a total no lower than a number held. */
static bool piece_fits(const struct ike_reassembly *ra, const struct ike_frag_piece *fp)
{
	if (ra->ra_total && (fp->fp_num > ra->ra_total ||
			     (fp->fp_total && fp->fp_total != ra->ra_total)))
		return false;
	return !fp->fp_total || ra->ra_highest <= fp->fp_total;
}

int ike_reassembly_add(struct ike_reassembly **slot, const struct ike_frag_piece *fp,
		       size_t cap, uint64_t now, bool *dropped)
{
	struct ike_reassembly *ra;
	unsigned i = fp->fp_num - 1u;

	*dropped = false;
	if (!fp->fp_num || fp->fp_num > IKE_FRAG_MAX || fp->fp_total > IKE_FRAG_MAX ||
	    fp->fp_len > IKE_FRAG_CHUNK_MAX || fp->fp_len > cap)
		return -EINVAL;
	ra = reassembly_for(slot, fp, cap, now, dropped);
	if (!ra)
		return -ENOMEM;
	if (!piece_fits(ra, fp))
		return -EINVAL;
	if (ra->ra_have[i])
		return -EEXIST;
	if (fp->fp_len > ra->ra_cap - ra->ra_used) {
		*dropped = true; /* the whole is too large to take */
		ike_reassembly_free(slot);
		return -EMSGSIZE;
	}
	ra->ra_have[i] = true;
	ra->ra_off[i] = (uint32_t)ra->ra_used;
	ra->ra_len[i] = (uint16_t)fp->fp_len;
	memcpy(ra->ra_data + ra->ra_used, fp->fp_data, fp->fp_len);
	ra->ra_used += fp->fp_len;
	if (fp->fp_num == 1)
		ra->ra_first = fp->fp_first;
	if (fp->fp_total)
		ra->ra_total = fp->fp_total;
	if (fp->fp_num > ra->ra_highest)
		ra->ra_highest = fp->fp_num;
	ra->ra_count++;
	return ra->ra_total && ra->ra_count == ra->ra_total ? 0 : 1;
}

size_t ike_reassembly_join(struct ike_reassembly **slot, uint8_t *out, size_t cap,
			   uint8_t *first)
{
	struct ike_reassembly *ra = *slot;
	size_t off = 0;

	if (!ra || !ra->ra_total || ra->ra_count != ra->ra_total || ra->ra_used > cap)
		return 0;
	for (unsigned i = 0; i < ra->ra_total; i++) {
		memcpy(out + off, ra->ra_data + ra->ra_off[i], ra->ra_len[i]);
		off += ra->ra_len[i];
	}
	if (first)
		*first = ra->ra_first;
	ike_reassembly_free(slot);
	return off;
}
