/*
 * ops-test-tool - lib/ internals exposed to the shell tests
 * SPDX-License-Identifier: MIT
 *
 * Not installed.  One subcommand per lib feature a shell test needs to
 * drive directly; each uses lib/ (vercmp: a cmd/ part).  Exit status: 0 done, 2 usage,
 * 3 the lib call failed (its message on stderr).
 *
 *   ssh-run  [OPTS] HOST PORT CMD          remote stdout to stdout, remote
 *            stderr to stderr, then "status=N" (or "signal=NAME") and,
 *            when output was cut, "truncated" on stderr
 *   ssh-echo [OPTS] HOST PORT ARG          runs "printf '%s\n' ARG" with ARG
 *            quoted by ops_sh_quote()
 *   sftp-put [OPTS] HOST PORT LOCAL REMOTE
 *   sftp-get [OPTS] HOST PORT REMOTE LOCAL
 *   ssh-ls    [OPTS] HOST PORT DIR...     one line per entry:
 *             "NAME<TAB>TYPE<TAB>SIZE<TAB>MTIME", TYPE f (file), d
 *             (directory) or - (other); "DIR:" before each listing when
 *             more than one DIR is given
 *   ssh-stat  [OPTS] HOST PORT PATH...    one such line per PATH
 *   ssh-rm    [OPTS] HOST PORT PATH...
 *   ssh-mkdir [OPTS] HOST PORT PATH...    mode 0750
 * The last four run every operand on one session, go on after a failed
 * one (its message on stderr) and then exit 3.
 *   vercmp deb|rpm|evr                    reads "A<TAB>B" lines, prints
 *             -1, 0 or 1 for each (cmd/opspatch-check/vercmp.c)
 *
 * OPTS: --known-hosts FILE, --identity FILE, --passphrase-file FILE,
 * --no-agent, --accept-new-hostkey, --timeout MS (default 10000; the
 * session set-up and then each operation get that long), --user NAME,
 * --stdin (ssh-run: send our standard input to the command).
 */
#include "compat.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "clock.h"
#include "conf.h"
#include "diag.h"
#include "exitcode.h"
#include "fsx.h"
#include "num.h"
#include "ssh.h"

#include "../../cmd/opspatch-check/vercmp.h"

struct sshargs {
	struct ops_ssh_opts o;
	long long timeout_ms;
	bool use_stdin;
	struct ops_buf pass;
};

enum {
	OPT_KNOWN_HOSTS = 0x100,
	OPT_IDENTITY,
	OPT_PASSFILE,
	OPT_NO_AGENT,
	OPT_ACCEPT_NEW,
	OPT_TIMEOUT,
	OPT_USER,
	OPT_STDIN,
};

static const struct option ssh_longopts[] = {
	{"known-hosts", required_argument, NULL, OPT_KNOWN_HOSTS},
	{"identity", required_argument, NULL, OPT_IDENTITY},
	{"passphrase-file", required_argument, NULL, OPT_PASSFILE},
	{"no-agent", no_argument, NULL, OPT_NO_AGENT},
	{"accept-new-hostkey", no_argument, NULL, OPT_ACCEPT_NEW},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"user", required_argument, NULL, OPT_USER},
	{"stdin", no_argument, NULL, OPT_STDIN},
	{NULL, 0, NULL, 0},
};

static int
usage(const char *msg)
{
	if (msg)
		fprintf(stderr, "ops-test-tool: %s\n", msg);
	fputs("usage: ops-test-tool ssh-run [opts] HOST PORT CMD\n"
	      "       ops-test-tool ssh-echo [opts] HOST PORT ARG\n"
	      "       ops-test-tool sftp-put [opts] HOST PORT LOCAL REMOTE\n"
	      "       ops-test-tool sftp-get [opts] HOST PORT REMOTE LOCAL\n"
	      "       ops-test-tool ssh-ls [opts] HOST PORT DIR...\n"
	      "       ops-test-tool ssh-stat [opts] HOST PORT PATH...\n"
	      "       ops-test-tool ssh-rm [opts] HOST PORT PATH...\n"
	      "       ops-test-tool ssh-mkdir [opts] HOST PORT PATH...\n"
	      "opts: --known-hosts FILE --identity FILE --passphrase-file FILE\n"
	      "      --no-agent --accept-new-hostkey --timeout MS --user NAME\n"
	      "      --stdin\n",
	    stderr);
	return OPS_EXIT_USAGE;
}

