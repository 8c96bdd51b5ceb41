/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SAs in the daemon: the SA database and what the workers need for ESP
 * (crypto engines, handoff rings, RCU), the static SAs of the
 * configuration, lifetime events, and the listing espgatectl shows.
 */
#include "espgate.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_crypto.h>
#include <rte_cryptodev.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "esp_crypto.h"
#include "sa.h"
#include "settings.h"

static int install_static(struct app *app)
{
	/* SA state spread over the workers unless the configuration says. */
	for (unsigned i = 0; i < app->cfg.n_sas; i++) {
		struct esp_sa_conf sc;
		int rc = settings_static_sa(&app->cfg.sas[i], (int)(i % app->dp.n_workers), &sc);

		if (rc == 0)
			rc = esp_sa_add(app->dp.sadb, app->engine, &sc);
		explicit_bzero(&sc.algo, sizeof(sc.algo));
		if (rc < 0) {
			EG_LOG(ERR, "SA %s (SPI 0x%08x): %s", app->cfg.sas[i].name,
			       app->cfg.sas[i].spi, strerror(-rc));
			return rc;
		}
	}
	if (app->cfg.n_sas)
		EG_LOG(INFO, "%u static SAs installed", app->cfg.n_sas);
	return 0;
}

/* The cryptodev engine's device: queue pair i for worker i, and one more
 * for the control lcore's engine, which makes the sessions. */
#define CDEV_QP_DEPTH 1024
static struct {
	int dev; /* -1 until started */
	struct rte_mempool *ops;
	struct rte_mempool *sess;
} cdev = { .dev = -1 };

static int cdev_start(uint8_t dev, uint16_t n_qp)
{
	struct rte_cryptodev_config conf = { .socket_id = (int)rte_socket_id(),
					     .nb_queue_pairs = n_qp };
	struct rte_cryptodev_qp_conf qp = { .nb_descriptors = CDEV_QP_DEPTH };
	int rc = rte_cryptodev_configure(dev, &conf);

	for (uint16_t q = 0; rc == 0 && q < n_qp; q++)
		rc = rte_cryptodev_queue_pair_setup(dev, q, &qp, (int)rte_socket_id());
	return rc == 0 ? rte_cryptodev_start(dev) : rc;
}

/* name as configured: "crypto_aesni_mb0,max_nb_queue_pairs=16" or a QAT
 * VF's PCI address, whose symmetric device is "ADDRESS_qat_sym". */
static int cdev_find(const char *name)
{
	char dev_name[CFG_DEVICE_MAX + 16];
	int len = (int)strcspn(name, ",");
	int dev;

	snprintf(dev_name, sizeof(dev_name), "%.*s", len, name);
	dev = rte_cryptodev_get_dev_id(dev_name);
	if (dev < 0) {
		snprintf(dev_name, sizeof(dev_name), "%.*s_qat_sym", len, name);
		dev = rte_cryptodev_get_dev_id(dev_name);
	}
	return dev;
}

static int cdev_up(struct app *app, uint32_t max_sas)
{
	const char *name = app->cfg.crypto_device;
	uint16_t n_qp = (uint16_t)(app->dp.n_workers + 1);
	int dev = cdev_find(name), rc;

	if (dev < 0) {
		EG_LOG(ERR, "crypto device %s not found (a QAT VF must be bound to vfio-pci)",
		       name);
		return -ENODEV;
	}
	/* Per engine: a burst in flight and what the lcore caches keep. */
	cdev.ops = rte_crypto_op_pool_create("esp_cops", RTE_CRYPTO_OP_TYPE_SYMMETRIC,
					     n_qp * 4u * ESP_CRYPTO_BURST, ESP_CRYPTO_BURST,
					     ESP_CRYPTODEV_OP_PRIV, (int)rte_socket_id());
	cdev.sess = esp_cryptodev_sess_pool_create("esp_sess", (uint8_t)dev,
						   max_sas * ESP_CRYPTODEV_SESS_PER_SA,
						   (int)rte_socket_id());
	if (!cdev.ops || !cdev.sess) {
		EG_LOG(ERR, "%s: pools for %u SAs: out of memory (raise -m)", name, max_sas);
		return -ENOMEM;
	}
	rc = cdev_start((uint8_t)dev, n_qp);
	if (rc < 0) {
		EG_LOG(ERR, "%s: %u queue pairs: %s", name, n_qp, strerror(-rc));
		return rc;
	}
	cdev.dev = dev;
	return 0;
}

