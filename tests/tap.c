/*
 * tap.c - a tiny TAP emitter for the C unit tests
 * SPDX-License-Identifier: MIT
 */
#include "compat.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static int planned = -1;
static int run;
static int failed;

void
plan(int n)
{
	planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

static int OPS_PRINTF(2, 0)
vreport(int cond, const char *fmt, va_list ap)
{
	run++;
	if (!cond)
		failed++;
	printf("%sok %d - ", cond ? "" : "not ", run);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

int
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(cond, fmt, ap);
	va_end(ap);
	return cond;
}

int
is_int(long long got, long long want, const char *fmt, ...)
{
	va_list ap;
	int cond = got == want;

	va_start(ap, fmt);
	vreport(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		printf("#      got: %lld\n# expected: %lld\n", got, want);
	return cond;
}

static void
show(const char *label, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	printf("# %8s: ", label);
	if (p == NULL) {
		printf("(null)\n");
		return;
	}
	putchar('"');
	for (i = 0; i < n && i < 400; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\')
			putchar(s[i]);
		else
			printf("\\x%02x", s[i]);
	}
	printf("\"%s\n", n > 400 ? "..." : "");
}

int
is_str(const char *got, const char *want, const char *fmt, ...)
{
	va_list ap;
	int cond;

	cond = (got == NULL && want == NULL) ||
	    (got && want && strcmp(got, want) == 0);
	va_start(ap, fmt);
	vreport(cond, fmt, ap);
	va_end(ap);
	if (!cond) {
		show("got", got, got ? strlen(got) : 0);
		show("expected", want, want ? strlen(want) : 0);
	}
	return cond;
}

int
is_mem(const void *got, size_t glen, const void *want, size_t wlen,
    const char *fmt, ...)
{
	va_list ap;
	int cond = glen == wlen && (glen == 0 || memcmp(got, want, glen) == 0);

	va_start(ap, fmt);
	vreport(cond, fmt, ap);
	va_end(ap);
	if (!cond) {
		show("got", got, glen);
		show("expected", want, wlen);
	}
	return cond;
}

void
skip(int n, const char *why)
{
	while (n-- > 0) {
		run++;
		printf("ok %d # skip %s\n", run, why);
	}
	fflush(stdout);
}

void
diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void
bail_out(const char *fmt, ...)
{
	va_list ap;

	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(255);
}

int
done_testing(void)
{
	if (planned < 0)
		printf("1..%d\n", run);
	else if (planned != run)
		diag("planned %d tests but ran %d", planned, run);
	fflush(stdout);
	if (planned >= 0 && planned != run && failed == 0)
		return 1;
	return failed > 254 ? 254 : failed;
}