/*
 * Parse the options and HOST PORT; *argcp and *argvp then hold the operands
 * after PORT, which must be exactly nargs (at least -nargs when negative).
 * -1 after a usage message.
 */
static int
ssh_args(int *argcp, char ***argvp, int nargs, struct sshargs *a)
{
	int argc = *argcp, c;
	char **argv = *argvp;
	const char *errstr;
	long long port;
	struct ops_err err;

	memset(a, 0, sizeof(*a));
	a->timeout_ms = 10000;
	ops_buf_init(&a->pass, 4096);
	optind = 1;
	while ((c = getopt_long(argc, argv, "", ssh_longopts, NULL)) != -1) {
		switch (c) {
		case OPT_KNOWN_HOSTS:
			a->o.known_hosts = optarg;
			break;
		case OPT_IDENTITY:
			a->o.identity = optarg;
			break;
		case OPT_PASSFILE:
			ops_err_clear(&err);
			if (ops_secret_read(optarg, &a->pass, &err) == -1) {
				ops_err_report(&err);
				return -1;
			}
			a->o.passphrase = ops_buf_cstr(&a->pass);
			break;
		case OPT_NO_AGENT:
			a->o.no_agent = true;
			break;
		case OPT_ACCEPT_NEW:
			a->o.accept_new = true;
			break;
		case OPT_TIMEOUT:
			if (ops_parse_int(optarg, 1, 86400000, &a->timeout_ms,
			    &errstr) == -1) {
				usage("--timeout: bad number of milliseconds");
				return -1;
			}
			break;
		case OPT_USER:
			a->o.user = optarg;
			break;
		case OPT_STDIN:
			a->use_stdin = true;
			break;
		default:
			usage(NULL);
			return -1;
		}
	}
	argc -= optind;
	argv += optind;
	if (nargs >= 0 ? argc != 2 + nargs : argc < 2 - nargs) {
		usage("wrong number of operands");
		return -1;
	}
	if (ops_parse_int(argv[1], 1, 65535, &port, &errstr) == -1) {
		usage("bad port");
		return -1;
	}
	a->o.host = argv[0];
	a->o.port = (int)port;
	*argcp = argc - 2;
	*argvp = argv + 2;
	return 0;
}

/* Open the session; exit status on failure, 0 on success. */
static int
ssh_connect(struct sshargs *a, struct ops_ssh **s)
{
	struct ops_err err;

	ops_err_clear(&err);
	a->o.deadline = ops_clock_mono_ms() + a->timeout_ms;
	if (ops_ssh_init(&err) == -1 || ops_ssh_open(s, &a->o, &err) == -1)
		return ops_err_report(&err);
	return 0;
}

static int
run_and_print(struct sshargs *a, const char *cmd, const char *in,
    size_t inlen)
{
	struct ops_ssh *s;
	struct ops_ssh_exec r;
	struct ops_err err;
	int rc;

	if ((rc = ssh_connect(a, &s)) != 0)
		return rc;
	ops_err_clear(&err);
	ops_buf_init(&r.out, 0);
	ops_buf_init(&r.err, 0);
	if (ops_ssh_run(s, cmd, in, inlen, ops_clock_mono_ms() + a->timeout_ms,
	    &r, &err) == -1) {
		rc = ops_err_report(&err);
	} else {
		if (r.out.len && ops_write_all(STDOUT_FILENO, r.out.data,
		    r.out.len) == -1)
			rc = OPS_EXIT_FAIL;
		if (r.err.len && ops_write_all(STDERR_FILENO, r.err.data,
		    r.err.len) == -1)
			rc = OPS_EXIT_FAIL;
		if (r.status == -1)
			fprintf(stderr, "signal=%s\n", r.signal);
		else
			fprintf(stderr, "status=%d\n", r.status);
		if (r.truncated)
			fprintf(stderr, "truncated\n");
	}
	ops_buf_release(&r.out);
	ops_buf_release(&r.err);
	ops_ssh_close(s);
	return rc;
}

