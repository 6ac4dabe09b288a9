/*
 * t-clock.c - unit tests for lib/clock.c: RFC 3339, civil days, OPS_NOW
 * SPDX-License-Identifier: MIT
 */
#include "compat.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "diag.h"
#include "tap.h"

#define T_2026 1795392300 /* 2026-11-23T00:05:00Z */

static const struct {
	const char *in;
	int64_t t;
	int off;
} good_cases[] = {
    {"2026-11-23T09:05:00+09:00", T_2026, 32400},
    {"2026-11-23T00:05:00Z", T_2026, 0},
    {"2026-11-23T00:05:00z", T_2026, 0},
    {"2026-11-23t00:05:00Z", T_2026, 0},
    {"2026-11-23 00:05:00Z", T_2026, 0},
    {"2026-11-23T00:05:00+00:00", T_2026, 0},
    {"2026-11-23T00:05:00-00:00", T_2026, 0},
    {"2026-11-23T09:05:00-05:30", 1795444500, -19800},
    {"2026-11-24T00:04:00+23:59", T_2026, 86340},
    {"2026-11-23T00:05:00.5Z", T_2026, 0},
    {"2026-11-23T09:05:00.000+09:00", T_2026, 32400},
    {"2026-11-23T00:05:00.999999999999999999999Z", T_2026, 0},
    {"2026-11-23T00:05:30Z", 1795392330, 0},
    {"1970-01-01T00:00:00Z", 0, 0},
    {"1970-01-01T09:00:00+09:00", 0, 32400},
    {"1970-01-01T00:00:00+09:00", -32400, 32400},
    {"2000-02-29T00:00:00Z", 951782400, 0},
    {"2024-02-29T12:00:00Z", 1709208000, 0},
    {"2100-02-28T23:59:59Z", 4107542399, 0},
    {"1999-12-31T23:59:59Z", 946684799, 0},
    {"2016-12-31T23:59:60Z", 1483228800, 0},
    {"2017-01-01T08:59:60+09:00", 1483228800, 32400},
    {"9999-12-31T23:59:59Z", 253402300799, 0},
};

static const struct {
	const char *in;
	const char *why;
} bad_cases[] = {
    {"", "empty"},
    {"2026-11-23", "date alone"},
    {"2026-11-23T09:05:00", "no offset"},
    {"2026-11-23T09:05Z", "no seconds"},
    {"2026-11-23T09:05+09:00", "no seconds with offset"},
    {"2023-02-29T00:00:00Z", "Feb 29 in a common year"},
    {"2100-02-29T00:00:00Z", "Feb 29 in 2100"},
    {"1900-02-29T00:00:00Z", "Feb 29 in 1900 (and before 1970)"},
    {"2026-02-30T00:00:00Z", "Feb 30"},
    {"2026-04-31T00:00:00Z", "April 31"},
    {"2026-01-32T00:00:00Z", "January 32"},
    {"2026-01-00T00:00:00Z", "day 0"},
    {"2026-00-10T00:00:00Z", "month 0"},
    {"2026-13-10T00:00:00Z", "month 13"},
    {"2026-11-23T24:00:00Z", "hour 24"},
    {"2026-11-23T23:60:00Z", "minute 60"},
    {"2026-11-23T23:59:61Z", "second 61"},
    {"2026-11-23T09:05:00+24:00", "offset hour 24"},
    {"2026-11-23T09:05:00+09:60", "offset minute 60"},
    {"2026-11-23T09:05:00+0900", "offset without colon"},
    {"2026-11-23T09:05:00+09", "offset without minutes"},
    {"2026-11-23T09:05:00+09:00:00", "offset with seconds"},
    {"2026-11-23T09:05:00 +09:00", "blank before offset"},
    {"2026-11-23T09:05:00+09:00 ", "trailing blank"},
    {" 2026-11-23T09:05:00+09:00", "leading blank"},
    {"2026-11-23T09:05:00ZZ", "two Zs"},
    {"2026-11-23T09:05:00.Z", "dot without digits"},
    {"2026-11-23T09:05:00.", "dot at the end"},
    {"2026-11-23T09:05:00.5", "fraction without offset"},
    {"2026-11-23T09:05:00,5Z", "comma fraction"},
    {"2026-11-23x09:05:00Z", "bad separator"},
    {"2026-11-23T09:05:00UTC", "zone name"},
    {"2026-11-23T9:05:00Z", "one-digit hour"},
    {"2026-1-23T09:05:00Z", "one-digit month"},
    {"2026/11/23T09:05:00Z", "slashes"},
    {"1969-12-31T23:59:59Z", "year 1969"},
    {"0000-01-01T00:00:00Z", "year 0"},
    {"+2026-11-23T09:05:00Z", "signed year"},
    {"20261-11-23T09:05:00Z", "five-digit year"},
    {"2026-11-23T09:05:0aZ", "letter in seconds"},
    {"2026-11-23T09:05:00\xef\xbc\xba", "fullwidth Z"},
};

