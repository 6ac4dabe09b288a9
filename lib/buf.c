/*
 * buf.c - growable byte buffers with a hard size limit
 * SPDX-License-Identifier: MIT
 */
#include "compat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "exitcode.h"
#include "mem.h"

void
ops_buf_init(struct ops_buf *b, size_t limit)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->limit = limit ? limit : OPS_BUF_NOLIMIT;
}

void
ops_buf_release(struct ops_buf *b)
{
	free(b->data);
	ops_buf_init(b, b->limit);
}

void
ops_buf_reset(struct ops_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static int
reserve(struct ops_buf *b, size_t n)
{
	size_t need;

	if (n > b->limit - b->len || b->len > b->limit) {
		errno = E2BIG;
		return -1;
	}
	need = b->len + n + 1;
	if (need > b->cap) {
		size_t ncap = b->cap ? b->cap : 64;

		while (ncap < need)
			ncap *= 2;
		b->data = ops_xreallocarray(b->data, ncap, 1);
		b->cap = ncap;
	}
	return 0;
}

int
ops_buf_add(struct ops_buf *b, const void *p, size_t n)
{
	if (reserve(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
ops_buf_addc(struct ops_buf *b, int c)
{
	char ch = (char)c;

	return ops_buf_add(b, &ch, 1);
}

int
ops_buf_adds(struct ops_buf *b, const char *s)
{
	return ops_buf_add(b, s, strlen(s));
}

void
ops_buf_puts(struct ops_buf *b, const char *s)
{
	if (ops_buf_adds(b, s) < 0)
		ops_fatal(OPS_EXIT_FAIL, "text over its limit of %zu bytes",
		    b->limit);
}

int
ops_buf_vprintf(struct ops_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return -1;
	if (reserve(b, (size_t)n) < 0)
		return -1;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
ops_buf_printf(struct ops_buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = ops_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

const char *
ops_buf_cstr(const struct ops_buf *b)
{
	return b->data ? b->data : "";
}

char *
ops_buf_detach(struct ops_buf *b, size_t *len)
{
	char *p = b->data ? b->data : ops_xstrdup("");

	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}