static int
cmd_ssh_run(int argc, char **argv, struct sshargs *a)
{
	struct ops_buf in;
	struct ops_err err;
	int rc;

	if (ssh_args(&argc, &argv, 1, a) == -1)
		return OPS_EXIT_USAGE;
	ops_buf_init(&in, 64u << 20);
	if (a->use_stdin) {
		char chunk[65536];
		ssize_t n;

		while ((n = ops_read_all(STDIN_FILENO, chunk, sizeof(chunk))) >
		    0) {
			if (ops_buf_add(&in, chunk, (size_t)n) == -1) {
				ops_err_clear(&err);
				ops_err_set(&err, OPS_EXIT_USAGE,
				    "standard input over 64 MiB");
				ops_buf_release(&in);
				return ops_err_report(&err);
			}
			if ((size_t)n < sizeof(chunk))
				break;
		}
	}
	rc = run_and_print(a, argv[0], in.data, in.len);
	ops_buf_release(&in);
	return rc;
}

static int
cmd_ssh_echo(int argc, char **argv, struct sshargs *a)
{
	struct ops_buf cmd;
	int rc;

	if (ssh_args(&argc, &argv, 1, a) == -1)
		return OPS_EXIT_USAGE;
	ops_buf_init(&cmd, 0);
	ops_buf_puts(&cmd, "printf '%s\\n' ");
	if (ops_sh_quote(&cmd, argv[0]) == -1) {
		ops_buf_release(&cmd);
		return OPS_EXIT_FAIL;
	}
	rc = run_and_print(a, cmd.data, NULL, 0);
	ops_buf_release(&cmd);
	return rc;
}

static int
cmd_sftp_put(int argc, char **argv, struct sshargs *a)
{
	struct ops_ssh *s;
	struct ops_err err;
	uint64_t n = 0;
	int fd, rc;

	if (ssh_args(&argc, &argv, 2, a) == -1)
		return OPS_EXIT_USAGE;
	ops_err_clear(&err);
	fd = open(argv[0], O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		ops_err_set(&err, OPS_EXIT_FAIL, "%s:", argv[0]);
		return ops_err_report(&err);
	}
	if ((rc = ssh_connect(a, &s)) != 0) {
		close(fd);
		return rc;
	}
	if (ops_ssh_upload(s, fd, argv[1], 0640,
	    ops_clock_mono_ms() + a->timeout_ms, &n, &err) == -1)
		rc = ops_err_report(&err);
	else
		fprintf(stderr, "bytes=%llu\n", (unsigned long long)n);
	close(fd);
	ops_ssh_close(s);
	return rc;
}

static int
cmd_sftp_get(int argc, char **argv, struct sshargs *a)
{
	struct ops_ssh *s;
	struct ops_err err;
	uint64_t n = 0;
	int fd, rc;

	if (ssh_args(&argc, &argv, 2, a) == -1)
		return OPS_EXIT_USAGE;
	ops_err_clear(&err);
	if ((rc = ssh_connect(a, &s)) != 0)
		return rc;
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1) {
		ops_err_set(&err, OPS_EXIT_FAIL, "%s:", argv[1]);
		ops_ssh_close(s);
		return ops_err_report(&err);
	}
	if (ops_ssh_download(s, argv[0], fd,
	    ops_clock_mono_ms() + a->timeout_ms, &n, &err) == -1)
		rc = ops_err_report(&err);
	else
		fprintf(stderr, "bytes=%llu\n", (unsigned long long)n);
	if (close(fd) == -1 && rc == 0) {
		ops_err_set(&err, OPS_EXIT_FAIL, "%s:", argv[1]);
		rc = ops_err_report(&err);
	}
	ops_ssh_close(s);
	return rc;
}

static void
print_dirent(const struct ops_ssh_dirent *d)
{
	printf("%s\t%c\t%llu\t%lld\n", d->name,
	    d->is_reg ? 'f' : d->is_dir ? 'd' : '-',
	    (unsigned long long)d->size, (long long)d->mtime);
}

/* One lib call per operand on one session. */
enum sftp_op { OP_LS, OP_STAT, OP_RM, OP_MKDIR };

