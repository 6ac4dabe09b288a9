/*
 * opsbackup - nightly generations with manifests and seals, verify,
 * restore with generation fallback, restore drills, freshness check
 * SPDX-License-Identifier: MIT
 *
 * Subcommands run, list, verify, restore, prune, drill and check (SPEC
 * 5.3, opsbackup(1)).  The parts: set.c (configuration), write.c (one
 * pass: read, hash, archive), read.c (verify and restore), manifest.c,
 * seal.c, dest.c (local directory or SFTP).  Runs of one set exclude each
 * other with a flock on DATADIR/backup-NAME.lock.  The catalog,
 * DATADIR/backups.tsv, gets one row per run and per drill.
 */
#include "compat.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <ftw.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "cli.h"
#include "clock.h"
#include "exitcode.h"
#include "fsx.h"
#include "mem.h"
#include "num.h"
#include "out.h"
#include "store.h"
#include "tsv.h"

#include "bk.h"

static const char usage_text[] =
    "usage: opsbackup [-v] [-d dir] [-c file] [--accept-new-hostkey] run "
    "[set ...]\n"
    "       opsbackup list [--format tsv|csv|excel|json|text] [--no-header] "
    "[set]\n"
    "       opsbackup verify [--format tsv|csv|excel|json|text] "
    "[--no-header] [set [id]]\n"
    "       opsbackup restore set [id|latest] dest [--fallback] "
    "[--path path]... [--owner] [--force]\n"
    "       opsbackup prune [set]\n"
    "       opsbackup drill set\n"
    "       opsbackup check set [--max-age 26h]\n";

#define CATALOG "backups.tsv"
static const char *const cat_cols[] = {"id", "set", "started", "finished",
    "status", "files", "bytes", "stored", "archive", "sha256", "message"};
#define NCAT (sizeof(cat_cols) / sizeof(cat_cols[0]))

enum {
	OPT_FALLBACK = OPS_OPT_CMD,
	OPT_PATH,
	OPT_OWNER,
	OPT_FORCE,
	OPT_MAX_AGE,
	OPT_ACCEPT_NEW,
};

static const struct option longopts[] = {
    OPS_CLI_LONGOPTS,
    {"fallback", no_argument, NULL, OPT_FALLBACK},
    {"path", required_argument, NULL, OPT_PATH},
    {"owner", no_argument, NULL, OPT_OWNER},
    {"force", no_argument, NULL, OPT_FORCE},
    {"max-age", required_argument, NULL, OPT_MAX_AGE},
    {"accept-new-hostkey", no_argument, NULL, OPT_ACCEPT_NEW},
    {NULL, 0, NULL, 0},
};

struct opts {
	struct ops_cli cli;
	bool fallback, owner, force, accept_new;
	char **paths;
	size_t npaths, cappaths;
	const char *max_age;
	struct ops_buf key; /* seal key, empty when none */
};

static OPS_NORETURN void
usage(int code)
{
	fputs(usage_text, code ? stderr : stdout);
	exit(code);
}

/* ---- small helpers ---- */

static char *
fmt(const char *f, ...) OPS_PRINTF(1, 2);

static char *
fmt(const char *f, ...)
{
	struct ops_buf b;
	va_list ap;

	ops_buf_init(&b, 0);
	va_start(ap, f);
	if (ops_buf_vprintf(&b, f, ap) < 0)
		ops_fatal(OPS_EXIT_FAIL, "out of memory");
	va_end(ap);
	return ops_buf_detach(&b, NULL);
}

static int
begin_out(struct opts *o, struct ops_out *out,
    const struct ops_out_col *cols, size_t n, struct ops_err *err)
{
	static const char *const allowed[] = {"tsv", "csv", "excel", "json",
	    "text", NULL};
	enum ops_out_fmt f = OPS_OUT_TSV;
	unsigned flags = o->cli.out_flags;

	if (o->cli.format_opt && ops_out_format_parse(o->cli.format_opt,
				     allowed, &f, &flags, err) < 0)
		return -1;
	ops_out_begin(out, stdout, f, flags, cols, n);
	return 0;
}

static void
id_of_time(int64_t t, char id[BK_ID_LEN + 1])
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	strftime(id, BK_ID_LEN + 1, "%Y%m%dT%H%M%S", &tm);
}

static int
take_lock(const char *dir, const char *set, int timeout_ms, int *fd,
    struct ops_err *err)
{
	char *name = fmt("backup-%s.lock", set);
	char *path = ops_path_join(dir, name);
	int rc = 0;

	*fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (*fd < 0) {
		rc = ops_err_set(err, OPS_EXIT_FAIL, "%s:", path);
	} else if (ops_flock_wait(*fd, timeout_ms, path, err) < 0) {
		ops_err_prefix(err, "set %s is busy (another opsbackup run "
				    "or drill)", set);
		close(*fd);
		*fd = -1;
		rc = -1;
	}
	free(path);
	free(name);
	return rc;
}

static int
catalog_append(const struct opts *o, const char *const f[NCAT],
    struct ops_err *err)
{
	struct ops_store st;
	struct ops_buf b;
	int rc = -1;

	ops_buf_init(&b, 0);
	if (ops_tsv_row(&b, f, NCAT) < 0) {
		ops_buf_release(&b);
		return ops_err_set(err, OPS_EXIT_FAIL, "catalog row too large");
	}
	if (ops_store_open(&st, o->cli.dir, CATALOG, cat_cols, NCAT, 0640,
		err) == 0) {
		if (ops_store_lock(&st, 30000, err) == 0 &&
		    ops_store_append(&st, b.data, b.len, err) == 0)
			rc = 0;
		ops_store_close(&st);
	}
	ops_buf_release(&b);
	return rc;
}

/* The archive SHA-256 the catalog holds for set/id (status ok), or "". */
static void
catalog_sha(const struct opts *o, const char *set, const char *id,
    char sha[BK_SHA_HEX])
{
	static const char *const need[] = {"id", "set", "status", "sha256"};
	struct ops_tsv_reader r;
	struct ops_err err;
	char *path = ops_path_join(o->cli.dir, CATALOG);
	int idx[4], x;

	sha[0] = '\0';
	ops_err_clear(&err);
	if (ops_tsv_open(&r, path, OPS_TSV_MISSING_OK, &err) < 0) {
		free(path);
		return;
	}
	if (ops_tsv_columns(&r, need, idx, 4, &err) == 0 && idx[0] >= 0)
		while ((x = ops_tsv_next(&r, &err)) != 0) {
			if (x == OPS_TSV_BAD) {
				ops_err_report(&err);
				ops_err_clear(&err);
				continue;
			}
			if (x < 0) {
				ops_err_report(&err);
				break;
			}
			if (strcmp(r.f[idx[0]], id) == 0 &&
			    strcmp(r.f[idx[1]], set) == 0 &&
			    strcmp(r.f[idx[2]], "ok") == 0 &&
			    r.fl[idx[3]] == 64)
				memcpy(sha, r.f[idx[3]], BK_SHA_HEX);
		}
	ops_tsv_close(&r);
	free(path);
}

/* A private temporary file in dir: "dir/.NAME.XXXXXX", registered. */
static int
make_temp(const char *dir, const char *name, char **path,
    struct ops_err *err)
{
	char *p = fmt("%s/.%s.XXXXXX", dir, name);
	int fd;

	if (ops_temp_register(p) < 0) {
		free(p);
		return ops_err_set(err, OPS_EXIT_FAIL,
		    "too many temporary files");
	}
	fd = mkostemp(p, O_CLOEXEC);
	if (fd < 0) {
		ops_temp_unregister(p);
		ops_err_set(err, OPS_EXIT_FAIL, "%s: cannot create:", p);
		free(p);
		return -1;
	}
	*path = p;
	return fd;
}

