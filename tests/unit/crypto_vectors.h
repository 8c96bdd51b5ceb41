/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_TEST_CRYPTO_VECTORS_H
#define ESPGATE_TEST_CRYPTO_VECTORS_H

/*
 * Known answers for the ESP crypto engines (test_crypto.c: ipsecmb,
 * test_crypto_cdev.c: cryptodev), all from published vectors
 * (none computed with this code):
 *  - AES-GCM: "The Galois/Counter Mode of Operation (GCM)", McGrew &
 *    Viega, Appendix B, Test Cases 3, 4 (AES-128) and 15, 16 (AES-256);
 *    the 96-bit IV split as salt (4) || ESP IV (8).
 *  - ChaCha20-Poly1305: RFC 7634 Appendix A (ESP example, 8-byte AAD) and
 *    RFC 8439 §2.8.2 (12-byte AAD, as with ESN; nonce split 4 + 8).
 *  - AES-CBC: RFC 3602 §4 cases 1-4 (AES-128) and NIST SP 800-38A F.2.5
 *    (CBC-AES256.Encrypt); their ICVs are computed with OpenSSL's HMAC().
 *  - HMAC: RFC 4868 §2.7.2 AUTH256-1..3, AUTH384-1..2, AUTH512-1..2
 *    (truncated), RFC 2202 §3 cases 1, 3, 5 truncated to 96 bits (RFC 2404);
 *    each cross-checked with python3 hmac.
 *  - ESN: ICVs over SPI||SEQ-low||IV||ciphertext||SEQ-high computed with
 *    python3 hmac/hashlib.
 */

#include "esp_crypto.h"

/* ---- Test vectors, as published ---- */

struct kat_src {
	const char *name;
	enum esp_enc enc;
	enum esp_integ integ;
	const char *ekey, *salt, *ikey;
	const char *iv, *aad, *hdr; /* hdr: authenticated bytes before the IV */
	const char *pt, *ct, *icv;  /* icv NULL: computed with OpenSSL HMAC */
};

#define GCM_K128 "feffe9928665731c6d6a8f9467308308"
#define GCM_P60 "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" \
		"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
#define GCM_A "feedfacedeadbeeffeedfacedeadbeefabaddad2"
#define CC_KEY "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"

static const struct kat_src aead_src[] = {
	{ "GCM TC3", ESP_ENC_AES_GCM16, ESP_INTEG_NONE, GCM_K128, "cafebabe", NULL,
	  "facedbaddecaf888", NULL, NULL, GCM_P60 "1aafd255",
	  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
	  "4d5c2af327cd64a62cf35abd2ba6fab4" },
	{ "GCM TC4", ESP_ENC_AES_GCM16, ESP_INTEG_NONE, GCM_K128, "cafebabe", NULL,
	  "facedbaddecaf888", GCM_A, NULL, GCM_P60,
	  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
	  "5bc94fbc3221a5db94fae95ae7121a47" },
	{ "GCM TC15", ESP_ENC_AES_GCM16, ESP_INTEG_NONE, GCM_K128 GCM_K128, "cafebabe",
	  NULL, "facedbaddecaf888", NULL, NULL, GCM_P60 "1aafd255",
	  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
	  "b094dac5d93471bdec1a502270e3cc6c" },
	{ "GCM TC16", ESP_ENC_AES_GCM16, ESP_INTEG_NONE, GCM_K128 GCM_K128, "cafebabe",
	  NULL, "facedbaddecaf888", GCM_A, NULL, GCM_P60,
	  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
	  "76fc6ece0f4e1768cddf8853bb2d551b" },
	{ "RFC 7634 A", ESP_ENC_CHACHA20_POLY1305, ESP_INTEG_NONE, CC_KEY, "a0a1a2a3",
	  NULL, "1011121314151617", "0102030400000005", NULL,
	  "45000054a6f200004001e778c6336405c000020508005b7a3a080000553bec10"
	  "0007362708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223"
	  "2425262728292a2b2c2d2e2f303132333435363701020204",
	  "24039428b97f417e3c13753a4f05087b67c352e6a7fab1b982d466ef407ae5c6"
	  "14ee8099d52844eb61aa95dfab4c02f72aa71e7c4c4f64c9befe2facc638e8f3"
	  "cbec163fac469b502773f6fb94e664da9165b82829f641e0",
	  "76aaa8266b7fb0f7b11b369907e1ad43" },
	{ "RFC 8439 2.8.2", ESP_ENC_CHACHA20_POLY1305, ESP_INTEG_NONE, CC_KEY,
	  "07000000", NULL, "4041424344454647", "50515253c0c1c2c3c4c5c6c7", NULL,
	  "4c616469657320616e642047656e746c656d656e206f662074686520636c6173"
	  "73206f66202739393a204966204920636f756c64206f6666657220796f75206f"
	  "6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73"
	  "637265656e20776f756c642062652069742e",
	  "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
	  "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
	  "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
	  "3ff4def08e4b7a9de576d26586cec64b6116",
	  "1ae10b594f09e26a7e902ecbd0600691" },
};

