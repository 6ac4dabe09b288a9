/*
 * mem.h - allocation that cannot return NULL
 * SPDX-License-Identifier: MIT
 *
 * Every size computation is overflow-checked.  On failure the functions print
 * "PROG: out of memory" and exit(3) through exit(), so atexit handlers (the
 * temporary-file registry of atomic.h) still run.  This is the one place
 * where lib/ exits.  Returned memory is the caller's, to free().
 */
#ifndef OPS_MEM_H
#define OPS_MEM_H

#include "compat.h"

void *ops_xmalloc(size_t size);
void *ops_xcalloc(size_t nmemb, size_t size);
void *ops_xreallocarray(void *ptr, size_t nmemb, size_t size);
char *ops_xstrdup(const char *s);
char *ops_xstrndup(const char *s, size_t n);
/* Grow *arr (of *cap elements of size) to hold at least need elements. */
void ops_xgrow(void **arr, size_t *cap, size_t need, size_t size);

#endif