static void
drop_temp(char *path)
{
	if (path == NULL)
		return;
	(void)unlink(path);
	ops_temp_unregister(path);
	free(path);
}

static int
write_whole(int fd, const struct ops_buf *b, const char *path,
    struct ops_err *err)
{
	if (ops_write_all(fd, b->data, b->len) < 0 || fsync(fd) < 0)
		return ops_err_set(err, OPS_EXIT_FAIL, "%s:", path);
	return 0;
}

/* ---- the sets named on the command line, or all ---- */

static int
set_names(const struct opts *o, int argc, char **argv, const char ***out,
    size_t *n, struct ops_err *err)
{
	const char **v;
	size_t k, i;

	if (argc > 0) {
		v = ops_xcalloc((size_t)argc, sizeof(*v));
		for (i = 0; i < (size_t)argc; i++) {
			if (ops_conf_names(&o->cli.conf, "backup", NULL, 0) ==
			    0) {
				free(v);
				return ops_err_set(err, OPS_EXIT_USAGE,
				    "%s: no [backup \"NAME\"] section",
				    o->cli.conf_path ? o->cli.conf_path
						     : "configuration");
			}
			v[i] = argv[i];
		}
		*out = v;
		*n = (size_t)argc;
		return 0;
	}
	k = ops_conf_names(&o->cli.conf, "backup", NULL, 0);
	if (k == 0)
		return ops_err_set(err, OPS_EXIT_USAGE,
		    "%s: no [backup \"NAME\"] section (see ops.conf(5))",
		    o->cli.conf_path ? o->cli.conf_path : "no configuration");
	v = ops_xcalloc(k, sizeof(*v));
	*n = ops_conf_names(&o->cli.conf, "backup", v, k);
	*out = v;
	return 0;
}

static int
load_set(const struct opts *o, const char *name, struct bk_set *s,
    struct ops_err *err)
{
	const char *names[1];
	size_t i, k = ops_conf_names(&o->cli.conf, "backup", NULL, 0);
	const char **all = ops_xcalloc(k ? k : 1, sizeof(*all));
	bool found = false;

	memset(s, 0, sizeof(*s));
	k = ops_conf_names(&o->cli.conf, "backup", all, k);
	for (i = 0; i < k; i++)
		found |= strcmp(all[i], name) == 0;
	free(all);
	(void)names;
	if (!found)
		return ops_err_set(err, OPS_EXIT_USAGE,
		    "no set \"%s\" in %s (a [backup \"%s\"] section)", name,
		    o->cli.conf_path ? o->cli.conf_path : "the configuration",
		    name);
	return bk_set_load(s, &o->cli.conf, name, err);
}

/* ---- pre command ---- */

static int
run_pre(const struct bk_set *s, int64_t timeout_ms, struct ops_err *err)
{
	int64_t deadline = ops_clock_mono_ms() + timeout_ms;
	pid_t pid, w;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return ops_err_set(err, OPS_EXIT_FAIL, "fork:");
	if (pid == 0) {
		setenv("OPS_BACKUP_SET", s->name, 1);
		setpgid(0, 0);
		execl("/bin/sh", "sh", "-c", s->pre, (char *)NULL);
		_exit(127);
	}
	for (;;) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return ops_err_set(err, OPS_EXIT_FAIL, "waitpid:");
		if (ops_clock_mono_ms() >= deadline) {
			kill(-pid, SIGTERM);
			usleep(200000);
			kill(-pid, SIGKILL);
			(void)waitpid(pid, &status, 0);
			return ops_err_set(err, OPS_EXIT_FOUND,
			    "pre command timed out after %lld s ([backup] "
			    "pre-timeout)",
			    (long long)(timeout_ms / 1000));
		}
		usleep(20000);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		return ops_err_set(err, OPS_EXIT_FOUND,
		    "pre command exited %d", WEXITSTATUS(status));
	return ops_err_set(err, OPS_EXIT_FOUND, "pre command killed by "
						 "signal %d",
	    WTERMSIG(status));
}

/* Run the set's pre command, if any; *since: when it started (real time,
 * against file mtimes), else -1. */
static int
pre_first(const struct opts *o, const struct bk_set *s, int64_t *since,
    struct ops_err *err)
{
	long long to;

	*since = -1;
	if (s->pre == NULL)
		return 0;
	if (ops_conf_get_duration_ms(&o->cli.conf, "backup", NULL,
		"pre-timeout", &to, err) < 0)
		return -1;
	*since = (int64_t)time(NULL);
	return run_pre(s, to, err);
}

/* ---- prune ---- */

/* Temporaries of killed runs of set in the local staging directory of an
 * SFTP destination: ".SET-ID..." (not those of keep_id). */
static void
clean_staging(const char *dir, const char *set, const char *keep_id)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t sl = strlen(set);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		const char *p = de->d_name;

		if (p[0] != '.' || strncmp(p + 1, set, sl) != 0 ||
		    p[1 + sl] != '-' || strlen(p + 2 + sl) < BK_ID_LEN ||
		    (keep_id && strncmp(p + 2 + sl, keep_id, BK_ID_LEN) == 0))
			continue;
		if (unlinkat(dirfd(d), p, 0) == 0)
			ops_info(1, "%s/%s: removed (left by a killed run)", dir,
			    p);
	}
	closedir(d);
}

static int
prune_set(const struct opts *o, const struct bk_set *s, struct bk_dest *d,
    const char *keep_id, struct ops_err *err)
{
	struct bk_gen *g;
	size_t n, i, valid = 0, nn;
	char **names, id[BK_ID_LEN + 1];
	int rc = 0;

	if (bk_dest_gens(d, &o->key, &g, &n, err) < 0)
		return -1;
	for (i = n; i-- > 0;) {
		const char *what = NULL;

		if (keep_id && strcmp(g[i].id, keep_id) == 0) {
			valid += g[i].valid;
			continue;
		}
		if (g[i].valid) {
			if (++valid <= (size_t)s->keep)
				continue;
			what = "beyond keep";
		} else if (g[i].sealed) {
			/* never removed by us: a changed seal key would
			 * otherwise delete every backup */
			ops_warn("%s %s: seal does not check (%s); left in "
				 "place, remove it by hand if it is not "
				 "needed",
			    s->name, g[i].id, g[i].why);
			continue;
		} else {
			what = g[i].why;
		}
		/* the seal first: a half-removed generation is never valid */
		if (bk_dest_names(d, &names, &nn, err) < 0) {
			rc = -1;
			break;
		}
		{
			char *seal = fmt("%s-%s.seal", s->name, g[i].id);
			char **del = ops_xcalloc(nn + 1, sizeof(*del));
			size_t k, nd = 0;

			for (k = 0; k < nn; k++) {
				size_t pl = strlen(s->name) + 1;

				if (strncmp(names[k], s->name, pl - 1) == 0 &&
				    names[k][pl - 1] == '-' &&
				    strncmp(names[k] + pl, g[i].id,
					BK_ID_LEN) == 0 &&
				    strcmp(names[k], seal) != 0)
					del[nd++] = ops_xstrdup(names[k]);
			}
			if (bk_dest_remove(d, seal, err) < 0)
				rc = -1;
			for (k = 0; k < nd && rc == 0; k++)
				if (bk_dest_remove(d, del[k], err) < 0)
					rc = -1;
			for (k = 0; k < nd; k++)
				free(del[k]);
			free(del);
			free(seal);
		}
		if (rc < 0)
			break;
		ops_info(1, "%s: removed generation %s (%s)", s->name,
		    g[i].id, what);
	}
	free(g);
	/* temporaries of killed runs: ".SET-ID..." */
	if (rc == 0 && bk_dest_names(d, &names, &nn, err) == 0) {
		for (i = 0; i < nn; i++)
			if (names[i][0] == '.') {
				const char *p = names[i] + 1;
				const char *dot;

				if (!strncmp(p, s->name, strlen(s->name)) &&
				    p[strlen(s->name)] == '-' &&
				    (dot = strchr(p + strlen(s->name) + 1,
					 '.')) != NULL &&
				    dot - (p + strlen(s->name) + 1) ==
					BK_ID_LEN &&
				    memcpy(id, p + strlen(s->name) + 1,
					BK_ID_LEN) &&
				    (!keep_id ||
					strncmp(id, keep_id, BK_ID_LEN) != 0) &&
				    bk_dest_remove(d, names[i], err) < 0) {
					ops_err_report(err);
					ops_err_clear(err);
				}
			}
	}
	if (rc == 0 && strcmp(bk_dest_staging(d), s->dir) != 0)
		clean_staging(bk_dest_staging(d), s->name, keep_id);
	if (rc == 0)
		rc = bk_dest_sync(d, err);
	return rc;
}

