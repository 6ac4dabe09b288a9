/*
 * write.c - one pass over the sources: read, hash, archive
 * SPDX-License-Identifier: MIT
 *
 * The sources are walked depth first with each directory's names sorted
 * (strcmp), so two runs over the same tree write the same member order.
 * Every regular file is opened once (O_NOFOLLOW, checked against the
 * lstat of the walk), read once in 1 MiB chunks that go both to SHA-256
 * and to libarchive's pax writer, and checked again with fstat at the
 * end: a size, mtime or ctime that moved means the file changed while it
 * was read; the stored bytes are still exactly what the manifest hashes,
 * and the manifest row and the run's message say "changed".  A file that
 * shrank is padded with zeros to the size in its header (tar needs it).
 *
 * Hard links are stored once: the first name as a file, later names as
 * hard-link members (type hardlink, target the first name, the same
 * hash).  Sparse files are read as their full stream (libarchive's sparse
 * map is not asked for).  Extended attributes and ACLs come from
 * archive_read_disk_entry_from_file on the open descriptor.
 *
 * Compression overlaps with reading and hashing: libarchive's zstd and xz
 * filters are given one worker thread per CPU (libzstd's and liblzma's
 * own threads).  The manifest rows go to a sink as the members are
 * stored (main.c writes them out and hands them to the checker, which
 * reads the archive file behind this writer: bk_read_follow).
 */
#include "compat.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "clock.h"
#include "exitcode.h"
#include "fsx.h"
#include "mem.h"

#include "bk.h"

#define CHUNK (1024 * 1024)

/* ---- (dev, ino) of files with several links -> first name stored ---- */

struct link {
	dev_t dev;
	ino_t ino;
	char *path;  /* the first name stored, NULL for an empty slot */
	uint64_t size;
	char sha[BK_SHA_HEX];
};

struct links {
	struct link *v;
	size_t n, cap; /* open addressing, cap a power of two */
};

static size_t
link_slot(const struct links *L, dev_t dev, ino_t ino)
{
	uint64_t h = ((uint64_t)dev * 0x9e3779b97f4a7c15ULL) ^
		     ((uint64_t)ino * 0xc2b2ae3d27d4eb4fULL);
	size_t i = (size_t)(h ^ (h >> 29)) & (L->cap - 1);

	while (L->v[i].path != NULL &&
	       !(L->v[i].dev == dev && L->v[i].ino == ino))
		i = (i + 1) & (L->cap - 1);
	return i;
}

static void
links_grow(struct links *L)
{
	struct links n;
	size_t i;

	n.cap = L->cap ? L->cap * 2 : 256;
	n.n = 0;
	n.v = ops_xcalloc(n.cap, sizeof(*n.v));
	for (i = 0; i < L->cap; i++)
		if (L->v[i].path != NULL) {
			n.v[link_slot(&n, L->v[i].dev, L->v[i].ino)] = L->v[i];
			n.n++;
		}
	free(L->v);
	*L = n;
}

static struct link *
links_find(struct links *L, dev_t dev, ino_t ino)
{
	size_t i;

	if (L->cap == 0)
		return NULL;
	i = link_slot(L, dev, ino);
	return L->v[i].path == NULL ? NULL : &L->v[i];
}

static void
links_add(struct links *L, const struct stat *st, const struct bk_ment *e)
{
	size_t i;

	if ((L->n + 1) * 2 > L->cap)
		links_grow(L);
	i = link_slot(L, st->st_dev, st->st_ino);
	L->v[i].dev = st->st_dev;
	L->v[i].ino = st->st_ino;
	L->v[i].path = ops_xstrdup(e->path);
	L->v[i].size = e->size;
	memcpy(L->v[i].sha, e->sha, BK_SHA_HEX);
	L->n++;
}

static void
links_free(struct links *L)
{
	size_t i;

	for (i = 0; i < L->cap; i++)
		free(L->v[i].path);
	free(L->v);
}

/* ---- the run ---- */

struct out {
	int fd;
	struct bk_follow *f;
	uint64_t bytes;
	int werrno;
	bool checkfail;
};

