/*
 * t-range.c - unit tests for lib/range.c: Monitoring Plugins ranges
 * SPDX-License-Identifier: MIT
 */
#include "compat.h"

#include <math.h>
#include <string.h>

#include "range.h"
#include "tap.h"

#define DUR OPS_RANGE_DURATION
#define INF 1 /* marks an infinite end in the table */

/* clang-format off */
static const struct {
	const char *in;
	unsigned flags;
	bool inside;
	int lo_inf, hi_inf;
	double lo, hi;
	const char *canon; /* ops_range_format(scale 1) */
	const char *err;   /* NULL: must parse */
} cases[] = {
    /* the five forms */
    {"10", 0, false, 0, 0, 0, 10, "10", NULL},
    {"10:", 0, false, 0, INF, 10, 0, "10:", NULL},
    {"~:10", 0, false, INF, 0, 0, 10, "~:10", NULL},
    {"10:20", 0, false, 0, 0, 10, 20, "10:20", NULL},
    {"@10:20", 0, true, 0, 0, 10, 20, "@10:20", NULL},
    /* variations */
    {"@10", 0, true, 0, 0, 0, 10, "@10", NULL},
    {"@10:", 0, true, 0, INF, 10, 0, "@10:", NULL},
    {"@~:10", 0, true, INF, 0, 0, 10, "@~:10", NULL},
    {"~:", 0, false, INF, INF, 0, 0, "~:", NULL},
    {"@~:", 0, true, INF, INF, 0, 0, "@~:", NULL},
    {":10", 0, false, 0, 0, 0, 10, "10", NULL},
    {"0:10", 0, false, 0, 0, 0, 10, "10", NULL},
    {"0", 0, false, 0, 0, 0, 0, "0", NULL},
    {"0:", 0, false, 0, INF, 0, 0, "0:", NULL},
    {"10:10", 0, false, 0, 0, 10, 10, "10:10", NULL},
    {"-10:-5", 0, false, 0, 0, -10, -5, "-10:-5", NULL},
    {"-5:5", 0, false, 0, 0, -5, 5, "-5:5", NULL},
    {"+2.25", 0, false, 0, 0, 0, 2.25, "2.25", NULL},
    {"0.5:1.5", 0, false, 0, 0, 0.5, 1.5, "0.5:1.5", NULL},
    {"-0", 0, false, 0, 0, 0, 0, "0", NULL},
    {"007", 0, false, 0, 0, 0, 7, "7", NULL},
    {"1234567", 0, false, 0, 0, 0, 1234567, "1234567", NULL},
    {"0.00001", 0, false, 0, 0, 0, 0.00001, "0.00001", NULL},
    {"~:-3", 0, false, INF, 0, 0, -3, "~:-3", NULL},
    /* durations */
    {"200ms", DUR, false, 0, 0, 0, 200, "200", NULL},
    {"1s", DUR, false, 0, 0, 0, 1000, "1000", NULL},
    {"1.5s", DUR, false, 0, 0, 0, 1500, "1500", NULL},
    {"0.0005s", DUR, false, 0, 0, 0, 0.5, "0.5", NULL},
    {"500", DUR, false, 0, 0, 0, 500, "500", NULL},
    {"~:1s", DUR, false, INF, 0, 0, 1000, "~:1000", NULL},
    {"100ms:1s", DUR, false, 0, 0, 100, 1000, "100:1000", NULL},
    {"@1s:2s", DUR, true, 0, 0, 1000, 2000, "@1000:2000", NULL},
    {"1s:", DUR, false, 0, INF, 1000, 0, "1000:", NULL},
    {"2.5ms", DUR, false, 0, 0, 0, 2.5, "2.5", NULL},
    {"-0ms", DUR, false, 0, 0, 0, 0, "0", NULL},
    /* errors */
    {"", 0, false, 0, 0, 0, 0, NULL, "is empty"},
    {"@", 0, false, 0, 0, 0, 0, NULL, "is not a number"},
    {"~", 0, false, 0, 0, 0, 0, NULL, "is not a number"},
    {"10:~", 0, false, 0, 0, 0, 0, NULL, "is not a number"},
    {"abc", 0, false, 0, 0, 0, 0, NULL, "is not a number"},
    {" 10", 0, false, 0, 0, 0, 0, NULL, "is not a number"},
    {"10 ", 0, false, 0, 0, 0, 0, NULL, "is not a number"},
    {"1e3", 0, false, 0, 0, 0, 0, NULL, "is not a number"},
    {"0x10", 0, false, 0, 0, 0, 0, NULL, "is not a number"},
    {"inf", 0, false, 0, 0, 0, 0, NULL, "is not a number"},
    {"nan", 0, false, 0, 0, 0, 0, NULL, "is not a number"},
    {".5", 0, false, 0, 0, 0, 0, NULL, "is not a number"},
    {"5.", 0, false, 0, 0, 0, 0, NULL, "is not a number"},
    {"1,5", 0, false, 0, 0, 0, 0, NULL, "is not a number"},
    {"+-1", 0, false, 0, 0, 0, 0, NULL, "is not a number"},
    {"-", 0, false, 0, 0, 0, 0, NULL, "is not a number"},
    {"1:2:3", 0, false, 0, 0, 0, 0, NULL, "is not a number"},
    {"@@1", 0, false, 0, 0, 0, 0, NULL, "is not a number"},
    {"~~:1", 0, false, 0, 0, 0, 0, NULL, "is not a number"},
    {"~1:2", 0, false, 0, 0, 0, 0, NULL, "is not a number"},
    {"10%", 0, false, 0, 0, 0, 0, NULL, "is not a number"},
    {"20:10", 0, false, 0, 0, 0, 0, NULL, "has start above end"},
    {"@2:1", 0, false, 0, 0, 0, 0, NULL, "has start above end"},
    {"-1:-2", 0, false, 0, 0, 0, 0, NULL, "has start above end"},
    {"2s:1500ms", DUR, false, 0, 0, 0, 0, NULL, "has start above end"},
    {"200ms", 0, false, 0, 0, 0, 0, NULL, "is not a number"},
    {"1s", 0, false, 0, 0, 0, 0, NULL, "is not a number"},
    {"5m", DUR, false, 0, 0, 0, 0, NULL, "has an unknown unit"},
    {"5MS", DUR, false, 0, 0, 0, 0, NULL, "has an unknown unit"},
    {"5sec", DUR, false, 0, 0, 0, 0, NULL, "has an unknown unit"},
    {"5us", DUR, false, 0, 0, 0, 0, NULL, "has an unknown unit"},
    {"5 ms", DUR, false, 0, 0, 0, 0, NULL, "is not a number"},
    {"ms", DUR, false, 0, 0, 0, 0, NULL, "is not a number"},
    {"5ms5", DUR, false, 0, 0, 0, 0, NULL, "is not a number"},
    {"1s500ms", DUR, false, 0, 0, 0, 0, NULL, "is not a number"},
    {"-5ms", DUR, false, 0, 0, 0, 0, NULL, "is negative"},
    {"-1:5", DUR, false, 0, 0, 0, 0, NULL, "is negative"},
    {"12345678901234567890123456789012345678901234567890123456789012345",
        0, false, 0, 0, 0, 0, NULL, "is too long"},
};
/* clang-format on */

