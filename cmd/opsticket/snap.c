/*
 * snap.c - the fold snapshot: tickets.tsv folded up to a known point
 * SPDX-License-Identifier: MIT
 *
 * Reading a large event log from the start on every "list" costs time in
 * proportion to the whole history.  After a fold that read at least
 * SNAP_MIN_BYTES of the log, opsticket writes DIR/tickets.fold.tsv: one row
 * per ticket with its folded state, and a first row (id 0) naming the part
 * of the log it covers: its size in bytes, its number of lines, the log's
 * inode, the highest id seen, how many open tickets follow (they come
 * first, so "list --open" reads only them), and the last bytes before that
 * size in hex.
 * A later fold loads the snapshot and reads only the log after that point,
 * after checking that the log is the same file (inode), at least that long,
 * and holds the same bytes there.  Any doubt (missing, malformed, stale
 * snapshot) means a fold from the start: the snapshot is a cache, never the
 * record, and deleting it is always safe.  It is replaced atomically
 * (atomic.h), so concurrent readers and writers see an old or a new one.
 */
#include "compat.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "buf.h"
#include "exitcode.h"
#include "mem.h"
#include "num.h"
#include "opsticket.h"
#include "tsv.h"

#define SNAP_TAIL 32 /* bytes of the log compared, before the covered size */

enum {
	S_ID, S_KIND, S_STATUS, S_IMPACT, S_TITLE, S_ASSIGNEE, S_TARGET,
	S_PLAN, S_APPROVER, S_CREATED, S_OCCURRED, S_UPDATED, S_COMPLETED,
	S_RESPONSE, S_CREATED_T, S_OCCURRED_T, S_RESPONSE_T, S_ISOLATED_T,
	S_COMPLETED_T, S_COUNT
};
static const char *const snap_cols[S_COUNT] = {"id", "kind", "status",
    "impact", "title", "assignee", "target", "plan", "approver", "created",
    "occurred", "updated", "completed", "first_response", "created_t",
    "occurred_t", "response_t", "isolated_t", "completed_t"};

/* The SNAP_TAIL bytes (fewer near the start) before size, in hex. */
static int
tail_hex(const char *logpath, uint64_t size, char out[2 * SNAP_TAIL + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[SNAP_TAIL];
	size_t n = size < SNAP_TAIL ? (size_t)size : SNAP_TAIL, i;
	int fd = open(logpath, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd < 0)
		return -1;
	got = pread(fd, b, n, (off_t)(size - n));
	close(fd);
	if (got != (ssize_t)n)
		return -1;
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * n] = '\0';
	return 0;
}

/* A count or Unix time in the snapshot; -1 when it is not one. */
static int64_t
num(const char *s)
{
	long long v;
	const char *why;

	return ops_parse_int(s, 0, INT64_MAX, &v, &why) < 0 ? -1 : v;
}