struct w {
	const struct bk_set *s;
	struct archive *a, *disk;
	struct archive_entry *e;
	struct out out;
	const struct bk_sink *sink;
	struct bk_wres *r;
	struct links links;
	struct bk_sha *fsha;
	char *buf;
	int64_t since;
	bool progress;
	int64_t next_progress;
	struct ops_err *err;
};

static la_ssize_t
out_write(struct archive *a, void *ctx, const void *p, size_t n)
{
	struct out *o = ctx;

	if (o->f && bk_follow_failed(o->f)) {
		o->checkfail = true;
		archive_set_error(a, EIO, "the check of the archive failed");
		return -1;
	}
	if (ops_write_all(o->fd, p, n) < 0) {
		o->werrno = errno;
		archive_set_error(a, errno, "cannot write the archive");
		return -1;
	}
	o->bytes += n;
	if (o->f)
		bk_follow_wrote(o->f, n);
	return (la_ssize_t)n;
}

/*
 * ---- the compressor threads ----
 *
 * libarchive writes the tar stream uncompressed into a ring of slots of
 * ZSLOT bytes, and compressor threads compress them through ops_zw
 * (libarchive's own filters), so that reading and hashing overlap with
 * compressing in bounded memory.  zstd: one thread per CPU, each slot
 * compressed on its own into a zstd frame of its own (a zstd stream may
 * hold many frames; every reader reads them in order) and written out in
 * slot order.  gzip, xz, bzip2: one thread, one stream.
 */
#define ZSLOT (2 * 1024 * 1024)
#define ZSLOTS_MAX 16
#define ZTHREADS_MAX 8

enum zstate { Z_EMPTY, Z_FILLED, Z_BUSY, Z_DONE };

struct zslot {
	char *in;
	size_t len;
	struct ops_buf out; /* chunked: the slot's compressed frame */
	enum zstate state;
};

struct zpipe {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct zslot slot[ZSLOTS_MAX];
	size_t nslot;
	size_t fill;        /* the slot the writer fills */
	size_t next;        /* the next slot a thread takes */
	size_t head;        /* the oldest slot not written out yet */
	bool end, failed, writing;
	bool chunked;       /* zstd: a frame per slot, several threads */
	enum ops_z z;
	int level;
	struct ops_zw *zw;  /* one stream (not chunked) */
	struct archive *a;  /* for out_write's errors */
	struct out *out;
	struct ops_err err; /* the first failure of a thread */
	pthread_t th[ZTHREADS_MAX];
	int nth;
	bool started;
};

static int
zsink(void *ctx, const void *p, size_t n)
{
	struct zpipe *z = ctx;

	if (out_write(z->a, z->out, p, n) < 0) {
		errno = z->out->werrno ? z->out->werrno : EIO;
		return -1;
	}
	return 0;
}

