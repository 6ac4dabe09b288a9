/*
 * opspatch-check - what is installed where, and exact version ordering
 * SPDX-License-Identifier: MIT
 *
 * Built so far (SPEC 5.4): "vercmp" (vercmp.c) and "inventory" (pkg.c:
 * the local dpkg database or rpm, remote hosts over SSH, and the
 * hand-kept software.tsv, into DATADIR/inventory.tsv).  The feeds
 * (fetch, import), scan, applied, decide and pending come next; see
 * opspatch-check(1).
 */
#include "compat.h"

#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "cli.h"
#include "clock.h"
#include "exitcode.h"
#include "fsx.h"
#include "hostspec.h"
#include "mem.h"
#include "out.h"
#include "ssh.h"
#include "tsv.h"

#include "pkg.h"
#include "vercmp.h"

static const char usage_text[] =
    "usage: opspatch-check vercmp [--rpm] a op b\n"
    "       opspatch-check [-v] [-d dir] [-c file] inventory "
    "[--status file] [--accept-new-hostkey] [host ...]\n";

#define INVENTORY "inventory.tsv"
#define SOFTWARE "software.tsv"
#define LOCK_NAME "patch.lock"
#define DPKG_STATUS "/var/lib/dpkg/status"
#define SSH_STEP_MS 120000

static const char *const inv_cols[] = {"host", "package", "version", "arch",
    "source", "collected", "source_version", "kind", "cpe"};
#define NINV (sizeof(inv_cols) / sizeof(inv_cols[0]))

enum {
	OPT_RPM = OPS_OPT_CMD,
	OPT_STATUS,
	OPT_ACCEPT_NEW,
};

static const struct option longopts[] = {
    OPS_CLI_LONGOPTS,
    {"rpm", no_argument, NULL, OPT_RPM},
    {"status", required_argument, NULL, OPT_STATUS},
    {"accept-new-hostkey", no_argument, NULL, OPT_ACCEPT_NEW},
    {NULL, 0, NULL, 0},
};

struct opts {
	struct ops_cli cli;
	bool rpm, accept_new;
	const char *status;
	struct ops_buf pass;
};

static OPS_NORETURN void
usage(int code)
{
	fputs(usage_text, code ? stderr : stdout);
	exit(code);
}

/* ---- vercmp ---- */

static int
cmd_vercmp(struct opts *o, int argc, char **argv)
{
	int c, r;

	if (argc != 3)
		usage(OPS_EXIT_USAGE);
	if (!o->rpm) {
		const char *why;

		if ((why = vc_deb_check(argv[0])) != NULL)
			ops_warn("version '%s' has bad syntax: %s", argv[0],
			    why);
		if ((why = vc_deb_check(argv[2])) != NULL)
			ops_warn("version '%s' has bad syntax: %s", argv[2],
			    why);
	}
	c = o->rpm ? vc_rpm_evr(argv[0], argv[2]) : vc_deb(argv[0], argv[2]);
	r = vc_op(argv[1], c);
	if (r < 0) {
		ops_warn("unknown operator \"%s\" (lt le eq ne ge gt)",
		    argv[1]);
		return OPS_EXIT_USAGE;
	}
	return r ? OPS_EXIT_OK : OPS_EXIT_FOUND;
}

/* ---- inventory ---- */

struct inv_host {
	char *host;        /* as written in inventory.tsv */
	char *kind;        /* dpkg, rpm */
	struct pk_list pk;
	bool ok;
};

/* The short host name of this machine. */
static char *
local_host(void)
{
	char h[256];

	if (gethostname(h, sizeof(h)) < 0 || h[0] == '\0')
		return ops_xstrdup("localhost");
	h[sizeof(h) - 1] = '\0';
	h[strcspn(h, ".")] = '\0';
	return ops_xstrdup(h);
}

