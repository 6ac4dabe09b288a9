/*
 * fuzz-tsv.c - libFuzzer target for the TSV reader and the escapes
 * SPDX-License-Identifier: MIT
 *
 * The input is read as a store from a memfd: once with the default longest
 * line, once with a small one taken from the first byte (so that the
 * long-line paths run on small inputs).  Every row must keep the reader's
 * promises: nf == ncols, each field NUL-terminated at its length with no
 * NUL inside.  Then the input goes through escape and unescape, which must
 * give it back, and through unescape alone.  A broken promise aborts.
 */
#include "compat.h"

#include <sys/mman.h>
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "fsx.h"
#include "tsv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool cond)
{
	if (!cond)
		abort();
}

static void
read_store(int fd, size_t max_line)
{
	struct ops_tsv_reader r;
	struct ops_err err;
	size_t i;
	long last = 0;
	int rc;

	if (lseek(fd, 0, SEEK_SET) != 0)
		return;
	if (ops_tsv_fdopen(&r, fd, "fuzz", &err) < 0) {
		check(err.code == 2 || err.code == 3);
		check(err.code != 2 || err.line == 1);
		return;
	}
	if (max_line)
		ops_tsv_set_max_line(&r, max_line);
	check(r.ncols <= OPS_TSV_MAX_COLS);
	for (i = 0; i < r.ncols; i++)
		check(ops_tsv_is_colname(r.cols[i]));
	while ((rc = ops_tsv_next(&r, &err)) != 0) {
		check(r.line > last);
		last = r.line;
		if (rc == OPS_TSV_BAD) {
			check(err.code == 2 && err.line == r.line);
			check(r.nf == 0);
			continue;
		}
		check(rc == 1);
		check(r.nf == r.ncols);
		for (i = 0; i < r.nf; i++) {
			check(r.f[i][r.fl[i]] == '\0');
			check(strlen(r.f[i]) == r.fl[i]);
		}
	}
	ops_tsv_close(&r);
}

static void
escapes(const uint8_t *data, size_t size)
{
	struct ops_buf b;
	char *copy;
	ssize_t n;

	ops_buf_init(&b, 0);
	check(ops_tsv_escape(&b, (const char *)data, size) == 0);
	check(b.len >= size);
	check(memchr(b.data, '\t', b.len) == NULL);
	check(memchr(b.data, '\n', b.len) == NULL);
	check(memchr(b.data, '\r', b.len) == NULL);
	n = ops_tsv_unescape(b.data, b.len);
	check(n >= 0 && (size_t)n == size);
	check(size == 0 || memcmp(b.data, data, size) == 0);
	check(b.data[n] == '\0');
	ops_buf_release(&b);

	/* unescape of raw input: either an error or a shorter string */
	copy = malloc(size + 1);
	if (copy == NULL)
		return;
	if (size)
		memcpy(copy, data, size);
	n = ops_tsv_unescape(copy, size);
	check(n == -1 || ((size_t)n <= size && copy[n] == '\0'));
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd;

	fd = memfd_create("fuzz-tsv", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (ops_write_all(fd, data, size) == 0) {
		read_store(fd, 0);
		if (size > 0)
			read_store(fd, 1 + data[0] % 64);
	}
	close(fd);
	escapes(data, size);
	return 0;
}
