/*
 * opspatch-check - what is installed where, and exact version ordering
 * SPDX-License-Identifier: MIT
 *
 * Built so far (SPEC 5.4): "vercmp" (vercmp.c), "inventory" (pkg.c: the
 * local dpkg database or rpm, remote hosts over SSH, and the hand-kept
 * software.tsv, into DATADIR/inventory.tsv) and "applied" (applied.c:
 * dpkg's and apt's logs, rotations included, locally or over SSH, into
 * DATADIR/applied.tsv).  The feeds (fetch, import), scan, decide and
 * pending come next; see opspatch-check(1).
 */
#include "compat.h"

#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "cli.h"
#include "clock.h"
#include "compress.h"
#include "exitcode.h"
#include "fsx.h"
#include "hostspec.h"
#include "mem.h"
#include "out.h"
#include "ssh.h"
#include "store.h"
#include "tsv.h"

#include "applied.h"
#include "pkg.h"
#include "vercmp.h"

static const char usage_text[] =
    "usage: opspatch-check vercmp [--rpm] a op b\n"
    "       opspatch-check vercmp [--rpm] --batch\n"
    "       opspatch-check [-v] [-d dir] [-c file] inventory "
    "[--status file] [--accept-new-hostkey] [host ...]\n"
    "       opspatch-check [-v] [-d dir] [-c file] applied [--log file]... "
    "[--format tsv|csv|excel|json|text] [--no-header] "
    "[--accept-new-hostkey] [host ...]\n";

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
	OPT_LOG,
	OPT_BATCH,
};

static const struct option longopts[] = {
    OPS_CLI_LONGOPTS,
    {"rpm", no_argument, NULL, OPT_RPM},
    {"status", required_argument, NULL, OPT_STATUS},
    {"accept-new-hostkey", no_argument, NULL, OPT_ACCEPT_NEW},
    {"log", required_argument, NULL, OPT_LOG},
    {"batch", no_argument, NULL, OPT_BATCH},
    {NULL, 0, NULL, 0},
};

struct opts {
	struct ops_cli cli;
	bool rpm, accept_new, batch;
	const char *status;
	char **logs;
	size_t nlogs, caplogs;
	struct ops_buf pass;
};

static OPS_NORETURN void
usage(int code)
{
	fputs(usage_text, code ? stderr : stdout);
	exit(code);
}

/* ---- vercmp ---- */

/* --batch: "A OP B" lines (blanks or tabs between) on standard input,
 * "A<TAB>OP<TAB>B<TAB>yes|no" lines out */
static int
vercmp_batch(struct opts *o)
{
	char *line = NULL, *w[4];
	size_t cap = 0;
	ssize_t n;
	long ln = 0;
	int rc = OPS_EXIT_OK;

	while ((n = getline(&line, &cap, stdin)) > 0) {
		char *p = line;
		int k = 0, r;

		ln++;
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		while (k < 4) {
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p == '\0')
				break;
			w[k++] = p;
			while (*p && *p != ' ' && *p != '\t')
				p++;
			if (*p)
				*p++ = '\0';
		}
		if (k == 0)
			continue;
		r = k == 3 ? vc_op(w[1],
				 o->rpm ? vc_rpm_evr(w[0], w[2])
					: vc_deb(w[0], w[2]))
			   : -1;
		if (r < 0) {
			ops_warn_at("(standard input)", ln,
			    "expected \"A OP B\" with OP lt le eq ne ge gt");
			rc = OPS_EXIT_USAGE;
			continue;
		}
		printf("%s\t%s\t%s\t%s\n", w[0], w[1], w[2], r ? "yes" : "no");
	}
	free(line);
	return rc;
}

