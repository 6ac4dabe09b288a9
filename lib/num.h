/*
 * num.h - bounded parsing of integers, durations and sizes
 * SPDX-License-Identifier: MIT
 *
 * Like OpenBSD's strtonum: the whole string must be the number (no leading
 * or trailing space, no empty string), the result must lie in [min, max],
 * and on failure *errstr says why in a few words ("is not a number", "is too
 * small", "is too large", "has an unknown unit").  Nothing here allocates or
 * prints; errstr points to a static string.
 */
#ifndef OPS_NUM_H
#define OPS_NUM_H

#include "compat.h"

/* Decimal integer, optional leading '-' or '+'.  0, or -1 with *errstr. */
int ops_parse_int(const char *s, long long min, long long max, long long *out,
    const char **errstr) OPS_WUR;

/*
 * Duration into milliseconds: a non-negative integer followed by a unit,
 * "ms", "s", "m", "h", "d" or "w"; several may follow each other ("1h30m").
 * A bare integer is taken in unit_ms (1000 for seconds).  Result at most
 * 100 years.  0, or -1 with *errstr.
 */
int ops_parse_duration_ms(const char *s, long long unit_ms, long long *ms,
    const char **errstr) OPS_WUR;

/*
 * Size into bytes: an integer with an optional suffix k, M, G, T (powers of
 * 1024; "K", "kB", "MB"... accepted as logrotate does).  0, or -1 with *errstr.
 */
int ops_parse_size(const char *s, unsigned long long *bytes,
    const char **errstr) OPS_WUR;

/*
 * Format a duration in seconds for people: "45s", "5m", "2h05m", "3d04h".
 * Negative durations get a leading '-'.  Returns buf.
 */
char *ops_format_duration(long long seconds, char *buf, size_t size);

#endif
