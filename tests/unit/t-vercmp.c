/*
 * t-vercmp.c - Debian and rpm version ordering against the tables the
 * real dpkg 1.21.22 and rpm 4.18.0 made (tests/data/patch/vercmp-*.tsv,
 * copied from the project's fixtures), plus long digit runs, operators,
 * syntax checks and the properties of an order
 * SPDX-License-Identifier: MIT
 */
#include "compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#include "../../cmd/opspatch-check/vercmp.h"

static int
sgn(int c)
{
	return (c > 0) - (c < 0);
}

/* every "A<TAB>B<TAB>RESULT" line of file against cmp, both ways */
static void
table(const char *file, int (*cmp)(const char *, const char *))
{
	FILE *fp = fopen(file, "r");
	char line[1024];
	int n = 0, bad = 0;

	if (fp == NULL)
		bail_out("%s: cannot open (run from the top of the tree)", file);
	while (fgets(line, sizeof(line), fp)) {
		char *a = line, *b, *r;
		int want;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\n")] = '\0';
		b = strchr(a, '\t');
		r = b ? strchr(b + 1, '\t') : NULL;
		if (b == NULL || r == NULL)
			bail_out("%s: bad line %s", file, line);
		*b++ = '\0';
		*r++ = '\0';
		want = (int)strtol(r, NULL, 10);
		n++;
		if (sgn(cmp(a, b)) != want || sgn(cmp(b, a)) != -want) {
			bad++;
			diag("%s: %s vs %s: got %d (reverse %d), want %d", file,
			    a, b, sgn(cmp(a, b)), sgn(cmp(b, a)), want);
		}
	}
	fclose(fp);
	ok(n > 5 && bad == 0, "%s: %d pairs, both ways, as the real tool", file,
	    n);
}

struct tc {
	const char *a, *b;
	int want;
};

/* checked with dpkg --compare-versions (dpkg 1.21.22) */
static const struct tc deb_more[] = {
    {"1.000000000000000000000000000000000000001", "1.1", 0},
    {"1.99999999999999999999999999999999999999", "1.100000000000000000000000000000000000000", -1},
    {"1.0~~~", "1.0~~", -1},
    {"1.0-1~", "1.0-1", -1},
    {"1:1.0", "1.0", 1},
    {"1.0-2", "1.0-10", -1},
    {"1.0+dfsg", "1.0", 1},
    {"1.0.", "1.0", 1},
    {"", "", 0},
};

/* rpmvercmp cases from rpm's own tests (tests/rpmvercmp.at) */
static const struct tc rpm_more[] = {
    {"1.0010", "1.9", 1},
    {"1.05", "1.5", 0},
    {"1.0", "1", 1},
    {"2.50", "2.5", 1},
    {"fc4", "fc.4", 0},
    {"FC5", "fc4", -1},
    {"2a", "2.0", -1},
    {"1.0", "1.fc4", 1},
    {"3.0.0_fc", "3.0.0.fc", 0},
    {"1^", "1", 1},
    {"1~", "1", -1},
    {"1.0^", "1.0^", 0},
    {"123456789012345678901234567890", "123456789012345678901234567891", -1},
};