static int
buf_sink(void *ctx, const void *p, size_t n)
{
	if (ops_buf_add(ctx, p, n) < 0) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* Under the lock: record a failure and wake everybody. */
static void
zfail(struct zpipe *z, const struct ops_err *err)
{
	if (!z->failed && err)
		z->err = *err;
	z->failed = true;
	pthread_cond_broadcast(&z->cv);
}

/* Under the lock: write out the finished slots at the head, in order,
 * unless another thread is at it. */
static void
zflush(struct zpipe *z)
{
	while (!z->writing && !z->failed &&
	       z->slot[z->head].state == Z_DONE) {
		struct zslot *sl = &z->slot[z->head];
		int rc;

		z->writing = true;
		pthread_mutex_unlock(&z->mu);
		rc = zsink(z, sl->out.data, sl->out.len);
		pthread_mutex_lock(&z->mu);
		z->writing = false;
		if (rc < 0) {
			struct ops_err e;

			ops_err_clear(&e);
			ops_err_set(&e, OPS_EXIT_FAIL, "cannot write the "
						       "archive:");
			zfail(z, &e);
			return;
		}
		ops_buf_reset(&sl->out);
		sl->state = Z_EMPTY;
		z->head = (z->head + 1) % z->nslot;
		pthread_cond_broadcast(&z->cv);
	}
}

/* Compress one slot on its own into its frame. */
static int
zchunk(struct zpipe *z, struct zslot *sl, struct ops_err *err)
{
	struct ops_zw *zw;

	if (ops_zw_open(&zw, z->z, z->level, buf_sink, &sl->out, err) < 0)
		return -1;
	if (ops_zw_write(zw, sl->in, sl->len, err) < 0) {
		ops_zw_abort(zw);
		return -1;
	}
	return ops_zw_close(zw, NULL, NULL, err);
}

static void *
zmain(void *arg)
{
	struct zpipe *z = arg;
	struct ops_err err;

	pthread_mutex_lock(&z->mu);
	for (;;) {
		struct zslot *sl;
		int rc;

		while (!z->failed && z->slot[z->next].state != Z_FILLED &&
		       !z->end)
			pthread_cond_wait(&z->cv, &z->mu);
		if (z->failed ||
		    (z->end && z->slot[z->next].state != Z_FILLED))
			break;
		sl = &z->slot[z->next];
		sl->state = Z_BUSY;
		z->next = (z->next + 1) % z->nslot;
		pthread_mutex_unlock(&z->mu);
		ops_err_clear(&err);
		if (z->chunked)
			rc = zchunk(z, sl, &err);
		else
			rc = ops_zw_write(z->zw, sl->in, sl->len, &err);
		pthread_mutex_lock(&z->mu);
		if (rc < 0) {
			zfail(z, &err);
			break;
		}
		sl->len = 0;
		if (z->chunked) {
			sl->state = Z_DONE;
			zflush(z);
		} else {
			sl->state = Z_EMPTY; /* written by zsink already */
			z->head = (z->head + 1) % z->nslot;
			pthread_cond_broadcast(&z->cv);
		}
	}
	pthread_mutex_unlock(&z->mu);
	return NULL;
}

/* Hand the slot being filled to the threads; wait for the next one to be
 * free. */
static int
zpublish(struct zpipe *z)
{
	int rc = 0;

	pthread_mutex_lock(&z->mu);
	z->slot[z->fill].state = Z_FILLED;
	z->fill = (z->fill + 1) % z->nslot;
	pthread_cond_broadcast(&z->cv);
	while (z->slot[z->fill].state != Z_EMPTY && !z->failed)
		pthread_cond_wait(&z->cv, &z->mu);
	if (z->failed)
		rc = -1;
	pthread_mutex_unlock(&z->mu);
	return rc;
}

static la_ssize_t
zpipe_write(struct archive *a, void *ctx, const void *p, size_t n)
{
	struct zpipe *z = ctx;
	const char *q = p;
	size_t left = n;

	while (left > 0) {
		struct zslot *sl = &z->slot[z->fill];
		size_t room = ZSLOT - sl->len;
		size_t k = left < room ? left : room;

		memcpy(sl->in + sl->len, q, k);
		sl->len += k;
		q += k;
		left -= k;
		if (sl->len == ZSLOT && zpublish(z) < 0) {
			archive_set_error(a, EIO, "compression failed");
			return -1;
		}
	}
	return (la_ssize_t)n;
}

static int
zpipe_start(struct zpipe *z, const struct bk_set *s, struct out *out,
    struct archive *a, struct ops_err *err)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t i;
	int k;

	memset(z, 0, sizeof(*z));
	z->out = out;
	z->a = a;
	z->z = s->z;
	z->level = s->level;
	z->chunked = s->z == OPS_Z_ZSTD;
	z->nth = z->chunked ? (int)(ncpu < 1 ? 1
				    : ncpu > ZTHREADS_MAX ? ZTHREADS_MAX
							  : ncpu)
			    : 1;
	z->nslot = (size_t)(2 * z->nth + 1);
	if (z->nslot > ZSLOTS_MAX)
		z->nslot = ZSLOTS_MAX;
	if (!z->chunked &&
	    ops_zw_open(&z->zw, s->z, s->level, zsink, z, err) < 0)
		return -1;
	for (i = 0; i < z->nslot; i++) {
		z->slot[i].in = ops_xmalloc(ZSLOT);
		ops_buf_init(&z->slot[i].out, 0);
	}
	if (pthread_mutex_init(&z->mu, NULL) != 0 ||
	    pthread_cond_init(&z->cv, NULL) != 0)
		ops_fatal(OPS_EXIT_FAIL, "cannot start the compressor");
	for (k = 0; k < z->nth; k++)
		if (pthread_create(&z->th[k], NULL, zmain, z) != 0)
			ops_fatal(OPS_EXIT_FAIL,
			    "cannot start a compressor thread");
	z->started = true;
	return 0;
}

