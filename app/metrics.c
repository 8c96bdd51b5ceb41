/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prometheus /metrics (the text exposition format 0.0.4) over HTTP, by
 * libmicrohttpd in its external-select mode: the control lcore runs it in
 * its loop (metrics_poll), so a scrape reads the same counters
 * espgatectl stats does and never touches a worker. Names follow
 * Prometheus's conventions: espgate_ prefix, _total on counters, one
 * family per counter with labels for the port, worker, drop reason and
 * SA (per-SA series off with "per_sa": false, for 100 000 SAs).
 */
#include "espgate.h"
#include "ike_ctl.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#define METRICS_CONNECTIONS 16
#define METRICS_TIMEOUT_S 10

static struct MHD_Daemon *metrics_daemon;

/* A family's HELP and TYPE lines (once, before its samples). */
static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static long long int_of(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* One family per numeric member of the array's objects (taken from the
 * first), a sample per element labelled label="its label_key". */
static void array_families(FILE *f, json_t *arr, const char *prefix, const char *label,
			   const char *label_key, const char *skip)
{
	json_t *first = json_array_get(arr, 0), *el, *v;
	const char *key;
	size_t i;

	json_object_foreach(first, key, v) {
		char name[128];

		if (!json_is_integer(v) || (skip && strcmp(key, skip) == 0))
			continue;
		snprintf(name, sizeof(name), "espgate_%s_%s_total", prefix, key);
		family(f, name, "counter", key);
		json_array_foreach(arr, i, el) {
			json_t *lv = json_object_get(el, label_key);

			if (json_is_string(lv))
				fprintf(f, "%s{%s=\"%s\"} %lld\n", name, label, json_string_value(lv),
					int_of(el, key));
			else
				fprintf(f, "%s{%s=\"%zu\"} %lld\n", name, label, i, int_of(el, key));
		}
	}
}

/* The workers' drops: one family, labelled by worker and reason. */
static void worker_drops(FILE *f, json_t *workers)
{
	json_t *w, *v;
	const char *key;
	size_t i;

	family(f, "espgate_worker_drops_total", "counter",
	       "packets a worker dropped, by reason (espgatectl counters)");
	json_array_foreach(workers, i, w)
		json_object_foreach(json_object_get(w, "drops"), key, v)
			fprintf(f, "espgate_worker_drops_total{worker=\"%zu\",reason=\"%s\"} %lld\n", i,
				key, (long long)json_integer_value(v));
}

/* An object's numeric members: counters (suffix _total) or gauges. */
static void object_families(FILE *f, json_t *obj, const char *prefix, bool counters,
			    const char *const *gauges)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		char name[128];
		bool gauge = !counters;

		if (!json_is_integer(v))
			continue;
		for (unsigned g = 0; gauges && gauges[g]; g++)
			gauge |= strcmp(gauges[g], key) == 0;
		snprintf(name, sizeof(name), "espgate_%s_%s%s", prefix, key, gauge ? "" : "_total");
		family(f, name, gauge ? "gauge" : "counter", key);
		fprintf(f, "%s %lld\n", name, (long long)json_integer_value(v));
	}
}

static void control_drops(FILE *f, json_t *control)
{
	const char *key;
	json_t *v;

	family(f, "espgate_control_drops_total", "counter",
	       "packets the control lcore dropped, by reason");
	json_object_foreach(json_object_get(control, "drops"), key, v)
		fprintf(f, "espgate_control_drops_total{reason=\"%s\"} %lld\n", key,
			(long long)json_integer_value(v));
}

/* Per data-plane SA: packets, bytes, drops by reason. */
static void sa_families(FILE *f, json_t *sas)
{
	static const char *const what[] = { "packets", "bytes" };
	const char *key;
	json_t *sa, *v;
	size_t i;

	for (unsigned k = 0; k < 2; k++) {
		char name[64];

		snprintf(name, sizeof(name), "espgate_sa_%s_total", what[k]);
		family(f, name, "counter", k ? "bytes an SA protected or took in" :
					      "packets an SA protected or took in");
		json_array_foreach(sas, i, sa)
			fprintf(f, "%s{sa=\"%s\",spi=\"%s\",direction=\"%s\"} %lld\n", name,
				json_string_value(json_object_get(sa, "name")),
				json_string_value(json_object_get(sa, "spi")),
				json_string_value(json_object_get(sa, "direction")), int_of(sa, what[k]));
	}
	family(f, "espgate_sa_drops_total", "counter", "packets an SA dropped, by reason");
	json_array_foreach(sas, i, sa)
		json_object_foreach(json_object_get(sa, "drops"), key, v)
			fprintf(f, "espgate_sa_drops_total{sa=\"%s\",spi=\"%s\",reason=\"%s\"} %lld\n",
				json_string_value(json_object_get(sa, "name")),
				json_string_value(json_object_get(sa, "spi")), key,
				(long long)json_integer_value(v));
}

