/*
 * scratch.h - a scratch directory and small helpers for unit tests
 * SPDX-License-Identifier: MIT
 *
 * scratch_make("t-store") makes $TMPDIR/ops-t-store.XXXXXX (bail_out on
 * failure); scratch_remove() deletes it with everything inside.
 */
#ifndef OPS_TEST_SCRATCH_H
#define OPS_TEST_SCRATCH_H

#include "compat.h"

#include <sys/types.h>

extern char scratch[256];

void scratch_make(const char *name);
void scratch_remove(void);
/* scratch/name, in one of 16 rotating static buffers */
const char *spath(const char *name);
/* Write s to path (created 0644, truncated); bail_out on failure. */
void put(const char *path, const char *s);
/* The whole file as a string in a static buffer, or missing when absent. */
const char *slurp(const char *path, const char *missing);
/* Permission bits of path, -1 when it cannot be stat'ed. */
int mode_of(const char *path);

/* waitpid(pid) retrying EINTR; the status.  bail_out on failure. */
int wait_status(pid_t pid);
/*
 * Run argv (PATH searched) with stdin from in and stdout to out (either
 * NULL: /dev/null), stderr to /dev/null; the exit status, -1 when it did
 * not exit.  bail_out when it cannot be started.
 */
int run_prog(const char *const *argv, const char *in, const char *out);
/* xorshift64*: the same sequence on every machine for the same seed. */
void rnd_seed(uint64_t seed);
uint64_t rnd(void);

#endif
