/*
 * cli.c - start-up and the options every command shares
 * SPDX-License-Identifier: MIT
 */
#include "compat.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "exitcode.h"
#include "fsx.h"
#include "out.h"

void
ops_init(int argc, char **argv)
{
	struct stat st;
	int fd;

	ops_diag_init(argc > 0 ? argv[0] : NULL);
	for (fd = 0; fd < 3; fd++) {
		if (fstat(fd, &st) == 0)
			continue;
		/* Open /dev/null on the lowest free descriptor, which is fd. */
		if (open("/dev/null", O_RDWR) < 0)
			exit(3);
	}
}

void
ops_cli_init(struct ops_cli *cli)
{
	memset(cli, 0, sizeof(*cli));
	ops_conf_init(&cli->conf);
}

void
ops_cli_release(struct ops_cli *cli)
{
	free(cli->dir);
	free(cli->conf_path);
	ops_conf_release(&cli->conf);
	cli->dir = cli->conf_path = NULL;
}

int
ops_cli_option(struct ops_cli *cli, int opt, const char *arg)
{
	switch (opt) {
	case 'v':
		cli->verbose++;
		ops_diag_set_verbose(cli->verbose);
		return 1;
	case 'd':
		cli->dir_opt = arg;
		return 1;
	case 'c':
		cli->conf_opt = arg;
		return 1;
	case OPS_OPT_LANG:
		cli->lang_opt = arg;
		return 1;
	case OPS_OPT_FORMAT:
		cli->format_opt = arg;
		return 1;
	case OPS_OPT_NO_HEADER:
		cli->out_flags |= OPS_OUT_NOHEADER;
		return 1;
	case OPS_OPT_BOM:
		cli->out_flags |= OPS_OUT_BOM;
		return 1;
	case OPS_OPT_STRICT:
		cli->strict = true;
		return 1;
	default:
		return 0;
	}
}

/*
 * --lang, else OPS_LANG (ops_lang_resolve reads it), else [core] lang,
 * else the locale.  A bad [core] lang is reported at its file and line.
 */
static int
lang_choice(struct ops_cli *cli, const char **choice, struct ops_err *err)
{
	const struct ops_conf_entry *e;
	const char *env = getenv("OPS_LANG");

	*choice = cli->lang_opt;
	if (cli->lang_opt != NULL || (env != NULL && *env != '\0'))
		return 0;
	e = ops_conf_entry(&cli->conf, "core", NULL, "lang");
	if (e == NULL)
		return 0;
	if (strcmp(e->value, "ja") != 0 && strcmp(e->value, "en") != 0)
		return ops_err_at(err, OPS_EXIT_USAGE, cli->conf_path, e->line,
		    "lang is \"%s\": use ja or en", e->value);
	*choice = e->value;
	return 0;
}

int
ops_cli_setup(struct ops_cli *cli, unsigned need, struct ops_err *err)
{
	const char *lang;

	if (ops_clock_init(err) < 0)
		return -1;
	if (ops_confpath_resolve(cli->conf_opt, &cli->conf_path, err) < 0)
		return -1;
	if (ops_conf_load(&cli->conf, cli->conf_path, ops_conf_schema, err) <
	    0)
		return -1;
	if (lang_choice(cli, &lang, err) < 0 ||
	    ops_lang_resolve(lang, &cli->lang, err) < 0)
		return -1;
	if ((need & OPS_CLI_NEED_DIR) &&
	    ops_datadir_resolve(cli->dir_opt, true, &cli->dir, err) < 0)
		return -1;
	return 0;
}

const char *
ops_cli_user(const char *opt)
{
	static char name[64];
	const char *v;
	struct passwd *pw;

	if (opt != NULL && *opt != '\0')
		return opt;
	v = getenv("OPS_USER");
	if (v != NULL && *v != '\0')
		return v;
	pw = getpwuid(geteuid());
	if (pw != NULL && pw->pw_name != NULL && *pw->pw_name != '\0')
		return pw->pw_name;
	snprintf(name, sizeof(name), "uid %lu", (unsigned long)geteuid());
	return name;
}