/* Tunnels configured against up (espgatectl sas lists established IKE
 * SAs under "ike_sas", the others under "ike_sas_connecting"). */
static void tunnel_gauges(FILE *f, const struct app *app, json_t *ike)
{
	family(f, "espgate_connections", "gauge", "IKE connections configured");
	fprintf(f, "espgate_connections %u\n", app->cfg.n_conns);
	family(f, "espgate_ike_sas_established", "gauge", "IKE SAs established");
	fprintf(f, "espgate_ike_sas_established %zu\n",
		json_array_size(json_object_get(ike, "ike_sas")));
	family(f, "espgate_child_sas_installed", "gauge", "Child SAs installed");
	fprintf(f, "espgate_child_sas_installed %zu\n",
		json_array_size(json_object_get(ike, "child_sas")));
}

/* A ctl_latency (ike_ctl.h) as a Prometheus histogram in seconds:
 * cumulative buckets, _sum and _count. */
static void latency_histogram(FILE *f, const char *name, const char *help,
			      const struct ctl_latency *l)
{
	uint64_t cum = 0;

	family(f, name, "histogram", help);
	for (unsigned b = 0; b < IKE_CTL_LAT_BUCKETS; b++) {
		cum += l->l_bucket[b];
		fprintf(f, "%s_bucket{le=\"%g\"} %llu\n", name, ike_ctl_latency_le_s[b],
			(unsigned long long)cum);
	}
	fprintf(f, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)l->l_count);
	fprintf(f, "%s_sum %.9f\n", name, l->l_sum_s);
	fprintf(f, "%s_count %llu\n", name, (unsigned long long)l->l_count);
}

/* The Child SAs' install latency, and the IKE setups' from their first
 * datagram to their first Child SA in the data plane. */
static void install_latency(FILE *f, const struct app *app)
{
	static const struct ctl_latency none;

	latency_histogram(f, "espgate_sa_install_latency_seconds",
			  "from the datagram that completed a Child SA to its SAs in the data plane",
			  app->ike ? &app->ike->ic_install_latency : &none);
	latency_histogram(f, "espgate_ike_setup_latency_seconds",
			  "from an IKE SA's first datagram (or initiate) to its first Child SA's SAs in the data plane",
			  app->ike ? &app->ike->ic_setup_latency : &none);
}

/* The bytes of each data-plane SA, keyed by its id as text: one pass, so
 * a scrape stays linear in the SAs. */
static json_t *bytes_by_sa(json_t *sas)
{
	json_t *o = json_object(), *sa;
	char id[24];
	size_t i;

	json_array_foreach(sas, i, sa) {
		snprintf(id, sizeof(id), "%lld", int_of(sa, "id"));
		json_object_set_new(o, id, json_integer(int_of(sa, "bytes")));
	}
	return o;
}

/* Per connection: its Child SAs' bytes in and out, from one pass over
 * them; {conn: [in, out]}. */
static json_t *bytes_by_conn(json_t *children, json_t *by_sa)
{
	json_t *o = json_object(), *ch;
	size_t i;

	json_array_foreach(children, i, ch) {
		const char *conn = json_string_value(json_object_get(ch, "conn"));
		json_t *sum = json_object_get(o, conn);

		if (!sum) {
			sum = json_pack("[I,I]", (json_int_t)0, (json_int_t)0);
			json_object_set_new(o, conn, sum);
		}
		for (unsigned d = 0; d < 2; d++) {
			char id[24];

			snprintf(id, sizeof(id), "%lld", int_of(ch, d ? "sa_out" : "sa_in"));
			json_array_set_new(sum, d, json_integer(json_integer_value(json_array_get(sum, d)) +
							       json_integer_value(json_object_get(by_sa, id))));
		}
	}
	return o;
}

/* Per configured connection: up (an IKE SA established) and the bytes of
 * its Child SAs' data-plane SAs by direction (bounded by the connections
 * configured, unlike the per-SA series). */
