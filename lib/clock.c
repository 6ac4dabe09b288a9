/*
 * clock.c - "now", deadlines, and RFC 3339 timestamps
 * SPDX-License-Identifier: MIT
 *
 * The RFC 3339 parser reads fixed positions by hand and converts with
 * Howard Hinnant's days_from_civil (http://howardhinnant.github.io/
 * date_algorithms.html): no sscanf, no mktime/timegm, no allocation.
 */
#include "compat.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "diag.h"
#include "exitcode.h"
#include "num.h"

/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z. */
#define T_MIN (-62167219200LL)
#define T_MAX 253402300799LL
/* 400 years are 146097 days; 1,750,000 of them are 700 million years. */
#define DAYS_LIMIT (146097LL * 1750000)

enum { NOW_UNKNOWN, NOW_REAL, NOW_FIXED };

/* What OPS_NOW said, read once by ops_clock_init(). */
static int now_state = NOW_UNKNOWN;
static int64_t now_fixed;

struct civil {
	int y, mo, d, h, mi, s;
};

int64_t
ops_days_from_civil(int yy, int m, int d)
{
	int64_t y = (int64_t)yy - (m <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t mp = ((int64_t)m + 9) % 12;
	int64_t doy = (153 * mp + 2) / 5 + (int64_t)d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

void
ops_civil_from_days(int64_t days, int *y, int *m, int *d)
{
	int64_t z, era, doe, yoe, doy, mp, mm;

	if (days > DAYS_LIMIT)
		days = DAYS_LIMIT;
	if (days < -DAYS_LIMIT)
		days = -DAYS_LIMIT;
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	mm = mp < 10 ? mp + 3 : mp - 9;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)mm;
	*y = (int)(yoe + era * 400 + (mm <= 2));
}

static bool
is_leap(int y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int
month_days(int y, int m)
{
	static const unsigned char days[12] = {
	    31,
	    28,
	    31,
	    30,
	    31,
	    30,
	    31,
	    31,
	    30,
	    31,
	    30,
	    31,
	};

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Two decimal digits at s into *v. */
static bool
two(const char *s, int *v)
{
	unsigned a = (unsigned)(unsigned char)s[0] - '0';
	unsigned b = (unsigned)(unsigned char)s[1] - '0';

	if (a > 9 || b > 9)
		return false;
	*v = (int)(a * 10 + b);
	return true;
}

/* "YYYY-MM-DD" at s (10 bytes), a real day of years 1970-9999. */
static bool
parse_date(const char *s, struct civil *c)
{
	int hi, lo;

	if (!two(s, &hi) || !two(s + 2, &lo) || s[4] != '-' ||
	    !two(s + 5, &c->mo) || s[7] != '-' || !two(s + 8, &c->d))
		return false;
	c->y = hi * 100 + lo;
	return c->y >= 1970 && c->mo >= 1 && c->mo <= 12 && c->d >= 1 &&
	    c->d <= month_days(c->y, c->mo);
}

/* "HH:MM" at s (5 bytes). */
static bool
parse_hm(const char *s, struct civil *c)
{
	return two(s, &c->h) && c->h <= 23 && s[2] == ':' &&
	    two(s + 3, &c->mi) && c->mi <= 59;
}

/* ":SS" at s (3 bytes), 60 allowed. */
static bool
parse_sec(const char *s, struct civil *c)
{
	return s[0] == ':' && two(s + 1, &c->s) && c->s <= 60;
}

static bool
is_datetime_sep(char ch)
{
	return ch == 'T' || ch == 't' || ch == ' ';
}

int
ops_rfc3339_parse(const char *s, size_t len, int64_t *t, int *off)
{
	struct civil c;
	size_t p = 19, start;
	int oh, om, o;

	/* YYYY-MM-DDTHH:MM:SSZ is the shortest form */
	if (s == NULL || len < 20 || !parse_date(s, &c) ||
	    !is_datetime_sep(s[10]) || !parse_hm(s + 11, &c) ||
	    !parse_sec(s + 16, &c))
		return -1;
	if (s[p] == '.') {
		start = ++p;
		while (p < len && (unsigned)(unsigned char)s[p] - '0' <= 9)
			p++;
		if (p == start || p == len)
			return -1;
	}
	if (s[p] == 'Z' || s[p] == 'z') {
		if (len - p != 1)
			return -1;
		o = 0;
	} else if (s[p] == '+' || s[p] == '-') {
		if (len - p != 6 || !two(s + p + 1, &oh) || oh > 23 ||
		    s[p + 3] != ':' || !two(s + p + 4, &om) || om > 59)
			return -1;
		o = (oh * 60 + om) * 60;
		if (s[p] == '-')
			o = -o;
	} else
		return -1;
	*t = ops_days_from_civil(c.y, c.mo, c.d) * 86400 + c.h * 3600 +
	    c.mi * 60 + c.s - o;
	if (off)
		*off = o;
	return 0;
}

static int
load_now(struct ops_err *err)
{
	const char *v, *errstr;
	long long n;
	int64_t t;

	tzset();
	now_state = NOW_REAL;
	v = getenv("OPS_NOW");
	if (v == NULL || *v == '\0')
		return 0;
	if (v[0] == '@' && v[1] >= '0' && v[1] <= '9' &&
	    ops_parse_int(v + 1, 0, T_MAX, &n, &errstr) == 0) {
		now_fixed = n;
		now_state = NOW_FIXED;
		return 0;
	}
	if (v[0] != '@' && ops_rfc3339_parse(v, strlen(v), &t, NULL) == 0) {
		now_fixed = t;
		now_state = NOW_FIXED;
		return 0;
	}
	return ops_err_set(err, OPS_EXIT_USAGE,
	    "OPS_NOW=\"%.64s\" is neither an RFC 3339 time "
	    "(2026-11-23T09:05:00+09:00) nor @SECONDS",
	    v);
}

int
ops_clock_init(struct ops_err *err)
{
	return load_now(err);
}

int64_t
ops_clock_now(void)
{
	if (now_state == NOW_UNKNOWN)
		(void)load_now(NULL);
	if (now_state == NOW_FIXED)
		return now_fixed;
	return (int64_t)time(NULL);
}

int64_t
ops_clock_mono_ms(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail on Linux with a valid pointer. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
ops_time_parse_user(const char *s, int64_t *t, struct ops_err *err)
{
	struct civil c;
	struct tm tm;
	size_t len = strlen(s);
	time_t r;

	if (strcmp(s, "now") == 0) {
		*t = ops_clock_now();
		return 0;
	}
	if (ops_rfc3339_parse(s, len, t, NULL) == 0)
		return 0;
	c.h = c.mi = c.s = 0;
	if (len != 10 && len != 16 && len != 19)
		goto bad;
	if (!parse_date(s, &c))
		goto bad;
	if (len > 10 && (!is_datetime_sep(s[10]) || !parse_hm(s + 11, &c)))
		goto bad;
	if (len > 16 && !parse_sec(s + 16, &c))
		goto bad;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = c.y - 1900;
	tm.tm_mon = c.mo - 1;
	tm.tm_mday = c.d;
	tm.tm_hour = c.h;
	tm.tm_min = c.mi;
	tm.tm_sec = c.s;
	tm.tm_isdst = -1;
	tm.tm_wday = -1; /* mktime sets it on success: -1 can mean a time */
	r = mktime(&tm);
	if (tm.tm_wday == -1)
		return ops_err_set(err, OPS_EXIT_USAGE,
		    "\"%.64s\" cannot be converted to local time", s);
	*t = (int64_t)r;
	return 0;
bad:
	return ops_err_set(err, OPS_EXIT_USAGE,
	    "\"%.64s\" is not a time; use 2026-11-23T09:05:00+09:00, "
	    "2026-11-23T09:05 or 2026-11-23 09:05[:00] (local time), "
	    "2026-11-23 (midnight) or now",
	    s);
}

/* Write v as n decimal digits (v >= 0, fits). */
static char *
put_digits(char *p, int v, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + n;
}

/* "YYYY-MM-DDTHH:MM:SS" into buf; returns the end. */
static char *
put_civil(char *p, const struct civil *c)
{
	p = put_digits(p, c->y, 4);
	*p++ = '-';
	p = put_digits(p, c->mo, 2);
	*p++ = '-';
	p = put_digits(p, c->d, 2);
	*p++ = 'T';
	p = put_digits(p, c->h, 2);
	*p++ = ':';
	p = put_digits(p, c->mi, 2);
	*p++ = ':';
	return put_digits(p, c->s, 2);
}

/* Break t (within T_MIN..T_MAX) into UTC fields. */
static void
utc_civil(int64_t t, struct civil *c)
{
	int64_t days = t / 86400, rem = t % 86400;

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	ops_civil_from_days(days, &c->y, &c->mo, &c->d);
	c->h = (int)(rem / 3600);
	c->mi = (int)(rem % 3600 / 60);
	c->s = (int)(rem % 60);
}

static int64_t
clamp(int64_t t, int64_t lo, int64_t hi)
{
	return t < lo ? lo : t > hi ? hi : t;
}

char *
ops_rfc3339_format_utc(int64_t t, char buf[OPS_RFC3339_SIZE])
{
	struct civil c;
	char *p;

	utc_civil(clamp(t, T_MIN, T_MAX), &c);
	p = put_civil(buf, &c);
	*p++ = 'Z';
	*p = '\0';
	return buf;
}

char *
ops_rfc3339_format(int64_t t, char buf[OPS_RFC3339_SIZE])
{
	struct civil c;
	struct tm tm;
	time_t tt;
	long off;
	char *p;

	/* a day inside the range, so that local years stay 0000-9999 */
	t = clamp(t, T_MIN + 86400, T_MAX - 86400);
	tt = (time_t)t;
	if (localtime_r(&tt, &tm) == NULL || tm.tm_gmtoff % 60 != 0) {
		utc_civil(t, &c);
		off = 0;
	} else {
		c.y = tm.tm_year + 1900;
		c.mo = tm.tm_mon + 1;
		c.d = tm.tm_mday;
		c.h = tm.tm_hour;
		c.mi = tm.tm_min;
		c.s = tm.tm_sec;
		off = tm.tm_gmtoff / 60;
	}
	p = put_civil(buf, &c);
	*p++ = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	p = put_digits(p, (int)(off / 60 % 100), 2);
	*p++ = ':';
	p = put_digits(p, (int)(off % 60), 2);
	*p = '\0';
	return buf;
}
