/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry commands (/espgate/status, /espgate/ports,
 * /espgate/stats): the same objects espgatectl gets, converted from
 * JSON into telemetry containers, so dpdk-telemetry.py reads them.
 */
#include "espgate.h"

#include <rte_telemetry.h>

static struct app *tel_app;

static void fill_dict(struct rte_tel_data *d, json_t *obj);

/* Arrays of objects become dicts keyed by index: telemetry arrays hold
 * only scalars. */
static struct rte_tel_data *container_of_json(json_t *v)
{
	struct rte_tel_data *c = rte_tel_data_alloc();
	size_t i;
	json_t *e;

	if (!c)
		return NULL;
	if (json_is_object(v)) {
		fill_dict(c, v);
		return c;
	}
	rte_tel_data_start_dict(c);
	json_array_foreach(v, i, e) {
		char key[24];
		struct rte_tel_data *sub;

		snprintf(key, sizeof(key), "%zu", i);
		if (json_is_string(e)) {
			rte_tel_data_add_dict_string(c, key, json_string_value(e));
		} else if (json_is_integer(e)) {
			rte_tel_data_add_dict_u64(c, key, (uint64_t)json_integer_value(e));
		} else if ((sub = container_of_json(e)) != NULL &&
			   rte_tel_data_add_dict_container(c, key, sub, 0) != 0) {
			rte_tel_data_free(sub);
		}
	}
	return c;
}

static void fill_dict(struct rte_tel_data *d, json_t *obj)
{
	const char *key;
	json_t *v;

	rte_tel_data_start_dict(d);
	json_object_foreach(obj, key, v) {
		struct rte_tel_data *sub;

		if (json_is_string(v)) {
			rte_tel_data_add_dict_string(d, key, json_string_value(v));
		} else if (json_is_integer(v)) {
			rte_tel_data_add_dict_u64(d, key, (uint64_t)json_integer_value(v));
		} else if ((json_is_object(v) || json_is_array(v)) &&
			   (sub = container_of_json(v)) != NULL &&
			   rte_tel_data_add_dict_container(d, key, sub, 0) != 0) {
			rte_tel_data_free(sub);
		}
	}
}

static int reply(json_t *obj, struct rte_tel_data *d)
{
	if (!obj)
		return -1;
	fill_dict(d, obj);
	json_decref(obj);
	return 0;
}

static int tel_status(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	return reply(ctl_status_json(tel_app), d);
}

static int tel_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	return reply(ctl_ports_json(tel_app), d);
}

static int tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	return reply(ctl_stats_json(tel_app), d);
}

int telemetry_register(struct app *app)
{
	tel_app = app;
	if (rte_telemetry_register_cmd("/espgate/status", tel_status,
				       "espgate state, uptime, workers, ports") ||
	    rte_telemetry_register_cmd("/espgate/ports", tel_ports,
				       "espgate ports, roles, addresses, links") ||
	    rte_telemetry_register_cmd("/espgate/stats", tel_stats,
				       "espgate counters per port, worker and control lcore"))
		return -1;
	return 0;
}
