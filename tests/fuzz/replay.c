/*
 * replay.c - run a fuzz target over its corpus, printing TAP
 * SPDX-License-Identifier: MIT
 *
 * Linked with tests/fuzz/fuzz-NAME.c as build/tests/fuzz/replay-NAME.t, so
 * that `make check` replays every file of tests/fuzz/corpus/NAME/ through
 * LLVMFuzzerTestOneInput once (a crash fails the test run).  NAME comes
 * from argv[0].  The corpus is looked up from the current directory (the
 * top of the tree, where prove runs), else from the directory three levels
 * above the binary.  A missing or empty corpus still runs the empty input.
 */
#include "compat.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "fsx.h"

#define INPUT_LIMIT (64 * 1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "NAME" from ".../replay-NAME.t" (or ".../replay-NAME"). */
static void
target_name(const char *argv0, char *name, size_t size)
{
	const char *base = strrchr(argv0, '/'), *end;

	base = base ? base + 1 : argv0;
	if (strncmp(base, "replay-", 7) == 0)
		base += 7;
	end = strstr(base, ".t");
	if (end == NULL || end[2] != '\0')
		end = base + strlen(base);
	snprintf(name, size, "%.*s", (int)(end - base), base);
}

/* Open tests/fuzz/corpus/NAME from the cwd, else from the binary's tree. */
static DIR *
open_corpus(const char *argv0, const char *name, char *dir, size_t size)
{
	const char *slash;
	DIR *d;
	int up;

	snprintf(dir, size, "tests/fuzz/corpus/%s", name);
	d = opendir(dir);
	if (d != NULL || errno != ENOENT)
		return d;
	/* build/tests/fuzz/replay-NAME.t: the tree is three levels up */
	slash = strrchr(argv0, '/');
	if (slash == NULL)
		return NULL;
	up = snprintf(dir, size, "%.*s/../../../tests/fuzz/corpus/%s",
	    (int)(slash - argv0), argv0, name);
	if (up < 0 || (size_t)up >= size)
		return NULL;
	return opendir(dir);
}

int
main(int argc, char **argv)
{
	char name[256], dir[PATH_MAX], path[PATH_MAX + 256];
	char **files = NULL;
	size_t nfiles = 0, cap = 0, i;
	int failed = 0;
	struct ops_err err;
	struct ops_buf b;
	struct dirent *de;
	struct stat sb;
	DIR *d;

	(void)argc;
	ops_diag_init(argv[0]);
	target_name(argv[0], name, sizeof(name));
	d = open_corpus(argv[0], name, dir, sizeof(dir));
	if (d != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if (nfiles == cap) {
				cap = cap ? cap * 2 : 64;
				files = realloc(files, cap * sizeof(*files));
				if (files == NULL)
					return 99;
			}
			files[nfiles] = strdup(de->d_name);
			if (files[nfiles] == NULL)
				return 99;
			nfiles++;
		}
		closedir(d);
	}
	if (nfiles > 0)
		qsort(files, nfiles, sizeof(*files), by_name);

	printf("1..%zu\n", nfiles ? nfiles : 1);
	if (nfiles == 0) {
		printf("# no corpus in tests/fuzz/corpus/%s\n", name);
		LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
		printf("ok 1 - empty input\n");
	}
	for (i = 0; i < nfiles; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		ops_buf_init(&b, 0);
		if (stat(path, &sb) < 0 || !S_ISREG(sb.st_mode) ||
		    ops_read_file(path, INPUT_LIMIT, &b, &err) < 0) {
			printf("not ok %zu - corpus/%s/%s: cannot read\n",
			    i + 1, name, files[i]);
			failed++;
		} else {
			fflush(stdout);
			LLVMFuzzerTestOneInput(
			    (const uint8_t *)ops_buf_cstr(&b), b.len);
			printf("ok %zu - corpus/%s/%s (%zu bytes)\n", i + 1,
			    name, files[i], b.len);
		}
		fflush(stdout);
		ops_buf_release(&b);
		free(files[i]);
	}
	free(files);
	return failed ? 1 : 0;
}