/* argv[0] with argv, stdout into out (at most limit bytes). */
static int
run_capture(char *const argv[], struct ops_buf *out, struct ops_err *err)
{
	int pfd[2], status;
	char buf[65536];
	ssize_t n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return ops_err_set(err, OPS_EXIT_FAIL, "pipe:");
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return ops_err_set(err, OPS_EXIT_FAIL, "fork:");
	}
	if (pid == 0) {
		if (dup2(pfd[1], 1) < 0)
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || ops_buf_add(out, buf, (size_t)n) < 0) {
			close(pfd[0]);
			kill(pid, SIGKILL);
			(void)waitpid(pid, &status, 0);
			return ops_err_set(err, OPS_EXIT_FAIL,
			    "%s: output too large or unreadable", argv[0]);
		}
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return ops_err_set(err, OPS_EXIT_FAIL, "waitpid:");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return ops_err_set(err, OPS_EXIT_FAIL, "%s exited %d", argv[0],
		    WIFEXITED(status) ? WEXITSTATUS(status) : 128);
	return 0;
}

static int
collect_local(struct opts *o, struct inv_host *h, struct ops_err *err)
{
	const char *st = o->status ? o->status : DPKG_STATUS;
	struct ops_buf b;
	int rc;

	ops_buf_init(&b, (size_t)512 << 20);
	if (o->status || access(DPKG_STATUS, R_OK) == 0) {
		h->kind = ops_xstrdup("dpkg");
		rc = ops_read_file(st, (size_t)512 << 20, &b, err);
		if (rc == 0)
			rc = pk_dpkg_status(st, b.data ? b.data : "", b.len,
			    &h->pk, err);
	} else {
		static char a0[] = "rpm", a1[] = "-qa", a2[] = "--qf",
			    a3[] = PK_RPM_QUERY_FORMAT;
		char *const argv[] = {a0, a1, a2, a3, NULL};

		h->kind = ops_xstrdup("rpm");
		rc = run_capture(argv, &b, err);
		if (rc == 0)
			rc = pk_rpm_query("rpm -qa", b.data ? b.data : "",
			    b.len, &h->pk, err);
		else
			ops_err_prefix(err, "no %s, and rpm", DPKG_STATUS);
	}
	ops_buf_release(&b);
	return rc;
}

/* ssh://[user@]host[:port] (or a bare host) */
static int
collect_remote(struct opts *o, const char *spec, struct inv_host *h,
    struct ops_err *err)
{
	const char *p = spec, *why;
	char *user = NULL, *host = NULL;
	struct ops_ssh_opts so;
	struct ops_ssh_exec x;
	struct ops_ssh *s = NULL;
	struct ops_buf cmd;
	const char *nl;
	bool agent = true;
	int port, rc = -1;

