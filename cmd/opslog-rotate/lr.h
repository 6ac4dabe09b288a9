/*
 * lr.h - private interfaces of opslog-rotate
 * SPDX-License-Identifier: MIT
 *
 * conf.c reads logrotate's configuration language (logrotate(8) of
 * logrotate 3.21) into a list of entries, each with the directives in
 * effect for it (the global ones as they stood when the block began,
 * then its own).  rotate.c rotates; state.c keeps rotate.state; scan.c
 * counts what the logs say.  Nothing here exits.
 */
#ifndef LR_H
#define LR_H

#include "compat.h"

#include <stdint.h>
#include <sys/types.h>

#include "diag.h"

enum lr_period {
	LR_NONE, /* no time trigger */
	LR_HOURLY,
	LR_DAILY,
	LR_WEEKLY,
	LR_MONTHLY,
	LR_YEARLY,
};

struct lr_opts {
	enum lr_period period;
	int weekday;                 /* weekly N: 0-6 (Sunday 0), 7 = "weekly
	                                7" (every 7 days); default 0 */
	uint64_t size, minsize, maxsize; /* bytes; 0: not set */
	bool size_set, minsize_set, maxsize_set;
	int rotate;                  /* generations kept (default 0);
	                                -1 = "rotate -1": never removed */
	long maxage;                 /* days, 0: not set */
	long keep;                   /* our "keep DAYS" floor, 0: not set */
	long start;                  /* first generation number (default 1) */
	bool missingok;              /* default no */
	bool ifempty;                /* default yes */
	bool compress, delaycompress;
	char *compresscmd;           /* default "gzip" */
	char *compressext;           /* NULL: the compressor's */
	char *compressoptions;       /* NULL: the default ("-6" for gzip) */
	bool copytruncate, copy;
	bool create;                 /* default no */
	bool create_mode_set;
	mode_t create_mode;
	char *create_owner, *create_group; /* NULL: the log's */
	bool dateext, dateyesterday;
	char *dateformat;            /* default "-%Y%m%d" */
	char *extension;             /* NULL: none */
	char *olddir;                /* NULL: beside the log */
	bool createolddir;
	bool createolddir_mode_set;
	mode_t createolddir_mode;
	char *createolddir_owner, *createolddir_group;
	bool sharedscripts;
	char *prerotate, *postrotate, *firstaction, *lastaction;
	long prerotate_line, postrotate_line, firstaction_line,
	    lastaction_line;           /* where each script began */
	char *su_user, *su_group;      /* NULL: not set */
	char **tabooext;             /* extensions skipped by include DIR */
	size_t ntaboo;
};

struct lr_entry {
	char **patterns;             /* paths and globs as written (quotes
	                                removed) */
	size_t npat;
	struct lr_opts o;
	const char *file;            /* config file (owned by lr_config) */
	long line;                   /* line of the block's first pattern */
};

struct lr_config {
	struct lr_opts global;       /* the defaults as they stand at the end */
	struct lr_entry *e;
	size_t n, cap;
	char **files;                /* every file read, for messages */
	size_t nfiles;
};

/* ---- conf.c ---- */
void lr_config_init(struct lr_config *c);
void lr_config_release(struct lr_config *c);
/*
 * Read path (a file, or a directory read as include does) and what it
 * includes.  Any directive outside the supported list, a bad value, an
 * unclosed block or script, or a nested block is an error "FILE:LINE:
 * why" (code 2).  -1 with err: code 3 when a file cannot be read.
 */
int lr_config_load(struct lr_config *c, const char *path,
    struct ops_err *err) OPS_WUR;
/* As lr_config_load from text[0..len) named name; include is refused. */
int lr_config_parse(struct lr_config *c, const char *name, const char *text,
    size_t len, struct ops_err *err) OPS_WUR;
/* Copy src into dst (deep). */
void lr_opts_copy(struct lr_opts *dst, const struct lr_opts *src);
void lr_opts_release(struct lr_opts *o);

#endif
