/*
 * clock.h - "now", deadlines, and RFC 3339 timestamps
 * SPDX-License-Identifier: MIT
 *
 * All wall-clock "now" goes through ops_clock_now(), which honours OPS_NOW
 * (tests only: an RFC 3339 timestamp, or "@" followed by Unix seconds).
 * ops_clock_init() validates OPS_NOW once, in main().  Deadlines and
 * timeouts use the monotonic clock.  Local time is the process's TZ
 * (tzset() is called by ops_clock_init()).
 *
 * Timestamps in stores are RFC 3339 with seconds and a numeric offset:
 * 2026-11-23T09:05:00+09:00.  Parsing accepts any offset and 'Z' (or 'z'),
 * 'T', 't' or one space between date and time, and an optional fraction of
 * a second (dropped).  It is fast (no libc time conversion): stores hold
 * millions of timestamps.
 */
#ifndef OPS_CLOCK_H
#define OPS_CLOCK_H

#include "compat.h"

#include <stdint.h>

struct ops_err;

/* Room for any timestamp ops_rfc3339_format() writes, NUL included. */
#define OPS_RFC3339_SIZE 40

/* tzset(); check OPS_NOW.  -1 with err (code 2) when OPS_NOW is malformed. */
int ops_clock_init(struct ops_err *err) OPS_WUR;

/* Seconds since the epoch: OPS_NOW when set (and valid), else time(). */
int64_t ops_clock_now(void);

/* Milliseconds of CLOCK_MONOTONIC, for deadlines. */
int64_t ops_clock_mono_ms(void);

/*
 * Parse an RFC 3339 timestamp of exactly len bytes (s need not be
 * NUL-terminated).  On success *t is seconds since the epoch and, when off
 * is not NULL, *off the offset east of UTC in seconds.  Returns 0, or -1
 * when malformed or out of range (years 1970-9999); never touches errno.
 */
int ops_rfc3339_parse(const char *s, size_t len, int64_t *t, int *off) OPS_WUR;

/*
 * Parse a time typed by a person: RFC 3339; or the same without an offset
 * ("2026-11-23T09:05", seconds optional, 'T' or space), taken in local time;
 * or a date alone ("2026-11-23", midnight local time); or "now".
 * -1 with err (code 2) naming the accepted forms.
 */
int ops_time_parse_user(const char *s, int64_t *t, struct ops_err *err) OPS_WUR;

/* Format t as local time with its numeric offset ("+09:00"); returns buf. */
char *ops_rfc3339_format(int64_t t, char buf[OPS_RFC3339_SIZE]);

/* Format t as UTC with "Z"; returns buf. */
char *ops_rfc3339_format_utc(int64_t t, char buf[OPS_RFC3339_SIZE]);

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1-12). */
int64_t ops_days_from_civil(int y, int m, int d);
/* The inverse of ops_days_from_civil. */
void ops_civil_from_days(int64_t days, int *y, int *m, int *d);

#endif
