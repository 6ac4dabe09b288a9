/*
 * atomic.h - replace a file by rename, and the temporary-file registry
 * SPDX-License-Identifier: MIT
 *
 * A rewritten store (state, index) is never edited in place: the new content
 * goes to a temporary ".NAME.XXXXXX" in the same directory, which is
 * fsynced, renamed over NAME, and the directory fsynced.  A reader sees the
 * old file or the new one, never a mix, whatever happens in between.
 *
 * Every temporary is registered; the registry is cleaned up by an atexit
 * handler and by handlers for SIGINT, SIGTERM, SIGHUP (which then re-raise
 * the signal), so no exit path leaves a temporary behind.  The registry is
 * the only global mutable state of lib/ besides signal flags.
 *
 *   struct ops_atomic a;
 *   ops_atomic_begin(&a, "/var/lib/ops/state.tsv", 0640, &err);
 *   ops_atomic_write(&a, data, len, &err);   as often as needed
 *   ops_atomic_commit(&a, &err);             or ops_atomic_abort(&a)
 */
#ifndef OPS_ATOMIC_H
#define OPS_ATOMIC_H

#include "compat.h"

#include <sys/types.h>

#include "diag.h"

struct ops_atomic {
	char *path; /* final name, owned */
	char *tmp;  /* temporary name, owned; NULL once committed or aborted */
	int fd;     /* descriptor of the temporary, -1 when closed */
};

/*
 * Create the temporary beside path with O_EXCL|O_NOFOLLOW|O_CLOEXEC and
 * mode (narrowed by the umask) and register it.  -1 with err (code 3).
 */
int ops_atomic_begin(struct ops_atomic *a, const char *path, mode_t mode,
    struct ops_err *err) OPS_WUR;

/*
 * Write all of p[0..n) (retrying EINTR and short writes).  -1 with err; the
 * temporary is then closed, so a later commit fails (call abort).
 */
int ops_atomic_write(struct ops_atomic *a, const void *p, size_t n,
    struct ops_err *err) OPS_WUR;

/*
 * fsync and close the temporary, rename it over path, fsync the directory,
 * unregister it.  On failure the temporary is removed, path is untouched,
 * and -1 is returned with err (code 3); except when only the final fsync
 * of the directory fails: path then already holds the new content.  Either
 * way a is released.
 */
int ops_atomic_commit(struct ops_atomic *a, struct ops_err *err) OPS_WUR;

/* Remove the temporary and release a.  Safe to call twice. */
void ops_atomic_abort(struct ops_atomic *a);

/*
 * The registry, for other temporaries (archives under a temporary name...).
 * Register before creating the file; unregister after renaming it.  At most
 * OPS_TEMP_MAX at once; ops_temp_register() returns -1 when full.  Call
 * from one thread.  The signal handlers are installed at the first
 * registration, only for signals whose disposition is still the default (an
 * ignored SIGHUP stays ignored); a command with its own handler for one of
 * them calls ops_temp_cleanup() there.  A forked child never removes its
 * parent's temporaries.
 */
#define OPS_TEMP_MAX 64
int ops_temp_register(const char *path) OPS_WUR;
void ops_temp_unregister(const char *path);
/* Remove every registered temporary now (also run at exit and on signals). */
void ops_temp_cleanup(void);

#endif