static void
test_parse(void)
{
	struct ops_range r;
	const char *why;
	char buf[128], desc[200];
	size_t i;
	int rc;

	for (i = 0; i < OPS_ARRAY_SIZE(cases); i++) {
		snprintf(desc, sizeof(desc), "\"%s\"%s", cases[i].in,
		    cases[i].flags & DUR ? " (duration)" : "");
		memset(&r, 0x5a, sizeof(r));
		why = "(none)";
		rc = ops_range_parse(cases[i].in, cases[i].flags, &r, &why);
		if (cases[i].err) {
			unsigned char raw[sizeof(r)];

			memset(raw, 0x5a, sizeof(raw));
			ok(rc == -1 && strcmp(why, cases[i].err) == 0 &&
			        memcmp(&r, raw, sizeof(r)) == 0,
			    "%s %s, range unchanged", desc, cases[i].err);
			if (rc != -1 || strcmp(why, cases[i].err) != 0)
				diag("got rc %d, \"%s\"", rc, why);
			continue;
		}
		ok(rc == 0 && r.set && r.inside == cases[i].inside &&
		        r.lo_inf == (cases[i].lo_inf != 0) &&
		        r.hi_inf == (cases[i].hi_inf != 0) &&
		        (r.lo_inf || r.lo == cases[i].lo) &&
		        (r.hi_inf || r.hi == cases[i].hi),
		    "%s parses", desc);
		if (rc != 0)
			diag("error: %s", why);
		is_str(ops_range_format(&r, 1, buf, sizeof(buf)),
		    cases[i].canon, "%s formats as \"%s\"", desc,
		    cases[i].canon);
	}
}

