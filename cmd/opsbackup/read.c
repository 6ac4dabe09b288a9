/*
 * read.c - read a generation back: verify, and restore with checks
 * SPDX-License-Identifier: MIT
 *
 * One reader serves verify, the re-read before sealing, restore and
 * drill.  Every byte of the archive goes through SHA-256 on its way to
 * libarchive (and the rest of the file after the end of the archive is
 * read too), so the archive's hash is known at the end of the same pass.
 * Every member must be in the manifest with the same type, mode, owner,
 * mtime and size, and every regular file's SHA-256 must match: libarchive's
 * zstd frames carry no checksum (PITFALLS.md), so this is the integrity
 * check, and it is never skipped.
 *
 * Extraction goes through archive_write_disk with the secure flags
 * (no "..", no absolute paths, no writing through symlinks) from inside
 * the destination (fchdir), after our own check of each path: a member
 * whose name is absolute, holds a ".." or an empty component, or is not
 * in the manifest stops the restore before anything is written for it.
 * Owners are restored only when asked (BK_R_OWNER) and running as root.
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "exitcode.h"
#include "mem.h"

#include "bk.h"

#define RBUF (1024 * 1024)

struct in {
	int fd;
	struct bk_follow *f; /* following a writer, or NULL */
	struct bk_sha *sha;
	uint64_t size;
	char *buf;
	int rerrno;
};

/* ---- following a writer ---- */

void
bk_follow_init(struct bk_follow *f)
{
	memset(f, 0, sizeof(*f));
	if (pthread_mutex_init(&f->mu, NULL) != 0 ||
	    pthread_cond_init(&f->cv, NULL) != 0)
		ops_fatal(OPS_EXIT_FAIL, "pthread_mutex_init failed");
}

void
bk_follow_destroy(struct bk_follow *f)
{
	size_t i;

	for (i = f->head; i < f->n; i++)
		free(f->rows[i]);
	free(f->rows);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
}

