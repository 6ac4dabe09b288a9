/*
 * rotate.h - opslog-rotate's engine (rotate.c), state (state.c) and the
 * scan subcommand (scancmd.c)
 * SPDX-License-Identifier: MIT
 *
 * main.c loads the configuration (lr.h), takes the run lock, loads the
 * state and calls lr_run() once.  The engine rotates entry by entry and
 * notes each log in the state's journal as it is done (lr_state_note), so
 * a kill loses at most the log in hand, and that one is finished by the
 * next run; the journal is folded into the state at the end
 * (lr_state_save).
 */
#ifndef LR_ROTATE_H
#define LR_ROTATE_H

#include "compat.h"

#include <stdint.h>

#include "cli.h"
#include "diag.h"

#include "lr.h"

/* ---- state.c: rotate.state (TSV "path last_rotated") ---- */

struct lr_state_ent {
	char *path;   /* the log as its pattern matched it */
	int64_t t;    /* last rotation (or when first seen) */
	bool used;    /* considered in this run */
	bool bad;     /* its line was malformed: t is to be reconstructed */
	bool noted;   /* t is in the journal already */
};

struct lr_state {
	char *file;   /* where it is kept, owned */
	int jfd;      /* the journal (FILE.journal) once opened, else -1 */
	bool jdirty;  /* lines written since the last lr_state_sync */
	struct lr_state_ent **v; /* each entry allocated on its own, so that
	                            pointers to it stay valid as v grows */
	size_t n, cap;
};

void lr_state_init(struct lr_state *s);
void lr_state_release(struct lr_state *s);

/*
 * Read file (missing: empty state).  Our TSV, or logrotate's own state
 * ("logrotate state -- version 2"), for migration.  A malformed line is
 * reported on stderr as FILE:LINE and skipped; when its path could be
 * read the entry is kept with bad set.  -1 with err (code 3) when the
 * file cannot be read.
 */
int lr_state_load(struct lr_state *s, const char *file, struct ops_err *err)
    OPS_WUR;

/* The entry for path, or NULL. */
struct lr_state_ent *lr_state_find(struct lr_state *s, const char *path);

/* The entry for path, added with time t when missing. */
struct lr_state_ent *lr_state_add(struct lr_state *s, const char *path,
    int64_t t);

/*
 * Append e's line to FILE.journal (no fsync: see lr_state_sync): the
 * state as it goes, in O(1) per log.  -1 with err (code 3).
 */
int lr_state_note(struct lr_state *s, struct lr_state_ent *e,
    struct ops_err *err) OPS_WUR;

/* fsync the journal if lines were written since the last call.  -1 with
 * err (code 3). */
int lr_state_sync(struct lr_state *s, struct ops_err *err) OPS_WUR;

/*
 * Replace the file atomically (ops_atomic, mode 0640) with every entry,
 * except those not used in this run and older than a year (as logrotate
 * drops them), then remove FILE.journal.  -1 with err (code 3).
 */
int lr_state_save(struct lr_state *s, int64_t now, struct ops_err *err)
    OPS_WUR;

/* ---- rotate.c ---- */

struct lr_run {
	bool dry_run;          /* -n: say what would be done, change nothing */
	bool force;            /* -f */
	int64_t now;           /* ops_clock_now() at the start */
	struct lr_state *state;
	int64_t wait_left_ms;  /* budget for waiting on writers (5 s a run) */
	bool state_failed;     /* a state commit failed (exit 3) */
};

/*
 * Rotate every entry of c as logrotate 3.21 would (see the comment at
 * the top of rotate.c for the deliberate differences).  Returns the exit
 * status: 0, 1 when a log failed (the others are still done), 3 when the
 * state could not be written.  Messages go to stderr.
 */
int lr_run(struct lr_run *run, const struct lr_config *c);

/* ---- scancmd.c ---- */

/* "opslog-rotate scan ...": argv[0] is "scan"; cli holds the options
 * given before it (not yet set up).  Returns the exit status. */
int lr_cmd_scan(struct ops_cli *cli, int argc, char **argv);

#endif
