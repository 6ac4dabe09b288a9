/*
 * dest.c - where a set's generations are kept: a local directory, or a
 * directory on an SFTP server
 * SPDX-License-Identifier: MIT
 *
 * Local: the run writes its temporaries in the directory itself, so that
 * publishing is a rename(2) (RENAME_NOREPLACE) and the directory is synced
 * once after.  SFTP: the run writes and checks everything in a private
 * staging directory under the data directory, then uploads each file to
 * a temporary name and renames it (ops_ssh_upload), the seal last; reads
 * download into an unlinked temporary file first, so the same reader
 * checks every byte either way.
 */
#include "compat.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "exitcode.h"
#include "fsx.h"
#include "mem.h"
#include "ssh.h"

#include "bk.h"

#define SEAL_MAX 8192
#define SSH_STEP_MS 120000 /* each SFTP step ends within 2 minutes */

struct bk_dest {
	const struct bk_set *s;
	char *label;
	char *staging;    /* local dir for temporaries */
	int dfd;          /* local: the directory */
	struct ops_ssh *ssh;
	char **names;     /* last listing */
	uint64_t *sizes;
	size_t nnames;
};

static void
names_free(struct bk_dest *d)
{
	size_t i;

	for (i = 0; i < d->nnames; i++)
		free(d->names[i]);
	free(d->names);
	free(d->sizes);
	d->names = NULL;
	d->sizes = NULL;
	d->nnames = 0;
}

/* a + b + c in fresh memory */
static char *
cat3(const char *a, const char *b, const char *c)
{
	size_t x = strlen(a), y = strlen(b), z = strlen(c);
	char *p = ops_xmalloc(x + y + z + 1);

	memcpy(p, a, x);
	memcpy(p + x, b, y);
	memcpy(p + x + y, c, z + 1);
	return p;
}

static int
sftp_open(struct bk_dest *d, const struct ops_conf *c, bool accept_new,
    struct ops_err *err)
{
	struct ops_ssh_opts so;
	struct ops_buf pass;
	const char *pf = ops_conf_get(c, "ssh", NULL, "password-file");
	bool agent = true;
	int rc;

	ops_buf_init(&pass, 4096);
	if (pf && ops_secret_read(pf, &pass, err) < 0) {
		ops_err_prefix(err, "[ssh] password-file");
		return -1;
	}
	if (ops_conf_get_bool(c, "ssh", NULL, "agent", &agent, err) < 0)
		return -1;
	if (ops_ssh_init(err) < 0)
		return -1;
	memset(&so, 0, sizeof(so));
	so.host = d->s->host;
	so.port = d->s->port;
	so.user = d->s->user ? d->s->user : ops_conf_get(c, "ssh", NULL, "user");
	so.known_hosts = ops_conf_get(c, "ssh", NULL, "known-hosts");
	so.identity = ops_conf_get(c, "ssh", NULL, "identity");
	so.passphrase = pf ? pass.data : getenv("OPS_SSH_PASSPHRASE");
	so.no_agent = !agent;
	so.accept_new = accept_new;
	so.deadline = ops_clock_mono_ms() + 30000;
	rc = ops_ssh_open(&d->ssh, &so, err);
	if (pass.data)
		explicit_bzero(pass.data, pass.len);
	ops_buf_release(&pass);
	if (rc < 0) {
		ops_err_prefix(err, "%s", d->label);
		return -1;
	}
	if (ops_ssh_mkdir(d->ssh, d->s->dir, 0700,
		ops_clock_mono_ms() + SSH_STEP_MS, err) < 0) {
		ops_err_prefix(err, "%s", d->label);
		return -1;
	}
	return 0;
}

int
bk_dest_open(struct bk_dest **out, const struct bk_set *s,
    const struct ops_conf *c, bool accept_new, const char *datadir,
    struct ops_err *err)
{
	struct bk_dest *d = ops_xcalloc(1, sizeof(*d));