static void cdev_down(void)
{
	if (cdev.dev >= 0) {
		rte_cryptodev_stop((uint8_t)cdev.dev);
		rte_cryptodev_close((uint8_t)cdev.dev);
		cdev.dev = -1;
	}
	rte_mempool_free(cdev.ops);
	rte_mempool_free(cdev.sess);
	cdev.ops = cdev.sess = NULL;
}

static struct esp_engine *engine_new(const struct app *app, uint16_t qp)
{
	if (app->cfg.engine != CFG_ENGINE_CRYPTODEV)
		return esp_engine_create();
	return esp_engine_create_cryptodev((uint8_t)cdev.dev, qp, cdev.ops, cdev.sess);
}

static int worker_resources(struct app *app)
{
	for (unsigned i = 0; i < app->dp.n_workers; i++) {
		struct dp_worker *w = &app->dp.workers[i];
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "handoff%u", i);
		w->w_engine = engine_new(app, (uint16_t)i);
		w->w_handoff = rte_ring_create(name, DP_HANDOFF_RING_SIZE,
					       (int)rte_socket_id(), RING_F_SC_DEQ);
		if (!w->w_engine || !w->w_handoff)
			return -ENOMEM;
	}
	return 0;
}

int sas_init(struct app *app)
{
	struct dp *dp = &app->dp;
	/* the static SAs, and two for each Child SA IKE may install */
	uint32_t ike = app->cfg.n_conns ? 2 * app->cfg.ike_max_child_sas : 0;
	uint32_t max = RTE_MAX(4096u, 2 * app->cfg.n_sas + ike);
	size_t qsz = rte_rcu_qsbr_get_memsize(dp->n_workers);
	int rc;

	dp->qs = rte_zmalloc("rcu", qsz, RTE_CACHE_LINE_SIZE);
	if (!dp->qs || rte_rcu_qsbr_init(dp->qs, dp->n_workers) != 0)
		return -ENOMEM;
	if (app->cfg.engine == CFG_ENGINE_CRYPTODEV) {
		rc = cdev_up(app, max);
		if (rc < 0)
			return rc;
	}
	app->engine = engine_new(app, (uint16_t)dp->n_workers);
	dp->sadb = esp_sadb_create("sadb", (int)rte_socket_id(), max, dp->qs,
				   dp->n_workers);
	dp->events = rte_ring_create("sa_events", DP_EVENT_RING_SIZE,
				     (int)rte_socket_id(), RING_F_SC_DEQ);
	if (!app->engine || !dp->sadb || !dp->events) {
		EG_LOG(ERR, "SA tables for %u SAs: out of memory (raise -m)", max);
		return -ENOMEM;
	}
	settings_dp_ipsec(&app->cfg, dp);
	rc = worker_resources(app);
	if (rc == 0)
		rc = install_static(app);
	if (rc == 0 && app->cfg.engine == CFG_ENGINE_CRYPTODEV)
		EG_LOG(INFO, "crypto engine cryptodev (%s, %u queue pairs)",
		       esp_engine_arch(app->engine), dp->n_workers + 1);
	else if (rc == 0)
		EG_LOG(INFO, "crypto engine %s (IPsec-MB %s)", cfg_engine_name(app->cfg.engine),
		       esp_engine_arch(app->engine));
	return rc;
}

