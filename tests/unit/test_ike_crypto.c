/* SPDX-License-Identifier: BSD-3-Clause */
#include <criterion/criterion.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>

#include "ike_crypto.h"

/*
 * Known answers for lib/ike/ike_crypto.c; none computed with this code.
 *  - PRF: RFC 4231 §4.2-4.8 cases 1, 2, 3, 4, 6, 7 (HMAC-SHA-256/384/512)
 *    and RFC 2202 §3 cases 1, 2, 3, 6 (HMAC-SHA-1).
 *  - ECP: RFC 5903 §8.1-8.3 (groups 19, 20, 21): i, g^i, r, g^r, g^ir x;
 *    and RFC 5114 A.8 (P-521), whose g^ir x starts with a zero byte.
 *  - X25519 / X448: RFC 7748 §6.1 / §6.2 (Alice and Bob).
 *  - MODP 2048-8192: RFC 3526 §3-§7's primes, written out below, and
 *    2^x mod p for fixed private keys computed in the test with
 *    OpenSSL's BN_mod_exp over them.
 *  - SK with ChaCha20-Poly1305: RFC 7634 Appendix B (the IKEv2 example).
 *  - Everything else comes from the python3 reference below (hmac,
 *    hashlib, pow, and the `cryptography` package for AES-CBC, AES-GCM
 *    and ChaCha20-Poly1305); its output, in the order printed, is the
 *    PY_* strings and the python-marked table rows. To regenerate: take
 *    the lines below without their leading " * " and run them with
 *    /usr/bin/python3.
 *    MODP 2048's prime is RFC 3526 §3's; the private keys are searched
 *    for a public value and a shared secret with a leading zero byte so
 *    that the zero padding is exercised.
 *
 * --- ike_crypto_ref.py ---
 * import hmac, hashlib
 * from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
 * from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
 *
 * H = lambda s: bytes.fromhex(s)
 * def prf(h, k, s): return hmac.new(k, s, h).digest()
 * def prfplus(h, k, s, n):
 *     out, t, i = b'', b'', 1
 *     while len(out) < n:
 *         t = prf(h, k, t + s + bytes([i])); out += t; i += 1
 *     return out[:n]
 * def p(name, b): print('%s %s' % (name, b.hex()))
 *
 * # prf+
 * K = bytes(range(1, 21)); S = b'prf+ seed for espgate'
 * for h, n in ((hashlib.sha256, 1), (hashlib.sha256, 33), (hashlib.sha1, 100),
 *              (hashlib.sha512, 200)):
 *     p('prfplus_%s_%d' % (h().name, n), prfplus(h, K, S, n))
 * p('prfplus_sha256_8160_tail', prfplus(hashlib.sha256, K, S, 255 * 32)[-32:])
 *
 * # MODP 2048: find a private key whose public value starts with 0x00 and a
 * # peer key whose shared secret with it starts with 0x00 (tests the padding)
 * P14 = int('FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74'
 *  '020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D'
 *  '6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5'
 *  'AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8'
 *  'FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804'
 *  'F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF0'
 *  '6F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA051015728E5A8AACAA68'
 *  'FFFFFFFFFFFFFFFF', 16)
 * be = lambda v, n: v.to_bytes(n, 'big')
 * xa = int.from_bytes(hashlib.sha256(b'espgate modp a').digest(), 'big')
 * while pow(2, xa, P14) >= 1 << 2040: xa += 1
 * ya = pow(2, xa, P14)
 * xb = int.from_bytes(hashlib.sha256(b'espgate modp b').digest(), 'big')
 * while pow(ya, xb, P14) >= 1 << 2040: xb += 1
 * yb = pow(2, xb, P14)
 * p('modp_xa', be(xa, 32)); p('modp_ya', be(ya, 256))
 * p('modp_xb', be(xb, 32)); p('modp_yb', be(yb, 256))
 * p('modp_gab', be(pow(ya, xb, P14), 256))
 * assert pow(yb, xa, P14) == pow(ya, xb, P14)
 *
 * # §2.14 / §2.17 / §2.18 key derivation, PRF HMAC-SHA-256
 * ni = bytes(range(0x10, 0x30)); nr = bytes(range(0x80, 0xa0))
 * spii = H('0102030405060708'); spir = H('a1a2a3a4a5a6a7a8')
 * gir = H('d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de')
 * h = hashlib.sha256
 * skeyseed = prf(h, ni + nr, gir); p('skeyseed', skeyseed)
 * for name, el, il in (('cbc256_sha256', 32, 32), ('gcm256', 36, 0)):
 *     km = prfplus(h, skeyseed, ni + nr + spii + spir, 3 * 32 + 2 * el + 2 * il)
 *     o = 0
 *     for f, n in (('d', 32), ('ai', il), ('ar', il), ('ei', el), ('er', el),
 *                  ('pi', 32), ('pr', 32)):
 *         if n: p('%s_sk_%s' % (name, f), km[o:o + n])
 *         o += n
 * skd = prfplus(h, skeyseed, ni + nr + spii + spir, 32)
 * gir2 = H('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742')
 * p('rekey_skeyseed', prf(h, skd, gir2 + ni + nr))
 * p('keymat_gcm_nopfs', prfplus(h, skd, ni + nr, 2 * 36))
 * p('keymat_cbc_sha1_pfs', prfplus(h, skd, gir2 + ni + nr, 2 * (16 + 20)))
 *
 * # SK payloads
 * def ikehdr(np, exch, flags, mid, length):
 *     return spii + spir + bytes([np, 0x20, exch, flags]) + be(mid, 4) + be(length, 4)
 * inner = H('0000000c0000400100000000') + b'espgate!'   # a Notify + 8 bytes: 20
 * # AES-256-CBC + HMAC-SHA-256-128, minimal zero padding (as ours)
 * ek = bytes(range(0x40, 0x60)); ik = bytes(range(0x60, 0x80)); iv = bytes(range(0xc0, 0xd0))
 * def cbc_msg(plain_padded, icvlen=16):
 *     ct = Cipher(algorithms.AES(ek), modes.CBC(iv)).encryptor().update(plain_padded)
 *     body = iv + ct
 *     total = 28 + 4 + len(body) + icvlen
 *     m = ikehdr(46, 35, 0x08, 1, total) + bytes([41, 0]) + be(4 + len(body) + icvlen, 2) + body
 *     return m + prf(h, ik, m)[:icvlen]
 * p('sk_cbc', cbc_msg(inner + bytes(11) + bytes([11])))
 * p('sk_cbc_longpad', cbc_msg(inner + b'\xa5' * 27 + bytes([27])))
 * p('sk_cbc_badpad', cbc_msg(inner + bytes(11) + bytes([40])))
 * # AES-GCM-16 128: key | salt, 8-byte IV, AAD = header + SK header
 * gk = bytes(range(0x20, 0x30)); gsalt = H('cafebabe'); giv = H('0001020304050607')
 * def aead_msg(aead, salt, ivv, plain_padded):
 *     total = 28 + 4 + 8 + len(plain_padded) + 16
 *     aad = ikehdr(46, 37, 0x20, 7, total) + bytes([41, 0]) + be(total - 28, 2)
 *     return aad + ivv + aead.encrypt(salt + ivv, plain_padded, aad)
 * p('sk_gcm', aead_msg(AESGCM(gk), gsalt, giv, inner + b'\x00'))
 * p('sk_gcm_badpad', aead_msg(AESGCM(gk), gsalt, giv, inner + bytes([21])))
 * ck = bytes(range(0xa0, 0xc0)); csalt = H('01020304'); civ = H('f0f1f2f3f4f5f6f7')
 * p('sk_chacha', aead_msg(ChaCha20Poly1305(ck), csalt, civ, inner + b'\x00'))
 *
 * # AUTH with a shared key (§2.15), PRF HMAC-SHA-256
 * msg1 = bytes((i * 7 + 3) & 0xff for i in range(120))
 * sk_pi = bytes(range(0x30, 0x50))
 * idi = H('02000000') + b'alice.example.org'
 * octets = msg1 + nr + prf(h, sk_pi, idi)
 * p('auth_maced_id', prf(h, sk_pi, idi))
 * p('auth_psk', prf(h, prf(h, b'pre-shared secret', b'Key Pad for IKEv2'), octets))
 */

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define BUF 2048

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	unsigned v;

	while (*s != '\0') {
		if (*s == ' ') {
			s++;
			continue;
		}
		cr_assert(n < max, "hex string too long");
		cr_assert(isxdigit((unsigned char)s[0]) && isxdigit((unsigned char)s[1]) &&
			  sscanf(s, "%2x", &v) == 1, "bad hex: %.8s", s);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static void expect_hex(const uint8_t *got, size_t len, const char *hex,
		       const char *what)
{
	static uint8_t want[BUF];
	char dump[2 * BUF + 1];
	size_t n = unhex(hex, want, sizeof(want));

	for (size_t i = 0; i < len && i < BUF; i++)
		sprintf(dump + 2 * i, "%02x", got[i]);
	dump[2 * (len < BUF ? len : BUF)] = '\0';
	cr_assert_eq(len, n, "%s: length %zu, want %zu", what, len, n);
	cr_assert(memcmp(got, want, n) == 0, "%s: got %s", what, dump);
}

/* ======================= PRF ======================= */

#define T7_DATA "This is a test using a larger than block-size key and a " \
		"larger than block-size data. The key needs to be hashed " \
		"before being used by the HMAC algorithm."
#define T6_DATA "Test Using Larger Than Block-Size Key - Hash Key First"

struct prf_kat {
	const char *name;
	uint16_t prf;
	uint8_t kbyte; /* key: klen times kbyte, or kstr */
	size_t klen;
	const char *kstr;
	uint8_t dbyte; /* data: dlen times dbyte, or dstr */
	size_t dlen;
	const char *dstr;
	const char *out;
};

#define C1 0x0b, 20, NULL, 0, 0, "Hi There"
#define C2 0, 0, "Jefe", 0, 0, "what do ya want for nothing?"
#define C3 0xaa, 20, NULL, 0xdd, 50, NULL
#define C4 0, 0, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d" \
	"\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19", 0xcd, 50, NULL
#define C6 0xaa, 131, NULL, 0, 0, T6_DATA
#define C7 0xaa, 131, NULL, 0, 0, T7_DATA

static const struct prf_kat prf_kats[] = {
	{ "4231-1-256", IKE_PRF_HMAC_SHA2_256, C1,
	  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
	{ "4231-1-384", IKE_PRF_HMAC_SHA2_384, C1,
	  "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
	  "faea9ea9076ede7f4af152e8b2fa9cb6" },
	{ "4231-1-512", IKE_PRF_HMAC_SHA2_512, C1,
	  "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
	  "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854" },
	{ "4231-2-256", IKE_PRF_HMAC_SHA2_256, C2,
	  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
	{ "4231-2-384", IKE_PRF_HMAC_SHA2_384, C2,
	  "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
	  "8e2240ca5e69e2c78b3239ecfab21649" },
	{ "4231-2-512", IKE_PRF_HMAC_SHA2_512, C2,
	  "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
	  "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737" },
	{ "4231-3-256", IKE_PRF_HMAC_SHA2_256, C3,
	  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
	{ "4231-3-384", IKE_PRF_HMAC_SHA2_384, C3,
	  "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b"
	  "2a5ab39dc13814b94e3ab6e101a34f27" },
	{ "4231-3-512", IKE_PRF_HMAC_SHA2_512, C3,
	  "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39"
	  "bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb" },
	{ "4231-4-256", IKE_PRF_HMAC_SHA2_256, C4,
	  "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
	{ "4231-4-384", IKE_PRF_HMAC_SHA2_384, C4,
	  "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e"
	  "6801dd23c4a7d679ccf8a386c674cffb" },
	{ "4231-4-512", IKE_PRF_HMAC_SHA2_512, C4,
	  "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db"
	  "a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd" },
	{ "4231-6-256", IKE_PRF_HMAC_SHA2_256, C6,
	  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
	{ "4231-6-384", IKE_PRF_HMAC_SHA2_384, C6,
	  "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
	  "0c2ef6ab4030fe8296248df163f44952" },
	{ "4231-6-512", IKE_PRF_HMAC_SHA2_512, C6,
	  "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
	  "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598" },
	{ "4231-7-256", IKE_PRF_HMAC_SHA2_256, C7,
	  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
	{ "4231-7-384", IKE_PRF_HMAC_SHA2_384, C7,
	  "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5"
	  "a678cc31e799176d3860e6110c46523e" },
	{ "4231-7-512", IKE_PRF_HMAC_SHA2_512, C7,
	  "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
	  "b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58" },
	{ "2202-1", IKE_PRF_HMAC_SHA1, C1,
	  "b617318655057264e28bc0b6fb378c8ef146be00" },
	{ "2202-2", IKE_PRF_HMAC_SHA1, C2,
	  "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
	{ "2202-3", IKE_PRF_HMAC_SHA1, 0xaa, 20, NULL, 0xdd, 50, NULL,
	  "125d7342b9ac11cd91a39af48aa17b4f63f175d3" },
	{ "2202-6", IKE_PRF_HMAC_SHA1, 0xaa, 80, NULL, 0, 0, T6_DATA,
	  "aa4ae5e15272d00e95705637ce8a3b55ed402112" },
};

Test(ike_crypto, prf_rfc4231_rfc2202)
{
	uint8_t key[160], data[160], out[IKE_PRF_MAX];

	for (size_t i = 0; i < N(prf_kats); i++) {
		const struct prf_kat *t = &prf_kats[i];
		size_t klen = t->kstr ? strlen(t->kstr) : t->klen;
		size_t dlen = t->dstr ? strlen(t->dstr) : t->dlen;

		if (t->kstr)
			memcpy(key, t->kstr, klen);
		else
			memset(key, t->kbyte, klen);
		if (t->dstr)
			memcpy(data, t->dstr, dlen);
		else
			memset(data, t->dbyte, dlen);
		cr_assert_eq(ike_prf(t->prf, key, klen, data, dlen, out), 0, "%s", t->name);
		expect_hex(out, ike_prf_len(t->prf), t->out, t->name);
	}
}

Test(ike_crypto, prf_iov_concatenates)
{
	const char *a = "Hi", *b = " Th", *c = "ere";
	struct ike_iov iov[] = { { a, 2 }, { b, 3 }, { c, 3 } };
	uint8_t key[20], out[IKE_PRF_MAX];

	memset(key, 0x0b, sizeof(key));
	cr_assert_eq(ike_prf_iov(IKE_PRF_HMAC_SHA2_256, key, 20, iov, 3, out), 0);
	expect_hex(out, 32, prf_kats[0].out, "iov");
}

Test(ike_crypto, prf_unsupported)
{
	uint8_t out[IKE_PRF_MAX];
	struct ike_iov s = { "x", 1 };

	cr_assert_eq(ike_prf_len(1), 0); /* PRF_HMAC_MD5 */
	cr_assert_eq(ike_prf_len(4), 0); /* PRF_AES128_XCBC */
	cr_assert_eq(ike_prf(4, (const uint8_t *)"k", 1, (const uint8_t *)"d", 1, out),
		     -ENOTSUP);
	cr_assert_eq(ike_prf_plus(8, (const uint8_t *)"k", 1, &s, 1, out, 8), -ENOTSUP);
}

static const struct {
	uint16_t prf;
	size_t len;
	const char *out;
} prfplus_kats[] = {
	{ IKE_PRF_HMAC_SHA2_256, 1, "2c" },
	{ IKE_PRF_HMAC_SHA2_256, 33,
	  "2ce14656ad39ff526c576b0819bcf3764fdaf7c7bc93908684e35daa62d339a42d" },
	{ IKE_PRF_HMAC_SHA1, 100,
	  "c7c0171d53117a44c4566df8f1f5697f9a647cdcd53c1bc37fc03b922efe4dc7"
	  "22798f3dfedbce690bec81ce66988e3bb954fa199e03ab89fbe78bb3e35124e1"
	  "46cc122d5f2757ef87cd0c0c7ba2f085d91a3d240cf48422f6c37acb8c627de3"
	  "f9fa46a9" },
	{ IKE_PRF_HMAC_SHA2_512, 200,
	  "17af7d6b6fa528296c2ac0bd3fe54c9693828a53beeec5575414e041bd6923e8"
	  "bc1ed403bf84de120550ab09c53343c43cba93e2c7b86f7775aca046b84ce812"
	  "2bb583010a3d1472833082e923475d264131c21d6d0fd950ce91173c42910e53"
	  "bcfdad9f39ceb47334a2aa335f22d4dacccf0fabe1abb128ed316b3d7e3ff657"
	  "dbc04d82098e3e36a948c9bf90397e0f657f9a7b9047d1f9177adf138f6429a1"
	  "5402546aa946a7c036187e1c7be9d91ce69d3b8c028fd0769e2a5a4987a97659"
	  "b4077ce73cbf29e1" },
};

static const uint8_t pp_key[20] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
				    13, 14, 15, 16, 17, 18, 19, 20 };
#define PP_SEED "prf+ seed for espgate"

Test(ike_crypto, prf_plus_lengths)
{
	/* The seed in two pieces: prf+ concatenates them. */
	struct ike_iov seed[] = { { PP_SEED, 10 }, { &PP_SEED[10], strlen(PP_SEED) - 10 } };
	uint8_t out[256];

	for (size_t i = 0; i < N(prfplus_kats); i++) {
		cr_assert_eq(ike_prf_plus(prfplus_kats[i].prf, pp_key, 20, seed, 2, out,
					  prfplus_kats[i].len), 0);
		expect_hex(out, prfplus_kats[i].len, prfplus_kats[i].out, "prf+");
	}
}

Test(ike_crypto, prf_plus_255_iterations)
{
	struct ike_iov seed = { PP_SEED, strlen(PP_SEED) };
	static uint8_t out[255 * 32 + 1];

	cr_assert_eq(ike_prf_plus(IKE_PRF_HMAC_SHA2_256, pp_key, 20, &seed, 1, out,
				  255 * 32), 0);
	expect_hex(out + 254 * 32, 32,
		   "da47ddefa54bb441ffbed7afa351c7284dd0336c99059b7355506bd8e00b96d2",
		   "T255");
	cr_assert_eq(ike_prf_plus(IKE_PRF_HMAC_SHA2_256, pp_key, 20, &seed, 1, out,
				  255 * 32 + 1), -EINVAL);
}

/* ======================= Diffie-Hellman ======================= */

struct dh_kat {
	const char *name;
	uint16_t group;
	const char *i, *gi, *r, *gr, *gir;
};

static const struct dh_kat dh_kats[] = {
	{ "RFC 5903 8.1", IKE_DH_ECP256,
	  "c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433",
	  "dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180"
	  "5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3",
	  "c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53",
	  "d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63"
	  "56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab",
	  "d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de" },
	{ "RFC 5903 8.2", IKE_DH_ECP384,
	  "099f3c7034d4a2c699884d73a375a67f7624ef7c6b3c0f160647b67414dce655"
	  "e35b538041e649ee3faef896783ab194",
	  "667842d7d180ac2cde6f74f37551f55755c7645c20ef73e31634fe72b4c55ee6"
	  "de3ac808acb4bdb4c88732aee95f41aa"
	  "9482ed1fc0eeb9cafc4984625ccfc23f65032149e0e144ada024181535a0f38e"
	  "eb9fcff3c2c947dae69b4c634573a81c",
	  "41cb0779b4bdb85d47846725fbec3c9430fab46cc8dc5060855cc9bda0aa2942"
	  "e0308312916b8ed2960e4bd55a7448fc",
	  "e558dbef53eecde3d3fccfc1aea08a89a987475d12fd950d83cfa41732bc509d"
	  "0d1ac43a0336def96fda41d0774a3571"
	  "dcfbec7aacf3196472169e838430367f66eebe3c6e70c416dd5f0c68759dd1ff"
	  "f83fa40142209dff5eaad96db9e6386c",
	  "11187331c279962d93d604243fd592cb9d0a926f422e47187521287e7156c5c4"
	  "d603135569b9e9d09cf5d4a270f59746" },
	{ "RFC 5903 8.3", IKE_DH_ECP521,
	  "0037ade9319a89f4dabdb3ef411aaccca5123c61acab57b5393dce47608172a0"
	  "95aa85a30fe1c2952c6771d937ba9777f5957b2639bab072462f68c27a57382d"
	  "4a52",
	  "0015417e84dbf28c0ad3c278713349dc7df153c897a1891bd98bab4357c9ecbe"
	  "e1e3bf42e00b8e380aeae57c2d107564941885942af5a7f4601723c4195d176c"
	  "ed3e"
	  "017cae20b6641d2eeb695786d8c946146239d099e18e1d5a514c739d7cb4a10a"
	  "d8a788015ac405d7799dc75e7b7d5b6cf2261a6a7f1507438bf01beb6ca3926f"
	  "9582",
	  "0145ba99a847af43793fdd0e872e7cdfa16be30fdc780f97bccc3f078380201e"
	  "9c677d600b343757a3bdbf2a3163e4c2f869cca7458aa4a4effc311f5cb15168"
	  "5eb9",
	  "00d0b3975ac4b799f5bea16d5e13e9af971d5e9b984c9f39728b5e5739735a21"
	  "9b97c356436adc6e95bb0352f6be64a6c2912d4ef2d0433ced2b6171640012d9"
	  "460f"
	  "015c68226383956e3bd066e797b623c27ce0eac2f551a10c2c724d9852077b87"
	  "220b6536c5c408a1d2aebb8e86d678ae49cb57091f4732296579ab44fcd17f0f"
	  "c56a",
	  "01144c7d79ae6956bc8edb8e7c787c4521cb086fa64407f97894e5e6b2d79b04"
	  "d1427e73ca4baa240a34786859810c06b3c715a3a8cc3151f2bee417996d19f3"
	  "ddea" },
	/* RFC 5114 A.8 (P-521 again): its g^ir x has a leading zero byte. */
	{ "RFC 5114 A.8", IKE_DH_ECP521,
	  "0113f82da825735e3d97276683b2b74277bad27335ea71664af2430cc4f33459"
	  "b9669ee78b3ffb9b8683015d344dcbfef6fb9af4c6c470be254516cd3c1a1fb4"
	  "7362",
	  "01ebb34dd75721abf8adc9dbed17889cbb9765d90a7c60f2cef007bb0f2b26e1"
	  "4881fd4442e689d61cb2dd046ee30e3ffd20f9a45bbdf6413d583a2dbf59924f"
	  "d35c00f6b632d194c0388e22d8437e558c552ae195adfd153f92d74908351b2f"
	  "8c4eda94edb0916d1b53c020b5eecaed1a5fc38a233e4830587bb2ee3489b3b4"
	  "2a5a86a4",
	  "00cee3480d8645a17d249f2776d28bae616952d1791fdb4b70f7c3378732aa1b"
	  "22928448bcd1dc2496d435b01048066ebe4f72903c361b1a9dc1193dc2c9d089"
	  "1b96",
	  "010ebfafc6e85e08d24bfffcc1a4511db0e634beeb1b6dec8c5939ae44766201"
	  "af6200430ba97c8ac6a0e9f08b33ce7e9feeb5ba4ee5e0d81510c24295b8a08d"
	  "023500a4a6ec300df9e257b0372b5e7abfef093436719a77887ebb0b18cf8099"
	  "b9f4212b6e30a1419c18e029d36863cc9d448f4dba4d2a0e60711be572915fbd"
	  "4fef2695",
	  "00cdea89621cfa46b132f9e4cfe2261cde2d4368eb5656634c7cc98c7a00cde5"
	  "4ed1866a0dd3e6126c9d2f845daff82ceb1da08f5d87521bb0ebeca77911169c"
	  "20cc" },
	{ "RFC 7748 6.1", IKE_DH_CURVE25519,
	  "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
	  "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
	  "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
	  "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
	  "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742" },
	{ "RFC 7748 6.2", IKE_DH_CURVE448,
	  "9a8f4925d1519f5775cf46b04b5800d4ee9ee8bae8bc5565d498c28dd9c9baf5"
	  "74a9419744897391006382a6f127ab1d9ac2d8c0a598726b",
	  "9b08f7cc31b7e3e67d22d5aea121074a273bd2b83de09c63faa73d2c22c5d9bb"
	  "c836647241d953d40c5b12da88120d53177f80e532c41fa0",
	  "1c306a7ac2a0e2e0990b294470cba339e6453772b075811d8fad0d1d6927c120"
	  "bb5ee8972b0d3e21374c9c921b09d1b0366f10b65173992d",
	  "3eb7a829b0cd20f5bcfc0b599b6feccf6da4627107bdb0d4f345b43027d8b972"
	  "fc3e34fb4232a13ca706dcb57aec3dae07bdc1c67bf33609",
	  "07fff4181ac6cc95ec1c16a94a0f74d12da232ce40a77552281d282bb60c0b56"
	  "fd2464c335543936521c24403085d59a449a5037514a879d" },
	/* The python reference (PY modp_*): leading zeros in g^a and g^ab. */
	{ "python MODP 2048", IKE_DH_MODP2048,
	  "2905495aa625510279ee85c314fd733eb826719022e61876ad14fb3c502a0a5d",
	  "000b3c4f1500d78abdcfd55bf639a8bfe6c1528aee0cf3c75b0acf24cbcd8e36"
	  "5802d869fc0281103fce9c41b5f37cca4bc539b453f8fd2c8bb80ab7d0bc9ccb"
	  "1b0f2a403c5741ff42a08ee2b04b5df76e0d509d2c577f171ed86b49c4171654"
	  "82461499988962a0918ce5c8f410cd4776cf82082f6ee691a66c2dba94ffa8f5"
	  "e6236ee9071af3265d4aaf3a6e4c232b324eb01ca0fb0657e051ddfb3490fd23"
	  "80dde8f214b314a960368c9df08d51a35fc558bbef613e7bf6063df7d6deecc1"
	  "fbae7204ad3c948f580ffbb05a758287e53d4d0ad9f138c71d648ed0d0bae332"
	  "f80a30f5cfef5bd3791c80ec2a4e08fb7e9909f61f8759079f8b12a3024e933f",
	  "026bac0a79504f4312f563f5bab154475e569b4ddaf657ff94dd232eef7c1d7f",
	  "04838fd91174ba2dc97869833e03ab4608fd94c0a495be99f67a3dc736efcfc5"
	  "be746fbe063212a9a3c4645b54971de424f215baeed47ea9a414c13c9089face"
	  "a8e356fdd79cc099ee28735e0470f0849b5dedbfbf710c79bf0c638941d5f672"
	  "f441e275b5dc8096d0301e22697c50854c262413d5d9747bcd5a9d766e181cb6"
	  "67244b0433e029fbd03760f6e38834b8e013e2308b1a9f823d3dd779bdbcf972"
	  "a7b3dd0eab9b224337c05690fb4008bc18db1b192bffe31b6c8fee7051a62f29"
	  "4698d4f6421b55bf80a66703345d33d6e037691408de68c65b9c3e4cc1108db1"
	  "5a2e6405cc8321ceb04bc2fd730ac7549a5defae8c7b97447c18b56c8e4747b4",
	  "0089a6e7a877360e74aa14b1e8bb63665cbabee4fc92a3c827a23e4bd65c4563"
	  "0d08f73cdd3733c4016d5a2213f8e48071e09557141a9b78b9603880c06b9642"
	  "df6d9c6ecdb8fef57bd62971685687fd1185fd4155a41dd326726472043b1848"
	  "a7431b9d0bdd04cd6171734f1cc3650badabaa36c51a2fc1cfc39939c7e7aa2b"
	  "183b891f4bb928b5af8bceea2b0d6e713f4173c4de44748fc25155f8e1553c6c"
	  "0a39af5d2e34fbb83cfffd63c4c6455fbed0b981345c458a02b7105c5c8e1862"
	  "a32864e2f2054df71d67c8fa5e3058ac757bd6983b44476aaef4219d60fe0c09"
	  "12fb96292f9d40462e9a2b06f2f8c5578c8837ce3c5cdb799aa29042bd141316" },
};

static struct ike_dh *dh_from_hex(uint16_t group, const char *priv)
{
	uint8_t b[IKE_DH_KE_MAX];
	size_t n = unhex(priv, b, sizeof(b));
	struct ike_dh *dh = NULL;

	cr_assert_eq(ike_dh_new_with_private(group, b, n, &dh), 0, "group %u", group);
	return dh;
}

/* One side of a known exchange: our public value and g^ir. */
static void dh_kat_side(const struct dh_kat *t, const char *priv,
			const char *pub, const char *peer)
{
	uint8_t ke[IKE_DH_KE_MAX], peer_ke[IKE_DH_KE_MAX], s[IKE_DH_SECRET_MAX];
	size_t len, plen = unhex(peer, peer_ke, sizeof(peer_ke));
	struct ike_dh *dh = dh_from_hex(t->group, priv);

	cr_assert_eq(ike_dh_group(dh), t->group);
	cr_assert_eq(ike_dh_public(dh, ke, sizeof(ke), &len), 0);
	cr_assert_eq(len, ike_dh_ke_len(t->group));
	expect_hex(ke, len, pub, t->name);
	cr_assert_eq(ike_dh_shared(dh, peer_ke, plen, s, sizeof(s), &len), 0, "%s", t->name);
	cr_assert_eq(len, ike_dh_secret_len(t->group));
	expect_hex(s, len, t->gir, t->name);
	ike_dh_free(dh);
}

Test(ike_crypto, dh_known_answers)
{
	for (size_t i = 0; i < N(dh_kats); i++) {
		dh_kat_side(&dh_kats[i], dh_kats[i].i, dh_kats[i].gi, dh_kats[i].gr);
		dh_kat_side(&dh_kats[i], dh_kats[i].r, dh_kats[i].gr, dh_kats[i].gi);
	}
}

static const uint16_t all_groups[] = {
	IKE_DH_MODP1024, IKE_DH_MODP2048, IKE_DH_MODP3072, IKE_DH_MODP4096, IKE_DH_MODP6144,
	IKE_DH_MODP8192, IKE_DH_ECP256, IKE_DH_ECP384, IKE_DH_ECP521,
	IKE_DH_CURVE25519, IKE_DH_CURVE448,
};

Test(ike_crypto, dh_fresh_keys_agree)
{
	static const size_t ke_len[] = { 128, 256, 384, 512, 768, 1024, 64, 96, 132, 32, 56 };
	static const size_t s_len[] = { 128, 256, 384, 512, 768, 1024, 32, 48, 66, 32, 56 };

	for (size_t i = 0; i < N(all_groups); i++) {
		uint8_t ka[IKE_DH_KE_MAX], kb[IKE_DH_KE_MAX];
		uint8_t sa[IKE_DH_SECRET_MAX], sb[IKE_DH_SECRET_MAX];
		struct ike_dh *a, *b;
		size_t la, lb, lsa, lsb;

		cr_assert(ike_dh_supported(all_groups[i]));
		cr_assert_eq(ike_dh_ke_len(all_groups[i]), ke_len[i]);
		cr_assert_eq(ike_dh_secret_len(all_groups[i]), s_len[i]);
		cr_assert_eq(ike_dh_new(all_groups[i], &a), 0);
		cr_assert_eq(ike_dh_new(all_groups[i], &b), 0);
		cr_assert_eq(ike_dh_public(a, ka, sizeof(ka), &la), 0);
		cr_assert_eq(ike_dh_public(b, kb, sizeof(kb), &lb), 0);
		cr_assert_eq(la, ke_len[i]);
		cr_assert(memcmp(ka, kb, la) != 0, "two fresh keys are equal");
		cr_assert_eq(ike_dh_shared(a, kb, lb, sa, sizeof(sa), &lsa), 0);
		cr_assert_eq(ike_dh_shared(b, ka, la, sb, sizeof(sb), &lsb), 0);
		cr_assert_eq(lsa, s_len[i]);
		cr_assert_eq(lsb, s_len[i]);
		cr_assert(memcmp(sa, sb, lsa) == 0, "group %u: no agreement", all_groups[i]);
		cr_assert_eq(ike_dh_shared(a, kb, lb, sa, s_len[i] - 1, &lsa), -ENOSPC);
		ike_dh_free(a);
		ike_dh_free(b);
	}
}

Test(ike_crypto, dh_unsupported_group)
{
	static const uint16_t bad[] = { 0, 1, 5, 22, 24, 26, 29, 30, 33, 1000 };
	struct ike_dh *dh = (struct ike_dh *)1;

	for (size_t i = 0; i < N(bad); i++) {
		cr_assert_not(ike_dh_supported(bad[i]));
		cr_assert_eq(ike_dh_ke_len(bad[i]), 0);
		cr_assert_eq(ike_dh_new(bad[i], &dh), -ENOTSUP, "group %u", bad[i]);
		cr_assert_null(dh);
	}
}

/* The peer's KE data, when wrong, is refused before use. */
static void dh_expect_refused(struct ike_dh *dh, const uint8_t *ke, size_t len,
			      const char *what)
{
	uint8_t s[IKE_DH_SECRET_MAX];
	size_t slen;

	cr_assert_eq(ike_dh_shared(dh, ke, len, s, sizeof(s), &slen), -EINVAL,
		     "group %u: %s accepted", ike_dh_group(dh), what);
}

Test(ike_crypto, dh_wrong_length)
{
	for (size_t i = 0; i < N(all_groups); i++) {
		uint8_t ke[IKE_DH_KE_MAX + 1];
		struct ike_dh *dh;
		size_t len;

		cr_assert_eq(ike_dh_new(all_groups[i], &dh), 0);
		cr_assert_eq(ike_dh_public(dh, ke, sizeof(ke), &len), 0);
		dh_expect_refused(dh, ke, len - 1, "short KE");
		ke[len] = 0;
		dh_expect_refused(dh, ke, len + 1, "long KE");
		dh_expect_refused(dh, ke, 0, "empty KE");
		ike_dh_free(dh);
	}
}

Test(ike_crypto, dh_ecp_point_not_on_curve)
{
	for (size_t i = 0; i < 3; i++) {
		const struct dh_kat *t = &dh_kats[i];
		uint8_t ke[IKE_DH_KE_MAX];
		size_t len = unhex(t->gr, ke, sizeof(ke));
		struct ike_dh *dh = dh_from_hex(t->group, t->i);

		ke[len - 1] ^= 1; /* y changed: off the curve */
		dh_expect_refused(dh, ke, len, "a point off the curve");
		memset(ke, 0, len);
		dh_expect_refused(dh, ke, len, "(0, 0)");
		ike_dh_free(dh);
	}
}

/* RFC 3526's primes, so that the group table and OpenSSL's named groups
 * are checked against the RFC and not against themselves. */
static const struct {
	uint16_t group;
	const char *p;
} modp_primes[] = {
	{ IKE_DH_MODP1024, /* RFC 2409 §6.2 */
	  "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74"
	  "020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f1437"
	  "4fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed"
	  "ee386bfb5a899fa5ae9f24117c4b1fe649286651ece65381ffffffffffffffff" },
	{ IKE_DH_MODP2048, /* §3 */
	  "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74"
	  "020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f1437"
	  "4fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed"
	  "ee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf05"
	  "98da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb"
	  "9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3b"
	  "e39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf695581718"
	  "3995497cea956ae515d2261898fa051015728e5a8aacaa68ffffffffffffffff" },
	{ IKE_DH_MODP3072, /* §4 */
	  "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74"
	  "020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f1437"
	  "4fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed"
	  "ee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf05"
	  "98da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb"
	  "9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3b"
	  "e39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf695581718"
	  "3995497cea956ae515d2261898fa051015728e5a8aaac42dad33170d04507a33"
	  "a85521abdf1cba64ecfb850458dbef0a8aea71575d060c7db3970f85a6e1e4c7"
	  "abf5ae8cdb0933d71e8c94e04a25619dcee3d2261ad2ee6bf12ffa06d98a0864"
	  "d87602733ec86a64521f2b18177b200cbbe117577a615d6c770988c0bad946e2"
	  "08e24fa074e5ab3143db5bfce0fd108e4b82d120a93ad2caffffffffffffffff" },
	{ IKE_DH_MODP4096, /* §5 */
	  "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74"
	  "020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f1437"
	  "4fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed"
	  "ee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf05"
	  "98da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb"
	  "9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3b"
	  "e39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf695581718"
	  "3995497cea956ae515d2261898fa051015728e5a8aaac42dad33170d04507a33"
	  "a85521abdf1cba64ecfb850458dbef0a8aea71575d060c7db3970f85a6e1e4c7"
	  "abf5ae8cdb0933d71e8c94e04a25619dcee3d2261ad2ee6bf12ffa06d98a0864"
	  "d87602733ec86a64521f2b18177b200cbbe117577a615d6c770988c0bad946e2"
	  "08e24fa074e5ab3143db5bfce0fd108e4b82d120a92108011a723c12a787e6d7"
	  "88719a10bdba5b2699c327186af4e23c1a946834b6150bda2583e9ca2ad44ce8"
	  "dbbbc2db04de8ef92e8efc141fbecaa6287c59474e6bc05d99b2964fa090c3a2"
	  "233ba186515be7ed1f612970cee2d7afb81bdd762170481cd0069127d5b05aa9"
	  "93b4ea988d8fddc186ffb7dc90a6c08f4df435c934063199ffffffffffffffff" },
	{ IKE_DH_MODP6144, /* §6 */
	  "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74"
	  "020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f1437"
	  "4fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed"
	  "ee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf05"
	  "98da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb"
	  "9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3b"
	  "e39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf695581718"
	  "3995497cea956ae515d2261898fa051015728e5a8aaac42dad33170d04507a33"
	  "a85521abdf1cba64ecfb850458dbef0a8aea71575d060c7db3970f85a6e1e4c7"
	  "abf5ae8cdb0933d71e8c94e04a25619dcee3d2261ad2ee6bf12ffa06d98a0864"
	  "d87602733ec86a64521f2b18177b200cbbe117577a615d6c770988c0bad946e2"
	  "08e24fa074e5ab3143db5bfce0fd108e4b82d120a92108011a723c12a787e6d7"
	  "88719a10bdba5b2699c327186af4e23c1a946834b6150bda2583e9ca2ad44ce8"
	  "dbbbc2db04de8ef92e8efc141fbecaa6287c59474e6bc05d99b2964fa090c3a2"
	  "233ba186515be7ed1f612970cee2d7afb81bdd762170481cd0069127d5b05aa9"
	  "93b4ea988d8fddc186ffb7dc90a6c08f4df435c93402849236c3fab4d27c7026"
	  "c1d4dcb2602646dec9751e763dba37bdf8ff9406ad9e530ee5db382f413001ae"
	  "b06a53ed9027d831179727b0865a8918da3edbebcf9b14ed44ce6cbaced4bb1b"
	  "db7f1447e6cc254b332051512bd7af426fb8f401378cd2bf5983ca01c64b92ec"
	  "f032ea15d1721d03f482d7ce6e74fef6d55e702f46980c82b5a84031900b1c9e"
	  "59e7c97fbec7e8f323a97a7e36cc88be0f1d45b7ff585ac54bd407b22b4154aa"
	  "cc8f6d7ebf48e1d814cc5ed20f8037e0a79715eef29be32806a1d58bb7c5da76"
	  "f550aa3d8a1fbff0eb19ccb1a313d55cda56c9ec2ef29632387fe8d76e3c0468"
	  "043e8f663f4860ee12bf2d5b0b7474d6e694f91e6dcc4024ffffffffffffffff" },
	{ IKE_DH_MODP8192, /* §7 */
	  "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74"
	  "020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f1437"
	  "4fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed"
	  "ee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf05"
	  "98da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb"
	  "9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3b"
	  "e39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf695581718"
	  "3995497cea956ae515d2261898fa051015728e5a8aaac42dad33170d04507a33"
	  "a85521abdf1cba64ecfb850458dbef0a8aea71575d060c7db3970f85a6e1e4c7"
	  "abf5ae8cdb0933d71e8c94e04a25619dcee3d2261ad2ee6bf12ffa06d98a0864"
	  "d87602733ec86a64521f2b18177b200cbbe117577a615d6c770988c0bad946e2"
	  "08e24fa074e5ab3143db5bfce0fd108e4b82d120a92108011a723c12a787e6d7"
	  "88719a10bdba5b2699c327186af4e23c1a946834b6150bda2583e9ca2ad44ce8"
	  "dbbbc2db04de8ef92e8efc141fbecaa6287c59474e6bc05d99b2964fa090c3a2"
	  "233ba186515be7ed1f612970cee2d7afb81bdd762170481cd0069127d5b05aa9"
	  "93b4ea988d8fddc186ffb7dc90a6c08f4df435c93402849236c3fab4d27c7026"
	  "c1d4dcb2602646dec9751e763dba37bdf8ff9406ad9e530ee5db382f413001ae"
	  "b06a53ed9027d831179727b0865a8918da3edbebcf9b14ed44ce6cbaced4bb1b"
	  "db7f1447e6cc254b332051512bd7af426fb8f401378cd2bf5983ca01c64b92ec"
	  "f032ea15d1721d03f482d7ce6e74fef6d55e702f46980c82b5a84031900b1c9e"
	  "59e7c97fbec7e8f323a97a7e36cc88be0f1d45b7ff585ac54bd407b22b4154aa"
	  "cc8f6d7ebf48e1d814cc5ed20f8037e0a79715eef29be32806a1d58bb7c5da76"
	  "f550aa3d8a1fbff0eb19ccb1a313d55cda56c9ec2ef29632387fe8d76e3c0468"
	  "043e8f663f4860ee12bf2d5b0b7474d6e694f91e6dbe115974a3926f12fee5e4"
	  "38777cb6a932df8cd8bec4d073b931ba3bc832b68d9dd300741fa7bf8afc47ed"
	  "2576f6936ba424663aab639c5ae4f5683423b4742bf1c978238f16cbe39d652d"
	  "e3fdb8befc848ad922222e04a4037c0713eb57a81a23f0c73473fc646cea306b"
	  "4bcbc8862f8385ddfa9d4b7fa2c087e879683303ed5bdd3a062b3cf5b3a278a6"
	  "6d2a13f83f44f82ddf310ee074ab6a364597e899a0255dc164f31cc50846851d"
	  "f9ab48195ded7ea1b1d510bd7ee74d73faf36bc31ecfa268359046f4eb879f92"
	  "4009438b481c6cd7889a002ed5ee382bc9190da6fc026e479558e4475677e9aa"
	  "9e3050e2765694dfc81f56e880b96e7160c980dd98edd3dfffffffffffffffff" },
};

/* 1 < y < p - 1 (RFC 7296 §3.4, NIST SP 800-56A §5.6.2.3.1). */
Test(ike_crypto, dh_modp_bad_values)
{
	for (size_t i = 0; i < N(modp_primes); i++) {
		uint8_t ke[IKE_DH_KE_MAX], s[IKE_DH_SECRET_MAX];
		size_t len = unhex(modp_primes[i].p, ke, sizeof(ke)), slen;
		struct ike_dh *dh;

		cr_assert_eq(len, ike_dh_ke_len(modp_primes[i].group));
		cr_assert_eq(ike_dh_new(modp_primes[i].group, &dh), 0);
		dh_expect_refused(dh, ke, len, "y = p");
		ke[len - 1] = 0xfe; /* each prime ends in 64 one bits */
		dh_expect_refused(dh, ke, len, "y = p - 1");
		memset(ke, 0xff, len);
		dh_expect_refused(dh, ke, len, "y > p");
		memset(ke, 0, len);
		dh_expect_refused(dh, ke, len, "y = 0");
		ke[len - 1] = 1;
		dh_expect_refused(dh, ke, len, "y = 1");
		ke[len - 1] = 2; /* the generator: a good value */
		cr_assert_eq(ike_dh_shared(dh, ke, len, s, sizeof(s), &slen), 0,
			     "group %u: y = 2 refused", modp_primes[i].group);
		ike_dh_free(dh);
	}
}

/* v as len bytes in hex; the caller frees it. */
static char *bn_hex(const BIGNUM *v, size_t len)
{
	uint8_t b[IKE_DH_KE_MAX];
	char *h = malloc(2 * len + 1);

	cr_assert_not_null(h);
	cr_assert_eq(BN_bn2binpad(v, b, (int)len), (int)len);
	for (size_t i = 0; i < len; i++)
		sprintf(h + 2 * i, "%02x", b[i]);
	return h;
}

/* The python MODP 2048 private keys in every MODP group: g^i, g^r and
 * g^ir from BN_mod_exp over the prime above. Our public values come from
 * the group table's prime, g^ir from OpenSSL's named group. */
Test(ike_crypto, dh_modp_fixed_private_keys)
{
	const struct dh_kat *py = &dh_kats[N(dh_kats) - 1];
	BN_CTX *bn = BN_CTX_new();

	cr_assert_not_null(bn);
	for (size_t i = 0; i < N(modp_primes); i++) {
		struct dh_kat t = { .group = modp_primes[i].group, .i = py->i, .r = py->r };
		size_t len = ike_dh_ke_len(t.group);
		BIGNUM *p = NULL, *x = NULL, *y = NULL, *g = NULL;
		BIGNUM *gx = BN_new(), *gy = BN_new(), *gxy = BN_new();
		char name[32], *gi, *gr, *gir;

		snprintf(name, sizeof(name), "BN_mod_exp group %u", t.group);
		t.name = name;
		cr_assert(BN_hex2bn(&p, modp_primes[i].p) && BN_hex2bn(&x, py->i) &&
			  BN_hex2bn(&y, py->r) && BN_dec2bn(&g, "2"));
		cr_assert_not_null(gxy);
		cr_assert_eq((size_t)BN_num_bytes(p), len, "%s", name);
		cr_assert(BN_mod_exp(gx, g, x, p, bn) && BN_mod_exp(gy, g, y, p, bn) &&
			  BN_mod_exp(gxy, gy, x, p, bn));
		t.gi = gi = bn_hex(gx, len);
		t.gr = gr = bn_hex(gy, len);
		t.gir = gir = bn_hex(gxy, len);
		dh_kat_side(&t, t.i, t.gi, t.gr);
		dh_kat_side(&t, t.r, t.gr, t.gi);
		free(gi);
		free(gr);
		free(gir);
		BN_free(p);
		BN_free(x);
		BN_free(y);
		BN_free(g);
		BN_free(gx);
		BN_free(gy);
		BN_free(gxy);
	}
	BN_CTX_free(bn);
}

Test(ike_crypto, dh_ecx_low_order_point)
{
	uint8_t ke[56] = { 0 };
	struct ike_dh *dh = dh_from_hex(IKE_DH_CURVE25519, dh_kats[4].i);

	/* u = 0 and u = 1 give an all-zero result (RFC 7748 §6.1). */
	dh_expect_refused(dh, ke, 32, "u = 0");
	ke[0] = 1;
	dh_expect_refused(dh, ke, 32, "u = 1");
	ike_dh_free(dh);
	dh = dh_from_hex(IKE_DH_CURVE448, dh_kats[5].i);
	ke[0] = 0;
	dh_expect_refused(dh, ke, 56, "u = 0");
	ike_dh_free(dh);
}

Test(ike_crypto, dh_bad_private)
{
	uint8_t b[67] = { 1 };
	struct ike_dh *dh;

	cr_assert_eq(ike_dh_new_with_private(IKE_DH_CURVE25519, b, 31, &dh), -EINVAL);
	cr_assert_eq(ike_dh_new_with_private(IKE_DH_ECP521, b, 67, &dh), -EINVAL);
	cr_assert_eq(ike_dh_new_with_private(IKE_DH_ECP256, b, 0, &dh), -EINVAL);
	cr_assert_eq(ike_dh_new_with_private(7, b, 8, &dh), -ENOTSUP);
	ike_dh_free(NULL);
}

/* ======================= Key derivation ======================= */

/* The python reference's inputs. */
static uint8_t ni[32], nr[32];
static const uint8_t spi_i[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t spi_r[8] = { 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8 };
#define PY_GIR "d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de"
#define PY_GIR2 "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
#define PY_SKEYSEED "0064ac248549cc48409e2d48518d4d4d314cc5a4776ad45742a559f411699eaf"
#define PY_SK_D "ced3fcaee19769e929a1196fc3d95b54d03d925a113644f3a188ce417e9db0cb"

static void nonces_init(void)
{
	for (int i = 0; i < 32; i++) {
		ni[i] = (uint8_t)(0x10 + i);
		nr[i] = (uint8_t)(0x80 + i);
	}
}

static struct ike_sa_keys derive(const struct ike_suite *s)
{
	uint8_t gir[32], seed[IKE_PRF_MAX];
	struct ike_sa_keys k;

	nonces_init();
	unhex(PY_GIR, gir, sizeof(gir));
	cr_assert_eq(ike_skeyseed(s->prf, ni, 32, nr, 32, gir, 32, seed), 0);
	expect_hex(seed, 32, PY_SKEYSEED, "SKEYSEED");
	cr_assert_eq(ike_sa_keys_derive(s, seed, 32, ni, 32, nr, 32, spi_i, spi_r, &k), 0);
	return k;
}

Test(ike_crypto, keys_aes_cbc_256_sha256)
{
	struct ike_suite s = { IKE_ENCR_AES_CBC, 256, IKE_AUTH_HMAC_SHA2_256_128,
			       IKE_PRF_HMAC_SHA2_256 };
	struct ike_sa_keys k = derive(&s);

	cr_assert_eq(k.sa_prf_len, 32);
	cr_assert_eq(k.sk_i.sk_ekey_len, 32);
	cr_assert_eq(k.sk_i.sk_ikey_len, 32);
	expect_hex(k.sk_d, 32, PY_SK_D, "SK_d");
	expect_hex(k.sk_i.sk_ikey, 32, "09445de674fa22d24e69c451ea6cbab408d1d7934db7a472a571b9f8d3ba8864", "SK_ai");
	expect_hex(k.sk_r.sk_ikey, 32, "8f5cf4f50aded9f123161f2fd48d13b76160d1e029a08fbb424e4477aab9cc18", "SK_ar");
	expect_hex(k.sk_i.sk_ekey, 32, "f7a527f621420cf4bede62487706ba03dd21e346fabfeffc3ea9a56dc37cbaa2", "SK_ei");
	expect_hex(k.sk_r.sk_ekey, 32, "b39d3243accc2a2be48db349efc07d89cbc682659ec74ad1dc42b2a8caa77056", "SK_er");
	expect_hex(k.sk_pi, 32, "6a6b5965d45910d539bae9f9d381e4f290466a4552e207d523cbcd86625a011f", "SK_pi");
	expect_hex(k.sk_pr, 32, "85bd64b107ee83ccd2b57d130c9839c05a7c7f5da5270debddfaa6402e153194", "SK_pr");
	ike_sa_keys_wipe(&k);
	for (size_t i = 0; i < sizeof(k); i++)
		cr_assert_eq(((uint8_t *)&k)[i], 0, "wiped");
}

Test(ike_crypto, keys_aes_gcm_256)
{
	struct ike_suite s = { IKE_ENCR_AES_GCM_16, 256, IKE_AUTH_NONE,
			       IKE_PRF_HMAC_SHA2_256 };
	struct ike_sa_keys k = derive(&s);

	cr_assert_eq(k.sk_i.sk_ekey_len, 36);
	cr_assert_eq(k.sk_i.sk_ikey_len, 0);
	expect_hex(k.sk_d, 32, PY_SK_D, "SK_d");
	expect_hex(k.sk_i.sk_ekey, 36, "09445de674fa22d24e69c451ea6cbab408d1d7934db7a472a571b9f8d3ba88648f5cf4f5", "SK_ei");
	expect_hex(k.sk_r.sk_ekey, 36, "0aded9f123161f2fd48d13b76160d1e029a08fbb424e4477aab9cc18f7a527f621420cf4", "SK_er");
	expect_hex(k.sk_pi, 32, "bede62487706ba03dd21e346fabfeffc3ea9a56dc37cbaa2b39d3243accc2a2b", "SK_pi");
	expect_hex(k.sk_pr, 32, "e48db349efc07d89cbc682659ec74ad1dc42b2a8caa770566a6b5965d45910d5", "SK_pr");
	ike_sa_keys_wipe(&k);
}

Test(ike_crypto, keys_rekey_skeyseed)
{
	uint8_t skd[32], gir2[32], seed[IKE_PRF_MAX];

	nonces_init();
	unhex(PY_SK_D, skd, sizeof(skd));
	unhex(PY_GIR2, gir2, sizeof(gir2));
	cr_assert_eq(ike_skeyseed_rekey(IKE_PRF_HMAC_SHA2_256, skd, 32, gir2, 32, ni, 32,
					nr, 32, seed), 0);
	expect_hex(seed, 32, "b0b23f88b778c770fb5e472a1c6cc0c05ce1e5fe977b38623a7a9e6f2e3f68a0",
		   "rekey SKEYSEED");
}

Test(ike_crypto, keys_child_keymat)
{
	uint8_t skd[32], gir2[32];
	struct ike_child_keys k;

	nonces_init();
	unhex(PY_SK_D, skd, sizeof(skd));
	unhex(PY_GIR2, gir2, sizeof(gir2));
	/* ESP AES-GCM-256, no PFS: 36 bytes each way, no integrity key. */
	cr_assert_eq(ike_child_keymat(IKE_PRF_HMAC_SHA2_256, skd, 32, NULL, 0, ni, 32, nr, 32,
				      ike_encr_keymat_len(IKE_ENCR_AES_GCM_16, 256), 0, &k), 0);
	cr_assert_eq(k.ck_encr_len, 36);
	expect_hex(k.ck_i2r.cd_encr, 36, "8c5a803a51ca7a93254315fa8e9717e1557ebd3c1d3287b2702b4986a8fed10cd43b644c", "i2r");
	expect_hex(k.ck_r2i.cd_encr, 36, "d7f4d229cfa69e0b8eeb694239ea7dd2f01a19b01aceaf4205f295719b41bdf94bd612a1", "r2i");
	/* ESP AES-CBC-128 + HMAC-SHA1-96 with PFS. */
	cr_assert_eq(ike_child_keymat(IKE_PRF_HMAC_SHA2_256, skd, 32, gir2, 32, ni, 32, nr, 32,
				      16, ike_integ_key_len(IKE_AUTH_HMAC_SHA1_96), &k), 0);
	expect_hex(k.ck_i2r.cd_encr, 16, "511aa7173b672e80b07d9c641897a79f", "i2r encr");
	expect_hex(k.ck_i2r.cd_integ, 20, "82dce13f808877f17d654fefe2c2a6c99d5272ba", "i2r integ");
	expect_hex(k.ck_r2i.cd_encr, 16, "2076170a8b3e78719d6782a5be10869c", "r2i encr");
	expect_hex(k.ck_r2i.cd_integ, 20, "5d3b9dec06879c120a72209623d60b49ea617574", "r2i integ");
	ike_child_keys_wipe(&k);
	cr_assert_eq(ike_child_keymat(IKE_PRF_HMAC_SHA2_256, skd, 32, NULL, 0, ni, 8, nr, 32,
				      16, 0, &k), -EINVAL, "short nonce");
}

Test(ike_crypto, suite_check)
{
	static const struct {
		struct ike_suite s;
		int rc;
	} cases[] = {
		{ { IKE_ENCR_AES_CBC, 128, IKE_AUTH_HMAC_SHA1_96, IKE_PRF_HMAC_SHA1 }, 0 },
		{ { IKE_ENCR_AES_CBC, 256, IKE_AUTH_HMAC_SHA2_512_256, IKE_PRF_HMAC_SHA2_512 }, 0 },
		{ { IKE_ENCR_AES_GCM_16, 128, IKE_AUTH_NONE, IKE_PRF_HMAC_SHA2_384 }, 0 },
		{ { IKE_ENCR_CHACHA20_POLY1305, 0, IKE_AUTH_NONE, IKE_PRF_HMAC_SHA2_256 }, 0 },
		{ { IKE_ENCR_AES_CBC, 256, IKE_AUTH_NONE, IKE_PRF_HMAC_SHA2_256 }, -EINVAL },
		{ { IKE_ENCR_AES_GCM_16, 256, IKE_AUTH_HMAC_SHA2_256_128, IKE_PRF_HMAC_SHA2_256 }, -EINVAL },
		{ { IKE_ENCR_AES_CBC, 100, IKE_AUTH_HMAC_SHA1_96, IKE_PRF_HMAC_SHA1 }, -ENOTSUP },
		{ { 3 /* 3DES */, 0, IKE_AUTH_HMAC_SHA1_96, IKE_PRF_HMAC_SHA1 }, -ENOTSUP },
		{ { IKE_ENCR_AES_CBC, 128, 5 /* AES-XCBC-96 */, IKE_PRF_HMAC_SHA1 }, -ENOTSUP },
		{ { IKE_ENCR_AES_CBC, 128, IKE_AUTH_HMAC_SHA1_96, 4 /* XCBC */ }, -ENOTSUP },
	};

	for (size_t i = 0; i < N(cases); i++)
		cr_assert_eq(ike_suite_check(&cases[i].s), cases[i].rc, "case %zu", i);
}

/* ======================= SK payload ======================= */

static struct ike_sk_keys sk_keys(uint16_t encr, size_t ekey_len, uint16_t integ,
				  const char *ekey, const char *ikey)
{
	struct ike_sk_keys k = { .sk_encr = encr, .sk_integ = integ };

	k.sk_ekey_len = (uint8_t)ekey_len;
	k.sk_ikey_len = (uint8_t)ike_integ_key_len(integ);
	if (ekey)
		cr_assert_eq(unhex(ekey, k.sk_ekey, sizeof(k.sk_ekey)), ekey_len);
	else
		for (size_t i = 0; i < ekey_len; i++)
			k.sk_ekey[i] = (uint8_t)(0x40 + i);
	if (ikey)
		cr_assert_eq(unhex(ikey, k.sk_ikey, sizeof(k.sk_ikey)), k.sk_ikey_len);
	else
		for (size_t i = 0; i < k.sk_ikey_len; i++)
			k.sk_ikey[i] = (uint8_t)(0x60 + i);
	return k;
}

#define CBC_EK "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
#define CBC_IK "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
#define GCM_EK "202122232425262728292a2b2c2d2e2f" "cafebabe"
#define CC_EK "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf" "01020304"
#define PY_INNER "0000000c0000400100000000" "6573706761746521"

/* The python reference's SK messages. */
#define PY_SK_CBC \
	"0102030405060708a1a2a3a4a5a6a7a82e202308000000010000006029000044" \
	"c0c1c2c3c4c5c6c7c8c9cacbcccdcecfdab5b14c8a565d434d087579d9a06535" \
	"f4216bf214eb157c4d3bc50cce256abcfe8af16058b1898f30e319a32754434a"
#define PY_SK_CBC_LONGPAD \
	"0102030405060708a1a2a3a4a5a6a7a82e202308000000010000007029000054" \
	"c0c1c2c3c4c5c6c7c8c9cacbcccdcecfdab5b14c8a565d434d087579d9a06535" \
	"3c522c5ba6208a48a5442e646209903ce4a30003226aee1bc3ab6f68c6e097f7" \
	"29ced2f594377950e8da2c9423959c7d"
#define PY_SK_CBC_BADPAD \
	"0102030405060708a1a2a3a4a5a6a7a82e202308000000010000006029000044" \
	"c0c1c2c3c4c5c6c7c8c9cacbcccdcecfdab5b14c8a565d434d087579d9a06535" \
	"fc5611869434c6d748a51073df3591cb70d784c75671e9692763b01ea24c1fac"
#define PY_SK_GCM \
	"0102030405060708a1a2a3a4a5a6a7a82e202520000000070000004d29000031" \
	"0001020304050607b0cd761e80f2a9c0e32a0864894843c2d0b726038f9327f9" \
	"cba26fe7d6de57254cac49af51"
#define PY_SK_GCM_BADPAD \
	"0102030405060708a1a2a3a4a5a6a7a82e202520000000070000004d29000031" \
	"0001020304050607b0cd761e80f2a9c0e32a0864894843c2d0b726039a4ec21c" \
	"cff7d18bcee1bb768cf6f129a2"
#define PY_SK_CHACHA \
	"0102030405060708a1a2a3a4a5a6a7a82e202520000000070000004d29000031" \
	"f0f1f2f3f4f5f6f746f99ad6631a38a974fb6fee95f98c022da08bbbc8be26c7" \
	"9f58a7286e4f35095331d1b833"

/* RFC 7634 Appendix B: an INFORMATIONAL request with one Notify. */
#define B_KEY "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f" "a0a1a2a3"
#define B_MSG \
	"c0c1c2c3c4c5c6c7d0d1d2d3d4d5d6d72e2025000000000900000045290000 29" \
	"1011121314151617" \
	"610394701f8d017f7c129248896b71bf" "e25236efd7cdc67066906315b2"
#define B_PLAIN "0000000c000040010000000a"

static uint8_t msg[BUF], want[BUF];

/* Decrypts the message in hex, expects the inner payloads in hex. */
static void sk_decrypt_kat(const struct ike_sk_keys *k, const char *hex,
			   const char *plain, const char *what)
{
	size_t len = unhex(hex, msg, sizeof(msg)), plen;
	uint8_t *p;

	cr_assert_eq(ike_sk_decrypt(k, msg, len, 32, &p, &plen), 0, "%s", what);
	expect_hex(p, plen, plain, what);
}

/* Encrypts plain with the message's IV and header: the same bytes. */
static void sk_encrypt_kat(const struct ike_sk_keys *k, const char *hex,
			   const char *plain, const char *what)
{
	size_t want_len = unhex(hex, want, sizeof(want)), plen, len;
	uint8_t p[256];

	plen = unhex(plain, p, sizeof(p));
	memset(msg, 0xee, sizeof(msg));
	memcpy(msg, want, 32);
	memset(msg + 24, 0, 4); /* lengths are filled in */
	memset(msg + 30, 0, 2);
	cr_assert_eq(ike_sk_encrypt_iv(k, want + 32, msg, 32, p, plen, sizeof(msg), &len), 0);
	cr_assert_eq(len, want_len, "%s: %zu bytes", what, len);
	cr_assert_eq(ike_sk_body_len(k, plen), want_len - 32);
	cr_assert(memcmp(msg, want, len) == 0, "%s: different bytes", what);
}

Test(ike_crypto, sk_rfc7634_appendix_b)
{
	struct ike_sk_keys k = sk_keys(IKE_ENCR_CHACHA20_POLY1305, 36, IKE_AUTH_NONE,
				       B_KEY, NULL);

	sk_decrypt_kat(&k, B_MSG, B_PLAIN, "RFC 7634 B");
	sk_encrypt_kat(&k, B_MSG, B_PLAIN, "RFC 7634 B");
}

Test(ike_crypto, sk_python_aes_cbc_sha256)
{
	struct ike_sk_keys k = sk_keys(IKE_ENCR_AES_CBC, 32, IKE_AUTH_HMAC_SHA2_256_128,
				       CBC_EK, CBC_IK);

	sk_decrypt_kat(&k, PY_SK_CBC, PY_INNER, "CBC");
	sk_encrypt_kat(&k, PY_SK_CBC, PY_INNER, "CBC");
	/* 27 bytes of 0xa5 padding: any aligned length is accepted. */
	sk_decrypt_kat(&k, PY_SK_CBC_LONGPAD, PY_INNER, "CBC long padding");
}

Test(ike_crypto, sk_python_aes_gcm_128)
{
	struct ike_sk_keys k = sk_keys(IKE_ENCR_AES_GCM_16, 20, IKE_AUTH_NONE, GCM_EK, NULL);

	sk_decrypt_kat(&k, PY_SK_GCM, PY_INNER, "GCM");
	sk_encrypt_kat(&k, PY_SK_GCM, PY_INNER, "GCM");
}

Test(ike_crypto, sk_python_chacha20_poly1305)
{
	struct ike_sk_keys k = sk_keys(IKE_ENCR_CHACHA20_POLY1305, 36, IKE_AUTH_NONE,
				       CC_EK, NULL);

	sk_decrypt_kat(&k, PY_SK_CHACHA, PY_INNER, "ChaCha20");
	sk_encrypt_kat(&k, PY_SK_CHACHA, PY_INNER, "ChaCha20");
}

Test(ike_crypto, sk_bad_pad_length)
{
	struct ike_sk_keys cbc = sk_keys(IKE_ENCR_AES_CBC, 32, IKE_AUTH_HMAC_SHA2_256_128,
					 CBC_EK, CBC_IK);
	struct ike_sk_keys gcm = sk_keys(IKE_ENCR_AES_GCM_16, 20, IKE_AUTH_NONE, GCM_EK, NULL);
	size_t len, plen;
	uint8_t *p;

	/* Authentic, but Pad Length 40 (CBC) / 21 (GCM) exceeds the plaintext. */
	len = unhex(PY_SK_CBC_BADPAD, msg, sizeof(msg));
	cr_assert_eq(ike_sk_decrypt(&cbc, msg, len, 32, &p, &plen), -EINVAL);
	len = unhex(PY_SK_GCM_BADPAD, msg, sizeof(msg));
	cr_assert_eq(ike_sk_decrypt(&gcm, msg, len, 32, &p, &plen), -EINVAL);
}

/* Every SK algorithm: the keys, and the IKE header + SK header. */
static const struct {
	uint16_t encr;
	size_t ekey_len;
	uint16_t integ;
	size_t iv, icv;
} sk_algs[] = {
	{ IKE_ENCR_AES_CBC, 16, IKE_AUTH_HMAC_SHA1_96, 16, 12 },
	{ IKE_ENCR_AES_CBC, 16, IKE_AUTH_HMAC_SHA2_256_128, 16, 16 },
	{ IKE_ENCR_AES_CBC, 24, IKE_AUTH_HMAC_SHA2_384_192, 16, 24 },
	{ IKE_ENCR_AES_CBC, 32, IKE_AUTH_HMAC_SHA2_256_128, 16, 16 },
	{ IKE_ENCR_AES_CBC, 32, IKE_AUTH_HMAC_SHA2_384_192, 16, 24 },
	{ IKE_ENCR_AES_CBC, 32, IKE_AUTH_HMAC_SHA2_512_256, 16, 32 },
	{ IKE_ENCR_AES_GCM_16, 20, IKE_AUTH_NONE, 8, 16 },
	{ IKE_ENCR_AES_GCM_16, 28, IKE_AUTH_NONE, 8, 16 },
	{ IKE_ENCR_AES_GCM_16, 36, IKE_AUTH_NONE, 8, 16 },
	{ IKE_ENCR_CHACHA20_POLY1305, 36, IKE_AUTH_NONE, 8, 16 },
};

static void ike_header(uint8_t *m)
{
	memcpy(m, spi_i, 8);
	memcpy(m + 8, spi_r, 8);
	m[16] = 46;   /* SK */
	m[17] = 0x20; /* 2.0 */
	m[18] = 35;   /* IKE_AUTH */
	m[19] = 0x08; /* Initiator */
	memset(m + 20, 0, 8);
	m[20 + 3] = 1;
	m[28] = 35;   /* SK's Next Payload: IDi */
	m[29] = 0;
	m[30] = m[31] = 0;
}

Test(ike_crypto, sk_round_trip_every_algorithm)
{
	static const size_t lens[] = { 0, 1, 15, 16, 17, 31, 100, 1000 };
	uint8_t plain[1000];

	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)(i * 13 + 5);
	for (size_t a = 0; a < N(sk_algs); a++) {
		struct ike_sk_keys k = sk_keys(sk_algs[a].encr, sk_algs[a].ekey_len,
					       sk_algs[a].integ, NULL, NULL);

		cr_assert_eq(ike_sk_iv_len(&k), sk_algs[a].iv);
		cr_assert_eq(ike_sk_icv_len(&k), sk_algs[a].icv);
		for (size_t l = 0; l < N(lens); l++) {
			size_t len, body, plen;
			uint8_t *p;

			ike_header(msg);
			cr_assert_eq(ike_sk_encrypt(&k, msg, 32, plain, lens[l], sizeof(msg), &len), 0);
			body = ike_sk_body_len(&k, lens[l]);
			cr_assert_eq(len, 32 + body);
			cr_assert_eq((size_t)msg[24] << 24 | msg[25] << 16 | msg[26] << 8 | msg[27], len);
			cr_assert_eq((size_t)msg[30] << 8 | msg[31], 4 + body);
			if (sk_algs[a].encr == IKE_ENCR_AES_CBC)
				cr_assert_eq((body - 16 - sk_algs[a].icv) % 16, 0);
			else
				cr_assert_eq(body, 8 + lens[l] + 1 + 16);
			cr_assert_eq(ike_sk_decrypt(&k, msg, len, 32, &p, &plen), 0,
				     "alg %zu len %zu", a, lens[l]);
			cr_assert_eq(plen, lens[l]);
			cr_assert(memcmp(p, plain, plen) == 0, "alg %zu len %zu", a, lens[l]);
		}
	}
}

Test(ike_crypto, sk_plain_in_place)
{
	struct ike_sk_keys k = sk_keys(IKE_ENCR_AES_CBC, 32, IKE_AUTH_HMAC_SHA2_256_128,
				       NULL, NULL);
	size_t len, plen;
	uint8_t *p;

	/* The caller built the inner payloads where the ciphertext goes. */
	ike_header(msg);
	memcpy(msg + 32 + 16, "inner payloads", 14);
	cr_assert_eq(ike_sk_encrypt(&k, msg, 32, msg + 32 + 16, 14, sizeof(msg), &len), 0);
	cr_assert_eq(ike_sk_decrypt(&k, msg, len, 32, &p, &plen), 0);
	cr_assert_eq(plen, 14);
	cr_assert(memcmp(p, "inner payloads", 14) == 0);
}

Test(ike_crypto, sk_tampering_detected)
{
	uint8_t plain[40];

	memset(plain, 0x5a, sizeof(plain));
	for (size_t a = 0; a < N(sk_algs); a++) {
		struct ike_sk_keys k = sk_keys(sk_algs[a].encr, sk_algs[a].ekey_len,
					       sk_algs[a].integ, NULL, NULL);
		/* Header, SK header, IV, ciphertext, ICV: one bit each. */
		size_t at[] = { 3, 18, 30, 33, 32 + sk_algs[a].iv + 1, 0 };
		size_t len, plen;
		uint8_t *p;

		ike_header(msg);
		cr_assert_eq(ike_sk_encrypt(&k, msg, 32, plain, sizeof(plain), sizeof(msg), &len), 0);
		at[N(at) - 1] = len - 1;
		memcpy(want, msg, len);
		for (size_t i = 0; i < N(at); i++) {
			memcpy(msg, want, len);
			msg[at[i]] ^= 0x01;
			cr_assert_eq(ike_sk_decrypt(&k, msg, len, 32, &p, &plen), -EBADMSG,
				     "alg %zu: byte %zu changed, accepted", a, at[i]);
		}
		/* Another key. */
		memcpy(msg, want, len);
		k.sk_ekey[0] ^= 1;
		k.sk_ikey[0] ^= 1;
		cr_assert_eq(ike_sk_decrypt(&k, msg, len, 32, &p, &plen), -EBADMSG);
	}
}

Test(ike_crypto, sk_malformed)
{
	struct ike_sk_keys cbc = sk_keys(IKE_ENCR_AES_CBC, 16, IKE_AUTH_HMAC_SHA1_96, NULL, NULL);
	struct ike_sk_keys gcm = sk_keys(IKE_ENCR_AES_GCM_16, 20, IKE_AUTH_NONE, NULL, NULL);
	struct ike_sk_keys bad = cbc;
	size_t len, plen;
	uint8_t *p;

	ike_header(msg);
	/* Ciphertext not whole blocks; nothing after the IV; no room. */
	cr_assert_eq(ike_sk_decrypt(&cbc, msg, 32 + 16 + 17 + 12, 32, &p, &plen), -EINVAL);
	cr_assert_eq(ike_sk_decrypt(&cbc, msg, 32 + 16 + 12, 32, &p, &plen), -EINVAL);
	cr_assert_eq(ike_sk_decrypt(&gcm, msg, 32 + 8 + 16, 32, &p, &plen), -EINVAL);
	cr_assert_eq(ike_sk_decrypt(&gcm, msg, 20, 32, &p, &plen), -EINVAL);
	cr_assert_eq(ike_sk_encrypt(&cbc, msg, 32, msg, 16, 32 + 16 + 32 + 11, &len), -ENOSPC);
	cr_assert_eq(ike_sk_encrypt(&cbc, msg, 31, msg, 16, sizeof(msg), &len), -EINVAL);
	/* Inconsistent keys. */
	bad.sk_integ = IKE_AUTH_NONE;
	cr_assert_eq(ike_sk_encrypt(&bad, msg, 32, msg, 16, sizeof(msg), &len), -EINVAL);
	bad = gcm;
	bad.sk_ekey_len = 16;
	cr_assert_eq(ike_sk_decrypt(&bad, msg, 100, 32, &p, &plen), -EINVAL);
	bad.sk_encr = 3;
	cr_assert_eq(ike_sk_decrypt(&bad, msg, 100, 32, &p, &plen), -ENOTSUP);
}

/* ======================= AUTH ======================= */

#define PY_MACED_ID "d05d74ded345fe092547bdb9e468b7cd830fb9c3a91149f116046124766496fd"
#define PY_AUTH "1677e80e6a020123e9ac6ac0c25d4193a17ab8d233dd897a17b78e4a4c3be3a8"
#define PSK "pre-shared secret"

Test(ike_crypto, auth_psk)
{
	static const char id_data[] = "alice.example.org";
	uint8_t msg1[120], sk_pi[32], id[4 + sizeof(id_data) - 1], octets[256];
	uint8_t auth[IKE_PRF_MAX];
	size_t len;

	nonces_init();
	for (size_t i = 0; i < sizeof(msg1); i++)
		msg1[i] = (uint8_t)(i * 7 + 3);
	for (size_t i = 0; i < sizeof(sk_pi); i++)
		sk_pi[i] = (uint8_t)(0x30 + i);
	memcpy(id, "\x02\x00\x00\x00", 4); /* ID_FQDN | RESERVED */
	memcpy(id + 4, id_data, sizeof(id_data) - 1);

	cr_assert_eq(ike_auth_octets_len(IKE_PRF_HMAC_SHA2_256, 120, 32), 184);
	cr_assert_eq(ike_auth_octets(IKE_PRF_HMAC_SHA2_256, sk_pi, msg1, 120, nr, 32, id,
				     sizeof(id), octets, 183, &len), -ENOSPC);
	cr_assert_eq(ike_auth_octets(IKE_PRF_HMAC_SHA2_256, sk_pi, msg1, 120, nr, 32, id,
				     sizeof(id), octets, sizeof(octets), &len), 0);
	cr_assert_eq(len, 184);
	cr_assert(memcmp(octets, msg1, 120) == 0 && memcmp(octets + 120, nr, 32) == 0);
	expect_hex(octets + 152, 32, PY_MACED_ID, "prf(SK_pi, IDi')");

	cr_assert_eq(ike_auth_psk(IKE_PRF_HMAC_SHA2_256, (const uint8_t *)PSK, strlen(PSK),
				  octets, len, auth), 0);
	expect_hex(auth, 32, PY_AUTH, "AUTH");
	cr_assert_eq(ike_auth_psk_verify(IKE_PRF_HMAC_SHA2_256, (const uint8_t *)PSK,
					 strlen(PSK), octets, len, auth, 32), 0);
	cr_assert_eq(ike_auth_psk_verify(IKE_PRF_HMAC_SHA2_256, (const uint8_t *)PSK,
					 strlen(PSK), octets, len, auth, 31), -EACCES);
	cr_assert_eq(ike_auth_psk_verify(IKE_PRF_HMAC_SHA2_256, (const uint8_t *)"other",
					 5, octets, len, auth, 32), -EACCES);
	auth[31] ^= 0x80;
	cr_assert_eq(ike_auth_psk_verify(IKE_PRF_HMAC_SHA2_256, (const uint8_t *)PSK,
					 strlen(PSK), octets, len, auth, 32), -EACCES);
}

/* ======================= Random ======================= */

Test(ike_crypto, random_nonces_and_spis)
{
	uint8_t a[IKE_NONCE_MAX + 1], b[32], spi[8];
	uint32_t cspi;

	cr_assert_eq(ike_nonce(a, IKE_NONCE_MIN - 1), -EINVAL);
	cr_assert_eq(ike_nonce(a, IKE_NONCE_MAX + 1), -EINVAL);
	cr_assert_eq(ike_nonce(a, 32), 0);
	cr_assert_eq(ike_nonce(b, 32), 0);
	cr_assert(memcmp(a, b, 32) != 0);
	for (int i = 0; i < 100; i++) {
		static const uint8_t zero[8];

		cr_assert_eq(ike_spi_new(spi), 0);
		cr_assert(memcmp(spi, zero, 8) != 0);
		cr_assert_eq(ike_child_spi_new(&cspi), 0);
		cr_assert_geq(cspi, 256);
	}
}
