/*
 * opsticket.h - private interfaces of opsticket
 * SPDX-License-Identifier: MIT
 *
 * tickets.tsv is an append-only event log (ts id event field value by); a
 * ticket is the fold of its events in file order.  workflow.c knows the
 * words (status, kind, impact, in English and Japanese) and the allowed
 * status moves; fold.c reads the log into a table; report.c prints export
 * and stats.  None of these exit; fold.c warns about malformed lines.
 */
#ifndef OPSTICKET_H
#define OPSTICKET_H

#include "compat.h"

#include <stdint.h>

#include "clock.h"
#include "diag.h"
#include "lang.h"

#define TK_STORE "tickets.tsv"

enum tk_status {
	ST_RECEIVED,
	ST_IN_PROGRESS,
	ST_ON_HOLD,
	ST_CONFIRMING,
	ST_DONE,
	ST_COUNT
};

enum tk_kind {
	KIND_INCIDENT,
	KIND_REQUEST,
	KIND_INQUIRY,
	KIND_MAINTENANCE,
	KIND_COUNT
};

enum tk_impact {
	IMPACT_NONE, /* not given */
	IMPACT_HIGH,
	IMPACT_MEDIUM,
	IMPACT_LOW,
	IMPACT_COUNT
};

/* workflow.c */
extern const char *const tk_status_name[ST_COUNT];
extern const char *const tk_kind_name[KIND_COUNT];
extern const char *const tk_impact_name[IMPACT_COUNT];
/* Parse an English or Japanese word; -1 when unknown. */
int tk_status_parse(const char *s);
int tk_kind_parse(const char *s);
int tk_impact_parse(const char *s);
/* true when a ticket may move from -> to with "set status=" */
bool tk_move_allowed(enum tk_status from, enum tk_status to);
/* The statuses reachable from s, as "a, b" (static buffer). */
const char *tk_moves_from(enum tk_status s);

struct tk_event {
	int64_t ts;
	long line;
	char *tsstr, *event, *field, *value, *by;
};

struct ticket {
	long id;                /* 0: no such ticket */
	enum tk_kind kind;
	enum tk_status status;
	enum tk_impact impact;
	char *title, *assignee, *target, *plan, *approver;
	int64_t created, occurred, first_response, isolated, completed;
	char created_s[OPS_RFC3339_SIZE];   /* as written in the log */
	char occurred_s[OPS_RFC3339_SIZE];
	char updated_s[OPS_RFC3339_SIZE];
	char completed_s[OPS_RFC3339_SIZE]; /* "" while not done */
	char response_s[OPS_RFC3339_SIZE];  /* first response, "" if none */
	bool grep_hit;          /* a note matched --grep */
	struct tk_event *ev;    /* with TK_EVENTS: every event, file order */
	size_t nev, evcap;
};

struct tk_table {
	struct ticket **t; /* t[id], id 1..maxid; NULL for gaps */
	size_t cap;
	long maxid;
	long bad;         /* malformed lines skipped */
	bool partial;     /* only the open tickets of a snapshot were loaded */
};

enum {
	TK_EVENTS = 1 << 0, /* keep every event (show, export) */
	TK_STRICT = 1 << 1, /* a malformed line is an error */
	TK_OPEN = 1 << 2,   /* only open tickets are wanted (list --open) */
};

struct tk_load {
	unsigned flags;
	long only;          /* > 0: fold this ticket only */
	const char *grep;   /* mark tickets whose notes contain this */
	const char *snap;   /* snapshot to start from and refresh, or NULL */
};

#define TK_SNAP "tickets.fold.tsv"
#define SNAP_MIN_BYTES (1024 * 1024) /* log read before a snapshot is saved */

/* fold.c */
void tk_table_init(struct tk_table *tab);
void tk_table_release(struct tk_table *tab);
/* Read path (missing: empty).  -1 with err (code 2 with --strict, else 3). */
int tk_load(struct tk_table *tab, const char *path, const struct tk_load *o,
    struct ops_err *err) OPS_WUR;
/* A new empty ticket id in the table, or NULL when it exists already. */
struct ticket *tk_table_add(struct tk_table *tab, long id);
/* The ticket with id, or NULL. */
struct ticket *tk_get(const struct tk_table *tab, long id);
/* Sort a ticket's events by time, file order among equal times. */
void tk_sort_events(struct ticket *t);
/* Case-insensitive (ASCII) substring test. */
bool tk_contains(const char *hay, const char *needle);

/* snap.c */
/*
 * Load the snapshot into an empty tab when it matches the log at logpath:
 * 1 and the log's offset and line count it covers; 0 (tab empty) when it is
 * missing or cannot be trusted.  With open_only, only the tickets that were
 * open when it was written are read (they come first) and tab->partial is
 * set.
 */
int tk_snap_load(struct tk_table *tab, const char *snap, const char *logpath,
    bool open_only, uint64_t *off, long *lines);
/* Write tab as the snapshot of the log up to off (lines lines).  -1, err. */
int tk_snap_save(const struct tk_table *tab, const char *snap,
    const char *logpath, uint64_t off, long lines, struct ops_err *err);

/* report.c */
struct ops_cli;
int tk_export(struct tk_table *tab, struct ops_cli *cli, const char *format,
    struct ops_err *err);
/* tk_stats: 0, 1 when a ticket is late, -1 with err. */
int tk_stats(struct tk_table *tab, struct ops_cli *cli, int64_t from,
    int64_t to, int64_t response_s, int64_t isolation_s, struct ops_err *err);
/* "2026-11-23 09:05 alice set status: in-progress" lines of the history
 * (events sorted first); caller frees. */
char *tk_history_text(struct ticket *t, enum ops_lang lang);

#endif
