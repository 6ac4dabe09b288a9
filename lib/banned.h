/*
 * banned.h - functions we never call (STYLE.md 7.11)
 * SPDX-License-Identifier: MIT
 *
 * Each name is redefined to an undeclared identifier that says why, so a call
 * fails to compile.  Use snprintf with a truncation check or struct ops_buf,
 * gmtime_r/localtime_r, mkstemp, ops_parse_int, and lib/proc spawning.
 */
#ifndef OPS_BANNED_H
#define OPS_BANNED_H

#define OPS_BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) OPS_BANNED(strcpy)
#undef strcat
#define strcat(x, y) OPS_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) OPS_BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) OPS_BANNED(strncat)
#undef sprintf
#define sprintf(...) OPS_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) OPS_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) OPS_BANNED(strtok)
#undef gets
#define gets(x) OPS_BANNED(gets)
#undef gmtime
#define gmtime(t) OPS_BANNED(gmtime)
#undef localtime
#define localtime(t) OPS_BANNED(localtime)
#undef ctime
#define ctime(t) OPS_BANNED(ctime)
#undef asctime
#define asctime(t) OPS_BANNED(asctime)
#undef mktemp
#define mktemp(x) OPS_BANNED(mktemp)
#undef tmpnam
#define tmpnam(x) OPS_BANNED(tmpnam)
#undef atoi
#define atoi(x) OPS_BANNED(atoi)
#undef atol
#define atol(x) OPS_BANNED(atol)
#undef system
#define system(x) OPS_BANNED(system)
#undef popen
#define popen(x, y) OPS_BANNED(popen)

#endif
