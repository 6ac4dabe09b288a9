/*
 * range.h - thresholds in the Monitoring Plugins range syntax
 * SPDX-License-Identifier: MIT
 *
 * The syntax of the Monitoring Plugins development guidelines:
 *   "10"     alert when v < 0 or v > 10        (start 0, end 10)
 *   "10:"    alert when v < 10                 (end is infinity)
 *   "~:10"   alert when v > 10                 (start is -infinity)
 *   "10:20"  alert when v < 10 or v > 20
 *   "@10:20" alert when 10 <= v <= 20          (inside, ends included)
 * Numbers are decimal, optionally signed, with an optional fraction
 * ("0.5", "-3", "+2.25"); no exponent, no hex, no blanks.  start must not
 * exceed end.  With OPS_RANGE_DURATION each number may instead carry a
 * duration unit, "ms" or "s" ("200ms", "1.5s", "~:1s"), and the range is
 * held in milliseconds; a bare number is then milliseconds too.
 * Nothing here allocates or prints.
 */
#ifndef OPS_RANGE_H
#define OPS_RANGE_H

#include "compat.h"

enum {
	OPS_RANGE_DURATION = 1 << 0, /* numbers may end in "ms" or "s" */
};

struct ops_range {
	bool set;       /* false: no threshold (never alerts) */
	bool inside;    /* '@': alert inside [lo, hi] */
	bool lo_inf;    /* "~": no lower end */
	bool hi_inf;    /* "N:": no upper end */
	double lo, hi;
};

/*
 * Parse s into *r (set = true).  0, or -1 with *why saying what is wrong in
 * a few words ("is not a number", "has start above end", "has an unknown
 * unit"), written to follow the quoted input; *r is then unchanged.
 * At most 64 bytes of input are accepted ("is too long").
 */
int ops_range_parse(const char *s, unsigned flags, struct ops_range *r,
    const char **why) OPS_WUR;

/* true when v is outside the range (inside it, for '@'); false when unset. */
bool ops_range_alert(const struct ops_range *r, double v);

/*
 * The range written back in the canonical form above, for perfdata
 * ("10", "10:", "~:10", "10:20", "@10:20"; numbers with %g); "" when unset.
 * With OPS_RANGE_DURATION-parsed ranges the numbers are milliseconds;
 * scale divides them first (1000 for seconds in perfdata).  Returns buf.
 */
char *ops_range_format(const struct ops_range *r, double scale, char *buf,
    size_t size);

#endif