/* Hand over the last slot, wait for the threads, end the stream; -1 with
 * err when a thread failed.  With !ok, only stop them. */
static int
zpipe_finish(struct zpipe *z, bool ok, struct ops_err *err)
{
	size_t i;
	int k, rc = 0;

	if (!z->started) {
		ops_zw_abort(z->zw);
		z->zw = NULL;
		return ok ? 0 : -1;
	}
	pthread_mutex_lock(&z->mu);
	if (ok && z->slot[z->fill].len > 0) {
		z->slot[z->fill].state = Z_FILLED;
		z->fill = (z->fill + 1) % z->nslot;
	}
	if (!ok)
		z->failed = true; /* nothing more to compress */
	z->end = true;
	pthread_cond_broadcast(&z->cv);
	pthread_mutex_unlock(&z->mu);
	for (k = 0; k < z->nth; k++)
		pthread_join(z->th[k], NULL);
	if (ok && !z->failed && z->zw) {
		if (ops_zw_close(z->zw, NULL, NULL, &z->err) < 0)
			z->failed = true;
		z->zw = NULL; /* freed by close either way */
	}
	if (ok && !z->failed) {
		for (i = 0; i < z->nslot; i++)
			if (z->slot[i].state != Z_EMPTY)
				z->failed = true; /* not reached */
	}
	if (z->failed && ok) {
		*err = z->err;
		if (err->code == 0)
			ops_err_set(err, OPS_EXIT_FAIL, "compression failed");
		rc = -1;
	}
	ops_zw_abort(z->zw);
	for (i = 0; i < z->nslot; i++) {
		free(z->slot[i].in);
		ops_buf_release(&z->slot[i].out);
	}
	pthread_mutex_destroy(&z->mu);
	pthread_cond_destroy(&z->cv);
	z->started = false;
	return rc;
}

static int
ar_fail(struct w *w, const char *what)
{
	if (w->out.checkfail)
		return ops_err_set(w->err, OPS_EXIT_FOUND,
		    "the archive read back does not match what was written "
		    "(see the next message)");
	if (w->out.werrno) {
		errno = w->out.werrno;
		return ops_err_set(w->err, OPS_EXIT_FAIL,
		    "cannot write the archive:");
	}
	return ops_err_set(w->err, OPS_EXIT_FAIL, "%s: %s", what,
	    archive_error_string(w->a) ? archive_error_string(w->a)
				       : "libarchive failed");
}

static void
progress(struct w *w, bool last)
{
	int64_t now;

	if (!w->progress)
		return;
	now = ops_clock_mono_ms();
	if (!last && now < w->next_progress)
		return;
	w->next_progress = now + 500;
	fprintf(stderr, "\r%s: %llu files, %llu MiB read, %llu MiB stored%s",
	    w->s->name, (unsigned long long)w->r->files,
	    (unsigned long long)(w->r->bytes >> 20),
	    (unsigned long long)(w->out.bytes >> 20), last ? "\n" : "");
}

static enum bk_type
type_of(mode_t m)
{
	if (S_ISREG(m))
		return BK_FILE;
	if (S_ISDIR(m))
		return BK_DIR;
	if (S_ISLNK(m))
		return BK_SYMLINK;
	return BK_OTHER;
}

