/*
 * exitcode.h - the exit statuses of every command (SPEC 3.2)
 * SPDX-License-Identifier: MIT
 *
 * Handlers return one of OPS_EXIT_*; main() combines them with
 * ops_exit_worst().  Plugin mode (Monitoring Plugins) uses OPS_PLUGIN_*.
 */
#ifndef OPS_EXITCODE_H
#define OPS_EXITCODE_H

enum {
	OPS_EXIT_OK = 0,    /* done, nothing wrong found */
	OPS_EXIT_FOUND = 1, /* done, and something is wrong */
	OPS_EXIT_USAGE = 2, /* usage, configuration or input data error */
	OPS_EXIT_FAIL = 3,  /* could not do the job */
};

enum {
	OPS_PLUGIN_OK = 0,
	OPS_PLUGIN_WARNING = 1,
	OPS_PLUGIN_CRITICAL = 2,
	OPS_PLUGIN_UNKNOWN = 3,
};

/* The worse of two OPS_EXIT_* codes: 3 beats 2 beats 1 beats 0. */
static inline int
ops_exit_worst(int a, int b)
{
	return a > b ? a : b;
}

#endif
