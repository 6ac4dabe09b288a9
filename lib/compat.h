/*
 * compat.h - feature macros, attributes and small helpers shared by every file
 * SPDX-License-Identifier: MIT
 *
 * Include this first in every .c file of lib/, cmd/ and tests/: it defines
 * _GNU_SOURCE before any system header and pulls in banned.h, so that a
 * banned function is a compile error everywhere.
 */
#ifndef OPS_COMPAT_H
#define OPS_COMPAT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
/* Every header that declares a banned function comes before banned.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OPS_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define OPS_NORETURN __attribute__((noreturn))
#define OPS_WUR __attribute__((warn_unused_result))
#define OPS_UNUSED __attribute__((unused))
#define OPS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define OPS_VERSION "0.1.0"

#include "banned.h"

#endif
