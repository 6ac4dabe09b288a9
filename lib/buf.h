/*
 * buf.h - growable byte buffers with a hard size limit
 * SPDX-License-Identifier: MIT
 *
 * struct ops_buf holds bytes plus a terminating NUL that is not counted in
 * len, so data can be used as a C string when it holds no NUL.  Appending
 * past the limit fails with -1 (errno E2BIG) and leaves the buffer as it
 * was: outside input can never make a buffer grow without bound.  Memory
 * comes from mem.h (out of memory exits).  Calling sequence:
 *   struct ops_buf b; ops_buf_init(&b, limit); ops_buf_add...; ops_buf_release(&b);
 */
#ifndef OPS_BUF_H
#define OPS_BUF_H

#include "compat.h"

#include <stdarg.h>

struct ops_buf {
	char *data;   /* NULL until the first append; NUL-terminated after */
	size_t len;   /* bytes held, NUL excluded */
	size_t cap;   /* bytes allocated */
	size_t limit; /* largest len allowed */
};

#define OPS_BUF_NOLIMIT ((size_t)1 << 40)

/* Empty buffer that may hold up to limit bytes (0: OPS_BUF_NOLIMIT). */
void ops_buf_init(struct ops_buf *b, size_t limit);
/* Free the memory; the buffer is then as after ops_buf_init(b, b->limit). */
void ops_buf_release(struct ops_buf *b);
/* Forget the contents, keep the memory. */
void ops_buf_reset(struct ops_buf *b);
/* Append; 0, or -1 with errno E2BIG when the limit would be passed. */
int ops_buf_add(struct ops_buf *b, const void *p, size_t n) OPS_WUR;
/* ops_buf_adds for a buffer that must not fail: exits (code 3) over the
 * limit.  For buffers without a limit, where only memory can run out. */
void ops_buf_puts(struct ops_buf *b, const char *s);
int ops_buf_addc(struct ops_buf *b, int c) OPS_WUR;
int ops_buf_adds(struct ops_buf *b, const char *s) OPS_WUR;
int ops_buf_printf(struct ops_buf *b, const char *fmt, ...) OPS_WUR
    OPS_PRINTF(2, 3);
int ops_buf_vprintf(struct ops_buf *b, const char *fmt, va_list ap) OPS_WUR
    OPS_PRINTF(2, 0);
/* The contents as a C string ("" when empty); owned by the buffer. */
const char *ops_buf_cstr(const struct ops_buf *b);
/* Hand the contents (NUL-terminated, caller frees) over; buffer is emptied. */
char *ops_buf_detach(struct ops_buf *b, size_t *len);

#endif
