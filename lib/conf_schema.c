/*
 * conf_schema.c - every section and key of ops.conf (ops.conf(5))
 * SPDX-License-Identifier: MIT
 *
 * One table for the whole toolkit, so that every command checks the whole
 * file and a key of another command is not "unknown".  To add a section,
 * add a block of rows (all rows of a section agree on .named), giving only
 * the fields that matter, and document it in man/ops.conf.5.  .min and
 * .max bound an OPS_CONF_INT (both 0: any value); .def is the default as
 * written in the file (NULL: none) and must pass its own type check
 * (t-conf tests that).
 */
#include "compat.h"

#include "conf.h"

/* One block of rows per section; clang-format would split the rows. */
/* clang-format off */
const struct ops_conf_key ops_conf_schema[] = {
	/* [core]: settings shared by every command */
	{.section = "core", .key = "lang", .type = OPS_CONF_STR},

	/* [ticket]: opsticket(1) */
	{.section = "ticket", .key = "response-target",
	    .type = OPS_CONF_DURATION, .def = "24h"},
	{.section = "ticket", .key = "isolation-target",
	    .type = OPS_CONF_DURATION, .def = "12h"},
	{.section = "ticket", .key = "lock-timeout",
	    .type = OPS_CONF_DURATION, .def = "30s"},

	{.section = NULL},
};
/* clang-format on */
