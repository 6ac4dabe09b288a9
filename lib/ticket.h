/*
 * ticket.h - writing incident tickets into tickets.tsv (SPEC 5.6)
 * SPDX-License-Identifier: MIT
 *
 * The event log tickets.tsv belongs to opsticket(1); other commands
 * (opsping's "[alert] ticket = yes") open tickets and add notes through
 * this module so that there is one writer's protocol: lock the store,
 * find the last id from the end of the log, append one batch of events
 * with one write, fsync, unlock.
 */
#ifndef OPS_TICKET_H
#define OPS_TICKET_H

#include "compat.h"

#include "diag.h"

#define OPS_TICKET_STORE "tickets.tsv"

/* The columns of tickets.tsv, in order. */
extern const char *const ops_ticket_cols[6];

struct ops_ticket_ev {
	const char *event; /* "new", "set", "note" */
	const char *field; /* "title", "kind", ... ("" for a note) */
	const char *value;
};

/* A ticket id field: 1-12 digits, no leading zero; -1 when not one. */
long ops_ticket_parse_id(const char *s, size_t len);

/*
 * Largest ticket id in the log at path, found from its end (fast on a large
 * store); 0 when there is none or no file.  -1 with err (code 3).
 */
int ops_ticket_last_id(const char *path, long *id, struct ops_err *err)
    OPS_WUR;

/*
 * Append the n events ev to ticket id in DIR/tickets.tsv, all with the
 * time ts (RFC 3339) and "by", under the store's lock (waiting at most
 * lock_ms).  id 0 makes a new ticket: its id (the last one plus 1) goes to
 * *newid (may be NULL otherwise) and ev should start with the "new" event.
 * Values must be one line of valid UTF-8 (notes may hold newlines).  -1
 * with err (code 3, or 2 for a bad header or value).
 */
int ops_ticket_append(const char *dir, long id, const char *ts,
    const struct ops_ticket_ev *ev, size_t n, const char *by, int lock_ms,
    long *newid, struct ops_err *err) OPS_WUR;

#endif