/* ---- run ---- */

struct row {
	char id[BK_ID_LEN + 1];
	int64_t started, finished;
	const char *status;
	uint64_t files, bytes, stored;
	char archive[512];
	char sha[BK_SHA_HEX];
	char *message;
};

static int
row_write(const struct opts *o, const struct bk_set *s, struct row *r,
    struct ops_err *err)
{
	char t1[OPS_RFC3339_SIZE], t2[OPS_RFC3339_SIZE];
	char files[24], bytes[24], stored[24];
	const char *f[NCAT];

	snprintf(files, sizeof(files), "%llu", (unsigned long long)r->files);
	snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)r->bytes);
	snprintf(stored, sizeof(stored), "%llu",
	    (unsigned long long)r->stored);
	f[0] = r->id;
	f[1] = s->name;
	f[2] = ops_rfc3339_format(r->started, t1);
	f[3] = ops_rfc3339_format(r->finished, t2);
	f[4] = r->status;
	f[5] = files;
	f[6] = bytes;
	f[7] = stored;
	f[8] = r->archive;
	f[9] = r->sha;
	f[10] = r->message ? r->message : "";
	return catalog_append(o, f, err);
}

/* The manifest as the writer makes it: to its file (buffered), into
 * its hash, and to the checker. */
struct msink {
	int fd;
	const char *path;
	struct ops_buf buf, line;
	struct bk_sha *sha;
	uint64_t size;
	struct bk_follow *f;
};

static int
msink_flush(struct msink *k, struct ops_err *err)
{
	if (k->buf.len > 0 && ops_write_all(k->fd, k->buf.data, k->buf.len) < 0)
		return ops_err_set(err, OPS_EXIT_FAIL, "%s:", k->path);
	ops_buf_reset(&k->buf);
	return 0;
}

static int
msink_row(void *ctx, const struct bk_ment *e, struct ops_err *err)
{
	struct msink *k = ctx;

	ops_buf_reset(&k->line);
	if (bk_manifest_line(e, &k->line) < 0 ||
	    ops_buf_add(&k->buf, k->line.data, k->line.len) < 0)
		return ops_err_set(err, OPS_EXIT_FAIL, "manifest line too "
						       "large");
	bk_sha_update(k->sha, k->line.data, k->line.len);
	k->size += k->line.len;
	bk_follow_row(k->f, k->line.data, k->line.len - 1);
	if (k->buf.len >= 256 * 1024)
		return msink_flush(k, err);
	return 0;
}

struct checker {
	int fd;
	const char *name;
	struct bk_follow *f;
	const char *header;
	struct bk_rres rr;
	struct ops_err err;
	int rc;
};

static void *
checker_main(void *arg)
{
	struct checker *c = arg;

	ops_err_clear(&c->err);
	c->rc = bk_read_follow(c->fd, c->name, c->f, c->header, &c->rr,
	    &c->err);
	return NULL;
}

/*
 * Write the archive (afd) and the manifest (mfd, synced), while a second
 * thread reads the archive file back behind the writer and checks every
 * member against the manifest lines as they are made.  rr gets what the
 * checker read (its SHA-256 is the archive's), msha and msize the
 * manifest's.  -1 with err.
 */
static int
write_checked(const struct bk_set *s, int afd, const char *apath, int mfd,
    const char *mpath, int64_t since, struct bk_wres *wr,
    struct bk_rres *rr, char msha[BK_SHA_HEX], uint64_t *msize,
    struct ops_err *err)
{
	struct bk_follow f;
	struct msink k;
	struct bk_sink sink = {msink_row, &k};
	struct checker c;
	pthread_t th;
	int rc = -1, rfd;

