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
#include "proposal.h"

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
	int worker;                  /* owner worker index, -1 = espgate picks,
				      * CFG_SA_WORKER_ANY: shared by all */
};
#define CFG_SA_WORKER_ANY (-2)

/* ---- IKE connections (RFC 7296), negotiated by lib/ike ---- */

/* Limits: lib/ike's (IKE_ID_MAX, IKE_PSK_MAX, IKE_MAX_PROPOSALS,
 * IKE_MAX_CHILD_CFG, IKE_MAX_TS_CFG), so a loaded connection fits the
 * engine. */
#define CFG_MAX_CONNS 4096
/* ike.cookie_threshold and ike.half_open_per_peer: defaults and bound. */
#define CFG_IKE_COOKIE_THRESHOLD 1000
#define CFG_IKE_HALF_OPEN_PER_PEER 100
#define CFG_IKE_LIMIT_MAX 1000000
/* ike.max_child_sas: the Child SAs IKE may install at once (the data
 * plane's SA table holds two SAs each beside the static ones); app/'s
 * IKE_CTL_CHILDREN bounds it. */
#define CFG_IKE_MAX_CHILD_SAS 2048
#define CFG_IKE_MAX_CHILD_SAS_MAX 65536
/* pools: lib/ike's IKE_POOL_DNS_MAX, IKE_POOL_SPLIT_MAX, IKE_CONN_POOLS. */
#define CFG_MAX_POOLS 64
#define CFG_POOL_DNS_MAX 4
#define CFG_POOL_SPLIT_MAX 8
#define CFG_CONN_POOLS 2
#define CFG_POOL_LEASE_S 3600
#define CFG_ID_MAX 255
#define CFG_PSK_MIN 16 /* characters; RFC 7296 §2.15 on weak shared keys */
#define CFG_PSK_MAX 128 /* bytes */
#define CFG_MAX_PROPOSALS 8
#define CFG_MAX_CHILDREN 8
/* Selector pairs of all "trap" connections together (the data plane's
 * trap table, lib/dataplane/trap.h). */
#define CFG_MAX_TRAP_SELECTORS 256
#define CFG_MAX_TS 8
#define CFG_MAX_CACERTS 8

/* IANA "IKEv2 Identification Payload ID Types" (RFC 7296 §3.5). */
enum cfg_id_type {
	CFG_ID_ANY = 0, /* remote_id only: any identity the peer proves */
	CFG_ID_IPV4_ADDR = 1,
	CFG_ID_FQDN = 2,
	CFG_ID_RFC822_ADDR = 3,
	CFG_ID_IPV6_ADDR = 5,
	CFG_ID_DER_ASN1_DN = 9,
	CFG_ID_KEY_ID = 11,
};

/* An identity as type and bytes: IPv4/IPv6 the 4/16 address bytes; FQDN
 * the name (without a leading "@"); RFC822 "user@domain"; KEY_ID the
 * bytes the hex gave; DER_ASN1_DN the text as written ("C=CH, O=Example,
 * CN=hq"; the DER encoding is lib/ike's business). Not NUL-terminated. */
struct cfg_id {
	enum cfg_id_type type;
	uint8_t len;
	uint8_t data[CFG_ID_MAX];
};

enum cfg_auth { CFG_AUTH_PSK, CFG_AUTH_PUBKEY };
/* How the peer authenticates: as we do (auth), or with EAP (RFC 7296
 * §2.16): EAP-MSCHAPv2 against the secrets file's "eap" users, EAP-TLS
 * (RFC 5216) with a certificate of the connection's cacerts; IKEv1's
 * XAUTH against the same "eap" users. */
enum cfg_remote_auth { CFG_REMOTE_AUTH_SAME, CFG_REMOTE_AUTH_EAP_MSCHAPV2,
		       CFG_REMOTE_AUTH_EAP_TLS, CFG_REMOTE_AUTH_XAUTH, CFG_REMOTE_AUTH_EAP_RADIUS };

/* "radius": the servers EAP-RADIUS asks in order (failover), each with
 * its shared secret from the secrets file ("radius": {"<address>": ...}). */
#define CFG_RADIUS_SERVERS 4
#define CFG_RADIUS_SECRET_MAX 64
struct cfg_radius_server {
	struct ip_addr addr;
	uint16_t auth_port, acct_port;
	char *secret;               /* wiped by cfg_free */
	uint16_t secret_len;
};
struct cfg_radius {
	struct cfg_radius_server servers[CFG_RADIUS_SERVERS];
	unsigned n_servers;         /* 0: no "radius" */
	unsigned timeout_s, retries; /* per server, before the next */
	bool accounting;
	unsigned interim_s;         /* 0: no interim updates */
	char nas_identifier[64];
};
enum cfg_start { CFG_START_NONE, CFG_START_START, CFG_START_TRAP };
/* The IKE version of a connection: "version": 2 (the default), 1, or
 * "any" (a responder takes whichever the peer speaks; it initiates
 * IKEv2). */
enum cfg_ike_version { CFG_IKE_V2, CFG_IKE_V1, CFG_IKE_ANY };

/* A pool of virtual addresses for remote-access clients (RFC 7296
 * §2.19) and what their CFG_REPLY tells them with one. */
struct cfg_pool {
	char name[CFG_NAME_MAX];
	struct ip_prefix prefix;
	struct ip_addr dns[CFG_POOL_DNS_MAX];
	unsigned n_dns;
	struct ip_prefix split[CFG_POOL_SPLIT_MAX]; /* split include */
	unsigned n_split;
	uint32_t lease_s; /* a client keeps its address this long after */
};