#define IKEY32 "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"
#define SPI_SEQ "0102030400000005"

static const struct kat_src cbc_src[] = {
	{ "RFC 3602 case 1", ESP_ENC_AES_CBC, ESP_INTEG_HMAC_SHA256_128,
	  "06a9214036b8a15b512e03d534120006", NULL, IKEY32,
	  "3dafba429d9eb430b422da802c9fac41", NULL, SPI_SEQ,
	  "53696e676c6520626c6f636b206d7367", "e353779c1079aeb82708942dbe77181a", NULL },
	{ "RFC 3602 case 2", ESP_ENC_AES_CBC, ESP_INTEG_HMAC_SHA256_128,
	  "c286696d887c9aa0611bbb3e2025a45a", NULL, IKEY32,
	  "562e17996d093d28ddb3ba695a2e6f58", NULL, SPI_SEQ,
	  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	  "d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1", NULL },
	{ "RFC 3602 case 3", ESP_ENC_AES_CBC, ESP_INTEG_HMAC_SHA256_128,
	  "6c3ea0477630ce21a2ce334aa746c2cd", NULL, IKEY32,
	  "c782dc4c098c66cbd9cd27d825682c81", NULL, SPI_SEQ,
	  "5468697320697320612034382d62797465206d657373616765202865786163746c"
	  "7920332041455320626c6f636b7329",
	  "d0a02b3836451753d493665d33f0e8862dea54cdb293abc7506939276772f8d5"
	  "021c19216bad525c8579695d83ba2684", NULL },
	{ "RFC 3602 case 4", ESP_ENC_AES_CBC, ESP_INTEG_HMAC_SHA1_96,
	  "56e47a38c5598974bc46903dba290349", NULL,
	  "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
	  "8ce82eefbea0da3c44699ed7db51b7d9", NULL, SPI_SEQ,
	  "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
	  "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf",
	  "c30e32ffedc0774e6aff6af0869f71aa0f3af07a9a31a9c684db207eb0ef8e4e"
	  "35907aa632c3ffdf868bb7b29d3d46ad83ce9f9a102ee99d49a53e87f4c3da55", NULL },
	{ "SP 800-38A F.2.5", ESP_ENC_AES_CBC, ESP_INTEG_HMAC_SHA512_256,
	  "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", NULL,
	  IKEY32 IKEY32, "000102030405060708090a0b0c0d0e0f", NULL, SPI_SEQ,
	  "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
	  "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
	  "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
	  "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b", NULL },
};

#define HI_THERE "4869205468657265"
#define WHAT_DO "7768617420646f2079612077616e7420666f72206e6f7468696e673f"
#define JEFE4 "4a6566654a6566654a6566654a656665"
#define DD50 "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd" \
	     "dddddddddddddddddddddddddddddddddddd"