	bk_follow_init(&f);
	memset(&k, 0, sizeof(k));
	k.fd = mfd;
	k.path = mpath;
	k.f = &f;
	k.sha = bk_sha_new();
	ops_buf_init(&k.buf, 0);
	ops_buf_init(&k.line, 0);
	if (bk_manifest_header(&k.buf) < 0)
		ops_fatal(OPS_EXIT_FAIL, "out of memory");
	bk_sha_update(k.sha, k.buf.data, k.buf.len);
	k.size = k.buf.len;
	memset(&c, 0, sizeof(c));
	/* the checker reads through its own descriptor */
	rfd = open(apath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (rfd < 0) {
		ops_err_set(err, OPS_EXIT_FAIL, "%s:", apath);
		goto out;
	}
	c.fd = rfd;
	c.name = apath;
	c.f = &f;
	c.header = ops_xstrndup(k.buf.data, k.buf.len - 1);
	if (pthread_create(&th, NULL, checker_main, &c) != 0) {
		ops_err_set(err, OPS_EXIT_FAIL, "cannot start a thread");
		goto out;
	}
	rc = bk_write(s, afd, since, isatty(2) && !getenv("CI"), &sink, &f,
	    wr, err);
	bk_follow_done(&f);
	pthread_join(th, NULL);
	if (c.rc < 0 && (rc == 0 || strstr(err->msg, "does not match what "
						     "was written"))) {
		/* the checker's finding, unless the writer failed first
		 * (then the checker only saw an archive cut short) */
		*err = c.err;
		ops_err_prefix(err, "reading the new archive back");
		rc = -1;
	}
	if (rc == 0 && (c.rr.size != wr->stored)) {
		ops_err_set(err, OPS_EXIT_FAIL,
		    "%s: %llu bytes read back, %llu written", apath,
		    (unsigned long long)c.rr.size,
		    (unsigned long long)wr->stored);
		rc = -1;
	}
	if (rc == 0 && (msink_flush(&k, err) < 0 || fsync(mfd) < 0)) {
		if (err->code == 0)
			ops_err_set(err, OPS_EXIT_FAIL, "%s:", mpath);
		rc = -1;
	}
	*rr = c.rr;
	bk_sha_hex(k.sha, msha);
	*msize = k.size;
out:
	if (rfd >= 0)
		close(rfd);
	free((char *)c.header);
	bk_sha_free(k.sha);
	ops_buf_release(&k.buf);
	ops_buf_release(&k.line);
	bk_follow_destroy(&f);
	return rc;
}

/* Everything of one run after the lock and the destination: the
 * generation is published and sealed, or nothing under a final name. */
static int
run_gen(const struct opts *o, const struct bk_set *s, struct bk_dest *d,
    int64_t since, struct row *row, struct ops_err *err)
{
	struct bk_wres wr;
	struct bk_rres rr;
	struct bk_seal seal;
	struct ops_buf stext;
	uint64_t msize = 0;
	char *apath = NULL, *mpath = NULL, *spath = NULL, *aname = NULL,
	     *mname = NULL, *sname = NULL, mid_sha[BK_SHA_HEX];
	int afd = -1, mfd = -1, sfd = -1, rc = -1, tries;
	int64_t t0;
	char **names;
	size_t nn, i;
	bool taken;

	ops_buf_init(&stext, 0);
	/* a fresh ID: never two generations with one name */
	for (tries = 0;; tries++) {
		row->started = ops_clock_now();
		id_of_time(row->started, row->id);
		if (bk_dest_names(d, &names, &nn, err) < 0)
			goto out;
		taken = false;
		for (i = 0; i < nn && !taken; i++) {
			const char *p = names[i] + (names[i][0] == '.');

			taken = strncmp(p, s->name, strlen(s->name)) == 0 &&
				p[strlen(s->name)] == '-' &&
				strncmp(p + strlen(s->name) + 1, row->id,
				    BK_ID_LEN) == 0;
		}
		if (!taken)
			break;
		if (tries == 3) {
			ops_err_set(err, OPS_EXIT_FAIL,
			    "%s: generation %s exists already", s->name,
			    row->id);
			goto out;
		}
		sleep(1);
	}
	aname = fmt("%s-%s%s", s->name, row->id, bk_ext(s->z));
	mname = fmt("%s-%s.manifest.tsv", s->name, row->id);
	sname = fmt("%s-%s.seal", s->name, row->id);
	snprintf(row->archive, sizeof(row->archive), "%s", aname);
	t0 = ops_clock_mono_ms();
	afd = make_temp(bk_dest_staging(d), aname, &apath, err);
	if (afd < 0)
		goto out;
	mfd = make_temp(bk_dest_staging(d), mname, &mpath, err);
	if (mfd < 0)
		goto out;
	if (write_checked(s, afd, apath, mfd, mpath, since, &wr, &rr,
		mid_sha, &msize, err) < 0)
		goto out;
	ops_info(2, "%s: archive written and checked in %lld ms", s->name,
	    (long long)(ops_clock_mono_ms() - t0));
	/* synced: out of the page cache, so that the next verify reads the
	 * disk (and a nightly backup does not push out everything else) */
	(void)posix_fadvise(afd, 0, 0, POSIX_FADV_DONTNEED);
	row->files = wr.files;
	row->bytes = wr.bytes;
	row->stored = wr.stored;
	memcpy(row->sha, rr.sha, BK_SHA_HEX);
	/* publish: archive, manifest, then the seal */
	memset(&seal, 0, sizeof(seal));
	snprintf(seal.set, sizeof(seal.set), "%s", s->name);
	memcpy(seal.id, row->id, BK_ID_LEN + 1);
	snprintf(seal.archive, sizeof(seal.archive), "%s", aname);
	snprintf(seal.manifest, sizeof(seal.manifest), "%s", mname);
	seal.archive_size = wr.stored;
	seal.manifest_size = msize;
	memcpy(seal.archive_sha, rr.sha, BK_SHA_HEX);
	memcpy(seal.manifest_sha, mid_sha, BK_SHA_HEX);
	seal.files = wr.files;
	seal.bytes = wr.bytes;
	seal.created = row->started;
	if (bk_seal_format(&seal, &o->key, &stext) < 0) {
		ops_err_set(err, OPS_EXIT_FAIL, "seal too large");
		goto out;
	}
	sfd = make_temp(bk_dest_staging(d), sname, &spath, err);
	if (sfd < 0 || write_whole(sfd, &stext, spath, err) < 0)
		goto out;
	if (bk_dest_put(d, apath, aname, err) < 0)
		goto out;
	ops_temp_unregister(apath);
	free(apath);
	apath = NULL;
	if (bk_dest_put(d, mpath, mname, err) < 0)
		goto out;
	ops_temp_unregister(mpath);
	free(mpath);
	mpath = NULL;
	if (bk_dest_sync(d, err) < 0 || bk_dest_put(d, spath, sname, err) < 0)
		goto out;
	ops_temp_unregister(spath);
	free(spath);
	spath = NULL;
	if (bk_dest_sync(d, err) < 0)
		goto out;
	if (wr.nchanged || wr.nskipped) {
		struct ops_buf msg;

		ops_buf_init(&msg, 4096);
		if (wr.nchanged &&
		    ops_buf_printf(&msg,
			"%llu file(s) changed while read (first: %s)",
			(unsigned long long)wr.nchanged,
			wr.first_changed) < 0)
			ops_buf_reset(&msg); /* cut: the counts stay below */
		if (wr.nskipped &&
		    ops_buf_printf(&msg, "%s%llu file(s) could not be read",
			msg.len ? "; " : "",
			(unsigned long long)wr.nskipped) < 0)
			ops_buf_reset(&msg);
		row->message = ops_buf_detach(&msg, NULL);
	}
	rc = 0;
out:
	if (afd >= 0)
		close(afd);
	if (mfd >= 0)
		close(mfd);
	if (sfd >= 0)
		close(sfd);
	if (rc < 0 && apath == NULL && aname) {
		/* published but not sealed: take it back */
		struct ops_err e2;

		ops_err_clear(&e2);
		if (bk_dest_remove(d, aname, &e2) < 0 ||
		    (mpath == NULL && bk_dest_remove(d, mname, &e2) < 0))
			ops_warn("%s (prune removes it)", e2.msg);
	}
	drop_temp(apath);
	drop_temp(mpath);
	drop_temp(spath);
	free(aname);
	free(mname);
	free(sname);
	ops_buf_release(&stext);
	return rc;
}

static int
run_one(struct opts *o, const char *name)
{
	struct bk_set s;
	struct bk_dest *d = NULL;
	struct ops_err err, e2;
	struct row row;
	long long lto;
	int64_t since = -1;
	int lockfd = -1, rc = OPS_EXIT_OK;

	ops_err_clear(&err);
	memset(&row, 0, sizeof(row));
	if (load_set(o, name, &s, &err) < 0) {
		bk_set_release(&s);
		return ops_err_report(&err);
	}
	if (ops_conf_get_duration_ms(&o->cli.conf, "backup", NULL,
		"lock-timeout", &lto, &err) < 0 ||
	    take_lock(o->cli.dir, s.name, lto > INT_MAX ? INT_MAX : (int)lto,
		&lockfd, &err) < 0) {
		bk_set_release(&s);
		return ops_err_report(&err);
	}
	row.started = ops_clock_now();
	id_of_time(row.started, row.id);
	/* the pre command first: an SFTP session is not left idle while a
	 * long dump runs */
	if (pre_first(o, &s, &since, &err) < 0 ||
	    bk_dest_open(&d, &s, &o->cli.conf, o->accept_new, o->cli.dir,
		&err) < 0 ||
	    run_gen(o, &s, d, since, &row, &err) < 0) {
		rc = err.code == OPS_EXIT_USAGE ? OPS_EXIT_USAGE
						: OPS_EXIT_FOUND;
		ops_err_prefix(&err, "backup %s failed", s.name);
		(void)ops_err_report(&err);
		row.status = "failed";
		free(row.message);
		row.message = ops_xstrdup(err.msg);
	} else {
		row.status = row.message && strstr(row.message, "could not")
				 ? "partial"
				 : "ok";
		if (row.message)
			ops_warn("backup %s: %s", s.name, row.message);
	}
	row.finished = ops_clock_now();
	ops_err_clear(&e2);
	if (row_write(o, &s, &row, &e2) < 0)
		rc = ops_exit_worst(rc, ops_err_report(&e2));
	if (strcmp(row.status, "ok") == 0) {
		ops_err_clear(&e2);
		if (prune_set(o, &s, d, row.id, &e2) < 0) {
			ops_err_prefix(&e2, "%s: prune", s.name);
			rc = ops_exit_worst(rc, ops_err_report(&e2));
		}
		ops_info(1, "%s: generation %s: %llu files, %llu bytes, "
			    "%llu stored",
		    s.name, row.id, (unsigned long long)row.files,
		    (unsigned long long)row.bytes,
		    (unsigned long long)row.stored);
	} else if (strcmp(row.status, "partial") == 0) {
		rc = ops_exit_worst(rc, OPS_EXIT_FOUND);
	}
	free(row.message);
	bk_dest_close(d);
	bk_set_release(&s);
	close(lockfd);
	return rc;
}

/* fn for each set named, or for every set: the worst exit status */
static int
each_set(struct opts *o, int argc, char **argv,
    int (*fn)(struct opts *, const char *))
{
	const char **names;
	struct ops_err err;
	size_t n, i;
	int rc = OPS_EXIT_OK;

	ops_err_clear(&err);
	if (set_names(o, argc, argv, &names, &n, &err) < 0)
		return ops_err_report(&err);
	for (i = 0; i < n; i++)
		rc = ops_exit_worst(rc, fn(o, names[i]));
	free(names);
	return rc;
}

static int
cmd_run(struct opts *o, int argc, char **argv)
{
	return each_set(o, argc, argv, run_one);
}

/* ---- reading generations back ---- */

/* Check one generation; with destfd >= 0 also restore it.  0, or -1
 * with err (code 1 for a bad generation, 3 when it could not be read). */
static int
check_gen(struct opts *o, const struct bk_set *s, struct bk_dest *d,
    const struct bk_gen *g, int destfd, const char *destpath,
    struct ops_buf *created, struct bk_rres *rr, struct ops_err *err)
{
	char msha[BK_SHA_HEX], cat[BK_SHA_HEX];
	uint64_t msize = 0;
	int fd = -1, mfd = -1, rc = -1;

