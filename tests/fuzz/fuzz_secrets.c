/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the secrets file (ike.secrets). A fixed
 * configuration whose connections take their pre-shared keys from a
 * secrets file, that file's content the fuzzer's bytes (an in-memory
 * file, mode 0600, named by /proc/self/fd/N). Connections of both auth
 * kinds are there, so a secret for a pubkey connection, for a
 * connection that has one already, or for none at all are all refused.
 * Whatever loads is freed; an error is one line.
 *
 * Built with -Dfuzz=true (clang, -fsanitize=fuzzer); the normal build
 * links it with tests/fuzz/replay.c, which feeds it the corpus.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"

#define FUZZ_CFG_NAME SRCDIR "/tests/config/good/fuzz.json"

/* %d: the secrets file's descriptor. */
static const char base[] =
	"{\"lcores\": {\"workers\": [1]},"
	" \"ports\": ["
	"  {\"name\": \"lan\", \"device\": \"net_af_packet0\", \"role\": \"protected\","
	"   \"addresses\": [\"198.18.1.1/24\"]},"
	"  {\"name\": \"wan\", \"device\": \"net_af_packet1\", \"role\": \"unprotected\","
	"   \"addresses\": [\"203.0.113.1/24\", \"2001:db8:f::1/64\"]}],"
	" \"ike\": {\"secrets\": \"/proc/self/fd/%d\"},"
	" \"connections\": ["
	"  {\"name\": \"branch1\", \"local\": \"203.0.113.1\", \"remote\": \"198.51.100.7\","
	"   \"auth\": \"psk\", \"proposals\": [\"aes128-sha256-modp2048\"],"
	"   \"children\": [{\"name\": \"net\", \"local_ts\": [\"198.18.1.0/24\"],"
	"    \"remote_ts\": [\"198.18.3.0/24\"], \"esp_proposals\": [\"aes128gcm16\"]}]},"
	"  {\"name\": \"inline\", \"local\": \"203.0.113.1\", \"remote\": \"198.51.100.8\","
	"   \"psk\": \"0123456789abcdef\", \"proposals\": [\"aes128-sha256-modp2048\"],"
	"   \"children\": [{\"name\": \"net\", \"local_ts\": [\"198.18.1.0/24\"],"
	"    \"remote_ts\": [\"198.18.4.0/24\"], \"esp_proposals\": [\"aes128gcm16\"]}]},"
	"  {\"name\": \"v6\", \"local\": \"2001:db8:f::1\", \"remote\": \"2001:db8:e::2\","
	"   \"remote_id\": \"keyid:0a0b\", \"proposals\": [\"aes256-sha512-ecp521\"],"
	"   \"children\": [{\"name\": \"v6\", \"local_ts\": [\"2001:db8:1::/64\"],"
	"    \"remote_ts\": [\"2001:db8:3::/48\"], \"esp_proposals\": [\"aes128-sha256\"]}]},"
	"  {\"name\": \"rw\", \"local\": \"203.0.113.1\", \"remote\": \"%%any\","
	"   \"local_id\": \"C=CH, O=Example, CN=hq\", \"auth\": \"pubkey\","
	"   \"cert\": \"ike/hq.crt\", \"key\": \"ike/hq.key\", \"cacerts\": [\"ike/ca.crt\"],"
	"   \"proposals\": [\"aes128gcm16-prfsha256-x25519\"],"
	"   \"children\": [{\"name\": \"lan\", \"local_ts\": [\"198.18.1.0/24\"],"
	"    \"remote_ts\": [\"0.0.0.0/0\"], \"esp_proposals\": [\"aes128gcm16\"]}]}]}";

static int secrets_fd = -1;
static char text[sizeof(base) + 16];

static void secrets_up(void)
{
	secrets_fd = memfd_create("fuzz_secrets", MFD_CLOEXEC);
	if (secrets_fd < 0 || fchmod(secrets_fd, 0600) != 0)
		abort();
	snprintf(text, sizeof(text), base, secrets_fd);
}

/* The file now holds exactly data. */
static void secrets_write(const uint8_t *data, size_t size)
{
	if (ftruncate(secrets_fd, 0) != 0 ||
	    (size && pwrite(secrets_fd, data, size, 0) != (ssize_t)size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg cfg;
	char err[512];

	if (secrets_fd < 0)
		secrets_up();
	if (size > (64u << 10))
		return 0;
	secrets_write(data, size);
	if (cfg_load_string(text, FUZZ_CFG_NAME, &cfg, err, sizeof(err)) == 0)
		cfg_free(&cfg);
	else if (!err[0] || strchr(err, '\n'))
		abort();
	return 0;
}
