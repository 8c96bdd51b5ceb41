/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * systemd's notify protocol (sd_notify(3), systemd.service(5) Type=notify)
 * through libsystemd: READY=1 once the ports are up and the control lcore
 * runs (IKE included), STATUS= lines, WATCHDOG=1 from the control loop at
 * half the interval systemd asks for (so a stuck control lcore is
 * restarted), RELOADING=1 and READY=1 around a reload, STOPPING=1. Without
 * NOTIFY_SOCKET (not under systemd) every call is a no-op.
 */
#include "espgate.h"

#include <stdio.h>

#include <systemd/sd-daemon.h>

static uint64_t watchdog_every_ms, watchdog_next_ms;

static void status_line(const struct app *app, const char *state, char *out, size_t cap)
{
	snprintf(out, cap, "STATUS=%s: %u workers, %u ports, %u connections", state,
		 app->dp.n_workers, app->dp.n_ports, app->cfg.n_conns);
}

void service_ready(const struct app *app)
{
	char status[160];
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000)
		watchdog_every_ms = usec / 2000; /* half the interval, in ms */
	watchdog_next_ms = eg_now_ms();
	status_line(app, "running", status, sizeof(status));
	if (sd_notifyf(0, "READY=1\n%s", status) > 0)
		EG_LOG(INFO, "systemd: ready%s", watchdog_every_ms ? ", watchdog on" : "");
}

void service_watchdog(void)
{
	uint64_t now;

	if (!watchdog_every_ms)
		return;
	now = eg_now_ms();
	if (now < watchdog_next_ms)
		return;
	watchdog_next_ms = now + watchdog_every_ms;
	sd_notify(0, "WATCHDOG=1");
}

void service_reloading(void)
{
	sd_notify(0, "RELOADING=1\nSTATUS=reloading the configuration");
}

void service_reloaded(const struct app *app)
{
	char status[160];

	status_line(app, "running", status, sizeof(status));
	sd_notifyf(0, "READY=1\n%s", status);
}

void service_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}
