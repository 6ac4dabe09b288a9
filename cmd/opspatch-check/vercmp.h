/*
 * vercmp.h - package version ordering: Debian's and rpm's, exactly
 * SPDX-License-Identifier: MIT
 *
 * Debian (Debian Policy 5.6.12, dpkg's lib/dpkg/version.c): a version is
 * [epoch:]upstream[-revision]; epochs compare as numbers, then upstream
 * and revision with dpkg's verrevcmp: runs of non-digits compare char by
 * char with '~' before everything (the end included), letters before
 * the other characters, then runs of digits compare as numbers (leading
 * zeros dropped, any length: no overflow).  A missing revision is "",
 * which equals "0".  An empty version (or dpkg's "<unknown>") is lower
 * than any other, as in dpkg --compare-versions.
 *
 * rpm (rpm 4.18's rpmvercmp and rpmverCmp): segments of digits or of
 * ASCII letters, separators skipped; '~' sorts before everything, '^'
 * after the end but before anything else; a numeric segment beats an
 * alphabetic one; numbers compare by length then bytes.  Full EVR
 * [epoch:]version[-release]: the epoch (missing: 0), the version, then
 * the release, where a missing release is lower than any present one
 * (rpm.ver ordering; tests/data: fixtures/patch/vercmp-rpm-evr.tsv).
 *
 * Both are total orders on any byte string (as dpkg, which warns about a
 * bad version and still orders it); vc_deb_check says what is wrong with
 * a Debian version for a caller that wants to warn.
 */
#ifndef VERCMP_H
#define VERCMP_H

#include "compat.h"

/* <0, 0, >0 as a is lower than, equal to, higher than b. */
int vc_deb(const char *a, const char *b);
int vc_rpm(const char *a, const char *b);      /* rpmvercmp, one part */
int vc_rpm_evr(const char *a, const char *b);  /* [epoch:]version[-release] */

/* NULL for a well-formed Debian version, else why not (static text). */
const char *vc_deb_check(const char *v);

/* "lt" "le" "eq" "ne" "ge" "gt" (and dpkg's "<<" "<=" "=" ">=" ">>"):
 * whether cmp (a vc_* result) satisfies op; -1 for an unknown op. */
int vc_op(const char *op, int cmp);

#endif