	*out = NULL;
	d->s = s;
	d->dfd = -1;
	if (s->sftp) {
		char port[16], *hp;

		snprintf(port, sizeof(port), ":%d", s->port);
		hp = cat3("sftp://", s->host, port);
		d->label = cat3(hp, s->dir, "");
		free(hp);
		d->staging = ops_path_join(datadir, "staging");
		if (ops_mkdir_p(d->staging, 0700, err) < 0 ||
		    sftp_open(d, c, accept_new, err) < 0) {
			bk_dest_close(d);
			return -1;
		}
	} else {
		d->label = ops_xstrdup(s->dir);
		if (ops_mkdir_p(s->dir, 0700, err) < 0) {
			bk_dest_close(d);
			return -1;
		}
		d->dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (d->dfd < 0) {
			ops_err_set(err, OPS_EXIT_FAIL, "%s:", s->dir);
			bk_dest_close(d);
			return -1;
		}
		d->staging = ops_xstrdup(s->dir);
	}
	*out = d;
	return 0;
}

void
bk_dest_close(struct bk_dest *d)
{
	if (d == NULL)
		return;
	if (d->dfd >= 0)
		close(d->dfd);
	if (d->ssh)
		ops_ssh_close(d->ssh);
	names_free(d);
	free(d->label);
	free(d->staging);
	free(d);
}

const char *
bk_dest_label(const struct bk_dest *d)
{
	return d->label;
}

const char *
bk_dest_staging(const struct bk_dest *d)
{
	return d->staging;
}

static int
remote_path(const struct bk_dest *d, const char *name, char **out)
{
	*out = ops_path_join(d->s->dir, name);
	return 0;
}

int
bk_dest_names(struct bk_dest *d, char ***names, size_t *n,
    struct ops_err *err)
{
	size_t cap = 0;

	names_free(d);
	if (d->ssh) {
		struct ops_ssh_dirent *v;
		size_t k, i;

		if (ops_ssh_list(d->ssh, d->s->dir, &v, &k,
			ops_clock_mono_ms() + SSH_STEP_MS, err) < 0) {
			ops_err_prefix(err, "%s", d->label);
			return -1;
		}
		d->names = ops_xcalloc(k ? k : 1, sizeof(*d->names));
		d->sizes = ops_xcalloc(k ? k : 1, sizeof(*d->sizes));
		for (i = 0; i < k; i++)
			if (v[i].is_reg) {
				d->names[d->nnames] = ops_xstrdup(v[i].name);
				d->sizes[d->nnames++] = v[i].size;
			}
		ops_ssh_dirents_free(v, k);
	} else {
		int fd = dup(d->dfd);
		DIR *dir;
		struct dirent *de;

		if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
			if (fd >= 0)
				close(fd);
			return ops_err_set(err, OPS_EXIT_FAIL, "%s:", d->label);
		}
		rewinddir(dir);
		while ((de = readdir(dir)) != NULL) {
			struct stat st;

			if (fstatat(d->dfd, de->d_name, &st,
				AT_SYMLINK_NOFOLLOW) < 0 ||
			    !S_ISREG(st.st_mode))
				continue;
			ops_xgrow((void **)&d->names, &cap, d->nnames + 1,
			    sizeof(*d->names));
			d->sizes = ops_xreallocarray(d->sizes, cap,
			    sizeof(*d->sizes));
			d->names[d->nnames] = ops_xstrdup(de->d_name);
			d->sizes[d->nnames++] = (uint64_t)st.st_size;
		}
		closedir(dir);
	}
	*names = d->names;
	*n = d->nnames;
	return 0;
}

/* the size of name in the last listing, or -1 */
static int64_t
listed_size(const struct bk_dest *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->nnames; i++)
		if (strcmp(d->names[i], name) == 0)
			return (int64_t)d->sizes[i];
	return -1;
}

