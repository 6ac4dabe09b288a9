/*
 * state.c - rotate.state: when each log was last rotated
 * SPDX-License-Identifier: MIT
 *
 * Our format is a TSV store (ops-tsv(5)) with the columns "path
 * last_rotated", the time in RFC 3339; it is rewritten atomically after
 * each log.  logrotate's own state file ("logrotate state -- version 2",
 * then lines "PATH" YYYY-M-D-H:M:S in local time) is read too, so that
 * moving from logrotate keeps the schedule.  Nothing here exits.
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "buf.h"
#include "clock.h"
#include "exitcode.h"
#include "fsx.h"
#include "mem.h"
#include "tsv.h"

#include "rotate.h"

#define STATE_MAX (64u << 20)
#define SECONDS_IN_YEAR 31556926 /* logrotate drops unused entries older */

void
lr_state_init(struct lr_state *s)
{
	memset(s, 0, sizeof(*s));
	s->jfd = -1;
	s->jdirty = false;
}

void
lr_state_release(struct lr_state *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i]->path);
		free(s->v[i]);
	}
	free(s->v);
	free(s->file);
	if (s->jfd >= 0)
		close(s->jfd);
	memset(s, 0, sizeof(*s));
	s->jfd = -1;
}

static void tsv_line(struct lr_state *s, const char *name, char *p,
    size_t len, long line);

/*
 * The journal, FILE.journal: one line "path<TAB>last_rotated" (TSV
 * escapes, no header) appended as each log is done, so that a run over
 * thousands of logs does not rewrite the whole state for each one.  A
 * line is in the page cache once written, so a killed run keeps it; the
 * engine makes the lines durable together (lr_state_sync) when it syncs
 * the renames and compressions of the same logs.  It is read after FILE (later lines win) and folded into FILE,
 * then removed, by lr_state_save().  A torn last line is ignored.
 */
static char *
journal_path(const char *file)
{
	size_t n = strlen(file) + sizeof(".journal");
	char *j = ops_xmalloc(n);

	snprintf(j, n, "%s.journal", file);
	return j;
}

static int
journal_load(struct lr_state *s, struct ops_err *err)
{
	struct ops_buf b;
	char *jp = journal_path(s->file), *p, *end;
	long line = 0;

	ops_buf_init(&b, 0);
	if (ops_read_file(jp, STATE_MAX, &b, err) < 0) {
		free(jp);
		ops_buf_release(&b);
		if (err->errnum == ENOENT) {
			ops_err_clear(err);
			return 0;
		}
		return -1;
	}
	if (b.data == NULL) {
		ops_buf_release(&b);
		free(jp);
		return 0;
	}
	p = b.data;
	end = p + b.len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl == NULL)
			break;
		line++;
		*nl = '\0';
		if (nl > p)
			tsv_line(s, jp, p, (size_t)(nl - p), line);
		p = nl + 1;
	}
	ops_buf_release(&b);
	free(jp);
	return 0;
}

int
lr_state_note(struct lr_state *s, struct lr_state_ent *e,
    struct ops_err *err)
{
	char ts[OPS_RFC3339_SIZE];
	const char *f[2] = {e->path, ops_rfc3339_format(e->t, ts)};
	struct ops_buf b;
	int rc = 0;

	if (e->noted)
		return 0; /* the same line again: nothing to sync */
	if (s->jfd < 0) {
		char *jp = journal_path(s->file);

		s->jfd = open(jp,
		    O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		    0640);
		if (s->jfd < 0)
			rc = ops_err_set(err, OPS_EXIT_FAIL, "%s:", jp);
		free(jp);
		if (rc < 0)
			return -1;
	}
	ops_buf_init(&b, 0);
	if (ops_tsv_row(&b, f, 2) < 0)
		rc = ops_err_set(err, OPS_EXIT_FAIL, "state: too large");
	else if (ops_write_all(s->jfd, b.data, b.len) < 0)
		rc = ops_err_set(err, OPS_EXIT_FAIL, "%s.journal:", s->file);
	ops_buf_release(&b);
	if (rc == 0) {
		e->noted = true;
		s->jdirty = true;
	}
	return rc;
}

