/*
 * tap.h - a tiny TAP emitter for the C unit tests
 * SPDX-License-Identifier: MIT
 *
 * plan(n) or done_testing(); ok()/is_int()/is_str()/is_mem() print one TAP
 * line each, with "# got"/"# expected" diagnostics on failure.  main()
 * returns done_testing(), whose value is the number of failures (capped).
 */
#ifndef OPS_TAP_H
#define OPS_TAP_H

#include "compat.h"

#include <stddef.h>

void plan(int n);
int ok(int cond, const char *fmt, ...) OPS_PRINTF(2, 3);
int is_int(long long got, long long want, const char *fmt, ...)
    OPS_PRINTF(3, 4);
int is_str(const char *got, const char *want, const char *fmt, ...)
    OPS_PRINTF(3, 4);
int is_mem(const void *got, size_t glen, const void *want, size_t wlen,
    const char *fmt, ...) OPS_PRINTF(5, 6);
void skip(int n, const char *why);
void diag(const char *fmt, ...) OPS_PRINTF(1, 2);
OPS_NORETURN void bail_out(const char *fmt, ...) OPS_PRINTF(1, 2);
int done_testing(void);

#endif