/* v against a range: alert? */
static const struct {
	const char *range;
	double v;
	bool alert;
} alerts[] = {
    {"10", -0.1, true},
    {"10", 0, false},
    {"10", 5, false},
    {"10", 10, false},
    {"10", 10.001, true},
    {"10:", 9.99, true},
    {"10:", 10, false},
    {"10:", 1e300, false},
    {"~:10", -1e300, false},
    {"~:10", 10, false},
    {"~:10", 11, true},
    {"10:20", 9, true},
    {"10:20", 10, false},
    {"10:20", 20, false},
    {"10:20", 21, true},
    {"@10:20", 9, false},
    {"@10:20", 10, true},
    {"@10:20", 15, true},
    {"@10:20", 20, true},
    {"@10:20", 20.5, false},
    {"~:", 1e300, false},
    {"@~:", -5, true},
    {"@10", 0, true},
    {"@10", -1, false},
    {"-5:-1", -3, false},
    {"-5:-1", 0, true},
};

static void
test_alert(void)
{
	struct ops_range r = {0};
	const char *why;
	size_t i;

	ok(!ops_range_alert(&r, 1e9) && !ops_range_alert(&r, -1e9),
	    "an unset range never alerts");
	for (i = 0; i < OPS_ARRAY_SIZE(alerts); i++) {
		if (ops_range_parse(alerts[i].range, 0, &r, &why) < 0)
			bail_out("\"%s\": %s", alerts[i].range, why);
		is_int(ops_range_alert(&r, alerts[i].v), alerts[i].alert,
		    "\"%s\" with %g: %s", alerts[i].range, alerts[i].v,
		    alerts[i].alert ? "alert" : "no alert");
	}
	if (ops_range_parse("200ms", DUR, &r, &why) < 0)
		bail_out("200ms: %s", why);
	ok(!ops_range_alert(&r, 200) && ops_range_alert(&r, 200.5),
	    "\"200ms\" alerts above 200 ms");
	if (ops_range_parse("~:1s", DUR, &r, &why) < 0)
		bail_out("~:1s: %s", why);
	ok(!ops_range_alert(&r, 1000) && ops_range_alert(&r, 1001),
	    "\"~:1s\" alerts above 1000 ms");
}

