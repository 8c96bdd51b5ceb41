/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Replays a fuzz target's corpus without libFuzzer: every regular file
 * under the directories given, in name order, to LLVMFuzzerTestOneInput,
 * one TAP point each. A crash or a sanitizer report stops the run, and
 * the missing points fail the suite (scripts/test.sh). A directory with
 * no file is a failure too: an empty corpus proves nothing.
 *
 *   replay-ike-responder tests/fuzz/corpus/ike_responder tests/fuzz/crashes/ike_responder
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX_FILES 100000
#define REPLAY_MAX_SIZE (1u << 20)

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends DIR/name of each regular file of dir; -1 when dir cannot be read. */
static int list(const char *dir, char **files, unsigned *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return -1;
	while ((de = readdir(d)) && *n < REPLAY_MAX_FILES) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (de->d_name[0] == '.' || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		files[(*n)++] = strdup(path);
	}
	closedir(d);
	return 0;
}

static int replay(const char *path)
{
	static uint8_t buf[REPLAY_MAX_SIZE];
	FILE *f = fopen(path, "rb");
	size_t len;

	if (!f)
		return -1;
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	return 0;
}

int main(int argc, char **argv)
{
	char **files = calloc(REPLAY_MAX_FILES, sizeof(*files));
	bool *empty = calloc((size_t)argc, sizeof(*empty));
	unsigned n = 0, failed = 0, t = 0;

	if (!files || !empty || argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		unsigned before = n;
		empty[i] = list(argv[i], files, &n) != 0 || n == before;
		failed += empty[i];
	}
	qsort(files, n, sizeof(*files), by_name);
	printf("1..%u\n", n + failed);
	for (int i = 1; i < argc; i++)
		if (empty[i])
			printf("not ok %u - %s: no corpus there\n", ++t, argv[i]);
	fflush(stdout);
	for (unsigned i = 0; i < n; i++) {
		int rc = replay(files[i]);
		printf("%s %u - %s\n", rc == 0 ? "ok" : "not ok", ++t, files[i]);
		fflush(stdout);
		failed += rc != 0;
		free(files[i]);
	}
	free(files);
	free(empty);
	return failed ? 1 : 0;
}
