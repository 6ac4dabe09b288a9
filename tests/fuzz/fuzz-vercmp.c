/*
 * fuzz-vercmp.c - libFuzzer target for the version comparators
 * (cmd/opspatch-check/vercmp.c)
 * SPDX-License-Identifier: MIT
 *
 * Input: A "\t" B (no tab: A and B are the two halves).  Each comparator
 * must give opposite answers both ways and equal for a string with
 * itself; a broken order, a crash or a sanitizer report is a finding.
 */
#include "compat.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

#include "../../cmd/opspatch-check/vercmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
sgn(int c)
{
	return (c > 0) - (c < 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *tab = memchr(data, '\t', size);
	size_t la = tab ? (size_t)(tab - data) : size / 2;
	char *a = ops_xstrndup((const char *)data, la);
	char *b = ops_xstrndup((const char *)data + la + (tab != NULL),
	    size - la - (tab != NULL));
	int (*cmps[])(const char *, const char *) = {vc_deb, vc_rpm,
	    vc_rpm_evr};
	size_t i;

	for (i = 0; i < sizeof(cmps) / sizeof(cmps[0]); i++) {
		if (sgn(cmps[i](a, b)) != -sgn(cmps[i](b, a)) ||
		    cmps[i](a, a) != 0 || cmps[i](b, b) != 0)
			abort();
	}
	(void)vc_deb_check(a);
	(void)vc_deb_check(b);
	free(a);
	free(b);
	return 0;
}