static void connection_families(FILE *f, const struct app *app, json_t *ike, json_t *sas)
{
	json_t *up = json_object(), *by_sa = bytes_by_sa(sas), *bytes, *x;
	size_t i;

	json_array_foreach(json_object_get(ike, "ike_sas"), i, x)
		json_object_set(up, json_string_value(json_object_get(x, "conn")), json_true());
	bytes = bytes_by_conn(json_object_get(ike, "child_sas"), by_sa);
	family(f, "espgate_connection_up", "gauge", "1 when the connection has an IKE SA established");
	for (unsigned c = 0; c < app->cfg.n_conns; c++)
		fprintf(f, "espgate_connection_up{connection=\"%s\"} %d\n", app->cfg.conns[c].name,
			json_object_get(up, app->cfg.conns[c].name) != NULL);
	family(f, "espgate_connection_bytes_total", "counter",
	       "bytes of the connection's installed Child SAs, by direction");
	for (unsigned c = 0; c < app->cfg.n_conns; c++) {
		json_t *sum = json_object_get(bytes, app->cfg.conns[c].name);

		for (unsigned d = 0; d < 2; d++)
			fprintf(f, "espgate_connection_bytes_total{connection=\"%s\",direction=\"%s\"} %lld\n",
				app->cfg.conns[c].name, d ? "out" : "in",
				(long long)json_integer_value(json_array_get(sum, d)));
	}
	json_decref(up), json_decref(by_sa), json_decref(bytes);
}

static const char *const ike_gauges[] = { "conns", "sas", "half_open", NULL };

/* The whole exposition, in a malloc'd string. */
static char *metrics_text(const struct app *app, size_t *len)
{
	json_t *st = ctl_stats_json(app), *ike = ike_ctl_json(app), *sas = NULL;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f) {
		json_decref(st), json_decref(ike);
		return NULL;
	}
	array_families(f, json_object_get(st, "ports"), "port", "port", "name", NULL);
	array_families(f, json_object_get(st, "workers"), "worker", "worker", "", "lcore");
	worker_drops(f, json_object_get(st, "workers"));
	object_families(f, json_object_get(st, "control"), "control", true, NULL);
	control_drops(f, json_object_get(st, "control"));
	object_families(f, json_object_get(st, "ike"), "ike", true, ike_gauges);
	object_families(f, json_object_get(st, "resources"), "resources", false, NULL);
	tunnel_gauges(f, app, ike);
	install_latency(f, app);
	sas = ctl_sas_json(app);
	connection_families(f, app, ike, json_object_get(sas, "sas"));
	if (app->cfg.metrics_per_sa)
		sa_families(f, json_object_get(sas, "sas"));
	fclose(f);
	json_decref(st), json_decref(ike), json_decref(sas);
	return buf;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_len, void **state)
{
	const struct app *app = cls;
	struct MHD_Response *resp;
	enum MHD_Result rc;
	size_t len = 0;
	char *text;

	(void)version, (void)upload, (void)upload_len, (void)state;
	if (strcmp(method, "GET") != 0 || strcmp(url, "/metrics") != 0) {
		static char not_found[] = "espgate serves /metrics only\n";

		resp = MHD_create_response_from_buffer(sizeof(not_found) - 1, not_found,
						       MHD_RESPMEM_PERSISTENT);
		rc = MHD_queue_response(conn, MHD_HTTP_NOT_FOUND, resp);
		MHD_destroy_response(resp);
		return rc;
	}
	text = metrics_text(app, &len);
	if (!text)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	rc = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return rc;
}

int metrics_open(struct app *app)
{
	struct sockaddr_storage ss = { 0 };
	const struct ip_addr *a = &app->cfg.metrics_addr;
	char text[IP_ADDR_STRLEN];
	unsigned flags = 0;

	if (!app->cfg.metrics_port)
		return 0;
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(app->cfg.metrics_port);
		memcpy(&sin->sin_addr, a->bytes, 4);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(app->cfg.metrics_port);
		memcpy(&sin6->sin6_addr, a->bytes, 16);
		flags |= MHD_USE_IPv6;
	}
	ip_addr_format(a, text, sizeof(text));
	metrics_daemon = MHD_start_daemon(flags, app->cfg.metrics_port, NULL, NULL, answer, app,
					  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
					  MHD_OPTION_CONNECTION_LIMIT, METRICS_CONNECTIONS,
					  MHD_OPTION_CONNECTION_TIMEOUT, METRICS_TIMEOUT_S,
					  MHD_OPTION_END);
	if (!metrics_daemon) {
		EG_LOG(ERR, "metrics: cannot listen on %s port %u", text, app->cfg.metrics_port);
		return -EADDRNOTAVAIL;
	}
	EG_LOG(INFO, "metrics: http://%s:%u/metrics", text, app->cfg.metrics_port);
	return 0;
}

/* A scrape waits at most this long: MHD_run is a select() of its own,
 * not worth making on every turn of a busy control loop. */
#define METRICS_POLL_MS 5

void metrics_poll(void)
{
	static uint64_t next_ms;
	uint64_t now;

	if (!metrics_daemon || (now = eg_now_ms()) < next_ms)
		return;
	next_ms = now + METRICS_POLL_MS;
	MHD_run(metrics_daemon);
}

void metrics_close(void)
{
	if (metrics_daemon)
		MHD_stop_daemon(metrics_daemon);
	metrics_daemon = NULL;
}
