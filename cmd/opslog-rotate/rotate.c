/*
 * rotate.c - the rotation engine of opslog-rotate
 * SPDX-License-Identifier: MIT
 *
 * Rotates each entry of the configuration as logrotate 3.21 does: the same
 * triggers (findNeedRotating), the same names (numbered LOG.N with start,
 * extension, olddir; dateext with dateformat and dateyesterday), the same
 * removal (rotate, maxage, dateext's glob of old files), create, copy and
 * copytruncate, and the same script runs ($1 the log, or the patterns
 * with sharedscripts; $2 the rotated name for a non-shared postrotate).
 *
 * DELIBERATE DIFFERENCES FROM LOGROTATE 3.21 (copied to the man page):
 *
 *  1. Every file operation is relative to the log's directory, opened once
 *     with O_DIRECTORY|O_NOFOLLOW (openat, renameat, unlinkat, fstatat
 *     with AT_SYMLINK_NOFOLLOW); files are opened with O_NOFOLLOW; nothing
 *     outside the directory (and its olddir) is ever followed.  In a
 *     directory writable by a user other than root (owner not root, or
 *     group- or world-writable) a log that is a symbolic link, or that has
 *     more than one hard link, is refused with an error (exit 1), since
 *     either would let that user make us write to a file of their choice.
 *     (logrotate silently skips symlinks, and rotates hard links.)
 *  2. Compression is done in-process (gzip, bzip2, xz, zstd through
 *     libarchive; compressoptions only gives the level).  The compressed
 *     file is written under a temporary name (.NAME.opslog-tmp, O_EXCL),
 *     synced, renamed to its final name without replacing anything, the
 *     directory synced, and only then is the uncompressed file removed.
 *  3. A generation that a process still holds open (found in /proc/PID/fd)
 *     is not compressed: we wait for writers up to 5 s per run in all,
 *     then leave it uncompressed (said with -v); a later run compresses
 *     it.  Rotated generations that are left uncompressed are shifted
 *     along with the compressed ones, never overwritten.
 *  4. Crash recovery.  Before a log is considered, leftovers are finished:
 *     a temporary from a killed run is removed (its source still exists,
 *     so the work is redone); an uncompressed generation when compress is
 *     on (other than the one delaycompress keeps) is compressed, not
 *     overwritten; when the compressed file exists too and holds the same
 *     data, the uncompressed one is removed, else the compressed one is
 *     kept as NAME-YYYYMMDDHH.backup (logrotate's rule for an existing
 *     destination).  The state is committed before the first change to a
 *     log, so a log rotated in a run that was killed is not rotated again
 *     in the same period.  The shift renames from the highest number
 *     down, never onto an existing file; a generation beyond "rotate" is
 *     removed only when nothing still has to move onto it.
 *  5. A malformed state line is skipped with a FILE:LINE warning, and that
 *     log's last rotation is taken from its newest generation (the date in
 *     a dateext name, else the mtime); logrotate refuses the whole state.
 *     The state is our TSV (path, last_rotated in RFC 3339); logrotate's
 *     state file is read for migration.
 *  6. Under a wildcard pattern, a file that is a generation of another
 *     matched log (LOG.1, LOG.1.gz, LOG-20261123, LOG.1.backup ...) is not
 *     taken as a log.
 *  7. "keep DAYS" (our directive): nothing whose date (from a dateext name,
 *     else its mtime) is younger than DAYS days is removed, even when
 *     rotate or maxage would remove it.
 *  8. copytruncate copies in two phases (the file, then the tail that grew
 *     meanwhile, then ftruncate) to make the window for lost lines small;
 *     the copy is written under a temporary name and renamed.
 *  9. A rename never replaces an existing file: logrotate's rename of the
 *     log onto an existing dateext name (two rotations in one day with
 *     delaycompress) would lose the older one; we report an error instead.
 * 10. One run at a time through a lock on DATADIR/rotate.lock; a second
 *     run waits up to 30 s, then exits 3 (logrotate fails at once).
 */
#include "compat.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <fnmatch.h>
#include <glob.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "clock.h"
#include "compress.h"
#include "exitcode.h"
#include "fsx.h"
#include "mem.h"

#include "rotate.h"

#define DAY_SECONDS 86400
#define TMP_SUFFIX ".opslog-tmp"
#define WAIT_STEP_MS 100

/* One log of an entry. */
struct lg {
	char *path;        /* as matched: the state key, $1 of scripts */
	char *dirpath;     /* its directory */
	char *base;        /* its file name */
	char *odirpath;    /* where generations go (olddir or dirpath) */
	char *gbase;       /* base without the extension */
	const char *fileext; /* extension, or "" */
	int dfd, odfd;     /* dirpath, odirpath (odfd may equal dfd) */
	bool untrusted;    /* dirpath writable by someone other than root */
	struct stat sb;    /* the log when considered */
	struct lr_state_ent *st;
	bool rotate;       /* doRotate */
	bool err;          /* logHasErrors */
	bool ready;        /* set up (directories open) */
	int derr;          /* errno when the directory did not open */
	char *final;       /* the rotated name in odfd, without compext */
	char *finalpath;   /* odirpath/final, $2 of postrotate */
	char *dispose;     /* to remove after the rotation, or NULL */
	char dext[128];    /* dateext suffix of this run */
};

/* One entry (logrotate's logInfo) being rotated. */
struct set {
	struct lr_run *run;
	const struct lr_entry *e;
	const struct lr_opts *o;
	char *pattern;     /* the patterns joined by spaces */
	struct lg *v;
	size_t n;
	enum ops_z z;      /* compressor */
	int zlevel;
	const char *compext; /* "" when compress is off */
	char dformat[256]; /* dateformat as logrotate converts it */
	bool explicit_dformat;
	char dpattern[512]; /* glob for the date part */
	bool su;           /* switch euid/egid for file operations */
	uid_t su_uid;
	gid_t su_gid;
	bool su_now;       /* currently switched */
};

/* ---- small helpers ---- */

static char *OPS_PRINTF(1, 2)
    xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		ops_fatal(OPS_EXIT_FAIL, "out of memory");
	return s;
}

static void
local_tm(int64_t t, struct tm *tm)
{
	time_t tt = (time_t)t;

	localtime_r(&tt, tm);
}

static void
as_su(struct set *s)
{
	if (!s->su || s->su_now)
		return;
	if (setegid(s->su_gid) < 0 || seteuid(s->su_uid) < 0) {
		ops_warn("su: cannot switch to uid %lu gid %lu:",
		    (unsigned long)s->su_uid, (unsigned long)s->su_gid);
		if (seteuid(0) < 0 || setegid(0) < 0)
			ops_fatal(OPS_EXIT_FAIL, "cannot switch back to root:");
		return;
	}
	s->su_now = true;
}

static void
as_root(struct set *s)
{
	if (!s->su_now)
		return;
	if (seteuid(0) < 0 || setegid(0) < 0)
		ops_fatal(OPS_EXIT_FAIL, "cannot switch back to root:");
	s->su_now = false;
}

/* Commit the state (as root); a failure makes the run exit 3. */
static void
commit(struct set *s, const struct lg *l)
{
	struct ops_err err;
	bool was = s->su_now;

	if (s->run->dry_run || l->st == NULL)
		return;
	as_root(s);
	ops_err_clear(&err);
	if (lr_state_note(s->run->state, l->st, &err) < 0) {
		ops_err_report(&err);
		s->run->state_failed = true;
	}
	if (was)
		as_su(s);
}


/*
 * ---- directory listings ----
 *
 * Finding a log's generations needs the names in its directory.  Reading
 * the directory again for every log is quadratic when thousands of logs
 * share one directory, so each directory is read once per run into a
 * sorted list that our own renames, removals and creations keep up to
 * date (dir_added, dir_removed).  The directory's mtime is kept with the
 * list: a change made by anybody else (a script, a writer creating its
 * log again) shows as another mtime and the list is read again; every
 * script run drops all lists as well.  Lookups take the literal start of
 * the pattern and search the sorted list for it.
 */
struct dlist {
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	char **v;      /* sorted by strcmp */
	size_t n, cap;
};

/* The command is single-threaded: one set of lists per process. */
static struct dlist *dlists;
static size_t ndlists, capdlists;

static void
dlist_drop(struct dlist *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->v[i]);
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}