	if (!g->valid) {
		ops_err_set(err, OPS_EXIT_FOUND, "%s", g->why);
		goto out;
	}
	/* the manifest is read in step with the archive (memory does not
	 * grow with the tree) and its hash checked at the end; a restore
	 * that fails then is undone like any other */
	if (bk_dest_fetch(d, g->seal.manifest, &mfd, err) < 0 ||
	    bk_dest_fetch(d, g->seal.archive, &fd, err) < 0)
		goto out;
	if (bk_read_stream(fd, g->seal.archive, mfd, g->seal.manifest, msha,
		&msize, destfd, destpath, o->paths, o->npaths,
		o->owner ? BK_R_OWNER : 0, created, rr, err) < 0)
		goto out;
	if (strcmp(msha, g->seal.manifest_sha) != 0 ||
	    msize != g->seal.manifest_size) {
		ops_err_set(err, OPS_EXIT_FOUND,
		    "%s: SHA-256 differs from the seal (manifest changed)",
		    g->seal.manifest);
		goto out;
	}
	if (strcmp(rr->sha, g->seal.archive_sha) != 0 ||
	    rr->size != g->seal.archive_size) {
		ops_err_set(err, OPS_EXIT_FOUND,
		    "%s: SHA-256 differs from the seal (the archive was "
		    "changed after it was written)",
		    g->seal.archive);
		goto out;
	}
	catalog_sha(o, s->name, g->id, cat);
	if (cat[0] && strcmp(cat, rr->sha) != 0) {
		ops_err_set(err, OPS_EXIT_FOUND,
		    "%s: SHA-256 differs from the catalog (%s)",
		    g->seal.archive, CATALOG);
		goto out;
	}
	if (destfd >= 0 && o->npaths > 0 && rr->extracted == 0) {
		ops_err_set(err, OPS_EXIT_FOUND,
		    "%s: nothing in it under --path %s%s", g->seal.archive,
		    o->paths[0], o->npaths > 1 ? " ..." : "");
		goto out;
	}
	if (o->npaths == 0 && rr->files != g->seal.files) {
		ops_err_set(err, OPS_EXIT_FOUND,
		    "%s: %llu files, the seal says %llu", g->seal.archive,
		    (unsigned long long)rr->files,
		    (unsigned long long)g->seal.files);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (mfd >= 0)
		close(mfd);
	return rc;
}

static int
open_set_dest(struct opts *o, const char *name, struct bk_set *s,
    struct bk_dest **d, struct ops_err *err)
{
	*d = NULL;
	if (load_set(o, name, s, err) < 0)
		return -1;
	return bk_dest_open(d, s, &o->cli.conf, o->accept_new, o->cli.dir,
	    err);
}

static int
cmd_list(struct opts *o, int argc, char **argv)
{
	static const struct ops_out_col hdr[] = {{"set", NULL, false},
	    {"id", NULL, false}, {"created", NULL, false},
	    {"files", NULL, true}, {"bytes", NULL, true},
	    {"stored", NULL, true}, {"archive", NULL, false},
	    {"signed", NULL, false}};
	const char **names;
	struct ops_out out;
	struct ops_err err;
	size_t n, i, k;
	int rc = OPS_EXIT_OK;

	ops_err_clear(&err);
	if (argc > 1)
		usage(OPS_EXIT_USAGE);
	if (set_names(o, argc, argv, &names, &n, &err) < 0)
		return ops_err_report(&err);
	if (begin_out(o, &out, hdr, 8, &err) < 0) {
		free(names);
		return ops_err_report(&err);
	}
	for (i = 0; i < n; i++) {
		struct bk_set s;
		struct bk_dest *d;
		struct bk_gen *g = NULL;
		size_t ng = 0;

		ops_err_clear(&err);
		if (open_set_dest(o, names[i], &s, &d, &err) < 0 ||
		    bk_dest_gens(d, &o->key, &g, &ng, &err) < 0) {
			rc = ops_exit_worst(rc, ops_err_report(&err));
		}
		for (k = 0; k < ng; k++) {
			char t[OPS_RFC3339_SIZE], f[24], b[24], st[24];
			const char *row[8];

			if (!g[k].valid) {
				ops_info(1, "%s %s: not listed: %s", s.name,
				    g[k].id, g[k].why);
				continue;
			}
			snprintf(f, sizeof(f), "%llu",
			    (unsigned long long)g[k].seal.files);
			snprintf(b, sizeof(b), "%llu",
			    (unsigned long long)g[k].seal.bytes);
			snprintf(st, sizeof(st), "%llu",
			    (unsigned long long)g[k].seal.archive_size);
			row[0] = s.name;
			row[1] = g[k].id;
			row[2] = ops_rfc3339_format(g[k].seal.created, t);
			row[3] = f;
			row[4] = b;
			row[5] = st;
			row[6] = g[k].seal.archive;
			row[7] = !g[k].seal.keyed ? "sha256"
				 : o->key.len > 0  ? "hmac"
						   : "hmac-unchecked";
			if (ops_out_row(&out, row) < 0)
				break;
		}
		free(g);
		bk_dest_close(d);
		bk_set_release(&s);
	}
	free(names);
	if (ops_out_end(&out, &err) < 0)
		rc = ops_exit_worst(rc, ops_err_report(&err));
	return rc;
}

static int
cmd_verify(struct opts *o, int argc, char **argv)
{
	static const struct ops_out_col hdr[] = {{"set", NULL, false},
	    {"id", NULL, false}, {"result", NULL, false},
	    {"message", NULL, false}};
	const char **names;
	struct ops_out out;
	struct ops_err err;
	size_t n, i, k;
	int rc = OPS_EXIT_OK;
	const char *want = argc == 2 ? argv[1] : NULL;

	ops_err_clear(&err);
	if (argc > 2)
		usage(OPS_EXIT_USAGE);
	if (set_names(o, argc > 0 ? 1 : 0, argv, &names, &n, &err) < 0)
		return ops_err_report(&err);
	if (begin_out(o, &out, hdr, 4, &err) < 0) {
		free(names);
		return ops_err_report(&err);
	}
	for (i = 0; i < n; i++) {
		struct bk_set s;
		struct bk_dest *d;
		struct bk_gen *g = NULL;
		size_t ng = 0;
		bool found = false;

		ops_err_clear(&err);
		if (open_set_dest(o, names[i], &s, &d, &err) < 0 ||
		    bk_dest_gens(d, &o->key, &g, &ng, &err) < 0) {
			rc = ops_exit_worst(rc, ops_err_report(&err));
			ng = 0;
		}
		for (k = 0; k < ng; k++) {
			struct bk_rres rr;
			const char *row[4];
			char msg[1100];

			if (want && strcmp(g[k].id, want) != 0)
				continue;
			found = true;
			ops_err_clear(&err);
			row[0] = s.name;
			row[1] = g[k].id;
			if (check_gen(o, &s, d, &g[k], -1, NULL, NULL, &rr,
				&err) == 0) {
				row[2] = "ok";
				snprintf(msg, sizeof(msg),
				    "%llu members, %llu files, archive "
				    "SHA-256 matches",
				    (unsigned long long)rr.members,
				    (unsigned long long)rr.files);
			} else {
				row[2] = g[k].sealed ? "bad" : "unsealed";
				snprintf(msg, sizeof(msg), "%s", err.msg);
				if (g[k].sealed) {
					ops_warn("%s %s: %s", s.name, g[k].id,
					    err.msg);
					rc = ops_exit_worst(rc,
					    err.code == OPS_EXIT_FAIL
						? OPS_EXIT_FAIL
						: OPS_EXIT_FOUND);
				}
			}
			row[3] = msg;
			if (ops_out_row(&out, row) < 0)
				break;
		}
		if (want && !found && d) {
			ops_warn("%s: no generation %s", s.name, want);
			rc = ops_exit_worst(rc, OPS_EXIT_FOUND);
		}
		free(g);
		bk_dest_close(d);
		bk_set_release(&s);
	}
	free(names);
	if (ops_out_end(&out, &err) < 0)
		rc = ops_exit_worst(rc, ops_err_report(&err));
	return rc;
}

/* ---- restore ---- */

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	if (flag == FTW_DP)
		return rmdir(path) < 0 && errno != ENOENT ? 0 : 0;
	return unlink(path) < 0 && errno != ENOENT ? 0 : 0;
}

static int
chmod_dir(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)f;
	if (flag == FTW_D)
		(void)chmod(path, (st->st_mode & 07777) | 0700);
	return 0;
}

