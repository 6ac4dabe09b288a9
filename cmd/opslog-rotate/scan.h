/*
 * scan.h - the counting engine of "opslog-rotate scan" (logstats.tsv)
 * SPDX-License-Identifier: MIT
 *
 * A rule set says what to count: one of the built-in sets "http", "auth"
 * and "errors", or the rules of a TSV file with the header "name pattern"
 * (POSIX extended regular expressions).  A struct lr_stats gathers the
 * counts, per log and per day, of any number of logs scanned with one rule
 * set; lr_stats_rows() then writes them as logstats.tsv rows
 * "date log rule count sample".  Calling sequence:
 *
 *   struct lr_rules *r;  struct lr_stats *st;
 *   if (lr_rules_builtin("http", &r, &err) < 0) ...  (or lr_rules_load)
 *   st = lr_stats_new(r);
 *   for each log:  lr_scan_fd(st, fd, path, mtime, &err)
 *   lr_stats_rows(st, &out, &err);  lr_stats_info(st, &info);
 *   lr_stats_free(st);  lr_rules_free(r);
 *
 * Memory is bounded whatever the input: a log is streamed through ops_zr
 * (plain, gzip, bzip2, xz, zstd), a line longer than LR_SCAN_MAX_LINE is
 * counted on its first LR_SCAN_MAX_LINE bytes and the rest skipped, a log
 * keeps at most LR_SCAN_MAX_DAYS days, and the distinct clients of the
 * http set are kept in a hash set of at most LR_SCAN_MAX_CLIENTS
 * (day, client) pairs.  lr_stats_info() says when a bound was reached.
 * Nothing here prints or exits (out of memory aside, mem.h).
 *
 * The day of a line is the date written in its own timestamp, in the time
 * zone written there (no conversion): Apache/nginx "[23/Nov/2026:09:00:01
 * +0900]", RFC 3339 at the start of the line as rsyslog writes it
 * ("2026-11-23T09:00:01.123456+09:00"), or a syslog stamp at the start of
 * the line ("Nov 23 09:00:01", "Nov  3 ...").  A syslog stamp has no year:
 * it is the year of the reference time (the caller passes the log's mtime;
 * its local year and month, under TZ), or the year before when the line's
 * month is after the reference month (December lines in a log last written
 * in January).  A line without a recognisable timestamp counts under the
 * day of the last stamped line before it in the same log, or under the
 * local date of the reference time when there was none.  Empty lines are
 * skipped.
 *
 * Rows: one row for every rule of the set for every day on which the log
 * had at least one line, zero counts included (so that a graph over days
 * has no gaps); "unparsed" only when not zero.  Sorted by date, then log,
 * then rule name (byte order).  sample is the first line of that day the
 * rule counted, cut to LR_SCAN_SAMPLE_MAX bytes at a character boundary,
 * control characters and bytes that are not UTF-8 replaced by '?'; empty
 * when the count is 0.
 *
 * Built-in sets (the pattern is searched in the whole line):
 *   http    Apache/nginx "combined" (or "common") log format, client
 *           address first: requests, 2xx, 3xx, 4xx, 5xx (by %>s), post
 *           (request line starting "POST "), clients (distinct first
 *           fields that day), clients_4xx (clients with at least
 *           LR_SCAN_SCANNER_MIN responses 401, 403 or 404 that day; the
 *           sample is the line that reached the threshold first).  A line
 *           not in that format counts as "unparsed" (the line's day when
 *           its stamp could be read).
 *   auth    sshd lines (" sshd[" or " sshd:"): ssh_failed ("Failed
 *           password|publickey|keyboard-interactive/pam for"),
 *           ssh_accepted ("Accepted password|publickey|
 *           keyboard-interactive/pam for"), invalid_user ("Invalid user X
 *           from").  rsyslog's "message repeated N times: [ ... ]" counts
 *           N times.
 *   errors  "errors": lines holding one of the words error, fatal, panic,
 *           segfault, in any case, as whole words (not "errors",
 *           "panicked", "error_log").
 *   FILE    each rule counts the lines its pattern matches (regexec with
 *           REG_EXTENDED, anywhere in the line, stamp included).  The
 *           pattern is a TSV field: a regex backslash is written "\\"
 *           (the regex "sudo\[" is the field "sudo\\[").
 */
