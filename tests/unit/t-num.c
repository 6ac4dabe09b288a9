/*
 * t-num.c - unit tests for lib/num.c: integers, durations, sizes
 * SPDX-License-Identifier: MIT
 */
#include "compat.h"

#include <limits.h>
#include <string.h>

#include "num.h"
#include "tap.h"

#define SENTINEL 4242

static const struct {
	const char *in;
	long long min, max;
	long long want;
	const char *err; /* NULL: must succeed */
} int_cases[] = {
    {"0", 0, 10, 0, NULL},
    {"10", 0, 10, 10, NULL},
    {"+7", 0, 10, 7, NULL},
    {"-7", -10, 10, -7, NULL},
    {"007", 0, 10, 7, NULL},
    {"9223372036854775807", LLONG_MIN, LLONG_MAX, LLONG_MAX, NULL},
    {"-9223372036854775808", LLONG_MIN, LLONG_MAX, LLONG_MIN, NULL},
    {"9223372036854775808", LLONG_MIN, LLONG_MAX, 0, "is too large"},
    {"-9223372036854775809", LLONG_MIN, LLONG_MAX, 0, "is too small"},
    {"99999999999999999999999", LLONG_MIN, LLONG_MAX, 0, "is too large"},
    {"11", 0, 10, 0, "is too large"},
    {"-1", 0, 10, 0, "is too small"},
    {"", 0, 10, 0, "is not a number"},
    {" 5", 0, 10, 0, "is not a number"},
    {"5 ", 0, 10, 0, "is not a number"},
    {"5x", 0, 10, 0, "is not a number"},
    {"0x5", 0, 10, 0, "is not a number"},
    {"-", 0, 10, 0, "is not a number"},
    {"+-5", -10, 10, 0, "is not a number"},
    {"1e3", 0, 10000, 0, "is not a number"},
    {"99999999999999999999x", 0, 10, 0, "is not a number"},
    {"5", 10, 0, 0, "has impossible bounds"},
};

#define H (3600LL * 1000)
#define D (24 * H)

static const struct {
	const char *in;
	long long unit_ms;
	long long want;
	const char *err;
} dur_cases[] = {
    {"200ms", 1000, 200, NULL},
    {"90s", 1000, 90000, NULL},
    {"5m", 1000, 300000, NULL},
    {"26h", 1000, 26 * H, NULL},
    {"30d", 1000, 30 * D, NULL},
    {"1w", 1000, 7 * D, NULL},
    {"1h30m", 1000, 90 * 60000LL, NULL},
    {"1d12h", 1000, 36 * H, NULL},
    {"1m30s500ms", 1000, 90500, NULL},
    {"0", 1000, 0, NULL},
    {"0s", 1000, 0, NULL},
    {"90", 1000, 90000, NULL},
    {"90", 1, 90, NULL},
    {"90", 60000, 90 * 60000LL, NULL},
    {"5217w", 1000, 5217 * 7 * D, NULL},
    {"36525d", 1000, 36525 * D, NULL},
    {"36525d1ms", 1000, 0, "is too large"},
    {"36526d", 1000, 0, "is too large"},
    {"5218w", 1000, 0, "is too large"},
    {"9223372036854775807ms", 1000, 0, "is too large"},
    {"99999999999999999999999s", 1000, 0, "is too large"},
    {"3155760000001", 1, 0, "is too large"},
    {"", 1000, 0, "is not a number"},
    {" 5s", 1000, 0, "is not a number"},
    {"5 s", 1000, 0, "has an unknown unit"},
    {"5s ", 1000, 0, "has an unknown unit"},
    {"-5s", 1000, 0, "is negative"},
    {"+5s", 1000, 0, "is not a number"},
    {"5x", 1000, 0, "has an unknown unit"},
    {"5S", 1000, 0, "has an unknown unit"},
    {"5M", 1000, 0, "has an unknown unit"},
    {"5sec", 1000, 0, "has an unknown unit"},
    {"1.5h", 1000, 0, "has an unknown unit"},
    {"s", 1000, 0, "is not a number"},
    {"h1", 1000, 0, "is not a number"},
    {"1h30", 1000, 0, "has no unit"},
    {"90", 0, 0, "has no unit"},
    {"30m1h", 1000, 0, "has units out of order"},
    {"1h1h", 1000, 0, "has units out of order"},
    {"1s1m", 1000, 0, "has units out of order"},
};

static const struct {
	const char *in;
	unsigned long long want;
	const char *err;
} size_cases[] = {
    {"0", 0, NULL},
    {"512", 512, NULL},
    {"512B", 512, NULL},
    {"1k", 1024, NULL},
    {"1K", 1024, NULL},
    {"1kB", 1024, NULL},
    {"1KiB", 1024, NULL},
    {"10M", 10485760, NULL},
    {"10MB", 10485760, NULL},
    {"10MiB", 10485760, NULL},
    {"3G", 3ULL << 30, NULL},
    {"2T", 2ULL << 40, NULL},
    {"2TB", 2ULL << 40, NULL},
    {"16777215T", 16777215ULL << 40, NULL},
    {"18446744073709551615", ULLONG_MAX, NULL},
    {"16777216T", 0, "is too large"},
    {"18446744073709551616", 0, "is too large"},
    {"", 0, "is not a number"},
    {"M", 0, "is not a number"},
    {" 1M", 0, "is not a number"},
    {"-1M", 0, "is negative"},
    {"1 M", 0, "has an unknown unit"},
    {"1M ", 0, "has an unknown unit"},
    {"1m", 0, "has an unknown unit"},
    {"1g", 0, "has an unknown unit"},
    {"1Mb", 0, "has an unknown unit"},
    {"1MBB", 0, "has an unknown unit"},
    {"1iB", 0, "has an unknown unit"},
    {"1Bi", 0, "has an unknown unit"},
    {"1P", 0, "has an unknown unit"},
    {"1.5M", 0, "has an unknown unit"},
};

