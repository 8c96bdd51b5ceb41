/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_APP_RADIUS_H
#define ESPGATE_APP_RADIUS_H

/*
 * EAP-RADIUS and RADIUS accounting (radius.c) with radcli: radcli's
 * calls block (they wait for the server, its retries and the next
 * server), so they run on RADIUS threads fed by a queue; the control
 * lcore only queues and takes answers (radius_poll), which go to lib/ike
 * (ike_engine_eap_radius_answer) and never block.
 */
#include "ike_ctl.h"

/* Threads and handles from app->cfg.radius (none: 0, nothing started). */
int radius_start(struct app *app);
void radius_stop(struct app *app);
/* lib/ike's ev_eap_radius (ctx: the ike_ctl). */
void radius_eap_request(void *ctx, const struct ike_radius_request *rr);
/* Answers to lib/ike, accounting's interim updates. */
void radius_poll(struct app *app, uint64_t now_ms);
/* Accounting (RFC 2866): Start with the IKE SA's first Child SA, the
 * bytes and packets of each Child SA as it goes, Stop with the IKE SA. */
void radius_child_up(struct app *app, const struct ike_child_info *ci);
void radius_child_gone(struct app *app, uint32_t ike_id, int sa_in, int sa_out);
void radius_ike_down(struct app *app, const struct ike_sa_info *sa);
/* espgatectl stats' "radius" counters (NULL without RADIUS). */
json_t *radius_stats_json(const struct app *app);
/* Their descriptions into o, as "radius.<name>" (espgatectl counters). */
void radius_counters_help(json_t *o);

#endif
