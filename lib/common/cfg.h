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