	if (strncmp(p, "ssh://", 6) == 0)
		p += 6;
	if (ops_hostspec(p, strlen(p), &user, &host, &port, &why) < 0)
		return ops_err_set(err, OPS_EXIT_USAGE, "%s: %s (write "
							"ssh://[user@]host[:port])",
		    spec, why);
	h->host = ops_xstrdup(host);
	ops_buf_init(&cmd, 0);
	memset(&x, 0, sizeof(x));
	ops_buf_init(&x.out, (size_t)256 << 20);
	ops_buf_init(&x.err, 64 * 1024);
	if (ops_conf_get_bool(&o->cli.conf, "ssh", NULL, "agent", &agent,
		err) < 0)
		goto out;
	memset(&so, 0, sizeof(so));
	so.host = host;
	so.port = port;
	so.user = user ? user : ops_conf_get(&o->cli.conf, "ssh", NULL, "user");
	so.known_hosts = ops_conf_get(&o->cli.conf, "ssh", NULL, "known-hosts");
	so.identity = ops_conf_get(&o->cli.conf, "ssh", NULL, "identity");
	so.passphrase = o->pass.len ? o->pass.data
				    : getenv("OPS_SSH_PASSPHRASE");
	so.no_agent = !agent;
	so.accept_new = o->accept_new;
	so.deadline = ops_clock_mono_ms() + 30000;
	if (ops_ssh_open(&s, &so, err) < 0)
		goto out;
	/* a fixed command: the formats are quoted, nothing else varies */
	ops_buf_puts(&cmd, "if command -v dpkg-query >/dev/null 2>&1; then "
			   "echo '#ops dpkg'; dpkg-query -W -f=");
	if (ops_sh_quote(&cmd, PK_DPKG_QUERY_FORMAT) < 0)
		goto out;
	ops_buf_puts(&cmd, "; elif command -v rpm >/dev/null 2>&1; then "
			   "echo '#ops rpm'; rpm -qa --qf ");
	if (ops_sh_quote(&cmd, PK_RPM_QUERY_FORMAT) < 0)
		goto out;
	ops_buf_puts(&cmd, "; else echo '#ops none'; fi");
	if (ops_ssh_run(s, ops_buf_cstr(&cmd), NULL, 0,
		ops_clock_mono_ms() + SSH_STEP_MS, &x, err) < 0)
		goto out;
	if (x.status != 0 || x.truncated) {
		ops_err_set(err, OPS_EXIT_FAIL,
		    "%s: the package query %s (%.200s)", spec,
		    x.truncated ? "printed too much" : "failed",
		    ops_buf_cstr(&x.err));
		goto out;
	}
	nl = x.out.data ? memchr(x.out.data, '\n', x.out.len) : NULL;
	if (nl == NULL) {
		ops_err_set(err, OPS_EXIT_FAIL, "%s: no answer", spec);
		goto out;
	}
	if (strncmp(x.out.data, "#ops dpkg\n", 10) == 0) {
		h->kind = ops_xstrdup("dpkg");
		rc = pk_dpkg_query(spec, nl + 1,
		    x.out.len - (size_t)(nl + 1 - x.out.data), &h->pk, err);
	} else if (strncmp(x.out.data, "#ops rpm\n", 9) == 0) {
		h->kind = ops_xstrdup("rpm");
		rc = pk_rpm_query(spec, nl + 1,
		    x.out.len - (size_t)(nl + 1 - x.out.data), &h->pk, err);
	} else {
		ops_err_set(err, OPS_EXIT_FAIL,
		    "%s: neither dpkg-query nor rpm on the host", spec);
	}
out:
	if (s)
		ops_ssh_close(s);
	ops_buf_release(&cmd);
	ops_buf_release(&x.out);
	ops_buf_release(&x.err);
	free(user);
	free(host);
	return rc;
}

static int
row(struct ops_buf *b, const char *const f[NINV])
{
	return ops_tsv_row(b, f, NINV);
}

/* Rows of inventory.tsv for hosts not collected now (kept as they
 * were), and software.tsv's rows, into b. */
static int
keep_old(struct opts *o, struct inv_host *hv, size_t nh, struct ops_buf *b,
    struct ops_err *err)
{
	char *path = ops_path_join(o->cli.dir, INVENTORY);
	struct ops_tsv_reader r;
	int idx[NINV], x, rc = 0;
	size_t i, k;

	if (ops_tsv_open(&r, path, OPS_TSV_MISSING_OK, err) < 0) {
		free(path);
		return -1;
	}
	free(path);
	if (r.ncols == 0) {
		ops_tsv_close(&r);
		return 0;
	}
	if (ops_tsv_columns(&r, inv_cols, idx, NINV, err) < 0) {
		ops_tsv_close(&r);
		return -1;
	}
	while ((x = ops_tsv_next(&r, err)) != 0) {
		const char *f[NINV];
		bool fresh = false;

		if (x == OPS_TSV_BAD) {
			ops_err_report(err);
			ops_err_clear(err);
			continue;
		}
		if (x < 0) {
			rc = -1;
			break;
		}
		if (strcmp(r.f[idx[7]], "software") == 0)
			continue; /* software.tsv is read again */
		for (i = 0; i < nh && !fresh; i++)
			fresh = hv[i].ok && strcmp(hv[i].host, r.f[idx[0]]) == 0;
		if (fresh)
			continue;
		for (k = 0; k < NINV; k++)
			f[k] = r.f[idx[k]];
		if (row(b, f) < 0) {
			rc = ops_err_set(err, OPS_EXIT_FAIL,
			    "inventory too large");
			break;
		}
	}
	ops_tsv_close(&r);
	return rc;
}

