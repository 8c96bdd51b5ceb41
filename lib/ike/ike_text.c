/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the info lines of refusals print of what a peer sent: traffic
 * selectors (TS_UNACCEPTABLE, RFC 7296 §2.9: what the peer proposed and
 * what the connection's children take, in charon's "local === remote"
 * shape) and identities (a name from the wire is escaped: no control
 * byte reaches the log).
 */
#include "ike_sa.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Appends to buf at *at, never past len; a cut line stays terminated. */
static void put(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*at >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *at, len - *at, fmt, ap);
	va_end(ap);
	if (n > 0)
		*at = *at + (size_t)n < len ? *at + (size_t)n : len;
}

/* The prefix length whose network is start and broadcast end; -1 when
 * the range is no prefix. */
static int range_prefix_len(const uint8_t *start, const uint8_t *end, size_t alen)
{
	for (int bits = 0; bits <= (int)(alen * 8); bits++) {
		bool fits = true;

		for (size_t i = 0; i < alen && fits; i++) {
			int keep = bits - (int)(i * 8);
			uint8_t host = keep <= 0 ? 0xff : keep >= 8 ? 0 : (uint8_t)(0xff >> keep);

			fits = (start[i] & host) == 0 && (end[i] & host) == host &&
			       (start[i] & (uint8_t)~host) == (end[i] & (uint8_t)~host);
		}
		if (fits)
			return bits;
	}
	return -1;
}

static void selector_format(const struct ike_selector *s, char *buf, size_t len, size_t *at)
{
	int af = s->ts_type == IKE_SEL_IPV4 ? AF_INET : AF_INET6;
	size_t alen = af == AF_INET ? 4 : 16;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int plen = range_prefix_len(s->ts_start, s->ts_end, alen);

	inet_ntop(af, s->ts_start, a, sizeof(a));
	if (plen >= 0) {
		put(buf, len, at, "%s/%d", a, plen);
	} else {
		inet_ntop(af, s->ts_end, b, sizeof(b));
		put(buf, len, at, "%s..%s", a, b);
	}
	if (s->ts_proto)
		put(buf, len, at, "[%u", s->ts_proto);
	if (s->ts_proto && !(s->ts_sport == 0 && s->ts_eport == 65535))
		put(buf, len, at, s->ts_sport == s->ts_eport ? "/%u" : "/%u-%u",
		    s->ts_sport, s->ts_eport);
	if (s->ts_proto)
		put(buf, len, at, "]");
}

static void selectors_put(const struct ike_selectors *ts, char *buf, size_t len, size_t *at)
{
	if (!ts->ts_n)
		put(buf, len, at, "(none)");
	for (unsigned i = 0; i < ts->ts_n; i++) {
		if (i)
			put(buf, len, at, " ");
		selector_format(&ts->ts[i], buf, len, at);
	}
}

void ike_selectors_format(const struct ike_selectors *ts, char *buf, size_t len)
{
	size_t at = 0;

	if (len)
		buf[0] = '\0';
	selectors_put(ts, buf, len, &at);
}

void ike_ts_refusal_format(const struct ike_conn_cfg *c, const struct ike_selectors *tsi,
			   const struct ike_selectors *tsr, char *buf, size_t len)
{
	size_t at = 0;

	if (len)
		buf[0] = '\0';
	put(buf, len, &at, "received TSi ");
	selectors_put(tsi, buf, len, &at);
	put(buf, len, &at, ", TSr ");
	selectors_put(tsr, buf, len, &at);
	put(buf, len, &at, "; configured");
	for (unsigned i = 0; i < c->c_n_child; i++) {
		struct ike_selectors l, r;

		ike_ts_from_cfg(c->c_child[i].cc_local, c->c_child[i].cc_n_local, &l);
		ike_ts_from_cfg(c->c_child[i].cc_remote, c->c_child[i].cc_n_remote, &r);
		put(buf, len, &at, "%s %s: ", i ? "," : "", c->c_child[i].cc_name);
		selectors_put(&l, buf, len, &at);
		put(buf, len, &at, " === ");
		selectors_put(&r, buf, len, &at);
	}
	if (!c->c_n_child)
		put(buf, len, &at, " no children");
}

void ike_log_ts_refused(const struct ike_sa *sa, const char *what,
			const struct ike_selectors *tsi, const struct ike_selectors *tsr)
{
	char why[640];

	sa->sa_engine->e_stats.st_fail_ts++;
	ike_ts_refusal_format(sa->sa_conn, tsi, tsr, why, sizeof(why));
	ike_log_sa_info(sa, "%s refused: TS_UNACCEPTABLE: %s", what, why);
}

/* Printable ASCII as it is, any other byte (and the backslash) as \xHH. */
static void escaped_put(const uint8_t *data, size_t n, char *buf, size_t len, size_t *at)
{
	for (size_t i = 0; i < n; i++) {
		if (data[i] >= 0x20 && data[i] < 0x7f && data[i] != '\\')
			put(buf, len, at, "%c", data[i]);
		else
			put(buf, len, at, "\\x%02x", data[i]);
	}
}

void ike_id_text(uint8_t type, const uint8_t *data, size_t n, char *buf, size_t len)
{
	size_t at = 0;
	char a[INET6_ADDRSTRLEN];

	if (len)
		buf[0] = '\0';
	if ((type == IKE_ID_IPV4_ADDR && n == 4) || (type == IKE_ID_IPV6_ADDR && n == 16)) {
		inet_ntop(type == IKE_ID_IPV4_ADDR ? AF_INET : AF_INET6, data, a, sizeof(a));
		put(buf, len, &at, "%s", a);
	} else if (type == IKE_ID_FQDN || type == IKE_ID_RFC822_ADDR) {
		escaped_put(data, n, buf, len, &at);
	} else {
		put(buf, len, &at, "%u:", type);
		for (size_t i = 0; i < n; i++)
			put(buf, len, &at, "%02x", data[i]);
	}
}

const char *ike_exchange_name(uint8_t exchange)
{
	switch (exchange) {
	case IKE_EXCH_SA_INIT:
		return "IKE_SA_INIT";
	case IKE_EXCH_AUTH:
		return "IKE_AUTH";
	case IKE_EXCH_CREATE_CHILD_SA:
		return "CREATE_CHILD_SA";
	case IKE_EXCH_INFORMATIONAL:
		return "INFORMATIONAL";
	case 43:
		return "IKE_SESSION_RESUME"; /* RFC 5723 */
	case 44:
		return "IKE_INTERMEDIATE"; /* RFC 9242 */
	case 45:
		return "IKE_FOLLOWUP_KE"; /* RFC 9370 */
	default:
		return "an unknown exchange's";
	}
}

bool ike_exchange_known(uint8_t exchange)
{
	return exchange == IKE_EXCH_SA_INIT || exchange == IKE_EXCH_AUTH ||
	       exchange == IKE_EXCH_CREATE_CHILD_SA || exchange == IKE_EXCH_INFORMATIONAL;
}
