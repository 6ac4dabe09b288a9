/*
 * num.c - bounded parsing of integers, durations and sizes
 * SPDX-License-Identifier: MIT
 *
 * Hand-written scanners instead of strtoll(): strtoll skips leading
 * blanks, accepts "0x", and reports overflow through errno.
 */
#include "compat.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "num.h"

#define NOT_A_NUMBER "is not a number"
#define TOO_SMALL "is too small"
#define TOO_LARGE "is too large"
#define NEGATIVE "is negative"
#define NO_UNIT "has no unit"
#define BAD_UNIT "has an unknown unit"
#define UNIT_ORDER "has units out of order"

/* 100 years of 365.25 days, in milliseconds. */
#define DURATION_MAX_MS (36525LL * 86400 * 1000)

static bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/*
 * Scan the digits at *sp into *n, moving *sp past them.  Returns false when
 * there is no digit; *big is set when the value exceeds ULLONG_MAX (then *n
 * is ULLONG_MAX).
 */
static bool
scan_digits(const char **sp, unsigned long long *n, bool *big)
{
	const char *s = *sp;
	unsigned long long v = 0;
	unsigned d;

	*big = false;
	if (!is_digit(*s))
		return false;
	for (; is_digit(*s); s++) {
		d = (unsigned)(*s - '0');
		if (v > (ULLONG_MAX - d) / 10) {
			*big = true;
			v = ULLONG_MAX;
		} else if (!*big)
			v = v * 10 + d;
	}
	*n = v;
	*sp = s;
	return true;
}

int
ops_parse_int(const char *s, long long min, long long max, long long *out,
    const char **errstr)
{
	unsigned long long n, lim;
	long long v;
	bool neg = false, big;
	const char *p = s;

	if (min > max) {
		*errstr = "has impossible bounds";
		return -1;
	}
	if (p == NULL) {
		*errstr = NOT_A_NUMBER;
		return -1;
	}
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (!scan_digits(&p, &n, &big) || *p != '\0') {
		*errstr = NOT_A_NUMBER;
		return -1;
	}
	lim = neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
	if (big || n > lim) {
		*errstr = neg ? TOO_SMALL : TOO_LARGE;
		return -1;
	}
	if (neg)
		v = n == lim ? LLONG_MIN : -(long long)n;
	else
		v = (long long)n;
	if (v < min) {
		*errstr = TOO_SMALL;
		return -1;
	}
	if (v > max) {
		*errstr = TOO_LARGE;
		return -1;
	}
	*out = v;
	return 0;
}

static const struct {
	const char *name;
	long long ms;
} duration_units[] = {
    /* largest first: components must follow this order */
    {"w", 7LL * 86400 * 1000},
    {"d", 86400LL * 1000},
    {"h", 3600LL * 1000},
    {"m", 60LL * 1000},
    {"s", 1000},
    {"ms", 1},
};

/* Index of the unit u[0..len) in duration_units, or its size. */
static size_t
unit_index(const char *u, size_t len)
{
	size_t i;

	for (i = 0; i < OPS_ARRAY_SIZE(duration_units); i++)
		if (strlen(duration_units[i].name) == len &&
		    memcmp(duration_units[i].name, u, len) == 0)
			break;
	return i;
}

int
ops_parse_duration_ms(
    const char *s, long long unit_ms, long long *ms, const char **errstr)
{
	const char *p = s, *u;
	unsigned long long n;
	long long total = 0, mult;
	size_t i, ulen, next = 0;
	bool big;

	if (p == NULL || !is_digit(*p)) {
		*errstr = p && *p == '-' ? NEGATIVE : NOT_A_NUMBER;
		return -1;
	}
	while (*p != '\0') {
		if (!scan_digits(&p, &n, &big)) {
			/* not reached: a unit runs up to a digit */
			*errstr = NOT_A_NUMBER;
			return -1;
		}
		for (u = p; *p != '\0' && !is_digit(*p); p++)
			;
		ulen = (size_t)(p - u);
		if (ulen == 0) {
			if (u != s + strspn(s, "0123456789") || unit_ms <= 0) {
				*errstr = NO_UNIT;
				return -1;
			}
			mult = unit_ms;
		} else {
			i = unit_index(u, ulen);
			if (i == OPS_ARRAY_SIZE(duration_units)) {
				*errstr = BAD_UNIT;
				return -1;
			}
			if (i < next) {
				*errstr = UNIT_ORDER;
				return -1;
			}
			next = i + 1;
			mult = duration_units[i].ms;
		}
		if (big || n > (unsigned long long)(DURATION_MAX_MS / mult) ||
		    (long long)n * mult > DURATION_MAX_MS - total) {
			*errstr = TOO_LARGE;
			return -1;
		}
		total += (long long)n * mult;
	}
	*ms = total;
	return 0;
}

int
ops_parse_size(const char *s, unsigned long long *bytes, const char **errstr)
{
	const char *p = s;
	unsigned long long n, mult = 1;
	bool big;

	if (p == NULL || !scan_digits(&p, &n, &big)) {
		*errstr = p && *p == '-' ? NEGATIVE : NOT_A_NUMBER;
		return -1;
	}
	switch (*p) {
	case '\0':
		break;
	case 'k':
	case 'K':
		mult = 1ULL << 10;
		break;
	case 'M':
		mult = 1ULL << 20;
		break;
	case 'G':
		mult = 1ULL << 30;
		break;
	case 'T':
		mult = 1ULL << 40;
		break;
	case 'B':
		break;
	default:
		*errstr = BAD_UNIT;
		return -1;
	}
	if (mult > 1) {
		p++;
		if (strcmp(p, "") != 0 && strcmp(p, "B") != 0 &&
		    strcmp(p, "iB") != 0) {
			*errstr = BAD_UNIT;
			return -1;
		}
	} else if (*p == 'B' && p[1] != '\0') {
		*errstr = BAD_UNIT;
		return -1;
	}
	if (big || n > ULLONG_MAX / mult) {
		*errstr = TOO_LARGE;
		return -1;
	}
	*bytes = n * mult;
	return 0;
}

/* Two adjacent units for ops_format_duration, largest first. */
static const struct {
	unsigned long long secs; /* seconds in the larger unit */
	unsigned long long sub; /* seconds in the smaller unit */
	char unit, subunit;
} duration_pairs[] = {
    {86400, 3600, 'd', 'h'},
    {3600, 60, 'h', 'm'},
    {60, 1, 'm', 's'},
};

char *
ops_format_duration(long long seconds, char *buf, size_t size)
{
	unsigned long long u, big, small;
	const char *sign = "";
	size_t i;

	if (size == 0)
		return buf;
	u = (unsigned long long)seconds;
	if (seconds < 0) {
		sign = "-";
		u = 0 - u; /* also right for LLONG_MIN */
	}
	for (i = 0; i < OPS_ARRAY_SIZE(duration_pairs); i++)
		if (u >= duration_pairs[i].secs)
			break;
	if (i == OPS_ARRAY_SIZE(duration_pairs)) {
		snprintf(buf, size, "%s%llus", sign, u);
		return buf;
	}
	big = u / duration_pairs[i].secs;
	small = u % duration_pairs[i].secs / duration_pairs[i].sub;
	if (small == 0)
		snprintf(
		    buf, size, "%s%llu%c", sign, big, duration_pairs[i].unit);
	else
		snprintf(buf, size, "%s%llu%c%02llu%c", sign, big,
		    duration_pairs[i].unit, small, duration_pairs[i].subunit);
	return buf;
}
