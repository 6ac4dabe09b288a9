/*
 * range.c - thresholds in the Monitoring Plugins range syntax
 * SPDX-License-Identifier: MIT
 *
 * A hand-written scanner, not strtod(): strtod follows the locale's decimal
 * point, skips blanks and accepts hex, exponents, "inf" and "nan".  The
 * value is computed as an integer mantissa scaled by a power of ten, which
 * is exact (correctly rounded) for up to 15 significant digits.
 *
 * As in the Monitoring Plugins' own parser, an empty start (":10") means 0.
 */
#include "compat.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "range.h"

#define RANGE_MAX_LEN 64

#define NOT_A_NUMBER "is not a number"
#define START_ABOVE_END "has start above end"
#define BAD_UNIT "has an unknown unit"
#define TOO_LONG "is too long"
#define EMPTY "is empty"
#define NEGATIVE "is negative"

static bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* 10^e for 0 <= e <= 64, exact up to 10^22. */
static double
pow10_of(int e)
{
	double v = 1;

	while (e-- > 0)
		v *= 10;
	return v;
}

/*
 * Parse one number s[0..len) into *v: [+-]digits[.digits], then with
 * OPS_RANGE_DURATION an optional unit "ms" or "s" (the value is then in
 * milliseconds).  NULL, or the reason it is not one.
 */
static const char *
number(const char *s, size_t len, unsigned flags, double *v)
{
	const char *p = s, *end = s + len, *u;
	double mant = 0;
	int scale = 0; /* value = mant * 10^-scale */
	bool neg = false;
	size_t ulen;

	if (p < end && (*p == '+' || *p == '-'))
		neg = *p++ == '-';
	if (p == end || !is_digit(*p))
		return NOT_A_NUMBER;
	for (; p < end && is_digit(*p); p++)
		mant = mant * 10 + (*p - '0');
	if (p < end && *p == '.') {
		p++;
		if (p == end || !is_digit(*p))
			return NOT_A_NUMBER;
		for (; p < end && is_digit(*p); p++) {
			mant = mant * 10 + (*p - '0');
			scale++;
		}
	}
	if (p < end) {
		u = p;
		while (p < end && is_alpha(*p))
			p++;
		if (p != end || !(flags & OPS_RANGE_DURATION))
			return NOT_A_NUMBER;
		ulen = (size_t)(end - u);
		if (ulen == 1 && *u == 's')
			scale -= 3;
		else if (!(ulen == 2 && u[0] == 'm' && u[1] == 's'))
			return BAD_UNIT;
	}
	if (neg && (flags & OPS_RANGE_DURATION) && mant != 0)
		return NEGATIVE;
	if (scale > 0)
		mant /= pow10_of(scale);
	else if (scale < 0)
		mant *= pow10_of(-scale);
	*v = neg ? -mant : mant;
	return NULL;
}

int
ops_range_parse(
    const char *s, unsigned flags, struct ops_range *r, const char **why)
{
	struct ops_range x = {.set = true};
	const char *p = s, *colon, *w;
	size_t len;

	if (s == NULL || *s == '\0') {
		*why = EMPTY;
		return -1;
	}
	len = strnlen(s, RANGE_MAX_LEN + 1);
	if (len > RANGE_MAX_LEN) {
		*why = TOO_LONG;
		return -1;
	}
	if (*p == '@') {
		x.inside = true;
		p++;
		len--;
	}
	colon = memchr(p, ':', len);
	if (colon == NULL) {
		/* "10": 0 to 10 */
		if ((w = number(p, len, flags, &x.hi)) != NULL) {
			*why = w;
			return -1;
		}
	} else {
		if (colon - p == 1 && *p == '~')
			x.lo_inf = true;
		else if (colon != p &&
		    (w = number(p, (size_t)(colon - p), flags, &x.lo)) !=
		        NULL) {
			*why = w;
			return -1;
		}
		len -= (size_t)(colon - p) + 1;
		if (len == 0)
			x.hi_inf = true;
		else if ((w = number(colon + 1, len, flags, &x.hi)) != NULL) {
			*why = w;
			return -1;
		}
	}
	if (!x.lo_inf && !x.hi_inf && x.lo > x.hi) {
		*why = START_ABOVE_END;
		return -1;
	}
	if (x.lo == 0)
		x.lo = 0; /* no "-0" in the output */
	if (x.hi == 0)
		x.hi = 0;
	*r = x;
	return 0;
}

bool
ops_range_alert(const struct ops_range *r, double v)
{
	bool out;

	if (!r->set)
		return false;
	out = (!r->lo_inf && v < r->lo) || (!r->hi_inf && v > r->hi);
	return r->inside ? !out : out;
}

/*
 * One number with %g, or, where %g would write an exponent (which the
 * parser does not read back), in plain decimals.
 */
static void
fmt_number(char *dst, size_t size, double v)
{
	char *e;
	size_t n;

	snprintf(dst, size, "%g", v);
	if (strchr(dst, 'e') == NULL)
		return;
	if (fabs(v) >= 1)
		snprintf(dst, size, "%.0f", v);
	else {
		snprintf(dst, size, "%.12f", v);
		n = strlen(dst);
		for (e = dst + n - 1; e > dst && *e == '0'; e--)
			*e = '\0';
		if (*e == '.')
			*e = '\0';
		if (strcmp(dst, "-0") == 0)
			snprintf(dst, size, "0");
	}
}

char *
ops_range_format(
    const struct ops_range *r, double scale, char *buf, size_t size)
{
	char lo[400], hi[400];

	if (size == 0)
		return buf;
	if (!r->set) {
		buf[0] = '\0';
		return buf;
	}
	if (scale == 0)
		scale = 1;
	fmt_number(lo, sizeof(lo), r->lo / scale);
	fmt_number(hi, sizeof(hi), r->hi / scale);
	if (r->lo_inf)
		snprintf(lo, sizeof(lo), "~");
	if (r->hi_inf)
		hi[0] = '\0';
	if (!r->lo_inf && !r->hi_inf && r->lo == 0)
		snprintf(buf, size, "%s%s", r->inside ? "@" : "", hi);
	else
		snprintf(buf, size, "%s%s:%s", r->inside ? "@" : "", lo, hi);
	return buf;
}
