/*
 * num.h - bounded parsing of integers, durations and sizes
 * SPDX-License-Identifier: MIT
 *
 * Like OpenBSD's strtonum: the whole string must be the number (no leading
 * or trailing space, no empty string), the result must lie in [min, max],
 * and on failure *errstr says why in a few words ("is not a number", "is too
 * small", "is too large", "is negative", "has no unit", "has an unknown
 * unit", "has units out of order"), written to follow the quoted input in a
 * message: "\"5x\" has an unknown unit".  Nothing here allocates or prints;
 * errstr points to a static string.  On failure *out is left unchanged.
 */
#ifndef OPS_NUM_H
#define OPS_NUM_H

#include "compat.h"

/* Decimal integer, optional leading '-' or '+'.  0, or -1 with *errstr. */
int ops_parse_int(const char *s, long long min, long long max, long long *out,
    const char **errstr) OPS_WUR;

/*
 * Duration into milliseconds: a non-negative integer followed by a unit,
 * "ms", "s", "m", "h", "d" or "w" (lowercase; "m" is minutes); several may
 * follow each other, largest first, each unit at most once ("1h30m",
 * "1d12h", "1m30s500ms"; not "30m1h").  A bare integer, alone, is taken in
 * unit_ms (1000 for seconds; 0 rejects it: "has no unit").  A bare integer
 * after another component ("1h30") has no unit.  The result is at most 100
 * years of 365.25 days ("is too large"), so no sum can overflow.
 * 0, or -1 with *errstr.
 */
int ops_parse_duration_ms(const char *s, long long unit_ms, long long *ms,
    const char **errstr) OPS_WUR;

/*
 * Size into bytes: a non-negative integer with an optional suffix k or K,
 * M, G, T, each a power of 1024, optionally followed by "B" or "iB"
 * ("10M", "10MB" and "10MiB" all mean 10485760: like logrotate, "kB" and
 * "MB" are 1024-based here, not SI).  A plain "B" ("512B") means bytes.
 * Lowercase m, g, t and "b" are rejected.  0, or -1 with *errstr.
 */
int ops_parse_size(const char *s, unsigned long long *bytes,
    const char **errstr) OPS_WUR;

/*
 * Format a duration in seconds for people, with at most two units: the
 * largest unit that fits (s, m, h or d; no weeks), then the next smaller
 * one as two digits, left out when zero; what is below that is dropped
 * (rounded toward zero):
 *   45 -> "45s", 300 -> "5m", 330 -> "5m30s", 7500 -> "2h05m",
 *   7200 -> "2h", 273600 -> "3d04h", 259200 -> "3d".
 * Negative durations get a leading '-'.  The text is cut to fit size (24
 * bytes are always enough); returns buf.
 */
char *ops_format_duration(long long seconds, char *buf, size_t size);

#endif
