/*
 * fsx.c - file-system helpers: whole reads and writes, directories, paths
 * SPDX-License-Identifier: MIT
 */
#include "compat.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "diag.h"
#include "exitcode.h"
#include "fsx.h"
#include "mem.h"

int
ops_write_all(int fd, const void *p, size_t n)
{
	const char *s = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, s, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (w == 0) {
			/* Nothing written and no error: do not spin. */
			errno = EIO;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

ssize_t
ops_read_all(int fd, void *p, size_t n)
{
	char *s = p;
	size_t got = 0;
	ssize_t r;

	if (n > SSIZE_MAX)
		n = SSIZE_MAX;
	while (got < n) {
		r = read(fd, s + got, n - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int
ops_read_file(
    const char *path, size_t limit, struct ops_buf *out, struct ops_err *err)
{
	char chunk[16384];
	size_t old = out->len, total = 0;
	ssize_t n;
	int fd, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ops_err_at(err, OPS_EXIT_FAIL, path, 0, "cannot open:");
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			saved = errno;
			goto fail_read;
		}
		if (n == 0)
			break;
		if ((size_t)n > limit - total) {
			ops_err_at(err, OPS_EXIT_USAGE, path, 0,
			    "file is larger than %zu bytes", limit);
			goto fail;
		}
		total += (size_t)n;
		if (ops_buf_add(out, chunk, (size_t)n) < 0) {
			ops_err_at(
			    err, OPS_EXIT_USAGE, path, 0, "file is too large");
			goto fail;
		}
	}
	if (close(fd) < 0) {
		fd = -1;
		saved = errno;
		goto fail_read;
	}
	return 0;

fail_read:
	errno = saved;
	ops_err_at(err, OPS_EXIT_FAIL, path, 0, "cannot read:");
fail:
	if (fd >= 0)
		close(fd);
	out->len = old;
	if (out->data)
		out->data[old] = '\0';
	return -1;
}

/* 0 when path names a directory (following symlinks); -1 with errno. */
static int
is_dir(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

int
ops_mkdir_p(const char *path, mode_t mode, struct ops_err *err)
{
	char tmp[PATH_MAX];
	size_t len = strlen(path), i;

	if (len == 0) {
		errno = ENOENT;
		return ops_err_set(
		    err, OPS_EXIT_FAIL, "cannot create directory \"\":");
	}
	if (len >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return ops_err_at(
		    err, OPS_EXIT_FAIL, path, 0, "cannot create directory:");
	}
	if (is_dir(path) == 0)
		return 0;
	memcpy(tmp, path, len + 1);
	/* Make each prefix ending before a '/', then the whole path. */
	for (i = 1; i <= len; i++) {
		if (i < len && (tmp[i] != '/' || tmp[i - 1] == '/'))
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, mode) < 0 &&
		    (errno != EEXIST || is_dir(tmp) < 0)) {
			ops_err_at(err, OPS_EXIT_FAIL, tmp, 0,
			    "cannot create directory:");
			return -1;
		}
		if (i < len)
			tmp[i] = '/';
	}
	return 0;
}

int
ops_fsync_dir(const char *dir, struct ops_err *err)
{
	int fd;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return ops_err_at(
		    err, OPS_EXIT_FAIL, dir, 0, "cannot open directory:");
	/* Some file systems cannot fsync a directory (EINVAL): that is fine. */
	if (fsync(fd) < 0 && errno != EINVAL) {
		ops_err_at(
		    err, OPS_EXIT_FAIL, dir, 0, "cannot fsync directory:");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
ops_fsync_parent(const char *path, struct ops_err *err)
{
	char dir[PATH_MAX];
	size_t len = strlen(path);

	/* Ignore trailing slashes, then cut the last component. */
	while (len > 1 && path[len - 1] == '/')
		len--;
	while (len > 0 && path[len - 1] != '/')
		len--;
	while (len > 1 && path[len - 1] == '/')
		len--;
	if (len == 0)
		return ops_fsync_dir(".", err);
	if (len >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return ops_err_at(
		    err, OPS_EXIT_FAIL, path, 0, "cannot fsync directory:");
	}
	memcpy(dir, path, len);
	dir[len] = '\0';
	return ops_fsync_dir(dir, err);
}

char *
ops_path_join(const char *dir, const char *name)
{
	size_t dlen = strlen(dir), nlen;
	char *p;

	while (dlen > 1 && dir[dlen - 1] == '/')
		dlen--;
	if (dlen == 0)
		return ops_xstrdup(name);
	while (*name == '/')
		name++;
	nlen = strlen(name);
	if (dir[dlen - 1] == '/')
		dlen--; /* dir is "/" */
	p = ops_xmalloc(dlen + 1 + nlen + 1);
	memcpy(p, dir, dlen);
	p[dlen] = '/';
	memcpy(p + dlen + 1, name, nlen + 1);
	return p;
}

/* $name when it is set, not empty and, for XDG variables, absolute. */
static const char *
env(const char *name, bool absolute)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0')
		return NULL;
	if (absolute && *v != '/')
		return NULL; /* the XDG spec: relative paths are invalid */
	return v;
}

int
ops_datadir_resolve(
    const char *opt, bool create, char **out, struct ops_err *err)
{
	const char *v;
	char *path, *tmp;

	if (opt != NULL) {
		if (*opt == '\0')
			return ops_err_set(err, OPS_EXIT_USAGE,
			    "the data directory name is empty");
		path = ops_xstrdup(opt);
	} else if ((v = env("OPS_DIR", false)) != NULL) {
		path = ops_xstrdup(v);
	} else if (geteuid() == 0) {
		path = ops_xstrdup("/var/lib/ops");
	} else if ((v = env("XDG_STATE_HOME", true)) != NULL) {
		path = ops_path_join(v, "ops");
	} else if ((v = env("HOME", false)) != NULL) {
		tmp = ops_path_join(v, ".local/state");
		path = ops_path_join(tmp, "ops");
		free(tmp);
	} else {
		return ops_err_set(err, OPS_EXIT_USAGE,
		    "HOME is not set: give the data directory (-d or OPS_DIR)");
	}
	if (create && ops_mkdir_p(path, 0750, err) < 0) {
		free(path);
		return -1;
	}
	*out = path;
	return 0;
}

/* 0 when path exists; -1 with err (code 2 when missing, else 3). */
static int
must_exist(const char *path, struct ops_err *err)
{
	struct stat st;

	if (*path == '\0')
		return ops_err_set(err, OPS_EXIT_USAGE,
		    "the configuration file name is empty");
	if (stat(path, &st) == 0)
		return 0;
	if (errno == ENOENT || errno == ENOTDIR)
		return ops_err_at(err, OPS_EXIT_USAGE, path, 0,
		    "cannot open configuration file:");
	return ops_err_at(
	    err, OPS_EXIT_FAIL, path, 0, "cannot open configuration file:");
}

int
ops_confpath_resolve(const char *opt, char **out, struct ops_err *err)
{
	struct stat st;
	const char *v;
	char *path;

	if (opt == NULL)
		opt = env("OPS_CONF", false);
	if (opt != NULL) {
		if (must_exist(opt, err) < 0)
			return -1;
		*out = ops_xstrdup(opt);
		return 0;
	}
	if (geteuid() == 0) {
		path = ops_xstrdup("/etc/ops/ops.conf");
	} else if ((v = env("XDG_CONFIG_HOME", true)) != NULL) {
		path = ops_path_join(v, "ops/ops.conf");
	} else if ((v = env("HOME", false)) != NULL) {
		path = ops_path_join(v, ".config/ops/ops.conf");
	} else {
		*out = NULL; /* no default location: built-in defaults */
		return 0;
	}
	/*
	 * A default file that does not exist means built-in defaults.  Any
	 * other failure is left for the reader to report with its cause.
	 */
	if (stat(path, &st) < 0 && (errno == ENOENT || errno == ENOTDIR)) {
		free(path);
		path = NULL;
	}
	*out = path;
	return 0;
}

int
ops_flock_wait(int fd, int timeout_ms, const char *name, struct ops_err *err)
{
	enum { NAP_MS = 10 }; /* between two tries */
	int64_t deadline = 0, left;
	struct timespec nap;

	if (timeout_ms > 0)
		deadline = ops_clock_mono_ms() + timeout_ms;
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			return ops_err_at(err, OPS_EXIT_FAIL, name, 0,
			    "cannot lock:");
		if (timeout_ms == 0)
			break;
		left = NAP_MS;
		if (timeout_ms > 0) {
			left = deadline - ops_clock_mono_ms();
			if (left <= 0)
				break;
			if (left > NAP_MS)
				left = NAP_MS;
		}
		nap.tv_sec = 0;
		nap.tv_nsec = (long)left * 1000000;
		nanosleep(&nap, NULL); /* woken early: just try again */
	}
	return ops_err_set(err, OPS_EXIT_FAIL, "%s is locked by another run",
	    name);
}