static void
test_parse(void)
{
	int64_t t;
	size_t i;
	int off;

	for (i = 0; i < OPS_ARRAY_SIZE(good_cases); i++) {
		t = -1;
		off = -1;
		if (ops_rfc3339_parse(good_cases[i].in,
		        strlen(good_cases[i].in), &t, &off) != 0) {
			ok(0, "parse %s", good_cases[i].in);
			continue;
		}
		ok(t == good_cases[i].t && off == good_cases[i].off,
		    "parse %s is %lld offset %d", good_cases[i].in,
		    (long long)good_cases[i].t, good_cases[i].off);
		if (t != good_cases[i].t || off != good_cases[i].off)
			diag("got %lld offset %d", (long long)t, off);
	}
	for (i = 0; i < OPS_ARRAY_SIZE(bad_cases); i++) {
		t = 77;
		off = 77;
		ok(ops_rfc3339_parse(bad_cases[i].in, strlen(bad_cases[i].in),
		       &t, &off) == -1 &&
		        t == 77 && off == 77,
		    "parse rejects \"%s\" (%s)", bad_cases[i].in,
		    bad_cases[i].why);
	}
}

static void
test_parse_len(void)
{
	const char *s = "2026-11-23T09:05:00+09:00junk";
	char exact[20];
	int64_t t = 0;

	ok(ops_rfc3339_parse(s, 25, &t, NULL) == 0 && t == T_2026,
	    "parse stops at len and takes a NULL offset pointer");
	ok(ops_rfc3339_parse(s, 24, &t, NULL) == -1,
	    "parse rejects a timestamp cut by len");
	ok(ops_rfc3339_parse(s, strlen(s), &t, NULL) == -1,
	    "parse rejects bytes after the offset within len");
	memcpy(exact, "2026-11-23T00:05:00Z", 20); /* no NUL */
	ok(ops_rfc3339_parse(exact, sizeof(exact), &t, NULL) == 0 &&
	        t == T_2026,
	    "parse reads a buffer without NUL");
	ok(ops_rfc3339_parse(exact, 19, &t, NULL) == -1,
	    "parse rejects 19 bytes");
	ok(ops_rfc3339_parse(NULL, 0, &t, NULL) == -1, "parse rejects NULL");
}

static void
set_tz(const char *tz)
{
	if (setenv("TZ", tz, 1) != 0)
		bail_out("setenv TZ");
	tzset();
}

static void
test_format(void)
{
	static const int64_t ts[] = {
	    0,
	    1,
	    86399,
	    951782400,
	    1483228799,
	    1483228800,
	    T_2026,
	    1709208000,
	    4107542399,
	    253402300799 - 86400,
	};
	static const char *const zones[] = {"Asia/Tokyo", "UTC"};
	char buf[OPS_RFC3339_SIZE], again[OPS_RFC3339_SIZE];
	int64_t t;
	size_t i, z;
	int good, off;

	set_tz("Asia/Tokyo");
	is_str(ops_rfc3339_format(T_2026, buf), "2026-11-23T09:05:00+09:00",
	    "format in Asia/Tokyo has +09:00");
	is_str(ops_rfc3339_format_utc(T_2026, buf), "2026-11-23T00:05:00Z",
	    "format_utc in Asia/Tokyo has Z");
	set_tz("UTC");
	is_str(ops_rfc3339_format(T_2026, buf), "2026-11-23T00:05:00+00:00",
	    "format in UTC has +00:00, not Z");
	is_str(ops_rfc3339_format_utc(T_2026, buf), "2026-11-23T00:05:00Z",
	    "format_utc in UTC has Z");
	set_tz("America/New_York");
	is_str(ops_rfc3339_format(1782921600, buf), "2026-07-01T12:00:00-04:00",
	    "format in New York summer -04:00");
	set_tz("<+0530>-5:30");
	is_str(ops_rfc3339_format(T_2026, buf), "2026-11-23T05:35:00+05:30",
	    "format in a +05:30 zone");
	set_tz("<-0330>3:30");
	is_str(ops_rfc3339_format(T_2026, buf), "2026-11-22T20:35:00-03:30",
	    "format in a -03:30 zone");
	set_tz("<+004430>-0:44:30");
	is_str(ops_rfc3339_format(T_2026, buf), "2026-11-23T00:05:00+00:00",
	    "format in a zone of odd seconds falls back to UTC");
	set_tz("UTC");
	is_str(ops_rfc3339_format_utc(-1, buf), "1969-12-31T23:59:59Z",
	    "format_utc before the epoch");
	is_str(ops_rfc3339_format_utc(253402300799 + 1000, buf),
	    "9999-12-31T23:59:59Z", "format_utc clamps after year 9999");
	is_str(ops_rfc3339_format_utc(INT64_MIN, buf), "0000-01-01T00:00:00Z",
	    "format_utc clamps before year 0");
	is_str(ops_rfc3339_format(INT64_MAX, buf), "9999-12-30T23:59:59+00:00",
	    "format clamps after year 9999");

	for (z = 0; z < OPS_ARRAY_SIZE(zones); z++) {
		set_tz(zones[z]);
		good = 1;
		for (i = 0; i < OPS_ARRAY_SIZE(ts); i++) {
			ops_rfc3339_format(ts[i], buf);
			ops_rfc3339_format_utc(ts[i], again);
			if (ops_rfc3339_parse(buf, strlen(buf), &t, &off) ||
			    t != ts[i] || off != (z == 0 ? 32400 : 0) ||
			    ops_rfc3339_parse(again, strlen(again), &t, &off) ||
			    t != ts[i] || off != 0) {
				diag("%lld: %s %s", (long long)ts[i], buf,
				    again);
				good = 0;
			}
		}
		ok(good, "format then parse round trips in %s", zones[z]);
	}
	set_tz("Asia/Tokyo");
	good = 1;
	for (t = 0; t < 253402300799; t += 86400 * 97 + 3607) {
		int64_t back = -1;

		ops_rfc3339_format(t, buf);
		if (ops_rfc3339_parse(buf, strlen(buf), &back, NULL) ||
		    back != t) {
			diag("%lld: %s", (long long)t, buf);
			good = 0;
			break;
		}
	}
	ok(good, "round trip over years 1970-9999 in Asia/Tokyo");
}

