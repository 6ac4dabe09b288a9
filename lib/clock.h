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

/*
 * tzset(); read and check OPS_NOW once and keep its value for
 * ops_clock_now().  An empty OPS_NOW counts as unset.  -1 with err (code 2)
 * when OPS_NOW is malformed; "now" is then the real time.  May be called
 * again (tests change OPS_NOW or TZ and call it again).
 */
int ops_clock_init(struct ops_err *err) OPS_WUR;

/*
 * Seconds since the epoch: OPS_NOW when set (and valid), else time().
 * Without a prior ops_clock_init() the first call does its work itself
 * (errors ignored).  Cannot fail.
 */
int64_t ops_clock_now(void);

/* Milliseconds of CLOCK_MONOTONIC, for deadlines. */
int64_t ops_clock_mono_ms(void);

/*
 * Parse an RFC 3339 timestamp of exactly len bytes (s need not be
 * NUL-terminated): "YYYY-MM-DD", 'T', 't' or ' ', "HH:MM:SS", optional
 * '.' and one or more digits, then 'Z', 'z' or "+HH:MM"/"-HH:MM" (hours
 * 0-23, minutes 0-59; "-00:00" is read as UTC).  On success *t is seconds
 * since the epoch and, when off is not NULL, *off the offset east of UTC in
 * seconds.  The day must exist (Feb 29 only in leap years).  Second 60 (a
 * leap second) is accepted in any minute and counts as the next second:
 * 23:59:60Z is the same instant as 00:00:00Z of the next day.  The fraction
 * is dropped (rounded down).  Returns 0, or -1 when malformed or out of
 * range (the year as written must be 1970-9999, so *t may be negative by
 * the offset on 1970-01-01); never touches errno, *t or *off on failure.
 */
int ops_rfc3339_parse(const char *s, size_t len, int64_t *t, int *off) OPS_WUR;

/*
 * Parse a time typed by a person: RFC 3339; or the same without an offset
 * and fraction ("2026-11-23T09:05", seconds optional, 'T', 't' or space),
 * taken in local time; or a date alone ("2026-11-23", midnight local time);
 * or "now" (ops_clock_now()).  Local times go through mktime() with
 * tm_isdst = -1: a time skipped by a DST change moves as mktime moves it.
 * -1 with err (code 2) naming the accepted forms; *t unchanged.
 */
int ops_time_parse_user(const char *s, int64_t *t, struct ops_err *err) OPS_WUR;

/*
 * Format t as local time with its numeric offset, never 'Z'
 * ("2026-11-23T09:05:00+09:00", "...+00:00" when the zone is UTC).  A zone
 * whose offset is not whole minutes (local mean time before 1972 in a few
 * zones) gets UTC with "+00:00" instead.  t is clamped to years 0000-9999.
 * Cannot fail; returns buf.
 */
char *ops_rfc3339_format(int64_t t, char buf[OPS_RFC3339_SIZE]);

/*
 * Format t as UTC with "Z" ("2026-11-23T00:05:00Z"), without libc time
 * functions.  t is clamped to years 0000-9999.  Returns buf.
 */
char *ops_rfc3339_format_utc(int64_t t, char buf[OPS_RFC3339_SIZE]);

/*
 * Days since 1970-01-01 of a proleptic Gregorian date (month 1-12; a day
 * outside the month counts on from its first day), by Howard Hinnant's
 * days_from_civil.  Any int year works.
 */
int64_t ops_days_from_civil(int y, int m, int d);
/*
 * The inverse of ops_days_from_civil.  days is clamped to +-700 million
 * years' worth so that the year fits an int.
 */
void ops_civil_from_days(int64_t days, int *y, int *m, int *d);

#endif
