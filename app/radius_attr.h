/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_APP_RADIUS_ATTR_H
#define ESPGATE_APP_RADIUS_ATTR_H

/*
 * RADIUS attribute mapping for EAP-RADIUS, without radcli or DPDK (unit
 * tested apart): an EAP packet into EAP-Message attributes and back (RFC
 * 3579 §3.1), MS-MPPE-Send/Recv-Key decryption (RFC 2548 §2.4.2/§2.4.3).
 */
#include <stddef.h>
#include <stdint.h>

#define RADIUS_ATTR_MAX 253        /* an attribute's value (RFC 2865 §5) */
#define RADIUS_VECTOR_LEN 16       /* Request Authenticator */
#define RADIUS_MPPE_KEY_MAX 64     /* our bound on a decrypted key */

/* The attribute values an EAP packet of len bytes takes: *n chunks of at
 * most 253 bytes, chunk i at eap + i * 253. 0, or -EINVAL when the packet
 * is empty or would need more than max attributes. */
int radius_eap_split(size_t len, unsigned max, unsigned *n);
/* One more EAP-Message value appended to out (cap bytes, *len used):
 * 0, or -EMSGSIZE. */
int radius_eap_join(uint8_t *out, size_t cap, size_t *len, const uint8_t *v, size_t vlen);
/* Whether the joined EAP-Message is one EAP packet whose Length is its
 * whole (RFC 3579 §3.1: the server's answer is dropped otherwise). */
int radius_eap_check(const uint8_t *eap, size_t len);
/* An MS-MPPE-Send-Key or -Recv-Key value (Salt, encrypted String) of an
 * answer to the request whose authenticator is vector: the key into key
 * (cap bytes), its length in *key_len. 0, or -EINVAL when it is
 * malformed (salt without its high bit, bad padding, key longer than its
 * string). */
int radius_mppe_decrypt(const uint8_t *val, size_t len, const char *secret, size_t secret_len,
			const uint8_t vector[RADIUS_VECTOR_LEN], uint8_t *key, size_t cap,
			size_t *key_len);

#endif