int
bk_dest_fetch(struct bk_dest *d, const char *name, int *fd,
    struct ops_err *err)
{
	char *rp;
	int tfd;

	*fd = -1;
	if (!d->ssh) {
		*fd = openat(d->dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (*fd < 0)
			return ops_err_set(err,
			    errno == ENOENT ? OPS_EXIT_FOUND : OPS_EXIT_FAIL,
			    "%s/%s:", d->label, name);
		return 0;
	}
	tfd = open(d->staging, O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
	if (tfd < 0)
		return ops_err_set(err, OPS_EXIT_FAIL,
		    "%s: cannot make a temporary file:", d->staging);
	remote_path(d, name, &rp);
	if (ops_ssh_download(d->ssh, rp, tfd,
		ops_clock_mono_ms() + 3600 * 1000, NULL, err) < 0) {
		ops_err_prefix(err, "%s", d->label);
		free(rp);
		close(tfd);
		return -1;
	}
	free(rp);
	if (lseek(tfd, 0, SEEK_SET) < 0) {
		close(tfd);
		return ops_err_set(err, OPS_EXIT_FAIL, "lseek:");
	}
	*fd = tfd;
	return 0;
}

int
bk_dest_put(struct bk_dest *d, const char *path, const char *name,
    struct ops_err *err)
{
	char *rp;
	int fd, rc;

	if (!d->ssh) {
		const char *base = strrchr(path, '/');

		base = base ? base + 1 : path;
		if (renameat2(d->dfd, base, d->dfd, name, RENAME_NOREPLACE) < 0)
			return ops_err_set(err, OPS_EXIT_FAIL,
			    "cannot rename %s to %s/%s:", path, d->label,
			    name);
		return 0;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return ops_err_set(err, OPS_EXIT_FAIL, "%s:", path);
	remote_path(d, name, &rp);
	rc = ops_ssh_upload(d->ssh, fd, rp, 0600,
	    ops_clock_mono_ms() + 3600 * 1000, NULL, err);
	if (rc < 0)
		ops_err_prefix(err, "%s", d->label);
	free(rp);
	close(fd);
	if (rc == 0)
		(void)unlink(path);
	return rc;
}

int
bk_dest_remove(struct bk_dest *d, const char *name, struct ops_err *err)
{
	char *rp;
	int rc;

	if (!d->ssh) {
		if (unlinkat(d->dfd, name, 0) < 0 && errno != ENOENT)
			return ops_err_set(err, OPS_EXIT_FAIL,
			    "cannot remove %s/%s:", d->label, name);
		return 0;
	}
	remote_path(d, name, &rp);
	rc = ops_ssh_remove(d->ssh, rp, ops_clock_mono_ms() + SSH_STEP_MS,
	    err);
	free(rp);
	if (rc < 0 && strncmp(err->msg, "no such file", 12) == 0) {
		ops_err_clear(err);
		rc = 0;
	}
	if (rc < 0)
		ops_err_prefix(err, "%s", d->label);
	return rc;
}

int
bk_dest_sync(struct bk_dest *d, struct ops_err *err)
{
	if (d->ssh)
		return 0; /* the server's business (fsync@openssh.com) */
	if (fsync(d->dfd) < 0)
		return ops_err_set(err, OPS_EXIT_FAIL, "%s: fsync:", d->label);
	return 0;
}

/* "SET-" ID tail: the ID when name is SET-ID<tail>, else NULL */
static const char *
id_of(const char *set, const char *name, const char *tail, char *id)
{
	size_t sl = strlen(set), i;
	const char *p;

	if (strncmp(name, set, sl) != 0 || name[sl] != '-')
		return NULL;
	p = name + sl + 1;
	for (i = 0; i < BK_ID_LEN; i++) {
		char ch = p[i];

		if (i == 8 ? ch != 'T' : (ch < '0' || ch > '9'))
			return NULL;
	}
	if (tail && strcmp(p + BK_ID_LEN, tail) != 0)
		return NULL;
	memcpy(id, p, BK_ID_LEN);
	id[BK_ID_LEN] = '\0';
	return id;
}

static int
cmp_gen(const void *a, const void *b)
{
	return strcmp(((const struct bk_gen *)a)->id,
	    ((const struct bk_gen *)b)->id);
}

static struct bk_gen *
gen_get(struct bk_gen **v, size_t *n, size_t *cap, const char *id)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*v)[i].id, id) == 0)
			return &(*v)[i];
	ops_xgrow((void **)v, cap, *n + 1, sizeof(**v));
	memset(&(*v)[*n], 0, sizeof(**v));
	memcpy((*v)[*n].id, id, BK_ID_LEN + 1);
	snprintf((*v)[*n].why, sizeof((*v)[*n].why),
	    "no seal (left by a killed or failed run)");
	return &(*v)[(*n)++];
}

