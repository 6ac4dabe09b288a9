/*
 * out.h - rows on stdout as TSV, CSV, JSON or aligned text
 * SPDX-License-Identifier: MIT
 *
 * Every data command prints rows through this module, so --format,
 * --no-header and --bom mean the same everywhere (SPEC 3.4):
 *   tsv   header of column names, fields escaped as in ops-tsv(5)
 *   csv   RFC 4180 (CRLF, quotes doubled); with OPS_OUT_BOM the UTF-8 BOM
 *         Excel needs; a cell starting with = + - @ TAB CR (and not a plain number)
 *         gets a leading ' so Excel does not run it as a formula
 *   json  one array of objects; numeric columns as numbers (empty: null)
 *   text  columns aligned by display width (CJK counts two), header labels
 * When the stream is a terminal, control characters in values are shown as
 * '?' (text from outside must not drive the terminal).
 *
 *   struct ops_out o;
 *   ops_out_begin(&o, stdout, OPS_OUT_TSV, flags, cols, ncols);
 *   ops_out_row(&o, vals);  ...
 *   ops_out_end(&o, &err);
 */
#ifndef OPS_OUT_H
#define OPS_OUT_H

#include "compat.h"

#include <stdio.h>

#include "buf.h"
#include "diag.h"

enum ops_out_fmt {
	OPS_OUT_TSV,
	OPS_OUT_CSV,
	OPS_OUT_JSON,
	OPS_OUT_TEXT,
};

enum {
	OPS_OUT_NOHEADER = 1 << 0, /* --no-header */
	OPS_OUT_BOM = 1 << 1,      /* UTF-8 byte-order mark first (csv) */
	OPS_OUT_LABELS = 1 << 2,   /* csv header: labels instead of names */
};

struct ops_out_col {
	const char *name;  /* column name, [a-z0-9_] */
	const char *label; /* heading for people (text, csv with LABELS) */
	bool num;          /* numeric: right-aligned, a number in JSON */
};

struct ops_out {
	FILE *fp;
	enum ops_out_fmt fmt;
	unsigned flags;
	bool tty;                       /* fp is a terminal */
	const struct ops_out_col *cols;
	size_t ncols;
	size_t rows;                    /* rows written so far */
	struct ops_buf line;            /* scratch */
	char **cells;                   /* text: every cell, kept for widths */
	size_t ncells, cap;
};

/*
 * Parse a --format word among those allowed (a NULL-terminated list, e.g.
 * {"tsv", "csv", "excel", NULL}).  "excel" is csv with OPS_OUT_BOM, set in
 * *flags.  -1 with err (code 2) naming the allowed words.
 */
int ops_out_format_parse(const char *s, const char *const allowed[],
    enum ops_out_fmt *fmt, unsigned *flags, struct ops_err *err) OPS_WUR;

void ops_out_begin(struct ops_out *o, FILE *fp, enum ops_out_fmt fmt,
    unsigned flags, const struct ops_out_col *cols, size_t ncols);

/* One row of ncols values (NULL prints empty).  -1 (E2BIG) on a huge row. */
int ops_out_row(struct ops_out *o, const char *const vals[]) OPS_WUR;

/*
 * Finish (text: print the aligned table; json: close the array), flush and
 * release.  -1 with err (code 3) when writing failed.
 */
int ops_out_end(struct ops_out *o, struct ops_err *err) OPS_WUR;

/* Release o without printing anything more (an error came first). */
void ops_out_discard(struct ops_out *o);

/* Columns a string takes on a terminal (UTF-8; East Asian wide = 2). */
size_t ops_utf8_width(const char *s);

/* true when s[0..len) is valid UTF-8 */
bool ops_utf8_valid(const char *s, size_t len);

/* Append s with control characters replaced by '?' (keeps \n when keep_nl). */
int ops_out_sanitize(struct ops_buf *out, const char *s, bool keep_nl) OPS_WUR;

/* Flush and close stdout, checking for errors.  -1 with err (code 3). */
int ops_stdout_close(struct ops_err *err) OPS_WUR;

#endif