void
bk_follow_wrote(struct bk_follow *f, uint64_t n)
{
	pthread_mutex_lock(&f->mu);
	f->written += n;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

void
bk_follow_row(struct bk_follow *f, const char *line, size_t len)
{
	char *copy = ops_xstrndup(line, len);

	pthread_mutex_lock(&f->mu);
	if (f->head > 0 && f->head * 2 >= f->n) {
		/* reuse the taken front */
		memmove(f->rows, f->rows + f->head,
		    (f->n - f->head) * sizeof(*f->rows));
		f->n -= f->head;
		f->head = 0;
	}
	ops_xgrow((void **)&f->rows, &f->cap, f->n + 1, sizeof(*f->rows));
	f->rows[f->n++] = copy;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

void
bk_follow_done(struct bk_follow *f)
{
	pthread_mutex_lock(&f->mu);
	f->done = true;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

bool
bk_follow_failed(struct bk_follow *f)
{
	bool x;

	pthread_mutex_lock(&f->mu);
	x = f->failed;
	pthread_mutex_unlock(&f->mu);
	return x;
}

/* The next manifest line (owned by the caller), or NULL when the writer
 * is done and none is left. */
static char *
follow_take(struct bk_follow *f)
{
	char *line = NULL;

	pthread_mutex_lock(&f->mu);
	while (f->head == f->n && !f->done)
		pthread_cond_wait(&f->cv, &f->mu);
	if (f->head < f->n)
		line = f->rows[f->head++];
	pthread_mutex_unlock(&f->mu);
	return line;
}

/* How many bytes from offset can be read now; 0 at the end. */
static size_t
follow_avail(struct bk_follow *f, uint64_t offset)
{
	uint64_t n;

	pthread_mutex_lock(&f->mu);
	while (f->written <= offset && !f->done)
		pthread_cond_wait(&f->cv, &f->mu);
	n = f->written > offset ? f->written - offset : 0;
	pthread_mutex_unlock(&f->mu);
	return n > RBUF ? RBUF : (size_t)n;
}

static la_ssize_t
in_read(struct archive *a, void *ctx, const void **p)
{
	struct in *in = ctx;
	ssize_t n;

	if (in->f) {
		size_t want = follow_avail(in->f, in->size);

		if (want == 0) {
			*p = in->buf;
			return 0;
		}
		do
			n = pread(in->fd, in->buf, want, (off_t)in->size);
		while (n < 0 && errno == EINTR);
	} else {
		do
			n = read(in->fd, in->buf, RBUF);
		while (n < 0 && errno == EINTR);
	}
	if (n < 0) {
		in->rerrno = errno;
		archive_set_error(a, errno, "read error");
		return -1;
	}
	bk_sha_update(in->sha, in->buf, (size_t)n);
	in->size += (uint64_t)n;
	*p = in->buf;
	return n;
}

/* A path we are willing to create under the destination. */
static const char *
bad_path(const char *p)
{
	const char *c = p;

	if (*p == '\0')
		return "empty name";
	if (*p == '/')
		return "absolute path";
	while (*c) {
		const char *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);

		if (n == 0)
			return "empty path component";
		if ((n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return "\".\" or \"..\" in the path";
		c += n;
		if (*c == '/')
			c++;
	}
	return NULL;
}

static bool
selected(const char *path, char *const *paths, size_t npaths)
{
	size_t i;

	if (npaths == 0)
		return true;
	for (i = 0; i < npaths; i++) {
		size_t n = strlen(paths[i]);

		if (strncmp(path, paths[i], n) == 0 &&
		    (path[n] == '\0' || path[n] == '/'))
			return true;
	}
	return false;
}

static enum bk_type
entry_type(struct archive_entry *e)
{
	if (archive_entry_hardlink(e) != NULL)
		return BK_HARDLINK;
	switch (archive_entry_filetype(e)) {
	case AE_IFREG:
		return BK_FILE;
	case AE_IFDIR:
		return BK_DIR;
	case AE_IFLNK:
		return BK_SYMLINK;
	default:
		return BK_OTHER;
	}
}

/* Compare the header with the manifest row; a reason or NULL. */
static const char *
header_differs(struct archive_entry *e, const struct bk_ment *me,
    enum bk_type t)
{
	unsigned mask;

	if (t != me->type)
		return "type differs from the manifest";
	/* with an access ACL, libarchive reads the group bits from the
	 * ACL's group entry while the file's mode shows the ACL's mask */
	mask = archive_entry_acl_count(e, ARCHIVE_ENTRY_ACL_TYPE_ACCESS) > 0
		   ? 07707
		   : 07777;
	if ((archive_entry_mode(e) & mask) != (me->mode & mask))
		return "mode differs from the manifest";
	if (archive_entry_uid(e) != me->uid ||
	    archive_entry_gid(e) != me->gid)
		return "owner differs from the manifest";
	if (archive_entry_mtime(e) != me->mtime)
		return "mtime differs from the manifest";
	if (t == BK_FILE && (uint64_t)archive_entry_size(e) != me->size)
		return "size differs from the manifest";
	if (t == BK_SYMLINK &&
	    (archive_entry_symlink(e) == NULL || me->target == NULL ||
		strcmp(archive_entry_symlink(e), me->target) != 0))
		return "symlink target differs from the manifest";
	if (t == BK_HARDLINK && (me->target == NULL ||
				    strcmp(archive_entry_hardlink(e),
					me->target) != 0))
		return "hard-link target differs from the manifest";
	return NULL;
}

static void
record(struct ops_buf *created, const char *path)
{
	if (created &&
	    (ops_buf_add(created, path, strlen(path) + 1) < 0))
		ops_fatal(OPS_EXIT_FAIL, "out of memory");
}

/* One read of an archive: against a whole manifest (verify, restore) or
 * against the lines a writer hands over (the check of a new archive). */
struct rctx {
	const char *name;
	struct bk_manifest *m;   /* or NULL when following */
	struct bk_follow *f;
	FILE *mf;                /* or the manifest read line by line */
	struct bk_sha *msha;     /* ... and hashed as it is read */
	uint64_t msize;
	const char *mname;
	size_t mcap;
	struct bk_mcols cols;    /* following: the header's columns */
	char *line;              /* following: the current member's line */
	struct bk_ment fe;       /* following: parsed from line */
	struct archive *x;       /* extraction, or NULL */
	char *const *paths;
	size_t npaths;
	struct ops_buf *created;
	struct bk_rres *r;
	struct ops_err *err;
};

/* The next manifest line: from the writer (following) or the file. */
static char *
next_line(struct rctx *c)
{
	char *line = NULL;
	ssize_t n;

	if (c->f)
		return follow_take(c->f);
	n = getline(&line, &c->mcap, c->mf);
	c->mcap = 0;
	if (n <= 0) {
		free(line);
		return NULL;
	}
	bk_sha_update(c->msha, line, (size_t)n);
	c->msize += (uint64_t)n;
	if (line[n - 1] == '\n')
		line[n - 1] = '\0';
	return line;
}

/* The manifest row of the member at path; NULL with err set. */
static struct bk_ment *
row_for(struct rctx *c, const char *path)
{
	struct bk_ment *me;
	const char *why;

	if (c->m) {
		me = bk_manifest_find(c->m, path);
		if (me == NULL || me->seen) {
			ops_err_set(c->err, OPS_EXIT_FOUND, "%s: member %s %s",
			    c->name, path,
			    me ? "appears twice" : "is not in the manifest");
			return NULL;
		}
		me->seen = true;
		return me;
	}
	free(c->line);
	c->line = next_line(c);
	if (c->line == NULL) {
		ops_err_set(c->err, OPS_EXIT_FOUND,
		    "%s: member %s is not in the manifest", c->name, path);
		return NULL;
	}
	if (bk_manifest_row(&c->cols, c->line, &c->fe, &why) < 0) {
		ops_err_set(c->err, OPS_EXIT_FOUND,
		    "%s: manifest line of member %s: %s", c->name, path, why);
		return NULL;
	}
	if (strcmp(c->fe.path, path) != 0) {
		ops_err_set(c->err, OPS_EXIT_FOUND,
		    "%s: member %s where the manifest has %s", c->name, path,
		    c->fe.path);
		return NULL;
	}
	return &c->fe;
}

/* After the last member: every manifest row was seen. */
static int
all_seen(struct rctx *c)
{
	size_t i;

	if (c->m) {
		for (i = 0; i < c->m->n; i++)
			if (!c->m->v[i].seen)
				return ops_err_set(c->err, OPS_EXIT_FOUND,
				    "%s: member %s is in the manifest but not "
				    "in the archive (truncated?)",
				    c->name, c->m->v[i].path);
		return 0;
	}
	free(c->line);
	c->line = next_line(c);
	if (c->line)
		return ops_err_set(c->err, OPS_EXIT_FOUND,
		    "%s: the manifest has more members than the archive",
		    c->name);
	if (c->mf && ferror(c->mf))
		return ops_err_set(c->err, OPS_EXIT_FAIL, "%s: cannot read:",
		    c->mname);
	return 0;
}

static int
read_members(struct rctx *c, struct archive *a, struct bk_sha *fsha)
{
	struct ops_buf pbuf;
	struct archive_entry *e;
	struct bk_rres *r = c->r;
	const char *name = c->name;
	struct ops_err *err = c->err;
	struct archive *x = c->x;
	int rc = -1, st;

	ops_buf_init(&pbuf, 0);
	for (;;) {
		const char *path, *why;
		struct bk_ment *me;
		enum bk_type t;
		bool extract;

		st = archive_read_next_header(a, &e);
		if (st == ARCHIVE_EOF)
			break;
		if (st < ARCHIVE_WARN) {
			ops_err_set(err, OPS_EXIT_FOUND,
			    "%s: damaged after member %llu: %s", name,
			    (unsigned long long)r->members,
			    archive_error_string(a));
			goto out;
		}
		path = archive_entry_pathname(e);
		if (path) {
			/* tar writes directories as "name/" */
			size_t pl = strlen(path);

			if (pl > 1 && path[pl - 1] == '/') {
				ops_buf_reset(&pbuf);
				if (ops_buf_add(&pbuf, path, pl - 1) < 0)
					ops_fatal(OPS_EXIT_FAIL,
					    "out of memory");
				path = ops_buf_cstr(&pbuf);
			}
		}
		if (path == NULL) {
			ops_err_set(err, OPS_EXIT_FOUND,
			    "%s: member %llu has no name", name,
			    (unsigned long long)r->members + 1);
			goto out;
		}
		r->members++;
		if ((why = bad_path(path)) != NULL) {
			ops_err_set(err, OPS_EXIT_FOUND,
			    "%s: member %s refused: %s", name, path, why);
			goto out;
		}
		t = entry_type(e);
		if (t == BK_HARDLINK &&
		    (why = bad_path(archive_entry_hardlink(e))) != NULL) {
			ops_err_set(err, OPS_EXIT_FOUND,
			    "%s: member %s refused: hard-link target: %s",
			    name, path, why);
			goto out;
		}
		if ((me = row_for(c, path)) == NULL)
			goto out;
		if ((why = header_differs(e, me, t)) != NULL) {
			ops_err_set(err, OPS_EXIT_FOUND, "%s: member %s: %s",
			    name, path, why);
			goto out;
		}
		extract = x && selected(path, c->paths, c->npaths);
		if (extract) {
			st = archive_write_header(x, e);
			if (st < ARCHIVE_WARN) {
				ops_err_set(err, OPS_EXIT_FOUND,
				    "%s: member %s: cannot restore: %s", name,
				    path, archive_error_string(x));
				goto out;
			}
			if (st == ARCHIVE_WARN)
				ops_warn("%s: %s", path,
				    archive_error_string(x));
			record(c->created, path);
			r->extracted++;
		}
		if (t == BK_FILE) {
			const void *buf;
			size_t size;
			la_int64_t off;
			char hex[BK_SHA_HEX];

			while ((st = archive_read_data_block(a, &buf, &size,
				    &off)) == ARCHIVE_OK) {
				bk_sha_update(fsha, buf, size);
				if (extract &&
				    archive_write_data_block(x, buf, size,
					off) < ARCHIVE_WARN) {
					ops_err_set(err, OPS_EXIT_FOUND,
					    "%s: member %s: cannot write: %s",
					    name, path,
					    archive_error_string(x));
					goto out;
				}
			}
			if (st != ARCHIVE_EOF) {
				ops_err_set(err, OPS_EXIT_FOUND,
				    "%s: member %s: damaged: %s", name, path,
				    archive_error_string(a));
				goto out;
			}
			bk_sha_hex(fsha, hex);
			if (strcmp(hex, me->sha) != 0) {
				ops_err_set(err, OPS_EXIT_FOUND,
				    "%s: member %s: SHA-256 mismatch (the "
				    "content is not what was backed up)",
				    name, path);
				goto out;
			}
			r->files++;
		}
		if (extract && archive_write_finish_entry(x) < ARCHIVE_WARN) {
			ops_err_set(err, OPS_EXIT_FOUND,
			    "%s: member %s: cannot restore: %s", name, path,
			    archive_error_string(x));
			goto out;
		}
	}
	if (x && archive_write_close(x) < ARCHIVE_WARN) {
		ops_err_set(err, OPS_EXIT_FOUND, "%s: cannot finish: %s", name,
		    archive_error_string(x));
		goto out;
	}
	rc = all_seen(c);
out:
	ops_buf_release(&pbuf);
	return rc;
}

/* Open the reader on in, run read_members, read the rest of the file
 * into the hash. */
static int
read_archive(struct rctx *c, struct in *in)
{
	struct archive *a = archive_read_new();
	struct bk_sha *fsha = bk_sha_new();
	const void *p;
	la_ssize_t n;
	int rc = -1;

	if (a == NULL)
		ops_fatal(OPS_EXIT_FAIL, "out of memory");
	/* pax only, through the filters we write; nothing that forks */
	archive_read_support_format_tar(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_bzip2(a);
	if (archive_read_open(a, in, NULL, in_read, NULL) != ARCHIVE_OK)
		ops_err_set(c->err, OPS_EXIT_FOUND, "%s: cannot read: %s",
		    c->name, archive_error_string(a));
	else if (read_members(c, a, fsha) == 0)
		rc = 0;
	if (rc == 0) {
		/* the rest of the file: the hash covers every byte */
		while ((n = in_read(NULL, in, &p)) > 0)
			;
		if (n < 0)
			rc = -1;
	}
	if (in->rerrno) {
		errno = in->rerrno;
		ops_err_set(c->err, OPS_EXIT_FAIL, "%s: cannot read:",
		    c->name);
		rc = -1;
	}
	bk_sha_hex(in->sha, c->r->sha);
	c->r->size = in->size;
	archive_read_free(a);
	bk_sha_free(fsha);
	return rc;
}

/* The common start of a read: the input (hashed as it is read) and the
 * context, with nothing to compare against yet. */
static void
start(struct rctx *c, struct in *in, int fd, const char *name,
    struct bk_rres *r, struct ops_err *err)
{
	memset(r, 0, sizeof(*r));
	memset(c, 0, sizeof(*c));
	memset(in, 0, sizeof(*in));
	in->fd = fd;
	in->sha = bk_sha_new();
	in->buf = ops_xmalloc(RBUF);
	c->name = name;
	c->r = r;
	c->err = err;
}

/* Set up extraction into destfd (chdir there); -1 with err. */
static int
extract_begin(struct rctx *c, int destfd, const char *destpath,
    unsigned flags, int *oldcwd, struct ops_err *err)
{
	int xf = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
		 ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_XATTR |
		 ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
		 ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;

	*oldcwd = -1;
	if (destfd < 0)
		return 0;
	if ((flags & BK_R_OWNER) && geteuid() == 0)
		xf |= ARCHIVE_EXTRACT_OWNER;
	c->x = archive_write_disk_new();
	if (c->x == NULL)
		ops_fatal(OPS_EXIT_FAIL, "out of memory");
	archive_write_disk_set_options(c->x, xf);
	archive_write_disk_set_standard_lookup(c->x);
	*oldcwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*oldcwd < 0 || fchdir(destfd) < 0)
		return ops_err_set(err, OPS_EXIT_FAIL, "%s:", destpath);
	return 0;
}

static void
extract_end(struct rctx *c, int oldcwd)
{
	if (c->x)
		archive_write_free(c->x); /* runs the directory fix-ups */
	c->x = NULL;
	if (oldcwd >= 0) {
		if (fchdir(oldcwd) < 0)
			ops_fatal(OPS_EXIT_FAIL,
			    "cannot return to the working directory:");
		close(oldcwd);
	}
}

int
bk_read(int fd, const char *name, struct bk_manifest *m, int destfd,
    const char *destpath, char *const *paths, size_t npaths, unsigned flags,
    struct ops_buf *created, struct bk_rres *r, struct ops_err *err)
{
	struct rctx c;
	struct in in;
	int oldcwd = -1, rc = -1;
	size_t i;

	start(&c, &in, fd, name, r, err);
	c.m = m;
	c.paths = paths;
	c.npaths = npaths;
	c.created = created;
	for (i = 0; i < m->n; i++)
		m->v[i].seen = false;
	if (extract_begin(&c, destfd, destpath, flags, &oldcwd, err) == 0)
		rc = read_archive(&c, &in);
	extract_end(&c, oldcwd);
	bk_sha_free(in.sha);
	free(in.buf);
	return rc;
}

int
bk_read_stream(int fd, const char *name, int mfd, const char *mname,
    char msha[BK_SHA_HEX], uint64_t *msize, int destfd, const char *destpath,
    char *const *paths, size_t npaths, unsigned flags,
    struct ops_buf *created, struct bk_rres *r, struct ops_err *err)
{
	struct rctx c;
	struct in in;
	char *header = NULL;
	const char *why;
	int oldcwd = -1, rc = -1;

	start(&c, &in, fd, name, r, err);
	c.mname = mname;
	c.msha = bk_sha_new();
	c.paths = paths;
	c.npaths = npaths;
	c.created = created;
	c.mf = fdopen(dup(mfd), "r");
	if (c.mf == NULL) {
		ops_err_set(err, OPS_EXIT_FAIL, "%s:", mname);
		goto out;
	}
	header = next_line(&c);
	if (header == NULL || bk_manifest_cols(header, &c.cols, &why) < 0) {
		ops_err_set(err, OPS_EXIT_FOUND, "%s:1: %s", mname,
		    header ? why : "empty manifest");
		goto out;
	}
	if (extract_begin(&c, destfd, destpath, flags, &oldcwd, err) == 0)
		rc = read_archive(&c, &in);
	extract_end(&c, oldcwd);
out:
	if (c.msha) {
		/* the rest of the manifest counts for its hash */
		char *l;

		while (rc < 0 && c.mf && (l = next_line(&c)) != NULL)
			free(l);
		bk_sha_hex(c.msha, msha);
		bk_sha_free(c.msha);
	}
	*msize = c.msize;
	if (c.mf)
		fclose(c.mf);
	free(c.line);
	free(header);
	bk_sha_free(in.sha);
	free(in.buf);
	return rc;
}

int
bk_read_follow(int fd, const char *name, struct bk_follow *f,
    const char *header, struct bk_rres *r, struct ops_err *err)
{
	struct rctx c;
	struct in in;
	char *h = ops_xstrdup(header);
	const char *why;
	int rc = -1;

	start(&c, &in, fd, name, r, err);
	in.f = f;
	c.f = f;
	if (bk_manifest_cols(h, &c.cols, &why) < 0)
		ops_err_set(err, OPS_EXIT_FAIL, "manifest header: %s", why);
	else
		rc = read_archive(&c, &in);
	if (rc < 0) {
		/* tell the writer to stop, then let it finish */
		pthread_mutex_lock(&f->mu);
		f->failed = true;
		pthread_mutex_unlock(&f->mu);
	}
	free(c.line);
	free(h);
	bk_sha_free(in.sha);
	free(in.buf);
	return rc;
}
