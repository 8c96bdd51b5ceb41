/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_TEST_PKI_FIXTURE_H
#define ESPGATE_TEST_PKI_FIXTURE_H

/*
 * The PKI of tests/unit/certs/make.sh (CA, intermediate, RSA, ECDSA and
 * Ed25519 keys and chains), made once per test run in a temporary
 * directory that is removed after it (kept, with make.log, when make.sh
 * failed). Link pki_fixture.c into a suite to have it.
 */

#include <stdbool.h>

#define PKI_OPENSSL "/usr/bin/openssl"

/* Whether make.sh succeeded. */
bool pki_ready(void);
/* The directory ("?" before it exists). */
const char *pki_dir(void);
/* dir/name; asserts (Criterion) that the PKI is there. Eight calls'
 * results are valid at once. */
const char *pki_path(const char *name);

#endif
