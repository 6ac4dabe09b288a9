/*
 * store.c - append-only stores in the data directory (SPEC 3.4)
 * SPDX-License-Identifier: MIT
 *
 * The descriptor is opened O_RDWR, not O_WRONLY: the header check and the
 * torn-tail check pread(2) the file.  O_APPEND still sends every write(2)
 * to the end.  All writers of a store take its flock before writing, so
 * the size seen under the lock is the size the batch is appended at.
 */
#include "compat.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "exitcode.h"
#include "fsx.h"
#include "mem.h"
#include "store.h"
#include "tsv.h"


static void
store_init(struct ops_store *st)
{
	st->path = NULL;
	st->header = NULL;
	st->fd = -1;
	st->locked = false;
}

int
ops_store_open(struct ops_store *st, const char *dir, const char *name,
    const char *const cols[], size_t n, mode_t mode, struct ops_err *err)
{
	struct ops_buf hdr;
	struct stat sb;
	size_t i, j;
	int fd, fl;

	store_init(st);
	if (n == 0 || n > OPS_TSV_MAX_COLS)
		return ops_err_set(err, OPS_EXIT_FAIL,
		    "store %s: %zu columns (1 to %d allowed)", name, n,
		    OPS_TSV_MAX_COLS);
	ops_buf_init(&hdr, 0);
	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++) {
			if (strcmp(cols[i], cols[j]) == 0)
				break;
		}
		if (!ops_tsv_is_colname(cols[i]) || j < i) {
			ops_buf_release(&hdr);
			return ops_err_set(err, OPS_EXIT_FAIL,
			    "store %s: bad or duplicate column name \"%s\"",
			    name, cols[i]);
		}
		if ((i > 0 && ops_buf_addc(&hdr, '\t') < 0) ||
		    ops_buf_adds(&hdr, cols[i]) < 0) {
			ops_buf_release(&hdr);
			return ops_err_set(err, OPS_EXIT_FAIL,
			    "store %s: header too long", name);
		}
	}
	if (ops_buf_addc(&hdr, '\n') < 0) {
		ops_buf_release(&hdr);
		return ops_err_set(
		    err, OPS_EXIT_FAIL, "store %s: header too long", name);
	}
	if (ops_mkdir_p(dir, 0750, err) < 0) {
		ops_buf_release(&hdr);
		return -1;
	}
	st->header = ops_buf_detach(&hdr, NULL);
	st->path = ops_path_join(dir, name);
	/* O_NONBLOCK: a FIFO planted at the path must not block the open. */
	fd = open(st->path,
	    O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
	    mode);
	if (fd < 0) {
		ops_err_at(err, OPS_EXIT_FAIL, st->path, 0, "cannot open:");
		goto fail;
	}
	if (fstat(fd, &sb) < 0) {
		ops_err_at(err, OPS_EXIT_FAIL, st->path, 0, "cannot stat:");
		goto fail;
	}
	if (!S_ISREG(sb.st_mode)) {
		ops_err_at(
		    err, OPS_EXIT_FAIL, st->path, 0, "not a regular file");
		goto fail;
	}
	if ((fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		ops_err_at(err, OPS_EXIT_FAIL, st->path, 0, "cannot open:");
		goto fail;
	}
	st->fd = fd;
	return 0;

fail:
	if (fd >= 0)
		close(fd);
	ops_store_close(st);
	return -1;
}

static int
take_lock(struct ops_store *st, int timeout_ms, struct ops_err *err)
{
	if (ops_flock_wait(st->fd, timeout_ms, st->path, err) < 0)
		return -1;
	st->locked = true;
	return 0;
}