int
main(void)
{
	static const char *const pool[] = {"0", "1", "1.0", "1.0-1", "1:0",
	    "1.0~rc1", "1.0+b1", "1.0a", "1.0.1", "2.6.10", "2.6.2", "1.0~",
	    "1.0-1~", "1.0-1.1", "10:0.1", "1.0-1ubuntu1", "1.0^git1",
	    "1.0~rc1^git1", "a", "b", "1.el9_2", "1.el9", "0:1.0-1",
	    "1:1.0", "1.0.a", "1..0", "FC5", "fc4", "_", "+"};
	int (*cmps[])(const char *, const char *) = {vc_deb, vc_rpm,
	    vc_rpm_evr};
	const char *names[] = {"deb", "rpm", "evr"};
	size_t i, j, k, m;

	table("tests/data/patch/vercmp-dpkg.tsv", vc_deb);
	table("tests/data/patch/vercmp-rpm.tsv", vc_rpm);
	table("tests/data/patch/vercmp-rpm-evr.tsv", vc_rpm_evr);

	for (i = 0; i < sizeof(deb_more) / sizeof(deb_more[0]); i++)
		is_int(sgn(vc_deb(deb_more[i].a, deb_more[i].b)),
		    deb_more[i].want, "deb: %s vs %s", deb_more[i].a,
		    deb_more[i].b);
	for (i = 0; i < sizeof(rpm_more) / sizeof(rpm_more[0]); i++)
		is_int(sgn(vc_rpm(rpm_more[i].a, rpm_more[i].b)),
		    rpm_more[i].want, "rpm: %s vs %s", rpm_more[i].a,
		    rpm_more[i].b);

	/* an order: reflexive, antisymmetric, transitive on the pool */
	for (m = 0; m < 3; m++) {
		int bad = 0, n = (int)(sizeof(pool) / sizeof(pool[0]));

		for (i = 0; i < (size_t)n; i++) {
			if (cmps[m](pool[i], pool[i]) != 0)
				bad++;
			for (j = 0; j < (size_t)n; j++) {
				int ij = sgn(cmps[m](pool[i], pool[j]));

				if (ij != -sgn(cmps[m](pool[j], pool[i])))
					bad++;
				for (k = 0; k < (size_t)n; k++) {
					int jk = sgn(cmps[m](pool[j], pool[k]));
					int ik = sgn(cmps[m](pool[i], pool[k]));

					if (ij <= 0 && jk <= 0 && ik > 0)
						bad++;
				}
			}
		}
		ok(bad == 0, "%s: a total order on %d versions (%d faults)",
		    names[m], n, bad);
	}

	/* operators, dpkg's words and symbols */
	ok(vc_op("lt", -1) == 1 && vc_op("lt", 0) == 0, "lt");
	ok(vc_op("le", 0) == 1 && vc_op("le", 1) == 0, "le");
	ok(vc_op("eq", 0) == 1 && vc_op("eq", 1) == 0, "eq");
	ok(vc_op("ne", 1) == 1 && vc_op("ne", 0) == 0, "ne");
	ok(vc_op("ge", 0) == 1 && vc_op("ge", -1) == 0, "ge");
	ok(vc_op("gt", 1) == 1 && vc_op("gt", 0) == 0, "gt");
	ok(vc_op("<<", -1) == 1 && vc_op(">>", 1) == 1 &&
	       vc_op("<=", 0) == 1 && vc_op(">=", 0) == 1 &&
	       vc_op("=", 0) == 1,
	    "dpkg's symbols");
	ok(vc_op("lt-nl", -1) == -1 && vc_op("", 0) == -1,
	    "an unknown operator is -1");

	/* what dpkg warns about */
	ok(vc_deb_check("1:2.66-4+deb12u2+b2") == NULL, "a good version");
	ok(vc_deb_check("1.0") == NULL && vc_deb_check("1.0~rc1-0") == NULL,
	    "good versions without an epoch");
	is_str(vc_deb_check("a"), "version number does not start with digit",
	    "a letter first");
	is_str(vc_deb_check(""), "version string is empty", "empty");
	is_str(vc_deb_check("1.0-"), "revision number is empty",
	    "empty revision");
	is_str(vc_deb_check("x:1.0"), "epoch in version is not a number",
	    "bad epoch");
	is_str(vc_deb_check("1:"), "nothing after colon in version number",
	    "nothing after the colon");
	is_str(vc_deb_check("2147483648:1"), "epoch in version is too big",
	    "an epoch over INT_MAX (dpkg refuses it)");
	ok(vc_deb_check("2147483647:1") == NULL, "the largest epoch");
	is_str(vc_deb_check("1.0 1"), "version string has embedded spaces",
	    "a space");
	is_str(vc_deb_check("1.0_1"), "invalid character in version number",
	    "an underscore");
	return done_testing();
}