/* NULL encryption: the ICV covers the data, which is also the "text". */
static const struct kat_src hmac_src[] = {
	{ "RFC 4868 AUTH256-1", ESP_ENC_NULL, ESP_INTEG_HMAC_SHA256_128, NULL, NULL,
	  IKEY32, NULL, NULL, NULL, HI_THERE, HI_THERE,
	  "198a607eb44bfbc69903a0f1cf2bbdc5" },
	{ "RFC 4868 AUTH256-2", ESP_ENC_NULL, ESP_INTEG_HMAC_SHA256_128, NULL, NULL,
	  JEFE4 JEFE4, NULL, NULL, NULL, WHAT_DO, WHAT_DO,
	  "167f928588c5cc2eef8e3093caa0e87c" },
	{ "RFC 4868 AUTH256-3", ESP_ENC_NULL, ESP_INTEG_HMAC_SHA256_128, NULL, NULL,
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  NULL, NULL, NULL, DD50, DD50, "cdcb1220d1ecccea91e53aba3092f962" },
	{ "RFC 4868 AUTH384-1", ESP_ENC_NULL, ESP_INTEG_HMAC_SHA384_192, NULL, NULL,
	  IKEY32 "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", NULL, NULL, NULL, HI_THERE,
	  HI_THERE, "b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee973" },
	{ "RFC 4868 AUTH384-2", ESP_ENC_NULL, ESP_INTEG_HMAC_SHA384_192, NULL, NULL,
	  JEFE4 JEFE4 JEFE4, NULL, NULL, NULL, WHAT_DO, WHAT_DO,
	  "2c7353974f1842fd66d53c452ca42122b28c0b594cfb184d" },
	{ "RFC 4868 AUTH512-1", ESP_ENC_NULL, ESP_INTEG_HMAC_SHA512_256, NULL, NULL,
	  IKEY32 IKEY32, NULL, NULL, NULL, HI_THERE, HI_THERE,
	  "637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8" },
	{ "RFC 4868 AUTH512-2", ESP_ENC_NULL, ESP_INTEG_HMAC_SHA512_256, NULL, NULL,
	  JEFE4 JEFE4 JEFE4 JEFE4, NULL, NULL, NULL, WHAT_DO, WHAT_DO,
	  "cb370917ae8a7ce28cfd1d8f4705d6141c173b2a9362c15df235dfb251b15454" },
	{ "RFC 2202 SHA1 case 1", ESP_ENC_NULL, ESP_INTEG_HMAC_SHA1_96, NULL, NULL,
	  "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", NULL, NULL, NULL, HI_THERE,
	  HI_THERE, "b617318655057264e28bc0b6" },
	{ "RFC 2202 SHA1 case 3", ESP_ENC_NULL, ESP_INTEG_HMAC_SHA1_96, NULL, NULL,
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL, NULL, NULL, DD50, DD50,
	  "125d7342b9ac11cd91a39af4" },
	{ "RFC 2202 SHA1 case 5", ESP_ENC_NULL, ESP_INTEG_HMAC_SHA1_96, NULL, NULL,
	  "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c", NULL, NULL, NULL,
	  "546573742057697468205472756e636174696f6e",
	  "546573742057697468205472756e636174696f6e", "4c1a03424b55e07fe7f27be1" },
};

static const struct {
	enum esp_integ integ;
	const char *ikey;
	const char *icv; /* python3 hmac over hdr || iv || ct || seq-hi */
} esn_cases[] = {
	{ ESP_INTEG_HMAC_SHA256_128, JEFE4 JEFE4, "3631fddb16b19b683690de4b28bd28fb" },
	{ ESP_INTEG_HMAC_SHA1_96, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
	  "da91eba00fe176867b6fcd33" },
	{ ESP_INTEG_HMAC_SHA512_256,
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "123e35610eb9fae48a3842568636bc5dcc58bd4a3486e3cf3d53b15c4b04c300" },
};

#endif
