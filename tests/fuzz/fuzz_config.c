/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the configuration loader (lib/cfg) on arbitrary
 * bytes as a file's content, every section's validation included, and
 * everything it allocated freed (LeakSanitizer checks each input). The
 * file is named as if it lay in tests/config/good/, so relative paths
 * (ike.secrets, certificates) resolve to the files there, as the seeds
 * taken from that directory expect.
 *
 * Built with -Dfuzz=true (clang, -fsanitize=fuzzer); the normal build
 * links it with tests/fuzz/replay.c, which feeds it the corpus.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

#define FUZZ_CFG_NAME SRCDIR "/tests/config/good/fuzz.json"
#define FUZZ_CFG_MAX (64u << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[FUZZ_CFG_MAX + 1];
	struct cfg cfg;
	char err[512];

	if (size > FUZZ_CFG_MAX)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0'; /* a NUL inside ends the text, as JSON allows none */
	if (cfg_load_string(text, FUZZ_CFG_NAME, &cfg, err, sizeof(err)) == 0) {
		cfg_free(&cfg);
	} else if (!err[0] || strchr(err, '\n')) {
		abort(); /* an error is one line, never none */
	}
	return 0;
}