/* One traffic selector of a child (RFC 7296 §3.13.1): a prefix, a
 * protocol (0: any) and a port range (0-65535: any). */
struct cfg_child_ts {
	struct ip_prefix prefix; /* host bits clear */
	uint8_t proto;
	uint16_t port_lo, port_hi;
};

/* A Child SA a connection negotiates. Times in seconds, 0: none. */
struct cfg_child {
	char name[CFG_NAME_MAX];
	struct cfg_child_ts *local_ts, *remote_ts; /* n_local_ts, n_remote_ts */
	unsigned n_local_ts, n_remote_ts;
	struct cfg_proposal *esp; /* n_esp, in order of preference */
	unsigned n_esp;
	enum cfg_sa_mode mode;
	uint32_t rekey_s, life_s; /* rekey_s < life_s when both are set */
	/* Volume lifetimes, counted by the data plane per SA, 0: none: the
	 * soft one starts a rekey, the hard one stops the SA's traffic. */
	uint64_t rekey_bytes, life_bytes, rekey_packets, life_packets;
};

#define CFG_EAP_USER_MAX 64      /* bytes of an EAP identity */
#define CFG_EAP_PASSWORD_MAX 256 /* characters (RFC 2759 §4) */
#define CFG_MAX_EAP_USERS 100000

struct cfg_eap_user {
	char name[CFG_EAP_USER_MAX + 1];
	char *password; /* UTF-8, password_len bytes; wiped by cfg_free */
	uint16_t password_len;
};

struct cfg_conn {
	char name[CFG_NAME_MAX];
	struct ip_addr local;  /* an address of an unprotected port */
	struct ip_addr remote; /* family 0: any peer (responder only) */
	struct cfg_id local_id, remote_id; /* remote_id CFG_ID_ANY: any */
	enum cfg_auth auth;
	enum cfg_remote_auth remote_auth;
	bool eap_identity; /* EAP-Identity first (RFC 3748 §5.1) */
	bool eap_tls13;    /* EAP-TLS with TLS 1.3 (RFC 9190) too */
	bool eap_only;     /* EAP-TLS alone proves us where offered (RFC 5998) */
	uint8_t psk[CFG_PSK_MAX]; /* CFG_AUTH_PSK; wiped by cfg_free */
	uint16_t psk_len;
	bool psk_from_secrets; /* it came from ike.secrets */
	char *cert, *key; /* CFG_AUTH_PUBKEY: paths, readable at load time */
	char **cacerts;
	unsigned n_cacerts;
	struct cfg_proposal *ike; /* n_ike IKE proposals, in order of preference */
	unsigned n_ike;
	struct cfg_child *children;
	unsigned n_children;
	uint32_t rekey_s, reauth_s, dpd_s, dpd_timeout_s; /* 0: off */
	enum cfg_start start;
	enum cfg_ike_version version;
	bool aggressive; /* IKEv1 aggressive mode (RFC 2409 §5) */
	bool no_mobike;  /* "mobike": false (RFC 4555 off) */
	char pools[CFG_CONN_POOLS][CFG_NAME_MAX]; /* one per family at most */
	unsigned n_pools;
	bool modecfg_push; /* IKEv1 Mode Config: we set the address */
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

	/* IKE: where it listens (natt_port is also one of natt_ports), the
	 * secrets file as resolved (NULL: none) and the connections. */
	uint16_t ike_port, ike_natt_port;
	char *ike_secrets;
	/* RFC 7296 §2.6: half-open IKE SAs from which a COOKIE is asked
	 * (0: never), and that one address may hold (0: no cap). */
	unsigned ike_cookie_threshold, ike_half_open_per_peer;
	unsigned ike_max_child_sas;
	/* The secrets file's EAP users (its "eap" object), wiped by cfg_free. */
	struct cfg_eap_user *eap_users;
	unsigned n_eap_users;
	struct cfg_conn *conns;
	unsigned n_conns;
	struct cfg_pool *pools;
	unsigned n_pools;
	struct cfg_radius radius;

	char ctl_socket[CFG_PATH_MAX];
	char log_level[16]; /* "error" .. "debug" */
	/* Prometheus /metrics over HTTP (metrics_port 0: off) on a kernel
	 * address of the host; per-SA series can be turned off. */
	struct ip_addr metrics_addr;
	uint16_t metrics_port;
	bool metrics_per_sa;
};

/* 0 on success; -EINVAL with the one-line message in err otherwise
 * (-errno when the file cannot be read). */
int cfg_load_file(const char *path, struct cfg *out, char *err, size_t errlen);
int cfg_load_string(const char *text, const char *name, struct cfg *out,
		    char *err, size_t errlen);
void cfg_free(struct cfg *cfg);
const char *cfg_role_name(enum cfg_port_role role);
const char *cfg_engine_name(enum cfg_crypto_engine engine);
const char *cfg_auth_name(enum cfg_auth auth);
/* "eap-mschapv2", "eap-tls", or "" for CFG_REMOTE_AUTH_SAME. */
const char *cfg_remote_auth_name(enum cfg_remote_auth a);
/* The pool of that name, or NULL. */
const struct cfg_pool *cfg_find_pool(const struct cfg *cfg, const char *name);
const char *cfg_start_name(enum cfg_start start);

/* Whether a child's local and remote selector can meet in one packet
 * (same family; protocols that agree): one trap policy each. */
bool cfg_ts_pair_meets(const struct cfg_child_ts *local, const struct cfg_child_ts *remote);
/* The trap policies a connection makes: its children's meeting pairs. */
unsigned cfg_conn_trap_pairs(const struct cfg_conn *conn);

#endif