static void
test_civil(void)
{
	static const struct {
		int y, m, d;
		int64_t days;
	} known[] = {
	    {1970, 1, 1, 0},
	    {1969, 12, 31, -1},
	    {2000, 3, 1, 11017},
	    {2026, 11, 23, 20780},
	    {1, 1, 1, -719162},
	    {0, 3, 1, -719468},
	};
	struct tm tm;
	time_t tt;
	int64_t day;
	size_t i;
	int y, m, d, good;

	for (i = 0; i < OPS_ARRAY_SIZE(known); i++) {
		ops_civil_from_days(known[i].days, &y, &m, &d);
		ok(ops_days_from_civil(known[i].y, known[i].m, known[i].d) ==
		            known[i].days &&
		        y == known[i].y && m == known[i].m && d == known[i].d,
		    "civil %04d-%02d-%02d is day %lld", known[i].y, known[i].m,
		    known[i].d, (long long)known[i].days);
	}
	good = 1;
	for (day = -800000; day <= 3000000 && good; day++) {
		ops_civil_from_days(day, &y, &m, &d);
		if (ops_days_from_civil(y, m, d) != day || m < 1 || m > 12 ||
		    d < 1 || d > 31)
			good = 0;
	}
	ok(good, "days_from_civil(civil_from_days(n)) == n for 3.8M days");
	good = 1;
	for (day = -25567; day <= 2932896 && good; day += 13) {
		tt = (time_t)(day * 86400);
		ops_civil_from_days(day, &y, &m, &d);
		if (gmtime_r(&tt, &tm) == NULL || tm.tm_year + 1900 != y ||
		    tm.tm_mon + 1 != m || tm.tm_mday != d)
			good = 0;
	}
	ok(good, "civil_from_days agrees with gmtime_r for 1900-9999");
	ops_civil_from_days(INT64_MAX, &y, &m, &d);
	ok(y > 700000000 && m >= 1 && m <= 12 && d >= 1 && d <= 31,
	    "civil_from_days clamps huge days");
	ok(ops_days_from_civil(2026, 2, 29) == ops_days_from_civil(2026, 3, 1),
	    "days_from_civil counts Feb 29 of a common year as Mar 1");
}

