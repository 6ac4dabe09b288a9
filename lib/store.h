/*
 * store.h - append-only stores in the data directory (SPEC 3.4)
 * SPDX-License-Identifier: MIT
 *
 * A writer opens the store, takes its exclusive flock, appends whole lines
 * in one write(2) to an O_APPEND descriptor, fsyncs, and unlocks.  The
 * descriptor is opened read-write: the header and torn-tail checks pread it.
 * Readers take no lock (they use tsv.h).  Calling sequence:
 *
 *   struct ops_store st;
 *   ops_store_open(&st, dir, "tickets.tsv", cols, n, 0640, &err);
 *   ops_store_lock(&st, 30000, &err);        creates the header if empty,
 *                                            checks it otherwise
 *   ... read the store under the lock if the batch depends on it ...
 *   ops_store_append(&st, batch, len, &err); one write + fsync
 *   ops_store_close(&st);                    unlocks
 *
 * New files are created with the given mode (0640, or 0600 for anything
 * holding credentials); the umask may narrow it, never widen it.  The
 * directory is created (0750) when missing.
 */
#ifndef OPS_STORE_H
#define OPS_STORE_H

#include "compat.h"

#include <sys/types.h>

#include "diag.h"

struct ops_store {
	char *path;   /* DIR/NAME, owned */
	char *header; /* the header line our columns make, '\n' included */
	int fd;       /* O_RDWR|O_APPEND|O_CLOEXEC, -1 when closed */
	bool locked;  /* we hold the flock */
};

/*
 * Open (creating when missing, without header yet) DIR/NAME for appending,
 * with the n column names cols.  -1 with err (code 3) when the directory or
 * the file cannot be made or opened.  On error nothing needs closing.
 */
int ops_store_open(struct ops_store *st, const char *dir, const char *name,
    const char *const cols[], size_t n, mode_t mode, struct ops_err *err)
    OPS_WUR;

/*
 * Take the exclusive lock, waiting at most timeout_ms (0: do not wait; -1:
 * forever).  Then write the header when the file is empty, or check that the
 * existing header is ours (else -1, code 2, "FILE:1: header ... expected
 * ..."; the lock is released).  -1 with err (code 3, "... is locked by another
 * run") on timeout.
 */
int ops_store_lock(struct ops_store *st, int timeout_ms, struct ops_err *err)
    OPS_WUR;

/*
 * Append data[0..len), which must be whole lines (ending in '\n'), with one
 * write(2), then fsync.  The lock must be held.  When the file does not end
 * in '\n' (a torn last line left by a crash), a '\n' is written first, in
 * the same write, so the batch starts on a fresh line.  -1 with err (code 3)
 * on a short or failed write (the file is then truncated back to its former
 * size, so no half batch stays) or a failed fsync (the batch is then taken
 * out again, best effort).  len 0 writes nothing.
 */
int ops_store_append(struct ops_store *st, const char *data, size_t len,
    struct ops_err *err) OPS_WUR;

/* Release the lock (the descriptor stays open). */
void ops_store_unlock(struct ops_store *st);

/* Unlock, close and free.  Safe on a closed or failed-to-open store. */
void ops_store_close(struct ops_store *st);

#endif