static void
note_changed(struct w *w, const char *path)
{
	if (w->r->nchanged++ == 0)
		snprintf(w->r->first_changed, sizeof(w->r->first_changed),
		    "%s", path);
	ops_warn("%s: changed while it was read (stored as read; the "
		 "manifest marks it)", path);
}

static bool
same_stat(const struct stat *a, const struct stat *b)
{
	return a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Copy size bytes of fd into the archive and the file hash. */
static int
copy_data(struct w *w, int fd, const char *path, uint64_t size,
    bool *shrank)
{
	uint64_t left = size;

	*shrank = false;
	while (left > 0) {
		size_t want = left < CHUNK ? (size_t)left : CHUNK;
		ssize_t n = read(fd, w->buf, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ops_err_set(w->err, OPS_EXIT_FAIL,
			    "%s: cannot read:", path);
		if (n == 0) {
			/* shrank: pad to the size in the header */
			memset(w->buf, 0, want);
			n = (ssize_t)want;
			*shrank = true;
		}
		bk_sha_update(w->fsha, w->buf, (size_t)n);
		if (archive_write_data(w->a, w->buf, (size_t)n) != n)
			return ar_fail(w, path);
		left -= (uint64_t)n;
		w->r->bytes += (uint64_t)n;
		progress(w, false);
	}
	return 0;
}

/*
 * Store one member: abs is its path on disk, at (with name) where to open
 * it, st its lstat.  Directories are stored before their contents.
 * Returns 0, 1 when skipped (vanished or unreadable, reported), -1 with
 * err on a fatal error.
 */
static int
store(struct w *w, int at, const char *name, const char *abs,
    const struct stat *lst)
{
	struct bk_ment me;
	struct stat st = *lst, st2;
	struct link *lk = NULL;
	int fd = -1, rc = -1, flags;
	bool shrank = false;

	memset(&me, 0, sizeof(me));
	me.path = (char *)(abs + 1); /* no leading '/' */
	me.type = type_of(lst->st_mode);
	if (S_ISSOCK(lst->st_mode)) {
		ops_info(1, "%s: socket not stored", abs);
		return 1;
	}
	if (me.type == BK_FILE || me.type == BK_DIR) {
		flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
			(me.type == BK_DIR ? O_DIRECTORY : 0);
		fd = openat(at, name, flags | O_NOATIME);
		if (fd < 0 && errno == EPERM)
			fd = openat(at, name, flags);
		if (fd < 0) {
			if (errno == ENOENT)
				return 1; /* vanished: a temporary file */
			ops_warn("%s: cannot open:", abs);
			w->r->nskipped++;
			return 1;
		}
		if (fstat(fd, &st) < 0 || st.st_ino != lst->st_ino ||
		    st.st_dev != lst->st_dev) {
			ops_warn("%s: replaced while the tree was walked; "
				 "not stored",
			    abs);
			w->r->nskipped++;
			close(fd);
			return 1;
		}
	}
	if (me.type == BK_FILE && st.st_nlink > 1 &&
	    (lk = links_find(&w->links, st.st_dev, st.st_ino)) != NULL)
		me.type = BK_HARDLINK;
	if (w->since >= 0 && me.type == BK_FILE && st.st_size == 0 &&
	    st.st_mtime >= w->since) {
		close(fd);
		return ops_err_set(w->err, OPS_EXIT_FOUND,
		    "%s: the pre command left this file empty (a failed "
		    "dump?); the generation is not made",
		    abs);
	}
	archive_entry_clear(w->e);
	archive_entry_copy_sourcepath(w->e, abs);
	archive_entry_copy_pathname(w->e, me.path);
	if (archive_read_disk_entry_from_file(w->disk, w->e,
		me.type == BK_SYMLINK ? -1 : fd, &st) < ARCHIVE_WARN) {
		ops_warn("%s: cannot read its metadata: %s", abs,
		    archive_error_string(w->disk));
		w->r->nskipped++;
		if (fd >= 0)
			close(fd);
		return 1;
	}
	me.mode = st.st_mode & 07777;
	me.uid = st.st_uid;
	me.gid = st.st_gid;
	me.mtime = st.st_mtim.tv_sec;
	if (me.type == BK_SYMLINK) {
		const char *t = archive_entry_symlink(w->e);

		me.target = (char *)(t ? t : "");
	}
	if (me.type == BK_HARDLINK) {
		archive_entry_copy_hardlink(w->e, lk->path);
		archive_entry_set_size(w->e, 0);
		me.target = lk->path;
		memcpy(me.sha, lk->sha, BK_SHA_HEX);
		me.size = lk->size;
	} else if (me.type == BK_FILE) {
		me.size = (uint64_t)st.st_size;
		archive_entry_set_size(w->e, st.st_size);
	} else {
		archive_entry_set_size(w->e, 0);
	}
	if (archive_write_header(w->a, w->e) < ARCHIVE_WARN) {
		ar_fail(w, abs);
		goto out;
	}
	if (me.type == BK_FILE) {
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
		if (copy_data(w, fd, abs, me.size, &shrank) < 0)
			goto out;
		bk_sha_hex(w->fsha, me.sha);
		if (shrank || fstat(fd, &st2) < 0 || !same_stat(&st, &st2)) {
			me.changed = true;
			note_changed(w, abs);
		}
		w->r->files++;
		if (st.st_nlink > 1)
			links_add(&w->links, &st, &me);
	}
	if (w->sink->row(w->sink->ctx, &me, w->err) < 0)
		goto out;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names of directory fd (consumed); NULL and *n 0 when it
 * cannot be read (reported). */
static char **
read_names(int fd, const char *abs, size_t *n, struct w *w)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;
	char **v = NULL;
	size_t cap = 0;

	*n = 0;
	if (d == NULL) {
		close(fd);
		ops_warn("%s: cannot list:", abs);
		w->r->nskipped++;
		return NULL;
	}
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		ops_xgrow((void **)&v, &cap, *n + 1, sizeof(*v));
		v[(*n)++] = ops_xstrdup(de->d_name);
	}
	if (errno != 0) {
		ops_warn("%s: cannot list:", abs);
		w->r->nskipped++;
	}
	closedir(d);
	if (*n > 1)
		qsort(v, *n, sizeof(*v), cmp_names);
	return v;
}

static char *
join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = ops_xmalloc(a + b + 2);

	memcpy(p, dir, a);
	p[a] = '/';
	memcpy(p + a + 1, name, b + 1);
	return p;
}

