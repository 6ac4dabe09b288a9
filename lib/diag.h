/*
 * diag.h - error objects and messages on stderr
 * SPDX-License-Identifier: MIT
 *
 * Library functions never print: they fill a struct ops_err and return -1.
 * The command prints it once with ops_err_report() and exits with its code.
 * Messages follow sbase's rule: a format ending in ':' gets ": strerror(errno)"
 * appended (errno as it was when the function was called), so no call site
 * formats errno by hand.  Output form: "PROG: FILE:LINE: message".
 *
 * The program name and the verbosity are the only process-wide settings; they
 * are set once by ops_diag_init() in main().
 */
#ifndef OPS_DIAG_H
#define OPS_DIAG_H

#include "compat.h"

struct ops_err {
	int code;        /* OPS_EXIT_USAGE or OPS_EXIT_FAIL; 0 while no error */
	int errnum;      /* errno behind the error, 0 if none */
	long line;       /* line in file, 0 if not about a line */
	char file[1024]; /* input file the error is about, "" if none */
	char msg[1024];  /* the message, without program name or location */
};

/* Set the program name (basename of argv0).  No output is coloured, so
 * NO_COLOR needs no handling. */
void ops_diag_init(const char *argv0);
const char *ops_prog(void);
void ops_diag_set_verbose(int level);
int ops_diag_verbose(void);

/*
 * Input quoted back in a message: s[0..len) into dst, TAB, LF, CR,
 * backslash and '"' as \t \n \r \\ \", other control bytes as \xHH,
 * cut after 60 bytes with "...".  dst is always terminated.  Returns dst.
 */
const char *ops_diag_shown(char *dst, size_t size, const char *s, size_t len);

/* Reset err to "no error". */
void ops_err_clear(struct ops_err *err);

/*
 * Record an error of exit class code (OPS_EXIT_USAGE or OPS_EXIT_FAIL).
 * Always returns -1 so that callers can write "return ops_err_set(...)".
 * err may be NULL (the error is then dropped).  A message longer than the
 * buffer is cut.
 */
int ops_err_set(struct ops_err *err, int code, const char *fmt, ...)
    OPS_PRINTF(3, 4);

/* As ops_err_set, about line `line` of file `file` (line 0: the whole file). */
int ops_err_at(struct ops_err *err, int code, const char *file, long line,
    const char *fmt, ...) OPS_PRINTF(5, 6);

/* Prefix err's message with "prefix: " (context added by a caller). */
void ops_err_prefix(struct ops_err *err, const char *fmt, ...) OPS_PRINTF(2, 3);

/* Print "PROG: [FILE:[LINE:] ]msg" on stderr; returns err->code (3 if 0). */
int ops_err_report(const struct ops_err *err);

/* Print "PROG: message" on stderr, with the ':' rule.  For cmd/ only. */
void ops_warn(const char *fmt, ...) OPS_PRINTF(1, 2);

/* As ops_warn, about FILE:LINE. */
void ops_warn_at(const char *file, long line, const char *fmt, ...)
    OPS_PRINTF(3, 4);

/* Print when verbosity >= level (progress under -v).  For cmd/ only. */
void ops_info(int level, const char *fmt, ...) OPS_PRINTF(2, 3);

/* ops_warn, then exit(code).  For cmd/ only. */
OPS_NORETURN void ops_fatal(int code, const char *fmt, ...) OPS_PRINTF(2, 3);

/*
 * Optimal string alignment distance between a and b (Levenshtein plus
 * transpositions), for "did you mean" suggestions; SIZE_MAX when either is
 * longer than OPS_EDIT_MAX bytes.
 */
#define OPS_EDIT_MAX 64
size_t ops_edit_distance(const char *a, const char *b);

#endif