#ifndef LR_SCAN_H
#define LR_SCAN_H

#include "compat.h"

#include <stdint.h>

#include "buf.h"
#include "diag.h"

#define LR_SCAN_MAX_LINE (64 * 1024)   /* bytes of a line looked at */
#define LR_SCAN_SAMPLE_MAX 200         /* bytes of a sample */
#define LR_SCAN_MAX_DAYS 4000          /* distinct days kept per log */
#define LR_SCAN_MAX_CLIENTS (1 << 21)  /* (day, client) pairs kept */
#define LR_SCAN_SCANNER_MIN 20         /* 401/403/404 a day for clients_4xx */
#define LR_RULES_MAX 256               /* rules in a rule file */
#define LR_RULES_PATTERN_MAX 4096      /* bytes of one pattern */

/* The header line of logstats.tsv, newline included. */
#define LR_STATS_HEADER "date\tlog\trule\tcount\tsample\n"

struct lr_rules;
struct lr_stats;

/* What a scan met besides the counts; all 0 after lr_stats_new(). */
struct lr_scan_info {
	uint64_t bytes;      /* bytes scanned (decompressed) */
	uint64_t lines;      /* lines scanned, empty ones included */
	uint64_t cut;        /* lines longer than LR_SCAN_MAX_LINE */
	uint64_t unstamped;  /* non-empty lines without a recognisable stamp */
	uint64_t lost;       /* lines not counted: their day would have been
	                        day LR_SCAN_MAX_DAYS + 1 of their log */
	bool clients_capped; /* LR_SCAN_MAX_CLIENTS reached: clients and
	                        clients_4xx are lower bounds */
};

/*
 * The built-in set called name: "http", "auth" or "errors".  -1 with err
 * (code 2) for another name; *r unchanged.  Free with lr_rules_free().
 */
int lr_rules_builtin(const char *name, struct lr_rules **r,
    struct ops_err *err) OPS_WUR;

/*
 * Read a rule file: TSV (ops-tsv(5)) with the columns "name" and
 * "pattern" (others ignored); name is [a-z0-9_]+ and distinct; pattern a
 * non-empty POSIX extended regex of at most LR_RULES_PATTERN_MAX bytes;
 * 1 to LR_RULES_MAX rules.  -1 with err "FILE:LINE: why" (code 2) for a
 * bad row (a malformed TSV line, a bad name, a pattern regcomp refuses,
 * with regerror's text), code 3 when the file cannot be read; *r
 * unchanged.  lr_rules_load_fd reads fd (not closed) named name.
 */
int lr_rules_load(const char *path, struct lr_rules **r, struct ops_err *err)
    OPS_WUR;
int lr_rules_load_fd(int fd, const char *name, struct lr_rules **r,
    struct ops_err *err) OPS_WUR;

/* Free r (NULL is fine).  Stats made with r must be freed first. */
void lr_rules_free(struct lr_rules *r);

/* Empty counts for rule set r, which must outlive them.  Cannot fail. */
struct lr_stats *lr_stats_new(const struct lr_rules *r);
void lr_stats_free(struct lr_stats *st);

/*
 * Count the lines of the log read from fd (plain or compressed; fd is not
 * closed) under the name logname (the "log" column; scanning the same name
 * again adds to its counts).  ref is the reference time (Unix seconds,
 * normally the log's mtime) for syslog years and unstamped lines.  -1
 * with err (code 3) when the log cannot be read or decompressed; what was
 * read before the error is counted.
 */
int lr_scan_fd(struct lr_stats *st, int fd, const char *logname, int64_t ref,
    struct ops_err *err) OPS_WUR;

/* As lr_scan_fd over data[0..len) (plain text).  Cannot fail: returns 0. */
int lr_scan_buf(struct lr_stats *st, const char *data, size_t len,
    const char *logname, int64_t ref);

/*
 * Append the rows (without the header) to out with ops_tsv_row().  -1 with
 * err (code 3, E2BIG) when out's limit is reached; out then holds the rows
 * before the one that did not fit.
 */
int lr_stats_rows(const struct lr_stats *st, struct ops_buf *out,
    struct ops_err *err) OPS_WUR;

/* Copy what the scans met into *info.  Cannot fail. */
void lr_stats_info(const struct lr_stats *st, struct lr_scan_info *info);

#endif