static void
test_format(void)
{
	struct ops_range r = {0}, back;
	const char *why,
	    *in[] = {"10", "10:", "~:10", "10:20", "@10:20", "@~:5",
	        "-1.5:2.75", "0.001", "~:", "1234567", "0.1:0.3",
	        "99999999:100000000"};
	char buf[128], small[4];
	size_t i;

	is_str(ops_range_format(&r, 1, buf, sizeof(buf)), "",
	    "unset formats as \"\"");
	for (i = 0; i < OPS_ARRAY_SIZE(in); i++) {
		if (ops_range_parse(in[i], 0, &r, &why) < 0)
			bail_out("\"%s\": %s", in[i], why);
		ops_range_format(&r, 1, buf, sizeof(buf));
		ok(ops_range_parse(buf, 0, &back, &why) == 0 &&
		        memcmp(&r, &back, sizeof(r)) == 0,
		    "\"%s\" -> \"%s\" parses back the same", in[i], buf);
	}
	/* durations in seconds for perfdata */
	if (ops_range_parse("200ms", DUR, &r, &why) < 0)
		bail_out("200ms: %s", why);
	is_str(ops_range_format(&r, 1000, buf, sizeof(buf)), "0.2",
	    "200ms with scale 1000 is \"0.2\"");
	if (ops_range_parse("@100ms:1.5s", DUR, &r, &why) < 0)
		bail_out("@100ms:1.5s: %s", why);
	is_str(ops_range_format(&r, 1000, buf, sizeof(buf)), "@0.1:1.5",
	    "@100ms:1.5s with scale 1000 is \"@0.1:1.5\"");
	if (ops_range_parse("~:2s", DUR, &r, &why) < 0)
		bail_out("~:2s: %s", why);
	is_str(ops_range_format(&r, 1000, buf, sizeof(buf)), "~:2",
	    "~:2s with scale 1000 is \"~:2\"");
	/* large and tiny values are written without an exponent */
	r = (struct ops_range){.set = true, .lo = 0, .hi = 1e20};
	is_str(ops_range_format(&r, 1, buf, sizeof(buf)),
	    "100000000000000000000", "1e20 is written out");
	ok(ops_range_parse(buf, 0, &back, &why) == 0 && back.hi == 1e20,
	    "and parses back");
	r = (struct ops_range){.set = true, .lo = -2e-7, .hi = 3e-7};
	is_str(ops_range_format(&r, 1, buf, sizeof(buf)),
	    "-0.0000002:0.0000003", "tiny values are written out");
	/* cut to fit */
	if (ops_range_parse("10:20", 0, &r, &why) < 0)
		bail_out("10:20: %s", why);
	is_str(ops_range_format(&r, 1, small, sizeof(small)),
	    "10:", "cut to fit a small buffer");
	ok(ops_range_format(&r, 1, small, 0) == small,
	    "size 0 returns buf untouched");
}

static void
test_limits(void)
{
	struct ops_range r;
	const char *why;
	char in[80];

	memset(in, '1', 64);
	in[64] = '\0';
	ok(ops_range_parse(in, 0, &r, &why) == 0 && r.hi > 1.1e63 &&
	        r.hi < 1.2e63,
	    "64 bytes are accepted");
	memset(in, '1', 65);
	in[65] = '\0';
	ok(ops_range_parse(in, 0, &r, &why) == -1 &&
	        strcmp(why, "is too long") == 0,
	    "65 bytes are too long");
	ok(ops_range_parse(NULL, 0, &r, &why) == -1 &&
	        strcmp(why, "is empty") == 0,
	    "NULL is empty");
	ok(ops_range_parse("0.1", 0, &r, &why) == 0 && r.hi == 0.1,
	    "0.1 is the nearest double to 0.1");
	ok(ops_range_parse("123456.789", 0, &r, &why) == 0 &&
	        r.hi == 123456.789,
	    "123456.789 is exact to the double");
	ok(ops_range_parse("1.1s", DUR, &r, &why) == 0 && r.hi == 1100,
	    "1.1s is 1100 ms exactly");
	ok(ops_range_parse("0.3", 0, &r, &why) == 0 && r.hi == 0.3 &&
	        !isnan(r.hi),
	    "0.3 is the nearest double to 0.3");
}

int
main(void)
{
	test_parse();
	test_alert();
	test_format();
	test_limits();
	return done_testing();
}
