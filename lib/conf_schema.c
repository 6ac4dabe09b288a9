/*
 * conf_schema.c - every section and key of ops.conf (ops.conf(5))
 * SPDX-License-Identifier: MIT
 *
 * One table for the whole toolkit, so that every command checks the whole
 * file and a key of another command is not "unknown".  To add a section,
 * add a block of rows, giving only the fields that matter (a section may
 * come in both forms, [backup] and [backup "NAME"], each with its own
 * rows told apart by .named), and document it in man/ops.conf.5.  .min and
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

	/* [ping]: opsping(1) checks */
	{.section = "ping", .key = "targets", .type = OPS_CONF_STR},
	{.section = "ping", .key = "timeout", .type = OPS_CONF_DURATION,
	    .def = "10s"},
	{.section = "ping", .key = "jobs", .type = OPS_CONF_INT,
	    .min = 1, .max = 10000, .def = "256"},
	{.section = "ping", .key = "interval", .type = OPS_CONF_DURATION,
	    .def = "1m"},
	{.section = "ping", .key = "icmp-interval",
	    .type = OPS_CONF_DURATION, .def = "0"},
	{.section = "ping", .key = "icmp-period", .type = OPS_CONF_DURATION,
	    .def = "1s"},
	{.section = "ping", .key = "icmp-socket", .type = OPS_CONF_STR,
	    .def = "auto"},
	{.section = "ping", .key = "ca-file", .type = OPS_CONF_STR},
	{.section = "ping", .key = "lock-timeout", .type = OPS_CONF_DURATION,
	    .def = "30s"},

	/* [alert]: opsping(1) --alert */
	{.section = "alert", .key = "mailto", .type = OPS_CONF_STR,
	    .multi = true},
	{.section = "alert", .key = "mail-from", .type = OPS_CONF_STR},
	{.section = "alert", .key = "smtp-url", .type = OPS_CONF_STR,
	    .def = "smtp://127.0.0.1:25"},
	{.section = "alert", .key = "smtp-user", .type = OPS_CONF_STR},
	{.section = "alert", .key = "password-file", .type = OPS_CONF_STR},
	{.section = "alert", .key = "ca-file", .type = OPS_CONF_STR},
	{.section = "alert", .key = "command", .type = OPS_CONF_STR},
	{.section = "alert", .key = "command-timeout",
	    .type = OPS_CONF_DURATION, .def = "30s"},
	{.section = "alert", .key = "ticket", .type = OPS_CONF_BOOL,
	    .def = "no"},
	{.section = "alert", .key = "renotify", .type = OPS_CONF_DURATION,
	    .def = "0"},
	{.section = "alert", .key = "mail-limit", .type = OPS_CONF_INT,
	    .min = 0, .max = 100000, .def = "10"},

	/* [ssh]: every command that reaches a host over SSH */
	{.section = "ssh", .key = "user", .type = OPS_CONF_STR},
	{.section = "ssh", .key = "identity", .type = OPS_CONF_STR},
	{.section = "ssh", .key = "password-file", .type = OPS_CONF_STR},
	{.section = "ssh", .key = "known-hosts", .type = OPS_CONF_STR},
	{.section = "ssh", .key = "agent", .type = OPS_CONF_BOOL,
	    .def = "yes"},
	{.section = "ssh", .key = "sessions-per-host", .type = OPS_CONF_INT,
	    .min = 1, .max = 64, .def = "4"},

	/* [probe "NAME"]: commands for opsping's ssh://HOST/exec=NAME */
	{.section = "probe", .named = true, .key = "command",
	    .type = OPS_CONF_STR},

	/* [backup]: opsbackup(1), every set */
	{.section = "backup", .key = "seal-key-file", .type = OPS_CONF_STR},
	{.section = "backup", .key = "pre-timeout", .type = OPS_CONF_DURATION,
	    .def = "1h"},
	{.section = "backup", .key = "lock-timeout",
	    .type = OPS_CONF_DURATION, .def = "0"},

	/* [backup "NAME"]: one set of opsbackup(1) */
	{.section = "backup", .named = true, .key = "source",
	    .type = OPS_CONF_STR, .multi = true},
	{.section = "backup", .named = true, .key = "exclude",
	    .type = OPS_CONF_STR, .multi = true},
	{.section = "backup", .named = true, .key = "pre",
	    .type = OPS_CONF_STR},
	{.section = "backup", .named = true, .key = "dest",
	    .type = OPS_CONF_STR},
	{.section = "backup", .named = true, .key = "keep",
	    .type = OPS_CONF_INT, .min = 1, .max = 10000, .def = "7"},
	{.section = "backup", .named = true, .key = "compress",
	    .type = OPS_CONF_STR, .def = "zstd"},
	{.section = "backup", .named = true, .key = "level",
	    .type = OPS_CONF_INT, .min = 0, .max = 22},
	{.section = "backup", .named = true, .key = "max-age",
	    .type = OPS_CONF_DURATION, .def = "26h"},

	{.section = NULL},
};
/* clang-format on */