static int
add_software(struct opts *o, const char *now, struct ops_buf *b,
    struct ops_err *err)
{
	static const char *const need[] = {"host", "product", "version",
	    "cpe"};
	char *path = ops_path_join(o->cli.dir, SOFTWARE);
	struct ops_tsv_reader r;
	int idx[4], x, rc = 0;

	if (ops_tsv_open(&r, path, OPS_TSV_MISSING_OK, err) < 0 ||
	    ops_tsv_columns(&r, need, idx, 4, err) < 0) {
		if (!r.missing)
			ops_tsv_close(&r);
		free(path);
		return -1;
	}
	free(path);
	while (idx[0] >= 0 && (x = ops_tsv_next(&r, err)) != 0) {
		const char *f[NINV];

		if (x == OPS_TSV_BAD) {
			ops_err_report(err);
			ops_err_clear(err);
			continue;
		}
		if (x < 0) {
			rc = -1;
			break;
		}
		if (*r.f[idx[0]] == '\0' || *r.f[idx[1]] == '\0') {
			ops_warn_at(r.path, r.line, "host and product are "
						    "needed; line skipped");
			continue;
		}
		f[0] = r.f[idx[0]];
		f[1] = r.f[idx[1]];
		f[2] = r.f[idx[2]];
		f[3] = "";
		f[4] = r.f[idx[1]];
		f[5] = now;
		f[6] = r.f[idx[2]];
		f[7] = "software";
		f[8] = r.f[idx[3]];
		if (row(b, f) < 0) {
			rc = ops_err_set(err, OPS_EXIT_FAIL,
			    "inventory too large");
			break;
		}
	}
	ops_tsv_close(&r);
	return rc;
}

