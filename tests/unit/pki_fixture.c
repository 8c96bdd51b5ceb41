/* SPDX-License-Identifier: BSD-3-Clause */
#include "pki_fixture.h"

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdio.h>
#include <stdlib.h>

#define DIR_ENV "ESPGATE_TEST_PKI_DIR"
#define OK_ENV "ESPGATE_TEST_PKI_OK"

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	char dir[] = "/tmp/espgate-pki-XXXXXX";
	char cmd[1024];

	(void)set;
	if (mkdtemp(dir) == NULL)
		return;
	setenv(DIR_ENV, dir, 1);
	snprintf(cmd, sizeof(cmd),
		 "OPENSSL=%s sh '%s/tests/unit/certs/make.sh' '%s' >'%s/make.log' 2>&1",
		 PKI_OPENSSL, SRCDIR, dir, dir);
	if (system(cmd) == 0)
		setenv(OK_ENV, "1", 1);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	const char *dir = getenv(DIR_ENV);
	char cmd[1024];

	(void)stats;
	if (dir == NULL || !pki_ready())
		return; /* make.log kept to look at */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

bool pki_ready(void)
{
	return getenv(OK_ENV) != NULL;
}

const char *pki_dir(void)
{
	return getenv(DIR_ENV) ? getenv(DIR_ENV) : "?";
}

const char *pki_path(const char *name)
{
	static char buf[8][600];
	static unsigned next;
	char *b = buf[next++ % 8];

	cr_assert(pki_ready(), "make.sh failed, see %s/make.log", pki_dir());
	snprintf(b, sizeof(buf[0]), "%s/%s", pki_dir(), name);
	return b;
}