/* Remove the empty directories above rel (made on the way by
 * libarchive), deepest first; a directory that is not empty stays. */
static void
rmdir_parents(int destfd, const char *rel)
{
	char *p = ops_xstrdup(rel), *slash;

	while ((slash = strrchr(p, '/')) != NULL) {
		*slash = '\0';
		if (unlinkat(destfd, p, AT_REMOVEDIR) < 0)
			break;
	}
	free(p);
}

/* Remove what a failed attempt created: everything in dest when it was
 * empty before, else the recorded paths (newest first) and the empty
 * directories made above them. */
static void
undo(int destfd, const char *destpath, bool was_empty,
    struct ops_buf *created)
{
	size_t i;
	char *p;

	if (created->len == 0 && !was_empty)
		return;
	(void)nftw(destpath, chmod_dir, 32, FTW_PHYS);
	if (was_empty) {
		int d = dup(destfd);
		DIR *dir = d >= 0 ? fdopendir(d) : NULL;
		struct dirent *de;

		if (dir == NULL) {
			if (d >= 0)
				close(d);
		} else {
			rewinddir(dir); /* the offset is shared with destfd */
			while ((de = readdir(dir)) != NULL) {
				char *full;

				if (!strcmp(de->d_name, ".") ||
				    !strcmp(de->d_name, ".."))
					continue;
				full = ops_path_join(destpath, de->d_name);
				(void)nftw(full, rm_entry, 32,
				    FTW_DEPTH | FTW_PHYS);
				free(full);
			}
			closedir(dir);
		}
		ops_buf_reset(created);
		return;
	}
	/* records are NUL-terminated; walk them backwards */
	for (i = created->len; i > 0;) {
		size_t end = i - 1, start = end;
		struct stat st;

		while (start > 0 && created->data[start - 1] != '\0')
			start--;
		p = created->data + start;
		/* what was there before stays: a directory goes only when
		 * empty (its members were recorded after it, so they went
		 * first) */
		if (fstatat(destfd, p, &st, AT_SYMLINK_NOFOLLOW) == 0)
			(void)unlinkat(destfd, p,
			    S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0);
		rmdir_parents(destfd, p);
		i = start;
	}
	ops_buf_reset(created);
}