static int
cmd_vercmp(struct opts *o, int argc, char **argv)
{
	int c, r;

	if (o->batch) {
		if (argc != 0)
			usage(OPS_EXIT_USAGE);
		return vercmp_batch(o);
	}
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

/* A session to host with the [ssh] settings. */
static int
ssh_open(struct opts *o, const char *user, const char *host, int port,
    struct ops_ssh **s, struct ops_err *err)
{
	struct ops_ssh_opts so;
	bool agent = true;

	if (ops_conf_get_bool(&o->cli.conf, "ssh", NULL, "agent", &agent,
		err) < 0)
		return -1;
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
	return ops_ssh_open(s, &so, err);
}

/*
 * Run the fixed command cmd on spec (ssh://[user@]host[:port] or a bare
 * host) and keep its standard output in out (at most limit bytes);
 * *hostname gets the host as given.  what names the job in messages.
 * -1 with err (code 2 for a bad spec, else 3).
 */
static int
remote_run(struct opts *o, const char *spec, const char *cmd,
    const char *what, size_t limit, char **hostname, struct ops_buf *out,
    struct ops_err *err)
{
	const char *p = spec, *why;
	char *user = NULL, *host = NULL;
	struct ops_ssh_exec x;
	struct ops_ssh *s = NULL;
	int port, rc = -1;

	if (strncmp(p, "ssh://", 6) == 0)
		p += 6;
	if (ops_hostspec(p, strlen(p), &user, &host, &port, &why) < 0)
		return ops_err_set(err, OPS_EXIT_USAGE,
		    "%s: %s (write ssh://[user@]host[:port])", spec, why);
	*hostname = ops_xstrdup(host);
	memset(&x, 0, sizeof(x));
	ops_buf_init(&x.out, limit);
	ops_buf_init(&x.err, 64 * 1024);
	if (ssh_open(o, user, host, port, &s, err) < 0 ||
	    ops_ssh_run(s, cmd, NULL, 0, ops_clock_mono_ms() + SSH_STEP_MS, &x,
		err) < 0)
		goto out;
	if (x.status != 0 || x.truncated) {
		ops_err_set(err, OPS_EXIT_FAIL, "%s: %s %s (%.200s)", spec, what,
		    x.truncated ? "printed too much" : "failed",
		    ops_buf_cstr(&x.err));
		goto out;
	}
	*out = x.out;
	ops_buf_init(&x.out, 0);
	rc = 0;
out:
	if (s)
		ops_ssh_close(s);
	ops_buf_release(&x.out);
	ops_buf_release(&x.err);
	free(user);
	free(host);
	return rc;
}

/* ssh://[user@]host[:port] (or a bare host): dpkg-query, else rpm */
static int
collect_remote(struct opts *o, const char *spec, struct inv_host *h,
    struct ops_err *err)
{
	struct ops_buf cmd, out;
	const char *nl;
	int rc = -1;

	ops_buf_init(&cmd, 0);
	ops_buf_init(&out, 0);
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
	if (remote_run(o, spec, ops_buf_cstr(&cmd), "the package query",
		(size_t)256 << 20, &h->host, &out, err) < 0)
		goto out;
	nl = out.data ? memchr(out.data, '\n', out.len) : NULL;
	if (nl == NULL) {
		ops_err_set(err, OPS_EXIT_FAIL, "%s: no answer", spec);
		goto out;
	}
	if (strncmp(out.data, "#ops dpkg\n", 10) == 0) {
		h->kind = ops_xstrdup("dpkg");
		rc = pk_dpkg_query(spec, nl + 1,
		    out.len - (size_t)(nl + 1 - out.data), &h->pk, err);
	} else if (strncmp(out.data, "#ops rpm\n", 9) == 0) {
		h->kind = ops_xstrdup("rpm");
		rc = pk_rpm_query(spec, nl + 1,
		    out.len - (size_t)(nl + 1 - out.data), &h->pk, err);
	} else {
		ops_err_set(err, OPS_EXIT_FAIL,
		    "%s: neither dpkg-query nor rpm on the host", spec);
	}
out:
	ops_buf_release(&cmd);
	ops_buf_release(&out);
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


/* ---- applied ---- */

#define APPLIED "applied.tsv"
static const char *const ap_cols[] = {"ts", "host", "package", "from", "to",
    "action", "source"};
#define NAP (sizeof(ap_cols) / sizeof(ap_cols[0]))

/* Read file (plain or compressed) whole into l. */
static int
read_log(const char *file, struct ap_log *l, struct ops_err *err)
{
	struct ops_zr *zr = NULL;
	struct ops_buf b;
	char chunk[65536];
	ssize_t n;
	int fd, rc = -1;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ops_err_set(err, OPS_EXIT_FAIL, "%s:", file);
	ops_buf_init(&b, (size_t)1 << 30);
	if (ops_zr_open(&zr, fd, file, err) < 0)
		goto out;
	while ((n = ops_zr_read(zr, chunk, sizeof(chunk), err)) > 0)
		if (ops_buf_add(&b, chunk, (size_t)n) < 0) {
			ops_err_set(err, OPS_EXIT_FAIL, "%s: larger than 1 GiB",
			    file);
			goto out;
		}
	if (n < 0)
		goto out;
	rc = ap_log_add(l, file, b.data ? b.data : "", b.len, err);
out:
	if (zr)
		ops_zr_close(zr);
	close(fd);
	ops_buf_release(&b);
	return rc;
}

/* The local logs: --log files, else every rotation of dpkg.log and of
 * apt's history.log. */
static int
local_logs(struct opts *o, struct ap_log *l, struct ops_err *err)
{
	static const char *const pats[] = {"/var/log/dpkg.log*",
	    "/var/log/apt/history.log*"};
	size_t i, k;

	if (o->nlogs > 0) {
		for (i = 0; i < o->nlogs; i++)
			if (read_log(o->logs[i], l, err) < 0)
				return -1;
		return 0;
	}
	for (k = 0; k < sizeof(pats) / sizeof(pats[0]); k++) {
		glob_t g;

		if (glob(pats[k], 0, NULL, &g) != 0)
			continue;
		for (i = 0; i < g.gl_pathc; i++)
			if (read_log(g.gl_pathv[i], l, err) < 0) {
				globfree(&g);
				return -1;
			}
		globfree(&g);
	}
	return 0;
}

/* Over SSH: each log printed after a "#ops log NAME" line. */
static int
remote_logs(struct opts *o, const char *spec, char **hostname,
    struct ap_log *l, struct ops_err *err)
{
	struct ops_buf out;
	const char *p, *q, *end;
	int rc = -1;

	ops_buf_init(&out, 0);
	/* a fixed command; zcat for the compressed rotations */
	if (remote_run(o, spec,
		"for f in /var/log/dpkg.log* /var/log/apt/history.log*; do "
		"[ -f \"$f\" ] || continue; echo \"#ops log $f\"; "
		"case $f in *.gz) zcat \"$f\" ;; *) cat \"$f\" ;; esac; "
		"echo; done",
		"reading the logs", (size_t)512 << 20, hostname, &out,
		err) < 0)
		goto out;
	/* split at the marker lines */
	p = out.data ? out.data : "";
	end = p + out.len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		char name[512];

		if (nl == NULL || (size_t)(nl - p) < 9 ||
		    memcmp(p, "#ops log ", 9) != 0) {
			ops_err_set(err, OPS_EXIT_FAIL,
			    "%s: unexpected output from the host", spec);
			goto out;
		}
		snprintf(name, sizeof(name), "%s:%.*s", *hostname,
		    (int)(nl - p - 9), p + 9);
		p = nl + 1;
		for (q = p; q < end; q++)
			if (*q == '\n' && (size_t)(end - q - 1) >= 9 &&
			    memcmp(q + 1, "#ops log ", 9) == 0)
				break;
		if (ap_log_add(l, name, p, (size_t)(q - p), err) < 0)
			goto out;
		p = q < end ? q + 1 : end;
	}
	rc = 0;
out:
	ops_buf_release(&out);
	return rc;
}

/* keys "ts\thost\tpackage\tfrom\tto\taction" already in applied.tsv */
static int
known_rows(struct opts *o, char ***keys, size_t *n, struct ops_err *err)
{
	char *path = ops_path_join(o->cli.dir, APPLIED);
	struct ops_tsv_reader r;
	size_t cap = 0;
	int idx[NAP], x, rc = 0;

	*keys = NULL;
	*n = 0;
	if (ops_tsv_open(&r, path, OPS_TSV_MISSING_OK, err) < 0) {
		free(path);
		return -1;
	}
	free(path);
	if (ops_tsv_columns(&r, ap_cols, idx, NAP, err) < 0) {
		ops_tsv_close(&r);
		return -1;
	}
	while (idx[0] >= 0 && (x = ops_tsv_next(&r, err)) != 0) {
		struct ops_buf k;
		const char *f[6];
		size_t i;

		if (x == OPS_TSV_BAD) {
			ops_err_report(err);
			ops_err_clear(err);
			continue;
		}
		if (x < 0) {
			rc = -1;
			break;
		}
		for (i = 0; i < 6; i++)
			f[i] = r.f[idx[i]];
		ops_buf_init(&k, 0);
		if (ops_tsv_row(&k, f, 6) < 0)
			continue;
		ops_xgrow((void **)keys, &cap, *n + 1, sizeof(**keys));
		(*keys)[(*n)++] = ops_buf_detach(&k, NULL);
	}
	ops_tsv_close(&r);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Print the TSV rows held in b (our own, so they read back). */
static int
print_rows(struct ops_out *out, struct ops_buf *b)
{
	struct ops_err err;
	char *p = b->data, *end = b->data + b->len;

	while (p && p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *f[NAP];
		size_t k;

		*nl = '\0';
		for (k = 0; k < NAP; k++) {
			char *t = strchr(p, '\t');
			ssize_t n;

			if (t)
				*t = '\0';
			n = ops_tsv_unescape(p, strlen(p));
			p[n < 0 ? 0 : n] = '\0';
			f[k] = p;
			p = t ? t + 1 : nl;
		}
		if (ops_out_row(out, (const char *const *)f) < 0)
			break;
		p = nl + 1;
	}
	ops_err_clear(&err);
	if (ops_out_end(out, &err) < 0)
		return ops_err_report(&err);
	return OPS_EXIT_OK;
}

static int
cmd_applied(struct opts *o, int argc, char **argv)
{
	static const char *const allowed[] = {"tsv", "csv", "excel", "json",
	    "text", NULL};
	struct ops_out_col cols[NAP];
	size_t nh = argc > 0 ? (size_t)argc : 1, i, j, nkeys = 0;
	char **keys = NULL;
	struct ops_store st;
	struct ops_buf batch, shown;
	struct ops_out out;
	struct ops_err err;
	enum ops_out_fmt fmt = OPS_OUT_TSV;
	unsigned flags = o->cli.out_flags;
	const char *pf;
	int rc = OPS_EXIT_OK;
	bool store_open = false;

	ops_err_clear(&err);
	for (i = 0; i < NAP; i++) {
		cols[i].name = ap_cols[i];
		cols[i].label = NULL;
		cols[i].num = false;
	}
	if (o->cli.format_opt && ops_out_format_parse(o->cli.format_opt,
				     allowed, &fmt, &flags, &err) < 0)
		return ops_err_report(&err);
	if (argc > 0 && o->nlogs > 0) {
		ops_warn("--log reads local files: give it without hosts");
		return OPS_EXIT_USAGE;
	}
	pf = ops_conf_get(&o->cli.conf, "ssh", NULL, "password-file");
	if (argc > 0 && pf && ops_secret_read(pf, &o->pass, &err) < 0)
		return ops_err_report(&err);
	if (argc > 0 && ops_ssh_init(&err) < 0)
		return ops_err_report(&err);
	if (ops_store_open(&st, o->cli.dir, APPLIED, ap_cols, NAP, 0640,
		&err) < 0 ||
	    ops_store_lock(&st, 30000, &err) < 0)
		return ops_err_report(&err);
	store_open = true;
	if (known_rows(o, &keys, &nkeys, &err) < 0) {
		rc = ops_err_report(&err);
		goto out;
	}
	if (nkeys > 1)
		qsort(keys, nkeys, sizeof(*keys), cmp_str);
	ops_buf_init(&batch, 0);
	ops_buf_init(&shown, 0);
	ops_out_begin(&out, stdout, fmt, flags, cols, NAP);
	for (i = 0; i < nh; i++) {
		struct ap_log l;
		struct ap_row *v = NULL;
		size_t n = 0;
		char *host = NULL;
		int r;

		ap_log_init(&l);
		ops_err_clear(&err);
		if (argc == 0) {
			host = local_host();
			r = local_logs(o, &l, &err);
		} else {
			r = remote_logs(o, argv[i], &host, &l, &err);
		}
		if (r < 0) {
			ops_err_prefix(&err, "%s: not read",
			    argc ? argv[i] : "this host");
			rc = ops_exit_worst(rc,
			    err.code == OPS_EXIT_USAGE ? OPS_EXIT_USAGE
						       : OPS_EXIT_FOUND);
			ops_err_report(&err);
			ap_log_release(&l);
			free(host);
			continue;
		}
		ap_log_list(&l, &v, &n);
		for (j = 0; j < n; j++) {
			char ts[OPS_RFC3339_SIZE];
			const char *f[NAP] = {ops_rfc3339_format(v[j].ts, ts),
			    host, v[j].package, v[j].from, v[j].to,
			    v[j].action, v[j].source};
			struct ops_buf k;
			char *key;

			if (ops_tsv_row(&shown, f, NAP) < 0)
				break;
			ops_buf_init(&k, 0);
			if (ops_tsv_row(&k, f, 6) < 0)
				continue;
			key = ops_buf_detach(&k, NULL);
			if ((nkeys == 0 || !bsearch(&key, keys, nkeys,
						       sizeof(*keys), cmp_str)) &&
			    ops_tsv_row(&batch, f, NAP) < 0) {
				free(key);
				break;
			}
			free(key);
		}
		ops_info(1, "%s: %zu changes in the logs", host, n);
		ap_rows_free(v, n);
		ap_log_release(&l);
		free(host);
	}
	/* the store first: a reader that stops early (| head) must not
	 * cost the new rows */
	ops_err_clear(&err);
	if (ops_store_append(&st, batch.data, batch.len, &err) < 0)
		rc = ops_exit_worst(rc, ops_err_report(&err));
	ops_buf_release(&batch);
	ops_store_close(&st);
	store_open = false;
	rc = ops_exit_worst(rc, print_rows(&out, &shown));
	ops_buf_release(&shown);
out:
	for (i = 0; i < nkeys; i++)
		free(keys[i]);
	free(keys);
	if (store_open)
		ops_store_close(&st);
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
		case OPT_BATCH:
			o.batch = true;
			break;
		case OPT_LOG:
			ops_xgrow((void **)&o.logs, &o.caplogs, o.nlogs + 1,
			    sizeof(*o.logs));
			o.logs[o.nlogs++] = optarg;
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
	} else if (strcmp(argv[k], "applied") == 0) {
		if (ops_cli_setup(&o.cli, OPS_CLI_NEED_DIR, &err) < 0 ||
		    ops_clock_init(&err) < 0)
			rc = ops_err_report(&err);
		else
			rc = cmd_applied(&o, argc - k - 1, argv + k + 1);
	} else {
		ops_warn("unknown subcommand \"%s\" (this version has vercmp, "
			 "inventory and applied)",
		    argv[k]);
		usage(OPS_EXIT_USAGE);
	}
	if (o.pass.data)
		explicit_bzero(o.pass.data, o.pass.len);
	ops_buf_release(&o.pass);
	free(o.logs);
	ops_cli_release(&o.cli);
	if (ops_stdout_close(&err) < 0)
		rc = ops_exit_worst(rc, ops_err_report(&err));
	return rc;
}