static void
test_user(void)
{
	static const struct {
		const char *in;
		int64_t t;
	} good[] = {
	    {"2026-11-23", 1795359600},
	    {"2026-11-23T09:05", T_2026},
	    {"2026-11-23t09:05", T_2026},
	    {"2026-11-23 09:05", T_2026},
	    {"2026-11-23 09:05:30", 1795392330},
	    {"2026-11-23T09:05:30", 1795392330},
	    {"2026-11-23T00:05:00Z", T_2026},
	    {"2026-11-23T04:05:00+04:00", T_2026},
	    {"2024-02-29", 1709132400},
	    {"now", 1700000000},
	};
	static const char *const bad[] = {
	    "",
	    "yesterday",
	    "2026-11-23T09",
	    "2026-11-23 9:05",
	    "2026-02-29",
	    "2026-11-23T24:00",
	    "2026-11-23 09:05:00.5",
	    " 2026-11-23",
	    "2026-11-23 ",
	    "2026-11-23T09:05+09:00",
	    "NOW",
	    "2026-11-23T09:05:00.5",
	};
	struct ops_err err;
	int64_t t;
	size_t i;

	set_tz("Asia/Tokyo");
	if (setenv("OPS_NOW", "@1700000000", 1) != 0)
		bail_out("setenv OPS_NOW");
	if (ops_clock_init(&err) != 0)
		bail_out("ops_clock_init: %s", err.msg);
	for (i = 0; i < OPS_ARRAY_SIZE(good); i++) {
		t = -1;
		ops_err_clear(&err);
		if (ops_time_parse_user(good[i].in, &t, &err) != 0)
			diag("error: %s", err.msg);
		is_int(
		    t, good[i].t, "user time \"%s\" in Asia/Tokyo", good[i].in);
	}
	for (i = 0; i < OPS_ARRAY_SIZE(bad); i++) {
		t = 77;
		ops_err_clear(&err);
		ok(ops_time_parse_user(bad[i], &t, &err) == -1 && t == 77 &&
		        err.code == 2 && strstr(err.msg, "is not a time") &&
		        strstr(err.msg, "2026-11-23T09:05:00+09:00"),
		    "user time rejects \"%s\" naming the forms", bad[i]);
	}
	set_tz("America/New_York");
	ok(ops_time_parse_user("2026-07-01 12:00", &t, &err) == 0 &&
	        t == 1782921600,
	    "user time in New York summer is -04:00");
	ok(ops_time_parse_user("2026-03-08 02:30", &t, &err) == 0 &&
	        t >= 1772951400 && t <= 1772955000,
	    "user time in a DST gap gives a time near the gap");
	set_tz("UTC");
	ok(ops_time_parse_user("2026-11-23 00:05", &t, &err) == 0 &&
	        t == T_2026,
	    "user time in UTC");
	unsetenv("OPS_NOW");
}

static void
test_now(void)
{
	static const struct {
		const char *env;
		int64_t want; /* -1: real time */
	} good[] = {
	    {"@1700000000", 1700000000},
	    {"@0", 0},
	    {"2026-11-23T09:05:00+09:00", T_2026},
	    {"2026-11-23T00:05:00Z", T_2026},
	    {"", -1},
	};
	static const char *const bad[] = {
	    "@",
	    "@-5",
	    "@12x",
	    "@ 12",
	    "1700000000",
	    "2026-11-23",
	    "tomorrow",
	    "@253402300800",
	};
	struct ops_err err;
	int64_t now, real;
	size_t i;

	for (i = 0; i < OPS_ARRAY_SIZE(good); i++) {
		if (setenv("OPS_NOW", good[i].env, 1) != 0)
			bail_out("setenv OPS_NOW");
		ops_err_clear(&err);
		if (ops_clock_init(&err) != 0) {
			ok(0, "OPS_NOW=\"%s\" is accepted: %s", good[i].env,
			    err.msg);
			continue;
		}
		now = ops_clock_now();
		real = (int64_t)time(NULL);
		if (good[i].want >= 0)
			is_int(now, good[i].want, "OPS_NOW=\"%s\" fixes now",
			    good[i].env);
		else
			ok(now >= real - 5 && now <= real + 5,
			    "OPS_NOW=\"%s\" means the real time", good[i].env);
	}
	for (i = 0; i < OPS_ARRAY_SIZE(bad); i++) {
		if (setenv("OPS_NOW", bad[i], 1) != 0)
			bail_out("setenv OPS_NOW");
		ops_err_clear(&err);
		ok(ops_clock_init(&err) == -1 && err.code == 2 &&
		        strstr(err.msg, "OPS_NOW") != NULL &&
		        ops_clock_now() >= (int64_t)time(NULL) - 5,
		    "OPS_NOW=\"%s\" is refused, now is real", bad[i]);
	}
	unsetenv("OPS_NOW");
	ok(ops_clock_init(&err) == 0 &&
	        ops_clock_now() >= (int64_t)time(NULL) - 5,
	    "no OPS_NOW means the real time");
}

static void
test_mono(void)
{
	int64_t a, b;

	a = ops_clock_mono_ms();
	b = ops_clock_mono_ms();
	ok(a > 0 && b >= a, "monotonic clock does not go back");
}

int
main(void)
{
	test_parse();
	test_parse_len();
	test_format();
	test_civil();
	test_user();
	test_now();
	test_mono();
	return done_testing();
}
