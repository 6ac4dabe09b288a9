/*
 * vercmp.c - Debian and rpm version ordering (see vercmp.h)
 * SPDX-License-Identifier: MIT
 */
#include "compat.h"

#include <string.h>

#include "vercmp.h"

/* ---- Debian ---- */

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* dpkg's order(): '~' first, then the end and digits, letters, others */
static int
order(int c)
{
	if (is_digit(c))
		return 0;
	if (is_alpha(c))
		return c;
	if (c == '~')
		return -1;
	if (c)
		return c + 256;
	return 0;
}

/* dpkg's verrevcmp over [a, ae) and [b, be) */
static int
verrevcmp(const char *a, const char *ae, const char *b, const char *be)
{
	while (a < ae || b < be) {
		int first_diff = 0;

		while ((a < ae && !is_digit(*a)) || (b < be && !is_digit(*b))) {
			int ac = a < ae ? order((unsigned char)*a) : 0;
			int bc = b < be ? order((unsigned char)*b) : 0;

			if (ac != bc)
				return ac - bc;
			a++;
			b++;
		}
		while (a < ae && *a == '0')
			a++;
		while (b < be && *b == '0')
			b++;
		while (a < ae && b < be && is_digit(*a) && is_digit(*b)) {
			if (!first_diff)
				first_diff = *a - *b;
			a++;
			b++;
		}
		if (a < ae && is_digit(*a))
			return 1;
		if (b < be && is_digit(*b))
			return -1;
		if (first_diff)
			return first_diff;
	}
	return 0;
}

struct debv {
	const char *e, *ee;   /* epoch digits (empty: 0) */
	const char *u, *ue;   /* upstream */
	const char *r, *re;   /* revision (empty when none) */
};

static void
deb_split(const char *v, struct debv *d)
{
	const char *colon = strchr(v, ':'), *end = v + strlen(v), *hy;

	if (colon) {
		/* dpkg reads it with strtol: blanks and a '+' may lead */
		d->e = v;
		while (d->e < colon && (*d->e == ' ' || *d->e == '\t' ||
					   *d->e == '\n' || *d->e == '\v' ||
					   *d->e == '\f' || *d->e == '\r'))
			d->e++;
		if (d->e < colon && *d->e == '+')
			d->e++;
		d->ee = colon;
		d->u = colon + 1;
	} else {
		d->e = d->ee = v;
		d->u = v;
	}
	hy = strrchr(d->u, '-');
	if (hy) {
		d->ue = hy;
		d->r = hy + 1;
		d->re = end;
	} else {
		d->ue = end;
		d->r = d->re = end;
	}
}

/* numbers of any length: leading zeros off, then length, then bytes */
static int
numcmp(const char *a, const char *ae, const char *b, const char *be)
{
	size_t la, lb;
	int c;

	while (a < ae && *a == '0')
		a++;
	while (b < be && *b == '0')
		b++;
	la = (size_t)(ae - a);
	lb = (size_t)(be - b);
	if (la != lb)
		return la < lb ? -1 : 1;
	c = la ? memcmp(a, b, la) : 0;
	return (c > 0) - (c < 0);
}

/* dpkg's blank version: "" or "<unknown>" */
static bool
blank_version(const char *v)
{
	return *v == '\0' || strcmp(v, "<unknown>") == 0;
}

int
vc_deb(const char *a, const char *b)
{
	struct debv x, y;
	int c;

	/* dpkg: a blank version is lower than any other */
	if (blank_version(a) || blank_version(b))
		return blank_version(b) - blank_version(a);

	deb_split(a, &x);
	deb_split(b, &y);
	/* dpkg reads the epoch as a number; a bad one is 0 for ordering
	 * only when it is not digits, which vc_deb_check reports */
	c = numcmp(x.e, x.ee, y.e, y.ee);
	if (c)
		return c;
	c = verrevcmp(x.u, x.ue, y.u, y.ue);
	if (c)
		return c;
	return verrevcmp(x.r, x.re, y.r, y.re);
}

const char *
vc_deb_check(const char *v)
{
	struct debv d;
	const char *p;

	if (*v == '\0')
		return "version string is empty";
	for (p = v; *p; p++)
		if (*p == ' ' || *p == '\t' || *p == '\n')
			return "version string has embedded spaces";
	deb_split(v, &d);
	if (strchr(d.u, ':'))
		return "version string has more than one ':'";
	for (p = d.e; p < d.ee; p++)
		if (!is_digit(*p))
			return "epoch in version is not a number";
	{
		/* dpkg keeps the epoch in an int */
		const char *q = d.e;
		unsigned long long e = 0;

		while (q < d.ee && *q == '0')
			q++;
		for (; q < d.ee; q++) {
			e = e * 10 + (unsigned)(*q - '0');
			if (e > 2147483647ULL)
				return "epoch in version is too big";
		}
	}
	if (d.e < d.ee && d.ee[0] == ':' && d.u == d.ue)
		return "nothing after colon in version number";
	if (d.u == d.ue)
		return "version number is empty";
	if (d.r == d.re && d.ue < d.re && *d.ue == '-')
		return "revision number is empty";
	if (!is_digit(*d.u))
		return "version number does not start with digit";
	for (p = d.u; p < d.ue; p++)
		if (!is_digit(*p) && !is_alpha(*p) && !strchr(".-+~:", *p))
			return "invalid character in version number";
	for (p = d.r; p < d.re; p++)
		if (!is_digit(*p) && !is_alpha(*p) && !strchr(".+~", *p))
			return "invalid character in revision number";
	return NULL;
}

