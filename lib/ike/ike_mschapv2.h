/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_IKE_MSCHAPV2_H
#define ESPGATE_IKE_MSCHAPV2_H

/*
 * MS-CHAPv2 (RFC 2759) as EAP-MSCHAPv2 uses it, and its keys (RFC 3079
 * §3): the authenticator's side. MD4 and DES come from OpenSSL 3's
 * legacy provider, loaded once into a library context of this file's own
 * (with the default provider beside it, for SHA-1); when it cannot be
 * loaded every call here fails with -ENOTSUP.
 *
 * Errors: 0, -EINVAL (a password that is not UTF-8 or longer than 256
 * characters), -ENOTSUP (no legacy provider), -EIO (OpenSSL failed),
 * -EACCES (ike_mschap_verify: the NT-Response is not the password's).
 * Every intermediate hash and key is wiped before returning.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IKE_MSCHAP_CHALLENGE_LEN 16   /* authenticator and peer challenges */
#define IKE_MSCHAP_HASH_LEN 16        /* PasswordHash, PasswordHashHash */
#define IKE_MSCHAP_CHAL_HASH_LEN 8    /* ChallengeHash's output */
#define IKE_MSCHAP_NT_RESPONSE_LEN 24
#define IKE_MSCHAP_AUTH_RESPONSE_LEN 42 /* "S=" and 40 hex digits */
#define IKE_MSCHAP_KEY_LEN 16         /* MasterKey, the start keys */
#define IKE_MSCHAP_MSK_LEN 64         /* EAP-MSCHAPv2's MSK */
#define IKE_MSCHAP_PASSWORD_MAX 256   /* characters (RFC 2759 §4) */

/* 0 when MD4 and DES can be used, -ENOTSUP when the legacy provider
 * cannot be loaded (the caller says so: this file does not log). */
int ike_mschap_available(void);

/* RFC 2759 §8.3: MD4 of the UTF-16LE form of a UTF-8 password. */
int ike_mschap_nt_hash(const char *password, size_t len, uint8_t out[IKE_MSCHAP_HASH_LEN]);

/* RFC 2759 §8.2: SHA-1(peer | authenticator | user)[0..8), user
 * without a "DOMAIN\" prefix. */
int ike_mschap_challenge_hash(const uint8_t peer[IKE_MSCHAP_CHALLENGE_LEN],
			      const uint8_t auth[IKE_MSCHAP_CHALLENGE_LEN],
			      const char *user, size_t user_len,
			      uint8_t out[IKE_MSCHAP_CHAL_HASH_LEN]);

/* RFC 2759 §8.5: three DES-ECB of the challenge hash under the password
 * hash cut into 7-byte keys. */
int ike_mschap_nt_response(const uint8_t chal_hash[IKE_MSCHAP_CHAL_HASH_LEN],
			   const uint8_t pw_hash[IKE_MSCHAP_HASH_LEN],
			   uint8_t out[IKE_MSCHAP_NT_RESPONSE_LEN]);

/* RFC 2759 §8.7: "S=" and 40 upper-case hex digits, NUL-terminated. */
int ike_mschap_auth_response(const uint8_t pw_hash[IKE_MSCHAP_HASH_LEN],
			     const uint8_t nt_response[IKE_MSCHAP_NT_RESPONSE_LEN],
			     const uint8_t chal_hash[IKE_MSCHAP_CHAL_HASH_LEN],
			     char out[IKE_MSCHAP_AUTH_RESPONSE_LEN + 1]);

/* RFC 3079 §3.4: GetMasterKey over MD4(PasswordHash). */
int ike_mschap_master_key(const uint8_t pw_hash_hash[IKE_MSCHAP_HASH_LEN],
			  const uint8_t nt_response[IKE_MSCHAP_NT_RESPONSE_LEN],
			  uint8_t out[IKE_MSCHAP_KEY_LEN]);

/* RFC 3079 §3.4: GetAsymmetricStartKey, 128-bit. */
int ike_mschap_start_key(const uint8_t master[IKE_MSCHAP_KEY_LEN], bool send, bool server,
			 uint8_t out[IKE_MSCHAP_KEY_LEN]);

/* The MSK as strongSwan's eap-mschapv2 (and Windows) make it: the
 * server's receive key, its send key, 32 zero bytes. */
int ike_mschap_msk(const uint8_t pw_hash[IKE_MSCHAP_HASH_LEN],
		   const uint8_t nt_response[IKE_MSCHAP_NT_RESPONSE_LEN],
		   uint8_t out[IKE_MSCHAP_MSK_LEN]);

/* The authenticator's check of a Response (RFC 2759 §5-6): whether
 * nt_response is the password's (compared in constant time: 0 or
 * -EACCES); when it is, the authenticator response and the MSK. */
struct ike_mschap_check {
	const char *password;   /* UTF-8, from the secrets file */
	size_t password_len;
	const char *user;       /* the Response's Name, or the identity */
	size_t user_len;
	const uint8_t *auth_challenge;  /* IKE_MSCHAP_CHALLENGE_LEN, ours */
	const uint8_t *peer_challenge;  /* IKE_MSCHAP_CHALLENGE_LEN */
	const uint8_t *nt_response;     /* IKE_MSCHAP_NT_RESPONSE_LEN */
};
int ike_mschap_verify(const struct ike_mschap_check *c,
		      char auth_response[IKE_MSCHAP_AUTH_RESPONSE_LEN + 1],
		      uint8_t msk[IKE_MSCHAP_MSK_LEN]);
#endif