/* Forget every list (after a script, which may change anything). */
static void
dir_forget_all(void)
{
	size_t i;

	for (i = 0; i < ndlists; i++)
		dlist_drop(&dlists[i]);
	free(dlists);
	dlists = NULL;
	ndlists = capdlists = 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* The first index whose name is >= key. */
static size_t
dlist_lower(const struct dlist *d, const char *key)
{
	size_t lo = 0, hi = d->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(d->v[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
dlist_read(struct dlist *d, int dfd)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir;
	struct dirent *de;

	dlist_drop(d);
	if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		ops_xgrow((void **)&d->v, &d->cap, d->n + 1, sizeof(char *));
		d->v[d->n++] = ops_xstrdup(de->d_name);
	}
	closedir(dir);
	if (d->n > 1)
		qsort(d->v, d->n, sizeof(char *), cmp_str);
	return 0;
}

/* The list of dfd's directory, read when missing or changed by others. */
static struct dlist *
dir_list(int dfd)
{
	struct stat st;
	struct dlist *d = NULL;
	size_t i;

	if (fstat(dfd, &st) < 0)
		return NULL;
	for (i = 0; i < ndlists; i++)
		if (dlists[i].dev == st.st_dev && dlists[i].ino == st.st_ino)
			d = &dlists[i];
	if (d == NULL) {
		ops_xgrow((void **)&dlists, &capdlists, ndlists + 1,
		    sizeof(*dlists));
		d = &dlists[ndlists++];
		memset(d, 0, sizeof(*d));
		d->dev = st.st_dev;
		d->ino = st.st_ino;
	} else if (d->v != NULL && same_time(&d->mtime, &st.st_mtim)) {
		return d;
	}
	if (dlist_read(d, dfd) < 0)
		return NULL;
	d->mtime = st.st_mtim;
	return d;
}

/* Our own change to dfd's directory: name added (add) or removed. */
static void
dir_changed(int dfd, const char *name, bool add)
{
	struct stat st;
	struct dlist *d = NULL;
	size_t i, k;

	if (fstat(dfd, &st) < 0)
		return;
	for (i = 0; i < ndlists; i++)
		if (dlists[i].dev == st.st_dev && dlists[i].ino == st.st_ino &&
		    dlists[i].v != NULL)
			d = &dlists[i];
	if (d == NULL)
		return;
	k = dlist_lower(d, name);
	if (add && (k == d->n || strcmp(d->v[k], name) != 0)) {
		ops_xgrow((void **)&d->v, &d->cap, d->n + 1, sizeof(char *));
		memmove(&d->v[k + 1], &d->v[k], (d->n - k) * sizeof(char *));
		d->v[k] = ops_xstrdup(name);
		d->n++;
	} else if (!add && k < d->n && strcmp(d->v[k], name) == 0) {
		free(d->v[k]);
		memmove(&d->v[k], &d->v[k + 1],
		    (d->n - k - 1) * sizeof(char *));
		d->n--;
	}
	d->mtime = st.st_mtim;
}

/*
 * Does name exist in dfd's directory?  From the listing when there is one
 * (no name lookup in a directory of thousands), else fstatat.
 */
static bool
exists_at(int dfd, const char *name)
{
	struct dlist *d = strchr(name, '/') ? NULL : dir_list(dfd);
	struct stat st;

	if (d != NULL) {
		size_t k = dlist_lower(d, name);

		return k < d->n && strcmp(d->v[k], name) == 0;
	}
	return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static int
d_unlinkat(int dfd, const char *name)
{
	int rc = unlinkat(dfd, name, 0);

	if (rc == 0)
		dir_changed(dfd, name, false);
	return rc;
}

static int
d_create(int dfd, const char *name, int flags, mode_t mode)
{
	int fd = openat(dfd, name, flags | O_CREAT, mode);

	if (fd >= 0)
		dir_changed(dfd, name, true);
	return fd;
}

/* rename within or across the two directories, never replacing */
static int
rename_noreplace(int from_dfd, const char *from, int to_dfd, const char *to)
{
	int rc = renameat2(from_dfd, from, to_dfd, to, RENAME_NOREPLACE);

	if (rc == 0) {
		dir_changed(from_dfd, from, false);
		dir_changed(to_dfd, to, true);
	}
	return rc;
}

/*
 * ---- group commit of compressions ----
 *
 * Syncing every compressed file and its directory one by one makes a run
 * over thousands of small logs wait on the disk thousands of times.  So
 * a compressed generation is written without fsync and renamed to its
 * final name at once, while its uncompressed source stays in place; then,
 * every PEND_MAX files, before any script runs and at the end of each
 * block, one syncfs(2) per file system makes all of them durable, and
 * only then are the sources removed and each directory synced once.  A
 * crash before that leaves source and compressed file side by side, which
 * the next run resolves (recover(): same data, the source goes; else the
 * compressed file is kept as a backup and the source compressed again).
 *
 * The state's journal lines for the same logs are made durable in the
 * same flush, and first: after a power loss the journal may then say
 * "rotated" for a log whose rename was lost (it is rotated one period
 * late, nothing is lost), never the reverse (a second rotation that
 * would drop the oldest generation a period early).  A kill -9 loses
 * nothing either way: written lines are in the page cache.
 */
#define PEND_MAX 512

struct pend {
	int dfd;     /* dup of the directory (to sync) */
	dev_t dev;   /* the directory's, for syncing each once */
	ino_t ino;
	char *dpath; /* for messages */
	char *src;   /* the uncompressed source to remove, or NULL */
};

static struct pend *pends;
static size_t npends, cappends;

static void
pend_add(int dfd, const char *dpath, const char *src)
{
	int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
	struct stat st;

	ops_xgrow((void **)&pends, &cappends, npends + 1, sizeof(*pends));
	if (fd >= 0 && fstat(fd, &st) < 0) {
		close(fd);
		fd = -1;
	}
	pends[npends].dfd = fd;
	pends[npends].dev = fd >= 0 ? st.st_dev : 0;
	pends[npends].ino = fd >= 0 ? st.st_ino : 0;
	pends[npends].dpath = ops_xstrdup(dpath);
	pends[npends].src = src ? ops_xstrdup(src) : NULL; /* NULL: only a
	                                       directory to sync */
	npends++;
}

static void zpool_drain(void);

/* Make the journal and every pending rename and compression durable,
 * then remove the sources. */
static void
pend_flush(struct lr_run *run)
{
	struct ops_err err;
	size_t i, j;

	zpool_drain();
	ops_err_clear(&err);
	if (!run->dry_run && lr_state_sync(run->state, &err) < 0) {
		ops_err_report(&err);
		run->state_failed = true;
	}
	if (npends == 0)
		return;
	/* one syncfs per file system (few: a linear look back is enough
	 * while the directories repeat; the list is cut at PEND_MAX) */
	for (i = 0; i < npends; i++) {
		bool seen = false;

		for (j = i; j-- > 0 && !seen;)
			seen = pends[j].dfd >= 0 && pends[j].dev == pends[i].dev;
		if (pends[i].dfd >= 0 && !seen && syncfs(pends[i].dfd) < 0)
			ops_warn("%s: syncfs:", pends[i].dpath);
	}
	for (i = 0; i < npends; i++) {
		if (pends[i].src == NULL)
			continue;
		if (pends[i].dfd < 0)
			ops_warn("%s/%s: left uncompressed beside its "
				 "compressed copy (the next run removes it)",
			    pends[i].dpath, pends[i].src);
		else if (d_unlinkat(pends[i].dfd, pends[i].src) < 0 &&
			 errno != ENOENT)
			ops_warn("cannot remove %s/%s:", pends[i].dpath,
			    pends[i].src);
	}
	for (i = 0; i < npends; i++) {
		bool seen = false;

		for (j = i; j-- > 0 && !seen;)
			seen = pends[j].dfd >= 0 && pends[j].dev == pends[i].dev &&
			       pends[j].ino == pends[i].ino;
		if (pends[i].dfd >= 0 && !seen && fsync(pends[i].dfd) < 0)
			ops_warn("%s: fsync:", pends[i].dpath);
	}
	for (i = 0; i < npends; i++) {
		if (pends[i].dfd >= 0)
			close(pends[i].dfd);
		free(pends[i].dpath);
		free(pends[i].src);
	}
	free(pends);
	pends = NULL;
	npends = cappends = 0;
}

/* ---- processes holding a file open ---- */

/* The pid of a process (not us) with (dev, ino) open, or 0. */
static pid_t
holder(dev_t dev, ino_t ino)
{
	DIR *proc = opendir("/proc");
	struct dirent *de;
	pid_t me = getpid(), found = 0;

	if (proc == NULL)
		return 0;
	while (found == 0 && (de = readdir(proc)) != NULL) {
		char fdpath[64];
		DIR *fds;
		struct dirent *fe;
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end != '\0' || pid <= 0 || pid == (long)me)
			continue;
		snprintf(fdpath, sizeof(fdpath), "/proc/%ld/fd", pid);
		fds = opendir(fdpath);
		if (fds == NULL)
			continue;
		while ((fe = readdir(fds)) != NULL) {
			struct stat st;

			if (fe->d_name[0] == '.')
				continue;
			if (fstatat(dirfd(fds), fe->d_name, &st, 0) == 0 &&
			    st.st_dev == dev && st.st_ino == ino) {
				found = (pid_t)pid;
				break;
			}
		}
		closedir(fds);
	}
	closedir(proc);
	return found;
}

/*
 * The pid of another process that has fd's file open, or 0.  A write
 * lease is granted only while no other descriptor of the file is open
 * anywhere, so one fcntl() answers for the common case; only when it is
 * refused (or leases are not available here) is /proc scanned.
 */
static pid_t
holder_of(int fd, const struct stat *st)
{
	if (fcntl(fd, F_SETLEASE, F_WRLCK) == 0) {
		(void)fcntl(fd, F_SETLEASE, F_UNLCK);
		return 0;
	}
	return holder(st->st_dev, st->st_ino);
}

/* true when nobody holds it (waiting within the run's budget) */
static bool
wait_writers(struct lr_run *run, int fd, const struct stat *st,
    const char *name)
{
	pid_t pid;

	while ((pid = holder_of(fd, st)) != 0) {
		if (run->wait_left_ms <= 0) {
			ops_info(1,
			    "%s: left uncompressed: pid %ld still has it "
			    "open (compressed by a later run)",
			    name, (long)pid);
			return false;
		}
		usleep(WAIT_STEP_MS * 1000);
		run->wait_left_ms -= WAIT_STEP_MS;
	}
	return true;
}

/* ---- compression ---- */

/* 1 when plain (in dfd) holds exactly the data compressed in comp */
static int
same_data(int dfd, const char *plain, const char *comp)
{
	int pf, cf, same = 0;
	struct ops_zr *r = NULL;
	struct ops_err err;
	char a[16384], b[16384];

	pf = openat(dfd, plain, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	cf = openat(dfd, comp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (pf < 0 || cf < 0 || ops_zr_open(&r, cf, comp, &err) < 0)
		goto out;
	for (;;) {
		ssize_t n = ops_zr_read(r, b, sizeof(b), &err), m;

		if (n < 0)
			goto out;
		m = ops_read_all(pf, a, (size_t)n);
		if (m != n || memcmp(a, b, (size_t)n) != 0)
			goto out;
		if (n == 0)
			break;
	}
	same = 1;
out:
	ops_zr_close(r);
	if (pf >= 0)
		close(pf);
	if (cf >= 0)
		close(cf);
	return same;
}

/* Move an existing destination aside as NAME-YYYYMMDDHH.backup. */
static int
backup_existing(struct set *s, int dfd, const char *name)
{
	struct tm tm;
	char stamp[32];
	char *bk;
	int rc, k;

	local_tm(s->run->now, &tm);
	strftime(stamp, sizeof(stamp), "-%Y%m%d%H", &tm);
	bk = xasprintf("%s%s.backup", name, stamp);
	for (k = 1; exists_at(dfd, bk) && k < 100; k++) {
		free(bk);
		bk = xasprintf("%s%s.%d.backup", name, stamp, k);
	}
	ops_warn("destination %s already exists, renaming to %s", name, bk);
	rc = rename_noreplace(dfd, name, dfd, bk);
	if (rc < 0)
		ops_warn("cannot rename %s to %s:", name, bk);
	free(bk);
	return rc;
}

/*
 * Compress src (in dfd) to src+compext.  0 done, 1 left for later (held
 * open), -1 error (reported).
 */
/*
 * One compression: compress_file() opens the source and the temporary
 * (zstart), the compression itself (zrun) may run on a worker thread, and
 * zfinish() renames the result into place and disposes of the source.
 * Everything but zrun happens on the main thread, in order.
 */
struct zwork {
	struct set *s;
	int dfd;           /* the directory (a dup when deferred) */
	char *dpath, *src, *dst, *tmp, *tmppath;
	int in, out;
	struct stat st;
	bool registered, defer;
	int rc;            /* zrun's result */
	struct ops_err err;
};

static void
zfree(struct zwork *w)
{
	if (w->registered)
		ops_temp_unregister(w->tmppath);
	if (w->out >= 0)
		close(w->out);
	if (w->in >= 0)
		close(w->in);
	if (w->defer && w->dfd >= 0)
		close(w->dfd);
	free(w->dpath);
	free(w->src);
	free(w->dst);
	free(w->tmp);
	free(w->tmppath);
	free(w);
}

static void
zrun(struct zwork *w)
{
	ops_err_clear(&w->err);
	w->rc = ops_z_compress(w->in, w->out, w->s->z, w->s->zlevel,
	    w->defer ? OPS_Z_NOSYNC : 0, NULL, NULL, &w->err);
}

/* 0 with *wp ready to run, 1 when left for later, -1 on error. */
static int
zstart(struct set *s, int dfd, const char *dpath, const char *src,
    bool defer, struct zwork **wp)
{
	struct zwork *w = ops_xcalloc(1, sizeof(*w));
	int rc = -1;

	w->s = s;
	w->dfd = dfd;
	w->defer = false; /* dfd is not ours until the dup below */
	w->in = w->out = -1;
	w->dpath = ops_xstrdup(dpath);
	w->src = ops_xstrdup(src);
	w->dst = xasprintf("%s%s", src, s->compext);
	w->tmp = xasprintf(".%s%s", w->dst, TMP_SUFFIX);
	w->tmppath = ops_path_join(dpath, w->tmp);
	*wp = NULL;
	w->in = openat(dfd, src, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
				     O_CLOEXEC);
	if (w->in < 0 || fstat(w->in, &w->st) < 0) {
		ops_warn("%s/%s: cannot open for compression:", dpath, src);
		goto out;
	}
	if (!S_ISREG(w->st.st_mode)) {
		ops_warn("%s/%s: not a regular file: not compressed", dpath,
		    src);
		goto out;
	}
	if (!wait_writers(s->run, w->in, &w->st, src)) {
		rc = 1;
		goto out;
	}
	if (ops_temp_register(w->tmppath) == 0)
		w->registered = true;
	w->out = d_create(dfd, w->tmp,
	    O_WRONLY | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    (S_IRUSR | S_IWUSR) & w->st.st_mode);
	if (w->out < 0 && errno == EEXIST) {
		/* a leftover of a killed run: its source is still here */
		d_unlinkat(dfd, w->tmp);
		w->out = d_create(dfd, w->tmp,
		    O_WRONLY | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    (S_IRUSR | S_IWUSR) & w->st.st_mode);
	}
	if (w->out < 0) {
		ops_warn("%s/%s: cannot create:", dpath, w->tmp);
		goto out;
	}
	if (fchmod(w->out, (S_IRUSR | S_IWUSR) & w->st.st_mode) < 0 ||
	    (geteuid() == 0 &&
		fchown(w->out, w->st.st_uid, w->st.st_gid) < 0) ||
	    fchmod(w->out, w->st.st_mode & 07777) < 0) {
		ops_warn("%s/%s: cannot set owner and mode:", dpath, w->tmp);
		d_unlinkat(dfd, w->tmp);
		goto out;
	}
	if (defer) {
		w->dfd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
		if (w->dfd < 0) {
			ops_warn("%s: cannot duplicate:", dpath);
			w->dfd = -1;
			d_unlinkat(dfd, w->tmp);
			goto out;
		}
		w->defer = true;
	}
	*wp = w;
	return 0;
out:
	zfree(w);
	return rc;
}

/* Put the result in place (main thread).  0, or -1 (reported). */
static int
zfinish(struct zwork *w)
{
	struct timespec ts[2];
	int dfd = w->dfd, rc = -1;

	if (w->rc < 0) {
		ops_err_prefix(&w->err, "%s/%s", w->dpath, w->src);
		ops_err_report(&w->err);
		goto fail;
	}
	ts[0] = w->st.st_atim;
	ts[1] = w->st.st_mtim;
	(void)futimens(w->out, ts);
	if (close(w->out) < 0) {
		w->out = -1;
		ops_warn("%s/%s: write error:", w->dpath, w->tmp);
		goto fail;
	}
	w->out = -1;
	if (rename_noreplace(dfd, w->tmp, dfd, w->dst) < 0) {
		if (errno != EEXIST) {
			ops_warn("cannot rename %s/%s to %s:", w->dpath, w->tmp,
			    w->dst);
			goto fail;
		}
		if (same_data(dfd, w->src, w->dst)) {
			/* an earlier run got this far; its unlink did not */
			d_unlinkat(dfd, w->tmp);
			goto finish;
		}
		if (backup_existing(w->s, dfd, w->dst) < 0 ||
		    rename_noreplace(dfd, w->tmp, dfd, w->dst) < 0) {
			ops_warn("cannot rename %s/%s to %s:", w->dpath, w->tmp,
			    w->dst);
			goto fail;
		}
	}
finish:
	if (w->registered)
		ops_temp_unregister(w->tmppath);
	w->registered = false;
	if (w->defer) {
		/* the source goes once the compressed file is durable */
		pend_add(dfd, w->dpath, w->src);
	} else {
		if (fsync(dfd) < 0) {
			ops_warn("%s: fsync:", w->dpath);
			goto done;
		}
		if (d_unlinkat(dfd, w->src) < 0 && errno != ENOENT) {
			ops_warn("cannot remove %s/%s:", w->dpath, w->src);
			goto done;
		}
	}
	ops_info(1, "compressed %s/%s to %s", w->dpath, w->src, w->dst);
	rc = 0;
	goto done;
fail:
	d_unlinkat(dfd, w->tmp);
done:
	zfree(w);
	return rc;
}

/* ---- the compression workers ---- */

#define ZWORKERS_MAX 8

static struct {
	pthread_mutex_t mu;
	pthread_cond_t work, idle;
	pthread_t th[ZWORKERS_MAX];
	int nth;
	struct zwork **q;     /* every deferred job, in order */
	size_t nq, capq;
	size_t next;          /* the next job a worker takes */
	size_t done;          /* jobs finished */
	bool quit;
} zp = {.mu = PTHREAD_MUTEX_INITIALIZER,
    .work = PTHREAD_COND_INITIALIZER,
    .idle = PTHREAD_COND_INITIALIZER};

static void *
zworker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&zp.mu);
	for (;;) {
		struct zwork *w;

		while (!zp.quit && zp.next >= zp.nq)
			pthread_cond_wait(&zp.work, &zp.mu);
		if (zp.next >= zp.nq)
			break; /* quit, and nothing left */
		w = zp.q[zp.next++];
		pthread_mutex_unlock(&zp.mu);
		zrun(w);
		pthread_mutex_lock(&zp.mu);
		zp.done++;
		pthread_cond_broadcast(&zp.idle);
	}
	pthread_mutex_unlock(&zp.mu);
	return NULL;
}

static void
zpool_start(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (zp.nth > 0)
		return;
	if (n < 1)
		n = 1;
	if (n > ZWORKERS_MAX)
		n = ZWORKERS_MAX;
	zp.quit = false;
	while (zp.nth < n &&
	       pthread_create(&zp.th[zp.nth], NULL, zworker, NULL) == 0)
		zp.nth++;
}

/* Wait for every queued job, then finish them all in order. */
static void
zpool_drain(void)
{
	size_t i;

	pthread_mutex_lock(&zp.mu);
	while (zp.done < zp.nq && zp.nth > 0)
		pthread_cond_wait(&zp.idle, &zp.mu);
	pthread_mutex_unlock(&zp.mu);
	for (i = zp.done; i < zp.nq; i++) /* no worker: run them here */
		zrun(zp.q[i]);
	for (i = 0; i < zp.nq; i++)
		(void)zfinish(zp.q[i]);
	free(zp.q);
	zp.q = NULL;
	zp.nq = zp.capq = zp.next = zp.done = 0;
}

static void
zpool_stop(void)
{
	int i;

	zpool_drain();
	pthread_mutex_lock(&zp.mu);
	zp.quit = true;
	pthread_cond_broadcast(&zp.work);
	pthread_mutex_unlock(&zp.mu);
	for (i = 0; i < zp.nth; i++)
		pthread_join(zp.th[i], NULL);
	zp.nth = 0;
}

static int
compress_file(struct set *s, int dfd, const char *dpath, const char *src,
    bool defer)
{
	struct zwork *w;
	int rc;

	if (s->run->dry_run) {
		char *dst = xasprintf("%s%s", src, s->compext);

		printf("compress %s/%s to %s\n", dpath, src, dst);
		free(dst);
		return 0;
	}
	rc = zstart(s, dfd, dpath, src, defer, &w);
	if (rc != 0)
		return rc;
	if (!defer) {
		zrun(w);
		return zfinish(w);
	}
	/* deferred: a worker compresses it; pend_flush() finishes it */
	zpool_start();
	pthread_mutex_lock(&zp.mu);
	ops_xgrow((void **)&zp.q, &zp.capq, zp.nq + 1, sizeof(*zp.q));
	zp.q[zp.nq++] = w;
	pthread_cond_signal(&zp.work);
	pthread_mutex_unlock(&zp.mu);
	if (zp.nq >= PEND_MAX)
		pend_flush(s->run);
	return 0;
}

/* ---- names ---- */

/*
 * logrotate's dateformat conversion: %Y %m %d %H %M %S %V %s are kept and
 * give glob parts; any other %x stays literal.  Leading blanks skipped.
 */
static void
date_formats(struct set *s)
{
	const struct lr_opts *o = s->o;
	const char *df = o->dateformat;
	size_t i = 0, j = 0;

	s->explicit_dformat = df != NULL;
	if (!s->explicit_dformat) {
		bool h = o->period == LR_HOURLY;

		snprintf(s->dformat, sizeof(s->dformat), "%s",
		    h ? "-%Y%m%d%H" : "-%Y%m%d");
		snprintf(s->dpattern, sizeof(s->dpattern), "-%s%s",
		    "[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]",
		    h ? "[0-9][0-9]" : "");
		return;
	}
	while (*df == ' ')
		df++;
	for (; *df && i + 3 < sizeof(s->dformat) &&
	       j + 52 < sizeof(s->dpattern);
	     df++) {
		if (*df != '%') {
			s->dformat[i++] = *df;
			s->dpattern[j++] = *df;
			continue;
		}
		switch (df[1]) {
		case 'Y':
			memcpy(s->dpattern + j, "[0-9][0-9]", 10);
			j += 10;
			__attribute__((fallthrough));
		case 'm':
		case 'd':
		case 'H':
		case 'M':
		case 'S':
		case 'V':
			memcpy(s->dpattern + j, "[0-9][0-9]", 10);
			j += 10;
			s->dformat[i++] = '%';
			s->dformat[i++] = *++df;
			break;
		case 's':
			for (int k = 0; k < 10; k++, j += 5)
				memcpy(s->dpattern + j, "[0-9]", 5);
			s->dformat[i++] = '%';
			s->dformat[i++] = *++df;
			break;
		default:
			/* "%x" becomes "%%" then 'x' as a plain character */
			s->dformat[i++] = '%';
			s->dformat[i++] = '%';
			s->dpattern[j++] = '%';
			break;
		}
	}
	s->dformat[i] = '\0';
	s->dpattern[j] = '\0';
}

static char *
gen_name(const struct set *s, const struct lg *l, long n, bool comp)
{
	return xasprintf("%s.%ld%s%s", l->gbase, n, l->fileext,
	    comp ? s->compext : "");
}

/* The time a dateext name says (for keep and reconstruction), or -1. */
static int64_t
name_date(const struct set *s, const struct lg *l, const char *name)
{
	struct tm tm;
	const char *p;

	if (!s->o->dateext || strncmp(name, l->gbase, strlen(l->gbase)) != 0)
		return -1;
	p = name + strlen(l->gbase);
	memset(&tm, 0, sizeof(tm));
	tm.tm_mday = 1;
	if (strptime(p, s->dformat, &tm) == NULL)
		return -1;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

/* Names in dfd matching the glob pattern, sorted as logrotate sorts. */
struct namelist {
	char **v;
	size_t n, cap;
};

static void
names_free(struct namelist *nl)
{
	size_t i;

	for (i = 0; i < nl->n; i++)
		free(nl->v[i]);
	free(nl->v);
	memset(nl, 0, sizeof(*nl));
}

/* The literal start of a glob pattern (up to its first special). */
static size_t
literal_prefix(const char *pattern)
{
	return strcspn(pattern, "*?[\\");
}

static int
list_matching_ex(int dfd, const char *pattern, bool dots,
    struct namelist *nl)
{
	struct dlist *d = dir_list(dfd);
	size_t plen = literal_prefix(pattern), k;
	char *prefix;

	memset(nl, 0, sizeof(*nl));
	if (d == NULL)
		return -1;
	prefix = ops_xstrndup(pattern, plen);
	for (k = dlist_lower(d, prefix);
	     k < d->n && strncmp(d->v[k], prefix, plen) == 0; k++) {
		const char *n = d->v[k];

		if ((!dots && n[0] == '.') ||
		    fnmatch(pattern, n, dots ? 0 : FNM_PERIOD) != 0)
			continue;
		ops_xgrow((void **)&nl->v, &nl->cap, nl->n + 1,
		    sizeof(char *));
		nl->v[nl->n++] = ops_xstrdup(n);
	}
	free(prefix);
	return 0; /* already sorted: the list is */
}

static int
list_matching(int dfd, const char *pattern, struct namelist *nl)
{
	return list_matching_ex(dfd, pattern, false, nl);
}

/* stable sort by the date in the name (when dateformat was given) */
static void
sort_by_date(const struct set *s, const struct lg *l, struct namelist *nl)
{
	size_t i, j;

	if (!s->explicit_dformat)
		return;
	for (i = 1; i < nl->n; i++) {
		char *x = nl->v[i];
		int64_t tx = name_date(s, l, x);

		for (j = i; j > 0 && name_date(s, l, nl->v[j - 1]) > tx; j--)
			nl->v[j] = nl->v[j - 1];
		nl->v[j] = x;
	}
}

/* ---- removal (with the keep floor) ---- */

static void
remove_gen(struct set *s, struct lg *l, const char *name)
{
	const struct lr_opts *o = s->o;
	struct stat st;

	if (fstatat(l->odfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if (o->keep > 0) {
		int64_t d = name_date(s, l, name);

		if (d < 0)
			d = (int64_t)st.st_mtime;
		if (s->run->now - d < (int64_t)o->keep * DAY_SECONDS) {
			ops_info(1, "%s/%s: kept (younger than keep %ld days)",
			    l->odirpath, name, o->keep);
			return;
		}
	}
	if (s->run->dry_run) {
		printf("remove %s/%s\n", l->odirpath, name);
		return;
	}
	if (d_unlinkat(l->odfd, name) < 0 && errno != ENOENT) {
		ops_warn("cannot remove old log %s/%s:", l->odirpath, name);
		l->err = true;
		return;
	}
	ops_info(1, "removed %s/%s", l->odirpath, name);
}

static bool
is_kept(struct set *s, struct lg *l, const char *name)
{
	struct stat st;
	int64_t d;

	if (s->o->keep <= 0 ||
	    fstatat(l->odfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	d = name_date(s, l, name);
	if (d < 0)
		d = (int64_t)st.st_mtime;
	return s->run->now - d < (int64_t)s->o->keep * DAY_SECONDS;
}

/* ---- set-up of one log: directories and names ---- */

static int
open_dir_at(int at, const char *path)
{
	return openat(at, path,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Make olddir (each missing component) with createolddir's mode/owner. */
static int
make_olddir(struct set *s, struct lg *l)
{
	const struct lr_opts *o = s->o;
	char *copy = ops_xstrdup(o->olddir), *p, *slash;
	int at = o->olddir[0] == '/' ? AT_FDCWD : l->dfd, fd = -1;
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	mode_t mode = o->createolddir_mode_set ? o->createolddir_mode : 0755;

	if (o->createolddir_owner) {
		struct passwd *pw = getpwnam(o->createolddir_owner);

		if (pw)
			uid = pw->pw_uid;
	}
	if (o->createolddir_group) {
		struct group *gr = getgrnam(o->createolddir_group);

		if (gr)
			gid = gr->gr_gid;
	}
	p = copy;
	if (*p == '/') {
		at = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		while (*p == '/')
			p++;
	} else {
		at = dup(l->dfd);
	}
	while (at >= 0 && *p) {
		slash = strchr(p, '/');
		if (slash)
			*slash = '\0';
		if (*p && mkdirat(at, p, mode) == 0) {
			int nfd = open_dir_at(at, p);

			if (nfd >= 0) {
				if (fchmod(nfd, mode) < 0 ||
				    ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
					fchown(nfd, uid, gid) < 0))
					ops_warn("%s: cannot set mode/owner:",
					    o->olddir);
			}
			close(at);
			at = nfd;
		} else if (*p) {
			int nfd = open_dir_at(at, p);

			close(at);
			at = nfd;
		}
		if (!slash)
			break;
		p = slash + 1;
	}
	fd = at;
	free(copy);
	return fd;
}

static int
lg_setup(struct set *s, struct lg *l)
{
	const struct lr_opts *o = s->o;
	struct stat dst;
	char *slash = strrchr(l->path, '/');
	size_t bl, el;

	l->dfd = l->odfd = -1;
	if (slash == NULL) {
		l->dirpath = ops_xstrdup(".");
		l->base = ops_xstrdup(l->path);
	} else {
		l->dirpath = slash == l->path
				 ? ops_xstrdup("/")
				 : ops_xstrndup(l->path,
				       (size_t)(slash - l->path));
		l->base = ops_xstrdup(slash + 1);
	}
	l->gbase = ops_xstrdup(l->base);
	l->fileext = "";
	bl = strlen(l->gbase);
	if (o->extension && (el = strlen(o->extension)) <= bl &&
	    strcmp(l->gbase + bl - el, o->extension) == 0) {
		l->gbase[bl - el] = '\0';
		l->fileext = o->extension;
	}
	if (o->olddir == NULL)
		l->odirpath = ops_xstrdup(l->dirpath);
	else if (o->olddir[0] == '/')
		l->odirpath = ops_xstrdup(o->olddir);
	else
		l->odirpath = ops_path_join(l->dirpath, o->olddir);

	l->dfd = open(l->dirpath,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (l->dfd < 0) {
		l->derr = errno;
		return -1; /* find_need says why */
	}
	if (fstat(l->dfd, &dst) == 0)
		l->untrusted = (dst.st_uid != 0 && dst.st_uid != geteuid()) ||
			       (dst.st_mode & S_IWOTH) ||
			       ((dst.st_mode & S_IWGRP) && dst.st_gid != 0);
	if (o->olddir == NULL) {
		l->odfd = l->dfd;
	} else {
		l->odfd = o->olddir[0] == '/' ? open_dir_at(AT_FDCWD, o->olddir)
					      : open_dir_at(l->dfd, o->olddir);
		if (l->odfd < 0 && errno == ENOENT && o->createolddir &&
		    !s->run->dry_run)
			l->odfd = make_olddir(s, l);
	}
	l->ready = true;
	return 0;
}

static void
lg_release(struct lg *l)
{
	if (l->odfd >= 0 && l->odfd != l->dfd)
		close(l->odfd);
	if (l->dfd >= 0)
		close(l->dfd);
	free(l->path);
	free(l->dirpath);
	free(l->base);
	free(l->odirpath);
	free(l->gbase);
	free(l->final);
	free(l->finalpath);
	free(l->dispose);
}

/* ---- crash recovery ---- */

/* numbered generation: "gbase.N fileext" exactly; N in *n */
static bool
parse_numbered(const struct lg *l, const char *name, const char *tail,
    long *n)
{
	size_t gl = strlen(l->gbase), fl = strlen(l->fileext),
	       tl = strlen(tail), nl = strlen(name);
	const char *p;
	char *end;

	if (nl <= gl + 1 + fl + tl || strncmp(name, l->gbase, gl) != 0 ||
	    name[gl] != '.')
		return false;
	p = name + gl + 1;
	if (*p < '0' || *p > '9')
		return false;
	*n = strtol(p, &end, 10);
	return strncmp(end, l->fileext, fl) == 0 &&
	       strcmp(end + fl, tail) == 0;
}

static void
recover(struct set *s, struct lg *l)
{
	const struct lr_opts *o = s->o;
	struct namelist nl;
	char *pat;
	size_t i;

	if (l->odfd < 0 || s->run->dry_run)
		return;
	/* temporaries of killed runs: their sources are still in place */
	pat = xasprintf(".%s*%s", l->gbase, TMP_SUFFIX);
	if (list_matching_ex(l->odfd, pat, true, &nl) == 0) {
		for (i = 0; i < nl.n; i++)
			if (d_unlinkat(l->odfd, nl.v[i]) == 0)
				ops_info(1, "removed %s/%s left by a killed "
					    "run",
				    l->odirpath, nl.v[i]);
		names_free(&nl);
	}
	free(pat);
	if (!o->compress)
		return;
	/* uncompressed generations that should be compressed */
	if (o->dateext) {
		if (o->delaycompress)
			return; /* the next rotation compresses them all */
		pat = xasprintf("%s%s%s", l->gbase, s->dpattern, l->fileext);
		if (list_matching(l->odfd, pat, &nl) == 0) {
			for (i = 0; i < nl.n; i++)
				if (strcmp(nl.v[i], l->base) != 0 &&
				    compress_file(s, l->odfd, l->odirpath,
					nl.v[i], false) < 0)
					l->err = true;
			names_free(&nl);
		}
		free(pat);
		return;
	}
	pat = xasprintf("%s.[0-9]*%s", l->gbase, l->fileext);
	if (list_matching(l->odfd, pat, &nl) == 0) {
		for (i = 0; i < nl.n; i++) {
			long n;

			if (!parse_numbered(l, nl.v[i], "", &n))
				continue;
			if (o->delaycompress && n == o->start)
				continue;
			if (l->odfd == l->dfd && strcmp(nl.v[i], l->base) == 0)
				continue;
			ops_info(1, "%s/%s: compressing a leftover generation",
			    l->odirpath, nl.v[i]);
			if (compress_file(s, l->odfd, l->odirpath, nl.v[i],
				false) < 0)
				l->err = true;
		}
		names_free(&nl);
	}
	free(pat);
}

/* Last rotation from the newest generation (bad state line). */
static int64_t
reconstruct(struct set *s, struct lg *l)
{
	struct namelist nl;
	char *pat;
	int64_t best = -1;
	size_t i;

	if (l->odfd < 0)
		return s->run->now;
	if (s->o->dateext)
		pat = xasprintf("%s%s%s*", l->gbase, s->dpattern, l->fileext);
	else
		pat = xasprintf("%s.[0-9]*%s*", l->gbase, l->fileext);
	if (list_matching(l->odfd, pat, &nl) == 0) {
		for (i = 0; i < nl.n; i++) {
			struct stat st;
			int64_t t = name_date(s, l, nl.v[i]);

			if (t < 0 && fstatat(l->odfd, nl.v[i], &st,
					 AT_SYMLINK_NOFOLLOW) == 0)
				t = (int64_t)st.st_mtime;
			if (t > best)
				best = t;
		}
		names_free(&nl);
	}
	free(pat);
	return best < 0 ? s->run->now : best;
}

/* ---- findNeedRotating ---- */

static int64_t
date_only(const struct tm *tm)
{
	struct tm t = *tm;

	t.tm_hour = t.tm_min = t.tm_sec = 0;
	t.tm_isdst = -1;
	return (int64_t)mktime(&t);
}

/* now with only year, month, day and hour kept (as logrotate's newState) */
static int64_t
hour_of(int64_t now)
{
	struct tm tm;

	local_tm(now, &tm);
	tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

static int
find_need(struct set *s, struct lg *l)
{
	const struct lr_opts *o = s->o;
	struct lr_run *run = s->run;
	struct stat st, dst;
	struct tm now, last;
	uint64_t size;

	if (!l->ready) {
		if (l->derr == ENOENT && o->missingok)
			return 0;
		errno = l->derr;
		ops_warn("%s: cannot open its directory %s:", l->path,
		    l->dirpath);
		return 1;
	}
	if (!s->su && getuid() == 0 && fstat(l->dfd, &dst) == 0 &&
	    ((dst.st_gid != 0 && (dst.st_mode & S_IWGRP)) ||
		(dst.st_mode & S_IWOTH))) {
		ops_warn("skipping \"%s\" because parent directory has "
			 "insecure permissions (it's world writable or "
			 "writable by group which is not \"root\"); set "
			 "\"su\" to say which user and group to rotate as",
		    l->path);
		return 1;
	}
	if (fstatat(l->dfd, l->base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT && o->missingok)
			return 0;
		ops_warn("stat of %s failed:", l->path);
		return 1;
	}
	l->st = lr_state_find(run->state, l->path);
	if (l->st == NULL)
		l->st = lr_state_add(run->state, l->path, hour_of(run->now));
	else if (l->st->bad) {
		l->st->t = reconstruct(s, l);
		l->st->noted = false;
		l->st->bad = false;
	}
	l->st->used = true;
	l->sb = st;
	if (S_ISLNK(st.st_mode)) {
		if (l->untrusted) {
			ops_warn("refusing %s: it is a symbolic link in a "
				 "directory that another user can write "
				 "(following it would let them choose the "
				 "file we write)",
			    l->path);
			return 1;
		}
		ops_info(1, "%s is a symbolic link: skipped", l->path);
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		ops_warn("%s is not a regular file: skipped", l->path);
		return 1;
	}
	if (l->untrusted && st.st_nlink > 1) {
		ops_warn("refusing %s: it has %lu hard links in a directory "
			 "that another user can write (it may be another "
			 "user's file linked there)",
		    l->path, (unsigned long)st.st_nlink);
		return 1;
	}
	if (l->odfd < 0) {
		ops_warn("%s: cannot open olddir %s:", l->path, l->odirpath);
		return 1;
	}
	recover(s, l);

	size = (uint64_t)st.st_size;
	local_tm(run->now, &now);
	local_tm(l->st->t, &last);
	if (run->force) {
		l->rotate = true;
	} else if (o->maxsize_set && o->maxsize > 0 && size > o->maxsize) {
		l->rotate = true;
	} else if (o->size_set || o->period == LR_NONE) {
		l->rotate = size >= (o->size_set ? o->size : 1024 * 1024);
	} else if (l->st->t - run->now > 25 * 3600) {
		ops_warn("log %s last rotated in the future -- rotation "
			 "forced",
		    l->path);
		l->rotate = true;
	} else if (last.tm_year != now.tm_year || last.tm_mon != now.tm_mon ||
		   last.tm_mday != now.tm_mday ||
		   last.tm_hour != now.tm_hour) {
		int64_t days;

		switch (o->period) {
		case LR_WEEKLY:
			days = (date_only(&now) - date_only(&last)) /
			       DAY_SECONDS;
			l->rotate = days >= 7 ||
				    (days >= 1 && now.tm_wday == o->weekday);
			break;
		case LR_HOURLY:
			l->rotate = true; /* the hour, day... differ */
			break;
		case LR_DAILY:
			l->rotate = now.tm_mday != last.tm_mday ||
				    now.tm_mon != last.tm_mon ||
				    now.tm_year != last.tm_year;
			break;
		case LR_MONTHLY:
			l->rotate = now.tm_mon != last.tm_mon ||
				    now.tm_year != last.tm_year;
			break;
		case LR_YEARLY:
			l->rotate = now.tm_year != last.tm_year;
			break;
		default:
			l->rotate = false;
			break;
		}
		if (o->minsize_set && size < o->minsize)
			l->rotate = false;
	}
	if (l->rotate && !o->ifempty && size == 0)
		l->rotate = false;
	ops_info(1, "%s: %s", l->path,
	    l->rotate ? "needs rotating" : "does not need rotating");
	return 0;
}

/* ---- prerotateSingleLog ---- */

/* strftime with the converted dateformat (a format from the config) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static size_t
date_string(char *buf, size_t size, const char *fmt, const struct tm *tm)
{
	return strftime(buf, size, fmt, tm);
}
#pragma GCC diagnostic pop

/* the highest N of gbase.N fileext compext (rotate -1) */
static long
find_last(struct set *s, struct lg *l)
{
	struct namelist nl;
	char *pat = xasprintf("%s.*%s%s", l->gbase, l->fileext, s->compext);
	long last = 0, n;
	size_t i;

	if (list_matching(l->odfd, pat, &nl) == 0) {
		for (i = 0; i < nl.n; i++)
			if (parse_numbered(l, nl.v[i], s->compext, &n) &&
			    n > last)
				last = n;
		names_free(&nl);
	}
	free(pat);
	return last;
}

/* rename slot n to n+1 (both forms when compressing); false on error */
static bool
shift_slot(struct set *s, struct lg *l, long n)
{
	int k;

	for (k = s->o->compress ? 0 : 1; k < 2; k++) {
		bool comp = k == 0;
		char *from = gen_name(s, l, n, comp),
		     *to = gen_name(s, l, n + 1, comp);
		bool ok = true;

		if (exists_at(l->odfd, from)) {
			if (s->run->dry_run)
				printf("rename %s/%s to %s\n", l->odirpath,
				    from, to);
			else if (rename_noreplace(l->odfd, from, l->odfd,
				     to) < 0) {
				ops_warn("error renaming %s/%s to %s:",
				    l->odirpath, from, to);
				ok = false;
			}
		}
		free(from);
		free(to);
		if (!ok)
			return false;
		if (!s->o->compress || s->compext[0] == '\0')
			break;
	}
	return true;
}

static bool
slot_exists(struct set *s, struct lg *l, long n)
{
	char *a = gen_name(s, l, n, false), *b = gen_name(s, l, n, true);
	bool e = (s->o->compress && exists_at(l->odfd, b)) ||
		 exists_at(l->odfd, a);

	free(a);
	free(b);
	return e;
}

static bool
slot_kept(struct set *s, struct lg *l, long n)
{
	char *a = gen_name(s, l, n, false), *b = gen_name(s, l, n, true);
	bool k = is_kept(s, l, a) || (s->o->compress && is_kept(s, l, b));

	free(a);
	free(b);
	return k;
}

static void
remove_slot(struct set *s, struct lg *l, long n)
{
	char *a = gen_name(s, l, n, false), *b = gen_name(s, l, n, true);

	if (s->o->compress && s->compext[0])
		remove_gen(s, l, b);
	remove_gen(s, l, a);
	free(a);
	free(b);
}

static void
age_of(struct set *s, struct lg *l, const char *name, bool *old)
{
	struct stat st;

	*old = fstatat(l->odfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       s->run->now - (int64_t)st.st_mtime >
		   (int64_t)s->o->maxage * DAY_SECONDS;
}

static int
prerotate_numbered(struct set *s, struct lg *l)
{
	const struct lr_opts *o = s->o;
	long start = o->start, rc = o->rotate ? o->rotate : 1, top, i;

	if (o->rotate == -1)
		rc = find_last(s, l);
	top = start + rc; /* the slot that gets disposed */
	/* a leftover at top: gone anyway, unless keep protects it; then
	 * whatever is kept above moves up with the rest */
	if (slot_exists(s, l, top)) {
		if (o->rotate != -1 && !slot_kept(s, l, top)) {
			remove_slot(s, l, top);
		} else {
			long hi = top;

			while (slot_exists(s, l, hi + 1))
				hi++;
			for (i = hi; i >= top; i--)
				if (!shift_slot(s, l, i))
					return 1;
		}
	}
	for (i = top - 1; i >= 0; i--) {
		if (o->maxage > 0) {
			char *name = gen_name(s, l, i, o->compress);
			bool old;

			age_of(s, l, name, &old);
			if (old && !is_kept(s, l, name))
				remove_gen(s, l, name);
			free(name);
		}
		if (!shift_slot(s, l, i))
			return 1;
	}
	if (o->rotate != -1)
		l->dispose = gen_name(s, l, top, o->compress);
	l->final = gen_name(s, l, start, false);
	return 0;
}

static int
prerotate_dateext(struct set *s, struct lg *l)
{
	const struct lr_opts *o = s->o;
	struct namelist nl;
	char *pat, *dest;
	size_t i, cnt, want = o->rotate ? (size_t)(long)o->rotate : 1;
	long mail_out = -1;
	int bad = 0;

	if (o->rotate == -1)
		want = (size_t)-1;
	pat = xasprintf("%s%s%s%s", l->gbase, s->dpattern, l->fileext,
	    s->compext);
	if (list_matching(l->odfd, pat, &nl) == 0) {
		sort_by_date(s, l, &nl);
		cnt = nl.n;
		for (i = 0; i < cnt; i++) {
			struct stat st;
			bool hit;

			if (fstatat(l->odfd, nl.v[i], &st, 0) < 0)
				continue;
			hit = (cnt >= want && i <= cnt - want) ||
			      (o->maxage > 0 &&
				  s->run->now - (int64_t)st.st_mtime >
				      (int64_t)o->maxage * DAY_SECONDS);
			if (!hit)
				continue;
			if (mail_out >= 0)
				remove_gen(s, l, nl.v[mail_out]);
			mail_out = (long)i;
		}
		if (mail_out >= 0)
			l->dispose = ops_xstrdup(nl.v[mail_out]);
		names_free(&nl);
	}
	free(pat);
	l->final = xasprintf("%s%s%s", l->gbase, l->dext, l->fileext);
	dest = xasprintf("%s%s", l->final, s->compext);
	if (exists_at(l->odfd, dest)) {
		ops_warn("destination %s/%s already exists, skipping rotation",
		    l->odirpath, dest);
		bad = 1;
	}
	free(dest);
	return bad;
}

static int
prerotate(struct set *s, struct lg *l)
{
	const struct lr_opts *o = s->o;
	struct tm tm;
	int bad;

	if (!l->rotate)
		return 0;
	l->st->t = s->run->now;
	l->st->noted = false;
	commit(s, l); /* a crash from here on does not rotate it again */
	local_tm(s->run->now, &tm);
	if (o->dateyesterday) {
		tm.tm_hour = 12;
		tm.tm_mday -= 1;
		tm.tm_isdst = -1;
		(void)mktime(&tm);
	}
	if (date_string(l->dext, sizeof(l->dext), s->dformat, &tm) == 0)
		l->dext[0] = '\0';
	if (o->compress && o->delaycompress) {
		if (o->dateext) {
			struct namelist nl;
			char *pat = xasprintf("%s%s%s", l->gbase, s->dpattern,
			    l->fileext);
			size_t i;

			if (list_matching(l->odfd, pat, &nl) == 0) {
				sort_by_date(s, l, &nl);
				for (i = 0; i < nl.n; i++)
					if (compress_file(s, l->odfd,
						l->odirpath, nl.v[i],
						false) < 0) {
						names_free(&nl);
						free(pat);
						return 1;
					}
				names_free(&nl);
			}
			free(pat);
		} else {
			char *prev = gen_name(s, l, o->start, false);
			int r = 0;

			if (exists_at(l->odfd, prev))
				r = compress_file(s, l->odfd, l->odirpath,
				    prev, false);
			free(prev);
			if (r < 0)
				return 1;
		}
	}
	bad = o->dateext ? prerotate_dateext(s, l) : prerotate_numbered(s, l);
	l->finalpath = ops_path_join(l->odirpath, l->final);
	if (l->dispose && !s->run->dry_run && !exists_at(l->odfd, l->dispose)) {
		free(l->dispose);
		l->dispose = NULL;
	}
	return bad;
}

/* ---- rotateSingleLog ---- */

static int
create_new(struct set *s, struct lg *l)
{
	const struct lr_opts *o = s->o;
	uid_t uid = l->sb.st_uid;
	gid_t gid = l->sb.st_gid;
	mode_t mode = o->create_mode_set ? o->create_mode
					 : (l->sb.st_mode & 0777);
	int fd, k;

	if (o->create_owner) {
		struct passwd *pw = getpwnam(o->create_owner);

		if (pw == NULL) {
			ops_warn("%s: unknown user %s", l->path,
			    o->create_owner);
			return 1;
		}
		uid = pw->pw_uid;
	}
	if (o->create_group) {
		struct group *gr = getgrnam(o->create_group);

		if (gr == NULL) {
			ops_warn("%s: unknown group %s", l->path,
			    o->create_group);
			return 1;
		}
		gid = gr->gr_gid;
	}
	if (s->run->dry_run) {
		printf("create %s mode %04o uid %lu gid %lu\n", l->path,
		    (unsigned)mode, (unsigned long)uid, (unsigned long)gid);
		return 0;
	}
	for (k = 0; k < 2; k++) {
		fd = d_create(l->dfd, l->base,
		    O_RDWR | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    (S_IRUSR | S_IWUSR) & mode);
		if (fd >= 0 || errno != EEXIST || k == 1)
			break;
		if (backup_existing(s, l->dfd, l->base) < 0)
			return 1;
	}
	if (fd < 0) {
		ops_warn("error creating %s:", l->path);
		return 1;
	}
	if (fchmod(fd, (S_IRUSR | S_IWUSR) & mode) < 0 ||
	    (geteuid() == 0 && fchown(fd, uid, gid) < 0) ||
	    fchmod(fd, mode) < 0) {
		ops_warn("error setting owner and mode of %s:", l->path);
		close(fd);
		return 1;
	}
	close(fd);
	ops_info(1, "created %s mode %04o", l->path, (unsigned)mode);
	return 0;
}

/* copy in to out from where in stands to its end; -1 on error */
static int
copy_rest(int in, int out, const char *what)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ops_warn("error reading %s:", what);
			return -1;
		}
		if (ops_write_all(out, buf, (size_t)n) < 0) {
			ops_warn("error writing the copy of %s:", what);
			return -1;
		}
	}
	return 0;
}

/*
 * Before the final ftruncate: cut the whole blocks already copied off the
 * front of the log with FALLOC_FL_COLLAPSE_RANGE (atomic against
 * appends: nothing written meanwhile is lost), copy what came since, so
 * that the truncate that follows works on a small file and the window in
 * which a line can be lost is as short as it gets.  Filesystems without
 * collapse (EOPNOTSUPP) skip this.  -1 on a copy error.
 */
static int
shrink_copied(int in, int out, const struct stat *st, const char *what)
{
	off_t at = lseek(in, 0, SEEK_CUR), bs = st->st_blksize, cut;

	if (at <= 0 || bs <= 0)
		return 0;
	cut = at / bs * bs;
	if (cut <= 0 || fallocate(in, FALLOC_FL_COLLAPSE_RANGE, 0, cut) < 0)
		return 0;
	if (lseek(in, at - cut, SEEK_SET) < 0)
		return -1;
	return copy_rest(in, out, what);
}

static int
copy_log(struct set *s, struct lg *l)
{
	const struct lr_opts *o = s->o;
	bool trunc = o->copytruncate;
	char *tmp = xasprintf(".%s%s", l->final, TMP_SUFFIX);
	char *tmppath = ops_path_join(l->odirpath, tmp);
	int in = -1, out = -1, rc = 1;
	struct stat st;
	bool registered = false;

	if (s->run->dry_run) {
		printf("copy %s to %s%s\n", l->path, l->finalpath,
		    trunc ? ", then truncate it" : "");
		rc = 0;
		goto done;
	}
	in = openat(l->dfd, l->base,
	    (trunc ? O_RDWR : O_RDONLY) | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) < 0 || st.st_ino != l->sb.st_ino ||
	    st.st_dev != l->sb.st_dev) {
		ops_warn("error opening %s%s", l->path,
		    in < 0 ? ":" : ": it changed under us");
		goto done;
	}
	if (trunc && o->rotate == 0) { /* nothing kept: just truncate */
		if (ftruncate(in, 0) < 0) {
			ops_warn("error truncating %s:", l->path);
			goto done;
		}
		rc = 0;
		goto done;
	}
	if (ops_temp_register(tmppath) == 0)
		registered = true;
	d_unlinkat(l->odfd, tmp);
	out = d_create(l->odfd, tmp,
	    O_WRONLY | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    (S_IRUSR | S_IWUSR) & st.st_mode);
	if (out < 0) {
		ops_warn("error creating %s/%s:", l->odirpath, tmp);
		goto done;
	}
	if (fchmod(out, (S_IRUSR | S_IWUSR) & st.st_mode) < 0 ||
	    (geteuid() == 0 && fchown(out, st.st_uid, st.st_gid) < 0) ||
	    fchmod(out, st.st_mode & 07777) < 0) {
		ops_warn("error setting owner and mode of %s/%s:", l->odirpath,
		    tmp);
		goto fail;
	}
	/* phase 1: what is there now */
	if (copy_rest(in, out, l->path) < 0 || fsync(out) < 0)
		goto fail;
	if (rename_noreplace(l->odfd, tmp, l->odfd, l->final) < 0) {
		ops_warn("error renaming %s/%s to %s:", l->odirpath, tmp,
		    l->final);
		goto fail;
	}
	if (registered)
		ops_temp_unregister(tmppath);
	registered = false;
	/* phase 2: the tail written meanwhile, then truncate at once */
	if (copy_rest(in, out, l->path) < 0)
		goto done;
	if (trunc && shrink_copied(in, out, &st, l->path) < 0)
		goto done;
	if (trunc && ftruncate(in, 0) < 0) {
		ops_warn("error truncating %s:", l->path);
		goto done;
	}
	if (fsync(out) < 0 || fsync(l->odfd) < 0) {
		ops_warn("error syncing %s:", l->finalpath);
		goto done;
	}
	rc = 0;
	goto done;
fail:
	d_unlinkat(l->odfd, tmp);
done:
	if (registered)
		ops_temp_unregister(tmppath);
	if (out >= 0 && close(out) < 0 && rc == 0) {
		ops_warn("error writing %s:", l->finalpath);
		rc = 1;
	}
	if (in >= 0)
		close(in);
	free(tmp);
	free(tmppath);
	return rc;
}

static int
rotate_one(struct set *s, struct lg *l)
{
	const struct lr_opts *o = s->o;
	struct stat st;

	if (!l->rotate)
		return 0;
	if (o->copy || o->copytruncate)
		return copy_log(s, l);
	if (s->run->dry_run) {
		printf("rename %s to %s\n", l->path, l->finalpath);
	} else {
		if (rename_noreplace(l->dfd, l->base, l->odfd, l->final) < 0) {
			ops_warn("failed to rename %s to %s:", l->path,
			    l->finalpath);
			return 1;
		}
		if (fstatat(l->odfd, l->final, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    st.st_ino != l->sb.st_ino || st.st_dev != l->sb.st_dev) {
			ops_warn("%s changed while being rotated: %s is not "
				 "the file considered",
			    l->path, l->finalpath);
			return 1;
		}
		/* made durable with the next group commit (pend_flush) */
		pend_add(l->odfd, l->odirpath, NULL);
		if (l->odfd != l->dfd)
			pend_add(l->dfd, l->odirpath, NULL);
		ops_info(1, "renamed %s to %s", l->path, l->finalpath);
	}
	if (o->rotate == 0) {
		free(l->dispose);
		l->dispose = ops_xstrdup(l->final);
	}
	if (o->create)
		return create_new(s, l);
	return 0;
}

/* ---- postrotateSingleLog ---- */

static int
postrotate(struct set *s, struct lg *l)
{
	const struct lr_opts *o = s->o;

	if (!l->rotate)
		return 0;
	if (o->compress && !o->delaycompress && o->rotate != 0 &&
	    !((o->copy || o->copytruncate) && o->rotate == 0) &&
	    (s->run->dry_run || exists_at(l->odfd, l->final)) &&
	    compress_file(s, l->odfd, l->odirpath, l->final, true) < 0)
		return 1;
	if (l->dispose) {
		remove_gen(s, l, l->dispose);
		/* an uncompressed twin left by a writer goes with it */
		if (o->compress && !o->dateext && o->rotate > 0) {
			char *a = gen_name(s, l, o->start + o->rotate, false);

			if (strcmp(a, l->dispose) != 0)
				remove_gen(s, l, a);
			free(a);
		}
	}
	return l->err ? 1 : 0;
}

/* ---- scripts ---- */

static int
run_script(struct set *s, const char *what, const char *script,
    const char *arg1, const char *arg2)
{
	pend_flush(s->run); /* a script sees the tree logrotate would
	                       leave */
	pid_t pid;
	int status;

	if (s->run->dry_run) {
		printf("run %s script with $1 %s\n", what, arg1);
		return 0;
	}
	as_root(s);
	ops_info(1, "running %s script", what);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		ops_warn("cannot fork:");
		return 1;
	}
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", script, "logrotate_script", arg1,
		    arg2, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			dir_forget_all();
			return 1;
		}
	dir_forget_all(); /* a script may have changed any directory */
	as_su(s);
	return !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---- one entry (rotateLogSet) ---- */

/* The path in the sorted list equal to key, or NULL. */
static const char *
find_sorted(char *const *sorted, size_t n, const char *key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(sorted[mid], key);

		if (c == 0)
			return sorted[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static bool
taken_already(const struct lr_run *run, char **seen, size_t nseen,
    const char *p)
{
	(void)run;
	return find_sorted(seen, nseen, p) != NULL; /* seen is kept sorted */
}

/* Is file (a path) a generation of log (another path matched)? */
static bool
is_generation(const struct set *s, const char *file, const char *log)
{
	const char *fb = strrchr(file, '/'), *lb = strrchr(log, '/');
	size_t fdl = fb ? (size_t)(fb - file) : 0,
	       ldl = lb ? (size_t)(lb - log) : 0, bl;
	char gbase[PATH_MAX];
	const char *rest, *ext = "";
	static const char *const tails[] = {
	    "", ".gz", ".bz2", ".xz", ".zst", ".Z", ".lz4", ".lzma", NULL};
	size_t k;

	fb = fb ? fb + 1 : file;
	lb = lb ? lb + 1 : log;
	if (fdl != ldl || strncmp(file, log, fdl) != 0)
		return false;
	snprintf(gbase, sizeof(gbase), "%s", lb);
	bl = strlen(gbase);
	if (s->o->extension) {
		size_t el = strlen(s->o->extension);

		if (el <= bl && strcmp(gbase + bl - el, s->o->extension) == 0) {
			gbase[bl - el] = '\0';
			ext = s->o->extension;
		}
	}
	bl = strlen(gbase);
	if (strncmp(fb, gbase, bl) != 0 || strcmp(fb, lb) == 0)
		return false;
	rest = fb + bl;
	for (k = 0; tails[k]; k++) {
		char pat[1024];

		snprintf(pat, sizeof(pat), ".[0-9]*%s%s", ext, tails[k]);
		if (fnmatch(pat, rest, 0) == 0) {
			const char *p = rest + 1;

			while (*p >= '0' && *p <= '9')
				p++;
			if (strncmp(p, ext, strlen(ext)) == 0)
				return true;
		}
		snprintf(pat, sizeof(pat), "%s%s%s", s->dpattern, ext,
		    tails[k]);
		if (fnmatch(pat, rest, 0) == 0)
			return true;
		snprintf(pat, sizeof(pat), "-[0-9]*%s", tails[k]);
		if (fnmatch(pat, rest, 0) == 0)
			return true;
		if (s->compext[0]) {
			snprintf(pat, sizeof(pat), ".[0-9]*%s%s", ext,
			    s->compext);
			if (fnmatch(pat, rest, 0) == 0)
				return true;
		}
	}
	return fnmatch("*.backup", rest, 0) == 0;
}

/* Expand the patterns (config.c's part of logrotate). */

/*
 * Is file a generation of another of the n matched paths (sorted)?  Only
 * a path that is file cut before a '.' or '-' (plus the extension, when
 * one is set) can be its log: those are looked up, not every pair.
 */
static bool
generation_of_any(const struct set *s, const char *file, char *const *sorted,
    size_t n)
{
	const char *ext = s->o->extension ? s->o->extension : "";
	size_t len = strlen(file), p, el = strlen(ext);
	const char *base = strrchr(file, '/');
	char buf[PATH_MAX];

	for (p = base ? (size_t)(base - file) + 2 : 1; p < len; p++) {
		const char *log;

		if (file[p] != '.' && file[p] != '-')
			continue;
		if (p >= sizeof(buf))
			break;
		memcpy(buf, file, p);
		buf[p] = '\0';
		log = find_sorted(sorted, n, buf);
		if (log && is_generation(s, file, log))
			return true;
		if (el && p + el < sizeof(buf)) {
			memcpy(buf + p, ext, el + 1);
			log = find_sorted(sorted, n, buf);
			if (log && strcmp(log, file) != 0 &&
			    is_generation(s, file, log))
				return true;
		}
	}
	return false;
}

static int
expand(struct set *s, char ***seen, size_t *nseen, size_t *cseen)
{
	const struct lr_entry *e = s->e;
	char **files = NULL, **sorted;
	size_t nf = 0, cf = 0, i, k;
	int bad = 0;

	for (k = 0; k < e->npat; k++) {
		glob_t g;
		int rc = glob(e->patterns[k], GLOB_NOCHECK | GLOB_TILDE, NULL,
		    &g);

		if (rc != 0) {
			if (rc != GLOB_NOMATCH)
				ops_warn_at(e->file, e->line,
				    "cannot expand %s", e->patterns[k]);
			continue;
		}
		for (i = 0; i < g.gl_pathc; i++) {
			struct stat st;
			const char *p = g.gl_pathv[i];

			if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
				continue;
			if (taken_already(s->run, *seen, *nseen, p)) {
				ops_warn_at(e->file, e->line,
				    "duplicate log entry for %s", p);
				bad = 1;
				continue;
			}
			ops_xgrow((void **)&files, &cf, nf + 1, sizeof(char *));
			files[nf++] = ops_xstrdup(p);
			ops_xgrow((void **)seen, cseen, *nseen + 1,
			    sizeof(char *));
			{
				/* insert in order: lookups are binary */
				size_t at = 0, hi = *nseen;

				while (at < hi) {
					size_t mid = at + (hi - at) / 2;

					if (strcmp((*seen)[mid], p) < 0)
						at = mid + 1;
					else
						hi = mid;
				}
				memmove(&(*seen)[at + 1], &(*seen)[at],
				    (*nseen - at) * sizeof(char *));
				(*seen)[at] = ops_xstrdup(p);
				(*nseen)++;
			}
		}
		globfree(&g);
	}
	s->v = ops_xcalloc(nf ? nf : 1, sizeof(*s->v));
	sorted = ops_xcalloc(nf ? nf : 1, sizeof(*sorted));
	memcpy(sorted, files, nf * sizeof(*sorted));
	if (nf > 1)
		qsort(sorted, nf, sizeof(*sorted), cmp_str);
	for (i = 0; i < nf; i++) {
		bool gen = generation_of_any(s, files[i], sorted, nf);

		if (gen) {
			ops_info(1, "%s: a generation of another log, not a "
				    "log",
			    files[i]);
			free(files[i]);
			continue;
		}
		s->v[s->n].dfd = s->v[s->n].odfd = -1;
		s->v[s->n++].path = files[i];
	}
	free(sorted);
	free(files);
	return bad;
}

static int
set_compress(struct set *s)
{
	const struct lr_opts *o = s->o;
	struct ops_err err;

	s->compext = "";
	if (!o->compress)
		return 0;
	ops_err_clear(&err);
	if (ops_z_from_cmd(o->compresscmd ? o->compresscmd : "gzip", &s->z,
		&err) < 0 ||
	    ops_z_level(s->z, o->compressoptions, &s->zlevel, NULL, &err) <
		0) {
		struct ops_err at;

		ops_err_at(&at, OPS_EXIT_USAGE, s->e->file, s->e->line, "%s",
		    err.msg);
		ops_err_report(&at);
		return -1;
	}
	s->compext = o->compressext ? o->compressext : ops_z_ext(s->z);
	return 0;
}

static int
set_su(struct set *s)
{
	const struct lr_opts *o = s->o;
	struct passwd *pw;
	struct group *gr;

	if (o->su_user == NULL)
		return 0;
	if (geteuid() != 0) {
		ops_warn_at(s->e->file, s->e->line,
		    "su %s %s ignored: not running as root", o->su_user,
		    o->su_group ? o->su_group : "");
		return 0;
	}
	pw = getpwnam(o->su_user);
	gr = o->su_group ? getgrnam(o->su_group) : NULL;
	if (pw == NULL || (o->su_group && gr == NULL)) {
		ops_warn_at(s->e->file, s->e->line, "su: unknown %s %s",
		    pw == NULL ? "user" : "group",
		    pw == NULL ? o->su_user : o->su_group);
		return -1;
	}
	s->su = true;
	s->su_uid = pw->pw_uid;
	s->su_gid = gr ? gr->gr_gid : pw->pw_gid;
	return 0;
}

/*
 * Run a prerotate or postrotate script for log j (or, shared, for the
 * block) with logrotate's arguments and its message on failure, which
 * marks log j failed.  1 when it failed.
 */
static int
block_script(struct set *s, size_t j, bool shared, const char *what,
    const char *script, const char *arg2)
{
	if (!run_script(s, what, script, shared ? s->pattern : s->v[j].path,
		arg2))
		return 0;
	if (shared)
		ops_warn("error running shared %s script for '%s'", what,
		    s->pattern);
	else
		ops_warn("error running non-shared %s script for %s of '%s'",
		    what, s->v[j].path, s->pattern);
	s->v[j].err = true;
	return 1;
}

static int
rotate_set(struct set *s)
{
	const struct lr_opts *o = s->o;
	bool shared = o->sharedscripts;
	size_t i, j, nrot = 0;
	int bad = 0;

	if (s->n == 0)
		return 0;
	as_su(s);
	for (i = 0; i < s->n; i++) {
		struct lg *l = &s->v[i];

		(void)lg_setup(s, l);
		l->err = find_need(s, l) != 0 || l->err;
		/* logrotate records every file of the set, even missing */
		if (l->st == NULL)
			(void)lr_state_add(s->run->state, l->path,
			    hour_of(s->run->now));
		bad |= l->err;
		if (l->rotate)
			nrot++;
	}
	if (o->firstaction && nrot > 0 &&
	    run_script(s, "firstaction", o->firstaction, s->pattern, NULL)) {
		ops_warn("error running first action script for %s",
		    s->pattern);
		as_root(s);
		return 1;
	}
	for (j = 0; j < (shared ? 1 : s->n); j++) {
		size_t lo = j, hi = shared ? s->n : j + 1;
		bool pre_ok;

		for (i = lo; i < hi; i++) {
			if (prerotate(s, &s->v[i]))
				s->v[i].err = true;
			bad |= s->v[i].err;
		}
		pre_ok = shared ? !bad : !(s->v[j].err || !s->v[j].rotate);
		if (o->prerotate && pre_ok && nrot > 0 &&
		    block_script(s, j, shared, "prerotate", o->prerotate,
			NULL))
			bad = 1;
		for (i = lo; i < hi; i++) {
			if ((s->v[i].err && !shared) || (bad && shared))
				continue;
			if (rotate_one(s, &s->v[i]))
				s->v[i].err = true;
			bad |= s->v[i].err;
		}
		pre_ok = shared ? !bad : !(s->v[j].err || !s->v[j].rotate);
		if (o->postrotate && pre_ok && nrot > 0 &&
		    block_script(s, j, shared, "postrotate", o->postrotate,
			shared ? NULL : s->v[j].finalpath))
			bad = 1;
		for (i = lo; i < hi; i++) {
			if ((s->v[i].err && !shared) || (bad && shared))
				continue;
			if (postrotate(s, &s->v[i]))
				s->v[i].err = true;
			bad |= s->v[i].err;
			if (s->v[i].rotate)
				commit(s, &s->v[i]); /* this log is done */
		}
	}
	if (o->lastaction && nrot > 0 &&
	    run_script(s, "lastaction", o->lastaction, s->pattern, NULL)) {
		ops_warn("error running last action script for %s",
		    s->pattern);
		bad = 1;
	}
	as_root(s);
	return bad;
}

int
lr_run(struct lr_run *run, const struct lr_config *c)
{
	char **seen = NULL;
	size_t nseen = 0, cseen = 0, i, k;
	int rc = OPS_EXIT_OK;

	run->wait_left_ms = 5000;
	for (i = 0; i < c->n; i++) {
		struct set s;
		struct ops_buf pb;

		memset(&s, 0, sizeof(s));
		s.run = run;
		s.e = &c->e[i];
		s.o = &c->e[i].o;
		ops_buf_init(&pb, 0);
		for (k = 0; k < s.e->npat; k++) {
			if (k)
				ops_buf_puts(&pb, " ");
			ops_buf_puts(&pb, s.e->patterns[k]);
		}
		/* logrotate passes the text before '{', blank included */
		ops_buf_puts(&pb, " ");
		s.pattern = ops_buf_detach(&pb, NULL);
		if (s.pattern == NULL)
			s.pattern = ops_xstrdup("");
		date_formats(&s);
		if (expand(&s, &seen, &nseen, &cseen))
			rc = ops_exit_worst(rc, OPS_EXIT_FOUND);
		if (set_compress(&s) < 0 || set_su(&s) < 0)
			rc = ops_exit_worst(rc, OPS_EXIT_FOUND);
		else if (rotate_set(&s))
			rc = ops_exit_worst(rc, OPS_EXIT_FOUND);
		pend_flush(run);
		for (k = 0; k < s.n; k++)
			lg_release(&s.v[k]);
		free(s.v);
		free(s.pattern);
	}
	for (i = 0; i < nseen; i++)
		free(seen[i]);
	free(seen);
	pend_flush(run);
	zpool_stop();
	dir_forget_all();
	if (!run->dry_run) {
		struct ops_err err;

		ops_err_clear(&err);
		if (lr_state_save(run->state, run->now, &err) < 0) {
			ops_err_report(&err);
			run->state_failed = true;
		}
	}
	if (run->state_failed)
		rc = OPS_EXIT_FAIL;
	return rc;
}
