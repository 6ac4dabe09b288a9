/*
 * cli.h - start-up and the options every command shares (SPEC 3.1)
 * SPDX-License-Identifier: MIT
 *
 * ops_init() runs first in main(): it sets the program name, makes sure
 * descriptors 0, 1 and 2 are open (so a store opened later can never become
 * "stdout"), and leaves SIGPIPE at its default, so that "opsticket list |
 * head -1" ends quietly; network code asks for EPIPE per socket instead
 * (MSG_NOSIGNAL, CURLOPT_NOSIGNAL).
 *
 * Commands put OPS_CLI_LONGOPTS in their getopt_long table and pass every
 * option to ops_cli_option() first; after parsing, ops_cli_setup() decides
 * the language, loads and checks the configuration and finds (or makes) the
 * data directory.
 */
#ifndef OPS_CLI_H
#define OPS_CLI_H

#include "compat.h"

#include <getopt.h>

#include "conf.h"
#include "diag.h"
#include "lang.h"

enum {
	OPS_OPT_LANG = 0x100,
	OPS_OPT_FORMAT,
	OPS_OPT_NO_HEADER,
	OPS_OPT_BOM,
	OPS_OPT_STRICT,
	OPS_OPT_CMD = 0x200, /* a command's own long-only options start here */
};

/* Short options shared by every command: -h -V -v -d DIR -c FILE. */
#define OPS_CLI_SHORT "hVvd:c:"
#define OPS_CLI_LONGOPTS                                                   \
	{"help", no_argument, NULL, 'h'},                                  \
	    {"version", no_argument, NULL, 'V'},                           \
	    {"verbose", no_argument, NULL, 'v'},                           \
	    {"dir", required_argument, NULL, 'd'},                         \
	    {"conf", required_argument, NULL, 'c'},                        \
	    {"lang", required_argument, NULL, OPS_OPT_LANG},               \
	    {"format", required_argument, NULL, OPS_OPT_FORMAT},           \
	    {"no-header", no_argument, NULL, OPS_OPT_NO_HEADER},           \
	    {"bom", no_argument, NULL, OPS_OPT_BOM},                       \
	    {"strict", no_argument, NULL, OPS_OPT_STRICT}

struct ops_cli {
	/* as given on the command line (NULL: not given) */
	const char *dir_opt;    /* -d */
	const char *conf_opt;   /* -c */
	const char *lang_opt;   /* --lang */
	const char *format_opt; /* --format */
	unsigned out_flags;     /* OPS_OUT_NOHEADER, OPS_OUT_BOM */
	bool strict;            /* --strict: a malformed store line is fatal */
	int verbose;            /* -v, repeatable */
	/* filled by ops_cli_setup() */
	enum ops_lang lang;
	char *dir;              /* data directory */
	char *conf_path;        /* configuration file, NULL for none */
	struct ops_conf conf;   /* always initialised */
};

enum {
	OPS_CLI_NEED_DIR = 1 << 0, /* find (and create) the data directory */
};

/* First thing in main(). */
void ops_init(int argc, char **argv);

void ops_cli_init(struct ops_cli *cli);
void ops_cli_release(struct ops_cli *cli);

/* Take option opt (from getopt_long) if it is a shared one: returns 1 when
 * taken, 0 when it is not shared ('h' and 'V' are left to the command). */
int ops_cli_option(struct ops_cli *cli, int opt, const char *arg);

/* Language, configuration, data directory.  -1 with err (code 2 or 3). */
int ops_cli_setup(struct ops_cli *cli, unsigned need, struct ops_err *err)
    OPS_WUR;

/*
 * Who is acting: opt (--by) when given, else $OPS_USER, else the login name
 * of the effective user, else "uid N".  Returned string is static or opt.
 */
const char *ops_cli_user(const char *opt);

#endif
