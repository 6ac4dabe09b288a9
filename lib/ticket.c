/*
 * ticket.c - writing incident tickets into tickets.tsv
 * SPDX-License-Identifier: MIT
 */
#include "compat.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "buf.h"
#include "exitcode.h"
#include "fsx.h"
#include "mem.h"
#include "store.h"
#include "ticket.h"
#include "tsv.h"

const char *const ops_ticket_cols[6] = {
    "ts", "id", "event", "field", "value", "by"};

long
ops_ticket_parse_id(const char *s, size_t len)
{
	long v = 0;
	size_t i;

	if (len == 0 || len > 12 || s[0] == '0')
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * Scan backwards from the end for the last "new" line; the largest id seen
 * on the way is the answer (a later set or note names an older ticket).
 * Columns are taken by position (id second, event third): appends happen
 * only after ops_store_lock() found the header to be exactly ours.
 */
int
ops_ticket_last_id(const char *path, long *id, struct ops_err *err)
{
	enum { CHUNK = 64 * 1024 };
	char *buf = NULL;
	size_t have = 0;
	off_t pos;
	struct stat st;
	long best = 0;
	bool torn = false;
	int fd;

	*id = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return ops_err_set(err, OPS_EXIT_FAIL, "%s:", path);
	}
	if (fstat(fd, &st) < 0) {
		close(fd);
		return ops_err_set(err, OPS_EXIT_FAIL, "%s:", path);
	}
	if (st.st_size > 0) {
		char last;

		if (pread(fd, &last, 1, st.st_size - 1) != 1) {
			close(fd);
			return ops_err_set(err, OPS_EXIT_FAIL, "%s:", path);
		}
		torn = last != '\n';
	}
	pos = st.st_size;
	while (pos > 0) {
		size_t n = pos > CHUNK ? CHUNK : (size_t)pos;
		char *nb = ops_xmalloc(n + have + 1), *end, *line;
		ssize_t got;

		pos -= (off_t)n;
		got = pread(fd, nb, n, pos);
		if (got != (ssize_t)n) {
			free(nb);
			free(buf);
			close(fd);
			return ops_err_set(err, OPS_EXIT_FAIL, "%s:", path);
		}
		if (have)
			memcpy(nb + n, buf, have);
		free(buf);
		buf = nb;
		have += n;
		buf[have] = '\0';
		end = buf + have;
		if (torn) {
			/* a last line without newline is not a line yet */
			while (end > buf && end[-1] != '\n')
				end--;
			if (end == buf) {
				have = 0;
				continue;
			}
			torn = false;
		}
		for (;;) {
			char *nl, *t1, *t2, *t3;
			long v;

			if (end <= buf)
				break;
			/* find the start of the line ending at end */
			line = end - 1; /* the '\n' */
			while (line > buf && line[-1] != '\n')
				line--;
			if (line == buf && pos > 0)
				break; /* may be partial: read more */
			nl = memchr(line, '\n', (size_t)(end - line));
			if (nl == NULL)
				nl = end;
			t1 = memchr(line, '\t', (size_t)(nl - line));
			t2 = t1 ? memchr(t1 + 1, '\t', (size_t)(nl - t1 - 1))
				: NULL;
			t3 = t2 ? memchr(t2 + 1, '\t', (size_t)(nl - t2 - 1))
				: NULL;
			if (t1 && t2 && (v = ops_ticket_parse_id(t1 + 1,
					     (size_t)(t2 - t1 - 1))) > 0) {
				if (v > best)
					best = v;
				if (t3 && t3 - t2 - 1 == 3 &&
				    memcmp(t2 + 1, "new", 3) == 0) {
					free(buf);
					close(fd);
					*id = best;
					return 0;
				}
			}
			end = line;
		}
		have = (size_t)(end - buf);
		if (have > 16 * 1024 * 1024) {
			free(buf);
			close(fd);
			return ops_err_at(err, OPS_EXIT_USAGE, path, 0,
			    "a line longer than 16 MiB near the end");
		}
	}
	free(buf);
	close(fd);
	*id = best;
	return 0;
}

int
ops_ticket_append(const char *dir, long id, const char *ts,
    const struct ops_ticket_ev *ev, size_t n, const char *by, int lock_ms,
    long *newid, struct ops_err *err)
{
	struct ops_store st;
	struct ops_buf b;
	char idbuf[24], *path;
	size_t i;
	int rc = 0;

	if (ops_store_open(&st, dir, OPS_TICKET_STORE, ops_ticket_cols, 6,
		0640, err) < 0)
		return -1;
	if (ops_store_lock(&st, lock_ms, err) < 0) {
		ops_store_close(&st);
		return -1;
	}
	if (id == 0) {
		path = ops_path_join(dir, OPS_TICKET_STORE);
		rc = ops_ticket_last_id(path, &id, err);
		free(path);
		if (rc < 0) {
			ops_store_close(&st);
			return -1;
		}
		id++;
		if (newid)
			*newid = id;
	}
	snprintf(idbuf, sizeof(idbuf), "%ld", id);
	ops_buf_init(&b, 0);
	for (i = 0; i < n && rc == 0; i++) {
		const char *f[6] = {
		    ts, idbuf, ev[i].event, ev[i].field, ev[i].value, by};

		if (ops_tsv_row(&b, f, 6) < 0)
			rc = ops_err_set(err, OPS_EXIT_USAGE,
			    "ticket event too large");
	}
	if (rc == 0)
		rc = ops_store_append(&st, b.data, b.len, err);
	ops_buf_release(&b);
	ops_store_close(&st);
	return rc;
}