/* ---- rpm ---- */

static int
is_alnum(int c)
{
	return is_digit(c) || is_alpha(c);
}

/* rpmvercmp over [a, ae) and [b, be) */
static int
rpmvercmp(const char *one, const char *oe, const char *two, const char *te)
{
	if (oe - one == te - two && memcmp(one, two, (size_t)(oe - one)) == 0)
		return 0;
	while (one < oe || two < te) {
		const char *s1, *s2;
		int isnum, c;
		size_t l1, l2;

		while (one < oe && !is_alnum(*one) && *one != '~' &&
		       *one != '^')
			one++;
		while (two < te && !is_alnum(*two) && *two != '~' &&
		       *two != '^')
			two++;
		/* the tilde sorts before everything else */
		if ((one < oe && *one == '~') || (two < te && *two == '~')) {
			if (!(one < oe && *one == '~'))
				return 1;
			if (!(two < te && *two == '~'))
				return -1;
			one++;
			two++;
			continue;
		}
		/* the caret: as the tilde, but the end sorts lower */
		if ((one < oe && *one == '^') || (two < te && *two == '^')) {
			if (one == oe)
				return -1;
			if (two == te)
				return 1;
			if (*one != '^')
				return 1;
			if (*two != '^')
				return -1;
			one++;
			two++;
			continue;
		}
		if (!(one < oe && two < te))
			break;
		s1 = one;
		s2 = two;
		if (is_digit(*s1)) {
			while (s1 < oe && is_digit(*s1))
				s1++;
			while (s2 < te && is_digit(*s2))
				s2++;
			isnum = 1;
		} else {
			while (s1 < oe && is_alpha(*s1))
				s1++;
			while (s2 < te && is_alpha(*s2))
				s2++;
			isnum = 0;
		}
		if (one == s1)
			return -1; /* not reached: a segment starts here */
		/* a numeric segment is newer than an alphabetic one */
		if (two == s2)
			return isnum ? 1 : -1;
		if (isnum) {
			c = numcmp(one, s1, two, s2);
			if (c)
				return c;
		} else {
			l1 = (size_t)(s1 - one);
			l2 = (size_t)(s2 - two);
			c = memcmp(one, two, l1 < l2 ? l1 : l2);
			if (c == 0 && l1 != l2)
				c = l1 < l2 ? -1 : 1;
			if (c)
				return c < 0 ? -1 : 1;
		}
		one = s1;
		two = s2;
	}
	if (one == oe && two == te)
		return 0;
	return one == oe ? -1 : 1;
}

int
vc_rpm(const char *a, const char *b)
{
	return rpmvercmp(a, a + strlen(a), b, b + strlen(b));
}

struct evr {
	const char *e, *ee; /* "0" when missing */
	const char *v, *ve;
	const char *r, *re; /* NULL when missing */
};

/* rpm's parseEVR: leading digits then ':' are the epoch; the last '-'
 * after them ends the version */
static void
evr_split(const char *s, struct evr *x)
{
	const char *p = s, *end = s + strlen(s), *hy;

	while (is_digit(*p))
		p++;
	hy = strrchr(p, '-');
	if (*p == ':') {
		x->e = s;
		x->ee = p;
		if (x->e == x->ee) {
			x->e = "0";
			x->ee = x->e + 1;
		}
		x->v = p + 1;
	} else {
		x->e = "0";
		x->ee = x->e + 1;
		x->v = s;
	}
	if (hy) {
		x->ve = hy;
		x->r = hy + 1;
		x->re = end;
	} else {
		x->ve = end;
		x->r = x->re = NULL;
	}
}

int
vc_rpm_evr(const char *a, const char *b)
{
	struct evr x, y;
	int c;

	evr_split(a, &x);
	evr_split(b, &y);
	c = rpmvercmp(x.e, x.ee, y.e, y.ee);
	if (c == 0)
		c = rpmvercmp(x.v, x.ve, y.v, y.ve);
	if (c == 0) {
		if (x.r && y.r)
			c = rpmvercmp(x.r, x.re, y.r, y.re);
		else if (x.r || y.r)
			c = x.r ? 1 : -1; /* no release sorts lower */
	}
	return c;
}

/* ---- operators ---- */

int
vc_op(const char *op, int c)
{
	if (!strcmp(op, "lt") || !strcmp(op, "<<"))
		return c < 0;
	if (!strcmp(op, "le") || !strcmp(op, "<="))
		return c <= 0;
	if (!strcmp(op, "eq") || !strcmp(op, "="))
		return c == 0;
	if (!strcmp(op, "ne"))
		return c != 0;
	if (!strcmp(op, "ge") || !strcmp(op, ">="))
		return c >= 0;
	if (!strcmp(op, "gt") || !strcmp(op, ">>"))
		return c > 0;
	return -1;
}
