/*
 * tsv.c - the TSV format of every store (SPEC 3.4, ops-tsv(5))
 * SPDX-License-Identifier: MIT
 *
 * The reader keeps one buffer, filled by read(2) in chunks of CHUNK bytes
 * and grown (up to max_line + 1 bytes) only while a line does not fit.
 * Unconsumed bytes are buf[start..end); a line is found with memchr, split
 * on TAB with memchr, and its TABs and newline are overwritten with NULs, so
 * the fields are C strings inside the buffer.  Fields are unescaped in place
 * only when the line holds a backslash.  A line longer than max_line is
 * skipped up to its newline without keeping it in memory.
 */
#include "compat.h"

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "exitcode.h"
#include "mem.h"
#include "tsv.h"

#define CHUNK (256 * 1024) /* bytes asked of each read(2) at least */
/* next_line(): a line over max_line, skipped */
#define LONG_LINE 2

static void
reader_init(struct ops_tsv_reader *r)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->max_line = OPS_TSV_MAX_LINE;
}

/* Largest buffer: a line of max_line bytes plus its newline, CHUNK at least. */
static size_t
buf_limit(const struct ops_tsv_reader *r)
{
	size_t lim = r->max_line < SIZE_MAX ? r->max_line + 1 : SIZE_MAX;

	return lim > CHUNK ? lim : CHUNK;
}

/*
 * Read more bytes to buf[end..): 1 when some came, 0 at end of file, -1 with
 * err on a read error.  Moves the pending bytes to the front, or grows the
 * buffer, only when the buffer is full.
 */
static int
fill(struct ops_tsv_reader *r, struct ops_err *err)
{
	size_t pending, ncap;
	ssize_t n;

	if (r->eof)
		return 0;
	if (r->start == r->end)
		r->start = r->end = 0;
	if (r->end == r->cap) {
		pending = r->end - r->start;
		if (r->start > 0) {
			memmove(r->buf, r->buf + r->start, pending);
			r->start = 0;
			r->end = pending;
		} else {
			/* Callers never let a full buffer hold one line. */
			ncap = buf_limit(r);
			if (r->cap <= ncap / 2)
				ncap = r->cap * 2;
			if (ncap <= r->cap)
				return ops_err_at(err, OPS_EXIT_FAIL, r->path,
				    0, "internal error: read buffer is full");
			r->buf = ops_xreallocarray(r->buf, ncap, 1);
			r->cap = ncap;
		}
	}
	do
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return ops_err_at(
		    err, OPS_EXIT_FAIL, r->path, 0, "cannot read:");
	if (n == 0) {
		r->eof = true;
		return 0;
	}
	r->end += (size_t)n;
	return 1;
}

/*
 * Drop the rest of a line too long for the buffer, up to its newline.
 * LONG_LINE when the newline was found, 0 when the file ended first (the
 * line is then torn), -1 on a read error.
 */
static int
skip_long(struct ops_tsv_reader *r, size_t pending, struct ops_err *err)
{
	uint64_t line_start = r->offset;
	char *nl;
	int rc;

	r->offset += pending;
	for (;;) {
		r->start = r->end = 0;
		rc = fill(r, err);
		if (rc <= 0) {
			if (rc == 0) {
				r->torn = true;
				r->offset = line_start;
			}
			return rc;
		}
		nl = memchr(r->buf, '\n', r->end);
		if (nl != NULL) {
			r->start = (size_t)(nl - r->buf) + 1;
			r->offset += r->start;
			return LONG_LINE;
		}
		r->offset += r->end;
	}
}

/*
 * Find the next line and consume it: *line, *len (the newline, at
 * (*line)[*len], not counted).  1 for a line, LONG_LINE for a line over
 * max_line (skipped; *line is not set), 0 at the end (r->torn set when a
 * line without newline is left over), -1 with err on a read error.
 */
static int
next_line(
    struct ops_tsv_reader *r, char **line, size_t *len, struct ops_err *err)
{
	size_t scanned = 0, n;
	char *nl;
	int rc;

