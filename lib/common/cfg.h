/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_CFG_H
#define ESPGATE_CFG_H

/*
 * The deployment, as one JSON file describes it (config/README.md).
 * cfg_load_* validate everything that can be known before EAL starts;
 * an error is one line: "FILE:LINE:COL: JSON.PATH: what is wrong".
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define CFG_MAX_PORTS 16
#define CFG_MAX_ADDRS 8
#define CFG_MAX_WORKERS 32
#define CFG_MAX_EAL_ARGS 64
#define CFG_NAME_MAX 32
#define CFG_DEVICE_MAX 256
#define CFG_PATH_MAX 108 /* sizeof(sun_path) */
#define CFG_MAX_LCORE 127

enum cfg_port_role {
	CFG_ROLE_PROTECTED,
	CFG_ROLE_UNPROTECTED,
};

struct cfg_port {
	char name[CFG_NAME_MAX];
	/* A DPDK device: a vdev string ("net_af_packet0,iface=veth0") or a
	 * PCI address ("0000:03:00.0"), possibly with devargs. */
	char device[CFG_DEVICE_MAX];
	bool is_vdev;
	enum cfg_port_role role;
	struct ip_prefix addrs[CFG_MAX_ADDRS];
	unsigned n_addrs;
	uint16_t mtu;
	bool has_mac; /* "mac": overrides the device's own address */
	uint8_t mac[6];
};

struct cfg_route {
	struct ip_prefix prefix; /* host bits clear */
	bool has_via;
	struct ip_addr via;
	unsigned port; /* index into cfg.ports */
};

/* A next hop whose link-layer address is configured, not resolved. */
struct cfg_neighbor {
	struct ip_addr addr;
	uint8_t mac[6];
	unsigned port;
};

enum cfg_crypto_engine {
	CFG_ENGINE_IPSECMB,
	CFG_ENGINE_CRYPTODEV,
};


/* ---- static (manually keyed) SAs, RFC 4301 §4.5 ---- */

#define CFG_MAX_SAS (1u << 20)
#define CFG_SA_KEY_MAX 68 /* ChaCha20 key + salt = 36; HMAC-SHA-512 = 64 */
#define CFG_MAX_NATT_PORTS 4

enum cfg_sa_dir { CFG_SA_IN, CFG_SA_OUT };
enum cfg_sa_mode { CFG_SA_TUNNEL, CFG_SA_TRANSPORT };
enum cfg_df { CFG_DF_COPY, CFG_DF_SET, CFG_DF_CLEAR };

/* A traffic selector (RFC 4301 §4.4.1.1) as prefixes, protocol and port
 * ranges; proto 0 is any, ports 0-65535 are any. */
struct cfg_ts {
	struct ip_prefix src;
	struct ip_prefix dst;
	uint8_t proto;
	uint16_t sport_lo, sport_hi;
	uint16_t dport_lo, dport_hi;
};

struct cfg_sa {
	char name[CFG_NAME_MAX];
	uint32_t spi;                /* > 255 (RFC 4303 §2.1) */
	enum cfg_sa_dir dir;
	enum cfg_sa_mode mode;
	struct ip_addr src, dst;     /* outer endpoints (tunnel); for transport
				      * the peer's address in dst (out) or ours (in)
				      * may be left unset: has_endpoints false */
	bool has_endpoints;
	char enc[24];                /* "aes128gcm16", "aes256gcm16", "aes128", "aes256",
				      * "chacha20poly1305", "null" */
	uint8_t enc_key[CFG_SA_KEY_MAX]; /* AEAD: key || 4-byte salt (RFC 4106 §8.1) */
	uint8_t enc_key_len;
	char integ[24];              /* "", "sha1_96", "sha256_128", "sha384_192", "sha512_256" */
	uint8_t integ_key[CFG_SA_KEY_MAX];
	uint8_t integ_key_len;
	struct cfg_ts ts;            /* out: what it protects; in: what it may carry */
	uint32_t replay_window;      /* in: 0 (off) or 64..4096; default 64 */
	bool esn;
	bool udp_encap;              /* RFC 3948 */
	uint16_t encap_sport, encap_dport; /* default 4500/4500 */
	enum cfg_df df;              /* out, tunnel: default copy */
	uint64_t soft_bytes, hard_bytes, soft_packets, hard_packets; /* 0 = none */
	int worker;                  /* owner worker index, -1 = espgate picks */
};

struct cfg {
	char *eal_args[CFG_MAX_EAL_ARGS];
	unsigned n_eal_args;

	unsigned control_lcore;
	unsigned workers[CFG_MAX_WORKERS];
	unsigned n_workers;

	struct cfg_port ports[CFG_MAX_PORTS];
	unsigned n_ports;

	struct cfg_route *routes;
	unsigned n_routes;

	struct cfg_neighbor *neighbors;
	unsigned n_neighbors;

	enum cfg_crypto_engine engine;
	char crypto_device[CFG_DEVICE_MAX]; /* for CFG_ENGINE_CRYPTODEV */

	struct cfg_sa *sas;
	unsigned n_sas;
	/* UDP ports on which ESP-in-UDP arrives (RFC 3948), default {4500}. */
	uint16_t natt_ports[CFG_MAX_NATT_PORTS];
	unsigned n_natt_ports;
	/* What becomes of protected-side traffic no outbound SA covers. */
	bool unmatched_discard;

	char ctl_socket[CFG_PATH_MAX];
	char log_level[16]; /* "error" .. "debug" */
};

/* 0 on success; -EINVAL with the one-line message in err otherwise
 * (-errno when the file cannot be read). */
int cfg_load_file(const char *path, struct cfg *out, char *err, size_t errlen);
int cfg_load_string(const char *text, const char *name, struct cfg *out,
		    char *err, size_t errlen);
void cfg_free(struct cfg *cfg);
const char *cfg_role_name(enum cfg_port_role role);
const char *cfg_engine_name(enum cfg_crypto_engine engine);

#endif