/* Store directory abs (open as dfd for listing) and everything in it. */
static int
walk(struct w *w, int dfd, const char *abs)
{
	char **names;
	size_t n, i;
	int rc = 0, lfd;

	lfd = dup(dfd);
	if (lfd < 0)
		return ops_err_set(w->err, OPS_EXIT_FAIL, "dup:");
	names = read_names(lfd, abs, &n, w);
	for (i = 0; i < n && rc >= 0; i++) {
		char *p = join(abs, names[i]);
		struct stat st;

		if (bk_set_excluded(w->s, p)) {
			free(p);
			continue;
		}
		if (fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT) {
				ops_warn("%s: cannot stat:", p);
				w->r->nskipped++;
			}
			free(p);
			continue;
		}
		rc = store(w, dfd, names[i], p, &st);
		if (rc == 0 && S_ISDIR(st.st_mode)) {
			int sub = openat(dfd, names[i],
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub < 0) {
				ops_warn("%s: cannot open:", p);
				w->r->nskipped++;
			} else {
				rc = walk(w, sub, p);
				close(sub);
			}
		}
		if (rc > 0)
			rc = 0;
		free(p);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc < 0 ? -1 : 0;
}

int
bk_write(const struct bk_set *s, int afd, int64_t since, bool prog,
    const struct bk_sink *sink, struct bk_follow *f, struct bk_wres *r,
    struct ops_err *err)
{
	struct w w;
	struct zpipe zp;
	size_t i;
	int rc = -1;

