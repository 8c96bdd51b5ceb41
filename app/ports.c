/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports: one DPDK ethdev per configured port, one RX and one TX queue per
 * worker. The control lcore has no TX queue of its own: it hands frames to
 * the worker that owns the port's control ring, so a device needs no more
 * queues than there are workers (net_af_packet's qpairs, say).
 */
#include "espgate.h"
#include "settings.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#define PORT_RX_DESC 1024
#define PORT_TX_DESC 1024

int port_index_by_name(const struct app *app, const char *name)
{
	for (unsigned i = 0; i < app->dp.n_ports; i++)
		if (strcmp(app->dp.ports[i].pt_name, name) == 0)
			return (int)i;
	return -ENOENT;
}

static int find_port_id(const struct cfg_port *cp, uint16_t *port_id)
{
	char name[CFG_DEVICE_MAX];
	size_t n = strcspn(cp->device, ",");

	memcpy(name, cp->device, n);
	name[n] = '\0';
	return rte_eth_dev_get_port_by_name(name, port_id);
}

static int configure_queues(struct app *app, struct dp_port *port,
			    const struct rte_eth_dev_info *info)
{
	uint16_t id = port->pt_if.port;
	struct rte_eth_conf conf = { .rxmode = { .mtu = port->pt_if.mtu } };
	unsigned workers = app->dp.n_workers;
	uint16_t nrx = RTE_MIN((uint16_t)workers, info->max_rx_queues);
	uint16_t rxd = PORT_RX_DESC, txd = PORT_TX_DESC;
	int rc;

	if (info->max_tx_queues < workers) {
		EG_LOG(ERR, "port %s: %u TX queues needed (one per worker), device has %u%s",
		       port->pt_name, workers, info->max_tx_queues,
		       strncmp(info->driver_name, "net_af_packet", 13) == 0 ?
		       "; add qpairs=N to its device string" : "");
		return -EINVAL;
	}
	if (nrx > 1 && info->flow_type_rss_offloads) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP) &
			info->flow_type_rss_offloads;
	}
	rc = rte_eth_dev_configure(id, nrx, (uint16_t)workers, &conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(id, &rxd, &txd);
	for (uint16_t q = 0; rc == 0 && q < nrx; q++)
		rc = rte_eth_rx_queue_setup(id, q, rxd, (unsigned)rte_eth_dev_socket_id(id),
					    NULL, app->dp.pool);
	for (uint16_t q = 0; rc == 0 && q < workers; q++)
		rc = rte_eth_tx_queue_setup(id, q, txd, (unsigned)rte_eth_dev_socket_id(id),
					    NULL);
	if (rc < 0) {
		EG_LOG(ERR, "port %s: queue setup failed: %s", port->pt_name,
		       rte_strerror(-rc));
		return rc;
	}
	port->pt_nb_rxq = nrx;
	port->pt_nb_txq = (uint16_t)workers;
	return 0;
}

/* The configured MAC wins; a device that cannot take it (net_pcap, say)
 * still sees espgate use it, since espgate filters unicast itself. */
static void set_mac(struct dp_port *port, const struct cfg_port *cp)
{
	struct rte_ether_addr mac;

	if (cp->has_mac) {
		memcpy(mac.addr_bytes, cp->mac, 6);
		if (rte_eth_dev_default_mac_addr_set(port->pt_if.port, &mac) != 0)
			EG_LOG(DEBUG, "port %s: device keeps its MAC; espgate uses the configured one",
			       port->pt_name);
		memcpy(port->pt_if.mac, cp->mac, 6);
		return;
	}
	rte_eth_macaddr_get(port->pt_if.port, &mac);
	memcpy(port->pt_if.mac, mac.addr_bytes, 6);
}

static int setup_one(struct app *app, unsigned idx)
{
	const struct cfg_port *cp = &app->cfg.ports[idx];
	struct dp_port *port = &app->dp.ports[idx];
	struct rte_eth_dev_info info;
	char ring[RTE_RING_NAMESIZE];
	int rc;

	settings_port(cp, port);
	if (find_port_id(cp, &port->pt_if.port) != 0) {
		EG_LOG(ERR, "port %s: no DPDK device for \"%s\"", cp->name, cp->device);
		return -ENODEV;
	}
	app->dp.port_index[port->pt_if.port] = (uint16_t)idx;
	rc = rte_eth_dev_info_get(port->pt_if.port, &info);
	if (rc == 0)
		rc = configure_queues(app, port, &info);
	if (rc < 0)
		return rc;
	rc = rte_eth_dev_set_mtu(port->pt_if.port, cp->mtu);
	if (rc != 0 && rc != -ENOTSUP)
		EG_LOG(WARNING, "port %s: MTU %u not set on the device: %s", cp->name,
		       cp->mtu, rte_strerror(-rc));
	set_mac(port, cp);
	rte_eth_promiscuous_enable(port->pt_if.port);
	snprintf(ring, sizeof(ring), "ctl_tx%u", idx);
	port->pt_ctl_tx = rte_ring_create(ring, DP_CTL_TX_RING_SIZE, rte_socket_id(),
					  RING_F_SP_ENQ | RING_F_SC_DEQ);
	port->pt_tx_owner = idx % app->dp.n_workers;
	if (!port->pt_ctl_tx)
		return -ENOMEM;
	rc = rte_eth_dev_start(port->pt_if.port);
	if (rc < 0) {
		EG_LOG(ERR, "port %s: start failed: %s", cp->name, rte_strerror(-rc));
		return rc;
	}
	return 0;
}

int ports_setup(struct app *app)
{
	app->dp.n_ports = app->cfg.n_ports;
	for (unsigned i = 0; i < app->cfg.n_ports; i++) {
		int rc = setup_one(app, i);
		if (rc < 0)
			return rc;
		EG_LOG(INFO, "port %s: DPDK port %u, %s, %u RX / %u TX queues, MTU %u",
		       app->dp.ports[i].pt_name, app->dp.ports[i].pt_if.port,
		       dp_port_role_name(app->dp.ports[i].pt_role),
		       app->dp.ports[i].pt_nb_rxq, app->dp.ports[i].pt_nb_txq,
		       app->dp.ports[i].pt_if.mtu);
	}
	return 0;
}

static void drain_ring(struct rte_ring *r)
{
	void *m;

	while (r && rte_ring_dequeue(r, &m) == 0)
		rte_pktmbuf_free(m);
}

void ports_close(struct app *app)
{
	for (unsigned i = 0; i < app->dp.n_ports; i++) {
		struct dp_port *port = &app->dp.ports[i];

		drain_ring(port->pt_ctl_tx);
		rte_ring_free(port->pt_ctl_tx);
		port->pt_ctl_tx = NULL;
		rte_eth_dev_stop(port->pt_if.port);
		rte_eth_dev_close(port->pt_if.port);
	}
}