int
lr_state_sync(struct lr_state *s, struct ops_err *err)
{
	if (!s->jdirty || s->jfd < 0)
		return 0;
	if (fsync(s->jfd) < 0)
		return ops_err_set(err, OPS_EXIT_FAIL, "%s.journal:", s->file);
	s->jdirty = false;
	return 0;
}

struct lr_state_ent *
lr_state_find(struct lr_state *s, const char *path)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i]->path, path) == 0)
			return s->v[i];
	return NULL;
}

struct lr_state_ent *
lr_state_add(struct lr_state *s, const char *path, int64_t t)
{
	struct lr_state_ent *e = lr_state_find(s, path);

	if (e != NULL)
		return e;
	ops_xgrow((void **)&s->v, &s->cap, s->n + 1, sizeof(*s->v));
	e = ops_xcalloc(1, sizeof(*e)); /* stays put while v grows */
	s->v[s->n++] = e;
	e->path = ops_xstrdup(path);
	e->t = t;
	return e;
}

/* A bad line whose path is known: keep it, marked for reconstruction. */
static void
add_bad(struct lr_state *s, const char *path)
{
	struct lr_state_ent *e;

	if (path == NULL || *path == '\0')
		return;
	e = lr_state_add(s, path, 0);
	e->bad = true;
}

/* One line of our TSV: "path\tlast_rotated[\t...]" (unescaped in place). */
static void
tsv_line(struct lr_state *s, const char *name, char *p, size_t len,
    long line)
{
	char *tab = memchr(p, '\t', len), *end, *t2;
	ssize_t pl, tl;
	int64_t t;

	if (tab == NULL) {
		ops_warn_at(name, line, "no TAB: line skipped");
		return;
	}
	end = p + len;
	*tab = '\0';
	pl = ops_tsv_unescape(p, (size_t)(tab - p));
	t2 = tab + 1;
	{
		char *tab2 = memchr(t2, '\t', (size_t)(end - t2));

		if (tab2 != NULL)
			end = tab2;
	}
	*end = '\0';
	tl = ops_tsv_unescape(t2, (size_t)(end - t2));
	if (pl <= 0) {
		ops_warn_at(name, line, "bad path: line skipped");
		return;
	}
	if (tl < 0 || ops_rfc3339_parse(t2, (size_t)tl, &t, NULL) < 0) {
		ops_warn_at(name, line,
		    "bad time for %s: line skipped, the date will be taken "
		    "from its newest generation",
		    p);
		add_bad(s, p);
		return;
	}
	lr_state_add(s, p, t)->t = t;
}

