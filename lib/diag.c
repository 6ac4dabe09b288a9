/*
 * diag.c - error objects and messages on stderr
 * SPDX-License-Identifier: MIT
 */
#include "compat.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "exitcode.h"

static const char *prog = "ops";
static int verbose;

void
ops_diag_init(const char *argv0)
{
	const char *slash;

	if (argv0 == NULL || *argv0 == '\0')
		return;
	slash = strrchr(argv0, '/');
	prog = slash ? slash + 1 : argv0;
}

const char *
ops_prog(void)
{
	return prog;
}

void
ops_diag_set_verbose(int level)
{
	verbose = level;
}

int
ops_diag_verbose(void)
{
	return verbose;
}

void
ops_err_clear(struct ops_err *err)
{
	if (err == NULL)
		return;
	err->code = 0;
	err->errnum = 0;
	err->line = 0;
	err->file[0] = '\0';
	err->msg[0] = '\0';
}

/* Format into dst with the ':' rule; errnum is errno at the caller's entry. */
static void OPS_PRINTF(4, 0)
vformat(char *dst, size_t size, int errnum, const char *fmt, va_list ap)
{
	size_t flen = strlen(fmt);
	int n;

	n = vsnprintf(dst, size, fmt, ap);
	if (n < 0) {
		dst[0] = '\0';
		return;
	}
	if (flen > 0 && fmt[flen - 1] == ':' && (size_t)n < size)
		snprintf(dst + n, size - (size_t)n, " %s",
		    strerror(errnum));
}

static int OPS_PRINTF(6, 0)
vset(struct ops_err *err, int code, int errnum, const char *file, long line,
    const char *fmt, va_list ap)
{
	if (err == NULL)
		return -1;
	err->code = code ? code : OPS_EXIT_FAIL;
	err->errnum = fmt[0] && fmt[strlen(fmt) - 1] == ':' ? errnum : 0;
	err->line = line;
	snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
	vformat(err->msg, sizeof(err->msg), errnum, fmt, ap);
	return -1;
}

int
ops_err_set(struct ops_err *err, int code, const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	va_start(ap, fmt);
	vset(err, code, errnum, NULL, 0, fmt, ap);
	va_end(ap);
	errno = errnum;
	return -1;
}

int
ops_err_at(struct ops_err *err, int code, const char *file, long line,
    const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	va_start(ap, fmt);
	vset(err, code, errnum, file, line, fmt, ap);
	va_end(ap);
	errno = errnum;
	return -1;
}

void
ops_err_prefix(struct ops_err *err, const char *fmt, ...)
{
	char pre[512];
	size_t plen, mlen, room = sizeof(err->msg) - 1;
	va_list ap;
	int n;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	n = vsnprintf(pre, sizeof(pre) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	plen = strlen(pre);
	memcpy(pre + plen, ": ", 3);
	plen += 2;
	if (plen > room)
		plen = room;
	mlen = strlen(err->msg);
	if (mlen > room - plen)
		mlen = room - plen;
	memmove(err->msg + plen, err->msg, mlen);
	memcpy(err->msg, pre, plen);
	err->msg[plen + mlen] = '\0';
}

static void
location(char *dst, size_t size, const char *file, long line)
{
	if (file == NULL || *file == '\0')
		dst[0] = '\0';
	else if (line > 0)
		snprintf(dst, size, "%s:%ld: ", file, line);
	else
		snprintf(dst, size, "%s: ", file);
}

int
ops_err_report(const struct ops_err *err)
{
	char loc[1100];

	location(loc, sizeof(loc), err->file, err->line);
	fprintf(stderr, "%s: %s%s\n", prog, loc, err->msg);
	return err->code ? err->code : OPS_EXIT_FAIL;
}

static void OPS_PRINTF(4, 0)
vwarn_at(int errnum, const char *file, long line, const char *fmt,
    va_list ap)
{
	char loc[1100], msg[2048];

	location(loc, sizeof(loc), file, line);
	vformat(msg, sizeof(msg), errnum, fmt, ap);
	fprintf(stderr, "%s: %s%s\n", prog, loc, msg);
}

void
ops_warn(const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	va_start(ap, fmt);
	vwarn_at(errnum, NULL, 0, fmt, ap);
	va_end(ap);
	errno = errnum;
}

void
ops_warn_at(const char *file, long line, const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	va_start(ap, fmt);
	vwarn_at(errnum, file, line, fmt, ap);
	va_end(ap);
	errno = errnum;
}

void
ops_info(int level, const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	if (verbose < level)
		return;
	va_start(ap, fmt);
	vwarn_at(errnum, NULL, 0, fmt, ap);
	va_end(ap);
	errno = errnum;
}

void
ops_fatal(int code, const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	va_start(ap, fmt);
	vwarn_at(errnum, NULL, 0, fmt, ap);
	va_end(ap);
	exit(code);
}

const char *
ops_diag_shown(char *dst, size_t size, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;
	unsigned char c;

	if (size == 0)
		return dst;
	for (i = 0; i < len && i < 60 && o + 8 < size; i++) {
		c = (unsigned char)s[i];
		if (c == '\t' || c == '\n' || c == '\r' || c == '\\' ||
		    c == '"') {
			dst[o++] = '\\';
			dst[o++] = c == '\t' ? 't' : c == '\n' ? 'n' :
			    c == '\r' ? 'r' : (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		} else {
			dst[o++] = (char)c;
		}
	}
	if (i < len && o + 4 <= size) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
	return dst;
}

/* Optimal string alignment distance (Levenshtein plus transpositions). */
size_t
ops_edit_distance(const char *a, const char *b)
{
	size_t d[OPS_EDIT_MAX + 1][OPS_EDIT_MAX + 1];
	size_t la = strlen(a), lb = strlen(b), i, j, cost, v;

	if (la > OPS_EDIT_MAX || lb > OPS_EDIT_MAX)
		return SIZE_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			cost = a[i - 1] != b[j - 1];
			v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}