void sas_fini(struct app *app)
{
	struct dp *dp = &app->dp;
	void *m;

	for (unsigned i = 0; dp->workers && i < dp->n_workers; i++) {
		struct dp_worker *w = &dp->workers[i];
		while (w->w_handoff && rte_ring_dequeue(w->w_handoff, &m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(w->w_handoff);
		esp_engine_free(w->w_engine);
	}
	esp_sadb_free(dp->sadb);
	dp->sadb = NULL;
	rte_ring_free(dp->events);
	esp_engine_free(app->engine);
	app->engine = NULL;
	cdev_down(); /* after the SAs: their keys' sessions are gone */
	rte_free(dp->qs);
}

unsigned sas_poll_events(struct app *app)
{
	void *ev[32];
	unsigned n = rte_ring_sc_dequeue_burst(app->dp.events, ev, RTE_DIM(ev), NULL);

	for (unsigned i = 0; i < n; i++) {
		uint64_t v = (uint64_t)(uintptr_t)ev[i] - 1;
		struct esp_sa *sa = esp_sa_by_id(app->dp.sadb, (uint32_t)(v >> 1));
		bool hard = v & 1;

		app->ctl.c_cnt[hard ? DP_C_sa_hard_expired : DP_C_sa_soft_expired]++;
		if (sa)
			EG_LOG(NOTICE, "SA %s (SPI 0x%08x): %s lifetime reached%s",
			       sa->sa_name, sa->sa_spi, hard ? "hard" : "soft",
			       hard ? "; its traffic is now dropped" : "");
		ike_ctl_sa_lifetime(app, (uint32_t)(v >> 1), hard);
	}
	return n;
}

/* ---- listing ---- */

static json_t *ts_json(const struct esp_ts *ts)
{
	char s[IP_PREFIX_STRLEN], d[IP_PREFIX_STRLEN];

	ip_prefix_format(&ts->src, s, sizeof(s));
	ip_prefix_format(&ts->dst, d, sizeof(d));
	return json_pack("{s:s, s:s, s:i, s:[i,i], s:[i,i]}", "src", s, "dst", d,
			 "proto", ts->proto, "sport", ts->sport_lo, ts->sport_hi,
			 "dport", ts->dport_lo, ts->dport_hi);
}

static json_t *sa_drops_json(const struct esp_sa *sa)
{
	json_t *o = json_object();

	for (unsigned i = 0; i < ESP_DROP_MAX; i++)
		json_object_set_new(o, esp_sa_drop_names[i],
				    json_integer((json_int_t)__atomic_load_n(
					    &sa->sa_st.st_drops[i], __ATOMIC_RELAXED)));
	return o;
}

static json_t *sa_json(const struct esp_sa *sa)
{
	char spi[12], src[IP_ADDR_STRLEN], dst[IP_ADDR_STRLEN];
	json_t *o;

	snprintf(spi, sizeof(spi), "0x%08x", sa->sa_spi);
	ip_addr_format(&sa->sa_src, src, sizeof(src));
	ip_addr_format(&sa->sa_dst, dst, sizeof(dst));
	o = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:i, s:o, s:I, s:I, s:o}",
		      "id", sa->sa_id, "name", sa->sa_name, "spi", spi,
		      "direction", sa->sa_dir == ESP_DIR_IN ? "in" : "out",
		      "mode", sa->sa_mode == ESP_MODE_TUNNEL ? "tunnel" : "transport",
		      "src", src, "dst", dst, "algorithm", esp_sa_algo_name(sa),
		      "esn", sa->sa_esn, "owner_worker", sa->sa_owner,
		      "selector", ts_json(&sa->sa_ts),
		      "packets", (json_int_t)__atomic_load_n(&sa->sa_st.st_packets, __ATOMIC_RELAXED),
		      "bytes", (json_int_t)__atomic_load_n(&sa->sa_st.st_bytes, __ATOMIC_RELAXED),
		      "drops", sa_drops_json(sa));
	if (sa->sa_encap)
		json_object_set_new(o, "udp_encap", json_pack("{s:i, s:i}", "sport",
							      sa->sa_encap_sport, "dport",
							      sa->sa_encap_dport));
	if (sa->sa_owner == ESP_OWNER_ANY) /* shared: every worker's */
		json_object_set_new(o, "owner_worker", json_string("any"));
	if (sa->sa_dir == ESP_DIR_OUT)
		json_object_set_new(o, "seq", json_integer((json_int_t)__atomic_load_n(
						   &sa->sa_st.st_seq, __ATOMIC_RELAXED)));
	if (esp_sa_replay(sa))
		json_object_set_new(o, "replay_window", json_integer(esp_sa_replay(sa)->rp_size));
	if (esp_sa_replay_mt(sa)) {
		json_object_set_new(o, "replay_window", json_integer(esp_sa_replay_mt(sa)->rm_size));
		json_object_set_new(o, "replay_late", json_integer((json_int_t)__atomic_load_n(
						   &esp_sa_replay_mt(sa)->rm_late, __ATOMIC_RELAXED)));
	}
	json_object_set_new(o, "lifetime", json_pack("{s:b, s:b}", "soft_expired",
						     sa->sa_st.st_soft_raised, "hard_expired",
						     sa->sa_st.st_hard_raised));
	return o;
}

json_t *ctl_sas_json(const struct app *app)
{
	json_t *list = json_array();
	uint32_t limit = app->dp.sadb ? esp_sadb_id_limit(app->dp.sadb) : 0;

	for (uint32_t id = 0; id < limit; id++) {
		const struct esp_sa *sa = esp_sa_by_id(app->dp.sadb, id);
		if (sa)
			json_array_append_new(list, sa_json(sa));
	}
	return json_pack("{s:o}", "sas", list);
}