/* pread all of p[0..n) from off; bytes read (fewer at end of file) or -1. */
static ssize_t
pread_all(int fd, char *p, size_t n, off_t off)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = pread(fd, p + got, n - got, off + (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* Under the lock: write the header into an empty file, or check it. */
static int
check_header(struct ops_store *st, struct ops_err *err)
{
	char have[512], hshow[400], wshow[400];
	size_t hlen = strlen(st->header), cut;
	struct stat sb;
	ssize_t n;
	char *got;
	int same;

	if (fstat(st->fd, &sb) < 0)
		return ops_err_at(
		    err, OPS_EXIT_FAIL, st->path, 0, "cannot stat:");
	if (sb.st_size == 0) {
		do
			n = write(st->fd, st->header, hlen);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return ops_err_at(
			    err, OPS_EXIT_FAIL, st->path, 0, "cannot write:");
		if ((size_t)n != hlen) {
			if (ftruncate(st->fd, 0) < 0)
				return ops_err_at(err, OPS_EXIT_FAIL, st->path,
				    0, "short header write; cannot truncate:");
			return ops_err_at(err, OPS_EXIT_FAIL, st->path, 0,
			    "short write of the header (%zd of %zu bytes)", n,
			    hlen);
		}
		if (fsync(st->fd) < 0)
			return ops_err_at(
			    err, OPS_EXIT_FAIL, st->path, 0, "cannot fsync:");
		return 0;
	}
	got = ops_xmalloc(hlen);
	n = pread_all(st->fd, got, hlen, 0);
	same = n == (ssize_t)hlen && memcmp(got, st->header, hlen) == 0;
	free(got);
	if (n < 0)
		return ops_err_at(
		    err, OPS_EXIT_FAIL, st->path, 0, "cannot read:");
	if (same)
		return 0;
	n = pread_all(st->fd, have, sizeof(have), 0);
	if (n < 0)
		return ops_err_at(
		    err, OPS_EXIT_FAIL, st->path, 0, "cannot read:");
	cut = (size_t)n;
	got = memchr(have, '\n', cut);
	if (got != NULL)
		cut = (size_t)(got - have);
	return ops_err_at(err, OPS_EXIT_USAGE, st->path, 1,
	    "header is \"%s\"%s, expected \"%s\"",
	    ops_diag_shown(hshow, sizeof(hshow), have, cut),
	    got == NULL && (size_t)n < sizeof(have) ? " (no newline)" : "",
	    ops_diag_shown(wshow, sizeof(wshow), st->header, hlen - 1));
}

int
ops_store_lock(struct ops_store *st, int timeout_ms, struct ops_err *err)
{
	if (st->fd < 0)
		return ops_err_set(err, OPS_EXIT_FAIL, "store is not open");
	if (!st->locked && take_lock(st, timeout_ms, err) < 0)
		return -1;
	if (check_header(st, err) < 0) {
		ops_store_unlock(st);
		return -1;
	}
	return 0;
}

int
ops_store_append(
    struct ops_store *st, const char *data, size_t len, struct ops_err *err)
{
	const char *p = data;
	char last, *joined = NULL;
	size_t total = len;
	struct stat sb;
	ssize_t n;

	if (st->fd < 0 || !st->locked)
		return ops_err_set(err, OPS_EXIT_FAIL,
		    "%s: append without holding the lock",
		    st->path ? st->path : "store");
	if (len == 0)
		return 0;
	if (data[len - 1] != '\n')
		return ops_err_at(err, OPS_EXIT_FAIL, st->path, 0,
		    "batch to append does not end in a newline");
	if (fstat(st->fd, &sb) < 0)
		return ops_err_at(
		    err, OPS_EXIT_FAIL, st->path, 0, "cannot stat:");
	if (sb.st_size > 0) {
		n = pread_all(st->fd, &last, 1, sb.st_size - 1);
		if (n != 1) {
			if (n == 0)
				errno = EIO; /* shrank under our lock */
			return ops_err_at(
			    err, OPS_EXIT_FAIL, st->path, 0, "cannot read:");
		}
		if (last != '\n') {
			/* a torn last line: end it, in the same write */
			joined = ops_xmalloc(len + 1);
			joined[0] = '\n';
			memcpy(joined + 1, data, len);
			p = joined;
			total = len + 1;
		}
	}
	do
		n = write(st->fd, p, total);
	while (n < 0 && errno == EINTR);
	free(joined);
	if (n < 0)
		return ops_err_at(
		    err, OPS_EXIT_FAIL, st->path, 0, "cannot write:");
	if ((size_t)n != total) {
		if (ftruncate(st->fd, sb.st_size) < 0)
			return ops_err_at(err, OPS_EXIT_FAIL, st->path, 0,
			    "short write (%zd of %zu bytes); cannot truncate:",
			    n, total);
		return ops_err_at(err, OPS_EXIT_FAIL, st->path, 0,
		    "short write (%zd of %zu bytes), batch undone", n, total);
	}
	if (fsync(st->fd) < 0) {
		/*
		 * The caller will report failure, so do not leave a batch it
		 * may write again: take it out (best effort).
		 */
		int saved = errno;

		if (ftruncate(st->fd, sb.st_size) == 0)
			(void)fsync(st->fd);
		errno = saved;
		return ops_err_at(
		    err, OPS_EXIT_FAIL, st->path, 0, "cannot fsync:");
	}
	return 0;
}

void
ops_store_unlock(struct ops_store *st)
{
	if (st->locked && st->fd >= 0)
		flock(st->fd, LOCK_UN);
	st->locked = false;
}

void
ops_store_close(struct ops_store *st)
{
	ops_store_unlock(st);
	if (st->fd >= 0)
		close(st->fd);
	free(st->path);
	free(st->header);
	store_init(st);
}
