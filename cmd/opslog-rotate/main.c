/*
 * opslog-rotate - a logrotate-compatible rotator that never loses a line
 * SPDX-License-Identifier: MIT
 *
 * Reads logrotate configuration files and rotates the logs they name as
 * logrotate 3.21 would, with the differences listed at the top of
 * rotate.c; "scan" counts what the logs say (scancmd.c).  One run at a
 * time (flock on DATADIR/rotate.lock).  See opslog-rotate(1).
 */
#include "compat.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "exitcode.h"
#include "fsx.h"
#include "mem.h"
#include "out.h"

#include "lr.h"
#include "rotate.h"

static const char usage_text[] =
    "usage: opslog-rotate [-v] [-d dir] [-c file] [-n|--dry-run] "
    "[-f|--force] [-s|--state statefile] config ...\n"
    "       opslog-rotate scan [-d dir] [--rules file|http|auth|errors] "
    "[--record] [--format tsv|csv|json|text] [--no-header] log ...\n";

#define LOCK_NAME "rotate.lock"
#define STATE_NAME "rotate.state"
#define LOCK_WAIT_MS 30000

static const struct option longopts[] = {
    OPS_CLI_LONGOPTS,
    {"dry-run", no_argument, NULL, 'n'},
    {"force", no_argument, NULL, 'f'},
    {"state", required_argument, NULL, 's'},
    {NULL, 0, NULL, 0},
};

struct opts {
	struct ops_cli cli;
	bool dry_run, force;
	const char *statefile;
};

static OPS_NORETURN void
usage(int code)
{
	fputs(usage_text, code ? stderr : stdout);
	exit(code);
}

/* Parse options; with stop, end at the first operand.  Returns optind. */
static int
parse(struct opts *o, int argc, char **argv, bool stop)
{
	int c;

	optind = 0; /* full re-initialisation (GNU) */
	while ((c = getopt_long(argc, argv,
		    stop ? "+" OPS_CLI_SHORT "nfs:" : OPS_CLI_SHORT "nfs:",
		    longopts, NULL)) != -1) {
		if (ops_cli_option(&o->cli, c, optarg))
			continue;
		switch (c) {
		case 'h':
			usage(OPS_EXIT_OK);
		case 'V':
			printf("opslog-rotate %s\n", OPS_VERSION);
			exit(OPS_EXIT_OK);
		case 'n':
			o->dry_run = true;
			break;
		case 'f':
			o->force = true;
			break;
		case 's':
			o->statefile = optarg;
			break;
		default:
			if (stop)
				return -1;
			usage(OPS_EXIT_USAGE);
		}
	}
	return optind;
}

/* flock DIR/rotate.lock, waiting up to 30 s; the fd, or -1 (reported) */
static int
take_lock(const char *dir)
{
	char *path = ops_path_join(dir, LOCK_NAME);
	struct ops_err err;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0) {
		ops_warn("%s: cannot open:", path);
	} else if (ops_flock_wait(fd, LOCK_WAIT_MS, path, &err) < 0) {
		ops_err_report(&err);
		close(fd);
		fd = -1;
	}
	free(path);
	return fd;
}

static int
cmd_rotate(struct opts *o, int argc, char **argv)
{
	struct lr_config conf;
	struct lr_state state;
	struct lr_run run;
	struct ops_err err;
	char *sfile;
	int i, lockfd = -1, rc;

	if (argc < 1)
		usage(OPS_EXIT_USAGE);
	if (ops_cli_setup(&o->cli, OPS_CLI_NEED_DIR, &err) < 0)
		return ops_err_report(&err);
	lr_config_init(&conf);
	for (i = 0; i < argc; i++) {
		ops_err_clear(&err);
		if (lr_config_load(&conf, argv[i], &err) < 0) {
			lr_config_release(&conf);
			return ops_err_report(&err);
		}
	}
	if (!o->dry_run && (lockfd = take_lock(o->cli.dir)) < 0) {
		lr_config_release(&conf);
		return OPS_EXIT_FAIL;
	}
	sfile = o->statefile ? ops_xstrdup(o->statefile)
			     : ops_path_join(o->cli.dir, STATE_NAME);
	lr_state_init(&state);
	ops_err_clear(&err);
	if (lr_state_load(&state, sfile, &err) < 0) {
		rc = ops_err_report(&err);
	} else {
		memset(&run, 0, sizeof(run));
		run.dry_run = o->dry_run;
		run.force = o->force;
		run.now = ops_clock_now();
		run.state = &state;
		rc = lr_run(&run, &conf);
	}
	lr_state_release(&state);
	free(sfile);
	lr_config_release(&conf);
	if (lockfd >= 0)
		close(lockfd);
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct ops_err err;
	int i, rc;

	ops_init(argc, argv);
	memset(&o, 0, sizeof(o));
	ops_cli_init(&o.cli);
	/* "scan" as the first operand: the rest is the subcommand's */
	i = parse(&o, argc, argv, true);
	if (i > 0 && i < argc && strcmp(argv[i], "scan") == 0) {
		rc = lr_cmd_scan(&o.cli, argc - i, argv + i);
	} else {
		ops_cli_release(&o.cli);
		memset(&o, 0, sizeof(o));
		ops_cli_init(&o.cli);
		ops_diag_set_verbose(0);
		i = parse(&o, argc, argv, false);
		rc = cmd_rotate(&o, argc - i, argv + i);
	}
	ops_cli_release(&o.cli);
	if (ops_stdout_close(&err) < 0)
		rc = ops_exit_worst(rc, ops_err_report(&err));
	return rc;
}
