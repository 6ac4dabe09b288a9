/*
 * hostspec.c - "[user@]host[:port]" (see hostspec.h)
 * SPDX-License-Identifier: MIT
 */
#include "compat.h"

#include <stdlib.h>
#include <string.h>

#include "hostspec.h"
#include "mem.h"
#include "num.h"

static bool
clean(const char *p, const char *e)
{
	for (; p < e; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '/')
			return false;
	return true;
}

int
ops_hostspec(const char *s, size_t len, char **user, char **host,
    int *port, const char **why)
{
	const char *p = s, *e = s + len, *at, *hs, *he;
	long long v;
	char num[8];

	*user = *host = NULL;
	*port = 0;
	if (!clean(s, e))
		return *why = "a blank, control character or '/' in the host",
		       -1;
	at = memchr(p, '@', len);
	if (at && at == p)
		return *why = "empty user name", -1;
	if (at)
		p = at + 1;
	if (p < e && *p == '[') {
		hs = p + 1;
		he = memchr(hs, ']', (size_t)(e - hs));
		if (he == NULL)
			return *why = "unclosed [ in the host", -1;
		p = he + 1;
	} else {
		hs = p;
		for (he = p; he < e && *he != ':'; he++)
			;
		p = he;
	}
	if (he == hs)
		return *why = "empty host", -1;
	if (p < e) {
		size_t n = (size_t)(e - p - 1);

		if (*p != ':' || n == 0 || n >= sizeof(num))
			return *why = "bad port (1 to 65535)", -1;
		memcpy(num, p + 1, n);
		num[n] = '\0';
		if (ops_parse_int(num, 1, 65535, &v, why) < 0)
			return *why = "bad port (1 to 65535)", -1;
		*port = (int)v;
	}
	*host = ops_xstrndup(hs, (size_t)(he - hs));
	if (at)
		*user = ops_xstrndup(s, (size_t)(at - s));
	return 0;
}