	for (;;) {
		nl = memchr(r->buf + r->start + scanned, '\n',
		    r->end - r->start - scanned);
		if (nl != NULL) {
			*line = r->buf + r->start;
			n = (size_t)(nl - *line);
			r->start += n + 1;
			r->offset += n + 1;
			if (n > r->max_line)
				return LONG_LINE;
			*len = n;
			return 1;
		}
		scanned = r->end - r->start;
		if (scanned > r->max_line)
			return skip_long(r, scanned, err);
		rc = fill(r, err);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			if (r->end > r->start)
				r->torn = true;
			r->start = r->end;
			return 0;
		}
	}
}

/*
 * Unescape s[0..len) in place, NUL-terminated (s[len] must be writable).
 * Returns the new length, or -1 with *what set to the byte after the bad
 * backslash (-1 for a lone trailing backslash).
 */
static ssize_t
unescape(char *s, size_t len, int *what)
{
	char *rd, *wr, *end = s + len, *bs;
	size_t n;

	rd = memchr(s, '\\', len);
	if (rd == NULL) {
		s[len] = '\0';
		return (ssize_t)len;
	}
	wr = rd;
	while (rd < end) {
		/* rd is at a backslash */
		if (rd + 1 == end) {
			*what = -1;
			return -1;
		}
		switch (rd[1]) {
		case '\\':
			*wr++ = '\\';
			break;
		case 't':
			*wr++ = '\t';
			break;
		case 'n':
			*wr++ = '\n';
			break;
		case 'r':
			*wr++ = '\r';
			break;
		default:
			*what = (unsigned char)rd[1];
			return -1;
		}
		rd += 2;
		bs = memchr(rd, '\\', (size_t)(end - rd));
		n = (size_t)((bs ? bs : end) - rd);
		memmove(wr, rd, n);
		wr += n;
		rd += n;
	}
	*wr = '\0';
	return wr - s;
}

ssize_t
ops_tsv_unescape(char *s, size_t len)
{
	int what;

	return unescape(s, len, &what);
}

/* Undo a partial append to out. */
static int
restore(struct ops_buf *out, size_t len)
{
	out->len = len;
	if (out->data)
		out->data[len] = '\0';
	errno = E2BIG;
	return -1;
}

int
ops_tsv_escape(struct ops_buf *out, const char *s, size_t len)
{
	size_t old = out->len, i, run = 0;
	const char *rep;

	if (len == 0)
		s = ""; /* s may be NULL; no arithmetic on it */
	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '\\':
			rep = "\\\\";
			break;
		case '\t':
			rep = "\\t";
			break;
		case '\n':
			rep = "\\n";
			break;
		case '\r':
			rep = "\\r";
			break;
		default:
			continue;
		}
		if (ops_buf_add(out, s + run, i - run) < 0 ||
		    ops_buf_add(out, rep, 2) < 0)
			return restore(out, old);
		run = i + 1;
	}
	if (ops_buf_add(out, s + run, len - run) < 0)
		return restore(out, old);
	return 0;
}

int
ops_tsv_row(struct ops_buf *out, const char *const fields[], size_t n)
{
	size_t old = out->len, i;
	const char *f;

	for (i = 0; i < n; i++) {
		f = fields[i] ? fields[i] : "";
		if ((i > 0 && ops_buf_addc(out, '\t') < 0) ||
		    ops_tsv_escape(out, f, strlen(f)) < 0)
			return restore(out, old);
	}
	if (ops_buf_addc(out, '\n') < 0)
		return restore(out, old);
	return 0;
}

static bool
name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

bool
ops_tsv_is_colname(const char *name)
{
	const char *p;

	if (name == NULL || *name == '\0')
		return false;
	for (p = name; *p; p++) {
		if (!name_char(*p))
			return false;
	}
	return true;
}