static void
setts(char dst[OPS_RFC3339_SIZE], const char *s, size_t len)
{
	if (len >= OPS_RFC3339_SIZE)
		len = OPS_RFC3339_SIZE - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

/* Fill ticket t from a snapshot row; -1 when the row is not sound. */
static int
row(struct tk_table *tab, char *const f[], const size_t fl[])
{
	struct ticket *t;
	int64_t id = num(f[S_ID]), v[5];
	int kind = tk_kind_parse(f[S_KIND]);
	int status = tk_status_parse(f[S_STATUS]);
	int impact = fl[S_IMPACT] ? tk_impact_parse(f[S_IMPACT]) : 0;
	size_t i;

	if (id < 1 || id > tab->maxid || kind < 0 || status < 0 || impact < 0)
		return -1;
	for (i = 0; i < 5; i++)
		if ((v[i] = num(f[S_CREATED_T + i])) < 0)
			return -1;
	t = tk_table_add(tab, (long)id);
	if (t == NULL)
		return -1;
	t->kind = (enum tk_kind)kind;
	t->status = (enum tk_status)status;
	t->impact = (enum tk_impact)impact;
	t->title = fl[S_TITLE] ? ops_xstrndup(f[S_TITLE], fl[S_TITLE]) : NULL;
	t->assignee = fl[S_ASSIGNEE] ?
	    ops_xstrndup(f[S_ASSIGNEE], fl[S_ASSIGNEE]) : NULL;
	t->target = fl[S_TARGET] ? ops_xstrndup(f[S_TARGET], fl[S_TARGET])
				 : NULL;
	t->plan = fl[S_PLAN] ? ops_xstrndup(f[S_PLAN], fl[S_PLAN]) : NULL;
	t->approver = fl[S_APPROVER] ?
	    ops_xstrndup(f[S_APPROVER], fl[S_APPROVER]) : NULL;
	setts(t->created_s, f[S_CREATED], fl[S_CREATED]);
	setts(t->occurred_s, f[S_OCCURRED], fl[S_OCCURRED]);
	setts(t->updated_s, f[S_UPDATED], fl[S_UPDATED]);
	setts(t->completed_s, f[S_COMPLETED], fl[S_COMPLETED]);
	setts(t->response_s, f[S_RESPONSE], fl[S_RESPONSE]);
	t->created = v[0];
	t->occurred = v[1];
	t->first_response = v[2];
	t->isolated = v[3];
	t->completed = v[4];
	return 0;
}

int
tk_snap_load(struct tk_table *tab, const char *snap, const char *logpath,
    bool open_only, uint64_t *off, long *lines)
{
	struct ops_tsv_reader r;
	struct ops_err err;
	struct stat st;
	unsigned long long size, ino;
	long nlines, maxid, nopen, nrows = 0;
	char tail[2 * SNAP_TAIL + 1], have[2 * SNAP_TAIL + 1];
	int idx[S_COUNT], rc = 0;
	char *f[S_COUNT];
	size_t fl[S_COUNT], k;

	if (ops_tsv_open(&r, snap, OPS_TSV_MISSING_OK, &err) < 0)
		return 0;
	if (r.ncols == 0 ||
	    ops_tsv_columns(&r, snap_cols, idx, S_COUNT, &err) < 0 ||
	    ops_tsv_next(&r, &err) != 1 || strcmp(r.f[idx[S_ID]], "0") != 0 ||
	    strcmp(r.f[idx[S_KIND]], "log") != 0 ||
	    sscanf(r.f[idx[S_TITLE]],
		"size=%llu lines=%ld ino=%llu maxid=%ld open=%ld", &size,
		&nlines, &ino, &maxid, &nopen) != 5 ||
	    r.fl[idx[S_ASSIGNEE]] > 2 * SNAP_TAIL)
		goto stale;
	memcpy(tail, r.f[idx[S_ASSIGNEE]], r.fl[idx[S_ASSIGNEE]] + 1);
	if (stat(logpath, &st) < 0 || (unsigned long long)st.st_ino != ino ||
	    (unsigned long long)st.st_size < size || nlines < 1 || maxid < 0 ||
	    tail_hex(logpath, size, have) < 0 || strcmp(tail, have) != 0)
		goto stale;
	tab->maxid = maxid;
	while (!(open_only && nrows == nopen) &&
	    (rc = ops_tsv_next(&r, &err)) == 1) {
		for (k = 0; k < S_COUNT; k++) {
			f[k] = r.f[idx[k]];
			fl[k] = r.fl[idx[k]];
		}
		/* open tickets first, then done ones */
		if (row(tab, f, fl) < 0 ||
		    (tab->t[num(f[S_ID])]->status == ST_DONE) != (nrows >= nopen))
			break;
		nrows++;
	}
	if (open_only && nrows == nopen)
		tab->partial = true;
	else if (rc != 0 || r.torn)
		goto stale;
	ops_tsv_close(&r);
	ops_info(1, "%s: covers %llu bytes of the log; reading the rest", snap,
	    size);
	*off = size;
	*lines = nlines;
	return 1;
stale:
	ops_tsv_close(&r);
	tk_table_release(tab);
	ops_info(1, "%s: stale or unreadable, folding the log from the start",
	    snap);
	return 0;
}

static int
add_row(struct ops_buf *b, const struct ticket *t)
{
	char n[5][24], id[24];
	const char *v[S_COUNT];

	snprintf(id, sizeof(id), "%ld", t->id);
	snprintf(n[0], sizeof(n[0]), "%" PRId64, t->created);
	snprintf(n[1], sizeof(n[1]), "%" PRId64, t->occurred);
	snprintf(n[2], sizeof(n[2]), "%" PRId64, t->first_response);
	snprintf(n[3], sizeof(n[3]), "%" PRId64, t->isolated);
	snprintf(n[4], sizeof(n[4]), "%" PRId64, t->completed);
	v[S_ID] = id;
	v[S_KIND] = tk_kind_name[t->kind];
	v[S_STATUS] = tk_status_name[t->status];
	v[S_IMPACT] = tk_impact_name[t->impact];
	v[S_TITLE] = t->title;
	v[S_ASSIGNEE] = t->assignee;
	v[S_TARGET] = t->target;
	v[S_PLAN] = t->plan;
	v[S_APPROVER] = t->approver;
	v[S_CREATED] = t->created_s;
	v[S_OCCURRED] = t->occurred_s;
	v[S_UPDATED] = t->updated_s;
	v[S_COMPLETED] = t->completed_s;
	v[S_RESPONSE] = t->response_s;
	v[S_CREATED_T] = n[0];
	v[S_OCCURRED_T] = n[1];
	v[S_RESPONSE_T] = n[2];
	v[S_ISOLATED_T] = n[3];
	v[S_COMPLETED_T] = n[4];
	return ops_tsv_row(b, v, S_COUNT);
}

/* Add the rows of the open (done false) or done tickets, flushing to a. */
static int
save_rows(struct ops_atomic *a, struct ops_buf *b, const struct tk_table *tab,
    bool done, struct ops_err *err)
{
	long id;

	for (id = 1; id <= tab->maxid; id++) {
		const struct ticket *t = tk_get(tab, id);

		if (t == NULL || (t->status == ST_DONE) != done)
			continue;
		if (add_row(b, t) < 0)
			return -1;
		if (b->len >= 1 << 20) {
			if (ops_atomic_write(a, b->data, b->len, err) < 0)
				return -1;
			ops_buf_reset(b);
		}
	}
	return 0;
}

int
tk_snap_save(const struct tk_table *tab, const char *snap,
    const char *logpath, uint64_t off, long lines, struct ops_err *err)
{
	struct ops_atomic a;
	struct ops_buf b;
	struct stat st;
	char tail[2 * SNAP_TAIL + 1], meta[200];
	const char *m[S_COUNT] = {"0", "log", "", "", meta, tail};
	long id, nopen = 0;
	int rc = 0;

	ops_err_clear(err);
	if (stat(logpath, &st) < 0 || tail_hex(logpath, off, tail) < 0)
		return ops_err_set(err, OPS_EXIT_FAIL, "%s:", logpath);
	for (id = 1; id <= tab->maxid; id++) {
		const struct ticket *t = tk_get(tab, id);

		if (t != NULL && t->status != ST_DONE)
			nopen++;
	}
	snprintf(meta, sizeof(meta), "size=%" PRIu64 " lines=%ld ino=%llu "
	    "maxid=%ld open=%ld", off, lines, (unsigned long long)st.st_ino,
	    tab->maxid, nopen);
	if (ops_atomic_begin(&a, snap, 0640, err) < 0)
		return -1;
	ops_buf_init(&b, 0);
	if (ops_tsv_row(&b, snap_cols, S_COUNT) < 0 ||
	    ops_tsv_row(&b, m, S_COUNT) < 0)
		rc = -1;
	if (rc == 0)
		rc = save_rows(&a, &b, tab, false, err);
	if (rc == 0)
		rc = save_rows(&a, &b, tab, true, err);
	if (rc == 0)
		rc = ops_atomic_write(&a, b.data, b.len, err);
	ops_buf_release(&b);
	if (rc < 0) {
		ops_atomic_abort(&a);
		if (err->code == 0)
			ops_err_set(err, OPS_EXIT_FAIL, "snapshot too large");
		return -1;
	}
	return ops_atomic_commit(&a, err);
}
