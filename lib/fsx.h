/*
 * fsx.h - file-system helpers: whole reads and writes, directories, paths
 * SPDX-License-Identifier: MIT
 *
 * Every open uses O_CLOEXEC.  Write loops retry EINTR and short writes.
 * The data directory and configuration file are found as SPEC 3.1 says:
 *   data dir: -d DIR, else $OPS_DIR, else /var/lib/ops when euid is 0, else
 *             ${XDG_STATE_HOME:-$HOME/.local/state}/ops; created 0750.
 *   config:   -c FILE, else $OPS_CONF (both must exist), else
 *             /etc/ops/ops.conf as root, else
 *             ${XDG_CONFIG_HOME:-$HOME/.config}/ops/ops.conf (may be missing:
 *             built-in defaults).
 */
#ifndef OPS_FSX_H
#define OPS_FSX_H

#include "compat.h"

#include <sys/types.h>

#include "buf.h"
#include "diag.h"

/* Write all of p[0..n) to fd.  0, or -1 with errno. */
int ops_write_all(int fd, const void *p, size_t n) OPS_WUR;

/* Read up to n bytes, retrying EINTR and short reads; returns bytes read
 * (less than n only at end of file), or -1 with errno. */
ssize_t ops_read_all(int fd, void *p, size_t n) OPS_WUR;

/*
 * Read the whole file into out (appended), refusing files over limit bytes.
 * -1 with err: code 3 for open/read errors, code 2 when too large; out is
 * then as it was.
 */
int ops_read_file(const char *path, size_t limit, struct ops_buf *out,
    struct ops_err *err) OPS_WUR;

/* mkdir -p with mode for the directories it creates.  -1 with err (code 3). */
int ops_mkdir_p(const char *path, mode_t mode, struct ops_err *err) OPS_WUR;

/* fsync the directory dir / the directory holding path.  -1 with err. */
int ops_fsync_dir(const char *dir, struct ops_err *err) OPS_WUR;
int ops_fsync_parent(const char *path, struct ops_err *err) OPS_WUR;

/* Join dir and name with one '/'; caller frees. */
char *ops_path_join(const char *dir, const char *name);

/*
 * The data directory (see above); opt is the -d argument or NULL.  With
 * create, the directory is made (0750) when missing.  *out is malloc'd, and
 * set only on success.  An empty variable counts as unset; a relative
 * XDG_STATE_HOME is ignored (XDG spec).  -1 with err (code 3) when it cannot
 * be made, code 2 when no HOME is set (or -d is empty).
 */
int ops_datadir_resolve(const char *opt, bool create, char **out,
    struct ops_err *err) OPS_WUR;

/*
 * The configuration file (see above); opt is the -c argument or NULL.  *out
 * is the malloc'd path, or NULL when the default file does not exist (or
 * there is no default: no HOME).  -1 with err (code 2) when a named file
 * (-c or OPS_CONF) is missing; *out is then untouched.
 */
int ops_confpath_resolve(const char *opt, char **out, struct ops_err *err)
    OPS_WUR;

/*
 * Take an exclusive flock on fd, waiting at most timeout_ms (0: do not
 * wait; -1: forever).  -1 with err (code 3): "NAME is locked by another
 * run" on timeout, or the error.
 */
int ops_flock_wait(int fd, int timeout_ms, const char *name,
    struct ops_err *err) OPS_WUR;

#endif
