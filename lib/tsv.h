/*
 * tsv.h - the TSV format of every store (SPEC 3.4, ops-tsv(5))
 * SPDX-License-Identifier: MIT
 *
 * UTF-8, LF line ends, one TAB between fields, one record a line.  The first
 * line is a header of column names ([a-z0-9_]+, distinct).  Inside a field
 * only four escapes exist: "\\" backslash, "\t" tab, "\n" newline, "\r"
 * carriage return; any other backslash sequence, a lone trailing backslash,
 * or a NUL byte makes the line malformed.
 *
 * The reader streams: it holds one buffer of at most max_line bytes (default
 * OPS_TSV_MAX_LINE), so a store of any size is read in bounded memory.
 * Calling sequence:
 *
 *   struct ops_tsv_reader r;
 *   if (ops_tsv_open(&r, path, OPS_TSV_MISSING_OK, &err) < 0) ...
 *   if (ops_tsv_columns(&r, names, idx, n, &err) < 0) ...
 *   while ((rc = ops_tsv_next(&r, &err)) != 0) {
 *           if (rc == OPS_TSV_BAD) { report err; continue; }  (or stop: --strict)
 *           if (rc < 0) { I/O error; break; }
 *           use r.f[idx[k]] (NUL-terminated, unescaped), r.fl[...], r.line
 *   }
 *   ops_tsv_close(&r);
 *
 * A last line without its newline (a write in progress, or a crash) is not
 * returned; r.torn is set.  A malformed line makes ops_tsv_next() return
 * OPS_TSV_BAD with err set to "FILE:LINE: why"; the next call goes on with
 * the following line.
 */
#ifndef OPS_TSV_H
#define OPS_TSV_H

#include "compat.h"

#include <sys/types.h>

#include "buf.h"
#include "diag.h"

#define OPS_TSV_MAX_LINE (1024 * 1024) /* default longest line, bytes */
#define OPS_TSV_MAX_COLS 64            /* most columns a header may have */

enum {
	OPS_TSV_MISSING_OK = 1 << 0, /* a missing file reads as an empty store */
};

#define OPS_TSV_BAD (-2) /* ops_tsv_next(): malformed line, skipped */

struct ops_tsv_reader {
	/* read-only for callers: */
	const char *path;      /* name used in messages (copy owned by reader) */
	long line;             /* line number of the current row, 1 = header */
	size_t ncols;          /* number of header columns, 0 for an empty file */
	char *cols[OPS_TSV_MAX_COLS]; /* header names */
	size_t nf;             /* fields in the current row (== ncols) */
	char *f[OPS_TSV_MAX_COLS];    /* current row: unescaped, NUL-terminated */
	size_t fl[OPS_TSV_MAX_COLS];  /* their lengths (a field may hold \n) */
	uint64_t offset;       /* bytes of whole lines read so far, header
	                          included: where the next line starts */
	bool torn;             /* the file ended in a line without newline */
	bool missing;          /* the file did not exist (OPS_TSV_MISSING_OK) */
	/* private: */
	int fd;
	bool own_fd;
	char *pathcopy;
	char *buf;          /* read buffer */
	size_t cap;         /* its size */
	size_t start, end;  /* unconsumed bytes are buf[start..end) */
	bool eof;
	size_t max_line;
	char *hdr;          /* storage for cols */
};

/*
 * Open path (or, when fd >= 0 via ops_tsv_fdopen, that descriptor, which the
 * reader does not close) and read the header.  An empty file, or one holding
 * only a torn header, is an empty store (ncols 0).  -1 with err: code 3 when
 * the file cannot be opened or read (ENOENT unless OPS_TSV_MISSING_OK), code
 * 2 "FILE:1: ..." for a malformed header.  On error nothing needs closing.
 */
int ops_tsv_open(struct ops_tsv_reader *r, const char *path, int flags,
    struct ops_err *err) OPS_WUR;
int ops_tsv_fdopen(struct ops_tsv_reader *r, int fd, const char *name,
    struct ops_err *err) OPS_WUR;

/*
 * Go on reading at byte offset, which must be where a line starts, counting
 * lines from line (the number of the line before it): skips a part already
 * known, e.g. folded into a snapshot.  Needs a seekable file with a header.
 * -1 with err.
 */
int ops_tsv_seek(struct ops_tsv_reader *r, uint64_t offset, long line,
    struct ops_err *err) OPS_WUR;

/*
 * Change the longest line accepted (before the first ops_tsv_next; 0: the
 * default).  The header is always read with the default.
 */
void ops_tsv_set_max_line(struct ops_tsv_reader *r, size_t max_line);

/* Index of the column called name, or -1. */
int ops_tsv_col(const struct ops_tsv_reader *r, const char *name);

/*
 * Look up n column names; idx[k] gets the index of names[k].  -1 with err
 * (code 2, "FILE:1: no column \"x\"") when one is missing.  An empty store
 * (ncols 0) has every column: idx[k] is then -1 and no row will come.
 */
int ops_tsv_columns(const struct ops_tsv_reader *r, const char *const names[],
    int idx[], size_t n, struct ops_err *err) OPS_WUR;

/*
 * Read the next row into r->f / r->fl / r->nf.  Returns 1 for a row, 0 at
 * the end, OPS_TSV_BAD for a malformed line (err says FILE:LINE: why; the
 * line is skipped), -1 for an I/O error (err, code 3).  The row's memory is
 * valid until the next call.
 */
int ops_tsv_next(struct ops_tsv_reader *r, struct ops_err *err) OPS_WUR;

/* Free everything and close the file if the reader opened it. */
void ops_tsv_close(struct ops_tsv_reader *r);

/*
 * Append s[0..len) escaped (\\ \t \n \r) to out.  0, or -1 (E2BIG) with
 * out unchanged.
 */
int ops_tsv_escape(struct ops_buf *out, const char *s, size_t len) OPS_WUR;

/*
 * Unescape s[0..len) in place and NUL-terminate it (the result is never
 * longer, but s[len] must be writable: the NUL goes there when nothing was
 * escaped).  Returns the new length, or -1 for an unknown escape or a lone
 * trailing backslash (s is then unspecified).
 */
ssize_t ops_tsv_unescape(char *s, size_t len) OPS_WUR;

/*
 * Append one record: n fields, escaped, TAB-separated, then '\n'.  A NULL
 * field is written empty.  0, or -1 (E2BIG) with out unchanged.
 */
int ops_tsv_row(struct ops_buf *out, const char *const fields[], size_t n)
    OPS_WUR;

/* true when name is a valid column name: [a-z0-9_]+ */
bool ops_tsv_is_colname(const char *name);

#endif