static const struct {
	long long secs;
	const char *want;
} fmt_cases[] = {
    {0, "0s"},
    {45, "45s"},
    {59, "59s"},
    {60, "1m"},
    {300, "5m"},
    {330, "5m30s"},
    {305, "5m05s"},
    {3599, "59m59s"},
    {3600, "1h"},
    {7200, "2h"},
    {7500, "2h05m"},
    {7559, "2h05m"},
    {86399, "23h59m"},
    {86400, "1d"},
    {259200, "3d"},
    {273600, "3d04h"},
    {277199, "3d04h"},
    {36500LL * 86400, "36500d"},
    {-45, "-45s"},
    {-7500, "-2h05m"},
    {LLONG_MAX, "106751991167300d15h"},
    {LLONG_MIN, "-106751991167300d15h"},
};

static void
test_int(void)
{
	const char *errstr;
	long long v;
	size_t i;
	int r;

	for (i = 0; i < OPS_ARRAY_SIZE(int_cases); i++) {
		v = SENTINEL;
		errstr = NULL;
		r = ops_parse_int(int_cases[i].in, int_cases[i].min,
		    int_cases[i].max, &v, &errstr);
		if (int_cases[i].err == NULL)
			is_int(r == 0 ? v : -SENTINEL, int_cases[i].want,
			    "int \"%s\" in [%lld, %lld] is %lld",
			    int_cases[i].in, int_cases[i].min, int_cases[i].max,
			    int_cases[i].want);
		else
			is_str(r == -1 && v == SENTINEL ? errstr : "(accepted)",
			    int_cases[i].err, "int \"%s\" in [%lld, %lld] %s",
			    int_cases[i].in, int_cases[i].min, int_cases[i].max,
			    int_cases[i].err);
	}
	errstr = NULL;
	ok(ops_parse_int(NULL, 0, 1, &v, &errstr) == -1 && errstr &&
	        strcmp(errstr, "is not a number") == 0,
	    "int NULL is not a number");
}

static void
test_duration(void)
{
	const char *errstr;
	long long v;
	size_t i;
	int r;

	for (i = 0; i < OPS_ARRAY_SIZE(dur_cases); i++) {
		v = SENTINEL;
		errstr = NULL;
		r = ops_parse_duration_ms(
		    dur_cases[i].in, dur_cases[i].unit_ms, &v, &errstr);
		if (dur_cases[i].err == NULL)
			is_int(r == 0 ? v : -SENTINEL, dur_cases[i].want,
			    "duration \"%s\" (bare unit %lld ms) is %lld ms",
			    dur_cases[i].in, dur_cases[i].unit_ms,
			    dur_cases[i].want);
		else
			is_str(r == -1 && v == SENTINEL ? errstr : "(accepted)",
			    dur_cases[i].err,
			    "duration \"%s\" (bare unit %lld ms) %s",
			    dur_cases[i].in, dur_cases[i].unit_ms,
			    dur_cases[i].err);
	}
}

static void
test_size(void)
{
	unsigned long long v;
	const char *errstr;
	size_t i;
	int r;

	for (i = 0; i < OPS_ARRAY_SIZE(size_cases); i++) {
		v = SENTINEL;
		errstr = NULL;
		r = ops_parse_size(size_cases[i].in, &v, &errstr);
		if (size_cases[i].err == NULL)
			ok(r == 0 && v == size_cases[i].want,
			    "size \"%s\" is %llu bytes", size_cases[i].in,
			    size_cases[i].want);
		else
			is_str(r == -1 && v == SENTINEL ? errstr : "(accepted)",
			    size_cases[i].err, "size \"%s\" %s",
			    size_cases[i].in, size_cases[i].err);
	}
}

static void
test_format(void)
{
	char buf[32], small[4];
	size_t i;

	for (i = 0; i < OPS_ARRAY_SIZE(fmt_cases); i++)
		is_str(ops_format_duration(fmt_cases[i].secs, buf, sizeof(buf)),
		    fmt_cases[i].want, "format %lld s as \"%s\"",
		    fmt_cases[i].secs, fmt_cases[i].want);
	is_str(ops_format_duration(7500, small, sizeof(small)), "2h0",
	    "format into a short buffer cuts the text");
	buf[0] = 'x';
	ok(ops_format_duration(45, buf, 0) == buf && buf[0] == 'x',
	    "format into size 0 writes nothing");
}

int
main(void)
{
	test_int();
	test_duration();
	test_size();
	test_format();
	return done_testing();
}