/* Read a small file of the destination whole. */
static int
read_small(struct bk_dest *d, const char *name, struct ops_buf *b,
    struct ops_err *err)
{
	char chunk[4096];
	ssize_t n;
	int fd;

	if (bk_dest_fetch(d, name, &fd, err) < 0)
		return -1;
	ops_buf_reset(b);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (ops_buf_add(b, chunk, (size_t)n) < 0) {
			close(fd);
			return ops_err_set(err, OPS_EXIT_FOUND,
			    "%s: too large for a seal", name);
		}
	close(fd);
	if (n < 0)
		return ops_err_set(err, OPS_EXIT_FAIL, "%s:", name);
	return 0;
}

int
bk_dest_gens(struct bk_dest *d, const struct ops_buf *key,
    struct bk_gen **out, size_t *n, struct ops_err *err)
{
	struct bk_gen *v = NULL;
	size_t cap = 0, k = 0, i, nn;
	char **names, id[BK_ID_LEN + 1];
	struct ops_buf b;

	*out = NULL;
	*n = 0;
	if (bk_dest_names(d, &names, &nn, err) < 0)
		return -1;
	ops_buf_init(&b, SEAL_MAX);
	for (i = 0; i < nn; i++) {
		struct bk_gen *g;
		struct ops_err e2;
		int64_t as, ms;

		if (!id_of(d->s->name, names[i], NULL, id))
			continue;
		g = gen_get(&v, &k, &cap, id);
		if (!id_of(d->s->name, names[i], ".seal", id))
			continue;
		g->sealed = true;
		ops_err_clear(&e2);
		if (read_small(d, names[i], &b, &e2) < 0 ||
		    bk_seal_parse(&g->seal, names[i], b.data ? b.data : "",
			b.len, key, &e2) < 0) {
			snprintf(g->why, sizeof(g->why), "%s", e2.msg);
			continue;
		}
		if (strcmp(g->seal.set, d->s->name) != 0 ||
		    strcmp(g->seal.id, id) != 0) {
			snprintf(g->why, sizeof(g->why),
			    "seal names another generation (%s %s)",
			    g->seal.set, g->seal.id);
			continue;
		}
		as = listed_size(d, g->seal.archive);
		ms = listed_size(d, g->seal.manifest);
		if (as < 0 || ms < 0) {
			snprintf(g->why, sizeof(g->why), "%s is missing",
			    as < 0 ? g->seal.archive : g->seal.manifest);
			continue;
		}
		if ((uint64_t)as != g->seal.archive_size ||
		    (uint64_t)ms != g->seal.manifest_size) {
			snprintf(g->why, sizeof(g->why),
			    "%s has another size than its seal says",
			    (uint64_t)as != g->seal.archive_size
				? g->seal.archive
				: g->seal.manifest);
			continue;
		}
		g->valid = true;
		g->why[0] = '\0';
	}
	ops_buf_release(&b);
	if (k > 1)
		qsort(v, k, sizeof(*v), cmp_gen);
	*out = v;
	*n = k;
	return 0;
}