static int
sftp_each(int argc, char **argv, struct sshargs *a, enum sftp_op op)
{
	struct ops_ssh *s;
	struct ops_ssh_dirent *v, st;
	struct ops_err err;
	size_t n, j;
	int64_t deadline;
	int i, rc, ret = 0;

	if (ssh_args(&argc, &argv, -1, a) == -1)
		return OPS_EXIT_USAGE;
	if ((rc = ssh_connect(a, &s)) != 0)
		return rc;
	for (i = 0; i < argc; i++) {
		ops_err_clear(&err);
		deadline = ops_clock_mono_ms() + a->timeout_ms;
		switch (op) {
		case OP_LS:
			rc = ops_ssh_list(s, argv[i], &v, &n, deadline, &err);
			if (rc == 0) {
				if (argc > 1)
					printf("%s:\n", argv[i]);
				for (j = 0; j < n; j++)
					print_dirent(&v[j]);
				ops_ssh_dirents_free(v, n);
			}
			break;
		case OP_STAT:
			rc = ops_ssh_stat(s, argv[i], &st, deadline, &err);
			if (rc == 0) {
				print_dirent(&st);
				free(st.name);
			}
			break;
		case OP_RM:
			rc = ops_ssh_remove(s, argv[i], deadline, &err);
			break;
		case OP_MKDIR:
			rc = ops_ssh_mkdir(s, argv[i], 0750, deadline, &err);
			break;
		}
		if (rc == -1)
			ret = ops_err_report(&err);
	}
	ops_ssh_close(s);
	return ret;
}

static int
cmd_ssh_ls(int argc, char **argv, struct sshargs *a)
{
	return sftp_each(argc, argv, a, OP_LS);
}

static int
cmd_ssh_stat(int argc, char **argv, struct sshargs *a)
{
	return sftp_each(argc, argv, a, OP_STAT);
}

static int
cmd_ssh_rm(int argc, char **argv, struct sshargs *a)
{
	return sftp_each(argc, argv, a, OP_RM);
}

static int
cmd_ssh_mkdir(int argc, char **argv, struct sshargs *a)
{
	return sftp_each(argc, argv, a, OP_MKDIR);
}

static int
cmd_vercmp(int argc, char **argv, struct sshargs *a)
{
	int (*cmp)(const char *, const char *);
	char *line = NULL, *tab;
	size_t cap = 0;
	ssize_t n;

	(void)a;
	if (argc != 2)
		return usage("vercmp: deb, rpm or evr");
	if (strcmp(argv[1], "deb") == 0)
		cmp = vc_deb;
	else if (strcmp(argv[1], "rpm") == 0)
		cmp = vc_rpm;
	else if (strcmp(argv[1], "evr") == 0)
		cmp = vc_rpm_evr;
	else
		return usage("vercmp: deb, rpm or evr");
	while ((n = getline(&line, &cap, stdin)) > 0) {
		int c;

		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		tab = strchr(line, '\t');
		if (tab == NULL) {
			free(line);
			return usage("vercmp: lines are A<TAB>B");
		}
		*tab = '\0';
		c = cmp(line, tab + 1);
		printf("%d\n", (c > 0) - (c < 0));
	}
	free(line);
	return OPS_EXIT_OK;
}

static const struct {
	const char *name;
	int (*fn)(int, char **, struct sshargs *);
} cmds[] = {
	{"vercmp", cmd_vercmp},
	{"ssh-run", cmd_ssh_run},
	{"ssh-echo", cmd_ssh_echo},
	{"sftp-put", cmd_sftp_put},
	{"sftp-get", cmd_sftp_get},
	{"ssh-ls", cmd_ssh_ls},
	{"ssh-stat", cmd_ssh_stat},
	{"ssh-rm", cmd_ssh_rm},
	{"ssh-mkdir", cmd_ssh_mkdir},
};

int
main(int argc, char **argv)
{
	struct sshargs a;
	size_t i;
	int rc;

	ops_init(argc, argv);
	if (argc < 2)
		return usage(NULL);
	for (i = 0; i < OPS_ARRAY_SIZE(cmds); i++) {
		if (strcmp(argv[1], cmds[i].name) != 0)
			continue;
		memset(&a, 0, sizeof(a));
		ops_buf_init(&a.pass, 4096);
		rc = cmds[i].fn(argc - 1, argv + 1, &a);
		ops_buf_release(&a.pass);
		if (fflush(stdout) == EOF || fflush(stderr) == EOF)
			return OPS_EXIT_FAIL;
		return rc;
	}
	return usage("unknown subcommand");
}