/* Check and keep the header line[0..len) (line[len] is writable). */
static int
parse_header(
    struct ops_tsv_reader *r, const char *line, size_t len, struct ops_err *err)
{
	char show[300];
	char *p, *tab;
	size_t n = 0, i, j;

	r->hdr = ops_xmalloc(len + 1);
	memcpy(r->hdr, line, len);
	r->hdr[len] = '\0';
	for (p = r->hdr;; p = tab + 1) {
		tab = memchr(p, '\t', len - (size_t)(p - r->hdr));
		if (n == OPS_TSV_MAX_COLS)
			return ops_err_at(err, OPS_EXIT_USAGE, r->path, 1,
			    "header has more than %d columns",
			    OPS_TSV_MAX_COLS);
		if (tab != NULL)
			*tab = '\0';
		r->cols[n++] = p;
		if (tab == NULL)
			break;
	}
	for (i = 0; i < n; i++) {
		/* a NUL byte inside a name shows as the end of the name */
		size_t nlen = i + 1 < n ?
		    (size_t)(r->cols[i + 1] - 1 - r->cols[i]) :
		    len - (size_t)(r->cols[i] - r->hdr);

		if (nlen == 0)
			return ops_err_at(err, OPS_EXIT_USAGE, r->path, 1,
			    "column %zu has an empty name", i + 1);
		if (strlen(r->cols[i]) != nlen ||
		    !ops_tsv_is_colname(r->cols[i]))
			return ops_err_at(err, OPS_EXIT_USAGE, r->path, 1,
			    "bad column name \"%s\" (names are [a-z0-9_]+)",
			    ops_diag_shown(show, sizeof(show), r->cols[i], nlen));
		for (j = 0; j < i; j++) {
			if (strcmp(r->cols[i], r->cols[j]) == 0)
				return ops_err_at(err, OPS_EXIT_USAGE, r->path,
				    1, "duplicate column \"%s\"", r->cols[i]);
		}
	}
	r->ncols = n;
	return 0;
}

/* Take fd (not owned yet), allocate the buffer and read the header. */
static int
start(struct ops_tsv_reader *r, int fd, const char *name, struct ops_err *err)
{
	char *line = NULL;
	size_t len = 0;
	int rc;

	r->fd = fd;
	r->pathcopy = ops_xstrdup(name);
	r->path = r->pathcopy;
	r->cap = CHUNK;
	r->buf = ops_xmalloc(r->cap);
	rc = next_line(r, &line, &len, err);
	if (rc < 0)
		goto fail;
	if (rc == 0)
		return 0; /* empty store */
	r->line = 1;
	if (rc == LONG_LINE) {
		ops_err_at(err, OPS_EXIT_USAGE, r->path, 1,
		    "line longer than %zu bytes", r->max_line);
		goto fail;
	}
	if (parse_header(r, line, len, err) < 0)
		goto fail;
	return 0;

fail:
	r->fd = -1; /* the caller closes fd */
	ops_tsv_close(r);
	return -1;
}

int
ops_tsv_open(
    struct ops_tsv_reader *r, const char *path, int flags, struct ops_err *err)
{
	int fd;

	reader_init(r);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && (flags & OPS_TSV_MISSING_OK)) {
			r->pathcopy = ops_xstrdup(path);
			r->path = r->pathcopy;
			r->missing = true;
			return 0;
		}
		return ops_err_at(err, OPS_EXIT_FAIL, path, 0, "cannot open:");
	}
	if (start(r, fd, path, err) < 0) {
		close(fd);
		return -1;
	}
	r->own_fd = true;
	return 0;
}

int
ops_tsv_fdopen(
    struct ops_tsv_reader *r, int fd, const char *name, struct ops_err *err)
{
	reader_init(r);
	return start(r, fd, name ? name : "-", err);
}