	memset(&w, 0, sizeof(w));
	memset(&zp, 0, sizeof(zp));
	memset(r, 0, sizeof(*r));
	w.s = s;
	w.sink = sink;
	w.r = r;
	w.err = err;
	w.since = since;
	w.progress = prog;
	w.out.fd = afd;
	w.out.f = f;
	w.fsha = bk_sha_new();
	w.buf = ops_xmalloc(CHUNK);
	w.e = archive_entry_new();
	w.a = archive_write_new();
	w.disk = archive_read_disk_new();
	if (w.e == NULL || w.a == NULL || w.disk == NULL)
		ops_fatal(OPS_EXIT_FAIL, "out of memory");
	if (archive_read_disk_set_standard_lookup(w.disk) != ARCHIVE_OK ||
	    archive_read_disk_set_behavior(w.disk,
		ARCHIVE_READDISK_NO_SPARSE | ARCHIVE_READDISK_NO_FFLAGS) !=
		ARCHIVE_OK) {
		ops_err_set(err, OPS_EXIT_FAIL, "libarchive: %s",
		    archive_error_string(w.disk));
		goto out;
	}
	/* full pax (restricted pax drops sub-second times), uncompressed:
	 * the compressor thread compresses */
	if (archive_write_set_format_pax(w.a) != ARCHIVE_OK ||
	    archive_write_add_filter_none(w.a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(w.a, 64 * 1024) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(w.a, 1) != ARCHIVE_OK) {
		ar_fail(&w, "libarchive");
		goto out;
	}
	if (s->z != OPS_Z_NONE) {
		if (zpipe_start(&zp, s, &w.out, w.a, err) < 0)
			goto out;
		if (archive_write_open2(w.a, &zp, NULL, zpipe_write, NULL,
			NULL) != ARCHIVE_OK) {
			ar_fail(&w, "libarchive");
			goto out;
		}
	} else if (archive_write_open2(w.a, &w.out, NULL, out_write, NULL,
		       NULL) != ARCHIVE_OK) {
		ar_fail(&w, "libarchive");
		goto out;
	}
	for (i = 0; i < s->nsource; i++) {
		const char *src = s->source[i];
		char *parent = ops_xstrdup(src), *slash = strrchr(parent, '/');
		const char *base = slash[1] ? slash + 1 : ".";
		struct stat st;
		int pfd, dfd, x;

		if (slash == parent)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (strcmp(src, "/") == 0) {
			free(parent);
			parent = ops_xstrdup("/");
			base = ".";
		}
		pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pfd < 0 || fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			ops_err_set(err, OPS_EXIT_FAIL, "source %s:", src);
			if (pfd >= 0)
				close(pfd);
			free(parent);
			goto out;
		}
		x = strcmp(src, "/") == 0 ? 0 : store(&w, pfd, base, src, &st);
		if (x == 0 && S_ISDIR(st.st_mode)) {
			dfd = openat(pfd, base,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (dfd < 0) {
				ops_err_set(err, OPS_EXIT_FAIL, "source %s:",
				    src);
				x = -1;
			} else {
				x = walk(&w, dfd,
				    strcmp(src, "/") == 0 ? "" : src);
				close(dfd);
			}
		}
		close(pfd);
		free(parent);
		if (x < 0)
			goto out;
		if (x > 0) {
			ops_err_set(err, OPS_EXIT_FAIL,
			    "source %s could not be read", src);
			goto out;
		}
	}
	if (archive_write_close(w.a) != ARCHIVE_OK) {
		ar_fail(&w, "libarchive");
		goto out;
	}
	if (zpipe_finish(&zp, true, err) < 0) {
		if (w.out.checkfail)
			ar_fail(&w, "compression");
		goto out;
	}
	progress(&w, true);
	if (fsync(afd) < 0) {
		ops_err_set(err, OPS_EXIT_FAIL, "cannot sync the archive:");
		goto out;
	}
	r->stored = w.out.bytes;
	rc = 0;
out:
	/* first: freeing flushes into the compressor, which must be there */
	archive_write_free(w.a);
	if (rc < 0)
		(void)zpipe_finish(&zp, false, err);
	archive_read_free(w.disk);
	archive_entry_free(w.e);
	bk_sha_free(w.fsha);
	free(w.buf);
	links_free(&w.links);
	return rc;
}