/* logrotate's line: "PATH" Y-M-D-H:M:S (the path may be unquoted). */
static void
lr_line(struct lr_state *s, char *p, size_t len, long line)
{
	struct ops_buf path;
	char *end = p + len, *q = p;
	int y, mo, d, h = 0, mi = 0, se = 0, k;
	struct tm tm;
	time_t t;

	ops_buf_init(&path, 0);
	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	if (q < end && *q == '"') {
		for (q++; q < end && *q != '"'; q++) {
			char c = *q;

			if (c == '\\' && q + 1 < end) {
				c = *++q;
				if (c == 'n')
					c = '\n';
			}
			if (ops_buf_addc(&path, c) < 0)
				break;
		}
		q++;
	} else {
		for (; q < end && *q != ' ' && *q != '\t'; q++)
			if (ops_buf_addc(&path, *q) < 0)
				break;
	}
	if (q > end)
		q = end;
	*end = '\0';
	k = sscanf(q, " %d-%d-%d-%d:%d:%d", &y, &mo, &d, &h, &mi, &se);
	if (path.len == 0 || k < 3 || y < 1970 || y > 2100 || mo < 1 ||
	    mo > 12 || d < 0 || d > 31 || h < 0 || h > 23 || mi < 0 ||
	    mi > 59 || se < 0 || se > 59) {
		ops_warn_at(s->file, line,
		    "bad logrotate state line: skipped, the date will be "
		    "taken from the log's newest generation");
		add_bad(s, ops_buf_cstr(&path));
		ops_buf_release(&path);
		return;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	lr_state_add(s, ops_buf_cstr(&path), (int64_t)t)->t = (int64_t)t;
	ops_buf_release(&path);
}

int
lr_state_load(struct lr_state *s, const char *file, struct ops_err *err)
{
	static const char lr_magic[] = "logrotate state -- version";
	struct ops_buf b;
	char *p, *end;
	long line = 0;
	bool logrotate_fmt;

	free(s->file);
	s->file = ops_xstrdup(file);
	ops_buf_init(&b, 0);
	if (ops_read_file(file, STATE_MAX, &b, err) < 0) {
		if (err->errnum == ENOENT || errno == ENOENT) {
			ops_err_clear(err);
			return journal_load(s, err);
		}
		return -1;
	}
	if (b.len == 0) {
		ops_buf_release(&b);
		return journal_load(s, err);
	}
	p = b.data;
	end = b.data + b.len;
	logrotate_fmt = b.len >= sizeof(lr_magic) - 1 &&
			memcmp(p, lr_magic, sizeof(lr_magic) - 1) == 0;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl == NULL)
			break; /* a torn last line: ignored */
		line++;
		*nl = '\0';
		if (line == 1) {
			if (!logrotate_fmt && strncmp(p, "path\t", 5) != 0)
				ops_warn_at(file, 1,
				    "header \"path<TAB>last_rotated\" "
				    "expected");
		} else if (nl > p) {
			if (logrotate_fmt)
				lr_line(s, p, (size_t)(nl - p), line);
			else
				tsv_line(s, file, p, (size_t)(nl - p), line);
		}
		p = nl + 1;
	}
	ops_buf_release(&b);
	return journal_load(s, err);
}

int
lr_state_save(struct lr_state *s, int64_t now, struct ops_err *err)
{
	static const char *const hdr[] = {"path", "last_rotated"};
	struct ops_atomic a;
	struct ops_buf b;
	size_t i;
	int rc;

	ops_buf_init(&b, 0);
	if (ops_tsv_row(&b, hdr, 2) < 0)
		return ops_err_set(err, OPS_EXIT_FAIL, "state: too large");
	for (i = 0; i < s->n; i++) {
		const struct lr_state_ent *e = s->v[i];
		char ts[OPS_RFC3339_SIZE];
		const char *f[2];

		if (e->bad && !e->used)
			continue; /* nothing known about it */
		if (!e->used && now - e->t > SECONDS_IN_YEAR)
			continue;
		f[0] = e->path;
		f[1] = ops_rfc3339_format(e->t, ts);
		if (ops_tsv_row(&b, f, 2) < 0) {
			ops_buf_release(&b);
			return ops_err_set(err, OPS_EXIT_FAIL,
			    "state: too large");
		}
	}
	rc = ops_atomic_begin(&a, s->file, 0640, err);
	if (rc == 0) {
		if (ops_atomic_write(&a, b.data, b.len, err) < 0) {
			ops_atomic_abort(&a);
			rc = -1;
		} else {
			rc = ops_atomic_commit(&a, err);
		}
	}
	ops_buf_release(&b);
	if (rc == 0) {
		/* the state now holds everything the journal said */
		char *jp = journal_path(s->file);

		if (s->jfd >= 0) {
			close(s->jfd);
			s->jfd = -1;
		}
		if (unlink(jp) == 0 && ops_fsync_parent(jp, err) < 0)
			ops_err_clear(err); /* the state is right either way */
		free(jp);
	}
	return rc;
}