static int
cmd_inventory(struct opts *o, int argc, char **argv)
{
	struct inv_host *hv;
	struct ops_err err;
	struct ops_buf b;
	struct ops_atomic a;
	char now[OPS_RFC3339_SIZE], *lpath;
	const char *pf;
	size_t nh = argc > 0 ? (size_t)argc : 1, i, j;
	int rc = OPS_EXIT_OK, lockfd;

	ops_err_clear(&err);
	pf = ops_conf_get(&o->cli.conf, "ssh", NULL, "password-file");
	if (argc > 0 && pf && ops_secret_read(pf, &o->pass, &err) < 0)
		return ops_err_report(&err);
	if (argc > 0 && ops_ssh_init(&err) < 0)
		return ops_err_report(&err);
	ops_rfc3339_format(ops_clock_now(), now);
	hv = ops_xcalloc(nh, sizeof(*hv));
	for (i = 0; i < nh; i++) {
		pk_list_init(&hv[i].pk);
		ops_err_clear(&err);
		if (argc == 0) {
			hv[i].host = local_host();
			hv[i].ok = collect_local(o, &hv[i], &err) == 0;
		} else {
			hv[i].ok = collect_remote(o, argv[i], &hv[i], &err) ==
				   0;
		}
		if (!hv[i].ok) {
			/* the host's earlier rows stay: scan says how old */
			ops_err_prefix(&err, "%s: not collected",
			    argc ? argv[i] : "this host");
			rc = ops_exit_worst(rc,
			    err.code == OPS_EXIT_USAGE ? OPS_EXIT_USAGE
						       : OPS_EXIT_FOUND);
			ops_err_report(&err);
		} else {
			ops_info(1, "%s: %zu packages (%s)", hv[i].host,
			    hv[i].pk.n, hv[i].kind);
		}
	}
	/* one writer at a time; the store is rewritten whole */
	lpath = ops_path_join(o->cli.dir, LOCK_NAME);
	lockfd = open(lpath, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
	ops_err_clear(&err);
	if (lockfd < 0 || ops_flock_wait(lockfd, 30000, lpath, &err) < 0) {
		if (lockfd < 0)
			ops_err_set(&err, OPS_EXIT_FAIL, "%s:", lpath);
		rc = ops_err_report(&err);
		goto out;
	}
	ops_buf_init(&b, 0);
	if (ops_tsv_row(&b, inv_cols, NINV) < 0 ||
	    keep_old(o, hv, nh, &b, &err) < 0 ||
	    add_software(o, now, &b, &err) < 0) {
		if (err.code == 0)
			ops_err_set(&err, OPS_EXIT_FAIL, "inventory too large");
		rc = ops_exit_worst(rc, ops_err_report(&err));
		ops_buf_release(&b);
		goto out;
	}
	for (i = 0; i < nh; i++) {
		if (!hv[i].ok)
			continue;
		for (j = 0; j < hv[i].pk.n; j++) {
			const struct pk_pkg *p = &hv[i].pk.v[j];
			const char *f[NINV] = {hv[i].host, p->name,
			    p->version, p->arch, p->source, now,
			    p->source_version, hv[i].kind, ""};

			if (row(&b, f) < 0) {
				ops_err_set(&err, OPS_EXIT_FAIL,
				    "inventory too large");
				rc = ops_exit_worst(rc, ops_err_report(&err));
				ops_buf_release(&b);
				goto out;
			}
		}
	}
	{
		char *path = ops_path_join(o->cli.dir, INVENTORY);

		if (ops_atomic_begin(&a, path, 0640, &err) < 0 ||
		    ops_atomic_write(&a, b.data, b.len, &err) < 0 ||
		    ops_atomic_commit(&a, &err) < 0) {
			ops_atomic_abort(&a);
			rc = ops_exit_worst(rc, ops_err_report(&err));
		}
		free(path);
	}
	ops_buf_release(&b);
out:
	if (lockfd >= 0)
		close(lockfd);
	free(lpath);
	for (i = 0; i < nh; i++) {
		free(hv[i].host);
		free(hv[i].kind);
		pk_list_release(&hv[i].pk);
	}
	free(hv);
	return rc;
}

/* ---- main ---- */

int
main(int argc, char **argv)
{
	struct opts o;
	struct ops_err err;
	int c, k, rc;

	ops_init(argc, argv);
	memset(&o, 0, sizeof(o));
	ops_cli_init(&o.cli);
	ops_buf_init(&o.pass, 4096);
	while ((c = getopt_long(argc, argv, OPS_CLI_SHORT, longopts, NULL)) !=
	    -1) {
		if (ops_cli_option(&o.cli, c, optarg))
			continue;
		switch (c) {
		case 'h':
			usage(OPS_EXIT_OK);
		case 'V':
			printf("opspatch-check %s\n", OPS_VERSION);
			exit(OPS_EXIT_OK);
		case OPT_RPM:
			o.rpm = true;
			break;
		case OPT_STATUS:
			o.status = optarg;
			break;
		case OPT_ACCEPT_NEW:
			o.accept_new = true;
			break;
		default:
			usage(OPS_EXIT_USAGE);
		}
	}
	k = optind;
	if (k >= argc)
		usage(OPS_EXIT_USAGE);
	ops_err_clear(&err);
	if (strcmp(argv[k], "vercmp") == 0) {
		/* no data directory or configuration needed */
		rc = cmd_vercmp(&o, argc - k - 1, argv + k + 1);
	} else if (strcmp(argv[k], "inventory") == 0) {
		if (ops_cli_setup(&o.cli, OPS_CLI_NEED_DIR, &err) < 0 ||
		    ops_clock_init(&err) < 0)
			rc = ops_err_report(&err);
		else
			rc = cmd_inventory(&o, argc - k - 1, argv + k + 1);
	} else {
		ops_warn("unknown subcommand \"%s\" (this version has vercmp "
			 "and inventory)",
		    argv[k]);
		usage(OPS_EXIT_USAGE);
	}
	if (o.pass.data)
		explicit_bzero(o.pass.data, o.pass.len);
	ops_buf_release(&o.pass);
	ops_cli_release(&o.cli);
	if (ops_stdout_close(&err) < 0)
		rc = ops_exit_worst(rc, ops_err_report(&err));
	return rc;
}
