/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Log lines with structured fields under journald: when stderr is the
 * journal's stream (systemd.exec(5): $JOURNAL_STREAM names the device
 * and inode of fd 2), a line about a peer, an IKE SA or a Child SA goes
 * to the journal through sd_journal_sendv(3) with ESPGATE_PEER,
 * ESPGATE_CONNECTION, ESPGATE_IKE_SA, ESPGATE_IKE_SPI_I/_R and
 * ESPGATE_SPI_IN/_OUT beside MESSAGE (journalctl ESPGATE_PEER=192.0.2.1
 * finds them). Elsewhere the line goes to rte_log as every other one.
 */
#include "espgate.h"
#include "journal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <systemd/sd-journal.h>

static int journal_stream = -1; /* unknown yet */

bool journal_active(void)
{
	const char *js;
	unsigned long long dev, ino;
	struct stat st;

	if (journal_stream >= 0)
		return journal_stream;
	js = getenv("JOURNAL_STREAM");
	journal_stream = js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(2, &st) == 0 &&
			 (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
	return journal_stream;
}

#define JOURNAL_FIELDS 10
#define JOURNAL_FIELD_MAX 80

struct journal_msg {
	struct iovec iov[JOURNAL_FIELDS];
	char text[JOURNAL_FIELDS - 1][JOURNAL_FIELD_MAX];
	unsigned n;
};

static void field(struct journal_msg *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void field(struct journal_msg *m, const char *fmt, ...)
{
	va_list ap;
	int len;

	if (m->n >= JOURNAL_FIELDS - 1)
		return;
	va_start(ap, fmt);
	len = vsnprintf(m->text[m->n], JOURNAL_FIELD_MAX, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if (len >= JOURNAL_FIELD_MAX)
		len = JOURNAL_FIELD_MAX - 1;
	m->iov[m->n] = (struct iovec){ .iov_base = m->text[m->n], .iov_len = (size_t)len };
	m->n++;
}

static void fields_of(struct journal_msg *m, const struct eg_log_fields *f)
{
	const struct ike_log_fields *k = &f->lf_ike;

	if (k->lf_peer[0])
		field(m, "ESPGATE_PEER=%s", k->lf_peer);
	if (k->lf_conn[0])
		field(m, "ESPGATE_CONNECTION=%s", k->lf_conn);
	if (k->lf_ike_sa)
		field(m, "ESPGATE_IKE_SA=%u", k->lf_ike_sa);
	if (k->lf_spi_i)
		field(m, "ESPGATE_IKE_SPI_I=%016llx", (unsigned long long)k->lf_spi_i);
	if (k->lf_spi_r)
		field(m, "ESPGATE_IKE_SPI_R=%016llx", (unsigned long long)k->lf_spi_r);
	if (f->lf_spi_in)
		field(m, "ESPGATE_SPI_IN=%08x", f->lf_spi_in);
	if (f->lf_spi_out)
		field(m, "ESPGATE_SPI_OUT=%08x", f->lf_spi_out);
}

/* rte_log's levels are syslog's plus one (RTE_LOG_EMERG is 1). */
static bool journal_send(uint32_t level, const struct eg_log_fields *f, const char *line)
{
	struct journal_msg m = { .n = 0 };
	char message[768];
	int len = snprintf(message, sizeof(message), "MESSAGE=%s", line);

	field(&m, "PRIORITY=%u", level ? level - 1 : 0);
	field(&m, "SYSLOG_IDENTIFIER=espgate");
	fields_of(&m, f);
	if (len >= (int)sizeof(message))
		len = sizeof(message) - 1;
	m.iov[m.n++] = (struct iovec){ .iov_base = message, .iov_len = (size_t)len };
	return sd_journal_sendv(m.iov, (int)m.n) == 0;
}

void eg_log_fields(uint32_t level, const struct eg_log_fields *f, const char *fmt, ...)
{
	char line[704];
	va_list ap;

	if (!rte_log_can_log(eg_logtype, level))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (journal_active() && journal_send(level, f, line))
		return;
	rte_log(level, eg_logtype, "%s\n", line);
}

static void fields_of_ike(struct eg_log_fields *f, const struct ike_endpoint *remote,
			  const char *conn, uint32_t id, uint64_t spi_i, uint64_t spi_r)
{
	memset(f, 0, sizeof(*f));
	ip_addr_format(&remote->ep_addr, f->lf_ike.lf_peer, sizeof(f->lf_ike.lf_peer));
	snprintf(f->lf_ike.lf_conn, sizeof(f->lf_ike.lf_conn), "%s", conn ? conn : "");
	f->lf_ike.lf_ike_sa = id;
	f->lf_ike.lf_spi_i = spi_i;
	f->lf_ike.lf_spi_r = spi_r;
}

void eg_fields_of_sa(struct eg_log_fields *f, const struct ike_sa_info *sa)
{
	fields_of_ike(f, &sa->si_remote, sa->si_conn, sa->si_id, sa->si_spi_i, sa->si_spi_r);
}

void eg_fields_of_child(struct eg_log_fields *f, const struct ike_child_info *ci)
{
	fields_of_ike(f, &ci->ci_remote, ci->ci_conn, ci->ci_ike_id, ci->ci_ike_spi_i,
		      ci->ci_ike_spi_r);
	f->lf_spi_in = ci->ci_spi_in;
	f->lf_spi_out = ci->ci_spi_out;
}