static bool
dir_empty(int fd)
{
	int d = dup(fd);
	DIR *dir;
	struct dirent *de;
	bool empty = true;

	if (d < 0 || (dir = fdopendir(d)) == NULL) {
		if (d >= 0)
			close(d);
		return false;
	}
	rewinddir(dir); /* the offset is shared with fd */
	while ((de = readdir(dir)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = false;
	closedir(dir);
	return empty;
}

static int
open_dest_dir(const struct opts *o, const char *dest, struct ops_err *err)
{
	char real[PATH_MAX];
	int fd;

	if (mkdir(dest, 0700) < 0 && errno != EEXIST)
		return ops_err_set(err, OPS_EXIT_FAIL, "%s:", dest);
	if (realpath(dest, real) == NULL)
		return ops_err_set(err, OPS_EXIT_FAIL, "%s:", dest);
	if (strcmp(real, "/") == 0 && !o->force)
		return ops_err_set(err, OPS_EXIT_USAGE,
		    "refusing to restore over / (give --force if you mean "
		    "it)");
	fd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return ops_err_set(err, OPS_EXIT_FAIL, "%s:", dest);
	if (!o->force && !dir_empty(fd)) {
		close(fd);
		return ops_err_set(err, OPS_EXIT_USAGE,
		    "%s is not empty: restore into an empty directory, or "
		    "give --force to write over what is there",
		    dest);
	}
	return fd;
}

/* Restore gens from index start backwards (one when !fallback); prints
 * one line per attempt.  0 newest ok, 1 older ok, 3 none. */
static int
restore_attempts(struct opts *o, const struct bk_set *s, struct bk_dest *d,
    struct bk_gen *g, size_t start, int destfd, const char *destpath,
    bool quiet, char *used_id)
{
	bool was_empty = dir_empty(destfd);
	struct ops_buf created;
	struct ops_err err;
	size_t k = start + 1;
	int rc = OPS_EXIT_FAIL;

	ops_buf_init(&created, 0);
	while (k-- > 0) {
		struct bk_rres rr;

		if (!g[k].sealed)
			continue; /* not a generation: leftovers of a run */
		ops_err_clear(&err);
		if (check_gen(o, s, d, &g[k], destfd, destpath,
			was_empty ? NULL : &created, &rr,
			&err) == 0) {
			if (!quiet)
				printf("restore %s %s: ok (%llu files)\n",
				    s->name, g[k].id,
				    (unsigned long long)rr.files);
			if (used_id)
				memcpy(used_id, g[k].id, BK_ID_LEN + 1);
			rc = k == start ? OPS_EXIT_OK : OPS_EXIT_FOUND;
			break;
		}
		if (!quiet)
			printf("restore %s %s: failed: %s\n", s->name,
			    g[k].id, err.msg);
		else
			ops_warn("%s %s: %s", s->name, g[k].id, err.msg);
		if (used_id)
			snprintf(used_id, BK_ID_LEN + 1, "%s", g[k].id);
		fflush(stdout);
		undo(destfd, destpath, was_empty, &created);
		if (!o->fallback)
			break;
	}
	ops_buf_release(&created);
	return rc;
}

static int
cmd_restore(struct opts *o, int argc, char **argv)
{
	struct bk_set s;
	struct bk_dest *d = NULL;
	struct bk_gen *g = NULL;
	struct ops_err err;
	const char *id, *dest;
	size_t ng = 0, start = 0, i;
	int destfd = -1, rc, lockfd = -1;

	ops_err_clear(&err);
	if (argc == 2) {
		id = "latest";
		dest = argv[1];
	} else if (argc == 3) {
		id = argv[1];
		dest = argv[2];
	} else {
		usage(OPS_EXIT_USAGE);
	}
	for (i = 0; i < o->npaths; i++) {
		char *p = o->paths[i];
		size_t l;

		while (*p == '/')
			memmove(p, p + 1, strlen(p));
		l = strlen(p);
		while (l > 0 && p[l - 1] == '/')
			p[--l] = '\0';
		if (l == 0)
			return ops_err_report(&err),
			       ops_warn("--path: give a path inside the "
					"backup, like etc/nginx"),
			       OPS_EXIT_USAGE;
	}
	if (open_set_dest(o, argv[0], &s, &d, &err) < 0 ||
	    take_lock(o->cli.dir, s.name, 0, &lockfd, &err) < 0 ||
	    bk_dest_gens(d, &o->key, &g, &ng, &err) < 0 ||
	    (destfd = open_dest_dir(o, dest, &err)) < 0) {
		rc = ops_err_report(&err);
		goto out;
	}
	for (i = ng; i-- > 0;)
		if (g[i].sealed &&
		    (strcmp(id, "latest") == 0 || strcmp(g[i].id, id) == 0))
			break;
	if (i == (size_t)-1) {
		ops_warn("%s: %s", s.name,
		    strcmp(id, "latest") == 0
			? "no valid generation to restore (opsbackup list)"
			: "no such valid generation (opsbackup list)");
		rc = OPS_EXIT_FAIL;
		goto out;
	}
	start = i;
	{
		char real[PATH_MAX];

		if (realpath(dest, real) == NULL)
			snprintf(real, sizeof(real), "%s", dest);
		rc = restore_attempts(o, &s, d, g, start, destfd, real, false,
		    NULL);
	}
	if (rc == OPS_EXIT_FAIL)
		ops_warn("%s: no generation could be restored", s.name);
out:
	if (destfd >= 0)
		close(destfd);
	if (lockfd >= 0)
		close(lockfd);
	free(g);
	bk_dest_close(d);
	bk_set_release(&s);
	return rc;
}

/* ---- drill ---- */

static int
cmd_drill(struct opts *o, int argc, char **argv)
{
	struct bk_set s;
	struct bk_dest *d = NULL;
	struct bk_gen *g = NULL;
	struct ops_err err, e2;
	struct row row;
	char *scratch = NULL, used[BK_ID_LEN + 1] = "";
	size_t ng = 0, i;
	int destfd = -1, rc, lockfd = -1;
	bool fb = o->fallback;

	if (argc != 1)
		usage(OPS_EXIT_USAGE);
	ops_err_clear(&err);
	memset(&row, 0, sizeof(row));
	row.started = ops_clock_now();
	if (open_set_dest(o, argv[0], &s, &d, &err) < 0 ||
	    take_lock(o->cli.dir, s.name, 0, &lockfd, &err) < 0 ||
	    bk_dest_gens(d, &o->key, &g, &ng, &err) < 0) {
		rc = ops_err_report(&err);
		goto out;
	}
	for (i = ng; i-- > 0;)
		if (g[i].sealed)
			break; /* the newest, valid or not: a drill tells */
	row.status = "drill-failed";
	if (i == (size_t)-1) {
		row.message = ops_xstrdup("no valid generation to drill");
		rc = OPS_EXIT_FOUND;
	} else {
		scratch = fmt("%s/drill-%s.XXXXXX", o->cli.dir, s.name);
		if (mkdtemp(scratch) == NULL ||
		    (destfd = open(scratch, O_RDONLY | O_DIRECTORY |
						O_CLOEXEC)) < 0) {
			ops_err_set(&err, OPS_EXIT_FAIL, "%s:", scratch);
			rc = ops_err_report(&err);
			free(scratch);
			scratch = NULL;
			goto out;
		}
		o->fallback = false; /* a drill proves the newest */
		o->npaths = 0;
		rc = restore_attempts(o, &s, d, g, i, destfd, scratch, true,
		    used);
		o->fallback = fb;
		memcpy(row.id, g[i].id, BK_ID_LEN + 1);
		snprintf(row.archive, sizeof(row.archive), "%s",
		    g[i].seal.archive);
		memcpy(row.sha, g[i].seal.archive_sha, BK_SHA_HEX);
		row.files = g[i].seal.files;
		row.bytes = g[i].seal.bytes;
		row.stored = g[i].seal.archive_size;
		if (rc == OPS_EXIT_OK) {
			row.status = "drill-ok";
			row.message = fmt("restored %s into a scratch "
					  "directory; every file checked",
			    g[i].id);
		} else {
			row.message = fmt("restore of %s failed (see "
					  "opsbackup verify %s %s)",
			    g[i].id, s.name, g[i].id);
			rc = OPS_EXIT_FOUND;
		}
	}
	row.finished = ops_clock_now();
	ops_err_clear(&e2);
	if (row_write(o, &s, &row, &e2) < 0)
		rc = ops_exit_worst(rc, ops_err_report(&e2));
	if (rc == OPS_EXIT_FOUND)
		ops_warn("drill %s: %s", s.name, row.message);
out:
	if (destfd >= 0)
		close(destfd);
	if (scratch) {
		(void)nftw(scratch, chmod_dir, 32, FTW_PHYS);
		(void)nftw(scratch, rm_entry, 32, FTW_DEPTH | FTW_PHYS);
		free(scratch);
	}
	if (lockfd >= 0)
		close(lockfd);
	free(row.message);
	free(g);
	bk_dest_close(d);
	bk_set_release(&s);
	return rc;
}

/* ---- prune ---- */

static int
prune_one(struct opts *o, const char *name)
{
	struct bk_set s;
	struct bk_dest *d = NULL;
	struct ops_err err;
	int lockfd = -1, rc = OPS_EXIT_OK;

	ops_err_clear(&err);
	if (open_set_dest(o, name, &s, &d, &err) < 0 ||
	    take_lock(o->cli.dir, s.name, 0, &lockfd, &err) < 0 ||
	    prune_set(o, &s, d, NULL, &err) < 0)
		rc = ops_err_report(&err);
	if (lockfd >= 0)
		close(lockfd);
	bk_dest_close(d);
	bk_set_release(&s);
	return rc;
}

static int
cmd_prune(struct opts *o, int argc, char **argv)
{
	if (argc > 1)
		usage(OPS_EXIT_USAGE);
	return each_set(o, argc, argv, prune_one);
}

/* ---- check (Monitoring Plugins) ---- */

static int
cmd_check(struct opts *o, int argc, char **argv)
{
	static const char *const need[] = {"id", "set", "finished", "status",
	    "message"};
	struct bk_set s;
	struct ops_tsv_reader r;
	struct ops_err err;
	char *path = NULL, last_status[32] = "", last_msg[512] = "",
	     good_id[BK_ID_LEN + 1] = "";
	int64_t good_t = -1, now = ops_clock_now(), t;
	long long max_ms;
	int idx[5], x, off, rc;
	const char *why;

	ops_err_clear(&err);
	if (argc != 1) {
		fputs(usage_text, stderr);
		return OPS_PLUGIN_UNKNOWN;
	}
	if (load_set(o, argv[0], &s, &err) < 0) {
		printf("OPSBACKUP UNKNOWN - %s\n", err.msg);
		bk_set_release(&s);
		return OPS_PLUGIN_UNKNOWN;
	}
	max_ms = s.max_age_ms;
	if (o->max_age &&
	    ops_parse_duration_ms(o->max_age, 1000, &max_ms, &why) < 0) {
		printf("OPSBACKUP UNKNOWN - --max-age %s: use a duration like "
		       "26h\n",
		    o->max_age);
		bk_set_release(&s);
		return OPS_PLUGIN_UNKNOWN;
	}
	path = ops_path_join(o->cli.dir, CATALOG);
	if (ops_tsv_open(&r, path, OPS_TSV_MISSING_OK, &err) < 0 ||
	    ops_tsv_columns(&r, need, idx, 5, &err) < 0) {
		printf("OPSBACKUP UNKNOWN - %s\n", err.msg);
		free(path);
		bk_set_release(&s);
		return OPS_PLUGIN_UNKNOWN;
	}
	while (idx[0] >= 0 && (x = ops_tsv_next(&r, &err)) != 0) {
		if (x == OPS_TSV_BAD) {
			ops_err_report(&err); /* FILE:LINE on stderr */
			ops_err_clear(&err);
			continue;
		}
		if (x < 0) {
			printf("OPSBACKUP UNKNOWN - %s\n", err.msg);
			ops_tsv_close(&r);
			free(path);
			bk_set_release(&s);
			return OPS_PLUGIN_UNKNOWN;
		}
		if (strcmp(r.f[idx[1]], s.name) != 0)
			continue;
		if (strcmp(r.f[idx[3]], "ok") != 0 &&
		    strcmp(r.f[idx[3]], "failed") != 0 &&
		    strcmp(r.f[idx[3]], "partial") != 0)
			continue; /* drills */
		snprintf(last_status, sizeof(last_status), "%s",
		    r.f[idx[3]]);
		snprintf(last_msg, sizeof(last_msg), "%s", r.f[idx[4]]);
		if (strcmp(r.f[idx[3]], "ok") == 0 &&
		    ops_rfc3339_parse(r.f[idx[2]], r.fl[idx[2]], &t, &off) ==
			0) {
			good_t = t;
			snprintf(good_id, sizeof(good_id), "%s", r.f[idx[0]]);
		}
	}
	ops_tsv_close(&r);
	free(path);
	if (good_t < 0) {
		printf("OPSBACKUP CRITICAL - %s: no successful backup recorded"
		       "%s%s\n",
		    s.name, last_status[0] ? "; last run " : "",
		    last_status[0] ? last_status : "");
		rc = OPS_PLUGIN_CRITICAL;
	} else if (strcmp(last_status, "ok") != 0) {
		printf("OPSBACKUP CRITICAL - %s: last run %s: %s | age=%llds\n",
		    s.name, last_status, last_msg,
		    (long long)(now - good_t));
		rc = OPS_PLUGIN_CRITICAL;
	} else if ((now - good_t) * 1000 > max_ms) {
		printf("OPSBACKUP CRITICAL - %s: newest backup %s is %lld h "
		       "old (max %lld h) | age=%llds\n",
		    s.name, good_id, (long long)((now - good_t) / 3600),
		    max_ms / 3600000, (long long)(now - good_t));
		rc = OPS_PLUGIN_CRITICAL;
	} else {
		printf("OPSBACKUP OK - %s: newest backup %s, %lld min old | "
		       "age=%llds\n",
		    s.name, good_id, (long long)((now - good_t) / 60),
		    (long long)(now - good_t));
		rc = OPS_PLUGIN_OK;
	}
	bk_set_release(&s);
	return rc;
}

/* ---- main ---- */

static int
parse(struct opts *o, int argc, char **argv)
{
	int c;

	while ((c = getopt_long(argc, argv, OPS_CLI_SHORT, longopts, NULL)) !=
	    -1) {
		if (ops_cli_option(&o->cli, c, optarg))
			continue;
		switch (c) {
		case 'h':
			usage(OPS_EXIT_OK);
		case 'V':
			printf("opsbackup %s\n", OPS_VERSION);
			exit(OPS_EXIT_OK);
		case OPT_FALLBACK:
			o->fallback = true;
			break;
		case OPT_PATH:
			ops_xgrow((void **)&o->paths, &o->cappaths,
			    o->npaths + 1, sizeof(*o->paths));
			o->paths[o->npaths++] = ops_xstrdup(optarg);
			break;
		case OPT_OWNER:
			o->owner = true;
			break;
		case OPT_FORCE:
			o->force = true;
			break;
		case OPT_MAX_AGE:
			o->max_age = optarg;
			break;
		case OPT_ACCEPT_NEW:
			o->accept_new = true;
			break;
		default:
			usage(OPS_EXIT_USAGE);
		}
	}
	return optind;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct opts *, int, char **);
	} cmds[] = {
	    {"run", cmd_run},
	    {"list", cmd_list},
	    {"verify", cmd_verify},
	    {"restore", cmd_restore},
	    {"prune", cmd_prune},
	    {"drill", cmd_drill},
	    {"check", cmd_check},
	};
	struct opts o;
	struct ops_err err;
	size_t i;
	int k, rc = OPS_EXIT_USAGE;
	bool plugin;

	ops_init(argc, argv);
	memset(&o, 0, sizeof(o));
	ops_cli_init(&o.cli);
	ops_buf_init(&o.key, 4096);
	k = parse(&o, argc, argv);
	if (k >= argc)
		usage(OPS_EXIT_USAGE);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[k], cmds[i].name) == 0)
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0])) {
		ops_warn("unknown subcommand \"%s\"", argv[k]);
		usage(OPS_EXIT_USAGE);
	}
	plugin = strcmp(argv[k], "check") == 0;
	ops_err_clear(&err);
	if (ops_cli_setup(&o.cli, OPS_CLI_NEED_DIR, &err) < 0 ||
	    (!plugin && bk_seal_key(&o.cli.conf, &o.key, &err) < 0) ||
	    ops_clock_init(&err) < 0) {
		if (plugin) {
			printf("OPSBACKUP UNKNOWN - %s\n", err.msg);
			rc = OPS_PLUGIN_UNKNOWN;
		} else {
			rc = ops_err_report(&err);
		}
	} else {
		rc = cmds[i].fn(&o, argc - k - 1, argv + k + 1);
	}
	if (o.key.data)
		explicit_bzero(o.key.data, o.key.len);
	ops_buf_release(&o.key);
	for (i = 0; i < o.npaths; i++)
		free(o.paths[i]);
	free(o.paths);
	ops_cli_release(&o.cli);
	if (ops_stdout_close(&err) < 0 && !plugin)
		rc = ops_exit_worst(rc, ops_err_report(&err));
	return rc;
}
