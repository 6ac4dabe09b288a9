/*
 * applied.h - the update-application list from dpkg's and apt's logs
 * SPDX-License-Identifier: MIT
 *
 * dpkg.log says what changed, to the second: "install", "upgrade",
 * "remove" and "purge" lines (the "status", "configure" and "trigproc"
 * lines add nothing to the list).  apt's history.log says why: each
 * transaction's Start-Date, End-Date, Commandline and Requested-By.  A
 * change inside an apt transaction's time span that the transaction
 * lists gets "apt: COMMANDLINE (by USER)" as its source, else "dpkg".
 * A transaction whose changes dpkg.log no longer has (rotated away) gives
 * its own rows, at its Start-Date.  The logs' times are local times
 * without a zone; they are read in the time zone of this process (TZ).
 */
#ifndef APPLIED_H
#define APPLIED_H

#include "compat.h"

#include <stdint.h>

#include "diag.h"

struct ap_row {
	int64_t ts;
	char *package, *from, *to, *action, *source;
};

struct ap_txn {
	int64_t start, end;
	char *cmd, *by;
	struct ap_row *v; /* its changes (ts = start, source unset) */
	size_t n, cap;
};

struct ap_log {
	struct ap_row *rows; /* from dpkg.log */
	size_t n, cap;
	struct ap_txn *txn;  /* from history.log */
	size_t ntxn, captxn;
};

void ap_log_init(struct ap_log *l);
void ap_log_release(struct ap_log *l);

/*
 * Add one log's text (name for messages): an apt history log when a line
 * starts with "Start-Date:", else a dpkg log.  Lines that are not
 * changes are skipped; a change line that cannot be read is an error
 * (code 2, name:line).
 */
int ap_log_add(struct ap_log *l, const char *name, const char *text,
    size_t len, struct ops_err *err) OPS_WUR;

/*
 * The list: every change, sorted by time (then package), with its source
 * as above.  rows are owned by *out (ap_rows_free).
 */
void ap_log_list(struct ap_log *l, struct ap_row **out, size_t *n);
void ap_rows_free(struct ap_row *v, size_t n);

#endif