int
ops_tsv_seek(struct ops_tsv_reader *r, uint64_t offset, long line,
    struct ops_err *err)
{
	if (r->ncols == 0 || r->fd < 0)
		return ops_err_at(err, OPS_EXIT_USAGE, r->path, 0,
		    "cannot seek in an empty store");
	if (lseek(r->fd, (off_t)offset, SEEK_SET) < 0)
		return ops_err_at(err, OPS_EXIT_FAIL, r->path, 0,
		    "cannot seek:");
	r->start = r->end = 0;
	r->eof = false;
	r->torn = false;
	r->offset = offset;
	r->line = line;
	return 0;
}

void
ops_tsv_set_max_line(struct ops_tsv_reader *r, size_t max_line)
{
	r->max_line = max_line ? max_line : OPS_TSV_MAX_LINE;
}

int
ops_tsv_col(const struct ops_tsv_reader *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->ncols; i++) {
		if (strcmp(r->cols[i], name) == 0)
			return (int)i;
	}
	return -1;
}

int
ops_tsv_columns(const struct ops_tsv_reader *r, const char *const names[],
    int idx[], size_t n, struct ops_err *err)
{
	size_t k;

	for (k = 0; k < n; k++) {
		idx[k] = ops_tsv_col(r, names[k]);
		if (idx[k] < 0 && r->ncols > 0)
			return ops_err_at(err, OPS_EXIT_USAGE, r->path, 1,
			    "no column \"%s\"", names[k]);
	}
	return 0;
}

static int bad(struct ops_tsv_reader *r, struct ops_err *err, const char *fmt,
    ...) OPS_PRINTF(3, 4);

/* Report a malformed line: OPS_TSV_BAD with err set. */
static int
bad(struct ops_tsv_reader *r, struct ops_err *err, const char *fmt, ...)
{
	va_list ap;
	char msg[sizeof(err->msg)];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ops_err_at(err, OPS_EXIT_USAGE, r->path, r->line, "%s", msg);
	return OPS_TSV_BAD;
}

int
ops_tsv_next(struct ops_tsv_reader *r, struct ops_err *err)
{
	char *line = NULL, *p, *end, *tab;
	size_t len = 0, n, i;
	ssize_t ul;
	int rc, what;

	r->nf = 0;
	if (r->ncols == 0)
		return 0;
	rc = next_line(r, &line, &len, err);
	if (rc <= 0)
		return rc;
	r->line++;
	if (rc == LONG_LINE)
		return bad(r, err, "line longer than %zu bytes", r->max_line);
	if (memchr(line, '\0', len) != NULL)
		return bad(r, err, "NUL byte in line");
	end = line + len;
	for (p = line, n = 0;; p = tab + 1, n++) {
		tab = memchr(p, '\t', (size_t)(end - p));
		if (n < OPS_TSV_MAX_COLS) {
			r->f[n] = p;
			r->fl[n] = (size_t)((tab ? tab : end) - p);
		}
		if (tab == NULL)
			break;
		*tab = '\0';
	}
	*end = '\0';
	n++;
	if (n != r->ncols)
		return bad(r, err, "%zu field%s, header has %zu", n,
		    n == 1 ? "" : "s", r->ncols);
	if (memchr(line, '\\', len) != NULL) {
		for (i = 0; i < n; i++) {
			ul = unescape(r->f[i], r->fl[i], &what);
			if (ul >= 0) {
				r->fl[i] = (size_t)ul;
				continue;
			}
			if (what < 0)
				return bad(r, err,
				    "lone backslash at the end of field \"%s\"",
				    r->cols[i]);
			if (what > 0x20 && what < 0x7f)
				return bad(r, err,
				    "bad escape \\%c in field \"%s\"", what,
				    r->cols[i]);
			return bad(r, err,
			    "bad escape: \\ then byte 0x%02x in field \"%s\"",
			    (unsigned)what, r->cols[i]);
		}
	}
	r->nf = n;
	return 1;
}

void
ops_tsv_close(struct ops_tsv_reader *r)
{
	if (r->own_fd && r->fd >= 0)
		close(r->fd);
	free(r->pathcopy);
	free(r->buf);
	free(r->hdr);
	reader_init(r);
}
